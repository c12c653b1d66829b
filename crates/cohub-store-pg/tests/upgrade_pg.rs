//! A database written before idempotency keys were scoped per actor (schema version 1: the
//! `idempotency` table keyed by hub and key, no `schema_version` table) is upgraded when a
//! store opens it: every key answers its actor's retries as before, and is no longer in the way
//! of other actors.

mod common;

use cohub_store::{EventStore, ExpectedVersion};
use common::{request, TestSchema};
use sqlx::Executor;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_is_upgraded_to_keys_per_actor() {
    let db = TestSchema::new().await;
    let hub = Uuid::now_v7();
    let mut req = request(hub, "s", ExpectedVersion::NoStream, 2);
    req.idempotency_key = Some("old-key".into());
    let actor = req.actor.member_id;
    let first = {
        let store = db.store().await;
        let r = store.append(req.clone()).await.expect("append");
        store.pool().close().await;
        r
    };

    // Take the tables back to version 1.
    let mut raw = db.raw().await;
    raw.execute(
        "ALTER TABLE idempotency DROP CONSTRAINT idempotency_pkey; \
         ALTER TABLE idempotency DROP COLUMN member_id; \
         ALTER TABLE idempotency DROP COLUMN client_fingerprint; \
         ALTER TABLE idempotency ADD PRIMARY KEY (hub_id, key); \
         ALTER TABLE events DROP COLUMN client_fingerprint; \
         DROP TABLE schema_version;",
    )
    .await
    .expect("downgrade to version 1");

    let store = db.store().await;
    assert_eq!(
        store
            .idempotent_receipt(hub, actor, "old-key")
            .await
            .expect("lookup"),
        Some(first.clone()),
        "the key is the actor's after the upgrade"
    );
    assert_eq!(
        store.append(req).await.expect("retry"),
        first,
        "the actor's retry gets the first receipt"
    );
    let mut other = request(hub, "t", ExpectedVersion::NoStream, 1);
    other.idempotency_key = Some("old-key".into());
    let theirs = store.append(other).await.expect("another actor's append");
    assert_eq!(theirs.first_position, first.last_position + 1);
    let version: i32 = sqlx::query_scalar("SELECT version FROM schema_version")
        .fetch_one(&mut raw)
        .await
        .expect("version");
    assert_eq!(version, 2);
    // Opening again changes nothing.
    let again = db.store().await;
    assert_eq!(again.head_position().await.expect("head"), 3);
}
