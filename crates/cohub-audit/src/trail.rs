//! The decision trail of a distribution or an idea: the path from proposal to agreement or
//! decision, computed from the read model alone.
//!
//! For a distribution: every version (author, organisation, when, rationale, parties and
//! terms), who consented or objected to which version and why (with the proposer's answer
//! and the objection's withdrawal beside it, and whether each position still stands), which
//! consents an amendment voided (and by which version), each agreement, the version in force,
//! rounds that ended without agreement, the idea's lapse, the decisions recorded on its idea
//! (the options and preferences considered there), and the deliberation time from the proposal
//! to the agreement beside the hub's minimum in force when it was agreed.
//!
//! For an idea: every version, supports, feedback with responses, each recorded decision with
//! its options, stated preferences and rationale, and the deliberation time beside the hub's
//! minimum in force then (the minimum runs from the idea's latest version before the decision).
//!
//! Both end with `steps`: the subject's whole history, in order, in plain words.

use chrono::{DateTime, Utc};
use cohub_domain::distribution::{LapseCause, RoundEndingKind, Terms, VersionKind};
use cohub_domain::idea::{IdeaOutcome, OnBehalfOf};
use cohub_domain::text::PlainText;
use cohub_domain::{DistributionId, HubId, IdeaId, ProblemId};
use cohub_read::hub::HubView;
use cohub_read::idea::IdeaView;
use cohub_read::{EventSource, ReadModel};
use serde::{Deserialize, Serialize};

use crate::actor::{Attributed, Party};
use crate::error::AuditError;
use crate::history::{history, HistoryEntry, HistoryFilter, Subject};

/// Whose decision trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrailSubject {
    /// A cost/reward distribution.
    Distribution(DistributionId),
    /// An idea.
    Idea(IdeaId),
}

impl TrailSubject {
    /// Builds the subject from exactly one of the two ids.
    pub fn from_ids(
        distribution: Option<DistributionId>,
        idea: Option<IdeaId>,
    ) -> Result<TrailSubject, AuditError> {
        match (distribution, idea) {
            (Some(d), None) => Ok(TrailSubject::Distribution(d)),
            (None, Some(i)) => Ok(TrailSubject::Idea(i)),
            _ => Err(AuditError::Invalid(
                "give exactly one of `distributionId` or `ideaId`".into(),
            )),
        }
    }

    /// The hub the subject belongs to in `model`, if it exists there.
    pub fn hub_in(&self, model: &ReadModel) -> Option<HubId> {
        match self {
            TrailSubject::Distribution(d) => model.distribution(*d).map(|v| v.hub_id),
            TrailSubject::Idea(i) => model.idea(*i).map(|v| v.hub_id),
        }
    }
}

/// How a version came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrailVersionKind {
    /// The first proposal (version 1).
    Proposal,
    /// A distribution's amendment before agreement (it voids earlier consents).
    Amendment,
    /// A distribution's variation round after agreement.
    Variation,
    /// An idea's revision by its author.
    Revision,
}

impl From<VersionKind> for TrailVersionKind {
    fn from(k: VersionKind) -> Self {
        match k {
            VersionKind::Proposal => TrailVersionKind::Proposal,
            VersionKind::Amendment => TrailVersionKind::Amendment,
            VersionKind::Variation => TrailVersionKind::Variation,
        }
    }
}

/// A later version's amendment that voided a consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailVoiding {
    /// The version whose amendment voided it.
    pub by_version: u32,
    /// Who amended, when.
    pub recorded: Attributed,
}

/// An organisation's consent to a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailConsent {
    /// The version consented to.
    pub version: u32,
    /// The consenting party.
    pub party: Party,
    /// Who consented for it, when.
    pub recorded: Attributed,
    /// The amendment that voided it, if one did.
    pub voided: Option<TrailVoiding>,
    /// Whether it still stands (not voided, not replaced by a later objection).
    pub standing: bool,
}

/// How an objection was answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailAnswer {
    /// How (`amendment`, `withdrawal`, ...).
    pub kind: String,
    /// Who answered, when.
    pub recorded: Attributed,
}

