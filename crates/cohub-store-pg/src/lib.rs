//! The PostgreSQL backend of cohub's [`EventStore`], so that several stateless `cohub serve`
//! processes can share one database.
//!
//! - `schema`: tables, created idempotently on start under an advisory lock.
//! - `append`: one append's transaction; per-hub row lock first, then a short global
//!   position lock at the tail so positions are gap-free and in commit order.
//! - `batch`: group commit; one writer task writes the appends waiting for it in one
//!   transaction (a batch of one takes `append`'s path).
//! - `outcome`: when an append's commit call fails, whether it was written after all.
//! - `read`: reads and chain verification.
//! - `subscribe`: catch-up by position, woken by `LISTEN cohub_events`,
//!   with a one-second poll as fallback.

#![warn(missing_docs)]

mod append;
mod batch;
mod error;
#[cfg(feature = "fault-proxy")]
pub mod fault_proxy;
mod import;
mod outcome;
mod read;
mod recent;
mod schema;
mod subscribe;
mod trouble;

#[doc(hidden)]
pub use append::AppendPause;
use append::PauseSlot;
pub use append::NOTIFY_CHANNEL;
use async_trait::async_trait;
pub use batch::WriterStats;
use cohub_store::{
    AppendRequest, ChainHead, Envelope, EnvelopeStream, EventStore, ImportReport, PlacedAppend,
    Receipt, StoreError, StoreResult, Verification,
};
use error::map_sqlx;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgPool};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Default size of the connection pool.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// How long a pooled connection may sit idle before it is pinged on being handed out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Default of [`PgOptions::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// How a [`PgStore`] connects and how long it waits.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// A schema (created if absent) to use as every connection's `search_path`, so that several
    /// independent logs can share one database (tests do this).
    pub schema: Option<String>,
    /// Most connections in the pool (at least 2), plus one dedicated to `LISTEN`.
    pub max_connections: u32,
    /// The longest an operation waits for a database connection before it fails
    /// `Unavailable` (so that requests fail fast while the database is down), and the longest
    /// an append whose commit call failed keeps asking whether it was written before it
    /// answers `OutcomeUnknown`.
    pub timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            schema: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A PostgreSQL-backed [`EventStore`]. Cheap to clone (clones share the pool and listener).
///
/// Positions: an append does its hub-level work (hub row lock, idempotency, version check)
/// first and takes the global position counter's row lock only at the end of its transaction,
/// so positions are gap-free and assigned in commit order. A reader that has seen position `p`
/// can therefore never later find an event below `p` committing: "position > last seen" is a
/// sound cursor for `read_all` and `subscribe`.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

/// What clones of a [`PgStore`] share.
struct Inner {
    pool: PgPool,
    /// This server's recent commits, what the log is known to hold, and the wake-ups.
    recent: Arc<recent::Recent>,
    listener: tokio::task::JoinHandle<()>,
    /// The group-commit writer's queue. The writer ends, after its batch, when this drops.
    writer: mpsc::UnboundedSender<batch::Waiting>,
    writer_stats: Arc<WriterStats>,
    pause: Arc<PauseSlot>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (e.g. `postgres://user@host:5432/db`), creates the tables if needed
    /// and starts the notification listener. Must be called inside a Tokio runtime.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        Self::open_with(url, PgOptions::default()).await
    }

    /// Like [`PgStore::connect`], but every connection uses `schema` (created if absent) as
    /// its `search_path`, so several independent logs can share one database (tests do this).
    pub async fn connect_with_schema(url: &str, schema: &str) -> StoreResult<PgStore> {
        Self::open(url, Some(schema), DEFAULT_MAX_CONNECTIONS).await
    }

    /// Connects with an optional schema and a pool of at most `max_connections` (at least 2),
    /// plus one dedicated connection for `LISTEN`.
    pub async fn open(
        url: &str,
        schema: Option<&str>,
        max_connections: u32,
    ) -> StoreResult<PgStore> {
        let options = PgOptions {
            schema: schema.map(str::to_string),
            max_connections,
            ..PgOptions::default()
        };
        Self::open_with(url, options).await
    }

    /// Connects as `options` say.
    pub async fn open_with(url: &str, options: PgOptions) -> StoreResult<PgStore> {
        let PgOptions {
            schema,
            max_connections,
            timeout,
        } = options;
        let schema = schema.as_deref();
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("bad database URL: {e}")))?;
        let search_path: Option<Arc<str>> =
            schema.map(|s| format!("SET search_path TO {}", schema::quote_ident(s)).into());
        let pool_options = |max: u32| {
            let search_path = search_path.clone();
            PgPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(timeout)
                // A connection in steady use is handed out as it is; one left idle for a
                // while (the server may have dropped it meanwhile), or any in the seconds
                // after a connection failed (`trouble.rs`), is pinged first, and replaced if
                // the ping fails. Pinging every one costs a round trip per transaction.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PING_AFTER_IDLE || trouble::recent() {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .after_connect(move |conn, _meta| {
                    let search_path = search_path.clone();
                    Box::pin(async move {
                        if let Some(sql) = search_path {
                            conn.execute(&*sql).await?;
                        }
                        Ok(())
                    })
                })
        };
        let pool = pool_options(max_connections.max(2))
            .connect_with(options.clone())
            .await
            .map_err(map_sqlx)?;
        schema::migrate(&pool, schema).await?;
        // The listener holds its connection for good: give it its own one-connection pool.
        let listener_pool = pool_options(1).connect_lazy_with(options);
        let recent = Arc::new(recent::Recent::new());
        let listener = subscribe::spawn_listener(listener_pool, recent.clone());
        let pause = Arc::new(Mutex::new(None));
        let writer_stats = Arc::new(WriterStats::default());
        let writer = batch::spawn_writer(
            pool.clone(),
            pause.clone(),
            timeout,
            writer_stats.clone(),
            recent.clone(),
        );
        Ok(PgStore {
            inner: Arc::new(Inner {
                pool,
                recent,
                listener,
                writer,
                writer_stats,
                pause,
            }),
        })
    }

    /// Readiness check: one round trip to the database.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.inner.pool)
            .await
            .map_err(map_sqlx)?;
        Ok(())
    }

    /// The connection pool (for operational queries; the tables are described in `schema.rs`).
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// What the group-commit writer has done so far.
    pub fn writer_stats(&self) -> &WriterStats {
        &self.inner.writer_stats
    }

    /// How many times this store's subscriptions have read the events table (their catch-up
    /// reads and their reads after a wake-up; events this server committed itself are handed
    /// over without one).
    pub fn subscription_reads(&self) -> u64 {
        self.inner.recent.reads()
    }

    /// Test hook: the next append through this store pauses after inserting its events and
    /// before committing, until the returned handle is released (or dropped).
    #[doc(hidden)]
    pub fn pause_next_append_before_commit(&self) -> AppendPause {
        append::arm_pause(&self.inner.pause)
    }
}

