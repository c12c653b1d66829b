//! A problem (its framing, perspectives, endorsements and ideas), framing a new one, and
//! adding a perspective.

use super::lookup::{self, HubRef, ProblemRef};
use crate::form::{self, Form, Sent};
use crate::layout::{self, Chrome};
use crate::session::Session;
use crate::shapes::{Text, Who, WHO};
use crate::App;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// A page's `done` notice.
#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

// ---- framing a problem ----

const FRAMING_FIELDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("problem statement", "statement"),
    ("description of who is affected", "affected"),
    ("place", "place"),
];

fn frame_page(
    chrome: &Chrome,
    session: &Session,
    hub: &HubRef,
    form: &Form,
    status: StatusCode,
) -> Response {
    layout::respond(
        status,
        chrome,
        "Frame a problem",
        html! {
            (form::summary(form))
            h1 { "Frame a problem" }
            p { "Describe a health problem in your community in your own words. Everyone in " (hub.name) " will see it, with your name and organisation." }
            form method="post" action={ "/hubs/" (hub.id) "/problems/new" } novalidate {
                (form::hidden(form, session))
                (form::text(form, "title", "Title", Some("A short name for the problem, up to 200 characters.")))
                (form::area(form, "statement", "What is the problem?", Some("Up to 4,000 characters.")))
                (form::area(form, "affected", "Who is affected?", Some("For example, older residents of the Lion Farm estate. Up to 2,000 characters.")))
                (form::text(form, "place", "Where?", Some("A neighbourhood, street or building.")))
                (form::submit("Record the problem"))
            }
        },
    )
}

/// GET /hubs/{hub}/problems/new.
pub async fn frame_form(
    State(app): State<App>,
    session: Session,
    Path(hub): Path<Uuid>,
) -> Response {
    let here = format!("/hubs/{hub}/problems/new");
    if let Err(r) = session.require(&here) {
        return r;
    }
    let chrome = Chrome::of(&session);
    let hub = match lookup::hub(&app, &session, hub).await {
        Ok(Some(h)) => h,
        Ok(None) => return layout::not_found(&chrome),
        Err(f) => return layout::failure(&chrome, &f, &here),
    };
    let chrome = chrome.in_hub(hub.id, &hub.name, "problems");
    frame_page(&chrome, &session, &hub, &Form::blank(), StatusCode::OK)
}

