//! Errors a decision can return, each with a plain-language message a champion understands.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A co-production rule that a command would break.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Suspended or removed members can do nothing in the hub.
    InactiveMember,
    /// A hub must always keep at least one active facilitator.
    HubMustKeepAFacilitator,
    /// A revision is a new version by the contribution's own author.
    NobodyRevisesAnothersWords,
    /// Acknowledging is for other people's contributions, not your own.
    NoSelfAcknowledgement,
    /// A problem's stage moves only along the allowed paths.
    StageTransitionNotAllowed,
    /// A closed problem takes no new contributions until it is reopened.
    ProblemClosed,
    /// Ideas can be proposed only for problems that are not closed or parked.
    ProblemNotOpenForIdeas,
    /// Only community champions may propose on behalf of residents.
    OnlyChampionsSpeakForResidents,
    /// A community champion acts for residents as a member of a community organisation, so
    /// only members of community organisations hold the role or act in it.
    ChampionsBelongToCommunityOrganisations,
    /// A withdrawn or declined idea takes no more changes.
    IdeaNotOpen,
    /// A decision on an idea has already been recorded.
    IdeaAlreadyDecided,
    /// A hub's minimum deliberation time must pass before a decision or agreement.
    MinimumDeliberationTime,
    /// The shares of one reward kind must add up to exactly 10000 basis points (100%).
    SharesMustSumTo10000,
    /// Costs and reward shares can be given only to parties of the distribution.
    CostsAndSharesOnlyForParties,
    /// At least one community organisation must be a party.
    CommunityOrganisationMustBeParty,
    /// Some reward must flow back to a community organisation (reciprocity).
    RewardsMustReachCommunity,
    /// Only an authorised member (lead or facilitator) of a party consents for it.
    OnlyAuthorisedPartyMember,
    /// Agreement needs every party's consent to the latest version.
    AgreementNeedsEveryPartyOnLatestVersion,
    /// A standing objection on the open version blocks agreement until its organisation
    /// withdraws it or a new version is written (an answer does not lift it).
    OpenObjectionBlocksAgreement,
    /// A withdrawn distribution takes no more changes.
    DistributionWithdrawn,
    /// After agreement, a distribution varies only through a new round.
    AgreedDistributionVariesOnlyByNewRound,
    /// A variation round can start only after an agreement.
    NothingAgreedToVary,
    /// A round a facilitator closed without agreement takes no more changes.
    DistributionClosed,
    /// The idea was withdrawn or declined, so the distribution's rounds lapsed: no more
    /// consents, objections, agreement or new rounds.
    DistributionLapsed,
    /// A round whose every party consented, with no objection standing, can still agree: a
    /// facilitator cannot close it without agreement.
    RoundCanStillAgree,
    /// There is no open variation round to abandon.
    NoVariationOpen,
}

