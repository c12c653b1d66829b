//! Rounds of a cost/reward distribution over real HTTP on a real `cohub serve --demo` (the
//! Black Country hub, its distribution agreed at version 2):
//!
//! - one truth for consent: a party that consents and then objects shows as missing and
//!   objecting, not as consented;
//! - an objection is answered by the distribution's proposer (the answer shown beside it, the
//!   objection still blocking) and withdrawn by its author, after which the status changes;
//! - a variation leaves the agreed version in force (found by the `AGREED` filter) and, once
//!   abandoned, stays in force; a facilitator closes a round that cannot agree;
//! - when the idea is withdrawn, an open distribution lapses (shown, sent live, and refusing
//!   consent), while the agreed one stays in force and takes no new round.

use anyhow::{bail, Result};
use cohub_domain::distribution::Terms;
use cohub_domain::example;
use cohub_domain::PlainText;
use cohub_e2e::{demo_token, Server};
use serde_json::{json, Value};
use uuid::Uuid;

fn text(t: &PlainText) -> Value {
    json!({ "text": t.text, "lang": t.lang })
}

fn en(s: &str) -> Value {
    json!({ "text": s, "lang": "en" })
}

/// A GraphQL enum value from a domain enum's snake_case serde name.
fn gql_enum<T: serde::Serialize>(value: &T) -> Value {
    let s = serde_json::to_value(value).unwrap();
    json!(s.as_str().expect("a unit enum").to_uppercase())
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

/// What the tests read of a distribution.
const DISTRIBUTION_FIELDS: &str = "
    id status variationOpen
    inForce { version } openVersion { version }
    missingConsents { organisationId }
    consentedParties { organisationId }
    objectingParties { organisationId }
    consents { version organisation { organisationId } standing voided }
    objections {
      version organisation { organisationId } reason { text } standing
      objected { memberName }
      answer { text { text } answered { memberName } }
      withdrawal { note { text } withdrawn { memberName } }
      heard { answered }
    }
    roundEndings { version kind reason { text } ended { memberName } }
    lapse { cause reason { text } lapsed { memberName } }";

/// A demo server and a token per demo person.
struct Demo {
    server: Server,
    _dir: tempfile::TempDir,
}

impl Demo {
    async fn start() -> Result<Demo> {
        let dir = tempfile::tempdir()?;
        let server = Server::start_with(dir.path(), &["--demo"]).await?;
        Ok(Demo { server, _dir: dir })
    }

    async fn token(&self, key: &str) -> Result<String> {
        demo_token(&self.server.data, key).await
    }

    /// Runs `field(input: $input)` as `who`, selecting `select` of the changed distribution;
    /// returns the whole answer (data and errors).
    async fn mutate_selecting(
        &self,
        who: &str,
        field: &str,
        input_type: &str,
        input: Value,
        select: &str,
    ) -> Result<Value> {
        let tok = self.token(who).await?;
        let query = format!(
            "mutation($input: {input_type}!) {{ {field}(input: $input) {{ distribution {{ {select} }} }} }}"
        );
        self.server
            .gql(&query, json!({ "input": input }), Some(&tok))
            .await
    }

    /// Runs `field(input: $input)` as `who`; returns the whole answer (data and errors).
    async fn mutate(
        &self,
        who: &str,
        field: &str,
        input_type: &str,
        input: Value,
    ) -> Result<Value> {
        self.mutate_selecting(who, field, input_type, input, DISTRIBUTION_FIELDS)
            .await
    }

    /// Like [`Demo::mutate_selecting`], failing on any error; returns the changed distribution.
    async fn ok_selecting(
        &self,
        who: &str,
        field: &str,
        input_type: &str,
        input: Value,
        select: &str,
    ) -> Result<Value> {
        let body = self
            .mutate_selecting(who, field, input_type, input, select)
            .await?;
        if body.get("errors").is_some_and(|e| !e.is_null()) {
            bail!("{field} by {who} failed: {body}");
        }
        Ok(body["data"][field]["distribution"].clone())
    }

    /// Like [`Demo::mutate`], failing on any error; returns the changed distribution.
    async fn ok(&self, who: &str, field: &str, input_type: &str, input: Value) -> Result<Value> {
        self.ok_selecting(who, field, input_type, input, DISTRIBUTION_FIELDS)
            .await
    }

    /// Like [`Demo::mutate`], expecting a refusal; returns (code, rule, message).
    async fn refused(
        &self,
        who: &str,
        field: &str,
        input_type: &str,
        input: Value,
    ) -> Result<(String, String, String)> {
        let body = self.mutate(who, field, input_type, input).await?;
        let e = &body["errors"][0];
        if e.is_null() {
            bail!("{field} by {who} should have been refused: {body}");
        }
        Ok((
            e["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            e["extensions"]["rule"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            e["message"].as_str().unwrap_or_default().to_string(),
        ))
    }

    /// The distribution as a member reads it.
    async fn distribution(&self, id: Uuid) -> Result<Value> {
        let tok = self.token("nurse").await?;
        let data = self
            .server
            .gql_ok(
                &format!(
                    "query($id: UUID!) {{ distribution(id: $id) {{ {DISTRIBUTION_FIELDS} }} }}"
                ),
                json!({ "id": id }),
                Some(&tok),
            )
            .await?;
        Ok(data["distribution"].clone())
    }

    /// The ids of the hub's distributions in a status.
    async fn listed(&self, status: &str) -> Result<Vec<String>> {
        let tok = self.token("nurse").await?;
        let data = self
            .server
            .gql_ok(
                "query($hub: UUID!, $status: DistributionStatus) { hub(id: $hub) {
                   distributions(status: $status) { edges { node { id } } } } }",
                json!({ "hub": example::HUB.uuid(), "status": status }),
                Some(&tok),
            )
            .await?;
        Ok(data["hub"]["distributions"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect())
    }

    /// A new distribution for the example's idea, proposed by the firm's lead with version 1's
    /// terms (GlucoLink, Brierley Homes, the mosque group and the ICB as parties).
    async fn propose(&self) -> Result<Uuid> {
        let id = Uuid::now_v7();
        self.ok_selecting(
            "firm_lead",
            "proposeDistribution",
            "ProposeDistributionInput",
            json!({ "ideaId": example::IDEA.uuid(), "distributionId": id,
                    "terms": terms(&example::terms_v1()) }),
            "id",
        )
        .await?;
        Ok(id)
    }

    /// A consent (selecting only what existed before the new fields: `id status`).
    async fn consent(&self, who: &str, id: Uuid, version: u32) -> Result<Value> {
        self.ok_selecting(
            who,
            "consentToDistribution",
            "ConsentToDistributionInput",
            json!({ "distributionId": id, "version": version }),
            "id status",
        )
        .await
    }

    /// An objection (selecting only `id status`).
    async fn object(&self, who: &str, id: Uuid, version: u32, reason: &str) -> Result<Value> {
        self.ok_selecting(
            who,
            "objectToDistribution",
            "ObjectToDistributionInput",
            json!({ "distributionId": id, "version": version, "reason": en(reason) }),
            "id status",
        )
        .await
    }
}

fn org(id: cohub_domain::OrganisationId) -> String {
    id.to_string()
}

fn orgs(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["organisationId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_consent_then_an_objection_by_the_same_party_counts_as_missing_and_objecting(
) -> Result<()> {
    let demo = Demo::start().await?;
    let d = demo.propose().await?;
    demo.consent("housing_lead", d, 1).await?;
    demo.object(
        "housing_lead",
        d,
        1,
        "On reflection, tenants bear the cost of the calls.",
    )
    .await?;
    // Only fields that existed before the fix first: the defect showed in `missingConsents`.
    let tok = demo.token("nurse").await?;
    let before = demo
        .server
        .gql_ok(
            "query($id: UUID!) { distribution(id: $id) { missingConsents { organisationId } } }",
            json!({ "id": d }),
            Some(&tok),
        )
        .await?;
    let housing = org(example::ORG_HOUSING);
    assert!(
        orgs(&before["distribution"]["missingConsents"]).contains(&housing),
        "Brierley Homes objected after consenting, so its consent is missing: {before}"
    );
    let now = demo.distribution(d).await?;
    assert_eq!(
        orgs(&now["objectingParties"]),
        vec![housing.clone()],
        "{now}"
    );
    assert!(orgs(&now["consentedParties"]).is_empty(), "{now}");
    assert_eq!(now["consents"][0]["standing"], false, "{now}");
    assert_eq!(now["consents"][0]["voided"], false, "{now}");
    assert_eq!(now["objections"][0]["standing"], true, "{now}");
    Ok(())
}

#[tokio::test]
async fn an_objection_is_answered_beside_it_and_withdrawn_by_its_author() -> Result<()> {
    let demo = Demo::start().await?;
    let d = demo.propose().await?;
    let app = org(example::ORG_BLOOMMIND);
    demo.object(
        "app_lead",
        d,
        1,
        "Our app already sends reminders; this duplicates it.",
    )
    .await?;

    // Only the proposer answers.
    let answer = |version: u32, text: &str| json!({ "distributionId": d, "version": version, "organisationId": app, "answer": en(text) });
    let (code, _, _) = demo
        .refused(
            "housing_lead",
            "answerObjection",
            "AnswerObjectionInput",
            answer(1, "No."),
        )
        .await?;
    assert_eq!(code, "FORBIDDEN");
    let answered = demo
        .ok(
            "firm_lead",
            "answerObjection",
            "AnswerObjectionInput",
            answer(1, "Voice calls reach residents who do not use apps."),
        )
        .await?;
    let objection = &answered["objections"][0];
    assert_eq!(
        objection["answer"]["text"]["text"], "Voice calls reach residents who do not use apps.",
        "{answered}"
    );
    assert_eq!(objection["answer"]["answered"]["memberName"], "Dan Okafor");
    assert_eq!(objection["heard"]["answered"], true);
    assert_eq!(objection["standing"], true, "an answer does not lift it");
    assert_eq!(answered["status"], "PROPOSED");
    let (code, _, _) = demo
        .refused(
            "firm_lead",
            "answerObjection",
            "AnswerObjectionInput",
            answer(1, "Again."),
        )
        .await?;
    assert_eq!(code, "CONFLICT");

    // Every party consents; the objection still blocks.
    for who in [
        "firm_lead",
        "housing_lead",
        "mosque_lead",
        "icb_commissioner",
    ] {
        let after = demo.consent(who, d, 1).await?;
        assert_eq!(after["status"], "PROPOSED", "{after}");
    }
    let (code, rule, _) = demo
        .refused(
            "facilitator",
            "closeAgreement",
            "CloseAgreementInput",
            json!({ "distributionId": d, "version": 1 }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), rule.as_str()),
        ("RULE", "open_objection_blocks_agreement")
    );

    // Nobody but the objecting organisation withdraws it.
    let withdraw =
        json!({ "distributionId": d, "version": 1, "note": en("Fair point about voice calls.") });
    let (code, _, _) = demo
        .refused(
            "nurse",
            "withdrawObjection",
            "WithdrawObjectionInput",
            withdraw.clone(),
        )
        .await?;
    assert_eq!(code, "NOT_FOUND");
    let agreed = demo
        .ok(
            "app_lead",
            "withdrawObjection",
            "WithdrawObjectionInput",
            withdraw,
        )
        .await?;
    assert_eq!(agreed["status"], "AGREED", "{agreed}");
    assert_eq!(agreed["inForce"]["version"], 1);
    assert!(orgs(&agreed["objectingParties"]).is_empty());
    let objection = &agreed["objections"][0];
    assert_eq!(objection["standing"], false);
    assert_eq!(
        objection["withdrawal"]["withdrawn"]["memberName"],
        "Sara Lindqvist"
    );
    assert_eq!(
        objection["withdrawal"]["note"]["text"],
        "Fair point about voice calls."
    );
    assert_eq!(
        objection["answer"]["text"]["text"], "Voice calls reach residents who do not use apps.",
        "the answer stays beside it"
    );

    // The history and the decision trail tell it in plain words.
    let tok = demo.token("icb_commissioner").await?;
    let data = demo
        .server
        .gql_ok(
            "query($hub: UUID!, $d: UUID!) {
               history(hubId: $hub, distributionId: $d) { edges { node { eventType summary } } }
               decisionTrail(distributionId: $d) {
                 status inForce
                 objections { standing answer { text { text } by { memberName } } withdrawal { by { memberName } } }
                 steps { eventType summary }
               }
             }",
            json!({ "hub": example::HUB.uuid(), "d": d }),
            Some(&tok),
        )
        .await?;
    let summaries: Vec<String> = data["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["summary"].as_str().unwrap().to_string())
        .collect();
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("answered the objection of BloomMind to version 1")),
        "{summaries:?}"
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("BloomMind withdrew its objection to version 1")),
        "{summaries:?}"
    );
    let trail = &data["decisionTrail"];
    assert_eq!(trail["status"], "agreed");
    assert_eq!(trail["inForce"], 1);
    assert_eq!(
        trail["objections"][0]["answer"]["by"]["memberName"],
        "Dan Okafor"
    );
    assert_eq!(
        trail["objections"][0]["withdrawal"]["by"]["memberName"],
        "Sara Lindqvist"
    );
    assert_eq!(trail["objections"][0]["standing"], false);
    Ok(())
}

