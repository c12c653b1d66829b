//! Who may see what, and for how long, on a real `cohub serve --demo`:
//! - live subscriptions end the moment their member is suspended or removed (not only at the
//!   next connection), and a suspended member cannot start new ones;
//! - `verifyChains` covers only the caller's hubs (every hub for an operator's token);
//! - a hub that does not exist and a hub the caller cannot see give the same answer, and so do
//!   a thing that does not exist and a thing in such a hub;
//! - as-of reads check membership before anything else (an outsider's bad moment is still
//!   `FORBIDDEN`), and an `asOf` in the future or an `atPosition` past the log's end is a
//!   clear `VALIDATION` error.

use anyhow::{bail, Context, Result};
use cohub_domain::example as ex;
use cohub_e2e::{demo_token, run_cohub, token, Server, WsClient};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

fn pt(text: &str) -> Value {
    json!({ "text": text, "lang": "en" })
}

fn code(answer: &Value) -> String {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_string()
}

fn message(answer: &Value) -> String {
    answer["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A connected, initialised subscription client for `token`.
async fn ws(server: &Server, token: &str) -> Result<WsClient> {
    let mut ws = WsClient::connect(server.addr).await?;
    ws.init(json!({ "Authorization": format!("Bearer {token}") }))
        .await?;
    Ok(ws)
}

/// Reads until every operation of `ids` has ended; returns the error code each ended with, in
/// the order of `ids`.
async fn ended_with(ws: &mut WsClient, ids: &[&str]) -> Result<Vec<String>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut codes: Vec<Option<String>> = vec![None; ids.len()];
    let mut ended = vec![false; ids.len()];
    while ended.iter().any(|e| !e) {
        if tokio::time::Instant::now() > deadline {
            bail!("operations {ids:?} did not all end within 10 s (ended: {ended:?})");
        }
        let msg = match ws.next().await? {
            Ok(msg) => msg,
            Err(closed) => bail!("the connection closed instead: {closed:?}"),
        };
        let Some(i) = ids.iter().position(|id| msg["id"] == *id) else {
            continue;
        };
        match msg["type"].as_str() {
            Some("next") => {
                if let Some(c) = msg["payload"]["errors"][0]["extensions"]["code"].as_str() {
                    codes[i] = Some(c.to_string());
                }
            }
            Some("error") => {
                codes[i] = msg["payload"][0]["extensions"]["code"]
                    .as_str()
                    .map(str::to_string);
                ended[i] = true;
            }
            Some("complete") => ended[i] = true,
            other => bail!("unexpected message {other:?}: {msg}"),
        }
    }
    Ok(codes
        .into_iter()
        .map(|c| c.unwrap_or_else(|| "ended without an error".into()))
        .collect())
}

const HUB_EVENTS: &str =
    "subscription($h: UUID!) { hubEvents(hubId: $h, afterPosition: 0) { position eventType } }";
const STATUS: &str =
    "subscription($d: UUID!) { distributionStatus(distributionId: $d) { status position } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_or_removed_members_lose_live_subscriptions_at_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let facilitator = demo_token(dir.path(), "facilitator").await?;
    let champion = demo_token(dir.path(), "champion").await?;
    let nurse = demo_token(dir.path(), "nurse").await?;
    let hub = ex::HUB.uuid();

    // The champion and the nurse follow the hub and the distribution live.
    let mut champ = ws(&server, &champion).await?;
    champ
        .subscribe("e", HUB_EVENTS, json!({ "h": hub }))
        .await?;
    champ
        .subscribe("d", STATUS, json!({ "d": ex::DISTRIBUTION.uuid() }))
        .await?;
    champ
        .next_payload("e")
        .await
        .context("champion's hub events")?;
    champ
        .next_payload("d")
        .await
        .context("champion's distribution status")?;
    let mut nur = ws(&server, &nurse).await?;
    nur.subscribe("e", HUB_EVENTS, json!({ "h": hub })).await?;
    nur.next_payload("e").await?;

    // The facilitator suspends the champion: both of the champion's feeds end, FORBIDDEN.
    let suspend =
        "mutation($i: MemberReasonInput!) { suspendMember(input: $i) { receipt { hubSeq } } }";
    server
        .gql_ok(
            suspend,
            json!({ "i": { "hubId": hub, "memberId": ex::CHAMPION.uuid(), "reason": pt("Paused while we talk.") } }),
            Some(&facilitator),
        )
        .await?;
    assert_eq!(
        ended_with(&mut champ, &["e", "d"])
            .await
            .context("the champion's feeds after suspension")?,
        ["FORBIDDEN", "FORBIDDEN"]
    );
    // ... and a new one is refused while suspended.
    champ
        .subscribe("again", HUB_EVENTS, json!({ "h": hub }))
        .await?;
    assert_eq!(
        ended_with(&mut champ, &["again"])
            .await
            .context("a new subscription while suspended")?,
        ["FORBIDDEN"]
    );

    // The nurse's feed goes on (it saw the suspension), until the nurse is removed.
    let remove =
        "mutation($i: MemberReasonInput!) { removeMember(input: $i) { receipt { hubSeq } } }";
    server
        .gql_ok(
            remove,
            json!({ "i": { "hubId": hub, "memberId": ex::NURSE.uuid(), "reason": pt("Moved to another trust.") } }),
            Some(&facilitator),
        )
        .await?;
    assert_eq!(
        ended_with(&mut nur, &["e"])
            .await
            .context("the nurse's events after removal")?,
        ["FORBIDDEN"]
    );

    // The facilitator, still a member, keeps following.
    let mut fac = ws(&server, &facilitator).await?;
    fac.subscribe("e", HUB_EVENTS, json!({ "h": hub })).await?;
    fac.next_payload("e")
        .await
        .context("the facilitator's events")?;
    server.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_sees_or_verifies_a_hub_they_are_not_in() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let champion = demo_token(dir.path(), "champion").await?;
    let demo = ex::HUB.uuid();

    // A stranger founds a second hub and frames a problem there.
    let stranger = token(dir.path(), Uuid::now_v7()).await?;
    let other = server
        .found_hub(&stranger, "Tipton Carers Hub", "Carers in Tipton.")
        .await?;
    let problem = Uuid::now_v7();
    server
        .gql_ok(
            "mutation($i: FrameProblemInput!) { frameProblem(input: $i) { receipt { hubSeq } } }",
            json!({ "i": { "hubId": other, "problemId": problem, "framing": {
                "title": pt("Carers miss evening clinics"),
                "statement": pt("Evening clinics clash with caring."),
                "affected": pt("Unpaid carers"), "place": pt("Tipton"),
            } } }),
            Some(&stranger),
        )
        .await?;

    // verifyChains: each caller's own hubs; an operator's token: every hub.
    let hubs_verified = |answer: Value| -> Vec<String> {
        let mut ids: Vec<String> = answer["verifyChains"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v["hubId"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    };
    let q = "{ verifyChains { hubId intact } }";
    assert_eq!(
        hubs_verified(server.gql_ok(q, json!({}), Some(&champion)).await?),
        vec![demo.to_string()]
    );
    assert_eq!(
        hubs_verified(server.gql_ok(q, json!({}), Some(&stranger)).await?),
        vec![other.to_string()]
    );
    let data = dir.path().to_str().context("utf-8 path")?;
    let operator = run_cohub(&[
        "token",
        "--data",
        data,
        "--member",
        &Uuid::now_v7().to_string(),
        "--operator",
    ])
    .await?
    .trim()
    .to_string();
    let mut both = vec![demo.to_string(), other.to_string()];
    both.sort();
    assert_eq!(
        hubs_verified(server.gql_ok(q, json!({}), Some(&operator)).await?),
        both
    );

    // A hub that does not exist and a hub the caller is not in: the same answer, everywhere.
    let missing = Uuid::now_v7();
    for (query, vars) in [
        (
            "query($h: UUID!) { verifyChain(hubId: $h) { intact } }",
            json!({}),
        ),
        (
            "query($h: UUID!) { history(hubId: $h) { totalCount } }",
            json!({}),
        ),
        (
            "query($h: UUID!, $t: DateTime) { hub(id: $h, asOf: $t) { name } }",
            json!({ "t": "2020-01-01T00:00:00Z" }),
        ),
        (
            "query($h: UUID!) { hub(id: $h, atPosition: 1) { name } }",
            json!({}),
        ),
    ] {
        let with = |hub: Uuid| {
            let mut v = vars.clone();
            v["h"] = json!(hub);
            v
        };
        let invisible = server.gql(query, with(other), Some(&champion)).await?;
        let absent = server.gql(query, with(missing), Some(&champion)).await?;
        assert_eq!(code(&invisible), "FORBIDDEN", "{query}: {invisible}");
        assert_eq!(
            (code(&invisible), message(&invisible)),
            (code(&absent), message(&absent)),
            "{query}: a hub one cannot see and a hub that does not exist answer alike"
        );
        // Its members get the real thing.
        let own = server.gql(query, with(other), Some(&stranger)).await?;
        assert!(own["errors"].is_null(), "{query} for a member: {own}");
    }

    // A problem in a hub one cannot see reads like one that does not exist (now and as of).
    for at in ["", ", atPosition: 1"] {
        let q = format!("query($p: UUID!) {{ problem(id: $p{at}) {{ id }} }}");
        let seen = server
            .gql(&q, json!({ "p": problem }), Some(&champion))
            .await?;
        let none = server
            .gql(&q, json!({ "p": Uuid::now_v7() }), Some(&champion))
            .await?;
        assert_eq!(seen, none, "{q}");
        assert_eq!(seen, json!({ "data": { "problem": null } }), "{q}");
        if at.is_empty() {
            let own = server
                .gql(&q, json!({ "p": problem }), Some(&stranger))
                .await?;
            assert_eq!(
                own["data"]["problem"]["id"],
                json!(problem.to_string()),
                "{q}"
            );
        }
    }
    let trail = "query($d: UUID) { decisionTrail(distributionId: $d) { atPosition } }";
    let seen = server
        .gql(
            trail,
            json!({ "d": ex::DISTRIBUTION.uuid() }),
            Some(&stranger),
        )
        .await?;
    let none = server
        .gql(trail, json!({ "d": Uuid::now_v7() }), Some(&stranger))
        .await?;
    assert_eq!((code(&seen), message(&seen)), (code(&none), message(&none)));

    // Membership before the moment: an outsider's future `asOf` is FORBIDDEN, not VALIDATION.
    let future = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let hub_at = "query($h: UUID!, $t: DateTime) { hub(id: $h, asOf: $t) { name } }";
    let outsider = server
        .gql(hub_at, json!({ "h": demo, "t": future }), Some(&stranger))
        .await?;
    assert_eq!(code(&outsider), "FORBIDDEN", "{outsider}");

    // A member's future `asOf`, or an `atPosition` past the log's end: VALIDATION, in words.
    for (query, vars) in [
        (hub_at, json!({ "h": demo, "t": future })),
        (
            "query($h: UUID!, $t: DateTime) { history(hubId: $h, asOf: $t) { totalCount } }",
            json!({ "h": demo, "t": future }),
        ),
        (
            "query($p: UUID!, $t: DateTime) { problem(id: $p, asOf: $t) { id } }",
            json!({ "p": ex::PROBLEM.uuid(), "t": future }),
        ),
        (
            "query($h: UUID!) { hub(id: $h, atPosition: 999999) { name } }",
            json!({ "h": demo }),
        ),
    ] {
        let answer = server.gql(query, vars, Some(&champion)).await?;
        assert_eq!(code(&answer), "VALIDATION", "{query}: {answer}");
        let words = message(&answer);
        assert!(
            words.contains("in the future") || words.contains("past the end of the log"),
            "{query}: {words}"
        );
    }
    server.stop().await?;
    Ok(())
}
