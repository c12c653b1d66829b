//! A hub's state, folded from its events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::event::HubEvent;
use crate::actor::{Role, StakeholderKind};
use crate::ids::{HubId, MemberId, OrganisationId};
use crate::names::Names;
use crate::text::PlainText;

/// Whether a member may take part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Takes part.
    Active,
    /// Temporarily cannot take part.
    Suspended,
    /// Removed for good.
    Removed,
}

/// An organisation of the hub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Its id.
    pub id: OrganisationId,
    /// Its name.
    pub name: String,
    /// Its stakeholder kind.
    pub kind: StakeholderKind,
    /// When it was admitted.
    pub admitted_at: DateTime<Utc>,
}

/// A member of the hub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Their id.
    pub id: MemberId,
    /// Their organisation.
    pub organisation_id: OrganisationId,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Whether they may take part.
    pub status: MemberStatus,
    /// When they were admitted.
    pub admitted_at: DateTime<Utc>,
}

/// A version of the hub's charter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charter {
    /// The version (1, 2, ...).
    pub version: u32,
    /// The text.
    pub text: PlainText,
    /// Who adopted it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A hub's state. `Default` is the state before it is founded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubState {
    /// The hub's id (nil until founded).
    pub hub_id: HubId,
    /// Whether it has been founded.
    pub founded: bool,
    /// Its name.
    pub name: String,
    /// Its purpose.
    pub purpose: Option<PlainText>,
    /// Who founded it.
    pub founded_by: Option<MemberId>,
    /// When.
    pub founded_at: Option<DateTime<Utc>>,
    /// The organisations, by id.
    pub organisations: BTreeMap<OrganisationId, Organisation>,
    /// The members, by id (removed members stay, marked removed).
    pub members: BTreeMap<MemberId, Member>,
    /// Every adopted charter version, oldest first.
    pub charters: Vec<Charter>,
    /// The minimum deliberation time in seconds (0 = none).
    pub minimum_deliberation_seconds: u64,
}

impl HubState {
    /// Whether the hub has been founded.
    pub fn exists(&self) -> bool {
        self.founded
    }

    /// The charter in force, if any.
    pub fn charter(&self) -> Option<&Charter> {
        self.charters.last()
    }

    /// The minimum deliberation time.
    pub fn minimum_deliberation(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.minimum_deliberation_seconds.min(i64::MAX as u64) as i64)
    }

    /// The stakeholder kind of an organisation of this hub.
    pub fn kind_of(&self, organisation: OrganisationId) -> Option<StakeholderKind> {
        self.organisations.get(&organisation).map(|o| o.kind)
    }

    /// The number of active facilitators.
    pub fn active_facilitators(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.role == Role::Facilitator && m.status == MemberStatus::Active)
            .count()
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &HubEvent) {
        match event {
            HubEvent::HubFounded(e) => {
                self.hub_id = e.hub_id;
                self.founded = true;
                self.name = e.name.clone();
                self.purpose = Some(e.purpose.clone());
                self.founded_by = Some(e.by);
                self.founded_at = Some(e.at);
            }
            HubEvent::OrganisationAdmitted(e) => {
                self.organisations.insert(
                    e.organisation_id,
                    Organisation {
                        id: e.organisation_id,
                        name: e.name.clone(),
                        kind: e.kind,
                        admitted_at: e.at,
                    },
                );
            }
            HubEvent::MemberAdmitted(e) => {
                self.members.insert(
                    e.member_id,
                    Member {
                        id: e.member_id,
                        organisation_id: e.organisation_id,
                        name: e.name.clone(),
                        role: e.role,
                        status: MemberStatus::Active,
                        admitted_at: e.at,
                    },
                );
            }
            HubEvent::MemberRoleChanged(e) => {
                if let Some(m) = self.members.get_mut(&e.member_id) {
                    m.role = e.to;
                }
            }
            HubEvent::MemberSuspended(e) => self.set_status(e.member_id, MemberStatus::Suspended),
            HubEvent::MemberReinstated(e) => self.set_status(e.member_id, MemberStatus::Active),
            HubEvent::MemberRemoved(e) => self.set_status(e.member_id, MemberStatus::Removed),
            HubEvent::CharterAdopted(e) => self.charters.push(Charter {
                version: e.version,
                text: e.text.clone(),
                by: e.by,
                at: e.at,
            }),
            HubEvent::MinimumDeliberationTimeSet(e) => {
                self.minimum_deliberation_seconds = e.seconds;
            }
        }
    }

    fn set_status(&mut self, member: MemberId, status: MemberStatus) {
        if let Some(m) = self.members.get_mut(&member) {
            m.status = status;
        }
    }

    /// Folds events into a state, starting from this one.
    pub fn folded<'a>(mut self, events: impl IntoIterator<Item = &'a HubEvent>) -> Self {
        for e in events {
            self.apply(e);
        }
        self
    }
}

impl HubState {
    /// An organisation's name, or "An organisation" when unknown.
    pub fn organisation_name_or(&self, id: OrganisationId) -> String {
        self.organisations
            .get(&id)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| "An organisation".to_string())
    }
}

/// Evolves a hub state by one event.
pub fn evolve(mut state: HubState, event: &HubEvent) -> HubState {
    state.apply(event);
    state
}

impl Names for HubState {
    fn member_name(&self, id: MemberId) -> Option<String> {
        self.members.get(&id).map(|m| m.name.clone())
    }

    fn organisation_name(&self, id: OrganisationId) -> Option<String> {
        self.organisations.get(&id).map(|o| o.name.clone())
    }
}
