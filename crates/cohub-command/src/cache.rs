//! Folded states of recently used streams, so deciding a command reads only the events a
//! stream gained since it was last folded, not the whole stream again.
//!
//! Correct because a stream is append-only and its versions are contiguous: the state folded
//! at version v plus the events after v is the state now, whoever appended them (another
//! process on the same PostgreSQL included).

use crate::error::CommandError;
use crate::load::decode;
use cohub_domain::World;
use cohub_store::{Envelope, EventStore};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many streams are kept folded before the cache starts afresh.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A stream's folded state and the version it was folded to. Shared, not copied: a state is
/// never changed in place (the next one is a new state), so handing it out is O(1) however
/// long the stream.
type Folded = (u64, Arc<World>);

/// Folded states by stream id.
#[derive(Debug)]
pub struct StreamCache {
    entries: Mutex<HashMap<String, Folded>>,
    capacity: usize,
}

impl Default for StreamCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl StreamCache {
    /// A cache holding at most `capacity` streams (0: fold every stream from the start).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The stream's state now and its version (0 and an empty world if it does not exist).
    pub async fn fold(
        &self,
        store: &dyn EventStore,
        stream_id: &str,
    ) -> Result<(u64, Arc<World>), CommandError> {
        let base = self.peek(stream_id);
        let tail = store.read_stream(stream_id, base.0).await?;
        self.advance(stream_id, base, &tail)
    }

    /// As [`fold`](Self::fold) for several streams, reading their tails in one call (one round
    /// trip on PostgreSQL); answers in the order asked.
    pub async fn fold_many(
        &self,
        store: &dyn EventStore,
        stream_ids: &[String],
    ) -> Result<Vec<(u64, Arc<World>)>, CommandError> {
        let bases: Vec<Folded> = stream_ids.iter().map(|id| self.peek(id)).collect();
        let wanted: Vec<(String, u64)> = stream_ids
            .iter()
            .zip(&bases)
            .map(|(id, base)| (id.clone(), base.0))
            .collect();
        let tails = store.read_streams(&wanted).await?;
        stream_ids
            .iter()
            .zip(bases)
            .zip(tails)
            .map(|((id, base), tail)| self.advance(id, base, &tail))
            .collect()
    }

    /// The state kept for a stream (version 0 and an empty world if none), without reading.
    pub(crate) fn peek(&self, stream_id: &str) -> Folded {
        self.lock()
            .get(stream_id)
            .cloned()
            .unwrap_or_else(|| (0, Arc::new(World::new())))
    }

    /// `base` with `tail` (the stream's events after it) applied, kept for next time.
    fn advance(
        &self,
        stream_id: &str,
        base: Folded,
        tail: &[Envelope],
    ) -> Result<(u64, Arc<World>), CommandError> {
        let (mut version, base) = base;
        if tail.is_empty() {
            return Ok((version, base));
        }
        let mut world = Arc::unwrap_or_clone(base);
        for envelope in tail {
            world.apply(&decode(envelope)?);
            version = envelope.stream_version;
        }
        let world = Arc::new(world);
        // Never replaces a state folded further by a concurrent command.
        self.remember(stream_id, version, world.clone());
        Ok((version, world))
    }

    /// Keeps `world` as the stream's state at `version` (known because an append that made it
    /// has just landed), unless a state folded further is kept already.
    pub(crate) fn remember(&self, stream_id: &str, version: u64, world: Arc<World>) {
        if self.capacity == 0 || version == 0 {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(stream_id) {
            entries.clear();
        }
        let newer = entries.get(stream_id).is_some_and(|f| f.0 >= version);
        if !newer {
            entries.insert(stream_id.to_string(), (version, world));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Folded>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
