//! Audit: the attributed history of a hub, a problem, an idea or a distribution; the decision
//! trail of a distribution or an idea (both now or as of a past time or position); integrity of
//! the log: hub chain heads (public, so anyone can witness them), chain verification (for
//! signed-in members), signed checkpoints and their proofs; and a live feed of a hub's chain
//! head. The answers are computed by `cohub_audit`; this file only shapes them for GraphQL.
//!
//! Access: `history`, `decisionTrail`, `signCheckpoint` and `proveCheckpoint` need a bearer
//! token of a member of the hub concerned (any member: transparency inside the hub).

use super::common::{page_args, PlainText};
use super::context::{
    projector, read_at, requested_point, require_hub_member, require_member, store, visible,
};
use super::enums::{IdeaOutcome, StakeholderKind};
use crate::error::ApiError;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Json, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use cohub_audit::CheckpointKey;
use cohub_domain::{DistributionId, HubId, IdeaId, MemberId, OrganisationId, ProblemId};
use cohub_read::EventSource;
use futures::{Stream, StreamExt};
use std::sync::Arc;
use uuid::Uuid;

/// The latest link of a hub's hash chain.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChainHead {
    /// The hub.
    pub hub_id: Uuid,
    /// How many events the hub's chain holds (the sequence of the last one).
    pub hub_seq: u64,
    /// Hex SHA-256 of the last event: pinning it lets anyone detect a later rewrite.
    pub hash: String,
}

impl From<cohub_store::ChainHead> for ChainHead {
    fn from(h: cohub_store::ChainHead) -> Self {
        ChainHead {
            hub_id: h.hub_id,
            hub_seq: h.hub_seq,
            hash: h.hash,
        }
    }
}

/// Where a hub's chain stops matching its stored events.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChainBreak {
    /// Hub sequence of the first event that does not match (or where one is missing).
    pub hub_seq: u64,
    /// Its global position, where known.
    pub position: Option<u64>,
    /// What is wrong, in plain language.
    pub reason: String,
}

/// The result of recomputing one hub's chain from the stored events.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChainVerification {
    /// The hub.
    pub hub_id: Uuid,
    /// True when every event hashes and links correctly.
    pub intact: bool,
    /// The verified head, when intact.
    pub head: Option<ChainHead>,
    /// The first bad event, when not intact.
    pub broken_at: Option<ChainBreak>,
}

impl From<cohub_store::Verification> for ChainVerification {
    fn from(v: cohub_store::Verification) -> Self {
        match v {
            cohub_store::Verification::Ok(head) => ChainVerification {
                hub_id: head.hub_id,
                intact: true,
                head: Some(head.into()),
                broken_at: None,
            },
            cohub_store::Verification::Broken {
                hub_id,
                hub_seq,
                position,
                reason,
            } => ChainVerification {
                hub_id,
                intact: false,
                head: None,
                broken_at: Some(ChainBreak {
                    hub_seq,
                    position,
                    reason,
                }),
            },
        }
    }
}

