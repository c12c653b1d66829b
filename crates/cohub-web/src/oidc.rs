//! Signing in with an OpenID Connect provider: the authorization code flow with PKCE. The
//! token the provider returns is verified by the API's own verifier before it becomes the
//! session, so the provider's issuer must be configured for the API too.

use crate::config::WebOidc;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The cookie that carries a sign-in in progress (state, PKCE verifier, where to go next).
pub const FLOW_COOKIE: &str = "cohub_oidc";

/// The configured provider, and an HTTP client for its token endpoint.
pub struct OidcSignIn {
    /// The provider's settings.
    pub config: WebOidc,
    http: reqwest::Client,
}

/// A sign-in just started: where to send the browser, and the cookie value that remembers it.
pub struct Started {
    /// The provider's authorization URL with this flow's parameters.
    pub redirect: String,
    /// `state.verifier.next`, for [`FLOW_COOKIE`].
    pub cookie: String,
}

/// Why a sign-in with the provider did not finish.
#[derive(Debug, Error)]
pub enum OidcError {
    /// The callback did not match the sign-in this browser started.
    #[error("this sign-in was not started here, or it took too long; start again")]
    StateMismatch,
    /// The provider refused (it sent `error` back).
    #[error("the sign-in service said: {0}")]
    Refused(String),
    /// The token endpoint could not be reached or answered badly.
    #[error("the sign-in service could not be reached or answered in a way cohub did not understand ({0}); try again later")]
    TokenEndpoint(String),
}

fn random_string() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl OidcSignIn {
    /// The sign-in for `config`.
    pub fn new(config: WebOidc) -> Self {
        OidcSignIn {
            config,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Starts a sign-in that comes back to `next` (a local path).
    pub fn start(&self, next: &str) -> Started {
        let state = random_string();
        let verifier = random_string();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", self.config.redirect_url.as_str()),
            ("scope", "openid"),
            ("state", state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .unwrap_or_default();
        let sep = if self.config.authorization_url.contains('?') {
            '&'
        } else {
            '?'
        };
        Started {
            redirect: format!("{}{sep}{query}", self.config.authorization_url),
            cookie: format!(
                "{state}.{verifier}.{}",
                URL_SAFE_NO_PAD.encode(next.as_bytes())
            ),
        }
    }

    /// Finishes a sign-in: checks `state` against the flow cookie, exchanges `code` for the
    /// provider's token, and returns it with the path to go back to.
    pub async fn finish(
        &self,
        cookie: Option<&str>,
        state: &str,
        code: &str,
    ) -> Result<(String, String), OidcError> {
        let mut parts = cookie.unwrap_or_default().splitn(3, '.');
        let (Some(expected), Some(verifier), Some(next)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(OidcError::StateMismatch);
        };
        if expected.is_empty() || expected != state {
            return Err(OidcError::StateMismatch);
        }
        let next = URL_SAFE_NO_PAD
            .decode(next)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| "/".into());
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_url.as_str()),
            ("client_id", self.config.client_id.as_str()),
            ("code_verifier", verifier),
        ];
        if let Some(secret) = &self.config.client_secret {
            form.push(("client_secret", secret.as_str()));
        }
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| OidcError::TokenEndpoint(e.to_string()))?;
        let resp = self
            .http
            .post(&self.config.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| OidcError::TokenEndpoint(e.to_string()))?;
        let status = resp.status();
        let json: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| OidcError::TokenEndpoint(e.to_string()))?;
        if !status.is_success() {
            let why = json
                .get("error_description")
                .or_else(|| json.get("error"))
                .and_then(|v| v.as_str())
                .unwrap_or("no reason given");
            return Err(OidcError::Refused(why.to_string()));
        }
        let token = json
            .get(self.config.use_token.as_str())
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                OidcError::TokenEndpoint(format!("no {} in the answer", self.config.use_token))
            })?;
        Ok((token.to_string(), crate::text::safe_next(Some(&next))))
    }
}
