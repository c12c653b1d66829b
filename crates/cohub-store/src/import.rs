//! Backend-independent planning of [`EventStore::import`](crate::store::EventStore::import):
//! checks a batch of sealed envelopes against the store's current state and works out every
//! head, stream version and idempotency record the batch leaves behind. Backends look up what
//! the plan asks ([`ImportBase`]) and then write the [`ImportPlan`] in one transaction.

use crate::chain::compute_hash;
use crate::envelope::{ChainHead, Envelope, ImportReport, Receipt};
use crate::error::{ImportRefusal, ImportRefusalKind, StoreError, StoreResult};
use crate::idempotency::{ImportedFingerprint, KeyRecord};
use std::collections::HashMap;
use uuid::Uuid;

/// What the planner needs to know about the store before the batch.
pub trait ImportBase {
    /// The global head position.
    fn head_position(&self) -> u64;
    /// A hub's chain head (sequence 0 and the genesis hash if it has none).
    fn chain_head(&self, hub: Uuid) -> StoreResult<ChainHead>;
    /// A stream's hub and version, if it exists.
    fn stream(&self, stream_id: &str) -> StoreResult<Option<(Uuid, u64)>>;
    /// The stored record of an idempotency key of an actor in a hub, if any.
    fn idempotency(&self, hub: Uuid, actor: Uuid, key: &str) -> StoreResult<Option<KeyRecord>>;
}

/// A checked batch, ready to write.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// The envelopes, verbatim, in position order.
    pub envelopes: Vec<Envelope>,
    /// The global head position after the batch.
    pub position: u64,
    /// The new head of every hub the batch touches.
    pub heads: HashMap<Uuid, ChainHead>,
    /// The new (hub, version) of every stream the batch touches.
    pub streams: HashMap<String, (Uuid, u64)>,
    /// The new record of every (hub, actor, idempotency key) the batch touches.
    pub idempotency: HashMap<(Uuid, Uuid, String), KeyRecord>,
}

impl ImportPlan {
    /// What the import reports once written.
    pub fn report(&self) -> ImportReport {
        let mut heads: Vec<ChainHead> = self.heads.values().cloned().collect();
        heads.sort_by_key(|h| h.hub_id);
        ImportReport {
            imported: self.envelopes.len() as u64,
            head_position: self.position,
            heads,
        }
    }
}

/// A keyed append being rebuilt from its envelopes.
struct KeyRun {
    fingerprint: ImportedFingerprint,
    /// The client fingerprint its envelopes carry (the same on each).
    client_fingerprint: Option<String>,
    receipt: Receipt,
    /// The first envelope of the append in this batch, if it started here (for consistency).
    first: Option<Envelope>,
}