#[tokio::test]
async fn an_abandoned_variation_leaves_the_agreed_version_in_force_and_a_stuck_round_can_be_closed(
) -> Result<()> {
    let demo = Demo::start().await?;
    let agreed = example::DISTRIBUTION.uuid();
    let varied = demo
        .ok(
            "firm_lead",
            "startVariationRound",
            "StartVariationRoundInput",
            json!({ "distributionId": agreed, "terms": terms(&example::terms_v1()),
                    "rationale": en("Carers Together asked to leave the pilot.") }),
        )
        .await?;
    assert_eq!(varied["status"], "AGREED", "{varied}");
    assert_eq!(varied["inForce"]["version"], 2);
    assert_eq!(varied["openVersion"]["version"], 3);
    assert_eq!(varied["variationOpen"], true);
    assert!(demo.listed("AGREED").await?.contains(&agreed.to_string()));
    demo.consent("housing_lead", agreed, 3).await?;

    let abandon =
        json!({ "distributionId": agreed, "reason": en("Carers Together decided to stay.") });
    let (code, _, _) = demo
        .refused(
            "nurse",
            "abandonVariation",
            "AbandonVariationInput",
            abandon.clone(),
        )
        .await?;
    assert_eq!(code, "FORBIDDEN");
    let abandoned = demo
        .ok(
            "mosque_lead",
            "abandonVariation",
            "AbandonVariationInput",
            abandon.clone(),
        )
        .await?;
    assert_eq!(abandoned["status"], "AGREED", "{abandoned}");
    assert_eq!(abandoned["inForce"]["version"], 2);
    assert!(abandoned["openVersion"].is_null());
    assert_eq!(abandoned["variationOpen"], false);
    assert_eq!(abandoned["roundEndings"][0]["kind"], "ABANDONED");
    assert_eq!(abandoned["roundEndings"][0]["version"], 3);
    assert_eq!(
        abandoned["roundEndings"][0]["ended"]["memberName"],
        "Imran Hussain"
    );
    assert_eq!(
        orgs(&abandoned["consentedParties"]).len(),
        5,
        "version 2's parties"
    );
    assert!(demo.listed("AGREED").await?.contains(&agreed.to_string()));
    let (code, rule, _) = demo
        .refused(
            "icb_commissioner",
            "consentToDistribution",
            "ConsentToDistributionInput",
            json!({ "distributionId": agreed, "version": 3 }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), rule.as_str()),
        ("RULE", "agreed_distribution_varies_only_by_new_round")
    );
    let (_, rule, _) = demo
        .refused(
            "mosque_lead",
            "abandonVariation",
            "AbandonVariationInput",
            abandon,
        )
        .await?;
    assert_eq!(rule, "no_variation_open");

    // A round that cannot agree is closed by a facilitator, with a reason.
    let stuck = demo.propose().await?;
    demo.object(
        "mosque_lead",
        stuck,
        1,
        "The mosque group cannot host the sessions.",
    )
    .await?;
    let close = json!({ "distributionId": stuck, "version": 1,
                        "reason": en("Three meetings and no way through.") });
    let (code, _, _) = demo
        .refused(
            "firm_lead",
            "closeWithoutAgreement",
            "CloseWithoutAgreementInput",
            close.clone(),
        )
        .await?;
    assert_eq!(code, "FORBIDDEN");
    let closed = demo
        .ok(
            "facilitator",
            "closeWithoutAgreement",
            "CloseWithoutAgreementInput",
            close,
        )
        .await?;
    assert_eq!(closed["status"], "CLOSED_WITHOUT_AGREEMENT", "{closed}");
    assert!(closed["openVersion"].is_null() && closed["inForce"].is_null());
    assert_eq!(
        closed["roundEndings"][0]["kind"],
        "CLOSED_WITHOUT_AGREEMENT"
    );
    assert_eq!(
        closed["roundEndings"][0]["reason"]["text"],
        "Three meetings and no way through."
    );
    let (code, rule, _) = demo
        .refused(
            "housing_lead",
            "consentToDistribution",
            "ConsentToDistributionInput",
            json!({ "distributionId": stuck, "version": 1 }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), rule.as_str()),
        ("RULE", "distribution_closed")
    );
    assert!(demo
        .listed("CLOSED_WITHOUT_AGREEMENT")
        .await?
        .contains(&stuck.to_string()));
    Ok(())
}

