//! Crash safety of a real `cohub serve` on sled: a concurrent write load with idempotency keys,
//! SIGKILL at random moments (including during start-up and recovery), restart, and after every
//! cycle, with the server down:
//!
//! - every acknowledged receipt's events are in the log (`cohub export`), at the positions and
//!   with the chain hash the receipt named;
//! - nothing appears twice: event ids are unique, positions gap-free, and every idempotency key
//!   (requests retried across crashes with the same key) names exactly one append;
//! - every chain verifies (`cohub verify` exits 0);
//! - the read models equal a rebuild from the log (`cohub rebuild --check` exits 0).
//!
//! At the end every request whose answer was lost is retried until answered, and the read
//! models served over GraphQL are compared with the log.
//!
//! `COHUB_CRASH_CYCLES` (default 50) and `COHUB_CRASH_SEED` (printed) repeat or extend a run.

use anyhow::{bail, ensure, Context, Result};
use cohub_e2e::{cohub_output, demo_token, export_log, spawn_serve, Server};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const HUB: &str = "0c0b0000-0001-7000-8000-000000000001";
const PROBLEM: &str = "0c0b0000-0004-7000-8000-000000000001";
const IDEA: &str = "0c0b0000-0005-7000-8000-000000000001";

/// Writers: each task speaks as one demo person.
const WRITERS: [&str; 4] = ["nurse", "firm_lead", "mosque_lead", "gp"];

const RECEIPT: &str =
    "receipt { firstPosition lastPosition hubSeq streamVersion hash recordedAt eventIds replayed }";

/// xorshift64*: deterministic from the printed seed.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One mutation, sent (and re-sent) with the same idempotency key and the same input.
#[derive(Clone, Debug)]
struct Request {
    key: String,
    field: &'static str,
    query: String,
    input: Value,
    writer: usize,
}

fn new_request(rng: &mut Rng, writer: usize, n: u64) -> Request {
    let key = format!("crash-{writer}-{n}-{}", Uuid::now_v7());
    let text = json!({ "text": format!("Crash-test contribution {n} by writer {writer}.") });
    let (field, ty, input) = match rng.below(10) {
        0..=4 => (
            "giveFeedback",
            "GiveFeedbackInput",
            json!({ "ideaId": IDEA, "feedbackId": Uuid::now_v7(), "text": text }),
        ),
        5..=8 => (
            "addPerspective",
            "AddPerspectiveInput",
            json!({ "problemId": PROBLEM, "perspectiveId": Uuid::now_v7(), "kind": "DATA", "text": text }),
        ),
        _ => (
            "frameProblem",
            "FrameProblemInput",
            json!({ "hubId": HUB, "problemId": Uuid::now_v7(), "framing": {
                "title": { "text": format!("Crash-test problem {n}") },
                "statement": { "text": "A problem framed while the server was being killed." },
                "affected": { "text": "Nobody: it is a test." },
                "place": { "text": "The test machine" },
            } }),
        ),
    };
    Request {
        key,
        field,
        query: format!(
            "mutation($input: {ty}!, $key: String) {{ {field}(input: $input, idempotencyKey: $key) {{ {RECEIPT} }} }}"
        ),
        input,
        writer,
    }
}

/// What a receipt said.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ack {
    event_ids: Vec<String>,
    first: u64,
    last: u64,
    hash: String,
}

fn ack_of(receipt: &Value) -> Result<Ack> {
    Ok(Ack {
        event_ids: receipt["eventIds"]
            .as_array()
            .context("eventIds")?
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        first: receipt["firstPosition"].as_u64().context("firstPosition")?,
        last: receipt["lastPosition"].as_u64().context("lastPosition")?,
        hash: receipt["hash"].as_str().context("hash")?.to_string(),
    })
}

/// Everything the clients know: acknowledged receipts, and requests whose answer was lost.
#[derive(Default)]
struct Ledger {
    acked: BTreeMap<String, Ack>,
    pending: Vec<Request>,
    sent: u64,
    lost_answers: u64,
    replays: u64,
    throttled: u64,
    conflicts_retried: u64,
    failures: Vec<String>,
}

