//! The problem aggregate: framing a health problem, perspectives, revisions, endorsements, stages.

mod command;
mod decide;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{
    Evidence, EvidenceKind, Framing, PerspectiveKind, ProblemCommand, ProblemContribution,
};
pub use decide::{decide, ProblemContext};
pub use event::*;
pub use state::{
    evolve, Endorsement, Perspective, ProblemAcknowledgement, ProblemStage, ProblemState,
    ProblemVersion, StageMove,
};
