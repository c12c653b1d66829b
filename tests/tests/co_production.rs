//! Co-production rules over real HTTP on a real `cohub serve --demo` (issue 11, points 4, 7, 10):
//! only members of a community organisation act as community champions, an on-behalf proposal
//! records how the residents agreed to be represented, "answered" means answered (a revision
//! answers only what it names, feedback only what is addressed to it), and a perspective can be
//! about social causes. Every refusal leaves the log exactly as it was.

use anyhow::{ensure, Context, Result};
use cohub_domain::example::*;
use cohub_domain::hub::{HubEvent, MemberAdmitted};
use cohub_domain::{DomainEvent, MemberId, Role};
use cohub_e2e::{token, Server};
use cohub_store::{ActorRef, AppendRequest, EventStore, ExpectedVersion, NewEvent};
use serde_json::{json, Value};
use uuid::Uuid;

fn pt(text: &str) -> Value {
    json!({ "text": text, "lang": "en" })
}

async fn tok(server: &Server, member: MemberId) -> Result<String> {
    token(&server.data, member.uuid()).await
}

/// The hub chain's head (`hubSeq`, `hash`): equal before and after a refusal means the log is
/// exactly as it was.
async fn head(server: &Server) -> Result<Value> {
    Ok(server
        .gql_ok(
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
            json!({ "h": HUB.uuid() }),
            None,
        )
        .await?["chainHead"]
        .clone())
}

/// The first error's `extensions` (code, rule) of a refused request, checking the log is
/// unchanged.
async fn refused(server: &Server, query: &str, vars: Value, token: &str) -> Result<Value> {
    let before = head(server).await?;
    let body = server.gql(query, vars, Some(token)).await?;
    let errors = body["errors"]
        .as_array()
        .with_context(|| format!("expected a refusal, got {body}"))?;
    ensure!(head(server).await? == before, "a refusal changed the log");
    Ok(errors[0]["extensions"].clone())
}

const PROPOSE: &str = "mutation($i: ProposeIdeaInput!) { proposeIdea(input: $i) {
    idea { id onBehalfOf { residents { text } anonymous howResidentsAgreed { text } } } } }";

fn on_behalf(idea: Uuid, how: Option<Value>) -> Value {
    let mut behalf =
        json!({ "residents": pt("Tenants of the Oak Street flats"), "anonymous": false });
    if let Some(how) = how {
        behalf["howResidentsAgreed"] = how;
    }
    json!({ "i": {
        "problemId": PROBLEM.uuid(), "ideaId": idea,
        "title": pt("A minibus to the screening clinic"),
        "summary": pt("Champions book a minibus for residents who cannot travel alone."),
        "onBehalfOf": behalf,
    } })
}

#[tokio::test]
async fn only_members_of_a_community_organisation_act_as_champions() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let facilitator = tok(&server, FACILITATOR).await?;

    // A facilitator cannot make a member of an innovator a champion, at admission or later.
    let admit = "mutation($i: AdmitMemberInput!) { admitMember(input: $i) { member { id } } }";
    let ext = refused(
        &server,
        admit,
        json!({ "i": { "hubId": HUB.uuid(), "memberId": Uuid::now_v7(),
                       "organisationId": ORG_GLUCOLINK.uuid(), "name": "Priya Shah",
                       "role": "CHAMPION" } }),
        &facilitator,
    )
    .await?;
    assert_eq!(ext["code"], "RULE", "{ext}");
    assert_eq!(ext["rule"], "champions_belong_to_community_organisations");
    let change =
        "mutation($i: ChangeMemberRoleInput!) { changeMemberRole(input: $i) { member { role } } }";
    let ext = refused(
        &server,
        change,
        json!({ "i": { "hubId": HUB.uuid(), "memberId": FIRM_LEAD.uuid(), "role": "CHAMPION" } }),
        &facilitator,
    )
    .await?;
    assert_eq!(ext["rule"], "champions_belong_to_community_organisations");

    // A log written before the rule can hold a champion of an innovator: such a member
    // cannot propose on behalf of residents.
    let legacy = MemberId::new();
    let data = server.data.clone();
    server.stop().await?;
    append_legacy_champion(&data, legacy).await?;
    let server = Server::start(&data).await?;
    let legacy_token = tok(&server, legacy).await?;
    let members = server
        .gql_ok(
            "query($h: UUID!) { hub(id: $h) { members { id role organisationName } } }",
            json!({ "h": HUB.uuid() }),
            Some(&legacy_token),
        )
        .await?;
    let me = members["hub"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == json!(legacy.uuid()))
        .context("the legacy champion is a member")?
        .clone();
    assert_eq!(me["role"], "CHAMPION");
    assert_eq!(me["organisationName"], "GlucoLink");
    let ext = refused(
        &server,
        PROPOSE,
        on_behalf(Uuid::now_v7(), Some(pt("At the tenants' meeting."))),
        &legacy_token,
    )
    .await?;
    assert_eq!(ext["code"], "RULE", "{ext}");
    assert_eq!(ext["rule"], "champions_belong_to_community_organisations");

    // A champion of the housing association may.
    let champion = tok(&server, CHAMPION_2).await?;
    server
        .gql_ok(
            PROPOSE,
            on_behalf(Uuid::now_v7(), Some(pt("At the tenants' meeting."))),
            Some(&champion),
        )
        .await?;
    server.stop().await?;
    Ok(())
}

