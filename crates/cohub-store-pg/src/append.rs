//! Appends: one transaction per request, hub-level work first, the global position last.
//!
//! # Order of work in the transaction
//!
//! 1. Lock the hub's head row (`INSERT .. ON CONFLICT DO UPDATE .. RETURNING` on `hubs`, which
//!    creates it if absent and row-locks it either way). Appends to one hub serialise here;
//!    appends to different hubs do not.
//! 2. Idempotency: a stored receipt for (hub, actor, key) is returned if the request repeats the
//!    first ([`KeyRecord::repeated_by`]; nothing is appended), else `IdempotencyMismatch`.
//! 3. Expected version against `streams` (stale: `Conflict`; stream of another hub: `WrongHub`),
//!    and the stream's new version is written.
//! 4. **The tail**: `UPDATE log_head SET position = position + n RETURNING ..` row-locks the
//!    single global counter until commit. The events get positions from it, are sealed with
//!    [`cohub_store::chain::seal`] and inserted, the hub head and idempotency receipt are written,
//!    `pg_notify('cohub_events', ..)` is queued, and the transaction commits.
//!
//! # Why positions are assigned at the tail under a lock (the skipped-event trap)
//!
//! A sequence (`bigserial`) hands out numbers at insert time, so transaction A can take
//! position 5, transaction B position 6, and B commit first: a reader that has seen 6 and then
//! asks for "position > 6" never sees 5. Here, a position is only taken while holding the
//! `log_head` row lock, which is released only when the transaction has committed (PostgreSQL
//! makes a commit visible before it releases the transaction's locks) or rolled back (which also
//! rolls the counter back). So positions are gap-free and in commit order: when position `p` is
//! visible to a snapshot, every position below `p` is already visible to it, and "read
//! position > last seen" never skips an event. The global lock covers only the tail (a counter
//! update, one multi-row insert, one small statement, the commit); hub locking, idempotency and
//! version checks of different hubs run in parallel.
//!
//! Unique constraints on (position), (hub_id, hub_seq) and (stream_id, stream_version) are the
//! last line of defence: a unique violation becomes `Conflict`.
//!
//! # When the commit call fails
//!
//! An error before `COMMIT` was sent means nothing was written. An error from the commit call
//! itself (the connection dropped while `COMMIT` was under way) does not say whether the
//! transaction committed, so [`crate::outcome::settle`] finds out before answering: the
//! receipt if it did, `Unavailable` if it certainly did not, `OutcomeUnknown` if that cannot be
//! told within the store's timeout.

use crate::error::{is_unique_violation, map_sqlx};
use crate::outcome::{self, InFlight, Settled};
use crate::read::to_i64;
use chrono::{DateTime, Utc};
use cohub_store::chain::{seal, GENESIS_HASH};
use cohub_store::idempotency::KeyRecord;
use cohub_store::{AppendRequest, Envelope, ExpectedVersion, Receipt, StoreError, StoreResult};
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

/// The notification channel appends signal on (payload: JSON with hub and positions).
pub const NOTIFY_CHANNEL: &str = "cohub_events";

/// Rows per multi-row `INSERT` (20 parameters each, under PostgreSQL's 65 535 limit).
pub(crate) const INSERT_CHUNK: usize = 1000;

