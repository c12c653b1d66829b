//! Idempotency fingerprints: how a retry is recognised as the same request.
//!
//! Keys are scoped to (hub, actor): the same key sent by two members is two keys. Within that
//! scope, a repeat is recognised by the [`KeyRecord`] the first append left:
//!
//! - If both the record and the retry carry a [`client_fingerprint`] (what the client asked
//!   for: operation, input as sent, actor), they must be equal. The write side sends one with
//!   every keyed command, so a retry that was decided again, with fresh event ids, is still
//!   recognised, and the same key with another input is not.
//! - Otherwise the whole request must repeat: an append stores [`request_fingerprint`] of its
//!   request (SHA-256 of its canonical JSON).
//!
//! An *imported* append cannot store that: the expected version it was decided against is not in the log.
//! Its record instead holds an [`ImportedFingerprint`] (prefix [`IMPORTED_PREFIX`]), a hash
//! chain over everything the envelopes do carry (hub, stream, actor, correlation, causation,
//! key, then each event's id, type, schema version and payload), which can be computed both from
//! the imported envelopes (even split across import batches) and from a retried request.
//! [`fingerprint_matches`] accepts either kind. [`KeyRecord::repeated_by`] applies the whole rule.

use crate::chain::canonical_json;
use crate::envelope::{ActorRef, AppendRequest, Envelope, Receipt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Prefix of a fingerprint reconstructed from imported envelopes.
pub const IMPORTED_PREFIX: &str = "imported:v1:";

fn canonical_sha(prefix: &[u8], v: &Value) -> String {
    let mut bytes = Vec::with_capacity(256);
    canonical_json(v, &mut bytes);
    let mut h = Sha256::new();
    h.update(prefix);
    h.update(&bytes);
    hex::encode(h.finalize())
}

/// The fingerprint an append stores: SHA-256 of the request's canonical JSON.
pub fn request_fingerprint(req: &AppendRequest) -> String {
    let v = serde_json::to_value(req).expect("request serialises");
    canonical_sha(b"", &v)
}

/// Whether `req` repeats the request whose stored fingerprint is `stored` (an appended or an
/// imported one).
pub fn fingerprint_matches(stored: &str, req: &AppendRequest) -> bool {
    if stored.starts_with(IMPORTED_PREFIX) {
        stored == ImportedFingerprint::of_request(req).finish()
    } else {
        stored == request_fingerprint(req)
    }
}

/// The fingerprint of what a client asked for: the operation's name, its input exactly as
/// sent (canonical JSON, with `null` members of objects left out, since an absent optional field
/// and a `null` one mean the same), and the acting member. Stable across retries of one
/// request; different for any other input, operation or actor.
pub fn client_fingerprint(operation: &str, input: &Value, actor: Uuid) -> String {
    let v = json!({
        "v": 1,
        "operation": operation,
        "input": without_nulls(input),
        "actor": actor,
    });
    canonical_sha(b"client:", &v)
}

/// `v` with every `null` member of every object removed.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// What a store remembers about a used key (per hub, actor and key): how to recognise a repeat
/// and what to answer it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The request's fingerprint ([`request_fingerprint`], or an [`ImportedFingerprint`]).
    pub fingerprint: String,
    /// The client fingerprint the append carried, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_fingerprint: Option<String>,
    /// The receipt the first append got.
    pub receipt: Receipt,
}

impl KeyRecord {
    /// Whether `req` (with the same hub, actor and key) repeats the append this record is of:
    /// by the client fingerprints if both have one, else by the whole request.
    pub fn repeated_by(&self, req: &AppendRequest) -> bool {
        match (&self.client_fingerprint, &req.client_fingerprint) {
            (Some(stored), Some(sent)) => stored == sent,
            _ => fingerprint_matches(&self.fingerprint, req),
        }
    }
}

/// A running fingerprint of an imported append (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFingerprint(String);

fn header(
    hub_id: Uuid,
    stream_id: &str,
    actor: &ActorRef,
    correlation_id: Uuid,
    causation_id: Option<Uuid>,
    key: Option<&str>,
) -> Value {
    json!({
        "hub_id": hub_id,
        "stream_id": stream_id,
        "actor": actor,
        "correlation_id": correlation_id,
        "causation_id": causation_id,
        "idempotency_key": key,
    })
}

impl ImportedFingerprint {
    /// Starts from the first envelope of an append (its header; push it afterwards).
    pub fn start(e: &Envelope) -> Self {
        Self(canonical_sha(
            b"",
            &header(
                e.hub_id,
                &e.stream_id,
                &e.actor,
                e.correlation_id,
                e.causation_id,
                e.idempotency_key.as_deref(),
            ),
        ))
    }

    /// Resumes from a stored imported fingerprint (`None` if it is not one).
    pub fn resume(stored: &str) -> Option<Self> {
        stored
            .strip_prefix(IMPORTED_PREFIX)
            .map(|h| Self(h.to_string()))
    }

    fn push_event(
        &mut self,
        event_id: Uuid,
        event_type: &str,
        schema_version: u32,
        payload: &Value,
    ) {
        let v = json!({
            "event_id": event_id,
            "event_type": event_type,
            "schema_version": schema_version,
            "payload": payload,
        });
        self.0 = canonical_sha(self.0.as_bytes(), &v);
    }

    /// Adds one envelope's event.
    pub fn push(&mut self, e: &Envelope) {
        self.push_event(e.event_id, &e.event_type, e.schema_version, &e.payload);
    }

    /// The fingerprint a retry of `req` would have if `req` had been imported.
    pub fn of_request(req: &AppendRequest) -> Self {
        let mut f = Self(canonical_sha(
            b"",
            &header(
                req.hub_id,
                &req.stream_id,
                &req.actor,
                req.correlation_id,
                req.causation_id,
                req.idempotency_key.as_deref(),
            ),
        ));
        for ev in &req.events {
            f.push_event(ev.event_id, &ev.event_type, ev.schema_version, &ev.payload);
        }
        f
    }

    /// The stored form.
    pub fn finish(&self) -> String {
        format!("{IMPORTED_PREFIX}{}", self.0)
    }
}
