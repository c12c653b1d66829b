//! A distribution's state, folded from its events. Every version and position stays recorded.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::event::DistributionEvent;
use super::terms::Terms;
use crate::ids::{DistributionId, HubId, IdeaId, MemberId, OrganisationId};
use crate::text::PlainText;

/// Where a distribution is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistributionStatus {
    /// A version is open for consent (first round or a variation round).
    #[default]
    Proposed,
    /// The latest version is agreed.
    Agreed,
    /// Withdrawn before agreement.
    Withdrawn,
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

    /// Each organisation's current position on a version (its latest consent or objection).
    pub fn positions_on(&self, version: u32) -> BTreeMap<OrganisationId, &PositionRecord> {
        let mut map = BTreeMap::new();
        for p in self.positions.iter().filter(|p| p.version == version) {
            map.insert(p.organisation_id, p);
        }
        map
    }

    /// Parties of the latest version that have not (or no longer) consented to it.
    pub fn missing_consents(&self) -> Vec<OrganisationId> {
        let Some(latest) = self.latest() else {
            return Vec::new();
        };
        let positions = self.positions_on(latest.version);
        latest
            .terms
            .parties
            .iter()
            .filter(|p| {
                !matches!(
                    positions.get(p).map(|r| &r.position),
                    Some(Position::Consented)
                )
            })
            .copied()
            .collect()
    }

    /// Organisations whose current position on the latest version is an objection.
    pub fn open_objections(&self) -> Vec<&PositionRecord> {
        self.positions_on(self.version())
            .into_values()
            .filter(|r| matches!(r.position, Position::Objected { .. }))
            .collect()
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
                self.status = DistributionStatus::Proposed;
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
