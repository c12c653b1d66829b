//! Whether an append whose commit call failed was written after all.
//!
//! When the connection drops while `COMMIT` is under way, the client cannot tell from the error
//! whether the server committed. Answering `Unavailable` for a write that did commit invites a
//! retry without a key to write it twice; so before answering, [`settle`] asks the database, on
//! another connection:
//!
//! 1. `txid_status(xid)` of the append's transaction: `aborted` means nothing was written
//!    (certain); `in progress` means the server has not finished with it yet (its backend has
//!    not noticed the lost connection): ask again shortly; `committed` (or no answer, for a
//!    transaction too old to know) is confirmed by step 2.
//! 2. Whether the append's first event is in the log, by its own id at the position the
//!    transaction gave it: if it is, the append was written and its receipt is the answer.
//!
//! If no answer comes before the deadline (the database is unreachable, or the transaction is
//! still in progress), the outcome is unknown.

use crate::read::to_i64;
use sqlx::PgPool;
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;

/// How long to wait between two checks.
const RECHECK_PAUSE: Duration = Duration::from_millis(100);

/// The append whose commit call failed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InFlight {
    /// Its transaction's id (`txid_current()`, epoch-extended).
    pub xid: i64,
    /// The global position its first event was given.
    pub position: u64,
    /// Its first event's id.
    pub event_id: Uuid,
}

/// What [`settle`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Settled {
    /// The append is in the log.
    Written,
    /// The transaction aborted: nothing was written.
    NotWritten,
    /// It could not be told (why, in words).
    Unknown(String),
}

/// Finds out, within `within`, whether `append` was written (see the module docs).
pub(crate) async fn settle(pool: &PgPool, append: &InFlight, within: Duration) -> Settled {
    let deadline = Instant::now() + within;
    loop {
        let why = match tokio::time::timeout_at(deadline, check(pool, append)).await {
            Ok(Ok(Some(settled))) => return settled,
            Ok(Ok(None)) => "its transaction was still in progress".to_string(),
            Ok(Err(e)) => format!("the database could not be asked whether it landed ({e})"),
            Err(_) => "the database did not answer whether it landed in time".to_string(),
        };
        if Instant::now() + RECHECK_PAUSE >= deadline {
            return Settled::Unknown(why);
        }
        tokio::time::sleep(RECHECK_PAUSE).await;
    }
}

/// One look: `Some` if the fate of the append is known, `None` if it is still in progress.
async fn check(pool: &PgPool, append: &InFlight) -> Result<Option<Settled>, sqlx::Error> {
    let status: Option<String> = sqlx::query_scalar("SELECT txid_status($1)")
        .bind(append.xid)
        .fetch_one(pool)
        .await?;
    match status.as_deref() {
        Some("aborted") => return Ok(Some(Settled::NotWritten)),
        Some("in progress") => return Ok(None),
        _ => {}
    }
    let landed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM events WHERE position = $1 AND event_id = $2)",
    )
    .bind(to_i64(append.position))
    .bind(append.event_id)
    .fetch_one(pool)
    .await?;
    Ok(Some(if landed {
        Settled::Written
    } else {
        Settled::Unknown(format!(
            "its transaction is {}, but its first event is not at position {}",
            status.as_deref().unwrap_or("too old to know about"),
            append.position
        ))
    }))
}
