//! An idea's state, folded from its events. Old versions stay readable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::command::{Decision, IdeaContribution, IdeaOutcome, OnBehalfOf};
use super::event::IdeaEvent;
use crate::ids::{FeedbackId, HubId, IdeaId, MemberId, ProblemId};
use crate::text::PlainText;

/// Where an idea is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    /// Proposed, no decision yet.
    #[default]
    Proposed,
    /// Taken forward.
    Shortlisted,
    /// Not taken forward.
    Declined,
    /// Withdrawn by its author.
    Withdrawn,
}

impl IdeaStatus {
    /// Whether the idea still takes revisions, support, feedback and distributions.
    pub fn is_open(self) -> bool {
        matches!(self, IdeaStatus::Proposed | IdeaStatus::Shortlisted)
    }
}

/// One version of an idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaVersion {
    /// The version number.
    pub version: u32,
    /// Its title.
    pub title: PlainText,
    /// Its summary.
    pub summary: PlainText,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// Who wrote it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A member's support.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Support {
    /// Who.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A response to feedback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackResponse {
    /// The response.
    pub text: PlainText,
    /// Who responded.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Feedback on the idea, with its response if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// Its id.
    pub id: FeedbackId,
    /// What it says.
    pub text: PlainText,
    /// Who gave it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
    /// The response, once given.
    pub response: Option<FeedbackResponse>,
}

/// An acknowledgement of a contribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaAcknowledgement {
    /// Which contribution.
    pub contribution: IdeaContribution,
    /// Its author.
    pub author: MemberId,
    /// An optional note.
    pub note: Option<PlainText>,
    /// Who acknowledged it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A recorded decision on the idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedDecision {
    /// Shortlist or decline.
    pub outcome: IdeaOutcome,
    /// The version decided on.
    pub version: u32,
    /// The record.
    pub decision: Decision,
    /// Who recorded it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// An idea's state. `Default` is the state before it is proposed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaState {
    /// The idea's id (nil until proposed).
    pub idea_id: IdeaId,
    /// The problem it answers.
    pub problem_id: ProblemId,
    /// The hub.
    pub hub_id: HubId,
    /// Whether it has been proposed.
    pub proposed: bool,
    /// Who proposed it (the author of every version).
    pub proposed_by: Option<MemberId>,
    /// When it was proposed.
    pub proposed_at: Option<DateTime<Utc>>,
    /// On behalf of residents, if so.
    pub on_behalf_of: Option<OnBehalfOf>,
    /// Every version, oldest first.
    pub versions: Vec<IdeaVersion>,
    /// Support, in order.
    pub supporters: Vec<Support>,
    /// Feedback, in order. Each piece is shared, not copied, when the state is copied: an
    /// idea's feedback grows with every piece given, and a command copies its idea's state.
    pub feedback: Vec<Arc<Feedback>>,
    /// Acknowledgements, in order.
    pub acknowledgements: Vec<IdeaAcknowledgement>,
    /// Decisions, in order.
    pub decisions: Vec<RecordedDecision>,
    /// The status.
    pub status: IdeaStatus,
    /// Why it was withdrawn, if it was.
    pub withdrawal_reason: Option<PlainText>,
}

impl IdeaState {
    /// Whether the idea has been proposed.
    pub fn exists(&self) -> bool {
        self.proposed
    }

    /// The latest version number (0 before proposal).
    pub fn version(&self) -> u32 {
        self.versions.last().map_or(0, |v| v.version)
    }

    /// The latest version.
    pub fn latest(&self) -> Option<&IdeaVersion> {
        self.versions.last()
    }

    /// When deliberation on the idea as it now stands began: its latest version (the proposal,
    /// or the latest revision). The hub's minimum deliberation time runs from here.
    pub fn deliberation_started_at(&self) -> Option<DateTime<Utc>> {
        self.latest().map(|v| v.at)
    }

    /// Feedback by id.
    pub fn feedback(&self, id: FeedbackId) -> Option<&Feedback> {
        self.feedback.iter().find(|f| f.id == id).map(Arc::as_ref)
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &IdeaEvent) {
        match event {
            IdeaEvent::IdeaProposed(e) => {
                self.idea_id = e.idea_id;
                self.problem_id = e.problem_id;
                self.hub_id = e.hub_id;
                self.proposed = true;
                self.proposed_by = Some(e.by);
                self.proposed_at = Some(e.at);
                self.on_behalf_of = e.on_behalf_of.clone();
                self.versions.push(IdeaVersion {
                    version: e.version,
                    title: e.title.clone(),
                    summary: e.summary.clone(),
                    rationale: None,
                    by: e.by,
                    at: e.at,
                });
            }
            IdeaEvent::IdeaRevised(e) => self.versions.push(IdeaVersion {
                version: e.version,
                title: e.title.clone(),
                summary: e.summary.clone(),
                rationale: Some(e.rationale.clone()),
                by: e.by,
                at: e.at,
            }),
            IdeaEvent::IdeaSupported(e) => self.supporters.push(Support { by: e.by, at: e.at }),
            IdeaEvent::FeedbackGiven(e) => self.feedback.push(Arc::new(Feedback {
                id: e.feedback_id,
                text: e.text.clone(),
                by: e.by,
                at: e.at,
                response: None,
            })),
            IdeaEvent::FeedbackResponded(e) => {
                if let Some(f) = self.feedback.iter_mut().find(|f| f.id == e.feedback_id) {
                    Arc::make_mut(f).response = Some(FeedbackResponse {
                        text: e.text.clone(),
                        by: e.by,
                        at: e.at,
                    });
                }
            }
            IdeaEvent::IdeaContributionAcknowledged(e) => {
                self.acknowledgements.push(IdeaAcknowledgement {
                    contribution: e.contribution,
                    author: e.author,
                    note: e.note.clone(),
                    by: e.by,
                    at: e.at,
                })
            }
            IdeaEvent::IdeaShortlisted(e) => {
                self.status = IdeaStatus::Shortlisted;
                self.decisions.push(RecordedDecision {
                    outcome: IdeaOutcome::Shortlist,
                    version: e.version,
                    decision: e.decision.clone(),
                    by: e.by,
                    at: e.at,
                });
            }
            IdeaEvent::IdeaDeclined(e) => {
                self.status = IdeaStatus::Declined;
                self.decisions.push(RecordedDecision {
                    outcome: IdeaOutcome::Decline,
                    version: e.version,
                    decision: e.decision.clone(),
                    by: e.by,
                    at: e.at,
                });
            }
            IdeaEvent::IdeaWithdrawn(e) => {
                self.status = IdeaStatus::Withdrawn;
                self.withdrawal_reason = Some(e.reason.clone());
            }
        }
    }

    /// Folds events into a state, starting from this one.
    pub fn folded<'a>(mut self, events: impl IntoIterator<Item = &'a IdeaEvent>) -> Self {
        for e in events {
            self.apply(e);
        }
        self
    }
}

/// Evolves an idea state by one event.
pub fn evolve(mut state: IdeaState, event: &IdeaEvent) -> IdeaState {
    state.apply(event);
    state
}
