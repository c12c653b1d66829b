//! What people ask a hub to do.

use serde::{Deserialize, Serialize};

use crate::actor::{Role, StakeholderKind};
use crate::ids::{HubId, MemberId, OrganisationId};
use crate::text::PlainText;

/// The founder's organisation, admitted when the hub is founded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundingOrganisation {
    /// The organisation's id (chosen by the caller).
    pub organisation_id: OrganisationId,
    /// Its name.
    pub name: String,
    /// Its stakeholder kind.
    pub kind: StakeholderKind,
}

/// A command to the hub aggregate. Every variant names the hub it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum HubCommand {
    /// Found a hub; the founder (the actor) becomes its first facilitator.
    FoundHub {
        /// The new hub's id.
        hub_id: HubId,
        /// The hub's name.
        name: String,
        /// Its purpose, in plain language.
        purpose: PlainText,
        /// The founder's own name.
        founder_name: String,
        /// The founder's organisation.
        organisation: FoundingOrganisation,
    },
    /// Admit an organisation with its stakeholder kind.
    AdmitOrganisation {
        /// The hub.
        hub_id: HubId,
        /// The new organisation's id.
        organisation_id: OrganisationId,
        /// Its name.
        name: String,
        /// Its stakeholder kind.
        kind: StakeholderKind,
    },
    /// Admit a person as a member of an admitted organisation.
    AdmitMember {
        /// The hub.
        hub_id: HubId,
        /// The new member's id (the subject of their credentials).
        member_id: MemberId,
        /// Their organisation.
        organisation_id: OrganisationId,
        /// Their name.
        name: String,
        /// Their role.
        role: Role,
    },
    /// Change a member's role.
    ChangeMemberRole {
        /// The hub.
        hub_id: HubId,
        /// The member.
        member_id: MemberId,
        /// The new role.
        role: Role,
    },
    /// Suspend an active member.
    SuspendMember {
        /// The hub.
        hub_id: HubId,
        /// The member.
        member_id: MemberId,
        /// Why.
        reason: PlainText,
    },
    /// Reinstate a suspended member.
    ReinstateMember {
        /// The hub.
        hub_id: HubId,
        /// The member.
        member_id: MemberId,
    },
    /// Remove a member for good (their past contributions stay).
    RemoveMember {
        /// The hub.
        hub_id: HubId,
        /// The member.
        member_id: MemberId,
        /// Why.
        reason: PlainText,
    },
    /// Adopt a (new version of the) charter.
    AdoptCharter {
        /// The hub.
        hub_id: HubId,
        /// The charter's text.
        text: PlainText,
    },
    /// Set the minimum time for deliberation before decisions and agreements (0 = none).
    SetMinimumDeliberationTime {
        /// The hub.
        hub_id: HubId,
        /// The time in seconds (at most 90 days).
        seconds: u64,
    },
}

impl HubCommand {
    /// The hub this command is for.
    pub fn hub_id(&self) -> HubId {
        match self {
            HubCommand::FoundHub { hub_id, .. }
            | HubCommand::AdmitOrganisation { hub_id, .. }
            | HubCommand::AdmitMember { hub_id, .. }
            | HubCommand::ChangeMemberRole { hub_id, .. }
            | HubCommand::SuspendMember { hub_id, .. }
            | HubCommand::ReinstateMember { hub_id, .. }
            | HubCommand::RemoveMember { hub_id, .. }
            | HubCommand::AdoptCharter { hub_id, .. }
            | HubCommand::SetMinimumDeliberationTime { hub_id, .. } => *hub_id,
        }
    }
}