/// An organisation's objection to a version, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailObjection {
    /// The version objected to.
    pub version: u32,
    /// The objecting party.
    pub party: Party,
    /// Why.
    pub reason: PlainText,
    /// Who objected for it, when.
    pub recorded: Attributed,
    /// The first answer to it (the proposer's answer, a new version, a withdrawal, the
    /// round's closing or abandonment), if any.
    pub answered: Option<TrailAnswer>,
    /// The distribution's proposer's answer in words, if given.
    pub answer: Option<(PlainText, Attributed)>,
    /// Its withdrawal by its organisation (an optional note, who, when), if withdrawn.
    pub withdrawn: Option<(Option<PlainText>, Attributed)>,
    /// Whether it still stands (not withdrawn, not replaced by a later consent).
    pub standing: bool,
}

/// A round that ended without agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailRoundEnding {
    /// The version that was open.
    pub version: u32,
    /// Abandoned or closed without agreement.
    pub kind: RoundEndingKind,
    /// Why.
    pub reason: PlainText,
    /// Who ended it, when.
    pub recorded: Attributed,
}

/// The idea's withdrawal or decline, which lapsed the distribution's open round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailLapse {
    /// Withdrawn or declined.
    pub cause: LapseCause,
    /// The idea's withdrawal reason, or the decline decision's rationale.
    pub reason: PlainText,
    /// Who withdrew or declined the idea, when.
    pub recorded: Attributed,
}

/// One version of the subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailVersion {
    /// The version (1, 2, ...).
    pub version: u32,
    /// How it came about.
    pub kind: TrailVersionKind,
    /// The round (distributions: 1 until agreement, then one more per variation; ideas: 1).
    pub round: u32,
    /// Who wrote it, for which organisation, when.
    pub recorded: Attributed,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// An idea's title, or a distribution's idea's title.
    pub title: PlainText,
    /// An idea's summary, or a distribution's terms in words.
    pub summary: PlainText,
    /// A distribution version's parties (empty for an idea).
    pub parties: Vec<Party>,
    /// A distribution version's full terms (none for an idea).
    pub terms: Option<Terms>,
    /// Consents to this version (voided ones stay, marked).
    pub consents: Vec<TrailConsent>,
    /// Objections to this version.
    pub objections: Vec<TrailObjection>,
    /// Whether this version was agreed.
    pub agreed: bool,
}

/// A distribution's agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailAgreement {
    /// The agreed version.
    pub version: u32,
    /// The parties that consented.
    pub parties: Vec<Party>,
    /// Whose consent completed it, when.
    pub recorded: Attributed,
}

/// A preference stated during a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailPreference {
    /// Whose preference.
    pub party: Party,
    /// What it prefers.
    pub preference: PlainText,
}

/// A decision recorded on an idea.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailDecision {
    /// The idea decided on.
    pub idea_id: IdeaId,
    /// Shortlist or decline.
    pub outcome: IdeaOutcome,
    /// The idea's version decided on.
    pub version: u32,
    /// The options considered.
    pub options_considered: Vec<PlainText>,
    /// The preferences stated, and whose.
    pub preferences: Vec<TrailPreference>,
    /// Why this was decided.
    pub rationale: PlainText,
    /// Who recorded it, when.
    pub recorded: Attributed,
    /// Seconds from the idea's latest version (the one decided on) to this decision: the time
    /// the hub's minimum applies to.
    pub deliberation_seconds: i64,
    /// The hub's minimum deliberation time when it was decided.
    pub minimum_deliberation_seconds: u64,
}

/// How long the subject was deliberated, beside the hub's minimum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliberation {
    /// When it was first proposed (the hub's minimum runs from the final version's time).
    pub started_at: DateTime<Utc>,
    /// When it was decided or agreed (the latest decision or agreement), if it was.
    pub decided_at: Option<DateTime<Utc>>,
    /// Seconds from proposal to decision or agreement, if decided.
    pub seconds: Option<i64>,
    /// When the version decided on (or the latest version) was written.
    pub final_version_at: DateTime<Utc>,
    /// Seconds the decided version stood before the decision or agreement, if decided.
    pub final_version_seconds: Option<i64>,
    /// The hub's minimum deliberation time in force at the decision (now, if undecided).
    pub minimum_seconds: u64,
    /// Whether the minimum was respected (none while undecided). It runs from the latest
    /// version before the decision or agreement (an idea's latest revision, a distribution's
    /// latest version).
    pub minimum_met: Option<bool>,
}

