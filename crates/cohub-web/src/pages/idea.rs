//! An idea (its versions, supports, decisions, distributions and feedback threads), proposing
//! one for a problem (on behalf of residents too), giving feedback and responding to it.

use super::lookup::{self, HubRef, ProblemRef};
use crate::form::{self, Form, Sent};
use crate::layout::{self, Chrome};
use crate::session::Session;
use crate::shapes::{Text, Who, WHO};
use crate::text;
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

// ---- proposing an idea ----

/// The domain's names for the proposal's fields (as `extensions.field` and `extensions.rule`
/// name them) and the inputs they belong to.
const PROPOSAL_FIELDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("summary", "summary"),
    ("description of the residents", "residents"),
    (
        "description of how the residents agreed to be represented",
        "agreed",
    ),
    ("only_champions_speak_for_residents", "on_behalf"),
    ("champions_belong_to_community_organisations", "on_behalf"),
];

fn propose_page(
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
        "Propose an idea",
        html! {
            (form::summary(form))
            p class="meta" { "Problem: " a href={ "/hubs/" (hub.id) "/problems/" (p.id) } { (p.current.title) } }
            h1 { "Propose an idea" }
            p { "Say how this problem could be tackled. Everyone in " (hub.name) " will see your idea, with your name and organisation, and can give feedback on it." }
            form method="post" action={ "/hubs/" (hub.id) "/problems/" (p.id) "/ideas/new" } novalidate {
                (form::hidden(form, session))
                (form::text(form, "title", "Title", Some("A short, plain name for the idea, up to 200 characters.")))
                (form::area(form, "summary", "What is the idea?", Some("What would change, and for whom. Up to 4,000 characters.")))
                (form::radios(form, "on_behalf", "Are you proposing this on behalf of residents?",
                    Some("Only community champions can propose ideas on behalf of residents."),
                    &[("no", "No, it is my own idea"), ("yes", "Yes, on behalf of residents")]))
                fieldset class="fieldset" {
                    legend class="label" { "If you are proposing on behalf of residents" }
                    p class="hint" { "Leave these empty if the idea is your own." }
                    (form::area(form, "residents", "Which residents?", Some("For example, Bengali-speaking tenants of the Lion Farm estate. If they asked not to be named, describe them without naming anyone. Up to 2,000 characters.")))
                    (form::checkbox(form, "anonymous", "They asked not to be named", Some("Their names will not be shown anywhere in cohub.")))
                    (form::area(form, "agreed", "How did they agree to be represented?", Some("For example, at the tenants' meeting on 20 February. Up to 2,000 characters.")))
                }
                (form::submit("Record the idea"))
            }
        },
    )
}

/// GET /hubs/{hub}/problems/{problem}/ideas/new.
pub async fn propose_form(
    State(app): State<App>,
    session: Session,
    Path((hub, problem)): Path<(Uuid, Uuid)>,
) -> Response {
    let here = format!("/hubs/{hub}/problems/{problem}/ideas/new");
    if let Err(r) = session.require(&here) {
        return r;
    }
    let chrome = Chrome::of(&session);
    match lookup::problem(&app, &session, hub, problem).await {
        Ok(Some((h, p))) => {
            let chrome = chrome.in_hub(h.id, &h.name, "problems");
            let mut form = Form::blank();
            form.values.insert("on_behalf".into(), "no".into());
            propose_page(&chrome, &session, &h, &p, &form, StatusCode::OK)
        }
        Ok(None) => layout::not_found(&chrome),
        Err(f) => layout::failure(&chrome, &f, &here),
    }
}

