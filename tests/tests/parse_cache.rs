//! A real `cohub serve` keeps parsed query documents by their text: a repeated document is
//! not parsed again, yet every answer is the one a fresh parse gives, for whoever sends it and
//! with whatever variables, and documents that fail to parse or break a limit are never kept.

use anyhow::{Context, Result};
use cohub_e2e::{token, Server};
use serde_json::json;
use uuid::Uuid;

/// `cohub_graphql_parse_cache_total{result="hit"}` and `{result="miss"}` from /metrics.
async fn counts(server: &Server) -> Result<(u64, u64)> {
    let text = server.metrics().await?;
    let read = |result: &str| -> Result<u64> {
        let name = format!("cohub_graphql_parse_cache_total{{result=\"{result}\"}}");
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix(name.as_str()))
            .map(|v| v.trim().parse())
            .transpose()
            .context("a count that is not a number")?
            .unwrap_or(0))
    };
    Ok((read("hit")?, read("miss")?))
}

#[tokio::test]
async fn repeated_documents_answer_as_fresh_ones_for_each_sender_and_variables() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path()).await?;
    let (asha, ben) = (Uuid::now_v7(), Uuid::now_v7());
    let (asha_token, ben_token) = (
        token(dir.path(), asha).await?,
        token(dir.path(), ben).await?,
    );

    // One document, three senders: each is answered as itself.
    let viewer = "{ viewer { memberId } }";
    let (hits, misses) = counts(&server).await?;
    for (tok, expected) in [
        (Some(asha_token.as_str()), json!(asha.to_string())),
        (Some(ben_token.as_str()), json!(ben.to_string())),
        (None, json!(null)),
    ] {
        let data = server.gql_ok(viewer, json!({}), tok).await?;
        let got = if tok.is_some() {
            data["viewer"]["memberId"].clone()
        } else {
            data["viewer"].clone()
        };
        assert_eq!(got, expected);
    }
    assert_eq!(counts(&server).await?, (hits + 2, misses + 1));

    // One mutation document, two founders and two names: two hubs, each its own founder's.
    let asha_hub = server
        .found_hub(&asha_token, "Tipton wellbeing", "Loneliness")
        .await?;
    let ben_hub = server
        .found_hub(&ben_token, "Dudley wellbeing", "Falls")
        .await?;
    assert_ne!(asha_hub, ben_hub);
    let hub_query = "query($h: UUID!) { hub(id: $h) { name } }";
    for (tok, hub, name) in [
        (&asha_token, asha_hub, "Tipton wellbeing"),
        (&ben_token, ben_hub, "Dudley wellbeing"),
    ] {
        let data = server
            .gql_ok(hub_query, json!({ "h": hub }), Some(tok))
            .await?;
        assert_eq!(data["hub"]["name"], json!(name));
    }

    // `@skip` prunes the request's own copy, never the kept document.
    let skip = "query($s: Boolean!) { viewer @skip(if: $s) { memberId } }";
    let skipped = server
        .gql_ok(skip, json!({ "s": true }), Some(&asha_token))
        .await?;
    assert!(skipped["viewer"].is_null(), "{skipped}");
    let kept = server
        .gql_ok(skip, json!({ "s": false }), Some(&asha_token))
        .await?;
    assert_eq!(kept["viewer"]["memberId"], json!(asha.to_string()));

    // Refused documents are refused every time, and never kept.
    let (hits, misses) = counts(&server).await?;
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let too_many = format!("{{ {aliases} }}");
    for bad in [
        too_many.as_str(),
        "{ viewer { memberId }",
        "{ nosuchfield }",
    ] {
        let first = server.gql(bad, json!({}), None).await?;
        let second = server.gql(bad, json!({}), None).await?;
        assert!(
            first["errors"][0]["extensions"]["code"].is_string(),
            "{first}"
        );
        assert_eq!(first, second);
    }
    // The unknown field parses, so it is kept (validation still refuses it each time); the
    // other two fail before a document exists.
    assert_eq!(counts(&server).await?, (hits + 1, misses + 5));
    Ok(())
}
