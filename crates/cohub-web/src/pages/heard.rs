//! "Feeling heard": what in a hub waits for a response and for how long, oldest first, and
//! every contribution with who acknowledged and answered it and when.

use crate::layout::{self, Chrome};
use crate::session::Session;
use crate::shapes::{Text, Who, WHO};
use crate::text;
use crate::App;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// The page's query: every contribution (`all=1`) or only the waiting ones, a page after a
/// cursor, and a notice.
#[derive(Deserialize, Default)]
pub struct Params {
    all: Option<String>,
    after: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    hub: Option<Hub>,
}

#[derive(Deserialize)]
struct Hub {
    id: Uuid,
    name: String,
    waiting: Summary,
    contributions: Contributions,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    total_count: i64,
    longest_wait_days: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contributions {
    total_count: i64,
    page_info: PageInfo,
    nodes: Vec<Contribution>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contribution {
    kind: String,
    problem_id: Option<Uuid>,
    perspective_id: Option<Uuid>,
    idea_id: Option<Uuid>,
    feedback_id: Option<Uuid>,
    distribution_id: Option<Uuid>,
    version: Option<i64>,
    organisation: Option<Party>,
    text: Text,
    made: Who,
    heard: Heard,
    days_waited: Option<i64>,
}

#[derive(Deserialize)]
struct Party {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Heard {
    acknowledgements: Vec<Acknowledgement>,
    answer: Option<Answer>,
}

#[derive(Deserialize)]
struct Acknowledgement {
    note: Option<Text>,
    by: Who,
}

#[derive(Deserialize)]
struct Answer {
    kind: String,
    by: Who,
}

/// How many contributions a page shows.
const PAGE: i64 = 25;

fn query() -> String {
    format!(
        "query Heard($id: UUID!, $unanswered: Boolean!, $first: Int!, $after: String) {{
  hub(id: $id) {{
    id name
    waiting: contributions(unansweredOnly: true, first: 1) {{ totalCount longestWaitDays }}
    contributions(unansweredOnly: $unanswered, first: $first, after: $after) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      nodes {{
        kind problemId perspectiveId ideaId feedbackId distributionId version
        organisation {{ name }}
        text {{ text lang }}
        made {{ {WHO} }}
        heard {{ acknowledgements {{ note {{ text lang }} by {{ {WHO} }} }} answer {{ kind by {{ {WHO} }} }} }}
        daysWaited
      }}
    }}
  }}
}}"
    )
}

/// GET /hubs/{hub}/heard.
pub async fn show(
    State(app): State<App>,
    session: Session,
    Path(hub): Path<Uuid>,
    Query(q): Query<Params>,
) -> Response {
    let all = q.all.as_deref().is_some_and(|a| !a.is_empty() && a != "0");
    let here = format!("/hubs/{hub}/heard{}", if all { "?all=1" } else { "" });
    if let Err(r) = session.require(&here) {
        return r;
    }
    let chrome = Chrome::of(&session).with_notice(layout::notice(q.done.as_deref()));
    let vars = json!({ "id": hub, "unanswered": !all, "first": PAGE, "after": q.after });
    let data: Data = match app.client.query(session.auth, &query(), vars).await {
        Ok(d) => d,
        Err(f) => return layout::failure(&chrome, &f, &here),
    };
    let Some(hub) = data.hub else {
        return layout::not_found(&chrome);
    };
    let chrome = chrome.in_hub(hub.id, &hub.name, "heard");
    let base = format!("/hubs/{}/heard", hub.id);
    let list = &hub.contributions;
    let next = list
        .page_info
        .end_cursor
        .as_deref()
        .filter(|_| list.page_info.has_next_page)
        .map(|c| {
            format!(
                "{base}?{}after={}",
                if all { "all=1&" } else { "" },
                text::url_encode(c)
            )
        });
    let first_page = format!("{base}{}", if all { "?all=1" } else { "" });
    layout::ok(
        &chrome,
        "Feeling heard",
        html! {
            h1 { "Feeling heard" }
            p class="lead" { (waiting_sentence(&hub.waiting)) }
            p { "Everyone who contributes should hear back. This page shows what is still waiting for a response, oldest first, so nothing is forgotten." }
            nav aria-label="What to show" {
                ul {
                    li {
                        @if all { a href=(base) { "Show only what is waiting for a response" } }
                        @else { strong { "Showing what is waiting for a response" } }
                    }
                    li {
                        @if all { strong { "Showing every contribution and who answered it" } }
                        @else { a href={ (base) "?all=1" } { "Show every contribution and who answered it" } }
                    }
                }
            }
            @if all {
                h2 { "Every contribution" }
                p { (list.total_count) " contributions in all, oldest first." }
            } @else {
                h2 { "Waiting for a response" }
            }
            @if list.nodes.is_empty() {
                @if q.after.is_some() { p { "There is nothing more to show." } }
                @else if all { p { "Nobody has contributed yet." } }
                @else { p { "Nothing is waiting. Every contribution has been answered." } }
            }
            ol class="list-plain" {
                @for c in &list.nodes {
                    li class="card" { (contribution(&hub.id, c)) }
                }
            }
            @if let Some(next) = &next {
                p { a href=(next) { "Show the next " (PAGE) " contributions" } }
            }
            @if q.after.is_some() {
                p { a href=(first_page) { "Go back to the oldest" } }
            }
        },
    )
}

