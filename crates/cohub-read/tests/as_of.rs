//! As-of reads: the past from the nearest snapshot plus a bounded tail.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cohub_domain::distribution::DistributionStatus;
use cohub_domain::example::{self, *};
use cohub_read::{rebuild, replay, Projector, ProjectorConfig, ReadModel, Until};
use cohub_store::EventStore;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn before_the_objection_version_one_stands_with_its_consents() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::played(dir.path()).await;
    let head = store.head_position().await.unwrap();
    let cfg = ProjectorConfig {
        snapshot_every: 8,
        ..ProjectorConfig::default()
    };
    let projector = Projector::start(Arc::new(store.clone()), cfg)
        .await
        .unwrap();
    projector.wait_for(head, WAIT).await.unwrap();

    let objection = common::position_of(&store, "DistributionObjected").await;
    let before = projector.at_position(objection - 1).await.unwrap();
    assert_eq!(before.model.position(), objection - 1);
    assert!(before.replayed < 8, "bounded by the snapshot spacing");
    let d = before.model.distribution(DISTRIBUTION).unwrap();
    assert_eq!(d.versions.len(), 1, "no version 2 yet");
    assert_eq!(d.status(), DistributionStatus::Proposed);
    assert!(d.objections.is_empty());
    let mut consents: Vec<_> = d.consents_on(1).iter().map(|c| c.organisation_id).collect();
    consents.sort();
    assert_eq!(consents, vec![ORG_HOUSING, ORG_GLUCOLINK, ORG_ICB]);
    assert!(d.voided_consents().is_empty());

    // The same point by time: the recording time of the event just before the objection.
    let log = common::log(&store).await;
    let time = log[(objection - 2) as usize].recorded_at;
    let by_time = projector.as_of(time).await.unwrap();
    assert_eq!(by_time.model.position(), objection - 1);
    assert_eq!(*by_time.model, *before.model);

    // At the objection itself it shows, and the live model is unchanged by time travel.
    let at = projector.at_position(objection).await.unwrap();
    assert_eq!(
        at.model
            .distribution(DISTRIBUTION)
            .unwrap()
            .objections
            .len(),
        1
    );
    assert_eq!(projector.at_position(head).await.unwrap().replayed, 0);
    assert_eq!(projector.current().position(), head);
    // Before anything, and beyond the end.
    assert_eq!(
        *projector
            .as_of(example::start_time() - chrono::Duration::days(1))
            .await
            .unwrap()
            .model,
        ReadModel::new()
    );
    assert!(projector.at_position(head + 1).await.is_err());
    projector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn early_and_late_reads_on_a_large_log_replay_a_similar_bounded_number() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::played(dir.path()).await;
    let at = example::start_time() + chrono::Duration::hours(2);
    common::append_feedback(&store, 30, 100, at).await;
    let head = store.head_position().await.unwrap();
    assert!(head > 3000);
    let k = 64;
    let cfg = ProjectorConfig {
        snapshot_every: k,
        ..ProjectorConfig::default()
    };
    let projector = Projector::start(Arc::new(store.clone()), cfg)
        .await
        .unwrap();
    let live = projector.wait_for(head, WAIT).await.unwrap();
    assert_eq!(*live, rebuild(&store).await.unwrap());

    let early = projector.at_position(2 * k + 20).await.unwrap();
    let late = projector
        .at_position((head / k - 1) * k + 20)
        .await
        .unwrap();
    assert!(
        late.model.position() > 40 * early.model.position() / 3,
        "far apart in the log"
    );
    assert!(
        early.replayed < k && late.replayed < k,
        "{} and {}",
        early.replayed,
        late.replayed
    );
    assert_eq!(
        early.replayed, late.replayed,
        "both sit the same distance past a snapshot"
    );
    // Each equals a fold of the log from position 0 to that position.
    for r in [&early, &late] {
        let (expected, replayed) = replay(
            &store,
            ReadModel::new(),
            Until::Position(r.model.position()),
            None,
        )
        .await
        .unwrap();
        assert_eq!(replayed, r.model.position());
        assert_eq!(*r.model, expected);
    }
    projector.shutdown().await;

    // Restarted without snapshots: the first early read replays from the start once, and
    // leaves snapshots behind for the next.
    let projector = Projector::start(
        Arc::new(store.clone()),
        ProjectorConfig {
            snapshot_every: k,
            ..ProjectorConfig::default()
        },
    )
    .await
    .unwrap();
    projector.wait_for(head, WAIT).await.unwrap();
    let again = projector.at_position(1000).await.unwrap();
    assert!(again.replayed < k, "snapshots were taken while catching up");
    projector.shutdown().await;
}
