//! Typed store errors.

use thiserror::Error;

/// Why the store refused or failed an operation.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The stream was not at the expected version: someone else wrote first.
    #[error("the {stream_id} stream is at version {actual}, not the expected {expected}; reload and try again")]
    Conflict {
        /// The stream.
        stream_id: String,
        /// What the caller expected, in words (`no stream`, `3`).
        expected: String,
        /// Its current version.
        actual: u64,
    },
    /// The stream already belongs to another hub.
    #[error("the {stream_id} stream belongs to another hub")]
    WrongHub {
        /// The stream.
        stream_id: String,
    },
    /// The idempotency key was used before, by the same actor in the same hub, for a different
    /// request (another operation or another input).
    #[error("the idempotency key {key:?} was already used for a different request; use a new key for a new request")]
    IdempotencyMismatch {
        /// The key.
        key: String,
    },
    /// The request itself is malformed (for example no events).
    #[error("invalid append: {0}")]
    Invalid(String),
    /// Stored data could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The store is shutting down or its writer is gone.
    #[error("the event store is unavailable: {0}")]
    Unavailable(String),
    /// The store failed around the commit of an append (for example the database connection
    /// dropped while `COMMIT` was under way) and whether the append was written could not be
    /// told. Retrying with the same idempotency key is safe: it answers the first receipt if the
    /// append was written, and writes it if it was not.
    #[error("the event store failed while recording this, and whether it was recorded could not be told: {0}")]
    OutcomeUnknown(String),
    /// An I/O or database failure.
    #[error("event store failure: {0}")]
    Backend(String),
    /// [`EventStore::import`](crate::store::EventStore::import) refused a batch: importing it
    /// would break the log. Nothing of the batch was written.
    #[error("{0}")]
    ImportRefused(ImportRefusal),
}

/// Why an import batch was refused, naming the first envelope that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot import the event at global position {position}: {detail}")]
pub struct ImportRefusal {
    /// Global position (as carried by the envelope) of the first envelope that does not fit.
    pub position: u64,
    /// Index of that envelope in the batch (0-based).
    pub index: usize,
    /// What is wrong.
    pub kind: ImportRefusalKind,
    /// Plain-language detail.
    pub detail: String,
}

/// The kinds of [`ImportRefusal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportRefusalKind {
    /// The position does not continue the store's head exactly (a gap or an overlap).
    Position,
    /// The hub sequence does not continue the hub's head.
    HubSeq,
    /// `prev_hash` does not link to the hub's head hash.
    PrevHash,
    /// The hash does not recompute from the envelope's content.
    Hash,
    /// The stream version does not continue the stream.
    StreamVersion,
    /// The stream belongs to another hub.
    WrongHub,
    /// The idempotency key was already used in that hub (by another append).
    IdempotencyKeyUsed,
    /// The envelope is malformed (for example an empty stream id).
    Malformed,
}

/// Short-hand result.
pub type StoreResult<T> = Result<T, StoreError>;
