//! The embedded sled backend: [`SledStore`].
//!
//! One writer thread owns the sequence numbers and commits every batch of waiting appends in one
//! sled transaction followed by one flush (group commit), and only then answers. Readers scan the
//! trees directly (never waiting for the writer) and see only what has been flushed.
//!
//! Jobs: `keys` (tree layout), `upgrade` (older on-disk formats), `writer`, `reader`, `verify`,
//! `subscription`, [`tamper`].

mod keys;
mod packing;
mod reader;
mod subscription;
pub mod tamper;
mod upgrade;
mod verify;
mod verify_scan;
mod writer;

use crate::envelope::{AppendRequest, ChainHead, Envelope, ImportReport, Receipt, Verification};
use crate::error::{StoreError, StoreResult};
use crate::store::{EnvelopeStream, EventStore, PlacedAppend};
use async_trait::async_trait;
use keys::{backend, read_head, read_u64, Trees};
use reader::{Committed, Reader};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::{broadcast, mpsc, oneshot};
use uuid::Uuid;
use writer::{Msg, Writer};

/// Appends that may wait for the writer before `append` itself waits to send.
const QUEUE: usize = 4096;
/// Flushed envelopes a slow subscriber may fall behind before it re-reads the log.
const LIVE_BUFFER: usize = 8192;

/// The sled event store. Cheap to clone: every clone shares one database and one writer.
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
}

struct Inner {
    reader: Reader,
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    live: Mutex<Option<broadcast::Sender<Arc<Envelope>>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping the last sender lets the writer finish its batch and stop; wait for it so the
        // database is released when the last handle goes.
        drop(self.tx.get_mut().map(Option::take));
        if let Ok(slot) = self.writer.get_mut() {
            if let Some(handle) = slot.take() {
                let _ = handle.join();
            }
        }
    }
}

