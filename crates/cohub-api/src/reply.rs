//! GraphQL-shaped JSON answers for what is refused before GraphQL runs (auth, size, rate,
//! content type, unknown routes, panics): `{"errors":[{"message", "extensions":{"code"}}]}`.

use crate::error::{ApiError, ErrorCode};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The HTTP status that goes with an error answered outside GraphQL.
pub fn status_for(err: &ApiError) -> StatusCode {
    match err.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Validation => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict | ErrorCode::IdempotencyKeyReused => StatusCode::CONFLICT,
        ErrorCode::Rule => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Limit => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable | ErrorCode::OutcomeUnknown => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `err` as a GraphQL-shaped JSON body with `status`.
pub fn error(status: StatusCode, err: &ApiError) -> Response {
    let body = serde_json::json!({ "errors": [err.to_graphql_json()] });
    let mut resp = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    resp
}

/// `err` with the status [`status_for`] gives it.
pub fn api_error(err: &ApiError) -> Response {
    error(status_for(err), err)
}

/// HTTP 429 with `Retry-After` (whole seconds, at least one).
pub fn rate_limited(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let err = ApiError::Limit(format!(
        "too many requests; try again in {secs} second{}",
        if secs == 1 { "" } else { "s" }
    ));
    let mut resp = error(StatusCode::TOO_MANY_REQUESTS, &err);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    resp
}
