//! Live subscriptions: catch up by position, then wake on `LISTEN cohub_events`, on this
//! server's own commits, and re-read.
//!
//! One listener task per [`crate::PgStore`] holds a dedicated connection and `LISTEN`s on
//! [`crate::append::NOTIFY_CHANNEL`]. Each notification raises [`Recent::announced`] to the
//! last position it names and wakes the subscribers; a reconnect, or a notification it cannot
//! read, counts as a loss ([`Recent::lost`]), since notifications sent while disconnected are
//! gone. A subscriber marks the wake-up counter seen, then:
//! - takes what this server itself just committed ([`Recent::after`]) if it follows the last
//!   position delivered without a gap, with no read;
//! - else reads `position > last delivered` from the table, unless it has delivered up to the
//!   highest position announced and no loss happened since its last read (then there is
//!   nothing to read, and it waits).
//!
//! A notification only shortens the wait: the one-second fallback poll reads the table
//! anyway. A read that finds fewer events than it asked for has delivered everything
//! committed before it. Because positions are assigned in commit order (see
//! [`crate::append`]), reading by position never skips an event, and delivering strictly
//! increasing positions never duplicates one.

use crate::append::NOTIFY_CHANNEL;
use crate::read::read_all;
use crate::recent::Recent;
use cohub_store::{Envelope, EnvelopeStream};
use futures::StreamExt;
use sqlx::postgres::{PgListener, PgPool};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a subscriber waits without a notification before re-reading anyway.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Events read per catch-up query.
const BATCH: usize = 512;

/// Starts the listener task; the returned receiver changes whenever the log may have grown.
pub(crate) fn spawn_listener(
    listener_pool: PgPool,
    recent: Arc<Recent>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let mut listener = match PgListener::connect_with(&listener_pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cohub-store-pg: LISTEN connection failed; retrying");
                    tokio::time::sleep(POLL_INTERVAL).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
                tracing::warn!(error = %e, "cohub-store-pg: LISTEN failed; retrying");
                tokio::time::sleep(POLL_INTERVAL).await;
                continue;
            }
            // Anything committed before the LISTEN took effect is picked up by this re-read.
            recent.lost();
            loop {
                match listener.try_recv().await {
                    Ok(Some(first)) => {
                        let mut heard = Some(first);
                        while let Some(n) = heard {
                            match last_position(n.payload()) {
                                Some(position) => recent.announce(position),
                                None => recent.lost(),
                            }
                            heard = listener.next_buffered();
                        }
                    }
                    // The connection was lost and re-established: notifications may be lost.
                    Ok(None) => recent.lost(),
                    Err(e) => {
                        tracing::warn!(error = %e, "cohub-store-pg: LISTEN connection error; reconnecting");
                        recent.lost();
                        tokio::time::sleep(POLL_INTERVAL).await;
                        break;
                    }
                }
            }
        }
    })
}

/// The last position a notification's payload names, if it can be read.
fn last_position(payload: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()?
        .get("last_position")?
        .as_u64()
}

/// State of one subscription.
struct Sub<K> {
    pool: PgPool,
    recent: Arc<Recent>,
    _keep: K,
    wake: watch::Receiver<u64>,
    last: u64,
    buffer: VecDeque<Envelope>,
    /// Nothing is known to follow `last`: wait for the next wake-up.
    caught_up: bool,
    /// The table must be read before anything else counts as known: at the start, after the
    /// fallback poll, after a failed read.
    must_read: bool,
    /// [`Recent::losses`] when the table was last read.
    losses_seen: u64,
}

/// Every event after `after_position`, then live ones, in order, never duplicated. The stream
/// is lazy (it does nothing until polled), `'static`, and ends only when dropped. Database
/// errors are logged and retried, since a subscriber must not lose its place. `keep_alive`
/// is held for the stream's life (it keeps the store's listener task running).
pub(crate) fn subscribe<K: Send + Sync + 'static>(
    pool: PgPool,
    recent: Arc<Recent>,
    after_position: u64,
    keep_alive: K,
) -> EnvelopeStream {
    let sub = Sub {
        pool,
        wake: recent.waker(),
        recent,
        _keep: keep_alive,
        last: after_position,
        buffer: VecDeque::new(),
        caught_up: false,
        must_read: true,
        losses_seen: 0,
    };
    futures::stream::unfold(sub, |mut sub| async move {
        loop {
            if let Some(e) = sub.buffer.pop_front() {
                sub.last = e.position;
                return Some((Ok(e), sub));
            }
            if !sub.caught_up {
                // Mark wake-ups seen *before* looking: one that comes during or after the look
                // wakes us below, so a short look need not be followed by another.
                sub.wake.borrow_and_update();
                let mine = sub.recent.after(sub.last, BATCH);
                if !mine.is_empty() {
                    sub.buffer.extend(mine);
                    continue;
                }
                let losses = sub.recent.losses();
                if !sub.must_read && losses == sub.losses_seen && sub.recent.announced() <= sub.last
                {
                    sub.caught_up = true;
                } else {
                    sub.losses_seen = losses;
                    sub.recent.reading();
                    match read_all(&sub.pool, sub.last, BATCH).await {
                        Ok(events) => {
                            sub.must_read = false;
                            sub.caught_up = events.len() < BATCH;
                            // Positions are gap-free and ascending; keep what follows `last`.
                            sub.buffer
                                .extend(events.into_iter().filter(|e| e.position > sub.last));
                            if !sub.buffer.is_empty() {
                                continue;
                            }
                        }
                        Err(e) => {
                            sub.must_read = true;
                            tracing::warn!(error = %e, "cohub-store-pg: subscription read failed; retrying");
                        }
                    }
                }
            }
            tokio::select! {
                changed = sub.wake.changed() => {
                    if changed.is_err() {
                        // The store is gone: fall back to polling.
                        tokio::time::sleep(POLL_INTERVAL).await;
                        sub.must_read = true;
                    }
                }
                _ = tokio::time::sleep(POLL_INTERVAL) => sub.must_read = true,
            }
            sub.caught_up = false;
        }
    })
    .boxed()
}
