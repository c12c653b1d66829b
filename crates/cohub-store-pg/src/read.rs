//! Reads: streams, hubs, the global log, chain heads and chain verification.
//!
//! Reading the global log as "position > last seen" is sound here because positions are
//! assigned in commit order (see [`crate::append`]): once a position is visible, every smaller
//! one is visible too.

use crate::error::map_sqlx;
use cohub_store::chain::{verify_events, GENESIS_HASH};
use cohub_store::idempotency::KeyRecord;
use cohub_store::{ActorRef, ChainHead, Envelope, Receipt, StoreError, StoreResult, Verification};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

/// The `events` columns, in the order [`decode_event`] reads them.
pub(crate) const EVENT_COLUMNS: &str = "position, hub_id, hub_seq, stream_id, stream_version, \
     event_id, recorded_at, actor_member_id, actor_organisation_id, actor_stakeholder_kind, \
     actor_role, correlation_id, causation_id, idempotency_key, event_type, schema_version, \
     payload, prev_hash, hash, client_fingerprint";

/// Converts a stored non-negative `bigint` to `u64`.
fn to_u64(v: i64, what: &str) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what}: {v}")))
}

/// Converts a `u64` (count, position, limit) to a `bigint` parameter, saturating.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Rebuilds an [`Envelope`] from an `events` row.
pub(crate) fn decode_event(row: &PgRow) -> StoreResult<Envelope> {
    let payload: String = row.try_get("payload").map_err(map_sqlx)?;
    let payload = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Corrupt(format!("payload is not JSON: {e}")))?;
    let schema_version: i64 = row.try_get("schema_version").map_err(map_sqlx)?;
    Ok(Envelope {
        event_id: row.try_get("event_id").map_err(map_sqlx)?,
        hub_id: row.try_get("hub_id").map_err(map_sqlx)?,
        stream_id: row.try_get("stream_id").map_err(map_sqlx)?,
        stream_version: to_u64(
            row.try_get("stream_version").map_err(map_sqlx)?,
            "stream version",
        )?,
        hub_seq: to_u64(row.try_get("hub_seq").map_err(map_sqlx)?, "hub sequence")?,
        position: to_u64(row.try_get("position").map_err(map_sqlx)?, "position")?,
        recorded_at: row.try_get("recorded_at").map_err(map_sqlx)?,
        actor: ActorRef {
            member_id: row.try_get("actor_member_id").map_err(map_sqlx)?,
            organisation_id: row.try_get("actor_organisation_id").map_err(map_sqlx)?,
            stakeholder_kind: row.try_get("actor_stakeholder_kind").map_err(map_sqlx)?,
            role: row.try_get("actor_role").map_err(map_sqlx)?,
        },
        correlation_id: row.try_get("correlation_id").map_err(map_sqlx)?,
        causation_id: row.try_get("causation_id").map_err(map_sqlx)?,
        idempotency_key: row.try_get("idempotency_key").map_err(map_sqlx)?,
        client_fingerprint: row.try_get("client_fingerprint").map_err(map_sqlx)?,
        event_type: row.try_get("event_type").map_err(map_sqlx)?,
        schema_version: u32::try_from(schema_version).map_err(|_| {
            StoreError::Corrupt(format!("schema version out of range: {schema_version}"))
        })?,
        payload,
        prev_hash: row.try_get("prev_hash").map_err(map_sqlx)?,
        hash: row.try_get("hash").map_err(map_sqlx)?,
    })
}

/// Decodes every row.
fn decode_all(rows: &[PgRow]) -> StoreResult<Vec<Envelope>> {
    rows.iter().map(decode_event).collect()
}

/// The receipt stored for (`hub_id`, `actor`, `key`), if an append used that idempotency key.
pub(crate) async fn idempotent_receipt(
    pool: &PgPool,
    hub_id: Uuid,
    actor: Uuid,
    key: &str,
) -> StoreResult<Option<Receipt>> {
    let receipt: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT receipt FROM idempotency WHERE hub_id = $1 AND member_id = $2 AND key = $3",
    )
    .bind(hub_id)
    .bind(actor)
    .bind(key)
    .fetch_optional(pool)
    .await
    .map_err(map_sqlx)?;
    receipt
        .map(|r| {
            serde_json::from_value(r)
                .map_err(|e| StoreError::Corrupt(format!("stored receipt: {e}")))
        })
        .transpose()
}

