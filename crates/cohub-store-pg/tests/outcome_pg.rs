//! What an append answers when the database fails around its commit, and how fast it answers
//! while the database is unreachable. The store talks to PostgreSQL through a
//! [`FaultProxy`] that the tests cut; the database itself keeps running.
//!
//! (a) the commit went through but its answer was lost: the append answers with its real
//!     receipt, and the log holds it once;
//! (b) the connection was killed before `COMMIT`: `Unavailable`, and nothing is in the log;
//! (c) the database became unreachable as `COMMIT` was sent, so whether it landed cannot be
//!     told: `OutcomeUnknown`; a retry with the same key afterwards writes it once;
//! (d) with the database unreachable, an append fails `Unavailable` within about the store's
//!     timeout (2 s), not the 10 s it used to wait.

mod common;

use cohub_store::{EventStore, ExpectedVersion, StoreError};
use cohub_store_pg::fault_proxy::{CommitFault, FaultProxy};
use cohub_store_pg::{PgOptions, PgStore};
use common::{request, TestSchema};
use sqlx::Executor;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A store on `db`'s schema that reaches the database through `proxy`.
async fn proxied_store(db: &TestSchema, proxy: &FaultProxy) -> PgStore {
    PgStore::open_with(
        &proxy.url(&db.url),
        PgOptions {
            schema: Some(db.name.clone()),
            max_connections: 4,
            timeout: Duration::from_secs(2),
        },
    )
    .await
    .expect("open the store through the proxy")
}

/// A keyed append of two events to a new stream of a new hub.
fn keyed_request(key: &str) -> cohub_store::AppendRequest {
    let mut req = request(Uuid::now_v7(), "s", ExpectedVersion::NoStream, 2);
    req.stream_id = format!("s-{}", Uuid::now_v7());
    req.idempotency_key = Some(key.to_string());
    req.client_fingerprint = Some(format!("fingerprint-of-{key}"));
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_answer_was_lost_is_answered_with_its_receipt() {
    let db = TestSchema::new().await;
    let direct = db.store().await;
    let proxy = FaultProxy::in_front_of(&db.url).await.expect("proxy");
    let store = proxied_store(&db, &proxy).await;

    proxy.at_next_commit(CommitFault::LoseReply);
    let req = keyed_request("lost-answer");
    let receipt = store
        .append(req.clone())
        .await
        .expect("a write that committed is answered with its receipt");
    assert_eq!(proxy.fired_count(), 1, "the commit's answer was lost");

    let log = direct.read_all(0, 100).await.expect("read");
    assert_eq!(log.len(), 2, "the append is in the log once: {log:?}");
    let ids: Vec<Uuid> = log.iter().map(|e| e.event_id).collect();
    assert_eq!(
        ids, receipt.event_ids,
        "the receipt names the logged events"
    );
    assert_eq!(receipt.first_position, 1);
    assert_eq!(
        receipt.hash, log[1].hash,
        "the receipt's hash is the chain head"
    );
    assert_eq!(
        direct
            .idempotent_receipt(req.hub_id, req.actor.member_id, "lost-answer")
            .await
            .expect("lookup"),
        Some(receipt.clone())
    );
    // A retry with the key gets the same receipt and writes nothing.
    assert_eq!(store.append(req).await.expect("retry"), receipt);
    assert_eq!(direct.head_position().await.expect("head"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_before_commit_is_unavailable_and_nothing_is_written() {
    let db = TestSchema::new().await;
    let store = db.store().await;
    let mut pause = store.pause_next_append_before_commit();
    let req = keyed_request("killed");
    let append = tokio::spawn({
        let store = store.clone();
        let req = req.clone();
        async move { store.append(req).await }
    });
    pause.reached().await;
    let pid = pause.backend_pid().expect("the paused append's backend");
    let mut raw = db.raw().await;
    raw.execute(format!("SELECT pg_terminate_backend({pid})").as_str())
        .await
        .expect("terminate the append's connection");
    pause.release();
    match append.await.expect("task") {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("a transaction killed before COMMIT must be Unavailable: {other:?}"),
    }
    assert_eq!(
        store.head_position().await.expect("head"),
        0,
        "nothing written"
    );
    assert_eq!(
        store
            .idempotent_receipt(req.hub_id, req.actor.member_id, "killed")
            .await
            .expect("lookup"),
        None
    );

    // The same through the proxy: COMMIT never reaches the database.
    let proxy = FaultProxy::in_front_of(&db.url).await.expect("proxy");
    let proxied = proxied_store(&db, &proxy).await;
    proxy.at_next_commit(CommitFault::DropCommit);
    match proxied.append(keyed_request("dropped")).await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("a COMMIT that never arrived must be Unavailable: {other:?}"),
    }
    assert_eq!(proxy.fired_count(), 1);
    assert_eq!(
        store.head_position().await.expect("head"),
        0,
        "nothing written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_fate_cannot_be_told_is_outcome_unknown() {
    let db = TestSchema::new().await;
    let direct = db.store().await;
    let proxy = FaultProxy::in_front_of(&db.url).await.expect("proxy");
    let store = proxied_store(&db, &proxy).await;

    proxy.at_next_commit(CommitFault::DropCommitAndCut);
    let req = keyed_request("unknown");
    let started = Instant::now();
    match store.append(req.clone()).await {
        Err(StoreError::OutcomeUnknown(why)) => eprintln!("outcome unknown: {why}"),
        other => panic!("an undeterminable commit must be OutcomeUnknown: {other:?}"),
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "answered in {took:?}");

    // The database is reachable again: the retry with the same key writes it, once.
    proxy.restore().expect("listen again");
    let receipt = store.append(req.clone()).await.expect("the retry succeeds");
    let log = direct.read_all(0, 100).await.expect("read");
    let ids: Vec<Uuid> = log.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, receipt.event_ids, "in the log once");
    assert_eq!(store.append(req).await.expect("again"), receipt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_fails_fast_with_unavailable() {
    let db = TestSchema::new().await;
    let proxy = FaultProxy::in_front_of(&db.url).await.expect("proxy");
    let store = proxied_store(&db, &proxy).await;
    store
        .append(keyed_request("before"))
        .await
        .expect("works while reachable");

    proxy.cut();
    let started = Instant::now();
    match store.append(keyed_request("while-down")).await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("an append while the database is unreachable: {other:?}"),
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(3500),
        "an append must fail within about the 2 s timeout, took {took:?}"
    );

    proxy.restore().expect("listen again");
    store
        .append(keyed_request("after"))
        .await
        .expect("works again once reachable");
}
