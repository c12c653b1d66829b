//! DOMAIN.md's Black Country story, played end to end over GraphQL against a real
//! `cohub serve` process (no `--demo`: every step is a mutation with the acting person's own
//! token), watched live by a `hubEvents` and a `distributionStatus` subscription, then read
//! back through every read model, before and after a graceful restart on the same data.

use anyhow::{bail, Context, Result};
use cohub_domain::distribution::{DistributionCommand, Terms};
use cohub_domain::example::{self, ExampleStep};
use cohub_domain::hub::HubCommand;
use cohub_domain::idea::{IdeaCommand, IdeaContribution};
use cohub_domain::problem::{Framing, ProblemCommand, ProblemContribution};
use cohub_domain::{DomainCommand, MemberId, PlainText};
use cohub_e2e::{token, Server, WsClient};
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

const RECEIPT: &str = "receipt { hubId streamId eventIds firstPosition lastPosition hubSeq \
                       streamVersion hash recordedAt replayed }";

/// A GraphQL enum value from a domain enum's snake_case serde name.
fn gql_enum<T: serde::Serialize>(value: &T) -> Value {
    let s = serde_json::to_value(value).unwrap();
    json!(s.as_str().expect("a unit enum").to_uppercase())
}

fn text(t: &PlainText) -> Value {
    json!({ "text": t.text, "lang": t.lang })
}

fn framing(f: &Framing) -> Value {
    json!({
        "title": text(&f.title), "statement": text(&f.statement),
        "affected": text(&f.affected), "place": text(&f.place),
        "evidence": f.evidence.iter()
            .map(|e| json!({ "kind": gql_enum(&e.kind), "text": text(&e.text) }))
            .collect::<Vec<_>>(),
    })
}

