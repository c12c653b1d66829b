//! Chain verification from the stored bytes.
//!
//! Two passes: (1) walk the hub index in `hub_seq` order, decode each stored envelope and run
//! [`chain::verify_events`] over them, after checking each is present, decodes, and sits at the
//! position it records; the result must also reach the committed chain head. (2) scan the global
//! log for envelopes of the hub that the index does not point at (inserted or moved events).
//! The break with the lowest `hub_seq` is reported (the index walk wins a tie).
//!
//! This is the exact path, which names the first bad event; [`super::verify_scan`] proves clean
//! hubs faster and hands every hub it cannot prove to [`verify_exact`].

use super::keys::{backend, decode_stored, hub_key, read_u64, u64_key};
use super::reader::Reader;
use crate::chain::{self, GENESIS_HASH};
use crate::envelope::{ChainHead, Envelope, Verification};
use crate::error::StoreResult;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// An envelope not referenced by its hub's index: (claimed hub_seq, stored position).
type Stray = (u64, u64);

/// The fields needed to attribute a stored envelope to a hub.
#[derive(Deserialize)]
struct Probe {
    hub_id: Uuid,
    hub_seq: u64,
}

/// Verifies `hubs` exactly, in that order: each hub's index walk, plus a single scan of the
/// global log for stray events of any of them.
pub(crate) fn verify_exact(reader: &Reader, hubs: &[Uuid]) -> StoreResult<Vec<Verification>> {
    let strays = strays(reader, &hubs.iter().copied().collect())?;
    hubs.iter()
        .map(|hub| Ok(combine(*hub, walk(reader, *hub)?, strays.get(hub).copied())))
        .collect()
}

fn combine(hub: Uuid, walked: Verification, stray: Option<Stray>) -> Verification {
    let Some((seq, position)) = stray else {
        return walked;
    };
    if let Verification::Broken { hub_seq, .. } = &walked {
        if *hub_seq <= seq {
            return walked;
        }
    }
    Verification::Broken {
        hub_id: hub,
        hub_seq: seq,
        position: Some(position),
        reason: format!(
            "the event stored at position {position} claims hub sequence {seq} but is not in the \
             hub's index (it was inserted or moved)"
        ),
    }
}

/// Pass 1: the chain as the hub index orders it.
fn walk(reader: &Reader, hub: Uuid) -> StoreResult<Verification> {
    let (durable, head) = reader.committed.snapshot(hub);
    let head = head.unwrap_or_else(|| ChainHead {
        hub_id: hub,
        hub_seq: 0,
        hash: GENESIS_HASH.to_string(),
    });

    // The first failure chain::verify_events cannot see (missing, undecodable, misplaced).
    let mut failure: Option<Verification> = None;
    let mut io_error = None;
    let mut expected = 0u64;
    let mut last_position = None;
    let mut index = reader
        .trees
        .hub_index
        .range(hub_key(hub, 1)..=hub_key(hub, u64::MAX));
    let events = std::iter::from_fn(|| {
        let (_, v) = match index.next()? {
            Ok(kv) => kv,
            Err(e) => {
                io_error = Some(backend(e));
                return None;
            }
        };
        let position = match read_u64(&v) {
            Ok(p) => p,
            Err(e) => {
                io_error = Some(e);
                return None;
            }
        };
        if position > durable {
            return None;
        }
        expected += 1;
        let broken = |reason: String| {
            Some(Verification::Broken {
                hub_id: hub,
                hub_seq: expected,
                position: Some(position),
                reason,
            })
        };
        let bytes = match reader.trees.events.get(u64_key(position)) {
            Ok(Some(b)) => b,
            Ok(None) => {
                failure = broken(format!(
                    "event {expected} at position {position} is missing (it was deleted)"
                ));
                return None;
            }
            Err(e) => {
                io_error = Some(backend(e));
                return None;
            }
        };
        let e: Envelope = match decode_stored(&bytes) {
            Ok(e) => e,
            Err(err) => {
                failure = broken(format!(
                    "event {expected} at position {position} does not decode (its bytes were changed): {err}"
                ));
                return None;
            }
        };
        if e.position != position {
            failure = broken(format!(
                "position {position} holds the event recorded for position {} (events were moved)",
                e.position
            ));
            return None;
        }
        last_position = Some(position);
        Some(e)
    });
    let verdict = chain::verify_events(hub, events);
    if let Some(e) = io_error {
        return Err(e);
    }
    if let Verification::Broken { .. } = verdict {
        return Ok(verdict);
    }
    if let Some(f) = failure {
        return Ok(f);
    }
    let Verification::Ok(found) = verdict else {
        unreachable!()
    };
    if found.hub_seq < head.hub_seq {
        return Ok(Verification::Broken {
            hub_id: hub,
            hub_seq: found.hub_seq + 1,
            position: None,
            reason: format!(
                "the chain ends at event {} but its head records {} events (events are missing)",
                found.hub_seq, head.hub_seq
            ),
        });
    }
    if found.hash != head.hash {
        return Ok(Verification::Broken {
            hub_id: hub,
            hub_seq: found.hub_seq,
            position: last_position,
            reason: "the last event's hash differs from the recorded chain head".into(),
        });
    }
    Ok(Verification::Ok(found))
}

/// Pass 2: envelopes of `hubs` stored where their hub index does not point.
fn strays(reader: &Reader, hubs: &HashSet<Uuid>) -> StoreResult<HashMap<Uuid, Stray>> {
    let mut out: HashMap<Uuid, Stray> = HashMap::new();
    for item in reader.trees.events.iter() {
        let (k, v) = item.map_err(backend)?;
        let position = read_u64(&k)?;
        // Undecodable bytes cannot be attributed; if indexed, the walk reports them.
        let Ok(p) = decode_stored::<Probe>(&v) else {
            continue;
        };
        if !hubs.contains(&p.hub_id) {
            continue;
        }
        let indexed = reader
            .trees
            .hub_index
            .get(hub_key(p.hub_id, p.hub_seq))
            .map_err(backend)?
            .map(|v| read_u64(&v))
            .transpose()?;
        if indexed != Some(position) {
            let entry = out.entry(p.hub_id).or_insert((p.hub_seq, position));
            if p.hub_seq < entry.0 {
                *entry = (p.hub_seq, position);
            }
        }
    }
    Ok(out)
}