/// POST /hubs/{hub}/problems/new. The change is sent first (nothing else touches the log
/// before it); the hub's name is asked only to show the form again.
pub async fn frame_submit(
    State(app): State<App>,
    session: Session,
    Path(hub_id): Path<Uuid>,
    body: String,
) -> Response {
    let here = format!("/hubs/{hub_id}/problems/new");
    let fields = form::parse(&body);
    let v = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    let vars = json!({
        "input": {
            "hubId": hub_id,
            "framing": {
                "title": form::plain(v("title")),
                "statement": form::plain(v("statement")),
                "affected": form::plain(v("affected")),
                "place": form::plain(v("place")),
            }
        }
    });
    let doc = "mutation Frame($input: FrameProblemInput!, $idempotencyKey: String) {
  frameProblem(input: $input, idempotencyKey: $idempotencyKey) { problem { id } }
}";
    match form::send(&app, &session, fields.clone(), doc, vars, FRAMING_FIELDS).await {
        Sent::Done(data) => {
            let id = data["frameProblem"]["problem"]["id"]
                .as_str()
                .unwrap_or_default();
            lookup::see_other(format!("/hubs/{hub_id}/problems/{id}?done=problem-framed"))
        }
        Sent::Again(form) => {
            let chrome = Chrome::of(&session);
            let hub = match lookup::hub(&app, &session, hub_id).await {
                Ok(Some(h)) => h,
                Ok(None) => return layout::not_found(&chrome),
                Err(f) => return layout::failure(&chrome, &f, &here),
            };
            let chrome = chrome.in_hub(hub.id, &hub.name, "problems");
            frame_page(
                &chrome,
                &session,
                &hub,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

// ---- a problem ----

#[derive(Deserialize)]
struct Data {
    hub: Option<HubRef>,
    problem: Option<Problem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Problem {
    id: Uuid,
    hub_id: Uuid,
    stage: String,
    current: Version,
    versions: Vec<VersionNumber>,
    framed: Who,
    perspectives: Vec<Perspective>,
    endorsements: Vec<Who>,
    ideas: Vec<Idea>,
}

#[derive(Deserialize)]
struct VersionNumber {
    version: i64,
}

#[derive(Deserialize)]
struct Version {
    title: Text,
    statement: Text,
    affected: Text,
    place: Text,
    evidence: Vec<Evidence>,
}

#[derive(Deserialize)]
struct Evidence {
    kind: String,
    text: Text,
}

#[derive(Deserialize)]
struct Perspective {
    id: Uuid,
    kind: String,
    text: Text,
    added: Who,
    heard: Heard,
}

/// Whether a contribution was acknowledged and answered (`heard { acknowledged answered }`).
#[derive(Deserialize)]
pub struct Heard {
    /// Someone acknowledged it.
    pub acknowledged: bool,
    /// Someone answered it.
    pub answered: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Idea {
    id: Uuid,
    status: String,
    current: IdeaVersion,
    proposed: Who,
    on_behalf_of: Option<OnBehalf>,
}

#[derive(Deserialize)]
struct IdeaVersion {
    title: Text,
    summary: Text,
}

#[derive(Deserialize)]
struct OnBehalf {
    residents: Text,
    anonymous: bool,
}

fn problem_query() -> String {
    format!(
        "query Problem($hub: UUID!, $id: UUID!) {{
  hub(id: $hub) {{ id name }}
  problem(id: $id) {{
    id hubId stage
    current {{ title {{ text lang }} statement {{ text lang }} affected {{ text lang }} place {{ text lang }} evidence {{ kind text {{ text lang }} }} }}
    versions {{ version }}
    framed {{ {WHO} }}
    perspectives {{ id kind text {{ text lang }} added {{ {WHO} }} heard {{ acknowledged answered }} }}
    endorsements {{ {WHO} }}
    ideas {{ id status current {{ title {{ text lang }} summary {{ text lang }} }} proposed {{ {WHO} }} onBehalfOf {{ residents {{ text lang }} anonymous }} }}
  }}
}}"
    )
}

/// GET /hubs/{hub}/problems/{problem}.
pub async fn show(
    State(app): State<App>,
    session: Session,
    Path((hub, problem)): Path<(Uuid, Uuid)>,
    Query(q): Query<Done>,
) -> Response {
    let here = format!("/hubs/{hub}/problems/{problem}");
    let chrome = Chrome::of(&session).with_notice(layout::notice(q.done.as_deref()));
    let data: Data = match app
        .client
        .query(
            session.auth,
            &problem_query(),
            json!({ "hub": hub, "id": problem }),
        )
        .await
    {
        Ok(d) => d,
        Err(f) => return layout::failure(&chrome, &f, &here),
    };
    let (Some(hub), Some(p)) = (data.hub, data.problem) else {
        return layout::not_found(&chrome);
    };
    if p.hub_id != hub.id {
        return layout::not_found(&chrome);
    }
    let chrome = chrome.in_hub(hub.id, &hub.name, "problems");
    let base = format!("/hubs/{}/problems/{}", hub.id, p.id);
    layout::ok(
        &chrome,
        &p.current.title.text,
        html! {
            p class="meta" { "Problem" }
            h1 { (p.current.title) }
            p class="meta" {
                "Stage: " strong { (crate::text::label(&p.stage)) } ". Framed by " (p.framed.line()) "."
                @if p.versions.len() > 1 { " Revised " (p.versions.len() - 1) " times; this is version " (p.versions.last().map(|v| v.version).unwrap_or(1)) "." }
            }
            dl class="summary-list" {
                dt { "The problem" } dd { (p.current.statement) }
                dt { "Who is affected" } dd { (p.current.affected) }
                dt { "Where" } dd { (p.current.place) }
            }
            @if !p.current.evidence.is_empty() {
                h2 { "Evidence" }
                ul { @for e in &p.current.evidence { li { strong { (crate::text::label(&e.kind)) ": " } (e.text) } } }
            }
            h2 { "Perspectives" }
            @if p.perspectives.is_empty() { p { "Nobody has added a perspective yet." } }
            @for x in &p.perspectives {
                div class="card" id={ "perspective-" (x.id) } {
                    p class="meta" { strong { (crate::text::label(&x.kind)) } " – " (x.added.line()) }
                    p { (x.text) }
                    p class="meta" { (heard_words(&x.heard)) }
                }
            }
            p { a class="button button--secondary" href={ (base) "/perspectives/new" } { "Add a perspective" } }
            h2 { "Endorsements" }
            @if p.endorsements.is_empty() {
                p { "No organisation has said this matters to them yet." }
            } @else {
                ul { @for e in &p.endorsements { li { (e.line()) } } }
            }
            h2 { "Ideas" }
            @if p.ideas.is_empty() { p { "No ideas have been proposed yet." } }
            @for i in &p.ideas {
                div class="card" {
                    h3 { a href={ "/hubs/" (hub.id) "/ideas/" (i.id) } { (i.current.title) } }
                    p class="meta" { "Status: " strong { (crate::text::label(&i.status)) } ". Proposed by " (i.proposed.line()) "." }
                    @if let Some(b) = &i.on_behalf_of {
                        p class="meta" { "On behalf of residents: "
                            @if b.anonymous { "residents who asked not to be named (" (b.residents) ")" } @else { (b.residents) }
                        }
                    }
                    p { (i.current.summary) }
                }
            }
            p { a class="button" href={ (base) "/ideas/new" } { "Propose an idea" } }
        },
    )
}

/// Whether a contribution was acknowledged and answered, in words.
pub fn heard_words(h: &Heard) -> Markup {
    html! {
        @if h.answered { "Answered." }
        @else if h.acknowledged { "Acknowledged, not answered yet." }
        @else { "Waiting for a response." }
    }
}

// ---- adding a perspective ----

const PERSPECTIVE_KINDS: &[(&str, &str)] = &[
    (
        "LIVED_EXPERIENCE",
        "Lived experience – what residents live through",
    ),
    ("CLINICAL", "Clinical – what clinicians see"),
    (
        "COMMISSIONING",
        "Commissioning – how services are paid for and planned",
    ),
    ("DATA", "Data – what the figures show"),
    (
        "SOCIAL_CAUSES",
        "Social causes – housing, income, language, work",
    ),
];

fn perspective_page(
    chrome: &Chrome,
    session: &Session,
    hub: &HubRef,
    p: &ProblemRef,
    form: &Form,
    status: StatusCode,
) -> Response {
    layout::respond(
        status,
        chrome,
        "Add a perspective",
        html! {
            (form::summary(form))
            p class="meta" { "Problem: " a href={ "/hubs/" (hub.id) "/problems/" (p.id) } { (p.current.title) } }
            h1 { "Add a perspective" }
            form method="post" action={ "/hubs/" (hub.id) "/problems/" (p.id) "/perspectives/new" } novalidate {
                (form::hidden(form, session))
                (form::radios(form, "kind", "What kind of perspective is it?", None, PERSPECTIVE_KINDS))
                (form::area(form, "text", "Your perspective", Some("Up to 2,000 characters.")))
                (form::submit("Record the perspective"))
            }
        },
    )
}

/// GET /hubs/{hub}/problems/{problem}/perspectives/new.
pub async fn perspective_form(
    State(app): State<App>,
    session: Session,
    Path((hub, problem)): Path<(Uuid, Uuid)>,
) -> Response {
    let here = format!("/hubs/{hub}/problems/{problem}/perspectives/new");
    if let Err(r) = session.require(&here) {
        return r;
    }
    let chrome = Chrome::of(&session);
    match lookup::problem(&app, &session, hub, problem).await {
        Ok(Some((h, p))) => {
            let chrome = chrome.in_hub(h.id, &h.name, "problems");
            perspective_page(&chrome, &session, &h, &p, &Form::blank(), StatusCode::OK)
        }
        Ok(None) => layout::not_found(&chrome),
        Err(f) => layout::failure(&chrome, &f, &here),
    }
}

/// POST /hubs/{hub}/problems/{problem}/perspectives/new.
pub async fn perspective_submit(
    State(app): State<App>,
    session: Session,
    Path((hub, problem)): Path<(Uuid, Uuid)>,
    body: String,
) -> Response {
    let here = format!("/hubs/{hub}/problems/{problem}/perspectives/new");
    let chrome = Chrome::of(&session);
    let (h, p) = match lookup::problem(&app, &session, hub, problem).await {
        Ok(Some(found)) => found,
        Ok(None) => return layout::not_found(&chrome),
        Err(f) => return layout::failure(&chrome, &f, &here),
    };
    let chrome = chrome.in_hub(h.id, &h.name, "problems");
    let fields = form::parse(&body);
    let kind = fields.get("kind").cloned().unwrap_or_default();
    if !PERSPECTIVE_KINDS.iter().any(|(k, _)| *k == kind) {
        let mut again = Form {
            key: fields.get("idempotency_key").cloned().unwrap_or_default(),
            values: fields,
            errors: Vec::new(),
        };
        again.errors.push(form::FieldError {
            field: "kind".into(),
            message: "Choose what kind of perspective it is".into(),
        });
        return perspective_page(
            &chrome,
            &session,
            &h,
            &p,
            &again,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let vars = json!({
        "input": {
            "problemId": problem,
            "kind": kind,
            "text": form::plain(fields.get("text").map(String::as_str).unwrap_or("")),
        }
    });
    let doc = "mutation AddPerspective($input: AddPerspectiveInput!, $idempotencyKey: String) {
  addPerspective(input: $input, idempotencyKey: $idempotencyKey) { perspective { id } }
}";
    match form::send(
        &app,
        &session,
        fields,
        doc,
        vars,
        &[("perspective", "text")],
    )
    .await
    {
        Sent::Done(_) => lookup::see_other(format!(
            "/hubs/{hub}/problems/{problem}?done=perspective-added"
        )),
        Sent::Again(form) => perspective_page(
            &chrome,
            &session,
            &h,
            &p,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}
