//! Choosing the event store: the embedded sled log in a data directory (the default), or
//! PostgreSQL when a `postgres://` URL is given (`--store` or `COHUB_DATABASE_URL`).

use crate::data_dir::DataDir;
use cohub_store::EventStore;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Whether a store argument names PostgreSQL rather than a directory.
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// An opened store, with the way to close it cleanly (finish in-flight appends, flush).
#[derive(Clone)]
pub enum OpenedStore {
    /// The embedded sled log.
    Sled(cohub_store::SledStore),
    /// PostgreSQL.
    Postgres(cohub_store_pg::PgStore),
}

impl OpenedStore {
    /// The store as the trait object every other part uses.
    pub fn shared(&self) -> Arc<dyn EventStore> {
        match self {
            OpenedStore::Sled(s) => Arc::new(s.clone()),
            OpenedStore::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// Finishes in-flight appends and releases the store.
    pub async fn close(&self) -> anyhow::Result<()> {
        match self {
            OpenedStore::Sled(s) => s.close().await?,
            OpenedStore::Postgres(s) => s.pool().close().await,
        }
        Ok(())
    }

    /// A short description for logs and start-up output.
    pub fn describe(&self, data_dir: &Path) -> String {
        match self {
            OpenedStore::Sled(_) => format!("sled log in {}", data_dir.join("log").display()),
            OpenedStore::Postgres(_) => "PostgreSQL".to_string(),
        }
    }
}

/// Opens the store: PostgreSQL if `store_url` is a PostgreSQL URL, else sled in `data_dir`.
pub async fn open(data_dir: &Path, store_url: Option<&str>) -> anyhow::Result<OpenedStore> {
    open_with_timeout(data_dir, store_url, cohub_store_pg::DEFAULT_TIMEOUT).await
}

/// Like [`open`]; on PostgreSQL, an operation waits at most `timeout` for a database connection
/// (and an append whose commit failed checks at most that long whether it was written).
pub async fn open_with_timeout(
    data_dir: &Path,
    store_url: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<OpenedStore> {
    match store_url {
        Some(url) if is_postgres_url(url) => {
            let options = cohub_store_pg::PgOptions {
                timeout,
                ..cohub_store_pg::PgOptions::default()
            };
            let store = cohub_store_pg::PgStore::open_with(url, options)
                .await
                .map_err(|e| anyhow::anyhow!("could not open the PostgreSQL store: {e}"))?;
            Ok(OpenedStore::Postgres(store))
        }
        Some(other) => anyhow::bail!(
            "--store takes a postgres:// URL (got {other:?}); for the embedded store use --data DIR"
        ),
        None => Ok(OpenedStore::Sled(
            DataDir::new(data_dir).open_store().await?,
        )),
    }
}

/// Opens the store as a trait object (for commands that need no clean close).
pub async fn open_store(
    data_dir: &Path,
    store_url: Option<&str>,
) -> anyhow::Result<Arc<dyn EventStore>> {
    Ok(open(data_dir, store_url).await?.shared())
}