impl SledStore {
    /// Opens (creating if needed) the store in `dir` and starts its writer.
    ///
    /// Heads and counters are rebuilt from the trees; since every batch is one transaction, a
    /// crash between batches leaves them consistent.
    pub fn open(dir: &Path) -> StoreResult<SledStore> {
        let db = sled::Config::new().path(dir).open().map_err(backend)?;
        let trees = Trees::open(db)?;
        upgrade::to_current_format(&trees)?;
        let position = match trees.meta.get(keys::META_HEAD_POSITION).map_err(backend)? {
            Some(v) => read_u64(&v)?,
            None => 0,
        };
        let mut heads = HashMap::new();
        for item in trees.heads.iter() {
            let (_, v) = item.map_err(backend)?;
            let head: ChainHead = read_head(&v)?;
            heads.insert(head.hub_id, head);
        }
        let reader = Reader {
            trees,
            committed: Arc::new(Committed::new(position, heads.clone())),
        };
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = Writer::new(reader.clone(), live.clone(), position, heads);
        let handle = std::thread::Builder::new()
            .name("cohub-sled-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer: {e}")))?;
        Ok(SledStore {
            inner: Arc::new(Inner {
                reader,
                tx: Mutex::new(Some(tx)),
                live: Mutex::new(Some(live)),
                writer: Mutex::new(Some(handle)),
            }),
        })
    }

    fn sender(&self) -> StoreResult<mpsc::Sender<Msg>> {
        self.inner
            .tx
            .lock()
            .expect("sender lock")
            .clone()
            .ok_or_else(|| StoreError::Unavailable("the store is closed".into()))
    }

    /// Waits until every append sent before this call is durable (a barrier; appends are
    /// already durable when acknowledged). A no-op once closed.
    pub async fn flush(&self) -> StoreResult<()> {
        let Ok(tx) = self.sender() else {
            return Ok(());
        };
        let (ack, done) = oneshot::channel();
        if tx.send(Msg::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
        Ok(())
    }

    /// Graceful shutdown: finishes in-flight batches, flushes, stops the writer and ends live
    /// subscriptions (after they read the log to its end). Later appends get
    /// [`StoreError::Unavailable`]; reads keep working. Idempotent.
    pub async fn close(&self) -> StoreResult<()> {
        let tx = self.inner.tx.lock().expect("sender lock").take();
        self.inner.live.lock().expect("live lock").take();
        if let Some(tx) = tx {
            let (ack, done) = oneshot::channel();
            if tx.send(Msg::Close(ack)).await.is_ok() {
                let _ = done.await;
            }
        }
        let handle = self.inner.writer.lock().expect("writer lock").take();
        if let Some(handle) = handle {
            tokio::task::spawn_blocking(move || handle.join())
                .await
                .map_err(|e| StoreError::Backend(e.to_string()))?
                .map_err(|_| StoreError::Backend("the writer panicked".into()))?;
        }
        self.inner
            .reader
            .trees
            .db
            .flush_async()
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Verifies every hub's chain (see [`EventStore::verify_hubs`]).
    pub async fn verify_all(&self) -> StoreResult<Vec<Verification>> {
        let hubs = self.reader().committed.hubs();
        self.verify_hubs(&hubs).await
    }

    fn reader(&self) -> &Reader {
        &self.inner.reader
    }
}

#[async_trait]
impl EventStore for SledStore {
    async fn append(&self, req: AppendRequest) -> StoreResult<Receipt> {
        self.place(req).await.await
    }

    /// In the writer's queue once this returns: the single writer takes its queue in order,
    /// so an append placed later is checked against this one's versions (in the same batch or
    /// a later one).
    async fn place(&self, req: AppendRequest) -> PlacedAppend {
        let tx = match self.sender() {
            Ok(tx) => tx,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        let (reply, answer) = oneshot::channel();
        if tx.send(Msg::Append(Box::new(req), reply)).await.is_err() {
            let closed = StoreError::Unavailable("the store is closed".into());
            return Box::pin(std::future::ready(Err(closed)));
        }
        Box::pin(async move {
            answer
                .await
                .map_err(|_| StoreError::Unavailable("the writer stopped".into()))?
        })
    }

    async fn import(&self, envelopes: Vec<Envelope>) -> StoreResult<ImportReport> {
        let tx = self.sender()?;
        let (reply, answer) = oneshot::channel();
        tx.send(Msg::Import(envelopes, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer stopped".into()))?
    }

    async fn idempotent_receipt(
        &self,
        hub_id: Uuid,
        actor: Uuid,
        key: &str,
    ) -> StoreResult<Option<Receipt>> {
        self.reader().idempotent_receipt(hub_id, actor, key)
    }

    async fn stream_version(&self, stream_id: &str) -> StoreResult<u64> {
        self.reader().stream_version(stream_id)
    }

    async fn read_stream(&self, stream_id: &str, after_version: u64) -> StoreResult<Vec<Envelope>> {
        self.reader().read_stream(stream_id, after_version)
    }

    async fn read_hub(
        &self,
        hub_id: Uuid,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<Envelope>> {
        self.reader().read_hub(hub_id, after_seq, limit)
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> StoreResult<Vec<Envelope>> {
        self.reader().read_all(after_position, limit)
    }

    async fn head_position(&self) -> StoreResult<u64> {
        Ok(self.reader().committed.durable())
    }

    async fn hubs(&self) -> StoreResult<Vec<Uuid>> {
        Ok(self.reader().committed.hubs())
    }

    async fn chain_head(&self, hub_id: Uuid) -> StoreResult<ChainHead> {
        Ok(self.reader().chain_head(hub_id))
    }

    async fn verify_hub(&self, hub_id: Uuid) -> StoreResult<Verification> {
        let reader = self.inner.reader.clone();
        tokio::task::spawn_blocking(move || {
            verify_scan::verify_hubs(&reader, &[hub_id]).map(|mut v| v.remove(0))
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    async fn verify_hubs(&self, hubs: &[Uuid]) -> StoreResult<Vec<Verification>> {
        let reader = self.inner.reader.clone();
        let hubs = hubs.to_vec();
        tokio::task::spawn_blocking(move || verify_scan::verify_hubs(&reader, &hubs))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    fn subscribe(&self, after_position: u64) -> EnvelopeStream {
        let rx = match self.inner.live.lock().expect("live lock").as_ref() {
            Some(live) => live.subscribe(),
            None => broadcast::channel(1).1,
        };
        subscription::subscribe(self.inner.reader.clone(), rx, after_position)
    }
}
