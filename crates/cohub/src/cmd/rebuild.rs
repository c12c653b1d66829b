//! `cohub rebuild`: fold the read models again from the whole log, check them against the
//! checkpoint the server keeps, and replace that checkpoint and the hub snapshot files.

use crate::data_dir::DEFAULT_DATA_DIR;
use crate::{progress, store_select};
use cohub_read::snapshot_files::SNAPSHOT_DIR;
use cohub_read::{checkpoint, HubSnapshots, ProjectorConfig, SnapshotFiles};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `cohub rebuild`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory (its `read/` checkpoint is checked and replaced). Stop `cohub serve`
    /// on it first: the embedded log has one owner at a time.
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// Read the log from PostgreSQL instead of the data directory's sled log.
    #[arg(
        long = "store",
        env = "COHUB_DATABASE_URL",
        value_name = "POSTGRES_URL"
    )]
    store_url: Option<String>,
    /// Only compare with the checkpoint; do not replace it.
    #[arg(long)]
    check: bool,
    /// Write a hub's read model to `read/hub-snapshots/` every this many events of the hub,
    /// replacing the files there (0: write none, and leave them as they are).
    #[arg(long, env = "COHUB_HUB_SNAPSHOT_EVERY", default_value_t = ProjectorConfig::default().snapshot_file_every)]
    hub_snapshot_every: u64,
}

/// Folds the log, compares, writes. Exits 1 if the checkpoint disagrees with the log.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opened = store_select::open(&args.data, args.store_url.as_deref()).await?;
    let store = opened.shared();
    let head = store.head_position().await?;
    let bar = progress::bar(Some(head), "rebuild");
    // Each hub is folded from its own events on its own task, as many at once as there are
    // cores, then the hubs are joined: equal to folding the log in order.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let counter = bar.clone();
    let dir = args.data.join("read");
    // The hub snapshot files are read models too: replaced, unless only checking.
    let snapshots = if args.check || args.hub_snapshot_every == 0 {
        None
    } else {
        let old = dir.join(SNAPSHOT_DIR);
        match std::fs::remove_dir_all(&old) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                anyhow::bail!("cannot remove {}: {e}", old.display())
            }
            _ => {}
        }
        let files = SnapshotFiles::open(&dir, args.hub_snapshot_every)?.wait_when_full();
        Some(Arc::new(
            HubSnapshots::new(args.hub_snapshot_every, 2).with_files(Arc::new(files)),
        ))
    };
    let model = cohub_read::rebuild_by_hub(
        store.clone(),
        workers,
        Arc::new(move |events| counter.inc(events)),
        snapshots.clone(),
    )
    .await?;
    if let Some(files) = snapshots.as_ref().and_then(|s| s.files()) {
        let files = files.clone();
        tokio::task::spawn_blocking(move || files.flush()).await?;
    }
    bar.finish_and_clear();
    outln!("rebuilt the read models from {} events", model.position())?;
    if let Some(files) = snapshots.as_ref().and_then(|s| s.files()) {
        outln!(
            "wrote {} hub snapshots in {} (one every {} events of a hub)",
            files.counts().written,
            files.dir().display(),
            files.every()
        )?;
    }

    let mut agrees = true;
    match checkpoint::read(&dir)? {
        None => outln!("no checkpoint to compare with in {}", dir.display())?,
        Some(saved) if saved.position > model.position() => {
            agrees = false;
            outln!(
                "the checkpoint is at position {}, beyond the log's head {}: it does not belong to this log",
                saved.position,
                model.position()
            )?;
        }
        Some(saved) => {
            // Bring the checkpoint up to the same position, then compare the whole model.
            let mut caught_up = saved.model;
            for envelope in store.read_all(saved.position, usize::MAX).await? {
                caught_up.apply(&envelope)?;
            }
            agrees = caught_up == model;
            outln!(
                "the checkpoint (position {}) plus the tail of the log {} the rebuilt read models",
                saved.position,
                if agrees {
                    "is identical to"
                } else {
                    "DIFFERS from"
                }
            )?;
        }
    }
    if !args.check {
        let path = checkpoint::write(&dir, &model)?;
        outln!("wrote {}", path.display())?;
    }
    opened.close().await?;
    Ok(if agrees {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
