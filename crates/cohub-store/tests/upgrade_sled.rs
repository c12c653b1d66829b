#![cfg(feature = "contract")]
//! A store written before idempotency keys were scoped per actor (on-disk format 1: the
//! `idempotency` tree keyed by hub and key) is upgraded when opened: every key answers its
//! actor's retries as before, and is no longer in the way of other actors.

use cohub_store::contract::{new_stream, request};
use cohub_store::{EventStore, ExpectedVersion, SledStore};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_1_store_is_upgraded_to_keys_per_actor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = Uuid::now_v7();
    let stream = new_stream();
    let mut req = request(hub, &stream, ExpectedVersion::NoStream, 2, "old");
    req.idempotency_key = Some("old-key".into());
    let actor = req.actor.member_id;
    let first = {
        let store = SledStore::open(dir.path()).expect("open");
        let r = store.append(req.clone()).await.expect("append");
        store.close().await.expect("close");
        r
    };

    // Rewrite the store as format 1 wrote it: the record under hub ++ key.
    {
        let db = sled::open(dir.path()).expect("raw open");
        let idempotency = db.open_tree("idempotency").expect("tree");
        let meta = db.open_tree("meta").expect("tree");
        let mut new_key = hub.as_bytes().to_vec();
        new_key.extend_from_slice(actor.as_bytes());
        new_key.extend_from_slice(b"old-key");
        let record = idempotency
            .remove(&new_key)
            .expect("remove")
            .expect("the record under hub, actor and key");
        let mut old_key = hub.as_bytes().to_vec();
        old_key.extend_from_slice(b"old-key");
        idempotency.insert(&old_key, record).expect("insert");
        meta.insert("format", "1").expect("format");
        db.flush().expect("flush");
    }

    let store = SledStore::open(dir.path()).expect("reopen upgrades");
    assert_eq!(
        store
            .idempotent_receipt(hub, actor, "old-key")
            .await
            .expect("lookup"),
        Some(first.clone()),
        "the key is the actor's after the upgrade"
    );
    assert_eq!(
        store.append(req.clone()).await.expect("retry"),
        first,
        "the actor's retry gets the first receipt"
    );
    let mut other = request(hub, &new_stream(), ExpectedVersion::NoStream, 1, "other");
    other.idempotency_key = Some("old-key".into());
    let theirs = store.append(other).await.expect("another actor's append");
    assert_eq!(theirs.first_position, first.last_position + 1);
    store.close().await.expect("close");
    drop(store);

    // Opened again: already upgraded, nothing changes.
    let store = SledStore::open(dir.path()).expect("reopen");
    assert_eq!(
        store
            .idempotent_receipt(hub, actor, "old-key")
            .await
            .expect("lookup"),
        Some(first)
    );
}
