//! `cohub-bench`: the side-by-side write benchmark, run by `bench/compare.sh` (by hand; CI runs
//! its `--quick` mode once to keep it working and asserts nothing about speed).
//!
//! - `load` drives one HTTP server with the hub workload at N connections and prints one JSON
//!   line of figures (the same driver for cohub, the peer and the fixed-JSON ceiling);
//! - `peer` serves the same workload built on cqrs-es with postgres-es;
//! - `fixed` serves an axum handler that answers fixed JSON (the HTTP ceiling);
//! - `raw-sled` and `raw-pg` write batches straight to the stores (the limits);
//! - `reset-db` drops and creates a PostgreSQL database, so every run starts empty.

mod fixed;
mod load;
mod peer;
mod raw;
mod report;
mod workload;

use clap::{Parser, Subcommand};

/// The benchmark's commands.
#[derive(Debug, Parser)]
#[command(name = "cohub-bench", about = "Side-by-side write benchmark for cohub")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Drive a server with the hub workload and print its figures as one JSON line.
    Load(load::Args),
    /// Serve the hub workload built on cqrs-es with postgres-es (the peer).
    Peer(peer::Args),
    /// Serve fixed JSON from an axum handler (the HTTP ceiling).
    Fixed(fixed::Args),
    /// Write batches to a fresh sled tree with apply_batch and flush (the sled limit).
    RawSled(raw::SledArgs),
    /// Write batches to PostgreSQL as one multi-row INSERT and COMMIT (the PostgreSQL limit).
    RawPg(raw::PgArgs),
    /// Drop and create a PostgreSQL database.
    ResetDb(raw::ResetArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Load(args) => load::run(args).await,
            Command::Peer(args) => peer::run(args).await,
            Command::Fixed(args) => fixed::run(args).await,
            Command::RawSled(args) => raw::sled(args).await,
            Command::RawPg(args) => raw::pg(args).await,
            Command::ResetDb(args) => raw::reset(args).await,
        }
    })
}
