//! Idempotency keys over real HTTP, on a `cohub serve --demo` hub with the demo people's own
//! tokens: a key belongs to its sender (the champion's key sent by a party lead does not turn
//! the lead's consent into a replay of the champion's framing), a retry of the same request is
//! a replay that writes nothing, and the same key with another input is refused with
//! `IDEMPOTENCY_KEY_REUSED`, leaving the log exactly as it was; on sled and on PostgreSQL.

use anyhow::{Context, Result};
use cohub_domain::example;
use cohub_e2e::pg::TestSchema;
use cohub_e2e::{demo_token, export_log, run_cohub, Server};
use serde_json::{json, Value};
use uuid::Uuid;

const RECEIPT: &str = "receipt { eventIds firstPosition lastPosition hash replayed }";

/// The champion frames a problem (the client names no problem id: the server makes one).
async fn frame(server: &Server, token: &str, key: &str, title: &str) -> Result<Value> {
    let q = format!(
        "mutation($i: FrameProblemInput!, $k: String) {{ \
         frameProblem(input: $i, idempotencyKey: $k) {{ problem {{ id }} {RECEIPT} }} }}"
    );
    let input = json!({
        "hubId": example::HUB.uuid(),
        "framing": {
            "title": { "text": title },
            "statement": { "text": "Evening clinics are too far for carers without a car." },
            "affected": { "text": "Unpaid carers in Tipton" },
            "place": { "text": "Tipton, Sandwell" },
        },
    });
    server
        .gql(&q, json!({ "i": input, "k": key }), Some(token))
        .await
}

/// The demo hub's chain head (sequence and hash): unchanged means nothing was written.
async fn chain_head(server: &Server) -> Result<Value> {
    let data = server
        .gql_ok(
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
            json!({ "h": example::HUB.uuid() }),
            None,
        )
        .await?;
    Ok(data["chainHead"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_their_sender_and_their_request() -> Result<()> {
    keys_belong_to_their_sender_and_their_request_on(None).await
}

/// The same over a server on PostgreSQL. (The write side finds a repeat before it reaches the
/// store; the store's own check of keys is held by the contract tests, `contract_pg.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_their_sender_and_their_request_on_postgres() -> Result<()> {
    let schema = TestSchema::create("idem_http").await?;
    keys_belong_to_their_sender_and_their_request_on(Some(&schema.url())).await
}

/// The scenario on the sled store, or on PostgreSQL at `store`.
async fn keys_belong_to_their_sender_and_their_request_on(store: Option<&str>) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut args = vec!["--demo"];
    if let Some(url) = store {
        args.extend(["--store", url]);
    }
    let server = Server::start_with(dir.path(), &args).await?;
    let champion = demo_token(dir.path(), "champion").await?;
    let firm = demo_token(dir.path(), "firm_lead").await?;
    let housing = demo_token(dir.path(), "housing_lead").await?;

    // The firm proposes a second distribution for the idea, open for consent.
    let second = Uuid::now_v7();
    let proposed = server
        .gql_ok(
            "mutation($i: ProposeDistributionInput!) { proposeDistribution(input: $i) { distribution { id } } }",
            json!({ "i": {
                "ideaId": example::IDEA.uuid(),
                "distributionId": second,
                "terms": {
                    "parties": [example::ORG_GLUCOLINK.uuid(), example::ORG_HOUSING.uuid()],
                    "rewards": [{
                        "kind": "REVENUE_SHARE",
                        "description": { "text": "Licence income from the reminders service" },
                        "shares": [
                            { "party": example::ORG_GLUCOLINK.uuid(), "basisPoints": 6000 },
                            { "party": example::ORG_HOUSING.uuid(), "basisPoints": 4000 },
                        ],
                    }],
                    "terms": { "text": "A second round for the Tipton pilot." },
                },
            }}),
            Some(&firm),
        )
        .await?;
    assert_eq!(
        proposed["proposeDistribution"]["distribution"]["id"],
        json!(second)
    );

    // The champion frames a problem with key K.
    let key = "my-first-request";
    let framed = frame(&server, &champion, key, "Carers miss evening clinics").await?;
    let framed_receipt = framed["data"]["frameProblem"]["receipt"].clone();
    assert_eq!(framed_receipt["replayed"], json!(false), "{framed}");

    // The housing lead happens to send the same K with their consent: it is recorded.
    let consented = server
        .gql(
            &format!(
                "mutation($i: ConsentToDistributionInput!, $k: String) {{ \
                 consentToDistribution(input: $i, idempotencyKey: $k) {{ \
                 distribution {{ consents {{ version organisation {{ name }} }} }} {RECEIPT} }} }}"
            ),
            json!({ "i": { "distributionId": second, "version": 1 }, "k": key }),
            Some(&housing),
        )
        .await?;
    let consent = &consented["data"]["consentToDistribution"];
    assert_eq!(
        consent["receipt"]["replayed"],
        json!(false),
        "the lead's consent was answered with someone else's receipt: {consented}"
    );
    assert_ne!(consent["receipt"]["eventIds"], framed_receipt["eventIds"]);
    let consents = consent["distribution"]["consents"]
        .as_array()
        .context("consents")?;
    assert!(
        consents
            .iter()
            .any(|c| c["organisation"]["name"] == "Brierley Homes" && c["version"] == 1),
        "the housing association's consent is recorded: {consented}"
    );

    // The champion retries the same request with K: a replay, nothing written.
    let before = chain_head(&server).await?;
    let retried = frame(&server, &champion, key, "Carers miss evening clinics").await?;
    let retried_receipt = &retried["data"]["frameProblem"]["receipt"];
    assert_eq!(retried_receipt["replayed"], json!(true), "{retried}");
    assert_eq!(retried_receipt["eventIds"], framed_receipt["eventIds"]);
    assert_eq!(retried_receipt["hash"], framed_receipt["hash"]);
    assert_eq!(
        retried["data"]["frameProblem"]["problem"]["id"],
        framed["data"]["frameProblem"]["problem"]["id"],
        "the retry answers with the problem the first request framed"
    );
    assert_eq!(
        chain_head(&server).await?,
        before,
        "a replay writes nothing"
    );

    // The champion sends K with a different input: refused, the log unchanged.
    let reused = frame(&server, &champion, key, "A different problem").await?;
    let error = &reused["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED",
        "{reused}"
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(key) && m.contains("new key")),
        "a plain message naming the key: {reused}"
    );
    assert!(reused["data"].is_null() || reused["data"]["frameProblem"].is_null());
    assert_eq!(chain_head(&server).await?, before, "nothing written");

    server.stop().await?;

    // The log: the framing once, the lead's consent once, both under K, each by its sender.
    let log = match store {
        None => export_log(dir.path()).await?,
        Some(url) => run_cohub(&["export", "--store", url])
            .await?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<Vec<Value>, _>>()?,
    };
    let keyed: Vec<&Value> = log.iter().filter(|e| e["idempotency_key"] == key).collect();
    let kinds: Vec<(&str, &str)> = keyed
        .iter()
        .map(|e| {
            (
                e["event_type"].as_str().unwrap_or_default(),
                e["actor"]["member_id"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let (champion_id, housing_id) = (
        example::CHAMPION.uuid().to_string(),
        example::HOUSING_LEAD.uuid().to_string(),
    );
    assert_eq!(
        kinds,
        vec![
            ("ProblemFramed", champion_id.as_str()),
            ("DistributionConsented", housing_id.as_str())
        ],
        "the log under the key"
    );
    Ok(())
}
