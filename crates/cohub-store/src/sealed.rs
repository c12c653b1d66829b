//! Proving a stored envelope straight from the canonical bytes it was stored as, without
//! building it: the fast path of verification.
//!
//! The store keeps each envelope as its canonical JSON, `hash` included. If those bytes parse
//! as an envelope and are exactly what [`crate::canonical`] writes for the fields they parse to
//! (the payload checked canonical in place, never built as a value), then hashing them with
//! the `hash` field cut out is hashing the envelope's canonical bytes, and the result is the
//! one a full decode and [`crate::chain::compute_hash`] give. Bytes in any other form, or not
//! an envelope at all, give `None`, and the caller falls back to the full decode, which names
//! what is wrong; so this path can prove an envelope, never condemn one.

use std::borrow::Cow;
use std::cell::RefCell;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::canonical::{SortedActor, SortedEnvelope};

/// What verification needs of an envelope whose stored bytes were proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sealed {
    /// Its hub.
    pub hub_id: Uuid,
    /// Its sequence in the hub's chain.
    pub hub_seq: u64,
    /// The global position it records.
    pub position: u64,
    /// The hash it links to.
    pub prev_hash: String,
    /// Its own hash, recomputed and equal to the one it carries.
    pub hash: String,
}

/// An envelope's fields borrowed from its stored bytes (the same fields and types as
/// [`crate::envelope::Envelope`], with the payload kept as its text).
#[derive(Deserialize)]
struct Stored<'a> {
    event_id: Uuid,
    hub_id: Uuid,
    #[serde(borrow)]
    stream_id: Cow<'a, str>,
    stream_version: u64,
    hub_seq: u64,
    position: u64,
    recorded_at: DateTime<Utc>,
    #[serde(borrow)]
    actor: StoredActor<'a>,
    correlation_id: Uuid,
    causation_id: Option<Uuid>,
    #[serde(borrow)]
    idempotency_key: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    client_fingerprint: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_type: Cow<'a, str>,
    schema_version: u32,
    #[serde(borrow)]
    payload: &'a RawValue,
    #[serde(borrow)]
    prev_hash: Cow<'a, str>,
    #[serde(borrow)]
    hash: Cow<'a, str>,
}

/// [`crate::envelope::ActorRef`], borrowed.
#[derive(Deserialize)]
struct StoredActor<'a> {
    member_id: Uuid,
    organisation_id: Option<Uuid>,
    #[serde(borrow)]
    stakeholder_kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    role: Cow<'a, str>,
}

/// How the `hash` field starts in canonical bytes. Only the actor object and scalars come
/// before it, and a quote inside a string is always escaped, so its first occurrence is the
/// envelope's own field.
const HASH_FIELD: &[u8] = b",\"hash\":\"";

/// How deep a payload may nest before this path gives up (serde_json's own limit).
const MAX_DEPTH: u32 = 128;

