//! The gate every request to `/graphql` passes first (POST and WebSocket upgrade alike):
//! verify the bearer token, then take one request from the caller's rate bucket.

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::rate_limit::Client;
use crate::reply;
use crate::router::AppState;
use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts};
use axum::response::Response;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Verifies the bearer token (if any) and takes one request from the caller's rate bucket.
/// `Err` is the finished refusal.
pub async fn authenticate_and_limit(
    state: &AppState,
    parts: &Parts,
) -> Result<Option<Authenticated>, Response> {
    let header = match parts.headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| {
            reply::api_error(&ApiError::Unauthenticated(
                "the Authorization header is not readable text".into(),
            ))
        })?),
    };
    let auth = state
        .verifier
        .authenticate(header)
        .await
        .map_err(|e| reply::api_error(&e))?;
    let client = match auth {
        Some(a) => Client::Member(a.member_id),
        None => Client::Address(client_ip(state, parts)),
    };
    if let Err(wait) = state.limiter.check(&client) {
        state.metrics.rate_limited(client.kind());
        return Err(reply::rate_limited(wait));
    }
    Ok(auth)
}

/// The caller's address: from the trusted proxy header if configured, else the peer address.
fn client_ip(state: &AppState, parts: &Parts) -> IpAddr {
    if let Some(name) = &state.client_ip_header {
        let forwarded = parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
