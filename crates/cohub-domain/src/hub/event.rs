//! What happened in a hub.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::{Role, StakeholderKind};
use crate::codec::event_codec;
use crate::ids::{HubId, MemberId, OrganisationId};
use crate::names::Names;
use crate::text::PlainText;

/// A hub was founded (followed by the founder's organisation and the founder as facilitator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubFounded {
    /// The hub.
    pub hub_id: HubId,
    /// Its name.
    pub name: String,
    /// Its purpose.
    pub purpose: PlainText,
    /// Who founded it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// An organisation was admitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationAdmitted {
    /// The hub.
    pub hub_id: HubId,
    /// The organisation.
    pub organisation_id: OrganisationId,
    /// Its name.
    pub name: String,
    /// Its stakeholder kind.
    pub kind: StakeholderKind,
    /// Who admitted it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A person was admitted as a member of an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAdmitted {
    /// The hub.
    pub hub_id: HubId,
    /// The member.
    pub member_id: MemberId,
    /// Their organisation.
    pub organisation_id: OrganisationId,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Who admitted them.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A member's role changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRoleChanged {
    /// The hub.
    pub hub_id: HubId,
    /// The member.
    pub member_id: MemberId,
    /// The role before.
    pub from: Role,
    /// The role now.
    pub to: Role,
    /// Who changed it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A member was suspended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSuspended {
    /// The hub.
    pub hub_id: HubId,
    /// The member.
    pub member_id: MemberId,
    /// Why.
    pub reason: PlainText,
    /// Who suspended them.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A suspended member was reinstated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberReinstated {
    /// The hub.
    pub hub_id: HubId,
    /// The member.
    pub member_id: MemberId,
    /// Who reinstated them.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A member was removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRemoved {
    /// The hub.
    pub hub_id: HubId,
    /// The member.
    pub member_id: MemberId,
    /// Why.
    pub reason: PlainText,
    /// Who removed them.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A version of the charter was adopted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharterAdopted {
    /// The hub.
    pub hub_id: HubId,
    /// The charter version (1, 2, ...).
    pub version: u32,
    /// The charter text.
    pub text: PlainText,
    /// Who adopted it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The minimum deliberation time was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinimumDeliberationTimeSet {
    /// The hub.
    pub hub_id: HubId,
    /// The time in seconds (0 = none).
    pub seconds: u64,
    /// Who set it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Something that happened in a hub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum HubEvent {
    /// See [`HubFounded`].
    HubFounded(HubFounded),
    /// See [`OrganisationAdmitted`].
    OrganisationAdmitted(OrganisationAdmitted),
    /// See [`MemberAdmitted`].
    MemberAdmitted(MemberAdmitted),
    /// See [`MemberRoleChanged`].
    MemberRoleChanged(MemberRoleChanged),
    /// See [`MemberSuspended`].
    MemberSuspended(MemberSuspended),
    /// See [`MemberReinstated`].
    MemberReinstated(MemberReinstated),
    /// See [`MemberRemoved`].
    MemberRemoved(MemberRemoved),
    /// See [`CharterAdopted`].
    CharterAdopted(CharterAdopted),
    /// See [`MinimumDeliberationTimeSet`].
    MinimumDeliberationTimeSet(MinimumDeliberationTimeSet),
}

event_codec!(HubEvent {
    HubFounded(HubFounded) = "HubFounded",
    OrganisationAdmitted(OrganisationAdmitted) = "OrganisationAdmitted",
    MemberAdmitted(MemberAdmitted) = "MemberAdmitted",
    MemberRoleChanged(MemberRoleChanged) = "MemberRoleChanged",
    MemberSuspended(MemberSuspended) = "MemberSuspended",
    MemberReinstated(MemberReinstated) = "MemberReinstated",
    MemberRemoved(MemberRemoved) = "MemberRemoved",
    CharterAdopted(CharterAdopted) = "CharterAdopted",
    MinimumDeliberationTimeSet(MinimumDeliberationTimeSet) = "MinimumDeliberationTimeSet",
});

impl HubEvent {
    /// The hub the event belongs to.
    pub fn hub_id(&self) -> HubId {
        match self {
            HubEvent::HubFounded(e) => e.hub_id,
            HubEvent::OrganisationAdmitted(e) => e.hub_id,
            HubEvent::MemberAdmitted(e) => e.hub_id,
            HubEvent::MemberRoleChanged(e) => e.hub_id,
            HubEvent::MemberSuspended(e) => e.hub_id,
            HubEvent::MemberReinstated(e) => e.hub_id,
            HubEvent::MemberRemoved(e) => e.hub_id,
            HubEvent::CharterAdopted(e) => e.hub_id,
            HubEvent::MinimumDeliberationTimeSet(e) => e.hub_id,
        }
    }

    /// Who did it.
    pub fn by(&self) -> MemberId {
        match self {
            HubEvent::HubFounded(e) => e.by,
            HubEvent::OrganisationAdmitted(e) => e.by,
            HubEvent::MemberAdmitted(e) => e.by,
            HubEvent::MemberRoleChanged(e) => e.by,
            HubEvent::MemberSuspended(e) => e.by,
            HubEvent::MemberReinstated(e) => e.by,
            HubEvent::MemberRemoved(e) => e.by,
            HubEvent::CharterAdopted(e) => e.by,
            HubEvent::MinimumDeliberationTimeSet(e) => e.by,
        }
    }

    /// When it happened (as decided).
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            HubEvent::HubFounded(e) => e.at,
            HubEvent::OrganisationAdmitted(e) => e.at,
            HubEvent::MemberAdmitted(e) => e.at,
            HubEvent::MemberRoleChanged(e) => e.at,
            HubEvent::MemberSuspended(e) => e.at,
            HubEvent::MemberReinstated(e) => e.at,
            HubEvent::MemberRemoved(e) => e.at,
            HubEvent::CharterAdopted(e) => e.at,
            HubEvent::MinimumDeliberationTimeSet(e) => e.at,
        }
    }

    /// The stream the event belongs to.
    pub fn stream_id(&self) -> String {
        self.hub_id().stream_id()
    }

    /// A plain-language description of what happened.
    pub fn summary(&self, names: &dyn Names) -> String {
        let who = names.member(self.by());
        match self {
            HubEvent::HubFounded(e) => format!("{who} founded the hub \"{}\".", e.name),
            HubEvent::OrganisationAdmitted(e) => format!(
                "{who} admitted {} as a {}.",
                e.name,
                e.kind.as_str().replace('_', " ")
            ),
            HubEvent::MemberAdmitted(e) => format!(
                "{who} admitted {} of {} as {}.",
                e.name,
                names.organisation(e.organisation_id),
                e.role.as_str()
            ),
            HubEvent::MemberRoleChanged(e) => format!(
                "{who} changed {}'s role from {} to {}.",
                names.member(e.member_id),
                e.from.as_str(),
                e.to.as_str()
            ),
            HubEvent::MemberSuspended(e) => format!(
                "{who} suspended {}: {}",
                names.member(e.member_id),
                e.reason
            ),
            HubEvent::MemberReinstated(e) => {
                format!("{who} reinstated {}.", names.member(e.member_id))
            }
            HubEvent::MemberRemoved(e) => {
                format!("{who} removed {}: {}", names.member(e.member_id), e.reason)
            }
            HubEvent::CharterAdopted(e) => {
                format!("{who} adopted version {} of the charter.", e.version)
            }
            HubEvent::MinimumDeliberationTimeSet(e) => format!(
                "{who} set the minimum deliberation time to {}.",
                crate::time::describe_seconds(e.seconds)
            ),
        }
    }
}
