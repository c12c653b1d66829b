#![cfg(feature = "contract")]
//! Events are stored packed (zstd), and a store written before packing (format 2: every event
//! plain JSON) opens, reads and verifies as before, takes packed events beside its plain ones,
//! and is marked format 3.

use cohub_store::contract::{new_stream, request};
use cohub_store::{EventStore, ExpectedVersion, SledStore, Verification};
use uuid::Uuid;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

async fn append(store: &SledStore, hub: Uuid, n: usize) -> u64 {
    store
        .append(request(
            hub,
            &new_stream(),
            ExpectedVersion::NoStream,
            n,
            "packing",
        ))
        .await
        .expect("append")
        .last_position
}

async fn verified(store: &SledStore, hub: Uuid) {
    match store.verify_hub(hub).await.expect("verify") {
        Verification::Ok(_) => {}
        broken => panic!("expected a clean chain, got {broken:?}"),
    }
    let all = store.verify_hubs(&[hub]).await.expect("verify hubs");
    assert!(matches!(all.as_slice(), [Verification::Ok(_)]), "{all:?}");
}

fn format_marker(dir: &std::path::Path) -> Vec<u8> {
    let db = sled::open(dir).expect("raw open");
    let meta = db.open_tree("meta").expect("meta");
    meta.get("format").expect("get").expect("a format").to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_stored_packed_and_read_back_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(dir.path()).expect("open");
    let hub = Uuid::now_v7();
    let last = append(&store, hub, 4).await;
    for position in 1..=last {
        let stored = store.raw_stored_bytes(position).unwrap().expect("stored");
        let json = store.raw_event_bytes(position).unwrap().expect("json");
        assert!(
            stored.starts_with(&ZSTD_MAGIC),
            "position {position} is packed"
        );
        assert!(stored.len() < json.len(), "packing makes it smaller");
        let read = store.read_all(position - 1, 1).await.unwrap();
        assert_eq!(
            serde_json::to_value(&read[0]).unwrap(),
            serde_json::from_slice::<serde_json::Value>(&json).unwrap()
        );
    }
    verified(&store, hub).await;
    store.close().await.expect("close");
    drop(store);
    assert_eq!(format_marker(dir.path()), b"3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_2_store_of_plain_events_opens_reads_verifies_and_takes_packed_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = Uuid::now_v7();
    let (first_last, before) = {
        let store = SledStore::open(dir.path()).expect("open");
        let last = append(&store, hub, 5).await;
        // Rewrite it as format 2 stored it: every event its plain canonical JSON.
        for position in 1..=last {
            let json = store.raw_event_bytes(position).unwrap().unwrap();
            store.raw_put_event_bytes(position, &json).unwrap();
            assert!(!store
                .raw_stored_bytes(position)
                .unwrap()
                .unwrap()
                .starts_with(&ZSTD_MAGIC));
        }
        let before = store.read_hub(hub, 0, 100).await.unwrap();
        store.close().await.expect("close");
        (last, before)
    };
    {
        let db = sled::open(dir.path()).expect("raw open");
        db.open_tree("meta").unwrap().insert("format", "2").unwrap();
        db.flush().unwrap();
    }

    let store = SledStore::open(dir.path()).expect("a format 2 store opens");
    assert_eq!(
        store.read_hub(hub, 0, 100).await.unwrap(),
        before,
        "plain events read as before"
    );
    verified(&store, hub).await;
    let last = append(&store, hub, 3).await;
    assert_eq!(last, first_last + 3);
    assert!(store
        .raw_stored_bytes(last)
        .unwrap()
        .unwrap()
        .starts_with(&ZSTD_MAGIC));
    assert!(!store
        .raw_stored_bytes(1)
        .unwrap()
        .unwrap()
        .starts_with(&ZSTD_MAGIC));
    verified(&store, hub).await;
    store.close().await.expect("close");
    drop(store);
    assert_eq!(format_marker(dir.path()), b"3", "marked format 3 on open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_packed_event_is_named_by_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(dir.path()).expect("open");
    let hub = Uuid::now_v7();
    append(&store, hub, 6).await;
    let mut stored = store.raw_stored_bytes(4).unwrap().unwrap();
    let at = stored.len() / 2;
    stored.truncate(at);
    store.raw_put_event_bytes(4, &stored).unwrap();
    for verification in [
        store.verify_hub(hub).await.unwrap(),
        store.verify_hubs(&[hub]).await.unwrap().remove(0),
    ] {
        match verification {
            Verification::Broken {
                position, reason, ..
            } => {
                assert_eq!(position, Some(4), "{reason}");
                assert!(reason.contains("does not decode"), "{reason}");
            }
            ok => panic!("expected the damage to be found, got {ok:?}"),
        }
    }
    let read = store.read_all(3, 1).await;
    assert!(
        read.is_err(),
        "reading the damaged event fails in words: {read:?}"
    );
}
