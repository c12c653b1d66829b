//! The cost/reward distribution read model: every version of the terms, consents per version,
//! the consents amendments voided, objections with reasons, agreements and status.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cohub_domain::distribution::{DistributionEvent, DistributionStatus, Terms, VersionKind};
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
    /// The status.
    pub status: DistributionStatus,
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
    /// The distribution's latest event.
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

    /// The standing (not voided) consents to a version.
    pub fn consents_on(&self, version: u32) -> Vec<&ConsentView> {
        self.consents
            .iter()
            .filter(|c| c.version == version && c.voided.is_none())
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

    /// Parties of the latest version that have not consented to it.
    pub fn missing_consents(&self) -> Vec<OrganisationId> {
        let latest = self.latest();
        let consents = self.consents_on(latest.version);
        latest
            .terms
            .parties
            .iter()
            .filter(|p| !consents.iter().any(|c| c.organisation_id == **p))
            .copied()
            .collect()
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
            .filter(|d| status.is_none_or(|s| d.status == s))
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
            .push(e.distribution_id);
        model.distributions.insert(
            e.distribution_id,
            Arc::new(DistributionView {
                id: e.distribution_id,
                idea_id: e.idea_id,
                hub_id: e.hub_id,
                proposed: rec.clone(),
                status: DistributionStatus::Proposed,
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
                updated: rec.clone(),
            }),
        );
        return Ok(());
    }
    let d = model.distribution_mut(event.distribution_id(), position)?;
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
            answer_objections(d, rec);
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
        }),
        DistributionEvent::DistributionObjected(e) => d.objections.push(ObjectionView {
            version: e.version,
            organisation_id: e.organisation_id,
            reason: e.reason.clone(),
            recorded: rec.clone(),
            heard: Heard::default(),
        }),
        DistributionEvent::DistributionAgreed(e) => {
            d.status = DistributionStatus::Agreed;
            d.agreed_version = Some(e.version);
            d.agreements.push(AgreementView {
                version: e.version,
                parties: e.parties.clone(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::DistributionWithdrawn(e) => {
            d.status = DistributionStatus::Withdrawn;
            for o in &mut d.objections {
                let author = o.recorded.member_id;
                o.heard
                    .answer_unless_author(author, AnswerKind::Withdrawal, rec);
            }
            d.withdrawal = Some(Withdrawal {
                reason: e.reason.clone(),
                recorded: rec.clone(),
            });
        }
        DistributionEvent::VariationRoundStarted(e) => {
            d.status = DistributionStatus::Proposed;
            d.round += 1;
            answer_objections(d, rec);
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
    }
    d.updated = rec.clone();
    Ok(())
}

/// A new version answers every objection to earlier versions made by someone else.
fn answer_objections(d: &mut DistributionView, rec: &Recorded) {
    for o in &mut d.objections {
        let author = o.recorded.member_id;
        o.heard
            .answer_unless_author(author, AnswerKind::Amendment, rec);
    }
}