/// The whole path of a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionTrail {
    /// Whose trail.
    pub subject: TrailSubject,
    /// The hub.
    pub hub_id: HubId,
    /// The idea (the subject, or the idea the distribution is for).
    pub idea_id: IdeaId,
    /// The problem the idea answers.
    pub problem_id: ProblemId,
    /// The idea's latest title.
    pub title: PlainText,
    /// The status, snake_case (`proposed`, `agreed`, `withdrawn`, `closed_without_agreement`,
    /// `lapsed`; `shortlisted`, `declined`).
    pub status: String,
    /// A distribution's agreed version in force, if any.
    pub in_force: Option<u32>,
    /// A distribution's rounds that ended without agreement, in order.
    pub round_endings: Vec<TrailRoundEnding>,
    /// A distribution's lapse: its idea's withdrawal or decline, if that happened.
    pub lapse: Option<TrailLapse>,
    /// Whether the subject reached an agreement or a decision.
    pub decided: bool,
    /// Who proposed it, for which organisation, when.
    pub proposed: Attributed,
    /// An idea proposed on behalf of residents.
    pub on_behalf_of: Option<OnBehalfOf>,
    /// Every version, oldest first, with the consents and objections on each.
    pub versions: Vec<TrailVersion>,
    /// Every consent, in order (voided ones stay, marked).
    pub consents: Vec<TrailConsent>,
    /// The consents that amendments voided.
    pub voided_consents: Vec<TrailConsent>,
    /// Every objection, in order, with its reason.
    pub objections: Vec<TrailObjection>,
    /// A distribution's agreements, in order.
    pub agreements: Vec<TrailAgreement>,
    /// Decisions recorded on the idea (for a distribution: on the idea it is for), with the
    /// options considered and the preferences stated.
    pub decisions: Vec<TrailDecision>,
    /// The rationale of the outcome: the latest decision's for an idea; for a distribution,
    /// the agreed (else the latest) version's.
    pub rationale: Option<PlainText>,
    /// An idea's supporters.
    pub supporters: Vec<Attributed>,
    /// Why and by whom it was withdrawn, if it was.
    pub withdrawn: Option<(PlainText, Attributed)>,
    /// The deliberation time.
    pub deliberation: Deliberation,
    /// The subject's whole history, in order, in plain words.
    pub steps: Vec<HistoryEntry>,
}

fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The hub's minimum deliberation time in force just before `position`.
fn minimum_at(hub: &HubView, position: u64) -> u64 {
    hub.deliberation_settings
        .iter()
        .rfind(|s| s.recorded.position < position)
        .map_or(0, |s| s.seconds)
}

fn decisions_of(hub: &HubView, idea: &IdeaView) -> Vec<TrailDecision> {
    idea.decisions
        .iter()
        .map(|d| TrailDecision {
            idea_id: idea.id,
            outcome: d.outcome,
            version: d.version,
            options_considered: d.decision.options_considered.clone(),
            preferences: d
                .decision
                .preferences
                .iter()
                .map(|p| TrailPreference {
                    party: Party::of(hub, p.organisation_id),
                    preference: p.preference.clone(),
                })
                .collect(),
            rationale: d.decision.rationale.clone(),
            recorded: Attributed::of(hub, &d.recorded),
            deliberation_seconds: d.deliberation_seconds,
            minimum_deliberation_seconds: d.minimum_deliberation_seconds,
        })
        .collect()
}

/// The decision trail of `subject` as `model` stands; its steps are read from `source` (the
/// log), up to the hub's last event folded into `model`.
pub async fn decision_trail(
    source: EventSource<'_>,
    model: &ReadModel,
    subject: TrailSubject,
) -> Result<DecisionTrail, AuditError> {
    let (mut trail, of) = match subject {
        TrailSubject::Distribution(id) => {
            (distribution_trail(model, id)?, Subject::Distribution(id))
        }
        TrailSubject::Idea(id) => (idea_trail(model, id)?, Subject::Idea(id)),
    };
    trail.steps = history(
        source,
        model,
        trail.hub_id,
        of,
        &HistoryFilter::default(),
        None,
        None,
    )
    .await?
    .entries;
    Ok(trail)
}

