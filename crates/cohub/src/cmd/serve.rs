//! `cohub serve`: the GraphQL server on the chosen store, with projections and graceful shutdown.

use crate::data_dir::DEFAULT_DATA_DIR;
use crate::store_select;
use cohub_api::{Api, ApiConfig, ApiDeps, OidcConfig, Readiness, StoreProbe, TokenIssuer};
use cohub_read::{Projector, ProjectorConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `cohub serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory: the sled log (unless --store names PostgreSQL), read-model
    /// checkpoints and the token signing key.
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// The address to listen on (port 0 picks a free port; the chosen one is printed).
    #[arg(long, env = "COHUB_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Use PostgreSQL as the event store instead of the embedded sled log.
    #[arg(
        long = "store",
        env = "COHUB_DATABASE_URL",
        value_name = "POSTGRES_URL"
    )]
    store_url: Option<String>,
    /// With PostgreSQL: the longest a request waits for the database, in seconds. While the
    /// database is unreachable, writes answer UNAVAILABLE (with a retry hint) after this long;
    /// a write whose commit failed is checked this long before it answers OUTCOME_UNKNOWN.
    #[arg(
        long,
        env = "COHUB_STORE_TIMEOUT",
        value_name = "SECONDS",
        default_value = "2",
        value_parser = parse_seconds
    )]
    store_timeout: Duration,
    /// Load DOMAIN.md's Black Country example hub if the store does not have it yet, and print
    /// a ready-made token for each demo person.
    #[arg(long)]
    demo: bool,
    /// An OpenID Connect issuer whose tokens are accepted (its exact `iss`).
    #[arg(long, env = "COHUB_OIDC_ISSUER", requires = "oidc_jwks_url")]
    oidc_issuer: Option<String>,
    /// The issuer's JWKS URL (its public signing keys).
    #[arg(long, env = "COHUB_OIDC_JWKS_URL", requires = "oidc_issuer")]
    oidc_jwks_url: Option<String>,
    /// The audience the issuer's tokens must carry.
    #[arg(long, env = "COHUB_OIDC_AUDIENCE", default_value = "cohub")]
    oidc_audience: String,
    /// Offer "Sign in with <name>" in the web app: the OIDC provider's client id for this
    /// server (the provider must send people back to `<public URL>/signin/oidc/callback`).
    #[arg(long, env = "COHUB_OIDC_CLIENT_ID", requires_all = ["oidc_issuer", "oidc_authorization_url", "oidc_token_url", "public_url"])]
    oidc_client_id: Option<String>,
    /// The OIDC client's secret, for providers that require one.
    #[arg(long, env = "COHUB_OIDC_CLIENT_SECRET", requires = "oidc_client_id")]
    oidc_client_secret: Option<String>,
    /// The provider's authorization endpoint (where the web app sends people to sign in).
    #[arg(
        long,
        env = "COHUB_OIDC_AUTHORIZATION_URL",
        requires = "oidc_client_id"
    )]
    oidc_authorization_url: Option<String>,
    /// The provider's token endpoint (where the web app exchanges the sign-in code).
    #[arg(long, env = "COHUB_OIDC_TOKEN_URL", requires = "oidc_client_id")]
    oidc_token_url: Option<String>,
    /// What the web app's sign-in button calls the provider.
    #[arg(
        long,
        env = "COHUB_OIDC_NAME",
        default_value = "your organisation's account"
    )]
    oidc_name: String,
    /// Which of the provider's tokens becomes the session: `id_token` or `access_token` (it
    /// must carry the audience and member claim the API checks).
    #[arg(long, env = "COHUB_OIDC_USE_TOKEN", default_value = "id_token", value_parser = ["id_token", "access_token"])]
    oidc_use_token: String,
    /// The address people reach this server at (e.g. `https://hub.example.org`), for the OIDC
    /// provider's redirect back; an `https://` address also marks the web app's session cookie
    /// `Secure`.
    #[arg(long, env = "COHUB_PUBLIC_URL")]
    public_url: Option<String>,
    /// Refuse tokens made by `cohub token` (accept only the OIDC issuer's).
    #[arg(long, env = "COHUB_NO_LOCAL_TOKENS")]
    no_local_tokens: bool,
    /// Sustained requests per minute one member may make (beyond it: LIMIT, HTTP 429).
    #[arg(long, env = "COHUB_MEMBER_RATE", default_value_t = 600)]
    member_rate: u32,
    /// Sustained requests per minute one anonymous client address may make.
    #[arg(long, env = "COHUB_ANONYMOUS_RATE", default_value_t = 120)]
    anonymous_rate: u32,
    /// A header, set by a trusted reverse proxy, naming the client's address (e.g.
    /// `x-forwarded-for`). Only behind such a proxy: otherwise clients could choose their own.
    #[arg(long, env = "COHUB_CLIENT_IP_HEADER")]
    client_ip_header: Option<String>,
    /// Turn rate limiting off (for benchmarks only).
    #[arg(long, env = "COHUB_NO_RATE_LIMIT")]
    no_rate_limit: bool,
    /// Keep a hub's read model on disk every this many events of the hub, so that reads of the
    /// past after a restart start near their point (0: never). Each file holds the whole hub,
    /// so a smaller spacing costs more disk.
    #[arg(long, env = "COHUB_HUB_SNAPSHOT_EVERY", default_value_t = ProjectorConfig::default().snapshot_file_every)]
    hub_snapshot_every: u64,
}

