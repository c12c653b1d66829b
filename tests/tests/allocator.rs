//! The server runs on jemalloc with its background thread, the thread that hands memory freed
//! in a burst (loading the checkpoint, a rebuild) back to the system while the server is idle.
//! Without it, jemalloc keeps freed pages until the next allocations and a quiet server stays
//! resident at its peak (bench/RESULTS.md, "the allocator"). Linux only: read from `/proc`.
#![cfg(target_os = "linux")]

use anyhow::{ensure, Context, Result};
use cohub_e2e::Server;

/// The names of the server's threads.
fn thread_names(pid: u32) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let comm = std::fs::read_to_string(task?.path().join("comm"))?;
        names.push(comm.trim().to_string());
    }
    Ok(names)
}

#[tokio::test]
async fn the_server_runs_jemallocs_background_thread() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path()).await?;
    let pid = server.pid().context("the server is running")?;
    // jemalloc starts its background thread with its first arena's decay; wait a little.
    let mut names = Vec::new();
    for _ in 0..50 {
        names = thread_names(pid)?;
        if names.iter().any(|n| n.starts_with("jemalloc_bg_thd")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.stop().await?;
    ensure!(
        names.iter().any(|n| n.starts_with("jemalloc_bg_thd")),
        "no jemalloc background thread among the server's threads: {names:?}"
    );
    Ok(())
}
