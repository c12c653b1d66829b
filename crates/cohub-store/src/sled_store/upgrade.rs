//! Bringing a store written by an older cohub to the current on-disk format, once, on open.
//!
//! Format `1` keyed the `idempotency` tree by hub and key; format `2` keys it by hub, actor and
//! key (idempotency keys are scoped per actor). The actor of each record is the one recorded on
//! the first event of the append it describes. The rewrite and the new format marker are one
//! transaction, so a crash leaves either format, never a mixture. Format `3` packs each new
//! event with zstd (`packing.rs`); the plain events of format `2` stay as they are and are
//! read as they are, so going from `2` to `3` only changes the marker.

use super::keys::{self, backend, decode_envelope, u64_key, Trees};
use crate::error::{StoreError, StoreResult};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use uuid::Uuid;

/// Checks the store's format and upgrades an older one (a new store gets the current format).
pub(crate) fn to_current_format(trees: &Trees) -> StoreResult<()> {
    let format = trees.meta.get(keys::META_FORMAT).map_err(backend)?;
    match format.as_deref() {
        Some(v) if v == keys::FORMAT_VERSION => Ok(()),
        Some(v) if v == keys::FORMAT_PLAIN_EVENTS => mark_current(trees),
        Some(v) if v == keys::FORMAT_HUB_SCOPED_KEYS => scope_keys_per_actor(trees),
        // Stores older than the marker had the first layout; a new store has no records yet.
        None if !trees.idempotency.is_empty() => scope_keys_per_actor(trees),
        None => mark_current(trees),
        Some(v) => Err(StoreError::Corrupt(format!(
            "unknown store format {:?}",
            String::from_utf8_lossy(v)
        ))),
    }
}

/// Records the current format (a new store, or one whose layout needs nothing else).
fn mark_current(trees: &Trees) -> StoreResult<()> {
    trees
        .meta
        .insert(keys::META_FORMAT, keys::FORMAT_VERSION)
        .map_err(backend)?;
    trees.meta.flush().map_err(backend)?;
    Ok(())
}

/// Format 1 -> 3: re-keys every idempotency record by the actor of the append it describes.
fn scope_keys_per_actor(trees: &Trees) -> StoreResult<()> {
    let mut batch = sled::Batch::default();
    let mut count = 0u64;
    for item in trees.idempotency.iter() {
        let (old_key, value) = item.map_err(backend)?;
        if old_key.len() < 16 {
            return Err(StoreError::Corrupt("bad idempotency key".into()));
        }
        let hub =
            Uuid::from_slice(&old_key[..16]).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let key = std::str::from_utf8(&old_key[16..])
            .map_err(|_| StoreError::Corrupt("an idempotency key is not UTF-8".into()))?;
        let record = keys::read_idempotency_record(&value)?;
        let position = record.receipt.first_position;
        let bytes = trees
            .events
            .get(u64_key(position))
            .map_err(backend)?
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "the idempotency key {key:?} names position {position}, which holds no event"
                ))
            })?;
        let first = decode_envelope(position, &bytes)?;
        if first.hub_id != hub || first.idempotency_key.as_deref() != Some(key) {
            return Err(StoreError::Corrupt(format!(
                "the idempotency key {key:?} names position {position}, whose event is not of it"
            )));
        }
        batch.remove(old_key.as_ref());
        batch.insert(
            keys::idempotency_key(hub, first.actor.member_id, key),
            value,
        );
        count += 1;
    }
    let result: Result<(), TransactionError<()>> =
        (&trees.idempotency, &trees.meta).transaction(|(idempotency, meta)| {
            idempotency.apply_batch(&batch)?;
            meta.insert(keys::META_FORMAT, keys::FORMAT_VERSION)?;
            Ok::<(), ConflictableTransactionError<()>>(())
        });
    match result {
        Ok(()) => {}
        Err(TransactionError::Storage(e)) => return Err(backend(e)),
        Err(TransactionError::Abort(())) => {
            return Err(StoreError::Backend("the format upgrade aborted".into()))
        }
    }
    trees.db.flush().map_err(backend)?;
    tracing::info!(
        records = count,
        "upgraded the store: idempotency keys are now per actor"
    );
    Ok(())
}
