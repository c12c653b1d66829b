//! Hub snapshot files over a real server and a real store on disk: `cohub rebuild` writes them,
//! a restarted server reads the past from the nearest one, and a damaged file or a temporary
//! file left by a crash never changes an answer: every read of the past equals the same read
//! from a server that keeps no files and folds each hub from its founding.

use anyhow::{ensure, Context, Result};
use cohub_e2e::{export_log, run_cohub, token, Server};
use serde_json::{json, Value};
use std::path::Path;
use uuid::Uuid;

/// Files every 256 events of a hub (the in-memory spacing, so the server writes at the same
/// points as the rebuild).
const EVERY: u64 = 256;

const QUERY: &str = "query($id: UUID!, $p: Int!) {
  history(hubId: $id, atPosition: $p, first: 5) {
    totalCount atPosition replayed edges { node { position summary } }
  }
  hub(id: $id, atPosition: $p) {
    asOfPosition
    problems(first: 20) { edges { node { current { title { text } } } } }
    distributions(first: 50) { edges { node { id status proposed { position } } } }
  }
}";

/// The snapshot files of the data directory, by name.
fn files(data: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("read").join("hub-snapshots"))?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    names.sort();
    Ok(names)
}

/// Every read of `points` (hub, token, position), with how many events each replayed.
async fn read_all(server: &Server, points: &[(Uuid, String, u64)]) -> Result<Vec<(Value, u64)>> {
    let mut out = Vec::new();
    for (hub, tok, position) in points {
        let mut data = server
            .gql_ok(QUERY, json!({ "id": hub, "p": position }), Some(tok))
            .await?;
        let replayed = data["history"]["replayed"].as_u64().context("replayed")?;
        ensure!(data["hub"]["asOfPosition"] == json!(position), "{data}");
        data["history"]["replayed"] = Value::Null;
        out.push((data, replayed));
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_past_read_from_snapshot_files_equals_the_past_folded_from_the_founding() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let data_path = dir.path().join("data");
    let data = data_path.to_str().context("UTF-8 path")?;
    let generated = run_cohub(&[
        "generate", "--data", data, "--events", "6000", "--hubs", "3",
    ])
    .await?;
    let every = EVERY.to_string();
    let rebuilt = run_cohub(&["rebuild", "--data", data, "--hub-snapshot-every", &every]).await?;
    let written: usize = rebuilt
        .lines()
        .find_map(|l| l.strip_prefix("wrote ")?.split_once(" hub snapshots in "))
        .context("the rebuild says how many hub snapshots it wrote")?
        .0
        .parse()?;
    let names = files(&data_path)?;
    ensure!(
        written == names.len() && written >= 15,
        "{written} written, {} on disk: {rebuilt}",
        names.len()
    );

    // Each hub's facilitator, and the global positions of its events.
    let log = export_log(&data_path).await?;
    let mut points = Vec::new();
    let mut damaged = None;
    for line in generated.lines().filter(|l| l.starts_with("hub ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let hub: Uuid = words[1].parse()?;
        let facilitator: Uuid = words
            .iter()
            .position(|w| *w == "facilitator")
            .and_then(|i| words.get(i + 1))
            .context("facilitator")?
            .parse()?;
        let tok = token(&data_path, facilitator).await?;
        let at = |seq: u64| {
            log.iter()
                .find(|e| e["hub_id"] == json!(hub) && e["hub_seq"] == json!(seq))
                .and_then(|e| e["position"].as_u64())
                .context("a hub event")
        };
        for seq in [100, 300, 800, 1500] {
            points.push((hub, tok.clone(), at(seq)?));
        }
        // The first hub's file after its event 768 is cut in half: its event 800 is read
        // from the file before it.
        if damaged.is_none() {
            let name = format!("{hub}-{:020}-768.snap", at(768)?);
            ensure!(names.contains(&name), "{name} among {names:?}");
            damaged = Some(name);
        }
    }
    ensure!(points.len() == 12, "three generated hubs");
    let damaged = damaged.context("a damaged file")?;
    let snapshots = data_path.join("read").join("hub-snapshots");
    let bytes = std::fs::read(snapshots.join(&damaged))?;
    std::fs::write(snapshots.join(&damaged), &bytes[..bytes.len() / 2])?;
    // A write cut short by a crash leaves a temporary file behind.
    std::fs::write(snapshots.join("left-by-a-crash.snap.tmp"), b"half a file")?;

    // A server with files reads each point from the nearest one.
    let server = Server::start_with(&data_path, &["--hub-snapshot-every", &every]).await?;
    let with_files = read_all(&server, &points).await?;
    let replayed: Vec<u64> = with_files.iter().map(|(_, r)| *r).collect();
    // Events 100, 300, 800 and 1500 of each hub, from the founding and the files after events
    // 256, 768 and 1280; the first hub's event 800 from the file after event 512.
    ensure!(
        replayed == [100, 44, 288, 220, 100, 44, 32, 220, 100, 44, 32, 220],
        "{replayed:?}"
    );
    let after = files(&data_path)?;
    ensure!(
        !after.iter().any(|n| n.ends_with(".tmp")),
        "the temporary file is removed on start"
    );
    server.stop().await?;
    // Reading the first hub's event 800 passed its event 768 again, and wrote its file afresh.
    ensure!(
        std::fs::read(snapshots.join(&damaged))? == bytes,
        "the damaged file is written again, whole"
    );

    // A server that keeps no files folds each hub from its founding, and answers the same.
    let server = Server::start_with(&data_path, &["--hub-snapshot-every", "0"]).await?;
    let folded = read_all(&server, &points).await?;
    server.stop().await?;
    for (i, ((a, _), (b, _))) in with_files.iter().zip(&folded).enumerate() {
        ensure!(a == b, "point {i}: with files {a}, without {b}");
    }
    // Without files, a hub's event 300 is folded from its founding (nothing held is earlier).
    ensure!(folded[1].1 == 300, "{}", folded[1].1);
    Ok(())
}

/// The example hub of `cohub serve --demo`.
const DEMO_HUB: &str = "0c0b0000-0001-7000-8000-000000000001";

#[tokio::test]
async fn a_server_that_cannot_keep_snapshot_files_still_serves_the_past() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let read = dir.path().join("read");
    std::fs::create_dir_all(&read)?;
    // Where the folder should be, a file: it cannot be made.
    std::fs::write(read.join("hub-snapshots"), b"not a folder")?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    ensure!(
        server
            .log()
            .iter()
            .any(|l| l.contains("keeping no hub snapshot files")),
        "the server says it keeps no files: {:?}",
        server.log()
    );
    let tok = cohub_e2e::demo_token(dir.path(), "champion").await?;
    let past = server
        .gql_ok(
            "query($id: UUID!) { history(hubId: $id, atPosition: 3, first: 5) { atPosition totalCount } }",
            json!({ "id": DEMO_HUB }),
            Some(&tok),
        )
        .await?;
    ensure!(past["history"]["atPosition"] == 3, "{past}");
    let status = server.stop().await?;
    ensure!(status.success(), "serve stopped with {status}");
    ensure!(
        std::fs::read(read.join("hub-snapshots"))? == b"not a folder",
        "the file is left as it was"
    );
    Ok(())
}
