//! Distribution mutations: propose, amend (voids consents), consent, object (with a reason),
//! answer an objection (the proposer), withdraw an objection (its organisation), close the
//! agreement, close a round without agreement (a facilitator), withdraw, start a variation
//! round, abandon a variation.

use super::{execute, id_or_new, missing, Done};
use crate::error::ApiError;
use crate::schema::common::{PlainTextInput, Receipt};
use crate::schema::distribution::Distribution;
use crate::schema::enums::{CostKind, RewardKind};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use cohub_domain::distribution::{CostContribution, DistributionCommand, Reward, Share, Terms};
use cohub_domain::{DistributionId, IdeaId, OrganisationId};
use uuid::Uuid;

/// One party's contribution to the costs.
#[derive(InputObject)]
pub struct CostInput {
    /// The contributing party (an organisation named in `parties`).
    pub party: Uuid,
    /// What kind of cost.
    pub kind: CostKind,
    /// How much (a positive whole number, in `unit`).
    pub amount: u64,
    /// The unit, e.g. `GBP`, `hours`, `sessions` (up to 120 characters).
    pub unit: String,
    /// An optional note (up to 2000 characters).
    pub note: Option<PlainTextInput>,
}

/// One party's share of a reward.
#[derive(InputObject)]
pub struct ShareInput {
    /// The receiving party (an organisation named in `parties`).
    pub party: Uuid,
    /// The share: 1 to 10000 basis points (the shares of one reward kind add up to 10000).
    pub basis_points: u32,
}

/// A reward and how it is shared.
#[derive(InputObject)]
pub struct RewardInput {
    /// What kind of reward.
    pub kind: RewardKind,
    /// What it is, in plain words (up to 2000 characters).
    pub description: PlainTextInput,
    /// Who gets what share.
    pub shares: Vec<ShareInput>,
}

/// The terms of one version: parties, costs, rewards, the terms in words. At least one
/// community organisation must be a party, and some reward must flow back to one.
#[derive(InputObject)]
pub struct TermsInput {
    /// The parties: organisations of the hub (1 to 50, no repeats).
    pub parties: Vec<Uuid>,
    /// Cost contributions (at most 200).
    #[graphql(default)]
    pub costs: Vec<CostInput>,
    /// Rewards (1 to 50).
    pub rewards: Vec<RewardInput>,
    /// The terms in plain words (up to 4000 characters).
    pub terms: PlainTextInput,
}

impl From<TermsInput> for Terms {
    fn from(t: TermsInput) -> Self {
        Terms {
            parties: t
                .parties
                .into_iter()
                .map(OrganisationId::from_uuid)
                .collect(),
            costs: t
                .costs
                .into_iter()
                .map(|c| CostContribution {
                    party: OrganisationId::from_uuid(c.party),
                    kind: c.kind.into(),
                    amount: c.amount,
                    unit: c.unit,
                    note: c.note.map(Into::into),
                })
                .collect(),
            rewards: t
                .rewards
                .into_iter()
                .map(|r| Reward {
                    kind: r.kind.into(),
                    description: r.description.into(),
                    shares: r
                        .shares
                        .into_iter()
                        .map(|s| Share {
                            party: OrganisationId::from_uuid(s.party),
                            basis_points: s.basis_points,
                        })
                        .collect(),
                })
                .collect(),
            terms: t.terms.into(),
        }
    }
}

/// Propose a distribution of costs and rewards for an idea (any member; version 1).
#[derive(InputObject)]
pub struct ProposeDistributionInput {
    /// The idea it is for.
    pub idea_id: Uuid,
    /// The new distribution's id (a new one if not given).
    pub distribution_id: Option<Uuid>,
    /// The terms.
    pub terms: TermsInput,
}

/// Amend before agreement: a new version; every earlier consent is voided.
#[derive(InputObject)]
pub struct AmendDistributionInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// The new terms.
    pub terms: TermsInput,
    /// Why it changed.
    pub rationale: PlainTextInput,
}

/// Consent, for the caller's own organisation (a party; leads and facilitators), to a version.
#[derive(InputObject)]
pub struct ConsentToDistributionInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// The version consented to (must be the latest).
    pub version: u32,
}

/// Object, for the caller's own organisation, to a version, with a reason.
#[derive(InputObject)]
pub struct ObjectToDistributionInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// The version objected to (must be the latest).
    pub version: u32,
    /// Why.
    pub reason: PlainTextInput,
}

/// Close the agreement once every party consented and the deliberation time has passed.
#[derive(InputObject)]
pub struct CloseAgreementInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// The version to agree (must be the latest).
    pub version: u32,
}

/// Withdraw a distribution before any agreement (its proposer or a facilitator).
#[derive(InputObject)]
pub struct WithdrawDistributionInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// Why.
    pub reason: PlainTextInput,
}

/// Vary an agreed distribution: a new round with new terms; the agreed version stays recorded.
#[derive(InputObject)]
pub struct StartVariationRoundInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// The proposed new terms.
    pub terms: TermsInput,
    /// Why a variation is needed.
    pub rationale: PlainTextInput,
}

/// Answer an organisation's standing objection to the open version (the distribution's
/// proposer only). The answer is shown beside the objection; the objection still stands.
#[derive(InputObject)]
pub struct AnswerObjectionInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// The version objected to (must be the version open for consent).
    pub version: u32,
    /// The objecting organisation.
    pub organisation_id: Uuid,
    /// The answer (up to 2000 characters).
    pub answer: PlainTextInput,
}

