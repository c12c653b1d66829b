//! What the binary tells the HTTP edge: where to listen, where the data lives, limits and auth.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the HTTP edge needs to know that is not a service handed to it.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The address `cohub serve` binds (the binary binds it; kept here for logs and GraphiQL).
    pub listen_addr: SocketAddr,
    /// The data directory; the embedded token signing key lives in `<data>/keys/`.
    pub data_dir: PathBuf,
    /// Who may sign bearer tokens.
    pub auth: AuthConfig,
    /// Query and request size limits.
    pub limits: Limits,
    /// Per-member and per-address request rate limits.
    pub rate_limit: RateLimitConfig,
    /// How long a graphql-ws client may take to send `connection_init` before it is closed.
    pub ws_init_timeout: Duration,
}

impl ApiConfig {
    /// A configuration with the defaults below, for `data_dir`, listening on `listen_addr`.
    pub fn new(listen_addr: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        ApiConfig {
            listen_addr,
            data_dir: data_dir.into(),
            auth: AuthConfig::default(),
            limits: Limits::default(),
            rate_limit: RateLimitConfig::default(),
            ws_init_timeout: Duration::from_secs(10),
        }
    }
}

/// Which bearer tokens are accepted.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Accept tokens from `cohub token` (signed with the data directory's key). On by default;
    /// a deployment that trusts only its identity provider turns it off.
    pub accept_local_tokens: bool,
    /// An OpenID Connect issuer whose keys also verify tokens (production).
    pub oidc: Option<OidcConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            accept_local_tokens: true,
            oidc: None,
        }
    }
}

/// An external OpenID Connect issuer: tokens are RS256 or ES256 JWTs verified with its JWKS.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The exact `iss` the tokens carry, e.g. `https://login.example.org/realms/cohub`.
    pub issuer: String,
    /// Where the issuer publishes its signing keys (JWKS).
    pub jwks_url: String,
    /// The `aud` the tokens must carry (defaults to `cohub`).
    pub audience: String,
    /// The claim holding the cohub member id (a UUID); `sub` by default.
    pub member_claim: String,
    /// How long fetched keys are used before they are fetched again.
    pub jwks_cache_ttl: Duration,
    /// The least time between two fetches triggered by a token with an unknown `kid`
    /// (stops a stream of forged `kid`s from hammering the issuer).
    pub jwks_min_refetch_interval: Duration,
    /// Clock skew allowed when checking `exp` and `nbf`.
    pub leeway: Duration,
}

impl OidcConfig {
    /// An issuer with the default audience (`cohub`), member claim (`sub`) and cache timings.
    pub fn new(issuer: impl Into<String>, jwks_url: impl Into<String>) -> Self {
        OidcConfig {
            issuer: issuer.into(),
            jwks_url: jwks_url.into(),
            audience: crate::auth::AUDIENCE.to_string(),
            member_claim: "sub".to_string(),
            jwks_cache_ttl: Duration::from_secs(3600),
            jwks_min_refetch_interval: Duration::from_secs(30),
            leeway: Duration::from_secs(30),
        }
    }
}

/// Limits on what one request may ask for.
///
/// The defaults let graphql-js's full `getIntrospectionQuery()` through (depth 15, complexity
/// 229, 229 field selections once its fragments are expanded, no aliases) and reject anything
/// deeper or much bigger with code `LIMIT`. Domain queries through Relay connections
/// (`hub { problems { edges { node { ideas { edges { node ... } } } } } }`) stay well inside.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body in bytes (answered with HTTP 413 and code `LIMIT`).
    pub max_body_bytes: usize,
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Largest complexity (one per field, times list sizes where a field declares it).
    pub max_complexity: usize,
    /// Most field selections in one document, counting each fragment spread in full.
    pub max_fields: usize,
    /// Most aliased fields in one document (aliases are how one field is asked for many times).
    pub max_aliases: usize,
    /// Most directives on one field.
    pub max_directives: usize,
    /// Most operations in one batched POST.
    pub max_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 256 * 1024,
            max_depth: 16,
            max_complexity: 500,
            max_fields: 500,
            max_aliases: 30,
            max_directives: 8,
            max_batch: 10,
        }
    }
}

/// Request rates: a member (by token) or, without a token, a client address.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// Off only for benchmarks and tests that measure something else.
    pub enabled: bool,
    /// Sustained requests per minute for one member.
    pub member_per_minute: u32,
    /// Requests a member may make at once before the sustained rate applies.
    pub member_burst: u32,
    /// Sustained requests per minute for one anonymous client address.
    pub anonymous_per_minute: u32,
    /// Requests an anonymous address may make at once.
    pub anonymous_burst: u32,
    /// A header set by a trusted reverse proxy naming the client address (first entry of e.g.
    /// `x-forwarded-for`). Leave unset unless every request comes through such a proxy:
    /// otherwise clients could pick their own address.
    pub client_ip_header: Option<String>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            member_per_minute: 600,
            member_burst: 60,
            anonymous_per_minute: 120,
            anonymous_burst: 30,
            client_ip_header: None,
        }
    }
}
