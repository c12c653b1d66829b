//! Cost/reward distributions: every version with parties, costs, rewards and shares; consents
//! per version (voided and replaced ones marked), objections with reasons, answers and
//! withdrawals, agreements, the version in force and the one open, rounds ended without
//! agreement, the idea's lapse, status. Where a distribution stands comes from the domain's
//! one rule (`DistributionView::standing`).

use super::common::{Attribution, HeardStatus, Party, PlainText, Scope};
use super::context::{caller, commands};
use super::enums::{
    CostKind, DistributionStatus, LapseCause, RewardKind, RoundEndingKind, VersionKind,
};
use super::idea::{Idea, Withdrawal};
use crate::error::ApiError;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use cohub_command::CommandError;
use cohub_domain::distribution::DistributionCommand;
use cohub_domain::DistributionId;
use cohub_domain::{MemberId, OrganisationId};
use cohub_read::distribution::{
    ConsentView, DistributionVersionView, DistributionView, ObjectionView,
};
use uuid::Uuid;

/// A cost/reward distribution proposed for an idea. It is agreed only when every party named
/// in its latest version consents to that same version; an amendment voids earlier consents.
pub struct Distribution {
    scope: Scope,
    id: DistributionId,
}

impl Distribution {
    /// The distribution `id` in `scope` (which must hold it).
    pub fn of(scope: &Scope, id: DistributionId) -> Self {
        Distribution {
            scope: scope.clone(),
            id,
        }
    }

    fn view(&self) -> &DistributionView {
        self.scope
            .model
            .distribution(self.id)
            .expect("a Distribution is built only for a distribution in its model")
    }

    fn version_of(&self, v: &DistributionVersionView) -> DistributionVersion {
        DistributionVersion {
            scope: self.scope.clone(),
            id: self.id,
            version: v.version,
        }
    }
}

/// What the caller may do to a distribution now, as the domain decides it.
#[derive(Debug, Default, SimpleObject)]
pub struct DistributionActions {
    /// Consent, for their organisation, to the version open for consent.
    pub consent: bool,
    /// Object to it, for their organisation, with a reason.
    pub object: bool,
    /// Withdraw their organisation's standing objection to it.
    pub withdraw_objection: bool,
    /// The organisations whose standing objections they may answer (as the proposer).
    pub answer_objections_of: Vec<Uuid>,
}