enum Sent {
    Acked(Ack, bool),
    Retry(bool),
    Lost,
    Failed(String),
}

async fn send(http: &reqwest::Client, url: &str, token: &str, r: &Request) -> Sent {
    let body = json!({ "query": r.query, "variables": { "input": r.input, "key": r.key } });
    let resp = match http.post(url).bearer_auth(token).json(&body).send().await {
        Ok(resp) => resp,
        Err(_) => return Sent::Lost,
    };
    let text = match resp.text().await {
        Ok(t) => t,
        Err(_) => return Sent::Lost,
    };
    let Ok(value) = serde_json::from_str::<Value>(&text) else {
        return Sent::Failed(format!("not JSON: {text}"));
    };
    if let Some(errors) = value.get("errors").filter(|e| !e.is_null()) {
        let code = errors[0]["extensions"]["code"].as_str().unwrap_or_default();
        return match code {
            // Too fast for the member's rate limit, the server still starting, or the stream
            // kept moving under the service's bounded re-decisions (several writers on one
            // idea): the client tries again with the same key.
            "LIMIT" | "UNAVAILABLE" | "CONFLICT" => Sent::Retry(code == "CONFLICT"),
            _ => Sent::Failed(format!("{}: {errors}", r.field)),
        };
    }
    let receipt = &value["data"][r.field]["receipt"];
    match ack_of(receipt) {
        Ok(ack) => Sent::Acked(ack, receipt["replayed"].as_bool().unwrap_or(false)),
        Err(e) => Sent::Failed(format!("no receipt in {value}: {e}")),
    }
}

