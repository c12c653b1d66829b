//! Snapshots of single hubs, every K events of each hub: the starting points of as-of reads.
//!
//! An as-of read asks about one hub, so it starts from that hub's nearest snapshot and folds
//! only that hub's events after it, however many other hubs wrote in between. The projector
//! cuts a snapshot out of the live model as it folds each hub's K-th event (sharing every
//! entity with the live model, so one costs a few pointers per entity of the hub); replays
//! leave snapshots behind where none is held (after a restart, the first as-of read of a hub
//! folds that hub from its start once). When more than `max` are held, every other one is
//! dropped, doubling the spacing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use cohub_domain::HubId;

use crate::model::ReadModel;

/// One held snapshot: the hub sequence of the hub's last event folded in, and the model of
/// that hub alone (its `position()` is that event's global position).
#[derive(Clone, Debug)]
pub struct HubSnapshot {
    /// The hub sequence of the last event folded in.
    pub hub_seq: u64,
    /// The hub's model.
    pub model: Arc<ReadModel>,
}

/// Snapshots of single hubs, by hub and global position.
#[derive(Debug)]
pub struct HubSnapshots {
    every: u64,
    max: usize,
    held: Mutex<BTreeMap<(HubId, u64), HubSnapshot>>,
}

impl HubSnapshots {
    /// Snapshots every `every` events of each hub (0: never), at most `max` held in all.
    pub fn new(every: u64, max: usize) -> Self {
        Self {
            every,
            max: max.max(2),
            held: Mutex::new(BTreeMap::new()),
        }
    }

    /// The spacing K, in events of one hub.
    pub fn every(&self) -> u64 {
        self.every
    }

    fn held(&self) -> MutexGuard<'_, BTreeMap<(HubId, u64), HubSnapshot>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a hub's model after its event `hub_seq` should be kept.
    pub fn is_due(&self, hub_seq: u64) -> bool {
        self.every > 0 && hub_seq > 0 && hub_seq % self.every == 0
    }

    /// Whether a snapshot of `hub` at global `position` is held.
    pub fn has(&self, hub: HubId, position: u64) -> bool {
        self.held().contains_key(&(hub, position))
    }

    /// Keeps `model` (of `hub` alone, after its event `hub_seq`) if that event is due.
    pub fn offer(&self, hub: HubId, hub_seq: u64, model: Arc<ReadModel>) {
        if !self.is_due(hub_seq) {
            return;
        }
        let mut held = self.held();
        held.insert((hub, model.position()), HubSnapshot { hub_seq, model });
        if held.len() > self.max {
            let drop: Vec<(HubId, u64)> = held.keys().copied().skip(1).step_by(2).collect();
            for key in drop {
                held.remove(&key);
            }
        }
    }

    /// The latest snapshot of `hub` at or before global `position`.
    pub fn at_or_before(&self, hub: HubId, position: u64) -> Option<HubSnapshot> {
        self.held()
            .range((hub, 0)..=(hub, position))
            .next_back()
            .map(|(_, s)| s.clone())
    }

    /// The global positions of the snapshots held of `hub`, ascending.
    pub fn positions(&self, hub: HubId) -> Vec<u64> {
        self.held()
            .range((hub, 0)..=(hub, u64::MAX))
            .map(|((_, p), _)| *p)
            .collect()
    }

    /// How many snapshots are held, of every hub.
    pub fn len(&self) -> usize {
        self.held().len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.held().is_empty()
    }
}