/// Queries about the integrity of the log.
#[derive(Debug, Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The head of a hub's hash chain. Public: anyone may record it to witness the log.
    async fn chain_head(&self, ctx: &Context<'_>, hub_id: Uuid) -> Result<ChainHead, ApiError> {
        let head = store(ctx)?.chain_head(hub_id).await?;
        if head.hub_seq == 0 {
            return Err(ApiError::NotFound(format!(
                "there is no hub {hub_id} in this log"
            )));
        }
        Ok(head.into())
    }

    /// Recomputes one hub's chain from the stored events. Members of the hub and operators only.
    async fn verify_chain(
        &self,
        ctx: &Context<'_>,
        hub_id: Uuid,
    ) -> Result<ChainVerification, ApiError> {
        require_hub_member(ctx, HubId::from_uuid(hub_id))?;
        let store = store(ctx)?;
        if store.chain_head(hub_id).await?.hub_seq == 0 {
            // Only an operator gets this far for a hub that is not in the log.
            return Err(ApiError::NotFound(format!(
                "there is no hub {hub_id} in this log"
            )));
        }
        Ok(store.verify_hub(hub_id).await?.into())
    }

    /// The history of a hub, or of one of its problems, ideas or distributions (give at most
    /// one): every event with who did it (member, organisation, stakeholder kind, role), when,
    /// its type and what happened in plain words, oldest first, filtered, paged by log
    /// position; now, or as the hub stood at `asOf` or `atPosition`. Members of the hub only.
    #[allow(clippy::too_many_arguments)]
    async fn history(
        &self,
        ctx: &Context<'_>,
        hub_id: Uuid,
        problem_id: Option<Uuid>,
        idea_id: Option<Uuid>,
        distribution_id: Option<Uuid>,
        filter: Option<HistoryFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        as_of: Option<DateTime<Utc>>,
        at_position: Option<u64>,
    ) -> Result<Connection<String, HistoryEntry, HistoryInfo>, ApiError> {
        let hub = HubId::from_uuid(hub_id);
        require_hub_member(ctx, hub)?;
        let point = requested_point(ctx, as_of, at_position).await?;
        let (first, after) = page_args(first, after)?;
        let subject = cohub_audit::Subject::from_ids(
            problem_id.map(ProblemId::from_uuid),
            idea_id.map(IdeaId::from_uuid),
            distribution_id.map(DistributionId::from_uuid),
        )?;
        let read = read_at(ctx, point, hub).await?;
        let store = super::context::store(ctx)?;
        let page = cohub_audit::history(
            EventSource::Log(&*store),
            &read.model,
            hub,
            subject,
            &filter.unwrap_or_default().into(),
            after,
            Some(first),
        )
        .await?;
        let mut conn = Connection::with_additional_fields(
            page.has_previous_page,
            page.has_next_page,
            HistoryInfo {
                total_count: page.total as u64,
                at_position: read.model.position(),
                replayed: read.replayed,
            },
        );
        conn.edges.extend(
            page.entries
                .iter()
                .map(|e| Edge::new(e.position.to_string(), HistoryEntry::from(e))),
        );
        Ok(conn)
    }

    /// The decision trail of a distribution or an idea (give exactly one): each version
    /// (author, organisation, when, rationale), who consented or objected to which version
    /// and why, which consents an amendment voided, the options and preferences considered,
    /// the rationale and the deliberation time beside the hub's minimum; now, or as it stood
    /// at `asOf` or `atPosition`. Members of its hub only.
    async fn decision_trail(
        &self,
        ctx: &Context<'_>,
        distribution_id: Option<Uuid>,
        idea_id: Option<Uuid>,
        as_of: Option<DateTime<Utc>>,
        at_position: Option<u64>,
    ) -> Result<DecisionTrail, ApiError> {
        let subject = cohub_audit::TrailSubject::from_ids(
            distribution_id.map(DistributionId::from_uuid),
            idea_id.map(IdeaId::from_uuid),
        )?;
        // Membership is checked against the hub the subject belongs to now (nothing is ever
        // deleted, so a subject of the past is one of now), before any other work. A subject
        // that does not exist and one in a hub the caller cannot see get the same answer.
        let auth = require_member(ctx)?;
        let live = projector(ctx)?.current();
        let hub = subject
            .hub_in(&live)
            .filter(|hub| visible(ctx, &auth, *hub).unwrap_or(false))
            .ok_or_else(|| {
                ApiError::NotFound(
                    "there is no such distribution or idea in a hub you are a member of"
                        .to_string(),
                )
            })?;
        require_hub_member(ctx, hub)?;
        let point = requested_point(ctx, as_of, at_position).await?;
        let read = read_at(ctx, point, hub).await?;
        let store = super::context::store(ctx)?;
        let trail =
            cohub_audit::decision_trail(EventSource::Log(&*store), &read.model, subject).await?;
        Ok(DecisionTrail::new(&trail, &read))
    }

    /// Checks a signed checkpoint against this server's key and the log as it is now: ok when
    /// the log still holds the checkpointed event with that hash and verifies from genesis to
    /// its head (so it extends the checkpoint); otherwise the plain reason. Members of the hub
    /// only.
    async fn prove_checkpoint(
        &self,
        ctx: &Context<'_>,
        checkpoint: CheckpointInput,
    ) -> Result<CheckpointProof, ApiError> {
        require_hub_member(ctx, HubId::from_uuid(checkpoint.hub_id))?;
        let signer = signer(ctx)?;
        let store = store(ctx)?;
        let proof =
            cohub_audit::prove(store.as_ref(), &signer.verifying_key(), &checkpoint.into()).await?;
        Ok(CheckpointProof {
            ok: proof.ok,
            reason: proof.reason,
            checks: proof
                .checks
                .into_iter()
                .map(|c| ProofCheck {
                    name: c.name,
                    ok: c.ok,
                    detail: c.detail,
                })
                .collect(),
            current_head: proof.current_head.map(Into::into),
        })
    }

    /// Recomputes the chains of the hubs the caller is a member of (every hub, for an operator)
    /// from the stored events.
    async fn verify_chains(&self, ctx: &Context<'_>) -> Result<Vec<ChainVerification>, ApiError> {
        let auth = require_member(ctx)?;
        let store = store(ctx)?;
        let mut hubs = Vec::new();
        for hub in store.hubs().await? {
            if auth.operator || visible(ctx, &auth, HubId::from_uuid(hub))? {
                hubs.push(hub);
            }
        }
        // One pass over the log for all of them, where the store can.
        Ok(store
            .verify_hubs(&hubs)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// Live integrity feeds.
#[derive(Debug, Default)]
pub struct AuditSubscription;

#[Subscription]
impl AuditSubscription {
    /// A hub's chain head now, then again each time an event joins its chain.
    async fn chain_head_changed(
        &self,
        ctx: &Context<'_>,
        hub_id: Uuid,
    ) -> Result<impl Stream<Item = Result<ChainHead, async_graphql::Error>>, ApiError> {
        let store = store(ctx)?;
        // Subscribe from the current head first, then read the chain head: nothing appended in
        // between is missed, and anything already counted in the head is skipped.
        let from = store.head_position().await?;
        let live = store.subscribe(from);
        let head = store.chain_head(hub_id).await?;
        let mut last_seq = head.hub_seq;
        let changes = live.filter_map(move |item| {
            let out = match item {
                Ok(e) if e.hub_id == hub_id && e.hub_seq > last_seq => {
                    last_seq = e.hub_seq;
                    Some(Ok(ChainHead {
                        hub_id,
                        hub_seq: e.hub_seq,
                        hash: e.hash,
                    }))
                }
                Ok(_) => None,
                Err(e) => Some(Err(ApiError::from(e).into())),
            };
            futures::future::ready(out)
        });
        Ok(futures::stream::once(futures::future::ready(Ok(head.into()))).chain(changes))
    }
}

// ---------------------------------------------------------------------------------------------
// History and decision trails.

/// Who did something, for which organisation (and its stakeholder kind), in which role, when,
/// and where it stands in the log.
#[derive(Debug, Clone, SimpleObject)]
pub struct AuditActor {
    /// The member who acted.
    pub member_id: Uuid,
    /// Their name ("someone" if the hub does not know them).
    pub member_name: String,
    /// The organisation they acted for, if any.
    pub organisation_id: Option<Uuid>,
    /// Its name.
    pub organisation_name: Option<String>,
    /// Its stakeholder kind.
    pub stakeholder_kind: Option<StakeholderKind>,
    /// Their role at the time (`facilitator`, `lead`, `champion`, `member`).
    pub role: String,
    /// When the server recorded it.
    pub at: DateTime<Utc>,
    /// The event's global position in the log.
    pub position: u64,
    /// The event's sequence in the hub's hash chain.
    pub hub_seq: u64,
}

fn actor(
    actor: &cohub_audit::Actor,
    role: &str,
    at: DateTime<Utc>,
    position: u64,
    hub_seq: u64,
) -> AuditActor {
    AuditActor {
        member_id: actor.member_id.uuid(),
        member_name: actor.name.clone(),
        organisation_id: actor
            .organisation
            .as_ref()
            .map(|o| o.organisation_id.uuid()),
        organisation_name: actor.organisation.as_ref().map(|o| o.name.clone()),
        stakeholder_kind: actor.stakeholder_kind().map(Into::into),
        role: role.to_string(),
        at,
        position,
        hub_seq,
    }
}

impl From<&cohub_audit::Attributed> for AuditActor {
    fn from(a: &cohub_audit::Attributed) -> Self {
        actor(&a.actor, &a.role, a.at, a.position, a.hub_seq)
    }
}

/// An organisation named in a trail (a party, an objector, whose preference).
#[derive(Debug, Clone, SimpleObject)]
pub struct AuditParty {
    /// The organisation.
    pub organisation_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its stakeholder kind.
    pub kind: Option<StakeholderKind>,
}

impl From<&cohub_audit::Party> for AuditParty {
    fn from(p: &cohub_audit::Party) -> Self {
        AuditParty {
            organisation_id: p.organisation_id.uuid(),
            name: p.name.clone(),
            kind: p.kind.map(Into::into),
        }
    }
}

/// One event of a history.
#[derive(Debug, Clone, SimpleObject)]
pub struct HistoryEntry {
    /// Global position in the log (also the cursor).
    pub position: u64,
    /// Sequence in the hub's hash chain.
    pub hub_seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Who did it: member, organisation, stakeholder kind, role.
    pub actor: AuditActor,
    /// The aggregate stream it belongs to, e.g. `distribution-<uuid>`.
    pub stream_id: String,
    /// The event type, e.g. `DistributionObjected`.
    pub event_type: String,
    /// What happened, in plain words.
    pub summary: String,
    /// The event itself, as recorded (JSON).
    pub event: Json<serde_json::Value>,
}

impl From<&cohub_audit::HistoryEntry> for HistoryEntry {
    fn from(e: &cohub_audit::HistoryEntry) -> Self {
        HistoryEntry {
            position: e.position,
            hub_seq: e.hub_seq,
            at: e.at,
            actor: actor(&e.actor, &e.role, e.at, e.position, e.hub_seq),
            stream_id: e.stream_id.clone(),
            event_type: e.event_type.clone(),
            summary: e.summary.clone(),
            event: Json(serde_json::to_value(&e.event).unwrap_or_default()),
        }
    }
}

/// Which events of a history to list; every field narrows.
#[derive(Debug, Clone, Default, InputObject)]
pub struct HistoryFilterInput {
    /// Only events by this member.
    pub member_id: Option<Uuid>,
    /// Only events by members acting for this organisation.
    pub organisation_id: Option<Uuid>,
    /// Only events by members of organisations of this stakeholder kind.
    pub stakeholder_kind: Option<StakeholderKind>,
    /// Only these event types (e.g. `DistributionObjected`).
    pub event_types: Option<Vec<String>>,
    /// Only events recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded at or before this time.
    pub to: Option<DateTime<Utc>>,
}

impl From<HistoryFilterInput> for cohub_audit::HistoryFilter {
    fn from(f: HistoryFilterInput) -> Self {
        cohub_audit::HistoryFilter {
            member_id: f.member_id.map(MemberId::from_uuid),
            organisation_id: f.organisation_id.map(OrganisationId::from_uuid),
            stakeholder_kind: f.stakeholder_kind.map(Into::into),
            event_types: f.event_types.unwrap_or_default(),
            from: f.from,
            to: f.to,
        }
    }
}

/// What a history page reports beside its edges.
#[derive(Debug, Clone, SimpleObject)]
pub struct HistoryInfo {
    /// How many events match the filter in all (across every page).
    pub total_count: u64,
    /// The log position the history was read at (the latest, or `asOf`/`atPosition`).
    pub at_position: u64,
    /// How many events were replayed from the log to read a past moment (0 for now).
    pub replayed: u64,
}

/// Whose decision trail it is.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum TrailSubjectKind {
    /// A cost/reward distribution.
    Distribution,
    /// An idea.
    Idea,
}

/// How a version came about.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_audit::trail::TrailVersionKind")]
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

/// The amendment that voided a consent.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailVoiding {
    /// The version whose amendment voided it.
    pub by_version: u32,
    /// Who amended, when.
    pub by: AuditActor,
}

