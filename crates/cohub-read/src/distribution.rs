//! The cost/reward distribution read model: every version of the terms, consents per version,
//! the consents amendments voided, objections with reasons (and their answers and withdrawals),
//! agreements, rounds that ended without agreement, the idea's lapse, and where it stands.
//!
//! Where it stands (status, the version in force and the one open, who consented, who objects,
//! who is missing) is never worked out here: each view keeps the domain's own
//! [`DistributionState`], folded from the same events, and asks it
//! ([`DistributionState::standing`]), with the idea's lapse as the decider sees it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cohub_domain::distribution::{
    DistributionEvent, DistributionState, DistributionStatus, Lapse, RoundEndingKind, Standing,
    Terms, VersionKind,
};
use cohub_domain::idea::IdeaEvent;
use cohub_domain::text::PlainText;
use cohub_domain::{DistributionId, HubId, IdeaId, MemberId, OrganisationId};
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::heard::{AnswerKind, Heard};
use crate::model::ReadModel;
use crate::page::{page, Page};
use crate::recorded::{Recorded, Withdrawal};

/// A consent an amendment voided, as the amendment recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidedConsentView {
    /// The organisation that had consented.
    pub organisation_id: OrganisationId,
    /// The version it had consented to.
    pub version: u32,
    /// Who had consented for it.
    pub consented_by: MemberId,
    /// When (as decided).
    pub consented_at: DateTime<Utc>,
}

/// One version of a distribution's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionVersionView {
    /// The version (1, 2, ...).
    pub version: u32,
    /// Proposal, amendment or variation.
    pub kind: VersionKind,
    /// The round: 1 until agreement, then one more per variation round.
    pub round: u32,
    /// Parties, costs, rewards with shares, terms.
    pub terms: Terms,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// The consents this version voided (amendments only).
    pub voided_consents: Vec<VoidedConsentView>,
    /// Who wrote it, when.
    pub recorded: Recorded,
}

/// Which later version voided a consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voiding {
    /// The version whose amendment voided it.
    pub by_version: u32,
    /// Who amended, when.
    pub recorded: Recorded,
}

/// An organisation's consent to a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    /// The version consented to.
    pub version: u32,
    /// The organisation consenting.
    pub organisation_id: OrganisationId,
    /// Who consented for it, when.
    pub recorded: Recorded,
    /// The amendment that voided it, if one did.
    pub voided: Option<Voiding>,
    /// Its index in the domain state's positions (see [`DistributionView::is_standing`]).
    pub record: usize,
}

/// The proposer's answer to an objection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionAnswerView {
    /// The answer.
    pub answer: PlainText,
    /// Who answered, when.
    pub recorded: Recorded,
}

/// The withdrawal of an objection by its organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionWithdrawalView {
    /// An optional note.
    pub note: Option<PlainText>,
    /// Who withdrew it, when.
    pub recorded: Recorded,
}

/// An organisation's objection to a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionView {
    /// The version objected to.
    pub version: u32,
    /// The organisation objecting.
    pub organisation_id: OrganisationId,
    /// Why.
    pub reason: PlainText,
    /// Who objected for it, when.
    pub recorded: Recorded,
    /// Whether it was acknowledged and answered.
    pub heard: Heard,
    /// The proposer's answer, shown beside it (it does not lift the objection).
    pub answer: Option<ObjectionAnswerView>,
    /// Its withdrawal by its organisation, if withdrawn.
    pub withdrawal: Option<ObjectionWithdrawalView>,
    /// Its index in the domain state's positions (see [`DistributionView::is_standing`]).
    pub record: usize,
}

/// A round that ended without agreement: an abandoned variation, or a round a facilitator
/// closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundEndingView {
    /// The version that was open.
    pub version: u32,
    /// Abandoned or closed without agreement.
    pub kind: RoundEndingKind,
    /// Why.
    pub reason: PlainText,
    /// Who ended it, when.
    pub recorded: Recorded,
}