/// Current version of a stream (0 if it does not exist).
pub(crate) async fn stream_version(pool: &PgPool, stream_id: &str) -> StoreResult<u64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT version FROM streams WHERE stream_id = $1")
        .bind(stream_id)
        .fetch_optional(pool)
        .await
        .map_err(map_sqlx)?;
    to_u64(v.unwrap_or(0), "stream version")
}

/// A stream's events with version > `after_version`, in order.
pub(crate) async fn read_stream(
    pool: &PgPool,
    stream_id: &str,
    after_version: u64,
) -> StoreResult<Vec<Envelope>> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version > $2 \
         ORDER BY stream_version"
    ))
    .bind(stream_id)
    .bind(to_i64(after_version))
    .fetch_all(pool)
    .await
    .map_err(map_sqlx)?;
    decode_all(&rows)
}

/// Several streams' events after the versions given, in one round trip: one indexed `SELECT`
/// per stream, joined with `UNION ALL`.
pub(crate) async fn read_streams(
    pool: &PgPool,
    wanted: &[(String, u64)],
) -> StoreResult<Vec<Vec<Envelope>>> {
    if wanted.len() <= 1 {
        let mut out = Vec::new();
        for (stream_id, after) in wanted {
            out.push(read_stream(pool, stream_id, *after).await?);
        }
        return Ok(out);
    }
    let mut qb: sqlx::QueryBuilder<sqlx::Postgres> = sqlx::QueryBuilder::new("");
    for (i, (stream_id, after)) in wanted.iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push(format!(
            "(SELECT {i}::int4 AS part, {EVENT_COLUMNS} FROM events WHERE stream_id = "
        ))
        .push_bind(stream_id.clone())
        .push(" AND stream_version > ")
        .push_bind(to_i64(*after))
        .push(" ORDER BY stream_version)");
    }
    let rows = qb.build().fetch_all(pool).await.map_err(map_sqlx)?;
    let mut out: Vec<Vec<Envelope>> = wanted.iter().map(|_| Vec::new()).collect();
    for row in &rows {
        let part: i32 = row.try_get("part").map_err(map_sqlx)?;
        let slot = usize::try_from(part)
            .ok()
            .and_then(|p| out.get_mut(p))
            .ok_or_else(|| StoreError::Backend(format!("read_streams: no part {part}")))?;
        slot.push(decode_event(row)?);
    }
    // Each part was asked in version order; a union promises no order across its parts.
    for slot in &mut out {
        slot.sort_by_key(|e| e.stream_version);
    }
    Ok(out)
}

/// A hub's events with sequence > `after_seq`, in order, at most `limit`.
pub(crate) async fn read_hub(
    pool: &PgPool,
    hub_id: Uuid,
    after_seq: u64,
    limit: usize,
) -> StoreResult<Vec<Envelope>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE hub_id = $1 AND hub_seq > $2 \
         ORDER BY hub_seq LIMIT $3"
    ))
    .bind(hub_id)
    .bind(to_i64(after_seq))
    .bind(to_i64(limit as u64))
    .fetch_all(pool)
    .await
    .map_err(map_sqlx)?;
    decode_all(&rows)
}

/// The global log from position > `after_position`, in order, at most `limit`.
pub(crate) async fn read_all(
    pool: &PgPool,
    after_position: u64,
    limit: usize,
) -> StoreResult<Vec<Envelope>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
    ))
    .bind(to_i64(after_position))
    .bind(to_i64(limit as u64))
    .fetch_all(pool)
    .await
    .map_err(map_sqlx)?;
    decode_all(&rows)
}

/// Position of the last committed event (0 if the log is empty).
pub(crate) async fn head_position(pool: &PgPool) -> StoreResult<u64> {
    let p: Option<i64> = sqlx::query_scalar("SELECT position FROM log_head WHERE id = 1")
        .fetch_optional(pool)
        .await
        .map_err(map_sqlx)?;
    to_u64(p.unwrap_or(0), "position")
}

/// Every hub that has at least one event, in id order.
pub(crate) async fn hubs(pool: &PgPool) -> StoreResult<Vec<Uuid>> {
    sqlx::query_scalar("SELECT hub_id FROM hubs WHERE last_seq > 0 ORDER BY hub_id")
        .fetch_all(pool)
        .await
        .map_err(map_sqlx)
}

