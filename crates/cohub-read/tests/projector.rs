//! The projector: read-your-writes, checkpoints and restarts, rebuild equality, and the
//! applied-events feed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cohub_command::{CommandService, Submission};
use cohub_domain::example::*;
use cohub_domain::problem::ProblemCommand;
use cohub_read::checkpoint::{
    Checkpoint, CHECKPOINT_FILE, CHECKPOINT_FORMAT, COMPRESSED_JSON_FILE, PLAIN_CHECKPOINT_FILE,
};
use cohub_read::{rebuild, Projector, ProjectorConfig, ReadError};
use cohub_store::sled_store::SledStore;
use cohub_store::EventStore;

const WAIT: Duration = Duration::from_secs(20);

fn config(dir: &std::path::Path) -> ProjectorConfig {
    ProjectorConfig {
        checkpoint_dir: Some(dir.join("read")),
        snapshot_every: 8,
        ..ProjectorConfig::default()
    }
}

/// Why the projector did not use the checkpoint it found (it must have found one).
fn discarded(projector: &Projector) -> String {
    projector
        .start_report()
        .discarded_checkpoint
        .clone()
        .expect("discarded")
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_for_serves_reads_of_ones_own_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("log")).unwrap();
    let projector = Projector::start(Arc::new(store.clone()), ProjectorConfig::default())
        .await
        .unwrap();
    let mut feed = projector.subscribe();
    let service = CommandService::with_clock(Arc::new(store.clone()), common::ticking_clock());
    let mut last = 0;
    for step in cohub_domain::example::steps().into_iter().take(30) {
        let outcome = service
            .execute(Submission::new(step.actor, step.command))
            .await
            .unwrap();
        last = outcome.receipt.last_position;
        // The changed object is visible as soon as the projection reaches the receipt.
        let model = projector.wait_for(last, WAIT).await.unwrap();
        assert!(model.position() >= last);
    }
    let model = projector.current();
    assert!(model.problem(PROBLEM).is_some());
    assert!(projector.caught_up().await.unwrap());
    assert_eq!(projector.lag().await.unwrap(), 0);

    // Applied envelopes are broadcast in order.
    let first = feed.recv().await.unwrap();
    assert_eq!(first.envelope.position, 1);
    assert_eq!(first.event.event_type(), "HubFounded");

    // A position not yet in the log times out with where the projection stands.
    match projector
        .wait_for(last + 1, Duration::from_millis(50))
        .await
    {
        Err(ReadError::Timeout { position, applied }) => {
            assert_eq!((position, applied), (last + 1, last))
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    projector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoint_restart_and_rebuild_give_equal_models() {
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = common::played(dir.path()).await;
    let head = store.head_position().await.unwrap();

    let projector = Projector::start(Arc::new(store.clone()), config(dir.path()))
        .await
        .unwrap();
    assert_eq!(projector.start_report().loaded_checkpoint, None);
    let live = projector.wait_for(head, WAIT).await.unwrap();
    assert_eq!(*live, rebuild(&store).await.unwrap(), "live == rebuilt");
    projector.shutdown().await;
    assert!(
        dir.path().join("read").join(CHECKPOINT_FILE).exists(),
        "written on shutdown"
    );

    // More events after the checkpoint.
    for member in [NURSE, CONSULTANT, APP_LEAD, ICB_COMMISSIONER] {
        service
            .execute(Submission::new(
                member,
                ProblemCommand::EndorseProblem {
                    problem_id: PROBLEM,
                },
            ))
            .await
            .unwrap();
    }
    let new_head = store.head_position().await.unwrap();
    assert_eq!(new_head, head + 4);

    // Restart: loads the checkpoint, catches up, equals a rebuild from position 0.
    let projector = Projector::start(Arc::new(store.clone()), config(dir.path()))
        .await
        .unwrap();
    assert_eq!(projector.start_report().loaded_checkpoint, Some(head));
    assert_eq!(projector.current().position(), head);
    let live = projector.wait_for(new_head, WAIT).await.unwrap();
    let rebuilt = rebuild(&store).await.unwrap();
    assert_eq!(*live, rebuilt);
    assert_eq!(live.problem(PROBLEM).unwrap().endorsements.len(), 5);
    // An explicit checkpoint round-trips to an equal model.
    projector.checkpoint().await.unwrap().unwrap();
    let saved = cohub_read::checkpoint::read(&dir.path().join("read"))
        .unwrap()
        .unwrap();
    assert_eq!(saved.model, rebuilt);
    assert_eq!(saved.hash.as_deref(), rebuilt.last_hash());
    projector.shutdown().await;

    // A checkpoint that does not match the log (another store) is discarded and rebuilt.
    let other = tempfile::tempdir().unwrap();
    let (other_store, _) = common::played(other.path()).await;
    let projector = Projector::start(Arc::new(other_store.clone()), config(dir.path()))
        .await
        .unwrap();
    let reason = discarded(&projector);
    assert!(
        reason.contains("hash") || reason.contains("no event"),
        "{reason}"
    );
    let other_head = other_store.head_position().await.unwrap();
    let live = projector.wait_for(other_head, WAIT).await.unwrap();
    assert_eq!(*live, rebuild(&other_store).await.unwrap());
    projector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoints_are_written_every_n_events() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::played(dir.path()).await;
    let head = store.head_position().await.unwrap();
    let cfg = ProjectorConfig {
        checkpoint_every_events: 10,
        batch_limit: 4,
        ..config(dir.path())
    };
    let projector = Projector::start(Arc::new(store.clone()), cfg)
        .await
        .unwrap();
    projector.wait_for(head, WAIT).await.unwrap();
    let saved = cohub_read::checkpoint::read(&dir.path().join("read"))
        .unwrap()
        .expect("periodic checkpoint");
    assert!(saved.position >= 10 && saved.position <= head);
    drop(projector);
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoints_older_builds_left_are_loaded_then_replaced_by_per_hub_frames() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::played(dir.path()).await;
    let head = store.head_position().await.unwrap();
    let read = dir.path().join("read");
    let model = rebuild(&store).await.unwrap();
    let written = cohub_read::checkpoint::write(&read, &model).unwrap();
    assert_eq!(written, read.join(CHECKPOINT_FILE));
    assert_eq!(
        cohub_read::checkpoint::read(&read).unwrap().unwrap().model,
        model,
        "per-hub frames join back into the whole model"
    );
    // What older builds left: the whole model as one JSON document, compressed or plain.
    // Older builds also held each hub's feed in the model; this one reads feeds from the log
    // and ignores the field, so such a checkpoint still loads.
    let mut older = serde_json::to_value(Checkpoint {
        format: CHECKPOINT_FORMAT,
        position: model.position(),
        hash: model.last_hash().map(str::to_string),
        written_at: chrono::Utc::now(),
        model: model.clone(),
    })
    .unwrap();
    older["model"]["activity"] = serde_json::json!({ HUB.to_string(): { "chunks": [[]] } });
    let older = serde_json::to_vec(&older).unwrap();
    for (file, bytes) in [
        (
            COMPRESSED_JSON_FILE,
            zstd::stream::encode_all(&older[..], 3).unwrap(),
        ),
        (PLAIN_CHECKPOINT_FILE, older.clone()),
    ] {
        std::fs::remove_file(read.join(CHECKPOINT_FILE)).unwrap();
        std::fs::write(read.join(file), bytes).unwrap();
        let projector = Projector::start(Arc::new(store.clone()), config(dir.path()))
            .await
            .unwrap();
        assert_eq!(
            projector.start_report().loaded_checkpoint,
            Some(head),
            "{file}"
        );
        assert_eq!(*projector.current(), model, "{file}");
        projector.checkpoint().await.unwrap().unwrap();
        assert!(read.join(CHECKPOINT_FILE).exists(), "{file}: written anew");
        assert!(!read.join(file).exists(), "{file}: gone once replaced");
        projector.shutdown().await;
    }

    // Damaged checkpoints are discarded in words and the model rebuilt: a file that is not
    // one, one cut short, and one whose hub frame does not decompress.
    let good = std::fs::read(read.join(CHECKPOINT_FILE)).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 2;
    flipped[last] ^= 0xFF;
    for damaged in [
        b"not a checkpoint at all".to_vec(),
        good[..good.len() - 5].to_vec(),
        flipped,
    ] {
        std::fs::write(read.join(CHECKPOINT_FILE), damaged).unwrap();
        let projector = Projector::start(Arc::new(store.clone()), config(dir.path()))
            .await
            .unwrap();
        let reason = discarded(&projector);
        assert!(reason.contains(CHECKPOINT_FILE), "{reason}");
        assert_eq!(*projector.wait_for(head, WAIT).await.unwrap(), model);
        projector.shutdown().await;
    }
}

/// A checkpoint being written does not hold up the projection: with the periodic checkpoint
/// held mid-write, every further event is still folded and served; once released, the
/// checkpoint lands, and a stop writes the last one at the head.
#[tokio::test(flavor = "multi_thread")]
async fn a_checkpoint_being_written_does_not_hold_up_the_projection() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("log")).unwrap();
    let cfg = ProjectorConfig {
        checkpoint_every_events: 5,
        batch_limit: 1,
        ..config(dir.path())
    };
    let projector = Projector::start(Arc::new(store.clone()), cfg)
        .await
        .unwrap();
    let hold = projector.hold_next_checkpoint();
    let service = CommandService::with_clock(Arc::new(store.clone()), common::ticking_clock());
    let mut last = 0;
    for step in cohub_domain::example::steps().into_iter().take(30) {
        let outcome = service
            .execute(Submission::new(step.actor, step.command))
            .await
            .unwrap();
        last = outcome.receipt.last_position;
        projector
            .wait_for(last, WAIT)
            .await
            .expect("folded while the checkpoint is held");
    }
    assert!(last >= 10, "past the first checkpoint's threshold");
    let read = dir.path().join("read");
    assert!(
        cohub_read::checkpoint::read(&read).unwrap().is_none(),
        "the held checkpoint has not been written"
    );
    drop(hold);
    projector.shutdown().await;
    let saved = cohub_read::checkpoint::read(&read)
        .unwrap()
        .expect("written");
    assert_eq!(saved.position, last);
    assert_eq!(saved.model, rebuild(&store).await.unwrap());
}
