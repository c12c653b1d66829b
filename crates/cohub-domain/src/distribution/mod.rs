//! The distribution aggregate: agreeing the nature and distribution of costs and rewards.

mod command;
mod decide;
mod event;
mod state;
mod terms;
#[cfg(test)]
mod tests;

pub use command::DistributionCommand;
pub use decide::{decide, DistributionContext};
pub use event::*;
pub use state::{
    evolve, Agreement, DistributionState, DistributionStatus, DistributionVersion, Position,
    PositionRecord, VersionKind,
};
pub use terms::{CostContribution, CostKind, Reward, RewardKind, Share, Terms, BASIS_POINTS_WHOLE};