/// One writer: retries its lost requests first, then sends new ones, until told to stop or the
/// server goes away.
async fn writer(
    writer: usize,
    url: String,
    token: String,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    mut rng: Rng,
    drain_only: bool,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let request = {
            let mut l = ledger.lock().unwrap();
            match l.pending.iter().position(|r| r.writer == writer) {
                Some(i) => l.pending.remove(i),
                None if drain_only => return,
                None => {
                    n += 1;
                    l.sent += 1;
                    new_request(&mut rng, writer, l.sent * 10 + n)
                }
            }
        };
        let outcome = send(&http, &url, &token, &request).await;
        let pause = {
            let mut l = ledger.lock().unwrap();
            match outcome {
                Sent::Acked(ack, replayed) => {
                    if replayed {
                        l.replays += 1;
                    }
                    let mismatch = l
                        .acked
                        .get(&request.key)
                        .filter(|earlier| **earlier != ack)
                        .map(|earlier| {
                            format!(
                                "key {} answered twice differently: {earlier:?} then {ack:?}",
                                request.key
                            )
                        });
                    l.failures.extend(mismatch);
                    l.acked.insert(request.key, ack);
                    false
                }
                Sent::Retry(conflict) => {
                    if conflict {
                        l.conflicts_retried += 1;
                    } else {
                        l.throttled += 1;
                    }
                    l.pending.push(request);
                    true
                }
                Sent::Lost => {
                    l.lost_answers += 1;
                    l.pending.push(request);
                    return; // the server is gone (or going): wait for the next cycle
                }
                Sent::Failed(why) => {
                    l.failures.push(why);
                    return;
                }
            }
        };
        if pause {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The log, checked against itself and against everything the clients were told.
async fn check_log(data: &Path, acked: &BTreeMap<String, Ack>) -> Result<usize> {
    let log = export_log(data).await?;
    let mut by_id: HashMap<&str, &Value> = HashMap::new();
    let mut appends_by_key: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (i, e) in log.iter().enumerate() {
        let position = e["position"].as_u64().context("position")?;
        ensure!(
            position == i as u64 + 1,
            "the export has a gap or repeat at position {position}"
        );
        let id = e["event_id"].as_str().context("event_id")?;
        ensure!(by_id.insert(id, e).is_none(), "event {id} appears twice");
        if let Some(key) = e["idempotency_key"].as_str() {
            appends_by_key
                .entry(key)
                .or_default()
                .insert(e["correlation_id"].as_str().unwrap_or_default());
        }
    }
    for (key, appends) in &appends_by_key {
        ensure!(
            appends.len() == 1,
            "idempotency key {key} names {} appends",
            appends.len()
        );
    }
    for (key, ack) in acked {
        ensure!(!ack.event_ids.is_empty(), "an empty receipt for {key}");
        for (i, id) in ack.event_ids.iter().enumerate() {
            let e = by_id.get(id.as_str()).with_context(|| {
                format!("acknowledged event {id} (key {key}) is not in the log")
            })?;
            ensure!(
                e["position"].as_u64() == Some(ack.first + i as u64),
                "event {id} is not at the position its receipt named"
            );
            ensure!(
                e["idempotency_key"].as_str() == Some(key.as_str()),
                "event {id} lost its key"
            );
        }
        let last = by_id[ack.event_ids.last().unwrap().as_str()];
        ensure!(
            last["position"].as_u64() == Some(ack.last),
            "receipt {key}: last position"
        );
        ensure!(
            last["hash"].as_str() == Some(ack.hash.as_str()),
            "receipt {key}: the chain hash differs"
        );
    }
    Ok(log.len())
}

fn acked(ledger: &Mutex<Ledger>) -> BTreeMap<String, Ack> {
    ledger.lock().unwrap().acked.clone()
}

/// `cohub verify` and `cohub rebuild --check` on the data directory (server down).
async fn check_chain_and_read_models(data: &Path) -> Result<()> {
    let d = data.to_str().unwrap();
    let (status, out, err) = cohub_output(&["verify", "--data", d]).await?;
    ensure!(
        status.success(),
        "`cohub verify` failed ({status}): {out}{err}"
    );
    let (status, out, err) = cohub_output(&["rebuild", "--data", d, "--check"]).await?;
    ensure!(
        status.success(),
        "`cohub rebuild --check` failed ({status}): {out}{err}"
    );
    Ok(())
}

/// Starts the server on `data`, waiting until ready.
async fn start(data: &Path) -> Result<Server> {
    Server::start(data).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_write_and_duplicates_nothing() -> Result<()> {
    let cycles: u64 = std::env::var("COHUB_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let seed: u64 = std::env::var("COHUB_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("crash test: {cycles} cycles, seed {seed} (COHUB_CRASH_SEED={seed} to repeat)");
    let mut rng = Rng(seed | 1);
    let started = Instant::now();

    let dir = tempfile::tempdir()?;
    let data = dir.path();
    // The demo hub, loaded once (and cleanly: the load itself is not what is tested here).
    let first = Server::start_with(data, &["--demo"]).await?;
    let mut tokens = Vec::new();
    for key in WRITERS {
        tokens.push(demo_token(data, key).await?);
    }
    first.stop().await?;

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut startup = Duration::from_millis(500);
    let (mut early_kills, mut under_load_kills) = (0, 0);
    for cycle in 1..=cycles {
        // In about one cycle in three, crash the recovery itself first: kill a fresh process at
        // a random moment of its start-up (opening the log, catching the projections up).
        if rng.below(3) == 0 {
            let mut child = spawn_serve(data, &[])?;
            let delay = Duration::from_micros(rng.below(startup.as_micros() as u64 + 1));
            tokio::time::sleep(delay).await;
            child.kill().await?;
            early_kills += 1;
            check_log(data, &acked(&ledger))
                .await
                .with_context(|| format!("cycle {cycle}, after a kill {delay:?} into start-up"))?;
        }

        let t0 = Instant::now();
        let server = start(data)
            .await
            .with_context(|| format!("cycle {cycle}: restart"))?;
        startup = (startup + t0.elapsed()) / 2;
        let url = server.url("/graphql");
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..WRITERS.len())
            .map(|w| {
                tokio::spawn(writer(
                    w,
                    url.clone(),
                    tokens[w].clone(),
                    ledger.clone(),
                    stop.clone(),
                    Rng(rng.next() | 1),
                    false,
                ))
            })
            .collect();
        let load = Duration::from_millis(20 + rng.below(1200));
        tokio::time::sleep(load).await;
        server.kill().await?; // SIGKILL, mid-request
        under_load_kills += 1;
        stop.store(true, Ordering::SeqCst);
        for t in tasks {
            t.await?;
        }

        {
            let l = ledger.lock().unwrap();
            if !l.failures.is_empty() {
                bail!("cycle {cycle}: requests failed: {:#?}", l.failures);
            }
        }
        let events = check_log(data, &acked(&ledger))
            .await
            .with_context(|| format!("cycle {cycle} (killed after {load:?} of load)"))?;
        check_chain_and_read_models(data)
            .await
            .with_context(|| format!("cycle {cycle} (killed after {load:?} of load)"))?;
        if cycle % 10 == 0 || cycle == cycles {
            let l = ledger.lock().unwrap();
            println!(
                "cycle {cycle}: {events} events in the log, {} receipts acknowledged, {} answers lost to kills, {} pending, {:?} elapsed",
                l.acked.len(),
                l.lost_answers,
                l.pending.len(),
                started.elapsed()
            );
        }
    }

    // Finally: every request whose answer a kill swallowed is retried with its key until
    // answered; then the served read models are compared with the log.
    let server = start(data).await?;
    let stop = Arc::new(AtomicBool::new(false));
    for round in 0..5 {
        let tasks: Vec<_> = (0..WRITERS.len())
            .map(|w| {
                tokio::spawn(writer(
                    w,
                    server.url("/graphql"),
                    tokens[w].clone(),
                    ledger.clone(),
                    stop.clone(),
                    Rng(rng.next() | 1),
                    true,
                ))
            })
            .collect();
        for t in tasks {
            t.await?;
        }
        let done = ledger.lock().unwrap().pending.is_empty();
        if done {
            break;
        }
        ensure!(round < 4, "requests still unanswered after retrying");
    }
    let sent_keys = {
        let l = ledger.lock().unwrap();
        ensure!(l.failures.is_empty(), "retries failed: {:#?}", l.failures);
        l.acked.len()
    };

    // The served idea and problem show exactly what the log holds.
    let token = &tokens[0];
    let served = server
        .gql_ok(
            "query($i: UUID!, $p: UUID!) { idea(id: $i) { feedback { id } } problem(id: $p) { perspectives { id } } }",
            json!({ "i": IDEA, "p": PROBLEM }),
            Some(token),
        )
        .await?;
    server.stop().await?;
    let log = export_log(data).await?;
    let logged = |ty: &str, field: &str, stream: &str| -> BTreeSet<String> {
        log.iter()
            .filter(|e| e["event_type"] == ty && e["stream_id"] == stream)
            .map(|e| e["payload"][field].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let ids = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["id"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        ids(&served["idea"]["feedback"]),
        logged("FeedbackGiven", "feedback_id", &format!("idea-{IDEA}")),
        "served feedback differs from the log"
    );
    assert_eq!(
        ids(&served["problem"]["perspectives"]),
        logged(
            "PerspectiveAdded",
            "perspective_id",
            &format!("problem-{PROBLEM}")
        ),
        "served perspectives differ from the log"
    );
    let events = check_log(data, &acked(&ledger)).await?;
    check_chain_and_read_models(data).await?;
    // Every request ever sent is now in the log exactly once.
    let keyed = log
        .iter()
        .filter(|e| {
            e["idempotency_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("crash-"))
        })
        .count();
    assert_eq!(
        keyed, sent_keys,
        "keyed appends in the log vs requests answered"
    );
    let l = ledger.lock().unwrap();
    println!(
        "crash test passed: {cycles} cycles ({under_load_kills} kills under load, {early_kills} kills during start-up/recovery), {events} events, {sent_keys} requests each appended once, {} answers lost to kills and recovered by retry, {} replayed receipts, {} throttled, {} CONFLICT answers retried, in {:?}",
        l.lost_answers, l.replays, l.throttled, l.conflicts_retried, started.elapsed()
    );
    Ok(())
}
