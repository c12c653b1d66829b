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
