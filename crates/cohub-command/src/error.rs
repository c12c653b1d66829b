//! Why a command was not carried out.

use cohub_domain::DomainError;
use cohub_store::StoreError;
use thiserror::Error;

/// A command's failure: the domain refused it, or the log could not take it.
#[derive(Debug, Error)]
pub enum CommandError {
    /// The domain refused the command (validation, a co-production rule, permission, ...).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The store refused or failed the append (conflict, unavailable, ...).
    #[error(transparent)]
    Store(#[from] StoreError),
}
