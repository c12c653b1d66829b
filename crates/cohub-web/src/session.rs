//! Who is signed in: the session cookie holds the member's token (HttpOnly, SameSite=Lax, so a provider's redirect back can sign in),
//! verified on every request by the API's own verifier, and every request takes one from the
//! API's rate bucket. Forms carry a token derived from the session, and cross-site posts are
//! refused.

use crate::layout::{self, Chrome};
use crate::App;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cohub_api::rate_limit::Client as RateClient;
use cohub_api::Authenticated;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The session cookie's name.
pub const COOKIE: &str = "cohub_session";

/// The request's session: the verified member, if signed in.
#[derive(Clone)]
pub struct Session {
    /// The member, if a valid token is in the cookie.
    pub auth: Option<Authenticated>,
    /// The token itself (to derive the form token from).
    token: Option<String>,
    /// Why a cookie that was there did not verify (expired, revoked key), if so.
    pub lapsed: Option<String>,
}

impl Session {
    /// The member, or a response sending them to sign in first.
    // The error is the handler's own answer, returned as it is.
    #[allow(clippy::result_large_err)]
    pub fn require(&self, back_to: &str) -> Result<Authenticated, Response> {
        self.auth.ok_or_else(|| sign_in_first(back_to))
    }

    /// The token every form of this session carries (`form_token`), so that another site
    /// cannot submit a form as this member.
    pub fn form_token(&self) -> String {
        match &self.token {
            Some(t) => {
                let digest = Sha256::digest(format!("cohub-web-form\n{t}").as_bytes());
                hex::encode(&digest[..16])
            }
            None => String::new(),
        }
    }

    /// Whether a submitted form token belongs to this session.
    pub fn form_token_ok(&self, submitted: &str) -> bool {
        self.token.is_some() && submitted == self.form_token()
    }
}

/// A redirect to the sign-in page that comes back to `back_to` afterwards.
pub fn sign_in_first(back_to: &str) -> Response {
    let to = format!("/signin?next={}", crate::text::url_encode(back_to));
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

impl FromRequestParts<App> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if parts.method == axum::http::Method::POST && is_cross_site(&parts.headers) {
            return Err(layout::problem_page(
                StatusCode::FORBIDDEN,
                &Chrome::signed_out(),
                "This form was sent from another website",
                "For your safety, cohub only accepts forms sent from its own pages. Go back to the page and send it again.",
            ));
        }
        let token = cookie(&parts.headers, COOKIE);
        let (auth, lapsed) = match &token {
            None => (None, None),
            Some(t) => match app.verifier.verify(t).await {
                Ok(a) => (Some(a), None),
                Err(e) => (None, Some(e.to_string())),
            },
        };
        let client = match auth {
            Some(a) => RateClient::Member(a.member_id),
            None => RateClient::Address(peer(parts)),
        };
        if let Err(wait) = app.limiter.check(&client) {
            let secs = wait.as_secs().max(1);
            let mut resp = layout::problem_page(
                StatusCode::TOO_MANY_REQUESTS,
                &Chrome::signed_out(),
                "You have made a lot of requests in a short time",
                &format!("Wait {secs} seconds, then try again. Nothing you sent was lost."),
            );
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs.to_string()).expect("digits are a header value"),
            );
            return Err(resp);
        }
        Ok(Session {
            auth,
            token: if auth.is_some() { token } else { None },
            lapsed,
        })
    }
}

/// Whether a POST came from another site (by `Sec-Fetch-Site`, or an `Origin` that is not
/// this host).
fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return true;
        }
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split("://").nth(1).unwrap_or(origin);
            !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

/// The value of one cookie.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value that signs `token` in; `secure` (the server is reached over HTTPS)
/// keeps the browser from ever sending it over plain HTTP.
pub fn set_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| clear_cookie())
}

/// The `Set-Cookie` value that signs out.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("cohub_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The peer's address.
fn peer(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
