//! Why a projection could not fold an event, answer a read, or keep its checkpoint.

use cohub_store::StoreError;
use thiserror::Error;

/// A projection failure.
#[derive(Debug, Error)]
pub enum ReadError {
    /// A stored event could not be decoded into a domain event (unknown type, bad payload).
    #[error("the event at position {position} ({event_type}) could not be read: {message}")]
    Decode {
        /// Its global position.
        position: u64,
        /// Its type name.
        event_type: String,
        /// Why.
        message: String,
    },
    /// An envelope was not the next position of the log.
    #[error("expected the event at position {expected}, got position {got}")]
    OutOfOrder {
        /// The position the model needs next.
        expected: u64,
        /// The position it was given.
        got: u64,
    },
    /// An event refers to something the model does not know (the log is inconsistent).
    #[error("the event at position {position} does not fit the read model: {message}")]
    Inconsistent {
        /// Its global position.
        position: u64,
        /// What did not fit.
        message: String,
    },
    /// The event store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The projection did not reach a position in time.
    #[error("the read model has not caught up with position {position} yet (it is at {applied})")]
    Timeout {
        /// The position waited for.
        position: u64,
        /// The position applied when the wait ended.
        applied: u64,
    },
    /// The projector stopped (it failed to fold an event, or was shut down).
    #[error("the projection has stopped: {0}")]
    Stopped(String),
    /// A position beyond the end of the log was asked for.
    #[error("position {requested} is beyond the end of the log (position {head})")]
    BeyondHead {
        /// The position asked for.
        requested: u64,
        /// The log's last position.
        head: u64,
    },
    /// A checkpoint could not be written or read.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}
