//! The single writer: owns sequence numbers, checks and places appends, and commits each batch
//! in one sled transaction followed by one flush (group commit) before answering anyone.

use super::keys::{
    self, backend, hub_key, idempotency_key, read_idempotency_record, stream_key, stream_value,
    u64_key, Trees,
};
use super::reader::Reader;
use crate::chain::{self, GENESIS_HASH};
use crate::envelope::{AppendRequest, ChainHead, Envelope, ExpectedVersion, ImportReport, Receipt};
use crate::error::{StoreError, StoreResult};
use crate::idempotency::KeyRecord;
use crate::import::{self, ImportBase};
use chrono::{DateTime, Utc};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot};
use uuid::Uuid;

/// Most appends committed in one batch.
const MAX_BATCH: usize = 512;

/// What the store's handles ask the writer.
pub(crate) enum Msg {
    /// Append, answering once durable.
    Append(Box<AppendRequest>, oneshot::Sender<StoreResult<Receipt>>),
    /// Answer once everything sent before is durable.
    Flush(oneshot::Sender<()>),
    /// Import sealed envelopes verbatim, answering once durable.
    Import(Vec<Envelope>, oneshot::Sender<StoreResult<ImportReport>>),
    /// Finish what was sent before, answer, then refuse everything and stop.
    Close(oneshot::Sender<()>),
}

/// The writer's own view of the log (it is the only one who changes it).
pub(crate) struct Writer {
    trees: Trees,
    reader: Reader,
    /// Where flushed envelopes are announced to subscribers.
    live: broadcast::Sender<Arc<Envelope>>,
    /// Last committed global position.
    position: u64,
    /// Every hub's committed head.
    heads: HashMap<Uuid, ChainHead>,
    /// Set when a flush failed after a commit: the outcome is unknown, so stop writing.
    poisoned: Option<String>,
}

/// How one request of a batch turned out before commit.
enum Outcome {
    /// Rejected; answer now (after the batch, like everyone else).
    Done(StoreResult<Receipt>),
    /// Accepted (new events or an idempotent replay); answer once the batch is durable.
    Staged(Receipt),
}

/// A batch being planned: overlays over the committed view.
struct Plan<'a> {
    w: &'a Writer,
    position: u64,
    heads: HashMap<Uuid, ChainHead>,
    streams: HashMap<String, (Uuid, u64)>,
    idempotency: HashMap<Vec<u8>, KeyRecord>,
    envelopes: Vec<Envelope>,
    recorded_at: DateTime<Utc>,
}

impl Writer {
    /// Builds the writer's view from the trees (as left by the last committed batch).
    pub fn new(
        reader: Reader,
        live: broadcast::Sender<Arc<Envelope>>,
        position: u64,
        heads: HashMap<Uuid, ChainHead>,
    ) -> Writer {
        Writer {
            trees: reader.trees.clone(),
            reader,
            live,
            position,
            heads,
            poisoned: None,
        }
    }

