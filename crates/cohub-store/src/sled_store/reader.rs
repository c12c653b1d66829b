//! Reads: lock-free range scans over the trees, capped at the last durable position so that a
//! reader never sees a batch the writer has not yet flushed.

use super::keys::{
    self, backend, decode_envelope, hub_key, read_u64, stream_prefix, u64_key, Trees,
};
use crate::envelope::{ChainHead, Envelope, Receipt};
use crate::error::{StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// What the writer has committed *and* flushed, published for readers.
pub(crate) struct Committed {
    /// Last durable global position.
    durable: AtomicU64,
    /// Chain head of every hub, as of `durable`.
    heads: RwLock<HashMap<Uuid, ChainHead>>,
}

impl Committed {
    /// Starts from what was found on disk.
    pub fn new(durable: u64, heads: HashMap<Uuid, ChainHead>) -> Committed {
        Committed {
            durable: AtomicU64::new(durable),
            heads: RwLock::new(heads),
        }
    }

    /// Publishes a flushed batch (heads first, then the position, under one lock).
    pub fn publish(&self, durable: u64, heads: impl IntoIterator<Item = ChainHead>) {
        let mut map = self.heads.write().expect("heads lock");
        for h in heads {
            map.insert(h.hub_id, h);
        }
        self.durable.store(durable, Ordering::Release);
    }

    /// Last durable global position.
    pub fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// A consistent (durable position, hub head) pair.
    pub fn snapshot(&self, hub: Uuid) -> (u64, Option<ChainHead>) {
        let map = self.heads.read().expect("heads lock");
        (self.durable(), map.get(&hub).cloned())
    }

    /// A consistent (durable position, every hub's head) pair.
    pub fn snapshot_all(&self) -> (u64, HashMap<Uuid, ChainHead>) {
        let map = self.heads.read().expect("heads lock");
        (self.durable(), map.clone())
    }

    /// Every hub with a chain, sorted.
    pub fn hubs(&self) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self
            .heads
            .read()
            .expect("heads lock")
            .keys()
            .copied()
            .collect();
        v.sort();
        v
    }
}

/// A cheap, clonable read handle (used by the store, verification and subscriptions).
#[derive(Clone)]
pub(crate) struct Reader {
    pub trees: Trees,
    pub committed: Arc<Committed>,
}

impl Reader {
    /// The stored envelope at `position`, if any (not capped: used by verification).
    pub fn event_at(&self, position: u64) -> StoreResult<Option<Envelope>> {
        match self.trees.events.get(u64_key(position)).map_err(backend)? {
            Some(bytes) => Ok(Some(decode_envelope(position, &bytes)?)),
            None => Ok(None),
        }
    }

    /// Fetches an envelope an index points at; a dangling index entry is corruption.
    fn indexed(&self, position: u64) -> StoreResult<Envelope> {
        self.event_at(position)?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the index points at position {position}, which is missing"
            ))
        })
    }

    /// Global log after `after`, at most `limit`, up to the durable position.
    pub fn read_all(&self, after: u64, limit: usize) -> StoreResult<Vec<Envelope>> {
        let durable = self.committed.durable();
        if after >= durable || limit == 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for item in self
            .trees
            .events
            .range(u64_key(after + 1)..=u64_key(durable))
            .take(limit)
        {
            let (k, v) = item.map_err(backend)?;
            out.push(decode_envelope(read_u64(&k)?, &v)?);
        }
        Ok(out)
    }

    /// A hub's events after `after_seq`, at most `limit`, up to the durable position.
    pub fn read_hub(&self, hub: Uuid, after_seq: u64, limit: usize) -> StoreResult<Vec<Envelope>> {
        let durable = self.committed.durable();
        let mut out = Vec::new();
        if after_seq == u64::MAX || limit == 0 {
            return Ok(out);
        }
        for item in self
            .trees
            .hub_index
            .range(hub_key(hub, after_seq + 1)..=hub_key(hub, u64::MAX))
        {
            let (_, v) = item.map_err(backend)?;
            let position = read_u64(&v)?;
            if position > durable || out.len() >= limit {
                break;
            }
            out.push(self.indexed(position)?);
        }
        Ok(out)
    }

    /// A stream's events after `after_version`, up to the durable position.
    pub fn read_stream(&self, stream_id: &str, after_version: u64) -> StoreResult<Vec<Envelope>> {
        let durable = self.committed.durable();
        let mut out = Vec::new();
        if after_version == u64::MAX {
            return Ok(out);
        }
        for item in self.trees.stream_index.range(
            keys::stream_key(stream_id, after_version + 1)..=keys::stream_key(stream_id, u64::MAX),
        ) {
            let (_, v) = item.map_err(backend)?;
            let position = read_u64(&v)?;
            if position > durable {
                break;
            }
            out.push(self.indexed(position)?);
        }
        Ok(out)
    }

    /// A stream's durable version (0 if it does not exist).
    pub fn stream_version(&self, stream_id: &str) -> StoreResult<u64> {
        let durable = self.committed.durable();
        let prefix = stream_prefix(stream_id);
        for item in self.trees.stream_index.scan_prefix(&prefix).rev() {
            let (k, v) = item.map_err(backend)?;
            if read_u64(&v)? <= durable {
                return read_u64(&k[prefix.len()..]);
            }
        }
        Ok(0)
    }

    /// The durable first receipt for an idempotency key of an actor in a hub.
    pub fn idempotent_receipt(
        &self,
        hub: Uuid,
        actor: Uuid,
        key: &str,
    ) -> StoreResult<Option<Receipt>> {
        let durable = self.committed.durable();
        let Some(bytes) = self
            .trees
            .idempotency
            .get(keys::idempotency_key(hub, actor, key))
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let rec = keys::read_idempotency_record(&bytes)?;
        Ok((rec.receipt.last_position <= durable).then_some(rec.receipt))
    }

    /// A hub's durable chain head (genesis if it has no events).
    pub fn chain_head(&self, hub: Uuid) -> ChainHead {
        self.committed.snapshot(hub).1.unwrap_or_else(|| ChainHead {
            hub_id: hub,
            hub_seq: 0,
            hash: crate::chain::GENESIS_HASH.to_string(),
        })
    }
}