/// A hub's chain head as recorded in `hubs` (sequence 0 and the genesis hash if none).
pub(crate) async fn chain_head(pool: &PgPool, hub_id: Uuid) -> StoreResult<ChainHead> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT last_seq, last_hash FROM hubs WHERE hub_id = $1")
            .bind(hub_id)
            .fetch_optional(pool)
            .await
            .map_err(map_sqlx)?;
    Ok(match row {
        Some((seq, hash)) => ChainHead {
            hub_id,
            hub_seq: to_u64(seq, "hub sequence")?,
            hash,
        },
        None => ChainHead {
            hub_id,
            hub_seq: 0,
            hash: GENESIS_HASH.to_string(),
        },
    })
}

/// Recomputes a hub's chain from the stored rows, then checks that the recorded head agrees
/// (so that events removed from the end of the chain are detected too).
pub(crate) async fn verify_hub(pool: &PgPool, hub_id: Uuid) -> StoreResult<Verification> {
    // One snapshot for the events and the head, so a concurrent append cannot look like damage.
    let mut tx = pool.begin().await.map_err(map_sqlx)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(map_sqlx)?;
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE hub_id = $1 ORDER BY hub_seq"
    ))
    .bind(hub_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(map_sqlx)?;
    let recorded: Option<(i64, String)> =
        sqlx::query_as("SELECT last_seq, last_hash FROM hubs WHERE hub_id = $1")
            .bind(hub_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_sqlx)?;
    tx.commit().await.map_err(map_sqlx)?;

    let events = decode_all(&rows)?;
    let verification = verify_events(hub_id, events);
    let Verification::Ok(head) = &verification else {
        return Ok(verification);
    };
    if let Some((seq, hash)) = recorded {
        let seq = to_u64(seq, "hub sequence")?;
        if seq > head.hub_seq {
            return Ok(Verification::Broken {
                hub_id,
                hub_seq: head.hub_seq + 1,
                position: None,
                reason: format!(
                    "the chain ends at event {} but the hub's head records event {seq} \
                     (events are missing from the end)",
                    head.hub_seq
                ),
            });
        }
        if seq < head.hub_seq {
            return Ok(Verification::Broken {
                hub_id,
                hub_seq: seq + 1,
                position: None,
                reason: format!(
                    "the hub's head records event {seq} but the chain continues to event {} \
                     (events were added outside the store)",
                    head.hub_seq
                ),
            });
        }
        if hash != head.hash {
            return Ok(Verification::Broken {
                hub_id,
                hub_seq: seq,
                position: None,
                reason: format!("the hub's recorded head hash does not match event {seq}"),
            });
        }
    }
    Ok(verification)
}

/// The stored idempotency records of the given (hub, member, key) triples, in one query.
pub(crate) async fn key_records(
    conn: &mut sqlx::PgConnection,
    keys: impl IntoIterator<Item = (Uuid, Uuid, String)>,
) -> Result<std::collections::HashMap<(Uuid, Uuid, String), KeyRecord>, sqlx::Error> {
    let (mut hubs, mut members, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for (hub, member, key) in keys {
        hubs.push(hub);
        members.push(member);
        names.push(key);
    }
    let mut records = std::collections::HashMap::new();
    if hubs.is_empty() {
        return Ok(records);
    }
    type Row = (
        Uuid,
        Uuid,
        String,
        String,
        Option<String>,
        serde_json::Value,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT i.hub_id, i.member_id, i.key, i.fingerprint, i.client_fingerprint, i.receipt \
         FROM idempotency i \
         JOIN unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(hub_id, member_id, key) \
           ON i.hub_id = k.hub_id AND i.member_id = k.member_id AND i.key = k.key",
    )
    .bind(&hubs)
    .bind(&members)
    .bind(&names)
    .fetch_all(&mut *conn)
    .await?;
    for (hub, member, key, fingerprint, client_fingerprint, receipt) in rows {
        let receipt: Receipt = serde_json::from_value(receipt)
            .map_err(|e| sqlx::Error::Decode(format!("stored receipt: {e}").into()))?;
        records.insert(
            (hub, member, key),
            KeyRecord {
                fingerprint,
                client_fingerprint,
                receipt,
            },
        );
    }
    Ok(records)
}
