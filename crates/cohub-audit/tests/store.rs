//! The audit against a real sled log: signed checkpoints and their proofs (including rewritten
//! histories), and as-of audit reads on a large hub costing a similar, bounded replay early and
//! late in the log.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cohub_audit::history::{history, HistoryFilter, Subject};
use cohub_audit::point::{model_at, AuditPoint};
use cohub_audit::trail::{decision_trail, TrailSubject};
use cohub_audit::{prove, sign_head, CheckpointSigner, SignedCheckpoint};
use cohub_command::{CommandService, Submission};
use cohub_domain::example::{self, *};
use cohub_domain::problem::{PerspectiveKind, ProblemCommand};
use cohub_domain::{PerspectiveId, PlainText, ProblemId};
use cohub_read::{EventSource, Projector, ProjectorConfig};
use cohub_store::{chain, Envelope, EventStore, SledStore, Verification};
use ed25519_dalek::SigningKey;

fn ticking_clock() -> cohub_command::Clock {
    let tick = Arc::new(AtomicI64::new(0));
    let start = example::start_time();
    Arc::new(move || start + chrono::Duration::minutes(tick.fetch_add(1, Ordering::SeqCst)))
}

async fn played(dir: &std::path::Path) -> (SledStore, CommandService) {
    let store = SledStore::open(dir).unwrap();
    let service = CommandService::with_clock(Arc::new(store.clone()), ticking_clock());
    for step in example::steps() {
        service
            .execute(Submission::new(step.actor, step.command.clone()))
            .await
            .unwrap_or_else(|e| panic!("step {:?} failed: {e}", step.note));
    }
    (store, service)
}

fn signer() -> CheckpointSigner {
    CheckpointSigner::from_key(SigningKey::from_bytes(&[7; 32]))
}

async fn hub_log(store: &dyn EventStore) -> Vec<Envelope> {
    store.read_hub(HUB.uuid(), 0, usize::MAX).await.unwrap()
}

