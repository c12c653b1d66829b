//! What a served cohub on PostgreSQL answers when the database fails around a write, over real
//! HTTP. The server reaches PostgreSQL through a [`FaultProxy`] the test cuts (the shared
//! cluster itself keeps running):
//!
//! (a) the commit went through but its answer was lost on the way back: the mutation answers
//!     with its real receipt, and the log holds the write once;
//! (c) the database became unreachable just as `COMMIT` was sent: `OUTCOME_UNKNOWN` (with a
//!     retry hint); once it is back, the retry with the same key writes it, once;
//! (d) while the database is unreachable, a mutation answers `UNAVAILABLE` with
//!     `extensions.retryAfterSeconds` within about 2 s (the default `--store-timeout`), not
//!     after the pool's old 10 s.

use anyhow::{Context, Result};
use cohub_e2e::pg::{wait_up, TestSchema};
use cohub_e2e::{run_cohub, token, Server};
use cohub_store_pg::fault_proxy::{CommitFault, FaultProxy};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

const RECEIPT: &str = "receipt { eventIds firstPosition lastPosition hash replayed }";

struct Ctx {
    server: Server,
    token: String,
    hub: Uuid,
}

impl Ctx {
    async fn frame(&self, key: &str, title: &str) -> Result<Value> {
        let q = format!(
            "mutation($i: FrameProblemInput!, $k: String) {{ \
             frameProblem(input: $i, idempotencyKey: $k) {{ {RECEIPT} }} }}"
        );
        let input = json!({
            "hubId": self.hub,
            "framing": {
                "title": { "text": title },
                "statement": { "text": "Carers cannot get to evening clinics." },
                "affected": { "text": "Unpaid carers in Tipton" },
                "place": { "text": "Tipton, Sandwell" },
            },
        });
        self.server
            .gql(&q, json!({ "i": input, "k": key }), Some(&self.token))
            .await
    }
}

fn receipt(answer: &Value) -> Result<Value> {
    let r = &answer["data"]["frameProblem"]["receipt"];
    anyhow::ensure!(!r.is_null(), "no receipt: {answer}");
    Ok(r.clone())
}

fn error_extensions(answer: &Value) -> Value {
    answer["errors"][0]["extensions"].clone()
}

async fn export(url: &str) -> Result<Vec<Value>> {
    let out = run_cohub(&["export", "--store", url]).await?;
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).context("export line is not JSON"))
        .collect()
}

/// How many events of the exported log carry `key`, and their ids.
fn keyed_ids(log: &[Value], key: &str) -> Vec<Value> {
    log.iter()
        .filter(|e| e["idempotency_key"] == key)
        .map(|e| e["event_id"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_answered_truthfully_when_the_database_fails_around_them() -> Result<()> {
    wait_up(Duration::from_secs(30)).await?;
    let schema = TestSchema::create("outcome").await?;
    let proxy = FaultProxy::in_front_of(&schema.url()).await?;
    let dir = tempfile::tempdir()?;
    let member = Uuid::now_v7();
    let token = token(dir.path(), member).await?;
    let server = Server::start_with(dir.path(), &["--store", &proxy.url(&schema.url())]).await?;
    let hub = server
        .found_hub(&token, "Truthful hub", "Says what happened to every write.")
        .await?;
    let ctx = Ctx { server, token, hub };

    // (a) The commit's answer is lost: the write is answered with its receipt.
    proxy.at_next_commit(CommitFault::LoseReply);
    let answer = ctx.frame("lost-answer", "Lost answer").await?;
    assert_eq!(proxy.fired_count(), 1, "the commit's answer was lost");
    let lost = receipt(&answer).context("a committed write must be answered with its receipt")?;
    assert_eq!(lost["replayed"], json!(false), "{answer}");

    // (c) The database goes away as COMMIT is sent: nobody can tell; OUTCOME_UNKNOWN.
    proxy.at_next_commit(CommitFault::DropCommitAndCut);
    let started = Instant::now();
    let answer = ctx.frame("unknown", "Unknown outcome").await?;
    let took = started.elapsed();
    let ext = error_extensions(&answer);
    assert_eq!(ext["code"], "OUTCOME_UNKNOWN", "{answer}");
    assert!(ext["retryAfterSeconds"].as_u64() > Some(0), "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("same idempotency key")),
        "{answer}"
    );
    assert!(took < Duration::from_secs(8), "answered after {took:?}");
    proxy.restore()?;
    let answer = ctx.frame("unknown", "Unknown outcome").await?;
    let retried = receipt(&answer).context("the retry with the same key")?;
    assert_eq!(
        retried["replayed"],
        json!(false),
        "the COMMIT never arrived, so the retry writes it: {answer}"
    );

    // (d) The database is unreachable: UNAVAILABLE with a retry hint, fast.
    proxy.cut();
    let started = Instant::now();
    let answer = ctx.frame("while-down", "While down").await?;
    let took = started.elapsed();
    let ext = error_extensions(&answer);
    assert_eq!(ext["code"], "UNAVAILABLE", "{answer}");
    assert!(ext["retryAfterSeconds"].as_u64() > Some(0), "{answer}");
    assert!(
        took < Duration::from_millis(3500),
        "a mutation must fail within about 2 s while the database is down, took {took:?}"
    );
    proxy.restore()?;
    let mut back = None;
    for _ in 0..50 {
        let answer = ctx.frame("while-down", "While down").await?;
        if let Ok(r) = receipt(&answer) {
            back = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    back.context("writes did not resume once the database was reachable again")?;
    ctx.server.stop().await?;

    // The log: every write once, at the positions its receipt names.
    let log = export(&schema.url()).await?;
    for (key, r) in [("lost-answer", &lost), ("unknown", &retried)] {
        assert_eq!(
            &keyed_ids(&log, key),
            r["eventIds"].as_array().context("eventIds")?,
            "{key}: the log holds the receipt's events once"
        );
    }
    assert_eq!(keyed_ids(&log, "while-down").len(), 1);
    let positions: Vec<u64> = log.iter().filter_map(|e| e["position"].as_u64()).collect();
    assert_eq!(positions, (1..=log.len() as u64).collect::<Vec<_>>());
    let verify = run_cohub(&["verify", "--store", &schema.url()]).await?;
    assert!(verify.contains("OK"), "cohub verify: {verify}");
    drop(proxy);
    drop(schema);
    Ok(())
}
