//! The problem read model: every version of the framing, perspectives, endorsements,
//! acknowledgements and the stage history.

use std::sync::Arc;

use cohub_domain::problem::{
    Framing, PerspectiveKind, ProblemContribution, ProblemEvent, ProblemStage,
};
use cohub_domain::text::PlainText;
use cohub_domain::{HubId, IdeaId, MemberId, PerspectiveId, ProblemId};
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::heard::{check_answers, record_answers, Heard};
use crate::model::ReadModel;
use crate::page::{page, Page};
use crate::recorded::Recorded;
use cohub_domain::answer;

/// One version of a problem's framing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemVersionView {
    /// The version (1, 2, ...).
    pub version: u32,
    /// The framing.
    pub framing: Framing,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// The perspectives this version answers (its revision named them).
    #[serde(default)]
    pub answers: Vec<PerspectiveId>,
    /// Who wrote it, when.
    pub recorded: Recorded,
}

/// A perspective on a problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerspectiveView {
    /// Its id.
    pub id: PerspectiveId,
    /// Its kind.
    pub kind: PerspectiveKind,
    /// What it says.
    pub text: PlainText,
    /// Who added it, for which organisation, when.
    pub recorded: Recorded,
    /// Whether it was acknowledged and answered.
    pub heard: Heard,
}

/// A move between stages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMoveView {
    /// From.
    pub from: ProblemStage,
    /// To.
    pub to: ProblemStage,
    /// Why.
    pub reason: PlainText,
    /// Who moved it, when.
    pub recorded: Recorded,
}

/// A problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemView {
    /// Its id.
    pub id: ProblemId,
    /// Its hub.
    pub hub_id: HubId,
    /// Who framed it (the author of every version).
    pub author: MemberId,
    /// When it was framed, by whom, for which organisation.
    pub framed: Recorded,
    /// Every version, oldest first (never empty).
    pub versions: Vec<ProblemVersionView>,
    /// Perspectives, in order.
    pub perspectives: Vec<PerspectiveView>,
    /// Endorsements ("this matters to us"), in order.
    pub endorsements: Vec<Recorded>,
    /// The current stage.
    pub stage: ProblemStage,
    /// Every stage move, in order.
    pub stage_history: Vec<StageMoveView>,
    /// Whether the framing was acknowledged and answered.
    pub heard: Heard,
    /// Ideas proposed for it, in order.
    pub idea_ids: Vec<IdeaId>,
    /// The problem's latest event.
    pub updated: Recorded,
}

impl ProblemView {
    /// The cursor of this problem in lists: the position it was framed at.
    pub fn cursor(&self) -> u64 {
        self.framed.position
    }

    /// The latest version.
    pub fn latest(&self) -> &ProblemVersionView {
        self.versions
            .last()
            .expect("a problem has at least one version")
    }

    /// A version by number.
    pub fn version(&self, version: u32) -> Option<&ProblemVersionView> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// A perspective by id.
    pub fn perspective(&self, id: PerspectiveId) -> Option<&PerspectiveView> {
        self.perspectives.iter().find(|p| p.id == id)
    }
}

impl ReadModel {
    /// A problem by id.
    pub fn problem(&self, id: ProblemId) -> Option<&ProblemView> {
        self.problems.get(&id).map(Arc::as_ref)
    }

    /// A hub's problems, optionally in one stage, in the order they were framed
    /// (cursor: [`ProblemView::cursor`]).
    pub fn problems(
        &self,
        hub_id: HubId,
        stage: Option<ProblemStage>,
        page_of: Page,
    ) -> Vec<&ProblemView> {
        let Some(hub) = self.hub(hub_id) else {
            return Vec::new();
        };
        let v: Vec<_> = hub
            .problem_ids
            .iter()
            .filter_map(|id| self.problem(*id))
            .filter(|p| stage.is_none_or(|s| p.stage == s))
            .collect();
        page(v, page_of, |p| p.cursor())
    }
}

/// Folds a problem event into the model.
pub(crate) fn apply(
    model: &mut ReadModel,
    rec: &Recorded,
    event: &ProblemEvent,
) -> Result<(), ReadError> {
    let position = rec.position;
    if let ProblemEvent::ProblemFramed(e) = event {
        if model.problems.contains_key(&e.problem_id) {
            return Err(ReadError::Inconsistent {
                position,
                message: format!("problem {} was already framed", e.problem_id),
            });
        }
        model
            .hub_mut(e.hub_id, position)?
            .problem_ids
            .push_back(e.problem_id);
        model.problems.insert(
            e.problem_id,
            Arc::new(ProblemView {
                id: e.problem_id,
                hub_id: e.hub_id,
                author: e.by,
                framed: rec.clone(),
                versions: vec![ProblemVersionView {
                    version: e.version,
                    framing: e.framing.clone(),
                    rationale: None,
                    answers: Vec::new(),
                    recorded: rec.clone(),
                }],
                perspectives: Vec::new(),
                endorsements: Vec::new(),
                stage: ProblemStage::default(),
                stage_history: Vec::new(),
                heard: Heard::default(),
                idea_ids: Vec::new(),
                updated: rec.clone(),
            }),
        );
        return Ok(());
    }
    model.problem_mut(event.problem_id(), position)?;
    let answers = answer::by_problem_event(event);
    check_answers(model, position, &answers)?;
    let problem = model.problem_mut(event.problem_id(), position)?;
    match event {
        ProblemEvent::ProblemFramed(_) => unreachable!("handled above"),
        ProblemEvent::PerspectiveAdded(e) => {
            problem.perspectives.push(PerspectiveView {
                id: e.perspective_id,
                kind: e.kind,
                text: e.text.clone(),
                recorded: rec.clone(),
                heard: Heard::default(),
            });
        }
        ProblemEvent::ProblemRevised(e) => problem.versions.push(ProblemVersionView {
            version: e.version,
            framing: e.framing.clone(),
            rationale: Some(e.rationale.clone()),
            answers: e.answers.clone(),
            recorded: rec.clone(),
        }),
        ProblemEvent::ProblemEndorsed(_) => problem.endorsements.push(rec.clone()),
        ProblemEvent::ProblemStageMoved(e) => {
            problem.stage = e.to;
            problem.stage_history.push(StageMoveView {
                from: e.from,
                to: e.to,
                reason: e.reason.clone(),
                recorded: rec.clone(),
            });
        }
        ProblemEvent::ProblemContributionAcknowledged(e) => match e.contribution {
            ProblemContribution::Problem => problem.heard.acknowledge(e.note.clone(), rec),
            ProblemContribution::Perspective(id) => {
                let p = problem
                    .perspectives
                    .iter_mut()
                    .find(|p| p.id == id)
                    .ok_or_else(|| ReadError::Inconsistent {
                        position,
                        message: format!("perspective {id} is not on problem {}", e.problem_id),
                    })?;
                p.heard.acknowledge(e.note.clone(), rec);
            }
        },
    }
    problem.updated = rec.clone();
    record_answers(model, rec, &answers);
    Ok(())
}
