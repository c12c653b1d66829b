//! The web app's audit pages over real HTTP against `cohub serve --demo`:
//!
//! - the audit page now shows that the record checks out (with the chain's own count and head)
//!   and the timeline, with a picker to travel in time and paging to older events;
//! - a change recorded after a noted moment (a problem framed, a variation of the demo
//!   distribution) is missing from the audit page and the decision trail `?at=` that moment,
//!   and shown on both without `at`;
//! - a malformed `at` (400), a future one or one before the hub existed or the distribution
//!   was proposed (422) is refused beside the picker, in the error summary, keeping what was
//!   typed;
//! - someone who is not a member of the hub is refused, and someone signed out is sent to
//!   sign in.

use anyhow::{ensure, Context, Result};
use chrono::{DateTime, SubsecRound, Utc};
use cohub_e2e::{demo_token, token, Server};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

const HUB: &str = "0c0b0000-0001-7000-8000-000000000001";
const DISTRIBUTION: &str = "0c0b0000-0006-7000-8000-000000000001";
const ORG_HOUSING: &str = "0c0b0000-0002-7000-8000-000000000002";
const ORG_MOSQUE: &str = "0c0b0000-0002-7000-8000-000000000003";
const ORG_CARERS: &str = "0c0b0000-0002-7000-8000-000000000004";
const ORG_GLUCOLINK: &str = "0c0b0000-0002-7000-8000-000000000005";
const ORG_ICB: &str = "0c0b0000-0002-7000-8000-00000000000a";

const NEW_PROBLEM: &str = "Bus fares stop residents reaching the eye clinic";
const VARIATION_WHY: &str = "The care board asked for quarterly outcome reports.";

/// A browser of the web app: a session cookie, no redirects followed.
struct Browser {
    http: reqwest::Client,
    cookie: Option<String>,
}

impl Browser {
    fn new(token: Option<&str>) -> Result<Browser> {
        Ok(Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()?,
            cookie: token.map(|t| format!("cohub_session={t}")),
        })
    }

    /// GETs a page: its status and body.
    async fn get(&self, server: &Server, path: &str) -> Result<(StatusCode, String)> {
        let mut req = self.http.get(server.url(path));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await?;
        Ok((resp.status(), resp.text().await?))
    }
}

