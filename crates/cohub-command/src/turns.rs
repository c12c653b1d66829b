//! One command at a time per stream inside this server, without waiting for the disk.
//!
//! Commands on one stream take turns ([`SlotRef::take`]): each decides against the stream as
//! it will stand once every append placed before it has landed (the [`Pending`] state the
//! last placed append makes, or the durable state when there is none), places its append in
//! the store's queue, and hands the turn on before its append is durable. The store writes
//! placed appends in order, so a command never conflicts with another command of this server.
//!
//! Invariant: while no placed append has failed, the overlay is the last placement's state and
//! every unanswered placement is built on the one before it, so the overlay is exactly what the
//! stream will be. A failed placement (or a conflict with another server) breaks the chain:
//! every placement after it is doomed (it expected a version that will not come), and the
//! overlay is dropped. The next turn-holder then waits, holding the turn, until every placed
//! append is answered, and decides on the durable state; a doomed command is decided again.
//! Deciding on the durable state while a placement that may still land is unanswered could
//! build on a version number that a different append then fills, which this rules out.

use cohub_domain::{MemberId, World};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{Mutex as AsyncMutex, Notify, OwnedMutexGuard};

/// The state of a stream once its placed appends have landed.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The ticket of the placement that makes this state.
    pub ticket: u64,
    /// The stream's version once that placement has landed.
    pub version: u64,
    /// The stream's own folded state once that placement has landed.
    pub world: Arc<World>,
}

/// What a stream's turn-holder and its placed appends share.
#[derive(Debug, Default)]
struct Slot {
    turn: Arc<AsyncMutex<()>>,
    state: Mutex<SlotState>,
    settled: Notify,
}

#[derive(Debug, Default)]
struct SlotState {
    next_ticket: u64,
    /// Placed appends not yet answered.
    in_flight: usize,
    /// The last placement's state, while the chain of placements is unbroken.
    pending: Option<Pending>,
    /// A placement failed: the unanswered ones are doomed, and the overlay is gone until they
    /// are all answered.
    broken: bool,
    /// (actor, idempotency key) of placed appends not yet answered.
    keys: HashSet<(MemberId, String)>,
}

/// A placement that has not been answered yet.
#[derive(Debug)]
pub(crate) struct Placement {
    key: Option<(MemberId, String)>,
}

/// The turns of every stream with a command in progress.
#[derive(Debug, Default)]
pub(crate) struct Turns {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

/// A stream's slot, kept while someone holds it; the last holder removes an idle slot.
pub(crate) struct SlotRef {
    turns: Arc<Turns>,
    stream_id: String,
    slot: Arc<Slot>,
}

impl Turns {
    /// The stream's slot (created if no one is using the stream).
    pub fn slot(turns: &Arc<Turns>, stream_id: &str) -> SlotRef {
        let slot = lock(&turns.slots)
            .entry(stream_id.to_string())
            .or_default()
            .clone();
        SlotRef {
            turns: turns.clone(),
            stream_id: stream_id.to_string(),
            slot,
        }
    }

    /// How many streams have a slot now (idle slots are removed).
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.slots).len()
    }
}

impl Drop for SlotRef {
    fn drop(&mut self) {
        let mut slots = lock(&self.turns.slots);
        // Holders clone the slot under this lock, so a count of two (the map and this one)
        // means no one else holds it; idle means nothing placed is still unanswered.
        let idle = lock(&self.slot.state).in_flight == 0;
        if Arc::strong_count(&self.slot) == 2 && idle {
            slots.remove(&self.stream_id);
        }
    }
}

impl SlotRef {
    /// Waits for the stream's turn (first come, first served).
    pub async fn take(&self) -> OwnedMutexGuard<()> {
        self.slot.turn.clone().lock_owned().await
    }

    /// For the turn-holder: the state to decide on, `None` meaning the durable state. After a
    /// failed placement, waits until every placed append is answered first.
    pub async fn overlay(&self) -> Option<Pending> {
        self.settle(|state| !state.broken || state.in_flight == 0)
            .await;
        let mut state = lock(&self.slot.state);
        if state.broken {
            state.broken = false;
            state.pending = None;
        }
        state.pending.clone()
    }

    /// Whether an append with this actor's idempotency key is placed and not yet answered.
    pub fn key_in_flight(&self, key: &(MemberId, String)) -> bool {
        lock(&self.slot.state).keys.contains(key)
    }

    /// Waits until no append with this key is placed and unanswered.
    pub async fn key_settled(&self, key: &(MemberId, String)) {
        self.settle(|state| !state.keys.contains(key)).await;
    }

    /// Waits until `done` holds of the slot's state (checked again after every answer).
    async fn settle(&self, done: impl Fn(&SlotState) -> bool) {
        loop {
            let settled = self.slot.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if done(&lock(&self.slot.state)) {
                return;
            }
            settled.await;
        }
    }