/// An organisation's consent to a version.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailConsent {
    /// The version consented to.
    pub version: u32,
    /// The consenting party.
    pub party: AuditParty,
    /// Who consented for it, when.
    pub by: AuditActor,
    /// The amendment that voided it, if one did.
    pub voided: Option<TrailVoiding>,
    /// Whether it still stands (not voided, not replaced by a later objection).
    pub standing: bool,
}

impl From<&cohub_audit::trail::TrailConsent> for TrailConsent {
    fn from(c: &cohub_audit::trail::TrailConsent) -> Self {
        TrailConsent {
            version: c.version,
            party: (&c.party).into(),
            by: (&c.recorded).into(),
            voided: c.voided.as_ref().map(|v| TrailVoiding {
                by_version: v.by_version,
                by: (&v.recorded).into(),
            }),
            standing: c.standing,
        }
    }
}

/// The first answer to an objection.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailAnswer {
    /// How it was answered (`answer`, `amendment`, `withdrawal`, `closure`, `abandonment`).
    pub kind: String,
    /// Who answered, when.
    pub by: AuditActor,
}

/// The distribution's proposer's answer to an objection, in words.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailObjectionAnswer {
    /// The answer.
    pub text: PlainText,
    /// Who answered, when.
    pub by: AuditActor,
}

