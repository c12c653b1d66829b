//! A hub's problems: each with its framing, perspectives, endorsements and ideas.

use crate::layout::{self, Chrome};
use crate::session::Session;
use crate::shapes::{Text, Who, WHO};
use crate::App;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// The page's query: a page of problems after a cursor, and a notice.
#[derive(Deserialize, Default)]
pub struct Params {
    after: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    hub: Option<Hub>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hub {
    id: Uuid,
    name: String,
    purpose: Text,
    problems: Problems,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Problems {
    edges: Vec<Edge>,
    page_info: PageInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Edge {
    node: Problem,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Problem {
    id: Uuid,
    stage: String,
    current: Version,
    framed: Who,
    perspectives: Vec<Perspective>,
    endorsements: Vec<Who>,
    ideas: Vec<Idea>,
}

#[derive(Deserialize)]
struct Version {
    title: Text,
    statement: Text,
}

#[derive(Deserialize)]
struct Perspective {
    kind: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Idea {
    id: Uuid,
    status: String,
    current: IdeaVersion,
    on_behalf_of: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct IdeaVersion {
    title: Text,
}

/// How many problems a page shows.
const PAGE: i64 = 20;

fn query() -> String {
    format!(
        "query HubProblems($id: UUID!, $first: Int!, $after: String) {{
  hub(id: $id) {{
    id name purpose {{ text lang }}
    problems(first: $first, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      edges {{ node {{
        id stage current {{ title {{ text lang }} statement {{ text lang }} }}
        framed {{ {WHO} }}
        perspectives {{ kind }}
        endorsements {{ {WHO} }}
        ideas {{ id status current {{ title {{ text lang }} }} onBehalfOf {{ anonymous }} }}
      }} }}
    }}
  }}
}}"
    )
}

/// GET /hubs/{hub}.
pub async fn show(
    State(app): State<App>,
    session: Session,
    Path(hub): Path<Uuid>,
    Query(q): Query<Params>,
) -> Response {
    let here = format!("/hubs/{hub}");
    let chrome = Chrome::of(&session).with_notice(layout::notice(q.done.as_deref()));
    let vars = json!({ "id": hub, "first": PAGE, "after": q.after });
    let data: Data = match app.client.query(session.auth, &query(), vars).await {
        Ok(d) => d,
        Err(f) => return layout::failure(&chrome, &f, &here),
    };
    let Some(hub) = data.hub else {
        return layout::not_found(&chrome);
    };
    let chrome = chrome.in_hub(hub.id, &hub.name, "problems");
    layout::ok(
        &chrome,
        &hub.name,
        html! {
            h1 { (hub.name) }
            p class="lead" { (hub.purpose) }
            p { a class="button" href={ "/hubs/" (hub.id) "/problems/new" } { "Frame a problem" } }
            h2 { "Problems" }
            @if hub.problems.edges.is_empty() && q.after.is_none() {
                p { "No problems have been framed yet." }
            }
            @for e in &hub.problems.edges {
                @let p = &e.node;
                section class="card" aria-labelledby={ "problem-" (p.id) } {
                    h3 id={ "problem-" (p.id) } { a href={ "/hubs/" (hub.id) "/problems/" (p.id) } { (p.current.title) } }
                    p class="meta" { "Stage: " strong { (crate::text::label(&p.stage)) } ". Framed by " (p.framed.line()) "." }
                    p { (p.current.statement) }
                    ul class="meta" {
                        li { (count(p.perspectives.len(), "perspective", "perspectives"))
                            @if !p.perspectives.is_empty() {
                                " (" (kinds(&p.perspectives)) ")"
                            }
                        }
                        li { (count(p.endorsements.len(), "endorsement", "endorsements"))
                            @if !p.endorsements.is_empty() {
                                ": " (p.endorsements.iter().map(|w| w.organisation_name.clone().unwrap_or_else(|| w.member_name.clone())).collect::<Vec<_>>().join(", "))
                            }
                        }
                        li { (count(p.ideas.len(), "idea", "ideas")) }
                    }
                    @if !p.ideas.is_empty() {
                        h4 class="visually-hidden" { "Ideas for this problem" }
                        ul {
                            @for i in &p.ideas {
                                li {
                                    a href={ "/hubs/" (hub.id) "/ideas/" (i.id) } { (i.current.title) }
                                    " – " (crate::text::label(&i.status))
                                    @if i.on_behalf_of.is_some() { ", on behalf of residents" }
                                }
                            }
                        }
                    }
                }
            }
            @if hub.problems.page_info.has_next_page {
                @if let Some(c) = &hub.problems.page_info.end_cursor {
                    p { a href={ "/hubs/" (hub.id) "?after=" (crate::text::url_encode(c)) } { "Next problems" } }
                }
            }
        },
    )
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn kinds(ps: &[Perspective]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for p in ps {
        let l = crate::text::label(&p.kind).to_lowercase();
        if !seen.contains(&l) {
            seen.push(l);
        }
    }
    seen.join(", ")
}
