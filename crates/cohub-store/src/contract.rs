//! The backend-independent contract suite for [`EventStore`] (feature `contract`).
//!
//! Every check takes an `Arc<dyn EventStore>` and panics with a clear message on failure.
//! Checks use fresh hub and stream ids and positions relative to the store's head, so the store
//! may already hold events, but nothing else may write to it while a check runs.
//! [`run_all`] runs every check, each against a store made by the caller's factory.

use crate::chain::GENESIS_HASH;
use crate::envelope::{
    ActorRef, AppendRequest, ChainHead, Envelope, ExpectedVersion, NewEvent, Receipt, Verification,
};
use crate::error::{ImportRefusalKind, StoreError};
use crate::store::EventStore;
use futures::StreamExt;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A store under test.
pub type Store = Arc<dyn EventStore>;

/// Calls the macro `$then!` with the name of every check of the suite: the one list that
/// [`run_all`] and each backend's per-check tests expand, so a new check is added once.
#[macro_export]
macro_rules! for_each_contract_check {
    ($then:ident) => {
        $then!(
            append_and_read_back,
            expected_version_conflict_never_overwrites,
            no_stream,
            idempotent_retry_returns_first_receipt,
            idempotency_mismatch,
            idempotency_keys_are_per_hub,
            idempotency_keys_are_per_actor,
            client_fingerprints_decide_repeats,
            idempotent_receipt_lookup,
            wrong_hub,
            empty_append_is_invalid,
            rejections_leave_state_unchanged,
            concurrent_appends_one_stream,
            placed_appends_keep_their_order,
            read_streams_answers_each_stream,
            concurrent_appends_many_streams,
            paging,
            chain_head_matches_receipts,
            verify_ok,
            subscription_catches_up_and_follows,
            import_writes_verbatim,
            import_keeps_client_fingerprints,
            import_refuses_what_breaks_the_log,
        );
    };
}

/// Runs every check, each on a store from `make` (called once per check).
pub async fn run_all<F, Fut, S>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
    S: EventStore,
{
    macro_rules! run {
        ($($check:ident),+ $(,)?) => {$(
            tracing::info!(check = stringify!($check), "contract check");
            $check(Arc::new(make().await)).await;
        )+};
    }
    crate::for_each_contract_check!(run);
}

/// A fresh stream id.
pub fn new_stream() -> String {
    format!("contract-{}", Uuid::now_v7())
}

/// An actor for test appends.
pub fn actor() -> ActorRef {
    ActorRef {
        member_id: Uuid::now_v7(),
        organisation_id: Some(Uuid::now_v7()),
        stakeholder_kind: Some("community_organisation".into()),
        role: "member".into(),
    }
}

/// An append of `n` events (`ContractEvent`, payload `{"n": i, "tag": tag}`).
pub fn request(
    hub: Uuid,
    stream: &str,
    expected: ExpectedVersion,
    n: usize,
    tag: &str,
) -> AppendRequest {
    AppendRequest {
        hub_id: hub,
        stream_id: stream.to_string(),
        expected_version: expected,
        actor: actor(),
        correlation_id: Uuid::now_v7(),
        causation_id: Some(Uuid::now_v7()),
        idempotency_key: None,
        client_fingerprint: None,
        events: (0..n)
            .map(|i| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "ContractEvent".into(),
                schema_version: 1,
                payload: json!({"n": i, "tag": tag, "nested": {"b": [1, 2.5, null], "a": "é"}}),
            })
            .collect(),
    }
}

async fn must_append(store: &Store, req: AppendRequest) -> Receipt {
    let what = format!("append to {}", req.stream_id);
    match store.append(req).await {
        Ok(r) => r,
        Err(e) => panic!("{what} should succeed but failed: {e}"),
    }
}

async fn all_after(store: &Store, after: u64) -> Vec<Envelope> {
    store
        .read_all(after, usize::MAX)
        .await
        .expect("read_all should succeed")
}

/// Appends, then reads back through every read path: fields, numbering, timestamps, hashes.
pub async fn append_and_read_back(store: Store) {
    let base = store.head_position().await.expect("head_position");
    let hub = Uuid::now_v7();
    let stream = new_stream();
    let mut req = request(hub, &stream, ExpectedVersion::NoStream, 3, "read-back");
    req.idempotency_key = Some(format!("key-{}", Uuid::now_v7()));
    let r = must_append(&store, req.clone()).await;
    assert_eq!(r.first_position, base + 1, "first position of the receipt");
    assert_eq!(r.last_position, base + 3, "last position of the receipt");
    assert_eq!(r.last_hub_seq, 3, "hub sequence of the receipt");
    assert_eq!(r.stream_version, 3, "stream version of the receipt");
    assert_eq!(r.hub_id, hub);
    assert_eq!(r.stream_id, stream);
    let ids: Vec<Uuid> = req.events.iter().map(|e| e.event_id).collect();
    assert_eq!(r.event_ids, ids, "receipt event ids");
    assert_eq!(
        r.recorded_at.timestamp_subsec_nanos() % 1000,
        0,
        "recorded_at must be truncated to microseconds"
    );

    let events = store.read_stream(&stream, 0).await.expect("read_stream");
    assert_eq!(events.len(), 3, "read_stream returns the appended events");
    let mut prev = GENESIS_HASH.to_string();
    for (i, (e, n)) in events.iter().zip(&req.events).enumerate() {
        let k = i as u64 + 1;
        assert_eq!(e.event_id, n.event_id, "event id {k}");
        assert_eq!(e.event_type, n.event_type, "event type {k}");
        assert_eq!(e.schema_version, n.schema_version, "schema version {k}");
        assert_eq!(
            e.payload, n.payload,
            "payload {k} survives storage unchanged"
        );
        assert_eq!(e.hub_id, hub, "hub of event {k}");
        assert_eq!(e.stream_id, stream, "stream of event {k}");
        assert_eq!(e.stream_version, k, "stream version of event {k}");
        assert_eq!(e.hub_seq, k, "hub sequence of event {k}");
        assert_eq!(e.position, base + k, "position of event {k}");
        assert_eq!(e.actor, req.actor, "actor of event {k}");
        assert_eq!(
            e.correlation_id, req.correlation_id,
            "correlation of event {k}"
        );
        assert_eq!(e.causation_id, req.causation_id, "causation of event {k}");
        assert_eq!(
            e.idempotency_key, req.idempotency_key,
            "idempotency key of event {k}"
        );
        assert_eq!(e.recorded_at, r.recorded_at, "recorded_at of event {k}");
        assert_eq!(e.prev_hash, prev, "event {k} links to the previous hash");
        assert_eq!(
            crate::chain::compute_hash(e),
            e.hash,
            "event {k}'s hash recomputes"
        );
        prev = e.hash.clone();
    }
    assert_eq!(r.hash, prev, "receipt hash is the last event's hash");
    assert_eq!(
        store
            .read_stream(&stream, 2)
            .await
            .expect("read_stream")
            .len(),
        1
    );
    assert_eq!(
        store.stream_version(&stream).await.expect("stream_version"),
        3
    );
    assert_eq!(
        store
            .stream_version(&new_stream())
            .await
            .expect("stream_version"),
        0
    );
    assert_eq!(
        all_after(&store, base).await,
        events,
        "read_all matches read_stream"
    );
    assert_eq!(
        store.read_hub(hub, 0, 100).await.expect("read_hub"),
        events,
        "read_hub"
    );
    assert_eq!(
        store.head_position().await.expect("head_position"),
        base + 3
    );
    assert!(
        store.hubs().await.expect("hubs").contains(&hub),
        "hubs lists the hub"
    );
    let head = store.chain_head(hub).await.expect("chain_head");
    assert_eq!(
        (head.hub_seq, head.hash),
        (3, r.hash),
        "chain head after the append"
    );
}

