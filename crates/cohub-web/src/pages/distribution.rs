//! A cost/reward distribution: where it stands (which version is in force, which is open for
//! consent, who has consented, who objects, who is missing), its versions side by side, its
//! consents and objections; and the forms to consent, object, answer an objection and
//! withdraw one. Each form is shown to the members the API would allow, and the API decides:
//! its refusal comes back in the error summary and beside the form.

use super::distribution_versions::{self, Marks};
use super::lookup::{self, HubRef};
use crate::client::Failure;
use crate::form::{self, Form, Sent};
use crate::layout::{self, Chrome};
use crate::session::Session;
use crate::shapes::{Text, Who, WHO};
use crate::text::label;
use crate::App;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// The page's query: a `done` notice, and `versions=all` to show every version.
#[derive(Deserialize, Default)]
pub struct Params {
    done: Option<String>,
    versions: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    viewer: Option<Viewer>,
    hub: Option<HubRef>,
    distribution: Option<Distribution>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Viewer {
    memberships: Vec<Membership>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Membership {
    hub_id: Uuid,
    member: Me,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    organisation_id: Uuid,
    organisation_name: Option<String>,
}

impl Me {
    fn organisation(&self) -> String {
        self.organisation_name
            .clone()
            .unwrap_or_else(|| "your organisation".into())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Distribution {
    id: Uuid,
    hub_id: Uuid,
    idea_id: Uuid,
    idea: Option<IdeaTitle>,
    status: String,
    variation_open: bool,
    in_force: Option<VersionNumber>,
    open_version: Option<VersionNumber>,
    proposed: Actor,
    versions: Vec<Version>,
    consents: Vec<Consent>,
    objections: Vec<Objection>,
    missing_consents: Vec<Party>,
    consented_parties: Vec<Party>,
    objecting_parties: Vec<Party>,
    round_endings: Vec<RoundEnding>,
    lapse: Option<Lapse>,
    agreements: Vec<Agreement>,
    withdrawal: Option<Withdrawal>,
    viewer_may: ViewerMay,
}

/// What the viewer may do now, as the domain decides it (`viewerMay`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewerMay {
    consent: bool,
    object: bool,
    withdraw_objection: bool,
    answer_objections_of: Vec<Uuid>,
}

#[derive(Deserialize)]
struct IdeaTitle {
    current: IdeaVersion,
}

#[derive(Deserialize)]
struct IdeaVersion {
    title: Text,
}

#[derive(Deserialize)]
struct VersionNumber {
    version: i64,
}

/// Who did something.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Actor {
    #[serde(flatten)]
    who: Who,
}

/// One version of the terms.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// Its number.
    pub version: i64,
    /// Proposal, amendment or variation.
    pub kind: String,
    /// Its round.
    pub round: i64,
    /// The parties.
    pub parties: Vec<Party>,
    /// What each party contributes.
    pub costs: Vec<Cost>,
    /// What flows back, to whom.
    pub rewards: Vec<Reward>,
    /// The terms in words.
    pub terms: Text,
    /// Why it changed.
    pub rationale: Option<Text>,
    /// Who wrote it, when.
    pub written: Who,
}

/// An organisation named in a distribution.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// Its id.
    pub organisation_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Its stakeholder kind.
    #[serde(default)]
    pub kind: Option<String>,
}

impl Party {
    /// Its name, or words saying it has none.
    pub fn title(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| "An organisation with no name recorded".into())
    }
}

/// One party's cost contribution.
#[derive(Deserialize, Clone)]
pub struct Cost {
    /// The contributing party.
    pub party: Party,
    /// What kind of cost.
    pub kind: String,
    /// How much, in `unit`.
    pub amount: i64,
    /// The unit.
    pub unit: String,
    /// A note.
    pub note: Option<Text>,
}

