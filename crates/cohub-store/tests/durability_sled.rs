//! The sled backend on disk: reopening keeps everything, and tampering with stored bytes is
//! detected at the right event.

use cohub_store::chain;
use cohub_store::{
    ActorRef, AppendRequest, Envelope, EventStore, ExpectedVersion, NewEvent, SledStore,
    StoreError, Verification,
};
use serde_json::json;
use std::path::Path;
use uuid::Uuid;

fn req(hub: Uuid, stream: &str, n: usize, key: Option<&str>) -> AppendRequest {
    AppendRequest {
        hub_id: hub,
        stream_id: stream.into(),
        expected_version: ExpectedVersion::Any,
        actor: ActorRef {
            member_id: Uuid::now_v7(),
            organisation_id: None,
            stakeholder_kind: None,
            role: "facilitator".into(),
        },
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        idempotency_key: key.map(str::to_string),
        client_fingerprint: None,
        events: (0..n)
            .map(|i| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "Tested".into(),
                schema_version: 1,
                payload: json!({"i": i, "tag": "original"}),
            })
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_keeps_envelopes_heads_and_idempotency() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let keyed = req(a, "s-keyed", 2, Some("retry-me"));
    let (events, heads, receipt) = {
        let store = SledStore::open(dir.path()).unwrap();
        let receipt = store.append(keyed.clone()).await.unwrap();
        for i in 0..20 {
            let hub = if i % 3 == 0 { b } else { a };
            store
                .append(req(hub, &format!("s-{i}"), 1 + i % 2, None))
                .await
                .unwrap();
        }
        let events = store.read_all(0, usize::MAX).await.unwrap();
        let heads = (
            store.chain_head(a).await.unwrap(),
            store.chain_head(b).await.unwrap(),
        );
        store.close().await.unwrap();
        match store.append(req(a, "after-close", 1, None)).await {
            Err(StoreError::Unavailable(_)) => {}
            other => panic!("an append after close must be Unavailable: {other:?}"),
        }
        (events, heads, receipt)
    };

    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(
        store.read_all(0, usize::MAX).await.unwrap(),
        events,
        "identical envelopes"
    );
    assert_eq!(store.head_position().await.unwrap(), events.len() as u64);
    assert_eq!(store.chain_head(a).await.unwrap(), heads.0, "hub a's head");
    assert_eq!(store.chain_head(b).await.unwrap(), heads.1, "hub b's head");
    let mut hubs = vec![a, b];
    hubs.sort();
    assert_eq!(store.hubs().await.unwrap(), hubs);
    assert_eq!(store.stream_version("s-keyed").await.unwrap(), 2);
    assert_eq!(
        store.append(keyed).await.unwrap(),
        receipt,
        "idempotency survives reopen"
    );
    assert_eq!(store.head_position().await.unwrap(), events.len() as u64);
    let next = store.append(req(a, "s-keyed", 1, None)).await.unwrap();
    assert_eq!(
        next.first_position,
        events.len() as u64 + 1,
        "positions continue"
    );
    assert_eq!(
        next.last_hub_seq,
        heads.0.hub_seq + 1,
        "hub sequence continues"
    );
    assert_eq!(next.stream_version, 3, "stream version continues");
    for v in store.verify_all().await.unwrap() {
        assert!(
            matches!(v, Verification::Ok(_)),
            "chains verify after reopen: {v:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_without_close_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Uuid::now_v7();
    let acknowledged = {
        let store = SledStore::open(dir.path()).unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let s = store.clone();
                tokio::spawn(async move { s.append(req(hub, &format!("d-{i}"), 2, None)).await })
            })
            .collect();
        let mut n = 0;
        for t in tasks {
            t.await.unwrap().unwrap();
            n += 2;
        }
        n
    };
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.head_position().await.unwrap(), acknowledged);
    assert_eq!(store.chain_head(hub).await.unwrap().hub_seq, acknowledged);
    assert!(matches!(
        store.verify_hub(hub).await.unwrap(),
        Verification::Ok(_)
    ));
}

/// Two hubs, interleaved: hub `a`'s event `k` is at position `2k - 1`.
async fn tamper_fixture(dir: &Path) -> (SledStore, Uuid, Uuid) {
    let store = SledStore::open(dir).unwrap();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    for i in 0..8 {
        store
            .append(req(a, &format!("a-{i}"), 1, None))
            .await
            .unwrap();
        store
            .append(req(b, &format!("b-{i}"), 1, None))
            .await
            .unwrap();
    }
    assert!(matches!(
        store.verify_hub(a).await.unwrap(),
        Verification::Ok(_)
    ));
    (store, a, b)
}

fn pos(seq: u64) -> u64 {
    2 * seq - 1
}

