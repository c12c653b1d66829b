//! Appends: one transaction per request, hub-level work first, the global position last.
//!
//! # Order of work in the transaction
//!
//! Three statements between `BEGIN` and `COMMIT`, each one round trip:
//!
//! 1. Lock the hub's head row (`INSERT .. ON CONFLICT DO UPDATE .. RETURNING` on `hubs`, which
//!    creates it if absent and row-locks it either way). Appends to one hub serialise here;
//!    appends to different hubs do not. This must be a statement of its own: the next one's
//!    snapshot is taken only once the lock is granted, so it sees what the append before it
//!    left.
//! 2. **Check and take** (one statement of common table expressions): the idempotency record
//!    of (hub, actor, key), the stream's owner and version and, only if the request is new, the
//!    stream is the hub's and its version is the one expected, the stream's new version is
//!    written and **the tail** begins: `UPDATE log_head SET position = position + n
//!    RETURNING ..` row-locks the single global counter until commit. Otherwise nothing is
//!    written, and the caller answers from what was read: a stored receipt if the request
//!    repeats the first ([`KeyRecord::repeated_by`]), else `IdempotencyMismatch`; `WrongHub`;
//!    `Conflict`.
//! 3. The events are sealed with [`cohub_store::chain::seal`] and inserted, and the hub head,
//!    the idempotency receipt and `pg_notify('cohub_events', ..)` written, in one statement;
//!    then the transaction commits.
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
//! update, one statement of inserts, the commit); hub locking, idempotency and
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
use crate::recent::Recent;
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
    recent: &Recent,
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
        Ok(Done::Appended(receipt, xid, envelopes)) => match tx.commit().await {
            Ok(()) => {
                recent.committed(&envelopes);
                Ok(receipt)
            }
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
                        recent.committed(&envelopes);
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
    /// New events were written, by the transaction with this id, as these envelopes; commit.
    Appended(Receipt, i64, Vec<Envelope>),
    /// The idempotency key was seen with the same request; roll back and return this.
    Repeat(Receipt),
}

/// Step 2 of an append, run once the hub's row is locked: reads the idempotency record of
/// (hub, actor, key) and the stream's owner and version and, only if there is no record, the
/// stream is the hub's (or new) and its version is the expected one (`$5`, null for any),
/// writes the stream's new version and takes `$6` positions from the global counter
/// (row-locking it until the transaction ends). Every part reads the same snapshot, taken
/// after the hub's lock was granted, and every append to this hub holds that lock, so what it
/// reads of this hub's rows cannot change under it.
const CHECK_AND_TAKE: &str = "\
WITH st AS (SELECT hub_id, version FROM streams WHERE stream_id = $1), \
idem AS (SELECT fingerprint, client_fingerprint, receipt FROM idempotency \
         WHERE $4::text IS NOT NULL AND hub_id = $2 AND member_id = $3 AND key = $4), \
ok AS (SELECT COALESCE((SELECT version FROM st), 0) AS current \
       WHERE NOT EXISTS (SELECT 1 FROM idem) \
         AND COALESCE((SELECT hub_id FROM st), $2) = $2 \
         AND ($5::bigint IS NULL OR COALESCE((SELECT version FROM st), 0) = $5)), \
upd AS (UPDATE streams SET version = ok.current + $6 FROM ok WHERE stream_id = $1), \
ins AS (INSERT INTO streams (stream_id, hub_id, version) \
        SELECT $1, $2, ok.current + $6 FROM ok WHERE NOT EXISTS (SELECT 1 FROM st)), \
pos AS (UPDATE log_head SET position = position + $6 \
        WHERE id = 1 AND EXISTS (SELECT 1 FROM ok) \
        RETURNING position, clock_timestamp() AS now) \
SELECT (SELECT fingerprint FROM idem) AS seen_fingerprint, \
       (SELECT client_fingerprint FROM idem) AS seen_client_fingerprint, \
       (SELECT receipt FROM idem) AS seen_receipt, \
       (SELECT hub_id FROM st) AS owner, \
       (SELECT version FROM st) AS version, \
       (SELECT position FROM pos) AS last_position, \
       (SELECT now FROM pos) AS now";

/// What [`CHECK_AND_TAKE`] found and took.
#[derive(sqlx::FromRow)]
struct Checked {
    /// The stored request's fingerprint, if the key was seen.
    seen_fingerprint: Option<String>,
    /// The stored client fingerprint, if the key was seen with one.
    seen_client_fingerprint: Option<String>,
    /// The stored receipt, if the key was seen.
    seen_receipt: Option<serde_json::Value>,
    /// The hub the stream belongs to, if it exists.
    owner: Option<uuid::Uuid>,
    /// The stream's version before this append, if it exists.
    version: Option<i64>,
    /// The last position taken, if the append may go ahead.
    last_position: Option<i64>,
    /// The database's clock when the positions were taken.
    now: Option<DateTime<Utc>>,
}

/// The writes that end an append, after its events: the hub's head, the idempotency receipt
/// and the notification.
struct Tail<'a> {
    hub_id: uuid::Uuid,
    last: &'a Envelope,
    member_id: uuid::Uuid,
    key: Option<&'a str>,
    fingerprint: &'a str,
    client_fingerprint: Option<&'a str>,
    receipt: &'a serde_json::Value,
    first_position: u64,
    last_position: u64,
}

