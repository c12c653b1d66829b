//! PostgreSQL for end-to-end tests: a schema of its own per test in the test database, the URL
//! that points `cohub serve --store` at it, and fault injection (terminating a server's
//! connections, stopping and starting the local cluster). Talks to PostgreSQL through `psql`,
//! which `scripts/ensure-postgres.sh` installs with the server.

use anyhow::{bail, Context, Result};
use std::time::Duration;
use tokio::process::Command;
use uuid::Uuid;

/// The test database: `$COHUB_TEST_DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`.
pub fn base_url() -> String {
    std::env::var("COHUB_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Appends query parameters to a URL that may already have some.
fn with_params(url: &str, params: &[(&str, &str)]) -> String {
    let mut out = url.to_string();
    for (k, v) in params {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Runs one SQL statement (or several, `;`-separated) with `psql` and returns the unaligned,
/// tuples-only output.
pub async fn psql(url: &str, sql: &str) -> Result<String> {
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new("psql")
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                url,
                "-c",
                sql,
            ])
            .output(),
    )
    .await
    .context("psql took more than 30 s")?
    .context("cannot run psql (is the PostgreSQL client installed?)")?;
    if !out.status.success() {
        bail!(
            "psql failed ({}) on {sql:?}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A schema of its own in the test database, dropped (with everything in it) when this value
/// is dropped. Servers started with [`TestSchema::url`] keep their tables there and name
/// themselves with [`TestSchema::application_name`], so their connections can be found.
pub struct TestSchema {
    name: String,
    app: String,
}

impl TestSchema {
    /// Creates `e2e_<prefix>_<random>`.
    pub async fn create(prefix: &str) -> Result<TestSchema> {
        let id = &Uuid::now_v7().simple().to_string()[20..]; // the random tail
        let name = format!("e2e_{prefix}_{id}");
        psql(&base_url(), &format!("CREATE SCHEMA \"{name}\""))
            .await
            .context(
                "cannot create the test schema (is PostgreSQL up? scripts/ensure-postgres.sh)",
            )?;
        Ok(TestSchema {
            app: format!("cohub-{name}"),
            name,
        })
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `application_name` servers using [`TestSchema::url`] connect with.
    pub fn application_name(&self) -> &str {
        &self.app
    }

    /// The store URL for `cohub serve --store` / `export --store` / `verify --store`: the test
    /// database with this schema as its `search_path`.
    pub fn url(&self) -> String {
        let search_path = format!("-csearch_path%3D{}", self.name);
        with_params(
            &base_url(),
            &[("options", &search_path), ("application_name", &self.app)],
        )
    }

    /// A URL to the same schema for the test's own queries (another application name, so that
    /// [`TestSchema::terminate_backends`] spares it).
    pub fn control_url(&self) -> String {
        let search_path = format!("-csearch_path%3D{}", self.name);
        with_params(
            &base_url(),
            &[
                ("options", &search_path),
                ("application_name", "cohub-e2e-control"),
            ],
        )
    }

    /// Runs SQL in this schema.
    pub async fn sql(&self, sql: &str) -> Result<String> {
        psql(&self.control_url(), sql).await
    }

    /// Terminates every connection opened with this schema's application name (the servers'
    /// pools and listeners), as a failover or a DBA would; returns how many were ended.
    pub async fn terminate_backends(&self) -> Result<u64> {
        let out = psql(
            &base_url(),
            &format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE application_name = '{}' AND pid <> pg_backend_pid()",
                self.app
            ),
        )
        .await?;
        Ok(out.trim().parse()?)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // Synchronous, so that it also runs while a failed test unwinds.
        let _ = std::process::Command::new("psql")
            .args(["-X", "-q", "-d", &base_url(), "-c"])
            .arg(format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The local cluster's version directory under `/etc/postgresql` (the newest).
fn cluster_version() -> Result<String> {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .context("no /etc/postgresql: not a Debian-style local PostgreSQL")?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    versions.sort_by_key(|v| {
        v.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    versions.pop().context("no cluster in /etc/postgresql")
}

/// Runs `pg_ctlcluster --skip-systemctl-redirect <version> main <action>` (as root, or through
/// `sudo -n`): `stop`, `start` or `restart` the local cluster.
pub async fn ctl_cluster(action: &str) -> Result<()> {
    let version = cluster_version()?;
    let args = ["--skip-systemctl-redirect", &version, "main", action];
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .await
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false);
    let mut cmd = if is_root {
        Command::new("pg_ctlcluster")
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", "pg_ctlcluster"]);
        c
    };
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.args(args).output())
        .await
        .context("pg_ctlcluster took more than 60 s")??;
    if !out.status.success() {
        bail!(
            "pg_ctlcluster {action} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Waits until the test database answers a query.
pub async fn wait_up(timeout: Duration) -> Result<()> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match psql(&base_url(), "SELECT 1").await {
            Ok(_) => return Ok(()),
            Err(e) if std::time::Instant::now() >= deadline => {
                return Err(e.context("PostgreSQL did not come back"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}
