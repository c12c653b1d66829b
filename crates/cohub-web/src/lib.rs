//! cohub's web app: server-rendered pages for champions, community members, parties and
//! commissioners, served by `cohub serve` beside the API.
//!
//! Every page asks cohub's own GraphQL schema, in-process, as the signed-in member (the
//! schema applies every rule, so no rule is written twice), and renders plain HTML with
//! [maud] templates compiled into the binary. Every page reads and submits without
//! JavaScript; the one script adds live updates where a subscription exists.
//!
//! Start reading at [`router`], then `session.rs` (who is signed in), `client.rs` (asking the
//! schema) and `form.rs` (submitting a change: idempotency keys, errors beside fields).

#![warn(missing_docs)]

mod assets;
mod client;
mod config;
mod form;
mod layout;
mod oidc;
mod pages;
mod session;
mod shapes;
mod text;

pub use config::{WebConfig, WebOidc};

use axum::routing::{get, post};
use axum::Router;
use client::Client;
use std::sync::Arc;

/// What every page handler shares.
#[derive(Clone)]
pub(crate) struct App {
    /// The schema, asked in-process as the signed-in member.
    pub client: Client,
    /// Verifies the session's token (the same verifier as the API's bearer tokens).
    pub verifier: Arc<cohub_api::auth::Verifier>,
    /// The API's request rate limiter, so pages cannot be used to go round it.
    pub limiter: Arc<cohub_api::rate_limit::RateLimiter>,
    /// The OpenID Connect sign-in, if configured.
    pub oidc: Option<Arc<oidc::OidcSignIn>>,
    /// Whether the session cookie is marked `Secure` (the server is reached over HTTPS).
    pub https: bool,
}

/// The web app's routes, to mount beside the API with [`cohub_api::Api::mount`].
pub fn router(api: &cohub_api::Api, config: WebConfig) -> Router {
    let app = App {
        client: Client::new(api.schema()),
        verifier: api.verifier(),
        limiter: api.limiter(),
        oidc: config.oidc.map(|c| Arc::new(oidc::OidcSignIn::new(c))),
        https: config.https,
    };
    use pages::*;
    Router::new()
        .route("/", get(home::show))
        .route("/assets/{file}", get(assets::serve))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signin/oidc", get(signin::oidc_start))
        .route("/signin/oidc/callback", get(signin::oidc_callback))
        .route("/signout", post(signin::sign_out))
        .route("/hubs/{hub}", get(hub::show))
        .route(
            "/hubs/{hub}/problems/new",
            get(problem::frame_form).post(problem::frame_submit),
        )
        .route("/hubs/{hub}/problems/{problem}", get(problem::show))
        .route(
            "/hubs/{hub}/problems/{problem}/perspectives/new",
            get(problem::perspective_form).post(problem::perspective_submit),
        )
        .route(
            "/hubs/{hub}/problems/{problem}/ideas/new",
            get(idea::propose_form).post(idea::propose_submit),
        )
        .route("/hubs/{hub}/ideas/{idea}", get(idea::show))
        .route(
            "/hubs/{hub}/ideas/{idea}/feedback",
            post(idea::feedback_submit),
        )
        .route(
            "/hubs/{hub}/ideas/{idea}/feedback/{feedback}/response",
            post(idea::response_submit),
        )
        .route("/hubs/{hub}/heard", get(heard::show))
        .route("/hubs/{hub}/audit", get(audit::show))
        .route(
            "/hubs/{hub}/distributions/{distribution}/trail",
            get(audit::trail),
        )
        .route(
            "/hubs/{hub}/distributions/{distribution}",
            get(distribution::show),
        )
        .route(
            "/hubs/{hub}/distributions/{distribution}/live",
            get(live::distribution),
        )
        .route(
            "/hubs/{hub}/distributions/{distribution}/{action}",
            post(distribution::act),
        )
        .with_state(app)
}
