//! End-to-end harness: runs the real `cohub` binary on a temporary data directory and talks to
//! it over real HTTP and WebSocket.
//!
//! - [`cohub_bin`] finds the binary (`COHUB_BIN`, else beside the test executable's `deps/`
//!   directory, i.e. `<target>/debug/cohub`; `scripts/test.sh` builds it first).
//! - [`Server::start`] runs `cohub serve --data DIR --addr 127.0.0.1:0`, reads the bound address
//!   from its `cohub listening on http://ADDR` line, and waits for `/readyz`.
//! - [`Server::gql`] posts a GraphQL request; [`Server::subscribe_client`] opens a
//!   `graphql-transport-ws` connection; [`token`] runs `cohub token`.
//! - [`Server::kill`] (SIGKILL), [`Server::stop`] (SIGTERM, graceful) and [`Server::restart`]
//!   exercise crashes and restarts on the same data directory.

#![warn(missing_docs)]

pub mod pg;
pub mod probe;
pub mod web;

use anyhow::{anyhow, bail, Context, Result};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// How long a server may take to print its address and become ready.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The line prefix `cohub serve` prints once it listens.
const LISTENING: &str = "cohub listening on http://";

/// The `cohub` binary under test: `$COHUB_BIN`, else `<target>/<profile>/cohub` found from this
/// test executable's own path (`<target>/<profile>/deps/<test>`).
pub fn cohub_bin() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("COHUB_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("cannot find the test executable")?;
    let name = format!("cohub{}", std::env::consts::EXE_SUFFIX);
    for dir in exe.ancestors().skip(1).take(3) {
        let candidate = dir.join(&name);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "no `{name}` binary near {}: run `cargo build --bin cohub` first (or set COHUB_BIN)",
        exe.display()
    )
}

