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

/// One test per contract check, each on a fresh store.
macro_rules! contract_checks {
    ($($check:ident),+ $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $check() {
            let (_dir, store) = fresh();
            contract::$check(store).await;
        }
    )+};
}

cohub_store::for_each_contract_check!(contract_checks);

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
        .idempotent_receipt(hub, envs[0].actor.member_id, "k-reopen")
        .await
        .expect("lookup")
        .expect("receipt");
    assert_eq!(receipt.last_position, 3);
}
