//! Test support: a throw-away PostgreSQL schema per test, and request builders.
#![allow(dead_code)]

use cohub_store::{ActorRef, AppendRequest, ExpectedVersion, NewEvent};
use cohub_store_pg::PgStore;
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

/// The test database: `COHUB_TEST_DATABASE_URL`, else the local trust-auth one.
pub fn database_url() -> String {
    std::env::var("COHUB_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A unique schema, created on [`TestSchema::new`] and dropped (with everything in it) on drop.
pub struct TestSchema {
    /// The database URL.
    pub url: String,
    /// The schema's name.
    pub name: String,
}

impl TestSchema {
    /// Creates a fresh schema. Without a database it panics, wherever it runs: a PostgreSQL
    /// test never passes without PostgreSQL (`scripts/test.sh` starts one first).
    pub async fn new() -> TestSchema {
        Self::new_at(database_url()).await
    }

    /// [`TestSchema::new`] on the database at `url`.
    pub async fn new_at(url: String) -> TestSchema {
        let mut conn = PgConnection::connect(&url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required by this test but {url} is unreachable: {e}. \
                 Run the tests with scripts/test.sh, which starts it (or installs it) first."
            )
        });
        let name = format!("cohub_test_{}", Uuid::now_v7().simple());
        conn.execute(format!("CREATE SCHEMA \"{name}\"").as_str())
            .await
            .expect("create test schema");
        let _ = conn.close().await;
        TestSchema { url, name }
    }

    /// A new store (its own pool: a separate "process") on this schema.
    pub async fn store(&self) -> PgStore {
        PgStore::connect_with_schema(&self.url, &self.name)
            .await
            .expect("connect PgStore")
    }

    /// A raw connection whose `search_path` is this schema.
    pub async fn raw(&self) -> PgConnection {
        let mut c = PgConnection::connect(&self.url).await.expect("connect");
        c.execute(format!("SET search_path TO \"{}\"", self.name).as_str())
            .await
            .expect("set search_path");
        c
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let url = self.url.clone();
        let name = self.name.clone();
        // Drop is synchronous: run the clean-up on its own thread and runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut c) = PgConnection::connect(&url).await {
                    let _ = c.execute("SET lock_timeout = '10s'").await;
                    if let Err(e) = c
                        .execute(format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE").as_str())
                        .await
                    {
                        eprintln!("could not drop test schema {name}: {e}");
                    }
                    let _ = c.close().await;
                }
            });
        })
        .join();
    }
}

/// A test actor.
pub fn actor() -> ActorRef {
    ActorRef {
        member_id: Uuid::now_v7(),
        organisation_id: None,
        stakeholder_kind: None,
        role: "facilitator".into(),
    }
}

/// An append of `n` events to `stream` of `hub`.
pub fn request(hub: Uuid, stream: &str, expected: ExpectedVersion, n: usize) -> AppendRequest {
    AppendRequest {
        hub_id: hub,
        stream_id: stream.to_string(),
        expected_version: expected,
        actor: actor(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        idempotency_key: None,
        client_fingerprint: None,
        events: (0..n)
            .map(|i| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "Thing".into(),
                schema_version: 1,
                payload: serde_json::json!({ "i": i, "stream": stream }),
            })
            .collect(),
    }
}
