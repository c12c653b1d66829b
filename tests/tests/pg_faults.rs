//! A `cohub serve` on PostgreSQL under a steady write load (every mutation with an idempotency
//! key) while the database misbehaves: (a) its connections are terminated
//! (`pg_terminate_backend`), (b) the PostgreSQL cluster is stopped and started again.
//!
//! Checked: `/readyz` says 503 while the database is unreachable and 200 again afterwards by
//! itself; every acknowledged append (a receipt) is in the log; an unacknowledged one (an error,
//! `UNAVAILABLE` or `OUTCOME_UNKNOWN`, or a timeout) is in it at most once; retrying it with the same key answers with a receipt and
//! appends nothing twice; positions stay gap-free and the chain verifies.
//!
//! One test in its own binary (it stops the shared local cluster, so nothing else of this suite
//! runs meanwhile), bounded to well under two minutes.

use anyhow::{bail, ensure, Context, Result};
use cohub_e2e::pg::{ctl_cluster, wait_up, TestSchema};
use cohub_e2e::{run_cohub, token, Server};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const RECEIPT: &str =
    "receipt { firstPosition lastPosition hubSeq streamVersion hash recordedAt eventIds replayed }";

/// The whole test's time limit.
const LIMIT: Duration = Duration::from_secs(110);

/// How long the client waits for one mutation before counting it unacknowledged.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(12);

/// Writers sending mutations at once.
const WRITERS: usize = 3;

/// One mutation the load sent, and what came of it.
#[derive(Debug, Clone)]
struct Attempt {
    key: String,
    problem: Uuid,
    /// The receipt, if the server acknowledged the append.
    receipt: Option<Value>,
    /// Otherwise what the client saw (an error answer or a timeout).
    failure: Option<String>,
}

struct Ctx {
    server: Server,
    token: String,
    hub: Uuid,
}

impl Ctx {
    async fn frame(&self, problem: Uuid, key: &str) -> Result<Value> {
        let q = format!(
            "mutation($i: FrameProblemInput!, $k: String) {{ \
             frameProblem(input: $i, idempotencyKey: $k) {{ {RECEIPT} }} }}"
        );
        let vars = json!({
            "i": {
                "hubId": self.hub,
                "problemId": problem,
                "framing": {
                    "title": { "text": format!("Problem {key}") },
                    "statement": { "text": "Carers cannot get to evening clinics." },
                    "affected": { "text": "Unpaid carers in Tipton" },
                    "place": { "text": "Tipton, Sandwell" },
                },
            },
            "k": key,
        });
        tokio::time::timeout(
            REQUEST_TIMEOUT,
            self.server.gql(&q, vars, Some(&self.token)),
        )
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {REQUEST_TIMEOUT:?}"))?
    }

