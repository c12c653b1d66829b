//! The limits: events written straight to each store in batches, as a perfect group commit of
//! `--batch` concurrent writers would write them, with nothing else on the way (no decision,
//! no chain, no read model, no HTTP). Each event is about the size of a cohub event in the
//! JSON Lines export (1.15 KB). A batch's latency is what each of its writers would wait.

use crate::report::Recorder;
use anyhow::{bail, Context};
use sqlx::{Connection, Executor, PgConnection, QueryBuilder};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Arguments of `cohub-bench raw-sled`.
#[derive(Debug, clap::Args)]
pub struct SledArgs {
    /// A directory that does not exist yet: the sled tree is made there.
    #[arg(long)]
    dir: PathBuf,
    /// Events per batch (the concurrent writers a group commit would gather).
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// How long to write.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

/// Arguments of `cohub-bench raw-pg`.
#[derive(Debug, clap::Args)]
pub struct PgArgs {
    /// The database (its table `raw_events` is made afresh).
    #[arg(long)]
    url: String,
    /// Rows per INSERT (the concurrent writers a group commit would gather).
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// How long to write.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

/// Arguments of `cohub-bench reset-db`.
#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    /// A database to connect to while the other is dropped and made (such as `test`).
    #[arg(long)]
    url: String,
    /// The database to drop (if it is there) and make empty.
    #[arg(long)]
    name: String,
    /// Only drop it (when a run is over).
    #[arg(long)]
    drop: bool,
}

/// One event's bytes: a JSON object about the size of an exported cohub event.
fn event(n: u64) -> String {
    let filler = "x".repeat(900);
    format!(
        r#"{{"type":"FeedbackGiven","position":{n},"hub":"0c0b0000-0001-7000-8000-000000000001","text":"{filler}"}}"#
    )
}

/// Writes batches to a fresh sled tree with `apply_batch` and `flush` until time is up.
pub async fn sled(args: SledArgs) -> anyhow::Result<()> {
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    if args.dir.exists() {
        bail!(
            "{:?} exists; raw-sled writes only to a new directory",
            args.dir
        );
    }
    let batch = args.batch;
    let length = Duration::from_secs_f64(args.seconds);
    let (recorder, seconds) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let db = sled::open(&args.dir)?;
        let mut recorder = Recorder::new();
        let mut n: u64 = 0;
        let start = Instant::now();
        while start.elapsed() < length {
            let began = Instant::now();
            let mut writes = sled::Batch::default();
            for _ in 0..batch {
                n += 1;
                writes.insert(&n.to_be_bytes(), event(n).as_bytes());
            }
            match db.apply_batch(writes).and_then(|()| db.flush().map(|_| ())) {
                Ok(()) => recorder.ok(began.elapsed()),
                Err(e) => recorder.fail(|| e.to_string()),
            }
        }
        Ok((recorder, start.elapsed().as_secs_f64()))
    })
    .await??;
    recorder.figures(batch, seconds, batch as u64).print()
}

/// Writes batches to PostgreSQL, each one multi-row INSERT and COMMIT, until time is up.
pub async fn pg(args: PgArgs) -> anyhow::Result<()> {
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let mut db = PgConnection::connect(&args.url)
        .await
        .with_context(|| format!("connecting to {}", args.url))?;
    db.execute(
        "DROP TABLE IF EXISTS raw_events;
         CREATE TABLE raw_events (
             stream   text   NOT NULL,
             version  bigint NOT NULL,
             payload  json   NOT NULL,
             PRIMARY KEY (stream, version)
         )",
    )
    .await?;
    let length = Duration::from_secs_f64(args.seconds);
    let mut recorder = Recorder::new();
    let mut n: u64 = 0;
    let start = Instant::now();
    while start.elapsed() < length {
        let began = Instant::now();
        let rows: Vec<(String, i64, String)> = (0..args.batch)
            .map(|_| {
                n += 1;
                (format!("stream-{}", n % 1024), n as i64, event(n))
            })
            .collect();
        let mut insert = QueryBuilder::new("INSERT INTO raw_events (stream, version, payload) ");
        insert.push_values(rows, |mut row, (stream, version, payload)| {
            row.push_bind(stream)
                .push_bind(version)
                .push_bind(payload)
                .push_unseparated("::json");
        });
        let outcome = async {
            let mut tx = db.begin().await?;
            insert.build().execute(&mut *tx).await?;
            tx.commit().await
        }
        .await;
        match outcome {
            Ok(()) => recorder.ok(began.elapsed()),
            Err(e) => recorder.fail(|| e.to_string()),
        }
    }
    recorder
        .figures(args.batch, start.elapsed().as_secs_f64(), args.batch as u64)
        .print()
}

/// Drops the database named (if it is there) and, unless `--drop`, makes it again, empty.
pub async fn reset(args: ResetArgs) -> anyhow::Result<()> {
    if !args
        .name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        bail!("--name takes lower-case letters, digits and underscores only");
    }
    let mut db = PgConnection::connect(&args.url)
        .await
        .with_context(|| format!("connecting to {}", args.url))?;
    db.execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", args.name).as_str())
        .await?;
    if !args.drop {
        db.execute(format!("CREATE DATABASE {}", args.name).as_str())
            .await?;
    }
    Ok(())
}