impl Cost {
    /// Whether two costs say the same thing.
    pub fn same_as(&self, other: &Cost) -> bool {
        self.party.organisation_id == other.party.organisation_id
            && self.kind == other.kind
            && self.amount == other.amount
            && self.unit == other.unit
            && self.note.as_ref().map(|n| &n.text) == other.note.as_ref().map(|n| &n.text)
    }
}

/// A reward and its shares.
#[derive(Deserialize, Clone)]
pub struct Reward {
    /// What kind of reward.
    pub kind: String,
    /// What it is.
    pub description: Text,
    /// Who gets what share.
    pub shares: Vec<Share>,
}

impl Reward {
    /// Whether two rewards say the same thing.
    pub fn same_as(&self, other: &Reward) -> bool {
        self.kind == other.kind
            && self.description.text == other.description.text
            && self.shares.len() == other.shares.len()
            && self.shares.iter().zip(&other.shares).all(|(a, b)| {
                a.party.organisation_id == b.party.organisation_id
                    && a.basis_points == b.basis_points
            })
    }
}

/// One party's share of a reward.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    /// The receiving party.
    pub party: Party,
    /// The share in basis points.
    pub basis_points: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consent {
    version: i64,
    organisation: Party,
    consented: Who,
    voided: bool,
    voided_by_version: Option<i64>,
    standing: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Objection {
    version: i64,
    organisation: Party,
    reason: Text,
    objected: Actor,
    heard: Heard,
    answer: Option<Answer>,
    withdrawal: Option<ObjectionWithdrawal>,
    standing: bool,
}

#[derive(Deserialize)]
struct Heard {
    answered: bool,
}

#[derive(Deserialize)]
struct Answer {
    text: Text,
    answered: Who,
}

#[derive(Deserialize)]
struct ObjectionWithdrawal {
    note: Option<Text>,
    withdrawn: Who,
}

#[derive(Deserialize)]
struct RoundEnding {
    version: i64,
    kind: String,
    reason: Text,
    ended: Who,
}

#[derive(Deserialize)]
struct Lapse {
    cause: String,
    reason: Text,
    lapsed: Who,
}

#[derive(Deserialize)]
struct Agreement {
    version: i64,
    agreed: Who,
}

#[derive(Deserialize)]
struct Withdrawal {
    reason: Text,
    withdrawn: Who,
}

fn query() -> String {
    let party = "organisationId name";
    format!(
        "query Distribution($hub: UUID!, $id: UUID!) {{
  viewer {{ memberships {{ hubId member {{ organisationId organisationName }} }} }}
  hub(id: $hub) {{ id name }}
  distribution(id: $id) {{
    id hubId ideaId status variationOpen
    idea {{ current {{ title {{ text lang }} }} }}
    inForce {{ version }} openVersion {{ version }}
    proposed {{ {WHO} }}
    versions {{
      version kind round parties {{ {party} kind }}
      costs {{ party {{ {party} }} kind amount unit note {{ text lang }} }}
      rewards {{ kind description {{ text lang }} shares {{ party {{ {party} }} basisPoints }} }}
      terms {{ text lang }} rationale {{ text lang }} written {{ {WHO} }}
    }}
    consents {{ version organisation {{ {party} }} consented {{ {WHO} }} voided voidedByVersion standing }}
    objections {{
      version organisation {{ {party} }} reason {{ text lang }} objected {{ {WHO} }} heard {{ answered }}
      answer {{ text {{ text lang }} answered {{ {WHO} }} }}
      withdrawal {{ note {{ text lang }} withdrawn {{ {WHO} }} }}
      standing
    }}
    missingConsents {{ {party} }} consentedParties {{ {party} }} objectingParties {{ {party} }}
    roundEndings {{ version kind reason {{ text lang }} ended {{ {WHO} }} }}
    lapse {{ cause reason {{ text lang }} lapsed {{ {WHO} }} }}
    agreements {{ version agreed {{ {WHO} }} }}
    withdrawal {{ reason {{ text lang }} withdrawn {{ {WHO} }} }}
    viewerMay {{ consent object withdrawObjection answerObjectionsOf }}
  }}
}}"
    )
}