fn expect_conflict(result: Result<Receipt, StoreError>, actual: u64, what: &str) {
    match result {
        Err(StoreError::Conflict { actual: a, .. }) => {
            assert_eq!(a, actual, "{what}: conflict reports the current version")
        }
        Err(e) => panic!("{what}: expected a Conflict, got error {e}"),
        Ok(r) => panic!("{what}: expected a Conflict, but it was appended: {r:?}"),
    }
}

/// A stale expected version is a conflict and never overwrites.
pub async fn expected_version_conflict_never_overwrites(store: Store) {
    let hub = Uuid::now_v7();
    let stream = new_stream();
    must_append(
        &store,
        request(hub, &stream, ExpectedVersion::NoStream, 2, "a"),
    )
    .await;
    let before = store.read_stream(&stream, 0).await.expect("read_stream");
    let stale = store
        .append(request(hub, &stream, ExpectedVersion::Exact(1), 1, "stale"))
        .await;
    expect_conflict(stale, 2, "append at a stale version");
    let ahead = store
        .append(request(hub, &stream, ExpectedVersion::Exact(3), 1, "ahead"))
        .await;
    expect_conflict(ahead, 2, "append at a future version");
    assert_eq!(
        store.read_stream(&stream, 0).await.expect("read_stream"),
        before,
        "a conflict must not change the stream"
    );
    let r = must_append(
        &store,
        request(hub, &stream, ExpectedVersion::Exact(2), 1, "ok"),
    )
    .await;
    assert_eq!(
        r.stream_version, 3,
        "append at the current version goes through"
    );
    let r = must_append(
        &store,
        request(hub, &stream, ExpectedVersion::Any, 1, "any"),
    )
    .await;
    assert_eq!(r.stream_version, 4, "ExpectedVersion::Any appends");
}

/// `NoStream` succeeds only on a new stream, and `Exact(0)` means the same.
pub async fn no_stream(store: Store) {
    let hub = Uuid::now_v7();
    let stream = new_stream();
    must_append(
        &store,
        request(hub, &stream, ExpectedVersion::NoStream, 1, "first"),
    )
    .await;
    let again = store
        .append(request(hub, &stream, ExpectedVersion::NoStream, 1, "again"))
        .await;
    expect_conflict(again, 1, "NoStream on an existing stream");
    let other = new_stream();
    let r = must_append(
        &store,
        request(hub, &other, ExpectedVersion::Exact(0), 1, "x"),
    )
    .await;
    assert_eq!(r.stream_version, 1, "Exact(0) creates a stream");
    let third = new_stream();
    let r = must_append(&store, request(hub, &third, ExpectedVersion::Any, 2, "any")).await;
    assert_eq!(r.stream_version, 2, "Any creates a stream");
}

/// A retried append returns the first receipt and appends nothing.
pub async fn idempotent_retry_returns_first_receipt(store: Store) {
    let hub = Uuid::now_v7();
    let stream = new_stream();
    let mut req = request(hub, &stream, ExpectedVersion::NoStream, 2, "idem");
    req.idempotency_key = Some(format!("retry-{}", Uuid::now_v7()));
    let first = must_append(&store, req.clone()).await;
    let head = store.head_position().await.expect("head_position");
    let chain = store.chain_head(hub).await.expect("chain_head");
    for attempt in 0..3 {
        let again = must_append(&store, req.clone()).await;
        assert_eq!(
            again, first,
            "retry {attempt} must return the first receipt"
        );
    }
    // Concurrent retries too.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, r) = (store.clone(), req.clone());
            tokio::spawn(async move { s.append(r).await })
        })
        .collect();
    for t in tasks {
        let again = t
            .await
            .expect("task")
            .expect("concurrent retry should succeed");
        assert_eq!(
            again, first,
            "a concurrent retry must return the first receipt"
        );
    }
    assert_eq!(
        store.head_position().await.expect("head"),
        head,
        "a retry appends nothing"
    );
    assert_eq!(store.chain_head(hub).await.expect("chain_head"), chain);
    assert_eq!(store.read_stream(&stream, 0).await.expect("read").len(), 2);
}

/// A key reused by its actor for a different request is an `IdempotencyMismatch` and appends
/// nothing.
pub async fn idempotency_mismatch(store: Store) {
    let hub = Uuid::now_v7();
    let stream = new_stream();
    let key = format!("mismatch-{}", Uuid::now_v7());
    let mut req = request(hub, &stream, ExpectedVersion::NoStream, 1, "one");
    req.idempotency_key = Some(key.clone());
    let actor = req.actor.clone();
    must_append(&store, req).await;
    let head = store.head_position().await.expect("head_position");
    let mut other = request(hub, &stream, ExpectedVersion::Exact(1), 1, "two");
    other.actor = actor;
    other.idempotency_key = Some(key.clone());
    match store.append(other).await {
        Err(StoreError::IdempotencyMismatch { key: k }) => assert_eq!(k, key),
        other => panic!("reusing a key for another request must be IdempotencyMismatch: {other:?}"),
    }
    assert_eq!(
        store.head_position().await.expect("head"),
        head,
        "a mismatch appends nothing"
    );
    assert_eq!(store.stream_version(&stream).await.expect("version"), 1);
}