/// Appends, straight to the stopped server's log, a `MemberAdmitted` of a champion of GlucoLink
/// (an innovator), as a log written before champions had to belong to a community
/// organisation would hold.
async fn append_legacy_champion(data: &std::path::Path, member: MemberId) -> Result<()> {
    let store = cohub_store::sled_store::SledStore::open(&data.join("log"))?;
    let event: DomainEvent = HubEvent::MemberAdmitted(MemberAdmitted {
        hub_id: HUB,
        member_id: member,
        organisation_id: ORG_GLUCOLINK,
        name: "Dev Patel".into(),
        role: Role::Champion,
        by: FACILITATOR,
        at: chrono::Utc::now(),
    })
    .into();
    store
        .append(AppendRequest {
            hub_id: HUB.uuid(),
            stream_id: HUB.stream_id(),
            expected_version: ExpectedVersion::Any,
            actor: ActorRef {
                member_id: FACILITATOR.uuid(),
                organisation_id: Some(ORG_PUBLIC_HEALTH.uuid()),
                stakeholder_kind: Some("commissioner".into()),
                role: "facilitator".into(),
            },
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            idempotency_key: None,
            client_fingerprint: None,
            events: vec![NewEvent {
                event_id: Uuid::now_v7(),
                event_type: event.event_type().to_string(),
                schema_version: event.schema_version(),
                payload: event.to_payload(),
            }],
        })
        .await?;
    store.close().await?;
    Ok(())
}

#[tokio::test]
async fn an_on_behalf_proposal_records_how_the_residents_agreed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let champion = tok(&server, CHAMPION_2).await?;

    // Without it: refused, with a code, and nothing written.
    let ext = refused(&server, PROPOSE, on_behalf(Uuid::now_v7(), None), &champion).await?;
    assert_eq!(ext["code"], "VALIDATION", "{ext}");
    let ext = refused(
        &server,
        PROPOSE,
        on_behalf(Uuid::now_v7(), Some(pt("   "))),
        &champion,
    )
    .await?;
    assert_eq!(ext["code"], "VALIDATION", "{ext}");

    // With it: shown on the idea, in the history and in the decision trail.
    let idea = Uuid::now_v7();
    let how = "Twelve tenants agreed at the residents' drop-in on 3 March.";
    let data = server
        .gql_ok(PROPOSE, on_behalf(idea, Some(pt(how))), Some(&champion))
        .await?;
    assert_eq!(
        data["proposeIdea"]["idea"]["onBehalfOf"]["howResidentsAgreed"]["text"],
        how
    );
    let audit = server
        .gql_ok(
            "query($h: UUID!, $i: UUID!) {
               history(hubId: $h, ideaId: $i) { edges { node { eventType summary } } }
               decisionTrail(ideaId: $i) { onBehalfOf { text } howResidentsAgreed { text } } }",
            json!({ "h": HUB.uuid(), "i": idea }),
            Some(&champion),
        )
        .await?;
    let summary = audit["history"]["edges"][0]["node"]["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        summary.ends_with(&format!("How they agreed to be represented: {how}")),
        "{summary}"
    );
    assert_eq!(audit["decisionTrail"]["howResidentsAgreed"]["text"], how);

    // The demo story records it for the champion's idea.
    let demo = server
        .gql_ok(
            "query($i: UUID!) { idea(id: $i) { onBehalfOf { howResidentsAgreed { text } } } }",
            json!({ "i": IDEA.uuid() }),
            Some(&champion),
        )
        .await?;
    assert!(demo["idea"]["onBehalfOf"]["howResidentsAgreed"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("tenants' association meeting")));
    server.stop().await?;
    Ok(())
}

