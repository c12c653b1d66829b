//! Runs the `cohub_store::contract` suite against a fresh `SledStore` per check.
#![cfg(feature = "contract")]

use cohub_store::contract;
use cohub_store::SledStore;
use std::sync::Arc;

/// A fresh store in a temporary directory (kept alive for the test's duration).
fn fresh() -> (tempfile::TempDir, Arc<SledStore>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(dir.path()).expect("open sled store");
    (dir, Arc::new(store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_and_read_back() {
    let (_dir, store) = fresh();
    contract::append_and_read_back(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expected_version_conflict_never_overwrites() {
    let (_dir, store) = fresh();
    contract::expected_version_conflict_never_overwrites(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stream() {
    let (_dir, store) = fresh();
    contract::no_stream(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_retry_returns_first_receipt() {
    let (_dir, store) = fresh();
    contract::idempotent_retry_returns_first_receipt(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_mismatch() {
    let (_dir, store) = fresh();
    contract::idempotency_mismatch(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_per_hub() {
    let (_dir, store) = fresh();
    contract::idempotency_keys_are_per_hub(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_receipt_lookup() {
    let (_dir, store) = fresh();
    contract::idempotent_receipt_lookup(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_hub() {
    let (_dir, store) = fresh();
    contract::wrong_hub(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_append_is_invalid() {
    let (_dir, store) = fresh();
    contract::empty_append_is_invalid(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_leave_state_unchanged() {
    let (_dir, store) = fresh();
    contract::rejections_leave_state_unchanged(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_one_stream() {
    let (_dir, store) = fresh();
    contract::concurrent_appends_one_stream(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_many_streams() {
    let (_dir, store) = fresh();
    contract::concurrent_appends_many_streams(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging() {
    let (_dir, store) = fresh();
    contract::paging(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_head_matches_receipts() {
    let (_dir, store) = fresh();
    contract::chain_head_matches_receipts(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_ok() {
    let (_dir, store) = fresh();
    contract::verify_ok(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_catches_up_and_follows() {
    let (_dir, store) = fresh();
    contract::subscription_catches_up_and_follows(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_on_fresh_stores() {
    let dirs = std::sync::Mutex::new(Vec::new());
    contract::run_all(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open sled store");
        dirs.lock().unwrap().push(dir);
        async move { store }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_writes_verbatim() {
    let (_dir, store) = fresh();
    contract::import_writes_verbatim(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_what_breaks_the_log() {
    let (_dir, store) = fresh();
    contract::import_refuses_what_breaks_the_log(store).await;
}

/// An import is durable on return: it survives reopening the store, and the reconstructed
/// idempotency receipts with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = uuid::Uuid::now_v7();
    let envs = {
        let store: contract::Store = Arc::new(SledStore::open(dir.path()).expect("open"));
        let envs =
            contract::sealed_appends(&store, &[(hub, "s-reopen", 3, Some("k-reopen"))]).await;
        store.import(envs.clone()).await.expect("import");
        envs
    };
    let store = SledStore::open(dir.path()).expect("reopen");
    use cohub_store::EventStore;
    assert_eq!(store.read_all(0, 100).await.expect("read"), envs);
    assert_eq!(store.head_position().await.expect("head"), 3);
    assert_eq!(
        store.chain_head(hub).await.expect("head").hash,
        envs[2].hash
    );
    let receipt = store
        .idempotent_receipt(hub, "k-reopen")
        .await
        .expect("lookup")
        .expect("receipt");
    assert_eq!(receipt.last_position, 3);
}
