//! `cohub import`: restore a log from JSON Lines as written by `cohub export`.
//!
//! The file is checked first, as a whole, and nothing is imported if any line is bad: every
//! line must parse as an envelope, positions must run on without a gap from the target's head,
//! every hub's chain must verify ([`cohub_store::chain::verify_events_from`], from genesis for
//! an empty target or from the target's head) and stream versions must run on. Then the
//! envelopes are written verbatim in batches with [`EventStore::import`].

use crate::data_dir::DEFAULT_DATA_DIR;
use anyhow::Context;
use cohub_store::chain::verify_events_from;
use cohub_store::{Envelope, EventStore, Verification};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use uuid::Uuid;

/// Envelopes written per import call.
pub const BATCH: usize = 1000;

/// Arguments of `cohub import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory whose log receives the events (created if missing).
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// A PostgreSQL URL (`postgres://…`) to import into instead of the data directory.
    #[arg(long, env = "COHUB_DATABASE_URL")]
    store: Option<String>,
    /// The JSON Lines file (as written by `cohub export`), or `-` for standard input.
    file: PathBuf,
}

/// Why a file is refused: the 1-based line and the reason.
#[derive(Debug)]
pub struct BadLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// Plain-language reason.
    pub reason: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Checks, then imports. Exit 1 (and nothing imported) for a bad file or a target it does not
/// continue.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        buf
    } else {
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?
    };
    let lines = match parse_lines(&bytes) {
        Ok(lines) => lines,
        Err(bad) => {
            eprintln!("cohub import: refused, nothing imported: {bad}");
            return Ok(ExitCode::from(1));
        }
    };
    let store = crate::store_select::open_store(&args.data, args.store.as_deref()).await?;
    if let Err(bad) = check_continues(&*store, &lines).await? {
        eprintln!("cohub import: refused, nothing imported: {bad}");
        return Ok(ExitCode::from(1));
    }
    let envelopes: Vec<Envelope> = lines.into_iter().map(|(_, e)| e).collect();
    let report = import_all(&store, envelopes, "import").await?;
    eprintln!(
        "imported {} events; the log now ends at position {}",
        report.0, report.1
    );
    Ok(ExitCode::SUCCESS)
}

/// Parses every non-empty line as an envelope, keeping 1-based line numbers.
pub fn parse_lines(bytes: &[u8]) -> Result<Vec<(usize, Envelope)>, BadLine> {
    let mut out = Vec::new();
    for (i, line) in bytes.lines().enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| BadLine {
            line: line_no,
            reason: format!("not text: {e}"),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let e: Envelope = serde_json::from_str(&line).map_err(|e| BadLine {
            line: line_no,
            reason: format!("not an event envelope: {e}"),
        })?;
        out.push((line_no, e));
    }
    Ok(out)
}

/// Checks that the file's envelopes continue `store` exactly: positions without gaps from the
/// store's head, every hub's chain from the store's head of that hub (genesis for a new hub),
/// stream versions from the store's. `Ok(Err(..))` names the first bad line.
pub async fn check_continues(
    store: &dyn EventStore,
    lines: &[(usize, Envelope)],
) -> anyhow::Result<Result<(), BadLine>> {
    let head = store.head_position().await?;
    let mut by_position = HashMap::new();
    let mut per_hub: BTreeMap<Uuid, Vec<Envelope>> = BTreeMap::new();
    let mut streams: HashMap<String, u64> = HashMap::new();
    for (expected, (line, e)) in (head + 1..).zip(lines.iter()) {
        if e.position != expected {
            let reason = if head > 0 && e.position == lines[0].1.position && *line == lines[0].0 {
                format!(
                    "the target log ends at position {head}, so the file must start at position {expected}, but it starts at {}",
                    e.position
                )
            } else {
                format!(
                    "expected global position {expected} but found {} (a line is missing, moved or inserted)",
                    e.position
                )
            };
            return Ok(Err(BadLine {
                line: *line,
                reason,
            }));
        }
        by_position.insert(e.position, *line);
        per_hub.entry(e.hub_id).or_default().push(e.clone());
        let current = match streams.get(&e.stream_id) {
            Some(v) => *v,
            None if head > 0 => store.stream_version(&e.stream_id).await?,
            None => 0,
        };
        if e.stream_version != current + 1 {
            return Ok(Err(BadLine {
                line: *line,
                reason: format!(
                    "the {} stream should be at version {} here but the event has version {}",
                    e.stream_id,
                    current + 1,
                    e.stream_version
                ),
            }));
        }
        streams.insert(e.stream_id.clone(), e.stream_version);
    }
    let mut first_bad: Option<BadLine> = None;
    for (hub, events) in per_hub {
        let start = store.chain_head(hub).await?;
        if let Verification::Broken {
            hub_seq,
            position,
            reason,
            ..
        } = verify_events_from(&start, events)
        {
            let line = position
                .and_then(|p| by_position.get(&p).copied())
                .unwrap_or(0);
            let reason = if head > 0 && hub_seq == start.hub_seq + 1 {
                format!("hub {hub}: does not continue the target's chain (head at sequence {}): {reason}", start.hub_seq)
            } else {
                format!("hub {hub}: {reason}")
            };
            if first_bad.as_ref().is_none_or(|b| line < b.line) {
                first_bad = Some(BadLine { line, reason });
            }
        }
    }
    Ok(match first_bad {
        Some(bad) => Err(bad),
        None => Ok(()),
    })
}

/// Imports `envelopes` in batches of [`BATCH`], with a progress bar labelled `what`. Returns
/// (events imported, head position after).
pub async fn import_all(
    store: &Arc<dyn EventStore>,
    envelopes: Vec<Envelope>,
    what: &str,
) -> anyhow::Result<(u64, u64)> {
    let bar = crate::progress::bar(Some(envelopes.len() as u64), what);
    let mut imported = 0u64;
    let mut head = store.head_position().await?;
    let mut rest = envelopes;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(BATCH));
        let batch = std::mem::replace(&mut rest, tail);
        let report = store.import(batch).await?;
        imported += report.imported;
        head = report.head_position;
        bar.inc(report.imported);
    }
    bar.finish_and_clear();
    Ok((imported, head))
}