#[tokio::test]
async fn a_withdrawn_idea_lapses_its_open_distribution_which_then_refuses_consent() -> Result<()> {
    let demo = Demo::start().await?;
    let open = demo.propose().await?;
    demo.consent("firm_lead", open, 1).await?;

    // Watched live from before the idea is withdrawn.
    let tok = demo.token("housing_lead").await?;
    let mut ws = demo.server.subscribe_client(Some(&tok)).await?;
    ws.subscribe(
        "status",
        "subscription($d: UUID!) { distributionStatus(distributionId: $d) {
           status openVersion missingConsents lapseReason eventType } }",
        json!({ "d": open }),
    )
    .await?;
    let first = ws.next_payload("status").await?;
    assert_eq!(
        first["data"]["distributionStatus"]["status"], "PROPOSED",
        "{first}"
    );

    let tok = demo.token("champion").await?;
    demo.server
        .gql_ok(
            "mutation($input: WithdrawIdeaInput!) { withdrawIdea(input: $input) { idea { status } } }",
            json!({ "input": { "ideaId": example::IDEA.uuid(),
                               "reason": en("The residents chose a text-message service instead.") } }),
            Some(&tok),
        )
        .await?;

    let lapsed = demo.distribution(open).await?;
    assert_eq!(lapsed["status"], "LAPSED", "{lapsed}");
    assert!(lapsed["openVersion"].is_null());
    assert_eq!(lapsed["lapse"]["cause"], "IDEA_WITHDRAWN");
    assert_eq!(
        lapsed["lapse"]["reason"]["text"],
        "The residents chose a text-message service instead."
    );
    assert_eq!(lapsed["lapse"]["lapsed"]["memberName"], "Amina Begum");
    assert_eq!(
        orgs(&lapsed["consentedParties"]),
        vec![org(example::ORG_GLUCOLINK)]
    );
    assert!(demo.listed("LAPSED").await?.contains(&open.to_string()));

    let live = ws.next_payload("status").await?;
    let live = &live["data"]["distributionStatus"];
    assert_eq!(live["status"], "LAPSED", "{live}");
    assert_eq!(live["eventType"], "IdeaWithdrawn");
    assert_eq!(
        live["lapseReason"],
        "The residents chose a text-message service instead."
    );

    let (code, rule, message) = demo
        .refused(
            "housing_lead",
            "consentToDistribution",
            "ConsentToDistributionInput",
            json!({ "distributionId": open, "version": 1 }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), rule.as_str()),
        ("RULE", "distribution_lapsed")
    );
    assert!(
        message.contains("The residents chose a text-message service instead."),
        "{message}"
    );

    // The agreed distribution stays agreed and in force, but takes no new round.
    let agreed = demo.distribution(example::DISTRIBUTION.uuid()).await?;
    assert_eq!(agreed["status"], "AGREED", "{agreed}");
    assert_eq!(agreed["inForce"]["version"], 2);
    assert_eq!(agreed["lapse"]["cause"], "IDEA_WITHDRAWN");
    let (_, rule, _) = demo
        .refused(
            "firm_lead",
            "startVariationRound",
            "StartVariationRoundInput",
            json!({ "distributionId": example::DISTRIBUTION.uuid(),
                    "terms": terms(&example::terms_v1()), "rationale": en("Second year.") }),
        )
        .await?;
    assert_eq!(rule, "distribution_lapsed");
    Ok(())
}