/// A cost/reward distribution for an idea. It is agreed only when every party named in its
/// latest version consents to that same version; an amendment voids earlier consents; an
/// objection carries its reason; a community organisation is always a party.
#[Object]
impl Distribution {
    /// Its id.
    async fn id(&self) -> Uuid {
        self.id.uuid()
    }
    /// Its hub's id.
    async fn hub_id(&self) -> Uuid {
        self.view().hub_id.uuid()
    }
    /// The idea it is for.
    async fn idea_id(&self) -> Uuid {
        self.view().idea_id.uuid()
    }
    /// The idea it is for.
    async fn idea(&self) -> Option<Idea> {
        let id = self.view().idea_id;
        self.scope.model.idea(id).map(|_| Idea::of(&self.scope, id))
    }
    /// Its status.
    async fn status(&self) -> DistributionStatus {
        self.view().status().into()
    }
    /// The agreed version in force, if any. It stays in force while a variation is
    /// discussed, when a variation is abandoned or closed, and when the idea lapses.
    async fn in_force(&self) -> Option<DistributionVersion> {
        self.view().in_force().map(|v| self.version_of(v))
    }
    /// The version open for consent, if a round is open: the first round, or a variation of
    /// the version in force. Null once agreed (with no variation open), withdrawn, closed or
    /// lapsed.
    async fn open_version(&self) -> Option<DistributionVersion> {
        self.view().open_version().map(|v| self.version_of(v))
    }
    /// What the caller may do to this distribution now, each as the domain itself decides
    /// it on the current state (nothing is recorded): consent to the version open for
    /// consent, object to it, answer which organisations' standing objections, withdraw their
    /// own organisation's objection. Nothing for a past moment, without a token, or when no
    /// version is open.
    async fn viewer_may(&self, ctx: &Context<'_>) -> Result<DistributionActions, ApiError> {
        let mut may = DistributionActions::default();
        let (Some(auth), None) = (caller(ctx), self.scope.moment) else {
            return Ok(may);
        };
        let Some(open) = self.view().open_version().map(|v| v.version) else {
            return Ok(may);
        };
        let commands = commands(ctx)?;
        let actor = MemberId::from_uuid(auth.member_id);
        let id = self.id;
        let permits = |command: DistributionCommand| {
            let commands = commands.clone();
            async move {
                match commands.permits(actor, &command.into()).await {
                    Ok(()) => Ok(true),
                    Err(CommandError::Domain(_)) => Ok(false),
                    Err(e) => Err(ApiError::from(e)),
                }
            }
        };
        // A stand-in text: only the permission is asked, and any text is allowed.
        let words = || cohub_domain::PlainText::en("-");
        may.consent = permits(DistributionCommand::ConsentToDistribution {
            distribution_id: id,
            version: open,
        })
        .await?;
        may.object = permits(DistributionCommand::ObjectToDistribution {
            distribution_id: id,
            version: open,
            reason: words(),
        })
        .await?;
        may.withdraw_objection = permits(DistributionCommand::WithdrawObjection {
            distribution_id: id,
            version: open,
            note: None,
        })
        .await?;
        let view = self.view();
        let mut objecting: Vec<OrganisationId> = Vec::new();
        for o in &view.objections {
            if o.version == open
                && view.is_standing(o.record)
                && !objecting.contains(&o.organisation_id)
            {
                objecting.push(o.organisation_id);
            }
        }
        for organisation_id in objecting {
            if permits(DistributionCommand::AnswerObjection {
                distribution_id: id,
                version: open,
                organisation_id,
                answer: words(),
            })
            .await?
            {
                may.answer_objections_of.push(organisation_id.uuid());
            }
        }
        Ok(may)
    }
    /// Whether a variation round is open while the agreed version stays in force.
    async fn variation_open(&self) -> bool {
        self.view().standing().variation_open()
    }
    /// The current round (1 until a variation round starts).
    async fn round(&self) -> u32 {
        self.view().round
    }
    /// The version agreed most recently, if any.
    async fn agreed_version(&self) -> Option<u32> {
        self.view().agreed_version
    }
    /// Who proposed it, for which organisation, when.
    async fn proposed(&self) -> Attribution {
        self.scope.attribution(&self.view().proposed)
    }
    /// The latest version written. After an abandoned or closed variation that is the
    /// variation; `inForce` and `openVersion` say which version holds and which is open.
    async fn current(&self) -> DistributionVersion {
        self.version_of(self.view().latest())
    }
    /// Every version, oldest first, each with its parties, costs, rewards and consents.
    async fn versions(&self) -> Vec<DistributionVersion> {
        self.view()
            .versions
            .iter()
            .map(|v| self.version_of(v))
            .collect()
    }
    /// A version by number.
    async fn version(&self, version: u32) -> Option<DistributionVersion> {
        self.view().version(version).map(|v| self.version_of(v))
    }
    /// Every consent, in order; consents an amendment voided stay, marked `voided`, and
    /// consents replaced by a later objection stay, marked not `standing`.
    async fn consents(&self) -> Vec<Consent> {
        let d = self.view();
        d.consents
            .iter()
            .map(|c| Consent::new(&self.scope, d, c))
            .collect()
    }
    /// The consents amendments voided.
    async fn voided_consents(&self) -> Vec<Consent> {
        let d = self.view();
        d.voided_consents()
            .into_iter()
            .map(|c| Consent::new(&self.scope, d, c))
            .collect()
    }
    /// Every objection with its reason, the proposer's answer and its withdrawal, in order.
    async fn objections(&self) -> Vec<Objection> {
        let d = self.view();
        d.objections
            .iter()
            .map(|o| Objection::new(&self.scope, d, o))
            .collect()
    }
    /// Parties of the version open for consent (else the one in force) that have not
    /// consented to it, or no longer do: an objection after a consent replaces it.
    async fn missing_consents(&self) -> Vec<Party> {
        self.view()
            .missing_consents()
            .into_iter()
            .map(|p| self.scope.party(p))
            .collect()
    }
    /// Parties of the version open for consent (else the one in force) whose standing
    /// position on it is a consent.
    async fn consented_parties(&self) -> Vec<Party> {
        self.view()
            .standing()
            .consented
            .into_iter()
            .map(|p| self.scope.party(p))
            .collect()
    }
    /// Organisations whose standing position on the version open for consent (else the one
    /// in force) is an objection: each blocks agreement until it withdraws it or a new
    /// version is written.
    async fn objecting_parties(&self) -> Vec<Party> {
        self.view()
            .standing()
            .objecting
            .into_iter()
            .map(|p| self.scope.party(p))
            .collect()
    }
    /// Rounds that ended without agreement (abandoned variations, rounds a facilitator
    /// closed), in order.
    async fn round_endings(&self) -> Vec<RoundEnding> {
        self.view()
            .round_endings
            .iter()
            .map(|e| RoundEnding {
                version: e.version,
                kind: e.kind.into(),
                reason: (&e.reason).into(),
                ended: self.scope.attribution(&e.recorded),
            })
            .collect()
    }
    /// The idea's withdrawal or decline, once it happened: an open round lapses with it
    /// (status `LAPSED`), an agreed version stays in force but takes no new round.
    async fn lapse(&self) -> Option<DistributionLapse> {
        self.view().lapse.as_ref().map(|l| DistributionLapse {
            cause: l.lapse.cause.into(),
            reason: (&l.lapse.reason).into(),
            lapsed: self.scope.attribution(&l.recorded),
        })
    }
    /// Every agreement, in order.
    async fn agreements(&self) -> Vec<Agreement> {
        self.view()
            .agreements
            .iter()
            .map(|a| Agreement {
                version: a.version,
                parties: a.parties.iter().map(|p| self.scope.party(*p)).collect(),
                agreed: self.scope.attribution(&a.recorded),
            })
            .collect()
    }
    /// Why and by whom it was withdrawn, if it was.
    async fn withdrawal(&self) -> Option<Withdrawal> {
        self.view()
            .withdrawal
            .as_ref()
            .map(|w| Withdrawal::new(&self.scope, w))
    }
    /// Its latest event.
    async fn updated(&self) -> Attribution {
        self.scope.attribution(&self.view().updated)
    }
}

