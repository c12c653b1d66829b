//! The distribution page of the web app, driven over real HTTP as the demo's people: the
//! versions side by side with parties, costs, rewards and totals; an objection with its
//! reason, the proposer's answer and the objection's withdrawal, each seen on the page and in
//! the exported log; a consent form sent twice recorded once; and a member the API does not
//! allow (a champion who is not a lead) refused with the API's own words, status 422, and the
//! log unchanged.
//!
//! Needs the binary: `cargo build --workspace --all-features --bin cohub` first.

use anyhow::{bail, ensure, Context, Result};
use cohub_e2e::{demo_token, export_log, token, Server};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use uuid::Uuid;

const HUB: &str = "0c0b0000-0001-7000-8000-000000000001";
const DISTRIBUTION: &str = "0c0b0000-0006-7000-8000-000000000001";
const MOSQUE: &str = "0c0b0000-0002-7000-8000-000000000003";

fn page() -> String {
    format!("/hubs/{HUB}/distributions/{DISTRIBUTION}")
}

/// A browser-like client of the web app: no redirects followed, so a 303 is seen.
struct Web {
    http: reqwest::Client,
}

/// An answer: status, `Location` if any, body.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Web {
    fn new() -> Result<Web> {
        Ok(Web {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()?,
        })
    }

    async fn get(&self, server: &Server, token: &str, path: &str) -> Result<Answer> {
        let resp = self
            .http
            .get(server.url(path))
            .header("cookie", format!("cohub_session={token}"))
            .send()
            .await?;
        answer(resp).await
    }

    async fn post(
        &self,
        server: &Server,
        token: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Answer> {
        let resp = self
            .http
            .post(server.url(path))
            .header("cookie", format!("cohub_session={token}"))
            .form(fields)
            .send()
            .await?;
        answer(resp).await
    }
}

async fn answer(resp: reqwest::Response) -> Result<Answer> {
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(Answer {
        status,
        location,
        body: resp.text().await?,
    })
}

/// The value of the first `name="..."` input after `from` in `html`.
fn input_value<'a>(html: &'a str, from: usize, name: &str) -> Option<&'a str> {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html[from..].find(&marker)? + from + marker.len();
    let end = html[at..].find('"')? + at;
    Some(&html[at..end])
}

/// The hidden `idempotency_key` and `form_token` of the form posting to `action`.
fn form_keys(html: &str, action: &str) -> Result<(String, String)> {
    let at = html
        .find(&format!("action=\"{action}\""))
        .with_context(|| format!("no form posting to {action} on the page"))?;
    let key = input_value(html, at, "idempotency_key").context("no idempotency key")?;
    let token = input_value(html, at, "form_token").context("no form token")?;
    Ok((key.to_string(), token.to_string()))
}

/// The session's form token (every signed-in page has one, in the sign-out form).
fn form_token(html: &str) -> Result<String> {
    let at = html
        .find("action=\"/signout\"")
        .context("no sign-out form")?;
    Ok(input_value(html, at, "form_token")
        .context("no form token")?
        .to_string())
}

/// The page's text without tags (and with entities for quotes undone), to look for words.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn contains(html: &str, words: &str) -> bool {
    text(html).contains(words)
}

async fn demo() -> Result<(tempfile::TempDir, Server)> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    Ok((dir, server))
}

