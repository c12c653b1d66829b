//! The `EventStore` trait: the one contract every backend (sled, PostgreSQL) keeps.

use crate::envelope::{AppendRequest, ChainHead, Envelope, ImportReport, Receipt, Verification};
use crate::error::StoreResult;
use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use uuid::Uuid;

/// A live feed of envelopes in global position order.
pub type EnvelopeStream = BoxStream<'static, StoreResult<Envelope>>;

/// The answer to a placed append ([`EventStore::place`]): exactly what
/// [`append`](EventStore::append) would have answered, once the events are durable.
pub type PlacedAppend = BoxFuture<'static, StoreResult<Receipt>>;

/// An append-only, per-hub hash-chained event log.
///
/// Contract (checked by `cohub_store::contract` against every backend):
/// - `append` is all-or-nothing, checks the expected stream version, and returns only once the
///   events are durable. Idempotency keys are scoped to (hub, actor): a repeated key of the same
///   actor in the same hub returns the first receipt and appends nothing if the request repeats
///   the first (see [`crate::idempotency`]), and is `IdempotencyMismatch` if it does not; the
///   same key of another actor or in another hub is another key.
/// - An append either answers with its receipt, or with an error that means nothing was
///   written, except `OutcomeUnknown`, which says that this could not be told.
/// - Positions are gap-free and 1-based, globally and per hub; stream versions are 1-based.
/// - `place` puts an append in line and hands back its answer to await later: appends one
///   caller places one after another are checked and written in that order, so a caller may
///   place the next append on a stream (expecting the version the previous one makes) before
///   the previous one is durable.
/// - `subscribe(from)` yields every event with position > `from`, in order, then live events,
///   never missing one appended while it catches up.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends events to one stream atomically and durably.
    async fn append(&self, req: AppendRequest) -> StoreResult<Receipt>;

    /// Puts an append in line and returns its answer, to be awaited later. Once this returns,
    /// an append placed afterwards by the same caller is checked and written after this one
    /// (so it may expect the stream version this one will make); the answer is exactly what
    /// [`append`](Self::append) answers, once durable. The default waits for the whole append
    /// here, which keeps that order trivially; a backend with its own queue of appends answers
    /// as soon as the append is in the queue.
    async fn place(&self, req: AppendRequest) -> PlacedAppend {
        let answer = self.append(req).await;
        Box::pin(std::future::ready(answer))
    }

    /// The receipt of the first append made in `hub_id` by the member `actor` with idempotency
    /// `key`, if there was one.
    ///
    /// The write side asks this *before* deciding a command, so that a client's retry returns
    /// the first result even though re-deciding it would now be rejected (e.g. "already framed").
    async fn idempotent_receipt(
        &self,
        hub_id: Uuid,
        actor: Uuid,
        key: &str,
    ) -> StoreResult<Option<Receipt>>;

    /// Writes already-sealed envelopes verbatim (same ids, positions, hub sequences, stream
    /// versions, `recorded_at` and hashes), for restore and migration.
    ///
    /// All or nothing per call, durable on return. Refused with
    /// [`StoreError::ImportRefused`](crate::StoreError::ImportRefused), writing nothing, if the
    /// batch would break the log: positions must continue the store's head exactly, hub
    /// sequences, `prev_hash` and stream versions must continue their hub and stream, every hash
    /// must recompute ([`crate::chain::compute_hash`]), and an idempotency key must not already
    /// be used by its actor in its hub (except by the same append, continued from the previous
    /// batch). The
    /// receipt of every imported keyed append is reconstructed and stored, so that idempotent
    /// retries keep working after a restore. Subscribers see imported events like appended ones.
    async fn import(&self, envelopes: Vec<Envelope>) -> StoreResult<ImportReport>;

    /// Current version of a stream (0 if it does not exist).
    async fn stream_version(&self, stream_id: &str) -> StoreResult<u64>;

    /// A stream's events with version > `after_version`, in order.
    async fn read_stream(&self, stream_id: &str, after_version: u64) -> StoreResult<Vec<Envelope>>;

    /// Several streams' events at once: for each `(stream_id, after_version)` of `wanted`, its
    /// events with version > `after_version`, in order, in the order asked. The default reads
    /// them one by one; a networked store answers in one round trip.
    async fn read_streams(&self, wanted: &[(String, u64)]) -> StoreResult<Vec<Vec<Envelope>>> {
        let mut out = Vec::with_capacity(wanted.len());
        for (stream_id, after_version) in wanted {
            out.push(self.read_stream(stream_id, *after_version).await?);
        }
        Ok(out)
    }

    /// A hub's events with hub sequence > `after_seq`, in order, at most `limit`.
    async fn read_hub(
        &self,
        hub_id: Uuid,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<Envelope>>;

    /// The global log from position > `after_position`, in order, at most `limit`.
    async fn read_all(&self, after_position: u64, limit: usize) -> StoreResult<Vec<Envelope>>;

    /// Position of the last event in the global log (0 if empty).
    async fn head_position(&self) -> StoreResult<u64>;

    /// Every hub that has a chain.
    async fn hubs(&self) -> StoreResult<Vec<Uuid>>;

    /// A hub's chain head (sequence 0 and the genesis hash if it has no events).
    async fn chain_head(&self, hub_id: Uuid) -> StoreResult<ChainHead>;

    /// Recomputes a hub's chain from stored bytes and names the first bad event.
    async fn verify_hub(&self, hub_id: Uuid) -> StoreResult<Verification>;

    /// Verifies several hubs, answering in the order asked, each exactly as
    /// [`verify_hub`](Self::verify_hub) would; a backend may do it in one pass over the log.
    async fn verify_hubs(&self, hubs: &[Uuid]) -> StoreResult<Vec<Verification>> {
        let mut out = Vec::with_capacity(hubs.len());
        for hub in hubs {
            out.push(self.verify_hub(*hub).await?);
        }
        Ok(out)
    }

    /// Every event after `after_position`, then live ones as they are appended.
    fn subscribe(&self, after_position: u64) -> EnvelopeStream;
}
