//! The server runs on jemalloc with its background thread, the thread that hands memory freed
//! in a burst (loading the checkpoint, a rebuild) back to the system while the server is idle.
//! Without it, jemalloc keeps freed pages until the next allocations and a quiet server stays
//! resident at its peak (bench/RESULTS.md, "Scale: the allocator, …"). Linux only: read from
//! `/proc`.
#![cfg(target_os = "linux")]

use anyhow::{ensure, Context, Result};
use cohub_e2e::{proc_thread_names, Server};

#[tokio::test]
async fn the_server_runs_jemallocs_background_thread() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path()).await?;
    let pid = server.pid().context("the server is running")?;
    // jemalloc starts its background thread with its first arena's decay; wait a little.
    let background = |names: &[String]| names.iter().any(|n| n.starts_with("jemalloc_bg_thd"));
    let mut names = proc_thread_names(pid)?;
    for _ in 0..50 {
        if background(&names) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        names = proc_thread_names(pid)?;
    }
    server.stop().await?;
    ensure!(
        background(&names),
        "no jemalloc background thread among the server's threads: {names:?}"
    );
    Ok(())
}
