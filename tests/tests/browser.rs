//! The web app in a real browser: starts `cohub serve --demo` on a temporary data directory and
//! runs the Playwright specs in `browser/` against it, with Debian's chromium (headless).
//!
//! The specs get `COHUB_URL` and one `COHUB_TOKEN_<KEY>` per demo person (e.g.
//! `COHUB_TOKEN_CHAMPION`, `COHUB_TOKEN_FIRM_LEAD`); `COHUB_BROWSER_GREP` runs only the specs
//! whose titles match it, and `COHUB_WRITE_SCREENSHOTS=1` refreshes `docs/screenshots/`.
//! Playwright's output is streamed as it runs. Without node, npx, chromium or
//! `browser/node_modules` the test fails (it never skips): `scripts/ensure-browser.sh`
//! installs them, and `scripts/test.sh` runs it first.

use anyhow::{bail, Context, Result};
use cohub_domain::example;
use cohub_e2e::{demo_token, Server};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;

/// The longest the whole Playwright run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// How to get what the browser tests need, in every failure message.
const INSTALL_HINT: &str = "run scripts/ensure-browser.sh (scripts/test.sh does) to install chromium and browser/node_modules";

/// The repository's `browser/` folder (this crate is `tests/` at the repository root).
fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .join("browser")
}

/// Runs `program --version` and returns what it printed, or a failure naming what is missing.
async fn version_of(program: &str) -> Result<String> {
    let out = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run `{program}`: is Node.js installed? {INSTALL_HINT}"))?;
    if !out.status.success() {
        bail!(
            "`{program} --version` failed ({}): {}; {INSTALL_HINT}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Everything the specs need is there: node (20 or later), npx, chromium and the npm packages.
async fn check_prerequisites(browser: &Path) -> Result<PathBuf> {
    let node = version_of("node").await?;
    let major: u32 = node
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .with_context(|| format!("`node --version` printed {node:?}"))?;
    if major < 20 {
        bail!("Node.js {node} is too old: Playwright needs 20 or later");
    }
    version_of("npx").await?;
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    if !chromium.is_file() {
        bail!("no chromium at {}: {INSTALL_HINT}", chromium.display());
    }
    for package in ["@playwright/test", "axe-core"] {
        let dir = browser.join("node_modules").join(package);
        if !dir.join("package.json").is_file() {
            bail!("{} is missing: {INSTALL_HINT}", dir.display());
        }
    }
    Ok(chromium)
}

#[tokio::test]
async fn the_web_app_works_in_a_real_browser() -> Result<()> {
    let browser = browser_dir();
    let chromium = check_prerequisites(&browser).await?;

    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let mut tokens = Vec::new();
    for person in example::people() {
        let token = demo_token(dir.path(), person.key).await?;
        tokens.push((format!("COHUB_TOKEN_{}", person.key.to_uppercase()), token));
    }

    let mut playwright = Command::new("npx");
    playwright
        .args(["--no-install", "playwright", "test"])
        .current_dir(&browser)
        .env("COHUB_URL", server.url(""))
        .env("CHROMIUM", &chromium)
        .envs(tokens)
        .stdin(Stdio::null())
        // Streamed straight to the terminal (cargo test does not capture a child's output).
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Ok(grep) = std::env::var("COHUB_BROWSER_GREP") {
        if !grep.is_empty() {
            playwright.args(["--grep", &grep]);
        }
    }
    eprintln!(
        "browser: running Playwright in {} against {}",
        browser.display(),
        server.url("/")
    );
    let started = Instant::now();
    let mut child = playwright
        .spawn()
        .with_context(|| format!("cannot run `npx playwright test`: {INSTALL_HINT}"))?;
    let status = match tokio::time::timeout(RUN_TIMEOUT, child.wait()).await {
        Ok(status) => status.context("waiting for Playwright")?,
        Err(_) => {
            child.kill().await.ok();
            bail!("Playwright did not finish within {RUN_TIMEOUT:?}");
        }
    };
    eprintln!("browser: Playwright took {:.1?}", started.elapsed());
    if !status.success() {
        // The server's last lines, without the demo tokens it prints at start-up.
        let log: Vec<String> = server
            .log()
            .into_iter()
            .filter(|line| !line.contains("eyJ"))
            .collect();
        let tail = log[log.len().saturating_sub(30)..].join("\n");
        bail!("the browser tests failed ({status}); the server's last lines:\n{tail}");
    }
    server.stop().await?;
    Ok(())
}
