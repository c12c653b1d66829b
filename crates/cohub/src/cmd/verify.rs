//! `cohub verify`: recompute every hub's chain from the stored bytes.

use crate::data_dir::{DataDir, DEFAULT_DATA_DIR};
use cohub_store::{EventStore, Verification};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `cohub verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory holding the log.
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// A PostgreSQL URL (`postgres://…`) to verify instead of the data directory.
    #[arg(long, env = "COHUB_DATABASE_URL")]
    store: Option<String>,
    /// Verify only this hub (its UUID); all hubs if omitted.
    #[arg(long)]
    hub: Option<uuid::Uuid>,
}

/// Prints one line per hub; exits 1 if any chain is broken.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store: Arc<dyn EventStore> = match &args.store {
        Some(url) => crate::store_select::open_store(&args.data, Some(url)).await?,
        None => Arc::new(DataDir::new(&args.data).open_existing_store().await?),
    };
    let hubs = match args.hub {
        Some(h) => vec![h],
        None => store.hubs().await?,
    };
    let mut broken = 0usize;
    // One pass over the log for every hub (the store splits it across the cores).
    let bar = crate::progress::bar(None, "verify");
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    let verifications = store.verify_hubs(&hubs).await?;
    bar.finish_and_clear();
    for (hub, verification) in hubs.iter().zip(verifications) {
        match verification {
            Verification::Ok(head) => {
                outln!("hub {hub}: OK, {} events, head {}", head.hub_seq, head.hash)?
            }
            Verification::Broken {
                hub_seq,
                position,
                reason,
                ..
            } => {
                broken += 1;
                let at = position
                    .map(|p| format!(" (global position {p})"))
                    .unwrap_or_default();
                outln!("hub {hub}: BROKEN at hub sequence {hub_seq}{at}: {reason}")?
            }
        }
    }
    if hubs.is_empty() {
        outln!("no hubs in the log")?;
    }
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
