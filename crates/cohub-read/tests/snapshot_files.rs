//! Hub snapshots on disk: after a restart, an as-of read starts from the nearest file instead
//! of the hub's founding, and a file that is damaged or belongs to another log is removed,
//! never read as the past.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cohub_command::{CommandService, Submission};
use cohub_domain::hub::HubCommand;
use cohub_domain::{HubId, MemberId, OrganisationId, StakeholderKind};
use cohub_read::snapshot_files::SNAPSHOT_DIR;
use cohub_read::{replay, Projector, ProjectorConfig, ReadModel, Until};
use cohub_store::sled_store::SledStore;
use cohub_store::{Envelope, EventStore};

const WAIT: Duration = Duration::from_secs(30);

/// Snapshots held every 4 events of a hub, written to disk every 8.
fn config(dir: &Path, files: bool) -> ProjectorConfig {
    ProjectorConfig {
        checkpoint_dir: Some(dir.join("read")),
        snapshot_every: 4,
        snapshot_file_every: if files { 8 } else { 0 },
        ..ProjectorConfig::default()
    }
}

/// The example, then hub `other` founded and 42 organisations admitted to it, each named with
/// `label` (the hub's events 1 to 43, the last three after its last file).
async fn scene(dir: &Path, other: HubId, label: &str) -> (SledStore, CommandService) {
    let (store, service) = common::played(dir).await;
    let founder = MemberId::from_uuid(other.uuid());
    common::found_sandwell(
        &service,
        other,
        founder,
        OrganisationId::from_uuid(other.uuid()),
    )
    .await;
    for i in 0..42 {
        service
            .execute(Submission::new(
                founder,
                HubCommand::AdmitOrganisation {
                    hub_id: other,
                    organisation_id: OrganisationId::new(),
                    name: format!("{label} {i}"),
                    kind: StakeholderKind::Innovator,
                },
            ))
            .await
            .unwrap();
    }
    (store, service)
}

/// The global position of hub `hub`'s event `hub_seq`.
fn position(log: &[Envelope], hub: HubId, hub_seq: u64) -> u64 {
    log.iter()
        .find(|e| e.hub_id == hub.uuid() && e.hub_seq == hub_seq)
        .unwrap()
        .position
}

/// Hub `hub` alone at `position`, folded from the log's start.
async fn expected(store: &SledStore, hub: HubId, position: u64) -> ReadModel {
    let (whole, _) = replay(store, ReadModel::new(), Until::Position(position), None)
        .await
        .unwrap();
    whole.hub_alone(hub).unwrap()
}

/// Starts a projector and waits until it has folded the whole log.
async fn start(store: &SledStore, config: ProjectorConfig) -> Projector {
    let projector = Projector::start(Arc::new(store.clone()), config)
        .await
        .unwrap();
    let head = store.head_position().await.unwrap();
    projector.wait_for(head, WAIT).await.unwrap();
    projector
}