/// The page's data, checked to be in the URL's hub.
struct Loaded {
    hub: HubRef,
    d: Distribution,
    /// The viewer as a member of this hub, if they are one.
    me: Option<Me>,
}

/// Loads the page's data; `Ok(None)` when there is no such distribution in this hub (or
/// the member may not see it).
async fn load(
    app: &App,
    session: &Session,
    hub: Uuid,
    id: Uuid,
) -> Result<Option<Loaded>, Failure> {
    let data: Data = app
        .client
        .query(session.auth, &query(), json!({ "hub": hub, "id": id }))
        .await?;
    let (Some(h), Some(d)) = (data.hub, data.distribution) else {
        return Ok(None);
    };
    if d.hub_id != h.id {
        return Ok(None);
    }
    let me = data
        .viewer
        .and_then(|v| v.memberships.into_iter().find(|m| m.hub_id == h.id))
        .map(|m| m.member);
    Ok(Some(Loaded { hub: h, d, me }))
}

/// The four things a member can do on this page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// Consent for one's organisation to the version open for consent.
    Consent,
    /// Object, with a reason.
    Object,
    /// Answer an objection (the proposer).
    Answer,
    /// Withdraw one's organisation's objection.
    Withdraw,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        match s {
            "consent" => Some(Action::Consent),
            "object" => Some(Action::Object),
            "answer" => Some(Action::Answer),
            "withdraw" => Some(Action::Withdraw),
            _ => None,
        }
    }

    /// The `done` notice key after it succeeds.
    fn done(self) -> &'static str {
        match self {
            Action::Consent => "consented",
            Action::Object => "objected",
            Action::Answer => "answered",
            Action::Withdraw => "withdrawn",
        }
    }
}

/// A form that was refused, to show again with its errors.
struct Failed {
    action: Action,
    /// The objecting organisation, for an answer.
    organisation: Option<Uuid>,
    form: Form,
}

impl Loaded {
    fn open(&self) -> Option<i64> {
        self.d.open_version.as_ref().map(|v| v.version)
    }

    /// Whether the viewer may answer this objection: the domain allows them to answer its
    /// organisation's standing objection to the open version (`viewerMay`).
    fn may_answer(&self, o: &Objection) -> bool {
        self.open() == Some(o.version)
            && o.standing
            && self
                .d
                .viewer_may
                .answer_objections_of
                .contains(&o.organisation.organisation_id)
    }

    /// Whether the viewer may withdraw this objection: it is their organisation's standing
    /// objection to the open version, and the domain allows them to withdraw it.
    fn may_withdraw(&self, o: &Objection) -> bool {
        self.d.viewer_may.withdraw_objection
            && self.open() == Some(o.version)
            && o.standing
            && self
                .me
                .as_ref()
                .is_some_and(|me| me.organisation_id == o.organisation.organisation_id)
    }
}

/// GET /hubs/{hub}/distributions/{distribution}.
pub async fn show(
    State(app): State<App>,
    session: Session,
    Path((hub, id)): Path<(Uuid, Uuid)>,
    Query(q): Query<Params>,
) -> Response {
    let here = format!("/hubs/{hub}/distributions/{id}");
    let chrome = Chrome::of(&session).with_notice(layout::notice(q.done.as_deref()));
    let loaded = match load(&app, &session, hub, id).await {
        Ok(Some(l)) => l,
        Ok(None) => return layout::not_found(&chrome),
        Err(f) => return layout::failure(&chrome, &f, &here),
    };
    let all = q.versions.as_deref() == Some("all");
    render(&chrome, &session, &loaded, None, all, StatusCode::OK)
}

