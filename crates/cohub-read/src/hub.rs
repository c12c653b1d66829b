//! The hub read model: organisations, members with their history, charter versions, and the
//! minimum deliberation time.

use imbl::{OrdMap, Vector};
use std::sync::Arc;

use cohub_domain::hub::{HubEvent, MemberStatus};
use cohub_domain::text::PlainText;
use cohub_domain::{
    DistributionId, HubId, IdeaId, MemberId, Names, OrganisationId, ProblemId, Role,
    StakeholderKind,
};
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::model::ReadModel;
use crate::page::{page, Page};
use crate::recorded::Recorded;

/// An organisation of a hub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationView {
    /// Its id.
    pub id: OrganisationId,
    /// Its name.
    pub name: String,
    /// Its stakeholder kind.
    pub kind: StakeholderKind,
    /// Who admitted it, when.
    pub admitted: Recorded,
}

/// A change to a member's standing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum MemberChange {
    /// The role changed.
    RoleChanged {
        /// Before.
        from: Role,
        /// After.
        to: Role,
    },
    /// Suspended, with a reason.
    Suspended {
        /// Why.
        reason: PlainText,
    },
    /// Reinstated.
    Reinstated,
    /// Removed, with a reason.
    Removed {
        /// Why.
        reason: PlainText,
    },
}

/// One entry of a member's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberHistoryEntry {
    /// What changed.
    pub change: MemberChange,
    /// Who changed it, when.
    pub recorded: Recorded,
}

/// A member of a hub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// Their id.
    pub id: MemberId,
    /// Their name.
    pub name: String,
    /// Their organisation.
    pub organisation_id: OrganisationId,
    /// Their current role.
    pub role: Role,
    /// Whether they may take part.
    pub status: MemberStatus,
    /// Who admitted them, when.
    pub admitted: Recorded,
    /// Role changes, suspensions, reinstatements and removal, in order.
    pub history: Vec<MemberHistoryEntry>,
}

/// A version of a hub's charter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharterView {
    /// The version (1, 2, ...).
    pub version: u32,
    /// The text.
    pub text: PlainText,
    /// Who adopted it, when.
    pub adopted: Recorded,
}

/// A setting of the minimum deliberation time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliberationSetting {
    /// Seconds (0 = none).
    pub seconds: u64,
    /// Who set it, when.
    pub recorded: Recorded,
}

/// A hub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubView {
    /// Its id.
    pub id: HubId,
    /// Its name.
    pub name: String,
    /// Its purpose.
    pub purpose: PlainText,
    /// Who founded it, when.
    pub founded: Recorded,
    /// Organisations by id.
    pub organisations: OrdMap<OrganisationId, OrganisationView>,
    /// Members by id (removed members stay, marked removed).
    pub members: OrdMap<MemberId, MemberView>,
    /// Every charter version, oldest first.
    pub charters: Vector<CharterView>,
    /// The minimum deliberation time in seconds (0 = none).
    pub minimum_deliberation_seconds: u64,
    /// Every setting of the minimum deliberation time, in order.
    pub deliberation_settings: Vector<DeliberationSetting>,
    /// The hub's problems, in the order they were framed.
    pub problem_ids: Vector<ProblemId>,
    /// The hub's ideas, in the order they were proposed.
    pub idea_ids: Vector<IdeaId>,
    /// The hub's distributions, in the order they were proposed.
    pub distribution_ids: Vector<DistributionId>,
    /// The hub's latest event.
    pub updated: Recorded,
}

impl HubView {
    /// The cursor of this hub in lists: the position it was founded at.
    pub fn cursor(&self) -> u64 {
        self.founded.position
    }

    /// The charter in force, if any.
    pub fn charter(&self) -> Option<&CharterView> {
        self.charters.last()
    }

    /// An organisation by id.
    pub fn organisation(&self, id: OrganisationId) -> Option<&OrganisationView> {
        self.organisations.get(&id)
    }

    /// A member by id.
    pub fn member(&self, id: MemberId) -> Option<&MemberView> {
        self.members.get(&id)
    }

    /// Organisations in the order they were admitted.
    pub fn organisations_in_order(&self) -> Vec<&OrganisationView> {
        let mut v: Vec<_> = self.organisations.values().collect();
        v.sort_by_key(|o| o.admitted.position);
        v
    }

    /// Members (optionally of one organisation) in the order they were admitted.
    pub fn members_in_order(&self, organisation: Option<OrganisationId>) -> Vec<&MemberView> {
        let mut v: Vec<_> = self
            .members
            .values()
            .filter(|m| organisation.is_none_or(|o| m.organisation_id == o))
            .collect();
        v.sort_by_key(|m| m.admitted.position);
        v
    }

