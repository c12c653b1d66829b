//! Mapping of sqlx / PostgreSQL failures onto [`StoreError`].

use cohub_store::StoreError;

/// SQLSTATE of a unique violation.
pub(crate) const UNIQUE_VIOLATION: &str = "23505";

/// Whether `e` is a unique-constraint violation (the last line of defence against a lost race).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some(UNIQUE_VIOLATION))
}

/// Maps a sqlx error: lost or unreachable connections are `Unavailable`, undecodable rows are
/// `Corrupt`, everything else is `Backend`. Unique violations are handled by the caller, which
/// knows the stream to name in the `Conflict`.
pub(crate) fn map_sqlx(e: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match &e {
        E::Io(_)
        | E::Tls(_)
        | E::Protocol(_)
        | E::PoolTimedOut
        | E::PoolClosed
        | E::WorkerCrashed => {
            crate::trouble::seen();
            StoreError::Unavailable(e.to_string())
        }
        E::ColumnDecode { .. } | E::Decode(_) | E::ColumnNotFound(_) => {
            StoreError::Corrupt(e.to_string())
        }
        E::Database(db) => {
            let code = db.code().unwrap_or_default();
            // Class 08: connection exception; 57P0x: server shutting down; 53: out of resources.
            if code.starts_with("08") || code.starts_with("57P") || code.starts_with("53") {
                crate::trouble::seen();
                StoreError::Unavailable(e.to_string())
            } else {
                StoreError::Backend(e.to_string())
            }
        }
        _ => StoreError::Backend(e.to_string()),
    }
}
