//! `cohub demo`: write DOMAIN.md's Black Country example hub into a data directory.

use crate::data_dir::{DataDir, DEFAULT_DATA_DIR};
use cohub_command::{CommandService, Submission};
use cohub_domain::example;
use cohub_store::EventStore;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `cohub demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory to write the example hub into (created if missing).
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
}

/// Plays every step of the example through the domain into the store. Each step carries its
/// own idempotency key, so a load that was interrupted (a crash, a kill during start-up)
/// resumes where it stopped: steps already in the log answer with their first receipt and
/// append nothing. Returns how many events were written (0 if the hub was complete).
pub async fn write_example(store: Arc<dyn EventStore>) -> anyhow::Result<u64> {
    let service = CommandService::new(store.clone());
    let mut written = 0u64;
    for (i, step) in example::steps().into_iter().enumerate() {
        let outcome = service
            .execute(Submission {
                idempotency_key: Some(format!("cohub-demo-step-{i}")),
                ..Submission::new(step.actor, step.command.clone())
            })
            .await
            .map_err(|e| anyhow::anyhow!("demo step {:?} was refused: {e}", step.note))?;
        if !outcome.replayed {
            written += outcome.receipt.event_ids.len() as u64;
        }
    }
    Ok(written)
}

/// Writes the example hub and lists its people.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = DataDir::new(&args.data).open_store().await?;
    let written = write_example(Arc::new(store.clone())).await?;
    store.close().await?;
    if written == 0 {
        outln!(
            "The {} is already in {}; nothing written.",
            example::HUB_NAME,
            args.data.display()
        )?;
    } else {
        outln!(
            "Wrote the {} ({written} events) into {}.",
            example::HUB_NAME,
            args.data.display()
        )?;
    }
    outln!("hub {}", example::HUB)?;
    for person in example::people() {
        outln!(
            "  {:<28} {:<12} {}",
            person.name,
            person.role.as_str(),
            person.id
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
