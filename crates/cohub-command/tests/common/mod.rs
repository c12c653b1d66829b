//! Test stores shared by the command tests.

use cohub_store::sled_store::SledStore;
use cohub_store::{Envelope, EventStore, StoreError, Verification};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

/// The sled store, instrumented: it fails chosen placed appends (by the order they were
/// placed in) without writing them, as a failed disk or a refused request would, and counts
/// the stream reads asked of it; everything else is the sled store's.
pub struct Instrumented {
    inner: SledStore,
    placed: AtomicU64,
    fail: BTreeSet<u64>,
    /// Calls of `read_stream`.
    pub stream_reads: AtomicU64,
    /// Calls of `read_streams` (several streams in one call).
    pub batched_reads: AtomicU64,
}

impl Instrumented {
    /// `inner`, failing the placed appends numbered in `fail` (from 0).
    pub fn new(inner: SledStore, fail: BTreeSet<u64>) -> Instrumented {
        Instrumented {
            inner,
            placed: AtomicU64::new(0),
            fail,
            stream_reads: AtomicU64::new(0),
            batched_reads: AtomicU64::new(0),
        }
    }
}

#[async_trait::async_trait]
impl EventStore for Instrumented {
    async fn append(
        &self,
        req: cohub_store::AppendRequest,
    ) -> cohub_store::StoreResult<cohub_store::Receipt> {
        self.place(req).await.await
    }
    async fn place(&self, req: cohub_store::AppendRequest) -> cohub_store::PlacedAppend {
        let n = self.placed.fetch_add(1, Ordering::SeqCst);
        if self.fail.contains(&n) {
            return Box::pin(std::future::ready(Err(StoreError::Backend(format!(
                "placed append {n} failed on purpose"
            )))));
        }
        self.inner.place(req).await
    }
    async fn idempotent_receipt(
        &self,
        hub_id: uuid::Uuid,
        actor: uuid::Uuid,
        key: &str,
    ) -> cohub_store::StoreResult<Option<cohub_store::Receipt>> {
        self.inner.idempotent_receipt(hub_id, actor, key).await
    }
    async fn import(
        &self,
        envelopes: Vec<Envelope>,
    ) -> cohub_store::StoreResult<cohub_store::ImportReport> {
        self.inner.import(envelopes).await
    }
    async fn stream_version(&self, stream_id: &str) -> cohub_store::StoreResult<u64> {
        self.inner.stream_version(stream_id).await
    }
    async fn read_stream(
        &self,
        stream_id: &str,
        after: u64,
    ) -> cohub_store::StoreResult<Vec<Envelope>> {
        self.stream_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_stream(stream_id, after).await
    }
    async fn read_streams(
        &self,
        wanted: &[(String, u64)],
    ) -> cohub_store::StoreResult<Vec<Vec<Envelope>>> {
        self.batched_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_streams(wanted).await
    }
    async fn read_hub(
        &self,
        hub_id: uuid::Uuid,
        after_seq: u64,
        limit: usize,
    ) -> cohub_store::StoreResult<Vec<Envelope>> {
        self.inner.read_hub(hub_id, after_seq, limit).await
    }
    async fn read_all(&self, after: u64, limit: usize) -> cohub_store::StoreResult<Vec<Envelope>> {
        self.inner.read_all(after, limit).await
    }
    async fn head_position(&self) -> cohub_store::StoreResult<u64> {
        self.inner.head_position().await
    }
    async fn hubs(&self) -> cohub_store::StoreResult<Vec<uuid::Uuid>> {
        self.inner.hubs().await
    }
    async fn chain_head(
        &self,
        hub_id: uuid::Uuid,
    ) -> cohub_store::StoreResult<cohub_store::ChainHead> {
        self.inner.chain_head(hub_id).await
    }
    async fn verify_hub(&self, hub_id: uuid::Uuid) -> cohub_store::StoreResult<Verification> {
        self.inner.verify_hub(hub_id).await
    }
    fn subscribe(&self, after: u64) -> cohub_store::EnvelopeStream {
        self.inner.subscribe(after)
    }
}
