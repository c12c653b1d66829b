//! Mutations in process: the actor comes from the token, refusals carry their codes (and a
//! broken rule its name), `expectedVersion` and idempotency keys, member-only reads, paging.

mod common;

use common::{code, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

const FOUND: &str = "mutation($input: FoundHubInput!, $v: Int) {
  foundHub(input: $input, expectedVersion: $v) { receipt { streamVersion replayed } hub { id name members { id role } } } }";

fn found_input(hub: Uuid) -> Value {
    json!({ "hubId": hub, "name": "Test Hub", "purpose": { "text": "Testing together." },
            "founderName": "Nadia", "organisation": { "name": "Public Health", "kind": "COMMISSIONER" } })
}

fn err(body: &Value) -> &Value {
    &body["errors"][0]
}

#[tokio::test]
async fn mutations_need_a_token_and_act_as_its_member() {
    let app = TestApp::new();
    let hub = Uuid::now_v7();
    let anonymous = app
        .gql(FOUND, json!({ "input": found_input(hub) }), None)
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    let founder = Uuid::now_v7();
    let body = app
        .gql(
            FOUND,
            json!({ "input": found_input(hub) }),
            Some(&app.token(founder)),
        )
        .await;
    let hub_json = &body["data"]["foundHub"]["hub"];
    assert_eq!(
        hub_json["members"],
        json!([{ "id": founder, "role": "FACILITATOR" }]),
        "{body}"
    );
    // A generated hub id when none is given.
    let mut input = found_input(hub);
    input["hubId"] = Value::Null;
    let body = app
        .gql(FOUND, json!({ "input": input }), Some(&app.token(founder)))
        .await;
    let id: Uuid = body["data"]["foundHub"]["hub"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(id.get_version_num(), 7);
}

#[tokio::test]
async fn refusals_carry_codes_rules_and_plain_words() {
    let app = TestApp::new();
    let hub = Uuid::now_v7();
    let founder = app.token(Uuid::now_v7());
    app.gql(FOUND, json!({ "input": found_input(hub) }), Some(&founder))
        .await;

    // VALIDATION: an empty name.
    let admit = "mutation($input: AdmitOrganisationInput!) { admitOrganisation(input: $input) { organisation { id } } }";
    let body = app
        .gql(
            admit,
            json!({ "input": { "hubId": hub, "name": " ", "kind": "INNOVATOR" } }),
            Some(&founder),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    // NOT_FOUND: no such hub.
    let body = app
        .gql(
            admit,
            json!({ "input": { "hubId": Uuid::now_v7(), "name": "Firm", "kind": "INNOVATOR" } }),
            Some(&founder),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    // FORBIDDEN: not a member of the hub.
    let stranger = app.token(Uuid::now_v7());
    let body = app
        .gql(
            admit,
            json!({ "input": { "hubId": hub, "name": "Firm", "kind": "INNOVATOR" } }),
            Some(&stranger),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    // RULE: the hub must keep a facilitator.
    let me: Uuid = app
        .gql("{ viewer { memberId } }", json!({}), Some(&founder))
        .await["data"]["viewer"]["memberId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = app
        .gql(
            "mutation($input: ChangeMemberRoleInput!) { changeMemberRole(input: $input) { member { role } } }",
            json!({ "input": { "hubId": hub, "memberId": me, "role": "MEMBER" } }),
            Some(&founder),
        )
        .await;
    assert_eq!(code(&body), "RULE", "{body}");
    assert_eq!(
        err(&body)["extensions"]["rule"],
        "hub_must_keep_a_facilitator"
    );
    assert!(err(&body)["message"].as_str().unwrap().len() > 20);
    // CONFLICT: a stale expectedVersion.
    let body = app
        .gql(
            FOUND,
            json!({ "input": found_input(hub), "v": 5 }),
            Some(&founder),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_receipt() {
    let app = TestApp::new();
    let hub = Uuid::now_v7();
    let founder = app.token(Uuid::now_v7());
    app.gql(FOUND, json!({ "input": found_input(hub) }), Some(&founder))
        .await;
    let q = "mutation($input: AdmitOrganisationInput!, $k: String) {
      admitOrganisation(input: $input, idempotencyKey: $k) { receipt { eventIds replayed } organisation { id name } } }";
    let vars =
        json!({ "input": { "hubId": hub, "name": "Firm", "kind": "INNOVATOR" }, "k": "retry-1" });
    let first = app.gql(q, vars.clone(), Some(&founder)).await;
    let again = app.gql(q, vars, Some(&founder)).await;
    let (a, b) = (
        &first["data"]["admitOrganisation"],
        &again["data"]["admitOrganisation"],
    );
    assert_eq!(a["receipt"]["replayed"], false, "{first}");
    assert_eq!(b["receipt"]["replayed"], true, "{again}");
    assert_eq!(a["receipt"]["eventIds"], b["receipt"]["eventIds"]);
    assert_eq!(a["organisation"], b["organisation"]);
    let orgs = app
        .gql(
            "query($h: UUID!) { hub(id: $h) { organisations { name } } }",
            json!({ "h": hub }),
            Some(&founder),
        )
        .await;
    assert_eq!(
        orgs["data"]["hub"]["organisations"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{orgs}"
    );
}

#[tokio::test]
async fn idempotency_keys_belong_to_their_sender_and_their_request() {
    let app = TestApp::new();
    let hub = Uuid::now_v7();
    let founder_id = Uuid::now_v7();
    let founder = app.token(founder_id);
    app.gql(FOUND, json!({ "input": found_input(hub) }), Some(&founder))
        .await;
    let admit = "mutation($input: AdmitOrganisationInput!, $k: String) {
      admitOrganisation(input: $input, idempotencyKey: $k) { receipt { eventIds replayed } } }";
    let input = json!({ "hubId": hub, "name": "Firm", "kind": "INNOVATOR" });
    let first = app
        .gql(admit, json!({ "input": input, "k": "k" }), Some(&founder))
        .await;
    assert_eq!(
        first["data"]["admitOrganisation"]["receipt"]["replayed"], false,
        "{first}"
    );
    let head = app.store.head_position().await.unwrap();

    // The same request written differently (inline, fields reordered, an absent optional
    // field given as null) is the same request: a replay.
    let inline = format!(
        r#"mutation {{ admitOrganisation(idempotencyKey: "k", input: {{ kind: INNOVATOR,
        name: "Firm", hubId: "{hub}", organisationId: null }}) {{ receipt {{ eventIds replayed }} }} }}"#
    );
    let again = app.gql(&inline, json!({}), Some(&founder)).await;
    assert_eq!(
        again["data"]["admitOrganisation"]["receipt"]["replayed"], true,
        "{again}"
    );
    assert_eq!(
        again["data"]["admitOrganisation"]["receipt"]["eventIds"],
        first["data"]["admitOrganisation"]["receipt"]["eventIds"]
    );

    // Another input with the same key: refused, nothing recorded.
    let other = json!({ "hubId": hub, "name": "Another firm", "kind": "INNOVATOR" });
    let refused = app
        .gql(admit, json!({ "input": other, "k": "k" }), Some(&founder))
        .await;
    assert_eq!(code(&refused), "IDEMPOTENCY_KEY_REUSED", "{refused}");
    assert!(refused["data"].is_null() || refused["data"]["admitOrganisation"].is_null());
    assert_eq!(
        app.store.head_position().await.unwrap(),
        head,
        "nothing recorded"
    );
}

#[tokio::test]
async fn hubs_are_public_the_rest_is_for_members_and_pages_are_bounded() {
    let app = TestApp::new();
    let hub = Uuid::now_v7();
    let founder = app.token(Uuid::now_v7());
    app.gql(FOUND, json!({ "input": found_input(hub) }), Some(&founder))
        .await;
    let public = app
        .gql(
            "{ hubs { edges { node { id name purpose { text } } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        public["data"]["hubs"]["edges"][0]["node"]["name"], "Test Hub",
        "{public}"
    );
    let q = "query($h: UUID!) { hub(id: $h) { name problems { edges { node { id } } } } }";
    assert_eq!(
        code(&app.gql(q, json!({ "h": hub }), None).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(
            &app.gql(q, json!({ "h": hub }), Some(&app.token(Uuid::now_v7())))
                .await
        ),
        "FORBIDDEN"
    );
    let ok = app.gql(q, json!({ "h": hub }), Some(&founder)).await;
    assert_eq!(ok["data"]["hub"]["problems"]["edges"], json!([]), "{ok}");
    let too_many = app
        .gql(
            "query($h: UUID!) { hub(id: $h) { activity(first: 1000) { edges { cursor } } } }",
            json!({ "h": hub }),
            Some(&founder),
        )
        .await;
    assert_eq!(code(&too_many), "LIMIT", "{too_many}");
}

#[tokio::test]
async fn days_waited_is_counted_to_the_moment_read() {
    // The story is written, then moved four days into the past (recorded times shifted, the
    // chain sealed again) and imported into a second server, so that a past moment three days
    // after the framing can be read (a moment in the future is refused).
    let first = TestApp::new();
    let hub = Uuid::now_v7();
    let founder_id = Uuid::now_v7();
    let founder = first.token(founder_id);
    first
        .gql(FOUND, json!({ "input": found_input(hub) }), Some(&founder))
        .await;
    let t = |s: &str| json!({ "text": s });
    let framed = first
        .gql(
            "mutation($input: FrameProblemInput!) { frameProblem(input: $input) { receipt { recordedAt } } }",
            json!({ "input": { "hubId": hub, "framing": {
                "title": t("Letters only in English"), "statement": t("Invitations are letters in English only."),
                "affected": t("Residents with type 2 diabetes"), "place": t("Sandwell") } } }),
            Some(&founder),
        )
        .await;
    let shift = chrono::Duration::days(4);
    let at: chrono::DateTime<chrono::Utc> = framed["data"]["frameProblem"]["receipt"]["recordedAt"]
        .as_str()
        .unwrap_or_else(|| panic!("{framed}"))
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        - shift;
    let mut envelopes = first.store.read_all(0, 1000).await.unwrap();
    let mut prev = cohub_store::chain::GENESIS_HASH.to_string();
    for e in &mut envelopes {
        e.recorded_at -= shift;
        cohub_store::chain::seal(e, &prev);
        prev = e.hash.clone();
    }
    let app = TestApp::new();
    let report = app.store.import(envelopes).await.unwrap();
    app.projector
        .wait_for(report.head_position, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let founder = app.token(founder_id);

    let waited = |body: &Value| {
        body["data"]["hub"]["contributions"]["edges"][0]["node"]["daysWaited"].clone()
    };
    let query = "query($hub: UUID!, $asOf: DateTime) { hub(id: $hub, asOf: $asOf) {
        contributions(unansweredOnly: true) { edges { node { kind daysWaited } } } } }";
    // Just after the framing, nobody had waited a day yet.
    let soon = (at + chrono::Duration::minutes(1)).to_rfc3339();
    let body = app
        .gql(query, json!({ "hub": hub, "asOf": soon }), Some(&founder))
        .await;
    assert_eq!(waited(&body), json!(0), "{body}");
    // As the hub stood three days after the framing, with nobody answering it.
    let later = (at + chrono::Duration::days(3) + chrono::Duration::minutes(1)).to_rfc3339();
    let body = app
        .gql(query, json!({ "hub": hub, "asOf": later }), Some(&founder))
        .await;
    assert_eq!(waited(&body), json!(3), "{body}");
    // Now, four days on.
    let live = app.gql(query, json!({ "hub": hub }), Some(&founder)).await;
    assert_eq!(waited(&live), json!(4), "{live}");
    // And a moment in the future is refused in plain words.
    let future = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let body = app
        .gql(query, json!({ "hub": hub, "asOf": future }), Some(&founder))
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
}
