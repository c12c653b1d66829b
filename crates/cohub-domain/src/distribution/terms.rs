//! The terms of a distribution: parties, cost contributions, reward shares, and their rules.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::actor::StakeholderKind;
use crate::error::{DomainError, Rule};
use crate::hub::HubState;
use crate::ids::OrganisationId;
use crate::text::{validate_str, PlainText, TextLimit};

/// 100% in basis points: the shares of one reward kind add up to exactly this.
pub const BASIS_POINTS_WHOLE: u32 = 10_000;

/// What kind of cost a party contributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    /// Money.
    Money,
    /// Staff time.
    StaffTime,
    /// Data.
    Data,
    /// A venue.
    Venue,
    /// A licence.
    Licence,
    /// Taking on risk.
    Risk,
    /// Anything else.
    Other,
}

impl CostKind {
    /// Plain words for the kind.
    pub fn words(&self) -> &'static str {
        match self {
            CostKind::Money => "money",
            CostKind::StaffTime => "staff time",
            CostKind::Data => "data",
            CostKind::Venue => "a venue",
            CostKind::Licence => "a licence",
            CostKind::Risk => "risk",
            CostKind::Other => "something else",
        }
    }
}

/// What kind of reward flows to parties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// A share of revenue.
    RevenueShare,
    /// A licence.
    Licence,
    /// Access to a service or product.
    Access,
    /// Outcome data.
    OutcomeData,
    /// Recognition.
    Recognition,
    /// Anything else.
    Other,
}

impl RewardKind {
    /// Plain words for the kind.
    pub fn words(&self) -> &'static str {
        match self {
            RewardKind::RevenueShare => "revenue share",
            RewardKind::Licence => "licence",
            RewardKind::Access => "access",
            RewardKind::OutcomeData => "outcome data",
            RewardKind::Recognition => "recognition",
            RewardKind::Other => "other reward",
        }
    }
}

/// One party's contribution to the costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostContribution {
    /// The contributing party.
    pub party: OrganisationId,
    /// What kind of cost.
    pub kind: CostKind,
    /// How much (a positive whole number, in `unit`).
    pub amount: u64,
    /// The unit, e.g. `GBP`, `hours`, `sessions` (up to 120 characters).
    pub unit: String,
    /// An optional note (up to 2000 characters).
    pub note: Option<PlainText>,
}

/// One party's share of a reward, in basis points (1/100 of a percent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// The receiving party.
    pub party: OrganisationId,
    /// The share: 1 to 10000 basis points.
    pub basis_points: u32,
}

/// A reward and how it is shared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    /// What kind of reward.
    pub kind: RewardKind,
    /// What it is, in plain words (up to 2000 characters).
    pub description: PlainText,
    /// Who gets what share.
    pub shares: Vec<Share>,
}

/// The terms of one version of a distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// The parties: organisations of the hub (1 to 50, no repeats).
    pub parties: Vec<OrganisationId>,
    /// Cost contributions (at most 200).
    pub costs: Vec<CostContribution>,
    /// Rewards (1 to 50).
    pub rewards: Vec<Reward>,
    /// The terms in plain words (up to 4000 characters).
    pub terms: PlainText,
}

impl Terms {
    /// Whether an organisation is a party.
    pub fn is_party(&self, organisation: OrganisationId) -> bool {
        self.parties.contains(&organisation)
    }

    /// Checks the terms against the hub and the co-production rules:
    /// parties are organisations of the hub; a community organisation is a party; costs and
    /// shares go only to parties; the shares of each reward kind sum to exactly 10000; some
    /// reward share flows to a community organisation.
    pub fn validate(&self, hub: &HubState) -> Result<(), DomainError> {
        if self.parties.is_empty() || self.parties.len() > 50 {
            return Err(DomainError::validation(
                "A distribution must name between 1 and 50 parties.",
            ));
        }
        let unique: BTreeSet<_> = self.parties.iter().collect();
        if unique.len() != self.parties.len() {
            return Err(DomainError::validation(
                "Each party can be listed only once.",
            ));
        }
        for p in &self.parties {
            if !hub.organisations.contains_key(p) {
                return Err(DomainError::not_found(
                    "A party is not an organisation of this hub.",
                ));
            }
        }
        let is_community =
            |p: &OrganisationId| hub.kind_of(*p) == Some(StakeholderKind::CommunityOrganisation);
        if !self.parties.iter().any(is_community) {
            return Err(DomainError::rule_broken(
                Rule::CommunityOrganisationMustBeParty,
                "At least one community organisation must be a party to a distribution.",
            ));
        }
        self.terms.validate("terms", TextLimit::Summary)?;

        if self.costs.len() > 200 {
            return Err(DomainError::validation(
                "A distribution can list at most 200 cost contributions.",
            ));
        }
        for c in &self.costs {
            if c.amount == 0 {
                return Err(DomainError::validation(
                    "Each cost contribution needs an amount greater than zero.",
                ));
            }
            validate_str(&c.unit, "unit", TextLimit::Name)?;
            if let Some(note) = &c.note {
                note.validate("note", TextLimit::Reason)?;
            }
            if !self.is_party(c.party) {
                return Err(not_party(hub, c.party, "contribute a cost"));
            }
        }

        if self.rewards.is_empty() || self.rewards.len() > 50 {
            return Err(DomainError::validation(
                "A distribution must list between 1 and 50 rewards.",
            ));
        }
        let mut sums: BTreeMap<RewardKind, u64> = BTreeMap::new();
        let mut seen: BTreeSet<(RewardKind, OrganisationId)> = BTreeSet::new();
        for r in &self.rewards {
            r.description
                .validate("reward description", TextLimit::Reason)?;
            if r.shares.is_empty() {
                return Err(DomainError::validation(format!(
                    "The {} reward must say who receives it.",
                    r.kind.words()
                )));
            }
            for s in &r.shares {
                if s.basis_points == 0 || s.basis_points > BASIS_POINTS_WHOLE {
                    return Err(DomainError::validation(
                        "Each share must be between 1 and 10000 basis points (0.01% to 100%).",
                    ));
                }
                if !self.is_party(s.party) {
                    return Err(not_party(hub, s.party, "receive a reward share"));
                }
                if !seen.insert((r.kind, s.party)) {
                    return Err(DomainError::validation(format!(
                        "{} is given more than one {} share; list each party once per reward kind.",
                        hub.organisation_name_or(s.party),
                        r.kind.words()
                    )));
                }
                *sums.entry(r.kind).or_default() += u64::from(s.basis_points);
            }
        }
        for (kind, sum) in sums {
            if sum != u64::from(BASIS_POINTS_WHOLE) {
                return Err(DomainError::rule_broken(
                    Rule::SharesMustSumTo10000,
                    format!(
                        "The {} shares add up to {}%, but they must add up to exactly 100% (10000 basis points).",
                        kind.words(),
                        sum as f64 / 100.0
                    ),
                ));
            }
        }
        let reciprocal = self
            .rewards
            .iter()
            .flat_map(|r| r.shares.iter())
            .any(|s| is_community(&s.party));
        if !reciprocal {
            return Err(DomainError::rule_broken(
                Rule::RewardsMustReachCommunity,
                "Some reward must flow back to a community organisation, not only costs.",
            ));
        }
        Ok(())
    }
}

fn not_party(hub: &HubState, party: OrganisationId, what: &str) -> DomainError {
    DomainError::rule_broken(
        Rule::CostsAndSharesOnlyForParties,
        format!(
            "{} is not a party, so it cannot {what}. Add it as a party first.",
            hub.organisation_name_or(party)
        ),
    )
}
