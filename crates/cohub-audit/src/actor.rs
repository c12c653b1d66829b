//! Who did something, with names resolved against the hub as it stood at the moment read.

use chrono::{DateTime, Utc};
use cohub_domain::{MemberId, Names, OrganisationId, StakeholderKind};
use cohub_read::hub::HubView;
use cohub_read::Recorded;
use serde::{Deserialize, Serialize};

/// An organisation, named, with its stakeholder kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Its id.
    pub organisation_id: OrganisationId,
    /// Its name ("an organisation" if unknown).
    pub name: String,
    /// Its stakeholder kind, if known.
    pub kind: Option<StakeholderKind>,
}

impl Party {
    /// The organisation `id` of `hub`.
    pub fn of(hub: &HubView, id: OrganisationId) -> Party {
        let org = hub.organisation(id);
        Party {
            organisation_id: id,
            name: org.map_or_else(|| "an organisation".to_string(), |o| o.name.clone()),
            kind: org.map(|o| o.kind),
        }
    }
}

/// A member acting, for which organisation, of which stakeholder kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The member.
    pub member_id: MemberId,
    /// Their name ("someone" if unknown).
    pub name: String,
    /// The organisation they acted for, if any.
    pub organisation: Option<Party>,
}

impl Actor {
    /// The member `member` acting for `organisation` in `hub`.
    pub fn of(hub: &HubView, member: MemberId, organisation: Option<OrganisationId>) -> Actor {
        Actor {
            member_id: member,
            name: Names::member(hub, member),
            organisation: organisation.map(|o| Party::of(hub, o)),
        }
    }

    /// The stakeholder kind they acted as, if known.
    pub fn stakeholder_kind(&self) -> Option<StakeholderKind> {
        self.organisation.as_ref().and_then(|o| o.kind)
    }
}

/// Something recorded in the log: where, when and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributed {
    /// Global position of the event.
    pub position: u64,
    /// Its sequence in the hub's chain.
    pub hub_seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// Their role at the time (`facilitator`, `lead`, ...).
    pub role: String,
}

impl Attributed {
    /// The attribution of `recorded`, with names from `hub`.
    pub fn of(hub: &HubView, recorded: &Recorded) -> Attributed {
        Attributed {
            position: recorded.position,
            hub_seq: recorded.hub_seq,
            at: recorded.at,
            actor: Actor::of(hub, recorded.member_id, recorded.organisation_id),
            role: recorded.role.clone(),
        }
    }
}
