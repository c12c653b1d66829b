//! Canonical bytes of an envelope, written straight from its fields.
//!
//! The chain's definition is [`canonical_json`](crate::chain::canonical_json) of the envelope
//! as a JSON value: object keys sorted at every depth, no insignificant white space. Going
//! through a `serde_json::Value` allocates a map per envelope; this module writes the same
//! bytes directly, with the envelope's fields declared in sorted order and every payload
//! object's keys sorted as it is written. The tests below hold the two to the same bytes.

use crate::envelope::{ActorRef, Envelope};
use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

/// [`ActorRef`] with its fields in sorted key order.
#[derive(Serialize)]
pub(crate) struct SortedActor<'a> {
    pub(crate) member_id: &'a Uuid,
    pub(crate) organisation_id: &'a Option<Uuid>,
    pub(crate) role: &'a str,
    pub(crate) stakeholder_kind: Option<&'a str>,
}

/// [`Envelope`] with its fields in sorted key order; `hash` only when asked for. The payload
/// is anything that writes itself canonically: a [`Sorted`] value, or (for bytes read back
/// from the store, see [`crate::sealed`]) the payload's own text once checked canonical.
#[derive(Serialize)]
pub(crate) struct SortedEnvelope<'a, P> {
    pub(crate) actor: SortedActor<'a>,
    pub(crate) causation_id: &'a Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_fingerprint: Option<&'a str>,
    pub(crate) correlation_id: &'a Uuid,
    pub(crate) event_id: &'a Uuid,
    pub(crate) event_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hash: Option<&'a str>,
    pub(crate) hub_id: &'a Uuid,
    pub(crate) hub_seq: u64,
    pub(crate) idempotency_key: Option<&'a str>,
    pub(crate) payload: P,
    pub(crate) position: u64,
    pub(crate) prev_hash: &'a str,
    pub(crate) recorded_at: &'a DateTime<Utc>,
    pub(crate) schema_version: u32,
    pub(crate) stream_id: &'a str,
    pub(crate) stream_version: u64,
}

/// A JSON value written with its object keys sorted at every depth.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut m = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    m.serialize_entry(k, &Sorted(&map[k]))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            scalar => scalar.serialize(s),
        }
    }
}

/// Writes the canonical JSON of `e`, with or without its `hash` field.
pub(crate) fn write_envelope(e: &Envelope, with_hash: bool, out: &mut Vec<u8>) {
    let a: &ActorRef = &e.actor;
    let sorted = SortedEnvelope {
        actor: SortedActor {
            member_id: &a.member_id,
            organisation_id: &a.organisation_id,
            role: &a.role,
            stakeholder_kind: a.stakeholder_kind.as_deref(),
        },
        causation_id: &e.causation_id,
        client_fingerprint: e.client_fingerprint.as_deref(),
        correlation_id: &e.correlation_id,
        event_id: &e.event_id,
        event_type: &e.event_type,
        hash: with_hash.then_some(e.hash.as_str()),
        hub_id: &e.hub_id,
        hub_seq: e.hub_seq,
        idempotency_key: e.idempotency_key.as_deref(),
        payload: Sorted(&e.payload),
        position: e.position,
        prev_hash: &e.prev_hash,
        recorded_at: &e.recorded_at,
        schema_version: e.schema_version,
        stream_id: &e.stream_id,
        stream_version: e.stream_version,
    };
    sorted.write(out);
}

impl<P: Serialize> SortedEnvelope<'_, P> {
    /// Appends the canonical JSON to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("an envelope serialises to memory");
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chain::canonical_json;
    use serde_json::json;

    /// The definition: the envelope as a JSON value, keys sorted by `canonical_json`.
    fn by_value(e: &Envelope, with_hash: bool) -> Vec<u8> {
        let mut v = serde_json::to_value(e).unwrap();
        if !with_hash {
            v.as_object_mut().unwrap().remove("hash");
        }
        let mut out = Vec::new();
        canonical_json(&v, &mut out);
        out
    }

    /// An envelope whose strings need escaping, with or without its optional fields (shared by
    /// the tests of [`crate::sealed`]).
    pub(crate) fn envelope(payload: Value, fingerprint: Option<&str>, optional: bool) -> Envelope {
        Envelope {
            event_id: Uuid::now_v7(),
            hub_id: Uuid::now_v7(),
            stream_id: "idea-\"quoted\" \\ ü".into(),
            stream_version: 7,
            hub_seq: u64::MAX,
            position: 42,
            recorded_at: "2026-12-03T10:11:12.123456Z".parse().unwrap(),
            actor: ActorRef {
                member_id: Uuid::now_v7(),
                organisation_id: optional.then(Uuid::now_v7),
                stakeholder_kind: optional.then(|| "community_organisation".into()),
                role: "member\n\u{1}".into(),
            },
            correlation_id: Uuid::now_v7(),
            causation_id: optional.then(Uuid::now_v7),
            idempotency_key: optional.then(|| "k\t1".into()),
            client_fingerprint: fingerprint.map(Into::into),
            event_type: "IdeaProposed".into(),
            schema_version: 3,
            payload,
            prev_hash: "ab".repeat(32),
            hash: "cd".repeat(32),
        }
    }

    #[test]
    fn direct_bytes_equal_the_value_definition() {
        let payloads = [
            json!(null),
            json!({}),
            json!([]),
            json!({"z": 1, "a": [3, {"y": null, "b": true}], "M": -0.5, "é": "x", "": 1e300}),
            json!({"nested": {"d": {"c": {"b": {"a": [[], {}, "\u{7f}\u{2028}"]}}}}}),
            json!({"big": u64::MAX, "neg": i64::MIN, "float": 1.0, "tiny": 5e-324}),
            json!("a plain string \"with\" escapes \\ and \u{0}"),
        ];
        for payload in payloads {
            for fingerprint in [None, Some("fp")] {
                for optional in [false, true] {
                    let e = envelope(payload.clone(), fingerprint, optional);
                    for with_hash in [false, true] {
                        let mut direct = Vec::new();
                        write_envelope(&e, with_hash, &mut direct);
                        assert_eq!(
                            String::from_utf8(direct).unwrap(),
                            String::from_utf8(by_value(&e, with_hash)).unwrap()
                        );
                    }
                }
            }
        }
    }
}