impl Rule {
    /// The rule's stable snake_case name (for API error extensions).
    pub fn as_str(&self) -> &'static str {
        match self {
            Rule::InactiveMember => "inactive_member",
            Rule::HubMustKeepAFacilitator => "hub_must_keep_a_facilitator",
            Rule::NobodyRevisesAnothersWords => "nobody_revises_anothers_words",
            Rule::NoSelfAcknowledgement => "no_self_acknowledgement",
            Rule::StageTransitionNotAllowed => "stage_transition_not_allowed",
            Rule::ProblemClosed => "problem_closed",
            Rule::ProblemNotOpenForIdeas => "problem_not_open_for_ideas",
            Rule::OnlyChampionsSpeakForResidents => "only_champions_speak_for_residents",
            Rule::ChampionsBelongToCommunityOrganisations => {
                "champions_belong_to_community_organisations"
            }
            Rule::IdeaNotOpen => "idea_not_open",
            Rule::IdeaAlreadyDecided => "idea_already_decided",
            Rule::MinimumDeliberationTime => "minimum_deliberation_time",
            Rule::SharesMustSumTo10000 => "shares_must_sum_to_10000",
            Rule::CostsAndSharesOnlyForParties => "costs_and_shares_only_for_parties",
            Rule::CommunityOrganisationMustBeParty => "community_organisation_must_be_party",
            Rule::RewardsMustReachCommunity => "rewards_must_reach_community",
            Rule::OnlyAuthorisedPartyMember => "only_authorised_party_member",
            Rule::AgreementNeedsEveryPartyOnLatestVersion => {
                "agreement_needs_every_party_on_latest_version"
            }
            Rule::OpenObjectionBlocksAgreement => "open_objection_blocks_agreement",
            Rule::DistributionWithdrawn => "distribution_withdrawn",
            Rule::AgreedDistributionVariesOnlyByNewRound => {
                "agreed_distribution_varies_only_by_new_round"
            }
            Rule::NothingAgreedToVary => "nothing_agreed_to_vary",
            Rule::DistributionClosed => "distribution_closed",
            Rule::DistributionLapsed => "distribution_lapsed",
            Rule::RoundCanStillAgree => "round_can_still_agree",
            Rule::NoVariationOpen => "no_variation_open",
        }
    }
}

/// Why a command was refused (or an event could not be read).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DomainError {
    /// The input is malformed: too long, empty, a bad language tag, a badly formed list.
    #[error("{0}")]
    Validation(String),
    /// One named field of the input is malformed (empty, too long, a bad language tag).
    #[error("{message}")]
    InvalidField {
        /// The field, in the words the message uses (e.g. `title`, `problem statement`).
        field: String,
        /// What is wrong and how to put it right.
        message: String,
    },
    /// The command would break a co-production rule.
    #[error("{message}")]
    Rule {
        /// Which rule.
        rule: Rule,
        /// What happened, in plain English.
        message: String,
    },
    /// The actor's role or position does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Something the command refers to does not exist (in this hub).
    #[error("{0}")]
    NotFound(String),
    /// The command clashes with the current state (already done, stale version).
    #[error("{0}")]
    Conflict(String),
    /// A stored event could not be encoded or decoded.
    #[error("{0}")]
    Codec(String),
}

impl DomainError {
    /// A stable code for the API (`VALIDATION`, `RULE`, `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`, `CODEC`).
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Validation(_) | DomainError::InvalidField { .. } => "VALIDATION",
            DomainError::Rule { .. } => "RULE",
            DomainError::Forbidden(_) => "FORBIDDEN",
            DomainError::NotFound(_) => "NOT_FOUND",
            DomainError::Conflict(_) => "CONFLICT",
            DomainError::Codec(_) => "CODEC",
        }
    }

    /// The rule broken, if this is a rule error.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            DomainError::Rule { rule, .. } => Some(*rule),
            _ => None,
        }
    }

    /// Builds a rule error.
    pub fn rule_broken(rule: Rule, message: impl Into<String>) -> Self {
        DomainError::Rule {
            rule,
            message: message.into(),
        }
    }

    /// Whether the input itself is malformed (`VALIDATION`).
    pub fn is_validation(&self) -> bool {
        matches!(
            self,
            DomainError::Validation(_) | DomainError::InvalidField { .. }
        )
    }

    /// Builds a validation error about one named field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        DomainError::InvalidField {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Builds a validation error.
    pub fn validation(message: impl Into<String>) -> Self {
        DomainError::Validation(message.into())
    }

    /// Builds a forbidden error.
    pub fn forbidden(message: impl Into<String>) -> Self {
        DomainError::Forbidden(message.into())
    }

    /// Builds a not-found error.
    pub fn not_found(message: impl Into<String>) -> Self {
        DomainError::NotFound(message.into())
    }

    /// Builds a conflict error.
    pub fn conflict(message: impl Into<String>) -> Self {
        DomainError::Conflict(message.into())
    }
}
