//! Mapping of sqlx / PostgreSQL failures onto [`StoreError`].

use cohub_store::StoreError;

/// SQLSTATE of a unique violation.
pub(crate) const UNIQUE_VIOLATION: &str = "23505";

/// Whether `e` is a unique-constraint violation (the last line of defence against a lost race).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some(UNIQUE_VIOLATION))
}

/// Whether `e` says a connection itself failed (its socket, TLS or protocol broke, it was
/// lost, or the server is shutting down): the failures after which the pool pings what it
/// hands out ([`crate::trouble`]). A full pool or a server out of resources is not one: every
/// connection still works, and pinging each would only add round trips to a busy server.
pub(crate) fn is_connection_failure(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            code.starts_with("08") || code.starts_with("57P")
        }
        _ => false,
    }
}

/// Maps a sqlx error: lost or unreachable connections are `Unavailable`, undecodable rows are
/// `Corrupt`, everything else is `Backend`. Unique violations are handled by the caller, which
/// knows the stream to name in the `Conflict`.
pub(crate) fn map_sqlx(e: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    if is_connection_failure(&e) {
        crate::trouble::seen();
        return StoreError::Unavailable(e.to_string());
    }
    match &e {
        E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => {
            StoreError::Unavailable(e.to_string())
        }
        E::ColumnDecode { .. } | E::Decode(_) | E::ColumnNotFound(_) => {
            StoreError::Corrupt(e.to_string())
        }
        // Class 53: the server is out of resources (connections, memory, disk).
        E::Database(db) if db.code().is_some_and(|c| c.starts_with("53")) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    /// A PostgreSQL error with only a SQLSTATE.
    #[derive(Debug)]
    struct Sqlstate(&'static str);

    impl std::fmt::Display for Sqlstate {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Sqlstate {}

    impl sqlx::error::DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn db(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(Sqlstate(code)))
    }

    #[test]
    fn only_a_broken_connection_makes_the_pool_ping() {
        let io = || sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        for broken in [
            io(),
            sqlx::Error::Protocol("unexpected message".into()),
            db("08006"),
            db("57P01"),
        ] {
            assert!(is_connection_failure(&broken), "{broken}");
        }
        for working in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            db("53300"),
            db("23505"),
            sqlx::Error::RowNotFound,
        ] {
            assert!(!is_connection_failure(&working), "{working}");
        }
        // Each is still answered as before: the busy pool and the full server as unavailable.
        for unavailable in [io(), sqlx::Error::PoolTimedOut, db("53300"), db("57P01")] {
            assert!(matches!(map_sqlx(unavailable), StoreError::Unavailable(_)));
        }
        assert!(matches!(map_sqlx(db("23505")), StoreError::Backend(_)));
    }
}
