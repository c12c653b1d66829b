//! One verifier for every accepted issuer: routes a token to the embedded or the OIDC check.

use super::verified::{digest, VerifiedTokens};
use super::{Authenticated, LocalVerifier, OidcVerifier};
use crate::error::ApiError;
use jsonwebtoken::Algorithm;

/// Verifies bearer tokens from the embedded issuer (EdDSA) and, if configured, an OIDC issuer
/// (RS256/ES256). Anything else is refused with `UNAUTHENTICATED`. A token that verified is
/// kept ([`super::verified`]), so a member's next requests skip the signature check.
#[derive(Debug, Default)]
pub struct Verifier {
    local: Option<LocalVerifier>,
    oidc: Option<OidcVerifier>,
    verified: VerifiedTokens,
    /// Signatures checked so far (tokens not answered from `verified`).
    checked: std::sync::atomic::AtomicU64,
}

impl Verifier {
    /// A verifier accepting the given issuers (either may be absent).
    pub fn new(local: Option<LocalVerifier>, oidc: Option<OidcVerifier>) -> Self {
        Verifier {
            local,
            oidc,
            verified: VerifiedTokens::default(),
            checked: Default::default(),
        }
    }

    /// Verifies a token and returns the member it names.
    pub async fn verify(&self, token: &str) -> Result<Authenticated, ApiError> {
        let key = digest(token);
        let now = chrono::Utc::now().timestamp();
        if let Some(who) = self.verified.get(&key, now) {
            return Ok(who);
        }
        self.checked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (who, exp) = self.verify_fully(token).await?;
        self.verified.keep(key, who, exp, now);
        Ok(who)
    }

    /// How many tokens had their signature checked (the others were answered as kept).
    pub fn signatures_checked(&self) -> u64 {
        self.checked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Checks the signature and claims; answers who the token names and when it expires.
    async fn verify_fully(&self, token: &str) -> Result<(Authenticated, i64), ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            ApiError::Unauthenticated("the bearer token is not a well-formed JWT".into())
        })?;
        match (header.alg, &self.local, &self.oidc) {
            (Algorithm::EdDSA, Some(local), _) => local.verify_until(token),
            (Algorithm::RS256 | Algorithm::ES256, _, Some(oidc)) => {
                oidc.verify_until(token, &header).await
            }
            (alg, _, _) => Err(ApiError::Unauthenticated(format!(
                "bearer tokens signed with {alg:?} are not accepted by this server"
            ))),
        }
    }

    /// Verifies the token of an `Authorization` header value: `Ok(None)` without a header.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
    ) -> Result<Option<Authenticated>, ApiError> {
        match super::bearer_token(authorization)? {
            None => Ok(None),
            Some(token) => self.verify(token).await.map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TokenIssuer;
    use std::time::Duration;
    use uuid::Uuid;

    #[tokio::test]
    async fn kept_tokens_answer_for_their_own_member_and_altered_copies_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = TokenIssuer::open(dir.path()).unwrap();
        let verifier = Verifier::new(Some(issuer.verifier()), None);
        let (one, two) = (Uuid::now_v7(), Uuid::now_v7());
        let token_one = issuer.issue(one, Duration::from_secs(600)).unwrap();
        let token_two = issuer.issue(two, Duration::from_secs(600)).unwrap();
        for _ in 0..3 {
            assert_eq!(verifier.verify(&token_one).await.unwrap().member_id, one);
            assert_eq!(verifier.verify(&token_two).await.unwrap().member_id, two);
        }
        assert_eq!(
            verifier.signatures_checked(),
            2,
            "each token's signature is checked once, then it is kept"
        );
        // The same token with its signature altered (a character inside it changed) is
        // checked in full, and refused, although the genuine one is kept.
        let at = token_one.len() - 10;
        let was = &token_one[at..at + 1];
        let altered = format!(
            "{}{}{}",
            &token_one[..at],
            if was == "A" { "B" } else { "A" },
            &token_one[at + 1..]
        );
        let err = verifier.verify(&altered).await.unwrap_err();
        assert!(matches!(err, ApiError::Unauthenticated(_)), "{err:?}");
        assert!(
            verifier.verify(&altered).await.is_err(),
            "a refusal is not kept"
        );
        assert_eq!(verifier.signatures_checked(), 4);
        // And a token from another key, naming the same member, is refused too.
        let other = tempfile::tempdir().unwrap();
        let forged = TokenIssuer::open(other.path())
            .unwrap()
            .issue(one, Duration::from_secs(600))
            .unwrap();
        assert!(verifier.verify(&forged).await.is_err());
    }
}