const UNANSWERED: &str = "query($h: UUID!) { hub(id: $h) {
    contributions(unansweredOnly: true, first: 100) { edges { node {
      kind perspectiveId feedbackId daysWaited heard { answered } } } } } }";

/// The ids (perspective or feedback) of the hub's unanswered contributions.
async fn unanswered(server: &Server, token: &str) -> Result<Vec<Value>> {
    let data = server
        .gql_ok(UNANSWERED, json!({ "h": HUB.uuid() }), Some(token))
        .await?;
    let mut ids = Vec::new();
    for edge in data["hub"]["contributions"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        assert_eq!(node["heard"]["answered"], false);
        assert!(node["daysWaited"].is_i64(), "{node}");
        for key in ["perspectiveId", "feedbackId"] {
            if !node[key].is_null() {
                ids.push(node[key].clone());
            }
        }
    }
    Ok(ids)
}

#[tokio::test]
async fn a_revision_naming_one_of_two_perspectives_leaves_the_other_unanswered() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let champion = tok(&server, CHAMPION).await?;
    let housing = tok(&server, HOUSING_LEAD).await?;
    // Two unanswered perspectives by others: the ICB's (from the story) and a new one.
    let social = Uuid::now_v7();
    server
        .gql_ok(
            "mutation($i: AddPerspectiveInput!) { addPerspective(input: $i) { perspective { id } } }",
            json!({ "i": { "problemId": PROBLEM.uuid(), "perspectiveId": social,
                           "kind": "SOCIAL_CAUSES", "text": pt("Shift work and overcrowding leave no time for appointments.") } }),
            Some(&housing),
        )
        .await?;
    let commissioning = json!(PERSPECTIVE_COMMISSIONING.uuid());
    let before = unanswered(&server, &champion).await?;
    assert!(before.contains(&commissioning) && before.contains(&json!(social)));

    let revise = "mutation($i: ReviseProblemInput!) { reviseProblem(input: $i) {
        problem { current { version answers } perspectives { id heard { answered answer { kind by { memberName } } } } } } }";
    let input = |answers: Value| {
        json!({ "i": {
            "problemId": PROBLEM.uuid(),
            "framing": {
                "title": pt("Residents with type 2 diabetes miss retinal screening because invitations are letters in English only."),
                "statement": pt("Screening invitations arrive as English letters, so appointments are missed."),
                "affected": pt("Residents who speak Urdu, Punjabi or Bengali at home."),
                "place": pt("Brierley Hill and Smethwick"),
            },
            "rationale": pt("The ICB's uptake figures show how wide the gap is."),
            "answers": answers,
        } })
    };
    // Naming something that is not on the problem, or one's own perspective, is refused.
    let ext = refused(&server, revise, input(json!([Uuid::now_v7()])), &champion).await?;
    assert_eq!(ext["code"], "NOT_FOUND", "{ext}");
    let ext = refused(
        &server,
        revise,
        input(json!([PERSPECTIVE_LIVED.uuid()])),
        &champion,
    )
    .await?;
    assert_eq!(ext["code"], "VALIDATION", "{ext}");

    let data = server
        .gql_ok(revise, input(json!([commissioning])), Some(&champion))
        .await?;
    let problem = &data["reviseProblem"]["problem"];
    assert_eq!(problem["current"]["answers"], json!([commissioning]));
    let heard = |id: &Value| {
        problem["perspectives"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| &p["id"] == id)
            .unwrap()["heard"]
            .clone()
    };
    assert_eq!(heard(&commissioning)["answer"]["kind"], "REVISION");
    assert_eq!(
        heard(&commissioning)["answer"]["by"]["memberName"],
        "Amina Begum"
    );
    assert_eq!(heard(&json!(social))["answered"], false);
    let after = unanswered(&server, &champion).await?;
    assert!(after.contains(&json!(social)), "the other stays unanswered");
    assert!(!after.contains(&commissioning));
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_response_to_one_feedback_leaves_the_other_unanswered() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let champion = tok(&server, CHAMPION).await?;
    let give = "mutation($i: GiveFeedbackInput!) { giveFeedback(input: $i) { feedback { id } } }";
    let (nurse_feedback, gp_feedback) = (Uuid::now_v7(), Uuid::now_v7());
    for (who, id, text) in [
        (
            NURSE,
            nurse_feedback,
            "Could the reminders go out a week ahead?",
        ),
        (GP, gp_feedback, "Could carers hear them too?"),
    ] {
        server
            .gql_ok(
                give,
                json!({ "i": { "ideaId": IDEA.uuid(), "feedbackId": id, "text": pt(text) } }),
                Some(&tok(&server, who).await?),
            )
            .await?;
    }
    server
        .gql_ok(
            "mutation($i: RespondToFeedbackInput!) { respondToFeedback(input: $i) { feedback { id } } }",
            json!({ "i": { "ideaId": IDEA.uuid(), "feedbackId": nurse_feedback,
                           "text": pt("Yes: a week ahead, and again the day before.") } }),
            Some(&champion),
        )
        .await?;
    let waiting = unanswered(&server, &champion).await?;
    assert!(!waiting.contains(&json!(nurse_feedback)));
    assert!(
        waiting.contains(&json!(gp_feedback)),
        "a response to the nurse's feedback does not answer the GP's"
    );

    // A revision of the idea that names the GP's feedback answers it.
    let data = server
        .gql_ok(
            "mutation($i: ReviseIdeaInput!) { reviseIdea(input: $i) { idea {
               current { version answers } feedback { id heard { answer { kind } } } } } }",
            json!({ "i": { "ideaId": IDEA.uuid(),
                           "title": pt("Voice reminders for residents and their carers"),
                           "summary": pt("Champions record reminders that residents and carers hear."),
                           "rationale": pt("The GP asked for carers to hear them."),
                           "answers": [gp_feedback] } }),
            Some(&champion),
        )
        .await?;
    assert_eq!(
        data["reviseIdea"]["idea"]["current"]["answers"],
        json!([gp_feedback])
    );
    assert!(!unanswered(&server, &champion)
        .await?
        .contains(&json!(gp_feedback)));
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_perspective_on_social_causes_is_added_over_http() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let housing = tok(&server, HOUSING_LEAD).await?;
    let data = server
        .gql_ok(
            "mutation($i: AddPerspectiveInput!) { addPerspective(input: $i) {
               perspective { kind text { text } added { memberName } } } }",
            json!({ "i": { "problemId": PROBLEM.uuid(), "kind": "SOCIAL_CAUSES",
                           "text": pt("Damp, crowded homes and zero-hours work make a morning appointment impossible.") } }),
            Some(&housing),
        )
        .await?;
    let p = &data["addPerspective"]["perspective"];
    assert_eq!(p["kind"], "SOCIAL_CAUSES");
    assert_eq!(p["added"]["memberName"], "Helen Ward");
    let history = server
        .gql_ok(
            "query($h: UUID!) { history(hubId: $h, filter: { eventTypes: [\"PerspectiveAdded\"] }) {
               edges { node { summary } } } }",
            json!({ "h": HUB.uuid() }),
            Some(&housing),
        )
        .await?;
    let last = history["history"]["edges"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["node"]["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        last.starts_with("Helen Ward added a social causes perspective"),
        "{last}"
    );
    server.stop().await?;
    Ok(())
}
