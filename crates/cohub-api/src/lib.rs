//! cohub's HTTP edge: the async-graphql schema, the axum router, bearer-token authentication,
//! error codes, limits, health, readiness and metrics.
//!
//! The binary builds an [`ApiConfig`] and [`ApiDeps`], calls [`Api::new`], binds a listener
//! and runs [`serve`]. `cohub token` uses [`auth::TokenIssuer`].

#![warn(missing_docs)]

pub mod auth;
pub mod config;
pub mod error;
pub mod error_codes;
mod gate;
mod graphql_http;
mod health;
pub mod limits;
pub mod metrics;
pub mod parse_cache;
pub mod rate_limit;
pub mod readiness;
mod reply;
mod router;
pub mod schema;
mod server;
mod ws;

pub use auth::{Authenticated, TokenIssuer, DEFAULT_TOKEN_TTL};
pub use config::{ApiConfig, AuthConfig, Limits, OidcConfig, RateLimitConfig};
pub use error::{ApiError, ErrorCode};
pub use readiness::{Readiness, ReadinessProbe, StoreProbe};
pub use schema::{build_schema, sdl, CohubSchema, SchemaDeps};
pub use server::{serve, Api, ApiDeps, SetupError};
