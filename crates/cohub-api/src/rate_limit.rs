//! Request rate limits: one bucket per member (by verified token) and one per client address
//! for anonymous callers (GCRA, via `governor`). A refusal is answered with code `LIMIT`.

use crate::config::RateLimitConfig;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// Who a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    /// A member with a verified token.
    Member(Uuid),
    /// An anonymous caller, by address.
    Address(IpAddr),
}

impl Client {
    /// `member` or `anonymous`, for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Client::Member(_) => "member",
            Client::Address(_) => "anonymous",
        }
    }
}

/// How often stale buckets are dropped (every this many checks).
const SWEEP_EVERY: u64 = 4096;

/// Per-member and per-address rate limiters.
pub struct RateLimiter {
    members: Option<DefaultKeyedRateLimiter<Uuid>>,
    addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("enabled", &self.members.is_some())
            .finish()
    }
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least one");
    let burst = NonZeroU32::new(burst.max(1)).expect("at least one");
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl RateLimiter {
    /// Limiters for `config` (which may disable them).
    pub fn new(config: &RateLimitConfig) -> Self {
        let enabled = config.enabled;
        RateLimiter {
            members: enabled.then(|| {
                DefaultKeyedRateLimiter::keyed(quota(config.member_per_minute, config.member_burst))
            }),
            addresses: enabled.then(|| {
                DefaultKeyedRateLimiter::keyed(quota(
                    config.anonymous_per_minute,
                    config.anonymous_burst,
                ))
            }),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one request from `client`'s bucket; `Err(wait)` if it is empty.
    pub fn check(&self, client: &Client) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        let outcome = match client {
            Client::Member(id) => self.members.as_ref().map(|l| l.check_key(id)),
            Client::Address(ip) => self.addresses.as_ref().map(|l| l.check_key(ip)),
        };
        match outcome {
            None | Some(Ok(())) => Ok(()),
            Some(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
        }
    }

    /// Drops the buckets of clients that have been quiet long enough to be full again.
    fn sweep(&self) {
        if let Some(l) = &self.members {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.addresses {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusal_per_client() {
        let limiter = RateLimiter::new(&RateLimitConfig {
            member_per_minute: 1,
            member_burst: 2,
            anonymous_per_minute: 1,
            anonymous_burst: 1,
            ..RateLimitConfig::default()
        });
        let a = Client::Member(Uuid::now_v7());
        let b = Client::Member(Uuid::now_v7());
        assert!(limiter.check(&a).is_ok());
        assert!(limiter.check(&a).is_ok());
        let wait = limiter.check(&a).unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(60));
        assert!(
            limiter.check(&b).is_ok(),
            "another member has their own bucket"
        );
        let ip = Client::Address("127.0.0.1".parse().unwrap());
        assert!(limiter.check(&ip).is_ok());
        assert!(limiter.check(&ip).is_err());
    }

    #[test]
    fn disabled_never_refuses() {
        let limiter = RateLimiter::new(&RateLimitConfig {
            enabled: false,
            anonymous_burst: 1,
            ..RateLimitConfig::default()
        });
        let ip = Client::Address("127.0.0.1".parse().unwrap());
        for _ in 0..10 {
            assert!(limiter.check(&ip).is_ok());
        }
    }
}
