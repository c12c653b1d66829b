//! Imports: sealed envelopes written verbatim in one transaction (see
//! [`cohub_store::EventStore::import`]).
//!
//! Lock order matches appends (hub rows first, sorted here, then the global `log_head` row), so
//! an import and concurrent appends cannot deadlock; the checks are
//! [`cohub_store::import::plan`]'s, run on what the transaction read under those locks.

use crate::append::{insert_events, INSERT_CHUNK, NOTIFY_CHANNEL};
use crate::error::{is_unique_violation, map_sqlx};
use crate::read::to_i64;
use cohub_store::chain::GENESIS_HASH;
use cohub_store::idempotency::KeyRecord;
use cohub_store::import::{self, ImportBase};
use cohub_store::{ChainHead, Envelope, ImportReport, StoreError, StoreResult};
use sqlx::PgPool;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// What the transaction read before planning.
struct Base {
    position: u64,
    heads: HashMap<Uuid, ChainHead>,
    streams: HashMap<String, (Uuid, u64)>,
    idempotency: HashMap<(Uuid, Uuid, String), KeyRecord>,
}

impl ImportBase for Base {
    fn head_position(&self) -> u64 {
        self.position
    }

    fn chain_head(&self, hub: Uuid) -> StoreResult<ChainHead> {
        Ok(self.heads.get(&hub).cloned().unwrap_or_else(|| ChainHead {
            hub_id: hub,
            hub_seq: 0,
            hash: GENESIS_HASH.to_string(),
        }))
    }

    fn stream(&self, stream_id: &str) -> StoreResult<Option<(Uuid, u64)>> {
        Ok(self.streams.get(stream_id).copied())
    }

    fn idempotency(&self, hub: Uuid, actor: Uuid, key: &str) -> StoreResult<Option<KeyRecord>> {
        Ok(self
            .idempotency
            .get(&(hub, actor, key.to_string()))
            .cloned())
    }
}

/// Imports one batch atomically.
pub(crate) async fn import(pool: &PgPool, envelopes: Vec<Envelope>) -> StoreResult<ImportReport> {
    if envelopes.is_empty() {
        return Ok(ImportReport {
            imported: 0,
            head_position: crate::read::head_position(pool).await?,
            heads: Vec::new(),
        });
    }
    let mut tx = pool.begin().await.map_err(map_sqlx)?;
    let result = run(&mut tx, envelopes).await;
    match result {
        Ok(report) => {
            tx.commit().await.map_err(map_import_sql)?;
            Ok(report)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

fn map_import_sql(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict {
            stream_id: String::new(),
            expected: "an unchanged log".into(),
            actual: 0,
        }
    } else {
        map_sqlx(e)
    }
}

async fn run(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    envelopes: Vec<Envelope>,
) -> StoreResult<ImportReport> {
    // 1. Hub rows, in a fixed order (appends lock one hub, then `log_head`).
    let hubs: BTreeSet<Uuid> = envelopes.iter().map(|e| e.hub_id).collect();
    let mut heads = HashMap::new();
    for hub in hubs {
        let (last_seq, last_hash): (i64, String) = sqlx::query_as(
            "INSERT INTO hubs (hub_id, last_seq, last_hash) VALUES ($1, 0, $2) \
             ON CONFLICT (hub_id) DO UPDATE SET last_seq = hubs.last_seq \
             RETURNING last_seq, last_hash",
        )
        .bind(hub)
        .bind(GENESIS_HASH)
        .fetch_one(&mut **tx)
        .await
        .map_err(map_sqlx)?;
        heads.insert(
            hub,
            ChainHead {
                hub_id: hub,
                hub_seq: last_seq.max(0) as u64,
                hash: last_hash,
            },
        );
    }
    // 2. The global position, locked until commit.
    let position: i64 = sqlx::query_scalar("SELECT position FROM log_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut **tx)
        .await
        .map_err(map_sqlx)?;

    // 3. Streams and idempotency records the batch touches.
    let stream_ids: Vec<String> = envelopes
        .iter()
        .map(|e| e.stream_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows: Vec<(String, Uuid, i64)> = sqlx::query_as(
        "SELECT stream_id, hub_id, version FROM streams WHERE stream_id = ANY($1) FOR UPDATE",
    )
    .bind(&stream_ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(map_sqlx)?;
    let streams = rows
        .into_iter()
        .map(|(s, h, v)| (s, (h, v.max(0) as u64)))
        .collect();
    let keys: BTreeSet<(Uuid, Uuid, String)> = envelopes
        .iter()
        .filter_map(|e| {
            e.idempotency_key
                .clone()
                .map(|k| (e.hub_id, e.actor.member_id, k))
        })
        .collect();
    let idempotency = crate::read::key_records(tx, keys).await.map_err(map_sqlx)?;
    let base = Base {
        position: position.max(0) as u64,
        heads,
        streams,
        idempotency,
    };

    // 4. Check, then write.
    let plan = import::plan(&base, envelopes)?;
    let report = plan.report();
    for chunk in plan.envelopes.chunks(INSERT_CHUNK) {
        insert_events(tx, chunk).await.map_err(map_import_sql)?;
    }
    for head in plan.heads.values() {
        sqlx::query("UPDATE hubs SET last_seq = $2, last_hash = $3 WHERE hub_id = $1")
            .bind(head.hub_id)
            .bind(to_i64(head.hub_seq))
            .bind(&head.hash)
            .execute(&mut **tx)
            .await
            .map_err(map_sqlx)?;
    }
    for (stream_id, (hub, version)) in &plan.streams {
        sqlx::query(
            "INSERT INTO streams (stream_id, hub_id, version) VALUES ($1, $2, $3) \
             ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version",
        )
        .bind(stream_id)
        .bind(hub)
        .bind(to_i64(*version))
        .execute(&mut **tx)
        .await
        .map_err(map_import_sql)?;
    }
    for ((hub, actor, key), record) in &plan.idempotency {
        let receipt = serde_json::to_value(&record.receipt)
            .map_err(|e| StoreError::Backend(format!("receipt does not serialise: {e}")))?;
        sqlx::query(
            "INSERT INTO idempotency (hub_id, member_id, key, fingerprint, client_fingerprint, \
             receipt) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (hub_id, member_id, key) DO UPDATE SET \
             fingerprint = EXCLUDED.fingerprint, receipt = EXCLUDED.receipt",
        )
        .bind(hub)
        .bind(actor)
        .bind(key)
        .bind(&record.fingerprint)
        .bind(record.client_fingerprint.as_deref())
        .bind(&receipt)
        .execute(&mut **tx)
        .await
        .map_err(map_sqlx)?;
    }
    let first = plan.envelopes.first().map(|e| e.position).unwrap_or(0);
    let note = serde_json::json!({
        "import": true,
        "first_position": first,
        "last_position": plan.position,
    })
    .to_string();
    sqlx::query("UPDATE log_head SET position = $1 WHERE id = 1")
        .bind(to_i64(plan.position))
        .execute(&mut **tx)
        .await
        .map_err(map_sqlx)?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(NOTIFY_CHANNEL)
        .bind(&note)
        .execute(&mut **tx)
        .await
        .map_err(map_sqlx)?;
    Ok(report)
}
