//! `cohub migrate`: copy the whole log from one store to another (sled ⇄ PostgreSQL) with
//! [`EventStore::import`], then verify every hub's chain on the target and check its head
//! equals the source's.

use crate::data_dir::DataDir;
use crate::store_select::{is_postgres_url, open_store};
use cohub_store::{EventStore, Verification};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Envelopes read from the source (and imported) at a time.
const PAGE: usize = 1000;

/// Arguments of `cohub migrate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The source: a data directory, or a PostgreSQL URL (`postgres://…`).
    #[arg(long)]
    from: String,
    /// The target: a data directory, or a PostgreSQL URL; its log must be empty. (A URL may
    /// carry `?options=-csearch_path%3D<schema>` to use one schema of a database.)
    #[arg(long)]
    to: String,
}

async fn open(spec: &str, must_exist: bool) -> anyhow::Result<Arc<dyn EventStore>> {
    if is_postgres_url(spec) {
        open_store(Path::new("."), Some(spec)).await
    } else if must_exist {
        Ok(Arc::new(DataDir::new(spec).open_existing_store().await?))
    } else {
        open_store(Path::new(spec), None).await
    }
}

/// Copies, verifies, prints every hub's head; exit 1 if the target is not empty or a head
/// differs.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.from == args.to {
        anyhow::bail!("--from and --to name the same store");
    }
    let source = open(&args.from, true).await?;
    let target = open(&args.to, false).await?;
    let target_head = target.head_position().await?;
    if target_head > 0 {
        eprintln!(
            "cohub migrate: refused: the target already holds {target_head} events; migrate into an empty store"
        );
        return Ok(ExitCode::from(1));
    }
    let total = source.head_position().await?;
    let bar = crate::progress::bar(Some(total), "migrate");
    let mut after = 0u64;
    loop {
        let page = source.read_all(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        let n = page.len() as u64;
        target.import(page).await?;
        bar.inc(n);
    }
    bar.finish_and_clear();

    let mut bad = 0usize;
    let hubs = source.hubs().await?;
    let vbar = crate::progress::bar(Some(hubs.len() as u64), "verify");
    for hub in &hubs {
        let want = source.chain_head(*hub).await?;
        match target.verify_hub(*hub).await? {
            Verification::Ok(head) if head == want => {
                outln!(
                    "hub {hub}: OK, {} events, head {} (same as the source)",
                    head.hub_seq,
                    head.hash
                )?;
            }
            Verification::Ok(head) => {
                bad += 1;
                outln!(
                    "hub {hub}: MISMATCH: target head {} at sequence {}, source head {} at sequence {}",
                    head.hash, head.hub_seq, want.hash, want.hub_seq
                )?;
            }
            Verification::Broken {
                hub_seq, reason, ..
            } => {
                bad += 1;
                outln!("hub {hub}: BROKEN on the target at hub sequence {hub_seq}: {reason}")?;
            }
        }
        vbar.inc(1);
    }
    vbar.finish_and_clear();
    let copied = target.head_position().await?;
    if copied != total {
        bad += 1;
        outln!("the target ends at position {copied}, the source at {total}")?;
    }
    eprintln!("migrated {copied} events in {} hubs", hubs.len());
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
