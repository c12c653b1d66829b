//! Verification's fast path: one pass over the global log, split across the cores, that proves
//! clean chains without walking each hub's index.
//!
//! Each worker takes a contiguous range of positions and, for every envelope of a hub asked
//! about, checks that its stored bytes are an envelope in canonical form that recomputes to its
//! hash (proved from the bytes as they are, without building the envelope: [`crate::sealed`]),
//! that it sits at the position it records, and that it links to the hub's previous envelope in
//! the range; it notes each envelope's (hub sequence, position).
//! The ranges are then stitched per hub, on every core, from the genesis hash to the committed
//! chain head, and each hub's index is read once in order beside the envelopes noted of it:
//! every envelope must be the one its index entry points at, and every index entry up to the
//! head must point at an envelope seen (a merge of two sorted lists, where looking each
//! envelope up in the index cost a tree descent per event).
//! A hub is only ever *proved* here: anything unusual (a gap, a bad hash, an event the index
//! does not point at, an undecodable envelope of the hub) marks it suspect, and suspects go to
//! the exact walk in [`super::verify`], which names the first bad event as it always has. So
//! the verdict for every hub is the one the walk would give; only its cost differs.

use super::keys::{backend, decode_stored, hub_key, read_u64, u64_key};
use super::packing::unpack;
use super::reader::Reader;
use super::verify;
use crate::chain::GENESIS_HASH;
use crate::envelope::{ChainHead, Verification};
use crate::error::StoreResult;
use crate::sealed::prove;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The fields needed to attribute undecodable bytes to a hub.
#[derive(Deserialize)]
struct Probe {
    hub_id: Uuid,
}

/// What one worker saw of one hub: a linked run of its events.
struct Run {
    first_seq: u64,
    first_prev: String,
    last_seq: u64,
    last_hash: String,
}

/// What one worker saw of its range.
#[derive(Default)]
struct Range {
    runs: HashMap<Uuid, Run>,
    /// Every envelope of a hub seen in the range, durable or appended since, as (hub sequence,
    /// position), in the order of the log.
    seen: HashMap<Uuid, Vec<(u64, u64)>>,
    suspects: HashSet<Uuid>,
}

/// Verifies `hubs`, in that order: proved in one parallel pass where the chain is clean, by
/// the exact walk where it is not.
pub(crate) fn verify_hubs(reader: &Reader, hubs: &[Uuid]) -> StoreResult<Vec<Verification>> {
    let (durable, heads) = reader.committed.snapshot_all();
    let wanted: HashSet<Uuid> = hubs.iter().copied().collect();
    let last = match reader.trees.events.last().map_err(backend)? {
        Some((k, _)) => read_u64(&k)?,
        None => 0,
    };
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16) as u64;
    let span = last.div_ceil(workers).max(1);
    let bounds: Vec<(u64, u64)> = (0..workers)
        .map(|w| (w * span + 1, ((w + 1) * span).min(last)))
        .filter(|(from, to)| from <= to)
        .collect();
    let ranges: Vec<Range> = std::thread::scope(|s| {
        let tasks: Vec<_> = bounds
            .iter()
            .map(|&(from, to)| {
                let wanted = &wanted;
                s.spawn(move || scan(reader, wanted, durable, from, to))
            })
            .collect();
        tasks
            .into_iter()
            .map(|t| t.join().expect("a verification worker panicked"))
            .collect::<StoreResult<Vec<Range>>>()
    })?;

    // Each hub's stitch reads its own index range: the hubs are split across the cores.
    let chunk = hubs.len().div_ceil(workers as usize).max(1);
    let suspects: HashSet<Uuid> = std::thread::scope(|s| {
        let tasks: Vec<_> = hubs
            .chunks(chunk)
            .map(|part| {
                let (ranges, heads) = (&ranges, &heads);
                s.spawn(move || -> StoreResult<Vec<Uuid>> {
                    let mut suspects = Vec::new();
                    for hub in part {
                        let head = heads.get(hub).cloned().unwrap_or_else(|| genesis(*hub));
                        if !stitch(reader, ranges, &head, durable)? {
                            suspects.push(*hub);
                        }
                    }
                    Ok(suspects)
                })
            })
            .collect();
        let mut all = HashSet::new();
        for task in tasks {
            all.extend(task.join().expect("a verification worker panicked")?);
        }
        StoreResult::Ok(all)
    })?;
    let mut exact: HashMap<Uuid, Verification> = if suspects.is_empty() {
        HashMap::new()
    } else {
        let list: Vec<Uuid> = suspects.iter().copied().collect();
        list.iter()
            .copied()
            .zip(verify::verify_exact(reader, &list)?)
            .collect()
    };
    Ok(hubs
        .iter()
        .map(|hub| match exact.remove(hub) {
            Some(v) => v,
            None => Verification::Ok(heads.get(hub).cloned().unwrap_or_else(|| genesis(*hub))),
        })
        .collect())
}