/// The same idempotency key on two hubs is two different keys.
pub async fn idempotency_keys_are_per_hub(store: Store) {
    let key = format!("shared-{}", Uuid::now_v7());
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut ra = request(a, &new_stream(), ExpectedVersion::NoStream, 1, "a");
    ra.idempotency_key = Some(key.clone());
    let mut rb = request(b, &new_stream(), ExpectedVersion::NoStream, 1, "b");
    rb.idempotency_key = Some(key);
    let first = must_append(&store, ra).await;
    let second = must_append(&store, rb).await;
    assert_ne!(
        first.first_position, second.first_position,
        "both appends happen"
    );
    assert_eq!(second.hub_id, b);
}

/// The same idempotency key sent by two actors in one hub is two keys: each append happens,
/// each actor's retry gets its own first receipt, and one actor's key never answers the other.
pub async fn idempotency_keys_are_per_actor(store: Store) {
    let hub = Uuid::now_v7();
    let key = format!("shared-{}", Uuid::now_v7());
    let mut champion = request(hub, &new_stream(), ExpectedVersion::NoStream, 1, "frame");
    champion.idempotency_key = Some(key.clone());
    let mut lead = request(hub, &new_stream(), ExpectedVersion::NoStream, 1, "consent");
    lead.idempotency_key = Some(key.clone());
    assert_ne!(champion.actor.member_id, lead.actor.member_id);
    let first = must_append(&store, champion.clone()).await;
    let second = must_append(&store, lead.clone()).await;
    assert_eq!(
        second.first_position,
        first.last_position + 1,
        "the second actor's append happens"
    );
    assert_eq!(second.event_ids[0], lead.events[0].event_id);
    let head = store.head_position().await.expect("head_position");
    assert_eq!(must_append(&store, champion.clone()).await, first);
    assert_eq!(must_append(&store, lead.clone()).await, second);
    assert_eq!(
        store.head_position().await.expect("head"),
        head,
        "retries append nothing"
    );
    for (req, receipt) in [(&champion, &first), (&lead, &second)] {
        let found = store
            .idempotent_receipt(hub, req.actor.member_id, &key)
            .await
            .expect("idempotent_receipt");
        assert_eq!(
            found.as_ref(),
            Some(receipt),
            "each actor finds their own receipt"
        );
    }
    let stranger = store
        .idempotent_receipt(hub, Uuid::now_v7(), &key)
        .await
        .expect("idempotent_receipt");
    assert_eq!(stranger, None, "a third actor has not used the key");
}

/// With client fingerprints, a repeat is recognised by them: the same fingerprint with fresh
/// event ids (a retry decided again) gets the first receipt and appends nothing; another
/// fingerprint is `IdempotencyMismatch`. The fingerprint is recorded on every event.
pub async fn client_fingerprints_decide_repeats(store: Store) {
    let hub = Uuid::now_v7();
    let stream = new_stream();
    let key = format!("fp-{}", Uuid::now_v7());
    let mut req = request(hub, &stream, ExpectedVersion::NoStream, 2, "first");
    req.idempotency_key = Some(key.clone());
    req.client_fingerprint = Some("fingerprint-a".into());
    let first = must_append(&store, req.clone()).await;
    let events = store.read_stream(&stream, 0).await.expect("read_stream");
    assert!(
        events
            .iter()
            .all(|e| e.client_fingerprint.as_deref() == Some("fingerprint-a")),
        "every event records the client fingerprint: {events:?}"
    );
    assert!(matches!(
        store.verify_hub(hub).await.expect("verify"),
        Verification::Ok(_)
    ));
    let head = store.head_position().await.expect("head_position");
    let chain = store.chain_head(hub).await.expect("chain_head");

    // Decided again: fresh ids, a new correlation, the version now stale; same fingerprint.
    let mut again = request(hub, &stream, ExpectedVersion::NoStream, 2, "decided again");
    again.actor = req.actor.clone();
    again.idempotency_key = Some(key.clone());
    again.client_fingerprint = Some("fingerprint-a".into());
    assert_eq!(
        must_append(&store, again).await,
        first,
        "the same client fingerprint gets the first receipt"
    );

    let mut other = request(hub, &stream, ExpectedVersion::Exact(2), 1, "other input");
    other.actor = req.actor.clone();
    other.idempotency_key = Some(key.clone());
    other.client_fingerprint = Some("fingerprint-b".into());
    match store.append(other).await {
        Err(StoreError::IdempotencyMismatch { key: k }) => assert_eq!(k, key),
        other => panic!("another client fingerprint must be IdempotencyMismatch: {other:?}"),
    }
    assert_eq!(
        store.head_position().await.expect("head"),
        head,
        "nothing appended"
    );
    assert_eq!(store.chain_head(hub).await.expect("chain_head"), chain);
}

/// `idempotent_receipt` returns the first receipt of a key of an actor in its hub, and `None`
/// otherwise.
pub async fn idempotent_receipt_lookup(store: Store) {
    let hub = Uuid::now_v7();
    let key = format!("lookup-{}", Uuid::now_v7());
    let mut req = request(hub, &new_stream(), ExpectedVersion::NoStream, 2, "lookup");
    let actor = req.actor.member_id;
    let unknown = store
        .idempotent_receipt(hub, actor, &key)
        .await
        .expect("idempotent_receipt");
    assert_eq!(unknown, None, "an unused key has no receipt");
    req.idempotency_key = Some(key.clone());
    let first = must_append(&store, req.clone()).await;
    let found = store
        .idempotent_receipt(hub, actor, &key)
        .await
        .expect("idempotent_receipt");
    assert_eq!(
        found,
        Some(first.clone()),
        "the key returns the first receipt"
    );
    must_append(&store, req).await;
    let again = store
        .idempotent_receipt(hub, actor, &key)
        .await
        .expect("idempotent_receipt");
    assert_eq!(
        again,
        Some(first),
        "a retry does not replace the first receipt"
    );
    let elsewhere = store
        .idempotent_receipt(Uuid::now_v7(), actor, &key)
        .await
        .expect("idempotent_receipt");
    assert_eq!(elsewhere, None, "keys are scoped per hub");
    let someone_else = store
        .idempotent_receipt(hub, Uuid::now_v7(), &key)
        .await
        .expect("idempotent_receipt");
    assert_eq!(someone_else, None, "keys are scoped per actor");
    let unkeyed = store
        .idempotent_receipt(hub, actor, "never-used")
        .await
        .expect("idempotent_receipt");
    assert_eq!(unkeyed, None, "an unknown key has no receipt");
}