    /// For the turn-holder, straight after placing an append: it was decided on `basis` (the
    /// ticket of the overlay [`overlay`](Self::overlay) gave, `None` for the durable state)
    /// and, once landed, leaves the stream at `version` with state `world`.
    ///
    /// If a placement failed while this command was deciding, this one is doomed too (it is
    /// built on the failed one) and leaves no overlay.
    pub fn placed(
        &self,
        basis: Option<u64>,
        version: u64,
        world: Arc<World>,
        key: Option<(MemberId, String)>,
    ) -> Placement {
        let mut state = lock(&self.slot.state);
        state.next_ticket += 1;
        state.in_flight += 1;
        let ticket = state.next_ticket;
        let current = state.pending.as_ref().map(|p| p.ticket);
        if !state.broken && current == basis {
            state.pending = Some(Pending {
                ticket,
                version,
                world,
            });
        }
        if let Some(key) = &key {
            state.keys.insert(key.clone());
        }
        Placement { key }
    }

    /// Records a placed append's answer. One that did not land breaks the chain: the overlay
    /// is dropped and the placements after it are doomed.
    pub fn answered(&self, placement: Placement, landed: bool) {
        let mut state = lock(&self.slot.state);
        state.in_flight = state.in_flight.saturating_sub(1);
        if !landed {
            state.broken = true;
            state.pending = None;
        }
        if let Some(key) = &placement.key {
            state.keys.remove(key);
        }
        drop(state);
        self.slot.settled.notify_waiters();
    }

    /// The stream this slot is for.
    pub fn stream_id(&self) -> &str {
        &self.stream_id
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(slot: &SlotRef) -> Option<u64> {
        lock(&slot.slot.state).pending.as_ref().map(|p| p.version)
    }

    #[tokio::test]
    async fn landed_placements_leave_the_last_overlay() {
        let turns = Arc::new(Turns::default());
        let slot = Turns::slot(&turns, "idea-1");
        let a = slot.placed(None, 1, Arc::new(World::new()), None);
        let b = slot.placed(Some(1), 2, Arc::new(World::new()), None);
        slot.answered(a, true);
        assert_eq!(version(&slot), Some(2), "b's overlay stays");
        slot.answered(b, true);
        assert_eq!(
            slot.overlay().await.map(|p| p.version),
            Some(2),
            "with everything landed, the last overlay is the durable state"
        );
    }

    #[tokio::test]
    async fn after_a_failure_the_next_decides_on_the_durable_state_once_all_are_answered() {
        let turns = Arc::new(Turns::default());
        let slot = Turns::slot(&turns, "idea-1");
        let a = slot.placed(None, 1, Arc::new(World::new()), None);
        let b = slot.placed(Some(1), 2, Arc::new(World::new()), None);
        slot.answered(a, false);
        assert_eq!(version(&slot), None, "b was built on a, which failed");
        // The next turn-holder waits for b (doomed, but unanswered) before deciding.
        let next = {
            let turns = turns.clone();
            tokio::spawn(async move { Turns::slot(&turns, "idea-1").overlay().await.is_none() })
        };
        tokio::task::yield_now().await;
        assert!(!next.is_finished(), "the next waits while b is unanswered");
        slot.answered(b, false);
        assert!(next.await.unwrap(), "then decides on the durable state");
    }

    #[tokio::test]
    async fn a_placement_decided_while_one_failed_leaves_no_overlay() {
        let turns = Arc::new(Turns::default());
        let slot = Turns::slot(&turns, "idea-1");
        let a = slot.placed(None, 1, Arc::new(World::new()), None);
        // b read a's overlay, then a failed while b was deciding.
        let basis = slot.overlay().await.map(|p| p.ticket);
        slot.answered(a, false);
        let b = slot.placed(basis, 2, Arc::new(World::new()), None);
        assert_eq!(version(&slot), None, "b counted on a failed append");
        slot.answered(b, false);
        assert!(slot.overlay().await.is_none());
    }

    #[tokio::test]
    async fn a_key_in_flight_is_waited_for_and_idle_slots_are_removed() {
        let turns = Arc::new(Turns::default());
        let key = (MemberId::from_u128(7), "k".to_string());
        let slot = Turns::slot(&turns, "idea-1");
        let placement = slot.placed(None, 1, Arc::new(World::new()), Some(key.clone()));
        assert!(slot.key_in_flight(&key));
        let waiter = {
            let turns = turns.clone();
            let key = key.clone();
            tokio::spawn(async move { Turns::slot(&turns, "idea-1").key_settled(&key).await })
        };
        tokio::task::yield_now().await;
        assert!(
            !waiter.is_finished(),
            "the copy waits while the first is unanswered"
        );
        slot.answered(placement, true);
        waiter.await.unwrap();
        assert!(!slot.key_in_flight(&key));
        drop(slot);
        assert_eq!(turns.len(), 0, "an idle slot is removed by its last holder");

        // A slot with an unanswered placement outlives its turn-holder's handle.
        let slot = Turns::slot(&turns, "idea-2");
        let placement = slot.placed(None, 1, Arc::new(World::new()), None);
        let settler = Turns::slot(&turns, "idea-2");
        drop(slot);
        assert_eq!(turns.len(), 1);
        settler.answered(placement, true);
        drop(settler);
        assert_eq!(turns.len(), 0);
    }
}
