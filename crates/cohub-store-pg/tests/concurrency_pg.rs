//! Several processes (pools) on one database: visibility, races, idempotency under retries.

mod common;

use cohub_store::{EventStore, ExpectedVersion, StoreError, Verification};
use cohub_store_pg::PgStore;
use common::{request, TestSchema};
use futures::StreamExt;
use std::time::Duration;
use uuid::Uuid;

async fn stores(db: &TestSchema, n: usize) -> Vec<PgStore> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(db.store().await);
    }
    v
}

/// The skipped-event trap: an append holds its transaction open after inserting its events
/// while others try to commit. Nobody may ever observe a later position before the held one
/// commits, so neither `read_all` nor a subscriber can skip it.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_transaction_is_never_skipped() {
    let db = TestSchema::new().await;
    let held = db.store().await;
    let others = db.store().await;
    let reader = db.store().await;
    let hub_a = Uuid::now_v7();
    others
        .append(request(Uuid::now_v7(), "warm-up", ExpectedVersion::Any, 1))
        .await
        .unwrap();

    let mut sub = reader.subscribe(0);
    let first = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.position, 1);
    let collector = tokio::spawn(async move {
        (&mut sub)
            .take(5)
            .map(|e| e.unwrap().position)
            .collect::<Vec<_>>()
            .await
    });

    let mut pause = held.pause_next_append_before_commit();
    let h = held.clone();
    let held_append = tokio::spawn(async move {
        h.append(request(hub_a, "held", ExpectedVersion::Any, 2))
            .await
    });
    pause.reached().await;

    // Other processes append to other hubs while the held transaction is open.
    let mut later = Vec::new();
    for i in 0..3 {
        let o = others.clone();
        later.push(tokio::spawn(async move {
            o.append(request(
                Uuid::now_v7(),
                &format!("other-{i}"),
                ExpectedVersion::Any,
                1,
            ))
            .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Nothing beyond the last committed position is visible, and nothing past the held
    // event's positions has committed: later appends wait for the tail lock.
    assert_eq!(
        reader
            .read_all(0, 100)
            .await
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(reader.head_position().await.unwrap(), 1);
    assert!(later.iter().all(|t| !t.is_finished()));
    assert!(!collector.is_finished());

    pause.release();
    let r = held_append.await.unwrap().unwrap();
    assert_eq!((r.first_position, r.last_position), (2, 3));
    for t in later {
        t.await.unwrap().unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(10), collector)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen, [2, 3, 4, 5, 6]);
    let all: Vec<u64> = reader
        .read_all(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(all, (1..=6).collect::<Vec<_>>());
}

/// A refused append (rolled back after taking the hub lock) consumes no position or sequence.
#[tokio::test(flavor = "multi_thread")]
async fn a_rolled_back_append_leaves_no_gap() {
    let db = TestSchema::new().await;
    let s = stores(&db, 2).await;
    let hub = Uuid::now_v7();
    s[0].append(request(hub, "s", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    // A stale append fails after taking the hub lock; then a batch races a conflicting one.
    let e = s[1]
        .append(request(hub, "s", ExpectedVersion::NoStream, 3))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }));
    let r = s[1]
        .append(request(hub, "s", ExpectedVersion::Exact(1), 3))
        .await
        .unwrap();
    assert_eq!(
        (r.first_position, r.last_position, r.last_hub_seq),
        (2, 4, 4)
    );
}

/// Many processes race for each version of one stream: exactly one wins each round.
#[tokio::test(flavor = "multi_thread")]
async fn one_winner_per_stream_version() {
    let db = TestSchema::new().await;
    let s = stores(&db, 4).await;
    let hub = Uuid::now_v7();
    s[0].append(request(hub, "race", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    for version in 1..=5u64 {
        let mut tasks = Vec::new();
        for i in 0..12 {
            let st = s[i % s.len()].clone();
            tasks.push(tokio::spawn(async move {
                st.append(request(hub, "race", ExpectedVersion::Exact(version), 1))
                    .await
            }));
        }
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(r) => {
                    wins += 1;
                    assert_eq!(r.stream_version, version + 1);
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => panic!("unexpected error: {e:?}"),
            }
        }
        assert_eq!(wins, 1, "round {version}");
    }
    assert_eq!(s[1].stream_version("race").await.unwrap(), 6);
    let all: Vec<u64> = s[2]
        .read_all(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(all, (1..=6).collect::<Vec<_>>());
    assert!(matches!(s[3].verify_hub(hub).await.unwrap(), Verification::Ok(h) if h.hub_seq == 6));
}

/// A new stream created at once under two hubs: one wins, the other is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_stream_raced_from_two_hubs_has_one_owner() {
    let db = TestSchema::new().await;
    let s = stores(&db, 2).await;
    for round in 0..10 {
        let stream = format!("contested-{round}");
        let (a, b) = (s[0].clone(), s[1].clone());
        let (sa, sb) = (stream.clone(), stream.clone());
        let ta = tokio::spawn(async move {
            a.append(request(Uuid::now_v7(), &sa, ExpectedVersion::Any, 1))
                .await
        });
        let tb = tokio::spawn(async move {
            b.append(request(Uuid::now_v7(), &sb, ExpectedVersion::Any, 1))
                .await
        });
        let results = [ta.await.unwrap(), tb.await.unwrap()];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, StoreError::Conflict { .. } | StoreError::WrongHub { .. }),
                    "{e:?}"
                );
            }
        }
        assert_eq!(s[0].stream_version(&stream).await.unwrap(), 1);
    }
    let all = s[0].read_all(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
}

/// Many processes append to many hubs at once: all succeed, positions are gap-free, every
/// chain verifies, and a live subscriber sees every event once, in order.
#[tokio::test(flavor = "multi_thread")]
async fn different_hubs_append_in_parallel() {
    let db = TestSchema::new().await;
    let s = stores(&db, 4).await;
    let hubs: Vec<Uuid> = (0..8).map(|_| Uuid::now_v7()).collect();
    let per_hub = 10;
    let total = hubs.len() * per_hub * 2;
    let mut sub = s[0].subscribe(0);
    let collector = tokio::spawn(async move {
        (&mut sub)
            .take(total)
            .map(|e| e.unwrap().position)
            .collect::<Vec<_>>()
            .await
    });
    let mut tasks = Vec::new();
    for (i, hub) in hubs.iter().copied().enumerate() {
        let st = s[i % s.len()].clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_hub {
                st.append(request(hub, &format!("s-{hub}"), ExpectedVersion::Any, 2))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let all = s[1].read_all(0, 10_000).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1..=total as u64).collect::<Vec<_>>()
    );
    for hub in &hubs {
        match s[2].verify_hub(*hub).await.unwrap() {
            Verification::Ok(head) => assert_eq!(head.hub_seq, (per_hub * 2) as u64),
            v => panic!("{v:?}"),
        }
    }
    let mut listed = s[3].hubs().await.unwrap();
    listed.sort();
    let mut expected = hubs.clone();
    expected.sort();
    assert_eq!(listed, expected);
    let seen = tokio::time::timeout(Duration::from_secs(20), collector)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen, (1..=total as u64).collect::<Vec<_>>());
}

