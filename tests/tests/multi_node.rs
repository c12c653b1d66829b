//! Two `cohub serve` processes on one PostgreSQL database (a schema of the test's own), as the
//! compose file and the Kubernetes Deployment run them: a write through one is seen by
//! queries and subscriptions through the other, a conflicting command sent through both at
//! once has exactly one winner, and a burst of concurrent writes through both loses and
//! duplicates nothing (checked against `cohub export --store` and `cohub verify --store`).

use anyhow::{bail, ensure, Context, Result};
use cohub_e2e::pg::TestSchema;
use cohub_e2e::{run_cohub, share_signing_key, token, Server};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};
use uuid::Uuid;

const RECEIPT: &str =
    "receipt { firstPosition lastPosition hubSeq streamVersion hash recordedAt eventIds replayed }";

/// Two servers on one schema, sharing one token signing key, and a founded hub.
struct Cluster {
    a: Server,
    b: Server,
    token: String,
    hub: Uuid,
    /// The founding's receipt.
    founded: Value,
    schema: TestSchema,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Cluster {
    async fn start(prefix: &str) -> Result<Cluster> {
        let schema = TestSchema::create(prefix).await?;
        let (dir_a, dir_b) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let member = Uuid::now_v7();
        let token = token(dir_a.path(), member).await?;
        share_signing_key(dir_a.path(), dir_b.path())?;
        let url = schema.url();
        let args = ["--store", url.as_str()];
        // Both at once: the schema migration runs under an advisory lock.
        let (a, b) = tokio::try_join!(
            Server::start_with(dir_a.path(), &args),
            Server::start_with(dir_b.path(), &args),
        )?;
        let found = a
            .gql_ok(
                &format!(
                    "mutation($i: FoundHubInput!) {{ foundHub(input: $i) {{ {RECEIPT} hub {{ id }} }} }}"
                ),
                json!({ "i": {
                    "name": "Multi-node hub",
                    "purpose": { "text": "Two servers, one log." },
                    "founderName": "Asha",
                    "organisation": { "name": "Tipton Carers", "kind": "COMMUNITY_ORGANISATION" },
                }}),
                Some(&token),
            )
            .await?;
        let hub = found["foundHub"]["hub"]["id"]
            .as_str()
            .context("foundHub returned no hub id")?
            .parse()?;
        let founded = found["foundHub"]["receipt"].clone();
        Ok(Cluster {
            a,
            b,
            token,
            hub,
            founded,
            schema,
            _dirs: (dir_a, dir_b),
        })
    }

    /// Node A for even `i`, node B for odd.
    fn node(&self, i: usize) -> &Server {
        [&self.a, &self.b][i % 2]
    }

    /// Sends `frameProblem` for `problem` through `server`; returns the whole answer.
    async fn frame(
        &self,
        server: &Server,
        problem: Uuid,
        key: Option<&str>,
        expected: Option<u64>,
    ) -> Result<Value> {
        server
            .gql(
                &format!(
                    "mutation($i: FrameProblemInput!, $k: String, $v: Int) {{ \
                     frameProblem(input: $i, idempotencyKey: $k, expectedVersion: $v) \
                     {{ {RECEIPT} problem {{ id }} }} }}"
                ),
                json!({
                    "i": {
                        "hubId": self.hub,
                        "problemId": problem,
                        "framing": framing(&format!("Problem {problem}")),
                    },
                    "k": key,
                    "v": expected,
                }),
                Some(&self.token),
            )
            .await
    }

    /// Sends `addPerspective` to `problem` through `server` at `expected`.
    async fn add_perspective(
        &self,
        server: &Server,
        problem: Uuid,
        expected: u64,
    ) -> Result<Value> {
        server
            .gql(
                &format!(
                    "mutation($i: AddPerspectiveInput!, $v: Int) {{ \
                     addPerspective(input: $i, expectedVersion: $v) {{ {RECEIPT} }} }}"
                ),
                json!({
                    "i": {
                        "problemId": problem,
                        "kind": "LIVED_EXPERIENCE",
                        "text": { "text": "Evening appointments clash with caring shifts." },
                    },
                    "v": expected,
                }),
                Some(&self.token),
            )
            .await
    }

    /// The whole log, from `cohub export --store`.
    async fn export(&self) -> Result<Vec<Value>> {
        let out = run_cohub(&["export", "--store", &self.schema.url()]).await?;
        out.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).context("export line is not JSON"))
            .collect()
    }
}

fn framing(title: &str) -> Value {
    json!({
        "title": { "text": title },
        "statement": { "text": "Carers cannot get to evening clinics." },
        "affected": { "text": "Unpaid carers in Tipton" },
        "place": { "text": "Tipton, Sandwell" },
    })
}

fn error_code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

/// The receipt under `field`, or an error naming what came back instead.
fn receipt<'a>(answer: &'a Value, field: &str) -> Result<&'a Value> {
    let r = &answer["data"][field]["receipt"];
    if r.is_null() {
        bail!("{field} returned no receipt: {answer}");
    }
    Ok(r)
}

