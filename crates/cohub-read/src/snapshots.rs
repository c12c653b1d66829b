//! In-memory snapshots of the read model every K positions, the starting points of as-of reads.
//!
//! Snapshots share unchanged entities with each other and with the live model, so each costs
//! roughly one pointer per entity. They are taken by the projector as it applies events and
//! filled in by replays (after a restart from a checkpoint, the first as-of read of an early
//! position replays from the start once and leaves snapshots behind). When more than `max`
//! are held, every other one is dropped, doubling the spacing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::model::ReadModel;

/// Snapshots of the read model, by position.
#[derive(Debug)]
pub struct Snapshots {
    every: u64,
    max: usize,
    held: Mutex<BTreeMap<u64, Arc<ReadModel>>>,
}

impl Snapshots {
    /// Snapshots every `every` positions (0: never), at most `max` held.
    pub fn new(every: u64, max: usize) -> Self {
        Self {
            every,
            max: max.max(2),
            held: Mutex::new(BTreeMap::new()),
        }
    }

    /// The spacing K.
    pub fn every(&self) -> u64 {
        self.every
    }

    fn held(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<ReadModel>>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a model at `position` should be kept.
    pub fn is_due(&self, position: u64) -> bool {
        self.every > 0 && position > 0 && position % self.every == 0
    }

    /// Whether a snapshot at `position` is held.
    pub fn has(&self, position: u64) -> bool {
        self.held().contains_key(&position)
    }

    /// Keeps `model` if its position is due.
    pub fn offer(&self, model: &Arc<ReadModel>) {
        if !self.is_due(model.position()) {
            return;
        }
        let mut held = self.held();
        held.insert(model.position(), model.clone());
        if held.len() > self.max {
            let drop: Vec<u64> = held.keys().copied().skip(1).step_by(2).collect();
            for p in drop {
                held.remove(&p);
            }
        }
    }

    /// The latest snapshot at or before `position`.
    pub fn at_or_before(&self, position: u64) -> Option<Arc<ReadModel>> {
        self.held()
            .range(..=position)
            .next_back()
            .map(|(_, m)| m.clone())
    }

    /// The latest snapshot all of whose events were recorded at or before `time`.
    pub fn at_or_before_time(&self, time: DateTime<Utc>) -> Option<Arc<ReadModel>> {
        self.held()
            .values()
            .rev()
            .find(|m| m.recorded_until().is_none_or(|t| t <= time))
            .cloned()
    }

    /// The positions of the snapshots held, ascending.
    pub fn positions(&self) -> Vec<u64> {
        self.held().keys().copied().collect()
    }
}