/// An objection withdrawn by its organisation.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailObjectionWithdrawal {
    /// An optional note on why.
    pub note: Option<PlainText>,
    /// Who withdrew it, when.
    pub by: AuditActor,
}

/// A round that ended without agreement.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailRoundEnding {
    /// The version that was open.
    pub version: u32,
    /// Abandoned or closed without agreement.
    pub kind: super::enums::RoundEndingKind,
    /// Why.
    pub reason: PlainText,
    /// Who ended it, when.
    pub by: AuditActor,
}

/// A distribution's lapse: its idea was withdrawn or declined.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailLapse {
    /// Withdrawn or declined.
    pub cause: super::enums::LapseCause,
    /// The idea's withdrawal reason, or the decline decision's rationale.
    pub reason: PlainText,
    /// Who withdrew or declined the idea, when.
    pub by: AuditActor,
}

/// An organisation's objection to a version, with its reason.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailObjection {
    /// The version objected to.
    pub version: u32,
    /// The objecting party.
    pub party: AuditParty,
    /// Why.
    pub reason: PlainText,
    /// Who objected for it, when.
    pub by: AuditActor,
    /// The first answer to it, if any.
    pub answered: Option<TrailAnswer>,
    /// The distribution's proposer's answer in words, if given (it does not lift it).
    pub answer: Option<TrailObjectionAnswer>,
    /// Its withdrawal by its organisation, if withdrawn.
    pub withdrawal: Option<TrailObjectionWithdrawal>,
    /// Whether it still stands (not withdrawn, not replaced by a later consent).
    pub standing: bool,
}

