//! The sled trees and their key layouts; every ordered scan the store needs is a key range.
//!
//! | tree           | key                                  | value                              |
//! |----------------|--------------------------------------|------------------------------------|
//! | `events`       | position (u64 BE)                    | canonical envelope JSON, packed    |
//! | `hub_index`    | hub uuid (16) ++ hub_seq (u64 BE)    | position (u64 BE)                  |
//! | `stream_index` | stream id ++ `0x00` ++ version (BE)  | position (u64 BE)                  |
//! | `streams`      | stream id                            | hub uuid (16) ++ version (u64 BE)  |
//! | `heads`        | hub uuid (16)                        | [`ChainHead`] JSON                 |
//! | `idempotency`  | hub (16) ++ actor (16) ++ key bytes  | [`KeyRecord`] JSON                 |
//! | `meta`         | name                                 | value                              |

use crate::envelope::ChainHead;
use crate::error::{StoreError, StoreResult};
use crate::idempotency::KeyRecord;
use uuid::Uuid;

/// `meta` key holding the last committed global position (u64 BE).
pub(crate) const META_HEAD_POSITION: &[u8] = b"head_position";
/// `meta` key holding the on-disk format version.
pub(crate) const META_FORMAT: &[u8] = b"format";
/// The on-disk format this code writes and reads. Format `1` keyed `idempotency` by hub and key
/// only; format `2` stored every event as plain JSON. Opening such a store upgrades it (see
/// `upgrade.rs`); an older cohub refuses a store of a format it does not know.
pub(crate) const FORMAT_VERSION: &[u8] = b"3";
/// The format before events were packed: still read as it is, only the marker changes.
pub(crate) const FORMAT_PLAIN_EVENTS: &[u8] = b"2";
/// The format before idempotency keys were scoped per actor.
pub(crate) const FORMAT_HUB_SCOPED_KEYS: &[u8] = b"1";

/// Handles to every tree of one store.
#[derive(Clone)]
pub(crate) struct Trees {
    pub db: sled::Db,
    pub events: sled::Tree,
    pub hub_index: sled::Tree,
    pub stream_index: sled::Tree,
    pub streams: sled::Tree,
    pub heads: sled::Tree,
    pub idempotency: sled::Tree,
    pub meta: sled::Tree,
}

impl Trees {
    /// Opens (creating if needed) every tree of `db`.
    pub fn open(db: sled::Db) -> StoreResult<Trees> {
        let t = |name: &str| db.open_tree(name).map_err(backend);
        Ok(Trees {
            events: t("events")?,
            hub_index: t("hub_index")?,
            stream_index: t("stream_index")?,
            streams: t("streams")?,
            heads: t("heads")?,
            idempotency: t("idempotency")?,
            meta: t("meta")?,
            db,
        })
    }
}

/// Maps a sled error to a backend error.
pub(crate) fn backend(e: sled::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Encodes a u64 so that byte order is numeric order.
pub(crate) fn u64_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Decodes a big-endian u64 from exactly 8 bytes.
pub(crate) fn read_u64(bytes: &[u8]) -> StoreResult<u64> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("expected 8 bytes, found {}", bytes.len())))?;
    Ok(u64::from_be_bytes(arr))
}

/// `hub_index` key of a hub's event `seq`.
pub(crate) fn hub_key(hub: Uuid, seq: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..16].copy_from_slice(hub.as_bytes());
    k[16..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// `stream_index` prefix shared by all versions of a stream.
pub(crate) fn stream_prefix(stream_id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(stream_id.len() + 9);
    k.extend_from_slice(stream_id.as_bytes());
    k.push(0);
    k
}

/// `stream_index` key of a stream's `version`.
pub(crate) fn stream_key(stream_id: &str, version: u64) -> Vec<u8> {
    let mut k = stream_prefix(stream_id);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// `streams` value: owning hub and current version.
pub(crate) fn stream_value(hub: Uuid, version: u64) -> [u8; 24] {
    hub_key(hub, version)
}

/// Decodes a `streams` value.
pub(crate) fn read_stream_value(bytes: &[u8]) -> StoreResult<(Uuid, u64)> {
    if bytes.len() != 24 {
        return Err(StoreError::Corrupt("bad streams entry".into()));
    }
    let hub = Uuid::from_slice(&bytes[..16]).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((hub, read_u64(&bytes[16..])?))
}

/// `idempotency` key: keys are scoped per hub and actor (the member who appended).
pub(crate) fn idempotency_key(hub: Uuid, actor: Uuid, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(32 + key.len());
    k.extend_from_slice(hub.as_bytes());
    k.extend_from_slice(actor.as_bytes());
    k.extend_from_slice(key.as_bytes());
    k
}

/// Decodes an `idempotency` record.
pub(crate) fn read_idempotency_record(bytes: &[u8]) -> StoreResult<KeyRecord> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Corrupt(format!("bad idempotency record: {e}")))
}

/// Serialises a chain head for the `heads` tree.
pub(crate) fn head_value(head: &ChainHead) -> Vec<u8> {
    serde_json::to_vec(head).expect("chain head serialises")
}

/// Decodes a `heads` value.
pub(crate) fn read_head(bytes: &[u8]) -> StoreResult<ChainHead> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("bad chain head: {e}")))
}

/// Stored bytes of an envelope: its canonical JSON (keys sorted, no white space), packed
/// (see `packing.rs`).
pub(crate) fn encode_envelope(e: &crate::envelope::Envelope) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    crate::canonical::write_envelope(e, true, &mut out);
    super::packing::pack(&out)
}

/// Decodes stored envelope bytes.
pub(crate) fn decode_envelope(
    position: u64,
    bytes: &[u8],
) -> StoreResult<crate::envelope::Envelope> {
    decode_stored(bytes).map_err(|reason| {
        StoreError::Corrupt(format!(
            "event at position {position} does not decode: {reason}"
        ))
    })
}

/// Unpacks stored event bytes and parses them as `T` (the whole envelope, or a probe of a few
/// of its fields), or says why they do not decode.
pub(crate) fn decode_stored<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let json = super::packing::unpack(bytes)?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}