    /// Runs until every handle is gone or `Close` arrives.
    pub fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        loop {
            let Some(first) = rx.blocking_recv() else {
                return;
            };
            let mut batch = Vec::new();
            let mut control = None;
            let mut next = Some(first);
            while let Some(m) = next.take() {
                match m {
                    Msg::Append(req, reply) => batch.push((*req, reply)),
                    other => {
                        control = Some(other);
                        break;
                    }
                }
                if batch.len() >= MAX_BATCH {
                    break;
                }
                next = rx.try_recv().ok();
            }
            if !batch.is_empty() {
                self.commit_batch(batch);
            }
            match control {
                Some(Msg::Flush(ack)) => {
                    let _ = ack.send(());
                }
                Some(Msg::Import(envelopes, reply)) => {
                    let _ = reply.send(self.import(envelopes));
                }
                Some(Msg::Close(ack)) => {
                    rx.close();
                    while let Ok(m) = rx.try_recv() {
                        refuse(m, "the store is closed");
                    }
                    let _ = self.trees.db.flush();
                    let _ = ack.send(());
                    return;
                }
                Some(Msg::Append(..)) => unreachable!("appends are batched"),
                None => {}
            }
        }
    }

    /// Plans, commits, flushes and answers one batch.
    fn commit_batch(&mut self, batch: Vec<(AppendRequest, oneshot::Sender<StoreResult<Receipt>>)>) {
        if let Some(why) = &self.poisoned {
            for (_, reply) in batch {
                let _ = reply.send(Err(StoreError::Unavailable(why.clone())));
            }
            return;
        }
        let now = Utc::now();
        let recorded_at = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
        let mut plan = Plan {
            w: self,
            position: self.position,
            heads: HashMap::new(),
            streams: HashMap::new(),
            idempotency: HashMap::new(),
            envelopes: Vec::new(),
            recorded_at,
        };
        let outcomes: Vec<Outcome> = batch.iter().map(|(req, _)| plan.stage(req)).collect();
        let Plan {
            position,
            heads,
            streams,
            idempotency,
            envelopes,
            ..
        } = plan;

        let result = if envelopes.is_empty() {
            Ok(())
        } else {
            self.write(position, &heads, &streams, &idempotency, &envelopes)
        };
        match result {
            Ok(()) => {
                self.position = position;
                let new_heads: Vec<ChainHead> = heads.into_values().collect();
                for h in &new_heads {
                    self.heads.insert(h.hub_id, h.clone());
                }
                self.reader.committed.publish(position, new_heads);
                for e in envelopes {
                    let _ = self.live.send(Arc::new(e));
                }
                for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                    let _ = reply.send(match outcome {
                        Outcome::Done(r) => r,
                        Outcome::Staged(receipt) => Ok(receipt),
                    });
                }
            }
            Err(err) => {
                // A failed flush leaves the batch committed in memory but maybe not on disk:
                // its appends may or may not survive, so their outcome is unknown.
                let unknown = matches!(err, StoreError::OutcomeUnknown(_));
                let msg = match err {
                    StoreError::OutcomeUnknown(m) | StoreError::Backend(m) => m,
                    other => other.to_string(),
                };
                for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                    let _ = reply.send(match outcome {
                        Outcome::Done(r) => r,
                        Outcome::Staged(_) if unknown => {
                            Err(StoreError::OutcomeUnknown(msg.clone()))
                        }
                        Outcome::Staged(_) => Err(StoreError::Backend(msg.clone())),
                    });
                }
            }
        }
    }

    /// Checks and writes one import batch (one transaction, one flush), then publishes it.
    fn import(&mut self, envelopes: Vec<Envelope>) -> StoreResult<ImportReport> {
        if let Some(why) = &self.poisoned {
            return Err(StoreError::Unavailable(why.clone()));
        }
        if envelopes.is_empty() {
            return Ok(ImportReport {
                imported: 0,
                head_position: self.position,
                heads: Vec::new(),
            });
        }
        let plan = import::plan(&*self, envelopes)?;
        let report = plan.report();
        let idempotency: HashMap<Vec<u8>, KeyRecord> = plan
            .idempotency
            .iter()
            .map(|((hub, actor, key), record)| (idempotency_key(*hub, *actor, key), record.clone()))
            .collect();
        self.write(
            plan.position,
            &plan.heads,
            &plan.streams,
            &idempotency,
            &plan.envelopes,
        )?;
        self.position = plan.position;
        let new_heads: Vec<ChainHead> = plan.heads.into_values().collect();
        for h in &new_heads {
            self.heads.insert(h.hub_id, h.clone());
        }
        self.reader.committed.publish(plan.position, new_heads);
        for e in plan.envelopes {
            let _ = self.live.send(Arc::new(e));
        }
        Ok(report)
    }

    /// One transaction across the trees, then one flush. A failed flush is `OutcomeUnknown`
    /// (the transaction went through in memory, but may not be on disk) and poisons the writer.
    fn write(
        &mut self,
        position: u64,
        heads: &HashMap<Uuid, ChainHead>,
        streams: &HashMap<String, (Uuid, u64)>,
        idempotency: &HashMap<Vec<u8>, KeyRecord>,
        envelopes: &[Envelope],
    ) -> StoreResult<()> {
        let mut events = sled::Batch::default();
        let mut hub_index = sled::Batch::default();
        let mut stream_index = sled::Batch::default();
        for e in envelopes {
            let pos = u64_key(e.position);
            events.insert(&pos, keys::encode_envelope(e));
            hub_index.insert(&hub_key(e.hub_id, e.hub_seq), &pos);
            stream_index.insert(stream_key(&e.stream_id, e.stream_version), &pos);
        }
        let mut stream_batch = sled::Batch::default();
        for (id, (hub, version)) in streams {
            stream_batch.insert(id.as_bytes(), &stream_value(*hub, *version));
        }
        let mut head_batch = sled::Batch::default();
        for h in heads.values() {
            head_batch.insert(h.hub_id.as_bytes(), keys::head_value(h));
        }
        let mut idem_batch = sled::Batch::default();
        for (k, rec) in idempotency {
            idem_batch.insert(
                k.as_slice(),
                serde_json::to_vec(rec).expect("record serialises"),
            );
        }
        let mut meta = sled::Batch::default();
        meta.insert(keys::META_HEAD_POSITION, &u64_key(position));

        let t = &self.trees;
        let committed: Result<(), TransactionError<()>> = (
            &t.events,
            &t.hub_index,
            &t.stream_index,
            &t.streams,
            &t.heads,
            &t.idempotency,
            &t.meta,
        )
            .transaction(|(ev, hi, si, st, hd, id, me)| {
                ev.apply_batch(&events)?;
                hi.apply_batch(&hub_index)?;
                si.apply_batch(&stream_index)?;
                st.apply_batch(&stream_batch)?;
                hd.apply_batch(&head_batch)?;
                id.apply_batch(&idem_batch)?;
                me.apply_batch(&meta)?;
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        match committed {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => return Err(backend(e)),
            Err(TransactionError::Abort(())) => {
                return Err(StoreError::Backend("the transaction aborted".into()))
            }
        }
        // Group commit: one flush for the whole batch, before anyone is answered.
        if let Err(e) = t.db.flush() {
            let why = format!("flushing the log failed: {e}; the store must be reopened");
            tracing::error!("{why}");
            self.poisoned = Some(why.clone());
            return Err(StoreError::OutcomeUnknown(why));
        }
        Ok(())
    }
}

impl Plan<'_> {
    /// Checks one request against the view so far and, if it passes, places its events.
    fn stage(&mut self, req: &AppendRequest) -> Outcome {
        match self.try_stage(req) {
            Ok(receipt) => Outcome::Staged(receipt),
            Err(e) => Outcome::Done(Err(e)),
        }
    }

    fn try_stage(&mut self, req: &AppendRequest) -> StoreResult<Receipt> {
        if req.events.is_empty() {
            return Err(StoreError::Invalid(
                "an append needs at least one event".into(),
            ));
        }
        if req.stream_id.is_empty() || req.stream_id.contains('\0') {
            return Err(StoreError::Invalid(
                "a stream id must be non-empty and contain no NUL character".into(),
            ));
        }
        let fingerprint = fingerprint(req);
        let idem_key = match &req.idempotency_key {
            Some(key) => {
                let k = idempotency_key(req.hub_id, req.actor.member_id, key);
                if let Some(rec) = self.idempotency_record(&k)? {
                    if rec.repeated_by(req) {
                        return Ok(rec.receipt);
                    }
                    return Err(StoreError::IdempotencyMismatch { key: key.clone() });
                }
                Some(k)
            }
            None => None,
        };
        let current = match self.stream(&req.stream_id)? {
            Some((hub, _)) if hub != req.hub_id => {
                return Err(StoreError::WrongHub {
                    stream_id: req.stream_id.clone(),
                })
            }
            Some((_, version)) => version,
            None => 0,
        };
        let conflict = |expected: String| StoreError::Conflict {
            stream_id: req.stream_id.clone(),
            expected,
            actual: current,
        };
        match req.expected_version {
            ExpectedVersion::Any => {}
            ExpectedVersion::NoStream if current != 0 => return Err(conflict("no stream".into())),
            ExpectedVersion::NoStream => {}
            ExpectedVersion::Exact(n) if n != current => return Err(conflict(n.to_string())),
            ExpectedVersion::Exact(_) => {}
        }

        let mut head = self.head(req.hub_id);
        let first_position = self.position + 1;
        let mut version = current;
        for ev in &req.events {
            self.position += 1;
            version += 1;
            head.hub_seq += 1;
            let mut e = Envelope {
                event_id: ev.event_id,
                hub_id: req.hub_id,
                stream_id: req.stream_id.clone(),
                stream_version: version,
                hub_seq: head.hub_seq,
                position: self.position,
                recorded_at: self.recorded_at,
                actor: req.actor.clone(),
                correlation_id: req.correlation_id,
                causation_id: req.causation_id,
                idempotency_key: req.idempotency_key.clone(),
                client_fingerprint: req.client_fingerprint.clone(),
                event_type: ev.event_type.clone(),
                schema_version: ev.schema_version,
                payload: ev.payload.clone(),
                prev_hash: String::new(),
                hash: String::new(),
            };
            chain::seal(&mut e, &head.hash);
            head.hash = e.hash.clone();
            self.envelopes.push(e);
        }
        let receipt = Receipt {
            hub_id: req.hub_id,
            stream_id: req.stream_id.clone(),
            event_ids: req.events.iter().map(|e| e.event_id).collect(),
            first_position,
            last_position: self.position,
            last_hub_seq: head.hub_seq,
            stream_version: version,
            hash: head.hash.clone(),
            recorded_at: self.recorded_at,
        };
        self.streams
            .insert(req.stream_id.clone(), (req.hub_id, version));
        self.heads.insert(req.hub_id, head);
        if let Some(k) = idem_key {
            self.idempotency.insert(
                k,
                KeyRecord {
                    fingerprint,
                    client_fingerprint: req.client_fingerprint.clone(),
                    receipt: receipt.clone(),
                },
            );
        }
        Ok(receipt)
    }

    fn head(&self, hub: Uuid) -> ChainHead {
        self.heads
            .get(&hub)
            .or_else(|| self.w.heads.get(&hub))
            .cloned()
            .unwrap_or_else(|| ChainHead {
                hub_id: hub,
                hub_seq: 0,
                hash: GENESIS_HASH.to_string(),
            })
    }

    fn stream(&self, id: &str) -> StoreResult<Option<(Uuid, u64)>> {
        if let Some(s) = self.streams.get(id) {
            return Ok(Some(*s));
        }
        match self.w.trees.streams.get(id.as_bytes()).map_err(backend)? {
            Some(v) => Ok(Some(keys::read_stream_value(&v)?)),
            None => Ok(None),
        }
    }

    fn idempotency_record(&self, key: &[u8]) -> StoreResult<Option<KeyRecord>> {
        if let Some(r) = self.idempotency.get(key) {
            return Ok(Some(r.clone()));
        }
        match self.w.trees.idempotency.get(key).map_err(backend)? {
            Some(v) => read_idempotency_record(&v).map(Some),
            None => Ok(None),
        }
    }
}

