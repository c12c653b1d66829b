//! The idea read model: versions, on-behalf-of, supports, feedback threads, recorded decisions
//! and status.

use std::sync::Arc;

use cohub_domain::idea::{
    Decision, IdeaContribution, IdeaEvent, IdeaOutcome, IdeaStatus, OnBehalfOf,
};
use cohub_domain::text::PlainText;
use cohub_domain::{DistributionId, FeedbackId, HubId, IdeaId, MemberId, ProblemId};
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::heard::{check_answers, record_answers, Heard};
use crate::model::ReadModel;
use crate::page::{page, Page};
use crate::recorded::{Recorded, Withdrawal};
use cohub_domain::answer;

/// One version of an idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaVersionView {
    /// The version (1, 2, ...).
    pub version: u32,
    /// Its title.
    pub title: PlainText,
    /// Its summary.
    pub summary: PlainText,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// The feedback this version answers (its revision named it).
    #[serde(default)]
    pub answers: Vec<FeedbackId>,
    /// Who wrote it, when.
    pub recorded: Recorded,
}

/// A response in a feedback thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseView {
    /// The response.
    pub text: PlainText,
    /// Who responded, when.
    pub recorded: Recorded,
}

/// A piece of feedback and the responses to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackThread {
    /// The feedback's id.
    pub id: FeedbackId,
    /// What it says.
    pub text: PlainText,
    /// Who gave it, for which organisation, when.
    pub given: Recorded,
    /// Responses, in order.
    pub responses: Vec<ResponseView>,
    /// Whether it was acknowledged and answered.
    pub heard: Heard,
}

/// A recorded decision on an idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    /// Shortlist or decline.
    pub outcome: IdeaOutcome,
    /// The idea's version decided on.
    pub version: u32,
    /// Options considered, preferences stated, rationale.
    pub decision: Decision,
    /// Seconds of deliberation: from the idea's latest version (its proposal or latest
    /// revision, the one decided on) to the decision, the time the hub's minimum applies to
    /// (as in the domain's `IdeaState::deliberation_started_at`).
    pub deliberation_seconds: i64,
    /// The hub's minimum deliberation time when it was decided.
    pub minimum_deliberation_seconds: u64,
    /// Who recorded it, when.
    pub recorded: Recorded,
}

/// An idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaView {
    /// Its id.
    pub id: IdeaId,
    /// The problem it answers.
    pub problem_id: ProblemId,
    /// Its hub.
    pub hub_id: HubId,
    /// Who proposed it (the author of every version).
    pub author: MemberId,
    /// When it was proposed, by whom, for which organisation.
    pub proposed: Recorded,
    /// When proposed by a champion on behalf of residents.
    pub on_behalf_of: Option<OnBehalfOf>,
    /// Every version, oldest first (never empty).
    pub versions: Vec<IdeaVersionView>,
    /// Supports, in order.
    pub supports: Vec<Recorded>,
    /// Feedback threads, in order. Each is shared, not copied, when the view is copied (the
    /// projector copies an idea's view whenever readers still hold the one before): an idea's
    /// feedback grows with every piece given.
    pub feedback: Vec<Arc<FeedbackThread>>,
    /// Recorded decisions, in order.
    pub decisions: Vec<DecisionView>,
    /// The status.
    pub status: IdeaStatus,
    /// Why and by whom it was withdrawn, if it was.
    pub withdrawal: Option<Withdrawal>,
    /// Whether the idea was acknowledged and answered.
    pub heard: Heard,
    /// Distributions proposed for it, in order.
    pub distribution_ids: Vec<DistributionId>,
    /// The idea's latest event.
    pub updated: Recorded,
}

impl IdeaView {
    /// The cursor of this idea in lists: the position it was proposed at.
    pub fn cursor(&self) -> u64 {
        self.proposed.position
    }

    /// The latest version.
    pub fn latest(&self) -> &IdeaVersionView {
        self.versions
            .last()
            .expect("an idea has at least one version")
    }

    /// A feedback thread by id.
    pub fn feedback(&self, id: FeedbackId) -> Option<&FeedbackThread> {
        self.feedback.iter().find(|f| f.id == id).map(Arc::as_ref)
    }
}

impl ReadModel {
    /// An idea by id.
    pub fn idea(&self, id: IdeaId) -> Option<&IdeaView> {
        self.ideas.get(&id).map(Arc::as_ref)
    }

    /// A hub's ideas, optionally for one problem and in one status, in the order they were
    /// proposed (cursor: [`IdeaView::cursor`]).
    pub fn ideas(
        &self,
        hub_id: HubId,
        problem_id: Option<ProblemId>,
        status: Option<IdeaStatus>,
        page_of: Page,
    ) -> Vec<&IdeaView> {
        let Some(hub) = self.hub(hub_id) else {
            return Vec::new();
        };
        let v: Vec<_> = hub
            .idea_ids
            .iter()
            .filter_map(|id| self.idea(*id))
            .filter(|i| problem_id.is_none_or(|p| i.problem_id == p))
            .filter(|i| status.is_none_or(|s| i.status == s))
            .collect();
        page(v, page_of, |i| i.cursor())
    }
}

