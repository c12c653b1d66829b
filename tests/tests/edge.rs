//! The HTTP edge of a real `cohub serve` process: health, auth with `cohub token`, the chain
//! queries and a subscription over the demo hub, a crash (SIGKILL) and a graceful stop.

use anyhow::{Context, Result};
use cohub_e2e::{run_cohub, token, Server, WsClient};
use serde_json::json;
use uuid::Uuid;

/// The example hub's id, event count and head hash, as `cohub verify` reports them.
async fn demo_hub(data: &str) -> Result<(Uuid, u64, String)> {
    run_cohub(&["demo", "--data", data]).await?;
    let out = run_cohub(&["verify", "--data", data]).await?;
    // `hub <id>: OK, <n> events, head <hash>`
    let line = out.lines().next().context("verify printed nothing")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let hub = words[1].trim_end_matches(':').parse()?;
    let seq = words[3].parse()?;
    let hash = words[6].to_string();
    Ok((hub, seq, hash))
}

#[tokio::test]
async fn the_edge_serves_a_real_process_and_survives_a_crash() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().to_str().unwrap();
    let (hub, seq, hash) = demo_hub(data).await?;

    let server = Server::start(dir.path()).await?;
    let health = server.http().get(server.url("/healthz")).send().await?;
    assert_eq!(health.status(), 200);

    // Anonymous, then with a token from `cohub token`, then with a forged one.
    let viewer = "{ viewer { memberId } }";
    assert_eq!(
        server.gql_ok(viewer, json!({}), None).await?,
        json!({ "viewer": null })
    );
    let member = Uuid::now_v7();
    let tok = token(dir.path(), member).await?;
    assert_eq!(
        server.gql_ok(viewer, json!({}), Some(&tok)).await?["viewer"]["memberId"],
        json!(member.to_string())
    );
    let refused = server.gql(viewer, json!({}), Some("e30.e30.e30")).await?;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );

    // The chain as the CLI saw it, over GraphQL.
    let head = server
        .gql_ok(
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
            json!({ "h": hub }),
            None,
        )
        .await?;
    assert_eq!(head["chainHead"], json!({ "hubSeq": seq, "hash": hash }));
    // verifyChains covers the caller's hubs: none for this non-member, every hub for an
    // operator's token.
    let verified = server
        .gql_ok("{ verifyChains { hubId intact } }", json!({}), Some(&tok))
        .await?;
    assert_eq!(verified["verifyChains"], json!([]));
    let operator = run_cohub(&[
        "token",
        "--data",
        data,
        "--member",
        &member.to_string(),
        "--operator",
    ])
    .await?;
    let verified = server
        .gql_ok(
            "{ verifyChains { hubId intact } }",
            json!({}),
            Some(operator.trim()),
        )
        .await?;
    assert_eq!(
        verified["verifyChains"],
        json!([{ "hubId": hub, "intact": true }])
    );

    // A subscription over graphql-transport-ws.
    let mut ws = server.subscribe_client(Some(&tok)).await?;
    ws.subscribe(
        "1",
        "subscription($h: UUID!) { chainHeadChanged(hubId: $h) { hubSeq } }",
        json!({ "h": hub }),
    )
    .await?;
    assert_eq!(
        ws.next_payload("1").await?["data"]["chainHeadChanged"]["hubSeq"],
        json!(seq)
    );

    // A forged token in connection_init closes the connection with 4403.
    let mut bad = WsClient::connect(server.addr).await?;
    bad.send(json!({ "type": "connection_init", "payload": { "authToken": "e30.e30.e30" } }))
        .await?;
    assert_eq!(bad.next().await?.unwrap_err().code, 4403);

    let metrics = server.metrics().await?;
    assert!(
        metrics.contains("cohub_graphql_requests_total"),
        "{metrics}"
    );

    // Crash, restart on the same data: the chain is as it was, and old tokens still verify.
    server.kill().await?;
    let server = Server::start(dir.path()).await?;
    let head = server
        .gql_ok(
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
            json!({ "h": hub }),
            Some(&tok),
        )
        .await?;
    assert_eq!(head["chainHead"], json!({ "hubSeq": seq, "hash": hash }));

    // A graceful stop ends the process cleanly.
    let status = server.stop().await?;
    assert!(status.success(), "cohub serve exited with {status}");
    Ok(())
}
