//! The backend-independent contract suite (`cohub_store::contract`) against `PgStore`, each
//! check on a fresh PostgreSQL schema.

mod common;

use cohub_store::contract;
use common::TestSchema;
use std::sync::Arc;

macro_rules! contract_checks {
    ($($check:ident),+ $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $check() {
            let Some(db) = TestSchema::new().await else { return };
            contract::$check(Arc::new(db.store().await)).await;
        }
    )+};
}

contract_checks!(
    append_and_read_back,
    expected_version_conflict_never_overwrites,
    no_stream,
    idempotent_retry_returns_first_receipt,
    idempotency_mismatch,
    idempotency_keys_are_per_hub,
    idempotent_receipt_lookup,
    wrong_hub,
    empty_append_is_invalid,
    rejections_leave_state_unchanged,
    concurrent_appends_one_stream,
    concurrent_appends_many_streams,
    paging,
    chain_head_matches_receipts,
    verify_ok,
    subscription_catches_up_and_follows,
    import_writes_verbatim,
    import_refuses_what_breaks_the_log,
);

/// `run_all` too, one schema per check, so a check added to the suite is not missed here.
#[tokio::test(flavor = "multi_thread")]
async fn run_all_checks() {
    let Some(_probe) = TestSchema::new().await else {
        return;
    };
    let schemas = std::sync::Mutex::new(Vec::new());
    contract::run_all(|| async {
        let db = TestSchema::new().await.expect("database");
        let store = db.store().await;
        schemas.lock().unwrap().push(db);
        store
    })
    .await;
}
