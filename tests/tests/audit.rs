//! A commissioner audits the Black Country story over HTTP on a real `cohub serve --demo`: the
//! distribution's history with the objection and its reason, the decision trail with the voided
//! version 1 consents, as-of reads before and after the objection, chain verification, and a
//! signed checkpoint proved against the log.

use anyhow::Result;
use cohub_e2e::{token, Server};
use serde_json::{json, Value};
use uuid::Uuid;

// The fixed ids of `cohub_domain::example` (0c0b0000-<kind>-7000-8000-<n>).
const HUB: &str = "0c0b0000-0001-7000-8000-000000000001";
const DISTRIBUTION: &str = "0c0b0000-0006-7000-8000-000000000001";
const ORG_CARERS: &str = "0c0b0000-0002-7000-8000-000000000004";
/// Mark Stevens, the ICB commissioner.
const ICB_COMMISSIONER: &str = "0c0b0000-0003-7000-8000-00000000000d";

const ACTOR: &str = "memberName organisationName stakeholderKind role at position hubSeq";

fn history_query() -> String {
    format!(
        "query($hub: UUID!, $d: UUID, $filter: HistoryFilterInput, $first: Int, $after: String, $asOf: DateTime) {{
           history(hubId: $hub, distributionId: $d, filter: $filter, first: $first, after: $after, asOf: $asOf) {{
             totalCount
             pageInfo {{ hasNextPage hasPreviousPage endCursor }}
             edges {{ cursor node {{ position hubSeq at eventType summary actor {{ {ACTOR} }} }} }}
           }}
         }}"
    )
}

fn trail_query() -> String {
    format!(
        "query($d: UUID!, $asOf: DateTime) {{
           decisionTrail(distributionId: $d, asOf: $asOf) {{
             subjectKind status decided title {{ text }} atPosition replayed
             proposed {{ {ACTOR} }}
             versions {{
               version kind round rationale {{ text }} agreed
               author {{ {ACTOR} }}
               parties {{ name kind }}
               consents {{ version party {{ name }} by {{ memberName }} voided {{ byVersion by {{ memberName }} }} }}
               objections {{ version party {{ name kind }} reason {{ text }} by {{ memberName }} answered {{ kind }} }}
             }}
             voidedConsents {{ version party {{ name }} by {{ memberName at }} voided {{ byVersion }} }}
             objections {{ party {{ name }} reason {{ text }} }}
             agreements {{ version parties {{ name }} by {{ memberName }} }}
             rationale {{ text }}
             deliberation {{ startedAt decidedAt seconds finalVersionAt finalVersionSeconds minimumSeconds minimumMet }}
             steps {{ eventType summary }}
           }}
         }}"
    )
}