/// One version of a distribution's terms.
pub struct DistributionVersion {
    scope: Scope,
    id: DistributionId,
    version: u32,
}

impl DistributionVersion {
    fn view(&self) -> &DistributionVersionView {
        self.scope
            .model
            .distribution(self.id)
            .and_then(|d| d.version(self.version))
            .expect("a DistributionVersion is built only for a version in its model")
    }
    fn distribution(&self) -> &DistributionView {
        self.scope
            .model
            .distribution(self.id)
            .expect("a DistributionVersion is built only for a distribution in its model")
    }
}

/// One version of a distribution's terms, with the consents and objections it received.
#[Object]
impl DistributionVersion {
    /// The version (1, 2, ...).
    async fn version(&self) -> u32 {
        self.version
    }
    /// Proposal, amendment or variation.
    async fn kind(&self) -> VersionKind {
        self.view().kind.into()
    }
    /// Its round.
    async fn round(&self) -> u32 {
        self.view().round
    }
    /// The parties (organisations of the hub).
    async fn parties(&self) -> Vec<Party> {
        self.view()
            .terms
            .parties
            .iter()
            .map(|p| self.scope.party(*p))
            .collect()
    }
    /// What each party contributes.
    async fn costs(&self) -> Vec<Cost> {
        self.view()
            .terms
            .costs
            .iter()
            .map(|c| Cost {
                party: self.scope.party(c.party),
                kind: c.kind.into(),
                amount: c.amount,
                unit: c.unit.clone(),
                note: c.note.as_ref().map(Into::into),
            })
            .collect()
    }
    /// What flows back, and to whom in what share.
    async fn rewards(&self) -> Vec<Reward> {
        self.view()
            .terms
            .rewards
            .iter()
            .map(|r| Reward {
                kind: r.kind.into(),
                description: (&r.description).into(),
                shares: r
                    .shares
                    .iter()
                    .map(|s| Share {
                        party: self.scope.party(s.party),
                        basis_points: s.basis_points,
                    })
                    .collect(),
            })
            .collect()
    }
    /// The terms in plain words.
    async fn terms(&self) -> PlainText {
        (&self.view().terms.terms).into()
    }
    /// Why it changed (none for version 1).
    async fn rationale(&self) -> Option<PlainText> {
        self.view().rationale.as_ref().map(Into::into)
    }
    /// Who wrote it, when.
    async fn written(&self) -> Attribution {
        self.scope.attribution(&self.view().recorded)
    }
    /// Every consent given to this version (voided and replaced ones marked).
    async fn consents(&self) -> Vec<Consent> {
        let d = self.distribution();
        d.consents
            .iter()
            .filter(|c| c.version == self.version)
            .map(|c| Consent::new(&self.scope, d, c))
            .collect()
    }
    /// The objections to this version.
    async fn objections(&self) -> Vec<Objection> {
        let d = self.distribution();
        d.objections_on(self.version)
            .into_iter()
            .map(|o| Objection::new(&self.scope, d, o))
            .collect()
    }
    /// The earlier consents this version voided (amendments only), as the amendment recorded them.
    async fn voided_consents(&self) -> Vec<VoidedConsent> {
        self.view()
            .voided_consents
            .iter()
            .map(|v| VoidedConsent {
                organisation: self.scope.party(v.organisation_id),
                version: v.version,
                consented_by: v.consented_by.uuid(),
                consented_by_name: self.scope.member_name(v.consented_by),
                consented_at: v.consented_at,
            })
            .collect()
    }
}

