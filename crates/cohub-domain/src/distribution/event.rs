//! What happened to a distribution.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::terms::Terms;
use crate::codec::event_codec;
use crate::ids::{DistributionId, HubId, IdeaId, MemberId, OrganisationId};
use crate::names::Names;
use crate::text::PlainText;

/// A distribution was proposed (version 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionProposed {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The idea it is for.
    pub idea_id: IdeaId,
    /// The hub.
    pub hub_id: HubId,
    /// Always 1.
    pub version: u32,
    /// The terms.
    pub terms: Terms,
    /// Who proposed it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A consent that an amendment voided (kept for the audit trail).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidedConsent {
    /// The organisation that had consented.
    pub organisation_id: OrganisationId,
    /// The version it had consented to.
    pub version: u32,
    /// Who had consented for it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The distribution was amended as a new version; earlier consents are void.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionAmended {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The new version number.
    pub version: u32,
    /// The new terms.
    pub terms: Terms,
    /// Why it changed.
    pub rationale: PlainText,
    /// The consents this amendment voided.
    pub voided_consents: Vec<VoidedConsent>,
    /// Who amended it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// An organisation consented to a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionConsented {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The version.
    pub version: u32,
    /// The consenting organisation.
    pub organisation_id: OrganisationId,
    /// Who consented for it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// An organisation objected to a version, with a reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionObjected {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The version.
    pub version: u32,
    /// The objecting organisation.
    pub organisation_id: OrganisationId,
    /// Why.
    pub reason: PlainText,
    /// Who objected for it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Every party consented to the same (latest) version: the distribution is agreed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionAgreed {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The agreed version.
    pub version: u32,
    /// The parties that consented.
    pub parties: Vec<OrganisationId>,
    /// Whose action completed the agreement.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The distribution was withdrawn before agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionWithdrawn {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// Why.
    pub reason: PlainText,
    /// Who.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A variation round started on an agreed distribution, with a new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariationRoundStarted {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The new version number.
    pub version: u32,
    /// The version agreed before (it stays recorded).
    pub agreed_version: u32,
    /// The proposed terms.
    pub terms: Terms,
    /// Why a variation is needed.
    pub rationale: PlainText,
    /// Who started it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The distribution's proposer answered an objection (the objection still stands).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionAnswered {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The version objected to.
    pub version: u32,
    /// The objecting organisation.
    pub organisation_id: OrganisationId,
    /// The answer, in plain words.
    pub answer: PlainText,
    /// Who answered (the proposer).
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// An organisation withdrew its objection: it no longer stands (and the organisation has no
/// position on that version until it consents or objects again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionWithdrawn {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The version objected to.
    pub version: u32,
    /// The objecting organisation.
    pub organisation_id: OrganisationId,
    /// Who had objected for it.
    pub objected_by: MemberId,
    /// An optional note on why.
    pub note: Option<PlainText>,
    /// Who withdrew it (the author, or a lead of the same organisation).
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A facilitator closed a round that could not agree. A first round closes the distribution
/// (nothing was ever agreed); a variation round closes and the agreed version stays in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionClosedWithoutAgreement {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The version that was open.
    pub version: u32,
    /// The agreed version that stays in force, if any.
    pub in_force_version: Option<u32>,
    /// Why it could not agree.
    pub reason: PlainText,
    /// Who closed it (a facilitator).
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A variation round was abandoned: the agreed version stays in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariationAbandoned {
    /// The distribution.
    pub distribution_id: DistributionId,
    /// The variation's version that was open.
    pub version: u32,
    /// The agreed version that stays in force.
    pub in_force_version: u32,
    /// Why.
    pub reason: PlainText,
    /// Who abandoned it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Something that happened to a distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum DistributionEvent {
    /// See [`DistributionProposed`].
    DistributionProposed(DistributionProposed),
    /// See [`DistributionAmended`].
    DistributionAmended(DistributionAmended),
    /// See [`DistributionConsented`].
    DistributionConsented(DistributionConsented),
    /// See [`DistributionObjected`].
    DistributionObjected(DistributionObjected),
    /// See [`DistributionAgreed`].
    DistributionAgreed(DistributionAgreed),
    /// See [`DistributionWithdrawn`].
    DistributionWithdrawn(DistributionWithdrawn),
    /// See [`VariationRoundStarted`].
    VariationRoundStarted(VariationRoundStarted),
    /// See [`ObjectionAnswered`].
    ObjectionAnswered(ObjectionAnswered),
    /// See [`ObjectionWithdrawn`].
    ObjectionWithdrawn(ObjectionWithdrawn),
    /// See [`DistributionClosedWithoutAgreement`].
    DistributionClosedWithoutAgreement(DistributionClosedWithoutAgreement),
    /// See [`VariationAbandoned`].
    VariationAbandoned(VariationAbandoned),
}

event_codec!(DistributionEvent {
    DistributionProposed(DistributionProposed) = "DistributionProposed",
    DistributionAmended(DistributionAmended) = "DistributionAmended",
    DistributionConsented(DistributionConsented) = "DistributionConsented",
    DistributionObjected(DistributionObjected) = "DistributionObjected",
    DistributionAgreed(DistributionAgreed) = "DistributionAgreed",
    DistributionWithdrawn(DistributionWithdrawn) = "DistributionWithdrawn",
    VariationRoundStarted(VariationRoundStarted) = "VariationRoundStarted",
    ObjectionAnswered(ObjectionAnswered) = "ObjectionAnswered",
    ObjectionWithdrawn(ObjectionWithdrawn) = "ObjectionWithdrawn",
    DistributionClosedWithoutAgreement(DistributionClosedWithoutAgreement) = "DistributionClosedWithoutAgreement",
    VariationAbandoned(VariationAbandoned) = "VariationAbandoned",
});