fn not_found(what: &str, id: impl std::fmt::Display) -> AuditError {
    AuditError::NotFound(format!("there is no {what} {id} (at the moment read)"))
}

fn distribution_trail(model: &ReadModel, id: DistributionId) -> Result<DecisionTrail, AuditError> {
    let d = model
        .distribution(id)
        .ok_or_else(|| not_found("distribution", id))?;
    let hub = model
        .hub(d.hub_id)
        .ok_or_else(|| not_found("hub", d.hub_id))?;
    let idea = model
        .idea(d.idea_id)
        .ok_or_else(|| not_found("idea", d.idea_id))?;
    let at = |r| Attributed::of(hub, r);

    let consents: Vec<TrailConsent> = d
        .consents
        .iter()
        .map(|c| TrailConsent {
            version: c.version,
            party: Party::of(hub, c.organisation_id),
            recorded: at(&c.recorded),
            voided: c.voided.as_ref().map(|v| TrailVoiding {
                by_version: v.by_version,
                recorded: at(&v.recorded),
            }),
            standing: d.is_standing(c.record),
        })
        .collect();
    let objections: Vec<TrailObjection> = d
        .objections
        .iter()
        .map(|o| TrailObjection {
            version: o.version,
            party: Party::of(hub, o.organisation_id),
            reason: o.reason.clone(),
            recorded: at(&o.recorded),
            answered: o.heard.answer.as_ref().map(|a| TrailAnswer {
                kind: snake(&a.kind),
                recorded: at(&a.recorded),
            }),
            answer: o
                .answer
                .as_ref()
                .map(|a| (a.answer.clone(), at(&a.recorded))),
            withdrawn: o
                .withdrawal
                .as_ref()
                .map(|w| (w.note.clone(), at(&w.recorded))),
            standing: d.is_standing(o.record),
        })
        .collect();
    let agreements: Vec<TrailAgreement> = d
        .agreements
        .iter()
        .map(|a| TrailAgreement {
            version: a.version,
            parties: a.parties.iter().map(|p| Party::of(hub, *p)).collect(),
            recorded: at(&a.recorded),
        })
        .collect();
    let title = idea.latest().title.clone();
    let versions: Vec<TrailVersion> = d
        .versions
        .iter()
        .map(|v| TrailVersion {
            version: v.version,
            kind: v.kind.into(),
            round: v.round,
            recorded: at(&v.recorded),
            rationale: v.rationale.clone(),
            title: title.clone(),
            summary: v.terms.terms.clone(),
            parties: v.terms.parties.iter().map(|p| Party::of(hub, *p)).collect(),
            terms: Some(v.terms.clone()),
            consents: consents
                .iter()
                .filter(|c| c.version == v.version)
                .cloned()
                .collect(),
            objections: objections
                .iter()
                .filter(|o| o.version == v.version)
                .cloned()
                .collect(),
            agreed: agreements.iter().any(|a| a.version == v.version),
        })
        .collect();

    let agreement = d.agreements.last();
    let final_version = agreement
        .and_then(|a| d.version(a.version))
        .unwrap_or_else(|| d.latest());
    let decided_at = agreement.map(|a| a.recorded.at);
    let minimum = minimum_at(hub, agreement.map_or(u64::MAX, |a| a.recorded.position));
    let final_version_seconds = decided_at.map(|t| (t - final_version.recorded.at).num_seconds());
    let deliberation = Deliberation {
        started_at: d.proposed.at,
        decided_at,
        seconds: decided_at.map(|t| (t - d.proposed.at).num_seconds()),
        final_version_at: final_version.recorded.at,
        final_version_seconds,
        minimum_seconds: minimum,
        minimum_met: final_version_seconds.map(|s| s >= 0 && s as u64 >= minimum),
    };

    Ok(DecisionTrail {
        subject: TrailSubject::Distribution(id),
        hub_id: d.hub_id,
        idea_id: d.idea_id,
        problem_id: idea.problem_id,
        title,
        status: snake(&d.status()),
        in_force: d.standing().in_force,
        round_endings: d
            .round_endings
            .iter()
            .map(|e| TrailRoundEnding {
                version: e.version,
                kind: e.kind,
                reason: e.reason.clone(),
                recorded: at(&e.recorded),
            })
            .collect(),
        lapse: d.lapse.as_ref().map(|l| TrailLapse {
            cause: l.lapse.cause,
            reason: l.lapse.reason.clone(),
            recorded: at(&l.recorded),
        }),
        decided: agreement.is_some(),
        proposed: at(&d.proposed),
        on_behalf_of: None,
        voided_consents: consents
            .iter()
            .filter(|c| c.voided.is_some())
            .cloned()
            .collect(),
        rationale: final_version.rationale.clone(),
        versions,
        consents,
        objections,
        agreements,
        decisions: decisions_of(hub, idea),
        supporters: Vec::new(),
        withdrawn: d
            .withdrawal
            .as_ref()
            .map(|w| (w.reason.clone(), at(&w.recorded))),
        deliberation,
        steps: Vec::new(),
    })
}

