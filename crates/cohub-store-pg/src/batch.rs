//! Group commit: one writer task takes the appends waiting for it and writes them in one
//! transaction, so a commit's flush (and the global position lock it holds) is paid once per
//! batch instead of once per append.
//!
//! Why: positions are taken under the `log_head` row lock, held until commit (see
//! [`crate::append`]), so appends that each commit on their own go one commit at a time. With
//! one commit per append, the log could not pass about one append per commit time (about
//! 900/s on the machines in `bench/`), however many connections waited.
//!
//! # The batch transaction
//!
//! A batch of one takes the single-append path of [`crate::append`] unchanged. A larger batch,
//! in the order the appends arrived:
//!
//! 1. creates missing hub heads and row-locks every hub of the batch in hub-id order (so two
//!    servers' batches cannot deadlock, and a single append, which locks one hub and then the
//!    tail, cannot close a cycle with a batch, which takes the tail only after its hubs);
//! 2. reads the idempotency records and stream versions the batch's appends name;
//! 3. decides each append in order exactly as the single path does (repeat, idempotency
//!    mismatch, stream of another hub, expected version), counting the appends of the batch
//!    before it: a stream's second append in a batch sees the first's version;
//! 4. takes the positions of all accepted appends with one `UPDATE log_head`, seals each in
//!    order on its hub's chain, writes streams, events, hub heads and idempotency records in
//!    a few set-based statements, queues one notification, and commits.
//!
//! An append refused in step 3 is answered with its refusal; the others are unaffected.
//!
//! # When something fails
//!
//! - A unique violation, deadlock or serialisation failure before the commit (a race with
//!   another server): the batch is rolled back, nothing is written, and each append is retried
//!   on its own through the single path, which answers it exactly.
//! - Any other error before the commit: nothing was written; every accepted append is
//!   answered with that error.
//! - The commit call itself fails: whether the batch was written is found out once (all of it
//!   or none was), as the single path does, and every accepted append gets that answer:
//!   its receipt, the error, or `OutcomeUnknown`.

use crate::append::{self, fingerprint, insert_events, receipt_of, seal_events, PauseSlot};
use crate::error::{map_sqlx, UNIQUE_VIOLATION};
use crate::outcome::{self, InFlight, Settled};
use crate::read::to_i64;
use crate::recent::Recent;
use chrono::{DateTime, Utc};
use cohub_store::chain::GENESIS_HASH;
use cohub_store::idempotency::KeyRecord;
use cohub_store::{AppendRequest, Envelope, ExpectedVersion, Receipt, StoreError, StoreResult};
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// The most appends one batch takes (the rest wait for the next).
pub(crate) const MAX_BATCH: usize = 256;

/// What the writer has done (the batch tests read it): batches of two or more written in one
/// transaction, and batches that lost a race and were retried append by append.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Batches of two or more appends that reached their commit.
    pub batches: AtomicU64,
    /// Batches retried append by append after losing a race.
    pub retried: AtomicU64,
}

/// An append waiting for the writer, and where its answer goes.
pub(crate) struct Waiting {
    /// The append.
    pub req: AppendRequest,
    /// Its answer.
    pub answer: oneshot::Sender<StoreResult<Receipt>>,
}

/// Starts the writer task; appends sent on the returned channel are written in arrival order.
/// The task ends, after the batch it is writing, when every sender is dropped.
pub(crate) fn spawn_writer(
    pool: PgPool,
    pause: Arc<PauseSlot>,
    settle_within: Duration,
    stats: Arc<WriterStats>,
    recent: Arc<Recent>,
) -> mpsc::UnboundedSender<Waiting> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Waiting>();
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            write(
                &pool,
                &pause,
                settle_within,
                &stats,
                &recent,
                std::mem::take(&mut batch),
            )
            .await;
        }
    });
    tx
}