impl DistributionEvent {
    /// The distribution the event belongs to.
    pub fn distribution_id(&self) -> DistributionId {
        match self {
            DistributionEvent::DistributionProposed(e) => e.distribution_id,
            DistributionEvent::DistributionAmended(e) => e.distribution_id,
            DistributionEvent::DistributionConsented(e) => e.distribution_id,
            DistributionEvent::DistributionObjected(e) => e.distribution_id,
            DistributionEvent::DistributionAgreed(e) => e.distribution_id,
            DistributionEvent::DistributionWithdrawn(e) => e.distribution_id,
            DistributionEvent::VariationRoundStarted(e) => e.distribution_id,
            DistributionEvent::ObjectionAnswered(e) => e.distribution_id,
            DistributionEvent::ObjectionWithdrawn(e) => e.distribution_id,
            DistributionEvent::DistributionClosedWithoutAgreement(e) => e.distribution_id,
            DistributionEvent::VariationAbandoned(e) => e.distribution_id,
        }
    }

    /// Who did it.
    pub fn by(&self) -> MemberId {
        match self {
            DistributionEvent::DistributionProposed(e) => e.by,
            DistributionEvent::DistributionAmended(e) => e.by,
            DistributionEvent::DistributionConsented(e) => e.by,
            DistributionEvent::DistributionObjected(e) => e.by,
            DistributionEvent::DistributionAgreed(e) => e.by,
            DistributionEvent::DistributionWithdrawn(e) => e.by,
            DistributionEvent::VariationRoundStarted(e) => e.by,
            DistributionEvent::ObjectionAnswered(e) => e.by,
            DistributionEvent::ObjectionWithdrawn(e) => e.by,
            DistributionEvent::DistributionClosedWithoutAgreement(e) => e.by,
            DistributionEvent::VariationAbandoned(e) => e.by,
        }
    }

    /// When it happened (as decided).
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            DistributionEvent::DistributionProposed(e) => e.at,
            DistributionEvent::DistributionAmended(e) => e.at,
            DistributionEvent::DistributionConsented(e) => e.at,
            DistributionEvent::DistributionObjected(e) => e.at,
            DistributionEvent::DistributionAgreed(e) => e.at,
            DistributionEvent::DistributionWithdrawn(e) => e.at,
            DistributionEvent::VariationRoundStarted(e) => e.at,
            DistributionEvent::ObjectionAnswered(e) => e.at,
            DistributionEvent::ObjectionWithdrawn(e) => e.at,
            DistributionEvent::DistributionClosedWithoutAgreement(e) => e.at,
            DistributionEvent::VariationAbandoned(e) => e.at,
        }
    }

    /// The stream the event belongs to.
    pub fn stream_id(&self) -> String {
        self.distribution_id().stream_id()
    }

    /// A plain-language description of what happened.
    pub fn summary(&self, names: &dyn Names) -> String {
        let who = names.member(self.by());
        let list = |ids: &[OrganisationId]| {
            ids.iter()
                .map(|id| names.organisation(*id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            DistributionEvent::DistributionProposed(e) => format!(
                "{who} proposed version 1 of a cost and reward distribution between {}.",
                list(&e.terms.parties)
            ),
            DistributionEvent::DistributionAmended(e) => {
                let voided = if e.voided_consents.is_empty() {
                    String::new()
                } else {
                    let orgs: Vec<_> = e.voided_consents.iter().map(|c| c.organisation_id).collect();
                    format!(" This voided the consents of {}.", list(&orgs))
                };
                format!(
                    "{who} amended the distribution as version {}: {}{voided}",
                    e.version, e.rationale
                )
            }
            DistributionEvent::DistributionConsented(e) => format!(
                "{} consented to version {} ({who}).",
                names.organisation(e.organisation_id),
                e.version
            ),
            DistributionEvent::DistributionObjected(e) => format!(
                "{} objected to version {}: {}",
                names.organisation(e.organisation_id),
                e.version,
                e.reason
            ),
            DistributionEvent::DistributionAgreed(e) => format!(
                "Version {} was agreed by every party: {}.",
                e.version,
                list(&e.parties)
            ),
            DistributionEvent::DistributionWithdrawn(e) => {
                format!("{who} withdrew the distribution: {}", e.reason)
            }
            DistributionEvent::VariationRoundStarted(e) => format!(
                "{who} started a variation round with version {} (version {} stays agreed and in force until a variation is agreed): {}",
                e.version, e.agreed_version, e.rationale
            ),
            DistributionEvent::ObjectionAnswered(e) => format!(
                "{who} answered the objection of {} to version {}: {}",
                names.organisation(e.organisation_id),
                e.version,
                e.answer
            ),
            DistributionEvent::ObjectionWithdrawn(e) => {
                let note = e
                    .note
                    .as_ref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_else(|| ".".to_string());
                format!(
                    "{} withdrew its objection to version {} ({who}){note}",
                    names.organisation(e.organisation_id),
                    e.version
                )
            }
            DistributionEvent::DistributionClosedWithoutAgreement(e) => match e.in_force_version {
                Some(v) => format!(
                    "{who} closed the variation round on version {} without agreement; version {v} stays in force: {}",
                    e.version, e.reason
                ),
                None => format!(
                    "{who} closed the round on version {} without agreement, so nothing was agreed: {}",
                    e.version, e.reason
                ),
            },
            DistributionEvent::VariationAbandoned(e) => format!(
                "{who} abandoned the variation in version {}; version {} stays agreed and in force: {}",
                e.version, e.in_force_version, e.reason
            ),
        }
    }
}