impl From<&cohub_audit::trail::TrailObjection> for TrailObjection {
    fn from(o: &cohub_audit::trail::TrailObjection) -> Self {
        TrailObjection {
            version: o.version,
            party: (&o.party).into(),
            reason: (&o.reason).into(),
            by: (&o.recorded).into(),
            answered: o.answered.as_ref().map(|a| TrailAnswer {
                kind: a.kind.clone(),
                by: (&a.recorded).into(),
            }),
            answer: o.answer.as_ref().map(|(text, by)| TrailObjectionAnswer {
                text: text.into(),
                by: by.into(),
            }),
            withdrawal: o
                .withdrawn
                .as_ref()
                .map(|(note, by)| TrailObjectionWithdrawal {
                    note: note.as_ref().map(Into::into),
                    by: by.into(),
                }),
            standing: o.standing,
        }
    }
}

/// One version in a trail.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailVersion {
    /// The version (1, 2, ...).
    pub version: u32,
    /// How it came about.
    pub kind: TrailVersionKind,
    /// The round (distributions: 1 until agreement, one more per variation; ideas: 1).
    pub round: u32,
    /// Who wrote it, for which organisation, when.
    pub author: AuditActor,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// The idea's title.
    pub title: PlainText,
    /// An idea's summary, or a distribution version's terms in words.
    pub summary: PlainText,
    /// A distribution version's parties.
    pub parties: Vec<AuditParty>,
    /// Consents to this version (voided ones stay, marked).
    pub consents: Vec<TrailConsent>,
    /// Objections to this version.
    pub objections: Vec<TrailObjection>,
    /// Whether this version was agreed (a distribution) or decided on (an idea).
    pub agreed: bool,
}

/// A distribution's agreement.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailAgreement {
    /// The agreed version.
    pub version: u32,
    /// The parties that consented.
    pub parties: Vec<AuditParty>,
    /// Whose consent completed it, when.
    pub by: AuditActor,
}

/// A preference stated during a decision.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailPreference {
    /// Whose preference.
    pub party: AuditParty,
    /// What it prefers.
    pub preference: PlainText,
}