fn genesis(hub: Uuid) -> ChainHead {
    ChainHead {
        hub_id: hub,
        hub_seq: 0,
        hash: GENESIS_HASH.to_string(),
    }
}

/// One worker: positions `from..=to`.
fn scan(
    reader: &Reader,
    wanted: &HashSet<Uuid>,
    durable: u64,
    from: u64,
    to: u64,
) -> StoreResult<Range> {
    let mut out = Range::default();
    for item in reader.trees.events.range(u64_key(from)..=u64_key(to)) {
        let (k, bytes) = item.map_err(backend)?;
        let position = read_u64(&k)?;
        // Proved from the stored bytes as they are; anything else is a suspect for the exact
        // walk, attributed to its hub if the bytes say which.
        let proved = unpack(&bytes).ok().and_then(|json| prove(&json));
        let Some(e) = proved else {
            if let Ok(p) = decode_stored::<Probe>(&bytes) {
                if wanted.contains(&p.hub_id) {
                    out.suspects.insert(p.hub_id);
                }
            }
            continue;
        };
        let hub = e.hub_id;
        if !wanted.contains(&hub) || out.suspects.contains(&hub) {
            continue;
        }
        // Checked against the hub's index when the ranges are stitched.
        out.seen.entry(hub).or_default().push((e.hub_seq, position));
        if position > durable {
            // Appended after the heads were read: not part of the proof.
            continue;
        }
        let linked = match out.runs.get(&hub) {
            Some(run) => e.hub_seq == run.last_seq + 1 && e.prev_hash == run.last_hash,
            None => true,
        };
        if !linked || e.position != position {
            out.suspects.insert(hub);
            continue;
        }
        match out.runs.get_mut(&hub) {
            Some(run) => {
                run.last_seq = e.hub_seq;
                run.last_hash = e.hash;
            }
            None => {
                out.runs.insert(
                    hub,
                    Run {
                        first_seq: e.hub_seq,
                        first_prev: e.prev_hash,
                        last_seq: e.hub_seq,
                        last_hash: e.hash,
                    },
                );
            }
        }
    }
    Ok(out)
}

/// Whether the ranges' runs of `head`'s hub join, from the genesis hash, into exactly the chain
/// its head records, and its index agrees with the envelopes seen (see [`indexed_as_seen`]).
fn stitch(reader: &Reader, ranges: &[Range], head: &ChainHead, durable: u64) -> StoreResult<bool> {
    let hub = head.hub_id;
    let mut seq = 0u64;
    let mut prev = GENESIS_HASH;
    for range in ranges {
        if range.suspects.contains(&hub) {
            return Ok(false);
        }
        if let Some(run) = range.runs.get(&hub) {
            if run.first_seq != seq + 1 || run.first_prev != prev {
                return Ok(false);
            }
            seq = run.last_seq;
            prev = &run.last_hash;
        }
    }
    if seq != head.hub_seq || prev != head.hash {
        return Ok(false);
    }
    indexed_as_seen(reader, ranges, head, durable)
}

