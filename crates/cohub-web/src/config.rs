//! What the web app is configured with.

/// The web app's settings.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Sign-in through an OpenID Connect provider, beside the pasted token.
    pub oidc: Option<WebOidc>,
    /// Whether people reach the server over HTTPS (a public URL starting `https://`): the
    /// session cookie is then marked `Secure`.
    pub https: bool,
}

/// An OpenID Connect provider people sign in with (authorization code flow with PKCE). The
/// tokens it issues must be ones the API accepts (its issuer configured for the API too).
#[derive(Debug, Clone)]
pub struct WebOidc {
    /// What the sign-in button calls it, e.g. "NHS login" or "Sandwell Council".
    pub name: String,
    /// The provider's authorization endpoint.
    pub authorization_url: String,
    /// The provider's token endpoint.
    pub token_url: String,
    /// This app's client id at the provider.
    pub client_id: String,
    /// This app's client secret, for providers that require one.
    pub client_secret: Option<String>,
    /// Where the provider sends people back: this server's `/signin/oidc/callback`.
    pub redirect_url: String,
    /// Which token the API is given: `id_token` or `access_token`.
    pub use_token: String,
}
