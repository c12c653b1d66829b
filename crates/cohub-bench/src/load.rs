//! `cohub-bench load`: the load driver. Each connection works in a hub of its own (so the load
//! is spread over as many hubs as connections), sets it up, waits for every other connection
//! to be ready, then sends the workload's rounds one request at a time until time is up. The
//! same driver loads cohub, the peer and the fixed-JSON ceiling, so their figures compare.

use crate::report::Recorder;
use crate::workload::{Hub, Step, ROUND};
use anyhow::{bail, Context};
use cohub_api::TokenIssuer;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// What the driver loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// cohub's GraphQL API (`/graphql`), with members' tokens.
    Cohub,
    /// The cqrs-es peer (`/commands/{aggregate}`).
    Peer,
    /// The fixed-JSON handler (`/graphql`, the same bodies as cohub's).
    Fixed,
}

/// Arguments of `cohub-bench load`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's base URL, such as http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// What the server is.
    #[arg(long, value_enum)]
    target: Target,
    /// Concurrent connections, each with a hub of its own.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// How long to send requests, after every connection's hub is set up.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// cohub: the server's data directory, whose key signs the driver's members' tokens.
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Who sends the requests of one connection.
struct Tokens {
    a: String,
    b: String,
}

/// Runs the load and prints its figures.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    let issuer = match (args.target, &args.data) {
        (Target::Cohub, Some(data)) => {
            Some(TokenIssuer::open(data).with_context(|| format!("reading the key in {data:?}"))?)
        }
        (Target::Cohub, None) => bail!("--target cohub needs --data (the server's data directory)"),
        _ => None,
    };
    let ready = Arc::new(Barrier::new(args.connections + 1));
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let hub = Hub::new();
        let tokens = match &issuer {
            Some(issuer) => {
                let ttl = Duration::from_secs(3600);
                Tokens {
                    a: issuer.issue(hub.member_a, ttl)?,
                    b: issuer.issue(hub.member_b, ttl)?,
                }
            }
            None => Tokens {
                a: "none".into(),
                b: "none".into(),
            },
        };
        let connection = Connection {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .tcp_nodelay(true)
                .build()?,
            url: args.url.trim_end_matches('/').to_string(),
            target: args.target,
            hub,
            tokens,
        };
        let ready = ready.clone();
        let seconds = args.seconds;
        tasks.push(tokio::spawn(async move {
            connection.setup().await?;
            ready.wait().await;
            Ok::<_, anyhow::Error>(connection.drive(Duration::from_secs_f64(seconds)).await)
        }));
    }
    ready.wait().await;
    let start = Instant::now();
    let mut all = Recorder::new();
    for task in tasks {
        all.merge(task.await??);
    }
    all.figures(args.connections, start.elapsed().as_secs_f64(), 1)
        .print()
}

/// One connection: its own client (one keep-alive connection), hub and members.
struct Connection {
    client: reqwest::Client,
    url: String,
    target: Target,
    hub: Hub,
    tokens: Tokens,
}

impl Connection {
    /// Founds the hub and admits the second organisation and its lead (cohub only: the peer
    /// has no membership, and the ceiling no state).
    async fn setup(&self) -> anyhow::Result<()> {
        if self.target != Target::Cohub {
            return Ok(());
        }
        for step in self.hub.cohub_setup() {
            if let Err(e) = self.send(&step).await {
                bail!("setting up a hub failed: {e}");
            }
        }
        Ok(())
    }

    /// Sends rounds until `length` has passed, one request at a time.
    async fn drive(&self, length: Duration) -> Recorder {
        let mut recorder = Recorder::new();
        let deadline = Instant::now() + length;
        let mut n: u64 = 0;
        while Instant::now() < deadline {
            let (round, step) = (n / ROUND, n % ROUND);
            let step = match self.target {
                Target::Peer => self.hub.peer_step(round, step),
                Target::Cohub | Target::Fixed => self.hub.cohub_step(round, step),
            };
            let began = Instant::now();
            match self.send(&step).await {
                Ok(()) => recorder.ok(began.elapsed()),
                Err(e) => recorder.fail(|| e),
            }
            n += 1;
        }
        recorder
    }

    /// Sends one request; a failure is said in words.
    async fn send(&self, step: &Step) -> Result<(), String> {
        let token = if step.by_b {
            &self.tokens.b
        } else {
            &self.tokens.a
        };
        let request = match self.target {
            Target::Peer => self
                .client
                .post(format!("{}/commands/{}", self.url, step.aggregate)),
            Target::Cohub | Target::Fixed => self
                .client
                .post(format!("{}/graphql", self.url))
                .bearer_auth(token),
        };
        let response = request
            .json(&step.body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        let text = || String::from_utf8_lossy(&body).into_owned();
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", text()));
        }
        if self.target == Target::Cohub && contains(&body, b"\"errors\"") {
            return Err(text());
        }
        Ok(())
    }
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