/// Writes one batch and answers each of its appends.
async fn write(
    pool: &PgPool,
    pause: &PauseSlot,
    settle_within: Duration,
    stats: &WriterStats,
    recent: &Recent,
    batch: Vec<Waiting>,
) {
    if batch.len() == 1 {
        let Waiting { req, answer } = batch.into_iter().next().expect("one");
        let _ = answer.send(append::append(pool, pause, settle_within, recent, req).await);
        return;
    }
    let (reqs, answers): (Vec<_>, Vec<_>) = batch.into_iter().map(|w| (w.req, w.answer)).unzip();
    match write_many(pool, pause, settle_within, recent, &reqs).await {
        Ok(results) => {
            stats.batches.fetch_add(1, Ordering::Relaxed);
            for (answer, result) in answers.into_iter().zip(results) {
                let _ = answer.send(result);
            }
        }
        Err(Retry) => {
            stats.retried.fetch_add(1, Ordering::Relaxed);
            for (req, answer) in reqs.into_iter().zip(answers) {
                let _ = answer.send(append::append(pool, pause, settle_within, recent, req).await);
            }
        }
    }
}

/// The batch lost a race with another writer: retry each append on its own.
struct Retry;

/// Whether `e` is a race another writer caused (retrying each append on its own resolves it).
fn is_race(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if matches!(db.code().as_deref(), Some(UNIQUE_VIOLATION | "40P01" | "40001")))
}

/// A copy of a store error, for every append of a batch that failed as a whole.
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(s) => StoreError::Unavailable(s.clone()),
        StoreError::OutcomeUnknown(s) => StoreError::OutcomeUnknown(s.clone()),
        StoreError::Corrupt(s) => StoreError::Corrupt(s.clone()),
        StoreError::Backend(s) => StoreError::Backend(s.clone()),
        other => StoreError::Backend(other.to_string()),
    }
}

/// An append the batch accepted: where its events go.
struct Accepted {
    /// Index in the batch.
    index: usize,
    /// The stream's version before it.
    current: u64,
}

/// Writes a batch of two or more appends in one transaction (see the module docs). `Err`
/// when it lost a race and should be retried append by append.
async fn write_many(
    pool: &PgPool,
    pause: &PauseSlot,
    settle_within: Duration,
    recent: &Recent,
    reqs: &[AppendRequest],
) -> Result<Vec<StoreResult<Receipt>>, Retry> {
    let mut results: Vec<Option<StoreResult<Receipt>>> = reqs.iter().map(|_| None).collect();
    for (i, req) in reqs.iter().enumerate() {
        if req.events.is_empty() {
            results[i] = Some(Err(StoreError::Invalid(
                "an append needs at least one event".into(),
            )));
        } else if req.stream_id.is_empty() {
            results[i] = Some(Err(StoreError::Invalid("the stream id is empty".into())));
        }
    }
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return Ok(fail_rest(results, &map_sqlx(e))),
    };
    match decide_and_write(&mut tx, pause, reqs, &mut results).await {
        Ok(None) => {
            // Nothing to write: every append was a repeat or refused.
            let _ = tx.rollback().await;
            Ok(finish(results))
        }
        Ok(Some((first, envelopes))) => match tx.commit().await {
            Ok(()) => {
                recent.committed(&envelopes);
                Ok(finish(results))
            }
            Err(e) if is_race(&e) => Err(Retry),
            Err(e) => match outcome::settle(pool, &first, settle_within).await {
                Settled::Written => {
                    tracing::warn!(error = %e, "the commit call failed, but the batch was written");
                    recent.committed(&envelopes);
                    Ok(finish(results))
                }
                Settled::NotWritten => Ok(fail_accepted(results, &map_sqlx(e))),
                Settled::Unknown(why) => Ok(fail_accepted(
                    results,
                    &StoreError::OutcomeUnknown(format!("the commit call failed ({e}) and {why}")),
                )),
            },
        },
        Err(e) => {
            let _ = tx.rollback().await;
            if is_race(&e) {
                Err(Retry)
            } else {
                Ok(fail_accepted(results, &map_sqlx(e)))
            }
        }
    }
}

