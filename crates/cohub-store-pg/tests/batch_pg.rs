//! Group commit: appends waiting together are written in one transaction, and each is
//! answered exactly as it would be alone.

mod common;

use cohub_store::{AppendRequest, EventStore, ExpectedVersion, StoreError, Verification};
use common::{request, TestSchema};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;
use uuid::Uuid;

fn keyed(mut req: AppendRequest, key: &str) -> AppendRequest {
    req.idempotency_key = Some(key.to_string());
    req
}

/// Ten appends placed together (one batch): chained appends to one stream, a stale version, a
/// stream of another hub, a repeat and a misuse of a key used earlier in the same batch, a
/// repeat of a key stored before, a new stream and an invalid append. Each gets the answer it
/// would get alone; the written ones take contiguous positions in placing order, their hubs'
/// chains verify, and nothing else is written.
#[tokio::test]
async fn a_batch_answers_each_append_as_it_would_alone() {
    let db = TestSchema::new().await;
    let store = db.store().await;
    let (h1, h2, h3, h4) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    store
        .append(request(h1, "old", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    store
        .append(request(h2, "theirs", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    let stored = keyed(request(h1, "kept", ExpectedVersion::NoStream, 1), "k-old");
    let stored_receipt = store.append(stored.clone()).await.unwrap();
    let before = store.head_position().await.unwrap();
    assert_eq!(before, 3);

    let first_keyed = keyed(request(h1, "new-a", ExpectedVersion::NoStream, 1), "k1");
    let mut misuse = keyed(request(h1, "new-b", ExpectedVersion::NoStream, 1), "k1");
    misuse.actor = first_keyed.actor.clone();
    let mut empty = request(h4, "empty", ExpectedVersion::Any, 1);
    empty.events.clear();
    let reqs = vec![
        request(h1, "old", ExpectedVersion::Exact(1), 2), // 0: lands, version 3
        request(h1, "old", ExpectedVersion::Exact(3), 1), // 1: counts on 0, version 4
        request(h1, "old", ExpectedVersion::Exact(1), 1), // 2: stale
        request(h3, "theirs", ExpectedVersion::Any, 1),   // 3: h2's stream
        first_keyed.clone(),                              // 4: lands
        first_keyed,                                      // 5: repeat of 4
        misuse,                                           // 6: k1 again, another request
        stored,                                           // 7: repeat of a stored one
        request(h4, "fresh", ExpectedVersion::NoStream, 2), // 8: lands
        empty,                                            // 9: invalid
    ];
    let mut placed = Vec::new();
    for req in reqs {
        placed.push(store.place(req).await);
    }
    let mut answers = Vec::new();
    for p in placed {
        answers.push(p.await);
    }
    assert_eq!(store.writer_stats().batches.load(Ordering::Relaxed), 1);

    let ok = |i: usize| answers[i].as_ref().unwrap_or_else(|e| panic!("{i}: {e}"));
    assert_eq!((ok(0).first_position, ok(0).last_position), (4, 5));
    assert_eq!(ok(0).stream_version, 3);
    assert_eq!((ok(1).first_position, ok(1).stream_version), (6, 4));
    assert!(matches!(
        &answers[2],
        Err(StoreError::Conflict { actual: 4, .. })
    ));
    assert!(matches!(&answers[3], Err(StoreError::WrongHub { .. })));
    assert_eq!(ok(4).first_position, 7);
    assert_eq!(
        ok(5),
        ok(4),
        "a repeat in the batch gets the first's receipt"
    );
    assert!(matches!(
        &answers[6],
        Err(StoreError::IdempotencyMismatch { .. })
    ));
    assert_eq!(ok(7), &stored_receipt);
    assert_eq!((ok(8).first_position, ok(8).last_position), (8, 9));
    assert!(matches!(&answers[9], Err(StoreError::Invalid(_))));

    // Hub sequences continue each hub's chain: h1 had 2 events, then 2 + 1 + 1.
    assert_eq!(ok(0).last_hub_seq, 4);
    assert_eq!(ok(1).last_hub_seq, 5);
    assert_eq!(ok(4).last_hub_seq, 6);
    assert_eq!(ok(8).last_hub_seq, 2);

    let all = store.read_all(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
    let by_stream: HashMap<&str, u64> = all.iter().fold(HashMap::new(), |mut m, e| {
        *m.entry(e.stream_id.as_str()).or_default() += 1;
        m
    });
    assert_eq!(by_stream["old"], 4);
    assert_eq!(by_stream["new-a"], 1);
    assert!(!by_stream.contains_key("new-b") && !by_stream.contains_key("empty"));
    for hub in [h1, h2, h4] {
        assert!(
            matches!(store.verify_hub(hub).await.unwrap(), Verification::Ok(_)),
            "hub {hub} verifies"
        );
    }
    // The streams table agrees with the log, so the next append is checked against it.
    let next = store
        .append(request(h1, "old", ExpectedVersion::Exact(4), 1))
        .await
        .unwrap();
    assert_eq!(next.stream_version, 5);
    let retry = store.append(keyed(request(h4, "x", ExpectedVersion::Any, 1), "k1"));
    assert!(retry.await.is_ok(), "a key is per hub: k1 in h4 is new");
}

/// A batch that loses a race with another server (a stream it thought new was made by another
/// hub's append meanwhile) writes nothing, and each of its appends is retried on its own and
/// answered exactly.
#[tokio::test]
async fn a_batch_that_loses_a_race_is_retried_append_by_append() {
    let db = TestSchema::new().await;
    let other = db.store().await;
    let store = db.store().await;
    let (h1, h2, h3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());

    // The other server's append makes stream S in h1 and holds its transaction open.
    let mut pause = other.pause_next_append_before_commit();
    let o = other.clone();
    let held =
        tokio::spawn(async move { o.append(request(h1, "S", ExpectedVersion::Any, 1)).await });
    pause.reached().await;

    // This server's batch wants S in h2 and T in h3; it waits for the tail lock meanwhile.
    let s = store
        .place(request(h2, "S", ExpectedVersion::NoStream, 1))
        .await;
    let t = store
        .place(request(h3, "T", ExpectedVersion::NoStream, 1))
        .await;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        pause.release();
    });
    assert!(held.await.unwrap().is_ok());
    let (s, t) = (s.await, t.await);
    assert_eq!(store.writer_stats().retried.load(Ordering::Relaxed), 1);
    assert!(
        matches!(s, Err(StoreError::WrongHub { .. })),
        "S is h1's: {s:?}"
    );
    let t = t.unwrap();
    assert_eq!((t.first_position, t.stream_version), (2, 1));
    let all = store.read_all(0, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    for hub in [h1, h3] {
        assert!(matches!(
            store.verify_hub(hub).await.unwrap(),
            Verification::Ok(_)
        ));
    }
}
