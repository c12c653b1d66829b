//! The distribution aggregate: agreeing the nature and distribution of costs and rewards.

mod command;
mod decide;
mod event;
mod lapse;
mod standing;
mod state;
mod terms;
#[cfg(test)]
mod tests;

pub use command::DistributionCommand;
pub use decide::{decide, DistributionContext};
pub use event::*;
pub use lapse::{Lapse, LapseCause};
pub use standing::Standing;
pub use state::{
    evolve, Agreement, DistributionState, DistributionStatus, DistributionVersion, ObjectionAnswer,
    ObjectionWithdrawal, Position, PositionRecord, RoundEnding, RoundEndingKind, VersionKind,
};
pub use terms::{CostContribution, CostKind, Reward, RewardKind, Share, Terms, BASIS_POINTS_WHOLE};
