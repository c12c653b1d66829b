//! A distribution's state, folded from its events. Every version and position stays recorded.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::event::DistributionEvent;
use super::terms::Terms;
use crate::ids::{DistributionId, HubId, IdeaId, MemberId, OrganisationId};
use crate::text::PlainText;

/// Where a distribution is in its life.
///
/// [`DistributionState::status`] holds what the distribution's own events say; the status
/// people see is [`Standing::status`](super::Standing::status), which also knows whether the
/// idea lapsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistributionStatus {
    /// The first round is open for consent (nothing agreed yet).
    #[default]
    Proposed,
    /// A version is agreed and in force. A variation round may be open meanwhile: the agreed
    /// version stays in force until a variation is agreed.
    Agreed,
    /// Withdrawn before agreement.
    Withdrawn,
    /// A facilitator closed the first round because it could not agree (nothing is in force).
    ClosedWithoutAgreement,
    /// The idea was withdrawn or declined while the first round was open. Never stored in
    /// [`DistributionState::status`]: it comes from the idea (see [`Lapse`](super::Lapse)).
    Lapsed,
}

/// How a version came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionKind {
    /// The first proposal.
    Proposal,
    /// An amendment before agreement.
    Amendment,
    /// A variation round after agreement.
    Variation,
}

/// One version of the terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionVersion {
    /// The version number.
    pub version: u32,
    /// How it came about.
    pub kind: VersionKind,
    /// The terms.
    pub terms: Terms,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// Who wrote it.
    pub by: MemberId,
    /// When it was proposed (deliberation time runs from here).
    pub at: DateTime<Utc>,
}

/// The distribution's proposer's answer to an objection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionAnswer {
    /// The answer, in plain words.
    pub answer: PlainText,
    /// Who answered (the proposer).
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// An objection withdrawn by its organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionWithdrawal {
    /// An optional note on why.
    pub note: Option<PlainText>,
    /// Who withdrew it (its author, or a lead of the same organisation).
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A consent or an objection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "position", rename_all = "snake_case")]
pub enum Position {
    /// Consented.
    Consented,
    /// Objected, with a reason.
    Objected {
        /// Why.
        reason: PlainText,
    },
}

impl Position {
    /// Whether this is a consent.
    pub fn is_consent(&self) -> bool {
        matches!(self, Position::Consented)
    }

    /// Whether this is an objection (withdrawn or not).
    pub fn is_objection(&self) -> bool {
        matches!(self, Position::Objected { .. })
    }
}

/// An organisation's position on a version, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// The version.
    pub version: u32,
    /// The organisation.
    pub organisation_id: OrganisationId,
    /// Consent or objection.
    pub position: Position,
    /// Who spoke for the organisation.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether a later amendment voided this consent.
    pub voided: bool,
    /// An objection's answer by the distribution's proposer, once given (it does not lift
    /// the objection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<ObjectionAnswer>,
    /// An objection's withdrawal by its organisation, if withdrawn (it no longer stands).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<ObjectionWithdrawal>,
}

impl PositionRecord {
    /// Whether the record itself still holds: a consent not voided, an objection not withdrawn.
    /// (A later record of the same organisation on the same version replaces it either way.)
    pub fn holds(&self) -> bool {
        match &self.position {
            Position::Consented => !self.voided,
            Position::Objected { .. } => self.withdrawal.is_none(),
        }
    }
}

/// How a round ended without an agreement (other than a withdrawal of the distribution).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundEndingKind {
    /// A variation round was abandoned; the agreed version stays in force.
    Abandoned,
    /// A facilitator closed the round because it could not agree.
    ClosedWithoutAgreement,
}

