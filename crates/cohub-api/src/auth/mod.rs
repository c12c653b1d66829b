//! Bearer-token authentication: tokens from `cohub token` (the embedded issuer) and, in
//! production, from a configured OpenID Connect issuer.
//!
//! A request without a token is anonymous and may read only what is public. A request with a
//! token that does not verify (bad, expired, forged, wrong issuer or audience) is refused with
//! `UNAUTHENTICATED`; it is never treated as anonymous.

mod bearer;
mod local;
mod oidc;
mod verified;
mod verifier;

pub use bearer::{bearer_token, connection_init_token};
pub use local::{KeyError, LocalVerifier, TokenIssuer, DEFAULT_TOKEN_TTL};
pub use oidc::OidcVerifier;
pub use verifier::Verifier;

use uuid::Uuid;

/// The `iss` of tokens signed by the embedded issuer.
pub const ISSUER: &str = "cohub-local";

/// The `aud` every accepted token must carry (unless an OIDC issuer is configured otherwise).
pub const AUDIENCE: &str = "cohub";

/// The claim that makes a token an operator's: `"cohub_operator": true`.
pub const OPERATOR_CLAIM: &str = "cohub_operator";

/// A caller whose bearer token verified. Present in the GraphQL context only for such callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Authenticated {
    /// The member the token names.
    pub member_id: Uuid,
    /// Whether the token carries the operator claim ([`OPERATOR_CLAIM`]): an operator runs the
    /// service, may verify every hub's chain and read every hub's record, but acts in a hub
    /// only as the member the token names.
    pub operator: bool,
}

/// Plain-language reasons for a token that did not verify.
fn describe(err: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match err.kind() {
        ErrorKind::ExpiredSignature => "the bearer token has expired; ask for a new one".into(),
        ErrorKind::ImmatureSignature => "the bearer token is not valid yet".into(),
        ErrorKind::InvalidIssuer => {
            "the bearer token was issued by an issuer this server does not trust".into()
        }
        ErrorKind::InvalidAudience => "the bearer token is meant for another service".into(),
        ErrorKind::InvalidSignature => {
            "the bearer token's signature does not verify (it was altered or signed with another key)"
                .into()
        }
        ErrorKind::InvalidAlgorithm => {
            "the bearer token is signed with an algorithm this server does not accept".into()
        }
        ErrorKind::MissingRequiredClaim(claim) => {
            format!("the bearer token has no `{claim}` claim")
        }
        _ => "the bearer token is not a well-formed JWT".into(),
    }
}
