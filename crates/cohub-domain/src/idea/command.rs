//! What people ask to do with an idea.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{FeedbackId, IdeaId, OrganisationId, ProblemId};
use crate::text::{PlainText, TextLimit};

/// A champion's proposal on behalf of residents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnBehalfOf {
    /// Which residents, described in plain words (up to 2000 characters).
    pub residents: PlainText,
    /// Whether the residents asked not to be named (the description then names no one).
    pub anonymous: bool,
    /// How the residents agreed to be represented, in plain words (up to 2000 characters):
    /// required for every new proposal; `None` only in proposals recorded before it was asked
    /// for, which show it as not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how_residents_agreed: Option<PlainText>,
}

impl OnBehalfOf {
    /// Validates a new proposal's description of the residents and of how they agreed to be
    /// represented (which must be given).
    pub fn validate(&self) -> Result<(), DomainError> {
        self.residents
            .validate("description of the residents", TextLimit::Reason)?;
        let agreed = self.how_residents_agreed.as_ref().ok_or_else(|| {
            DomainError::validation(
                "Say how the residents agreed to be represented (for example, at a tenants' meeting, or each in person) when you propose on their behalf.",
            )
        })?;
        agreed.validate(
            "description of how the residents agreed to be represented",
            TextLimit::Reason,
        )
    }
}

/// A contribution to an idea that can be acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum IdeaContribution {
    /// The idea itself.
    Idea,
    /// A piece of feedback on it.
    Feedback(FeedbackId),
}

/// What was decided about an idea.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdeaOutcome {
    /// Taken forward.
    Shortlist,
    /// Not taken forward.
    Decline,
}

/// A preference stated during the decision, and whose it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedPreference {
    /// The organisation that stated it.
    pub organisation_id: OrganisationId,
    /// What it prefers (up to 2000 characters).
    pub preference: PlainText,
}

/// A shared decision: the options considered, the preferences stated, the rationale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The options considered (1 to 20, each up to 200 characters).
    pub options_considered: Vec<PlainText>,
    /// The preferences stated (1 to 50).
    pub preferences: Vec<StatedPreference>,
    /// Why this was decided (up to 2000 characters).
    pub rationale: PlainText,
}

impl Decision {
    /// Validates the decision's shape (not whose preferences they are).
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.options_considered.is_empty() || self.options_considered.len() > 20 {
            return Err(DomainError::validation(
                "A decision must list between 1 and 20 options that were considered.",
            ));
        }
        for o in &self.options_considered {
            o.validate("option", TextLimit::Title)?;
        }
        if self.preferences.is_empty() || self.preferences.len() > 50 {
            return Err(DomainError::validation(
                "A decision must record between 1 and 50 preferences that people stated.",
            ));
        }
        for p in &self.preferences {
            p.preference.validate("preference", TextLimit::Reason)?;
        }
        self.rationale.validate("rationale", TextLimit::Reason)
    }
}

/// A command to the idea aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum IdeaCommand {
    /// Propose an idea for a problem (anyone; only champions on behalf of residents).
    ProposeIdea {
        /// The new idea's id.
        idea_id: IdeaId,
        /// The problem it answers.
        problem_id: ProblemId,
        /// A plain-language title (up to 200 characters).
        title: PlainText,
        /// A summary (up to 4000 characters).
        summary: PlainText,
        /// When a champion proposes on behalf of residents.
        on_behalf_of: Option<OnBehalfOf>,
    },
    /// Revise as a new version (its author only).
    ReviseIdea {
        /// The idea.
        idea_id: IdeaId,
        /// The new title.
        title: PlainText,
        /// The new summary.
        summary: PlainText,
        /// Why it changed.
        rationale: PlainText,
        /// The feedback on this idea that the revision answers (other people's, each once);
        /// feedback it does not name stays unanswered.
        #[serde(default)]
        answers: Vec<FeedbackId>,
    },
    /// Support the idea (once per member).
    SupportIdea {
        /// The idea.
        idea_id: IdeaId,
    },
    /// Give feedback (anyone).
    GiveFeedback {
        /// The idea.
        idea_id: IdeaId,
        /// The new feedback's id.
        feedback_id: FeedbackId,
        /// What it says (up to 2000 characters).
        text: PlainText,
    },
    /// Respond to feedback (the idea's author, once per feedback).
    RespondToFeedback {
        /// The idea.
        idea_id: IdeaId,
        /// The feedback.
        feedback_id: FeedbackId,
        /// The response (up to 2000 characters).
        text: PlainText,
    },
    /// Acknowledge someone else's contribution.
    AcknowledgeIdeaContribution {
        /// The idea.
        idea_id: IdeaId,
        /// Which contribution.
        contribution: IdeaContribution,
        /// An optional note.
        note: Option<PlainText>,
    },
    /// Shortlist or decline, with a recorded decision (a facilitator, after the deliberation time).
    RecordIdeaDecision {
        /// The idea.
        idea_id: IdeaId,
        /// Shortlist or decline.
        outcome: IdeaOutcome,
        /// The decision record.
        decision: Decision,
    },
    /// Withdraw the idea (its author, before any decision).
    WithdrawIdea {
        /// The idea.
        idea_id: IdeaId,
        /// Why.
        reason: PlainText,
    },
}

impl IdeaCommand {
    /// The idea this command is for.
    pub fn idea_id(&self) -> IdeaId {
        match self {
            IdeaCommand::ProposeIdea { idea_id, .. }
            | IdeaCommand::ReviseIdea { idea_id, .. }
            | IdeaCommand::SupportIdea { idea_id }
            | IdeaCommand::GiveFeedback { idea_id, .. }
            | IdeaCommand::RespondToFeedback { idea_id, .. }
            | IdeaCommand::AcknowledgeIdeaContribution { idea_id, .. }
            | IdeaCommand::RecordIdeaDecision { idea_id, .. }
            | IdeaCommand::WithdrawIdea { idea_id, .. } => *idea_id,
        }
    }
}
