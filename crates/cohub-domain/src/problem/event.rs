//! What happened to a problem.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::{Framing, PerspectiveKind, ProblemContribution};
use super::state::ProblemStage;
use crate::codec::event_codec;
use crate::ids::{HubId, MemberId, PerspectiveId, ProblemId};
use crate::names::Names;
use crate::text::PlainText;

/// A problem was framed (version 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemFramed {
    /// The problem.
    pub problem_id: ProblemId,
    /// The hub.
    pub hub_id: HubId,
    /// Always 1.
    pub version: u32,
    /// The framing.
    pub framing: Framing,
    /// Who framed it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A perspective was added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerspectiveAdded {
    /// The problem.
    pub problem_id: ProblemId,
    /// The perspective.
    pub perspective_id: PerspectiveId,
    /// Its kind.
    pub kind: PerspectiveKind,
    /// What it says.
    pub text: PlainText,
    /// Who added it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The framing was revised by its author as a new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemRevised {
    /// The problem.
    pub problem_id: ProblemId,
    /// The new version number.
    pub version: u32,
    /// The new framing.
    pub framing: Framing,
    /// Why it changed.
    pub rationale: PlainText,
    /// The perspectives it answers (none in revisions recorded before revisions named them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<PerspectiveId>,
    /// Who revised it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A member endorsed the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemEndorsed {
    /// The problem.
    pub problem_id: ProblemId,
    /// Who endorsed it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The problem moved to another stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemStageMoved {
    /// The problem.
    pub problem_id: ProblemId,
    /// The stage before.
    pub from: ProblemStage,
    /// The stage now.
    pub to: ProblemStage,
    /// Why.
    pub reason: PlainText,
    /// Who moved it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Someone acknowledged another person's contribution to the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemContributionAcknowledged {
    /// The problem.
    pub problem_id: ProblemId,
    /// Which contribution.
    pub contribution: ProblemContribution,
    /// Who made the contribution.
    pub author: MemberId,
    /// An optional note.
    pub note: Option<PlainText>,
    /// Who acknowledged it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Something that happened to a problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum ProblemEvent {
    /// See [`ProblemFramed`].
    ProblemFramed(ProblemFramed),
    /// See [`PerspectiveAdded`].
    PerspectiveAdded(PerspectiveAdded),
    /// See [`ProblemRevised`].
    ProblemRevised(ProblemRevised),
    /// See [`ProblemEndorsed`].
    ProblemEndorsed(ProblemEndorsed),
    /// See [`ProblemStageMoved`].
    ProblemStageMoved(ProblemStageMoved),
    /// See [`ProblemContributionAcknowledged`].
    ProblemContributionAcknowledged(ProblemContributionAcknowledged),
}

event_codec!(ProblemEvent {
    ProblemFramed(ProblemFramed) = "ProblemFramed",
    PerspectiveAdded(PerspectiveAdded) = "PerspectiveAdded",
    ProblemRevised(ProblemRevised) = "ProblemRevised",
    ProblemEndorsed(ProblemEndorsed) = "ProblemEndorsed",
    ProblemStageMoved(ProblemStageMoved) = "ProblemStageMoved",
    ProblemContributionAcknowledged(ProblemContributionAcknowledged) = "ProblemContributionAcknowledged",
});

impl ProblemEvent {
    /// The problem the event belongs to.
    pub fn problem_id(&self) -> ProblemId {
        match self {
            ProblemEvent::ProblemFramed(e) => e.problem_id,
            ProblemEvent::PerspectiveAdded(e) => e.problem_id,
            ProblemEvent::ProblemRevised(e) => e.problem_id,
            ProblemEvent::ProblemEndorsed(e) => e.problem_id,
            ProblemEvent::ProblemStageMoved(e) => e.problem_id,
            ProblemEvent::ProblemContributionAcknowledged(e) => e.problem_id,
        }
    }

    /// Who did it.
    pub fn by(&self) -> MemberId {
        match self {
            ProblemEvent::ProblemFramed(e) => e.by,
            ProblemEvent::PerspectiveAdded(e) => e.by,
            ProblemEvent::ProblemRevised(e) => e.by,
            ProblemEvent::ProblemEndorsed(e) => e.by,
            ProblemEvent::ProblemStageMoved(e) => e.by,
            ProblemEvent::ProblemContributionAcknowledged(e) => e.by,
        }
    }

    /// When it happened (as decided).
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            ProblemEvent::ProblemFramed(e) => e.at,
            ProblemEvent::PerspectiveAdded(e) => e.at,
            ProblemEvent::ProblemRevised(e) => e.at,
            ProblemEvent::ProblemEndorsed(e) => e.at,
            ProblemEvent::ProblemStageMoved(e) => e.at,
            ProblemEvent::ProblemContributionAcknowledged(e) => e.at,
        }
    }

    /// The stream the event belongs to.
    pub fn stream_id(&self) -> String {
        self.problem_id().stream_id()
    }

    /// A plain-language description of what happened.
    pub fn summary(&self, names: &dyn Names) -> String {
        let who = names.member(self.by());
        match self {
            ProblemEvent::ProblemFramed(e) => {
                format!("{who} framed a problem: \"{}\"", e.framing.title)
            }
            ProblemEvent::PerspectiveAdded(e) => {
                format!("{who} added a {} perspective: {}", e.kind.words(), e.text)
            }
            ProblemEvent::ProblemRevised(e) => format!(
                "{who} revised the problem as version {}: {}{}",
                e.version,
                e.rationale,
                crate::answer::naming(e.answers.len(), "perspective", "perspectives")
            ),
            ProblemEvent::ProblemEndorsed(_) => format!("{who} said this problem matters to them."),
            ProblemEvent::ProblemStageMoved(e) => format!(
                "{who} moved the problem from {} to {}: {}",
                e.from.words(),
                e.to.words(),
                e.reason
            ),
            ProblemEvent::ProblemContributionAcknowledged(e) => {
                let what = match e.contribution {
                    ProblemContribution::Problem => "framing of the problem",
                    ProblemContribution::Perspective(_) => "perspective",
                };
                format!("{who} acknowledged {}'s {what}.", names.member(e.author))
            }
        }
    }
}
