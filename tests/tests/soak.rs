//! Soak: steady mixed load (queries and mutations, about 50 requests a second by default)
//! against a real `cohub serve`, sampling the server's resident memory (`VmRSS`) and open files
//! (`/proc/<pid>/fd`) every second.
//!
//! Asserts: no request fails; memory shows no growth trend (the mean of the last third of the
//! samples stays within a generous bound of the middle third's); open files return to their
//! baseline (± a few) once the load stops. Prints every sample.
//!
//! `COHUB_SOAK_SECS` (default 60) sets the duration, `COHUB_SOAK_RATE` (default 50) the
//! requests per second. Linux only (reads `/proc`).

use anyhow::{ensure, Context, Result};
use cohub_e2e::{demo_token, proc_open_fds, proc_rss_kib, Server};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const HUB: &str = "0c0b0000-0001-7000-8000-000000000001";
const PROBLEM: &str = "0c0b0000-0004-7000-8000-000000000001";
const IDEA: &str = "0c0b0000-0005-7000-8000-000000000001";
const DISTRIBUTION: &str = "0c0b0000-0006-7000-8000-000000000001";

/// Every demo person: spreading requests over them keeps each under the per-member rate limit.
const PEOPLE: [&str; 14] = [
    "facilitator",
    "champion",
    "champion_2",
    "champion_3",
    "housing_lead",
    "mosque_lead",
    "carers_lead",
    "firm_lead",
    "app_lead",
    "nurse",
    "gp",
    "consultant",
    "icb_commissioner",
    "public_health_commissioner",
];