/// "5 contributions are waiting for a response; the oldest has waited 12 days."
fn waiting_sentence(s: &Summary) -> String {
    let days = s.longest_wait_days.unwrap_or(0);
    match s.total_count {
        0 => "Nothing is waiting for a response.".to_string(),
        1 => format!(
            "1 contribution is waiting for a response; it has waited {}.",
            text::days(days)
        ),
        n => format!(
            "{n} contributions are waiting for a response; the oldest has waited {}.",
            text::days(days)
        ),
    }
}

/// What kind of contribution it is, in words.
fn kind_words(c: &Contribution) -> String {
    match c.kind.as_str() {
        "PROBLEM" => "A problem".into(),
        "PERSPECTIVE" => "A perspective on a problem".into(),
        "IDEA" => "An idea".into(),
        "FEEDBACK" => "Feedback on an idea".into(),
        "OBJECTION" => {
            let org = c
                .organisation
                .as_ref()
                .and_then(|o| o.name.as_deref())
                .unwrap_or("an organisation");
            match c.version {
                Some(v) => format!("An objection from {org} to version {v} of a distribution"),
                None => format!("An objection from {org} to a distribution"),
            }
        }
        other => text::label(other),
    }
}

/// Where the contribution is, as a link.
fn link(hub: &Uuid, c: &Contribution) -> Markup {
    let (href, words) = match c.kind.as_str() {
        "PERSPECTIVE" => (
            c.problem_id.map(|p| {
                format!(
                    "/hubs/{hub}/problems/{p}#perspective-{}",
                    c.perspective_id.unwrap_or_default()
                )
            }),
            "Go to the perspective on its problem",
        ),
        "IDEA" => (
            c.idea_id.map(|i| format!("/hubs/{hub}/ideas/{i}")),
            "Go to the idea",
        ),
        "FEEDBACK" => (
            c.idea_id.map(|i| {
                format!(
                    "/hubs/{hub}/ideas/{i}#feedback-{}",
                    c.feedback_id.unwrap_or_default()
                )
            }),
            "Go to the feedback on its idea",
        ),
        "OBJECTION" => (
            c.distribution_id
                .map(|d| format!("/hubs/{hub}/distributions/{d}")),
            "Go to the distribution",
        ),
        _ => (
            c.problem_id.map(|p| format!("/hubs/{hub}/problems/{p}")),
            "Go to the problem",
        ),
    };
    html! { @if let Some(href) = href { p { a href=(href) { (words) } } } }
}

/// How an answer came, in words.
fn answer_words(kind: &str) -> &'static str {
    match kind {
        "NOTE" => "they replied with a note",
        "PERSPECTIVE" => "they added a perspective to the problem",
        "IDEA" => "they proposed an idea for the problem",
        "STAGE_MOVE" => "they moved the problem to a new stage",
        "REVISION" => "they wrote a new version that answers it",
        "FEEDBACK" => "they gave feedback on the idea",
        "RESPONSE" => "they responded to the feedback",
        "DECISION" => "they recorded a decision on the idea",
        "AMENDMENT" => "they wrote a new version of the distribution",
        "WITHDRAWAL" => "they withdrew the distribution",
        "ANSWER" => "they answered the objection",
        "CLOSURE" => "they closed the round without agreement",
        "ABANDONMENT" => "they abandoned the change",
        _ => "they replied",
    }
}

/// One contribution: how long it waited (or that it was answered), what it is, who made it,
/// its words, who acknowledged and answered it, and where it is.
fn contribution(hub: &Uuid, c: &Contribution) -> Markup {
    html! {
        h3 { (kind_words(c)) " from " (c.made.member_name) }
        p {
            @match (&c.heard.answer, c.days_waited) {
                (Some(_), _) => span class="tag tag--agreed" { "Answered" },
                (None, Some(d)) => span class="tag tag--waiting" { "Waiting: " (text::days(d)) },
                (None, None) => span class="tag tag--waiting" { "Waiting" },
            }
        }
        p class="meta" { "Made by " (c.made.line()) "." }
        blockquote { p { (c.text) } }
        @if !c.heard.acknowledgements.is_empty() || c.heard.answer.is_some() {
            ul class="meta" {
                @for a in &c.heard.acknowledgements {
                    li {
                        "Acknowledged by " (a.by.line())
                        @if let Some(n) = &a.note { ", with the note: “" (n) "”" }
                        "."
                    }
                }
                @if let Some(a) = &c.heard.answer {
                    li { "Answered by " (a.by.line()) ": " (answer_words(&a.kind)) "." }
                }
            }
        } @else {
            p class="meta" { "Nobody has acknowledged it yet." }
        }
        (link(hub, c))
    }
}
