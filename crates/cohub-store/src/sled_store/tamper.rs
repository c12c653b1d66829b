//! Raw access to stored event bytes, **for integrity tests and `cohub` tooling only**.
//!
//! These bypass the writer, the indexes and the hash chain: they exist so that tests can corrupt,
//! delete, move or insert stored events and check that [`EventStore::verify_hub`] names the first
//! bad event. Never use them to "fix" a log: events are never rewritten.
//!
//! [`EventStore::verify_hub`]: crate::store::EventStore::verify_hub

use super::keys::{backend, u64_key};
use super::SledStore;
use crate::error::StoreResult;

impl SledStore {
    /// The canonical envelope JSON stored at a global position (unpacked, if it was stored
    /// compressed; stored bytes that do not unpack are returned as they are). Tests/tooling only.
    pub fn raw_event_bytes(&self, position: u64) -> StoreResult<Option<Vec<u8>>> {
        let t = &self.inner.reader.trees;
        Ok(t.events
            .get(u64_key(position))
            .map_err(backend)?
            .map(|v| match super::packing::unpack(&v) {
                Ok(json) => json.into_owned(),
                Err(_) => v.to_vec(),
            }))
    }

    /// The bytes stored at a global position exactly as they lie in the tree (packed).
    /// Tests/tooling only.
    pub fn raw_stored_bytes(&self, position: u64) -> StoreResult<Option<Vec<u8>>> {
        let t = &self.inner.reader.trees;
        Ok(t.events
            .get(u64_key(position))
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    /// Overwrites (or inserts) the stored bytes at a position, touching no index: plain JSON
    /// is stored as it is (and read as it is), like an event of a store written before
    /// compression. Tests/tooling only: this tampers with the log.
    pub fn raw_put_event_bytes(&self, position: u64, bytes: &[u8]) -> StoreResult<()> {
        let t = &self.inner.reader.trees;
        t.events.insert(u64_key(position), bytes).map_err(backend)?;
        t.db.flush().map_err(backend)?;
        Ok(())
    }

    /// Removes the stored event at a position, touching no index. Tests/tooling only: this
    /// tampers with the log.
    pub fn raw_remove_event(&self, position: u64) -> StoreResult<()> {
        let t = &self.inner.reader.trees;
        t.events.remove(u64_key(position)).map_err(backend)?;
        t.db.flush().map_err(backend)?;
        Ok(())
    }
}