/// Concurrent retries of one request with one idempotency key append exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_retries_append_once() {
    let db = TestSchema::new().await;
    let s = stores(&db, 4).await;
    let hub = Uuid::now_v7();
    let mut req = request(hub, "once", ExpectedVersion::NoStream, 3);
    req.idempotency_key = Some("retry-me".into());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let st = s[i % s.len()].clone();
        let req = req.clone();
        tasks.push(tokio::spawn(async move { st.append(req).await }));
    }
    let mut receipts = Vec::new();
    for t in tasks {
        receipts.push(t.await.unwrap().unwrap());
    }
    assert!(receipts.iter().all(|r| r == &receipts[0]));
    assert_eq!(s[0].head_position().await.unwrap(), 3);
    assert_eq!(s[0].read_all(0, 100).await.unwrap().len(), 3);
}

/// Processes starting together on an empty schema all migrate it without error.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_startup_migrates_once() {
    let db = TestSchema::new().await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (url, name) = (db.url.clone(), db.name.clone());
        tasks.push(tokio::spawn(async move {
            PgStore::connect_with_schema(&url, &name).await
        }));
    }
    let mut started = Vec::new();
    for t in tasks {
        started.push(t.await.unwrap().unwrap());
    }
    started[0]
        .append(request(Uuid::now_v7(), "s", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    assert_eq!(started[5].head_position().await.unwrap(), 1);
}
