//! Who is acting: roles, stakeholder kinds, and resolving a credential's member id against a hub.
//!
//! Roles (one per member):
//! - `facilitator` convenes the hub: admits organisations and people, changes roles, suspends
//!   and removes, adopts the charter, sets the deliberation time, records decisions on ideas,
//!   moves any problem's stage, and may consent or object for their own organisation.
//! - `lead` is authorised to consent or object for their own organisation.
//! - `champion` is a community champion and may propose ideas on behalf of residents. Only
//!   members of a community organisation hold it ([`check_role_fits`]).
//! - `member` may frame, add perspectives, propose, give feedback, endorse and support.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Rule};
use crate::hub::{HubState, MemberStatus};
use crate::ids::{MemberId, OrganisationId};

/// The kind of stakeholder an organisation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StakeholderKind {
    /// Housing associations, voluntary and faith groups, carers' charities, tenants' groups.
    CommunityOrganisation,
    /// Digital-health firms, start-ups, university spin-outs.
    Innovator,
    /// GP practices, specialist teams, community nursing.
    Clinician,
    /// NHS integrated care boards, local-authority public health.
    Commissioner,
}

impl StakeholderKind {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            StakeholderKind::CommunityOrganisation => "community_organisation",
            StakeholderKind::Innovator => "innovator",
            StakeholderKind::Clinician => "clinician",
            StakeholderKind::Commissioner => "commissioner",
        }
    }

    /// Plain words for the kind, with an article ("a community organisation").
    pub fn words(&self) -> &'static str {
        match self {
            StakeholderKind::CommunityOrganisation => "a community organisation",
            StakeholderKind::Innovator => "an innovator",
            StakeholderKind::Clinician => "a clinical organisation",
            StakeholderKind::Commissioner => "a commissioner",
        }
    }
}

/// A member's role in the hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Convenes the hub.
    Facilitator,
    /// Authorised to consent or object for their organisation.
    Lead,
    /// Community champion of a community organisation; may propose on behalf of residents.
    Champion,
    /// Any other member.
    Member,
}

impl Role {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Facilitator => "facilitator",
            Role::Lead => "lead",
            Role::Champion => "champion",
            Role::Member => "member",
        }
    }

    /// Whether this role may consent or object on behalf of the member's own organisation.
    pub fn speaks_for_organisation(&self) -> bool {
        matches!(self, Role::Facilitator | Role::Lead)
    }
}

/// An actor resolved against a hub's state: who they are, where they belong, what they may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The member (from the verified credential).
    pub member_id: MemberId,
    /// The member's name.
    pub name: String,
    /// The member's organisation.
    pub organisation_id: OrganisationId,
    /// The organisation's stakeholder kind.
    pub kind: StakeholderKind,
    /// The member's role.
    pub role: Role,
}

impl Actor {
    /// Whether the actor is a facilitator.
    pub fn is_facilitator(&self) -> bool {
        self.role == Role::Facilitator
    }

    /// Whether the actor may speak (consent/object) for the given organisation.
    pub fn speaks_for(&self, organisation: OrganisationId) -> bool {
        self.organisation_id == organisation && self.role.speaks_for_organisation()
    }
}

/// Checks that a member of `organisation` (of stakeholder `kind`) may hold `role`: a community
/// champion acts for residents as a member of a community organisation, so only community
/// organisations have champions (breaking [`Rule::ChampionsBelongToCommunityOrganisations`]).
pub fn check_role_fits(
    role: Role,
    kind: StakeholderKind,
    organisation: &str,
) -> Result<(), DomainError> {
    if role == Role::Champion && kind != StakeholderKind::CommunityOrganisation {
        return Err(DomainError::rule_broken(
            Rule::ChampionsBelongToCommunityOrganisations,
            format!(
                "Community champions speak for residents as members of a community organisation, and {organisation} is {}. Only members of a community organisation can be champions.",
                kind.words()
            ),
        ));
    }
    Ok(())
}

/// Resolves a member id against a hub: unknown members are refused (`Forbidden`), suspended
/// or removed members break [`Rule::InactiveMember`].
pub fn resolve(hub: &HubState, member_id: MemberId) -> Result<Actor, DomainError> {
    if !hub.exists() {
        return Err(DomainError::not_found("This hub does not exist."));
    }
    let member = hub
        .members
        .get(&member_id)
        .ok_or_else(|| DomainError::forbidden("You are not a member of this hub."))?;
    match member.status {
        MemberStatus::Active => {}
        MemberStatus::Suspended => {
            return Err(DomainError::rule_broken(
                Rule::InactiveMember,
                "Your membership of this hub is suspended, so you cannot take part until a facilitator reinstates you.",
            ))
        }
        MemberStatus::Removed => {
            return Err(DomainError::rule_broken(
                Rule::InactiveMember,
                "You have been removed from this hub, so you cannot take part.",
            ))
        }
    }
    let organisation = hub
        .organisations
        .get(&member.organisation_id)
        .ok_or_else(|| DomainError::not_found("Your organisation is not part of this hub."))?;
    Ok(Actor {
        member_id,
        name: member.name.clone(),
        organisation_id: member.organisation_id,
        kind: organisation.kind,
        role: member.role,
    })
}
