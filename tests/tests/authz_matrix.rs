//! Who may do what, on the real server: every mutation and every subscription against every
//! kind of actor. The lists of mutations and subscriptions are read from the served schema, so
//! a new one without a row here fails the suite.
//!
//! `cohub serve --demo` gives the Black Country hub with the fixed ids of
//! `cohub_domain::example`; the facilitator adds what the matrix needs (a suspended and a
//! removed member, fresh members to change), and someone from outside founds a second hub.
//!
//! [`MATRIX`] is the table: one row per mutation (some twice: on the actor's own
//! contribution, and on someone else's), one column per kind of actor, each cell the expected
//! answer. Every allowed cell runs on a fresh target and must really append (its receipt is
//! the hub's new chain head); every denied cell must answer with the expected code (and rule)
//! and leave the log exactly as it was (chain heads of both hubs and the number of hubs, read
//! before and after). The table is printed; README.md ("Who may do what") shows the same.

use anyhow::{bail, Context, Result};
use cohub_domain::example as ex;
use cohub_e2e::probe::{
    expired_token, forge, introspect, other_issuer_token, LogState, Probe, Reply, SchemaInfo,
};
use cohub_e2e::{token, Server, WsClient};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------

/// What a cell expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Allowed: the mutation appends.
    Ok,
    /// Refused with `extensions.code` = the code and, for `RULE`, `extensions.rule`.
    Deny(&'static str, Option<&'static str>),
}

const OK: Expect = Expect::Ok;
const UN: Expect = Expect::Deny("UNAUTHENTICATED", None);
const FB: Expect = Expect::Deny("FORBIDDEN", None);
const INACT: Expect = Expect::Deny("RULE", Some("inactive_member"));
const REVISE: Expect = Expect::Deny("RULE", Some("nobody_revises_anothers_words"));
const SELF: Expect = Expect::Deny("RULE", Some("no_self_acknowledgement"));
const PARTY: Expect = Expect::Deny("RULE", Some("only_authorised_party_member"));
const CHAMP: Expect = Expect::Deny("RULE", Some("only_champions_speak_for_residents"));
const NF: Expect = Expect::Deny("NOT_FOUND", None);

/// The kinds of actor: the table's columns, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    /// Nadia Rahman: facilitator, Sandwell Public Health (commissioner).
    Facilitator,
    /// Amina Begum: champion, Brierley Homes (community_organisation).
    Champion,
    /// Helen Ward: lead, Brierley Homes (community_organisation).
    CommunityLead,
    /// Dan Okafor: lead, GlucoLink (innovator).
    InnovatorLead,
    /// Rachel Green: member, diabetes nursing team (clinician).
    ClinicianMember,
    /// Mark Stevens: lead, Black Country ICB (commissioner).
    CommissionerLead,
    /// Owen Jones: member, Sandwell Public Health (commissioner; the facilitator's organisation).
    CommissionerMember,
    /// Imran Hussain: lead of the mosque group, an organisation that is not a party to the
    /// matrix's distributions (speaking for an organisation that is not one of the parties).
    OtherOrgLead,
    /// A lead of Brierley Homes, suspended.
    Suspended,
    /// A lead of Brierley Homes, removed.
    Removed,
    /// The facilitator of another hub.
    OtherHub,
    /// A valid token for someone who was never admitted anywhere.
    Stranger,
    /// No `Authorization` header.
    NoToken,
    /// The facilitator's id, in a token that expired an hour ago (signed with the real key).
    Expired,
    /// The facilitator's valid token with its signature altered.
    Forged,
    /// The facilitator's id, in a token signed by another data directory's key.
    WrongIssuer,
}

const WHO: [Who; 16] = [
    Who::Facilitator,
    Who::Champion,
    Who::CommunityLead,
    Who::InnovatorLead,
    Who::ClinicianMember,
    Who::CommissionerLead,
    Who::CommissionerMember,
    Who::OtherOrgLead,
    Who::Suspended,
    Who::Removed,
    Who::OtherHub,
    Who::Stranger,
    Who::NoToken,
    Who::Expired,
    Who::Forged,
    Who::WrongIssuer,
];

/// Short column labels for the printed table.
const LABELS: [&str; 16] = [
    "facil", "champ", "c.lead", "i.lead", "clin", "cm.lead", "cm.mbr", "oth.org", "suspnd",
    "removd", "oth.hub", "strngr", "no tok", "expird", "forged", "wr.iss",
];

impl Who {
    /// Whether this actor is an active member of the demo hub (and so can own contributions).
    fn active(self) -> bool {
        self < Who::Suspended
    }
}

/// The mutations of the matrix (some in two variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    FoundHub,
    AdmitOrganisation,
    AdmitMember,
    ChangeMemberRole,
    SuspendMember,
    ReinstateMember,
    RemoveMember,
    AdoptCharter,
    SetMinimumDeliberationTime,
    FrameProblem,
    AddPerspective,
    ReviseProblem,
    EndorseProblem,
    MoveProblemStage,
    AcknowledgeProblemContribution,
    ProposeIdea,
    /// `proposeIdea` with `onBehalfOf` residents.
    ProposeIdeaOnBehalf,
    ReviseIdea,
    SupportIdea,
    GiveFeedback,
    RespondToFeedback,
    AcknowledgeIdeaContribution,
    RecordIdeaDecision,
    WithdrawIdea,
    ProposeDistribution,
    AmendDistribution,
    ConsentToDistribution,
    ObjectToDistribution,
    CloseAgreement,
    WithdrawDistribution,
    StartVariationRound,
    AnswerObjection,
    WithdrawObjection,
    CloseWithoutAgreement,
    AbandonVariation,
    /// Signs the hub's chain head with the server's checkpoint key (appends nothing).
    SignCheckpoint,
}

