//! `/healthz` (the process is up), `/readyz` (it can serve: the binary's probes pass and it is
//! not shutting down) and `/metrics` (Prometheus text).

use crate::router::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Always 200 while the process answers.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// 200 when every readiness probe passes, 503 (with each probe's outcome) otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if *state.shutdown.borrow() {
        let body = json!({ "ready": false, "checks": [], "reason": "the server is shutting down" });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let report = state.readiness.report().await;
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report)).into_response()
}

/// The metrics in the Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
