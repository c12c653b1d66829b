//! Folded states of recently used streams, so deciding a command reads only the events a
//! stream gained since it was last folded, not the whole stream again.
//!
//! Correct because a stream is append-only and its versions are contiguous: the state folded
//! at version v plus the events after v is the state now, whoever appended them (another
//! process on the same PostgreSQL included).

use crate::error::CommandError;
use crate::load::decode;
use cohub_domain::World;
use cohub_store::EventStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many streams are kept folded before the cache starts afresh.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A stream's folded state and the version it was folded to.
type Folded = Arc<(u64, World)>;

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
    ) -> Result<(u64, World), CommandError> {
        let cached = self.lock().get(stream_id).cloned();
        let (mut version, mut world) = match &cached {
            Some(folded) => (folded.0, folded.1.clone()),
            None => (0, World::new()),
        };
        let tail = store.read_stream(stream_id, version).await?;
        for envelope in &tail {
            world.apply(&decode(envelope)?);
            version = envelope.stream_version;
        }
        if self.capacity > 0 && version > 0 && (cached.is_none() || !tail.is_empty()) {
            // Never replaces a state folded further by a concurrent command.
            self.remember(stream_id, version, world.clone());
        }
        Ok((version, world))
    }

    /// Keeps `world` as the stream's state at `version` (known because an append that made it
    /// has just landed), unless a state folded further is kept already.
    pub(crate) fn remember(&self, stream_id: &str, version: u64, world: World) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(stream_id) {
            entries.clear();
        }
        let newer = entries.get(stream_id).is_some_and(|f| f.0 >= version);
        if !newer {
            entries.insert(stream_id.to_string(), Arc::new((version, world)));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Folded>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