#[tokio::test]
async fn a_commissioner_audits_the_black_country_story() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let tok = token(dir.path(), ICB_COMMISSIONER.parse()?).await?;
    let tok = Some(tok.as_str());

    // 1. The distribution's history: every event attributed, with the objection and its reason.
    let h = server
        .gql_ok(
            &history_query(),
            json!({ "hub": HUB, "d": DISTRIBUTION, "first": 100 }),
            tok,
        )
        .await?["history"]
        .clone();
    assert_eq!(h["totalCount"], 12, "{h}");
    let nodes: Vec<&Value> = h["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let objection = nodes
        .iter()
        .find(|n| n["eventType"] == "DistributionObjected")
        .expect("the objection is in the history");
    assert_eq!(
        objection["summary"],
        "Carers Together objected to version 1: Carers do the reminding at home and get nothing."
    );
    assert_eq!(objection["actor"]["memberName"], "Sue Collins");
    assert_eq!(objection["actor"]["organisationName"], "Carers Together");
    assert_eq!(
        objection["actor"]["stakeholderKind"],
        "COMMUNITY_ORGANISATION"
    );
    let objection_position = objection["position"].as_u64().unwrap();
    let objection_at = objection["at"].as_str().unwrap().to_string();

    // Filters and pages.
    let filtered = |filter: Value| {
        let server = &server;
        async move {
            server
                .gql_ok(
                    &history_query(),
                    json!({ "hub": HUB, "d": DISTRIBUTION, "filter": filter }),
                    tok,
                )
                .await
                .map(|d| d["history"]["totalCount"].as_u64().unwrap())
        }
    };
    assert_eq!(
        filtered(json!({ "stakeholderKind": "COMMUNITY_ORGANISATION" })).await?,
        6
    );
    assert_eq!(filtered(json!({ "organisationId": ORG_CARERS })).await?, 3);
    assert_eq!(
        filtered(json!({ "eventTypes": ["DistributionObjected"] })).await?,
        1
    );
    assert_eq!(filtered(json!({ "to": objection_at })).await?, 5);
    let page = server
        .gql_ok(
            &history_query(),
            json!({ "hub": HUB, "d": DISTRIBUTION, "first": 5 }),
            tok,
        )
        .await?["history"]
        .clone();
    assert_eq!(page["edges"].as_array().unwrap().len(), 5);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = server
        .gql_ok(
            &history_query(),
            json!({ "hub": HUB, "d": DISTRIBUTION, "first": 100, "after": page["pageInfo"]["endCursor"] }),
            tok,
        )
        .await?["history"]
        .clone();
    assert_eq!(next["edges"].as_array().unwrap().len(), 7);
    assert_eq!(next["pageInfo"]["hasPreviousPage"], true);

    // 2. The decision trail: both versions, the objection, the voided version 1 consents.
    let t = server
        .gql_ok(&trail_query(), json!({ "d": DISTRIBUTION }), tok)
        .await?["decisionTrail"]
        .clone();
    assert_eq!(t["subjectKind"], "DISTRIBUTION");
    assert_eq!(t["status"], "agreed");
    assert_eq!(t["decided"], true);
    assert_eq!(t["proposed"]["memberName"], "Dan Okafor");
    let versions = t["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["kind"], "PROPOSAL");
    assert_eq!(versions[0]["author"]["organisationName"], "GlucoLink");
    assert_eq!(
        versions[0]["objections"][0]["party"]["name"],
        "Carers Together"
    );
    assert_eq!(
        versions[0]["objections"][0]["reason"]["text"],
        "Carers do the reminding at home and get nothing."
    );
    assert_eq!(
        versions[0]["objections"][0]["answered"]["kind"],
        "amendment"
    );
    assert_eq!(versions[1]["kind"], "AMENDMENT");
    assert_eq!(versions[1]["agreed"], true);
    assert!(versions[1]["rationale"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Carers Together joins as a party"));
    let voided = t["voidedConsents"].as_array().unwrap();
    let mut voided_parties: Vec<&str> = voided
        .iter()
        .map(|c| c["party"]["name"].as_str().unwrap())
        .collect();
    voided_parties.sort();
    assert_eq!(
        voided_parties,
        [
            "Black Country Integrated Care Board",
            "Brierley Homes",
            "GlucoLink"
        ]
    );
    assert!(voided
        .iter()
        .all(|c| c["version"] == 1 && c["voided"]["byVersion"] == 2));
    assert_eq!(t["agreements"][0]["version"], 2);
    assert_eq!(t["agreements"][0]["parties"].as_array().unwrap().len(), 5);
    let d = &t["deliberation"];
    assert!(d["seconds"].as_i64().unwrap() >= 0, "{d}");
    assert_eq!(d["minimumSeconds"], 0);
    assert_eq!(d["minimumMet"], true);
    assert_eq!(t["steps"].as_array().unwrap().len(), 12);

    // 3. As of a time just before the objection, and at the objection.
    let hub_history = server
        .gql_ok(&history_query(), json!({ "hub": HUB, "first": 100 }), tok)
        .await?["history"]
        .clone();
    let before_at = hub_history["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["position"].as_u64() == Some(objection_position - 1))
        .expect("the event before the objection")["at"]
        .clone();
    let as_of = |time: Value| {
        let server = &server;
        async move {
            server
                .gql_ok(
                    "query($d: UUID!, $t: DateTime) { distribution(id: $d, asOf: $t) {
                       status
                       versions { version consents { organisation { name } } }
                       objections { reason { text } }
                     } }",
                    json!({ "d": DISTRIBUTION, "t": time }),
                    tok,
                )
                .await
                .map(|d| d["distribution"].clone())
        }
    };
    let before = as_of(before_at.clone()).await?;
    assert_eq!(before["status"], "PROPOSED", "{before}");
    assert_eq!(before["versions"].as_array().unwrap().len(), 1);
    assert_eq!(
        before["versions"][0]["consents"].as_array().unwrap().len(),
        3
    );
    assert!(before["objections"].as_array().unwrap().is_empty());
    let after = as_of(json!(objection_at)).await?;
    assert_eq!(after["objections"].as_array().unwrap().len(), 1);
    assert_eq!(
        after["objections"][0]["reason"]["text"],
        "Carers do the reminding at home and get nothing."
    );
    // The audit queries read the past too.
    let past = server
        .gql_ok(
            &trail_query(),
            json!({ "d": DISTRIBUTION, "asOf": before_at }),
            tok,
        )
        .await?["decisionTrail"]
        .clone();
    assert_eq!(past["status"], "proposed");
    assert_eq!(past["atPosition"].as_u64(), Some(objection_position - 1));
    assert!(past["voidedConsents"].as_array().unwrap().is_empty());
    assert_eq!(past["versions"][0]["consents"].as_array().unwrap().len(), 3);
    let past_history = server
        .gql_ok(
            &history_query(),
            json!({ "hub": HUB, "d": DISTRIBUTION, "asOf": before_at }),
            tok,
        )
        .await?;
    assert_eq!(past_history["history"]["totalCount"], 4);

    // 4. Integrity: the chain verifies; a signed checkpoint proves against the log.
    let v = server
        .gql_ok(
            "query($h: UUID!) { verifyChain(hubId: $h) { intact head { hubSeq hash } brokenAt { hubSeq } } }",
            json!({ "h": HUB }),
            tok,
        )
        .await?["verifyChain"]
        .clone();
    assert_eq!(v["intact"], true);
    assert!(v["brokenAt"].is_null());
    let cp = server
        .gql_ok(
            "mutation($h: UUID!) { signCheckpoint(hubId: $h) { hubId hubSeq hash signedAt publicKey signature } }",
            json!({ "h": HUB }),
            tok,
        )
        .await?["signCheckpoint"]
        .clone();
    assert_eq!(cp["hubSeq"], v["head"]["hubSeq"]);
    assert_eq!(cp["hash"], v["head"]["hash"]);
    let prove = "query($c: CheckpointInput!) { proveCheckpoint(checkpoint: $c) { ok reason checks { name ok detail } } }";
    let proof = server.gql_ok(prove, json!({ "c": cp }), tok).await?["proveCheckpoint"].clone();
    assert_eq!(proof["ok"], true, "{proof}");
    assert_eq!(proof["checks"].as_array().unwrap().len(), 4);
    let mut forged = cp.clone();
    forged["hash"] = json!("0".repeat(64));
    let proof = server.gql_ok(prove, json!({ "c": forged }), tok).await?["proveCheckpoint"].clone();
    assert_eq!(proof["ok"], false);
    assert!(
        proof["reason"].as_str().unwrap().contains("signature"),
        "{proof}"
    );
    let key = dir.path().join("keys/checkpoint-signing.key");
    assert!(key.exists(), "the key was created on first use");

    // Access: audit needs a member token of the hub.
    let anonymous = server
        .gql(
            &history_query(),
            json!({ "hub": HUB, "d": DISTRIBUTION }),
            None,
        )
        .await?;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let stranger = token(dir.path(), Uuid::now_v7()).await?;
    let refused = server
        .gql(
            &trail_query(),
            json!({ "d": DISTRIBUTION }),
            Some(&stranger),
        )
        .await?;
    // For a stranger, the trail reads as if it did not exist (nothing of it is told).
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
    let refused = server
        .gql(
            "mutation($h: UUID!) { signCheckpoint(hubId: $h) { hash } }",
            json!({ "h": HUB }),
            Some(&stranger),
        )
        .await?;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );

    server.stop().await?;
    Ok(())
}