/// A decision recorded on an idea: the options considered, the preferences stated, the
/// rationale, and how long it was deliberated.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailDecision {
    /// The idea decided on.
    pub idea_id: Uuid,
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
    pub decided_by: AuditActor,
    /// Seconds from the idea's latest version (the one decided on) to this decision: the time
    /// the hub's minimum applies to.
    pub deliberation_seconds: i64,
    /// The hub's minimum deliberation time when it was decided.
    pub minimum_deliberation_seconds: u64,
}

/// How long it was deliberated, beside the hub's minimum.
#[derive(Debug, Clone, SimpleObject)]
pub struct Deliberation {
    /// When it was first proposed (the hub's minimum runs from the final version's time).
    pub started_at: DateTime<Utc>,
    /// When it was agreed or decided (the latest agreement or decision), if it was.
    pub decided_at: Option<DateTime<Utc>>,
    /// Seconds from proposal to agreement or decision.
    pub seconds: Option<i64>,
    /// When the version agreed or decided on (else the latest) was written.
    pub final_version_at: DateTime<Utc>,
    /// Seconds that version stood before the agreement or decision.
    pub final_version_seconds: Option<i64>,
    /// The hub's minimum deliberation time in force then (now, if undecided).
    pub minimum_seconds: u64,
    /// Whether the minimum was respected (null while undecided). It runs from the latest
    /// version before the agreement or decision (an idea's latest revision, a distribution's
    /// latest version).
    pub minimum_met: Option<bool>,
}

/// Why and by whom something was withdrawn.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrailWithdrawal {
    /// Why.
    pub reason: PlainText,
    /// Who, when.
    pub by: AuditActor,
}

/// The path of a decision: how a distribution came to be agreed, or an idea shortlisted or
/// declined.
#[derive(Debug, Clone, SimpleObject)]
pub struct DecisionTrail {
    /// A distribution's or an idea's trail.
    pub subject_kind: TrailSubjectKind,
    /// The distribution's or the idea's id.
    pub subject_id: Uuid,
    /// The hub.
    pub hub_id: Uuid,
    /// The idea (the subject, or the one the distribution is for).
    pub idea_id: Uuid,
    /// The problem the idea answers.
    pub problem_id: Uuid,
    /// The idea's latest title.
    pub title: PlainText,
    /// The status, snake_case (`proposed`, `agreed`, `withdrawn`, `closed_without_agreement`,
    /// `lapsed`; `shortlisted`, `declined`).
    pub status: String,
    /// A distribution's agreed version in force, if any.
    pub in_force: Option<u32>,
    /// A distribution's rounds that ended without agreement (abandoned variations, rounds a
    /// facilitator closed), in order.
    pub round_endings: Vec<TrailRoundEnding>,
    /// A distribution's lapse: its idea's withdrawal or decline, if that happened.
    pub lapse: Option<TrailLapse>,
    /// Whether an agreement or a decision was reached.
    pub decided: bool,
    /// Who proposed it, for which organisation, when.
    pub proposed: AuditActor,
    /// The residents an idea was proposed on behalf of, if any.
    pub on_behalf_of: Option<PlainText>,
    /// How those residents agreed to be represented; null when not on behalf of residents or
    /// not recorded (proposals made before cohub asked for it).
    pub how_residents_agreed: Option<PlainText>,
    /// Every version, oldest first, with the consents and objections on each.
    pub versions: Vec<TrailVersion>,
    /// Every consent, in order (voided ones stay, marked).
    pub consents: Vec<TrailConsent>,
    /// The consents that amendments voided.
    pub voided_consents: Vec<TrailConsent>,
    /// Every objection, with its reason.
    pub objections: Vec<TrailObjection>,
    /// A distribution's agreements.
    pub agreements: Vec<TrailAgreement>,
    /// Decisions recorded on the idea (for a distribution, on the idea it is for): the options
    /// considered and the preferences stated.
    pub decisions: Vec<TrailDecision>,
    /// The outcome's rationale: an idea's latest decision's; a distribution's agreed (else
    /// latest) version's.
    pub rationale: Option<PlainText>,
    /// An idea's supporters.
    pub supporters: Vec<AuditActor>,
    /// The withdrawal, if it was withdrawn.
    pub withdrawal: Option<TrailWithdrawal>,
    /// The deliberation time.
    pub deliberation: Deliberation,
    /// The subject's whole history, in order, in plain words.
    pub steps: Vec<HistoryEntry>,
    /// The log position the trail was read at (the latest, or `asOf`/`atPosition`).
    pub at_position: u64,
    /// How many events were replayed from the log to read a past moment (0 for now).
    pub replayed: u64,
}

