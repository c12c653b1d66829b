//! The web app's idea pages and "Feeling heard", driven over real HTTP like a browser without
//! JavaScript: a champion proposes an idea on behalf of residents (once, however often the
//! form is sent), refusals come back as the same form with the message beside the field and
//! nothing recorded, feedback is given and responded to, and the heard page lists what waits
//! for a response, oldest first, until it is answered.

use anyhow::{bail, Context, Result};
use cohub_domain::example;
use cohub_e2e::{demo_token, export_log, token, Server};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// A browser: no redirects followed (to see each 303), the session in a cookie.
struct Browser {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// An answer: status, where a redirect goes, and the page.
struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new(server: &Server, token: &str) -> Result<Browser> {
        Ok(Browser {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()?,
            base: server.url(""),
            token: token.to_string(),
        })
    }

    async fn get(&self, path: &str) -> Result<Page> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("cohub_session={}", self.token))
            .send()
            .await?;
        page(resp).await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Result<Page> {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("cohub_session={}", self.token))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        page(resp).await
    }
}

async fn page(resp: reqwest::Response) -> Result<Page> {
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(Page {
        status,
        location,
        body: resp.text().await?,
    })
}

/// Percent-encodes a form value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The value of the first `<input name="NAME" value="...">` after `from` in `html`.
fn input_value<'a>(html: &'a str, from: usize, name: &str) -> Result<&'a str> {
    let at = html[from..]
        .find(&format!("name=\"{name}\" value=\""))
        .with_context(|| format!("no input {name} in the form"))?
        + from;
    let start = at + format!("name=\"{name}\" value=\"").len();
    let end = html[start..].find('"').context("an unterminated value")? + start;
    Ok(&html[start..end])
}

/// The hidden idempotency key and form token of the form posting to `action`.
fn form_keys(html: &str, action: &str) -> Result<(String, String)> {
    let at = html
        .find(&format!("action=\"{action}\""))
        .with_context(|| format!("no form posting to {action} in the page:\n{html}"))?;
    Ok((
        input_value(html, at, "idempotency_key")?.to_string(),
        input_value(html, at, "form_token")?.to_string(),
    ))
}

/// The hub's chain head: it moves whenever anything is recorded.
async fn chain_head(server: &Server) -> Result<Value> {
    let data = server
        .gql_ok(
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
            json!({ "h": example::HUB.uuid() }),
            None,
        )
        .await?;
    Ok(data["chainHead"].clone())
}

/// The text between `<p id="ID"...>` and its end: the message shown beside a field.
fn beside(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let end = html[at..].find("</p>")? + at;
    Some(html[at..end].to_string())
}

/// How many contributions the API says wait for a response.
async fn waiting(server: &Server, token: &str) -> Result<i64> {
    let data = server
        .gql_ok(
            "query($h: UUID!) { hub(id: $h) { contributions(unansweredOnly: true, first: 1) { totalCount } } }",
            json!({ "h": example::HUB.uuid() }),
            Some(token),
        )
        .await?;
    data["hub"]["contributions"]["totalCount"]
        .as_i64()
        .context("no totalCount")
}

const TITLE: &str = "Reminders read aloud at the community cafe";
const SUMMARY: &str =
    "Champions read screening letters aloud at the Friday cafe and help book appointments.";