    fn member_mut(&mut self, id: MemberId, position: u64) -> Result<&mut MemberView, ReadError> {
        self.members
            .get_mut(&id)
            .ok_or_else(|| ReadError::Inconsistent {
                position,
                message: format!("member {id} is not a member of hub {}", self.id),
            })
    }
}

impl Names for HubView {
    fn member_name(&self, id: MemberId) -> Option<String> {
        self.members.get(&id).map(|m| m.name.clone())
    }

    fn organisation_name(&self, id: OrganisationId) -> Option<String> {
        self.organisations.get(&id).map(|o| o.name.clone())
    }
}

impl ReadModel {
    /// A hub by id.
    pub fn hub(&self, id: HubId) -> Option<&HubView> {
        self.hubs.get(&id).map(Arc::as_ref)
    }

    /// Hubs in the order they were founded (cursor: [`HubView::cursor`]).
    pub fn hubs(&self, page_of: Page) -> Vec<&HubView> {
        let mut v: Vec<_> = self.hubs.values().map(Arc::as_ref).collect();
        v.sort_by_key(|h| h.cursor());
        page(v, page_of, |h| h.cursor())
    }
}

/// Folds a hub event into the model.
pub(crate) fn apply(
    model: &mut ReadModel,
    rec: &Recorded,
    event: &HubEvent,
) -> Result<(), ReadError> {
    let position = rec.position;
    if let HubEvent::HubFounded(e) = event {
        if model.hubs.contains_key(&e.hub_id) {
            return Err(ReadError::Inconsistent {
                position,
                message: format!("hub {} was already founded", e.hub_id),
            });
        }
        model.hubs.insert(
            e.hub_id,
            Arc::new(HubView {
                id: e.hub_id,
                name: e.name.clone(),
                purpose: e.purpose.clone(),
                founded: rec.clone(),
                organisations: OrdMap::new(),
                members: OrdMap::new(),
                charters: Vector::new(),
                minimum_deliberation_seconds: 0,
                deliberation_settings: Vector::new(),
                problem_ids: Vector::new(),
                idea_ids: Vector::new(),
                distribution_ids: Vector::new(),
                updated: rec.clone(),
            }),
        );
        return Ok(());
    }
    let hub = model.hub_mut(event.hub_id(), position)?;
    match event {
        HubEvent::HubFounded(_) => unreachable!("handled above"),
        HubEvent::OrganisationAdmitted(e) => {
            hub.organisations.insert(
                e.organisation_id,
                OrganisationView {
                    id: e.organisation_id,
                    name: e.name.clone(),
                    kind: e.kind,
                    admitted: rec.clone(),
                },
            );
        }
        HubEvent::MemberAdmitted(e) => {
            hub.members.insert(
                e.member_id,
                MemberView {
                    id: e.member_id,
                    name: e.name.clone(),
                    organisation_id: e.organisation_id,
                    role: e.role,
                    status: MemberStatus::Active,
                    admitted: rec.clone(),
                    history: Vec::new(),
                },
            );
        }
        HubEvent::MemberRoleChanged(e) => {
            let m = hub.member_mut(e.member_id, position)?;
            m.role = e.to;
            m.history.push(MemberHistoryEntry {
                change: MemberChange::RoleChanged {
                    from: e.from,
                    to: e.to,
                },
                recorded: rec.clone(),
            });
        }
        HubEvent::MemberSuspended(e) => {
            let m = hub.member_mut(e.member_id, position)?;
            m.status = MemberStatus::Suspended;
            m.history.push(MemberHistoryEntry {
                change: MemberChange::Suspended {
                    reason: e.reason.clone(),
                },
                recorded: rec.clone(),
            });
        }
        HubEvent::MemberReinstated(e) => {
            let m = hub.member_mut(e.member_id, position)?;
            m.status = MemberStatus::Active;
            m.history.push(MemberHistoryEntry {
                change: MemberChange::Reinstated,
                recorded: rec.clone(),
            });
        }
        HubEvent::MemberRemoved(e) => {
            let m = hub.member_mut(e.member_id, position)?;
            m.status = MemberStatus::Removed;
            m.history.push(MemberHistoryEntry {
                change: MemberChange::Removed {
                    reason: e.reason.clone(),
                },
                recorded: rec.clone(),
            });
        }
        HubEvent::CharterAdopted(e) => hub.charters.push_back(CharterView {
            version: e.version,
            text: e.text.clone(),
            adopted: rec.clone(),
        }),
        HubEvent::MinimumDeliberationTimeSet(e) => {
            hub.minimum_deliberation_seconds = e.seconds;
            hub.deliberation_settings.push_back(DeliberationSetting {
                seconds: e.seconds,
                recorded: rec.clone(),
            });
        }
    }
    Ok(())
}
