//! Tokens already verified, so that a member's every request does not check a signature again.
//!
//! A signed token cannot change: the same text names the same member with the same claims until
//! it expires. So a verified token is kept under the SHA-256 of its whole text (never a part of
//! it, and never the token itself), with what it verified as, until the earlier of its `exp`
//! and [`MAX_AGE`] from now; a token that failed is never kept, so an altered copy of a kept
//! token differs in its digest and is checked in full. The age bound lets a key an OIDC
//! issuer withdrew stop being honoured within minutes, as its key cache does.

use super::Authenticated;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a verified token is kept at most, in seconds.
pub const MAX_AGE: i64 = 300;

/// How many verified tokens are kept before the cache starts afresh.
const CAPACITY: usize = 10_000;

/// Verified tokens by the digest of their text.
#[derive(Debug, Default)]
pub(crate) struct VerifiedTokens {
    entries: Mutex<HashMap<[u8; 32], (Authenticated, i64)>>,
}

/// The key a token is kept under.
pub(crate) fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl VerifiedTokens {
    /// Who the token with this digest verified as, if it is kept and `now` (seconds since the
    /// epoch) is before the end of its keeping.
    pub fn get(&self, digest: &[u8; 32], now: i64) -> Option<Authenticated> {
        let entries = self.lock();
        let (who, until) = entries.get(digest)?;
        (now < *until).then_some(*who)
    }

    /// Keeps a token that verified as `who` and expires at `exp`.
    pub fn keep(&self, digest: [u8; 32], who: Authenticated, exp: i64, now: i64) {
        let until = exp.min(now.saturating_add(MAX_AGE));
        if until <= now {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.retain(|_, (_, until)| now < *until);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(digest, (who, until));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (Authenticated, i64)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn member(n: u128) -> Authenticated {
        Authenticated {
            member_id: Uuid::from_u128(n),
            operator: false,
        }
    }

    #[test]
    fn a_kept_token_answers_only_for_itself_and_only_until_it_ends() {
        let kept = VerifiedTokens::default();
        kept.keep(digest("token-a"), member(1), 1_000, 900);
        kept.keep(digest("token-b"), member(2), 1_000, 900);
        assert_eq!(kept.get(&digest("token-a"), 950), Some(member(1)));
        assert_eq!(kept.get(&digest("token-b"), 950), Some(member(2)));
        assert_eq!(kept.get(&digest("token-a "), 950), None, "another text");
        assert_eq!(kept.get(&digest("token-a"), 1_000), None, "expired");
    }

    #[test]
    fn a_token_is_kept_no_longer_than_max_age() {
        let kept = VerifiedTokens::default();
        kept.keep(digest("long"), member(1), 1_000_000, 0);
        assert_eq!(kept.get(&digest("long"), MAX_AGE - 1), Some(member(1)));
        assert_eq!(kept.get(&digest("long"), MAX_AGE), None);
        kept.keep(digest("expired"), member(1), 10, 20);
        assert_eq!(kept.get(&digest("expired"), 5), None, "never kept");
    }

    #[test]
    fn a_full_cache_drops_what_has_ended_first() {
        let kept = VerifiedTokens::default();
        for n in 0..CAPACITY {
            kept.keep(
                digest(&format!("t{n}")),
                member(n as u128),
                100 + (n % 2) as i64,
                0,
            );
        }
        // At 100, half have ended: room is made without forgetting the live half.
        kept.keep(digest("new"), member(7), 1_000, 100);
        assert_eq!(kept.get(&digest("new"), 100), Some(member(7)));
        assert_eq!(kept.get(&digest("t1"), 100), Some(member(1)));
    }
}