async fn assert_broken_at(store: &SledStore, hub: Uuid, seq: u64, position: u64, case: &str) {
    match store.verify_hub(hub).await.unwrap() {
        Verification::Broken {
            hub_id,
            hub_seq,
            position: p,
            reason,
        } => {
            assert_eq!(hub_id, hub, "{case}: hub");
            assert_eq!(
                (hub_seq, p),
                (seq, Some(position)),
                "{case}: wrong event named ({reason})"
            );
        }
        ok => panic!("{case}: tampering must be detected, got {ok:?}"),
    }
}

async fn assert_ok(store: &SledStore, hub: Uuid, case: &str) {
    let v = store.verify_hub(hub).await.unwrap();
    assert!(
        matches!(v, Verification::Ok(_)),
        "{case}: the other hub verifies: {v:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_byte_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (store, a, b) = tamper_fixture(dir.path()).await;
    let mut bytes = store.raw_event_bytes(pos(4)).unwrap().unwrap();
    let at = bytes
        .windows(8)
        .position(|w| w == b"original")
        .expect("payload in stored bytes");
    bytes[at] = b'O'; // still valid JSON: only the hash can tell
    store.raw_put_event_bytes(pos(4), &bytes).unwrap();
    assert_broken_at(&store, a, 4, pos(4), "changed payload byte").await;
    assert_ok(&store, b, "changed byte").await;

    // A byte that breaks the encoding is named just the same.
    let mut bytes = store.raw_event_bytes(pos(2)).unwrap().unwrap();
    bytes[0] = b'#';
    store.raw_put_event_bytes(pos(2), &bytes).unwrap();
    assert_broken_at(&store, a, 2, pos(2), "undecodable bytes").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_event_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (store, a, b) = tamper_fixture(dir.path()).await;
    store.raw_remove_event(pos(5)).unwrap();
    assert_broken_at(&store, a, 5, pos(5), "deleted event").await;
    assert_ok(&store, b, "deleted event").await;

    // Deleting the last event (the head) is caught too.
    let dir = tempfile::tempdir().unwrap();
    let (store, a, _) = tamper_fixture(dir.path()).await;
    store.raw_remove_event(pos(8)).unwrap();
    assert_broken_at(&store, a, 8, pos(8), "deleted head").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapped_events_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (store, a, b) = tamper_fixture(dir.path()).await;
    let x = store.raw_event_bytes(pos(3)).unwrap().unwrap();
    let y = store.raw_event_bytes(pos(6)).unwrap().unwrap();
    store.raw_put_event_bytes(pos(3), &y).unwrap();
    store.raw_put_event_bytes(pos(6), &x).unwrap();
    assert_broken_at(&store, a, 3, pos(3), "swapped events").await;
    assert_ok(&store, b, "swapped events").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inserted_event_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (store, a, b) = tamper_fixture(dir.path()).await;
    // A forged copy of event 4, internally consistent (re-sealed), stored after the head.
    let bytes = store.raw_event_bytes(pos(4)).unwrap().unwrap();
    let mut forged: Envelope = serde_json::from_slice(&bytes).unwrap();
    forged.payload = json!({"i": 0, "tag": "forged"});
    forged.event_id = Uuid::now_v7();
    let at = store.head_position().await.unwrap() + 1;
    forged.position = at;
    let prev = forged.prev_hash.clone();
    chain::seal(&mut forged, &prev);
    store
        .raw_put_event_bytes(at, &serde_json::to_vec(&forged).unwrap())
        .unwrap();
    assert_broken_at(&store, a, 4, at, "inserted event").await;
    assert_ok(&store, b, "inserted event").await;
    let all = store.verify_all().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        all.iter()
            .filter(|v| matches!(v, Verification::Broken { .. }))
            .count(),
        1,
        "verify_all reports exactly the tampered hub: {all:?}"
    );

    // An event appended to the end of the chain behind the writer's back is caught too.
    let dir = tempfile::tempdir().unwrap();
    let (store, a, _) = tamper_fixture(dir.path()).await;
    let head = store.chain_head(a).await.unwrap();
    let last: Envelope =
        serde_json::from_slice(&store.raw_event_bytes(pos(8)).unwrap().unwrap()).unwrap();
    let mut extra = last.clone();
    extra.event_id = Uuid::now_v7();
    extra.hub_seq = head.hub_seq + 1;
    extra.position = store.head_position().await.unwrap() + 1;
    chain::seal(&mut extra, &head.hash);
    store
        .raw_put_event_bytes(extra.position, &serde_json::to_vec(&extra).unwrap())
        .unwrap();
    assert_broken_at(&store, a, 9, extra.position, "appended behind the writer").await;
}
