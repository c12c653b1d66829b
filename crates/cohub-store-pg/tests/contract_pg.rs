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
            let db = TestSchema::new().await;
            contract::$check(Arc::new(db.store().await)).await;
        }
    )+};
}

cohub_store::for_each_contract_check!(contract_checks);

/// `run_all` too, one schema per check, so a check added to the suite is not missed here.
#[tokio::test(flavor = "multi_thread")]
async fn run_all_checks() {
    let schemas = std::sync::Mutex::new(Vec::new());
    contract::run_all(|| async {
        let db = TestSchema::new().await;
        let store = db.store().await;
        schemas.lock().unwrap().push(db);
        store
    })
    .await;
}
