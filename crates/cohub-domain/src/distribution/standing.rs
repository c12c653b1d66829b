//! The one rule for where a distribution stands: its status, which version is in force and
//! which is open, and who has consented, who objects and who is still missing.
//!
//! `decide` refuses and agrees by it, the read model shows it, and the `distributionStatus`
//! subscription sends it; none of them has a copy of the rule.

use serde::{Deserialize, Serialize};

use super::lapse::Lapse;
use super::state::{DistributionState, DistributionStatus, Position};
use crate::ids::OrganisationId;

/// Where a distribution stands, as [`DistributionState::standing`] computes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The status people see: `Lapsed` when the idea went while the first round was open.
    pub status: DistributionStatus,
    /// The version the positions below are about: the one open for consent, else the one in
    /// force, else the latest.
    pub version: u32,
    /// The version open for consent, if a round is open (the first round, or a variation
    /// round while the agreed version stays in force). None once the idea lapsed.
    pub open_version: Option<u32>,
    /// The agreed version in force, if any (it stays in force while a variation is discussed,
    /// when a variation is abandoned or closed, and when the idea lapses).
    pub in_force: Option<u32>,
    /// Parties of `version` whose standing position on it is a consent, in party order.
    pub consented: Vec<OrganisationId>,
    /// Parties of `version` without a standing consent to it (none yet, voided by an
    /// amendment, replaced by an objection, or an objection withdrawn), in party order.
    pub missing: Vec<OrganisationId>,
    /// Organisations (parties or not) whose standing position on `version` is an objection.
    pub objecting: Vec<OrganisationId>,
    /// The idea's withdrawal or decline, if it happened: no round can open or go on.
    pub lapse: Option<Lapse>,
}

impl Standing {
    /// Whether a variation round is open while an agreed version stays in force.
    pub fn variation_open(&self) -> bool {
        self.in_force.is_some() && self.open_version.is_some()
    }

    /// Whether the open version has every party's consent and no standing objection (the
    /// deliberation time aside). False when no round is open.
    pub fn agreeable(&self) -> bool {
        self.open_version.is_some() && self.missing.is_empty() && self.objecting.is_empty()
    }
}

impl DistributionState {
    /// Where the distribution stands, given whether its idea lapsed (withdrawn or declined).
    ///
    /// An organisation's position on a version is its latest record there, if that still
    /// holds: a consent made before an objection no longer counts, a voided consent never
    /// counts, a withdrawn objection leaves no position at all.
    pub fn standing(&self, lapse: Option<&Lapse>) -> Standing {
        let in_force = self.in_force();
        let own_open = self.open_version();
        let status = match self.status {
            DistributionStatus::Proposed if lapse.is_some() => DistributionStatus::Lapsed,
            s => s,
        };
        let open_version = own_open.filter(|_| lapse.is_none());
        let latest = self.version();
        let version = open_version.or(in_force).unwrap_or(latest);
        let parties = self
            .versions
            .iter()
            .find(|v| v.version == version)
            .map(|v| v.terms.parties.as_slice())
            .unwrap_or_default();
        let consents = |org: &OrganisationId| {
            self.current_position(*org, version)
                .is_some_and(|p| p.position.is_consent())
        };
        let consented: Vec<_> = parties.iter().filter(|p| consents(p)).copied().collect();
        let missing: Vec<_> = parties.iter().filter(|p| !consents(p)).copied().collect();
        let objecting = self
            .positions_on(version)
            .into_iter()
            .filter(|(_, p)| p.holds() && matches!(p.position, Position::Objected { .. }))
            .map(|(org, _)| org)
            .collect();
        Standing {
            status,
            version,
            open_version,
            in_force,
            consented,
            missing,
            objecting,
            lapse: lapse.cloned(),
        }
    }
}