thread_local! {
    static REWRITTEN: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Proves the canonical JSON `json` an envelope was stored as: `Some` when the bytes are an
/// envelope in canonical form whose hash recomputes to the one it carries; `None` otherwise
/// (another form, not an envelope, or a hash that does not recompute).
pub(crate) fn prove(json: &[u8]) -> Option<Sealed> {
    let s: Stored<'_> = serde_json::from_slice(json).ok()?;
    if !canonical_payload(s.payload.get().as_bytes()) {
        return None;
    }
    let sorted = SortedEnvelope {
        actor: SortedActor {
            member_id: &s.actor.member_id,
            organisation_id: &s.actor.organisation_id,
            role: &s.actor.role,
            stakeholder_kind: s.actor.stakeholder_kind.as_deref(),
        },
        causation_id: &s.causation_id,
        client_fingerprint: s.client_fingerprint.as_deref(),
        correlation_id: &s.correlation_id,
        event_id: &s.event_id,
        event_type: &s.event_type,
        hash: Some(&s.hash),
        hub_id: &s.hub_id,
        hub_seq: s.hub_seq,
        idempotency_key: s.idempotency_key.as_deref(),
        payload: s.payload,
        position: s.position,
        prev_hash: &s.prev_hash,
        recorded_at: &s.recorded_at,
        schema_version: s.schema_version,
        stream_id: &s.stream_id,
        stream_version: s.stream_version,
    };
    let hashed = REWRITTEN.with(|cell| {
        let mut rewritten = cell.borrow_mut();
        rewritten.clear();
        sorted.write(&mut rewritten);
        // The bytes must be exactly the canonical form of what they say, so that hashing them
        // is hashing the canonical bytes.
        if rewritten.as_slice() != json {
            return None;
        }
        let at = memchr::memmem::find(json, HASH_FIELD)?;
        let end = at + HASH_FIELD.len() + s.hash.len() + 1;
        let mut h = Sha256::new();
        h.update(s.prev_hash.as_bytes());
        h.update(&json[..at]);
        h.update(&json[end..]);
        Some(hex::encode(h.finalize()))
    })?;
    (hashed == s.hash).then(|| Sealed {
        hub_id: s.hub_id,
        hub_seq: s.hub_seq,
        position: s.position,
        prev_hash: s.prev_hash.into_owned(),
        hash: s.hash.into_owned(),
    })
}

/// Whether `text` is a JSON value exactly as the canonical writer writes it: no white space
/// outside strings, object keys in strictly rising byte order, strings escaped only as
/// serde_json escapes them, numbers as serde_json writes them. Conservative: a key with an
/// escape in it, or anything nested deeper than [`MAX_DEPTH`], is refused though it might be
/// canonical (the caller then takes the full path).
fn canonical_payload(text: &[u8]) -> bool {
    let mut i = 0;
    value(text, &mut i, MAX_DEPTH) && i == text.len()
}

fn value(b: &[u8], i: &mut usize, depth: u32) -> bool {
    match b.get(*i) {
        Some(b'{') => {
            *i += 1;
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return true;
            }
            let mut previous: Option<&[u8]> = None;
            loop {
                let start = *i;
                if !string(b, i) {
                    return false;
                }
                let key = &b[start + 1..*i - 1];
                if key.contains(&b'\\') || previous.is_some_and(|p| p >= key) {
                    return false;
                }
                previous = Some(key);
                if b.get(*i) != Some(&b':') {
                    return false;
                }
                *i += 1;
                if depth == 0 || !value(b, i, depth - 1) {
                    return false;
                }
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b'}') => {
                        *i += 1;
                        return true;
                    }
                    _ => return false,
                }
            }
        }
        Some(b'[') => {
            *i += 1;
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return true;
            }
            loop {
                if depth == 0 || !value(b, i, depth - 1) {
                    return false;
                }
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b']') => {
                        *i += 1;
                        return true;
                    }
                    _ => return false,
                }
            }
        }
        Some(b'"') => string(b, i),
        Some(b't') => literal(b, i, b"true"),
        Some(b'f') => literal(b, i, b"false"),
        Some(b'n') => literal(b, i, b"null"),
        Some(b'-' | b'0'..=b'9') => number(b, i),
        _ => false,
    }
}

fn literal(b: &[u8], i: &mut usize, word: &[u8]) -> bool {
    if b[*i..].starts_with(word) {
        *i += word.len();
        true
    } else {
        false
    }
}

/// A string at `b[*i] == '"'`, escaped as serde_json escapes: `\"`, `\\`, the five short
/// control escapes, and `\u00xx` (lower-case hex) for the other control characters only.
fn string(b: &[u8], i: &mut usize) -> bool {
    *i += 1;
    loop {
        match b.get(*i) {
            None => return false,
            Some(b'"') => {
                *i += 1;
                return true;
            }
            Some(b'\\') => match b.get(*i + 1) {
                Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => *i += 2,
                Some(b'u') => {
                    let Some(&[b'0', b'0', hi, lo]) = b.get(*i + 2..*i + 6) else {
                        return false;
                    };
                    let code = match (hi, lo) {
                        (b'0'..=b'1', b'0'..=b'9') => (hi - b'0') * 16 + (lo - b'0'),
                        (b'0'..=b'1', b'a'..=b'f') => (hi - b'0') * 16 + (lo - b'a' + 10),
                        _ => return false,
                    };
                    if matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                        return false;
                    }
                    *i += 6;
                }
                _ => return false,
            },
            Some(c) if *c < 0x20 => return false,
            Some(_) => *i += 1,
        }
    }
}