/// Folds an idea event into the model.
pub(crate) fn apply(
    model: &mut ReadModel,
    rec: &Recorded,
    event: &IdeaEvent,
) -> Result<(), ReadError> {
    let position = rec.position;
    if let IdeaEvent::IdeaProposed(e) = event {
        if model.ideas.contains_key(&e.idea_id) {
            return Err(ReadError::Inconsistent {
                position,
                message: format!("idea {} was already proposed", e.idea_id),
            });
        }
        model.hub_mut(e.hub_id, position)?;
        model.problem_mut(e.problem_id, position)?;
        let answers = answer::by_idea_event(event);
        check_answers(model, position, &answers)?;
        record_answers(model, rec, &answers);
        model
            .problem_mut(e.problem_id, position)?
            .idea_ids
            .push(e.idea_id);
        model
            .hub_mut(e.hub_id, position)?
            .idea_ids
            .push_back(e.idea_id);
        model.ideas.insert(
            e.idea_id,
            Arc::new(IdeaView {
                id: e.idea_id,
                problem_id: e.problem_id,
                hub_id: e.hub_id,
                author: e.by,
                proposed: rec.clone(),
                on_behalf_of: e.on_behalf_of.clone(),
                versions: vec![IdeaVersionView {
                    version: e.version,
                    title: e.title.clone(),
                    summary: e.summary.clone(),
                    rationale: None,
                    answers: Vec::new(),
                    recorded: rec.clone(),
                }],
                supports: Vec::new(),
                feedback: Vec::new(),
                decisions: Vec::new(),
                status: IdeaStatus::Proposed,
                withdrawal: None,
                heard: Heard::default(),
                distribution_ids: Vec::new(),
                updated: rec.clone(),
            }),
        );
        return Ok(());
    }
    let minimum = model
        .ideas
        .get(&event.idea_id())
        .and_then(|i| model.hubs.get(&i.hub_id))
        .map_or(0, |h| h.minimum_deliberation_seconds);
    model.idea_mut(event.idea_id(), position)?;
    let answers = answer::by_idea_event(event);
    check_answers(model, position, &answers)?;
    let idea = model.idea_mut(event.idea_id(), position)?;
    let missing_feedback = |id: FeedbackId| ReadError::Inconsistent {
        position,
        message: format!("feedback {id} is not on idea {}", event.idea_id()),
    };
    match event {
        IdeaEvent::IdeaProposed(_) => unreachable!("handled above"),
        IdeaEvent::IdeaRevised(e) => idea.versions.push(IdeaVersionView {
            version: e.version,
            title: e.title.clone(),
            summary: e.summary.clone(),
            rationale: Some(e.rationale.clone()),
            answers: e.answers.clone(),
            recorded: rec.clone(),
        }),
        IdeaEvent::IdeaSupported(_) => idea.supports.push(rec.clone()),
        IdeaEvent::FeedbackGiven(e) => {
            idea.feedback.push(Arc::new(FeedbackThread {
                id: e.feedback_id,
                text: e.text.clone(),
                given: rec.clone(),
                responses: Vec::new(),
                heard: Heard::default(),
            }));
        }
        IdeaEvent::FeedbackResponded(e) => {
            let thread = idea
                .feedback
                .iter_mut()
                .find(|f| f.id == e.feedback_id)
                .map(Arc::make_mut)
                .ok_or_else(|| missing_feedback(e.feedback_id))?;
            thread.responses.push(ResponseView {
                text: e.text.clone(),
                recorded: rec.clone(),
            });
        }
        IdeaEvent::IdeaContributionAcknowledged(e) => match e.contribution {
            IdeaContribution::Idea => idea.heard.acknowledge(e.note.clone(), rec),
            IdeaContribution::Feedback(id) => idea
                .feedback
                .iter_mut()
                .find(|f| f.id == id)
                .map(Arc::make_mut)
                .ok_or_else(|| missing_feedback(id))?
                .heard
                .acknowledge(e.note.clone(), rec),
        },
        IdeaEvent::IdeaShortlisted(e) => record_decision(
            idea,
            IdeaOutcome::Shortlist,
            e.version,
            &e.decision,
            minimum,
            rec,
        ),
        IdeaEvent::IdeaDeclined(e) => record_decision(
            idea,
            IdeaOutcome::Decline,
            e.version,
            &e.decision,
            minimum,
            rec,
        ),
        IdeaEvent::IdeaWithdrawn(e) => {
            idea.status = IdeaStatus::Withdrawn;
            idea.withdrawal = Some(Withdrawal {
                reason: e.reason.clone(),
                recorded: rec.clone(),
            });
        }
    }
    idea.updated = rec.clone();
    record_answers(model, rec, &answers);
    Ok(())
}

fn record_decision(
    idea: &mut IdeaView,
    outcome: IdeaOutcome,
    version: u32,
    decision: &Decision,
    minimum: u64,
    rec: &Recorded,
) {
    idea.status = match outcome {
        IdeaOutcome::Shortlist => IdeaStatus::Shortlisted,
        IdeaOutcome::Decline => IdeaStatus::Declined,
    };
    let deliberation_started = idea.latest().recorded.at;
    idea.decisions.push(DecisionView {
        outcome,
        version,
        decision: decision.clone(),
        deliberation_seconds: (rec.at - deliberation_started).num_seconds(),
        minimum_deliberation_seconds: minimum,
        recorded: rec.clone(),
    });
}
