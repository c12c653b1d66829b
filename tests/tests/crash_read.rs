//! Killed while the read models are being built, cohub loses nothing: `cohub rebuild` killed
//! part-way leaves either the old checkpoint or the new one, and a server killed while it
//! folds the log on start (from scratch, each hub on its own task, or catching up from an
//! older checkpoint) starts again and ends with read models equal to a fresh rebuild of the log.

use anyhow::{ensure, Context, Result};
use cohub_e2e::{cohub_output, run_cohub, spawn_serve, Server};
use std::path::Path;
use std::time::Duration;

/// `cohub rebuild --check`: exits 0 only if the checkpoint plus the tail of the log is identical
/// to the log folded from scratch (or there is no checkpoint).
async fn rebuild_agrees(data: &str) -> Result<String> {
    let (status, stdout, stderr) = cohub_output(&["rebuild", "--check", "--data", data]).await?;
    ensure!(
        status.success(),
        "the read models disagree with a fresh rebuild ({status}):\n{stdout}\n{stderr}"
    );
    Ok(stdout)
}

async fn generate(data: &str, events: &str, append: bool) -> Result<()> {
    let mut args = vec![
        "generate", "--data", data, "--events", events, "--hubs", "4",
    ];
    if append {
        args.push("--append");
    }
    run_cohub(&args).await?;
    Ok(())
}

/// Starts `cohub ARGS…` and kills it (SIGKILL) after `after`, whether or not it has finished.
async fn kill_after(mut child: tokio::process::Child, after: Duration) -> Result<()> {
    tokio::time::sleep(after).await;
    let _ = child.start_kill();
    child.wait().await?;
    Ok(())
}

fn checkpoint_exists(data: &Path) -> bool {
    data.join("read").join("checkpoint.hubs").exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_rebuild_or_a_catch_up_the_read_models_equal_a_fresh_rebuild() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let data_path = dir.path().join("data");
    let data = data_path.to_str().context("UTF-8 path")?;
    generate(data, "4000", false).await?;

    // 1. `cohub rebuild` killed at several points, then run to the end: every time, what is
    //    on disk agrees with the log.
    for ms in [30u64, 150, 400] {
        let child = tokio::process::Command::new(cohub_e2e::cohub_bin()?)
            .args(["rebuild", "--data", data])
            .env("COHUB_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        kill_after(child, Duration::from_millis(ms)).await?;
        rebuild_agrees(data).await?;
    }
    run_cohub(&["rebuild", "--data", data]).await?;
    ensure!(
        checkpoint_exists(&data_path),
        "a finished rebuild writes the checkpoint"
    );
    let agreed = rebuild_agrees(data).await?;
    ensure!(agreed.contains("identical"), "{agreed}");

    // 2. The log moves on past the checkpoint; a server catching up from it is killed at
    //    several points, then started again until ready and stopped: its checkpoint plus the
    //    tail equals a fresh rebuild.
    generate(data, "3000", true).await?;
    for ms in [50u64, 250, 700] {
        kill_after(spawn_serve(&data_path, &[])?, Duration::from_millis(ms)).await?;
        rebuild_agrees(data).await?;
    }
    let server = Server::start(&data_path).await?;
    let status = server.stop().await?;
    ensure!(status.success(), "serve stopped with {status}");
    let agreed = rebuild_agrees(data).await?;
    ensure!(agreed.contains("identical"), "{agreed}");

    // 3. No checkpoint at all: a server folding every hub from the start is killed, then
    //    started again until ready; what it served and saved equals a fresh rebuild.
    std::fs::remove_file(data_path.join("read").join("checkpoint.hubs"))?;
    for ms in [50u64, 300] {
        kill_after(spawn_serve(&data_path, &[])?, Duration::from_millis(ms)).await?;
        rebuild_agrees(data).await?;
    }
    let server = Server::start(&data_path).await?;
    let status = server.stop().await?;
    ensure!(status.success(), "serve stopped with {status}");
    ensure!(
        checkpoint_exists(&data_path),
        "a stopped server saves its read models"
    );
    let agreed = rebuild_agrees(data).await?;
    ensure!(agreed.contains("identical"), "{agreed}");
    Ok(())
}
