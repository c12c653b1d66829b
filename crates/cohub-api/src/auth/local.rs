//! The embedded token issuer: an Ed25519 key in the data directory signs EdDSA JWTs.
//!
//! Why Ed25519 rather than an HS256 secret: verifying needs only the public half, so the key
//! that mints tokens is never needed to check them (a verifier can be handed out, logged or
//! published without letting anyone forge a token), signatures are small and fast, and there
//! is no secret-length or weak-secret pitfall. The key is a PKCS#8 PEM file, readable with
//! standard tools, created on first use with mode 0600 in a 0700 `keys/` directory.

use super::{describe, Authenticated, AUDIENCE, ISSUER};
use crate::error::ApiError;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;
use uuid::Uuid;

/// How long a token from `cohub token` lives unless the caller says otherwise.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);

/// The signing key's place inside a data directory.
const KEY_FILE: &str = "keys/token-signing.key";

/// Why the signing key could not be loaded, created or used.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The key file could not be read, created, or is not an Ed25519 key.
    #[error(transparent)]
    File(#[from] cohub_keys::KeyError),
    /// Signing a token failed.
    #[error("could not sign the token: {0}")]
    Sign(String),
}

/// The claims of an embedded-issuer token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
    /// The operator claim ([`super::OPERATOR_CLAIM`]); absent on members' tokens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    cohub_operator: bool,
}

/// Signs bearer tokens with the data directory's key (what `cohub token` uses).
pub struct TokenIssuer {
    encoding: EncodingKey,
    kid: String,
    verifier: LocalVerifier,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("kid", &self.kid)
            .finish()
    }
}

impl TokenIssuer {
    /// Where the signing key of `data_dir` lives.
    pub fn key_path(data_dir: &Path) -> PathBuf {
        data_dir.join(KEY_FILE)
    }

    /// Loads the signing key of `data_dir`, creating it (0600) if there is none yet.
    ///
    /// Safe to race with another process doing the same: the key is written to a temporary
    /// file and linked into place only if no key exists, so both end up with the same key.
    pub fn open(data_dir: &Path) -> Result<TokenIssuer, KeyError> {
        let path = Self::key_path(data_dir);
        let signing = cohub_keys::load_or_create(&path, "token signing key")?;
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| KeyError::Sign(e.to_string()))?;
        let public = signing.verifying_key().to_bytes();
        let kid = format!("{ISSUER}-{}", &hex::encode(Sha256::digest(public))[..16]);
        Ok(TokenIssuer {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            verifier: LocalVerifier::new(&public, kid.clone()),
            kid,
        })
    }

    /// A token naming `member_id`, valid for `ttl` from now.
    pub fn issue(&self, member_id: Uuid, ttl: Duration) -> Result<String, KeyError> {
        self.sign(member_id, ttl, false)
    }

    /// An operator's token (see [`Authenticated::operator`]) naming `member_id`, valid for
    /// `ttl` from now.
    pub fn issue_operator(&self, member_id: Uuid, ttl: Duration) -> Result<String, KeyError> {
        self.sign(member_id, ttl, true)
    }

    fn sign(&self, member_id: Uuid, ttl: Duration, operator: bool) -> Result<String, KeyError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: member_id.to_string(),
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
            iat: now,
            exp: now.saturating_add(ttl),
            cohub_operator: operator,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// The verifier for tokens this issuer signs (holds only the public key).
    pub fn verifier(&self) -> LocalVerifier {
        self.verifier.clone()
    }
}

/// Verifies embedded-issuer tokens: EdDSA, `iss` = `cohub-local`, `aud` = `cohub`, not expired.
#[derive(Clone)]
pub struct LocalVerifier {
    key: DecodingKey,
    kid: String,
    validation: Validation,
}

impl std::fmt::Debug for LocalVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalVerifier")
            .field("kid", &self.kid)
            .finish()
    }
}

impl LocalVerifier {
    fn new(public_key: &[u8; 32], kid: String) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        // A token that says it is not valid yet (`nbf`) is refused until then.
        validation.validate_nbf = true;
        LocalVerifier {
            key: DecodingKey::from_ed_der(public_key),
            kid,
            validation,
        }
    }

    /// The key id this verifier's tokens carry in their header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Checks a token's signature and claims and returns the member it names.
    pub fn verify(&self, token: &str) -> Result<Authenticated, ApiError> {
        self.verify_until(token).map(|(who, _)| who)
    }

    /// As [`verify`](Self::verify), with the token's expiry (`exp`, seconds since the epoch).
    pub(crate) fn verify_until(&self, token: &str) -> Result<(Authenticated, i64), ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| ApiError::Unauthenticated(describe(&e)))?;
        let member_id = Uuid::parse_str(&data.claims.sub).map_err(|_| {
            ApiError::Unauthenticated("the bearer token's subject is not a member id".into())
        })?;
        let who = Authenticated {
            member_id,
            operator: data.claims.cohub_operator,
        };
        Ok((who, data.claims.exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn creates_once_and_reloads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let a = TokenIssuer::open(dir.path()).unwrap();
        let b = TokenIssuer::open(dir.path()).unwrap();
        assert_eq!(a.kid, b.kid);
        let member = Uuid::now_v7();
        let token = a.issue(member, Duration::from_secs(60)).unwrap();
        assert_eq!(b.verifier().verify(&token).unwrap().member_id, member);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = TokenIssuer::key_path(dir.path());
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
    }

    #[test]
    fn another_data_dir_key_does_not_verify() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        let a = TokenIssuer::open(one.path()).unwrap();
        let b = TokenIssuer::open(two.path()).unwrap();
        let token = a.issue(Uuid::now_v7(), Duration::from_secs(60)).unwrap();
        let err = b.verifier().verify(&token).unwrap_err();
        assert!(matches!(err, ApiError::Unauthenticated(_)));
    }

    #[test]
    fn concurrent_first_use_agrees_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let kids: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| TokenIssuer::open(dir.path()).unwrap().kid))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(kids.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn a_malformed_key_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = TokenIssuer::key_path(dir.path());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "not a key").unwrap();
        let err = TokenIssuer::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, KeyError::File(cohub_keys::KeyError::Malformed { .. })),
            "{err}"
        );
    }
}
