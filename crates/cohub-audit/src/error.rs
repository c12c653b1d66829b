//! What can go wrong in an audit query, in plain words.

use thiserror::Error;

/// Why an audit query could not be answered.
#[derive(Debug, Error)]
pub enum AuditError {
    /// The hub, problem, idea or distribution does not exist (at the moment read).
    #[error("{0}")]
    NotFound(String),
    /// The request itself does not make sense (e.g. two subjects at once).
    #[error("{0}")]
    Invalid(String),
    /// The hub's chain does not verify, so its head cannot be vouched for.
    #[error("{0}")]
    Broken(String),
    /// Reading the past failed.
    #[error(transparent)]
    Read(#[from] cohub_read::ReadError),
    /// The log could not be read.
    #[error(transparent)]
    Store(#[from] cohub_store::StoreError),
}