/// Whether `head`'s hub index and the envelopes of the hub seen in `ranges` agree: every
/// envelope seen is the one the index entry of its sequence points at (so none was inserted or
/// moved), every entry up to the head points at one seen, and no entry past the head points
/// into the durable log. One ordered pass over the index beside the envelopes seen, which a
/// sound log holds in rising sequence.
fn indexed_as_seen(
    reader: &Reader,
    ranges: &[Range],
    head: &ChainHead,
    durable: u64,
) -> StoreResult<bool> {
    let hub = head.hub_id;
    let mut seen = ranges
        .iter()
        .filter_map(|range| range.seen.get(&hub))
        .flatten()
        .copied()
        .peekable();
    for item in reader
        .trees
        .hub_index
        .range(hub_key(hub, 1)..=hub_key(hub, u64::MAX))
    {
        let (k, v) = item.map_err(backend)?;
        let Some(seq) = k.get(16..).map(read_u64).transpose()? else {
            return Ok(false);
        };
        let position = read_u64(&v)?;
        match seen.peek().copied() {
            // An envelope seen whose sequence the index skips (the index's sequences rise, so
            // this also catches two envelopes with one sequence, or ones out of order).
            Some((s, _)) if s < seq => return Ok(false),
            Some((s, p)) if s == seq => {
                if p != position {
                    return Ok(false);
                }
                seen.next();
            }
            // An entry with no envelope seen: only one appended after the scan passed by.
            _ => {
                if seq <= head.hub_seq || position <= durable {
                    return Ok(false);
                }
            }
        }
    }
    // Any envelope left claims a sequence the index does not hold.
    Ok(seen.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain;
    use crate::envelope::{ActorRef, AppendRequest, Envelope, ExpectedVersion, NewEvent};
    use crate::sled_store::keys::decode_envelope;
    use crate::sled_store::SledStore;
    use crate::store::EventStore;
    use serde_json::json;

    fn req(hub: Uuid, stream: String) -> AppendRequest {
        AppendRequest {
            hub_id: hub,
            stream_id: stream,
            expected_version: ExpectedVersion::Any,
            actor: ActorRef {
                member_id: Uuid::now_v7(),
                organisation_id: None,
                stakeholder_kind: None,
                role: "facilitator".into(),
            },
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            idempotency_key: None,
            client_fingerprint: None,
            events: vec![NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "Tested".into(),
                schema_version: 1,
                payload: json!({"tag": "original", "nested": {"b": 1, "a": [true, null]}}),
            }],
        }
    }

    /// Five hubs, 60 events, interleaved so that every worker's range holds every hub.
    async fn fixture(dir: &std::path::Path) -> (SledStore, Vec<Uuid>) {
        let store = SledStore::open(dir).unwrap();
        let hubs: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        for i in 0..12 {
            for (h, hub) in hubs.iter().enumerate() {
                store.append(req(*hub, format!("s-{h}-{i}"))).await.unwrap();
            }
        }
        (store, hubs)
    }

    /// The fast path's verdicts must be the exact walk's, hub by hub.
    fn agree(store: &SledStore, hubs: &[Uuid], case: &str) -> Vec<Verification> {
        let fast = verify_hubs(store.reader(), hubs).unwrap();
        let exact = verify::verify_exact(store.reader(), hubs).unwrap();
        assert_eq!(fast, exact, "{case}");
        fast
    }

    fn broken(v: &[Verification]) -> usize {
        v.iter()
            .filter(|v| matches!(v, Verification::Broken { .. }))
            .count()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_fast_path_agrees_with_the_exact_walk_for_every_kind_of_tampering() {
        type Tamper = fn(&SledStore, &[Uuid]);
        let cases: [(&str, Tamper); 10] = [
            ("clean", |_, _| {}),
            ("changed byte", |s, _| {
                let mut b = s.raw_event_bytes(17).unwrap().unwrap();
                let at = b.windows(8).position(|w| w == b"original").unwrap();
                b[at] = b'O';
                s.raw_put_event_bytes(17, &b).unwrap();
            }),
            ("undecodable", |s, _| {
                let mut b = s.raw_event_bytes(33).unwrap().unwrap();
                b[0] = b'#';
                s.raw_put_event_bytes(33, &b).unwrap();
            }),
            ("deleted", |s, _| s.raw_remove_event(42).unwrap()),
            // The same envelope in another JSON form (fields in declaration order, unpacked): not
            // proved from its bytes, so the exact walk decides, and it is intact.
            ("another form", |s, _| {
                let stored = s.raw_event_bytes(29).unwrap().unwrap();
                let e = decode_envelope(29, &stored).unwrap();
                s.raw_put_event_bytes(29, &serde_json::to_vec(&e).unwrap())
                    .unwrap();
            }),
            ("swapped", |s, _| {
                let (x, y) = (
                    s.raw_event_bytes(8).unwrap().unwrap(),
                    s.raw_event_bytes(48).unwrap().unwrap(),
                );
                s.raw_put_event_bytes(8, &y).unwrap();
                s.raw_put_event_bytes(48, &x).unwrap();
            }),
            ("inserted", |s, _| {
                let mut forged: Envelope =
                    serde_json::from_slice(&s.raw_event_bytes(21).unwrap().unwrap()).unwrap();
                forged.event_id = Uuid::now_v7();
                forged.position = 61;
                let prev = forged.prev_hash.clone();
                chain::seal(&mut forged, &prev);
                s.raw_put_event_bytes(61, &serde_json::to_vec(&forged).unwrap())
                    .unwrap();
            }),
            // The index alone tampered with: the envelopes are intact, but reading the hub
            // through its index would give them in another order, lose one, or find one twice.
            ("index swapped", |s, hubs| {
                let index = &s.reader().trees.hub_index;
                let (a, b) = (hub_key(hubs[2], 3), hub_key(hubs[2], 4));
                let (x, y) = (
                    index.get(a).unwrap().unwrap(),
                    index.get(b).unwrap().unwrap(),
                );
                index.insert(a, y).unwrap();
                index.insert(b, x).unwrap();
            }),
            ("index entry removed", |s, hubs| {
                s.reader()
                    .trees
                    .hub_index
                    .remove(hub_key(hubs[4], 7))
                    .unwrap();
            }),
            ("index entry past the head", |s, hubs| {
                s.reader()
                    .trees
                    .hub_index
                    .insert(hub_key(hubs[0], 13), &u64_key(20))
                    .unwrap();
            }),
        ];
        for (case, tamper) in cases {
            let dir = tempfile::tempdir().unwrap();
            let (store, hubs) = fixture(dir.path()).await;
            tamper(&store, &hubs);
            let verdicts = agree(&store, &hubs, case);
            let expected_broken = if matches!(case, "clean" | "another form") {
                0
            } else {
                1
            };
            assert_eq!(broken(&verdicts), expected_broken, "{case}: {verdicts:?}");
            // Asked about a subset, the answer is the same for those hubs, in the order asked.
            let subset = [hubs[3], hubs[1]];
            assert_eq!(
                verify_hubs(store.reader(), &subset).unwrap(),
                vec![verdicts[3].clone(), verdicts[1].clone()],
                "{case}: subset"
            );
        }
    }

    /// On a clean log every envelope is proved from its bytes: nothing is left to the walk.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_clean_log_is_proved_in_one_pass_without_suspects() {
        let dir = tempfile::tempdir().unwrap();
        let (store, hubs) = fixture(dir.path()).await;
        let wanted: HashSet<Uuid> = hubs.iter().copied().collect();
        let range = scan(store.reader(), &wanted, 60, 1, 60).unwrap();
        assert!(range.suspects.is_empty());
        assert_eq!(range.runs.len(), 5);
        assert!(range
            .runs
            .values()
            .all(|run| run.first_seq == 1 && run.last_seq == 12));
        let (_, heads) = store.reader().committed.snapshot_all();
        for hub in &hubs {
            assert!(stitch(
                store.reader(),
                std::slice::from_ref(&range),
                &heads[hub],
                60
            )
            .unwrap());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn verifying_while_appending_proves_every_chain_up_to_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let (store, hubs) = fixture(dir.path()).await;
        let store = std::sync::Arc::new(store);
        let writer = {
            let (store, hubs) = (store.clone(), hubs.clone());
            tokio::spawn(async move {
                for i in 0..200 {
                    let hub = hubs[i % hubs.len()];
                    store.append(req(hub, format!("late-{i}"))).await.unwrap();
                }
            })
        };
        while !writer.is_finished() {
            let verdicts = store.verify_hubs(&hubs).await.unwrap();
            assert_eq!(broken(&verdicts), 0, "{verdicts:?}");
        }
        writer.await.unwrap();
        let verdicts = store.verify_hubs(&hubs).await.unwrap();
        let events: u64 = verdicts
            .iter()
            .map(|v| match v {
                Verification::Ok(head) => head.hub_seq,
                other => panic!("{other:?}"),
            })
            .sum();
        assert_eq!(events, 260);
    }
}
