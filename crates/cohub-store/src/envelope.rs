//! What the log stores: the envelope around every event, and what an append asks for and returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who did it, as taken from a verified credential (never from a request body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorRef {
    /// The member who acted.
    pub member_id: Uuid,
    /// The member's organisation at the time, if any (facilitators may have none).
    pub organisation_id: Option<Uuid>,
    /// The organisation's stakeholder kind at the time (`community_organisation`, ...), if any.
    pub stakeholder_kind: Option<String>,
    /// The member's role at the time (`facilitator`, `member`, ...).
    pub role: String,
}

/// One event as the caller hands it to the store, before the store places it in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// Event id, a UUID v7 chosen by the caller.
    pub event_id: Uuid,
    /// The event's type name, e.g. `DistributionProposed`.
    pub event_type: String,
    /// The payload's schema version (old versions are upcast when read, never rewritten).
    pub schema_version: u32,
    /// The event's payload.
    pub payload: serde_json::Value,
}

/// What a stream must look like for an append to go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// No check (use sparingly: commands should carry what they decided on).
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's current version must be exactly this (1-based count of its events).
    Exact(u64),
}

/// One atomic append: events for one stream of one hub, all or nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppendRequest {
    /// The hub whose chain the events join.
    pub hub_id: Uuid,
    /// The aggregate stream, e.g. `distribution-<uuid>`; unique across the store.
    pub stream_id: String,
    /// The optimistic-concurrency check.
    pub expected_version: ExpectedVersion,
    /// The actor recorded on every event of this append.
    pub actor: ActorRef,
    /// Correlation id shared by everything one request caused.
    pub correlation_id: Uuid,
    /// The event or command that caused this, if any.
    pub causation_id: Option<Uuid>,
    /// A client's retry key, scoped to the hub and the actor (`actor.member_id`): a repeat of
    /// the same request returns the first receipt and appends nothing; the same key for a
    /// different request is [`StoreError::IdempotencyMismatch`](crate::StoreError).
    pub idempotency_key: Option<String>,
    /// With a key: the fingerprint of what the client asked for (operation, input as sent,
    /// actor; see [`crate::idempotency::client_fingerprint`]). When given, a repeat is
    /// recognised by it rather than by the whole request, so that a retry that was decided
    /// again (with fresh event ids) is still the same request. Recorded on every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_fingerprint: Option<String>,
    /// The events, in order; must not be empty.
    pub events: Vec<NewEvent>,
}

/// An event as it stands in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Event id (UUID v7).
    pub event_id: Uuid,
    /// The hub whose chain holds it.
    pub hub_id: Uuid,
    /// The aggregate stream.
    pub stream_id: String,
    /// 1-based version of the stream after this event.
    pub stream_version: u64,
    /// 1-based sequence in the hub's chain.
    pub hub_seq: u64,
    /// 1-based position in the global log.
    pub position: u64,
    /// Server clock when recorded, truncated to microseconds.
    pub recorded_at: DateTime<Utc>,
    /// Who did it.
    pub actor: ActorRef,
    /// Correlation id.
    pub correlation_id: Uuid,
    /// Causation id.
    pub causation_id: Option<Uuid>,
    /// The idempotency key of the append that wrote it, if any.
    pub idempotency_key: Option<String>,
    /// The client fingerprint of the append that wrote it, if it had one (see
    /// [`AppendRequest::client_fingerprint`]). Absent from older events, which therefore hash
    /// exactly as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_fingerprint: Option<String>,
    /// Event type name.
    pub event_type: String,
    /// Payload schema version.
    pub schema_version: u32,
    /// Payload.
    pub payload: serde_json::Value,
    /// Hex SHA-256 of the previous event in the hub's chain (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of `prev_hash || canonical bytes of this envelope without its hash`.
    pub hash: String,
}

/// What an acknowledged append returns: where it landed and the chain head it produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The hub.
    pub hub_id: Uuid,
    /// The stream.
    pub stream_id: String,
    /// Ids of the appended events, in order.
    pub event_ids: Vec<Uuid>,
    /// Global position of the first appended event.
    pub first_position: u64,
    /// Global position of the last appended event.
    pub last_position: u64,
    /// Hub sequence of the last appended event.
    pub last_hub_seq: u64,
    /// Stream version after the append.
    pub stream_version: u64,
    /// Hash of the last appended event: the hub's chain head after this append.
    pub hash: String,
    /// When the events were recorded.
    pub recorded_at: DateTime<Utc>,
}

/// A hub's chain head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The hub.
    pub hub_id: Uuid,
    /// Sequence of the last event (0 for an empty chain).
    pub hub_seq: u64,
    /// Hash of the last event (the genesis hash for an empty chain).
    pub hash: String,
}

/// The result of recomputing a hub's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verification {
    /// Every event hashes and links correctly; this is the head.
    Ok(ChainHead),
    /// The first event that does not match, and why.
    Broken {
        /// The hub.
        hub_id: Uuid,
        /// Hub sequence of the first bad event (where one was expected, for a gap).
        hub_seq: u64,
        /// Global position of that event, where known.
        position: Option<u64>,
        /// Plain-language reason.
        reason: String,
    },
}

/// What [`EventStore::import`](crate::store::EventStore::import) wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// How many envelopes were written.
    pub imported: u64,
    /// The store's global head position after the import.
    pub head_position: u64,
    /// The chain heads of the hubs the batch touched, sorted by hub id.
    pub heads: Vec<ChainHead>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(client_fingerprint: Option<&str>) -> Envelope {
        Envelope {
            event_id: Uuid::nil(),
            hub_id: Uuid::nil(),
            stream_id: "s".into(),
            stream_version: 1,
            hub_seq: 1,
            position: 1,
            recorded_at: DateTime::from_timestamp_micros(0).expect("epoch"),
            actor: ActorRef {
                member_id: Uuid::nil(),
                organisation_id: None,
                stakeholder_kind: None,
                role: "member".into(),
            },
            correlation_id: Uuid::nil(),
            causation_id: None,
            idempotency_key: Some("k".into()),
            client_fingerprint: client_fingerprint.map(str::to_string),
            event_type: "Tested".into(),
            schema_version: 1,
            payload: serde_json::json!({}),
            prev_hash: crate::chain::GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn events_without_a_client_fingerprint_hash_as_before_it_existed() {
        let old = envelope(None);
        let bytes = String::from_utf8(crate::chain::canonical_bytes(&old)).expect("utf-8");
        assert!(!bytes.contains("client_fingerprint"), "{bytes}");
        // An envelope stored before the field existed reads back without one.
        let mut json = serde_json::to_value(&old).expect("json");
        json.as_object_mut()
            .expect("object")
            .remove("client_fingerprint");
        let read: Envelope = serde_json::from_value(json).expect("old envelope decodes");
        assert_eq!(read, old);
        assert_eq!(
            crate::chain::compute_hash(&read),
            crate::chain::compute_hash(&old)
        );

        let new = envelope(Some("f"));
        let bytes = String::from_utf8(crate::chain::canonical_bytes(&new)).expect("utf-8");
        assert!(bytes.contains(r#""client_fingerprint":"f""#), "{bytes}");
        assert_ne!(
            crate::chain::compute_hash(&new),
            crate::chain::compute_hash(&old)
        );
    }
}