impl Op {
    /// Whether an allowed call appends to the log (all but `signCheckpoint`).
    fn appends(self) -> bool {
        self != Op::SignCheckpoint
    }

    /// The GraphQL mutation field.
    fn field(self) -> &'static str {
        match self {
            Op::FoundHub => "foundHub",
            Op::AdmitOrganisation => "admitOrganisation",
            Op::AdmitMember => "admitMember",
            Op::ChangeMemberRole => "changeMemberRole",
            Op::SuspendMember => "suspendMember",
            Op::ReinstateMember => "reinstateMember",
            Op::RemoveMember => "removeMember",
            Op::AdoptCharter => "adoptCharter",
            Op::SetMinimumDeliberationTime => "setMinimumDeliberationTime",
            Op::FrameProblem => "frameProblem",
            Op::AddPerspective => "addPerspective",
            Op::ReviseProblem => "reviseProblem",
            Op::EndorseProblem => "endorseProblem",
            Op::MoveProblemStage => "moveProblemStage",
            Op::AcknowledgeProblemContribution => "acknowledgeProblemContribution",
            Op::ProposeIdea | Op::ProposeIdeaOnBehalf => "proposeIdea",
            Op::ReviseIdea => "reviseIdea",
            Op::SupportIdea => "supportIdea",
            Op::GiveFeedback => "giveFeedback",
            Op::RespondToFeedback => "respondToFeedback",
            Op::AcknowledgeIdeaContribution => "acknowledgeIdeaContribution",
            Op::RecordIdeaDecision => "recordIdeaDecision",
            Op::WithdrawIdea => "withdrawIdea",
            Op::ProposeDistribution => "proposeDistribution",
            Op::AmendDistribution => "amendDistribution",
            Op::ConsentToDistribution => "consentToDistribution",
            Op::ObjectToDistribution => "objectToDistribution",
            Op::CloseAgreement => "closeAgreement",
            Op::WithdrawDistribution => "withdrawDistribution",
            Op::StartVariationRound => "startVariationRound",
            Op::AnswerObjection => "answerObjection",
            Op::WithdrawObjection => "withdrawObjection",
            Op::CloseWithoutAgreement => "closeWithoutAgreement",
            Op::AbandonVariation => "abandonVariation",
            Op::SignCheckpoint => "signCheckpoint",
        }
    }
}

/// Whose contribution the mutation acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    /// Someone else's (or nobody's, for mutations that create or run the hub).
    Others,
    /// The actor's own (for actors who cannot have one, someone else's).
    Own,
}

/// One row: a mutation, whose target, and the expected answer for each column of [`WHO`].
struct Row {
    op: Op,
    on: On,
    cells: [Expect; 16],
}

const fn row(op: Op, on: On, cells: [Expect; 16]) -> Row {
    Row { op, on, cells }
}

use On::{Others, Own};
use Op::*;

