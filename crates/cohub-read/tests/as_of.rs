//! As-of reads of a hub: its past from its nearest snapshot plus a bounded tail of its own events.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cohub_command::Submission;
use cohub_domain::distribution::DistributionStatus;
use cohub_domain::example::{self, *};
use cohub_domain::hub::HubCommand;
use cohub_domain::{HubId, MemberId, OrganisationId, StakeholderKind};
use cohub_read::{rebuild, rebuild_by_hub, replay, Projector, ProjectorConfig, ReadModel, Until};
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
    let before = projector.at_position(HUB, objection - 1).await.unwrap();
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
    let by_time = projector.as_of(HUB, time).await.unwrap();
    assert_eq!(by_time.model.position(), objection - 1);
    assert_eq!(*by_time.model, *before.model);

    // At the objection itself it shows, and the live model is unchanged by time travel.
    let at = projector.at_position(HUB, objection).await.unwrap();
    assert_eq!(
        at.model
            .distribution(DISTRIBUTION)
            .unwrap()
            .objections
            .len(),
        1
    );
    assert_eq!(projector.at_position(HUB, head).await.unwrap().replayed, 0);
    assert_eq!(projector.current().position(), head);
    // Before anything, and beyond the end.
    assert_eq!(
        *projector
            .as_of(HUB, example::start_time() - chrono::Duration::days(1))
            .await
            .unwrap()
            .model,
        ReadModel::new()
    );
    assert!(projector.at_position(HUB, head + 1).await.is_err());
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

    let early = projector.at_position(HUB, 2 * k + 20).await.unwrap();
    let late = projector
        .at_position(HUB, (head / k - 1) * k + 20)
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

    // Restarted without snapshots: they are taken again while catching up.
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
    let again = projector.at_position(HUB, 1000).await.unwrap();
    assert!(again.replayed < k, "snapshots were taken while catching up");
    projector.shutdown().await;
}

/// A hub's past is its own events only: reading one hub as of a position folds none of the
/// other hub's events, however many it wrote in between, and equals the whole log folded to
/// that position and cut down to the hub.
#[tokio::test(flavor = "multi_thread")]
async fn a_hubs_past_is_read_from_its_own_events_only() {
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = common::played(dir.path()).await;
    let other = HubId::new();
    let founder = MemberId::new();
    let founded = common::found_sandwell(&service, other, founder, OrganisationId::new()).await;
    let at = example::start_time() + chrono::Duration::hours(2);
    for i in 0..40 {
        common::append_feedback(&store, 1, 5, at).await;
        service
            .execute(Submission::new(
                founder,
                HubCommand::AdmitOrganisation {
                    hub_id: other,
                    organisation_id: OrganisationId::new(),
                    name: format!("Partner organisation {i}"),
                    kind: StakeholderKind::Innovator,
                },
            ))
            .await
            .unwrap();
    }
    let head = store.head_position().await.unwrap();
    // Folding each hub on its own and joining them is folding the log in order.
    let folded = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = folded.clone();
    let by_hub = rebuild_by_hub(
        Arc::new(store.clone()),
        2,
        Arc::new(move |n| {
            counter.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(by_hub, rebuild(&store).await.unwrap());
    assert_eq!(folded.load(std::sync::atomic::Ordering::SeqCst), head);
    let k = 16;
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
    assert!(!projector.snapshots().positions(other).is_empty());

    let log = common::log(&store).await;
    for position in [founded - 1, founded, founded + 7, head / 2, head - 3, head] {
        let (whole, _) = replay(&store, ReadModel::new(), Until::Position(position), None)
            .await
            .unwrap();
        for hub in [HUB, other] {
            let read = projector.at_position(hub, position).await.unwrap();
            assert_eq!(read.model.position(), position);
            assert!(
                read.replayed < k,
                "hub {hub} at {position}: replayed {} of its own events",
                read.replayed
            );
            match whole.hub_alone(hub) {
                Some(expected) if position < head => assert_eq!(*read.model, expected),
                Some(_) => assert_eq!(*read.model, whole, "at the head: the live model"),
                None => assert!(read.model.hub(hub).is_none(), "not founded yet"),
            }
        }
    }
    // By time: the other hub's latest admission, recorded after every event before it.
    let last = log.iter().rfind(|e| e.hub_id == other.uuid()).unwrap();
    let by_time = projector.as_of(other, last.recorded_at).await.unwrap();
    let by_position = projector.at_position(other, last.position).await.unwrap();
    assert_eq!(by_time.model.position(), last.position);
    assert_eq!(*by_time.model, *by_position.model);
    projector.shutdown().await;
}