/// A stream belongs to one hub.
pub async fn wrong_hub(store: Store) {
    let stream = new_stream();
    must_append(
        &store,
        request(Uuid::now_v7(), &stream, ExpectedVersion::NoStream, 1, "a"),
    )
    .await;
    match store
        .append(request(
            Uuid::now_v7(),
            &stream,
            ExpectedVersion::Any,
            1,
            "b",
        ))
        .await
    {
        Err(StoreError::WrongHub { stream_id }) => assert_eq!(stream_id, stream),
        other => panic!("appending to another hub's stream must be WrongHub: {other:?}"),
    }
}

/// An append without events is `Invalid`.
pub async fn empty_append_is_invalid(store: Store) {
    let req = request(
        Uuid::now_v7(),
        &new_stream(),
        ExpectedVersion::Any,
        0,
        "empty",
    );
    match store.append(req).await {
        Err(StoreError::Invalid(_)) => {}
        other => panic!("an empty append must be Invalid: {other:?}"),
    }
}

/// Rejected appends change neither the head position nor any chain head.
pub async fn rejections_leave_state_unchanged(store: Store) {
    let hub = Uuid::now_v7();
    let stream = new_stream();
    let key = format!("k-{}", Uuid::now_v7());
    let mut req = request(hub, &stream, ExpectedVersion::NoStream, 2, "base");
    req.idempotency_key = Some(key.clone());
    let actor = req.actor.clone();
    must_append(&store, req).await;
    let head = store.head_position().await.expect("head_position");
    let chain = store.chain_head(hub).await.expect("chain_head");
    let other_hub = Uuid::now_v7();

    let mut mismatch = request(hub, &stream, ExpectedVersion::Any, 1, "other");
    mismatch.actor = actor;
    mismatch.idempotency_key = Some(key);
    let rejected = vec![
        request(hub, &stream, ExpectedVersion::Exact(1), 1, "conflict"),
        request(hub, &stream, ExpectedVersion::NoStream, 1, "conflict"),
        request(other_hub, &stream, ExpectedVersion::Any, 1, "wrong hub"),
        request(hub, &new_stream(), ExpectedVersion::Any, 0, "empty"),
        mismatch,
    ];
    // Sent concurrently, so that a backend batching them sees them together.
    let tasks: Vec<_> = rejected
        .into_iter()
        .map(|r| {
            let s = store.clone();
            tokio::spawn(async move { s.append(r).await })
        })
        .collect();
    for t in tasks {
        let result = t.await.expect("task");
        assert!(result.is_err(), "this append must be rejected: {result:?}");
    }
    assert_eq!(
        store.head_position().await.expect("head"),
        head,
        "head position unchanged"
    );
    assert_eq!(
        store.chain_head(hub).await.expect("chain_head"),
        chain,
        "chain head unchanged"
    );
    let empty = store.chain_head(other_hub).await.expect("chain_head");
    assert_eq!(empty.hub_seq, 0, "a rejected append starts no chain");
    assert!(!store.hubs().await.expect("hubs").contains(&other_hub));
    assert_eq!(store.stream_version(&stream).await.expect("version"), 2);
}

/// Many writers racing for one stream: exactly one wins each version.
pub async fn concurrent_appends_one_stream(store: Store) {
    let hub = Uuid::now_v7();
    let stream = new_stream();
    const ROUNDS: u64 = 10;
    const RACERS: usize = 8;
    for round in 0..ROUNDS {
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let s = store.clone();
                let r = request(
                    hub,
                    &stream,
                    ExpectedVersion::Exact(round),
                    1,
                    &format!("{i}"),
                );
                tokio::spawn(async move { s.append(r).await })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            match t.await.expect("task") {
                Ok(r) => {
                    winners += 1;
                    assert_eq!(r.stream_version, round + 1, "the winner's version");
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => panic!("a losing racer must get Conflict, got {e}"),
            }
        }
        assert_eq!(winners, 1, "exactly one racer wins version {}", round + 1);
    }
    let events = store.read_stream(&stream, 0).await.expect("read_stream");
    let versions: Vec<u64> = events.iter().map(|e| e.stream_version).collect();
    assert_eq!(
        versions,
        (1..=ROUNDS).collect::<Vec<_>>(),
        "one event per version"
    );
}

/// Several streams read at once: each gets exactly its events after the version asked, in
/// order, in the order asked (a stream asked twice, and one that does not exist, included).
pub async fn read_streams_answers_each_stream(store: Store) {
    let hub = Uuid::now_v7();
    let (a, b, none) = (new_stream(), new_stream(), new_stream());
    store
        .append(request(hub, &a, ExpectedVersion::NoStream, 3, "a"))
        .await
        .expect("append a");
    store
        .append(request(hub, &b, ExpectedVersion::NoStream, 2, "b"))
        .await
        .expect("append b");
    let wanted = vec![
        (a.clone(), 1),
        (b.clone(), 0),
        (none.clone(), 0),
        (a.clone(), 0),
        (b.clone(), 2),
    ];
    let got = store.read_streams(&wanted).await.expect("read_streams");
    let versions: Vec<Vec<(String, u64)>> = got
        .iter()
        .map(|events| {
            events
                .iter()
                .map(|e| (e.stream_id.clone(), e.stream_version))
                .collect()
        })
        .collect();
    assert_eq!(
        versions,
        vec![
            vec![(a.clone(), 2), (a.clone(), 3)],
            vec![(b.clone(), 1), (b.clone(), 2)],
            vec![],
            vec![(a.clone(), 1), (a.clone(), 2), (a.clone(), 3)],
            vec![],
        ]
    );
    assert_eq!(got[0], store.read_stream(&a, 1).await.expect("read_stream"));
}

