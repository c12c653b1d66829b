//! Attribution: who did something, for which organisation, when, and where it is in the log.

use chrono::{DateTime, Utc};
use cohub_domain::text::PlainText;
use cohub_domain::{MemberId, OrganisationId};
use cohub_store::Envelope;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where and when an event was recorded, and by whom, taken from its envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Global position of the event (also the cursor of things it created).
    pub position: u64,
    /// Sequence of the event in its hub's chain.
    pub hub_seq: u64,
    /// The event's id.
    pub event_id: Uuid,
    /// When the server recorded it.
    pub at: DateTime<Utc>,
    /// The member who acted.
    pub member_id: MemberId,
    /// The member's organisation at the time, if any.
    pub organisation_id: Option<OrganisationId>,
    /// The member's role at the time (`facilitator`, `lead`, ...).
    pub role: String,
}

impl Recorded {
    /// The attribution of an envelope.
    pub fn from_envelope(envelope: &Envelope) -> Self {
        Self {
            position: envelope.position,
            hub_seq: envelope.hub_seq,
            event_id: envelope.event_id,
            at: envelope.recorded_at,
            member_id: MemberId::from_uuid(envelope.actor.member_id),
            organisation_id: envelope
                .actor
                .organisation_id
                .map(OrganisationId::from_uuid),
            role: envelope.actor.role.clone(),
        }
    }
}

/// Something withdrawn, with the reason and who withdrew it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// Why.
    pub reason: PlainText,
    /// Who, when.
    pub recorded: Recorded,
}