const RESIDENTS: &str = "Older Bengali-speaking tenants on the Lion Farm estate";
const AGREED: &str = "at the tenants' meeting on 20 February";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_champion_proposes_on_behalf_of_residents_and_refusals_record_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let champion = Browser::new(&server, &demo_token(dir.path(), "champion").await?)?;
    let nurse = Browser::new(&server, &demo_token(dir.path(), "nurse").await?)?;
    let hub = example::HUB.uuid();
    let problem = example::PROBLEM.uuid();
    let new_path = format!("/hubs/{hub}/problems/{problem}/ideas/new");

    // The form asks every member the on-behalf questions.
    let form = champion.get(&new_path).await?;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    for words in [
        "Are you proposing this on behalf of residents?",
        "Which residents?",
        "They asked not to be named",
        "How did they agree to be represented?",
    ] {
        assert!(form.body.contains(words), "the form asks {words:?}");
    }
    let (key, form_token) = form_keys(&form.body, &new_path)?;
    let fields = [
        ("idempotency_key", key.as_str()),
        ("form_token", form_token.as_str()),
        ("title", TITLE),
        ("summary", SUMMARY),
        ("on_behalf", "yes"),
        ("residents", RESIDENTS),
        ("anonymous", "yes"),
        ("agreed", AGREED),
    ];

    // Sent twice (a double click): both answer 303 to the same idea, recorded once.
    let first = champion.post(&new_path, &fields).await?;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let to = first.location.clone().context("no Location")?;
    assert!(
        to.starts_with(&format!("/hubs/{hub}/ideas/")) && to.ends_with("?done=idea-proposed"),
        "{to}"
    );
    let head = chain_head(&server).await?;
    let again = champion.post(&new_path, &fields).await?;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(
        again.location.as_deref(),
        Some(to.as_str()),
        "the same idea"
    );
    assert_eq!(
        chain_head(&server).await?,
        head,
        "the second send recorded nothing"
    );

    // The idea page: title, status, who proposed it for whom, how they agreed.
    let idea_page = champion.get(&to).await?;
    assert_eq!(idea_page.status, StatusCode::OK);
    let body = &idea_page.body;
    for words in [
        TITLE,
        SUMMARY,
        "your idea was recorded.",
        "Proposed: no decision yet",
        "Amina Begum",
        "Residents who asked not to be named",
        AGREED.replace('\'', "&#39;").as_str(),
        "Give feedback",
    ] {
        assert!(
            body.contains(words) || body.contains(&words.replace("&#39;", "'")),
            "the idea page shows {words:?}:\n{body}"
        );
    }
    // It is listed on its problem's page and the hub's page.
    let problem_page = champion
        .get(&format!("/hubs/{hub}/problems/{problem}"))
        .await?;
    assert!(problem_page.body.contains(TITLE), "listed on the problem");
    let hub_page = champion.get(&format!("/hubs/{hub}")).await?;
    assert!(hub_page.body.contains(TITLE), "listed on the hub page");

    // An empty title: 422, the message in the summary and beside the title; nothing recorded.
    let form = champion.get(&new_path).await?;
    let (key, form_token) = form_keys(&form.body, &new_path)?;
    let head = chain_head(&server).await?;
    let refused = champion
        .post(
            &new_path,
            &[
                ("idempotency_key", key.as_str()),
                ("form_token", form_token.as_str()),
                ("title", "  "),
                ("summary", SUMMARY),
                ("on_behalf", "no"),
            ],
        )
        .await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("There is a problem"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("href=\"#title\""),
        "the summary links to the title"
    );
    let by_title = beside(&refused.body, "title-error").context("no error beside the title")?;
    assert!(by_title.contains("The title is empty"), "{by_title}");
    assert!(
        refused.body.contains(SUMMARY),
        "the person's words are kept"
    );
    assert!(
        refused.body.contains(&format!("value=\"{key}\"")),
        "the same key, so a corrected send records once"
    );
    assert_eq!(chain_head(&server).await?, head, "nothing recorded");

    // A nurse (not a champion) on behalf of residents: the rule's message, nothing recorded.
    let form = nurse.get(&new_path).await?;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form
        .body
        .contains("Are you proposing this on behalf of residents?"));
    let (key, form_token) = form_keys(&form.body, &new_path)?;
    let refused = nurse
        .post(
            &new_path,
            &[
                ("idempotency_key", key.as_str()),
                ("form_token", form_token.as_str()),
                ("title", "Screening at the GP surgery"),
                (
                    "summary",
                    "Offer screening on the same day as the diabetes review.",
                ),
                ("on_behalf", "yes"),
                ("residents", RESIDENTS),
                ("agreed", AGREED),
            ],
        )
        .await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rule = "Only a community champion can propose an idea on behalf of residents.";
    assert!(refused.body.contains(rule), "{}", refused.body);
    let by_choice =
        beside(&refused.body, "on_behalf-error").context("no error beside the choice")?;
    assert!(by_choice.contains(rule), "{by_choice}");
    assert_eq!(chain_head(&server).await?, head, "nothing recorded");

    // Another hub's member sees none of it.
    let outsider_id = Uuid::now_v7();
    let outsider_token = token(dir.path(), outsider_id).await?;
    server
        .found_hub(&outsider_token, "Tipton Hub", "Another place")
        .await?;
    let outsider = Browser::new(&server, &outsider_token)?;
    assert_eq!(outsider.get(&to).await?.status, StatusCode::NOT_FOUND);
    assert_eq!(outsider.get(&new_path).await?.status, StatusCode::NOT_FOUND);
    let heard = outsider.get(&format!("/hubs/{hub}/heard")).await?;
    assert!(
        heard.status == StatusCode::FORBIDDEN || heard.status == StatusCode::NOT_FOUND,
        "{}",
        heard.status
    );
    assert!(!heard.body.contains("waiting for a response;"));

    server.stop().await?;
    let log = export_log(dir.path()).await?;
    let proposed: Vec<&Value> = log
        .iter()
        .filter(|e| e["event_type"] == "IdeaProposed")
        .collect();
    assert_eq!(
        proposed.len(),
        2,
        "the demo's idea and the champion's, once"
    );
    let ours = proposed[1];
    assert_eq!(ours["payload"]["title"]["text"], TITLE);
    assert_eq!(ours["payload"]["on_behalf_of"]["anonymous"], true);
    assert_eq!(
        ours["payload"]["on_behalf_of"]["residents"]["text"],
        RESIDENTS
    );
    assert_eq!(
        ours["payload"]["on_behalf_of"]["how_residents_agreed"]["text"],
        AGREED
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_waits_on_the_heard_page_until_it_is_answered() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let champion_token = demo_token(dir.path(), "champion").await?;
    let champion = Browser::new(&server, &champion_token)?;
    let nurse = Browser::new(&server, &demo_token(dir.path(), "nurse").await?)?;
    let hub = example::HUB.uuid();
    let problem = example::PROBLEM.uuid();

    // The champion proposes an idea of her own.
    let new_path = format!("/hubs/{hub}/problems/{problem}/ideas/new");
    let form = champion.get(&new_path).await?;
    let (key, form_token) = form_keys(&form.body, &new_path)?;
    let proposed = champion
        .post(
            &new_path,
            &[
                ("idempotency_key", key.as_str()),
                ("form_token", form_token.as_str()),
                ("title", TITLE),
                ("summary", SUMMARY),
                ("on_behalf", "no"),
            ],
        )
        .await?;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER, "{}", proposed.body);
    let idea_path = proposed
        .location
        .context("no Location")?
        .trim_end_matches("?done=idea-proposed")
        .to_string();

    // The nurse gives feedback (twice, as a double click: recorded once).
    let feedback = "Could the cafe also offer a lift to the eye clinic?";
    let feedback_action = format!("{idea_path}/feedback");
    let page = nurse.get(&idea_path).await?;
    assert!(
        !page.body.contains("/response\""),
        "only the idea's proposer is offered a Respond form"
    );
    let (key, form_token) = form_keys(&page.body, &feedback_action)?;
    let fields = [
        ("idempotency_key", key.as_str()),
        ("form_token", form_token.as_str()),
        ("feedback", feedback),
    ];
    let given = nurse.post(&feedback_action, &fields).await?;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    assert_eq!(
        given.location.as_deref(),
        Some(format!("{idea_path}?done=feedback-given").as_str())
    );
    let head = chain_head(&server).await?;
    let again = nurse.post(&feedback_action, &fields).await?;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(chain_head(&server).await?, head, "recorded once");

    // Empty feedback: 422, beside the feedback field, nothing recorded.
    let page = nurse.get(&idea_path).await?;
    let (key, form_token) = form_keys(&page.body, &feedback_action)?;
    let refused = nurse
        .post(
            &feedback_action,
            &[
                ("idempotency_key", key.as_str()),
                ("form_token", form_token.as_str()),
                ("feedback", ""),
            ],
        )
        .await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("There is a problem"));
    let by = beside(&refused.body, "feedback-error").context("no error beside the feedback")?;
    assert!(by.contains("The feedback is empty"), "{by}");
    assert_eq!(chain_head(&server).await?, head, "nothing recorded");

    // The idea page shows the feedback, waiting; the proposer is offered a Respond form.
    let page = champion.get(&idea_path).await?;
    assert!(page.body.contains(feedback));
    assert!(page.body.contains("Feedback from Rachel Green"));
    assert!(page.body.contains("Waiting for a response."));
    let action_start = page
        .body
        .find(&format!("action=\"{idea_path}/feedback/"))
        .context("no Respond form for the proposer")?;
    let action_at = action_start + "action=\"".len();
    let action_end = page.body[action_at..].find('"').context("unterminated")? + action_at;
    let respond_action = page.body[action_at..action_end].to_string();
    let feedback_id = respond_action
        .trim_start_matches(&format!("{idea_path}/feedback/"))
        .trim_end_matches("/response")
        .to_string();
    let response_field = format!("response-{feedback_id}");
    assert!(page.body.contains(&format!("id=\"{response_field}\"")));

    // The heard page lists it, with the days waited, after older contributions.
    let heard_path = format!("/hubs/{hub}/heard");
    let heard = champion.get(&heard_path).await?;
    assert_eq!(heard.status, StatusCode::OK, "{}", heard.body);
    let n = waiting(&server, &champion_token).await?;
    assert!(
        heard.body.contains(&format!(
            "{n} contributions are waiting for a response; the oldest has waited"
        )),
        "{}",
        heard.body
    );
    let at_feedback = heard
        .body
        .find(feedback)
        .context("the feedback is listed")?;
    let older = "My neighbours ask me to read their hospital letters.";
    let at_older = heard
        .body
        .find(older)
        .context("the demo's unanswered perspective")?;
    assert!(at_older < at_feedback, "oldest first");
    let item = &heard.body[heard.body[..at_feedback].rfind("<li").unwrap_or(0)..at_feedback];
    assert!(item.contains("Waiting: less than a day"), "{item}");
    assert!(
        item.contains("Feedback on an idea from Rachel Green"),
        "{item}"
    );
    assert!(
        heard.body[at_feedback..].contains(&format!("href=\"{idea_path}#feedback-{feedback_id}\"")),
        "a link to the feedback"
    );

    // An empty response: 422 beside that response field; nothing recorded.
    let (key, form_token) = form_keys(&page.body, &respond_action)?;
    let head = chain_head(&server).await?;
    let refused = champion
        .post(
            &respond_action,
            &[
                ("idempotency_key", key.as_str()),
                ("form_token", form_token.as_str()),
                (response_field.as_str(), " "),
            ],
        )
        .await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let by = beside(&refused.body, &format!("{response_field}-error"))
        .context("no error beside the response")?;
    assert!(by.contains("The response is empty"), "{by}");
    assert!(refused
        .body
        .contains(&format!("href=\"#{response_field}\"")));
    assert_eq!(chain_head(&server).await?, head, "nothing recorded");

    // The response, then: shown under the feedback, which is answered.
    let response = "Yes: the housing association's minibus can take residents on Fridays.";
    let responded = champion
        .post(
            &respond_action,
            &[
                ("idempotency_key", key.as_str()),
                ("form_token", form_token.as_str()),
                (response_field.as_str(), response),
            ],
        )
        .await?;
    assert_eq!(
        responded.status,
        StatusCode::SEE_OTHER,
        "{}",
        responded.body
    );
    assert_eq!(
        responded.location.as_deref(),
        Some(format!("{idea_path}?done=response-given").as_str())
    );
    let page = champion
        .get(&format!("{idea_path}?done=response-given"))
        .await?;
    assert!(page.body.contains("your response was recorded."));
    assert!(page.body.contains(response));
    assert!(page.body.contains("Response from Amina Begum"));
    assert!(page.body.contains("Answered."));
    assert!(
        !page.body.contains(&format!("id=\"{response_field}\"")),
        "no second response is offered"
    );

    // The heard page no longer lists it as waiting; the full list says who answered it.
    let heard = champion.get(&heard_path).await?;
    assert!(!heard.body.contains(feedback), "answered, so not waiting");
    let all = champion.get(&format!("{heard_path}?all=1")).await?;
    let at = all
        .body
        .find(feedback)
        .context("listed among every contribution")?;
    let rest = &all.body[at..];
    let rest = &rest[..rest.find("</li>").unwrap_or(rest.len())];
    if !(rest.contains("Answered by Amina Begum")
        && rest.contains("they responded to the feedback"))
    {
        bail!("who answered it and how:\n{rest}");
    }

    server.stop().await?;
    let log = export_log(dir.path()).await?;
    let given = log
        .iter()
        .filter(|e| e["event_type"] == "FeedbackGiven" && e["payload"]["text"]["text"] == feedback)
        .count();
    assert_eq!(given, 1, "the feedback once");
    Ok(())
}
