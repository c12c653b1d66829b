//! Cost/reward distributions: every version with parties, costs, rewards and shares; consents
//! per version (voided ones marked), objections with reasons, agreements, status.

use super::common::{Attribution, HeardStatus, Party, PlainText, Scope};
use super::enums::{CostKind, DistributionStatus, RewardKind, VersionKind};
use super::idea::{Idea, Withdrawal};
use async_graphql::{Object, SimpleObject};
use chrono::{DateTime, Utc};
use cohub_domain::DistributionId;
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
        self.view().status.into()
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
    /// The latest version.
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
    /// Every consent, in order; consents an amendment voided stay, marked `voided`.
    async fn consents(&self) -> Vec<Consent> {
        self.view()
            .consents
            .iter()
            .map(|c| Consent::new(&self.scope, c))
            .collect()
    }
    /// The consents amendments voided.
    async fn voided_consents(&self) -> Vec<Consent> {
        self.view()
            .voided_consents()
            .into_iter()
            .map(|c| Consent::new(&self.scope, c))
            .collect()
    }
    /// Every objection with its reason, in order.
    async fn objections(&self) -> Vec<Objection> {
        self.view()
            .objections
            .iter()
            .map(|o| Objection::new(&self.scope, o))
            .collect()
    }
    /// Parties of the latest version that have not consented to it yet.
    async fn missing_consents(&self) -> Vec<Party> {
        self.view()
            .missing_consents()
            .into_iter()
            .map(|p| self.scope.party(p))
            .collect()
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
    /// Every consent given to this version (voided ones marked).
    async fn consents(&self) -> Vec<Consent> {
        self.distribution()
            .consents
            .iter()
            .filter(|c| c.version == self.version)
            .map(|c| Consent::new(&self.scope, c))
            .collect()
    }
    /// The objections to this version.
    async fn objections(&self) -> Vec<Objection> {
        self.distribution()
            .objections_on(self.version)
            .into_iter()
            .map(|o| Objection::new(&self.scope, o))
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
}

impl Consent {
    fn new(scope: &Scope, c: &ConsentView) -> Self {
        Consent {
            version: c.version,
            organisation: scope.party(c.organisation_id),
            consented: scope.attribution(&c.recorded),
            voided: c.voided.is_some(),
            voided_by_version: c.voided.as_ref().map(|v| v.by_version),
            voided_by: c.voided.as_ref().map(|v| scope.attribution(&v.recorded)),
        }
    }
}

/// An organisation's objection to a version, with its reason.
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
    /// Whether it was acknowledged and answered (an amendment answers it).
    pub heard: HeardStatus,
}

impl Objection {
    fn new(scope: &Scope, o: &ObjectionView) -> Self {
        Objection {
            version: o.version,
            organisation: scope.party(o.organisation_id),
            reason: (&o.reason).into(),
            objected: scope.attribution(&o.recorded),
            heard: scope.heard(&o.heard),
        }
    }
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