#[tokio::test]
async fn a_write_through_one_node_is_seen_through_the_other() -> Result<()> {
    let c = Cluster::start("mn_seen").await?;

    // Node B follows the hub's events after the founding, and its chain head, live.
    let after = c.founded["lastPosition"]
        .as_u64()
        .context("founding receipt")?;
    let mut events = c.b.subscribe_client(Some(&c.token)).await?;
    events
        .subscribe(
            "events",
            "subscription($h: UUID!, $after: Int!) { hubEvents(hubId: $h, afterPosition: $after) \
             { position hubSeq eventId streamId streamVersion eventType hash } }",
            json!({ "h": c.hub, "after": after }),
        )
        .await?;
    let mut heads = c.b.subscribe_client(Some(&c.token)).await?;
    heads
        .subscribe(
            "head",
            "subscription($h: UUID!) { chainHeadChanged(hubId: $h) { hubSeq hash } }",
            json!({ "h": c.hub }),
        )
        .await?;
    let first = heads.next_payload("head").await?;
    assert_eq!(
        first["data"]["chainHeadChanged"],
        json!({ "hubSeq": c.founded["hubSeq"], "hash": c.founded["hash"] }),
        "{first}"
    );

    // A write through node A...
    let problem = Uuid::now_v7();
    let answer = c.frame(&c.a, problem, None, None).await?;
    let r = receipt(&answer, "frameProblem")?.clone();
    let written = Instant::now();

    // ...reaches node B's subscribers (LISTEN/NOTIFY wakes B; it polls each second otherwise).
    let ids = r["eventIds"].as_array().context("eventIds")?;
    for (i, id) in ids.iter().enumerate() {
        let got = events.next_payload("events").await?;
        let e = &got["data"]["hubEvents"];
        assert_eq!(&e["eventId"], id, "{got}");
        assert_eq!(e["position"].as_u64(), Some(after + 1 + i as u64), "{got}");
        assert_eq!(e["streamId"], json!(format!("problem-{problem}")), "{got}");
        if i + 1 == ids.len() {
            assert_eq!(e["hash"], r["hash"], "{got}");
            assert_eq!(e["hubSeq"], r["hubSeq"], "{got}");
        }
    }
    eprintln!(
        "node B's hubEvents saw node A's write after {:?}",
        written.elapsed()
    );
    let seen = heads.next_payload("head").await?;
    assert_eq!(
        seen["data"]["chainHeadChanged"],
        json!({ "hubSeq": r["hubSeq"], "hash": r["hash"] }),
        "node B's subscription saw another head than node A's receipt"
    );

    // ...and node B's queries, once its projections have folded it in.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got =
            c.b.gql_ok(
                "query($p: UUID!) { problem(id: $p) { id } }",
                json!({ "p": problem }),
                Some(&c.token),
            )
            .await?;
        if got["problem"]["id"] == json!(problem.to_string()) {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "node B never showed the problem written through node A: {got}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let head =
        c.b.gql_ok(
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
            json!({ "h": c.hub }),
            None,
        )
        .await?;
    assert_eq!(
        head["chainHead"],
        json!({ "hubSeq": r["hubSeq"], "hash": r["hash"] })
    );

    // And the other way round: a write through B is seen by A.
    let problem2 = Uuid::now_v7();
    receipt(&c.frame(&c.b, problem2, None, None).await?, "frameProblem")?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got =
            c.a.gql_ok(
                "query($p: UUID!) { problem(id: $p) { id } }",
                json!({ "p": problem2 }),
                Some(&c.token),
            )
            .await?;
        if !got["problem"].is_null() {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "node A never showed node B's problem"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[tokio::test]
async fn a_conflicting_command_through_both_nodes_has_exactly_one_winner() -> Result<()> {
    let c = Cluster::start("mn_conflict").await?;
    for round in 0..5 {
        // The same new problem, expected to be a new stream (version 0), through both at once.
        let problem = Uuid::now_v7();
        let (x, y) = tokio::join!(
            c.frame(&c.a, problem, None, Some(0)),
            c.frame(&c.b, problem, None, Some(0)),
        );
        let (x, y) = (x?, y?);
        let winners: Vec<&Value> = [&x, &y]
            .into_iter()
            .filter(|v| !v["data"]["frameProblem"].is_null())
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: frameProblem {x} / {y}");
        let loser = if winners[0] == &x { &y } else { &x };
        assert_eq!(
            error_code(loser),
            Some("CONFLICT"),
            "round {round}: {loser}"
        );
        assert_eq!(
            receipt(winners[0], "frameProblem")?["streamVersion"],
            json!(1)
        );

        // Then the same expected version on the now existing stream, through both at once.
        let (x, y) = tokio::join!(
            c.add_perspective(&c.a, problem, 1),
            c.add_perspective(&c.b, problem, 1),
        );
        let (x, y) = (x?, y?);
        let winners: Vec<&Value> = [&x, &y]
            .into_iter()
            .filter(|v| !v["data"]["addPerspective"].is_null())
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: addPerspective {x} / {y}");
        let loser = if winners[0] == &x { &y } else { &x };
        assert_eq!(
            error_code(loser),
            Some("CONFLICT"),
            "round {round}: {loser}"
        );
        assert_eq!(
            receipt(winners[0], "addPerspective")?["streamVersion"],
            json!(2)
        );
    }

    // The log holds exactly the winners: each problem stream has versions 1 and 2, once.
    let log = c.export().await?;
    let mut streams: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for e in &log {
        let stream = e["stream_id"].as_str().context("no stream_id")?;
        if stream != format!("hub-{}", c.hub) && e["hub_id"] == json!(c.hub.to_string()) {
            streams
                .entry(stream.to_string())
                .or_default()
                .push(e["stream_version"].as_u64().context("no stream_version")?);
        }
    }
    let problem_streams: Vec<_> = streams
        .iter()
        .filter(|(s, _)| s.starts_with("problem"))
        .collect();
    assert_eq!(problem_streams.len(), 5, "{streams:?}");
    for (stream, versions) in problem_streams {
        assert_eq!(versions, &vec![1, 2], "{stream}");
    }
    let verify = run_cohub(&["verify", "--store", &c.schema.url()]).await?;
    assert!(verify.contains("OK"), "cohub verify: {verify}");
    Ok(())
}

#[tokio::test]
async fn a_burst_through_both_nodes_loses_and_duplicates_nothing() -> Result<()> {
    let c = Cluster::start("mn_burst").await?;
    const N: usize = 40;
    let problems: Vec<Uuid> = (0..N).map(|_| Uuid::now_v7()).collect();
    let keys: Vec<String> = (0..N).map(|i| format!("burst-{i}")).collect();
    let answers = futures::future::join_all((0..N).map(|i| {
        let c = &c;
        let (p, k) = (problems[i], keys[i].clone());
        async move { c.frame(c.node(i), p, Some(&k), None).await }
    }))
    .await;
    let mut receipts = Vec::new();
    for a in answers {
        receipts.push(receipt(&a?, "frameProblem")?.clone());
    }
    assert!(receipts.iter().all(|r| r["replayed"] == json!(false)));

    // Retrying some through the *other* node with the same keys appends nothing.
    for i in 0..8 {
        let again = c
            .frame(c.node(i + 1), problems[i], Some(&keys[i]), None)
            .await?;
        let r = receipt(&again, "frameProblem")?;
        assert_eq!(r["replayed"], json!(true), "{again}");
        for f in [
            "firstPosition",
            "lastPosition",
            "hubSeq",
            "hash",
            "eventIds",
        ] {
            assert_eq!(r[f], receipts[i][f], "retry {i}: {f} differs");
        }
    }

    // The log: gap-free positions and hub sequence, every event once, every receipt in it.
    let log = c.export().await?;
    let positions: Vec<u64> = log.iter().filter_map(|e| e["position"].as_u64()).collect();
    assert_eq!(
        positions,
        (1..=log.len() as u64).collect::<Vec<_>>(),
        "positions have gaps"
    );
    let seqs: Vec<u64> = log
        .iter()
        .filter(|e| e["hub_id"] == json!(c.hub.to_string()))
        .filter_map(|e| e["hub_seq"].as_u64())
        .collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "hub sequence has gaps"
    );
    let by_id: HashMap<String, &Value> = log
        .iter()
        .map(|e| (e["event_id"].as_str().unwrap_or_default().to_string(), e))
        .collect();
    assert_eq!(by_id.len(), log.len(), "an event id appears twice");
    let mut claimed = HashSet::new();
    for r in &receipts {
        let ids = r["eventIds"].as_array().context("no eventIds")?;
        let first = r["firstPosition"].as_u64().context("no firstPosition")?;
        let last = r["lastPosition"].as_u64().context("no lastPosition")?;
        assert_eq!(ids.len() as u64, last - first + 1, "{r}");
        for (i, id) in ids.iter().enumerate() {
            let id = id.as_str().context("event id")?;
            let e = by_id
                .get(id)
                .with_context(|| format!("receipt event {id} not in the log"))?;
            assert_eq!(e["position"].as_u64(), Some(first + i as u64), "{id}");
            assert!(
                claimed.insert(id.to_string()),
                "two receipts claim event {id}"
            );
        }
        assert_eq!(
            by_id[ids.last().unwrap().as_str().unwrap()]["hash"],
            r["hash"],
            "the receipt's hash is not its last event's"
        );
    }
    // Nothing but the founding and the burst was appended.
    let founding = log
        .iter()
        .filter(|e| {
            e["stream_id"]
                .as_str()
                .is_some_and(|s| s.starts_with("hub"))
        })
        .count();
    assert_eq!(
        log.len(),
        founding + claimed.len(),
        "events no receipt accounts for"
    );
    let verify = run_cohub(&["verify", "--store", &c.schema.url()]).await?;
    assert!(verify.contains("OK"), "cohub verify: {verify}");
    Ok(())
}
