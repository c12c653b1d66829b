//! The database schema, applied idempotently on start under an advisory lock.

use crate::error::map_sqlx;
use cohub_store::StoreResult;
use sqlx::PgPool;

/// Advisory-lock key that serialises schema creation across processes starting together.
const MIGRATION_LOCK: i64 = 0x636f_6875_625f_0001;

/// The tables, as `;`-separated statements (no `;` inside one). Every statement is idempotent (`IF NOT EXISTS`, `ON CONFLICT DO NOTHING`).
///
/// - `log_head`: one row holding the last committed global position. Its row lock is the
///   short global lock every append takes at the end of its transaction (see `append`).
/// - `hubs`: each hub's chain head; its row lock serialises appends to one hub.
/// - `streams`: each stream's hub and current version.
/// - `events`: the log. All envelope fields as columns; the payload as the JSON *text* it was
///   hashed from (not `jsonb`, which would reorder keys and normalise numbers).
/// - `idempotency`: per hub and key, the request's fingerprint and the receipt it produced
///   (per hub, actor and key from [`UPGRADES`] version 2 on).
const SCHEMA_SQL: &str = r#"
CREATE TABLE IF NOT EXISTS log_head (
    id        smallint PRIMARY KEY CHECK (id = 1),
    position  bigint   NOT NULL CHECK (position >= 0)
);
INSERT INTO log_head (id, position) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS hubs (
    hub_id    uuid   PRIMARY KEY,
    last_seq  bigint NOT NULL CHECK (last_seq >= 0),
    last_hash text   NOT NULL
);

CREATE TABLE IF NOT EXISTS streams (
    stream_id text   PRIMARY KEY,
    hub_id    uuid   NOT NULL,
    version   bigint NOT NULL CHECK (version >= 0)
);

CREATE TABLE IF NOT EXISTS events (
    position               bigint      NOT NULL,
    hub_id                 uuid        NOT NULL,
    hub_seq                bigint      NOT NULL,
    stream_id              text        NOT NULL,
    stream_version         bigint      NOT NULL,
    event_id               uuid        NOT NULL,
    recorded_at            timestamptz NOT NULL,
    actor_member_id        uuid        NOT NULL,
    actor_organisation_id  uuid,
    actor_stakeholder_kind text,
    actor_role             text        NOT NULL,
    correlation_id         uuid        NOT NULL,
    causation_id           uuid,
    idempotency_key        text,
    event_type             text        NOT NULL,
    schema_version         bigint      NOT NULL,
    payload                text        NOT NULL,
    prev_hash              text        NOT NULL,
    hash                   text        NOT NULL,
    CONSTRAINT events_position_key UNIQUE (position),
    CONSTRAINT events_hub_seq_key UNIQUE (hub_id, hub_seq),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

CREATE TABLE IF NOT EXISTS idempotency (
    hub_id      uuid  NOT NULL,
    key         text  NOT NULL,
    fingerprint text  NOT NULL,
    receipt     jsonb NOT NULL,
    PRIMARY KEY (hub_id, key)
);

CREATE TABLE IF NOT EXISTS schema_version (
    id       smallint PRIMARY KEY CHECK (id = 1),
    version  integer  NOT NULL
);
INSERT INTO schema_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
"#;

/// Changes to the tables above, each applied once, in order, to a database at an older
/// version (a new database starts at version 1 and gets them all). `;`-separated statements.
///
/// - 2: idempotency keys are scoped per actor: `idempotency.member_id` (filled in for existing
///   keys from the actor of the first event of their append) joins the key, and the client
///   fingerprint of a keyed append is kept on its events and its key record (null before).
const UPGRADES: &[(i32, &str)] = &[(
    2,
    r#"
ALTER TABLE events ADD COLUMN IF NOT EXISTS client_fingerprint text;
ALTER TABLE idempotency ADD COLUMN IF NOT EXISTS member_id uuid;
ALTER TABLE idempotency ADD COLUMN IF NOT EXISTS client_fingerprint text;
UPDATE idempotency i SET member_id = e.actor_member_id FROM events e
    WHERE i.member_id IS NULL AND e.position = (i.receipt->>'first_position')::bigint;
ALTER TABLE idempotency ALTER COLUMN member_id SET NOT NULL;
ALTER TABLE idempotency DROP CONSTRAINT IF EXISTS idempotency_pkey;
ALTER TABLE idempotency ADD CONSTRAINT idempotency_pkey PRIMARY KEY (hub_id, member_id, key)
"#,
)];

/// Creates `schema` (if given) and the tables, holding a transaction-scoped advisory lock so
/// that two processes starting together do not race on `CREATE ... IF NOT EXISTS`.
pub(crate) async fn migrate(pool: &PgPool, schema: Option<&str>) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(map_sqlx)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(map_sqlx)?;
    if let Some(schema) = schema {
        let create = format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema));
        sqlx::query(&create)
            .execute(&mut *tx)
            .await
            .map_err(map_sqlx)?;
    }
    run_statements(&mut tx, SCHEMA_SQL).await?;
    let version: i32 = sqlx::query_scalar("SELECT version FROM schema_version WHERE id = 1")
        .fetch_one(&mut *tx)
        .await
        .map_err(map_sqlx)?;
    for (to, sql) in UPGRADES.iter().filter(|(to, _)| *to > version) {
        run_statements(&mut tx, sql).await?;
        sqlx::query("UPDATE schema_version SET version = $1 WHERE id = 1")
            .bind(to)
            .execute(&mut *tx)
            .await
            .map_err(map_sqlx)?;
    }
    tx.commit().await.map_err(map_sqlx)
}

/// Runs `;`-separated statements in the transaction.
async fn run_statements(tx: &mut sqlx::PgConnection, sql: &str) -> StoreResult<()> {
    for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(statement)
            .execute(&mut *tx)
            .await
            .map_err(map_sqlx)?;
    }
    Ok(())
}

/// Quotes an SQL identifier (`"name"`, doubling embedded quotes).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