/// The idea's withdrawal or decline, which lapsed the distribution's open round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LapseView {
    /// What happened to the idea, and why.
    pub lapse: Lapse,
    /// The idea's event: who withdrew or declined it, when.
    pub recorded: Recorded,
}

/// An agreement: every party consented to the same version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementView {
    /// The agreed version.
    pub version: u32,
    /// The parties that consented.
    pub parties: Vec<OrganisationId>,
    /// Whose consent completed it, when.
    pub recorded: Recorded,
}

/// A cost/reward distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionView {
    /// Its id.
    pub id: DistributionId,
    /// The idea it is for.
    pub idea_id: IdeaId,
    /// Its hub.
    pub hub_id: HubId,
    /// Who proposed it, for which organisation, when.
    pub proposed: Recorded,
    /// The current round (1 until a variation round starts).
    pub round: u32,
    /// Every version, oldest first (never empty).
    pub versions: Vec<DistributionVersionView>,
    /// Every consent, in order (voided ones stay, marked).
    pub consents: Vec<ConsentView>,
    /// Every objection, in order.
    pub objections: Vec<ObjectionView>,
    /// Every agreement, in order.
    pub agreements: Vec<AgreementView>,
    /// The version agreed most recently, if any.
    pub agreed_version: Option<u32>,
    /// Why and by whom it was withdrawn, if it was.
    pub withdrawal: Option<Withdrawal>,
    /// Rounds that ended without agreement, in order.
    pub round_endings: Vec<RoundEndingView>,
    /// The idea's withdrawal or decline, once it happened.
    pub lapse: Option<LapseView>,
    /// The domain's own state, folded from the same events: the one source of its standing.
    pub state: DistributionState,
    /// The latest event that changed it (its own, or its idea's withdrawal or decline).
    pub updated: Recorded,
}

impl DistributionView {
    /// The cursor of this distribution in lists: the position it was proposed at.
    pub fn cursor(&self) -> u64 {
        self.proposed.position
    }

    /// The latest version.
    pub fn latest(&self) -> &DistributionVersionView {
        self.versions
            .last()
            .expect("a distribution has at least one version")
    }

    /// A version by number.
    pub fn version(&self, version: u32) -> Option<&DistributionVersionView> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// Where it stands, by the domain's rule: status, the versions in force and open, who
    /// consented, who objects, who is missing, the lapse.
    pub fn standing(&self) -> Standing {
        self.state.standing(self.lapse.as_ref().map(|l| &l.lapse))
    }

    /// The status people see (the standing's).
    pub fn status(&self) -> DistributionStatus {
        self.standing().status
    }

    /// The agreed version in force, if any.
    pub fn in_force(&self) -> Option<&DistributionVersionView> {
        self.standing().in_force.and_then(|v| self.version(v))
    }

    /// The version open for consent, if a round is open.
    pub fn open_version(&self) -> Option<&DistributionVersionView> {
        self.standing().open_version.and_then(|v| self.version(v))
    }

    /// Whether the consent or objection recorded at `record` is still its organisation's
    /// position on its version (not voided, not withdrawn, not replaced by a later one).
    pub fn is_standing(&self, record: usize) -> bool {
        self.state.is_standing(record)
    }

    /// The standing consents to a version (not voided, not replaced by a later objection).
    pub fn consents_on(&self, version: u32) -> Vec<&ConsentView> {
        self.consents
            .iter()
            .filter(|c| c.version == version && self.is_standing(c.record))
            .collect()
    }

    /// Every consent that an amendment voided.
    pub fn voided_consents(&self) -> Vec<&ConsentView> {
        self.consents
            .iter()
            .filter(|c| c.voided.is_some())
            .collect()
    }

    /// The objections to a version.
    pub fn objections_on(&self, version: u32) -> Vec<&ObjectionView> {
        self.objections
            .iter()
            .filter(|o| o.version == version)
            .collect()
    }

    /// Parties of the version the standing is about (open, else in force) without a standing
    /// consent to it.
    pub fn missing_consents(&self) -> Vec<OrganisationId> {
        self.standing().missing
    }
}