/// A number as serde_json writes it back: a plain non-negative integer without a leading
/// zero is taken as it is; anything else is parsed and written again to compare.
fn number(b: &[u8], i: &mut usize) -> bool {
    let start = *i;
    while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = b.get(*i) {
        *i += 1;
    }
    let token = &b[start..*i];
    let plain = token.len() <= 19
        && token.iter().all(u8::is_ascii_digit)
        && (token == b"0" || token[0] != b'0');
    plain
        || serde_json::from_slice::<serde_json::Number>(token)
            .is_ok_and(|n| n.to_string().as_bytes() == token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{compute_hash, seal};
    use crate::envelope::Envelope;
    use serde_json::{json, Value};

    /// The canonical tests' envelope, sealed onto a previous hash.
    fn envelope(payload: Value, optional: bool) -> Envelope {
        let mut e = crate::canonical::tests::envelope(payload, optional.then_some("fp"), optional);
        seal(&mut e, &"ab".repeat(32));
        e
    }

    fn stored(e: &Envelope) -> Vec<u8> {
        let mut out = Vec::new();
        crate::canonical::write_envelope(e, true, &mut out);
        out
    }

    fn payloads() -> Vec<Value> {
        vec![
            json!(null),
            json!({}),
            json!([]),
            json!({"z": 1, "a": [3, {"y": null, "b": true}], "M": -0.5, "é": "x", "": 1e300}),
            json!({"nested": {"d": {"c": {"b": {"a": [[], {}, "\u{7f}\u{2028}"]}}}}}),
            json!({"big": u64::MAX, "neg": i64::MIN, "float": 1.0, "tiny": 5e-324, "zero": 0}),
            json!("a plain string \"with\" escapes \\ and \u{0} \u{8} \u{1f} \n \t é"),
            json!({"text": {"lang": "en", "text": "Stairs at Tower Court <b>&amp;</b> 'lift'"}}),
        ]
    }

    #[test]
    fn canonical_bytes_are_proved_with_the_hash_a_full_decode_gives() {
        for payload in payloads() {
            for optional in [false, true] {
                let e = envelope(payload.clone(), optional);
                let sealed = prove(&stored(&e)).expect("canonical bytes are proved");
                assert_eq!(sealed.hash, compute_hash(&e));
                assert_eq!(sealed.hash, e.hash);
                assert_eq!(
                    (
                        sealed.hub_id,
                        sealed.hub_seq,
                        sealed.position,
                        sealed.prev_hash
                    ),
                    (e.hub_id, e.hub_seq, e.position, e.prev_hash.clone())
                );
            }
        }
    }

    /// Bytes rewritten into another form (even with a hash recomputed over exactly those
    /// bytes, as a forger would) are never proved: only the canonical form is.
    #[test]
    fn any_other_form_is_left_to_the_full_path() {
        let e = envelope(
            json!({"a": 1, "b": [1, 2], "c": "é/x", "d": 10.5, "e": {"f": null}}),
            true,
        );
        let good = String::from_utf8(stored(&e)).unwrap();
        let forms = [
            good.replace("\"a\":1,\"b\"", "\"a\":1, \"b\""),
            good.replace("\"a\":1,\"b\":[1,2]", "\"b\":[1,2],\"a\":1"),
            good.replace("é/x", "\\u00e9/x"),
            good.replace("é/x", "é\\/x"),
            good.replace("\"d\":10.5", "\"d\":1.05e1"),
            good.replace("\"a\":1,", "\"a\":01,"),
            good.replace("\"a\":1,", "\"a\":1,\"a\":1,"),
            good.replace(&e.hub_id.to_string(), &e.hub_id.to_string().to_uppercase()),
            good.replace(
                "\"recorded_at\":\"2026-12-03T10:11:12.123456Z\"",
                "\"recorded_at\":\"2026-12-03T10:11:12.123456+00:00\"",
            ),
            good.replace(
                &format!("\"causation_id\":\"{}\",", e.causation_id.unwrap()),
                "",
            ),
            good.replace("{\"actor\"", "{\"extra\":1,\"actor\""),
            good.replace("\"schema_version\":3", "\"schema_version\":3 "),
            format!(" {good}"),
        ];
        for form in forms {
            assert_ne!(form, good, "each form differs");
            let json = form.as_bytes();
            // A forger's hash over exactly these bytes, `hash` cut out.
            let at = form.find(",\"hash\":\"").unwrap();
            let end = at + HASH_FIELD.len() + 65;
            let mut h = Sha256::new();
            h.update(e.prev_hash.as_bytes());
            h.update(&json[..at]);
            h.update(&json[end..]);
            let forged = form.replace(&e.hash, &hex::encode(h.finalize()));
            assert_eq!(prove(json), None, "{form}");
            assert_eq!(prove(forged.as_bytes()), None, "{forged}");
        }
    }

    #[test]
    fn a_changed_byte_or_a_wrong_hash_is_not_proved() {
        let e = envelope(json!({"text": "the lift is broken"}), false);
        let good = String::from_utf8(stored(&e)).unwrap();
        assert!(prove(good.as_bytes()).is_some());
        assert_eq!(prove(good.replace("broken", "mended").as_bytes()), None);
        assert_eq!(
            prove(good.replace(&e.hash, &"0".repeat(64)).as_bytes()),
            None
        );
        assert_eq!(prove(&good.as_bytes()[..good.len() - 1]), None);
        assert_eq!(prove(b"not json"), None);
    }

    #[test]
    fn the_payload_check_follows_serde_json() {
        for text in [
            "0",
            "-1",
            "1.5",
            "-0.5",
            "1e+300",
            "5e-324",
            "18446744073709551615",
            "[]",
            "{}",
            "\"\\u001f\"",
            "{\"a\":{\"b\":[true,false,null]}}",
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                text,
                "the case is canonical"
            );
            assert!(canonical_payload(text.as_bytes()), "{text}");
        }
        for text in [
            "-0",
            "1.50",
            "1E5",
            "+1",
            "\"\\u001F\"",
            "\"\\u0009\"",
            "\"\\u0041\"",
            "[1,]",
            "{\"b\":1,\"a\":2}",
            "{\"a\" :1}",
            "tru",
            "",
        ] {
            assert!(!canonical_payload(text.as_bytes()), "{text}");
        }
    }
}