/// Runs `cohub ARGS` to completion and returns its standard output.
pub async fn run_cohub(args: &[&str]) -> Result<String> {
    let out = Command::new(cohub_bin()?)
        .args(args)
        .env("COHUB_LOG", "warn")
        .output()
        .await
        .context("cannot run cohub")?;
    if !out.status.success() {
        bail!(
            "`cohub {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A bearer token for `member`, from `cohub token --data DIR --member UUID`.
pub async fn token(data: &Path, member: Uuid) -> Result<String> {
    let data = data.to_str().context("the data path is not UTF-8")?;
    let out = run_cohub(&["token", "--data", data, "--member", &member.to_string()]).await?;
    let token = out.trim().to_string();
    if token.split('.').count() != 3 {
        bail!("`cohub token` printed something that is not a JWT: {out:?}");
    }
    Ok(token)
}

/// The last line a cleanly stopping `cohub serve` writes to stderr.
pub const STOPPED_CLEANLY: &str = "cohub stopped cleanly";

/// A running `cohub serve` process.
pub struct Server {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data: PathBuf,
    extra_args: Vec<String>,
    log: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

impl Server {
    /// Starts `cohub serve --data DATA --addr 127.0.0.1:0` and waits until it is ready.
    pub async fn start(data: &Path) -> Result<Server> {
        Self::start_with(data, &[]).await
    }

    /// Like [`Server::start`], with extra arguments after `serve` (e.g. `--demo`).
    pub async fn start_with(data: &Path, extra_args: &[&str]) -> Result<Server> {
        let data_str = data.to_str().context("the data path is not UTF-8")?;
        let mut child = Command::new(cohub_bin()?)
            .arg("serve")
            .args(["--data", data_str])
            // Port 0 picks a free port, unless the test chose the address itself.
            .args(if extra_args.contains(&"--addr") {
                &[][..]
            } else {
                &["--addr", "127.0.0.1:0"][..]
            })
            .args(extra_args)
            .env(
                "COHUB_LOG",
                std::env::var("COHUB_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start `cohub serve`")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let stderr_done = tokio::spawn(collect_lines(BufReader::new(stderr), log.clone()));
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();

        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            let line = tokio::time::timeout_at(deadline.into(), stdout.next_line())
                .await
                .map_err(|_| anyhow!("`cohub serve` printed no address in time{}", tail(&log)))?
                .context("reading cohub's output")?;
            match line {
                Some(line) => {
                    if let Some(rest) = line.trim().strip_prefix(LISTENING) {
                        break rest
                            .trim_end_matches('/')
                            .parse::<SocketAddr>()
                            .with_context(|| format!("bad address line {line:?}"))?;
                    }
                    log.lock().expect("log lock").push(line);
                }
                None => {
                    let status = child.wait().await?;
                    let _ = tokio::time::timeout(Duration::from_secs(2), stderr_done).await;
                    bail!(
                        "`cohub serve` exited ({status}) before listening{}",
                        tail(&log)
                    );
                }
            }
        };
        tokio::spawn(collect_lines_from(stdout, log.clone()));
        let server = Server {
            child,
            addr,
            data: data.to_path_buf(),
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            log,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        };
        server.wait_ready(deadline).await?;
        Ok(server)
    }

    async fn wait_ready(&self, deadline: Instant) -> Result<()> {
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.http.get(self.url("/readyz")).send().await {
                Ok(resp) if resp.status().is_success() => return Ok(()),
                Ok(resp) => last = format!("{}: {}", resp.status(), resp.text().await?),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "`cohub serve` never became ready (last: {last}){}",
            tail(&self.log)
        )
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A plain HTTP client for anything else.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> Result<String> {
        Ok(self
            .http
            .get(self.url("/metrics"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?)
    }

    /// What the server wrote to stdout and stderr so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }

    /// Founds a hub named `name` with `token`'s member as its founder (Asha, of a community
    /// organisation, Tipton Carers) and returns its id.
    pub async fn found_hub(&self, token: &str, name: &str, purpose: &str) -> Result<Uuid> {
        let found = self
            .gql_ok(
                "mutation($i: FoundHubInput!) { foundHub(input: $i) { hub { id } } }",
                json!({ "i": {
                    "name": name,
                    "purpose": { "text": purpose },
                    "founderName": "Asha",
                    "organisation": { "name": "Tipton Carers", "kind": "COMMUNITY_ORGANISATION" },
                }}),
                Some(token),
            )
            .await?;
        found["foundHub"]["hub"]["id"]
            .as_str()
            .context("foundHub returned no hub id")?
            .parse()
            .context("foundHub returned a hub id that is not a UUID")
    }

    /// POSTs a GraphQL request and returns the JSON answer, whatever the HTTP status.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Result<Value> {
        let mut req = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        serde_json::from_str(&text)
            .with_context(|| format!("HTTP {status} with a body that is not JSON: {text}"))
    }

    /// Like [`Server::gql`], but fails on any GraphQL error and returns `data`.
    pub async fn gql_ok(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> Result<Value> {
        let body = self.gql(query, variables, token).await?;
        if body.get("errors").is_some_and(|e| !e.is_null()) {
            bail!("GraphQL errors: {body}");
        }
        Ok(body["data"].clone())
    }

    /// Opens a `graphql-transport-ws` connection and completes `connection_init` (with the
    /// token as `Authorization: Bearer ...` if given).
    pub async fn subscribe_client(&self, token: Option<&str>) -> Result<WsClient> {
        let mut client = WsClient::connect(self.addr).await?;
        let payload = match token {
            Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        client.init(payload).await?;
        Ok(client)
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub async fn kill(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// Asks the process to stop (SIGTERM) and waits for it to exit. A clean stop must log no
    /// panic (of any task, e.g. a cancelled checkpoint writer): that fails here.
    pub async fn stop(mut self) -> Result<ExitStatus> {
        let pid = self.child.id().context("the server already exited")?;
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await?;
        if !status.success() {
            bail!("could not signal cohub (pid {pid})");
        }
        let exit = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .map_err(|_| {
                anyhow!(
                    "cohub did not stop within 30 s of SIGTERM{}",
                    tail(&self.log)
                )
            })??;
        if exit.success() {
            // Everything before the last line has been collected once the last line has.
            let deadline = Instant::now() + Duration::from_secs(5);
            while !self.log().iter().any(|l| l.contains(STOPPED_CLEANLY))
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if let Some(panic) = self.log().iter().find(|l| l.contains("panicked")) {
                bail!("cohub stopped, but logged a panic on the way: {panic}");
            }
        }
        Ok(exit)
    }

    /// Stops the process gracefully and starts a new one on the same data directory.
    pub async fn restart(self) -> Result<Server> {
        let data = self.data.clone();
        let extra = self.extra_args.clone();
        self.stop().await?;
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        Server::start_with(&data, &extra).await
    }
}

async fn collect_lines<R>(reader: BufReader<R>, log: Arc<Mutex<Vec<String>>>)
where
    R: tokio::io::AsyncRead + Unpin,
{
    collect_lines_from(reader.lines(), log).await
}

async fn collect_lines_from<R>(
    mut lines: tokio::io::Lines<BufReader<R>>,
    log: Arc<Mutex<Vec<String>>>,
) where
    R: tokio::io::AsyncRead + Unpin,
{
    while let Ok(Some(line)) = lines.next_line().await {
        log.lock().expect("log lock").push(line);
    }
}

/// The last lines the server wrote, for error messages.
fn tail(log: &Arc<Mutex<Vec<String>>>) -> String {
    let log = log.lock().expect("log lock");
    let start = log.len().saturating_sub(20);
    if log.is_empty() {
        String::new()
    } else {
        format!("\n--- cohub output ---\n{}", log[start..].join("\n"))
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A `graphql-transport-ws` client.
pub struct WsClient {
    socket: Socket,
}

/// How a WebSocket connection ended: its close code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The close code (4403 unauthenticated, 4408 init timeout, 1001 shutting down, ...).
    pub code: u16,
    /// The reason text.
    pub reason: String,
}

impl WsClient {
    /// Connects to `ws://ADDR/graphql` with the `graphql-transport-ws` subprotocol.
    pub async fn connect(addr: SocketAddr) -> Result<WsClient> {
        let mut req = format!("ws://{addr}/graphql").into_client_request()?;
        req.headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
        let (socket, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(WsClient { socket })
    }

    /// Sends `connection_init` with `payload` and waits for `connection_ack`.
    pub async fn init(&mut self, payload: Value) -> Result<()> {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await?;
        match self.next().await? {
            Ok(msg) if msg["type"] == "connection_ack" => Ok(()),
            Ok(msg) => bail!("expected connection_ack, got {msg}"),
            Err(closed) => bail!("the server closed the connection: {closed:?}"),
        }
    }

    /// Starts operation `id` (a subscription, or a query answered once).
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) -> Result<()> {
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables }
        }))
        .await
    }

    /// Stops operation `id`.
    pub async fn complete(&mut self, id: &str) -> Result<()> {
        self.send(json!({ "id": id, "type": "complete" })).await
    }

    /// Sends one protocol message.
    pub async fn send(&mut self, msg: Value) -> Result<()> {
        self.socket
            .send(Message::Text(msg.to_string().into()))
            .await?;
        Ok(())
    }

    /// The next protocol message (answering pings), or how the connection closed; fails if
    /// nothing arrives within 10 s.
    pub async fn next(&mut self) -> Result<std::result::Result<Value, Closed>> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .map_err(|_| anyhow!("no WebSocket message within 10 s"))?;
            match msg {
                None => {
                    return Ok(Err(Closed {
                        code: 1006,
                        reason: "connection dropped".into(),
                    }))
                }
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text)?;
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await?;
                        continue;
                    }
                    return Ok(Ok(value));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Ok(Err(match frame {
                        Some(f) => Closed {
                            code: u16::from(f.code),
                            reason: f.reason.to_string(),
                        },
                        None => Closed {
                            code: 1005,
                            reason: String::new(),
                        },
                    }))
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next `next` payload for operation `id` (skipping other operations' messages);
    /// fails on `error`, `complete` or a closed connection.
    pub async fn next_payload(&mut self, id: &str) -> Result<Value> {
        loop {
            let msg = match self.next().await? {
                Ok(msg) => msg,
                Err(closed) => bail!("the connection closed: {closed:?}"),
            };
            if msg["id"] != id {
                continue;
            }
            match msg["type"].as_str() {
                Some("next") => return Ok(msg["payload"].clone()),
                _ => bail!("operation {id} ended: {msg}"),
            }
        }
    }
}

/// Copies the token signing key of data directory `from` (made on first use, e.g. by
/// [`token`]) into data directory `to`, as a deployment mounts one key into every server, so
/// that tokens issued for one verify on the other.
pub fn share_signing_key(from: &Path, to: &Path) -> Result<()> {
    let rel = Path::new("keys").join("token-signing.key");
    let dir = to.join("keys");
    std::fs::create_dir_all(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    std::fs::copy(from.join(&rel), to.join(&rel))
        .with_context(|| format!("cannot copy the signing key from {}", from.display()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Crash, soak and concurrency helpers (tests/tests/{crash,soak,concurrency_http}.rs)
// ---------------------------------------------------------------------------------------------

impl Server {
    /// The server's process id (while it runs), e.g. to sample `/proc/<pid>`.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// Starts `cohub serve --data DATA --addr 127.0.0.1:0 EXTRA` and returns at once, without
/// waiting for it to listen or be ready (its output is discarded): for killing it during
/// start-up and recovery.
pub fn spawn_serve(data: &Path, extra_args: &[&str]) -> Result<Child> {
    let data_str = data.to_str().context("the data path is not UTF-8")?;
    Command::new(cohub_bin()?)
        .arg("serve")
        .args(["--data", data_str, "--addr", "127.0.0.1:0"])
        .args(extra_args)
        .env("COHUB_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start `cohub serve`")
}

/// Runs `cohub ARGS` to completion and returns its exit status, standard output and standard
/// error, whatever the status (for commands whose exit code is the answer, like `verify` and
/// `rebuild --check`).
pub async fn cohub_output(args: &[&str]) -> Result<(ExitStatus, String, String)> {
    let out = Command::new(cohub_bin()?)
        .args(args)
        .env("COHUB_LOG", "warn")
        .output()
        .await
        .context("cannot run cohub")?;
    Ok((
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The whole log as `cohub export --data DATA` writes it: one envelope (JSON) per line.
pub async fn export_log(data: &Path) -> Result<Vec<Value>> {
    let data = data.to_str().context("the data path is not UTF-8")?;
    let out = run_cohub(&["export", "--data", data]).await?;
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).with_context(|| format!("an export line is not JSON: {l}"))
        })
        .collect()
}

/// A bearer token for a demo person by key (`nurse`, `firm_lead`, ...), from `cohub token`.
pub async fn demo_token(data: &Path, key: &str) -> Result<String> {
    let data = data.to_str().context("the data path is not UTF-8")?;
    let out = run_cohub(&["token", "--data", data, "--member", key]).await?;
    Ok(out.trim().to_string())
}

/// Resident memory of a process in KiB (`VmRSS` in `/proc/<pid>/status`; Linux only).
pub fn proc_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS line")
}

/// How many files a process has open (entries of `/proc/<pid>/fd`; Linux only).
pub fn proc_open_fds(pid: u32) -> Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))
        .with_context(|| format!("cannot list /proc/{pid}/fd"))?
        .count())
}

/// The names of a process's threads (`comm` of each entry of `/proc/<pid>/task`; Linux only).
pub fn proc_thread_names(pid: u32) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .with_context(|| format!("cannot list /proc/{pid}/task"))?
    {
        let comm = std::fs::read_to_string(task?.path().join("comm"))?;
        names.push(comm.trim().to_string());
    }
    Ok(names)
}
