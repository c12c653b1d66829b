//! `cohub export`: the log as JSON Lines, one envelope a line, with its chain fields.

use crate::data_dir::{DataDir, DEFAULT_DATA_DIR};
use cohub_store::EventStore;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// How many envelopes are read from the store at a time.
const PAGE: usize = 1000;

/// Arguments of `cohub export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory holding the log.
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// A PostgreSQL URL (`postgres://…`) to export from instead of the data directory.
    #[arg(long, env = "COHUB_DATABASE_URL")]
    store: Option<String>,
    /// Export only this hub (its UUID), in chain order; the whole global log if omitted.
    #[arg(long)]
    hub: Option<uuid::Uuid>,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

/// Streams every envelope as one JSON object per line. A reader that stops early (`| head`)
/// ends the export quietly (see `main`).
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store: Arc<dyn EventStore> = match &args.store {
        Some(url) => crate::store_select::open_store(&args.data, Some(url)).await?,
        None => Arc::new(DataDir::new(&args.data).open_existing_store().await?),
    };
    let total = match args.hub {
        Some(hub) => store.chain_head(hub).await?.hub_seq,
        None => store.head_position().await?,
    };
    let bar = crate::progress::bar(Some(total), "export");
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut after = 0u64;
    let mut written = 0u64;
    loop {
        let page = match args.hub {
            Some(hub) => store.read_hub(hub, after, PAGE).await?,
            None => store.read_all(after, PAGE).await?,
        };
        let Some(last) = page.last() else { break };
        after = if args.hub.is_some() {
            last.hub_seq
        } else {
            last.position
        };
        for envelope in &page {
            serde_json::to_writer(&mut out, envelope)?;
            out.write_all(b"\n")?;
            written += 1;
        }
        bar.inc(page.len() as u64);
    }
    bar.finish_and_clear();
    out.flush()?;
    if let Some(path) = &args.out {
        eprintln!("wrote {written} events to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
