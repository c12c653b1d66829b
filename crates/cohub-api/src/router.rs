//! The route table and the layers around it: `/graphql`, `/healthz`, `/readyz`, `/metrics`,
//! JSON answers for unknown routes and wrong methods, HTTP metrics, and panic containment.

use crate::config::Limits;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::readiness::Readiness;
use crate::schema::CohubSchema;
use crate::{auth::Verifier, graphql_http, health, reply};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The executable schema.
    pub schema: CohubSchema,
    /// Bearer-token verification.
    pub verifier: Arc<Verifier>,
    /// Request rate limits.
    pub limiter: Arc<RateLimiter>,
    /// Metrics.
    pub metrics: Metrics,
    /// The binary's readiness probes.
    pub readiness: Readiness,
    /// Size limits checked at the HTTP layer.
    pub limits: Arc<Limits>,
    /// A trusted proxy's client-address header, if configured.
    pub client_ip_header: Option<HeaderName>,
    /// How long a graphql-ws client may take to initialise.
    pub ws_init_timeout: Duration,
    /// Becomes `true` when the server starts shutting down.
    pub shutdown: watch::Receiver<bool>,
}

/// The whole HTTP surface: the API's routes, `app`'s (if any), and the layers around both.
pub fn router(state: AppState, app: Option<Router>) -> Router {
    let api = Router::new()
        .route("/graphql", post(graphql_http::post).get(graphql_http::get))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .with_state(state.clone());
    api.merge(app.unwrap_or_default())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), http_metrics))
        .layer(CatchPanicLayer::custom(panicked))
}

async fn not_found(req: Request) -> Response {
    if wants_html(req.headers()) {
        return (StatusCode::NOT_FOUND, axum::response::Html(NOT_FOUND_PAGE)).into_response();
    }
    reply::error(
        StatusCode::NOT_FOUND,
        &ApiError::NotFound(format!(
            "there is nothing at {}; the API is at /graphql",
            req.uri().path()
        )),
    )
}

/// The page a browser gets for an address that leads nowhere.
const NOT_FOUND_PAGE: &str = "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Page not found – cohub</title>\
<link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main id=\"main\" class=\"wrap\">\
<h1>Page not found</h1><p>If you typed the web address, check it is correct.</p>\
<p><a href=\"/\">Go to the start page</a></p></main></body></html>";

/// Whether the client asked for a web page (a browser's `Accept: text/html`).
fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

async fn method_not_allowed(req: Request) -> Response {
    reply::error(
        StatusCode::METHOD_NOT_ALLOWED,
        &ApiError::Validation(format!(
            "{} is not supported at {}; use POST for GraphQL requests (GET serves GraphiQL)",
            req.method(),
            req.uri().path()
        )),
    )
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    reply::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &ApiError::internal("a request handler panicked"),
    )
}

async fn http_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    state.metrics.observe_http(
        &route,
        &method,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}