impl DecisionTrail {
    fn new(t: &cohub_audit::DecisionTrail, read: &cohub_audit::PointRead) -> Self {
        let (subject_kind, subject_id) = match t.subject {
            cohub_audit::TrailSubject::Distribution(d) => {
                (TrailSubjectKind::Distribution, d.uuid())
            }
            cohub_audit::TrailSubject::Idea(i) => (TrailSubjectKind::Idea, i.uuid()),
        };
        let d = &t.deliberation;
        DecisionTrail {
            subject_kind,
            subject_id,
            hub_id: t.hub_id.uuid(),
            idea_id: t.idea_id.uuid(),
            problem_id: t.problem_id.uuid(),
            title: (&t.title).into(),
            status: t.status.clone(),
            in_force: t.in_force,
            round_endings: t
                .round_endings
                .iter()
                .map(|e| TrailRoundEnding {
                    version: e.version,
                    kind: e.kind.into(),
                    reason: (&e.reason).into(),
                    by: (&e.recorded).into(),
                })
                .collect(),
            lapse: t.lapse.as_ref().map(|l| TrailLapse {
                cause: l.cause.into(),
                reason: (&l.reason).into(),
                by: (&l.recorded).into(),
            }),
            decided: t.decided,
            proposed: (&t.proposed).into(),
            on_behalf_of: t.on_behalf_of.as_ref().map(|o| (&o.residents).into()),
            how_residents_agreed: t
                .on_behalf_of
                .as_ref()
                .and_then(|o| o.how_residents_agreed.as_ref())
                .map(Into::into),
            versions: t
                .versions
                .iter()
                .map(|v| TrailVersion {
                    version: v.version,
                    kind: v.kind.into(),
                    round: v.round,
                    author: (&v.recorded).into(),
                    rationale: v.rationale.as_ref().map(Into::into),
                    title: (&v.title).into(),
                    summary: (&v.summary).into(),
                    parties: v.parties.iter().map(Into::into).collect(),
                    consents: v.consents.iter().map(Into::into).collect(),
                    objections: v.objections.iter().map(Into::into).collect(),
                    agreed: v.agreed,
                })
                .collect(),
            consents: t.consents.iter().map(Into::into).collect(),
            voided_consents: t.voided_consents.iter().map(Into::into).collect(),
            objections: t.objections.iter().map(Into::into).collect(),
            agreements: t
                .agreements
                .iter()
                .map(|a| TrailAgreement {
                    version: a.version,
                    parties: a.parties.iter().map(Into::into).collect(),
                    by: (&a.recorded).into(),
                })
                .collect(),
            decisions: t
                .decisions
                .iter()
                .map(|d| TrailDecision {
                    idea_id: d.idea_id.uuid(),
                    outcome: d.outcome.into(),
                    version: d.version,
                    options_considered: d.options_considered.iter().map(Into::into).collect(),
                    preferences: d
                        .preferences
                        .iter()
                        .map(|p| TrailPreference {
                            party: (&p.party).into(),
                            preference: (&p.preference).into(),
                        })
                        .collect(),
                    rationale: (&d.rationale).into(),
                    decided_by: (&d.recorded).into(),
                    deliberation_seconds: d.deliberation_seconds,
                    minimum_deliberation_seconds: d.minimum_deliberation_seconds,
                })
                .collect(),
            rationale: t.rationale.as_ref().map(Into::into),
            supporters: t.supporters.iter().map(Into::into).collect(),
            withdrawal: t.withdrawn.as_ref().map(|(reason, by)| TrailWithdrawal {
                reason: reason.into(),
                by: by.into(),
            }),
            deliberation: Deliberation {
                started_at: d.started_at,
                decided_at: d.decided_at,
                seconds: d.seconds,
                final_version_at: d.final_version_at,
                final_version_seconds: d.final_version_seconds,
                minimum_seconds: d.minimum_seconds,
                minimum_met: d.minimum_met,
            },
            steps: t.steps.iter().map(Into::into).collect(),
            at_position: read.model.position(),
            replayed: read.replayed,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signed checkpoints.

/// A hub's chain head signed by the server (Ed25519). The signature (hex) covers the UTF-8
/// lines `cohub-checkpoint-v1`, `hub_id=<uuid>`, `hub_seq=<n>`, `hash=<hex>`,
/// `signed_at=<RFC 3339 UTC with 6 fractional digits and Z>`, `public_key=<hex>`, each ending
/// in a newline. Keep it outside the server: `proveCheckpoint` later shows whether the log
/// still extends it.
#[derive(Debug, Clone, SimpleObject)]
pub struct SignedCheckpoint {
    /// The hub.
    pub hub_id: Uuid,
    /// The hub sequence of the head event.
    pub hub_seq: u64,
    /// The head event's hash (hex SHA-256).
    pub hash: String,
    /// When the server signed it.
    pub signed_at: DateTime<Utc>,
    /// The server's checkpoint public key (hex Ed25519).
    pub public_key: String,
    /// The signature (hex Ed25519).
    pub signature: String,
}

impl From<cohub_audit::SignedCheckpoint> for SignedCheckpoint {
    fn from(c: cohub_audit::SignedCheckpoint) -> Self {
        SignedCheckpoint {
            hub_id: c.hub_id,
            hub_seq: c.hub_seq,
            hash: c.hash,
            signed_at: c.signed_at,
            public_key: c.public_key,
            signature: c.signature,
        }
    }
}

/// A checkpoint as `signCheckpoint` (or `cohub checkpoint sign`) returned it.
#[derive(Debug, Clone, InputObject)]
pub struct CheckpointInput {
    /// The hub.
    pub hub_id: Uuid,
    /// The hub sequence of the head event.
    pub hub_seq: u64,
    /// The head event's hash (hex).
    pub hash: String,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
    /// The public key it was signed with (hex).
    pub public_key: String,
    /// The signature (hex).
    pub signature: String,
}

impl From<CheckpointInput> for cohub_audit::SignedCheckpoint {
    fn from(c: CheckpointInput) -> Self {
        cohub_audit::SignedCheckpoint {
            hub_id: c.hub_id,
            hub_seq: c.hub_seq,
            hash: c.hash,
            signed_at: c.signed_at,
            public_key: c.public_key,
            signature: c.signature,
        }
    }
}

/// One check of a checkpoint proof.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProofCheck {
    /// `key`, `signature`, `event` or `chain`.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, in plain words.
    pub detail: String,
}

/// Whether the log still extends a signed checkpoint.
#[derive(Debug, Clone, SimpleObject)]
pub struct CheckpointProof {
    /// True when every check passed.
    pub ok: bool,
    /// Why it holds, or the first reason it does not, in plain words.
    pub reason: String,
    /// Every check: the key is this server's, the signature matches, the log still holds the
    /// event at `hubSeq` with exactly that `hash`, the chain verifies from genesis to its head.
    pub checks: Vec<ProofCheck>,
    /// The hub's verified head now, when the chain verifies.
    pub current_head: Option<ChainHead>,
}

fn checkpoint_key(ctx: &Context<'_>) -> Result<Arc<CheckpointKey>, ApiError> {
    ctx.data_opt::<Arc<CheckpointKey>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("the schema was built without a checkpoint key"))
}

fn signer(ctx: &Context<'_>) -> Result<Arc<cohub_audit::CheckpointSigner>, ApiError> {
    checkpoint_key(ctx)?.signer().map_err(ApiError::internal)
}

/// Audit actions.
#[derive(Debug, Default)]
pub struct AuditMutation;

#[Object]
impl AuditMutation {
    /// Verifies a hub's chain and signs its head with the server's checkpoint key (created
    /// on first use in `<data>/keys/checkpoint-signing.key`). Members of the hub only;
    /// `CONFLICT` if the chain does not verify.
    async fn sign_checkpoint(
        &self,
        ctx: &Context<'_>,
        hub_id: Uuid,
    ) -> Result<SignedCheckpoint, ApiError> {
        require_hub_member(ctx, HubId::from_uuid(hub_id))?;
        let signer = signer(ctx)?;
        let store = store(ctx)?;
        Ok(
            cohub_audit::sign_head(store.as_ref(), &signer, hub_id, Utc::now())
                .await?
                .into(),
        )
    }
}