/// Appends placed one after another on one stream, each expecting the version the one before
/// will make, all land in that order before any answer is awaited; a placed append that fails
/// fails the ones placed after it on its stream (they expected its version), and no other.
pub async fn placed_appends_keep_their_order(store: Store) {
    let hub = Uuid::now_v7();
    let stream = new_stream();
    let mut answers = Vec::new();
    for i in 0..20u64 {
        let expected = match i {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v),
        };
        answers.push(
            store
                .place(request(hub, &stream, expected, 1, &format!("{i}")))
                .await,
        );
    }
    for (i, answer) in answers.into_iter().enumerate() {
        let receipt = answer
            .await
            .unwrap_or_else(|e| panic!("placed append {i} should land: {e}"));
        assert_eq!(
            receipt.stream_version,
            i as u64 + 1,
            "placed append {i}'s version"
        );
    }

    // One placed append that cannot land (it expects a version the stream is not at), then
    // one that counted on it, then one that is right about the stream as it truly stands.
    let wrong = store
        .place(request(hub, &stream, ExpectedVersion::Exact(7), 1, "wrong"))
        .await;
    let after_wrong = store
        .place(request(
            hub,
            &stream,
            ExpectedVersion::Exact(21),
            1,
            "after-wrong",
        ))
        .await;
    let right = store
        .place(request(
            hub,
            &stream,
            ExpectedVersion::Exact(20),
            1,
            "right",
        ))
        .await;
    expect_conflict(wrong.await, 20, "a placed append expecting an old version");
    expect_conflict(
        after_wrong.await,
        20,
        "a placed append expecting what a failed one would have made",
    );
    assert_eq!(must_receipt(right.await).stream_version, 21);
    let tags: Vec<String> = store
        .read_stream(&stream, 0)
        .await
        .expect("read_stream")
        .iter()
        .map(|e| e.payload["tag"].as_str().unwrap_or_default().to_string())
        .collect();
    let mut expected: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    expected.push("right".into());
    assert_eq!(
        tags, expected,
        "the stream holds the landed appends, in order"
    );
}

fn must_receipt(result: Result<Receipt, StoreError>) -> Receipt {
    result.unwrap_or_else(|e| panic!("the placed append should land: {e}"))
}

/// Many writers on many streams and hubs: positions gap-free and unique, chains verify.
pub async fn concurrent_appends_many_streams(store: Store) {
    let base = store.head_position().await.expect("head_position");
    let hubs: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let s = store.clone();
            let hub = hubs[i % hubs.len()];
            tokio::spawn(async move {
                let stream = new_stream();
                let mut receipts = Vec::new();
                for k in 0..10u64 {
                    let n = 1 + (k as usize % 3);
                    let r = request(hub, &stream, ExpectedVersion::Any, n, "many");
                    receipts.push(s.append(r).await.expect("concurrent append"));
                }
                (stream, receipts)
            })
        })
        .collect();
    let mut receipts = Vec::new();
    let mut streams = Vec::new();
    for t in tasks {
        let (stream, rs) = t.await.expect("task");
        streams.push(stream);
        receipts.extend(rs);
    }
    let total: u64 = receipts.iter().map(|r| r.event_ids.len() as u64).sum();
    let events = all_after(&store, base).await;
    assert_eq!(
        events.len() as u64,
        total,
        "every appended event is in the log"
    );
    assert_eq!(store.head_position().await.expect("head"), base + total);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e.position,
            base + 1 + i as u64,
            "global positions are gap-free and unique"
        );
    }
    let by_pos: HashMap<u64, &Envelope> = events.iter().map(|e| (e.position, e)).collect();
    for r in &receipts {
        let last = by_pos[&r.last_position];
        assert_eq!(last.hash, r.hash, "receipt hash matches the stored event");
        assert_eq!(
            last.hub_seq, r.last_hub_seq,
            "receipt hub_seq matches the stored event"
        );
        let span = r.last_position - r.first_position + 1;
        assert_eq!(
            span,
            r.event_ids.len() as u64,
            "an append's events are contiguous"
        );
    }
    for hub in &hubs {
        let seqs: Vec<u64> = events
            .iter()
            .filter(|e| e.hub_id == *hub)
            .map(|e| e.hub_seq)
            .collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "hub sequence gap-free"
        );
        let head = store.chain_head(*hub).await.expect("chain_head");
        match store.verify_hub(*hub).await.expect("verify_hub") {
            Verification::Ok(h) => assert_eq!(h, head, "verified head equals chain_head"),
            broken => panic!("the chain of hub {hub} must verify: {broken:?}"),
        }
    }
    for stream in &streams {
        let versions: Vec<u64> = store
            .read_stream(stream, 0)
            .await
            .expect("read_stream")
            .iter()
            .map(|e| e.stream_version)
            .collect();
        assert_eq!(
            versions,
            (1..=versions.len() as u64).collect::<Vec<_>>(),
            "stream versions"
        );
    }
}

/// `read_hub`, `read_all` and `read_stream` page consistently.
pub async fn paging(store: Store) {
    let base = store.head_position().await.expect("head_position");
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (sa, sb) = (new_stream(), new_stream());
    for i in 0..10 {
        must_append(
            &store,
            request(a, &sa, ExpectedVersion::Any, 1 + i % 2, "a"),
        )
        .await;
        must_append(&store, request(b, &sb, ExpectedVersion::Any, 1, "b")).await;
    }
    let all = all_after(&store, base).await;
    assert_eq!(all.len(), 25);
    let mut paged = Vec::new();
    let mut after = base;
    loop {
        let page = store.read_all(after, 7).await.expect("read_all");
        assert!(page.len() <= 7, "read_all respects its limit");
        let Some(last) = page.last() else { break };
        after = last.position;
        paged.extend(page);
    }
    assert_eq!(paged, all, "read_all pages concatenate to the whole log");
    for (hub, n) in [(a, 15u64), (b, 10)] {
        let whole = store.read_hub(hub, 0, 1000).await.expect("read_hub");
        assert_eq!(whole.len() as u64, n, "read_hub returns the hub's events");
        let mut paged = Vec::new();
        let mut after = 0;
        loop {
            let page = store.read_hub(hub, after, 4).await.expect("read_hub");
            assert!(page.len() <= 4, "read_hub respects its limit");
            let Some(last) = page.last() else { break };
            after = last.hub_seq;
            paged.extend(page);
        }
        assert_eq!(paged, whole, "read_hub pages concatenate to the hub's log");
        assert!(
            whole.iter().all(|e| e.hub_id == hub),
            "read_hub returns only that hub"
        );
    }
    let tail = store.read_stream(&sa, 12).await.expect("read_stream");
    assert_eq!(
        tail.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        vec![13, 14, 15],
        "read_stream after a version"
    );
    assert!(store
        .read_stream(&sa, 15)
        .await
        .expect("read_stream")
        .is_empty());
    assert!(store
        .read_hub(a, 15, 10)
        .await
        .expect("read_hub")
        .is_empty());
    assert!(store
        .read_all(base + 25, 10)
        .await
        .expect("read_all")
        .is_empty());
    assert!(
        store.read_all(base, 0).await.expect("read_all").is_empty(),
        "limit 0"
    );
}