/// Withdraw your organisation's standing objection to the open version (the member who made
/// it, or a lead of the same organisation).
#[derive(InputObject)]
pub struct WithdrawObjectionInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// The version objected to (must be the version open for consent).
    pub version: u32,
    /// An optional note on why (up to 2000 characters).
    pub note: Option<PlainTextInput>,
}

/// Close an open round that cannot agree, with a reason (a facilitator).
#[derive(InputObject)]
pub struct CloseWithoutAgreementInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// The version open for consent.
    pub version: u32,
    /// Why it cannot agree (up to 2000 characters).
    pub reason: PlainTextInput,
}

/// Abandon an open variation round: the agreed version stays in force.
#[derive(InputObject)]
pub struct AbandonVariationInput {
    /// The distribution.
    pub distribution_id: Uuid,
    /// Why (up to 2000 characters).
    pub reason: PlainTextInput,
}

/// What a distribution mutation changed.
#[derive(SimpleObject)]
pub struct DistributionPayload {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The distribution, after the change.
    pub distribution: Distribution,
}

fn payload(done: Done) -> Result<DistributionPayload, ApiError> {
    let id = DistributionId::from_stream_id(&done.raw.stream_id)
        .ok_or_else(|| missing("distribution"))?;
    done.model
        .distribution(id)
        .ok_or_else(|| missing("distribution"))?;
    Ok(DistributionPayload {
        distribution: Distribution::of(&done.scope(), id),
        receipt: done.receipt,
    })
}

/// Distribution mutations.
#[derive(Default)]
pub struct DistributionMutation;

#[Object]
impl DistributionMutation {
    /// Propose a distribution of costs and rewards for an idea (any member; version 1).
    async fn propose_distribution(
        &self,
        ctx: &Context<'_>,
        input: ProposeDistributionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::ProposeDistribution {
            distribution_id: DistributionId::from_uuid(id_or_new(input.distribution_id)),
            idea_id: IdeaId::from_uuid(input.idea_id),
            terms: input.terms.into(),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Amend before agreement: a new version with a rationale; earlier consents are voided.
    async fn amend_distribution(
        &self,
        ctx: &Context<'_>,
        input: AmendDistributionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::AmendDistribution {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            terms: input.terms.into(),
            rationale: input.rationale.into(),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Consent for the caller's organisation to the latest version. When this completes
    /// every party's consent (and the deliberation time has passed), it is agreed.
    async fn consent_to_distribution(
        &self,
        ctx: &Context<'_>,
        input: ConsentToDistributionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::ConsentToDistribution {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            version: input.version,
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Object for the caller's organisation to the latest version, with a reason.
    async fn object_to_distribution(
        &self,
        ctx: &Context<'_>,
        input: ObjectToDistributionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::ObjectToDistribution {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            version: input.version,
            reason: input.reason.into(),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Close the agreement once every party consented and the deliberation time has passed.
    async fn close_agreement(
        &self,
        ctx: &Context<'_>,
        input: CloseAgreementInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::CloseAgreement {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            version: input.version,
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Withdraw before any agreement, with a reason (its proposer or a facilitator).
    async fn withdraw_distribution(
        &self,
        ctx: &Context<'_>,
        input: WithdrawDistributionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::WithdrawDistribution {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            reason: input.reason.into(),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Vary an agreed distribution through a new round with new terms and a rationale.
    async fn start_variation_round(
        &self,
        ctx: &Context<'_>,
        input: StartVariationRoundInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::StartVariationRound {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            terms: input.terms.into(),
            rationale: input.rationale.into(),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Answer an organisation's standing objection to the open version, in words (the
    /// distribution's proposer only). The answer is shown beside the objection; it does not
    /// lift it: only the objecting organisation (withdrawing it) or a new version does.
    async fn answer_objection(
        &self,
        ctx: &Context<'_>,
        input: AnswerObjectionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::AnswerObjection {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            version: input.version,
            organisation_id: OrganisationId::from_uuid(input.organisation_id),
            answer: input.answer.into(),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Withdraw your organisation's standing objection to the open version (the member who
    /// made it, or a lead of the same organisation). The organisation then has no position on
    /// that version; if every party has consented and nothing else stands in the way, the
    /// distribution is agreed at once.
    async fn withdraw_objection(
        &self,
        ctx: &Context<'_>,
        input: WithdrawObjectionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::WithdrawObjection {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            version: input.version,
            note: input.note.map(Into::into),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Close an open round that cannot agree, with a reason (a facilitator; not a round every
    /// party consented to with no objection standing). A first round ends the distribution
    /// (status `CLOSED_WITHOUT_AGREEMENT`); a variation round ends and the agreed version
    /// stays in force.
    async fn close_without_agreement(
        &self,
        ctx: &Context<'_>,
        input: CloseWithoutAgreementInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::CloseWithoutAgreement {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            version: input.version,
            reason: input.reason.into(),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Abandon an open variation round, with a reason (its proposer, a facilitator or a lead
    /// of a party): the agreed version stays in force.
    async fn abandon_variation(
        &self,
        ctx: &Context<'_>,
        input: AbandonVariationInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<DistributionPayload, ApiError> {
        let command = DistributionCommand::AbandonVariation {
            distribution_id: DistributionId::from_uuid(input.distribution_id),
            reason: input.reason.into(),
        };
        payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }
}