#[derive(Debug, Clone, Copy)]
struct Sample {
    second: u64,
    rss_kib: u64,
    fds: usize,
    done: u64,
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One request of the mix: about 60% queries and 40% mutations (new problems, perspectives on
/// recent ones, ideas for recent ones), each mutation with its own idempotency key. Mutations
/// spread over many streams, so the work per request stays level as the log grows.
fn request(n: u64, problems: &Mutex<Vec<String>>) -> (String, Value) {
    let recent = {
        let p = problems.lock().unwrap();
        p.get(
            p.len()
                .saturating_sub(1 + (n as usize % 20).min(p.len().saturating_sub(1))),
        )
        .cloned()
        .unwrap_or_else(|| PROBLEM.to_string())
    };
    let key = format!("soak-{n}");
    let text = |s: String| json!({ "text": s });
    match n % 10 {
        0 => (
            "query($h: UUID!) { hub(id: $h) { name members { name role status } problems(first: 5) { nodes { id stage } } } }".into(),
            json!({ "h": HUB }),
        ),
        1 => (
            "query($i: UUID!) { idea(id: $i) { status current { title { text } } feedback { id text { text } } } }".into(),
            json!({ "i": IDEA }),
        ),
        2 => (
            "query($p: UUID!) { problem(id: $p) { stage current { title { text } } perspectives { id kind } endorsements { at } } }".into(),
            json!({ "p": recent }),
        ),
        3 => (
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }".into(),
            json!({ "h": HUB }),
        ),
        4 => (
            "query($d: UUID!) { distribution(id: $d) { status current { version parties { name } } consents { version voided } } }".into(),
            json!({ "d": DISTRIBUTION }),
        ),
        5 => (
            "query($p: UUID!) { problem(id: $p) { ideas { id status } } }".into(),
            json!({ "p": PROBLEM }),
        ),
        6 => (
            "mutation($input: FrameProblemInput!, $key: String) { frameProblem(input: $input, idempotencyKey: $key) { problem { id } receipt { lastPosition replayed } } }".into(),
            json!({ "key": key, "input": { "hubId": HUB, "problemId": Uuid::now_v7(), "framing": {
                "title": text(format!("Soak problem {n}")),
                "statement": text("A problem framed by the soak test.".into()),
                "affected": text("Nobody: it is a test.".into()),
                "place": text("The test machine".into()),
            } } }),
        ),
        7 | 8 => (
            "mutation($input: AddPerspectiveInput!, $key: String) { addPerspective(input: $input, idempotencyKey: $key) { perspective { id } receipt { lastPosition } } }".into(),
            json!({ "key": key, "input": { "problemId": recent, "perspectiveId": Uuid::now_v7(), "kind": "LIVED_EXPERIENCE", "text": text(format!("Perspective {n} from the soak test.")) } }),
        ),
        _ => (
            "mutation($input: ProposeIdeaInput!, $key: String) { proposeIdea(input: $input, idempotencyKey: $key) { idea { id } receipt { lastPosition } } }".into(),
            json!({ "key": key, "input": { "problemId": recent, "ideaId": Uuid::now_v7(), "title": text(format!("Soak idea {n}")), "summary": text("An idea proposed by the soak test.".into()) } }),
        ),
    }
}

fn mean(xs: &[u64]) -> f64 {
    xs.iter().sum::<u64>() as f64 / xs.len().max(1) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn steady_load_for_a_minute_without_errors_or_growth() -> Result<()> {
    let secs = env_u64("COHUB_SOAK_SECS", 60).max(6);
    let rate = env_u64("COHUB_SOAK_RATE", 50).max(1);
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let pid = server.pid().context("server pid")?;
    let mut tokens = Vec::new();
    for p in PEOPLE {
        tokens.push(demo_token(dir.path(), p).await?);
    }
    let tokens = Arc::new(tokens);

    // Warm up (first queries fill caches), then take the idle baseline with no client open.
    {
        let http = reqwest::Client::new();
        for n in 0..20 {
            let (q, v) = request(n * 10 % 60, &Mutex::new(Vec::new()));
            http.post(server.url("/graphql"))
                .bearer_auth(&tokens[n as usize % tokens.len()])
                .json(&json!({ "query": q, "variables": v }))
                .send()
                .await?
                .error_for_status()?;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline_fds = proc_open_fds(pid)?;
    let baseline_rss = proc_rss_kib(pid)?;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let url = server.url("/graphql");
    let problems = Arc::new(Mutex::new(Vec::<String>::new()));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let done = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<u32>::new()));
    let limit = Arc::new(tokio::sync::Semaphore::new(64));

    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let sampler = {
        let (samples, done) = (samples.clone(), done.clone());
        tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            for second in 1..=secs {
                tick.tick().await;
                let (Ok(rss_kib), Ok(fds)) = (proc_rss_kib(pid), proc_open_fds(pid)) else {
                    break;
                };
                samples.lock().unwrap().push(Sample {
                    second,
                    rss_kib,
                    fds,
                    done: done.load(Ordering::SeqCst),
                });
                let _ = start;
            }
        })
    };

    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tasks = Vec::new();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        n += 1;
        let permit = limit.clone().acquire_owned().await?;
        let (http, url, tokens) = (http.clone(), url.clone(), tokens.clone());
        let (problems, errors, done, latencies) = (
            problems.clone(),
            errors.clone(),
            done.clone(),
            latencies.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let (query, variables) = request(n, &problems);
            let token = &tokens[n as usize % tokens.len()];
            let t0 = Instant::now();
            let result = http
                .post(&url)
                .bearer_auth(token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await;
            let body: Result<Value, String> = match result {
                Ok(resp) => resp.json().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            latencies
                .lock()
                .unwrap()
                .push(t0.elapsed().as_millis().min(u32::MAX as u128) as u32);
            match body {
                Ok(v) if v.get("errors").is_none_or(Value::is_null) => {
                    if let Some(id) = v["data"]["frameProblem"]["problem"]["id"].as_str() {
                        problems.lock().unwrap().push(id.to_string());
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }
                Ok(v) => errors
                    .lock()
                    .unwrap()
                    .push(format!("request {n}: {}", v["errors"])),
                Err(e) => errors.lock().unwrap().push(format!("request {n}: {e}")),
            }
        }));
        tasks.retain(|t| !t.is_finished());
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed();
    sampler.await?;
    drop(http);
    // The load is over and its client gone: open files should fall back to the baseline.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let end_fds = proc_open_fds(pid)?;
    let end_rss = proc_rss_kib(pid)?;

    let samples = samples.lock().unwrap().clone();
    println!("second  rss_kib  fds  requests_done");
    for s in &samples {
        println!(
            "{:>6} {:>8} {:>4} {:>14}",
            s.second, s.rss_kib, s.fds, s.done
        );
    }
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let total = done.load(Ordering::SeqCst);
    println!(
        "soak: {total} requests in {elapsed:?} ({:.1}/s), latency p50 {} ms p99 {} ms max {} ms; rss baseline {baseline_rss} KiB, end {end_rss} KiB; fds baseline {baseline_fds}, end {end_fds}",
        total as f64 / elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        lat.last().copied().unwrap_or(0),
    );

    let errors = errors.lock().unwrap().clone();
    ensure!(
        errors.is_empty(),
        "{} requests failed, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    ensure!(
        total as f64 >= 0.8 * (rate * secs) as f64,
        "only {total} of about {} requests were made: the load generator fell behind",
        rate * secs
    );
    ensure!(
        samples.len() as u64 >= secs * 2 / 3,
        "too few samples ({})",
        samples.len()
    );

    // No growth trend: the last third's mean resident memory within 25% (and 32 MiB) of the
    // middle third's. The log and read models do grow with every mutation, so allow for that.
    let third = samples.len() / 3;
    let middle: Vec<u64> = samples[third..2 * third]
        .iter()
        .map(|s| s.rss_kib)
        .collect();
    let last: Vec<u64> = samples[2 * third..].iter().map(|s| s.rss_kib).collect();
    let (m, l) = (mean(&middle), mean(&last));
    let mutations = total * 4 / 10;
    println!(
        "rss growth {} KiB over about {mutations} appended events ({:.1} KiB per event: the in-memory read models grow with the log)",
        end_rss as i64 - baseline_rss as i64,
        (end_rss as f64 - baseline_rss as f64) / mutations.max(1) as f64
    );
    println!(
        "rss mean: middle third {m:.0} KiB, last third {l:.0} KiB ({:+.1}%)",
        (l / m - 1.0) * 100.0
    );
    ensure!(
        l <= m * 1.25 + 32.0 * 1024.0,
        "resident memory keeps growing: middle third {m:.0} KiB, last third {l:.0} KiB"
    );
    let fd_middle = mean(
        &samples[third..2 * third]
            .iter()
            .map(|s| s.fds as u64)
            .collect::<Vec<_>>(),
    );
    let fd_last = mean(
        &samples[2 * third..]
            .iter()
            .map(|s| s.fds as u64)
            .collect::<Vec<_>>(),
    );
    ensure!(
        fd_last <= fd_middle + 16.0,
        "open files keep growing under load: middle {fd_middle:.1}, last {fd_last:.1}"
    );
    ensure!(
        end_fds <= baseline_fds + 8,
        "open files did not return to the baseline: {baseline_fds} before the load, {end_fds} after"
    );
    server.stop().await?;
    Ok(())
}
