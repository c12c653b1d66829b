//! The idea aggregate: proposals for a problem, revisions, support, feedback, decisions.

mod command;
mod decide;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{
    Decision, IdeaCommand, IdeaContribution, IdeaOutcome, OnBehalfOf, StatedPreference,
};
pub use decide::{decide, IdeaContext};
pub use event::*;
pub use state::{
    evolve, Feedback, FeedbackResponse, IdeaAcknowledgement, IdeaState, IdeaStatus, IdeaVersion,
    RecordedDecision, Support,
};
