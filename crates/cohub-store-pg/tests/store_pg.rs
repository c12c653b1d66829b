//! Behaviour of `PgStore` against a live PostgreSQL (one schema per test).

mod common;

use cohub_store::chain::GENESIS_HASH;
use cohub_store::{EventStore, ExpectedVersion, StoreError, Verification};
use common::{request, TestSchema};
use futures::StreamExt;
use sqlx::Executor;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread")]
async fn append_then_read_back_everywhere() {
    let db = TestSchema::new().await;
    let store = db.store().await;
    store.ping().await.unwrap();
    let hub = Uuid::now_v7();
    assert_eq!(store.head_position().await.unwrap(), 0);
    assert_eq!(store.chain_head(hub).await.unwrap().hash, GENESIS_HASH);
    assert!(store.hubs().await.unwrap().is_empty());

    let r1 = store
        .append(request(hub, "s-1", ExpectedVersion::NoStream, 2))
        .await
        .unwrap();
    assert_eq!((r1.first_position, r1.last_position), (1, 2));
    assert_eq!((r1.last_hub_seq, r1.stream_version), (2, 2));
    let r2 = store
        .append(request(hub, "s-2", ExpectedVersion::Any, 1))
        .await
        .unwrap();
    assert_eq!(
        (r2.first_position, r2.last_hub_seq, r2.stream_version),
        (3, 3, 1)
    );
    let r3 = store
        .append(request(hub, "s-1", ExpectedVersion::Exact(2), 1))
        .await
        .unwrap();
    assert_eq!((r3.first_position, r3.stream_version), (4, 3));

    let all = store.read_all(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(
        all.iter().map(|e| e.hub_seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(all[0].prev_hash, GENESIS_HASH);
    assert_eq!(all[1].prev_hash, all[0].hash);
    assert_eq!(all[3].hash, r3.hash);
    assert_eq!(all[0].recorded_at, r1.recorded_at);
    assert_eq!(store.read_all(2, 1).await.unwrap()[0].position, 3);
    assert!(store.read_all(4, 10).await.unwrap().is_empty());

    let s1 = store.read_stream("s-1", 0).await.unwrap();
    assert_eq!(
        s1.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(store.read_stream("s-1", 2).await.unwrap().len(), 1);
    assert_eq!(store.stream_version("s-1").await.unwrap(), 3);
    assert_eq!(store.stream_version("nope").await.unwrap(), 0);
    assert_eq!(store.read_hub(hub, 1, 2).await.unwrap().len(), 2);
    assert_eq!(store.head_position().await.unwrap(), 4);
    assert_eq!(store.hubs().await.unwrap(), vec![hub]);
    let head = store.chain_head(hub).await.unwrap();
    assert_eq!((head.hub_seq, head.hash.clone()), (4, r3.hash.clone()));
    assert_eq!(store.verify_hub(hub).await.unwrap(), Verification::Ok(head));
}

#[tokio::test(flavor = "multi_thread")]
async fn versions_conflict_and_streams_belong_to_one_hub() {
    let db = TestSchema::new().await;
    let store = db.store().await;
    let hub = Uuid::now_v7();
    store
        .append(request(hub, "s", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    let e = store
        .append(request(hub, "s", ExpectedVersion::NoStream, 1))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { actual: 1, .. }), "{e:?}");
    let e = store
        .append(request(hub, "s", ExpectedVersion::Exact(0), 1))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    let e = store
        .append(request(Uuid::now_v7(), "s", ExpectedVersion::Any, 1))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongHub { .. }), "{e:?}");
    let e = store
        .append(request(hub, "s", ExpectedVersion::Any, 0))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
    // Refused appends leave no trace: no position, no hub, no sequence consumed.
    assert_eq!(store.head_position().await.unwrap(), 1);
    assert_eq!(store.hubs().await.unwrap(), vec![hub]);
    let r = store
        .append(request(hub, "s", ExpectedVersion::Exact(1), 1))
        .await
        .unwrap();
    assert_eq!(
        (r.first_position, r.last_hub_seq, r.stream_version),
        (2, 2, 2)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_key_returns_first_receipt() {
    let db = TestSchema::new().await;
    let store = db.store().await;
    let hub = Uuid::now_v7();
    let mut req = request(hub, "s", ExpectedVersion::NoStream, 2);
    req.idempotency_key = Some("k-1".into());
    let first = store.append(req.clone()).await.unwrap();
    let again = store.append(req.clone()).await.unwrap();
    assert_eq!(first, again);
    let actor = req.actor.member_id;
    assert_eq!(
        store.idempotent_receipt(hub, actor, "k-1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.idempotent_receipt(hub, actor, "k-2").await.unwrap(),
        None
    );
    assert_eq!(store.head_position().await.unwrap(), 2);
    let events = store.read_all(0, 10).await.unwrap();
    assert_eq!(events[0].idempotency_key.as_deref(), Some("k-1"));

    let mut other = request(hub, "s", ExpectedVersion::Exact(2), 1);
    other.actor = req.actor.clone();
    other.idempotency_key = Some("k-1".into());
    let e = store.append(other).await.unwrap_err();
    assert!(matches!(e, StoreError::IdempotencyMismatch { .. }), "{e:?}");
    // The same key in another hub is another key.
    let mut elsewhere = request(Uuid::now_v7(), "t", ExpectedVersion::NoStream, 1);
    elsewhere.idempotency_key = Some("k-1".into());
    store.append(elsewhere).await.unwrap();
    assert_eq!(store.head_position().await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn hashes_recompute_from_stored_data() {
    let db = TestSchema::new().await;
    let store = db.store().await;
    let hub = Uuid::now_v7();
    let mut req = request(hub, "s", ExpectedVersion::NoStream, 1);
    req.events[0].payload = serde_json::json!({
        "z": [1.2345678901234567, 9007199254740993.0, 0.1, 1e-7, 1.7976931348623157e308, -0.0, 2.5e-308],
        "a": { "y": "é ✓ \u{1F600} \"q\" \\ \n", "b": null, "x": [true, false] },
        "m": 18446744073709551615u64, "n": -9223372036854775808i64,
        "f": 0.30000000000000004, "g": 123456789.12345678
    });
    req.actor.organisation_id = Some(Uuid::now_v7());
    req.actor.stakeholder_kind = Some("community_organisation".into());
    req.causation_id = Some(Uuid::now_v7());
    let r = store.append(req.clone()).await.unwrap();
    // A different process reads it back identically and the chain verifies.
    let other = db.store().await;
    let back = other.read_stream("s", 0).await.unwrap();
    assert_eq!(back[0].payload, req.events[0].payload);
    assert_eq!(back[0].actor, req.actor);
    assert_eq!(back[0].hash, r.hash);
    assert!(matches!(
        other.verify_hub(hub).await.unwrap(),
        Verification::Ok(_)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_the_first_tampered_event() {
    let db = TestSchema::new().await;
    let store = db.store().await;
    let hub = Uuid::now_v7();
    for _ in 0..5 {
        store
            .append(request(hub, "s", ExpectedVersion::Any, 1))
            .await
            .unwrap();
    }
    let mut raw = db.raw().await;
    raw.execute("UPDATE events SET payload = '{\"i\":99}' WHERE hub_seq = 3")
        .await
        .unwrap();
    match store.verify_hub(hub).await.unwrap() {
        Verification::Broken {
            hub_seq, position, ..
        } => {
            assert_eq!((hub_seq, position), (3, Some(3)))
        }
        v => panic!("tampering not detected: {v:?}"),
    }
    let db2 = TestSchema::new().await;
    let store = db2.store().await;
    for _ in 0..3 {
        store
            .append(request(hub, "s", ExpectedVersion::Any, 1))
            .await
            .unwrap();
    }
    let mut raw = db2.raw().await;
    raw.execute("DELETE FROM events WHERE hub_seq = 3")
        .await
        .unwrap();
    match store.verify_hub(hub).await.unwrap() {
        Verification::Broken { hub_seq, .. } => assert_eq!(hub_seq, 3),
        v => panic!("a removed last event was not detected: {v:?}"),
    }
    raw.execute("DELETE FROM events WHERE hub_seq = 2")
        .await
        .unwrap();
    raw.execute("UPDATE hubs SET last_seq = 1").await.unwrap();
    assert!(matches!(
        store.verify_hub(hub).await.unwrap(),
        Verification::Broken { .. }
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribe_catches_up_then_follows_live_from_another_process() {
    let db = TestSchema::new().await;
    let writer = db.store().await;
    let reader = db.store().await;
    let hub = Uuid::now_v7();
    for _ in 0..3 {
        writer
            .append(request(hub, "s", ExpectedVersion::Any, 2))
            .await
            .unwrap();
    }
    let mut from_two = reader.subscribe(2);
    let mut from_zero = reader.subscribe(0);
    let first: Vec<u64> = tokio::time::timeout(
        Duration::from_secs(10),
        (&mut from_zero)
            .take(6)
            .map(|e| e.unwrap().position)
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    assert_eq!(first, [1, 2, 3, 4, 5, 6]);

    // Live events from another pool arrive promptly (woken by NOTIFY, not only the 1 s poll).
    let started = std::time::Instant::now();
    let w = writer.clone();
    tokio::spawn(async move {
        for _ in 0..10 {
            w.append(request(hub, "s", ExpectedVersion::Any, 1))
                .await
                .unwrap();
        }
    });
    let live: Vec<u64> = tokio::time::timeout(
        Duration::from_secs(10),
        (&mut from_zero)
            .take(10)
            .map(|e| e.unwrap().position)
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    assert_eq!(live, (7..=16).collect::<Vec<_>>());
    assert!(started.elapsed() < Duration::from_secs(5));
    let rest: Vec<u64> = tokio::time::timeout(
        Duration::from_secs(10),
        (&mut from_two)
            .take(14)
            .map(|e| e.unwrap().position)
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    assert_eq!(rest, (3..=16).collect::<Vec<_>>());
    // Nothing more (no duplicates) until something new is appended.
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), from_zero.next())
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_notification_loses_nothing() {
    let db = TestSchema::new().await;
    let writer = db.store().await;
    let hub = Uuid::now_v7();
    // The subscription keeps working after the store handle that made it is dropped.
    let mut sub = {
        let reader = db.store().await;
        reader.subscribe(0)
    };
    writer
        .append(request(hub, "s", ExpectedVersion::Any, 1))
        .await
        .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(e.position, 1);
    // An event committed without any NOTIFY (as if the notification were lost) still arrives,
    // by the fallback poll.
    let mut raw = db.raw().await;
    raw.execute(
        "BEGIN; UPDATE log_head SET position = position + 1; \
         INSERT INTO events SELECT 2, hub_id, 2, stream_id, 2, event_id, recorded_at, \
           actor_member_id, actor_organisation_id, actor_stakeholder_kind, actor_role, \
           correlation_id, causation_id, idempotency_key, event_type, schema_version, payload, \
           hash, hash FROM events WHERE position = 1; COMMIT;",
    )
    .await
    .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("the polled event arrives")
        .unwrap()
        .unwrap();
    assert_eq!(e.position, 2);
}

/// A PostgreSQL test without PostgreSQL fails (here: a port nothing listens on); it never
/// passes by skipping, whether or not `CI` is set.
#[tokio::test]
#[should_panic(expected = "is unreachable")]
async fn a_test_without_postgres_fails_instead_of_skipping() {
    TestSchema::new_at("postgres://postgres@127.0.0.1:9/test".into()).await;
}

/// A server's subscribers take what that server just committed without reading it back, and
/// read the rest (another server's events, in the gaps between its own) from the table: the
/// positions arrive once each, in order, each envelope exactly as the table holds it.
#[tokio::test(flavor = "multi_thread")]
async fn own_and_other_servers_events_arrive_once_in_order_exactly_as_stored() {
    let db = TestSchema::new().await;
    let here = db.store().await;
    let there = db.store().await;
    let hub = Uuid::now_v7();
    let mut sub = here.subscribe(0);
    // Interleaved: here, there, here, here, there, ... in bursts from both at once too.
    for round in 0..10 {
        here.append(request(hub, "s", ExpectedVersion::Any, 1 + round % 3))
            .await
            .unwrap();
        if round % 2 == 0 {
            there
                .append(request(hub, "s", ExpectedVersion::Any, 1))
                .await
                .unwrap();
        }
    }
    let (a, b) = (here.clone(), there.clone());
    let burst = tokio::spawn(async move {
        let mine = async {
            for _ in 0..20 {
                a.append(request(hub, "s", ExpectedVersion::Any, 1))
                    .await
                    .unwrap();
            }
        };
        let theirs = async {
            for _ in 0..20 {
                b.append(request(hub, "s", ExpectedVersion::Any, 1))
                    .await
                    .unwrap();
            }
        };
        tokio::join!(mine, theirs);
    });
    burst.await.unwrap();
    let head = here.head_position().await.unwrap();
    let delivered: Vec<_> = tokio::time::timeout(
        Duration::from_secs(10),
        (&mut sub)
            .take(head as usize)
            .map(|e| e.unwrap())
            .collect::<Vec<_>>(),
    )
    .await
    .expect("every event arrives promptly");
    let stored = here.read_all(0, head as usize).await.unwrap();
    assert_eq!(stored.len() as u64, head);
    assert_eq!(delivered, stored, "the same envelopes, in order, once each");
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), sub.next())
            .await
            .is_err(),
        "nothing more until something new is appended"
    );
}

/// Events a server commits reach its own subscribers without a read of the table per event:
/// thirty appends, each delivered before the next is made, cost a handful of reads (the
/// catch-up, the fallback poll), not thirty.
#[tokio::test(flavor = "multi_thread")]
async fn own_commits_reach_own_subscribers_without_reading_them_back() {
    let db = TestSchema::new().await;
    let store = db.store().await;
    let hub = Uuid::now_v7();
    let mut sub = store.subscribe(0);
    store
        .append(request(hub, "s", ExpectedVersion::Any, 1))
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().position, 1);
    let before = store.subscription_reads();
    for n in 2..=31u64 {
        store
            .append(request(hub, "s", ExpectedVersion::Any, 1))
            .await
            .unwrap();
        let e = tokio::time::timeout(Duration::from_secs(5), sub.next())
            .await
            .expect("delivered promptly")
            .unwrap()
            .unwrap();
        assert_eq!(e.position, n);
    }
    let reads = store.subscription_reads() - before;
    assert!(
        reads <= 5,
        "30 own appends cost {reads} reads of the table; each should have been handed over"
    );
}