/// Parses a positive number of seconds (fractions allowed, at most an hour).
fn parse_seconds(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 3600 (e.g. 2 or 0.5)"
        )),
    }
}

/// The web app's settings from the command line.
fn web_config(args: &Args) -> cohub_web::WebConfig {
    let oidc = match (
        &args.oidc_client_id,
        &args.oidc_authorization_url,
        &args.oidc_token_url,
        &args.public_url,
    ) {
        (Some(client_id), Some(authorization_url), Some(token_url), Some(public_url)) => {
            Some(cohub_web::WebOidc {
                name: args.oidc_name.clone(),
                authorization_url: authorization_url.clone(),
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: args.oidc_client_secret.clone(),
                redirect_url: format!("{}/signin/oidc/callback", public_url.trim_end_matches('/')),
                use_token: args.oidc_use_token.clone(),
            })
        }
        _ => None,
    };
    let https = args
        .public_url
        .as_deref()
        .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"));
    cohub_web::WebConfig { oidc, https }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Runs the server until a shutdown signal, then drains requests, checkpoints the
/// projections and closes the store.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.data)?;
    let opened =
        store_select::open_with_timeout(&args.data, args.store_url.as_deref(), args.store_timeout)
            .await?;
    let store = opened.shared();

    let demo_written = if args.demo {
        Some(crate::cmd::demo::write_example(store.clone()).await?)
    } else {
        None
    };

    let projector = Arc::new(
        Projector::start(
            store.clone(),
            ProjectorConfig {
                checkpoint_dir: Some(args.data.join("read")),
                snapshot_file_every: args.hub_snapshot_every,
                ..ProjectorConfig::default()
            },
        )
        .await?,
    );
    let commands = cohub_command::CommandService::new(store.clone());

    let mut config = ApiConfig::new(args.addr, &args.data);
    config.auth.accept_local_tokens = !args.no_local_tokens;
    config.rate_limit.enabled = !args.no_rate_limit;
    config.rate_limit.member_per_minute = args.member_rate;
    config.rate_limit.anonymous_per_minute = args.anonymous_rate;
    config.rate_limit.client_ip_header = args.client_ip_header.clone();
    if let (Some(issuer), Some(jwks)) = (&args.oidc_issuer, &args.oidc_jwks_url) {
        let mut oidc = OidcConfig::new(issuer.clone(), jwks.clone());
        oidc.audience = args.oidc_audience.clone();
        config.auth.oidc = Some(oidc);
    }
    let probe = projector.clone();
    let readiness = Readiness::new()
        .with("store", StoreProbe(store.clone()))
        .with("projections", move || {
            let projector = probe.clone();
            async move {
                match projector.lag().await {
                    Ok(0) => Ok("caught up".to_string()),
                    Ok(lag) => Err(format!("{lag} events behind the log")),
                    Err(e) => Err(e.to_string()),
                }
            }
        });
    let mut api = Api::new(
        &config,
        ApiDeps {
            store: store.clone(),
            projector: projector.clone(),
            commands,
            readiness,
        },
    )?;
    let web = cohub_web::router(&api, web_config(&args));
    api.mount(web);

    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let addr = listener.local_addr()?;
    let _ = outln!("cohub listening on http://{addr}");
    let _ = outln!("  store:    {}", opened.describe(&args.data));
    let _ = outln!("  web app:  http://{addr}/");
    let _ = outln!("  GraphiQL: http://{addr}/graphql");
    if let Some(written) = demo_written {
        print_demo_tokens(&args.data, written)?;
    }
    use std::io::Write;
    std::io::stdout().flush()?;

    cohub_api::serve(listener, api, shutdown_signal()).await?;

    // In-flight requests have finished: fold what they appended, then stop the projector and
    // wait for it (its last checkpoint is written before it ends, while the runtime still
    // runs blocking work), then close the log.
    let head = store.head_position().await.unwrap_or(0);
    let _ = projector.wait_for(head, Duration::from_secs(5)).await;
    projector.shutdown().await;
    opened.close().await?;
    eprintln!("cohub stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

/// Prints a week-long token for every demo person, so GraphiQL can be tried at once.
fn print_demo_tokens(data: &std::path::Path, written: u64) -> anyhow::Result<()> {
    use cohub_domain::example;
    if written > 0 {
        let _ = outln!(
            "  demo:     loaded the {} ({written} events)",
            example::HUB_NAME
        );
    } else {
        let _ = outln!("  demo:     the {} is already loaded", example::HUB_NAME);
    }
    let _ = outln!("  hub id:   {}", example::HUB);
    let _ = outln!("  tokens (send as `Authorization: Bearer <token>`; GraphiQL: Headers tab):");
    let issuer = TokenIssuer::open(data)?;
    for person in example::people() {
        let token = issuer.issue(person.id.uuid(), Duration::from_secs(7 * 24 * 3600))?;
        let _ = outln!("    {:<14} {:<20} {token}", person.key, person.name);
    }
    Ok(())
}