/// A round that ended without agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundEnding {
    /// The version that was open when it ended.
    pub version: u32,
    /// Abandoned or closed without agreement.
    pub kind: RoundEndingKind,
    /// Why.
    pub reason: PlainText,
    /// Who ended it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A recorded agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// The agreed version.
    pub version: u32,
    /// The parties.
    pub parties: Vec<OrganisationId>,
    /// Whose action completed it.
    pub by: MemberId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A distribution's state. `Default` is the state before it is proposed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionState {
    /// The distribution's id (nil until proposed).
    pub distribution_id: DistributionId,
    /// The idea it is for.
    pub idea_id: IdeaId,
    /// The hub.
    pub hub_id: HubId,
    /// Whether it has been proposed.
    pub proposed: bool,
    /// Who proposed it.
    pub proposed_by: Option<MemberId>,
    /// The status.
    pub status: DistributionStatus,
    /// Every version, oldest first.
    pub versions: Vec<DistributionVersion>,
    /// Every consent and objection, in order (voided consents stay, marked).
    pub positions: Vec<PositionRecord>,
    /// Every agreement, in order.
    pub agreements: Vec<Agreement>,
    /// Why it was withdrawn, if it was.
    pub withdrawal_reason: Option<PlainText>,
    /// Rounds that ended without agreement (abandoned variations, rounds closed by a
    /// facilitator), in order.
    pub round_endings: Vec<RoundEnding>,
}

impl DistributionState {
    /// Whether it has been proposed.
    pub fn exists(&self) -> bool {
        self.proposed
    }

    /// The latest version.
    pub fn latest(&self) -> Option<&DistributionVersion> {
        self.versions.last()
    }

    /// The latest version number (0 before proposal).
    pub fn version(&self) -> u32 {
        self.latest().map_or(0, |v| v.version)
    }

    /// The latest agreement, if any.
    pub fn agreed(&self) -> Option<&Agreement> {
        self.agreements.last()
    }

    /// Each organisation's latest record on a version (a consent or an objection, whether it
    /// still holds or not).
    pub fn positions_on(&self, version: u32) -> BTreeMap<OrganisationId, &PositionRecord> {
        let mut map = BTreeMap::new();
        for p in self.positions.iter().filter(|p| p.version == version) {
            map.insert(p.organisation_id, p);
        }
        map
    }

    /// An organisation's standing position on a version: its latest record there, if that
    /// still holds (a consent not voided, an objection not withdrawn).
    pub fn current_position(
        &self,
        organisation: OrganisationId,
        version: u32,
    ) -> Option<&PositionRecord> {
        self.positions
            .iter()
            .rfind(|p| p.version == version && p.organisation_id == organisation)
            .filter(|p| p.holds())
    }

    /// Whether the record at `index` of [`positions`](Self::positions) is its organisation's
    /// standing position on its version (the latest there, and still holding).
    pub fn is_standing(&self, index: usize) -> bool {
        let Some(record) = self.positions.get(index) else {
            return false;
        };
        record.holds()
            && !self.positions[index + 1..]
                .iter()
                .any(|p| p.version == record.version && p.organisation_id == record.organisation_id)
    }

    /// The version agreed most recently: it stays in force until a variation is agreed.
    pub fn in_force(&self) -> Option<u32> {
        self.agreed().map(|a| a.version)
    }

    /// The version open for consent according to the distribution's own events: the latest
    /// version of the first round, or of a variation round that has not ended. Whether the
    /// idea lapsed is not considered here; see [`standing`](Self::standing).
    pub fn open_version(&self) -> Option<u32> {
        let latest = self.latest()?.version;
        match self.status {
            DistributionStatus::Proposed => Some(latest),
            DistributionStatus::Agreed => {
                let ended = self.round_endings.iter().any(|e| e.version == latest);
                (self.in_force() != Some(latest) && !ended).then_some(latest)
            }
            _ => None,
        }
    }

    /// Whether a variation round is open (an agreed version in force, a newer one under
    /// discussion), by the distribution's own events.
    pub fn variation_open(&self) -> bool {
        self.status == DistributionStatus::Agreed && self.open_version().is_some()
    }

