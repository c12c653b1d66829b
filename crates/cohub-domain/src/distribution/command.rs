//! What people ask to do with a distribution.

use serde::{Deserialize, Serialize};

use super::terms::Terms;
use crate::ids::{DistributionId, IdeaId, OrganisationId};
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
    /// Vary an agreed distribution: a new round with a new version; the agreed version stays
    /// in force until the variation is agreed.
    StartVariationRound {
        /// The distribution.
        distribution_id: DistributionId,
        /// The proposed new terms.
        terms: Terms,
        /// Why a variation is needed.
        rationale: PlainText,
    },
    /// Answer an organisation's standing objection to the open version (the distribution's
    /// proposer only). The answer is recorded beside the objection; the objection stands.
    AnswerObjection {
        /// The distribution.
        distribution_id: DistributionId,
        /// The version objected to (must be the open version).
        version: u32,
        /// The objecting organisation.
        organisation_id: OrganisationId,
        /// The answer.
        answer: PlainText,
    },
    /// Withdraw the actor's organisation's standing objection to the open version (the
    /// member who objected, or a lead of the same organisation).
    WithdrawObjection {
        /// The distribution.
        distribution_id: DistributionId,
        /// The version objected to (must be the open version).
        version: u32,
        /// An optional note on why.
        note: Option<PlainText>,
    },
    /// Close an open round that cannot agree, with a reason (a facilitator). A first round
    /// ends the distribution; a variation round ends and the agreed version stays in force.
    CloseWithoutAgreement {
        /// The distribution.
        distribution_id: DistributionId,
        /// The open version (must be the latest).
        version: u32,
        /// Why it cannot agree.
        reason: PlainText,
    },
    /// Abandon an open variation round, with a reason: the agreed version stays in force.
    AbandonVariation {
        /// The distribution.
        distribution_id: DistributionId,
        /// Why.
        reason: PlainText,
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
            }
            | DistributionCommand::AnswerObjection {
                distribution_id, ..
            }
            | DistributionCommand::WithdrawObjection {
                distribution_id, ..
            }
            | DistributionCommand::CloseWithoutAgreement {
                distribution_id, ..
            }
            | DistributionCommand::AbandonVariation {
                distribution_id, ..
            } => *distribution_id,
        }
    }
}