/// Every receipt's hash is the chain head right after it; an unknown hub has the genesis head.
pub async fn chain_head_matches_receipts(store: Store) {
    let hub = Uuid::now_v7();
    let genesis = store.chain_head(hub).await.expect("chain_head");
    assert_eq!(
        genesis,
        ChainHead {
            hub_id: hub,
            hub_seq: 0,
            hash: GENESIS_HASH.to_string()
        },
        "an unknown hub has the genesis head"
    );
    let mut prev = GENESIS_HASH.to_string();
    for i in 0..5 {
        let r = must_append(
            &store,
            request(hub, &new_stream(), ExpectedVersion::NoStream, 2, "h"),
        )
        .await;
        let head = store.chain_head(hub).await.expect("chain_head");
        assert_eq!(
            head.hash, r.hash,
            "chain head after append {i} is the receipt's hash"
        );
        assert_eq!(
            head.hub_seq, r.last_hub_seq,
            "chain head sequence after append {i}"
        );
        let events = store
            .read_hub(hub, r.last_hub_seq - 2, 10)
            .await
            .expect("read_hub");
        assert_eq!(
            events[0].prev_hash, prev,
            "the append links to the previous head"
        );
        prev = r.hash;
    }
}

/// A healthy chain verifies to its head; an unknown hub verifies to genesis.
pub async fn verify_ok(store: Store) {
    let hub = Uuid::now_v7();
    for _ in 0..4 {
        must_append(
            &store,
            request(hub, &new_stream(), ExpectedVersion::Any, 3, "v"),
        )
        .await;
    }
    let head = store.chain_head(hub).await.expect("chain_head");
    assert_eq!(head.hub_seq, 12);
    match store.verify_hub(hub).await.expect("verify_hub") {
        Verification::Ok(h) => assert_eq!(h, head, "verify returns the chain head"),
        broken => panic!("a healthy chain must verify: {broken:?}"),
    }
    let unknown = Uuid::now_v7();
    match store.verify_hub(unknown).await.expect("verify_hub") {
        Verification::Ok(h) => assert_eq!(h.hub_seq, 0, "an empty chain verifies"),
        broken => panic!("an empty chain must verify: {broken:?}"),
    }
}

/// Subscriptions from the start and from the middle see every event exactly once, in order,
/// while 1000 events are appended concurrently with their catch-up.
pub async fn subscription_catches_up_and_follows(store: Store) {
    let base = store.head_position().await.expect("head_position");
    let hub = Uuid::now_v7();
    for _ in 0..20 {
        must_append(
            &store,
            request(hub, &new_stream(), ExpectedVersion::Any, 10, "pre"),
        )
        .await;
    }
    let middle = base + 100;
    const LIVE: u64 = 1000;
    let end = base + 200 + LIVE;
    let from_start = store.subscribe(0);
    let from_middle = store.subscribe(middle);
    let writers: Vec<_> = (0..10)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move {
                let stream = new_stream();
                for _ in 0..(LIVE / 10 / 2) {
                    s.append(request(hub, &stream, ExpectedVersion::Any, 2, "live"))
                        .await
                        .expect("append while subscribed");
                }
            })
        })
        .collect();
    let collect = |mut sub: crate::store::EnvelopeStream, after: u64| async move {
        let mut expected = after + 1;
        let mut seen = HashSet::new();
        while expected <= end {
            let next = tokio::time::timeout(Duration::from_secs(30), sub.next())
                .await
                .unwrap_or_else(|_| panic!("subscription after {after} stalled before {expected}"))
                .unwrap_or_else(|| panic!("subscription after {after} ended before {expected}"))
                .unwrap_or_else(|e| panic!("subscription after {after} failed: {e}"));
            assert!(
                seen.insert(next.event_id),
                "event {} seen twice",
                next.position
            );
            assert_eq!(
                next.position, expected,
                "subscription after {after} must yield position {expected} next"
            );
            expected += 1;
        }
    };
    let a = tokio::spawn(collect(from_start, 0));
    let b = tokio::spawn(collect(from_middle, middle));
    for w in writers {
        w.await.expect("writer task");
    }
    a.await.expect("subscription from the start");
    b.await.expect("subscription from the middle");
    assert_eq!(store.head_position().await.expect("head"), end);
    // A late subscriber catches up on everything too.
    let mut late = store.subscribe(end - 5);
    for p in end - 4..=end {
        let e = tokio::time::timeout(Duration::from_secs(10), late.next())
            .await
            .expect("late subscriber stalled")
            .expect("late subscription ended")
            .expect("late subscription failed");
        assert_eq!(e.position, p, "late subscriber order");
    }
}

/// Sealed envelopes continuing `store`'s log, as another store would have written them: one
/// append per `(hub, stream, events, idempotency key)`, in order.
pub async fn sealed_appends(
    store: &Store,
    appends: &[(Uuid, &str, usize, Option<&str>)],
) -> Vec<Envelope> {
    let mut position = store.head_position().await.expect("head_position");
    let mut heads: HashMap<Uuid, ChainHead> = HashMap::new();
    let mut streams: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::new();
    for (hub, stream, n, key) in appends {
        let req = request(*hub, stream, ExpectedVersion::Any, *n, "imported");
        let now = chrono::Utc::now();
        let recorded_at =
            chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).expect("micros");
        for ev in req.events {
            if !heads.contains_key(hub) {
                let head = store.chain_head(*hub).await.expect("chain_head");
                heads.insert(*hub, head);
            }
            if !streams.contains_key(*stream) {
                let v = store.stream_version(stream).await.expect("stream_version");
                streams.insert(stream.to_string(), v);
            }
            let head = heads.get_mut(hub).expect("head");
            let version = streams.get_mut(*stream).expect("stream");
            position += 1;
            head.hub_seq += 1;
            *version += 1;
            let mut e = Envelope {
                event_id: ev.event_id,
                hub_id: *hub,
                stream_id: stream.to_string(),
                stream_version: *version,
                hub_seq: head.hub_seq,
                position,
                recorded_at,
                actor: req.actor.clone(),
                correlation_id: req.correlation_id,
                causation_id: req.causation_id,
                idempotency_key: key.map(str::to_string),
                client_fingerprint: None,
                event_type: ev.event_type,
                schema_version: ev.schema_version,
                payload: ev.payload,
                prev_hash: String::new(),
                hash: String::new(),
            };
            crate::chain::seal(&mut e, &head.hash);
            head.hash = e.hash.clone();
            out.push(e);
        }
    }
    out
}

