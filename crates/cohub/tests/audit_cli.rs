//! Auditing with the real `cohub` binary: signed checkpoints (`cohub checkpoint sign|prove`)
//! against a growing and a rewritten log, `cohub verify` naming the first bad event for a
//! corrupted, deleted, reordered or inserted one, and an export/import round trip whose
//! rebuilt read models equal the original's, with no progress output on pipes.

use std::path::{Path, PathBuf};

mod common;
use common::{assert_quiet, cohub, s};
use std::sync::Arc;

use cohub_domain::example::{self, HUB};
use cohub_store::{chain, Envelope, EventStore, SledStore};

/// Runs a command that must succeed quietly, and returns its standard output.
fn ok(args: &[&str]) -> String {
    String::from_utf8(common::ok(args).stdout).expect("utf-8 output")
}

/// Runs a command that must exit 1, and returns its standard output.
fn fails(args: &[&str]) -> String {
    let out = cohub(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "cohub {args:?} should exit 1:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_quiet(args, &out);
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn demo(dir: &Path, name: &str) -> PathBuf {
    let data = dir.join(name);
    ok(&["demo", "--data", s(&data)]);
    data
}

/// Opens the data directory's log in this process (no `cohub` may hold it), runs `f`, closes.
async fn with_store<T>(data: &Path, f: impl AsyncFnOnce(&SledStore) -> T) -> T {
    let store = SledStore::open(&data.join("log")).expect("open the log");
    let out = f(&store).await;
    store.close().await.expect("close the log");
    out
}

async fn envelope_at(store: &SledStore, position: u64) -> Envelope {
    serde_json::from_slice(&store.raw_event_bytes(position).unwrap().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_checkpoint_proves_while_the_log_grows_and_fails_after_a_rewrite() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo(tmp.path(), "data");
    let hub = HUB.to_string();
    let json = ok(&["checkpoint", "sign", "--data", s(&data), "--hub", &hub]);
    let cp: serde_json::Value = serde_json::from_str(&json).expect("the checkpoint is JSON");
    for field in [
        "hubId",
        "hubSeq",
        "hash",
        "signedAt",
        "publicKey",
        "signature",
    ] {
        assert!(cp.get(field).is_some(), "{field} in {json}");
    }
    let key = data.join("keys/checkpoint-signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the checkpoint key is private");
    }
    assert!(
        !data.join("keys/token-signing.key").exists()
            || std::fs::read(&key).unwrap()
                != std::fs::read(data.join("keys/token-signing.key")).unwrap(),
        "a key of its own"
    );
    let file = tmp.path().join("cp.json");
    std::fs::write(&file, &json).unwrap();
    let proved = ok(&["checkpoint", "prove", "--data", s(&data), s(&file)]);
    assert!(proved.contains(": OK: the log still extends"), "{proved}");

    // More events (through the command service, as the server would write them).
    let grown = with_store(&data, async |store: &SledStore| {
        let service = cohub_command::CommandService::new(Arc::new(store.clone()));
        service
            .execute(cohub_command::Submission::new(
                example::GP,
                cohub_domain::idea::IdeaCommand::SupportIdea {
                    idea_id: example::IDEA,
                },
            ))
            .await
            .unwrap();
        store.chain_head(HUB.uuid()).await.unwrap().hub_seq
    })
    .await;
    assert!(grown > cp["hubSeq"].as_u64().unwrap());
    let proved = ok(&["checkpoint", "prove", "--data", s(&data), s(&file)]);
    assert!(proved.contains(": OK:"), "{proved}");

    // A checkpoint edited by hand fails on its signature.
    let mut edited = cp.clone();
    edited["hubSeq"] = serde_json::json!(cp["hubSeq"].as_u64().unwrap() - 1);
    let edited_file = tmp.path().join("edited.json");
    std::fs::write(&edited_file, edited.to_string()).unwrap();
    let out = fails(&["checkpoint", "prove", "--data", s(&data), s(&edited_file)]);
    assert!(
        out.contains("FAILED") && out.contains("signature does not match"),
        "{out}"
    );

    // Rewrite the objection and re-seal every later event consistently in the stored bytes.
    with_store(&data, async |store: &SledStore| {
        let log = store.read_hub(HUB.uuid(), 0, usize::MAX).await.unwrap();
        let k = log
            .iter()
            .position(|e| e.event_type == "DistributionObjected")
            .unwrap();
        let mut prev = log[k].prev_hash.clone();
        for (i, e) in log.iter().enumerate().skip(k) {
            let mut e = e.clone();
            if i == k {
                e.payload["reason"]["text"] = serde_json::json!("No objection.");
            }
            chain::seal(&mut e, &prev);
            prev = e.hash.clone();
            store
                .raw_put_event_bytes(e.position, &serde_json::to_vec(&e).unwrap())
                .unwrap();
        }
    })
    .await;
    let out = fails(&["checkpoint", "prove", "--data", s(&data), s(&file)]);
    assert!(
        out.contains("FAILED") && out.contains("was rewritten"),
        "{out}"
    );
    // A broken chain cannot be signed.
    let refused = cohub(&["checkpoint", "sign", "--data", s(&data), "--hub", &hub]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not verify"));
}

/// Tampers with a fresh demo log, then checks `cohub verify` names `(hub_seq, position)`.
async fn verify_names(tmp: &Path, case: &str, tamper: impl AsyncFnOnce(&SledStore) -> (u64, u64)) {
    let data = demo(tmp, case);
    let (seq, position) = with_store(&data, tamper).await;
    let out = fails(&["verify", "--data", s(&data)]);
    let expected = format!("BROKEN at hub sequence {seq} (global position {position})");
    assert!(
        out.contains(&expected),
        "{case}: expected {expected:?} in {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_first_bad_event_for_each_kind_of_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    // The demo holds one hub, so its hub sequence equals the global position.
    verify_names(tmp.path(), "corrupt", async |store: &SledStore| {
        // Still a valid envelope, recorded a second later: only the hash can tell.
        let mut e = envelope_at(store, 10).await;
        e.recorded_at += chrono::Duration::seconds(1);
        store
            .raw_put_event_bytes(10, &serde_json::to_vec(&e).unwrap())
            .unwrap();
        (10, 10)
    })
    .await;
    verify_names(tmp.path(), "delete", async |store: &SledStore| {
        store.raw_remove_event(20).unwrap();
        (20, 20)
    })
    .await;
    verify_names(tmp.path(), "reorder", async |store: &SledStore| {
        let a = store.raw_event_bytes(5).unwrap().unwrap();
        let b = store.raw_event_bytes(9).unwrap().unwrap();
        store.raw_put_event_bytes(5, &b).unwrap();
        store.raw_put_event_bytes(9, &a).unwrap();
        (5, 5)
    })
    .await;
    verify_names(tmp.path(), "insert", async |store: &SledStore| {
        // A forged, internally consistent copy of event 12, stored after the head.
        let mut forged = envelope_at(store, 12).await;
        forged.event_id = uuid::Uuid::now_v7();
        let at = store.head_position().await.unwrap() + 1;
        forged.position = at;
        let prev = forged.prev_hash.clone();
        chain::seal(&mut forged, &prev);
        store
            .raw_put_event_bytes(at, &serde_json::to_vec(&forged).unwrap())
            .unwrap();
        (12, at)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_import_rebuilds_read_models_equal_to_the_originals() {
    let tmp = tempfile::tempdir().unwrap();
    let source = demo(tmp.path(), "source");
    let export = ok(&["export", "--data", s(&source)]);
    let file = tmp.path().join("log.jsonl");
    std::fs::write(&file, &export).unwrap();
    let restored = tmp.path().join("restored");
    ok(&["import", "--data", s(&restored), s(&file)]);

    // Rebuild and verify are quiet on pipes too (`ok` checks), and agree.
    for data in [&source, &restored] {
        let out = ok(&["rebuild", "--data", s(data)]);
        assert!(out.contains("rebuilt the read models from"), "{out}");
        let out = ok(&["rebuild", "--data", s(data), "--check"]);
        assert!(out.contains("is identical to"), "{out}");
        let out = ok(&["verify", "--data", s(data)]);
        assert!(out.contains(": OK,"), "{out}");
    }

    // Each rebuilt from its own log, with the audit over it (whose steps are read from that log).
    let audited = async |data: &std::path::Path| {
        with_store(data, async |store: &SledStore| {
            let model = cohub_read::rebuild(store).await.unwrap();
            let trail = cohub_audit::decision_trail(
                cohub_read::EventSource::Log(store),
                &model,
                cohub_audit::TrailSubject::Distribution(example::DISTRIBUTION),
            )
            .await
            .unwrap();
            (model, trail)
        })
        .await
    };
    let (original, original_trail) = audited(&source).await;
    let (copy, copy_trail) = audited(&restored).await;
    assert!(original.position() > 0);
    assert_eq!(
        copy, original,
        "the restored log folds into equal read models"
    );
    assert!(!original_trail.steps.is_empty());
    assert_eq!(
        copy_trail, original_trail,
        "and the audit over them is the same"
    );
}