/// Why an append's transaction stopped: a store decision, or a database error still to map.
enum Failure {
    Store(StoreError),
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Sql(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

/// Test hook: the next append to reach it pauses after its inserts, before its commit.
pub(crate) type PauseSlot = Mutex<Option<PauseHook>>;

/// The append side of a pause: signals arrival (with its backend's process id), then waits
/// for release.
pub(crate) struct PauseHook {
    reached: oneshot::Sender<i32>,
    release: oneshot::Receiver<()>,
}

/// Test handle on an append paused between its inserts and its commit (see
/// [`crate::PgStore::pause_next_append_before_commit`]). Dropping it releases the append.
#[doc(hidden)]
pub struct AppendPause {
    reached: Option<oneshot::Receiver<i32>>,
    release: Option<oneshot::Sender<()>>,
    backend_pid: Option<i32>,
}

impl AppendPause {
    /// Waits until an append has inserted its events and is holding its transaction open.
    pub async fn reached(&mut self) {
        if let Some(r) = self.reached.take() {
            self.backend_pid = r.await.ok();
        }
    }

    /// The process id of the database backend serving the paused append's transaction (known
    /// once [`AppendPause::reached`] returned), e.g. to terminate it.
    pub fn backend_pid(&self) -> Option<i32> {
        self.backend_pid
    }

    /// Lets the paused append commit.
    pub fn release(mut self) {
        if let Some(tx) = self.release.take() {
            let _ = tx.send(());
        }
    }
}

impl PauseHook {
    /// Signals arrival with the transaction's backend process id, then waits for release.
    pub(crate) async fn hold(self, backend_pid: i32) {
        let _ = self.reached.send(backend_pid);
        let _ = self.release.await;
    }
}

/// Arms the pause slot and returns the test's handle on it.
pub(crate) fn arm_pause(slot: &PauseSlot) -> AppendPause {
    let (reached_tx, reached_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    *slot.lock().expect("pause slot poisoned") = Some(PauseHook {
        reached: reached_tx,
        release: release_rx,
    });
    AppendPause {
        reached: Some(reached_rx),
        release: Some(release_tx),
        backend_pid: None,
    }
}

/// The fingerprint of a request: SHA-256 of its canonical JSON (the same rule as the sled
/// backend). A retry must repeat the request exactly to get the first receipt back.
pub(crate) fn fingerprint(req: &AppendRequest) -> String {
    cohub_store::idempotency::request_fingerprint(req)
}

/// The expected version in words, for `Conflict`.
fn expected_words(e: ExpectedVersion) -> String {
    match e {
        ExpectedVersion::Any => "any".to_string(),
        ExpectedVersion::NoStream => "no stream".to_string(),
        ExpectedVersion::Exact(v) => v.to_string(),
    }
}

/// Appends `req` atomically (see the module docs for the transaction's steps); if the commit
/// call fails, finds out within `settle_within` whether it was written.
pub(crate) async fn append(
    pool: &PgPool,
    pause: &PauseSlot,
    settle_within: Duration,
    req: AppendRequest,
) -> StoreResult<Receipt> {
    if req.events.is_empty() {
        return Err(StoreError::Invalid(
            "an append needs at least one event".into(),
        ));
    }
    if req.stream_id.is_empty() {
        return Err(StoreError::Invalid("the stream id is empty".into()));
    }
    let mut tx = pool.begin().await.map_err(map_sqlx)?;
    match run(&mut tx, pause, &req).await {
        Ok(Done::Appended(receipt, xid)) => match tx.commit().await {
            Ok(()) => Ok(receipt),
            // The server refused the commit for a constraint: nothing was written.
            Err(e) if is_unique_violation(&e) => Err(conflict(&req, 0)),
            Err(e) => {
                let in_flight = InFlight {
                    xid,
                    position: receipt.first_position,
                    event_id: receipt.event_ids[0],
                };
                match outcome::settle(pool, &in_flight, settle_within).await {
                    Settled::Written => {
                        tracing::warn!(
                            error = %e,
                            position = receipt.first_position,
                            "the commit call failed, but the append was written"
                        );
                        Ok(receipt)
                    }
                    Settled::NotWritten => Err(map_sqlx(e)),
                    Settled::Unknown(why) => Err(StoreError::OutcomeUnknown(format!(
                        "the commit call failed ({e}) and {why}"
                    ))),
                }
            }
        },
        Ok(Done::Repeat(receipt)) => {
            let _ = tx.rollback().await;
            Ok(receipt)
        }
        Err(Failure::Store(e)) => {
            let _ = tx.rollback().await;
            Err(e)
        }
        Err(Failure::Sql(e)) => {
            let _ = tx.rollback().await;
            if is_unique_violation(&e) {
                let actual = crate::read::stream_version(pool, &req.stream_id)
                    .await
                    .unwrap_or(0);
                Err(conflict(&req, actual))
            } else {
                Err(map_sqlx(e))
            }
        }
    }
}

/// A `Conflict` for `req` with the stream's actual version.
pub(crate) fn conflict(req: &AppendRequest, actual: u64) -> StoreError {
    StoreError::Conflict {
        stream_id: req.stream_id.clone(),
        expected: expected_words(req.expected_version),
        actual,
    }
}

/// What the transaction body decided.
enum Done {
    /// New events were written, by the transaction with this id; commit.
    Appended(Receipt, i64),
    /// The idempotency key was seen with the same request; roll back and return this.
    Repeat(Receipt),
}

/// The transaction body.
async fn run(
    tx: &mut Transaction<'static, Postgres>,
    pause: &PauseSlot,
    req: &AppendRequest,
) -> Result<Done, Failure> {
    // 1. The hub's head, row-locked until commit (created if absent); the transaction's id
    //    (to ask about its fate if the commit call fails) and its backend's process id.
    let (last_seq, last_hash, xid, backend_pid): (i64, String, i64, i32) = sqlx::query_as(
        "INSERT INTO hubs (hub_id, last_seq, last_hash) VALUES ($1, 0, $2) \
         ON CONFLICT (hub_id) DO UPDATE SET last_seq = hubs.last_seq \
         RETURNING last_seq, last_hash, txid_current(), pg_backend_pid()",
    )
    .bind(req.hub_id)
    .bind(GENESIS_HASH)
    .fetch_one(&mut **tx)
    .await?;

    // 2. Idempotency (checked before the version: a retry carries a now-stale version).
    let fp = req.idempotency_key.as_ref().map(|_| fingerprint(req));
    if let Some(key) = &req.idempotency_key {
        let seen: Option<(String, Option<String>, serde_json::Value)> = sqlx::query_as(
            "SELECT fingerprint, client_fingerprint, receipt FROM idempotency \
             WHERE hub_id = $1 AND member_id = $2 AND key = $3",
        )
        .bind(req.hub_id)
        .bind(req.actor.member_id)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some((fingerprint, client_fingerprint, receipt)) = seen {
            let record = KeyRecord {
                fingerprint,
                client_fingerprint,
                receipt: serde_json::from_value(receipt)
                    .map_err(|e| StoreError::Corrupt(format!("stored receipt: {e}")))?,
            };
            if !record.repeated_by(req) {
                return Err(StoreError::IdempotencyMismatch { key: key.clone() }.into());
            }
            return Ok(Done::Repeat(record.receipt));
        }
    }

    // 3. The stream's expected version.
    let stream: Option<(uuid::Uuid, i64)> =
        sqlx::query_as("SELECT hub_id, version FROM streams WHERE stream_id = $1")
            .bind(&req.stream_id)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((owner, _)) = stream {
        if owner != req.hub_id {
            return Err(StoreError::WrongHub {
                stream_id: req.stream_id.clone(),
            }
            .into());
        }
    }
    let current = stream.map(|(_, v)| v.max(0) as u64).unwrap_or(0);
    let ok = match req.expected_version {
        ExpectedVersion::Any => true,
        ExpectedVersion::NoStream => current == 0,
        ExpectedVersion::Exact(v) => current == v,
    };
    if !ok {
        return Err(conflict(req, current).into());
    }
    let n = req.events.len() as u64;
    let new_version = current + n;
    if stream.is_some() {
        sqlx::query("UPDATE streams SET version = $2 WHERE stream_id = $1")
            .bind(&req.stream_id)
            .bind(to_i64(new_version))
            .execute(&mut **tx)
            .await?;
    } else {
        sqlx::query("INSERT INTO streams (stream_id, hub_id, version) VALUES ($1, $2, $3)")
            .bind(&req.stream_id)
            .bind(req.hub_id)
            .bind(to_i64(new_version))
            .execute(&mut **tx)
            .await?;
    }

    // 4. The tail: global positions in commit order (row lock on `log_head` until commit).
    let (last_position, now) = take_positions(tx, n).await?;
    let first_position = last_position + 1 - n;

    let envelopes = seal_events(
        req,
        current,
        last_seq as u64,
        first_position,
        now,
        last_hash,
    );
    for chunk in envelopes.chunks(INSERT_CHUNK) {
        insert_events(tx, chunk).await?;
    }
    let receipt = receipt_of(req, &envelopes, new_version, now);
    let last = envelopes.last().expect("at least one event");
    let receipt_json = serde_json::to_value(&receipt)
        .map_err(|e| StoreError::Backend(format!("receipt does not serialise: {e}")))?;
    let note = serde_json::json!({
        "hub_id": req.hub_id,
        "first_position": first_position,
        "last_position": last_position,
    })
    .to_string();
    sqlx::query(
        "WITH head AS (UPDATE hubs SET last_seq = $2, last_hash = $3 WHERE hub_id = $1), \
         idem AS (INSERT INTO idempotency \
                  (hub_id, member_id, key, fingerprint, client_fingerprint, receipt) \
                  SELECT $1, $9, $4, $5, $10, $6 WHERE $4::text IS NOT NULL) \
         SELECT pg_notify($7, $8)",
    )
    .bind(req.hub_id)
    .bind(to_i64(last.hub_seq))
    .bind(&last.hash)
    .bind(req.idempotency_key.as_deref())
    .bind(fp.as_deref().unwrap_or(""))
    .bind(&receipt_json)
    .bind(NOTIFY_CHANNEL)
    .bind(&note)
    .bind(req.actor.member_id)
    .bind(req.client_fingerprint.as_deref())
    .execute(&mut **tx)
    .await?;

    // Test hook: hold the transaction open (with its inserts done) until released.
    let hook = pause.lock().expect("pause slot poisoned").take();
    if let Some(hook) = hook {
        hook.hold(backend_pid).await;
    }
    Ok(Done::Appended(receipt, xid))
}

/// Takes `n` positions from the global counter, row-locking it until the transaction ends;
/// answers the last one taken and the database's clock.
pub(crate) async fn take_positions(
    tx: &mut Transaction<'static, Postgres>,
    n: u64,
) -> Result<(u64, DateTime<Utc>), sqlx::Error> {
    let (last, now): (i64, DateTime<Utc>) = sqlx::query_as(
        "UPDATE log_head SET position = position + $1 WHERE id = 1 \
         RETURNING position, clock_timestamp()",
    )
    .bind(to_i64(n))
    .fetch_one(&mut **tx)
    .await?;
    Ok((last.max(0) as u64, now))
}

/// The sealed envelopes of `req`'s events: stream versions after `current`, hub sequences after
/// `last_seq`, positions from `first_position`, chained from the hub's `prev` hash.
pub(crate) fn seal_events(
    req: &AppendRequest,
    current: u64,
    last_seq: u64,
    first_position: u64,
    now: DateTime<Utc>,
    mut prev: String,
) -> Vec<Envelope> {
    let mut envelopes = Vec::with_capacity(req.events.len());
    for (i, e) in req.events.iter().enumerate() {
        let i = i as u64;
        let mut env = Envelope {
            event_id: e.event_id,
            hub_id: req.hub_id,
            stream_id: req.stream_id.clone(),
            stream_version: current + 1 + i,
            hub_seq: last_seq + 1 + i,
            position: first_position + i,
            recorded_at: now,
            actor: req.actor.clone(),
            correlation_id: req.correlation_id,
            causation_id: req.causation_id,
            idempotency_key: req.idempotency_key.clone(),
            client_fingerprint: req.client_fingerprint.clone(),
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            payload: e.payload.clone(),
            prev_hash: String::new(),
            hash: String::new(),
        };
        seal(&mut env, &prev);
        prev = env.hash.clone();
        envelopes.push(env);
    }
    envelopes
}

/// The receipt of `req`, whose sealed `envelopes` bring its stream to `new_version`.
pub(crate) fn receipt_of(
    req: &AppendRequest,
    envelopes: &[Envelope],
    new_version: u64,
    now: DateTime<Utc>,
) -> Receipt {
    let last = envelopes.last().expect("at least one event");
    Receipt {
        hub_id: req.hub_id,
        stream_id: req.stream_id.clone(),
        event_ids: envelopes.iter().map(|e| e.event_id).collect(),
        first_position: envelopes[0].position,
        last_position: last.position,
        last_hub_seq: last.hub_seq,
        stream_version: new_version,
        hash: last.hash.clone(),
        recorded_at: now,
    }
}

/// Inserts sealed envelopes with one multi-row `INSERT`.
pub(crate) async fn insert_events(
    tx: &mut Transaction<'static, Postgres>,
    envelopes: &[Envelope],
) -> Result<(), sqlx::Error> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "INSERT INTO events ({}) ",
        crate::read::EVENT_COLUMNS
    ));
    qb.push_values(envelopes, |mut b, e| {
        b.push_bind(to_i64(e.position))
            .push_bind(e.hub_id)
            .push_bind(to_i64(e.hub_seq))
            .push_bind(e.stream_id.clone())
            .push_bind(to_i64(e.stream_version))
            .push_bind(e.event_id)
            .push_bind(e.recorded_at)
            .push_bind(e.actor.member_id)
            .push_bind(e.actor.organisation_id)
            .push_bind(e.actor.stakeholder_kind.clone())
            .push_bind(e.actor.role.clone())
            .push_bind(e.correlation_id)
            .push_bind(e.causation_id)
            .push_bind(e.idempotency_key.clone())
            .push_bind(e.event_type.clone())
            .push_bind(i64::from(e.schema_version))
            .push_bind(e.payload.to_string())
            .push_bind(e.prev_hash.clone())
            .push_bind(e.hash.clone())
            .push_bind(e.client_fingerprint.clone());
    });
    qb.build().execute(&mut **tx).await?;
    Ok(())
}