/// The proposer (GlucoLink's lead) opens a variation round on the agreed version 2: version 3
/// gives the ICB's money a new amount and rewords the terms.
async fn open_variation(server: &Server, data: &Path) -> Result<()> {
    let firm = demo_token(data, "firm_lead").await?;
    let current = server
        .gql_ok(
            "query($id: UUID!) { distribution(id: $id) { current {
  parties { organisationId }
  costs { party { organisationId } kind amount unit note { text lang } }
  rewards { kind description { text lang } shares { party { organisationId } basisPoints } }
  terms { text lang } } } }",
            json!({ "id": DISTRIBUTION }),
            Some(&firm),
        )
        .await?;
    let v = &current["distribution"]["current"];
    let costs: Vec<Value> = v["costs"]
        .as_array()
        .context("costs")?
        .iter()
        .map(|c| {
            let amount = if c["kind"] == "MONEY" {
                json!(45000)
            } else {
                c["amount"].clone()
            };
            json!({ "party": c["party"]["organisationId"], "kind": c["kind"], "amount": amount,
                    "unit": c["unit"], "note": c["note"] })
        })
        .collect();
    let rewards: Vec<Value> = v["rewards"]
        .as_array()
        .context("rewards")?
        .iter()
        .map(|r| {
            json!({ "kind": r["kind"], "description": r["description"],
                "shares": r["shares"].as_array().map(|s| s.iter().map(|s| json!({
                    "party": s["party"]["organisationId"], "basisPoints": s["basisPoints"] })).collect::<Vec<_>>()) })
        })
        .collect();
    let parties: Vec<Value> = v["parties"]
        .as_array()
        .context("parties")?
        .iter()
        .map(|p| p["organisationId"].clone())
        .collect();
    server
        .gql_ok(
            "mutation($i: StartVariationRoundInput!) { startVariationRound(input: $i) { distribution { openVersion { version } } } }",
            json!({ "i": {
                "distributionId": DISTRIBUTION,
                "terms": { "parties": parties, "costs": costs, "rewards": rewards,
                           "terms": { "text": "A twelve-month pilot, extended to a second estate." } },
                "rationale": { "text": "The ICB can fund a second estate." },
            }}),
            Some(&firm),
        )
        .await?;
    Ok(())
}

/// The exported log's events of the demo distribution.
fn distribution_events(log: &[Value]) -> Vec<&Value> {
    let stream = format!("distribution-{DISTRIBUTION}");
    log.iter()
        .filter(|e| e["stream_id"] == stream.as_str())
        .collect()
}

/// Stops the server, exports the log, starts it again.
async fn export_between(server: Server, data: &Path) -> Result<(Server, Vec<Value>)> {
    server.stop().await?;
    let log = export_log(data).await?;
    let server = Server::start_with(data, &["--demo"]).await?;
    Ok((server, log))
}

