//! An interrupted demo load is finished by the next one, never left half-written.

use cohub_store::{EventStore, SledStore};

mod common;
use common::cohub;

#[test]
fn a_demo_load_cut_short_is_completed_by_the_next_run() {
    let full = tempfile::tempdir().unwrap();
    let full_dir = full.path().to_str().unwrap();
    assert!(cohub(&["demo", "--data", full_dir]).status.success());
    let full_export = cohub(&["export", "--data", full_dir]).stdout;
    let total = full_export
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();

    // Cut a load short: keep only the first steps' events (an import of a prefix of the
    // export is exactly what a crash after those appends leaves on disk).
    let cut = tempfile::tempdir().unwrap();
    let cut_dir = cut.path().to_str().unwrap();
    let prefix: Vec<&[u8]> = full_export.split(|b| *b == b'\n').take(13).collect();
    let prefix_file = cut.path().join("prefix.jsonl");
    let mut bytes = prefix.join(&b'\n');
    bytes.push(b'\n');
    std::fs::write(&prefix_file, bytes).unwrap();
    let imported = cohub(&["import", "--data", cut_dir, prefix_file.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );

    let resumed = cohub(&["demo", "--data", cut_dir]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let out = String::from_utf8_lossy(&resumed.stdout);
    assert!(out.contains(&format!("({} events)", total - 13)), "{out}");
    let again = cohub(&["demo", "--data", cut_dir]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("already"),
        "nothing more to write"
    );
    assert!(cohub(&["verify", "--data", cut_dir]).status.success());

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = SledStore::open(&cut.path().join("log")).unwrap();
        assert_eq!(store.head_position().await.unwrap(), total as u64);
        store.close().await.unwrap();
    });
}