/// Checks `envelopes` against `base` (see the trait method's contract) and plans their write.
pub fn plan<B: ImportBase + ?Sized>(base: &B, envelopes: Vec<Envelope>) -> StoreResult<ImportPlan> {
    let mut position = base.head_position();
    let mut heads: HashMap<Uuid, ChainHead> = HashMap::new();
    let mut streams: HashMap<String, (Uuid, u64)> = HashMap::new();
    let mut runs: HashMap<(Uuid, Uuid, String), KeyRun> = HashMap::new();

    for (index, e) in envelopes.iter().enumerate() {
        let refuse = |kind: ImportRefusalKind, detail: String| {
            StoreError::ImportRefused(ImportRefusal {
                position: e.position,
                index,
                kind,
                detail,
            })
        };
        if e.position != position + 1 {
            return Err(refuse(
                ImportRefusalKind::Position,
                format!(
                    "the store's log ends at position {position}, so the next event must have position {} (it has {})",
                    position + 1,
                    e.position
                ),
            ));
        }
        if e.stream_id.is_empty() || e.stream_id.contains('\0') {
            return Err(refuse(
                ImportRefusalKind::Malformed,
                "a stream id must be non-empty and contain no NUL character".into(),
            ));
        }
        let head = match heads.get(&e.hub_id) {
            Some(h) => h.clone(),
            None => base.chain_head(e.hub_id)?,
        };
        if e.hub_seq != head.hub_seq + 1 {
            return Err(refuse(
                ImportRefusalKind::HubSeq,
                format!(
                    "hub {} is at sequence {}, so the next event must have hub sequence {} (it has {})",
                    e.hub_id,
                    head.hub_seq,
                    head.hub_seq + 1,
                    e.hub_seq
                ),
            ));
        }
        if e.prev_hash != head.hash {
            return Err(refuse(
                ImportRefusalKind::PrevHash,
                format!(
                    "its prev_hash does not link to hub {}'s head hash {}",
                    e.hub_id, head.hash
                ),
            ));
        }
        if compute_hash(e) != e.hash {
            return Err(refuse(
                ImportRefusalKind::Hash,
                "its hash does not recompute from its content (the event was changed)".into(),
            ));
        }
        let stream = match streams.get(&e.stream_id) {
            Some(s) => Some(*s),
            None => base.stream(&e.stream_id)?,
        };
        let current = match stream {
            Some((hub, _)) if hub != e.hub_id => {
                return Err(refuse(
                    ImportRefusalKind::WrongHub,
                    format!("the {} stream belongs to another hub", e.stream_id),
                ))
            }
            Some((_, v)) => v,
            None => 0,
        };
        if e.stream_version != current + 1 {
            return Err(refuse(
                ImportRefusalKind::StreamVersion,
                format!(
                    "the {} stream is at version {current}, so the next event must have version {} (it has {})",
                    e.stream_id,
                    current + 1,
                    e.stream_version
                ),
            ));
        }
        if let Some(key) = &e.idempotency_key {
            let id = (e.hub_id, e.actor.member_id, key.clone());
            let used = || {
                refuse(
                    ImportRefusalKind::IdempotencyKeyUsed,
                    format!(
                        "the idempotency key {key:?} was already used by member {} in hub {} for another append",
                        e.actor.member_id, e.hub_id
                    ),
                )
            };
            let run = match runs.remove(&id) {
                Some(run) => Some(run),
                None => match base.idempotency(e.hub_id, e.actor.member_id, key)? {
                    // Only an imported append continued from the previous batch may go on.
                    Some(record) => match ImportedFingerprint::resume(&record.fingerprint) {
                        Some(fingerprint) => Some(KeyRun {
                            fingerprint,
                            client_fingerprint: record.client_fingerprint,
                            receipt: record.receipt,
                            first: None,
                        }),
                        None => return Err(used()),
                    },
                    None => None,
                },
            };
            let run = match run {
                Some(mut run) => {
                    let continues = run.receipt.last_position + 1 == e.position
                        && run.receipt.stream_id == e.stream_id
                        && run.client_fingerprint == e.client_fingerprint
                        && run.first.as_ref().is_none_or(|f| {
                            f.actor == e.actor
                                && f.correlation_id == e.correlation_id
                                && f.causation_id == e.causation_id
                        });
                    if !continues {
                        return Err(used());
                    }
                    run.fingerprint.push(e);
                    let r = &mut run.receipt;
                    r.event_ids.push(e.event_id);
                    r.last_position = e.position;
                    r.last_hub_seq = e.hub_seq;
                    r.stream_version = e.stream_version;
                    r.hash = e.hash.clone();
                    run
                }
                None => {
                    let mut fingerprint = ImportedFingerprint::start(e);
                    fingerprint.push(e);
                    KeyRun {
                        fingerprint,
                        client_fingerprint: e.client_fingerprint.clone(),
                        receipt: Receipt {
                            hub_id: e.hub_id,
                            stream_id: e.stream_id.clone(),
                            event_ids: vec![e.event_id],
                            first_position: e.position,
                            last_position: e.position,
                            last_hub_seq: e.hub_seq,
                            stream_version: e.stream_version,
                            hash: e.hash.clone(),
                            recorded_at: e.recorded_at,
                        },
                        first: Some(e.clone()),
                    }
                }
            };
            runs.insert(id, run);
        }
        position = e.position;
        heads.insert(
            e.hub_id,
            ChainHead {
                hub_id: e.hub_id,
                hub_seq: e.hub_seq,
                hash: e.hash.clone(),
            },
        );
        streams.insert(e.stream_id.clone(), (e.hub_id, e.stream_version));
    }
    let idempotency = runs
        .into_iter()
        .map(|(k, run)| {
            let record = KeyRecord {
                fingerprint: run.fingerprint.finish(),
                client_fingerprint: run.client_fingerprint,
                receipt: run.receipt,
            };
            (k, record)
        })
        .collect();
    Ok(ImportPlan {
        envelopes,
        position,
        heads,
        streams,
        idempotency,
    })
}