fn terms(t: &Terms) -> Value {
    json!({
        "parties": t.parties.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "costs": t.costs.iter().map(|c| json!({
            "party": c.party.to_string(), "kind": gql_enum(&c.kind), "amount": c.amount,
            "unit": c.unit, "note": c.note.as_ref().map(text),
        })).collect::<Vec<_>>(),
        "rewards": t.rewards.iter().map(|r| json!({
            "kind": gql_enum(&r.kind), "description": text(&r.description),
            "shares": r.shares.iter()
                .map(|s| json!({ "party": s.party.to_string(), "basisPoints": s.basis_points }))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "terms": text(&t.terms),
    })
}

/// The mutation field, its input type, the input, and what to select of the changed object.
fn mutation_for(command: &DomainCommand) -> (&'static str, &'static str, Value, &'static str) {
    match command {
        DomainCommand::Hub(HubCommand::FoundHub { hub_id, name, purpose, founder_name, organisation }) => (
            "foundHub", "FoundHubInput",
            json!({ "hubId": hub_id.to_string(), "name": name, "purpose": text(purpose),
                    "founderName": founder_name,
                    "organisation": { "organisationId": organisation.organisation_id.to_string(),
                                      "name": organisation.name, "kind": gql_enum(&organisation.kind) } }),
            "hub { id name members { id role } }",
        ),
        DomainCommand::Hub(HubCommand::AdmitOrganisation { hub_id, organisation_id, name, kind }) => (
            "admitOrganisation", "AdmitOrganisationInput",
            json!({ "hubId": hub_id.to_string(), "organisationId": organisation_id.to_string(),
                    "name": name, "kind": gql_enum(kind) }),
            "organisation { id name kind }",
        ),
        DomainCommand::Hub(HubCommand::AdmitMember { hub_id, member_id, organisation_id, name, role }) => (
            "admitMember", "AdmitMemberInput",
            json!({ "hubId": hub_id.to_string(), "memberId": member_id.to_string(),
                    "organisationId": organisation_id.to_string(), "name": name, "role": gql_enum(role) }),
            "member { id name role status organisationName }",
        ),
        DomainCommand::Hub(HubCommand::AdoptCharter { hub_id, text: t }) => (
            "adoptCharter", "AdoptCharterInput",
            json!({ "hubId": hub_id.to_string(), "text": text(t) }),
            "hub { charter { version text { text } } }",
        ),
        DomainCommand::Problem(ProblemCommand::FrameProblem { problem_id, hub_id, framing: f }) => (
            "frameProblem", "FrameProblemInput",
            json!({ "hubId": hub_id.to_string(), "problemId": problem_id.to_string(), "framing": framing(f) }),
            "problem { id stage current { version title { text } } }",
        ),
        DomainCommand::Problem(ProblemCommand::AddPerspective { problem_id, perspective_id, kind, text: t }) => (
            "addPerspective", "AddPerspectiveInput",
            json!({ "problemId": problem_id.to_string(), "perspectiveId": perspective_id.to_string(),
                    "kind": gql_enum(kind), "text": text(t) }),
            "perspective { id kind text { text } added { memberName } }",
        ),
        DomainCommand::Problem(ProblemCommand::EndorseProblem { problem_id }) => (
            "endorseProblem", "EndorseProblemInput",
            json!({ "problemId": problem_id.to_string() }),
            "problem { endorsements { memberName } }",
        ),
        DomainCommand::Problem(ProblemCommand::AcknowledgeProblemContribution { problem_id, contribution, note }) => (
            "acknowledgeProblemContribution", "AcknowledgeProblemContributionInput",
            json!({ "problemId": problem_id.to_string(),
                    "perspectiveId": match contribution {
                        ProblemContribution::Perspective(p) => json!(p.to_string()),
                        ProblemContribution::Problem => Value::Null,
                    },
                    "note": note.as_ref().map(text) }),
            "problem { perspectives { id heard { acknowledged answered } } }",
        ),
        DomainCommand::Problem(ProblemCommand::MoveProblemStage { problem_id, to, reason }) => (
            "moveProblemStage", "MoveProblemStageInput",
            json!({ "problemId": problem_id.to_string(), "to": gql_enum(to), "reason": text(reason) }),
            "problem { stage }",
        ),
        DomainCommand::Idea(IdeaCommand::ProposeIdea { idea_id, problem_id, title, summary, on_behalf_of }) => (
            "proposeIdea", "ProposeIdeaInput",
            json!({ "ideaId": idea_id.to_string(), "problemId": problem_id.to_string(),
                    "title": text(title), "summary": text(summary),
                    "onBehalfOf": on_behalf_of.as_ref().map(|o| json!({
                        "residents": text(&o.residents), "anonymous": o.anonymous,
                        "howResidentsAgreed": o.how_residents_agreed.as_ref().map(text) })) }),
            "idea { id status current { title { text } } }",
        ),
        DomainCommand::Idea(IdeaCommand::SupportIdea { idea_id }) => (
            "supportIdea", "SupportIdeaInput",
            json!({ "ideaId": idea_id.to_string() }),
            "idea { supports { memberName } }",
        ),
        DomainCommand::Idea(IdeaCommand::GiveFeedback { idea_id, feedback_id, text: t }) => (
            "giveFeedback", "GiveFeedbackInput",
            json!({ "ideaId": idea_id.to_string(), "feedbackId": feedback_id.to_string(), "text": text(t) }),
            "feedback { id text { text } given { memberName organisationName } }",
        ),
        DomainCommand::Idea(IdeaCommand::RespondToFeedback { idea_id, feedback_id, text: t }) => (
            "respondToFeedback", "RespondToFeedbackInput",
            json!({ "ideaId": idea_id.to_string(), "feedbackId": feedback_id.to_string(), "text": text(t) }),
            "feedback { id responses { text { text } responded { memberName } } heard { answered } }",
        ),
        DomainCommand::Idea(IdeaCommand::AcknowledgeIdeaContribution { idea_id, contribution, note }) => (
            "acknowledgeIdeaContribution", "AcknowledgeIdeaContributionInput",
            json!({ "ideaId": idea_id.to_string(),
                    "feedbackId": match contribution {
                        IdeaContribution::Feedback(f) => json!(f.to_string()),
                        IdeaContribution::Idea => Value::Null,
                    },
                    "note": note.as_ref().map(text) }),
            "idea { feedback { heard { acknowledged } } }",
        ),
        DomainCommand::Distribution(DistributionCommand::ProposeDistribution { distribution_id, idea_id, terms: t }) => (
            "proposeDistribution", "ProposeDistributionInput",
            json!({ "distributionId": distribution_id.to_string(), "ideaId": idea_id.to_string(), "terms": terms(t) }),
            "distribution { id status current { version } }",
        ),
        DomainCommand::Distribution(DistributionCommand::ConsentToDistribution { distribution_id, version }) => (
            "consentToDistribution", "ConsentToDistributionInput",
            json!({ "distributionId": distribution_id.to_string(), "version": version }),
            "distribution { status agreedVersion consents { version voided organisation { name } } }",
        ),
        DomainCommand::Distribution(DistributionCommand::ObjectToDistribution { distribution_id, version, reason }) => (
            "objectToDistribution", "ObjectToDistributionInput",
            json!({ "distributionId": distribution_id.to_string(), "version": version, "reason": text(reason) }),
            "distribution { objections { version reason { text } organisation { name } } }",
        ),
        DomainCommand::Distribution(DistributionCommand::AmendDistribution { distribution_id, terms: t, rationale }) => (
            "amendDistribution", "AmendDistributionInput",
            json!({ "distributionId": distribution_id.to_string(), "terms": terms(t), "rationale": text(rationale) }),
            "distribution { current { version kind } voidedConsents { version organisation { name } } }",
        ),
        other => panic!("the example uses a command this test does not map yet: {}", other.name()),
    }
}

/// Everything the read models know about the story, in one query (a member's view).
const STORY: &str = r#"
query Story($hub: UUID!, $problem: UUID!, $idea: UUID!, $distribution: UUID!) {
  hub(id: $hub) {
    id name purpose { text lang } foundedAt asOfPosition
    founded { memberName organisationName role position }
    organisations { id name kind admitted { memberName at } members { name role } }
    members { id name role status organisationName admitted { memberName position } history { change } }
    charter { version text { text } adopted { memberName } }
    minimumDeliberationSeconds
    problems(first: 10) { edges { cursor node { id stage } } pageInfo { hasNextPage endCursor } }
    open: problems(stage: OPEN) { edges { node { id } } }
    ideas(status: PROPOSED) { edges { node { id status } } }
    agreed: distributions(status: AGREED) { edges { node { id status } } }
    contributions(first: 100) {
      edges { cursor node {
        kind problemId perspectiveId ideaId feedbackId distributionId version
        organisation { name } text { text } made { memberName organisationName at }
        heard { acknowledged answered
                acknowledgements { note { text } by { memberName at } }
                answer { kind by { memberName at } } }
        daysWaited } }
      pageInfo { hasNextPage endCursor }
    }
    unanswered: contributions(unansweredOnly: true) { edges { node { kind text { text } daysWaited } } }
    activity(first: 100) {
      edges { cursor node { position hubSeq at memberName organisationName streamId eventType summary } }
      pageInfo { hasNextPage endCursor }
    }
  }
  problem(id: $problem) {
    id hubId stage
    versions { version title { text lang } statement { text } affected { text } place { text }
               evidence { kind text { text } } rationale { text } written { memberName } }
    perspectives { id kind text { text lang } added { memberName organisationName at }
                   heard { acknowledged answered acknowledgements { note { text } by { memberName } } } }
    endorsements { memberName organisationName }
    stageHistory { from to reason { text } moved { memberName } }
    heard { acknowledged answered answer { kind by { memberName } } }
    ideas { id }
  }
  idea(id: $idea) {
    id problemId status
    versions { version title { text } summary { text } written { memberName } }
    onBehalfOf { residents { text } anonymous howResidentsAgreed { text } }
    proposed { memberName organisationName }
    supports { memberName }
    feedback { id text { text } given { memberName organisationName }
               responses { text { text } responded { memberName } }
               heard { acknowledged answered answer { kind by { memberName } } } }
    decisions { outcome }
    heard { answered answer { kind } }
    distributions { id }
  }
  distribution(id: $distribution) {
    id ideaId status round agreedVersion
    proposed { memberName organisationName }
    versions {
      version kind round
      parties { organisationId name kind }
      costs { party { name } kind amount unit note { text } }
      rewards { kind description { text } shares { party { name } basisPoints } }
      terms { text } rationale { text } written { memberName }
      consents { organisation { name } voided voidedByVersion consented { memberName } }
      objections { organisation { name } reason { text } objected { memberName } heard { answered } }
      voidedConsents { organisation { name } version consentedByName consentedAt }
    }
    consents { version organisation { name } voided voidedByVersion voidedBy { memberName } }
    voidedConsents { version organisation { name } }
    objections { version organisation { name kind } reason { text lang }
                 objected { memberName organisationName at }
                 heard { answered answer { kind by { memberName } } } }
    missingConsents { name }
    agreements { version parties { name } agreed { memberName at } }
  }
}
"#;

/// Reads hub events from the subscription until one at or beyond `position` arrives.
async fn events_until(ws: &mut WsClient, position: u64, seen: &mut Vec<Value>) -> Result<()> {
    while seen
        .last()
        .and_then(|e| e["position"].as_u64())
        .unwrap_or(0)
        < position
    {
        let payload = ws.next_payload("events").await?;
        if payload.get("errors").is_some() {
            bail!("hubEvents failed: {payload}");
        }
        seen.push(payload["data"]["hubEvents"].clone());
    }
    Ok(())
}

#[tokio::test]
async fn the_black_country_story_over_graphql() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path()).await?;

    // A token per person, from `cohub token`.
    let mut tokens: HashMap<MemberId, String> = HashMap::new();
    for person in example::people() {
        tokens.insert(person.id, token(dir.path(), person.id.uuid()).await?);
    }
    let tok = |m: MemberId| tokens[&m].clone();
    let hub = example::HUB.uuid();

    // Without a token: no mutation at all.
    let steps: Vec<ExampleStep> = example::steps();
    let (field, input_type, input, _) = mutation_for(&steps[0].command);
    let anonymous = server
        .gql(
            &format!(
                "mutation($input: {input_type}!) {{ {field}(input: $input) {{ {RECEIPT} }} }}"
            ),
            json!({ "input": input }),
            None,
        )
        .await?;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{anonymous}"
    );

    let mut ws: Option<WsClient> = None;
    let mut status_ws: Option<WsClient> = None;
    let mut seen_events: Vec<Value> = Vec::new();
    let mut statuses: Vec<Value> = Vec::new();
    let mut receipts: Vec<Value> = Vec::new();

    for (i, step) in steps.iter().enumerate() {
        let (field, input_type, input, selection) = mutation_for(&step.command);
        let query = format!(
            "mutation($input: {input_type}!, $key: String) {{ {field}(input: $input, idempotencyKey: $key) {{ {RECEIPT} {selection} }} }}"
        );
        let key = format!("black-country-step-{i}");
        let data = server
            .gql_ok(
                &query,
                json!({ "input": input, "key": key }),
                Some(&tok(step.actor)),
            )
            .await
            .with_context(|| format!("step {i}: {}", step.note))?;
        let payload = &data[field];
        let receipt = payload["receipt"].clone();
        assert_eq!(receipt["hubId"], json!(hub.to_string()));
        assert_eq!(receipt["replayed"], json!(false), "step {i}");
        assert_eq!(receipt["hash"].as_str().map(str::len), Some(64));
        receipts.push(receipt.clone());

        // Read your writes: the payload already shows the change.
        match field {
            "foundHub" => assert_eq!(payload["hub"]["name"], example::HUB_NAME),
            "admitMember" => assert_eq!(payload["member"]["status"], "ACTIVE"),
            "addPerspective" => assert!(payload["perspective"]["added"]["memberName"].is_string()),
            "respondToFeedback" => assert_eq!(payload["feedback"]["heard"]["answered"], true),
            "objectToDistribution" => assert_eq!(
                payload["distribution"]["objections"][0]["reason"]["text"],
                "Carers do the reminding at home and get nothing."
            ),
            "amendDistribution" => {
                assert_eq!(payload["distribution"]["current"]["version"], 2);
                assert_eq!(
                    payload["distribution"]["voidedConsents"]
                        .as_array()
                        .unwrap()
                        .len(),
                    3
                );
            }
            _ => {}
        }

        if i == 0 {
            // The facilitator watches the hub from its first event on, and a retry with the same
            // idempotency key answers the first receipt without appending anything.
            let again = server
                .gql_ok(
                    &query,
                    json!({ "input": input, "key": key }),
                    Some(&tok(step.actor)),
                )
                .await?;
            assert_eq!(again[field]["receipt"]["replayed"], true);
            assert_eq!(again[field]["receipt"]["eventIds"], receipt["eventIds"]);
            let mut client = server
                .subscribe_client(Some(&tok(example::FACILITATOR)))
                .await?;
            client
                .subscribe(
                    "events",
                    "subscription($hub: UUID!) { hubEvents(hubId: $hub, afterPosition: 0) {
                       position hubSeq eventId at streamId streamVersion eventType summary hash
                       actor { memberId memberName organisationId organisationName role } } }",
                    json!({ "hub": hub }),
                )
                .await?;
            ws = Some(client);
        }
        if field == "proposeDistribution" {
            let mut client = server
                .subscribe_client(Some(&tok(example::HOUSING_LEAD)))
                .await?;
            client
                .subscribe(
                    "status",
                    "subscription($d: UUID!) { distributionStatus(distributionId: $d) {
                       distributionId status version agreedVersion consentedParties missingConsents
                       objectingParties eventType position } }",
                    json!({ "d": example::DISTRIBUTION.uuid() }),
                )
                .await?;
            let first = client.next_payload("status").await?;
            assert_eq!(
                first["data"]["distributionStatus"]["status"], "PROPOSED",
                "{first}"
            );
            statuses.push(first["data"]["distributionStatus"].clone());
            status_ws = Some(client);
        }
        // Each event reaches the subscriber live, before the next step is taken.
        if let Some(client) = ws.as_mut() {
            let last = receipt["lastPosition"].as_u64().unwrap();
            events_until(client, last, &mut seen_events).await?;
        }
    }

    // The subscription saw exactly the events the receipts name, in order.
    let from_receipts: Vec<(Value, u64)> = receipts
        .iter()
        .flat_map(|r| {
            let first = r["firstPosition"].as_u64().unwrap();
            r["eventIds"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(move |(k, id)| (id.clone(), first + k as u64))
                .collect::<Vec<_>>()
        })
        .collect();
    let from_subscription: Vec<(Value, u64)> = seen_events
        .iter()
        .map(|e| (e["eventId"].clone(), e["position"].as_u64().unwrap()))
        .collect();
    assert_eq!(from_subscription, from_receipts);
    for (e, r) in seen_events.iter().zip(
        receipts
            .iter()
            .flat_map(|r| std::iter::repeat_n(r, r["eventIds"].as_array().unwrap().len())),
    ) {
        assert_eq!(e["streamId"], r["streamId"]);
        assert!(e["summary"].as_str().unwrap().len() > 10, "{e}");
    }
    assert_eq!(
        seen_events.last().unwrap()["eventType"],
        "DistributionAgreed"
    );
    assert_eq!(
        seen_events.last().unwrap()["hash"],
        receipts.last().unwrap()["hash"]
    );
    let objected = seen_events
        .iter()
        .find(|e| e["eventType"] == "DistributionObjected")
        .context("no objection event")?;
    assert_eq!(objected["actor"]["memberName"], "Sue Collins");
    assert_eq!(objected["actor"]["organisationName"], "Carers Together");

    // The distribution's status feed went from proposed to agreed, one update per event.
    let status_client = status_ws.as_mut().context("no status subscription")?;
    loop {
        let next = status_client.next_payload("status").await?;
        let s = next["data"]["distributionStatus"].clone();
        statuses.push(s.clone());
        if s["status"] == "AGREED" {
            break;
        }
    }
    let agreed = statuses.last().unwrap();
    assert_eq!(agreed["version"], 2);
    assert_eq!(agreed["agreedVersion"], 2);
    assert_eq!(agreed["consentedParties"].as_array().unwrap().len(), 5);
    assert_eq!(agreed["missingConsents"], json!([]));
    assert!(statuses
        .iter()
        .any(|s| s["eventType"] == "DistributionObjected"
            && s["objectingParties"] == json!([example::ORG_CARERS.to_string()])));

    // Rules, permissions and validation come back with their codes and plain words.
    let consent_v1 = server
        .gql(
            "mutation($d: UUID!) { consentToDistribution(input: { distributionId: $d, version: 1 }) { receipt { hash } } }",
            json!({ "d": example::DISTRIBUTION.uuid() }),
            Some(&tok(example::MOSQUE_LEAD)),
        )
        .await?;
    assert_eq!(
        consent_v1["errors"][0]["extensions"]["code"], "RULE",
        "{consent_v1}"
    );
    assert!(consent_v1["errors"][0]["extensions"]["rule"].is_string());
    let stranger = token(dir.path(), Uuid::now_v7()).await?;
    let outsider = server
        .gql(
            "query($h: UUID!) { hub(id: $h) { name members { name } } }",
            json!({ "h": hub }),
            Some(&stranger),
        )
        .await?;
    assert_eq!(
        outsider["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{outsider}"
    );
    let public = server
        .gql_ok(
            "{ hubs { edges { node { id name purpose { text } } } } }",
            json!({}),
            None,
        )
        .await?;
    assert_eq!(
        public["hubs"]["edges"][0]["node"]["name"],
        example::HUB_NAME
    );
    let anonymous_members = server
        .gql(
            "query($h: UUID!) { hub(id: $h) { members { name } } }",
            json!({ "h": hub }),
            None,
        )
        .await?;
    assert_eq!(
        anonymous_members["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );

    // Every read model, as the ICB commissioner (an auditor) reads it.
    let vars = json!({
        "hub": hub, "problem": example::PROBLEM.uuid(),
        "idea": example::IDEA.uuid(), "distribution": example::DISTRIBUTION.uuid(),
    });
    let auditor = tok(example::ICB_COMMISSIONER);
    let before = server.gql_ok(STORY, vars.clone(), Some(&auditor)).await?;

    let h = &before["hub"];
    assert_eq!(h["organisations"].as_array().unwrap().len(), 10);
    assert_eq!(h["members"].as_array().unwrap().len(), 14);
    assert_eq!(h["charter"]["version"], 1);
    assert_eq!(h["agreed"]["edges"].as_array().unwrap().len(), 1);
    assert_eq!(h["open"]["edges"], json!([]));
    assert_eq!(
        h["activity"]["edges"].as_array().unwrap().len(),
        from_receipts.len(),
        "the activity feed holds every event"
    );
    let p = &before["problem"];
    assert_eq!(p["stage"], "DEVELOPING_SOLUTIONS");
    assert_eq!(p["perspectives"].as_array().unwrap().len(), 3);
    assert_eq!(p["perspectives"][1]["added"]["memberName"], "Rachel Green");
    assert_eq!(p["perspectives"][1]["heard"]["acknowledged"], true);
    assert_eq!(p["endorsements"][0]["memberName"], "Dr Farah Ahmed");
    assert_eq!(p["stageHistory"][0]["to"], "DEVELOPING_SOLUTIONS");
    let i = &before["idea"];
    assert_eq!(i["onBehalfOf"]["anonymous"], false);
    assert!(i["onBehalfOf"]["howResidentsAgreed"]["text"]
        .as_str()
        .unwrap()
        .contains("tenants' association meeting"));
    assert_eq!(i["feedback"][0]["given"]["organisationName"], "GlucoLink");
    assert_eq!(
        i["feedback"][0]["responses"][0]["responded"]["memberName"],
        "Amina Begum"
    );
    assert_eq!(i["feedback"][0]["heard"]["answer"]["kind"], "RESPONSE");
    let d = &before["distribution"];
    assert_eq!(d["status"], "AGREED");
    assert_eq!(d["agreedVersion"], 2);
    assert_eq!(d["versions"].as_array().unwrap().len(), 2);
    assert_eq!(d["versions"][1]["parties"].as_array().unwrap().len(), 5);
    assert_eq!(d["versions"][0]["consents"].as_array().unwrap().len(), 3);
    assert!(d["versions"][0]["consents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["voided"] == true));
    assert_eq!(d["versions"][1]["consents"].as_array().unwrap().len(), 5);
    assert_eq!(d["voidedConsents"].as_array().unwrap().len(), 3);
    assert_eq!(
        d["objections"][0]["organisation"]["name"],
        "Carers Together"
    );
    assert_eq!(d["objections"][0]["heard"]["answer"]["kind"], "AMENDMENT");
    assert_eq!(d["missingConsents"], json!([]));
    assert_eq!(d["agreements"][0]["agreed"]["memberName"], "Sue Collins");
    let revenue = &d["versions"][1]["rewards"][0];
    assert_eq!(revenue["kind"], "REVENUE_SHARE");
    let shares: u64 = revenue["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["basisPoints"].as_u64().unwrap())
        .sum();
    assert_eq!(shares, 10_000);
    // Feeling heard: the objection was answered by the amendment; every contribution is listed.
    let kinds: Vec<&str> = h["contributions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "PROBLEM",
            "PERSPECTIVE",
            "PERSPECTIVE",
            "PERSPECTIVE",
            "IDEA",
            "FEEDBACK",
            "OBJECTION"
        ]
    );

    // Paging: two at a time through the activity feed reaches the same events.
    let mut after: Option<String> = None;
    let mut paged = Vec::new();
    loop {
        let page = server
            .gql_ok(
                "query($h: UUID!, $after: String) { hub(id: $h) { activity(first: 2, after: $after) {
                   edges { node { position } } pageInfo { hasNextPage endCursor } } } }",
                json!({ "h": hub, "after": after }),
                Some(&auditor),
            )
            .await?;
        let a = &page["hub"]["activity"];
        paged.extend(
            a["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["position"].as_u64().unwrap()),
        );
        if a["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = a["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(
        paged,
        from_receipts.iter().map(|(_, p)| *p).collect::<Vec<_>>()
    );

    // A graceful restart on the same data: every read model reads the same.
    drop(ws);
    drop(status_ws);
    let server = server.restart().await?;
    let after_restart = server.gql_ok(STORY, vars, Some(&auditor)).await?;
    assert_eq!(after_restart, before);

    let status = server.stop().await?;
    assert!(status.success(), "cohub serve exited with {status}");
    Ok(())
}