/// Inserts sealed envelopes (at most [`INSERT_CHUNK`]) and writes `tail` in the same
/// statement: one round trip for the end of an append.
async fn insert_with_tail(
    tx: &mut Transaction<'static, Postgres>,
    envelopes: &[Envelope],
    tail: &Tail<'_>,
) -> Result<(), sqlx::Error> {
    let note = serde_json::json!({
        "hub_id": tail.hub_id,
        "first_position": tail.first_position,
        "last_position": tail.last_position,
    })
    .to_string();
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "WITH ev AS (INSERT INTO events ({}) ",
        crate::read::EVENT_COLUMNS
    ));
    push_event_values(&mut qb, envelopes);
    qb.push("), head AS (UPDATE hubs SET last_seq = ")
        .push_bind(to_i64(tail.last.hub_seq))
        .push(", last_hash = ")
        .push_bind(tail.last.hash.clone())
        .push(" WHERE hub_id = ")
        .push_bind(tail.hub_id)
        .push(
            "), idem AS (INSERT INTO idempotency \
               (hub_id, member_id, key, fingerprint, client_fingerprint, receipt) SELECT ",
        )
        .push_bind(tail.hub_id)
        .push(", ")
        .push_bind(tail.member_id)
        .push(", k, ")
        .push_bind(tail.fingerprint.to_string())
        .push(", ")
        .push_bind(tail.client_fingerprint.map(str::to_string))
        .push(", ")
        .push_bind(tail.receipt.clone())
        .push(" FROM (SELECT ")
        .push_bind(tail.key.map(str::to_string))
        .push("::text AS k) given WHERE k IS NOT NULL) SELECT pg_notify(")
        .push_bind(NOTIFY_CHANNEL)
        .push(", ")
        .push_bind(note)
        .push(")");
    qb.build().execute(&mut **tx).await?;
    Ok(())
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

    // 2. One statement, run after the hub's lock is held (so it reads this hub's rows as the
    //    last append to it left them): the idempotency record, the stream's owner and version,
    //    and, only if the request is new, the stream is this hub's and its version is the one
    //    expected, the stream's new version and the positions (see `CHECK_AND_TAKE`).
    let fp = req.idempotency_key.as_ref().map(|_| fingerprint(req));
    let n = req.events.len() as u64;
    let expected = match req.expected_version {
        ExpectedVersion::Any => None,
        ExpectedVersion::NoStream => Some(0),
        ExpectedVersion::Exact(v) => Some(to_i64(v)),
    };
    let checked: Checked = sqlx::query_as(CHECK_AND_TAKE)
        .bind(&req.stream_id)
        .bind(req.hub_id)
        .bind(req.actor.member_id)
        .bind(req.idempotency_key.as_deref())
        .bind(expected)
        .bind(to_i64(n))
        .fetch_one(&mut **tx)
        .await?;

    // Idempotency first: a retry carries a now-stale version.
    if let (Some(key), Some(fingerprint), Some(receipt)) = (
        &req.idempotency_key,
        checked.seen_fingerprint,
        checked.seen_receipt,
    ) {
        let record = KeyRecord {
            fingerprint,
            client_fingerprint: checked.seen_client_fingerprint,
            receipt: serde_json::from_value(receipt)
                .map_err(|e| StoreError::Corrupt(format!("stored receipt: {e}")))?,
        };
        if !record.repeated_by(req) {
            return Err(StoreError::IdempotencyMismatch { key: key.clone() }.into());
        }
        return Ok(Done::Repeat(record.receipt));
    }
    if checked.owner.is_some_and(|owner| owner != req.hub_id) {
        return Err(StoreError::WrongHub {
            stream_id: req.stream_id.clone(),
        }
        .into());
    }
    let current = checked.version.map_or(0, |v| v.max(0) as u64);
    let (Some(last_position), Some(now)) = (checked.last_position, checked.now) else {
        // The statement took no positions only because the version did not hold.
        return Err(conflict(req, current).into());
    };
    let last_position = last_position.max(0) as u64;
    let new_version = current + n;
    let first_position = last_position + 1 - n;

    let envelopes = seal_events(
        req,
        current,
        last_seq as u64,
        first_position,
        now,
        last_hash,
    );
    let receipt = receipt_of(req, &envelopes, new_version, now);
    let receipt_json = serde_json::to_value(&receipt)
        .map_err(|e| StoreError::Backend(format!("receipt does not serialise: {e}")))?;

    // 3. The events, the hub's head, the idempotency receipt and the notification: one
    //    statement (the events beyond one `INSERT`'s worth go first, on their own).
    let chunks: Vec<&[Envelope]> = envelopes.chunks(INSERT_CHUNK).collect();
    let (last_chunk, earlier) = chunks.split_last().expect("at least one event");
    for chunk in earlier {
        insert_events(tx, chunk).await?;
    }
    let tail = Tail {
        hub_id: req.hub_id,
        last: envelopes.last().expect("at least one event"),
        member_id: req.actor.member_id,
        key: req.idempotency_key.as_deref(),
        fingerprint: fp.as_deref().unwrap_or(""),
        client_fingerprint: req.client_fingerprint.as_deref(),
        receipt: &receipt_json,
        first_position,
        last_position,
    };
    insert_with_tail(tx, last_chunk, &tail).await?;

    // Test hook: hold the transaction open (with its inserts done) until released.
    let hook = pause.lock().expect("pause slot poisoned").take();
    if let Some(hook) = hook {
        hook.hold(backend_pid).await;
    }
    Ok(Done::Appended(receipt, xid, envelopes))
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
    push_event_values(&mut qb, envelopes);
    qb.build().execute(&mut **tx).await?;
    Ok(())
}

/// Pushes `VALUES (..), (..)` of the events' columns, in [`crate::read::EVENT_COLUMNS`]'s order.
fn push_event_values(qb: &mut QueryBuilder<Postgres>, envelopes: &[Envelope]) {
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
}
