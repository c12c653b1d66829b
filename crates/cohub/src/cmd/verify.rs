//! `cohub verify`: recompute every hub's chain from the stored bytes.

use crate::data_dir::{DataDir, DEFAULT_DATA_DIR};
use cohub_store::{EventStore, Verification};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cohub verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory holding the log.
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// Verify only this hub (its UUID); all hubs if omitted.
    #[arg(long)]
    hub: Option<uuid::Uuid>,
}

/// Prints one line per hub; exits 1 if any chain is broken.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = DataDir::new(&args.data).open_existing_store().await?;
    let hubs = match args.hub {
        Some(h) => vec![h],
        None => store.hubs().await?,
    };
    let mut broken = 0usize;
    for hub in &hubs {
        match store.verify_hub(*hub).await? {
            Verification::Ok(head) => {
                println!("hub {hub}: OK, {} events, head {}", head.hub_seq, head.hash)
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
                println!("hub {hub}: BROKEN at hub sequence {hub_seq}{at}: {reason}");
            }
        }
    }
    if hubs.is_empty() {
        println!("no hubs in the log");
    }
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
