//! What people ask to do with a distribution.

use serde::{Deserialize, Serialize};

use super::terms::Terms;
use crate::ids::{DistributionId, IdeaId};
use crate::text::PlainText;

/// A command to the distribution aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum DistributionCommand {
    /// Propose a distribution of costs and rewards for an idea (any member; version 1).
    ProposeDistribution {
        /// The new distribution's id.
        distribution_id: DistributionId,
        /// The idea it is for.
        idea_id: IdeaId,
        /// The terms.
        terms: Terms,
    },
    /// Amend before agreement: a new version; every earlier consent is voided.
    AmendDistribution {
        /// The distribution.
        distribution_id: DistributionId,
        /// The new terms.
        terms: Terms,
        /// Why it changed.
        rationale: PlainText,
    },
    /// Consent, for the actor's own organisation (a party), to a specific version.
    ConsentToDistribution {
        /// The distribution.
        distribution_id: DistributionId,
        /// The version consented to (must be the latest).
        version: u32,
    },
    /// Object, for the actor's own organisation (any organisation of the hub), with a reason.
    ObjectToDistribution {
        /// The distribution.
        distribution_id: DistributionId,
        /// The version objected to (must be the latest).
        version: u32,
        /// Why.
        reason: PlainText,
    },
    /// Close the agreement once every party has consented and the deliberation time has passed.
    CloseAgreement {
        /// The distribution.
        distribution_id: DistributionId,
        /// The version to agree (must be the latest).
        version: u32,
    },
    /// Withdraw before any agreement (the proposer or a facilitator).
    WithdrawDistribution {
        /// The distribution.
        distribution_id: DistributionId,
        /// Why.
        reason: PlainText,
    },
    /// Vary an agreed distribution: a new round with a new version; the agreed version stays recorded.
    StartVariationRound {
        /// The distribution.
        distribution_id: DistributionId,
        /// The proposed new terms.
        terms: Terms,
        /// Why a variation is needed.
        rationale: PlainText,
    },
}

impl DistributionCommand {
    /// The distribution this command is for.
    pub fn distribution_id(&self) -> DistributionId {
        match self {
            DistributionCommand::ProposeDistribution {
                distribution_id, ..
            }
            | DistributionCommand::AmendDistribution {
                distribution_id, ..
            }
            | DistributionCommand::ConsentToDistribution {
                distribution_id, ..
            }
            | DistributionCommand::ObjectToDistribution {
                distribution_id, ..
            }
            | DistributionCommand::CloseAgreement {
                distribution_id, ..
            }
            | DistributionCommand::WithdrawDistribution {
                distribution_id, ..
            }
            | DistributionCommand::StartVariationRound {
                distribution_id, ..
            } => *distribution_id,
        }
    }
}