/// POST /hubs/{hub}/distributions/{distribution}/{action}: consent, object, answer or
/// withdraw; 303 back to the page when recorded, else the page again with the refusal.
pub async fn act(
    State(app): State<App>,
    session: Session,
    Path((hub, id, action)): Path<(Uuid, Uuid, String)>,
    Query(q): Query<AnswerTo>,
    body: String,
) -> Response {
    let here = format!("/hubs/{hub}/distributions/{id}");
    let chrome = Chrome::of(&session);
    let Some(action) = Action::parse(&action) else {
        return layout::not_found(&chrome);
    };
    let loaded = match load(&app, &session, hub, id).await {
        Ok(Some(l)) => l,
        Ok(None) => return layout::not_found(&chrome),
        Err(f) => return layout::failure(&chrome, &f, &here),
    };
    let fields = form::parse(&body);
    let v = |k: &str| fields.get(k).map(String::as_str).unwrap_or("").to_string();
    // The version the page showed as open (so a consent is to what the person read); else
    // the one open now.
    let version: Option<i64> = v("version").parse().ok().or(loaded.open());
    let organisation: Option<Uuid> = v("organisation").parse().ok().or(q.organisation);
    let (field, doc, input, mapping): (String, &str, Value, Vec<(&str, String)>) = match action {
        Action::Consent => (
            "consent".into(),
            "mutation Consent($input: ConsentToDistributionInput!, $idempotencyKey: String) {
  consentToDistribution(input: $input, idempotencyKey: $idempotencyKey) { receipt { replayed } }
}",
            json!({ "distributionId": id, "version": version }),
            vec![],
        ),
        Action::Object => (
            "reason".into(),
            "mutation Object($input: ObjectToDistributionInput!, $idempotencyKey: String) {
  objectToDistribution(input: $input, idempotencyKey: $idempotencyKey) { receipt { replayed } }
}",
            json!({ "distributionId": id, "version": version, "reason": form::plain(&v("reason")) }),
            vec![("reason", "reason".into())],
        ),
        Action::Answer => {
            let name = answer_field(organisation);
            (
                name.clone(),
                "mutation Answer($input: AnswerObjectionInput!, $idempotencyKey: String) {
  answerObjection(input: $input, idempotencyKey: $idempotencyKey) { receipt { replayed } }
}",
                json!({ "distributionId": id, "version": version, "organisationId": organisation,
                        "answer": form::plain(&v(&name)) }),
                vec![("answer", name)],
            )
        }
        Action::Withdraw => {
            let note = v("note");
            let note = if note.trim().is_empty() {
                Value::Null
            } else {
                form::plain(&note)
            };
            (
                "note".into(),
                "mutation Withdraw($input: WithdrawObjectionInput!, $idempotencyKey: String) {
  withdrawObjection(input: $input, idempotencyKey: $idempotencyKey) { receipt { replayed } }
}",
                json!({ "distributionId": id, "version": version, "note": note }),
                vec![("note", "note".into())],
            )
        }
    };
    let mapping: Vec<(&str, &str)> = mapping.iter().map(|(a, b)| (*a, b.as_str())).collect();
    match form::send(
        &app,
        &session,
        fields,
        doc,
        json!({ "input": input }),
        &mapping,
    )
    .await
    {
        Sent::Done(_) => {
            lookup::see_other(format!("{here}?done={}#{}", action.done(), anchor(action)))
        }
        Sent::Again(mut form) => {
            // A refusal about no one field (a rule, a permission) belongs beside the form's
            // own field, so that it is seen where the person acted.
            for e in &mut form.errors {
                if e.field.is_empty() {
                    e.field = field.clone();
                }
            }
            let chrome = chrome.in_hub(loaded.hub.id, &loaded.hub.name, "problems");
            let failed = Failed {
                action,
                organisation,
                form,
            };
            render(
                &chrome,
                &session,
                &loaded,
                Some(&failed),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// The `?organisation=` an answer may carry instead of a hidden field.
#[derive(Deserialize, Default)]
pub struct AnswerTo {
    organisation: Option<Uuid>,
}

/// The answer textarea's name (and id) for an objecting organisation.
fn answer_field(organisation: Option<Uuid>) -> String {
    match organisation {
        Some(o) => format!("answer-{o}"),
        None => "answer".into(),
    }
}

/// Where on the page an action's result shows.
fn anchor(action: Action) -> &'static str {
    match action {
        Action::Consent | Action::Object => "status",
        Action::Answer | Action::Withdraw => "objections",
    }
}

/// The form for `action` (and objecting organisation): the refused one, or a blank one.
fn form_for(failed: Option<&Failed>, action: Action, organisation: Option<Uuid>) -> Form {
    match failed {
        Some(f)
            if f.action == action
                && (action != Action::Answer || f.organisation == organisation) =>
        {
            f.form.clone()
        }
        _ => Form::blank(),
    }
}

fn render(
    chrome: &Chrome,
    session: &Session,
    l: &Loaded,
    failed: Option<&Failed>,
    all: bool,
    status: StatusCode,
) -> Response {
    let d = &l.d;
    let hub = &l.hub;
    let mut chrome = chrome.clone().in_hub(hub.id, &hub.name, "problems");
    chrome.script = Some("live.js");
    let base = format!("/hubs/{}/distributions/{}", hub.id, d.id);
    let idea_title = d
        .idea
        .as_ref()
        .map(|i| i.current.title.clone())
        .unwrap_or(Text {
            text: "an idea".into(),
            lang: "en".into(),
        });
    let marks = Marks {
        in_force: d.in_force.as_ref().map(|v| v.version),
        open: l.open(),
    };
    let empty = Form::blank();
    let summary_form = failed.map(|f| &f.form).unwrap_or(&empty);
    let title = format!("Costs and rewards: {}", idea_title.text);
    layout::respond(
        status,
        &chrome,
        &title,
        html! {
            (form::summary(summary_form))
            div data-live={ (base) "/live" } hidden {}
            div id="live-announcement" class="visually-hidden" aria-live="polite" {}
            p class="meta" { "Cost and reward distribution" }
            h1 { "Costs and rewards for " (idea_title) }
            p { "The idea: " a href={ "/hubs/" (hub.id) "/ideas/" (d.idea_id) } { (idea_title) } }
            p class="meta" { "Proposed by " (d.proposed.who.line()) "." }
            (status_section(l))
            (actions(l, session, failed, &base))
            (distribution_versions::section(&d.versions, &marks, all, &base))
            (consents_section(d))
            (objections_section(l, session, failed, &base))
            (history_section(d))
            p { a href={ (base) "/trail" } { "See every recorded step of this distribution" } }
        },
    )
}

/// Where it stands, in words.
fn status_section(l: &Loaded) -> Markup {
    let d = &l.d;
    let in_force = d.in_force.as_ref().map(|v| v.version);
    let open = l.open();
    // The version the parties' positions are about: the open one, else the one in force.
    let about = open
        .or(in_force)
        .and_then(|n| d.versions.iter().find(|v| v.version == n));
    let names = |list: &[Party]| list.iter().map(Party::title).collect::<Vec<_>>().join(", ");
    // Parties that have neither consented nor objected.
    let waiting: Vec<Party> = d
        .missing_consents
        .iter()
        .filter(|p| {
            !d.objecting_parties
                .iter()
                .any(|o| o.organisation_id == p.organisation_id)
        })
        .cloned()
        .collect();
    html! {
        section id="status" aria-labelledby="status-title" data-live-region {
            h2 id="status-title" { "Where it stands" }
            p class="lead" {
                "Status: "
                @match d.status.as_str() {
                    "AGREED" => { strong class="tag tag--agreed" { "Agreed" } }
                    "PROPOSED" => { strong class="tag tag--waiting" { "Proposed" } }
                    other => { strong class="tag" { (label(other)) } }
                }
                @if d.variation_open { " " strong class="tag tag--waiting" { "A variation is open" } }
            }
            @match d.status.as_str() {
                "PROPOSED" => {
                    p { "Nothing is agreed yet. "
                        @if let Some(o) = open { "Version " (o) " is open for consent. " }
                        "It is agreed when every party consents to the same version." }
                }
                "AGREED" => {
                    p { @if let Some(v) = in_force { "Version " (v) " is in force." } }
                    @if let (true, Some(o)) = (d.variation_open, open) {
                        p { "A variation is open: version " (o) " is open for consent. "
                            @if let Some(v) = in_force { "Version " (v) " stays in force until every party consents to version " (o) "." } }
                    }
                }
                "WITHDRAWN" => {
                    @if let Some(w) = &d.withdrawal {
                        p { "It was withdrawn before agreement by " (w.withdrawn.line()) "." }
                        p { "Why: " (w.reason) }
                    }
                }
                "CLOSED_WITHOUT_AGREEMENT" => {
                    p { "A facilitator closed it because the parties could not agree. Nothing is in force." }
                    @if let Some(e) = d.round_endings.last() {
                        p { "Why: " (e.reason) " (" (e.ended.line()) ")" }
                    }
                }
                "LAPSED" => {
                    p { "The idea was withdrawn or declined while this distribution was still open, so it lapsed." }
                }
                _ => {}
            }
            @if let Some(lapse) = &d.lapse {
                p { "The idea was " (label(&lapse.cause).to_lowercase()) " by " (lapse.lapsed.line()) ". Why: " (lapse.reason) }
            }
            @if !d.objecting_parties.is_empty() {
                p { strong { "There is a standing objection that blocks agreement" }
                    " from " (names(&d.objecting_parties)) ". It blocks agreement until it is withdrawn or a new version is written. "
                    a href="#objections" { "Read the objections" } }
            }
            @if let Some(v) = about {
                @let caption = format!("Where each party stands on version {}", v.version);
                div class="table-scroll" tabindex="0" role="region" aria-label=(caption) {
                    table {
                        caption { (caption) }
                        thead { tr { th scope="col" { "Party" } th scope="col" { "Position" } } }
                        tbody {
                            @for p in &v.parties {
                                tr {
                                    th scope="row" { (p.title()) }
                                    td { (position(d, p.organisation_id)) }
                                }
                            }
                            @for p in d.objecting_parties.iter().filter(|p| !v.parties.iter().any(|q| q.organisation_id == p.organisation_id)) {
                                tr {
                                    th scope="row" { (p.title()) }
                                    td { strong class="tag tag--objection" { "Objects" } " (not a party)" }
                                }
                            }
                        }
                    }
                }
                p {
                    (d.consented_parties.len()) " of " (v.parties.len()) " parties have consented. "
                    @if !d.objecting_parties.is_empty() { "Objecting: " (names(&d.objecting_parties)) ". " }
                    @if !waiting.is_empty() && open.is_some() { "Waiting for: " (names(&waiting)) "." }
                }
            }
        }
    }
}

/// A party's position on the version the page is about, in words.
fn position(d: &Distribution, organisation: Uuid) -> Markup {
    let is = |list: &[Party]| list.iter().any(|p| p.organisation_id == organisation);
    html! {
        @if is(&d.objecting_parties) { strong class="tag tag--objection" { "Objects" } }
        @else if is(&d.consented_parties) { strong class="tag tag--agreed" { "Consented" } }
        @else { strong class="tag tag--waiting" { "Not consented yet" } }
    }
}

/// The consent and objection forms, for those the API would let use them (and a refused
/// one, shown again with its error).
fn actions(l: &Loaded, session: &Session, failed: Option<&Failed>, base: &str) -> Markup {
    let allowed = &l.d.viewer_may;
    let refused = |a: Action| failed.is_some_and(|f| f.action == a);
    let show_consent = allowed.consent || refused(Action::Consent);
    let show_object = allowed.object || refused(Action::Object);
    let Some(open) = l.open().or(l.d.in_force.as_ref().map(|v| v.version)) else {
        return html! {};
    };
    if !show_consent && !show_object {
        return html! {};
    }
    let org =
        l.me.as_ref()
            .map(Me::organisation)
            .unwrap_or_else(|| "your organisation".into());
    html! {
        section id="your-organisation" aria-labelledby="actions-title" {
            h2 id="actions-title" { "What " (org) " can do" }
            @if show_consent && !allowed.consent {
                // Refused, and not for this member: say why, without offering the button again.
                @let f = form_for(failed, Action::Consent, None);
                h3 { "Consent to version " (open) }
                div class="field field--error" id="consent" tabindex="-1" {
                    @if let Some(e) = f.error("consent") {
                        p class="field-error" id="consent-error" { span class="visually-hidden" { "Error: " } (e) }
                    }
                }
            } @else if show_consent {
                @let f = form_for(failed, Action::Consent, None);
                h3 { "Consent to version " (open) }
                @let error = f.error("consent");
                form method="post" action={ (base) "/consent" } novalidate {
                    (form::hidden(&f, session))
                    input type="hidden" name="version" value=(open);
                    div class={ "field" @if error.is_some() { " field--error" } } {
                        p class="hint" id="consent-hint" { "You consent to version " (open) " as it is shown below, on behalf of " (org) ". Every party must consent to the same version for it to be agreed." }
                        @if let Some(e) = error {
                            p class="field-error" id="consent-error" { span class="visually-hidden" { "Error: " } (e) }
                        }
                        button type="submit" class="button" id="consent"
                            aria-describedby={ "consent-hint" @if error.is_some() { " consent-error" } } { "Consent for " (org) }
                    }
                }
            }
            @if show_object {
                @let f = form_for(failed, Action::Object, None);
                h3 { "Object to version " (open) }
                form method="post" action={ (base) "/object" } novalidate {
                    (form::hidden(&f, session))
                    input type="hidden" name="version" value=(open);
                    (form::area(&f, "reason", "Why does your organisation object?",
                        Some("Everyone in the hub will see your reason with your name. Up to 2,000 characters.")))
                    (form::submit(&format!("Object for {org}")))
                }
            }
        }
    }
}

/// Every consent, with whether it still stands.
fn consents_section(d: &Distribution) -> Markup {
    html! {
        section id="consents" aria-labelledby="consents-title" data-live-region {
            h2 id="consents-title" { "Consents" }
            @if d.consents.is_empty() {
                p { "No organisation has consented yet." }
            } @else {
                div class="table-scroll" tabindex="0" role="region" aria-label="Every consent" {
                    table {
                        caption { "Every consent, oldest first" }
                        thead { tr {
                            th scope="col" { "Organisation" }
                            th scope="col" { "Version" }
                            th scope="col" { "Who consented, when" }
                            th scope="col" { "Does it still stand?" }
                        } }
                        tbody {
                            @for c in &d.consents {
                                tr {
                                    th scope="row" { (c.organisation.title()) }
                                    td { (c.version) }
                                    td { (c.consented.line()) }
                                    td {
                                        @if c.voided {
                                            "No: voided when version " (c.voided_by_version.map(|v| v.to_string()).unwrap_or_else(|| "a later version".into())) " was written"
                                        } @else if c.standing {
                                            "Yes"
                                        } @else {
                                            "No: replaced by a later objection"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every objection with its reason, answer and withdrawal, and the forms to answer or
/// withdraw it.
fn objections_section(
    l: &Loaded,
    session: &Session,
    failed: Option<&Failed>,
    base: &str,
) -> Markup {
    let d = &l.d;
    html! {
        section id="objections" aria-labelledby="objections-title" data-live-region {
            h2 id="objections-title" { "Objections" }
            @if d.objections.is_empty() {
                p { "No organisation has objected." }
            }
            @for (i, o) in d.objections.iter().enumerate() {
                @let org_id = o.organisation.organisation_id;
                @let answer_refused = failed.is_some_and(|f| f.action == Action::Answer && f.organisation == Some(org_id)) && o.standing && l.open() == Some(o.version);
                @let withdraw_refused = failed.is_some_and(|f| f.action == Action::Withdraw) && o.standing && l.open() == Some(o.version)
                    && l.me.as_ref().is_some_and(|m| m.organisation_id == org_id);
                div class="card" id={ "objection-" (i + 1) } {
                    h3 { (o.organisation.title()) " objects to version " (o.version) }
                    p class="meta" { "By " (o.objected.who.line()) "." }
                    p { strong { "Status: " }
                        @if o.withdrawal.is_some() { "Withdrawn. It no longer blocks agreement." }
                        @else if !o.standing { "It no longer stands: the organisation consented to this version after objecting." }
                        @else if l.open() == Some(o.version) { "This objection stands. It blocks agreement until it is withdrawn or a new version is written." }
                        @else { "It was the organisation's position on version " (o.version) ". A later version has been written since, so it does not block agreement now." }
                    }
                    h4 { "Their reason" }
                    blockquote { p { (o.reason) } }
                    h4 { "The proposer's answer" }
                    @match &o.answer {
                        Some(a) => {
                            blockquote { p { (a.text) } }
                            p class="meta" { "Answered by " (a.answered.line()) ". An answer does not lift the objection: only the objecting organisation can withdraw it." }
                        }
                        None if o.heard.answered => { p { "No written answer. A later version, or the end of the round, answered it." } }
                        None => { p { "Not answered yet." } }
                    }
                    @if let Some(w) = &o.withdrawal {
                        h4 { "Withdrawn" }
                        p { "Withdrawn by " (w.withdrawn.line()) "." }
                        @if let Some(n) = &w.note { blockquote { p { (n) } } }
                    }
                    @if l.may_answer(o) || answer_refused {
                        @let f = form_for(failed, Action::Answer, Some(org_id));
                        @let name = answer_field(Some(org_id));
                        form method="post" action={ (base) "/answer" } novalidate {
                            (form::hidden(&f, session))
                            input type="hidden" name="version" value=(o.version);
                            input type="hidden" name="organisation" value=(org_id);
                            (form::area(&f, &name, &format!("Your answer to {}", o.organisation.title()),
                                Some("As the proposer, say how you respond to this objection. Up to 2,000 characters.")))
                            (form::submit("Send your answer"))
                        }
                    }
                    @if l.may_withdraw(o) || withdraw_refused {
                        @let f = form_for(failed, Action::Withdraw, None);
                        form method="post" action={ (base) "/withdraw" } novalidate {
                            (form::hidden(&f, session))
                            input type="hidden" name="version" value=(o.version);
                            (form::area(&f, "note", "Why are you withdrawing the objection? (optional)",
                                Some("Up to 2,000 characters.")))
                            (form::submit(&format!("Withdraw the objection of {}", o.organisation.title())))
                        }
                    }
                }
            }
        }
    }
}

/// Agreements and rounds that ended without agreement.
fn history_section(d: &Distribution) -> Markup {
    html! {
        @if !d.agreements.is_empty() || !d.round_endings.is_empty() {
            section id="agreements" aria-labelledby="agreements-title" data-live-region {
                h2 id="agreements-title" { "Agreements and closed rounds" }
                ul {
                    @for a in &d.agreements {
                        li { "Version " (a.version) " was agreed when " (a.agreed.line()) " completed the consents." }
                    }
                    @for e in &d.round_endings {
                        li { "Version " (e.version) ": " (label(&e.kind).to_lowercase()) " by " (e.ended.line()) ". Why: " (e.reason) }
                    }
                }
            }
        }
    }
}