    /// Parties of the version the standing is about that have not (or no longer) consented
    /// to it. The same as `self.standing(None).missing`.
    pub fn missing_consents(&self) -> Vec<OrganisationId> {
        self.standing(None).missing
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &DistributionEvent) {
        match event {
            DistributionEvent::DistributionProposed(e) => {
                self.distribution_id = e.distribution_id;
                self.idea_id = e.idea_id;
                self.hub_id = e.hub_id;
                self.proposed = true;
                self.proposed_by = Some(e.by);
                self.status = DistributionStatus::Proposed;
                self.versions.push(DistributionVersion {
                    version: e.version,
                    kind: VersionKind::Proposal,
                    terms: e.terms.clone(),
                    rationale: None,
                    by: e.by,
                    at: e.at,
                });
            }
            DistributionEvent::DistributionAmended(e) => {
                for p in self.positions.iter_mut() {
                    if matches!(p.position, Position::Consented)
                        && e.voided_consents.iter().any(|v| {
                            v.organisation_id == p.organisation_id && v.version == p.version
                        })
                    {
                        p.voided = true;
                    }
                }
                self.versions.push(DistributionVersion {
                    version: e.version,
                    kind: VersionKind::Amendment,
                    terms: e.terms.clone(),
                    rationale: Some(e.rationale.clone()),
                    by: e.by,
                    at: e.at,
                });
            }
            DistributionEvent::DistributionConsented(e) => self.positions.push(PositionRecord {
                version: e.version,
                organisation_id: e.organisation_id,
                position: Position::Consented,
                by: e.by,
                at: e.at,
                voided: false,
                answer: None,
                withdrawal: None,
            }),
            DistributionEvent::DistributionObjected(e) => self.positions.push(PositionRecord {
                version: e.version,
                organisation_id: e.organisation_id,
                position: Position::Objected {
                    reason: e.reason.clone(),
                },
                by: e.by,
                at: e.at,
                voided: false,
                answer: None,
                withdrawal: None,
            }),
            DistributionEvent::ObjectionAnswered(e) => {
                if let Some(objection) = self.objection_mut(e.organisation_id, e.version) {
                    objection.answer = Some(ObjectionAnswer {
                        answer: e.answer.clone(),
                        by: e.by,
                        at: e.at,
                    });
                }
            }
            DistributionEvent::ObjectionWithdrawn(e) => {
                if let Some(objection) = self.objection_mut(e.organisation_id, e.version) {
                    objection.withdrawal = Some(ObjectionWithdrawal {
                        note: e.note.clone(),
                        by: e.by,
                        at: e.at,
                    });
                }
            }
            DistributionEvent::DistributionClosedWithoutAgreement(e) => {
                if self.agreements.is_empty() {
                    self.status = DistributionStatus::ClosedWithoutAgreement;
                }
                self.round_endings.push(RoundEnding {
                    version: e.version,
                    kind: RoundEndingKind::ClosedWithoutAgreement,
                    reason: e.reason.clone(),
                    by: e.by,
                    at: e.at,
                });
            }
            DistributionEvent::VariationAbandoned(e) => self.round_endings.push(RoundEnding {
                version: e.version,
                kind: RoundEndingKind::Abandoned,
                reason: e.reason.clone(),
                by: e.by,
                at: e.at,
            }),
            DistributionEvent::DistributionAgreed(e) => {
                self.status = DistributionStatus::Agreed;
                self.agreements.push(Agreement {
                    version: e.version,
                    parties: e.parties.clone(),
                    by: e.by,
                    at: e.at,
                });
            }
            DistributionEvent::DistributionWithdrawn(e) => {
                self.status = DistributionStatus::Withdrawn;
                self.withdrawal_reason = Some(e.reason.clone());
            }
            DistributionEvent::VariationRoundStarted(e) => {
                // The agreed version stays in force: the status stays `Agreed`.
                self.versions.push(DistributionVersion {
                    version: e.version,
                    kind: VersionKind::Variation,
                    terms: e.terms.clone(),
                    rationale: Some(e.rationale.clone()),
                    by: e.by,
                    at: e.at,
                });
            }
        }
    }

    /// The latest objection record of an organisation on a version, if its latest record
    /// there is an objection.
    fn objection_mut(
        &mut self,
        organisation: OrganisationId,
        version: u32,
    ) -> Option<&mut PositionRecord> {
        self.positions
            .iter_mut()
            .rfind(|p| p.version == version && p.organisation_id == organisation)
            .filter(|p| p.position.is_objection())
    }

    /// Folds events into a state, starting from this one.
    pub fn folded<'a>(mut self, events: impl IntoIterator<Item = &'a DistributionEvent>) -> Self {
        for e in events {
            self.apply(e);
        }
        self
    }
}

/// Evolves a distribution state by one event.
pub fn evolve(mut state: DistributionState, event: &DistributionEvent) -> DistributionState {
    state.apply(event);
    state
}