impl ImportBase for Writer {
    fn head_position(&self) -> u64 {
        self.position
    }

    fn chain_head(&self, hub: Uuid) -> StoreResult<ChainHead> {
        Ok(self.heads.get(&hub).cloned().unwrap_or_else(|| ChainHead {
            hub_id: hub,
            hub_seq: 0,
            hash: GENESIS_HASH.to_string(),
        }))
    }

    fn stream(&self, stream_id: &str) -> StoreResult<Option<(Uuid, u64)>> {
        match self
            .trees
            .streams
            .get(stream_id.as_bytes())
            .map_err(backend)?
        {
            Some(v) => Ok(Some(keys::read_stream_value(&v)?)),
            None => Ok(None),
        }
    }

    fn idempotency(&self, hub: Uuid, actor: Uuid, key: &str) -> StoreResult<Option<KeyRecord>> {
        match self
            .trees
            .idempotency
            .get(idempotency_key(hub, actor, key))
            .map_err(backend)?
        {
            Some(v) => read_idempotency_record(&v).map(Some),
            None => Ok(None),
        }
    }
}

/// Fingerprint of a request: SHA-256 of its canonical JSON. Retries must match it exactly.
fn fingerprint(req: &AppendRequest) -> String {
    crate::idempotency::request_fingerprint(req)
}

/// Answers a message the writer will not process.
pub(crate) fn refuse(m: Msg, why: &str) {
    match m {
        Msg::Append(_, reply) => {
            let _ = reply.send(Err(StoreError::Unavailable(why.into())));
        }
        Msg::Import(_, reply) => {
            let _ = reply.send(Err(StoreError::Unavailable(why.into())));
        }
        Msg::Flush(ack) | Msg::Close(ack) => {
            let _ = ack.send(());
        }
    }
}
