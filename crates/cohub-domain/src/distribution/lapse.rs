//! Lapse: when the idea a distribution is for is withdrawn or declined, its open rounds lapse.
//!
//! The idea and the distribution are different streams, so nothing is appended to the
//! distribution: the lapse is a fact about the idea that [`DistributionState::standing`]
//! takes as an input. The decider reads it from the idea's state ([`Lapse::of_idea`]); read
//! models read it from the idea's event as they fold it ([`Lapse::from_idea_event`]).
//!
//! [`DistributionState::standing`]: super::DistributionState::standing

use serde::{Deserialize, Serialize};

use crate::idea::{IdeaEvent, IdeaOutcome, IdeaState, IdeaStatus};
use crate::text::PlainText;

/// What happened to the idea.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LapseCause {
    /// Its author withdrew the idea.
    IdeaWithdrawn,
    /// A facilitator recorded a decision to decline the idea.
    IdeaDeclined,
}

/// Why a distribution's open round lapsed: its idea was withdrawn or declined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lapse {
    /// Withdrawn or declined.
    pub cause: LapseCause,
    /// The idea's withdrawal reason, or the decline decision's rationale.
    pub reason: PlainText,
}

impl Lapse {
    /// The lapse an idea's state implies, if the idea is withdrawn or declined.
    pub fn of_idea(idea: &IdeaState) -> Option<Lapse> {
        match idea.status {
            IdeaStatus::Withdrawn => Some(Lapse {
                cause: LapseCause::IdeaWithdrawn,
                reason: idea
                    .withdrawal_reason
                    .clone()
                    .unwrap_or_else(|| PlainText::en("No reason was recorded.")),
            }),
            IdeaStatus::Declined => Some(Lapse {
                cause: LapseCause::IdeaDeclined,
                reason: idea
                    .decisions
                    .iter()
                    .rfind(|d| d.outcome == IdeaOutcome::Decline)
                    .map(|d| d.decision.rationale.clone())
                    .unwrap_or_else(|| PlainText::en("No reason was recorded.")),
            }),
            IdeaStatus::Proposed | IdeaStatus::Shortlisted => None,
        }
    }

    /// The lapse an idea event brings about, if it withdraws or declines the idea.
    pub fn from_idea_event(event: &IdeaEvent) -> Option<Lapse> {
        match event {
            IdeaEvent::IdeaWithdrawn(e) => Some(Lapse {
                cause: LapseCause::IdeaWithdrawn,
                reason: e.reason.clone(),
            }),
            IdeaEvent::IdeaDeclined(e) => Some(Lapse {
                cause: LapseCause::IdeaDeclined,
                reason: e.decision.rationale.clone(),
            }),
            _ => None,
        }
    }

    /// What happened, in plain words, e.g. `the idea it is for was withdrawn ("Funding ended.")`
    /// (a long reason is cut at 200 characters).
    pub fn describe(&self) -> String {
        let what = match self.cause {
            LapseCause::IdeaWithdrawn => "the idea it is for was withdrawn",
            LapseCause::IdeaDeclined => "the idea it is for was declined",
        };
        let reason: String = self.reason.text.chars().take(200).collect();
        let more = if self.reason.text.chars().count() > 200 {
            "\u{2026}"
        } else {
            ""
        };
        format!("{what} (\u{201c}{reason}{more}\u{201d})")
    }
}