/// Frames `n` more problems, each with a perspective and an endorsement (3 events each),
/// through the command service, 16 at a time.
async fn grow(service: &CommandService, n: usize) {
    let mut left = n;
    while left > 0 {
        let batch = left.min(16);
        left -= batch;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..batch {
            let service = service.clone();
            tasks.spawn(async move {
                let problem_id = ProblemId::new();
                let mut framing = example::framing();
                framing.title = PlainText::en(format!("Generated problem {problem_id}"));
                for (actor, command) in [
                    (
                        CHAMPION,
                        ProblemCommand::FrameProblem {
                            problem_id,
                            hub_id: HUB,
                            framing,
                        },
                    ),
                    (
                        NURSE,
                        ProblemCommand::AddPerspective {
                            problem_id,
                            perspective_id: PerspectiveId::new(),
                            kind: PerspectiveKind::Clinical,
                            text: PlainText::en("A clinical view, generated."),
                        },
                    ),
                    (GP, ProblemCommand::EndorseProblem { problem_id }),
                ] {
                    service
                        .execute(Submission::new(actor, command))
                        .await
                        .unwrap();
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_proves_while_the_log_grows_and_fails_once_history_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = played(dir.path()).await;
    let signer = signer();
    let cp = sign_head(&store, &signer, HUB.uuid(), Utc::now())
        .await
        .unwrap();
    let head = store.chain_head(HUB.uuid()).await.unwrap();
    assert_eq!(
        (cp.hub_seq, cp.hash.as_str()),
        (head.hub_seq, head.hash.as_str())
    );
    let proof = prove(&store, &signer.verifying_key(), &cp).await.unwrap();
    assert!(proof.ok, "{proof:?}");
    assert_eq!(proof.checks.len(), 4);

    // Appending keeps it passing: the log extends the checkpoint.
    grow(&service, 3).await;
    let proof = prove(&store, &signer.verifying_key(), &cp).await.unwrap();
    assert!(proof.ok, "{proof:?}");
    assert_eq!(proof.current_head.unwrap().hub_seq, cp.hub_seq + 9);
    println!("after growing: {}", proof.reason);

    // A checkpoint with any field changed, or signed by another key, fails.
    let mut altered = cp.clone();
    altered.hub_seq -= 1;
    let p = prove(&store, &signer.verifying_key(), &altered)
        .await
        .unwrap();
    assert!(!p.ok);
    assert!(
        p.reason.contains("signature does not match"),
        "{}",
        p.reason
    );
    let other = CheckpointSigner::from_key(SigningKey::from_bytes(&[9; 32]));
    let foreign = other.sign(&head, Utc::now());
    let p = prove(&store, &signer.verifying_key(), &foreign)
        .await
        .unwrap();
    assert!(!p.ok);
    assert!(p.reason.contains("not this server's key"), "{}", p.reason);

    // Rewrite the objection (before the checkpoint) and re-seal the whole chain after it
    // consistently, straight in the stored bytes.
    let log = hub_log(&store).await;
    let k = log
        .iter()
        .position(|e| e.event_type == "DistributionObjected")
        .unwrap();
    assert!((log[k].hub_seq) < cp.hub_seq);
    let mut prev = log[k].prev_hash.clone();
    for (i, e) in log.iter().enumerate().skip(k) {
        let mut e = e.clone();
        if i == k {
            e.payload["reason"]["text"] = serde_json::json!("We have no objection.");
        }
        chain::seal(&mut e, &prev);
        prev = e.hash.clone();
        store
            .raw_put_event_bytes(e.position, &serde_json::to_vec(&e).unwrap())
            .unwrap();
    }
    let proof = prove(&store, &signer.verifying_key(), &cp).await.unwrap();
    assert!(!proof.ok);
    assert!(
        proof.reason.contains("was rewritten"),
        "the hash at the checkpoint changed: {}",
        proof.reason
    );
    println!("rewritten in place: {}", proof.reason);
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_log_that_verifies_by_itself_fails_the_proof() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = played(&dir.path().join("real")).await;
    let signer = signer();
    let cp: SignedCheckpoint = sign_head(&store, &signer, HUB.uuid(), Utc::now())
        .await
        .unwrap();

    // A whole alternative history: the objection's reason changed and every later event
    // re-sealed, written into a fresh store through the verbatim import.
    let mut forged = store.read_all(0, usize::MAX).await.unwrap();
    let k = forged
        .iter()
        .position(|e| e.event_type == "DistributionObjected")
        .unwrap();
    forged[k].payload["reason"]["text"] = serde_json::json!("No objection after all.");
    let mut prev = forged[k].prev_hash.clone();
    for e in forged.iter_mut().skip(k) {
        chain::seal(e, &prev);
        prev = e.hash.clone();
    }
    let fake = SledStore::open(&dir.path().join("forged")).unwrap();
    fake.import(forged).await.unwrap();
    assert!(
        matches!(
            fake.verify_hub(HUB.uuid()).await.unwrap(),
            Verification::Ok(_)
        ),
        "the forgery is internally consistent"
    );
    let proof = prove(&fake, &signer.verifying_key(), &cp).await.unwrap();
    assert!(!proof.ok);
    let failed: Vec<_> = proof
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, ["event"], "{proof:?}");
    println!("forged log: {}", proof.reason);

    // Deleting the checkpointed event fails too.
    let real_head = store.head_position().await.unwrap();
    store.raw_remove_event(real_head).unwrap();
    let proof = prove(&store, &signer.verifying_key(), &cp).await.unwrap();
    assert!(!proof.ok, "{proof:?}");
    // And a broken chain cannot be signed.
    assert!(sign_head(&store, &signer, HUB.uuid(), Utc::now())
        .await
        .is_err());
    store.close().await.unwrap();
    fake.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_of_audits_early_and_late_in_a_large_hub_replay_a_similar_bounded_number() {
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = played(dir.path()).await;
    let started = std::time::Instant::now();
    grow(&service, 1000).await;
    let head = store.head_position().await.unwrap();
    assert!(head >= 3000, "{head}");
    println!(
        "generated {head} events through the command service in {:?}",
        started.elapsed()
    );
    let k = 128u64;
    let projector = Projector::start(
        Arc::new(store.clone()),
        ProjectorConfig {
            snapshot_every: k,
            ..ProjectorConfig::default()
        },
    )
    .await
    .unwrap();
    projector
        .wait_for(head, Duration::from_secs(60))
        .await
        .unwrap();

    let log = store.read_all(0, usize::MAX).await.unwrap();
    let objection = log
        .iter()
        .find(|e| e.event_type == "DistributionObjected")
        .unwrap()
        .position;
    // Early: just before the objection. Late: near the end of the log.
    let early = model_at(&projector, AuditPoint::AtPosition(objection - 1), HUB)
        .await
        .unwrap();
    let late_position = head - 7;
    let late = model_at(&projector, AuditPoint::AtPosition(late_position), HUB)
        .await
        .unwrap();
    let early_t = model_at(
        &projector,
        AuditPoint::AsOf(log[(objection - 2) as usize].recorded_at),
        HUB,
    )
    .await
    .unwrap();
    let late_t = model_at(
        &projector,
        AuditPoint::AsOf(log[(late_position - 1) as usize].recorded_at),
        HUB,
    )
    .await
    .unwrap();
    println!(
        "as-of audit reads on {head} events, snapshots every {k}: early (position {}) replayed {}, late (position {}) replayed {}; by time: early replayed {}, late replayed {}",
        early.model.position(),
        early.replayed,
        late.model.position(),
        late.replayed,
        early_t.replayed,
        late_t.replayed
    );
    // The same distance past a snapshot, early and late in the log: the same cost.
    let early_far = model_at(&projector, AuditPoint::AtPosition(2 * k + 20), HUB)
        .await
        .unwrap();
    let late_far = model_at(
        &projector,
        AuditPoint::AtPosition((head / k - 1) * k + 20),
        HUB,
    )
    .await
    .unwrap();
    println!(
        "at positions {} and {}: replayed {} and {}",
        early_far.model.position(),
        late_far.model.position(),
        early_far.replayed,
        late_far.replayed
    );
    assert!(late_far.model.position() > 10 * early_far.model.position());
    assert_eq!(early_far.replayed, late_far.replayed);
    for r in [&early, &late, &early_t, &late_t, &early_far, &late_far] {
        assert!(
            r.replayed <= k,
            "bounded by the snapshot spacing: {}",
            r.replayed
        );
    }
    assert_eq!(early.model.position(), objection - 1);
    assert_eq!(late.model.position(), late_position);
    assert_eq!(*early_t.model, *early.model);

    // The audit answers as the hub stood then.
    let before = decision_trail(
        EventSource::Log(&store),
        &early.model,
        TrailSubject::Distribution(DISTRIBUTION),
    )
    .await
    .unwrap();
    assert_eq!(before.versions.len(), 1);
    assert_eq!(before.versions[0].consents.len(), 3);
    assert!(before.objections.is_empty());
    let after = decision_trail(
        EventSource::Log(&store),
        &late.model,
        TrailSubject::Distribution(DISTRIBUTION),
    )
    .await
    .unwrap();
    assert_eq!(after.voided_consents.len(), 3);
    assert_eq!(after.objections.len(), 1);
    let h = history(
        EventSource::Log(&store),
        &late.model,
        HUB,
        Subject::Hub,
        &HistoryFilter {
            member_id: Some(GP),
            ..HistoryFilter::default()
        },
        None,
        Some(10),
    )
    .await
    .unwrap();
    let gp_events = log
        .iter()
        .filter(|e| e.position <= late_position && e.actor.member_id == GP.uuid())
        .count();
    assert_eq!(h.total, gp_events);
    assert!(
        h.total > 900,
        "one endorsement per generated problem: {}",
        h.total
    );
    assert!(h.has_next_page);
    projector.shutdown().await;
    store.close().await.unwrap();
}
