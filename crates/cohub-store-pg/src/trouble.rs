//! When a connection to PostgreSQL last failed, so that the pool pings the connections it hands
//! out for a while afterwards.
//!
//! A connection idle for under a second is handed out without a ping (a round trip per
//! transaction saved on a busy pool). One that died while it idled (a network cut, a restarted
//! server) is then only found by using it, and the request that uses it fails. After any such
//! failure, every connection handed out is pinged for [`PING_AFTER_TROUBLE`], so the dead ones
//! are dropped before a request meets them. The record is shared by the whole process: trouble
//! seen by one store makes the others ping too, which costs a round trip and nothing else.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long after a connection failure every connection handed out is pinged.
pub(crate) const PING_AFTER_TROUBLE: Duration = Duration::from_secs(10);

static BASE: OnceLock<Instant> = OnceLock::new();
/// Milliseconds after [`BASE`] of the last failure, plus one (0: never).
static LAST: AtomicU64 = AtomicU64::new(0);

fn now_ms() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// A connection to PostgreSQL just failed.
pub(crate) fn seen() {
    LAST.store(now_ms(), Ordering::Relaxed);
}

/// Whether a connection failed within the last [`PING_AFTER_TROUBLE`].
pub(crate) fn recent() -> bool {
    let last = LAST.load(Ordering::Relaxed);
    last != 0 && now_ms().saturating_sub(last) <= PING_AFTER_TROUBLE.as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trouble_is_recent_once_seen() {
        // The record is process-wide: other tests may have set it already.
        seen();
        assert!(recent());
    }
}
