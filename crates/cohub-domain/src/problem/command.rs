//! What people ask to do with a problem.

use serde::{Deserialize, Serialize};

use super::state::ProblemStage;
use crate::error::DomainError;
use crate::ids::{HubId, PerspectiveId, ProblemId};
use crate::text::{PlainText, TextLimit};

/// The kind of a piece of evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// What residents live through.
    LivedExperience,
    /// Figures and statistics.
    Data,
    /// Clinical knowledge.
    Clinical,
}

/// A piece of evidence for a problem's framing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Its kind.
    pub kind: EvidenceKind,
    /// What it says (up to 2000 characters).
    pub text: PlainText,
}

/// The kind of a perspective on a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PerspectiveKind {
    /// What residents live through.
    LivedExperience,
    /// A clinical view.
    Clinical,
    /// A commissioning view.
    Commissioning,
    /// What the data show.
    Data,
    /// The social causes behind it: housing, income, language, work.
    SocialCauses,
}

impl PerspectiveKind {
    /// Plain words for the kind.
    pub fn words(&self) -> &'static str {
        match self {
            PerspectiveKind::LivedExperience => "lived experience",
            PerspectiveKind::Clinical => "clinical",
            PerspectiveKind::Commissioning => "commissioning",
            PerspectiveKind::Data => "data",
            PerspectiveKind::SocialCauses => "social causes",
        }
    }
}

/// How a problem is framed (one version of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framing {
    /// A plain-language title (up to 200 characters).
    pub title: PlainText,
    /// The problem statement (up to 4000 characters).
    pub statement: PlainText,
    /// Who is affected (up to 2000 characters).
    pub affected: PlainText,
    /// Where (up to 200 characters).
    pub place: PlainText,
    /// Evidence (at most 20 items).
    pub evidence: Vec<Evidence>,
}

/// The most evidence items a framing may carry.
pub const MAX_EVIDENCE: usize = 20;

impl Framing {
    /// Validates lengths and languages.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.title.validate("title", TextLimit::Title)?;
        self.statement
            .validate("problem statement", TextLimit::Summary)?;
        self.affected
            .validate("description of who is affected", TextLimit::Reason)?;
        self.place.validate("place", TextLimit::Title)?;
        if self.evidence.len() > MAX_EVIDENCE {
            return Err(DomainError::validation(format!(
                "A problem can list at most {MAX_EVIDENCE} pieces of evidence."
            )));
        }
        for e in &self.evidence {
            e.text.validate("evidence", TextLimit::Reason)?;
        }
        Ok(())
    }
}

/// A contribution to a problem that can be acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ProblemContribution {
    /// The problem's framing itself.
    Problem,
    /// A perspective added to it.
    Perspective(PerspectiveId),
}

/// A command to the problem aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum ProblemCommand {
    /// Frame a new problem in a hub (anyone).
    FrameProblem {
        /// The new problem's id.
        problem_id: ProblemId,
        /// The hub.
        hub_id: HubId,
        /// The framing.
        framing: Framing,
    },
    /// Add a perspective (anyone).
    AddPerspective {
        /// The problem.
        problem_id: ProblemId,
        /// The new perspective's id.
        perspective_id: PerspectiveId,
        /// Its kind.
        kind: PerspectiveKind,
        /// What it says (up to 2000 characters).
        text: PlainText,
    },
    /// Revise the framing as a new version (its author only).
    ReviseProblem {
        /// The problem.
        problem_id: ProblemId,
        /// The new framing.
        framing: Framing,
        /// Why it changed.
        rationale: PlainText,
        /// The perspectives on this problem that the revision answers (other people's, each
        /// once); perspectives it does not name stay unanswered.
        #[serde(default)]
        answers: Vec<PerspectiveId>,
    },
    /// Say "this matters to us" (once per member).
    EndorseProblem {
        /// The problem.
        problem_id: ProblemId,
    },
    /// Move the problem to another stage, with a reason (its framer or a facilitator).
    MoveProblemStage {
        /// The problem.
        problem_id: ProblemId,
        /// The new stage.
        to: ProblemStage,
        /// Why.
        reason: PlainText,
    },
    /// Acknowledge someone else's contribution.
    AcknowledgeProblemContribution {
        /// The problem.
        problem_id: ProblemId,
        /// Which contribution.
        contribution: ProblemContribution,
        /// An optional note.
        note: Option<PlainText>,
    },
}

impl ProblemCommand {
    /// The problem this command is for.
    pub fn problem_id(&self) -> ProblemId {
        match self {
            ProblemCommand::FrameProblem { problem_id, .. }
            | ProblemCommand::AddPerspective { problem_id, .. }
            | ProblemCommand::ReviseProblem { problem_id, .. }
            | ProblemCommand::EndorseProblem { problem_id }
            | ProblemCommand::MoveProblemStage { problem_id, .. }
            | ProblemCommand::AcknowledgeProblemContribution { problem_id, .. } => *problem_id,
        }
    }
}
