//! Tokens from an external OpenID Connect issuer, verified with the keys of its JWKS.
//!
//! Keys are fetched on first use and cached for `jwks_cache_ttl`. A token whose `kid` is not in
//! the cache triggers one refetch (the issuer may have rotated its keys), at most once per
//! `jwks_min_refetch_interval`. Only RS256 and ES256 keys are used, and a token must be signed
//! with the algorithm its key is for (no algorithm confusion).

use super::{describe, Authenticated};
use crate::config::OidcConfig;
use crate::error::ApiError;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// One usable key of the issuer.
#[derive(Clone)]
struct Key {
    key: DecodingKey,
    alg: Algorithm,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Key>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// Verifies tokens of one OIDC issuer against its published keys.
pub struct OidcVerifier {
    config: OidcConfig,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    fetching: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcVerifier")
            .field("issuer", &self.config.issuer)
            .field("jwks_url", &self.config.jwks_url)
            .finish()
    }
}

impl OidcVerifier {
    /// A verifier for `config`'s issuer; nothing is fetched until the first token arrives.
    pub fn new(config: OidcConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        OidcVerifier {
            config,
            http,
            cache: RwLock::new(Cache::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The issuer's `iss`.
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Checks the token's signature against the issuer's keys, then `iss`, `aud` and `exp`,
    /// and returns the member named by the configured claim.
    pub async fn verify(&self, token: &str, header: &Header) -> Result<Authenticated, ApiError> {
        self.verify_until(token, header).await.map(|(who, _)| who)
    }

    /// As [`verify`](Self::verify), with the token's expiry (`exp`, seconds since the epoch).
    pub(crate) async fn verify_until(
        &self,
        token: &str,
        header: &Header,
    ) -> Result<(Authenticated, i64), ApiError> {
        let kid = header.kid.as_deref().ok_or_else(|| {
            ApiError::Unauthenticated("the bearer token does not name its signing key (kid)".into())
        })?;
        let key = self.key(kid).await?;
        if header.alg != key.alg {
            return Err(ApiError::Unauthenticated(format!(
                "the bearer token says it is signed with {:?}, but its key is for {:?}",
                header.alg, key.alg
            )));
        }
        let mut validation = Validation::new(key.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = self.config.leeway.as_secs();
        // A token that says it is not valid yet (`nbf`) is refused until then.
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &key.key,
            &validation,
        )
        .map_err(|e| ApiError::Unauthenticated(describe(&e)))?;
        let claim = &self.config.member_claim;
        let member_id = data
            .claims
            .get(claim)
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| {
                ApiError::Unauthenticated(format!(
                    "the bearer token's `{claim}` claim is not a cohub member id"
                ))
            })?;
        let operator =
            data.claims.get(super::OPERATOR_CLAIM) == Some(&serde_json::Value::Bool(true));
        // Required and checked above; a token without a whole-second `exp` is not kept.
        let exp = data
            .claims
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(i64::MIN);
        Ok((
            Authenticated {
                member_id,
                operator,
            },
            exp,
        ))
    }

    /// The key `kid`, from the cache or, if unknown or stale, from a fresh fetch.
    async fn key(&self, kid: &str) -> Result<Key, ApiError> {
        if let Some(key) = self.cached(kid, true) {
            return Ok(key);
        }
        let _one_fetch_at_a_time = self.fetching.lock().await;
        if let Some(key) = self.cached(kid, true) {
            return Ok(key);
        }
        let may_refetch = self
            .cache
            .read()
            .expect("jwks cache lock")
            .last_attempt
            .is_none_or(|at| at.elapsed() >= self.config.jwks_min_refetch_interval);
        if may_refetch {
            let attempt = Instant::now();
            let fetched = self.fetch().await;
            let mut cache = self.cache.write().expect("jwks cache lock");
            cache.last_attempt = Some(attempt);
            match fetched {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched_at = Some(attempt);
                }
                // Keep serving the keys we have (if any) until a fetch succeeds again.
                Err(reason) => {
                    tracing::warn!(url = %self.config.jwks_url, %reason, "could not fetch the JWKS")
                }
            }
        }
        if self
            .cache
            .read()
            .expect("jwks cache lock")
            .fetched_at
            .is_none()
        {
            return Err(ApiError::Unavailable(
                "the identity provider's signing keys cannot be fetched just now, so the bearer token cannot be checked; try again shortly"
                    .into(),
            ));
        }
        self.cached(kid, false).ok_or_else(|| {
            ApiError::Unauthenticated(
                "the bearer token is signed with a key the identity provider does not publish"
                    .into(),
            )
        })
    }

    fn cached(&self, kid: &str, fresh_only: bool) -> Option<Key> {
        let cache = self.cache.read().expect("jwks cache lock");
        let fresh = cache
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.config.jwks_cache_ttl);
        if fresh_only && !fresh {
            return None;
        }
        cache.keys.get(kid).cloned()
    }

    async fn fetch(&self) -> Result<HashMap<String, Key>, String> {
        let resp = self
            .http
            .get(&self.config.jwks_url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        let set: JwkSet = resp.json().await.map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
                continue;
            }
            let Some(alg) = algorithm(jwk) else { continue };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, Key { key, alg });
                }
                Err(e) => tracing::warn!(%kid, error = %e, "skipping an unusable JWKS key"),
            }
        }
        Ok(keys)
    }
}

/// The algorithm a JWKS key is for, if it is one we accept (RS256, ES256).
fn algorithm(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Algorithm> {
    match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::RS256), AlgorithmParameters::RSA(_)) => Some(Algorithm::RS256),
        (Some(KeyAlgorithm::ES256), AlgorithmParameters::EllipticCurve(ec))
            if ec.curve == EllipticCurve::P256 =>
        {
            Some(Algorithm::ES256)
        }
        (None, AlgorithmParameters::RSA(_)) => Some(Algorithm::RS256),
        (None, AlgorithmParameters::EllipticCurve(ec)) if ec.curve == EllipticCurve::P256 => {
            Some(Algorithm::ES256)
        }
        _ => None,
    }
}