    /// `/readyz`: its status code and body.
    async fn ready(&self) -> (u16, String) {
        match self
            .server
            .http()
            .get(self.server.url("/readyz"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
        {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(e) => (0, e.to_string()),
        }
    }

    /// Polls `/readyz` until it answers `want`; returns the body it answered with.
    async fn await_ready(&self, want: u16, within: Duration) -> Result<String> {
        let deadline = Instant::now() + within;
        loop {
            let (status, body) = self.ready().await;
            if status == want {
                return Ok(body);
            }
            if Instant::now() >= deadline {
                bail!("/readyz never answered {want} within {within:?} (last: {status} {body})");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}

fn receipt_of(answer: &Value) -> Option<Value> {
    let r = &answer["data"]["frameProblem"]["receipt"];
    (!r.is_null()).then(|| r.clone())
}

/// Runs `WRITERS` loops of keyed mutations until `stop`; records every attempt.
fn start_load(
    ctx: Arc<Ctx>,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Attempt>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..WRITERS)
        .map(|w| {
            let (ctx, stop, log) = (ctx.clone(), stop.clone(), log.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let key = format!("load-{w}-{n}");
                    let problem = Uuid::now_v7();
                    let (receipt, failure) = match ctx.frame(problem, &key).await {
                        Ok(answer) => match receipt_of(&answer) {
                            Some(r) => (Some(r), None),
                            None => (None, Some(answer.to_string())),
                        },
                        Err(e) => (None, Some(format!("{e:#}"))),
                    };
                    let failed = failure.is_some();
                    log.lock().unwrap().push(Attempt {
                        key,
                        problem,
                        receipt,
                        failure,
                    });
                    // Steady, not a flood; back off a little while things fail.
                    let pause = if failed { 200 } else { 30 };
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            })
        })
        .collect()
}

fn acknowledged_since(log: &Mutex<Vec<Attempt>>, from: usize) -> usize {
    log.lock().unwrap()[from..]
        .iter()
        .filter(|a| a.receipt.is_some())
        .count()
}

/// Waits until at least `n` more appends were acknowledged after attempt index `from`.
async fn await_progress(
    log: &Mutex<Vec<Attempt>>,
    from: usize,
    n: usize,
    within: Duration,
) -> Result<()> {
    let deadline = Instant::now() + within;
    while acknowledged_since(log, from) < n {
        if Instant::now() >= deadline {
            let last: Vec<_> = log.lock().unwrap().iter().rev().take(3).cloned().collect();
            bail!("the load made no progress within {within:?}; last attempts: {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[tokio::test]
async fn acknowledged_appends_survive_lost_connections_and_a_database_restart() -> Result<()> {
    let started = Instant::now();
    let outcome = tokio::time::timeout(LIMIT, scenario()).await;
    // Whatever happened, leave the shared cluster running for the rest of the suite.
    if wait_up(Duration::from_secs(1)).await.is_err() {
        let _ = ctl_cluster("start").await;
        let _ = wait_up(Duration::from_secs(30)).await;
    }
    outcome.map_err(|_| anyhow::anyhow!("the fault scenario took longer than {LIMIT:?}"))??;
    eprintln!("pg_faults: done in {:?}", started.elapsed());
    Ok(())
}

async fn scenario() -> Result<()> {
    wait_up(Duration::from_secs(30)).await?;
    let schema = TestSchema::create("pg_faults").await?;
    let dir = tempfile::tempdir()?;
    let member = Uuid::now_v7();
    let token = token(dir.path(), member).await?;
    let url = schema.url();
    let server = Server::start_with(dir.path(), &["--store", &url]).await?;
    let hub = server
        .found_hub(
            &token,
            "Fault-tolerant hub",
            "Keeps its word when the database does not.",
        )
        .await?;
    let ctx = Arc::new(Ctx { server, token, hub });

    let stop = Arc::new(AtomicBool::new(false));
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let writers = start_load(ctx.clone(), stop.clone(), attempts.clone());
    await_progress(&attempts, 0, 10, Duration::from_secs(20)).await?;

    // (a) Terminate the server's connections (pool and listener), not ours.
    let killed = schema.terminate_backends().await?;
    ensure!(killed > 0, "the server had no connections to terminate");
    eprintln!("pg_faults: terminated {killed} server connections");
    let mark = attempts.lock().unwrap().len();
    await_progress(&attempts, mark, 10, Duration::from_secs(20))
        .await
        .context("writes did not resume after the connections were terminated")?;
    ctx.await_ready(200, Duration::from_secs(15)).await?;

    // (b) Stop the database: /readyz must say so; then start it: /readyz must recover alone.
    ctl_cluster("stop").await?;
    let down_at = Instant::now();
    let body = ctx.await_ready(503, Duration::from_secs(15)).await?;
    eprintln!(
        "pg_faults: not ready {:?} after the stop: {body}",
        down_at.elapsed()
    );
    let report: Value = serde_json::from_str(&body).context("/readyz body is not JSON")?;
    let store_check = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "store"))
        .context("/readyz has no store check")?;
    assert_eq!(store_check["ready"], json!(false), "{body}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (status, _) = ctx.ready().await;
    assert_eq!(status, 503, "ready while the database is still down");
    ctl_cluster("start").await?;
    wait_up(Duration::from_secs(30)).await?;
    let up_at = Instant::now();
    ctx.await_ready(200, Duration::from_secs(30))
        .await
        .context("/readyz did not recover after the database came back")?;
    eprintln!(
        "pg_faults: ready again {:?} after the start",
        up_at.elapsed()
    );
    let mark = attempts.lock().unwrap().len();
    await_progress(&attempts, mark, 10, Duration::from_secs(20))
        .await
        .context("writes did not resume after the database restart")?;

    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await?;
    }
    let attempts = attempts.lock().unwrap().clone();
    let acked = attempts.iter().filter(|a| a.receipt.is_some()).count();
    let unacked: Vec<&Attempt> = attempts.iter().filter(|a| a.receipt.is_none()).collect();
    eprintln!(
        "pg_faults: {} attempts, {acked} acknowledged, {} not (e.g. {:?})",
        attempts.len(),
        unacked.len(),
        unacked.first().and_then(|a| a.failure.as_deref())
    );

    // The log as it stands: every receipt in it, every unacknowledged key at most once.
    let log = export(&url).await?;
    let by_id = index(&log)?;
    for a in attempts.iter().filter(|a| a.receipt.is_some()) {
        check_receipt_in_log(a.receipt.as_ref().unwrap(), &by_id)
            .with_context(|| format!("acknowledged append {} is not in the log", a.key))?;
    }
    let per_key = count_keys(&log);
    let mut present_before_retry = 0;
    for a in &unacked {
        let n = per_key.get(a.key.as_str()).copied().unwrap_or(0);
        ensure!(n <= 1, "unacknowledged {} is in the log {n} times", a.key);
        present_before_retry += n;
    }

    // Retry every unacknowledged one with its key: a receipt each, nothing twice.
    let mut retried = Vec::new();
    for a in &unacked {
        // A patient client: while the member's rate limit says wait (the load just sent many
        // quickly refused requests), it waits and sends the same request again.
        let mut answer = ctx.frame(a.problem, &a.key).await?;
        while answer["errors"][0]["extensions"]["code"] == "LIMIT" {
            tokio::time::sleep(Duration::from_secs(1)).await;
            answer = ctx.frame(a.problem, &a.key).await?;
        }
        let r = receipt_of(&answer)
            .with_context(|| format!("retrying {} gave no receipt: {answer}", a.key))?;
        let was_there = per_key.get(a.key.as_str()).copied().unwrap_or(0) == 1;
        assert_eq!(r["replayed"], json!(was_there), "retry of {}: {r}", a.key);
        retried.push((a.key.clone(), r));
    }
    eprintln!(
        "pg_faults: {present_before_retry} of {} unacknowledged appends had committed; all retried",
        unacked.len()
    );

    let log = export(&url).await?;
    let by_id = index(&log)?;
    let positions: Vec<u64> = log.iter().filter_map(|e| e["position"].as_u64()).collect();
    assert_eq!(
        positions,
        (1..=log.len() as u64).collect::<Vec<_>>(),
        "positions have gaps"
    );
    let per_key = count_keys(&log);
    for a in &attempts {
        assert_eq!(
            per_key.get(a.key.as_str()).copied(),
            Some(1),
            "key {} in the log",
            a.key
        );
    }
    for a in attempts.iter().filter(|a| a.receipt.is_some()) {
        check_receipt_in_log(a.receipt.as_ref().unwrap(), &by_id)?;
    }
    for (key, r) in &retried {
        check_receipt_in_log(r, &by_id).with_context(|| format!("retried {key}"))?;
    }
    // Nothing else crept in: every event but the founding carries one of the load's keys.
    let keys: std::collections::HashSet<&str> = attempts.iter().map(|a| a.key.as_str()).collect();
    for e in &log {
        let founding = e["stream_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("hub"));
        let keyed = e["idempotency_key"]
            .as_str()
            .is_some_and(|k| keys.contains(k));
        ensure!(founding || keyed, "an event no attempt accounts for: {e}");
    }
    let verify = run_cohub(&["verify", "--store", &url]).await?;
    assert!(verify.contains("OK"), "cohub verify: {verify}");

    match Arc::try_unwrap(ctx) {
        Ok(ctx) => ctx.server.stop().await.map(|_| ())?,
        Err(_) => bail!("the load still holds the server"),
    }
    drop(schema);
    Ok(())
}

async fn export(url: &str) -> Result<Vec<Value>> {
    let out = run_cohub(&["export", "--store", url]).await?;
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).context("export line is not JSON"))
        .collect()
}

fn index(log: &[Value]) -> Result<HashMap<String, &Value>> {
    let by_id: HashMap<String, &Value> = log
        .iter()
        .map(|e| (e["event_id"].as_str().unwrap_or_default().to_string(), e))
        .collect();
    ensure!(
        by_id.len() == log.len(),
        "an event id appears twice in the log"
    );
    Ok(by_id)
}

/// Appends per idempotency key: distinct correlation ids (one per carried-out command) among
/// the events that carry the key.
fn count_keys(log: &[Value]) -> HashMap<&str, usize> {
    let mut m: HashMap<&str, std::collections::HashSet<&str>> = HashMap::new();
    for e in log {
        if let (Some(k), Some(c)) = (e["idempotency_key"].as_str(), e["correlation_id"].as_str()) {
            m.entry(k).or_default().insert(c);
        }
    }
    m.into_iter().map(|(k, v)| (k, v.len())).collect()
}

/// The receipt's events are in the log at its positions, the last with its hash.
fn check_receipt_in_log(r: &Value, by_id: &HashMap<String, &Value>) -> Result<()> {
    let ids = r["eventIds"].as_array().context("no eventIds")?;
    let first = r["firstPosition"].as_u64().context("no firstPosition")?;
    for (i, id) in ids.iter().enumerate() {
        let id = id.as_str().context("event id")?;
        let e = by_id
            .get(id)
            .with_context(|| format!("event {id} missing"))?;
        ensure!(
            e["position"].as_u64() == Some(first + i as u64),
            "event {id} moved"
        );
        if i + 1 == ids.len() {
            ensure!(
                e["hash"] == r["hash"],
                "event {id} has another hash than the receipt"
            );
        }
    }
    Ok(())
}
