//! The layout of a cohub data directory: where the log, read-model checkpoints and keys live.

use std::path::PathBuf;

/// The default data directory, relative to where cohub is started.
pub const DEFAULT_DATA_DIR: &str = "./cohub-data";

/// Paths inside one data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Wraps a data directory path (nothing is created yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The sled event log.
    pub fn log(&self) -> PathBuf {
        self.root.join("log")
    }

    /// Opens the sled event log, creating it if needed.
    pub async fn open_store(&self) -> anyhow::Result<cohub_store::sled_store::SledStore> {
        std::fs::create_dir_all(&self.root)?;
        let path = self.log();
        let store =
            tokio::task::spawn_blocking(move || cohub_store::sled_store::SledStore::open(&path))
                .await??;
        Ok(store)
    }

    /// Opens an existing sled event log, failing with a plain message if there is none.
    pub async fn open_existing_store(&self) -> anyhow::Result<cohub_store::sled_store::SledStore> {
        if !self.log().exists() {
            anyhow::bail!(
                "no cohub log in {} (run `cohub demo --data {}` or `cohub serve --data {}` first)",
                self.root.display(),
                self.root.display(),
                self.root.display()
            );
        }
        self.open_store().await
    }
}
