//! One verifier for every accepted issuer: routes a token to the embedded or the OIDC check.

use super::{Authenticated, LocalVerifier, OidcVerifier};
use crate::error::ApiError;
use jsonwebtoken::Algorithm;

/// Verifies bearer tokens from the embedded issuer (EdDSA) and, if configured, an OIDC issuer
/// (RS256/ES256). Anything else is refused with `UNAUTHENTICATED`.
#[derive(Debug, Default)]
pub struct Verifier {
    local: Option<LocalVerifier>,
    oidc: Option<OidcVerifier>,
}

impl Verifier {
    /// A verifier accepting the given issuers (either may be absent).
    pub fn new(local: Option<LocalVerifier>, oidc: Option<OidcVerifier>) -> Self {
        Verifier { local, oidc }
    }

    /// Verifies a token and returns the member it names.
    pub async fn verify(&self, token: &str) -> Result<Authenticated, ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            ApiError::Unauthenticated("the bearer token is not a well-formed JWT".into())
        })?;
        match (header.alg, &self.local, &self.oidc) {
            (Algorithm::EdDSA, Some(local), _) => local.verify(token),
            (Algorithm::RS256 | Algorithm::ES256, _, Some(oidc)) => {
                oidc.verify(token, &header).await
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
