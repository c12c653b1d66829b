//! `/graphql` over plain HTTP: POST runs queries and mutations (single or batched), GET serves
//! GraphiQL or hands a WebSocket upgrade to [`crate::ws`].
//!
//! Before anything runs: the bearer token is verified (a bad one is HTTP 401, never anonymous),
//! the caller's rate is checked, the content type must be JSON, the body must fit the limit
//! and parse as a GraphQL request. Each refusal is a GraphQL-shaped JSON error with a code.

use crate::error::ApiError;
use crate::reply;
use crate::router::AppState;
use async_graphql::http::GraphiQLSource;
use async_graphql::BatchRequest;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// POST /graphql.
pub async fn post(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let auth = match crate::gate::authenticate_and_limit(&state, &parts).await {
        Ok(auth) => auth,
        Err(resp) => return resp,
    };
    if !is_json(&parts.headers) {
        return reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &ApiError::Validation(
                "send the GraphQL request as JSON with `Content-Type: application/json`".into(),
            ),
        );
    }
    let max = state.limits.max_body_bytes;
    let too_large = || {
        reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &ApiError::Limit(format!(
                "the request body is larger than the limit of {max} bytes"
            )),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return too_large();
    }
    let bytes = match axum::body::to_bytes(body, max).await {
        Ok(bytes) => bytes,
        Err(e) if is_length_limit(&e) => return too_large(),
        Err(_) => {
            return reply::error(
                StatusCode::BAD_REQUEST,
                &ApiError::Validation("the request body could not be read".into()),
            )
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(e) => {
            return reply::error(
                StatusCode::BAD_REQUEST,
                &ApiError::Validation(format!(
                    "the request body is not a GraphQL request in JSON ({e}); send {{\"query\": \"...\", \"variables\": {{...}}}}"
                )),
            )
        }
    };
    if batch.iter().any(|r| r.query.trim().is_empty()) {
        return reply::error(
            StatusCode::BAD_REQUEST,
            &ApiError::Validation("the request has no `query`".into()),
        );
    }
    let batch = match batch {
        BatchRequest::Batch(list) if list.is_empty() => {
            return reply::error(
                StatusCode::BAD_REQUEST,
                &ApiError::Validation("the batch holds no requests".into()),
            )
        }
        BatchRequest::Batch(list) if list.len() > state.limits.max_batch => {
            return reply::error(
                StatusCode::BAD_REQUEST,
                &ApiError::Limit(format!(
                    "the batch holds {} requests; the limit is {}",
                    list.len(),
                    state.limits.max_batch
                )),
            )
        }
        other => other,
    };
    let batch = match auth {
        Some(auth) => batch.data(auth),
        None => batch,
    };
    axum::Json(state.schema.execute_batch(batch).await).into_response()
}

/// GET /graphql: a WebSocket upgrade goes to graphql-ws; anything else gets GraphiQL.
pub async fn get(State(state): State<AppState>, req: Request) -> Response {
    if is_websocket_upgrade(req.headers()) {
        return crate::ws::upgrade(state, req).await;
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .title("cohub GraphiQL")
            .finish(),
    )
    .into_response()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Whether reading the body failed because it was longer than the limit.
fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.to_string().contains("length limit exceeded") {
            return true;
        }
        source = e.source();
    }
    false
}
