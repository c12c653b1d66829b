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
    /// The idempotency key was used before for a different append.
    #[error("the idempotency key {key:?} was already used for a different request")]
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
    /// An I/O or database failure.
    #[error("event store failure: {0}")]
    Backend(String),
}

/// Short-hand result.
pub type StoreResult<T> = Result<T, StoreError>;