/// One party's contribution to the costs.
#[derive(SimpleObject)]
pub struct Cost {
    /// The contributing party.
    pub party: Party,
    /// What kind of cost.
    pub kind: CostKind,
    /// How much, in `unit`.
    pub amount: u64,
    /// The unit, e.g. `GBP`, `hours`.
    pub unit: String,
    /// A note.
    pub note: Option<PlainText>,
}

/// A reward and how it is shared.
#[derive(SimpleObject)]
pub struct Reward {
    /// What kind of reward.
    pub kind: RewardKind,
    /// What it is.
    pub description: PlainText,
    /// Who gets what share (the shares of one kind add up to 10000 basis points).
    pub shares: Vec<Share>,
}

/// A party's share of a reward.
#[derive(SimpleObject)]
pub struct Share {
    /// The receiving party.
    pub party: Party,
    /// The share in basis points (1/100 of a percent; 10000 is all of it).
    pub basis_points: u32,
}

/// An organisation's consent to a version.
#[derive(SimpleObject)]
pub struct Consent {
    /// The version consented to.
    pub version: u32,
    /// The consenting organisation.
    pub organisation: Party,
    /// Who consented for it, when.
    pub consented: Attribution,
    /// Whether a later amendment voided it.
    pub voided: bool,
    /// The version whose amendment voided it.
    pub voided_by_version: Option<u32>,
    /// Who amended it, when.
    pub voided_by: Option<Attribution>,
    /// Whether it is still the organisation's position on that version: false once an
    /// amendment voided it or the organisation objected after it.
    pub standing: bool,
}

impl Consent {
    fn new(scope: &Scope, d: &DistributionView, c: &ConsentView) -> Self {
        Consent {
            version: c.version,
            organisation: scope.party(c.organisation_id),
            consented: scope.attribution(&c.recorded),
            voided: c.voided.is_some(),
            voided_by_version: c.voided.as_ref().map(|v| v.by_version),
            voided_by: c.voided.as_ref().map(|v| scope.attribution(&v.recorded)),
            standing: d.is_standing(c.record),
        }
    }
}