/// Who may do what. Columns: facilitator, champion (community org), community-org lead,
/// innovator lead, clinician member, commissioner lead, commissioner member, lead of an
/// organisation that is not a party, suspended member, removed member, another hub's member,
/// a stranger with a valid token, no token, expired token, forged token, wrong-issuer token.
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                         facil  champ  c.lead i.lead clin   cm.lead cm.mbr oth.org suspnd removd oth.hub strngr notok expird forged wr.iss
    row(FoundHub, Others,                      [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    UN,   UN,   UN,   UN]),
    row(AdmitOrganisation, Others,             [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AdmitMember, Others,                   [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ChangeMemberRole, Others,              [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(SuspendMember, Others,                 [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ReinstateMember, Others,               [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(RemoveMember, Others,                  [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AdoptCharter, Others,                  [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(SetMinimumDeliberationTime, Others,    [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(FrameProblem, Others,                  [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AddPerspective, Others,                [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ReviseProblem, Own,                    [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ReviseProblem, Others,                 [REVISE,REVISE,REVISE,REVISE,REVISE,REVISE,REVISE,REVISE,INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(EndorseProblem, Others,                [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(MoveProblemStage, Own,                 [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(MoveProblemStage, Others,              [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AcknowledgeProblemContribution, Others,[OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AcknowledgeProblemContribution, Own,   [SELF,  SELF,  SELF,  SELF,  SELF,  SELF,  SELF,  SELF,  INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ProposeIdea, Others,                   [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ProposeIdeaOnBehalf, Others,           [CHAMP, OK,    CHAMP, CHAMP, CHAMP, CHAMP, CHAMP, CHAMP, INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ReviseIdea, Own,                       [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ReviseIdea, Others,                    [REVISE,REVISE,REVISE,REVISE,REVISE,REVISE,REVISE,REVISE,INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(SupportIdea, Others,                   [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(GiveFeedback, Others,                  [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(RespondToFeedback, Own,                [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(RespondToFeedback, Others,             [FB,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AcknowledgeIdeaContribution, Others,   [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AcknowledgeIdeaContribution, Own,      [SELF,  SELF,  SELF,  SELF,  SELF,  SELF,  SELF,  SELF,  INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(RecordIdeaDecision, Others,            [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(WithdrawIdea, Own,                     [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(WithdrawIdea, Others,                  [FB,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ProposeDistribution, Others,           [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AmendDistribution, Own,                [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AmendDistribution, Others,             [OK,    FB,    OK,    OK,    FB,    OK,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ConsentToDistribution, Others,         [OK,    PARTY, OK,    OK,    PARTY, OK,    PARTY, PARTY, INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(ObjectToDistribution, Others,          [OK,    PARTY, OK,    OK,    PARTY, OK,    PARTY, OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(CloseAgreement, Others,                [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(WithdrawDistribution, Own,             [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(WithdrawDistribution, Others,          [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(StartVariationRound, Own,              [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(StartVariationRound, Others,           [OK,    FB,    OK,    OK,    FB,    OK,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    // Own: the actor proposed the distribution, another organisation objected.
    row(AnswerObjection, Own,                  [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AnswerObjection, Others,               [FB,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    // Own: the actor's own objection (members who cannot object have none to withdraw).
    row(WithdrawObjection, Own,                [OK,    NF,    OK,    OK,    NF,    OK,    NF,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(WithdrawObjection, Others,             [NF,    NF,    NF,    NF,    NF,    NF,    NF,    NF,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(CloseWithoutAgreement, Others,         [OK,    FB,    FB,    FB,    FB,    FB,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AbandonVariation, Own,                 [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(AbandonVariation, Others,              [OK,    FB,    OK,    OK,    FB,    OK,    FB,    FB,    INACT, INACT, FB,    FB,    UN,   UN,   UN,   UN]),
    row(SignCheckpoint, Others,                [OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    FB,    FB,    FB,    UN,   UN,   UN,   UN]),
];

// ---------------------------------------------------------------------------------------------
// The world the matrix runs in.
// ---------------------------------------------------------------------------------------------

/// Helpers who build targets and are not columns of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Helper {
    /// Jaspreet Kaur (champion): frames "someone else's" problems.
    Framer,
    /// Tom Price (champion): proposes "someone else's" ideas.
    Proposer,
    /// Dr Farah Ahmed (GP member): gives the feedback that is responded to.
    FeedbackGiver,
    /// Sara Lindqvist (BloomMind lead, not a party): proposes "someone else's" distributions.
    DistributionProposer,
}

/// The minimum deliberation time set while `closeAgreement` rows run, so that the last
/// consent does not agree the distribution by itself and there is something to close.
const CLOSE_DELIBERATION: u64 = 8;

struct World {
    server: Server,
    probe: Probe,
    schema: SchemaInfo,
    /// Tokens per column (`None` for no token).
    tokens: BTreeMap<Who, Option<String>>,
    helpers: BTreeMap<Helper, String>,
    /// The member id behind each column that has one.
    ids: BTreeMap<Who, Uuid>,
    /// Tokens of people outside every hub, used only to read the chain heads.
    witnesses: Vec<String>,
    next_witness: usize,
    other_hub: Uuid,
    /// An open problem (by the framer) that ideas are proposed for.
    problem: Uuid,
    /// An open idea (by the proposer) that distributions are proposed for.
    idea: Uuid,
    counter: u64,
}

fn pt(text: &str) -> Value {
    json!({ "text": text, "lang": "en" })
}

fn framing(n: u64) -> Value {
    json!({
        "title": pt(&format!("Matrix problem {n}: late diagnosis in the estates")),
        "statement": pt("People on the estates are diagnosed late because clinics are hard to reach."),
        "affected": pt("Residents without a car, and the carers who support them."),
        "place": pt("Brierley Hill"),
        "evidence": [{ "kind": "LIVED_EXPERIENCE", "text": pt("Residents tell champions the bus takes an hour.") }],
    })
}

/// Terms with four parties: Brierley Homes (community), GlucoLink (innovator), the ICB
/// (commissioner) and Sandwell Public Health (the facilitator's organisation).
fn terms(n: u64) -> Value {
    let parties = [
        ex::ORG_HOUSING.uuid(),
        ex::ORG_GLUCOLINK.uuid(),
        ex::ORG_ICB.uuid(),
        ex::ORG_PUBLIC_HEALTH.uuid(),
    ];
    json!({
        "parties": parties,
        "costs": [
            { "party": ex::ORG_ICB.uuid(), "kind": "MONEY", "amount": 1000 + n, "unit": "GBP", "note": null },
            { "party": ex::ORG_HOUSING.uuid(), "kind": "STAFF_TIME", "amount": 10, "unit": "champion hours", "note": pt("Champions run the sessions.") },
        ],
        "rewards": [
            { "kind": "REVENUE_SHARE", "description": pt("Revenue from resale."),
              "shares": [
                  { "party": ex::ORG_GLUCOLINK.uuid(), "basisPoints": 6000 },
                  { "party": ex::ORG_HOUSING.uuid(), "basisPoints": 4000 },
              ] },
            { "kind": "OUTCOME_DATA", "description": pt("Outcome data for every party."),
              "shares": [
                  { "party": ex::ORG_GLUCOLINK.uuid(), "basisPoints": 2500 },
                  { "party": ex::ORG_HOUSING.uuid(), "basisPoints": 2500 },
                  { "party": ex::ORG_ICB.uuid(), "basisPoints": 2500 },
                  { "party": ex::ORG_PUBLIC_HEALTH.uuid(), "basisPoints": 2500 },
              ] },
        ],
        "terms": pt(&format!("Matrix pilot number {n}.")),
    })
}

/// The leads (and facilitator) who consent for the four parties of [`terms`].
const PARTY_SPEAKERS: [Who; 4] = [
    Who::Facilitator,
    Who::CommunityLead,
    Who::InnovatorLead,
    Who::CommissionerLead,
];

/// A prepared target: the mutation's `input`, and whether it may be shared by denied cells.
struct Target {
    input: Value,
}

impl World {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens[&who].as_deref()
    }

    fn helper(&self, h: Helper) -> &str {
        &self.helpers[&h]
    }

    fn witness(&mut self) -> String {
        self.next_witness = (self.next_witness + 1) % self.witnesses.len();
        self.witnesses[self.next_witness].clone()
    }

    /// The log as seen from outside: both hubs' chain heads and the number of hubs.
    async fn log_state(&mut self) -> Result<LogState> {
        let w = self.witness();
        self.probe
            .heads(&[ex::HUB.uuid(), self.other_hub], Some(&w))
            .await
    }

    /// `mutation($input: T!) { field(input: $input) { receipt { ... } } }` for the served
    /// schema's input type of `field`.
    fn document(&self, field: &str) -> Result<String> {
        if field == "signCheckpoint" {
            return Ok(
                "mutation($input: UUID!) { signCheckpoint(hubId: $input) { __typename } }".into(),
            );
        }
        let f = self
            .schema
            .mutation(field)
            .with_context(|| format!("the served schema has no mutation `{field}`"))?;
        let input = f
            .args
            .iter()
            .find(|a| a.name == "input")
            .with_context(|| format!("`{field}` takes no `input` argument"))?;
        Ok(format!(
            "mutation($input: {}) {{ {field}(input: $input) {{ receipt {{ hubId hubSeq hash eventIds }} }} }}",
            input.ty
        ))
    }

    /// Runs `field(input)` as `token`, waiting out the rate limiter.
    async fn send(&self, field: &str, input: &Value, token: Option<&str>) -> Result<Reply> {
        let doc = self.document(field)?;
        self.probe
            .gql_patient(&doc, json!({ "input": input }), token)
            .await
    }

    /// Runs a set-up step that must succeed.
    async fn setup(&self, field: &str, input: Value, token: &str) -> Result<Value> {
        let reply = self.send(field, &input, Some(token)).await?;
        if !reply.is_clean() {
            bail!(
                "set-up step {field} failed (HTTP {}): {}\ninput: {input}",
                reply.status,
                reply.text(2000)
            );
        }
        Ok(reply.data()[field]["receipt"].clone())
    }

    async fn admit(&mut self, role: &str) -> Result<Uuid> {
        let n = self.next();
        let id = Uuid::now_v7();
        let fac = self.token(Who::Facilitator).unwrap().to_string();
        self.setup(
            "admitMember",
            json!({ "hubId": ex::HUB.uuid(), "memberId": id, "organisationId": ex::ORG_GP.uuid(),
                    "name": format!("Matrix member {n}"), "role": role }),
            &fac,
        )
        .await?;
        Ok(id)
    }

    async fn frame(&mut self, by: &str) -> Result<Uuid> {
        let n = self.next();
        let id = Uuid::now_v7();
        self.setup(
            "frameProblem",
            json!({ "hubId": ex::HUB.uuid(), "problemId": id, "framing": framing(n) }),
            by,
        )
        .await?;
        Ok(id)
    }

    async fn propose(&mut self, by: &str) -> Result<Uuid> {
        let n = self.next();
        let id = Uuid::now_v7();
        self.setup(
            "proposeIdea",
            json!({ "problemId": self.problem, "ideaId": id,
                    "title": pt(&format!("Matrix idea {n}: a minibus to the clinic")),
                    "summary": pt("A community minibus takes residents to their appointments.") }),
            by,
        )
        .await?;
        Ok(id)
    }

    async fn distribute(&mut self, by: &str) -> Result<Uuid> {
        let n = self.next();
        let id = Uuid::now_v7();
        self.setup(
            "proposeDistribution",
            json!({ "ideaId": self.idea, "distributionId": id, "terms": terms(n) }),
            by,
        )
        .await?;
        Ok(id)
    }

    async fn consent_all(&mut self, distribution: Uuid) -> Result<()> {
        for who in PARTY_SPEAKERS {
            let t = self.token(who).unwrap().to_string();
            self.setup(
                "consentToDistribution",
                json!({ "distributionId": distribution, "version": 1 }),
                &t,
            )
            .await?;
        }
        Ok(())
    }

    /// Builds a fresh target for `op`, owned by `owner`'s token where the mutation acts on a
    /// contribution.
    async fn target(&mut self, op: Op, owner: &str) -> Result<Target> {
        let hub = ex::HUB.uuid();
        let n = self.next();
        let owner = owner.to_string();
        let input = match op {
            FoundHub => json!({
                "hubId": Uuid::now_v7(), "name": format!("Matrix hub {n}"),
                "purpose": pt("Trying who may found a hub."), "founderName": format!("Founder {n}"),
                "organisation": { "name": format!("Founding group {n}"), "kind": "COMMUNITY_ORGANISATION" },
            }),
            AdmitOrganisation => json!({
                "hubId": hub, "organisationId": Uuid::now_v7(),
                "name": format!("Matrix organisation {n}"), "kind": "INNOVATOR",
            }),
            AdmitMember => json!({
                "hubId": hub, "memberId": Uuid::now_v7(), "organisationId": ex::ORG_GP.uuid(),
                "name": format!("Matrix admittee {n}"), "role": "MEMBER",
            }),
            ChangeMemberRole => {
                let m = self.admit("MEMBER").await?;
                json!({ "hubId": hub, "memberId": m, "role": "LEAD" })
            }
            SuspendMember => {
                let m = self.admit("MEMBER").await?;
                json!({ "hubId": hub, "memberId": m, "reason": pt("Trying who may suspend.") })
            }
            ReinstateMember => {
                let m = self.admit("MEMBER").await?;
                let fac = self.token(Who::Facilitator).unwrap().to_string();
                self.setup(
                    "suspendMember",
                    json!({ "hubId": hub, "memberId": m, "reason": pt("To be reinstated.") }),
                    &fac,
                )
                .await?;
                json!({ "hubId": hub, "memberId": m })
            }
            RemoveMember => {
                let m = self.admit("MEMBER").await?;
                json!({ "hubId": hub, "memberId": m, "reason": pt("Trying who may remove.") })
            }
            AdoptCharter => {
                json!({ "hubId": hub, "text": pt(&format!("Charter {n}: we work as equals.")) })
            }
            SetMinimumDeliberationTime => json!({ "hubId": hub, "seconds": 0 }),
            FrameProblem => {
                json!({ "hubId": hub, "problemId": Uuid::now_v7(), "framing": framing(n) })
            }
            AddPerspective => {
                let p = self.frame(&owner).await?;
                json!({ "problemId": p, "perspectiveId": Uuid::now_v7(), "kind": "CLINICAL",
                        "text": pt("Late diagnosis means harder treatment.") })
            }
            ReviseProblem => {
                let p = self.frame(&owner).await?;
                json!({ "problemId": p, "framing": framing(n), "rationale": pt("Sharper wording.") })
            }
            EndorseProblem => json!({ "problemId": self.frame(&owner).await? }),
            MoveProblemStage => {
                let p = self.frame(&owner).await?;
                json!({ "problemId": p, "to": "EXPLORING", "reason": pt("Time to explore it.") })
            }
            AcknowledgeProblemContribution => {
                let p = self.frame(&owner).await?;
                json!({ "problemId": p, "note": pt("Thank you for raising this.") })
            }
            ProposeIdea => json!({
                "problemId": self.problem, "ideaId": Uuid::now_v7(),
                "title": pt(&format!("Matrix idea {n}")), "summary": pt("Text reminders in community languages."),
            }),
            ProposeIdeaOnBehalf => json!({
                "problemId": self.problem, "ideaId": Uuid::now_v7(),
                "title": pt(&format!("Matrix idea {n} for residents")), "summary": pt("Voice reminders."),
                "onBehalfOf": { "residents": pt("Residents of the estates who asked for it."), "anonymous": false,
                                "howResidentsAgreed": pt("At the tenants' meeting, by a show of hands.") },
            }),
            ReviseIdea => {
                let i = self.propose(&owner).await?;
                json!({ "ideaId": i, "title": pt(&format!("Matrix idea {n}, revised")),
                        "summary": pt("A minibus, twice a week."), "rationale": pt("Feedback said twice a week.") })
            }
            SupportIdea => json!({ "ideaId": self.propose(&owner).await? }),
            GiveFeedback => {
                let i = self.propose(&owner).await?;
                json!({ "ideaId": i, "feedbackId": Uuid::now_v7(), "text": pt("Could it stop at the surgery?") })
            }
            RespondToFeedback => {
                let i = self.propose(&owner).await?;
                let f = Uuid::now_v7();
                let giver = self.helper(Helper::FeedbackGiver).to_string();
                self.setup(
                    "giveFeedback",
                    json!({ "ideaId": i, "feedbackId": f, "text": pt("What about wheelchairs?") }),
                    &giver,
                )
                .await?;
                json!({ "ideaId": i, "feedbackId": f, "text": pt("Yes: the minibus has a lift.") })
            }
            AcknowledgeIdeaContribution => {
                let i = self.propose(&owner).await?;
                json!({ "ideaId": i, "note": pt("Thank you.") })
            }
            RecordIdeaDecision => {
                let i = self.propose(&owner).await?;
                json!({ "ideaId": i, "outcome": "SHORTLIST", "decision": {
                    "optionsConsidered": [pt("A minibus"), pt("Taxi vouchers")],
                    "preferences": [{ "organisationId": ex::ORG_HOUSING.uuid(), "preference": pt("The minibus.") }],
                    "rationale": pt("Residents preferred the minibus."),
                } })
            }
            WithdrawIdea => {
                let i = self.propose(&owner).await?;
                json!({ "ideaId": i, "reason": pt("We found a better way.") })
            }
            ProposeDistribution => {
                json!({ "ideaId": self.idea, "distributionId": Uuid::now_v7(), "terms": terms(n) })
            }
            AmendDistribution => {
                let d = self.distribute(&owner).await?;
                json!({ "distributionId": d, "terms": terms(n + 1000), "rationale": pt("More money.") })
            }
            ConsentToDistribution => {
                let d = self.distribute(&owner).await?;
                json!({ "distributionId": d, "version": 1 })
            }
            ObjectToDistribution => {
                let d = self.distribute(&owner).await?;
                json!({ "distributionId": d, "version": 1, "reason": pt("Carers get nothing.") })
            }
            CloseAgreement => {
                let d = self.distribute(&owner).await?;
                self.consent_all(d).await?;
                json!({ "distributionId": d, "version": 1 })
            }
            WithdrawDistribution => {
                let d = self.distribute(&owner).await?;
                json!({ "distributionId": d, "reason": pt("The idea changed.") })
            }
            StartVariationRound => {
                let d = self.distribute(&owner).await?;
                self.consent_all(d).await?;
                json!({ "distributionId": d, "terms": terms(n + 2000), "rationale": pt("Year two.") })
            }
            AnswerObjection => {
                let d = self.distribute(&owner).await?;
                let objector = self.helper(Helper::DistributionProposer).to_string();
                self.setup(
                    "objectToDistribution",
                    json!({ "distributionId": d, "version": 1, "reason": pt("The app is left out.") }),
                    &objector,
                )
                .await?;
                json!({ "distributionId": d, "version": 1, "organisationId": ex::ORG_BLOOMMIND.uuid(),
                        "answer": pt("The app joins in year two.") })
            }
            WithdrawObjection => {
                let proposer = self.helper(Helper::DistributionProposer).to_string();
                let d = self.distribute(&proposer).await?;
                // The owner's own objection, where the owner may object at all (a champion or
                // a plain member may not, and then has none to withdraw).
                let _ = self
                    .send(
                        "objectToDistribution",
                        &json!({ "distributionId": d, "version": 1, "reason": pt("Not yet.") }),
                        Some(&owner),
                    )
                    .await?;
                json!({ "distributionId": d, "version": 1, "note": pt("We talked it through.") })
            }
            CloseWithoutAgreement => {
                let d = self.distribute(&owner).await?;
                let objector = self.helper(Helper::DistributionProposer).to_string();
                self.setup(
                    "objectToDistribution",
                    json!({ "distributionId": d, "version": 1, "reason": pt("The app is left out.") }),
                    &objector,
                )
                .await?;
                json!({ "distributionId": d, "version": 1, "reason": pt("No way through.") })
            }
            AbandonVariation => {
                let d = self.distribute(&owner).await?;
                self.consent_all(d).await?;
                self.setup(
                    "startVariationRound",
                    json!({ "distributionId": d, "terms": terms(n + 3000), "rationale": pt("Year two.") }),
                    &owner,
                )
                .await?;
                json!({ "distributionId": d, "reason": pt("Year two is not funded.") })
            }
            SignCheckpoint => json!(hub),
        };
        Ok(Target { input })
    }

    /// The token that owns the target of a cell: the actor's own for an `Own` row (when the
    /// actor can own anything), else the helper who makes "someone else's" of this kind.
    fn owner_for(&self, op: Op, on: On, who: Who) -> String {
        if on == Own && who.active() {
            return self.token(who).unwrap().to_string();
        }
        let helper = match op {
            ReviseIdea
            | SupportIdea
            | GiveFeedback
            | RespondToFeedback
            | AcknowledgeIdeaContribution
            | RecordIdeaDecision
            | WithdrawIdea => Helper::Proposer,
            AmendDistribution
            | ConsentToDistribution
            | ObjectToDistribution
            | CloseAgreement
            | WithdrawDistribution
            | StartVariationRound
            | AnswerObjection
            | WithdrawObjection
            | CloseWithoutAgreement
            | AbandonVariation => Helper::DistributionProposer,
            _ => Helper::Framer,
        };
        self.helper(helper).to_string()
    }

    async fn set_deliberation(&self, seconds: u64) -> Result<()> {
        let fac = self.token(Who::Facilitator).unwrap().to_string();
        self.setup(
            "setMinimumDeliberationTime",
            json!({ "hubId": ex::HUB.uuid(), "seconds": seconds }),
            &fac,
        )
        .await?;
        Ok(())
    }
}

/// Builds the world: the demo server, tokens for every column, the suspended and removed
/// members, another hub, and the problem and idea that ideas and distributions hang on.
async fn world(dir: &std::path::Path) -> Result<World> {
    let server = Server::start_with(dir, &["--demo"]).await?;
    let probe = Probe::new(&server)?;
    let data = server.data.clone();
    let demo = |key: &str| ex::person(key).expect("a demo person").id.uuid();

    let mut ids = BTreeMap::new();
    ids.insert(Who::Facilitator, demo("facilitator"));
    ids.insert(Who::Champion, demo("champion"));
    ids.insert(Who::CommunityLead, demo("housing_lead"));
    ids.insert(Who::InnovatorLead, demo("firm_lead"));
    ids.insert(Who::ClinicianMember, demo("nurse"));
    ids.insert(Who::CommissionerLead, demo("icb_commissioner"));
    ids.insert(Who::CommissionerMember, demo("public_health_commissioner"));
    ids.insert(Who::OtherOrgLead, demo("mosque_lead"));
    ids.insert(Who::Suspended, Uuid::now_v7());
    ids.insert(Who::Removed, Uuid::now_v7());
    ids.insert(Who::OtherHub, Uuid::now_v7());
    ids.insert(Who::Stranger, Uuid::now_v7());

    let mut tokens = BTreeMap::new();
    for (who, id) in &ids {
        tokens.insert(*who, Some(token(&data, *id).await?));
    }
    let fac_id = ids[&Who::Facilitator];
    let fac_token = tokens[&Who::Facilitator].clone().unwrap();
    tokens.insert(Who::NoToken, None);
    tokens.insert(Who::Expired, Some(expired_token(&data, fac_id)?));
    tokens.insert(Who::Forged, Some(forge(&fac_token)));
    tokens.insert(Who::WrongIssuer, Some(other_issuer_token(fac_id).await?));

    let mut helpers = BTreeMap::new();
    helpers.insert(Helper::Framer, token(&data, demo("champion_3")).await?);
    helpers.insert(Helper::Proposer, token(&data, demo("champion_2")).await?);
    helpers.insert(Helper::FeedbackGiver, token(&data, demo("gp")).await?);
    helpers.insert(
        Helper::DistributionProposer,
        token(&data, demo("app_lead")).await?,
    );

    let mut witnesses = Vec::new();
    for _ in 0..4 {
        witnesses.push(token(&data, Uuid::now_v7()).await?);
    }
    let schema = introspect(&probe, Some(&witnesses[0])).await?;

    let mut w = World {
        server,
        probe,
        schema,
        tokens,
        helpers,
        ids,
        witnesses,
        next_witness: 0,
        other_hub: Uuid::now_v7(),
        problem: Uuid::nil(),
        idea: Uuid::nil(),
        counter: 0,
    };

    // The suspended and the removed member: leads of Brierley Homes (a party), so nothing but
    // their standing stands between them and consenting.
    let hub = ex::HUB.uuid();
    for (who, field) in [
        (Who::Suspended, "suspendMember"),
        (Who::Removed, "removeMember"),
    ] {
        let id = w.ids[&who];
        w.setup(
            "admitMember",
            json!({ "hubId": hub, "memberId": id, "organisationId": ex::ORG_HOUSING.uuid(),
                    "name": format!("Matrix {who:?}"), "role": "LEAD" }),
            &fac_token,
        )
        .await?;
        w.setup(
            field,
            json!({ "hubId": hub, "memberId": id, "reason": pt("For the authorisation matrix.") }),
            &fac_token,
        )
        .await?;
    }
    // Another hub, founded by someone outside the demo hub.
    let other = w.token(Who::OtherHub).unwrap().to_string();
    let other_hub = w.other_hub;
    w.setup(
        "foundHub",
        json!({ "hubId": other_hub, "name": "Another Hub", "purpose": pt("Somewhere else."),
                "founderName": "Outside Founder",
                "organisation": { "name": "Outside Group", "kind": "CLINICIAN" } }),
        &other,
    )
    .await?;
    let framer = w.helper(Helper::Framer).to_string();
    w.problem = w.frame(&framer).await?;
    let proposer = w.helper(Helper::Proposer).to_string();
    w.idea = w.propose(&proposer).await?;
    Ok(w)
}

/// What a cell got: `ok` or the code (with the rule).
fn outcome(reply: &Reply, field: &str) -> String {
    if reply.is_clean() && !reply.data()[field].is_null() {
        return "OK".into();
    }
    match (reply.code(), reply.rule()) {
        (Some(code), Some(rule)) => format!("{code}:{rule}"),
        (Some(code), None) => code,
        (None, _) => format!("HTTP {} {}", reply.status, reply.text(200)),
    }
}

fn expected(e: Expect) -> String {
    match e {
        Expect::Ok => "OK".into(),
        Expect::Deny(code, Some(rule)) => format!("{code}:{rule}"),
        Expect::Deny(code, None) => code.into(),
    }
}

fn short(outcome: &str) -> String {
    match outcome {
        "OK" => "ok".into(),
        "UNAUTHENTICATED" => "unauth".into(),
        "FORBIDDEN" => "forbid".into(),
        "NOT_FOUND" => "notfound".into(),
        o if o.starts_with("RULE:") => {
            let rule = &o[5..];
            match rule {
                "inactive_member" => "inactive",
                "nobody_revises_anothers_words" => "r:revise",
                "no_self_acknowledgement" => "r:self",
                "only_authorised_party_member" => "r:party",
                "only_champions_speak_for_residents" => "r:champ",
                _ => "r:other",
            }
            .into()
        }
        o => o.chars().take(8).collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_against_every_kind_of_actor() -> Result<()> {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir()?;
    let mut w = world(dir.path()).await?;

    // Every mutation of the served schema is in the table (and nothing in the table is
    // missing from the schema).
    let served: Vec<&str> = w.schema.mutations.iter().map(|f| f.name.as_str()).collect();
    let tabled: Vec<&str> = MATRIX.iter().map(|r| r.op.field()).collect();
    for m in &served {
        assert!(
            tabled.contains(m),
            "mutation `{m}` is served but not in the matrix"
        );
    }
    for m in &tabled {
        assert!(served.contains(m), "`{m}` is in the matrix but not served");
    }

    let mut failures = Vec::new();
    let mut printed = Vec::new();
    let mut allowed = 0;
    let mut denied = 0;
    for row in MATRIX {
        let field = row.op.field();
        if row.op == CloseAgreement {
            w.set_deliberation(CLOSE_DELIBERATION).await?;
        }
        // Targets first (so that one wait covers a row whose targets must age).
        let mut targets = Vec::new();
        let mut shared: Option<Value> = None;
        for (i, who) in WHO.iter().enumerate() {
            let own = row.on == Own && who.active();
            if row.cells[i] == OK || own {
                let owner = w.owner_for(row.op, row.on, *who);
                targets.push(w.target(row.op, &owner).await?.input);
            } else {
                if shared.is_none() {
                    let owner = w.owner_for(row.op, row.on, *who);
                    shared = Some(w.target(row.op, &owner).await?.input);
                }
                targets.push(shared.clone().unwrap());
            }
        }
        if row.op == CloseAgreement {
            tokio::time::sleep(Duration::from_secs(CLOSE_DELIBERATION + 1)).await;
        }
        let target = match (row.op, row.on) {
            (ProposeIdeaOnBehalf, _) => "behalf",
            (_, Own) => "own",
            (_, Others) => "other",
        };
        let mut line = format!("{field:<32}{target:<7}");
        let mut before: Option<LogState> = None;
        for (i, who) in WHO.iter().enumerate() {
            let expect = row.cells[i];
            let input = &targets[i];
            if (expect != OK || !row.op.appends()) && before.is_none() {
                before = Some(w.log_state().await?);
            }
            let reply = w.send(field, input, w.token(*who)).await?;
            if let Err(broken) = reply.check_contract() {
                failures.push(format!("{field} ({:?}) as {who:?}: {broken}", row.on));
            }
            let got = outcome(&reply, field);
            let ok = got == expected(expect);
            if !ok {
                failures.push(format!(
                    "{field} ({:?}) as {who:?}: expected {}, got {got} — {}\ninput: {input}",
                    row.on,
                    expected(expect),
                    reply.message().unwrap_or_default()
                ));
            }
            if got == "OK" {
                allowed += 1;
            } else {
                denied += 1;
            }
            if got == "OK" && row.op.appends() {
                before = None;
                // It really appended: its receipt is now its hub's chain head.
                let receipt = &reply.data()[field]["receipt"];
                let hub: Uuid = serde_json::from_value(receipt["hubId"].clone())?;
                let wit = w.witness();
                let head = w
                    .probe
                    .heads(&[hub], Some(&wit))
                    .await
                    .with_context(|| format!("chain head after {field}"))?;
                let events = receipt["eventIds"].as_array().map_or(0, Vec::len);
                if events == 0
                    || head.heads[0]
                        != (
                            receipt["hubSeq"].as_u64().unwrap_or(0),
                            receipt["hash"].to_string(),
                        )
                {
                    failures.push(format!(
                        "{field} as {who:?} answered OK but its receipt {receipt} is not the chain head {:?}",
                        head.heads[0]
                    ));
                }
            } else {
                let after = w.log_state().await?;
                if Some(&after) != before.as_ref() {
                    failures.push(format!(
                        "{field} ({:?}) as {who:?} answered {got} but the log changed: {before:?} -> {after:?}",
                        row.on
                    ));
                    before = Some(after);
                }
            }
            line.push_str(&format!(
                " {:>8}",
                format!("{}{}", short(&got), if ok { "" } else { "!" })
            ));
        }
        if row.op == CloseAgreement {
            w.set_deliberation(0).await?;
        }
        printed.push(line);
    }

    let mut header = format!("{:<32}{:<7}", "mutation", "target");
    for l in LABELS {
        header.push_str(&format!(" {l:>8}"));
    }
    println!("\nAuthorisation matrix (! = not as expected):\n{header}");
    for line in &printed {
        println!("{line}");
    }
    println!(
        "\n{} rows x {} actors: {allowed} allowed, {denied} denied, {} not as expected, in {:.1} s",
        MATRIX.len(),
        WHO.len(),
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        w.probe.healthy().await,
        "the server is not healthy after the matrix"
    );
    drop(w.server);
    assert!(
        failures.is_empty(),
        "{} cells not as expected:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Subscriptions.
// ---------------------------------------------------------------------------------------------

/// Who may follow what live. Columns as in [`MATRIX`]. A suspended member may still read the
/// record but follows nothing live; a token that does not verify is refused when the
/// connection starts.
#[rustfmt::skip]
const SUBSCRIPTIONS: &[(&str, [Expect; 16])] = &[
    //                         facil champ c.lead i.lead clin cm.lead cm.mbr oth.org suspnd removd oth.hub strngr notok expird forged wr.iss
    ("hubEvents",             [OK,   OK,   OK,    OK,    OK,  OK,     OK,    OK,     FB,    FB,    FB,     FB,    UN,   UN,    UN,    UN]),
    ("distributionStatus",    [OK,   OK,   OK,    OK,    OK,  OK,     OK,    OK,     FB,    FB,    FB,     FB,    UN,   UN,    UN,    UN]),
    ("chainHeadChanged",      [OK,   OK,   OK,    OK,    OK,  OK,     OK,    OK,     OK,    OK,    OK,     OK,    OK,   UN,    UN,    UN]),
];

/// The subscription document for `field` on the demo hub.
fn subscription(field: &str) -> Option<(&'static str, Value)> {
    Some(match field {
        "hubEvents" => (
            "subscription($h: UUID!) { hubEvents(hubId: $h, afterPosition: 0) { position } }",
            json!({ "h": ex::HUB.uuid() }),
        ),
        "distributionStatus" => (
            "subscription($d: UUID!) { distributionStatus(distributionId: $d) { status } }",
            json!({ "d": ex::DISTRIBUTION.uuid() }),
        ),
        "chainHeadChanged" => (
            "subscription($h: UUID!) { chainHeadChanged(hubId: $h) { hubSeq } }",
            json!({ "h": ex::HUB.uuid() }),
        ),
        _ => return None,
    })
}

/// What one subscription attempt got: `OK` (a first result without errors) or the code.
async fn follow(server: &Server, token: Option<&str>, field: &str) -> Result<String> {
    let (query, variables) = subscription(field).context("no document for it")?;
    // Refused tokens share a small rate budget: wait for it, as a patient client would.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let mut ws = loop {
        match WsClient::connect(server.addr).await {
            Ok(ws) => break ws,
            Err(e) if e.to_string().contains("429") && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            Err(e) => return Err(e),
        }
    };
    let payload = match token {
        Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
        None => json!({}),
    };
    ws.send(json!({ "type": "connection_init", "payload": payload }))
        .await?;
    match ws.next().await? {
        Ok(msg) if msg["type"] == "connection_ack" => {}
        Ok(msg) => bail!("expected connection_ack, got {msg}"),
        Err(closed) if closed.code == 4403 => return Ok("UNAUTHENTICATED".into()),
        Err(closed) => bail!("the connection closed at init: {closed:?}"),
    }
    ws.subscribe("s", query, variables).await?;
    loop {
        let msg = match ws.next().await? {
            Ok(msg) => msg,
            Err(closed) => bail!("the connection closed: {closed:?}"),
        };
        if msg["id"] != "s" {
            continue;
        }
        let errors = match msg["type"].as_str() {
            Some("next") => &msg["payload"]["errors"],
            Some("error") => &msg["payload"],
            _ => bail!("unexpected message {msg}"),
        };
        return Ok(match errors[0]["extensions"]["code"].as_str() {
            None if errors.is_null() => "OK".into(),
            Some(code) => code.into(),
            None => format!("an error without a code: {errors}"),
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscription_against_every_kind_of_actor() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let w = world(dir.path()).await?;

    // Every subscription of the served schema is in the table, and only those.
    let served: Vec<&str> = w
        .schema
        .subscriptions
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let tabled: Vec<&str> = SUBSCRIPTIONS.iter().map(|(f, _)| *f).collect();
    assert!(!served.is_empty(), "the schema serves no subscriptions");
    for s in &served {
        assert!(
            tabled.contains(s),
            "subscription `{s}` is served but not in the matrix"
        );
    }
    for s in &tabled {
        assert!(served.contains(s), "`{s}` is in the matrix but not served");
    }

    let mut failures = Vec::new();
    for (field, cells) in SUBSCRIPTIONS {
        let mut line = format!("{field:<24}");
        for (i, who) in WHO.iter().enumerate() {
            let got = follow(&w.server, w.token(*who), field)
                .await
                .with_context(|| format!("{field} as {who:?}"))?;
            let ok = got == expected(cells[i]);
            if !ok {
                failures.push(format!(
                    "{field} as {who:?}: expected {}, got {got}",
                    expected(cells[i])
                ));
            }
            line.push_str(&format!(
                " {:>8}",
                format!("{}{}", short(&got), if ok { "" } else { "!" })
            ));
        }
        println!("{line}");
    }
    assert!(
        failures.is_empty(),
        "{} cells not as expected:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}
