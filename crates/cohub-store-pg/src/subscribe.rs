//! Live subscriptions: catch up by position, then wake on `LISTEN cohub_events` and re-read.
//!
//! One listener task per [`crate::PgStore`] holds a dedicated connection, `LISTEN`s on
//! [`crate::append::NOTIFY_CHANNEL`] and bumps a `watch` counter on every notification (and
//! after every reconnect, since notifications sent while disconnected are lost). Subscribers
//! never trust a notification's content: they mark the counter seen, then read
//! `position > last delivered` from the table. A notification only shortens the wait; a lost
//! one costs at most the one-second fallback poll. A read that finds fewer events than it asked
//! for has delivered everything committed before it, so the subscriber then waits for the next
//! notification rather than reading again to find nothing. Because positions are assigned in commit
//! order (see [`crate::append`]), reading by position never skips an event, and delivering
//! strictly increasing positions never duplicates one.

use crate::append::NOTIFY_CHANNEL;
use crate::read::read_all;
use cohub_store::{Envelope, EnvelopeStream};
use futures::StreamExt;
use sqlx::postgres::{PgListener, PgPool};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::watch;

/// How long a subscriber waits without a notification before re-reading anyway.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Events read per catch-up query.
const BATCH: usize = 512;

/// Starts the listener task; the returned receiver changes whenever the log may have grown.
pub(crate) fn spawn_listener(
    listener_pool: PgPool,
) -> (watch::Receiver<u64>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = watch::channel(0u64);
    let task = tokio::spawn(async move {
        let bump = |tx: &watch::Sender<u64>| tx.send_modify(|c| *c = c.wrapping_add(1));
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
            bump(&tx);
            loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => {
                        while listener.next_buffered().is_some() {}
                        bump(&tx);
                    }
                    // The connection was lost and re-established: notifications may be lost.
                    Ok(None) => bump(&tx),
                    Err(e) => {
                        tracing::warn!(error = %e, "cohub-store-pg: LISTEN connection error; reconnecting");
                        bump(&tx);
                        tokio::time::sleep(POLL_INTERVAL).await;
                        break;
                    }
                }
            }
        }
    });
    (rx, task)
}

/// State of one subscription.
struct Sub<K> {
    pool: PgPool,
    _keep: K,
    wake: watch::Receiver<u64>,
    last: u64,
    buffer: VecDeque<Envelope>,
    /// The last read found fewer events than it asked for: everything committed before it
    /// was delivered, so the next read waits for a notification (or the fallback poll).
    caught_up: bool,
}

/// Every event after `after_position`, then live ones, in order, never duplicated. The stream
/// is lazy (it does nothing until polled), `'static`, and ends only when dropped. Database
/// errors are logged and retried, since a subscriber must not lose its place. `keep_alive`
/// is held for the stream's life (it keeps the store's listener task running).
pub(crate) fn subscribe<K: Send + Sync + 'static>(
    pool: PgPool,
    wake: watch::Receiver<u64>,
    after_position: u64,
    keep_alive: K,
) -> EnvelopeStream {
    let sub = Sub {
        pool,
        _keep: keep_alive,
        wake,
        last: after_position,
        buffer: VecDeque::new(),
        caught_up: false,
    };
    futures::stream::unfold(sub, |mut sub| async move {
        loop {
            if let Some(e) = sub.buffer.pop_front() {
                sub.last = e.position;
                return Some((Ok(e), sub));
            }
            if !sub.caught_up {
                // Mark notifications seen *before* reading: one arriving during the read (or
                // after it) wakes us below, so a short read need not be followed by another.
                sub.wake.borrow_and_update();
                match read_all(&sub.pool, sub.last, BATCH).await {
                    Ok(events) => {
                        sub.caught_up = events.len() < BATCH;
                        // Positions are gap-free and ascending; keep only what follows `last`.
                        sub.buffer
                            .extend(events.into_iter().filter(|e| e.position > sub.last));
                        if !sub.buffer.is_empty() {
                            continue;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cohub-store-pg: subscription read failed; retrying");
                    }
                }
            }
            tokio::select! {
                changed = sub.wake.changed() => {
                    if changed.is_err() {
                        // The store (and its listener) is gone: fall back to polling.
                        tokio::time::sleep(POLL_INTERVAL).await;
                    }
                }
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            sub.caught_up = false;
        }
    })
    .boxed()
}