/// The append request a client would retry for imported envelopes of one append.
fn request_of(envelopes: &[Envelope], expected: ExpectedVersion) -> AppendRequest {
    let first = &envelopes[0];
    AppendRequest {
        hub_id: first.hub_id,
        stream_id: first.stream_id.clone(),
        expected_version: expected,
        actor: first.actor.clone(),
        correlation_id: first.correlation_id,
        causation_id: first.causation_id,
        idempotency_key: first.idempotency_key.clone(),
        client_fingerprint: first.client_fingerprint.clone(),
        events: envelopes
            .iter()
            .map(|e| NewEvent {
                event_id: e.event_id,
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                payload: e.payload.clone(),
            })
            .collect(),
    }
}

/// Import writes sealed envelopes verbatim, in batches (even splitting one append), durable and
/// visible through every read path and to subscribers; an imported idempotency key keeps
/// answering retries with the reconstructed receipt; appends continue the imported chain.
pub async fn import_writes_verbatim(store: Store) {
    let base = store.head_position().await.expect("head_position");
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (s1, s2) = (new_stream(), new_stream());
    let (k1, k2) = (
        format!("imp-{}", Uuid::now_v7()),
        format!("imp-{}", Uuid::now_v7()),
    );
    let mut sub = store.subscribe(base);
    let envs = sealed_appends(
        &store,
        &[
            (a, &s1, 2, Some(&k1)),
            (b, &s2, 1, None),
            (a, &s1, 3, Some(&k2)),
        ],
    )
    .await;
    assert_eq!(envs.len(), 6);

    let empty = store.import(Vec::new()).await.expect("empty import");
    assert_eq!(empty.imported, 0, "an empty import writes nothing");

    // Batch 1 ends in the middle of the k2 append.
    let r1 = store
        .import(envs[..4].to_vec())
        .await
        .expect("import batch 1");
    assert_eq!(r1.imported, 4);
    assert_eq!(r1.head_position, base + 4);
    assert_eq!(store.head_position().await.expect("head"), base + 4);
    let r2 = store
        .import(envs[4..].to_vec())
        .await
        .expect("import batch 2");
    assert_eq!(r2.imported, 2);
    assert_eq!(r2.head_position, base + 6);
    assert_eq!(
        r2.heads,
        vec![ChainHead {
            hub_id: a,
            hub_seq: 5,
            hash: envs[5].hash.clone()
        }],
        "the report names the heads the batch touched"
    );

    assert_eq!(all_after(&store, base).await, envs, "imported verbatim");
    assert_eq!(
        store.read_hub(a, 0, 100).await.expect("read_hub"),
        vec![
            envs[0].clone(),
            envs[1].clone(),
            envs[3].clone(),
            envs[4].clone(),
            envs[5].clone()
        ]
    );
    assert_eq!(
        store.read_stream(&s2, 0).await.expect("read_stream"),
        vec![envs[2].clone()]
    );
    assert_eq!(store.stream_version(&s1).await.expect("version"), 5);
    let mut hubs = store.hubs().await.expect("hubs");
    hubs.retain(|h| *h == a || *h == b);
    assert_eq!(hubs.len(), 2, "imported hubs are listed");
    for (hub, last) in [(a, &envs[5]), (b, &envs[2])] {
        let head = ChainHead {
            hub_id: hub,
            hub_seq: last.hub_seq,
            hash: last.hash.clone(),
        };
        assert_eq!(store.chain_head(hub).await.expect("chain_head"), head);
        assert_eq!(
            store.verify_hub(hub).await.expect("verify"),
            Verification::Ok(head)
        );
    }

    // Subscribers see imported events like appended ones.
    for e in &envs {
        let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("subscriber stalled on imported events")
            .expect("subscription ended")
            .expect("subscription failed");
        assert_eq!(&got, e, "subscriber sees the imported event");
    }

    // The reconstructed receipts answer lookups and retries.
    let receipt_k2 = Receipt {
        hub_id: a,
        stream_id: s1.clone(),
        event_ids: envs[3..6].iter().map(|e| e.event_id).collect(),
        first_position: base + 4,
        last_position: base + 6,
        last_hub_seq: 5,
        stream_version: 5,
        hash: envs[5].hash.clone(),
        recorded_at: envs[3].recorded_at,
    };
    let (actor_k1, actor_k2) = (envs[0].actor.member_id, envs[3].actor.member_id);
    assert_eq!(
        store
            .idempotent_receipt(a, actor_k2, &k2)
            .await
            .expect("lookup"),
        Some(receipt_k2.clone())
    );
    let receipt_k1 = store
        .idempotent_receipt(a, actor_k1, &k1)
        .await
        .expect("lookup")
        .expect("k1 receipt");
    assert_eq!(receipt_k1.first_position, base + 1);
    assert_eq!(receipt_k1.last_position, base + 2);
    assert_eq!(receipt_k1.stream_version, 2);
    assert_eq!(
        store
            .idempotent_receipt(b, actor_k2, &k2)
            .await
            .expect("lookup"),
        None,
        "keys stay per hub"
    );
    let retry = request_of(&envs[3..6], ExpectedVersion::Exact(2));
    assert_eq!(
        must_append(&store, retry.clone()).await,
        receipt_k2,
        "a retry of an imported append returns its receipt"
    );
    let mut other = retry.clone();
    other.events[0].payload = json!({"different": true});
    match store.append(other).await {
        Err(StoreError::IdempotencyMismatch { .. }) => {}
        other => panic!("a different request with an imported key: {other:?}"),
    }
    assert_eq!(
        store.head_position().await.expect("head"),
        base + 6,
        "retries append nothing"
    );

    // Appends continue the imported chain.
    let next = must_append(
        &store,
        request(a, &s1, ExpectedVersion::Exact(5), 1, "after"),
    )
    .await;
    assert_eq!(next.first_position, base + 7);
    assert_eq!(next.last_hub_seq, 6);
    assert_eq!(next.stream_version, 6);
    let appended = all_after(&store, base + 6).await;
    assert_eq!(
        appended[0].prev_hash, envs[5].hash,
        "the append links to the imported head"
    );
    assert!(matches!(
        store.verify_hub(a).await.expect("verify"),
        Verification::Ok(_)
    ));
}