/// Writes the files due, then stops (which writes the checkpoint).
async fn stop(projector: Projector) {
    let files = projector.snapshots().files().unwrap().clone();
    tokio::task::spawn_blocking(move || files.flush())
        .await
        .unwrap();
    projector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_restart_the_past_is_read_from_the_nearest_file() {
    let dir = tempfile::tempdir().unwrap();
    let other = HubId::new();
    let (store, _) = scene(dir.path(), other, "Partner").await;
    let log = common::log(&store).await;

    // A first start folds the log and writes a file every 8 events of each hub.
    stop(start(&store, config(dir.path(), true)).await).await;
    let files = std::fs::read_dir(dir.path().join("read").join(SNAPSHOT_DIR))
        .unwrap()
        .count();
    let at = |seq| position(&log, other, seq);
    let projector = start(&store, config(dir.path(), true)).await;
    let on_disk = projector.snapshots().files().unwrap().clone();
    assert_eq!(
        on_disk.positions(other),
        vec![at(8), at(16), at(24), at(32), at(40)],
        "the other hub's events 8, 16, 24, 32 and 40"
    );
    assert!(
        files > 5,
        "the example's hub has files too ({files} in all)"
    );
    assert_eq!(
        projector.start_report().loaded_checkpoint,
        store.head_position().await.ok(),
        "restarted from the checkpoint, so nothing is held in memory"
    );
    assert!(projector.snapshots().positions(other).is_empty());

    // Event 27: from the file after event 24, three events replayed.
    let read = projector.at_position(other, at(27)).await.unwrap();
    assert_eq!(read.base_position, at(24));
    assert_eq!(read.replayed, 3);
    assert_eq!(*read.model, expected(&store, other, at(27)).await);
    // What was read from disk is now held, and a read at the file's own point replays nothing.
    assert!(projector.snapshots().positions(other).contains(&at(24)));
    let exact = projector.at_position(other, at(40)).await.unwrap();
    assert_eq!((exact.base_position, exact.replayed), (at(40), 0));
    assert_eq!(*exact.model, expected(&store, other, at(40)).await);
    // Before the first file: from the hub's founding.
    let early = projector.at_position(other, at(5)).await.unwrap();
    assert_eq!((early.base_position, early.replayed), (0, 5));
    assert_eq!(*early.model, expected(&store, other, at(5)).await);
    // A file only a little past a held snapshot is not worth reading: event 33 is folded from
    // the snapshot held after event 28 (left by the read of event 30), not from the file after
    // event 32, which holds the whole hub.
    let read = projector.at_position(other, at(30)).await.unwrap();
    assert_eq!((read.base_position, read.replayed), (at(24), 6));
    let read = projector.at_position(other, at(33)).await.unwrap();
    assert_eq!((read.base_position, read.replayed), (at(28), 5));
    assert_eq!(*read.model, expected(&store, other, at(33)).await);
    assert_eq!(on_disk.counts().discarded, 0);
    projector.shutdown().await;

    // A damaged file (one byte flipped in its model) is removed, and the read starts from the
    // file before it.
    let path = std::fs::read_dir(on_disk.dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with(&other.uuid().to_string()) && name.ends_with("-16.snap")
        })
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() - 40;
    bytes[middle] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let projector = start(&store, config(dir.path(), true)).await;
    let read = projector.at_position(other, at(19)).await.unwrap();
    assert_eq!((read.base_position, read.replayed), (at(8), 11));
    assert_eq!(*read.model, expected(&store, other, at(19)).await);
    let on_disk = projector.snapshots().files().unwrap().clone();
    assert_eq!(on_disk.counts().discarded, 1);
    // The replay passed event 16 again and wrote its file afresh, which the next start reads.
    stop(projector).await;
    assert_eq!(
        on_disk.positions(other),
        vec![at(8), at(16), at(24), at(32), at(40)]
    );
    let projector = start(&store, config(dir.path(), true)).await;
    let read = projector.at_position(other, at(19)).await.unwrap();
    assert_eq!((read.base_position, read.replayed), (at(16), 3));
    assert_eq!(*read.model, expected(&store, other, at(19)).await);
    assert_eq!(projector.snapshots().files().unwrap().counts().discarded, 0);
    projector.shutdown().await;

    // A file that cannot be read (here a folder stands in its place) is passed by, not removed:
    // event 27 is read from the file after event 16.
    let path = on_disk.dir().join(
        std::fs::read_dir(on_disk.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .find(|n| n.starts_with(&other.uuid().to_string()) && n.ends_with("-24.snap"))
            .unwrap(),
    );
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let projector = start(&store, config(dir.path(), true)).await;
    let read = projector.at_position(other, at(27)).await.unwrap();
    assert_eq!((read.base_position, read.replayed), (at(16), 11));
    assert_eq!(*read.model, expected(&store, other, at(27)).await);
    assert_eq!(projector.snapshots().files().unwrap().counts().discarded, 0);
    assert!(path.is_dir(), "left as it was");
    projector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_from_another_log_is_removed_not_read() {
    let other = HubId::new();
    // Two logs with the same hubs at the same positions, whose organisations differ.
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let (store, _) = scene(ours.path(), other, "Partner").await;
    let (their_store, _) = scene(theirs.path(), other, "Another partner").await;
    let log = common::log(&store).await;
    let at = |seq| position(&log, other, seq);
    assert_eq!(common::log(&their_store).await[..].len(), log.len());

    // Our server has run without files; theirs with them. Their files are copied into ours.
    start(&store, config(ours.path(), false))
        .await
        .shutdown()
        .await;
    stop(start(&their_store, config(theirs.path(), true)).await).await;
    let from = theirs.path().join("read").join(SNAPSHOT_DIR);
    let to = ours.path().join("read").join(SNAPSHOT_DIR);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }

    let projector = start(&store, config(ours.path(), true)).await;
    let on_disk = projector.snapshots().files().unwrap().clone();
    assert_eq!(
        on_disk.positions(other).len(),
        5,
        "their five files are listed"
    );
    let read = projector.at_position(other, at(35)).await.unwrap();
    // Every file of theirs at or before event 35 was tried, found to name another event, and
    // removed; the read folded our hub from its founding.
    assert_eq!((read.base_position, read.replayed), (0, 35));
    assert_eq!(*read.model, expected(&store, other, at(35)).await);
    assert_eq!(on_disk.counts().discarded, 4);
    let names: Vec<String> = read
        .model
        .hub(other)
        .unwrap()
        .organisations
        .values()
        .map(|o| o.name.clone())
        .collect();
    assert!(names.iter().any(|n| n == "Partner 3"));
    assert!(!names.iter().any(|n| n.starts_with("Another")));

    // The replay wrote our own files where theirs were; theirs after event 35 is still there,
    // and is removed when a read reaches it.
    stop(projector).await;
    let projector = start(&store, config(ours.path(), true)).await;
    let read = projector.at_position(other, at(40)).await.unwrap();
    assert_eq!((read.base_position, read.replayed), (at(32), 8));
    assert_eq!(*read.model, expected(&store, other, at(40)).await);
    assert_eq!(projector.snapshots().files().unwrap().counts().discarded, 1);
    let read = projector.at_position(other, at(35)).await.unwrap();
    assert_eq!((read.base_position, read.replayed), (at(32), 3));
    projector.shutdown().await;
}
