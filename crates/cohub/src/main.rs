//! `cohub`: the command-line entry point. Each subcommand lives in its own file under `cmd/`.

/// Writes a line to standard output like `println!`, but returns the write's `io::Result`
/// instead of panicking when nobody reads any more (`cohub demo | head -1`): callers pass the
/// error up with `?`, and `main` ends quietly on a broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod cmd;
mod data_dir;
mod progress;
mod store_select;

use clap::{Parser, Subcommand};

/// jemalloc instead of glibc malloc: the read models are millions of small allocations that
/// live and die in bursts (replay, checkpoints, snapshots), where glibc spent a third of a
/// rebuild consolidating its free lists (bench/RESULTS.md, "Scale: the allocator, …").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`: a background thread hands memory freed in a burst
/// (loading the checkpoint, a rebuild) back to the system within about a second, even while
/// the server is idle, so resident memory falls back to what the read models hold.
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: &u8 = &b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0"[0];

/// cohub: an event-sourced backend for community digital-health co-innovation hubs.
#[derive(Debug, Parser)]
#[command(name = "cohub", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the GraphQL server (GraphiQL at /graphql) on the data directory or PostgreSQL.
    Serve(Box<cmd::serve::Args>),
    /// Write DOMAIN.md's Black Country example hub into a data directory.
    Demo(cmd::demo::Args),
    /// Write a realistic log of many hubs through the real append path (for benchmarks).
    Generate(cmd::generate::Args),
    /// Recompute every hub's hash chain and report OK with the head, or the first bad position.
    Verify(cmd::verify::Args),
    /// Write the log (one hub or all) as JSON Lines, one envelope a line.
    Export(cmd::export::Args),
    /// Fold the read models again from the whole log; check and replace the checkpoint.
    Rebuild(cmd::rebuild::Args),
    /// Issue a bearer token for a member, signed with the data directory's key.
    Token(cmd::token::Args),
    /// Restore a log from JSON Lines written by `cohub export` (checked first, all or nothing).
    Import(cmd::import::Args),
    /// Copy the whole log between stores (sled <-> PostgreSQL), then verify the target.
    Migrate(cmd::migrate::Args),
    /// Sign a hub's chain head (`sign`), or prove a signed head is still in the log (`prove`).
    Checkpoint(cmd::checkpoint::Args),
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
            Command::Serve(args) => cmd::serve::run(*args).await,
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Generate(args) => cmd::generate::run(args).await,
            Command::Verify(args) => cmd::verify::run(args).await,
            Command::Export(args) => cmd::export::run(args).await,
            Command::Import(args) => cmd::import::run(args).await,
            Command::Migrate(args) => cmd::migrate::run(args).await,
            Command::Token(args) => cmd::token::run(args).await,
            Command::Rebuild(args) => cmd::rebuild::run(args).await,
            Command::Checkpoint(args) => cmd::checkpoint::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): what it wanted was written; end quietly.
        Err(err) if is_broken_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cohub: {err:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Whether an error comes from writing to a closed pipe (directly or through serde_json).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}
