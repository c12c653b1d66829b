//! What this server has just committed, handed to its own subscribers, and what the log is
//! known to hold, so that a subscriber reads the table only when something it has not seen may
//! be there.
//!
//! After a commit, the appending task hands its sealed envelopes here and wakes the
//! subscribers. A subscriber takes them only if they follow, without a gap, the last position
//! it delivered (positions are gap-free and in commit order, so the envelope at a position
//! never changes once committed); anything else (another server's events, an older event,
//! a gap) is read from the table as before. The listener raises [`Recent::announced`] to the
//! last position each notification names, so a subscriber that has delivered up to it, with
//! no notification possibly lost since ([`Recent::lost`]), has nothing to read: its own
//! commits' notifications arriving after it took them cost no read.

use cohub_store::Envelope;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::watch;

/// How many recently committed envelopes are held (the oldest are dropped first). A
/// subscriber further behind reads from the table.
const HELD: usize = 4096;

/// Recent local commits, the highest position known committed, and the wake-up counter.
#[derive(Debug)]
pub(crate) struct Recent {
    held: Mutex<BTreeMap<u64, Envelope>>,
    announced: AtomicU64,
    lost: AtomicU64,
    reads: AtomicU64,
    wake: watch::Sender<u64>,
}

impl Recent {
    /// Empty, with its wake-up counter at 0.
    pub(crate) fn new() -> Recent {
        Recent {
            held: Mutex::new(BTreeMap::new()),
            announced: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            wake: watch::channel(0).0,
        }
    }

    /// A receiver of the wake-up counter, which changes whenever the log may have grown.
    pub(crate) fn waker(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    fn bump(&self) {
        self.wake.send_modify(|c| *c = c.wrapping_add(1));
    }

    /// Envelopes this server has just committed (its transaction's commit succeeded).
    pub(crate) fn committed(&self, envelopes: &[Envelope]) {
        let Some(last) = envelopes.iter().map(|e| e.position).max() else {
            return;
        };
        {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            for e in envelopes {
                held.insert(e.position, e.clone());
            }
            while held.len() > HELD {
                held.pop_first();
            }
        }
        self.announced.fetch_max(last, Ordering::SeqCst);
        self.bump();
    }

    /// A notification said the log holds events up to `position`.
    pub(crate) fn announce(&self, position: u64) {
        self.announced.fetch_max(position, Ordering::SeqCst);
        self.bump();
    }

    /// Notifications may have been lost (the listener reconnected, or one could not be read):
    /// every subscriber reads the table once more.
    pub(crate) fn lost(&self) {
        self.lost.fetch_add(1, Ordering::SeqCst);
        self.bump();
    }

    /// The highest position a commit of this server or a notification named.
    pub(crate) fn announced(&self) -> u64 {
        self.announced.load(Ordering::SeqCst)
    }

    /// How many times notifications may have been lost.
    pub(crate) fn losses(&self) -> u64 {
        self.lost.load(Ordering::SeqCst)
    }

    /// A subscriber is about to read the table.
    pub(crate) fn reading(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// How many table reads subscribers have made.
    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// The held envelopes at `after + 1`, `after + 2`, … up to the first position not held, at
    /// most `limit`.
    pub(crate) fn after(&self, after: u64, limit: usize) -> Vec<Envelope> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        (after + 1..)
            .zip(held.range(after + 1..))
            .take(limit)
            .take_while(|(next, (&position, _))| position == *next)
            .map(|(_, (_, e))| e.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(position: u64) -> Envelope {
        Envelope {
            event_id: uuid::Uuid::now_v7(),
            hub_id: uuid::Uuid::nil(),
            stream_id: "s".into(),
            stream_version: position,
            hub_seq: position,
            position,
            recorded_at: chrono::Utc::now(),
            actor: cohub_store::ActorRef {
                member_id: uuid::Uuid::nil(),
                organisation_id: None,
                stakeholder_kind: None,
                role: "member".into(),
            },
            correlation_id: uuid::Uuid::nil(),
            causation_id: None,
            idempotency_key: None,
            client_fingerprint: None,
            event_type: "T".into(),
            schema_version: 1,
            payload: serde_json::json!({}),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn only_an_unbroken_run_after_the_last_delivered_is_handed_out() {
        let recent = Recent::new();
        recent.committed(&[envelope(3), envelope(4)]);
        recent.committed(&[envelope(6)]);
        let positions = |v: Vec<Envelope>| v.iter().map(|e| e.position).collect::<Vec<_>>();
        assert_eq!(
            positions(recent.after(2, 10)),
            vec![3, 4],
            "stops at the gap at 5"
        );
        assert_eq!(
            positions(recent.after(1, 10)),
            Vec::<u64>::new(),
            "2 is not held"
        );
        assert_eq!(positions(recent.after(3, 1)), vec![4], "at most the limit");
        assert_eq!(positions(recent.after(5, 10)), vec![6]);
        assert_eq!(recent.announced(), 6);
        recent.announce(9);
        recent.announce(7);
        assert_eq!(recent.announced(), 9, "never lowered");
    }

    #[test]
    fn the_oldest_are_dropped_beyond_the_bound() {
        let recent = Recent::new();
        let many: Vec<Envelope> = (1..=(HELD as u64 + 10)).map(envelope).collect();
        recent.committed(&many);
        assert!(recent.after(0, 10).is_empty(), "position 1 was dropped");
        assert_eq!(recent.after(10, 1)[0].position, 11);
    }
}
