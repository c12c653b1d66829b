//! Auditing a hub, for commissioners and any member: the hub as it stood at a chosen moment
//! (its problems, ideas and distributions, and everything that happened up to then), whether
//! the record has been altered since it was written, and a distribution's decision trail.
//!
//! Both pages take `?at=<date and time in UTC>` from a plain GET form; the API refuses a
//! moment in the future (`VALIDATION` on `asOf`) and answers `null` for a hub that did not
//! exist yet, and the page says so beside the date and time picker.

use crate::client::Failure;
use crate::form::{self, FieldError, Form};
use crate::layout::{self, Chrome};
use crate::session::Session;
use crate::shapes::Text;
use crate::text::{label, url_encode, when};
use crate::App;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// The pages' query: the moment to show, a page of the timeline, and a notice.
#[derive(Deserialize, Default)]
pub struct Params {
    at: Option<String>,
    after: Option<String>,
    done: Option<String>,
}

// ---- the moment asked for ----

/// Why the moment typed into the picker cannot be shown.
enum AtProblem {
    /// Not a date and time.
    Malformed,
    /// In the future (the API refused it).
    Future,
    /// Before the hub was founded (the API answered that the hub did not exist then).
    BeforeFounding {
        name: String,
        founded: DateTime<Utc>,
    },
    /// Before the distribution was proposed (the API found no such distribution then).
    BeforeProposal { proposed: DateTime<Utc> },
}

