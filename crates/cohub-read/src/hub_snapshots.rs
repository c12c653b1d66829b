//! Snapshots of single hubs, every K events of each hub: the starting points of as-of reads.
//!
//! An as-of read asks about one hub, so it starts from that hub's nearest snapshot and folds
//! only that hub's events after it, however many other hubs wrote in between. The projector
//! cuts a snapshot out of the live model as it folds each hub's K-th event (sharing every
//! entity with the live model, so one costs a few pointers per entity of the hub); replays
//! leave snapshots behind where none is held (after a restart, the first as-of read of a hub
//! folds that hub from its start once, unless [`SnapshotFiles`] keep some on disk). When more
//! than `max` are held, every other one is dropped, doubling the spacing.
//!
//! With [`SnapshotFiles`], every snapshot offered at a multiple of their spacing is also
//! written to disk, and [`HubSnapshots::nearest`] reads a file (and holds what it read) only
//! when it lies far enough past the nearest held snapshot to be worth reading.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use cohub_domain::HubId;

use cohub_store::EventStore;

use crate::error::ReadError;
use crate::model::ReadModel;
use crate::snapshot_files::SnapshotFiles;

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
    files: Option<Arc<SnapshotFiles>>,
}

impl HubSnapshots {
    /// Snapshots every `every` events of each hub (0: never), at most `max` held in all.
    pub fn new(every: u64, max: usize) -> Self {
        Self {
            every,
            max: max.max(2),
            held: Mutex::new(BTreeMap::new()),
            files: None,
        }
    }

    /// Also keeps snapshots on disk, in `files`.
    pub fn with_files(mut self, files: Arc<SnapshotFiles>) -> Self {
        self.files = Some(files);
        self
    }

    /// The on-disk tier, if there is one.
    pub fn files(&self) -> Option<&Arc<SnapshotFiles>> {
        self.files.as_ref()
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
        if let Some(files) = &self.files {
            files.keep(hub, hub_seq, &model);
        }
        self.hold(hub, hub_seq, model);
    }

    fn hold(&self, hub: HubId, hub_seq: u64, model: Arc<ReadModel>) {
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

    /// The snapshot of `hub` at or before global `position` to start from, held or on disk.
    /// A file holds the whole hub, so reading one costs about as much as folding a quarter of
    /// the hub's events: a file is read only if it lies more than a quarter of its own hub
    /// sequence past the latest held snapshot (off the async threads), checked against the
    /// log's hash at its position, and then held. A file that does not decode or match is
    /// removed, one that cannot be read is passed by, and the next earlier one considered.
    pub async fn nearest(
        &self,
        store: &dyn EventStore,
        hub: HubId,
        position: u64,
    ) -> Result<Option<HubSnapshot>, ReadError> {
        let held = self.at_or_before(hub, position);
        let Some(files) = &self.files else {
            return Ok(held);
        };
        let held_seq = held.as_ref().map_or(0, |s| s.hub_seq);
        let mut below = position;
        while let Some((at, file_seq)) = files.at_or_before(hub, below) {
            if file_seq.saturating_sub(held_seq) <= file_seq / 4 {
                break;
            }
            let reader = files.clone();
            let loaded = tokio::task::spawn_blocking(move || reader.load(hub, at))
                .await
                .map_err(|e| ReadError::Checkpoint(format!("a snapshot reader panicked: {e}")))?;
            // A file that cannot be read now (permissions, I/O) is left in place and passed by:
            // it only makes the read faster.
            let loaded = loaded.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "passing by a hub snapshot file that cannot be read");
                None
            });
            if let Some(loaded) = loaded {
                match crate::as_of::event_at(store, at).await {
                    Ok(e) if Some(e.hash.as_str()) == loaded.model.last_hash() => {
                        let model = Arc::new(loaded.model);
                        self.hold(hub, loaded.hub_seq, model.clone());
                        return Ok(Some(HubSnapshot {
                            hub_seq: loaded.hub_seq,
                            model,
                        }));
                    }
                    Ok(_) => files.discard(hub, at, "the log holds another event at its position"),
                    Err(ReadError::BeyondHead { .. }) => {
                        files.discard(hub, at, "the log does not reach its position")
                    }
                    Err(e) => return Err(e),
                }
            }
            below = at - 1;
        }
        Ok(held)
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