impl ReadModel {
    /// A distribution by id.
    pub fn distribution(&self, id: DistributionId) -> Option<&DistributionView> {
        self.distributions.get(&id).map(Arc::as_ref)
    }

    /// A hub's distributions, optionally for one idea and in one status, in the order they were
    /// proposed (cursor: [`DistributionView::cursor`]).
    pub fn distributions(
        &self,
        hub_id: HubId,
        idea_id: Option<IdeaId>,
        status: Option<DistributionStatus>,
        page_of: Page,
    ) -> Vec<&DistributionView> {
        let Some(hub) = self.hub(hub_id) else {
            return Vec::new();
        };
        let v: Vec<_> = hub
            .distribution_ids
            .iter()
            .filter_map(|id| self.distribution(*id))
            .filter(|d| idea_id.is_none_or(|i| d.idea_id == i))
            .filter(|d| status.is_none_or(|s| d.status() == s))
            .collect();
        page(v, page_of, |d| d.cursor())
    }
}

/// Folds a distribution event into the model.
pub(crate) fn apply(
    model: &mut ReadModel,
    rec: &Recorded,
    event: &DistributionEvent,
) -> Result<(), ReadError> {
    let position = rec.position;
    if let DistributionEvent::DistributionProposed(e) = event {
        if model.distributions.contains_key(&e.distribution_id) {
            return Err(ReadError::Inconsistent {
                position,
                message: format!("distribution {} was already proposed", e.distribution_id),
            });
        }
        model.hub_mut(e.hub_id, position)?;
        model
            .idea_mut(e.idea_id, position)?
            .distribution_ids
            .push(e.distribution_id);
        model
            .hub_mut(e.hub_id, position)?
            .distribution_ids
            .push_back(e.distribution_id);
        model.distributions.insert(
            e.distribution_id,
            Arc::new(DistributionView {
                id: e.distribution_id,
                idea_id: e.idea_id,
                hub_id: e.hub_id,
                proposed: rec.clone(),
                round: 1,
                versions: vec![DistributionVersionView {
                    version: e.version,
                    kind: VersionKind::Proposal,
                    round: 1,
                    terms: e.terms.clone(),
                    rationale: None,
                    voided_consents: Vec::new(),
                    recorded: rec.clone(),
                }],
                consents: Vec::new(),
                objections: Vec::new(),
                agreements: Vec::new(),
                agreed_version: None,
                withdrawal: None,
                round_endings: Vec::new(),
                lapse: None,
                state: DistributionState::default().folded([event]),
                updated: rec.clone(),
            }),
        );
        return Ok(());
    }
    let d = model.distribution_mut(event.distribution_id(), position)?;
    let record = d.state.positions.len();
    match event {
        DistributionEvent::DistributionProposed(_) => unreachable!("handled above"),
        DistributionEvent::DistributionAmended(e) => {
            for v in &e.voided_consents {
                for c in d.consents.iter_mut().filter(|c| {
                    c.voided.is_none()
                        && c.organisation_id == v.organisation_id
                        && c.version == v.version
                }) {
                    c.voided = Some(Voiding {
                        by_version: e.version,
                        recorded: rec.clone(),
                    });
                }
            }
            answer_objections(d, AnswerKind::Amendment, rec);
            d.versions.push(DistributionVersionView {
                version: e.version,
                kind: VersionKind::Amendment,
                round: d.round,
                terms: e.terms.clone(),
                rationale: Some(e.rationale.clone()),
                voided_consents: e
                    .voided_consents
                    .iter()
                    .map(|v| VoidedConsentView {
                        organisation_id: v.organisation_id,
                        version: v.version,
                        consented_by: v.by,
                        consented_at: v.at,
                    })
                    .collect(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::DistributionConsented(e) => d.consents.push(ConsentView {
            version: e.version,
            organisation_id: e.organisation_id,
            recorded: rec.clone(),
            voided: None,
            record,
        }),
        DistributionEvent::DistributionObjected(e) => d.objections.push(ObjectionView {
            version: e.version,
            organisation_id: e.organisation_id,
            reason: e.reason.clone(),
            recorded: rec.clone(),
            heard: Heard::default(),
            answer: None,
            withdrawal: None,
            record,
        }),
        DistributionEvent::ObjectionAnswered(e) => {
            let o = objection_mut(d, e.organisation_id, e.version, position)?;
            let author = o.recorded.member_id;
            o.heard
                .answer_unless_author(author, AnswerKind::Answer, rec);
            o.answer = Some(ObjectionAnswerView {
                answer: e.answer.clone(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::ObjectionWithdrawn(e) => {
            let o = objection_mut(d, e.organisation_id, e.version, position)?;
            o.withdrawal = Some(ObjectionWithdrawalView {
                note: e.note.clone(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::DistributionAgreed(e) => {
            d.agreed_version = Some(e.version);
            d.agreements.push(AgreementView {
                version: e.version,
                parties: e.parties.clone(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::DistributionWithdrawn(e) => {
            answer_objections(d, AnswerKind::Withdrawal, rec);
            d.withdrawal = Some(Withdrawal {
                reason: e.reason.clone(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::VariationRoundStarted(e) => {
            d.round += 1;
            answer_objections(d, AnswerKind::Amendment, rec);
            d.versions.push(DistributionVersionView {
                version: e.version,
                kind: VersionKind::Variation,
                round: d.round,
                terms: e.terms.clone(),
                rationale: Some(e.rationale.clone()),
                voided_consents: Vec::new(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::DistributionClosedWithoutAgreement(e) => {
            answer_objections(d, AnswerKind::Closure, rec);
            d.round_endings.push(RoundEndingView {
                version: e.version,
                kind: RoundEndingKind::ClosedWithoutAgreement,
                reason: e.reason.clone(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::VariationAbandoned(e) => {
            answer_objections(d, AnswerKind::Abandonment, rec);
            d.round_endings.push(RoundEndingView {
                version: e.version,
                kind: RoundEndingKind::Abandoned,
                reason: e.reason.clone(),
                recorded: rec.clone(),
            });
        }
    }
    d.state.apply(event);
    d.updated = rec.clone();
    Ok(())
}

/// The objection view of an organisation's latest record on a version.
fn objection_mut(
    d: &mut DistributionView,
    organisation: OrganisationId,
    version: u32,
    position: u64,
) -> Result<&mut ObjectionView, ReadError> {
    let record = d
        .state
        .positions
        .iter()
        .rposition(|p| p.version == version && p.organisation_id == organisation);
    d.objections
        .iter_mut()
        .find(|o| Some(o.record) == record)
        .ok_or_else(|| ReadError::Inconsistent {
            position,
            message: format!(
                "organisation {organisation} has no objection to version {version} of distribution {}",
                d.id
            ),
        })
}

/// Folds an idea event's consequence for its distributions: a withdrawal or a decline lapses
/// them (each one's standing then says what that means for it).
pub(crate) fn apply_idea_event(
    model: &mut ReadModel,
    rec: &Recorded,
    event: &IdeaEvent,
) -> Result<(), ReadError> {
    let Some(lapse) = Lapse::from_idea_event(event) else {
        return Ok(());
    };
    let ids = model
        .idea(event.idea_id())
        .map(|i| i.distribution_ids.clone())
        .unwrap_or_default();
    for id in ids {
        let d = model.distribution_mut(id, rec.position)?;
        if d.lapse.is_none() {
            d.lapse = Some(LapseView {
                lapse: lapse.clone(),
                recorded: rec.clone(),
            });
            d.updated = rec.clone();
        }
    }
    Ok(())
}

/// Answers every objection made by someone else than the answerer (a new version, the
/// distribution's withdrawal, the round's closing or abandonment).
fn answer_objections(d: &mut DistributionView, kind: AnswerKind, rec: &Recorded) {
    for o in &mut d.objections {
        let author = o.recorded.member_id;
        o.heard.answer_unless_author(author, kind, rec);
    }
}