#[async_trait]
impl EventStore for PgStore {
    async fn append(&self, req: AppendRequest) -> StoreResult<Receipt> {
        self.place(req).await.await
    }

    /// Queues the append for the writer (group commit) and answers once it is queued; the
    /// returned future gives the receipt once the batch holding it is committed.
    async fn place(&self, req: AppendRequest) -> PlacedAppend {
        let (answer, receipt) = oneshot::channel();
        if self
            .inner
            .writer
            .send(batch::Waiting { req, answer })
            .is_err()
        {
            return Box::pin(std::future::ready(Err(StoreError::Unavailable(
                "the store's writer has stopped".into(),
            ))));
        }
        Box::pin(async move {
            receipt.await.unwrap_or_else(|_| {
                Err(StoreError::OutcomeUnknown(
                    "the store's writer stopped before it answered".into(),
                ))
            })
        })
    }

    async fn import(&self, envelopes: Vec<Envelope>) -> StoreResult<ImportReport> {
        import::import(&self.inner.pool, envelopes).await
    }

    async fn idempotent_receipt(
        &self,
        hub_id: Uuid,
        actor: Uuid,
        key: &str,
    ) -> StoreResult<Option<Receipt>> {
        read::idempotent_receipt(&self.inner.pool, hub_id, actor, key).await
    }

    async fn stream_version(&self, stream_id: &str) -> StoreResult<u64> {
        read::stream_version(&self.inner.pool, stream_id).await
    }

    async fn read_stream(&self, stream_id: &str, after_version: u64) -> StoreResult<Vec<Envelope>> {
        read::read_stream(&self.inner.pool, stream_id, after_version).await
    }

    async fn read_streams(&self, wanted: &[(String, u64)]) -> StoreResult<Vec<Vec<Envelope>>> {
        read::read_streams(&self.inner.pool, wanted).await
    }

    async fn read_hub(
        &self,
        hub_id: Uuid,
        after_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<Envelope>> {
        read::read_hub(&self.inner.pool, hub_id, after_seq, limit).await
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> StoreResult<Vec<Envelope>> {
        read::read_all(&self.inner.pool, after_position, limit).await
    }

    async fn head_position(&self) -> StoreResult<u64> {
        read::head_position(&self.inner.pool).await
    }

    async fn hubs(&self) -> StoreResult<Vec<Uuid>> {
        read::hubs(&self.inner.pool).await
    }

    async fn chain_head(&self, hub_id: Uuid) -> StoreResult<ChainHead> {
        read::chain_head(&self.inner.pool, hub_id).await
    }

    async fn verify_hub(&self, hub_id: Uuid) -> StoreResult<Verification> {
        read::verify_hub(&self.inner.pool, hub_id).await
    }

    fn subscribe(&self, after_position: u64) -> EnvelopeStream {
        subscribe::subscribe(
            self.inner.pool.clone(),
            self.inner.recent.clone(),
            after_position,
            // A live subscription keeps the listener task running.
            Arc::clone(&self.inner),
        )
    }
}