/// Client fingerprints survive export and import: imported envelopes keep them (and verify),
/// and a retry by the same actor with the same key is told apart by them after the import.
pub async fn import_keeps_client_fingerprints(store: Store) {
    let base = store.head_position().await.expect("head_position");
    let hub = Uuid::now_v7();
    let stream = new_stream();
    let key = format!("imp-fp-{}", Uuid::now_v7());
    let mut envs = sealed_appends(&store, &[(hub, &stream, 2, Some(&key))]).await;
    let head = store.chain_head(hub).await.expect("chain_head");
    let mut prev = head.hash.clone();
    for e in &mut envs {
        e.client_fingerprint = Some("fingerprint-imported".into());
        crate::chain::seal(e, &prev);
        prev = e.hash.clone();
    }
    store.import(envs.clone()).await.expect("import");
    assert_eq!(all_after(&store, base).await, envs, "imported verbatim");
    assert!(matches!(
        store.verify_hub(hub).await.expect("verify"),
        Verification::Ok(_)
    ));
    let first = store
        .idempotent_receipt(hub, envs[0].actor.member_id, &key)
        .await
        .expect("lookup")
        .expect("the imported key has a receipt");

    let mut again = request(hub, &stream, ExpectedVersion::NoStream, 1, "decided again");
    again.actor = envs[0].actor.clone();
    again.idempotency_key = Some(key.clone());
    again.client_fingerprint = Some("fingerprint-imported".into());
    assert_eq!(
        must_append(&store, again.clone()).await,
        first,
        "the same client fingerprint gets the imported receipt"
    );
    let mut other = again;
    other.client_fingerprint = Some("fingerprint-other".into());
    match store.append(other).await {
        Err(StoreError::IdempotencyMismatch { .. }) => {}
        other => panic!("another client fingerprint after import: {other:?}"),
    }
    assert_eq!(
        store.head_position().await.expect("head"),
        base + 2,
        "nothing appended"
    );
}

/// Import refuses, with a typed error naming the envelope and writing nothing of the batch,
/// anything that would break the log.
pub async fn import_refuses_what_breaks_the_log(store: Store) {
    let hub = Uuid::now_v7();
    let other_hub = Uuid::now_v7();
    let stream = new_stream();
    let other_stream = new_stream();
    let used = format!("used-{}", Uuid::now_v7());
    let mut req = request(hub, &stream, ExpectedVersion::NoStream, 1, "before");
    req.idempotency_key = Some(used.clone());
    let used_by = req.actor.clone();
    must_append(&store, req).await;
    must_append(
        &store,
        request(
            other_hub,
            &other_stream,
            ExpectedVersion::NoStream,
            1,
            "other",
        ),
    )
    .await;
    let base = store.head_position().await.expect("head_position");
    let head = store.chain_head(hub).await.expect("chain_head");
    let good = sealed_appends(&store, &[(hub, &stream, 2, None)]).await;

    // Re-seals the chain from `from` on (so that only the intended field is wrong).
    let reseal = |mut v: Vec<Envelope>, from: usize| {
        for i in from..v.len() {
            let prev = if i == 0 {
                head.hash.clone()
            } else {
                v[i - 1].hash.clone()
            };
            crate::chain::seal(&mut v[i], &prev);
        }
        v
    };
    let mut cases: Vec<(&str, Vec<Envelope>, usize, ImportRefusalKind)> = Vec::new();
    let mut gap = good.clone();
    gap.iter_mut().for_each(|e| e.position += 1);
    cases.push((
        "a position gap",
        reseal(gap, 0),
        0,
        ImportRefusalKind::Position,
    ));
    let mut overlap = good.clone();
    overlap.iter_mut().for_each(|e| e.position -= 1);
    cases.push((
        "an overlapping position",
        reseal(overlap, 0),
        0,
        ImportRefusalKind::Position,
    ));
    let mut seq = good.clone();
    seq[1].hub_seq += 1;
    cases.push((
        "a hub sequence gap",
        reseal(seq, 1),
        1,
        ImportRefusalKind::HubSeq,
    ));
    let mut link = good.clone();
    link[1].prev_hash = "f".repeat(64);
    link[1].hash = crate::chain::compute_hash(&link[1]);
    cases.push(("a broken link", link, 1, ImportRefusalKind::PrevHash));
    let mut changed = good.clone();
    changed[1].payload = json!({"changed": true});
    cases.push(("a changed payload", changed, 1, ImportRefusalKind::Hash));
    let mut version = good.clone();
    version[1].stream_version += 1;
    cases.push((
        "a stream version gap",
        reseal(version, 1),
        1,
        ImportRefusalKind::StreamVersion,
    ));
    let mut key = good.clone();
    key.iter_mut().for_each(|e| {
        e.idempotency_key = Some(used.clone());
        e.actor = used_by.clone();
    });
    cases.push((
        "a used idempotency key",
        reseal(key, 0),
        0,
        ImportRefusalKind::IdempotencyKeyUsed,
    ));
    let mut reused = good.clone();
    reused[0].idempotency_key = Some("twice".into());
    reused[1].idempotency_key = Some("twice".into());
    reused[1].correlation_id = Uuid::now_v7();
    cases.push((
        "a key shared by two appends",
        reseal(reused, 0),
        1,
        ImportRefusalKind::IdempotencyKeyUsed,
    ));
    let mut wrong = good.clone();
    wrong[1].stream_id = other_stream.clone();
    wrong[1].stream_version = 2;
    cases.push((
        "a stream of another hub",
        reseal(wrong, 1),
        1,
        ImportRefusalKind::WrongHub,
    ));

    for (what, batch, index, kind) in cases {
        let position = batch[index].position;
        match store.import(batch).await {
            Err(StoreError::ImportRefused(r)) => {
                assert_eq!(r.kind, kind, "{what}: refusal kind ({r})");
                assert_eq!(r.index, index, "{what}: names the envelope ({r})");
                assert_eq!(r.position, position, "{what}: names its position ({r})");
            }
            other => panic!("{what} must be refused, got {other:?}"),
        }
        assert_eq!(
            store.head_position().await.expect("head"),
            base,
            "{what}: nothing written"
        );
        assert!(
            all_after(&store, base).await.is_empty(),
            "{what}: nothing written"
        );
        assert_eq!(
            store.chain_head(hub).await.expect("chain_head"),
            head,
            "{what}"
        );
        assert_eq!(
            store.stream_version(&stream).await.expect("version"),
            1,
            "{what}"
        );
        assert_eq!(
            store.stream_version(&other_stream).await.expect("version"),
            1,
            "{what}"
        );
    }
    // The good batch still imports afterwards.
    store
        .import(good.clone())
        .await
        .expect("the good batch imports");
    assert_eq!(all_after(&store, base).await, good);
    // ... and importing it again is an overlap.
    match store.import(good).await {
        Err(StoreError::ImportRefused(r)) => assert_eq!(r.kind, ImportRefusalKind::Position),
        other => panic!("a repeated import must be refused, got {other:?}"),
    }
}