/// Every answer, once each append has one.
fn finish(results: Vec<Option<StoreResult<Receipt>>>) -> Vec<StoreResult<Receipt>> {
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(StoreError::Backend(
                    "the batch left an append unanswered".into(),
                ))
            })
        })
        .collect()
}

/// Answers every append without an answer yet with `e`.
fn fail_rest(
    results: Vec<Option<StoreResult<Receipt>>>,
    e: &StoreError,
) -> Vec<StoreResult<Receipt>> {
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(copy(e))))
        .collect()
}

/// Replaces the receipts of accepted appends (not written after all) with `e`; refusals stay.
fn fail_accepted(
    results: Vec<Option<StoreResult<Receipt>>>,
    e: &StoreError,
) -> Vec<StoreResult<Receipt>> {
    results
        .into_iter()
        .map(|r| match r {
            Some(Err(refused)) => Err(refused),
            _ => Err(copy(e)),
        })
        .collect()
}

/// Steps 1 to 4 of the module docs. Fills `results` with each append's answer as if the batch
/// commits; returns the first written append's in-flight identity (to settle a failed commit),
/// with the sealed envelopes, or `None` when nothing is to be written.
async fn decide_and_write(
    tx: &mut Transaction<'static, Postgres>,
    pause: &PauseSlot,
    reqs: &[AppendRequest],
    results: &mut [Option<StoreResult<Receipt>>],
) -> Result<Option<(InFlight, Vec<Envelope>)>, sqlx::Error> {
    let live: Vec<usize> = (0..reqs.len()).filter(|&i| results[i].is_none()).collect();
    if live.is_empty() {
        return Ok(None);
    }

    // 1. Hub heads: made if missing, then locked in hub-id order.
    let mut hubs: Vec<Uuid> = live.iter().map(|&i| reqs[i].hub_id).collect();
    hubs.sort();
    hubs.dedup();
    sqlx::query(
        "INSERT INTO hubs (hub_id, last_seq, last_hash) \
         SELECT h, 0, $2 FROM unnest($1::uuid[]) AS h ORDER BY h \
         ON CONFLICT (hub_id) DO NOTHING",
    )
    .bind(&hubs)
    .bind(GENESIS_HASH)
    .execute(&mut **tx)
    .await?;
    let rows: Vec<(Uuid, i64, String, i64, i32)> = sqlx::query_as(
        "SELECT hub_id, last_seq, last_hash, txid_current(), pg_backend_pid() FROM hubs \
         WHERE hub_id = ANY($1) ORDER BY hub_id FOR UPDATE",
    )
    .bind(&hubs)
    .fetch_all(&mut **tx)
    .await?;
    let (xid, backend_pid) = rows.first().map(|r| (r.3, r.4)).unwrap_or_default();
    let mut heads: HashMap<Uuid, (u64, String)> = rows
        .into_iter()
        .map(|(hub, seq, hash, _, _)| (hub, (seq.max(0) as u64, hash)))
        .collect();

    // 2. Idempotency records and stream versions named by the batch.
    let mut records = crate::read::key_records(
        tx,
        live.iter().filter_map(|&i| {
            let req = &reqs[i];
            let key = req.idempotency_key.clone()?;
            Some((req.hub_id, req.actor.member_id, key))
        }),
    )
    .await?;
    let mut names: Vec<String> = live.iter().map(|&i| reqs[i].stream_id.clone()).collect();
    names.sort();
    names.dedup();
    let rows: Vec<(String, Uuid, i64)> =
        sqlx::query_as("SELECT stream_id, hub_id, version FROM streams WHERE stream_id = ANY($1)")
            .bind(&names)
            .fetch_all(&mut **tx)
            .await?;
    // stream -> (owning hub, version, whether the table has it)
    let mut streams: HashMap<String, (Uuid, u64, bool)> = rows
        .into_iter()
        .map(|(s, hub, v)| (s, (hub, v.max(0) as u64, true)))
        .collect();

    // 3. Decide each append in order, counting the batch's earlier appends.
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut total: u64 = 0;
    // Keys first used in this batch, by the index of the append that used them; and the
    // repeats of those, answered with that append's receipt once it is sealed.
    let mut used_here: HashMap<(Uuid, Uuid, String), usize> = HashMap::new();
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    // What the batch writes to: its streams (sorted, so updates lock in one order) and hubs.
    let mut touched_streams: BTreeSet<&str> = BTreeSet::new();
    let mut touched_hubs: BTreeSet<Uuid> = BTreeSet::new();
    for &i in &live {
        let req = &reqs[i];
        if let Some(key) = &req.idempotency_key {
            let id = (req.hub_id, req.actor.member_id, key.clone());
            if let Some(record) = records.get(&id) {
                if !record.repeated_by(req) {
                    results[i] = Some(Err(StoreError::IdempotencyMismatch { key: key.clone() }));
                } else if let Some(&first) = used_here.get(&id) {
                    repeats.push((i, first));
                } else {
                    results[i] = Some(Ok(record.receipt.clone()));
                }
                continue;
            }
        }
        let (owner, current, in_table) = streams
            .get(&req.stream_id)
            .cloned()
            .unwrap_or((req.hub_id, 0, false));
        if owner != req.hub_id {
            results[i] = Some(Err(StoreError::WrongHub {
                stream_id: req.stream_id.clone(),
            }));
            continue;
        }
        let ok = match req.expected_version {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(v) => current == v,
        };
        if !ok {
            results[i] = Some(Err(append::conflict(req, current)));
            continue;
        }
        let n = req.events.len() as u64;
        streams.insert(req.stream_id.clone(), (req.hub_id, current + n, in_table));
        touched_streams.insert(&req.stream_id);
        touched_hubs.insert(req.hub_id);
        accepted.push(Accepted { index: i, current });
        total += n;
        if let Some(key) = &req.idempotency_key {
            // Kept for `repeated_by` only: a repeat answers with this append's receipt.
            let id = (req.hub_id, req.actor.member_id, key.clone());
            used_here.insert(id.clone(), i);
            records.insert(
                id,
                KeyRecord {
                    fingerprint: fingerprint(req),
                    client_fingerprint: req.client_fingerprint.clone(),
                    receipt: unsealed_receipt(req),
                },
            );
        }
    }
    if accepted.is_empty() {
        return Ok(None);
    }

    // 4. Positions for all, sealed in order; then the set-based writes.
    let (last_position, now) = append::take_positions(tx, total).await?;
    let mut next_position = last_position + 1 - total;
    let mut envelopes = Vec::with_capacity(total as usize);
    let mut receipts: HashMap<usize, Receipt> = HashMap::new();
    for a in &accepted {
        let req = &reqs[a.index];
        let head = heads
            .get_mut(&req.hub_id)
            .expect("every hub of the batch was locked");
        let sealed = seal_events(req, a.current, head.0, next_position, now, head.1.clone());
        next_position += sealed.len() as u64;
        let receipt = receipt_of(req, &sealed, a.current + sealed.len() as u64, now);
        *head = (receipt.last_hub_seq, receipt.hash.clone());
        receipts.insert(a.index, receipt);
        envelopes.extend(sealed);
    }
    for (i, first) in repeats {
        results[i] = Some(Ok(receipts[&first].clone()));
    }

    let (mut new_ids, mut new_hubs, mut new_versions) = (Vec::new(), Vec::new(), Vec::new());
    let (mut old_ids, mut old_versions) = (Vec::new(), Vec::new());
    for stream in touched_streams {
        let (hub, version, in_table) = streams[stream];
        if in_table {
            old_ids.push(stream.to_string());
            old_versions.push(to_i64(version));
        } else {
            new_ids.push(stream.to_string());
            new_hubs.push(hub);
            new_versions.push(to_i64(version));
        }
    }
    sqlx::query(
        "WITH fresh AS (INSERT INTO streams (stream_id, hub_id, version) \
                        SELECT * FROM unnest($1::text[], $2::uuid[], $3::int8[])) \
         UPDATE streams SET version = v.version \
         FROM unnest($4::text[], $5::int8[]) AS v(stream_id, version) \
         WHERE streams.stream_id = v.stream_id",
    )
    .bind(&new_ids)
    .bind(&new_hubs)
    .bind(&new_versions)
    .bind(&old_ids)
    .bind(&old_versions)
    .execute(&mut **tx)
    .await?;
    for chunk in envelopes.chunks(append::INSERT_CHUNK) {
        insert_events(tx, chunk).await?;
    }

    let (mut head_ids, mut head_seqs, mut head_hashes) = (Vec::new(), Vec::new(), Vec::new());
    for hub in touched_hubs {
        let (seq, hash) = &heads[&hub];
        head_ids.push(hub);
        head_seqs.push(to_i64(*seq));
        head_hashes.push(hash.clone());
    }
    let (mut k_hubs, mut k_members, mut k_keys) = (Vec::new(), Vec::new(), Vec::new());
    let (mut k_fps, mut k_client_fps, mut k_receipts) = (Vec::new(), Vec::new(), Vec::new());
    for a in &accepted {
        let req = &reqs[a.index];
        if let Some(key) = &req.idempotency_key {
            k_hubs.push(req.hub_id);
            k_members.push(req.actor.member_id);
            k_keys.push(key.clone());
            k_fps.push(fingerprint(req));
            k_client_fps.push(req.client_fingerprint.clone());
            k_receipts.push(
                serde_json::to_value(&receipts[&a.index])
                    .map_err(|e| sqlx::Error::Encode(e.into()))?,
            );
        }
    }
    let note = serde_json::json!({
        "first_position": last_position + 1 - total,
        "last_position": last_position,
    })
    .to_string();
    sqlx::query(
        "WITH head AS (UPDATE hubs SET last_seq = v.seq, last_hash = v.hash \
                       FROM unnest($1::uuid[], $2::int8[], $3::text[]) AS v(hub_id, seq, hash) \
                       WHERE hubs.hub_id = v.hub_id), \
         idem AS (INSERT INTO idempotency \
                  (hub_id, member_id, key, fingerprint, client_fingerprint, receipt) \
                  SELECT * FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], \
                                       $8::text[], $9::jsonb[])) \
         SELECT pg_notify($10, $11)",
    )
    .bind(&head_ids)
    .bind(&head_seqs)
    .bind(&head_hashes)
    .bind(&k_hubs)
    .bind(&k_members)
    .bind(&k_keys)
    .bind(&k_fps)
    .bind(&k_client_fps)
    .bind(&k_receipts)
    .bind(append::NOTIFY_CHANNEL)
    .bind(&note)
    .execute(&mut **tx)
    .await?;

    // Test hook, as in the single path: hold the transaction open before its commit.
    let hook = pause.lock().expect("pause slot poisoned").take();
    if let Some(hook) = hook {
        hook.hold(backend_pid).await;
    }

    let first = &receipts[&accepted[0].index];
    let in_flight = InFlight {
        xid,
        position: first.first_position,
        event_id: first.event_ids[0],
    };
    for a in accepted {
        results[a.index] = receipts.remove(&a.index).map(Ok);
    }
    Ok(Some((in_flight, envelopes)))
}

/// The receipt an accepted append will have, before its positions are known: what its
/// in-batch key record holds until then (no one is answered from it).
fn unsealed_receipt(req: &AppendRequest) -> Receipt {
    Receipt {
        hub_id: req.hub_id,
        stream_id: req.stream_id.clone(),
        event_ids: Vec::new(),
        first_position: 0,
        last_position: 0,
        last_hub_seq: 0,
        stream_version: 0,
        hash: String::new(),
        recorded_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}