/// POST /hubs/{hub}/problems/{problem}/ideas/new.
pub async fn propose_submit(
    State(app): State<App>,
    session: Session,
    Path((hub, problem)): Path<(Uuid, Uuid)>,
    body: String,
) -> Response {
    let here = format!("/hubs/{hub}/problems/{problem}/ideas/new");
    let chrome = Chrome::of(&session);
    let (h, p) = match lookup::problem(&app, &session, hub, problem).await {
        Ok(Some(found)) => found,
        Ok(None) => return layout::not_found(&chrome),
        Err(f) => return layout::failure(&chrome, &f, &here),
    };
    let chrome = chrome.in_hub(h.id, &h.name, "problems");
    let fields = form::parse(&body);
    let v = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    let mut input = json!({
        "problemId": problem,
        "title": form::plain(v("title")),
        "summary": form::plain(v("summary")),
    });
    if v("on_behalf") == "yes" {
        input["onBehalfOf"] = json!({
            "residents": form::plain(v("residents")),
            "anonymous": v("anonymous") == "yes",
            "howResidentsAgreed": form::plain(v("agreed")),
        });
    }
    let doc = "mutation Propose($input: ProposeIdeaInput!, $idempotencyKey: String) {
  proposeIdea(input: $input, idempotencyKey: $idempotencyKey) { idea { id } }
}";
    let vars = json!({ "input": input });
    match form::send(&app, &session, fields, doc, vars, PROPOSAL_FIELDS).await {
        Sent::Done(data) => {
            let id = data["proposeIdea"]["idea"]["id"]
                .as_str()
                .unwrap_or_default();
            lookup::see_other(format!("/hubs/{hub}/ideas/{id}?done=idea-proposed"))
        }
        Sent::Again(form) => propose_page(
            &chrome,
            &session,
            &h,
            &p,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

// ---- an idea ----

#[derive(Deserialize)]
struct Data {
    hub: Option<HubRef>,
    idea: Option<Idea>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Idea {
    id: Uuid,
    hub_id: Uuid,
    status: String,
    problem: Option<ProblemRef>,
    current: IdeaVersion,
    versions: Vec<IdeaVersion>,
    proposed: Proposer,
    on_behalf_of: Option<OnBehalf>,
    supports: Vec<Who>,
    decisions: Vec<Decision>,
    withdrawal: Option<Withdrawal>,
    distributions: Vec<Distribution>,
    feedback: Vec<Feedback>,
    viewer_may: IdeaMay,
}

/// What the viewer may do to the idea's feedback now, as the domain decides it (`viewerMay`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdeaMay {
    give_feedback: bool,
    respond_to: Vec<Uuid>,
}

#[derive(Deserialize)]
struct IdeaVersion {
    version: i64,
    title: Text,
    summary: Text,
    rationale: Option<Text>,
    written: Who,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Proposer {
    #[serde(flatten)]
    who: Who,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnBehalf {
    residents: Text,
    anonymous: bool,
    how_residents_agreed: Option<Text>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Decision {
    outcome: String,
    version: i64,
    options_considered: Vec<Text>,
    preferences: Vec<Preference>,
    rationale: Text,
    deliberation_seconds: i64,
    minimum_deliberation_seconds: i64,
    recorded: Who,
}

#[derive(Deserialize)]
struct Preference {
    organisation: Party,
    preference: Text,
}

#[derive(Deserialize)]
struct Party {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Withdrawal {
    reason: Text,
    withdrawn: Who,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Distribution {
    id: Uuid,
    status: String,
    variation_open: bool,
    proposed: Who,
}

#[derive(Deserialize)]
struct Feedback {
    id: Uuid,
    text: Text,
    given: Who,
    responses: Vec<Reply>,
    heard: Heard,
}

#[derive(Deserialize)]
struct Reply {
    text: Text,
    responded: Who,
}

#[derive(Deserialize)]
struct Heard {
    acknowledged: bool,
    answered: bool,
}

fn idea_query() -> String {
    let t = "{ text lang }";
    format!(
        "query Idea($hub: UUID!, $id: UUID!) {{
  hub(id: $hub) {{ id name }}
  idea(id: $id) {{
    id hubId status
    viewerMay {{ giveFeedback respondTo }}
    problem {{ id hubId current {{ title {t} }} }}
    current {{ version title {t} summary {t} rationale {t} written {{ {WHO} }} }}
    versions {{ version title {t} summary {t} rationale {t} written {{ {WHO} }} }}
    proposed {{ {WHO} }}
    onBehalfOf {{ residents {t} anonymous howResidentsAgreed {t} }}
    supports {{ {WHO} }}
    decisions {{ outcome version optionsConsidered {t} preferences {{ organisation {{ name }} preference {t} }} rationale {t} deliberationSeconds minimumDeliberationSeconds recorded {{ {WHO} }} }}
    withdrawal {{ reason {t} withdrawn {{ {WHO} }} }}
    distributions {{ id status variationOpen proposed {{ {WHO} }} }}
    feedback {{ id text {t} given {{ {WHO} }} responses {{ text {t} responded {{ {WHO} }} }} heard {{ acknowledged answered }} }}
  }}
}}"
    )
}

/// Which of the idea page's forms was sent and refused.
enum Refused {
    /// Nothing: the page as it is.
    None,
    /// The "Give feedback" form.
    Feedback(Form),
    /// The "Respond" form under one piece of feedback.
    Response(Uuid, Form),
}

/// The idea and its hub, or the response to give instead (not found, a failure).
async fn load(
    app: &App,
    session: &Session,
    chrome: &Chrome,
    hub: Uuid,
    idea: Uuid,
    here: &str,
) -> Result<(HubRef, Idea), Response> {
    let data: Data = app
        .client
        .query(
            session.auth,
            &idea_query(),
            json!({ "hub": hub, "id": idea }),
        )
        .await
        .map_err(|f| layout::failure(chrome, &f, here))?;
    match (data.hub, data.idea) {
        (Some(h), Some(i)) if i.hub_id == h.id => Ok((h, i)),
        _ => Err(layout::not_found(chrome)),
    }
}

/// GET /hubs/{hub}/ideas/{idea}.
pub async fn show(
    State(app): State<App>,
    session: Session,
    Path((hub, idea)): Path<(Uuid, Uuid)>,
    Query(q): Query<Done>,
) -> Response {
    let here = format!("/hubs/{hub}/ideas/{idea}");
    if let Err(r) = session.require(&here) {
        return r;
    }
    let chrome = Chrome::of(&session).with_notice(layout::notice(q.done.as_deref()));
    match load(&app, &session, &chrome, hub, idea, &here).await {
        Ok((h, i)) => {
            let chrome = chrome.in_hub(h.id, &h.name, "problems");
            idea_page(&chrome, &session, &h, &i, Refused::None, StatusCode::OK)
        }
        Err(r) => r,
    }
}

/// POST /hubs/{hub}/ideas/{idea}/feedback.
pub async fn feedback_submit(
    State(app): State<App>,
    session: Session,
    Path((hub, idea)): Path<(Uuid, Uuid)>,
    body: String,
) -> Response {
    let here = format!("/hubs/{hub}/ideas/{idea}");
    let chrome = Chrome::of(&session);
    let (h, i) = match load(&app, &session, &chrome, hub, idea, &here).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let fields = form::parse(&body);
    let vars = json!({
        "input": {
            "ideaId": idea,
            "text": form::plain(fields.get("feedback").map(String::as_str).unwrap_or("")),
        }
    });
    let doc = "mutation GiveFeedback($input: GiveFeedbackInput!, $idempotencyKey: String) {
  giveFeedback(input: $input, idempotencyKey: $idempotencyKey) { feedback { id } }
}";
    match form::send(
        &app,
        &session,
        fields,
        doc,
        vars,
        &[("feedback", "feedback")],
    )
    .await
    {
        Sent::Done(_) => lookup::see_other(format!("/hubs/{hub}/ideas/{idea}?done=feedback-given")),
        Sent::Again(form) => {
            let chrome = chrome.in_hub(h.id, &h.name, "problems");
            idea_page(
                &chrome,
                &session,
                &h,
                &i,
                Refused::Feedback(form),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// POST /hubs/{hub}/ideas/{idea}/feedback/{feedback}/response.
pub async fn response_submit(
    State(app): State<App>,
    session: Session,
    Path((hub, idea, feedback)): Path<(Uuid, Uuid, Uuid)>,
    body: String,
) -> Response {
    let here = format!("/hubs/{hub}/ideas/{idea}");
    let chrome = Chrome::of(&session);
    let (h, i) = match load(&app, &session, &chrome, hub, idea, &here).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if !i.feedback.iter().any(|f| f.id == feedback) {
        return layout::not_found(&chrome);
    }
    let input = format!("response-{feedback}");
    let fields = form::parse(&body);
    let vars = json!({
        "input": {
            "ideaId": idea,
            "feedbackId": feedback,
            "text": form::plain(fields.get(&input).map(String::as_str).unwrap_or("")),
        }
    });
    let doc = "mutation Respond($input: RespondToFeedbackInput!, $idempotencyKey: String) {
  respondToFeedback(input: $input, idempotencyKey: $idempotencyKey) { feedback { id } }
}";
    match form::send(
        &app,
        &session,
        fields,
        doc,
        vars,
        &[("response", input.as_str())],
    )
    .await
    {
        Sent::Done(_) => lookup::see_other(format!("/hubs/{hub}/ideas/{idea}?done=response-given")),
        Sent::Again(form) => {
            let chrome = chrome.in_hub(h.id, &h.name, "problems");
            idea_page(
                &chrome,
                &session,
                &h,
                &i,
                Refused::Response(feedback, form),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// The idea's status in words.
fn status_words(status: &str) -> &'static str {
    match status {
        "PROPOSED" => "Proposed: no decision yet",
        "SHORTLISTED" => "Shortlisted: taken forward",
        "DECLINED" => "Declined: not taken forward",
        "WITHDRAWN" => "Withdrawn by the person who proposed it",
        _ => "Unknown",
    }
}

/// A distribution's status in words.
fn distribution_words(d: &Distribution) -> String {
    let words = match d.status.as_str() {
        "PROPOSED" => "Open for consent: not agreed yet",
        "AGREED" => "Agreed by every party",
        "WITHDRAWN" => "Withdrawn before it was agreed",
        "CLOSED_WITHOUT_AGREEMENT" => "Closed without agreement",
        "LAPSED" => "Lapsed, because the idea was withdrawn or declined",
        _ => "Unknown",
    };
    if d.variation_open {
        format!("{words}; a change to it is open for consent")
    } else {
        words.to_string()
    }
}

/// A length of time in words: "3 days", "5 hours", "20 minutes".
fn duration(seconds: i64) -> String {
    let plural = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    match seconds {
        s if s >= 86_400 => plural(s / 86_400, "day"),
        s if s >= 3_600 => plural(s / 3_600, "hour"),
        s => plural(s / 60, "minute"),
    }
}

/// Who a proposal speaks for, in words.
fn on_behalf_words(b: &OnBehalf) -> Markup {
    html! {
        @if b.anonymous {
            "Residents who asked not to be named (" (b.residents) ")"
        } @else {
            (b.residents)
        }
    }
}

fn idea_page(
    chrome: &Chrome,
    session: &Session,
    hub: &HubRef,
    i: &Idea,
    refused: Refused,
    status: StatusCode,
) -> Response {
    let base = format!("/hubs/{}/ideas/{}", hub.id, i.id);
    let blank = Form::blank();
    let (summary_form, feedback_form) = match &refused {
        Refused::Feedback(f) => (Some(f), f),
        Refused::Response(_, f) => (Some(f), &blank),
        Refused::None => (None, &blank),
    };
    let open = matches!(i.status.as_str(), "PROPOSED" | "SHORTLISTED");
    layout::respond(
        status,
        chrome,
        &i.current.title.text,
        html! {
            @if let Some(f) = summary_form { (form::summary(f)) }
            @if let Some(p) = &i.problem {
                p class="meta" { "An idea for the problem: " a href={ "/hubs/" (hub.id) "/problems/" (p.id) } { (p.current.title) } }
            }
            h1 { (i.current.title) }
            dl class="summary-list" {
                dt { "Status" } dd { strong { (status_words(&i.status)) } }
                dt { "Proposed by" } dd { (i.proposed.who.line()) }
                @if let Some(b) = &i.on_behalf_of {
                    dt { "On behalf of" } dd { (on_behalf_words(b)) }
                    dt { "How the residents agreed to be represented" }
                    dd {
                        @match &b.how_residents_agreed {
                            Some(how) => (how),
                            None => "Not recorded",
                        }
                    }
                }
                dt { "The idea" } dd { (i.current.summary) }
            }
            @if i.versions.len() > 1 {
                h2 { "Versions" }
                p { "The person who proposed this idea revised it " (i.versions.len() - 1) @if i.versions.len() == 2 { " time" } @else { " times" } ". Earlier versions stay readable." }
                @for v in i.versions.iter().rev() {
                    div class="card" id={ "version-" (v.version) } {
                        h3 { "Version " (v.version) @if v.version == i.current.version { " (the latest)" } }
                        p class="meta" { "Written by " (v.written.line()) "." }
                        p { strong { (v.title) } }
                        p { (v.summary) }
                        @if let Some(r) = &v.rationale { p { strong { "Why it changed: " } (r) } }
                    }
                }
            }
            h2 { "Support" }
            @if i.supports.is_empty() {
                p { "Nobody has said they support this idea yet." }
            } @else {
                ul { @for s in &i.supports { li { (s.line()) } } }
            }
            @if !i.decisions.is_empty() {
                h2 { "Decisions" }
                @for d in &i.decisions {
                    div class="card" {
                        h3 { @if d.outcome == "SHORTLIST" { "Shortlisted" } @else { "Declined" } " (version " (d.version) ")" }
                        p class="meta" { "Recorded by " (d.recorded.line()) "." }
                        p { strong { "Why: " } (d.rationale) }
                        @if !d.options_considered.is_empty() {
                            p { strong { "Options considered:" } }
                            ul { @for o in &d.options_considered { li { (o) } } }
                        }
                        @if !d.preferences.is_empty() {
                            p { strong { "Preferences stated:" } }
                            ul { @for p in &d.preferences { li { (p.organisation.name.as_deref().unwrap_or("An organisation")) ": " (p.preference) } } }
                        }
                        p class="meta" { "Deliberated for " (duration(d.deliberation_seconds))
                            @if d.minimum_deliberation_seconds > 0 { " (the hub's minimum was " (duration(d.minimum_deliberation_seconds)) ")" }
                            "." }
                    }
                }
            }
            @if let Some(w) = &i.withdrawal {
                h2 { "Withdrawal" }
                p { "Withdrawn by " (w.withdrawn.line()) "." }
                p { strong { "Why: " } (w.reason) }
            }
            h2 { "Cost and reward distributions" }
            @if i.distributions.is_empty() {
                p { "Nobody has proposed how the costs and rewards of this idea would be shared yet." }
            } @else {
                ul {
                    @for d in &i.distributions {
                        li {
                            a href={ "/hubs/" (hub.id) "/distributions/" (d.id) } { "Distribution proposed by " (d.proposed.member_name) " on " (text::date(&d.proposed.at)) }
                            ". Status: " strong { (distribution_words(d)) } "."
                        }
                    }
                }
            }
            h2 { "Feedback" }
            @if i.feedback.is_empty() { p { "Nobody has given feedback yet." } }
            @for f in &i.feedback {
                div class="card" id={ "feedback-" (f.id) } {
                    h3 { "Feedback from " (f.given.member_name) }
                    p class="meta" { (f.given.line()) }
                    p { (f.text) }
                    p class="meta" {
                        @if f.heard.answered { strong { "Answered." } }
                        @else if f.heard.acknowledged { strong { "Acknowledged, not answered yet." } }
                        @else { strong { "Waiting for a response." } }
                    }
                    @for r in &f.responses {
                        blockquote {
                            p class="meta" { "Response from " (r.responded.line()) }
                            p { (r.text) }
                        }
                    }
                    @if i.viewer_may.respond_to.contains(&f.id) {
                        @let name = format!("response-{}", f.id);
                        @let own = match &refused { Refused::Response(id, form) if *id == f.id => Some(form), _ => None };
                        @let fresh = Form::blank();
                        @let form = own.unwrap_or(&fresh);
                        form method="post" action={ (base) "/feedback/" (f.id) "/response" } novalidate {
                            (form::hidden(form, session))
                            (form::area(form, &name, "Your response", Some("You proposed this idea, so you can respond to this feedback once. Up to 2,000 characters.")))
                            (form::submit("Respond"))
                        }
                    }
                }
            }
            h2 { "Give feedback" }
            @if i.viewer_may.give_feedback {
                form method="post" action={ (base) "/feedback" } novalidate {
                    (form::hidden(feedback_form, session))
                    (form::area(feedback_form, "feedback", "Your feedback", Some("What works, what could be better, what is missing. The person who proposed the idea can respond. Up to 2,000 characters.")))
                    (form::submit("Give feedback"))
                }
            } @else if !open {
                p { "This idea has been " (text::label(&i.status).to_lowercase()) ", so it takes no more feedback." }
            } @else {
                p { "You cannot give feedback on this idea just now (for example, while your membership is suspended)." }
            }
        },
    )
}