fn idea_trail(model: &ReadModel, id: IdeaId) -> Result<DecisionTrail, AuditError> {
    let idea = model.idea(id).ok_or_else(|| not_found("idea", id))?;
    let hub = model
        .hub(idea.hub_id)
        .ok_or_else(|| not_found("hub", idea.hub_id))?;
    let at = |r| Attributed::of(hub, r);
    let decisions = decisions_of(hub, idea);
    let last = idea.decisions.last();
    let versions = idea
        .versions
        .iter()
        .map(|v| TrailVersion {
            version: v.version,
            kind: if v.version == 1 {
                TrailVersionKind::Proposal
            } else {
                TrailVersionKind::Revision
            },
            round: 1,
            recorded: at(&v.recorded),
            rationale: v.rationale.clone(),
            title: v.title.clone(),
            summary: v.summary.clone(),
            parties: Vec::new(),
            terms: None,
            consents: Vec::new(),
            objections: Vec::new(),
            agreed: last.is_some_and(|d| d.version == v.version),
        })
        .collect();
    let final_version = last
        .and_then(|d| idea.versions.iter().find(|v| v.version == d.version))
        .unwrap_or_else(|| idea.latest());
    let decided_at = last.map(|d| d.recorded.at);
    let minimum = last.map_or_else(
        || minimum_at(hub, u64::MAX),
        |d| d.minimum_deliberation_seconds,
    );
    let seconds = decided_at.map(|t| (t - idea.proposed.at).num_seconds());
    Ok(DecisionTrail {
        subject: TrailSubject::Idea(id),
        hub_id: idea.hub_id,
        idea_id: id,
        problem_id: idea.problem_id,
        title: idea.latest().title.clone(),
        status: snake(&idea.status),
        in_force: None,
        round_endings: Vec::new(),
        lapse: None,
        decided: last.is_some(),
        proposed: at(&idea.proposed),
        on_behalf_of: idea.on_behalf_of.clone(),
        versions,
        consents: Vec::new(),
        voided_consents: Vec::new(),
        objections: Vec::new(),
        agreements: Vec::new(),
        rationale: last.map(|d| d.decision.rationale.clone()),
        decisions,
        supporters: idea.supports.iter().map(at).collect(),
        withdrawn: idea
            .withdrawal
            .as_ref()
            .map(|w| (w.reason.clone(), at(&w.recorded))),
        deliberation: Deliberation {
            started_at: idea.proposed.at,
            decided_at,
            seconds,
            final_version_at: final_version.recorded.at,
            final_version_seconds: decided_at
                .map(|t| (t - final_version.recorded.at).num_seconds()),
            minimum_seconds: minimum,
            minimum_met: last
                .map(|d| d.deliberation_seconds >= 0 && d.deliberation_seconds as u64 >= minimum),
        },
        steps: Vec::new(),
    })
}
