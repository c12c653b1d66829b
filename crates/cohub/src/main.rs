//! `cohub`: the command-line entry point. Each subcommand lives in its own file under `cmd/`.

mod cmd;
mod data_dir;

use clap::{Parser, Subcommand};

/// cohub: an event-sourced backend for community digital-health co-innovation hubs.
#[derive(Debug, Parser)]
#[command(name = "cohub", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write DOMAIN.md's Black Country example hub into a data directory.
    Demo(cmd::demo::Args),
    /// Recompute every hub's hash chain and report OK with the head, or the first bad position.
    Verify(cmd::verify::Args),
    /// Write the log (one hub or all) as JSON Lines, one envelope a line.
    Export(cmd::export::Args),
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COHUB_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Verify(args) => cmd::verify::run(args).await,
            Command::Export(args) => cmd::export::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("cohub: {err:#}");
            std::process::ExitCode::from(2)
        }
    }
}