#[tokio::test]
async fn versions_side_by_side_with_parties_costs_rewards_and_totals() -> Result<()> {
    let (dir, server) = demo().await?;
    let web = Web::new()?;
    let champion = demo_token(dir.path(), "champion").await?;
    let a = web.get(&server, &champion, &page()).await?;
    ensure!(a.status == StatusCode::OK, "page: {}", a.status);
    let html = &a.body;
    for words in [
        "Costs and rewards for Community-language voice reminders",
        "Status: Agreed",
        "Version 2 is in force.",
        "Versions side by side",
        "Version 1",
        "Version 2",
        // parties, costs with units, totals
        "Black Country Integrated Care Board",
        "£40,000",
        "200 champion hours",
        "Total 1 platform licence; 120 engineering hours; 200 champion hours; 12 community room sessions; £40,000",
        // rewards as percentages, totals
        "GlucoLink 60%",
        "Carers Together 10%",
        "Total 100%",
        // what changed, in words
        "What changed from version 1",
        "Added party: Carers Together.",
        "Added cost: Carers Together, staff time, 80 carer support hours.",
        "Changed reward: Share of revenue (shares).",
        "Changed: GlucoLink Was: 60% Now: 55%",
        "The terms were reworded.",
        // consents, voided by the amendment
        "No: voided when version 2 was written",
        "5 of 5 parties have consented.",
        // the objection that led to version 2
        "Carers Together objects to version 1",
        "Carers do the reminding at home and get nothing.",
    ] {
        ensure!(contains(html, words), "the page does not say {words:?}:\n{}", text(html));
    }
    ensure!(html.contains("class=\"versions\""), "no side-by-side grid");
    ensure!(
        html.contains(&format!(
            "href=\"/hubs/{HUB}/ideas/0c0b0000-0005-7000-8000-000000000001\""
        )),
        "no link to the idea"
    );
    // A champion may not consent or object: no such forms.
    ensure!(
        !html.contains("/consent\""),
        "a champion is offered the consent form"
    );
    ensure!(
        !html.contains("/object\""),
        "a champion is offered the objection form"
    );

    // Someone of another hub is told there is nothing here.
    let stranger = token(dir.path(), Uuid::now_v7()).await?;
    server
        .found_hub(&stranger, "Another hub", "Somewhere else.")
        .await?;
    let a = web.get(&server, &stranger, &page()).await?;
    ensure!(
        a.status == StatusCode::NOT_FOUND,
        "another hub's member: {}",
        a.status
    );
    ensure!(
        !a.body.contains("£40,000"),
        "another hub's member sees the terms"
    );

    // Unknown actions are not found.
    let a = web
        .post(&server, &champion, &format!("{}/frobnicate", page()), &[])
        .await?;
    ensure!(
        a.status == StatusCode::NOT_FOUND,
        "unknown action: {}",
        a.status
    );
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn an_objection_is_answered_and_withdrawn_over_http() -> Result<()> {
    let (dir, server) = demo().await?;
    let data = dir.path();
    open_variation(&server, data).await?;
    let web = Web::new()?;
    let mosque = demo_token(data, "mosque_lead").await?;
    let firm = demo_token(data, "firm_lead").await?;

    // A party's lead sees the variation open and the forms to consent and object.
    let a = web.get(&server, &mosque, &page()).await?;
    ensure!(a.status == StatusCode::OK);
    for words in [
        "A variation is open",
        "version 3 is open for consent",
        "Version 2 stays in force",
        "Changed cost: Black Country Integrated Care Board, money: was £40,000, now £45,000.",
        "Consent for Al-Noor Mosque Community Health Group",
        "Why does your organisation object?",
    ] {
        ensure!(
            contains(&a.body, words),
            "lead's page lacks {words:?}:\n{}",
            text(&a.body)
        );
    }
    ensure!(
        !contains(&a.body, "standing objection"),
        "an objection before any"
    );

    // It objects, with a reason.
    let reason = "Residents of the second estate were not asked.";
    let (key, tok) = form_keys(&a.body, &format!("{}/object", page()))?;
    let a = web
        .post(
            &server,
            &mosque,
            &format!("{}/object", page()),
            &[
                ("idempotency_key", &key),
                ("form_token", &tok),
                ("version", "3"),
                ("reason", reason),
            ],
        )
        .await?;
    ensure!(
        a.status == StatusCode::SEE_OTHER,
        "object: {} {}",
        a.status,
        text(&a.body)
    );
    ensure!(
        a.location
            .as_deref()
            .is_some_and(|l| l.starts_with(&format!("{}?done=objected", page()))),
        "object went to {:?}",
        a.location
    );
    let a = web
        .get(&server, &mosque, a.location.as_deref().unwrap_or_default())
        .await?;
    for words in [
        "your organisation's objection was recorded",
        "There is a standing objection that blocks agreement from Al-Noor Mosque Community Health Group",
        "Al-Noor Mosque Community Health Group objects to version 3",
        reason,
        "This objection stands. It blocks agreement",
    ] {
        ensure!(contains(&a.body, words), "after objecting, no {words:?}:\n{}", text(&a.body));
    }
    // Its own objection: the lead may withdraw it, but there is nothing to answer.
    ensure!(
        a.body.contains(&format!("{}/withdraw\"", page())),
        "no withdraw form for the objector"
    );
    ensure!(
        !a.body.contains(&format!("{}/answer\"", page())),
        "the objector is offered to answer"
    );

    // The proposer answers; the objection still stands.
    let a = web.get(&server, &firm, &page()).await?;
    ensure!(
        a.body.contains(&format!("name=\"answer-{MOSQUE}\"")),
        "no answer box for the proposer"
    );
    ensure!(
        !a.body.contains(&format!("{}/withdraw\"", page())),
        "the proposer is offered to withdraw"
    );
    let answer_text = "We will hold a meeting on the second estate before the pilot starts.";
    let (key, tok) = form_keys(&a.body, &format!("{}/answer", page()))?;
    let field = format!("answer-{MOSQUE}");
    let a = web
        .post(
            &server,
            &firm,
            &format!("{}/answer", page()),
            &[
                ("idempotency_key", &key),
                ("form_token", &tok),
                ("version", "3"),
                ("organisation", MOSQUE),
                (&field, answer_text),
            ],
        )
        .await?;
    ensure!(
        a.status == StatusCode::SEE_OTHER,
        "answer: {} {}",
        a.status,
        text(&a.body)
    );
    ensure!(a
        .location
        .as_deref()
        .is_some_and(|l| l.contains("done=answered")));
    let a = web.get(&server, &firm, &page()).await?;
    for words in [
        answer_text,
        "Answered by Dan Okafor (GlucoLink)",
        "There is a standing objection that blocks agreement",
        "This objection stands.",
    ] {
        ensure!(
            contains(&a.body, words),
            "after answering, no {words:?}:\n{}",
            text(&a.body)
        );
    }
    ensure!(
        !a.body.contains(&format!("name=\"answer-{MOSQUE}\"")),
        "an answered objection can be answered again"
    );

    // The objector withdraws it: it no longer blocks agreement.
    let a = web.get(&server, &mosque, &page()).await?;
    let (key, tok) = form_keys(&a.body, &format!("{}/withdraw", page()))?;
    let a = web
        .post(
            &server,
            &mosque,
            &format!("{}/withdraw", page()),
            &[
                ("idempotency_key", &key),
                ("form_token", &tok),
                ("version", "3"),
                ("note", "The meeting answers our concern."),
            ],
        )
        .await?;
    ensure!(
        a.status == StatusCode::SEE_OTHER,
        "withdraw: {} {}",
        a.status,
        text(&a.body)
    );
    ensure!(a
        .location
        .as_deref()
        .is_some_and(|l| l.contains("done=withdrawn")));
    let a = web.get(&server, &mosque, &page()).await?;
    ensure!(
        !contains(&a.body, "standing objection"),
        "still blocking after withdrawal:\n{}",
        text(&a.body)
    );
    for words in [
        "Withdrawn. It no longer blocks agreement.",
        "Withdrawn by Imran Hussain (Al-Noor Mosque Community Health Group)",
        "The meeting answers our concern.",
        reason,
        answer_text,
    ] {
        ensure!(
            contains(&a.body, words),
            "after withdrawing, no {words:?}:\n{}",
            text(&a.body)
        );
    }

    // The log says the same.
    server.stop().await?;
    let log = export_log(data).await?;
    let events = distribution_events(&log);
    let of = |t: &str| {
        events
            .iter()
            .filter(|e| e["event_type"] == t)
            .collect::<Vec<_>>()
    };
    let objected = of("DistributionObjected");
    let last = objected.last().context("no objection in the log")?;
    ensure!(
        last["payload"]["reason"]["text"] == reason,
        "reason in the log: {last}"
    );
    ensure!(last["payload"]["version"] == 3, "objected version: {last}");
    let answered = of("ObjectionAnswered");
    ensure!(
        answered.len() == 1,
        "answers in the log: {}",
        answered.len()
    );
    ensure!(
        answered[0]["payload"]["answer"]["text"] == answer_text,
        "answer: {}",
        answered[0]
    );
    let withdrawn = of("ObjectionWithdrawn");
    ensure!(
        withdrawn.len() == 1,
        "withdrawals in the log: {}",
        withdrawn.len()
    );
    ensure!(withdrawn[0]["payload"]["note"]["text"] == "The meeting answers our concern.");
    Ok(())
}

#[tokio::test]
async fn a_consent_sent_twice_is_recorded_once_and_a_champion_is_refused() -> Result<()> {
    let (dir, server) = demo().await?;
    let data = dir.path();
    open_variation(&server, data).await?;
    let (server, before) = export_between(server, data).await?;
    let web = Web::new()?;

    // A champion who is not a lead: no consent button; sending the form anyway is refused
    // with the API's message, beside the button and in the summary, and nothing is recorded.
    let champion = demo_token(data, "champion").await?;
    let a = web.get(&server, &champion, &page()).await?;
    ensure!(a.status == StatusCode::OK);
    ensure!(
        !contains(&a.body, "Consent for"),
        "a champion is offered to consent"
    );
    let tok = form_token(&a.body)?;
    let key = Uuid::now_v7().to_string();
    let a = web
        .post(
            &server,
            &champion,
            &format!("{}/consent", page()),
            &[
                ("idempotency_key", &key),
                ("form_token", &tok),
                ("version", "3"),
            ],
        )
        .await?;
    ensure!(
        a.status == StatusCode::UNPROCESSABLE_ENTITY,
        "champion consent: {}",
        a.status
    );
    let message = "Only your organisation's lead (or a facilitator) can consent on its behalf.";
    ensure!(contains(&a.body, "There is a problem"), "no error summary");
    ensure!(
        a.body.contains("href=\"#consent\""),
        "the summary does not point at the form"
    );
    ensure!(
        a.body.contains("id=\"consent-error\""),
        "no error beside the button"
    );
    ensure!(
        text(&a.body).matches(message).count() >= 2,
        "the API's message is not in the summary and beside the form:\n{}",
        text(&a.body)
    );

    // A champion's objection is refused the same way; an empty reason from a lead is refused
    // beside the reason box.
    let a = web
        .post(
            &server,
            &champion,
            &format!("{}/object", page()),
            &[
                ("idempotency_key", &Uuid::now_v7().to_string()),
                ("form_token", &tok),
                ("version", "3"),
                ("reason", "No."),
            ],
        )
        .await?;
    ensure!(
        a.status == StatusCode::UNPROCESSABLE_ENTITY,
        "champion objection: {}",
        a.status
    );
    ensure!(contains(
        &a.body,
        "Only your organisation's lead (or a facilitator) can object on its behalf."
    ));
    ensure!(
        a.body.contains("id=\"reason-error\""),
        "no error beside the reason"
    );
    let mosque = demo_token(data, "mosque_lead").await?;
    let page_html = web.get(&server, &mosque, &page()).await?.body;
    let (key, mtok) = form_keys(&page_html, &format!("{}/object", page()))?;
    let a = web
        .post(
            &server,
            &mosque,
            &format!("{}/object", page()),
            &[
                ("idempotency_key", &key),
                ("form_token", &mtok),
                ("version", "3"),
                ("reason", "  "),
            ],
        )
        .await?;
    ensure!(
        a.status == StatusCode::UNPROCESSABLE_ENTITY,
        "empty reason: {}",
        a.status
    );
    ensure!(
        a.body.contains("href=\"#reason\"") && a.body.contains("id=\"reason-error\""),
        "empty reason not beside its box"
    );
    ensure!(
        a.body
            .contains(&format!("name=\"idempotency_key\" value=\"{key}\"")),
        "the refused form lost its key"
    );

    let (server, after) = export_between(server, data).await?;
    ensure!(before == after, "a refused form changed the log");

    // The consent form sent twice (a double click): one consent.
    let a = web.get(&server, &mosque, &page()).await?;
    let (key, tok) = form_keys(&a.body, &format!("{}/consent", page()))?;
    for attempt in 0..2 {
        let a = web
            .post(
                &server,
                &mosque,
                &format!("{}/consent", page()),
                &[
                    ("idempotency_key", &key),
                    ("form_token", &tok),
                    ("version", "3"),
                ],
            )
            .await?;
        if a.status != StatusCode::SEE_OTHER {
            bail!("consent attempt {attempt}: {} {}", a.status, text(&a.body));
        }
        ensure!(a
            .location
            .as_deref()
            .is_some_and(|l| l.contains("done=consented")));
    }
    let a = web.get(&server, &mosque, &page()).await?;
    ensure!(
        contains(&a.body, "1 of 5 parties have consented."),
        "{}",
        text(&a.body)
    );
    ensure!(
        !contains(&a.body, "Consent for"),
        "offered to consent again"
    );
    server.stop().await?;
    let log = export_log(data).await?;
    ensure!(
        log.len() == before.len() + 1,
        "{} events added, not 1",
        log.len() - before.len()
    );
    let consents: Vec<_> = distribution_events(&log)
        .into_iter()
        .filter(|e| e["event_type"] == "DistributionConsented" && e["payload"]["version"] == 3)
        .collect();
    ensure!(
        consents.len() == 1,
        "{} consents to version 3",
        consents.len()
    );
    ensure!(
        consents[0]["payload"]["organisation_id"] == MOSQUE,
        "{}",
        consents[0]
    );
    Ok(())
}

#[tokio::test]
async fn the_page_follows_changes_live() -> Result<()> {
    let (dir, server) = demo().await?;
    let data = dir.path();
    open_variation(&server, data).await?;
    let web = Web::new()?;
    let carers = demo_token(data, "carers_lead").await?;
    let a = web.get(&server, &carers, &page()).await?;
    ensure!(
        a.body.contains(&format!("data-live=\"{}/live\"", page())),
        "no live stream named"
    );
    ensure!(
        a.body.contains("id=\"live-announcement\""),
        "no live announcement region"
    );
    ensure!(a.body.contains("src=\"/assets/live.js\""), "no live script");

    // Someone not signed in gets no stream.
    let resp = web
        .http
        .get(server.url(&format!("{}/live", page())))
        .send()
        .await?;
    ensure!(
        resp.status() == StatusCode::UNAUTHORIZED,
        "signed out: {}",
        resp.status()
    );

    let mut resp = web
        .http
        .get(server.url(&format!("{}/live", page())))
        .header("cookie", format!("cohub_session={carers}"))
        .send()
        .await?;
    ensure!(resp.status() == StatusCode::OK, "live: {}", resp.status());
    ensure!(
        resp.headers()["content-type"]
            .to_str()?
            .starts_with("text/event-stream"),
        "not an event stream"
    );
    let mosque = demo_token(data, "mosque_lead").await?;
    server
        .gql_ok(
            "mutation($i: ObjectToDistributionInput!) { objectToDistribution(input: $i) { receipt { replayed } } }",
            json!({ "i": { "distributionId": DISTRIBUTION, "version": 3, "reason": { "text": "Not yet." } } }),
            Some(&mosque),
        )
        .await?;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("One objection blocks agreement") {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .context("no live event in time")??
            .context("the stream ended")?;
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    ensure!(seen.contains("event: change"), "{seen}");
    ensure!(seen.contains("An organisation objected."), "{seen}");
    drop(resp);
    server.stop().await?;
    Ok(())
}

/// `viewerMay` is the domain's own decision for each action, so the page offers exactly what
/// the API would allow: a party's lead may consent and object, a champion may do neither, the
/// proposer may answer a standing objection, the objector may withdraw it, and nothing is
/// offered at a past moment.
#[tokio::test]
async fn what_each_member_may_do_is_the_domains_decision() -> Result<()> {
    let (dir, server) = demo().await?;
    open_variation(&server, dir.path()).await?;
    let may = |person: &'static str, at: Option<String>| {
        let server = &server;
        let dir = dir.path().to_path_buf();
        async move {
            let token = demo_token(&dir, person).await?;
            let data = server
                .gql_ok(
                    "query($id: UUID!, $at: DateTime) { distribution(id: $id, asOf: $at) {
                       viewerMay { consent object withdrawObjection answerObjectionsOf } } }",
                    json!({ "id": DISTRIBUTION, "at": at }),
                    Some(&token),
                )
                .await?;
            Ok::<Value, anyhow::Error>(data["distribution"]["viewerMay"].clone())
        }
    };
    let none = json!({ "consent": false, "object": false, "withdrawObjection": false, "answerObjectionsOf": [] });
    assert_eq!(
        may("mosque_lead", None).await?,
        json!({ "consent": true, "object": true, "withdrawObjection": false, "answerObjectionsOf": [] })
    );
    assert_eq!(
        may("champion", None).await?,
        none,
        "a champion does not speak for a party"
    );
    let before = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mosque = demo_token(dir.path(), "mosque_lead").await?;
    server
        .gql_ok(
            "mutation($i: ObjectToDistributionInput!) { objectToDistribution(input: $i) { receipt { replayed } } }",
            json!({ "i": { "distributionId": DISTRIBUTION, "version": 3, "reason": { "text": "Not yet." } } }),
            Some(&mosque),
        )
        .await?;
    assert_eq!(
        may("mosque_lead", None).await?,
        json!({ "consent": true, "object": false, "withdrawObjection": true, "answerObjectionsOf": [] }),
        "after objecting: may consent instead, or withdraw"
    );
    assert_eq!(
        may("firm_lead", None).await?["answerObjectionsOf"],
        json!([MOSQUE]),
        "the proposer may answer the mosque's objection"
    );
    assert_eq!(may("nurse", None).await?["answerObjectionsOf"], json!([]));
    assert_eq!(
        may("mosque_lead", Some(before.to_rfc3339())).await?,
        none,
        "nothing is offered at a past moment"
    );
    server.stop().await?;
    Ok(())
}
