//! Deciding which events a distribution command produces.

use chrono::{DateTime, Utc};

use super::command::DistributionCommand;
use super::event::*;
use super::state::{DistributionState, DistributionStatus, Position};
use crate::actor::{resolve, Actor};
use crate::error::{DomainError, Rule};
use crate::hub::HubState;
use crate::idea::IdeaState;
use crate::ids::MemberId;
use crate::text::TextLimit;
use crate::time::describe_seconds;

/// What a distribution decision needs besides the distribution's own state.
#[derive(Clone, Copy, Debug)]
pub struct DistributionContext<'a> {
    /// The hub the distribution belongs to.
    pub hub: &'a HubState,
    /// The idea it is for (required to propose; optional otherwise).
    pub idea: Option<&'a IdeaState>,
}

/// Decides the events for a distribution command by `actor` at `now`.
///
/// Consent and objection are given by an authorised member (a lead or facilitator) for their
/// own organisation. Only parties consent; any organisation of the hub may object. When a
/// consent completes the set and the deliberation time has passed, `DistributionAgreed`
/// follows it in the same decision.
pub fn decide(
    state: &DistributionState,
    ctx: &DistributionContext<'_>,
    command: &DistributionCommand,
    actor: MemberId,
    now: DateTime<Utc>,
) -> Result<Vec<DistributionEvent>, DomainError> {
    if let DistributionCommand::ProposeDistribution {
        distribution_id,
        idea_id,
        terms,
    } = command
    {
        resolve(ctx.hub, actor)?;
        let idea = ctx
            .idea
            .filter(|i| i.exists() && i.idea_id == *idea_id && i.hub_id == ctx.hub.hub_id)
            .ok_or_else(|| DomainError::not_found("There is no such idea in this hub."))?;
        if state.exists() {
            return Err(DomainError::conflict(
                "A distribution with this id has already been proposed.",
            ));
        }
        if !idea.status.is_open() {
            return Err(DomainError::rule_broken(
                Rule::IdeaNotOpen,
                "This idea has been withdrawn or declined, so costs and rewards cannot be proposed for it.",
            ));
        }
        terms.validate(ctx.hub)?;
        return Ok(vec![DistributionEvent::DistributionProposed(
            DistributionProposed {
                distribution_id: *distribution_id,
                idea_id: *idea_id,
                hub_id: ctx.hub.hub_id,
                version: 1,
                terms: terms.clone(),
                by: actor,
                at: now,
            },
        )]);
    }

    if !state.exists()
        || !ctx.hub.exists()
        || state.hub_id != ctx.hub.hub_id
        || state.distribution_id != command.distribution_id()
    {
        return Err(DomainError::not_found(
            "There is no such distribution in this hub.",
        ));
    }
    let who = resolve(ctx.hub, actor)?;
    let distribution_id = state.distribution_id;
    let latest = state.version();

    match command {
        DistributionCommand::ProposeDistribution { .. } => unreachable!("handled above"),
        DistributionCommand::AmendDistribution {
            terms, rationale, ..
        } => {
            require_open(state)?;
            require_may_change(state, &who)?;
            rationale.validate("rationale", TextLimit::Reason)?;
            terms.validate(ctx.hub)?;
            let voided_consents = state
                .positions_on(latest)
                .into_values()
                .filter(|p| matches!(p.position, Position::Consented))
                .map(|p| VoidedConsent {
                    organisation_id: p.organisation_id,
                    version: p.version,
                    by: p.by,
                    at: p.at,
                })
                .collect();
            Ok(vec![DistributionEvent::DistributionAmended(
                DistributionAmended {
                    distribution_id,
                    version: latest + 1,
                    terms: terms.clone(),
                    rationale: rationale.clone(),
                    voided_consents,
                    by: actor,
                    at: now,
                },
            )])
        }
        DistributionCommand::ConsentToDistribution { version, .. } => {
            require_open(state)?;
            require_latest(*version, latest)?;
            let terms = &state
                .latest()
                .expect("a proposed distribution has a version")
                .terms;
            if !who.role.speaks_for_organisation() {
                return Err(DomainError::rule_broken(
                    Rule::OnlyAuthorisedPartyMember,
                    "Only your organisation's lead (or a facilitator) can consent on its behalf.",
                ));
            }
            if !terms.is_party(who.organisation_id) {
                return Err(DomainError::rule_broken(
                    Rule::OnlyAuthorisedPartyMember,
                    "Your organisation is not a party to this version, so it cannot consent to it. It can object, with a reason.",
                ));
            }
            let positions = state.positions_on(latest);
            if matches!(
                positions.get(&who.organisation_id).map(|p| &p.position),
                Some(Position::Consented)
            ) {
                return Err(DomainError::conflict(
                    "Your organisation has already consented to this version.",
                ));
            }
            let consent = DistributionEvent::DistributionConsented(DistributionConsented {
                distribution_id,
                version: latest,
                organisation_id: who.organisation_id,
                by: actor,
                at: now,
            });
            let mut after = state.clone();
            after.apply(&consent);
            let mut events = vec![consent];
            if agreement_blocker(&after, ctx.hub, now).is_none() {
                events.push(agreed(&after, actor, now));
            }
            Ok(events)
        }
        DistributionCommand::ObjectToDistribution {
            version, reason, ..
        } => {
            require_open(state)?;
            require_latest(*version, latest)?;
            if !who.role.speaks_for_organisation() {
                return Err(DomainError::rule_broken(
                    Rule::OnlyAuthorisedPartyMember,
                    "Only your organisation's lead (or a facilitator) can object on its behalf. You can give feedback on the idea instead.",
                ));
            }
            reason.validate("reason", TextLimit::Reason)?;
            let positions = state.positions_on(latest);
            if matches!(
                positions.get(&who.organisation_id).map(|p| &p.position),
                Some(Position::Objected { .. })
            ) {
                return Err(DomainError::conflict(
                    "Your organisation has already objected to this version.",
                ));
            }
            Ok(vec![DistributionEvent::DistributionObjected(
                DistributionObjected {
                    distribution_id,
                    version: latest,
                    organisation_id: who.organisation_id,
                    reason: reason.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
        DistributionCommand::CloseAgreement { version, .. } => {
            require_open(state)?;
            require_latest(*version, latest)?;
            if let Some(err) = agreement_blocker(state, ctx.hub, now) {
                return Err(err);
            }
            Ok(vec![agreed(state, actor, now)])
        }
        DistributionCommand::WithdrawDistribution { reason, .. } => {
            match state.status {
                DistributionStatus::Withdrawn => {
                    return Err(DomainError::conflict(
                        "This distribution has already been withdrawn.",
                    ))
                }
                _ if !state.agreements.is_empty() => {
                    return Err(DomainError::rule_broken(
                        Rule::AgreedDistributionVariesOnlyByNewRound,
                        "This distribution has been agreed, so it cannot be withdrawn. It can only be varied by a new round.",
                    ))
                }
                _ => {}
            }
            if state.proposed_by != Some(actor) && !who.is_facilitator() {
                return Err(DomainError::forbidden(
                    "Only the person who proposed this distribution or a facilitator can withdraw it.",
                ));
            }
            reason.validate("reason", TextLimit::Reason)?;
            Ok(vec![DistributionEvent::DistributionWithdrawn(
                DistributionWithdrawn {
                    distribution_id,
                    reason: reason.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
        DistributionCommand::StartVariationRound {
            terms, rationale, ..
        } => {
            match state.status {
                DistributionStatus::Withdrawn => return Err(withdrawn()),
                DistributionStatus::Proposed => {
                    return Err(DomainError::rule_broken(
                        Rule::NothingAgreedToVary,
                        "A variation round can start only when the latest version has been agreed. Amend the open version instead.",
                    ))
                }
                DistributionStatus::Agreed => {}
            }
            require_may_change(state, &who)?;
            rationale.validate("rationale", TextLimit::Reason)?;
            terms.validate(ctx.hub)?;
            Ok(vec![DistributionEvent::VariationRoundStarted(
                VariationRoundStarted {
                    distribution_id,
                    version: latest + 1,
                    agreed_version: latest,
                    terms: terms.clone(),
                    rationale: rationale.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
    }
}

fn withdrawn() -> DomainError {
    DomainError::rule_broken(
        Rule::DistributionWithdrawn,
        "This distribution has been withdrawn, so it takes no more changes.",
    )
}

/// The distribution must be open for consent (not withdrawn, not already agreed).
fn require_open(state: &DistributionState) -> Result<(), DomainError> {
    match state.status {
        DistributionStatus::Proposed => Ok(()),
        DistributionStatus::Withdrawn => Err(withdrawn()),
        DistributionStatus::Agreed => Err(DomainError::rule_broken(
            Rule::AgreedDistributionVariesOnlyByNewRound,
            "This distribution has been agreed. To change it, start a variation round.",
        )),
    }
}

fn require_latest(version: u32, latest: u32) -> Result<(), DomainError> {
    if version == latest {
        Ok(())
    } else {
        Err(DomainError::conflict(format!(
            "You named version {version}, but the latest version is {latest}. Please read version {latest} first."
        )))
    }
}

/// Who may write a new version: the proposer, a facilitator, or a lead of a party of the latest version.
fn require_may_change(state: &DistributionState, who: &Actor) -> Result<(), DomainError> {
    let party_lead = state
        .latest()
        .is_some_and(|v| v.terms.parties.iter().any(|p| who.speaks_for(*p)));
    if state.proposed_by == Some(who.member_id) || who.is_facilitator() || party_lead {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "Only the proposer, a facilitator or the lead of a party can write a new version of this distribution.",
        ))
    }
}

/// Why the latest version cannot be agreed yet, if anything stands in the way.
fn agreement_blocker(
    state: &DistributionState,
    hub: &HubState,
    now: DateTime<Utc>,
) -> Option<DomainError> {
    let latest = state.latest()?;
    let missing = state.missing_consents();
    if !missing.is_empty() {
        let names: Vec<_> = missing
            .iter()
            .map(|id| hub.organisation_name_or(*id))
            .collect();
        return Some(DomainError::rule_broken(
            Rule::AgreementNeedsEveryPartyOnLatestVersion,
            format!(
                "Every party must consent to version {}. Still waiting for: {}.",
                latest.version,
                names.join(", ")
            ),
        ));
    }
    let objections = state.open_objections();
    if let Some(o) = objections.first() {
        return Some(DomainError::rule_broken(
            Rule::OpenObjectionBlocksAgreement,
            format!(
                "{} has objected to version {}, so it cannot be agreed until the distribution is amended.",
                hub.organisation_name_or(o.organisation_id),
                latest.version
            ),
        ));
    }
    let earliest = latest.at + hub.minimum_deliberation();
    if now < earliest {
        return Some(DomainError::rule_broken(
            Rule::MinimumDeliberationTime,
            format!(
                "The hub gives every version at least {} of deliberation. Version {} can be agreed from {}.",
                describe_seconds(hub.minimum_deliberation_seconds),
                latest.version,
                earliest.format("%-d %B %Y at %H:%M UTC")
            ),
        ));
    }
    None
}

fn agreed(state: &DistributionState, actor: MemberId, now: DateTime<Utc>) -> DistributionEvent {
    let latest = state
        .latest()
        .expect("a proposed distribution has a version");
    DistributionEvent::DistributionAgreed(DistributionAgreed {
        distribution_id: state.distribution_id,
        version: latest.version,
        parties: latest.terms.parties.clone(),
        by: actor,
        at: now,
    })
}
