//! The per-hub hash chain: canonical bytes of an envelope and its SHA-256 link.
//!
//! `hash = SHA-256(prev_hash || canonical(envelope without hash))`, hex encoded. Canonical bytes
//! are JSON with object keys sorted at every depth and no insignificant white space, so that
//! any backend (sled bytes, PostgreSQL columns) recomputes the same hash.

use crate::envelope::{ChainHead, Envelope, Verification};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of a hub's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Writes `v` as JSON with object keys sorted at every depth.
pub fn canonical_json(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k).expect("string serialises");
                out.push(b':');
                canonical_json(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(item, out);
            }
            out.push(b']');
        }
        other => serde_json::to_writer(&mut *out, other).expect("scalar serialises"),
    }
}

/// The canonical bytes of an envelope without its `hash` field (written directly; see
/// [`crate::canonical`] for why they equal [`canonical_json`] of the envelope as a value).
pub fn canonical_bytes(e: &Envelope) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    crate::canonical::write_envelope(e, false, &mut out);
    out
}

/// Computes the hash an envelope should carry, from its `prev_hash` and its other fields.
pub fn compute_hash(e: &Envelope) -> String {
    let mut h = Sha256::new();
    h.update(e.prev_hash.as_bytes());
    h.update(canonical_bytes(e));
    hex::encode(h.finalize())
}

/// Fills in `prev_hash` and `hash` of an envelope about to join a chain whose head is `prev`.
pub fn seal(e: &mut Envelope, prev: &str) {
    e.prev_hash = prev.to_string();
    e.hash = compute_hash(e);
}

/// Recomputes a hub's chain from its events in hub order, naming the first that does not match.
///
/// Checks per event: it belongs to the hub, its sequence is the next one (no gap, no reorder,
/// no insertion), its `prev_hash` links to the previous event's hash, and its hash recomputes.
pub fn verify_events<I>(hub_id: Uuid, events: I) -> Verification
where
    I: IntoIterator<Item = Envelope>,
{
    verify_events_from(
        &ChainHead {
            hub_id,
            hub_seq: 0,
            hash: GENESIS_HASH.to_string(),
        },
        events,
    )
}

/// Like [`verify_events`], but for events continuing a chain whose head is `head` (for
/// example a file that continues a store's log).
pub fn verify_events_from<I>(head: &ChainHead, events: I) -> Verification
where
    I: IntoIterator<Item = Envelope>,
{
    let hub_id = head.hub_id;
    let mut prev = head.hash.clone();
    let mut seq = head.hub_seq;
    for e in events {
        let expected = seq + 1;
        let broken = |reason: String| Verification::Broken {
            hub_id,
            hub_seq: expected,
            position: Some(e.position),
            reason,
        };
        if e.hub_id != hub_id {
            return broken(format!(
                "event at position {} belongs to another hub",
                e.position
            ));
        }
        if e.hub_seq != expected {
            return broken(format!(
                "expected hub sequence {expected} but found {} (an event is missing, moved or inserted)",
                e.hub_seq
            ));
        }
        if e.prev_hash != prev {
            return broken(format!(
                "event {expected} does not link to the previous event's hash"
            ));
        }
        if compute_hash(&e) != e.hash {
            return broken(format!(
                "event {expected} does not match its hash (its content was changed)"
            ));
        }
        prev = e.hash;
        seq = expected;
    }
    Verification::Ok(ChainHead {
        hub_id,
        hub_seq: seq,
        hash: prev,
    })
}
