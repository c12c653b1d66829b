//! A problem's state, folded from its events. Old versions stay readable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::{Framing, PerspectiveKind, ProblemContribution};
use super::event::ProblemEvent;
use crate::ids::{HubId, MemberId, PerspectiveId, ProblemId};
use crate::text::PlainText;

/// Where a problem is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemStage {
    /// Newly framed.
    #[default]
    Open,
    /// Being understood.
    Exploring,
    /// Ideas are being developed.
    DevelopingSolutions,
    /// Finished with.
    Closed,
    /// Put aside for now.
    Parked,
}

impl ProblemStage {
    /// Plain words for the stage.
    pub fn words(&self) -> &'static str {
        match self {
            ProblemStage::Open => "open",
            ProblemStage::Exploring => "exploring",
            ProblemStage::DevelopingSolutions => "developing solutions",
            ProblemStage::Closed => "closed",
            ProblemStage::Parked => "parked",
        }
    }

    /// Whether a move from this stage to `to` is allowed:
    /// open → exploring, developing solutions, parked, closed;
    /// exploring → open, developing solutions, parked, closed;
    /// developing solutions → exploring, parked, closed;
    /// parked → open, exploring; closed → open (reopening).
    pub fn can_move_to(self, to: ProblemStage) -> bool {
        use ProblemStage::*;
        matches!(
            (self, to),
            (Open, Exploring | DevelopingSolutions | Parked | Closed)
                | (Exploring, Open | DevelopingSolutions | Parked | Closed)
                | (DevelopingSolutions, Exploring | Parked | Closed)
                | (Parked, Open | Exploring)
                | (Closed, Open)
        )
    }

    /// Whether ideas may be proposed for a problem in this stage.
    pub fn accepts_ideas(self) -> bool {
        !matches!(self, ProblemStage::Closed | ProblemStage::Parked)
    }
}

/// One version of a problem's framing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemVersion {
    /// The version number (1, 2, ...).
    pub version: u32,
    /// The framing.
    pub framing: Framing,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// Who wrote it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A perspective on the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perspective {
    /// Its id.
    pub id: PerspectiveId,
    /// Its kind.
    pub kind: PerspectiveKind,
    /// What it says.
    pub text: PlainText,
    /// Who added it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A member's endorsement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endorsement {
    /// Who.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A move between stages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMove {
    /// From.
    pub from: ProblemStage,
    /// To.
    pub to: ProblemStage,
    /// Why.
    pub reason: PlainText,
    /// Who.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// An acknowledgement of a contribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemAcknowledgement {
    /// Which contribution.
    pub contribution: ProblemContribution,
    /// Its author.
    pub author: MemberId,
    /// An optional note.
    pub note: Option<PlainText>,
    /// Who acknowledged it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A problem's state. `Default` is the state before it is framed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemState {
    /// The problem's id (nil until framed).
    pub problem_id: ProblemId,
    /// The hub it belongs to.
    pub hub_id: HubId,
    /// Whether it has been framed.
    pub framed: bool,
    /// Who framed it (the author of every version).
    pub framed_by: Option<MemberId>,
    /// Every version, oldest first.
    pub versions: Vec<ProblemVersion>,
    /// Perspectives, in order.
    pub perspectives: Vec<Perspective>,
    /// Endorsements, in order.
    pub endorsements: Vec<Endorsement>,
    /// The current stage.
    pub stage: ProblemStage,
    /// Every stage move, in order.
    pub stage_moves: Vec<StageMove>,
    /// Acknowledgements, in order.
    pub acknowledgements: Vec<ProblemAcknowledgement>,
}

impl ProblemState {
    /// Whether the problem has been framed.
    pub fn exists(&self) -> bool {
        self.framed
    }

    /// The latest version.
    pub fn latest(&self) -> Option<&ProblemVersion> {
        self.versions.last()
    }

    /// The latest version number (0 before framing).
    pub fn version(&self) -> u32 {
        self.latest().map_or(0, |v| v.version)
    }

    /// A perspective by id.
    pub fn perspective(&self, id: PerspectiveId) -> Option<&Perspective> {
        self.perspectives.iter().find(|p| p.id == id)
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &ProblemEvent) {
        match event {
            ProblemEvent::ProblemFramed(e) => {
                self.problem_id = e.problem_id;
                self.hub_id = e.hub_id;
                self.framed = true;
                self.framed_by = Some(e.by);
                self.versions.push(ProblemVersion {
                    version: e.version,
                    framing: e.framing.clone(),
                    rationale: None,
                    by: e.by,
                    at: e.at,
                });
            }
            ProblemEvent::PerspectiveAdded(e) => self.perspectives.push(Perspective {
                id: e.perspective_id,
                kind: e.kind,
                text: e.text.clone(),
                by: e.by,
                at: e.at,
            }),
            ProblemEvent::ProblemRevised(e) => self.versions.push(ProblemVersion {
                version: e.version,
                framing: e.framing.clone(),
                rationale: Some(e.rationale.clone()),
                by: e.by,
                at: e.at,
            }),
            ProblemEvent::ProblemEndorsed(e) => {
                self.endorsements.push(Endorsement { by: e.by, at: e.at })
            }
            ProblemEvent::ProblemStageMoved(e) => {
                self.stage = e.to;
                self.stage_moves.push(StageMove {
                    from: e.from,
                    to: e.to,
                    reason: e.reason.clone(),
                    by: e.by,
                    at: e.at,
                });
            }
            ProblemEvent::ProblemContributionAcknowledged(e) => {
                self.acknowledgements.push(ProblemAcknowledgement {
                    contribution: e.contribution,
                    author: e.author,
                    note: e.note.clone(),
                    by: e.by,
                    at: e.at,
                })
            }
        }
    }

    /// Folds events into a state, starting from this one.
    pub fn folded<'a>(mut self, events: impl IntoIterator<Item = &'a ProblemEvent>) -> Self {
        for e in events {
            self.apply(e);
        }
        self
    }
}

/// Evolves a problem state by one event.
pub fn evolve(mut state: ProblemState, event: &ProblemEvent) -> ProblemState {
    state.apply(event);
    state
}