/// The page's text with tags removed and whitespace collapsed, for "does it say ...".
fn words(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn audit(at: Option<&str>) -> String {
    match at {
        Some(at) => format!("/hubs/{HUB}/audit?at={}", at.replace(':', "%3A")),
        None => format!("/hubs/{HUB}/audit"),
    }
}

fn trail(at: Option<&str>) -> String {
    match at {
        Some(at) => format!(
            "/hubs/{HUB}/distributions/{DISTRIBUTION}/trail?at={}",
            at.replace(':', "%3A")
        ),
        None => format!("/hubs/{HUB}/distributions/{DISTRIBUTION}/trail"),
    }
}

/// The picker is there, labelled, with its hint, and keeps `typed`.
fn assert_picker(html: &str, typed: &str) -> Result<()> {
    ensure!(
        html.contains(r#"<label class="label" for="at">Show the hub as it stood at</label>"#),
        "no labelled picker: {html}"
    );
    ensure!(html.contains("Date and time in UTC"), "no hint");
    ensure!(
        html.contains(r#"type="datetime-local" id="at" name="at""#),
        "no datetime-local input"
    );
    ensure!(
        html.contains(&format!(r#"value="{typed}""#)),
        "the picker lost {typed:?}: {html}"
    );
    ensure!(
        html.contains(r#"method="get""#),
        "the form is not a GET form"
    );
    ensure!(
        html.contains(">Show</button>") && html.contains(">Back to now</a>"),
        "no Show button or Back to now link"
    );
    Ok(())
}

/// The moment is refused beside the picker and in the summary, with `message` in both.
fn assert_refused(html: &str, typed: &str, message: &str) -> Result<()> {
    assert_picker(html, typed)?;
    ensure!(
        html.contains(r#"class="error-summary""#) && html.contains("There is a problem"),
        "no error summary: {html}"
    );
    ensure!(
        html.contains(r##"href="#at""##),
        "the summary does not link to the picker"
    );
    ensure!(
        html.contains(r#"id="at-error""#) && html.contains(r#"aria-invalid="true""#),
        "no error beside the picker"
    );
    ensure!(
        words(html).matches(message).count() >= 2,
        "{message:?} is not both in the summary and beside the picker: {}",
        words(html)
    );
    Ok(())
}

/// Terms of a variation of the demo distribution: the agreed version 2's parties, with
/// outcome reports added to the terms.
fn variation_terms() -> serde_json::Value {
    json!({
        "parties": [ORG_GLUCOLINK, ORG_HOUSING, ORG_MOSQUE, ORG_ICB, ORG_CARERS],
        "costs": [{ "party": ORG_ICB, "kind": "MONEY", "amount": 40000, "unit": "GBP" }],
        "rewards": [
            { "kind": "REVENUE_SHARE", "description": { "text": "Resale revenue." }, "shares": [
                { "party": ORG_GLUCOLINK, "basisPoints": 5500 },
                { "party": ORG_HOUSING, "basisPoints": 2000 },
                { "party": ORG_MOSQUE, "basisPoints": 1500 },
                { "party": ORG_CARERS, "basisPoints": 1000 },
            ] },
        ],
        "terms": { "text": "A pilot of voice reminders, with quarterly outcome reports." },
    })
}

/// A moment as the picker sends it with seconds: `YYYY-MM-DDTHH:MM:SS`.
fn picker_value(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[tokio::test]
async fn commissioners_audit_the_hub_at_any_moment() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let commissioner = demo_token(dir.path(), "icb_commissioner").await?;
    let champion = demo_token(dir.path(), "champion").await?;
    let firm = demo_token(dir.path(), "firm_lead").await?;
    let browser = Browser::new(Some(&commissioner))?;

    // (a) Now: the record checks out, with the chain's own count and head, and the timeline.
    let head = server
        .gql_ok(
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
            json!({ "h": HUB }),
            Some(&commissioner),
        )
        .await?;
    let events = head["chainHead"]["hubSeq"].as_i64().context("no hubSeq")?;
    let hash = head["chainHead"]["hash"].as_str().context("no hash")?;
    let (status, page) = browser.get(&server, &audit(None)).await?;
    ensure!(status == StatusCode::OK, "{status}: {page}");
    let text = words(&page);
    assert_picker(&page, "")?;
    ensure!(
        text.contains(&format!(
            "The record has not been altered since it was written: all {events} events check out."
        )),
        "no verification: {text}"
    );
    ensure!(page.contains(hash), "no chain head");
    ensure!(text.contains("Showing the hub as it is now."));
    ensure!(text.contains("Residents with type 2 diabetes miss retinal screening"));
    ensure!(text.contains("Community-language voice reminders recorded by trusted champions."));
    ensure!(
        text.contains(
            "Sue Collins (Carers Together): Carers Together objected to version 1: Carers do the reminding at home and get nothing."
        ),
        "the timeline does not show the objection: {text}"
    );
    ensure!(
        page.contains(&format!(
            r#"href="/hubs/{HUB}/distributions/{DISTRIBUTION}/trail""#
        )),
        "no link to the decision trail"
    );
    ensure!(page.contains(&format!(
        r#"href="/hubs/{HUB}/distributions/{DISTRIBUTION}""#
    )));
    ensure!(!page.contains(NEW_PROBLEM));

    // The decision trail now: versions, the objection, the voided consents, the agreement.
    let (status, page) = browser.get(&server, &trail(None)).await?;
    ensure!(status == StatusCode::OK, "{status}: {page}");
    let text = words(&page);
    assert_picker(&page, "")?;
    for said in [
        "Agreed: every party consented to the same version. Version 2 is in force.",
        "Proposed by Dan Okafor, lead for GlucoLink",
        "On behalf of residents Residents of the Brierley Hill estates",
        "Version 1: first proposal",
        "Version 2: amendment (earlier consents were voided)",
        "Carers Together objected to version 1: “Carers do the reminding at home and get nothing.”",
        "Voided when version 2 was written by Dan Okafor",
        "Version 2 was agreed by GlucoLink, Brierley Homes, Al-Noor Mosque Community Health Group, Black Country Integrated Care Board, Carers Together.",
        "The hub's minimum time to deliberate",
        "Everything that happened, in order",
    ] {
        ensure!(text.contains(said), "the trail does not say {said:?}: {text}");
    }
    ensure!(page.contains(&format!(
        r#"href="/hubs/{HUB}/distributions/{DISTRIBUTION}""#
    )));
    ensure!(!text.contains("Version 3"));

    // (b) Note a moment after the demo was written, cross a second, then record changes.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let noted = Utc::now().trunc_subsecs(0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let pt = |t: &str| json!({ "text": t });
    server
        .gql_ok(
            "mutation($i: FrameProblemInput!) { frameProblem(input: $i) { problem { id } } }",
            json!({ "i": { "hubId": HUB, "framing": {
                "title": pt(NEW_PROBLEM),
                "statement": pt("A return bus fare costs more than a day's food budget."),
                "affected": pt("Older residents on pension credit"),
                "place": pt("Brierley Hill"),
            } } }),
            Some(&champion),
        )
        .await?;
    server
        .gql_ok(
            "mutation($i: StartVariationRoundInput!) { startVariationRound(input: $i) { distribution { id } } }",
            json!({ "i": { "distributionId": DISTRIBUTION, "terms": variation_terms(),
                           "rationale": pt(VARIATION_WHY) } }),
            Some(&firm),
        )
        .await?;
    let at = picker_value(noted);

    let (status, page) = browser.get(&server, &audit(Some(&at))).await?;
    ensure!(status == StatusCode::OK, "{status}: {page}");
    let then = words(&page);
    assert_picker(&page, &at)?;
    ensure!(then.contains("Showing the hub as it stood at"), "{then}");
    ensure!(
        !then.contains(NEW_PROBLEM),
        "the past shows a later problem"
    );
    ensure!(then.contains("Residents with type 2 diabetes miss retinal screening"));
    ensure!(
        !then.contains("Version 3"),
        "the past shows a later variation: {then}"
    );
    ensure!(then.contains("Carers Together objected to version 1"));
    ensure!(
        page.contains(&format!(
            r#"href="/hubs/{HUB}/distributions/{DISTRIBUTION}/trail?at={}""#,
            at.replace(':', "%3A")
        )),
        "the trail link does not carry the moment"
    );

    let (status, page) = browser.get(&server, &audit(None)).await?;
    ensure!(status == StatusCode::OK, "{status}: {page}");
    let now = words(&page);
    ensure!(
        now.contains(NEW_PROBLEM),
        "now does not show the new problem"
    );
    ensure!(
        now.contains("Version 3"),
        "now does not show the variation open: {now}"
    );
    ensure!(now.contains(&format!(
        "The record has not been altered since it was written: all {} events check out.",
        events + 2
    )));
    // 52 events: the timeline pages to older ones, ending at the hub's founding.
    let older = page
        .split(r#"<a href=""#)
        .find_map(|s| {
            let (href, rest) = s.split_once('"')?;
            rest.starts_with(">Older events")
                .then(|| href.replace("&amp;", "&"))
        })
        .context("no Older events link")?;
    let (status, page) = browser.get(&server, &older).await?;
    ensure!(status == StatusCode::OK, "{status}: {page}");
    let oldest = words(&page);
    ensure!(!oldest.contains("Older events"), "{oldest}");
    ensure!(
        oldest.contains("Nadia Rahman founded the hub \"Black Country Community Health Hub\".")
            && !oldest.contains(VARIATION_WHY),
        "the older page does not reach back to the founding: {oldest}"
    );

    let (status, page) = browser.get(&server, &trail(Some(&at))).await?;
    ensure!(status == StatusCode::OK, "{status}: {page}");
    let then = words(&page);
    assert_picker(&page, &at)?;
    ensure!(then.contains("Showing the distribution as it stood at"));
    ensure!(
        !then.contains("Version 3") && !then.contains(VARIATION_WHY),
        "the past trail shows the later variation: {then}"
    );
    ensure!(then.contains("Version 2: amendment"));

    let (status, page) = browser.get(&server, &trail(None)).await?;
    ensure!(status == StatusCode::OK, "{status}: {page}");
    let now = words(&page);
    ensure!(
        now.contains("Version 3: variation of the agreed version") && now.contains(VARIATION_WHY),
        "the trail now does not show the variation: {now}"
    );

    // (c) A moment that cannot be shown: beside the picker, keeping what was typed; GET
    // pages record nothing.
    let head_now = || async {
        let head = server
            .gql_ok(
                "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
                json!({ "h": HUB }),
                Some(&commissioner),
            )
            .await?;
        Ok::<_, anyhow::Error>(head["chainHead"].clone())
    };
    let before = head_now().await?;
    let future = (Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    for path in [audit(Some(&future)), trail(Some(&future))] {
        let (status, page) = browser.get(&server, &path).await?;
        ensure!(
            status == StatusCode::UNPROCESSABLE_ENTITY,
            "{status}: {path}"
        );
        assert_refused(&page, &future, "The date and time must be in the past.")?;
        ensure!(words(&page)
            .contains("as it is now, because the date and time you entered cannot be shown"));
    }
    for path in [
        audit(Some("next tuesday")).replace(' ', "+"),
        trail(Some("2026-13-45T25:00")),
    ] {
        let (status, page) = browser.get(&server, &path).await?;
        ensure!(status == StatusCode::BAD_REQUEST, "{status}: {path}");
        let typed = if path.contains("tuesday") {
            "next tuesday"
        } else {
            "2026-13-45T25:00"
        };
        assert_refused(&page, typed, "Enter a real date and time")?;
    }
    let ancient = "2001-01-01T09:30";
    let (status, page) = browser.get(&server, &audit(Some(ancient))).await?;
    ensure!(status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");
    assert_refused(
        &page,
        ancient,
        "Black Country Community Health Hub did not exist yet then",
    )?;
    let (status, page) = browser.get(&server, &trail(Some(ancient))).await?;
    ensure!(status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");
    assert_refused(
        &page,
        ancient,
        "This distribution had not been proposed yet then",
    )?;
    ensure!(head_now().await? == before, "a GET page recorded something");

    // (d) A member of another hub is refused; someone signed out is sent to sign in.
    let stranger = token(dir.path(), Uuid::now_v7()).await?;
    server
        .found_hub(&stranger, "Tipton Carers Hub", "Carers' health in Tipton.")
        .await?;
    let outsider = Browser::new(Some(&stranger))?;
    for path in [audit(None), audit(Some(&at)), trail(None), trail(Some(&at))] {
        let (status, page) = outsider.get(&server, &path).await?;
        ensure!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{status} for a non-member at {path}"
        );
        let text = words(&page);
        ensure!(
            !text.contains("check out")
                && !text.contains("Carers do the reminding")
                && !text.contains("Residents with type 2 diabetes"),
            "a non-member sees the hub at {path}: {text}"
        );
    }
    let (status, page) = outsider.get(&server, &audit(None)).await?;
    ensure!(status == StatusCode::FORBIDDEN, "{status}");
    ensure!(words(&page).contains("You cannot see this page"));
    let signed_out = Browser::new(None)?;
    let resp = signed_out
        .http
        .get(server.url(&audit(Some(&at))))
        .send()
        .await?;
    ensure!(resp.status() == StatusCode::SEE_OTHER);
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default();
    ensure!(location.starts_with("/signin?next="), "{location}");
    Ok(())
}
