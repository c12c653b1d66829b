//! What happened to an idea.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::{Decision, IdeaContribution, OnBehalfOf};
use crate::codec::event_codec;
use crate::ids::{FeedbackId, HubId, IdeaId, MemberId, ProblemId};
use crate::names::Names;
use crate::text::PlainText;

/// An idea was proposed for a problem (version 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaProposed {
    /// The idea.
    pub idea_id: IdeaId,
    /// The problem it answers.
    pub problem_id: ProblemId,
    /// The hub.
    pub hub_id: HubId,
    /// Always 1.
    pub version: u32,
    /// Its title.
    pub title: PlainText,
    /// Its summary.
    pub summary: PlainText,
    /// When proposed by a champion on behalf of residents.
    pub on_behalf_of: Option<OnBehalfOf>,
    /// Who proposed it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The idea was revised by its author as a new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaRevised {
    /// The idea.
    pub idea_id: IdeaId,
    /// The new version number.
    pub version: u32,
    /// The new title.
    pub title: PlainText,
    /// The new summary.
    pub summary: PlainText,
    /// Why it changed.
    pub rationale: PlainText,
    /// The feedback it answers (none in revisions recorded before revisions named it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<FeedbackId>,
    /// Who revised it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A member supported the idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaSupported {
    /// The idea.
    pub idea_id: IdeaId,
    /// Who.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Feedback was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackGiven {
    /// The idea.
    pub idea_id: IdeaId,
    /// The feedback.
    pub feedback_id: FeedbackId,
    /// What it says.
    pub text: PlainText,
    /// Who gave it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The idea's author responded to feedback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackResponded {
    /// The idea.
    pub idea_id: IdeaId,
    /// The feedback.
    pub feedback_id: FeedbackId,
    /// Who gave the feedback.
    pub feedback_by: MemberId,
    /// The response.
    pub text: PlainText,
    /// Who responded.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Someone acknowledged another person's contribution to the idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaContributionAcknowledged {
    /// The idea.
    pub idea_id: IdeaId,
    /// Which contribution.
    pub contribution: IdeaContribution,
    /// Who made it.
    pub author: MemberId,
    /// An optional note.
    pub note: Option<PlainText>,
    /// Who acknowledged it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The idea was shortlisted, with a recorded decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaShortlisted {
    /// The idea.
    pub idea_id: IdeaId,
    /// The idea's version the decision was about.
    pub version: u32,
    /// The decision record.
    pub decision: Decision,
    /// Who recorded it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The idea was declined, with a recorded decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaDeclined {
    /// The idea.
    pub idea_id: IdeaId,
    /// The idea's version the decision was about.
    pub version: u32,
    /// The decision record.
    pub decision: Decision,
    /// Who recorded it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The author withdrew the idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaWithdrawn {
    /// The idea.
    pub idea_id: IdeaId,
    /// Why.
    pub reason: PlainText,
    /// Who.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Something that happened to an idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum IdeaEvent {
    /// See [`IdeaProposed`].
    IdeaProposed(IdeaProposed),
    /// See [`IdeaRevised`].
    IdeaRevised(IdeaRevised),
    /// See [`IdeaSupported`].
    IdeaSupported(IdeaSupported),
    /// See [`FeedbackGiven`].
    FeedbackGiven(FeedbackGiven),
    /// See [`FeedbackResponded`].
    FeedbackResponded(FeedbackResponded),
    /// See [`IdeaContributionAcknowledged`].
    IdeaContributionAcknowledged(IdeaContributionAcknowledged),
    /// See [`IdeaShortlisted`].
    IdeaShortlisted(IdeaShortlisted),
    /// See [`IdeaDeclined`].
    IdeaDeclined(IdeaDeclined),
    /// See [`IdeaWithdrawn`].
    IdeaWithdrawn(IdeaWithdrawn),
}

event_codec!(IdeaEvent {
    IdeaProposed(IdeaProposed) = "IdeaProposed",
    IdeaRevised(IdeaRevised) = "IdeaRevised",
    IdeaSupported(IdeaSupported) = "IdeaSupported",
    FeedbackGiven(FeedbackGiven) = "FeedbackGiven",
    FeedbackResponded(FeedbackResponded) = "FeedbackResponded",
    IdeaContributionAcknowledged(IdeaContributionAcknowledged) = "IdeaContributionAcknowledged",
    IdeaShortlisted(IdeaShortlisted) = "IdeaShortlisted",
    IdeaDeclined(IdeaDeclined) = "IdeaDeclined",
    IdeaWithdrawn(IdeaWithdrawn) = "IdeaWithdrawn",
});

