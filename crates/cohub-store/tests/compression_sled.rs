#![cfg(feature = "contract")]
//! Compression on disk: a new store compresses what sled writes, and a store created before
//! compression (uncompressed, which sled cannot change across restarts) keeps opening, taking
//! appends and verifying as it always did.

use cohub_store::contract::{new_stream, request};
use cohub_store::sled_store::compresses;
use cohub_store::{EventStore, ExpectedVersion, SledStore, Verification};
use uuid::Uuid;

/// Appends three events to a new stream of `hub`, closes the store, reopens it and checks that
/// every event is there and the chain verifies.
async fn append_reopen_verify(dir: &std::path::Path, hub: Uuid) -> u64 {
    let store = SledStore::open(dir).expect("open");
    let stream = new_stream();
    let receipt = store
        .append(request(hub, &stream, ExpectedVersion::NoStream, 3, "c"))
        .await
        .expect("append");
    store.close().await.expect("close");
    drop(store);
    let store = SledStore::open(dir).expect("reopen");
    assert_eq!(
        store.head_position().await.expect("head"),
        receipt.last_position
    );
    let events = store.read_hub(hub, 0, 100).await.expect("read");
    assert!(events.len() >= 3, "every event is read back");
    assert!(matches!(
        store.verify_hub(hub).await.expect("verify"),
        Verification::Ok(_)
    ));
    store.close().await.expect("close");
    receipt.last_position
}

/// sled's `conf` file: text lines, then a checksum.
fn conf(dir: &std::path::Path) -> String {
    String::from_utf8_lossy(&std::fs::read(dir.join("conf")).expect("sled's conf")).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_store_compresses() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(
        compresses(dir.path()).expect("no store yet"),
        "new: compress"
    );
    append_reopen_verify(dir.path(), Uuid::now_v7()).await;
    let conf = conf(dir.path());
    assert!(conf.contains("use_compression: true"), "{conf}");
    assert!(compresses(dir.path()).expect("conf"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_created_uncompressed_stays_uncompressed_and_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Created as builds before compression did: sled's defaults.
    {
        let db = sled::open(dir.path()).expect("raw open");
        db.flush().expect("flush");
    }
    assert!(!compresses(dir.path()).expect("conf"));
    let hub = Uuid::now_v7();
    let first = append_reopen_verify(dir.path(), hub).await;
    let second = append_reopen_verify(dir.path(), hub).await;
    assert_eq!(second, first + 3);
    let conf = conf(dir.path());
    assert!(conf.contains("use_compression: false"), "{conf}");
}

#[test]
fn a_conf_that_does_not_say_is_refused_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("conf"), "segment_size: 524288\n").expect("write");
    let error = compresses(dir.path()).expect_err("unreadable setting");
    assert!(
        error
            .to_string()
            .contains("does not say whether the store is compressed"),
        "{error}"
    );
}
