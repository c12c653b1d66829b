//! Assembling the edge from configuration and services, and serving it with graceful shutdown.

use crate::auth::{KeyError, OidcVerifier, TokenIssuer, Verifier};
use crate::config::ApiConfig;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::readiness::Readiness;
use crate::router::{router, AppState};
use crate::schema::{build_schema, CohubSchema, SchemaDeps};
use axum::http::HeaderName;
use axum::Router;
use cohub_command::CommandService;
use cohub_read::Projector;
use cohub_store::EventStore;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The services the edge serves from, built by the binary.
#[derive(Clone)]
pub struct ApiDeps {
    /// The event log.
    pub store: Arc<dyn EventStore>,
    /// The projector serving the read models (started on `store`).
    pub projector: Arc<Projector>,
    /// The write side (on `store`).
    pub commands: CommandService,
    /// What `/readyz` checks (e.g. the store and the projections' catch-up).
    pub readiness: Readiness,
}

/// Why the edge could not be assembled.
#[derive(Debug, Error)]
pub enum SetupError {
    /// The embedded token signing key could not be loaded or created.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A configured value is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// The assembled HTTP edge: its router and the switch that tells open connections the
/// server is shutting down.
pub struct Api {
    state: AppState,
    app: Option<Router>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Api")
    }
}

impl Api {
    /// Builds the schema, token verification, limits and routes. Creates the embedded token
    /// signing key in `config.data_dir` if local tokens are accepted and there is none yet.
    pub fn new(config: &ApiConfig, deps: ApiDeps) -> Result<Api, SetupError> {
        let local = if config.auth.accept_local_tokens {
            Some(TokenIssuer::open(&config.data_dir)?.verifier())
        } else {
            None
        };
        let oidc = config.auth.oidc.clone().map(OidcVerifier::new);
        let client_ip_header = config
            .rate_limit
            .client_ip_header
            .as_deref()
            .map(|h| {
                HeaderName::try_from(h)
                    .map_err(|_| SetupError::Config(format!("`{h}` is not a header name")))
            })
            .transpose()?;
        let metrics = Metrics::new();
        let schema = build_schema(
            SchemaDeps {
                store: deps.store,
                projector: deps.projector,
                commands: deps.commands,
                checkpoint_key: Arc::new(cohub_audit::CheckpointKey::new(&config.data_dir)),
            },
            &config.limits,
            &metrics,
        );
        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = AppState {
            schema,
            verifier: Arc::new(Verifier::new(local, oidc)),
            limiter: Arc::new(RateLimiter::new(&config.rate_limit)),
            metrics,
            readiness: deps.readiness,
            limits: Arc::new(config.limits.clone()),
            client_ip_header,
            ws_init_timeout: config.ws_init_timeout,
            shutdown: shutdown_rx,
        };
        Ok(Api {
            state,
            app: None,
            shutdown,
        })
    }

    /// The router (for serving, or for in-process tests with `tower::ServiceExt::oneshot`):
    /// the API's routes, any mounted app's routes, and the layers around them all.
    pub fn router(&self) -> Router {
        router(self.state.clone(), self.app.clone())
    }

    /// Serves `app`'s routes beside the API's (e.g. the web app at `/`), inside the same
    /// metrics and panic layers. Its paths must not clash with the API's.
    pub fn mount(&mut self, app: Router) {
        self.app = Some(app);
    }

    /// The executable schema, for an app that answers through the same API in-process.
    pub fn schema(&self) -> CohubSchema {
        self.state.schema.clone()
    }

    /// Bearer-token verification, shared with a mounted app.
    pub fn verifier(&self) -> Arc<Verifier> {
        self.state.verifier.clone()
    }

    /// The request rate limiter, shared with a mounted app.
    pub fn limiter(&self) -> Arc<RateLimiter> {
        self.state.limiter.clone()
    }

    /// Tells open subscriptions and `/readyz` that the server is shutting down
    /// ([`serve`] does this when its shutdown signal fires).
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

/// Serves `api` on `listener` until `shutdown` resolves, then stops accepting, closes
/// subscriptions (1001), lets in-flight requests finish, and returns. The caller then closes
/// the store.
pub async fn serve<F>(listener: TcpListener, api: Api, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let router = api.router();
    let Api {
        shutdown: switch, ..
    } = api;
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing in-flight requests");
        let _ = switch.send(true);
    };
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .await
}