impl IdeaEvent {
    /// The idea the event belongs to.
    pub fn idea_id(&self) -> IdeaId {
        match self {
            IdeaEvent::IdeaProposed(e) => e.idea_id,
            IdeaEvent::IdeaRevised(e) => e.idea_id,
            IdeaEvent::IdeaSupported(e) => e.idea_id,
            IdeaEvent::FeedbackGiven(e) => e.idea_id,
            IdeaEvent::FeedbackResponded(e) => e.idea_id,
            IdeaEvent::IdeaContributionAcknowledged(e) => e.idea_id,
            IdeaEvent::IdeaShortlisted(e) => e.idea_id,
            IdeaEvent::IdeaDeclined(e) => e.idea_id,
            IdeaEvent::IdeaWithdrawn(e) => e.idea_id,
        }
    }

    /// Who did it.
    pub fn by(&self) -> MemberId {
        match self {
            IdeaEvent::IdeaProposed(e) => e.by,
            IdeaEvent::IdeaRevised(e) => e.by,
            IdeaEvent::IdeaSupported(e) => e.by,
            IdeaEvent::FeedbackGiven(e) => e.by,
            IdeaEvent::FeedbackResponded(e) => e.by,
            IdeaEvent::IdeaContributionAcknowledged(e) => e.by,
            IdeaEvent::IdeaShortlisted(e) => e.by,
            IdeaEvent::IdeaDeclined(e) => e.by,
            IdeaEvent::IdeaWithdrawn(e) => e.by,
        }
    }

    /// When it happened (as decided).
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            IdeaEvent::IdeaProposed(e) => e.at,
            IdeaEvent::IdeaRevised(e) => e.at,
            IdeaEvent::IdeaSupported(e) => e.at,
            IdeaEvent::FeedbackGiven(e) => e.at,
            IdeaEvent::FeedbackResponded(e) => e.at,
            IdeaEvent::IdeaContributionAcknowledged(e) => e.at,
            IdeaEvent::IdeaShortlisted(e) => e.at,
            IdeaEvent::IdeaDeclined(e) => e.at,
            IdeaEvent::IdeaWithdrawn(e) => e.at,
        }
    }

    /// The stream the event belongs to.
    pub fn stream_id(&self) -> String {
        self.idea_id().stream_id()
    }

    /// A plain-language description of what happened.
    pub fn summary(&self, names: &dyn Names) -> String {
        let who = names.member(self.by());
        match self {
            IdeaEvent::IdeaProposed(e) => match &e.on_behalf_of {
                Some(o) => {
                    let residents = if o.anonymous {
                        "residents who asked not to be named".to_string()
                    } else {
                        o.residents.to_string()
                    };
                    let agreed = match &o.how_residents_agreed {
                        Some(how) => format!("How they agreed to be represented: {how}"),
                        None => "How they agreed to be represented was not recorded.".to_string(),
                    };
                    format!(
                        "{who} proposed an idea on behalf of {residents}: \"{}\" {agreed}",
                        e.title
                    )
                }
                None => format!("{who} proposed an idea: \"{}\"", e.title),
            },
            IdeaEvent::IdeaRevised(e) => format!(
                "{who} revised the idea as version {}: {}{}",
                e.version,
                e.rationale,
                crate::answer::naming(e.answers.len(), "piece of feedback", "pieces of feedback")
            ),
            IdeaEvent::IdeaSupported(_) => format!("{who} supported the idea."),
            IdeaEvent::FeedbackGiven(e) => format!("{who} gave feedback: {}", e.text),
            IdeaEvent::FeedbackResponded(e) => format!(
                "{who} responded to {}'s feedback: {}",
                names.member(e.feedback_by),
                e.text
            ),
            IdeaEvent::IdeaContributionAcknowledged(e) => {
                let what = match e.contribution {
                    IdeaContribution::Idea => "idea",
                    IdeaContribution::Feedback(_) => "feedback",
                };
                format!("{who} acknowledged {}'s {what}.", names.member(e.author))
            }
            IdeaEvent::IdeaShortlisted(e) => format!(
                "{who} recorded the decision to shortlist the idea: {}",
                e.decision.rationale
            ),
            IdeaEvent::IdeaDeclined(e) => format!(
                "{who} recorded the decision to decline the idea: {}",
                e.decision.rationale
            ),
            IdeaEvent::IdeaWithdrawn(e) => format!("{who} withdrew the idea: {}", e.reason),
        }
    }
}
