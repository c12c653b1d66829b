//! Any domain event, for projections: decodes from (event type, schema version, payload).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::codec::EncodedEvent;
use crate::distribution::DistributionEvent;
use crate::error::DomainError;
use crate::hub::HubEvent;
use crate::idea::IdeaEvent;
use crate::ids::MemberId;
use crate::names::Names;
use crate::problem::ProblemEvent;

/// An event of any aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "aggregate", content = "event", rename_all = "snake_case")]
pub enum DomainEvent {
    /// A hub event.
    Hub(HubEvent),
    /// A problem event.
    Problem(ProblemEvent),
    /// An idea event.
    Idea(IdeaEvent),
    /// A distribution event.
    Distribution(DistributionEvent),
}

impl DomainEvent {
    /// The event's type name.
    pub fn event_type(&self) -> &'static str {
        match self {
            DomainEvent::Hub(e) => e.event_type(),
            DomainEvent::Problem(e) => e.event_type(),
            DomainEvent::Idea(e) => e.event_type(),
            DomainEvent::Distribution(e) => e.event_type(),
        }
    }

    /// The schema version it is written at.
    pub fn schema_version(&self) -> u32 {
        crate::codec::CURRENT_SCHEMA_VERSION
    }

    /// The event's fields as JSON.
    pub fn to_payload(&self) -> serde_json::Value {
        match self {
            DomainEvent::Hub(e) => e.to_payload(),
            DomainEvent::Problem(e) => e.to_payload(),
            DomainEvent::Idea(e) => e.to_payload(),
            DomainEvent::Distribution(e) => e.to_payload(),
        }
    }

    /// The event in its stored form.
    pub fn encode(&self) -> EncodedEvent {
        EncodedEvent {
            event_type: self.event_type().to_string(),
            schema_version: self.schema_version(),
            payload: self.to_payload(),
        }
    }

    /// Reads any event from its stored form, upcasting old schema versions.
    pub fn from_payload(
        event_type: &str,
        schema_version: u32,
        payload: serde_json::Value,
    ) -> Result<Self, DomainError> {
        Self::from_payload_ref(event_type, schema_version, &payload)
    }

    /// Like [`Self::from_payload`], without copying the payload (an event at an older schema
    /// version is copied and upcast).
    pub fn from_payload_ref(
        event_type: &str,
        schema_version: u32,
        payload: &serde_json::Value,
    ) -> Result<Self, DomainError> {
        if HubEvent::EVENT_TYPES.contains(&event_type) {
            HubEvent::from_payload_ref(event_type, schema_version, payload).map(DomainEvent::Hub)
        } else if ProblemEvent::EVENT_TYPES.contains(&event_type) {
            ProblemEvent::from_payload_ref(event_type, schema_version, payload)
                .map(DomainEvent::Problem)
        } else if IdeaEvent::EVENT_TYPES.contains(&event_type) {
            IdeaEvent::from_payload_ref(event_type, schema_version, payload).map(DomainEvent::Idea)
        } else if DistributionEvent::EVENT_TYPES.contains(&event_type) {
            DistributionEvent::from_payload_ref(event_type, schema_version, payload)
                .map(DomainEvent::Distribution)
        } else {
            Err(DomainError::Codec(format!(
                "\"{event_type}\" is not a known event type."
            )))
        }
    }

    /// Reads any event from an [`EncodedEvent`].
    pub fn decode(encoded: &EncodedEvent) -> Result<Self, DomainError> {
        Self::from_payload_ref(
            &encoded.event_type,
            encoded.schema_version,
            &encoded.payload,
        )
    }

    /// Every event type name there is.
    pub fn all_event_types() -> Vec<&'static str> {
        HubEvent::EVENT_TYPES
            .iter()
            .chain(ProblemEvent::EVENT_TYPES)
            .chain(IdeaEvent::EVENT_TYPES)
            .chain(DistributionEvent::EVENT_TYPES)
            .copied()
            .collect()
    }

    /// The stream (aggregate) the event belongs to, e.g. `problem-<uuid>`.
    pub fn stream_id(&self) -> String {
        match self {
            DomainEvent::Hub(e) => e.stream_id(),
            DomainEvent::Problem(e) => e.stream_id(),
            DomainEvent::Idea(e) => e.stream_id(),
            DomainEvent::Distribution(e) => e.stream_id(),
        }
    }

    /// Who did it.
    pub fn by(&self) -> MemberId {
        match self {
            DomainEvent::Hub(e) => e.by(),
            DomainEvent::Problem(e) => e.by(),
            DomainEvent::Idea(e) => e.by(),
            DomainEvent::Distribution(e) => e.by(),
        }
    }

    /// When it happened (as decided).
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            DomainEvent::Hub(e) => e.at(),
            DomainEvent::Problem(e) => e.at(),
            DomainEvent::Idea(e) => e.at(),
            DomainEvent::Distribution(e) => e.at(),
        }
    }

    /// A plain-language description of what happened.
    pub fn summary(&self, names: &dyn Names) -> String {
        match self {
            DomainEvent::Hub(e) => e.summary(names),
            DomainEvent::Problem(e) => e.summary(names),
            DomainEvent::Idea(e) => e.summary(names),
            DomainEvent::Distribution(e) => e.summary(names),
        }
    }
}

impl From<HubEvent> for DomainEvent {
    fn from(e: HubEvent) -> Self {
        DomainEvent::Hub(e)
    }
}

impl From<ProblemEvent> for DomainEvent {
    fn from(e: ProblemEvent) -> Self {
        DomainEvent::Problem(e)
    }
}

impl From<IdeaEvent> for DomainEvent {
    fn from(e: IdeaEvent) -> Self {
        DomainEvent::Idea(e)
    }
}

impl From<DistributionEvent> for DomainEvent {
    fn from(e: DistributionEvent) -> Self {
        DomainEvent::Distribution(e)
    }
}