/// An organisation's objection to a version, with its reason, and beside it the proposer's
/// answer and its withdrawal, if any.
#[derive(SimpleObject)]
pub struct Objection {
    /// The version objected to.
    pub version: u32,
    /// The objecting organisation.
    pub organisation: Party,
    /// Why.
    pub reason: PlainText,
    /// Who objected for it, when.
    pub objected: Attribution,
    /// Whether it was acknowledged and answered (the proposer's answer, an amendment, the
    /// round's closing answers it).
    pub heard: HeardStatus,
    /// The distribution's proposer's answer, if given. An answer does not lift the objection.
    pub answer: Option<ObjectionAnswer>,
    /// Its withdrawal by its organisation, if withdrawn.
    pub withdrawal: Option<ObjectionWithdrawal>,
    /// Whether it is still the organisation's position on that version: false once
    /// withdrawn or replaced by a later consent. A standing objection on the open version
    /// blocks agreement.
    pub standing: bool,
}

impl Objection {
    fn new(scope: &Scope, d: &DistributionView, o: &ObjectionView) -> Self {
        Objection {
            version: o.version,
            organisation: scope.party(o.organisation_id),
            reason: (&o.reason).into(),
            objected: scope.attribution(&o.recorded),
            heard: scope.heard(&o.heard),
            answer: o.answer.as_ref().map(|a| ObjectionAnswer {
                text: (&a.answer).into(),
                answered: scope.attribution(&a.recorded),
            }),
            withdrawal: o.withdrawal.as_ref().map(|w| ObjectionWithdrawal {
                note: w.note.as_ref().map(Into::into),
                withdrawn: scope.attribution(&w.recorded),
            }),
            standing: d.is_standing(o.record),
        }
    }
}

/// The distribution's proposer's answer to an objection.
#[derive(SimpleObject)]
pub struct ObjectionAnswer {
    /// The answer.
    pub text: PlainText,
    /// Who answered, when.
    pub answered: Attribution,
}

/// An objection withdrawn by its organisation.
#[derive(SimpleObject)]
pub struct ObjectionWithdrawal {
    /// An optional note on why.
    pub note: Option<PlainText>,
    /// Who withdrew it (its author, or a lead of the same organisation), when.
    pub withdrawn: Attribution,
}

/// A round that ended without agreement.
#[derive(SimpleObject)]
pub struct RoundEnding {
    /// The version that was open.
    pub version: u32,
    /// Abandoned (a variation) or closed without agreement (by a facilitator).
    pub kind: RoundEndingKind,
    /// Why.
    pub reason: PlainText,
    /// Who ended it, when.
    pub ended: Attribution,
}

/// Why a distribution lapsed: its idea was withdrawn or declined.
#[derive(SimpleObject)]
pub struct DistributionLapse {
    /// Withdrawn or declined.
    pub cause: LapseCause,
    /// The idea's withdrawal reason, or the decline decision's rationale.
    pub reason: PlainText,
    /// Who withdrew or declined the idea, when.
    pub lapsed: Attribution,
}

/// A consent an amendment voided, as the amendment recorded it.
#[derive(SimpleObject)]
pub struct VoidedConsent {
    /// The organisation that had consented.
    pub organisation: Party,
    /// The version it had consented to.
    pub version: u32,
    /// Who had consented for it.
    pub consented_by: Uuid,
    /// Their name.
    pub consented_by_name: Option<String>,
    /// When.
    pub consented_at: DateTime<Utc>,
}

/// An agreement: every party consented to the same version.
#[derive(SimpleObject)]
pub struct Agreement {
    /// The agreed version.
    pub version: u32,
    /// The parties that consented.
    pub parties: Vec<Party>,
    /// Whose consent completed it, when.
    pub agreed: Attribution,
}