impl AtProblem {
    fn status(&self) -> StatusCode {
        match self {
            AtProblem::Malformed => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn message(&self) -> String {
        match self {
            AtProblem::Malformed => "Enter a real date and time, like 2026-03-01T09:30 for 1 March 2026 at 9:30am".into(),
            AtProblem::Future => format!(
                "The date and time must be in the past. It is now {} (UTC).",
                exact(&Utc::now())
            ),
            AtProblem::BeforeFounding { name, founded } => format!(
                "{name} did not exist yet then: it was founded on {}. Enter a later date and time.",
                exact(founded)
            ),
            AtProblem::BeforeProposal { proposed } => format!(
                "This distribution had not been proposed yet then: it was proposed on {}. Enter a later date and time.",
                exact(proposed)
            ),
        }
    }
}

/// Reads the picker's value as a time in UTC: `YYYY-MM-DDTHH:MM`, with seconds if given (a
/// `datetime-local` input with `step="1"` sends them), or a full RFC 3339 time. Empty means
/// now.
fn parse_at(typed: &str) -> Result<Option<DateTime<Utc>>, AtProblem> {
    let t = typed.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(Some(dt.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(Some(n.and_utc()));
        }
    }
    Err(AtProblem::Malformed)
}

/// Whether the API refused the moment asked for (`VALIDATION` about `asOf`).
fn moment_refused(f: &Failure) -> bool {
    f.code == "VALIDATION" && f.field.as_deref() == Some("asOf")
}

/// A time to the second where it has seconds: "2 December 2026 at 6:05:30pm".
fn exact(at: &DateTime<Utc>) -> String {
    if at.second() == 0 && at.nanosecond() == 0 {
        return when(at);
    }
    let hour = at.format("%l").to_string();
    let ampm = if at.hour() < 12 { "am" } else { "pm" };
    format!(
        "{} at {}:{}{}",
        at.format("%-d %B %Y"),
        hour.trim(),
        at.format("%M:%S"),
        ampm
    )
}

/// A length of time in words: "less than a minute", "25 minutes", "3 days and 4 hours".
fn duration(seconds: i64) -> String {
    let plural = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => "less than a minute".into(),
        (0, 0, m) => plural(m, "minute"),
        (0, h, 0) => plural(h, "hour"),
        (0, h, m) => format!("{} and {}", plural(h, "hour"), plural(m, "minute")),
        (d, 0, _) => plural(d, "day"),
        (d, h, _) => format!("{} and {}", plural(d, "day"), plural(h, "hour")),
    }
}

/// The moment picker: a GET form that works without JavaScript, keeping what was typed and
/// showing why it cannot be shown beside it.
fn picker(action: &str, typed: &str, error: Option<&str>) -> Markup {
    let described = if error.is_some() {
        "at-hint at-error"
    } else {
        "at-hint"
    };
    html! {
        form method="get" action=(action) class="time-travel" novalidate {
            div class={ "field" @if error.is_some() { " field--error" } } {
                label class="label" for="at" { "Show the hub as it stood at" }
                p class="hint" id="at-hint" { "Date and time in UTC" }
                @if let Some(e) = error {
                    p class="field-error" id="at-error" { span class="visually-hidden" { "Error: " } (e) }
                }
                div class="time-travel-row" {
                    input class="input input--datetime" type="datetime-local" id="at" name="at" step="1"
                        value=(typed) aria-describedby=(described)
                        aria-invalid=[error.map(|_| "true")];
                    button type="submit" class="button" { "Show" }
                    a href=(action) class="back-to-now" { "Back to now" }
                }
            }
        }
    }
}

/// The error summary for a refused moment (empty when there is none).
fn at_summary(typed: &str, problem: Option<&AtProblem>) -> Markup {
    let mut form = Form {
        key: String::new(),
        values: [("at".to_string(), typed.to_string())]
            .into_iter()
            .collect(),
        errors: Vec::new(),
    };
    if let Some(p) = problem {
        form.errors.push(FieldError {
            field: "at".into(),
            message: p.message(),
        });
    }
    form::summary(&form)
}

/// "Showing ... as it is now" or "as it stood at ...", and why now if a moment was refused.
fn showing(what: &str, shown_at: Option<DateTime<Utc>>, refused: bool) -> Markup {
    html! {
        p class="lead" {
            @match shown_at {
                Some(at) => { "Showing " (what) " as it stood at " strong { time datetime=(at.to_rfc3339()) { (exact(&at)) } } " (UTC)." }
                None => {
                    "Showing " (what) " as it is now"
                    @if refused { ", because the date and time you entered cannot be shown" }
                    "."
                }
            }
        }
    }
}

/// The `?at=` to carry to a linked page, if a moment is shown.
fn at_query(shown_at: Option<DateTime<Utc>>, typed: &str) -> String {
    match shown_at {
        Some(_) => format!("?at={}", url_encode(typed.trim())),
        None => String::new(),
    }
}

/// This page's address with what was typed, to come back to after signing in.
fn back_to(action: &str, typed: &str) -> String {
    if typed.trim().is_empty() {
        action.to_string()
    } else {
        format!("{action}?at={}", url_encode(typed.trim()))
    }
}

// ---- the audit page ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditData {
    now: Option<HubPublic>,
    hub: Option<HubThen>,
    chain_head: ChainHead,
    verify_chain: Verification,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HubPublic {
    id: Uuid,
    name: String,
    founded_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HubThen {
    problems: Page<ProblemRow>,
    ideas: Page<IdeaRow>,
    distributions: Page<DistributionRow>,
    activity: Page<Activity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    page_info: PageInfo,
    nodes: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Titled {
    title: Text,
}

#[derive(Deserialize)]
struct ProblemRow {
    id: Uuid,
    stage: String,
    current: Titled,
}

#[derive(Deserialize)]
struct IdeaRow {
    id: Uuid,
    status: String,
    current: Titled,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DistributionRow {
    id: Uuid,
    status: String,
    in_force: Option<VersionNumber>,
    open_version: Option<VersionNumber>,
    agreed_version: Option<i64>,
    idea: Option<IdeaTitle>,
}

#[derive(Deserialize)]
struct VersionNumber {
    version: i64,
}

#[derive(Deserialize)]
struct IdeaTitle {
    current: Titled,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Activity {
    at: DateTime<Utc>,
    member_name: String,
    organisation_name: Option<String>,
    stream_id: String,
    summary: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChainHead {
    hub_seq: i64,
    hash: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verification {
    intact: bool,
    head: Option<ChainHead>,
    broken_at: Option<ChainBreak>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChainBreak {
    hub_seq: i64,
    reason: String,
}

/// How many timeline entries a page shows.
const TIMELINE_PAGE: i64 = 50;
/// How many problems, ideas and distributions the page lists.
const LIST: i64 = 100;

const AUDIT_QUERY: &str = "query Audit($hub: UUID!, $asOf: DateTime, $first: Int!, $after: String, $list: Int!) {
  now: hub(id: $hub) { id name foundedAt }
  hub(id: $hub, asOf: $asOf) {
    problems(first: $list) { pageInfo { hasNextPage endCursor } nodes { id stage current { title { text lang } } } }
    ideas(first: $list) { pageInfo { hasNextPage endCursor } nodes { id status current { title { text lang } } } }
    distributions(first: $list) {
      pageInfo { hasNextPage endCursor }
      nodes { id status inForce { version } openVersion { version } agreedVersion idea { current { title { text lang } } } }
    }
    activity(filter: { to: $asOf }, newestFirst: true, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { at memberName organisationName streamId summary }
    }
  }
  chainHead(hubId: $hub) { hubSeq hash }
  verifyChain(hubId: $hub) { intact head { hubSeq hash } brokenAt { hubSeq reason } }
}";

async fn audit_data(
    app: &App,
    session: &Session,
    hub: Uuid,
    at: Option<DateTime<Utc>>,
    after: Option<&str>,
) -> Result<AuditData, Failure> {
    app.client
        .query(
            session.auth,
            AUDIT_QUERY,
            json!({
                "hub": hub,
                "asOf": at.map(|t| t.to_rfc3339()),
                "first": TIMELINE_PAGE,
                "after": after,
                "list": LIST,
            }),
        )
        .await
}

/// GET /hubs/{hub}/audit: the hub now or as it stood at `?at=`, the timeline up to then, and
/// whether the record checks out.
pub async fn show(
    State(app): State<App>,
    session: Session,
    Path(hub_id): Path<Uuid>,
    Query(q): Query<Params>,
) -> Response {
    let action = format!("/hubs/{hub_id}/audit");
    let typed = q.at.clone().unwrap_or_default();
    let here = back_to(&action, &typed);
    if let Err(r) = session.require(&here) {
        return r;
    }
    let chrome = Chrome::of(&session).with_notice(layout::notice(q.done.as_deref()));
    let (moment, mut problem) = match parse_at(&typed) {
        Ok(m) => (m, None),
        Err(p) => (None, Some(p)),
    };
    let mut found: Option<(AuditData, Option<DateTime<Utc>>)> = None;
    if let Some(at) = moment {
        match audit_data(&app, &session, hub_id, Some(at), q.after.as_deref()).await {
            Ok(d) => match (&d.now, &d.hub) {
                (None, _) => return layout::not_found(&chrome),
                (Some(now), None) => {
                    problem = Some(AtProblem::BeforeFounding {
                        name: now.name.clone(),
                        founded: now.founded_at,
                    })
                }
                _ => found = Some((d, Some(at))),
            },
            Err(f) if moment_refused(&f) => problem = Some(AtProblem::Future),
            Err(f) => return layout::failure(&chrome, &f, &here),
        }
    }
    let (data, shown_at) = match found {
        Some(found) => found,
        None => {
            // Now: the page's own timeline cursor only belongs to the moment it was made at.
            let after = if problem.is_some() {
                None
            } else {
                q.after.as_deref()
            };
            match audit_data(&app, &session, hub_id, None, after).await {
                Ok(d) => (d, None),
                Err(f) => return layout::failure(&chrome, &f, &here),
            }
        }
    };
    let (Some(hub), Some(then)) = (&data.now, &data.hub) else {
        return layout::not_found(&chrome);
    };
    let chrome = chrome.in_hub(hub.id, &hub.name, "audit");
    let status = problem
        .as_ref()
        .map(AtProblem::status)
        .unwrap_or(StatusCode::OK);
    let carry = at_query(shown_at, &typed);
    let error = problem.as_ref().map(AtProblem::message);
    layout::respond(
        status,
        &chrome,
        &format!("Audit: {}", hub.name),
        html! {
            (at_summary(&typed, problem.as_ref()))
            h1 { "Audit " (hub.name) }
            p { "See how decisions in this hub came about: what the hub looked like at any moment, everything that happened and who did it, and whether the record has been altered." }
            (picker(&action, &typed, error.as_deref()))
            (showing("the hub", shown_at, problem.is_some()))
            (verification(&data.verify_chain, &data.chain_head))
            (problems_table(hub.id, then))
            (ideas_table(hub.id, then))
            (distributions_table(hub.id, then, &carry))
            (timeline(hub.id, then, shown_at, &typed))
        },
    )
}

fn verification(v: &Verification, head: &ChainHead) -> Markup {
    html! {
        h2 { "Has the record been altered?" }
        @if v.intact {
            div class="card card--ok" {
                p { strong { "The record has not been altered since it was written: all "
                    (v.head.as_ref().map(|h| h.hub_seq).unwrap_or(head.hub_seq)) " events check out." } }
                p class="meta" { "cohub checked every event of the hub's record just now, from the first to the latest, against the fingerprint (hash) it was given when it was written." }
            }
        } @else {
            div class="card card--broken" {
                p { strong { "The record does not check out at event "
                    (v.broken_at.as_ref().map(|b| b.hub_seq).unwrap_or(0)) ": "
                    (v.broken_at.as_ref().map(|b| b.reason.as_str()).unwrap_or("the reason was not given")) "." } }
                p { "Events from there on may have been changed, removed or added after they were written. Tell the hub's facilitator and your organisation's information governance lead." }
            }
        }
        p { "The hub's record now holds " (head.hub_seq) " events. The latest one's fingerprint is:" }
        p { code class="hash" { (head.hash) } }
        p class="hint" { "Note it down with today's date: if anyone rewrites the record later, it will no longer match." }
    }
}

fn problems_table(hub: Uuid, then: &HubThen) -> Markup {
    html! {
        h2 { "Problems" }
        @if then.problems.nodes.is_empty() {
            p { "No problems had been framed." }
        } @else {
            div class="table-scroll" tabindex="0" role="region" aria-label="Problems" {
                table {
                    caption class="visually-hidden" { "Problems, with the stage each was in" }
                    thead { tr { th scope="col" { "Problem" } th scope="col" { "Stage" } } }
                    tbody {
                        @for p in &then.problems.nodes {
                            tr {
                                th scope="row" { a href={ "/hubs/" (hub) "/problems/" (p.id) } { (p.current.title) } }
                                td { (label(&p.stage)) }
                            }
                        }
                    }
                }
            }
            @if then.problems.page_info.has_next_page { p class="meta" { "Only the first " (LIST) " problems are listed." } }
        }
    }
}

fn ideas_table(hub: Uuid, then: &HubThen) -> Markup {
    html! {
        h2 { "Ideas" }
        @if then.ideas.nodes.is_empty() {
            p { "No ideas had been proposed." }
        } @else {
            div class="table-scroll" tabindex="0" role="region" aria-label="Ideas" {
                table {
                    caption class="visually-hidden" { "Ideas, with the status of each" }
                    thead { tr { th scope="col" { "Idea" } th scope="col" { "Status" } } }
                    tbody {
                        @for i in &then.ideas.nodes {
                            tr {
                                th scope="row" { a href={ "/hubs/" (hub) "/ideas/" (i.id) } { (i.current.title) } }
                                td { (label(&i.status)) }
                            }
                        }
                    }
                }
            }
            @if then.ideas.page_info.has_next_page { p class="meta" { "Only the first " (LIST) " ideas are listed." } }
        }
    }
}

fn version_cell(v: Option<i64>) -> Markup {
    html! {
        @match v {
            Some(n) => { "Version " (n) }
            None => { "None" }
        }
    }
}

fn distributions_table(hub: Uuid, then: &HubThen, carry: &str) -> Markup {
    html! {
        h2 { "Cost and reward distributions" }
        @if then.distributions.nodes.is_empty() {
            p { "No distributions had been proposed." }
        } @else {
            div class="table-scroll" tabindex="0" role="region" aria-label="Cost and reward distributions" {
                table {
                    caption class="visually-hidden" { "Cost and reward distributions, with where each stood" }
                    thead {
                        tr {
                            th scope="col" { "For the idea" }
                            th scope="col" { "Status" }
                            th scope="col" { "Version in force" }
                            th scope="col" { "Version open for consent" }
                            th scope="col" { "Agreed version" }
                            th scope="col" { "How it was decided" }
                        }
                    }
                    tbody {
                        @for d in &then.distributions.nodes {
                            @let title = d.idea.as_ref().map(|i| i.current.title.text.clone()).unwrap_or_else(|| "an idea".into());
                            tr {
                                th scope="row" { a href={ "/hubs/" (hub) "/distributions/" (d.id) } { "Distribution for " (title) } }
                                td { (label(&d.status)) }
                                td { (version_cell(d.in_force.as_ref().map(|v| v.version))) }
                                td { (version_cell(d.open_version.as_ref().map(|v| v.version))) }
                                td { (version_cell(d.agreed_version)) }
                                td { a href={ "/hubs/" (hub) "/distributions/" (d.id) "/trail" (carry) } { "Decision trail" span class="visually-hidden" { " for the distribution for " (title) } } }
                            }
                        }
                    }
                }
            }
            @if then.distributions.page_info.has_next_page { p class="meta" { "Only the first " (LIST) " distributions are listed." } }
        }
    }
}

fn timeline(hub: Uuid, then: &HubThen, shown_at: Option<DateTime<Utc>>, typed: &str) -> Markup {
    html! {
        h2 id="timeline" { "What happened, newest first" }
        @if then.activity.nodes.is_empty() {
            p { "Nothing more had happened." }
        } @else {
            ol class="timeline" {
                @for e in &then.activity.nodes {
                    li {
                        p class="meta" { time datetime=(e.at.to_rfc3339()) { (exact(&e.at)) } }
                        p {
                            strong { (e.member_name) }
                            @if let Some(org) = &e.organisation_name { " (" (org) ")" }
                            ": " (e.summary)
                            @if let Some(d) = e.stream_id.strip_prefix("distribution-") {
                                " " a href={ "/hubs/" (hub) "/distributions/" (d) "/trail" (at_query(shown_at, typed)) } { "See the decision trail" span class="visually-hidden" { " of this distribution" } }
                            }
                        }
                    }
                }
            }
        }
        @if then.activity.page_info.has_next_page {
            @if let Some(c) = &then.activity.page_info.end_cursor {
                @let sep = if shown_at.is_some() { "&" } else { "?" };
                p { a href={ "/hubs/" (hub) "/audit" (at_query(shown_at, typed)) (sep) "after=" (url_encode(c)) "#timeline" } { "Older events" } }
            }
        }
    }
}

// ---- a distribution's decision trail ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrailData {
    hub: Option<HubPublic>,
    decision_trail: Trail,
    distribution: Option<TrailDistribution>,
}

/// The idea a distribution is for, for who it speaks for (a distribution's trail names the
/// residents only of an idea's own trail).
#[derive(Deserialize)]
struct TrailDistribution {
    idea: Option<TrailIdea>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrailIdea {
    proposed: Actor,
    on_behalf_of: Option<OnBehalf>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnBehalf {
    residents: Text,
    anonymous: bool,
    how_residents_agreed: Option<Text>,
}

/// The fields of an `AuditActor` the trail shows.
const ACTOR: &str = "memberName organisationName role at";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Actor {
    member_name: String,
    organisation_name: Option<String>,
    role: String,
    at: DateTime<Utc>,
}

impl Actor {
    /// "Asha Patel, champion for Lion Farm Housing, 2 December 2026 at 6:05pm".
    fn line(&self) -> Markup {
        html! {
            (self.member_name) ", " (self.role)
            @if let Some(org) = &self.organisation_name { " for " (org) }
            ", " time datetime=(self.at.to_rfc3339()) { (exact(&self.at)) }
        }
    }
}

#[derive(Deserialize)]
struct PartyName {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Trail {
    hub_id: Uuid,
    idea_id: Uuid,
    title: Text,
    status: String,
    in_force: Option<i64>,
    proposed: Actor,
    on_behalf_of: Option<Text>,
    how_residents_agreed: Option<Text>,
    versions: Vec<TrailVersion>,
    voided_consents: Vec<TrailConsent>,
    objections: Vec<TrailObjection>,
    agreements: Vec<TrailAgreement>,
    round_endings: Vec<RoundEnding>,
    lapse: Option<Lapse>,
    withdrawal: Option<Withdrawal>,
    decisions: Vec<Decision>,
    rationale: Option<Text>,
    deliberation: Deliberation,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrailVersion {
    version: i64,
    kind: String,
    round: i64,
    author: Actor,
    rationale: Option<Text>,
    summary: Text,
    parties: Vec<PartyName>,
    consents: Vec<TrailConsent>,
    objections: Vec<VersionObjection>,
    agreed: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrailConsent {
    version: i64,
    party: PartyName,
    by: Actor,
    voided: Option<Voiding>,
    standing: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Voiding {
    by_version: i64,
    by: Actor,
}

#[derive(Deserialize)]
struct VersionObjection {
    party: PartyName,
    reason: Text,
    by: Actor,
    standing: bool,
}

#[derive(Deserialize)]
struct TrailObjection {
    version: i64,
    party: PartyName,
    reason: Text,
    by: Actor,
    answered: Option<Answered>,
    answer: Option<AnswerText>,
    withdrawal: Option<ObjectionWithdrawal>,
    standing: bool,
}

#[derive(Deserialize)]
struct Answered {
    kind: String,
    by: Actor,
}

#[derive(Deserialize)]
struct AnswerText {
    text: Text,
    by: Actor,
}

#[derive(Deserialize)]
struct ObjectionWithdrawal {
    note: Option<Text>,
    by: Actor,
}

#[derive(Deserialize)]
struct TrailAgreement {
    version: i64,
    parties: Vec<PartyName>,
    by: Actor,
}

#[derive(Deserialize)]
struct RoundEnding {
    version: i64,
    kind: String,
    reason: Text,
    by: Actor,
}

#[derive(Deserialize)]
struct Lapse {
    cause: String,
    reason: Text,
    by: Actor,
}

#[derive(Deserialize)]
struct Withdrawal {
    reason: Text,
    by: Actor,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Decision {
    outcome: String,
    version: i64,
    options_considered: Vec<Text>,
    preferences: Vec<Preference>,
    rationale: Text,
    decided_by: Actor,
}

#[derive(Deserialize)]
struct Preference {
    party: PartyName,
    preference: Text,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Deliberation {
    started_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    seconds: Option<i64>,
    final_version_at: DateTime<Utc>,
    final_version_seconds: Option<i64>,
    minimum_seconds: i64,
    minimum_met: Option<bool>,
}

#[derive(Deserialize)]
struct Step {
    at: DateTime<Utc>,
    actor: StepActor,
    summary: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StepActor {
    member_name: String,
    organisation_name: Option<String>,
}

fn trail_query() -> String {
    let a = ACTOR;
    format!(
        "query Trail($hub: UUID!, $distribution: UUID!, $asOf: DateTime) {{
  hub(id: $hub) {{ id name foundedAt }}
  decisionTrail(distributionId: $distribution, asOf: $asOf) {{
    hubId ideaId title {{ text lang }} status inForce
    proposed {{ {a} }}
    onBehalfOf {{ text lang }} howResidentsAgreed {{ text lang }}
    versions {{
      version kind round author {{ {a} }} rationale {{ text lang }} summary {{ text lang }} parties {{ name }} agreed
      consents {{ version party {{ name }} by {{ {a} }} voided {{ byVersion by {{ {a} }} }} standing }}
      objections {{ party {{ name }} reason {{ text lang }} by {{ {a} }} standing }}
    }}
    voidedConsents {{ version party {{ name }} by {{ {a} }} voided {{ byVersion by {{ {a} }} }} standing }}
    objections {{
      version party {{ name }} reason {{ text lang }} by {{ {a} }} standing
      answered {{ kind by {{ {a} }} }}
      answer {{ text {{ text lang }} by {{ {a} }} }}
      withdrawal {{ note {{ text lang }} by {{ {a} }} }}
    }}
    agreements {{ version parties {{ name }} by {{ {a} }} }}
    roundEndings {{ version kind reason {{ text lang }} by {{ {a} }} }}
    lapse {{ cause reason {{ text lang }} by {{ {a} }} }}
    withdrawal {{ reason {{ text lang }} by {{ {a} }} }}
    decisions {{ outcome version optionsConsidered {{ text lang }} preferences {{ party {{ name }} preference {{ text lang }} }} rationale {{ text lang }} decidedBy {{ {a} }} }}
    rationale {{ text lang }}
    deliberation {{ startedAt decidedAt seconds finalVersionAt finalVersionSeconds minimumSeconds minimumMet }}
    steps {{ at actor {{ memberName organisationName }} summary }}
  }}
  distribution(id: $distribution, asOf: $asOf) {{
    idea {{ proposed {{ {a} }} onBehalfOf {{ residents {{ text lang }} anonymous howResidentsAgreed {{ text lang }} }} }}
  }}
}}"
    )
}

async fn trail_data(
    app: &App,
    session: &Session,
    hub: Uuid,
    distribution: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<TrailData, Failure> {
    app.client
        .query(
            session.auth,
            &trail_query(),
            json!({ "hub": hub, "distribution": distribution, "asOf": at.map(|t| t.to_rfc3339()) }),
        )
        .await
}

/// GET /hubs/{hub}/distributions/{distribution}/trail: how a distribution was decided, now or
/// as it stood at `?at=`.
pub async fn trail(
    State(app): State<App>,
    session: Session,
    Path((hub_id, distribution)): Path<(Uuid, Uuid)>,
    Query(q): Query<Params>,
) -> Response {
    let action = format!("/hubs/{hub_id}/distributions/{distribution}/trail");
    let typed = q.at.clone().unwrap_or_default();
    let here = back_to(&action, &typed);
    if let Err(r) = session.require(&here) {
        return r;
    }
    let chrome = Chrome::of(&session).with_notice(layout::notice(q.done.as_deref()));
    let (moment, mut problem) = match parse_at(&typed) {
        Ok(m) => (m, None),
        Err(p) => (None, Some(p)),
    };
    let mut found = None;
    if let Some(at) = moment {
        match trail_data(&app, &session, hub_id, distribution, Some(at)).await {
            Ok(d) => found = Some((d, Some(at))),
            Err(f) if moment_refused(&f) => problem = Some(AtProblem::Future),
            Err(f) if f.code == "NOT_FOUND" => {
                // Not there then: if it is there now, it was proposed later than the moment.
                match trail_data(&app, &session, hub_id, distribution, None).await {
                    Ok(now) => {
                        problem = Some(AtProblem::BeforeProposal {
                            proposed: now.decision_trail.proposed.at,
                        });
                        found = Some((now, None));
                    }
                    Err(f) => return layout::failure(&chrome, &f, &here),
                }
            }
            Err(f) => return layout::failure(&chrome, &f, &here),
        }
    }
    let (data, shown_at) = match found {
        Some(found) => found,
        None => match trail_data(&app, &session, hub_id, distribution, None).await {
            Ok(d) => (d, None),
            Err(f) => return layout::failure(&chrome, &f, &here),
        },
    };
    let Some(hub) = &data.hub else {
        return layout::not_found(&chrome);
    };
    let t = &data.decision_trail;
    if t.hub_id != hub.id {
        return layout::not_found(&chrome);
    }
    let chrome = chrome.in_hub(hub.id, &hub.name, "audit");
    let status = problem
        .as_ref()
        .map(AtProblem::status)
        .unwrap_or(StatusCode::OK);
    let error = problem.as_ref().map(AtProblem::message);
    let carry = at_query(shown_at, &typed);
    layout::respond(
        status,
        &chrome,
        &format!("Decision trail: {}", t.title.text),
        html! {
            (at_summary(&typed, problem.as_ref()))
            p class="meta" { "Decision trail of a cost and reward distribution" }
            h1 { (t.title) }
            (picker(&action, &typed, error.as_deref()))
            (showing("the distribution", shown_at, problem.is_some()))
            ul class="list-plain" {
                li { a href={ "/hubs/" (hub.id) "/distributions/" (distribution) } { "Go to the distribution's page" } }
                li { a href={ "/hubs/" (hub.id) "/ideas/" (t.idea_id) } { "Go to the idea it is for" } }
                li { a href={ "/hubs/" (hub.id) "/audit" (carry) } { "Back to the audit of " (hub.name) } }
            }
            (trail_summary(t, data.distribution.as_ref().and_then(|d| d.idea.as_ref())))
            (deliberation(&t.deliberation))
            (versions(t))
            (objections(t))
            (voided(t))
            (endings(t))
            (decisions(t))
            h2 { "Everything that happened, in order" }
            @if t.steps.is_empty() { p { "Nothing had happened yet." } }
            ol class="timeline" {
                @for s in &t.steps {
                    li {
                        p class="meta" { time datetime=(s.at.to_rfc3339()) { (exact(&s.at)) } }
                        p { strong { (s.actor.member_name) }
                            @if let Some(org) = &s.actor.organisation_name { " (" (org) ")" }
                            ": " (s.summary) }
                    }
                }
            }
        },
    )
}

/// A trail's status in plain words.
fn status_words(status: &str, in_force: Option<i64>) -> String {
    let base = match status {
        "proposed" => {
            "Proposed: waiting for every party to consent to the same version".to_string()
        }
        "agreed" => "Agreed: every party consented to the same version".to_string(),
        "withdrawn" => "Withdrawn before it was agreed".to_string(),
        "closed_without_agreement" => {
            "Closed without agreement: a facilitator closed it because the parties could not agree"
                .to_string()
        }
        "lapsed" => {
            "Lapsed: the idea was withdrawn or declined before the parties agreed".to_string()
        }
        other => label(&other.to_uppercase()),
    };
    match in_force {
        Some(v) => format!("{base}. Version {v} is in force."),
        None => format!("{base}."),
    }
}

fn trail_summary(t: &Trail, idea: Option<&TrailIdea>) -> Markup {
    let behalf = idea.and_then(|i| i.on_behalf_of.as_ref());
    let residents = t.on_behalf_of.as_ref().or(behalf.map(|b| &b.residents));
    let agreed = t
        .how_residents_agreed
        .as_ref()
        .or(behalf.and_then(|b| b.how_residents_agreed.as_ref()));
    html! {
        dl class="summary-list" {
            dt { "Status" } dd { (status_words(&t.status, t.in_force)) }
            dt { "Proposed by" } dd { (t.proposed.line()) }
            @if let Some(i) = idea {
                dt { "The idea it is for was proposed by" } dd { (i.proposed.line()) }
            }
            dt { "On behalf of residents" }
            dd {
                @match residents {
                    Some(r) => {
                        @if behalf.is_some_and(|b| b.anonymous) { "Residents who asked not to be named: " }
                        (r)
                    }
                    None => { "The idea was not proposed on behalf of residents." }
                }
            }
            @if residents.is_some() {
                dt { "How the residents agreed to be represented" }
                dd {
                    @match agreed {
                        Some(h) => { (h) }
                        None => { "Not recorded (it was proposed before cohub asked)." }
                    }
                }
            }
            @if let Some(r) = &t.rationale {
                dt { "Why (the rationale of the agreed or latest version)" } dd { (r) }
            }
        }
        @if !t.agreements.is_empty() {
            h2 { "Agreements" }
            ul {
                @for a in &t.agreements {
                    li { "Version " (a.version) " was agreed by "
                        (a.parties.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "))
                        ". The last consent came from " (a.by.line()) "." }
                }
            }
        }
    }
}

fn deliberation(d: &Deliberation) -> Markup {
    html! {
        h2 { "Time to deliberate" }
        dl class="summary-list" {
            dt { "First proposed" } dd { time datetime=(d.started_at.to_rfc3339()) { (exact(&d.started_at)) } }
            dt { "Agreed" }
            dd {
                @match (d.decided_at, d.seconds) {
                    (Some(at), Some(s)) => { time datetime=(at.to_rfc3339()) { (exact(&at)) } ", " (duration(s)) " after it was first proposed" }
                    (Some(at), None) => { time datetime=(at.to_rfc3339()) { (exact(&at)) } }
                    _ => { "Not agreed yet" }
                }
            }
            dt { "The version agreed (or the latest)" }
            dd {
                "Written " time datetime=(d.final_version_at.to_rfc3339()) { (exact(&d.final_version_at)) }
                @if let Some(s) = d.final_version_seconds { ", and stood for " (duration(s)) " before it was agreed" }
            }
            dt { "The hub's minimum time to deliberate" }
            dd {
                @if d.minimum_seconds == 0 { "None" } @else { (duration(d.minimum_seconds)) }
            }
            dt { "Was the minimum respected?" }
            dd {
                @match d.minimum_met {
                    Some(true) => { "Yes" }
                    Some(false) => { "No: it was agreed before the minimum time had passed" }
                    None => { "Not decided yet" }
                }
            }
        }
    }
}

fn version_kind(kind: &str) -> &'static str {
    match kind {
        "PROPOSAL" => "first proposal",
        "AMENDMENT" => "amendment (earlier consents were voided)",
        "VARIATION" => "variation of the agreed version",
        "REVISION" => "revision",
        _ => "version",
    }
}

fn consent_words(c: &TrailConsent) -> Markup {
    html! {
        (c.party.name) " consented: " (c.by.line()) "."
        @if let Some(v) = &c.voided {
            " " strong { "Voided" } " when version " (v.by_version) " was written by " (v.by.line()) "."
        } @else if !c.standing {
            " " strong { "No longer stands" } ": the organisation objected after it."
        }
    }
}

fn versions(t: &Trail) -> Markup {
    html! {
        h2 { "Versions" }
        @for v in &t.versions {
            section class="card" aria-labelledby={ "version-" (v.version) } {
                h3 id={ "version-" (v.version) } { "Version " (v.version) ": " (version_kind(&v.kind)) }
                p class="meta" { "Round " (v.round) ". Written by " (v.author.line()) "."
                    @if v.agreed { " " span class="tag tag--agreed" { "Agreed" } } }
                @if let Some(r) = &v.rationale { p { strong { "Why it changed: " } (r) } }
                p { strong { "Terms: " } (v.summary) }
                p { strong { "Parties: " } (v.parties.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")) }
                h4 { "Consents" }
                @if v.consents.is_empty() { p { "No party consented to this version." } }
                @else { ul { @for c in &v.consents { li { (consent_words(c)) } } } }
                h4 { "Objections" }
                @if v.objections.is_empty() { p { "No party objected to this version." } }
                @else {
                    ul {
                        @for o in &v.objections {
                            li { (o.party.name) " objected: “" (o.reason) "” – " (o.by.line()) "."
                                @if !o.standing { " It no longer stands." } }
                        }
                    }
                }
            }
        }
    }
}

fn answered_words(kind: &str) -> &'static str {
    match kind {
        "answer" => "answered in words",
        "amendment" => "answered by a new version",
        "withdrawal" => "ended when the distribution was withdrawn",
        "closure" => "ended when the round was closed",
        "abandonment" => "ended when the variation was abandoned",
        _ => "answered",
    }
}

/// Where an objection stands: on the latest version it blocks agreement until withdrawn;
/// on an earlier one, a later version has replaced what it objected to.
fn objection_standing(o: &TrailObjection, latest: i64) -> Markup {
    html! {
        @if o.withdrawal.is_some() {
            "It was withdrawn."
        } @else if !o.standing {
            "It no longer stands: the organisation consented later."
        } @else if o.version < latest {
            "Version " (o.version) " was replaced by a later version."
        } @else {
            span class="tag tag--objection" { "Still stands" } " It blocks agreement of this version until it is withdrawn or a new version is written."
        }
    }
}

fn objections(t: &Trail) -> Markup {
    let latest = t.versions.iter().map(|v| v.version).max().unwrap_or(0);
    html! {
        h2 { "Objections" }
        @if t.objections.is_empty() { p { "No party objected." } }
        @for o in &t.objections {
            div class="card" {
                p { strong { (o.party.name) } " objected to version " (o.version) ": “" (o.reason) "”" }
                p class="meta" { "By " (o.by.line()) ". " (objection_standing(o, latest)) }
                @if let Some(a) = &o.answered { p { "First " (answered_words(&a.kind)) " by " (a.by.line()) "." } }
                @if let Some(a) = &o.answer { p { strong { "The proposer's answer: " } "“" (a.text) "” – " (a.by.line()) "." } }
                @if let Some(w) = &o.withdrawal {
                    p { strong { "Withdrawn" } " by " (w.by.line()) "."
                        @if let Some(n) = &w.note { " Their note: “" (n) "”" } }
                }
            }
        }
    }
}

fn voided(t: &Trail) -> Markup {
    html! {
        h2 { "Consents voided by a new version" }
        @if t.voided_consents.is_empty() { p { "No consent was voided." } }
        @else {
            p { "A new version voids every earlier consent: each party must consent again to the same version." }
            ul { @for c in &t.voided_consents { li { "To version " (c.version) ": " (consent_words(c)) } } }
        }
    }
}

fn endings(t: &Trail) -> Markup {
    html! {
        @if !t.round_endings.is_empty() {
            h2 { "Rounds that ended without agreement" }
            ul {
                @for e in &t.round_endings {
                    li { "Version " (e.version) ": "
                        @if e.kind == "ABANDONED" { "the variation was abandoned" } @else { "the round was closed without agreement" }
                        " by " (e.by.line()) ". Why: “" (e.reason) "”" }
                }
            }
        }
        @if let Some(l) = &t.lapse {
            h2 { "Lapse" }
            p { "The distribution lapsed because "
                @if l.cause == "IDEA_WITHDRAWN" { "its idea was withdrawn" } @else { "its idea was declined" }
                ", by " (l.by.line()) ". Why: “" (l.reason) "”" }
        }
        @if let Some(w) = &t.withdrawal {
            h2 { "Withdrawal" }
            p { "Withdrawn by " (w.by.line()) ". Why: “" (w.reason) "”" }
        }
    }
}

fn decisions(t: &Trail) -> Markup {
    html! {
        @if !t.decisions.is_empty() {
            h2 { "Decisions on the idea" }
            @for d in &t.decisions {
                div class="card" {
                    p { strong { (label(&d.outcome)) } " (version " (d.version) " of the idea), recorded by " (d.decided_by.line()) "." }
                    p { strong { "Why: " } (d.rationale) }
                    @if !d.options_considered.is_empty() {
                        p { "Options considered:" }
                        ul { @for o in &d.options_considered { li { (o) } } }
                    }
                    @if !d.preferences.is_empty() {
                        p { "Preferences stated:" }
                        ul { @for p in &d.preferences { li { (p.party.name) ": " (p.preference) } } }
                    }
                }
            }
        }
    }
}
