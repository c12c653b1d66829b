//! Deciding which events a distribution command produces.

use chrono::{DateTime, Utc};

use super::command::DistributionCommand;
use super::event::*;
use super::lapse::Lapse;
use super::standing::Standing;
use super::state::{DistributionState, DistributionStatus};
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
    /// The idea it is for (required to propose; for every other command it tells whether the
    /// idea lapsed: withdrawn or declined).
    pub idea: Option<&'a IdeaState>,
}

/// Decides the events for a distribution command by `actor` at `now`.
///
/// Consent and objection are given by an authorised member (a lead or facilitator) for their
/// own organisation. Only parties consent; any organisation of the hub may object. When a
/// consent (or the withdrawal of the last objection) completes the set and the deliberation
/// time has passed, `DistributionAgreed` follows it in the same decision. Who has consented,
/// who objects and which version is open all come from [`DistributionState::standing`].
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
    let lapse = ctx
        .idea
        .filter(|i| i.exists() && i.idea_id == state.idea_id)
        .and_then(Lapse::of_idea);
    let lapse = lapse.as_ref();
    let standing = state.standing(lapse);

    match command {
        DistributionCommand::ProposeDistribution { .. } => unreachable!("handled above"),
        DistributionCommand::AmendDistribution {
            terms, rationale, ..
        } => {
            let open = require_open(&standing)?;
            require_may_change(state, &who)?;
            rationale.validate("rationale", TextLimit::Reason)?;
            terms.validate(ctx.hub)?;
            let voided_consents = state
                .positions_on(open)
                .into_values()
                .filter(|p| p.position.is_consent() && p.holds())
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
                    version: state.version() + 1,
                    terms: terms.clone(),
                    rationale: rationale.clone(),
                    voided_consents,
                    by: actor,
                    at: now,
                },
            )])
        }
        DistributionCommand::ConsentToDistribution { version, .. } => {
            let open = require_open(&standing)?;
            require_latest(*version, open)?;
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
            if standing.consented.contains(&who.organisation_id) {
                return Err(DomainError::conflict(
                    "Your organisation has already consented to this version.",
                ));
            }
            let consent = DistributionEvent::DistributionConsented(DistributionConsented {
                distribution_id,
                version: open,
                organisation_id: who.organisation_id,
                by: actor,
                at: now,
            });
            Ok(with_agreement_if_due(
                state, ctx.hub, lapse, consent, actor, now,
            ))
        }
        DistributionCommand::ObjectToDistribution {
            version, reason, ..
        } => {
            let open = require_open(&standing)?;
            require_latest(*version, open)?;
            if !who.role.speaks_for_organisation() {
                return Err(DomainError::rule_broken(
                    Rule::OnlyAuthorisedPartyMember,
                    "Only your organisation's lead (or a facilitator) can object on its behalf. You can give feedback on the idea instead.",
                ));
            }
            reason.validate("reason", TextLimit::Reason)?;
            if standing.objecting.contains(&who.organisation_id) {
                return Err(DomainError::conflict(
                    "Your organisation has already objected to this version.",
                ));
            }
            Ok(vec![DistributionEvent::DistributionObjected(
                DistributionObjected {
                    distribution_id,
                    version: open,
                    organisation_id: who.organisation_id,
                    reason: reason.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
        DistributionCommand::CloseAgreement { version, .. } => {
            let open = require_open(&standing)?;
            require_latest(*version, open)?;
            if let Some(err) = agreement_blocker(state, ctx.hub, lapse, now) {
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
                DistributionStatus::ClosedWithoutAgreement => return Err(closed()),
                _ => {}
            }
            // A lapsed distribution may still be withdrawn: that records its proposer's (or a
            // facilitator's) own decision and changes no one's position.
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
            let in_force = match (standing.status, standing.in_force) {
                (DistributionStatus::Agreed, Some(in_force)) => in_force,
                (DistributionStatus::Proposed, _) => {
                    return Err(DomainError::rule_broken(
                        Rule::NothingAgreedToVary,
                        "A variation round can start only when a version has been agreed. Amend the open version instead.",
                    ))
                }
                _ => return Err(not_open(&standing)),
            };
            if let Some(lapse) = lapse {
                return Err(lapsed(lapse));
            }
            if let Some(open) = standing.open_version {
                return Err(DomainError::rule_broken(
                    Rule::NothingAgreedToVary,
                    format!(
                        "A variation round is already open with version {open} (version {in_force} stays in force meanwhile). Amend it, or abandon it first."
                    ),
                ));
            }
            require_may_change(state, &who)?;
            rationale.validate("rationale", TextLimit::Reason)?;
            terms.validate(ctx.hub)?;
            Ok(vec![DistributionEvent::VariationRoundStarted(
                VariationRoundStarted {
                    distribution_id,
                    version: state.version() + 1,
                    agreed_version: in_force,
                    terms: terms.clone(),
                    rationale: rationale.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
        DistributionCommand::AnswerObjection {
            version,
            organisation_id,
            answer,
            ..
        } => {
            let open = require_open(&standing)?;
            require_latest(*version, open)?;
            if state.proposed_by != Some(actor) {
                return Err(DomainError::forbidden(
                    "Only the person who proposed this distribution can answer objections to it.",
                ));
            }
            let objection = standing_objection(state, ctx.hub, *organisation_id, open)?;
            if objection.by == actor {
                return Err(DomainError::forbidden(
                    "This is your own objection: you can withdraw it, but not answer it.",
                ));
            }
            if objection.answer.is_some() {
                return Err(DomainError::conflict(
                    "This objection has already been answered.",
                ));
            }
            answer.validate("answer", TextLimit::Reason)?;
            Ok(vec![DistributionEvent::ObjectionAnswered(
                ObjectionAnswered {
                    distribution_id,
                    version: open,
                    organisation_id: *organisation_id,
                    answer: answer.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
        DistributionCommand::WithdrawObjection { version, note, .. } => {
            let open = require_open(&standing)?;
            require_latest(*version, open)?;
            let organisation_id = who.organisation_id;
            let objection = standing_objection(state, ctx.hub, organisation_id, open)?;
            if objection.by != actor && !who.role.speaks_for_organisation() {
                return Err(DomainError::forbidden(
                    "Only the member who made this objection, or a lead of the same organisation, can withdraw it.",
                ));
            }
            if let Some(note) = note {
                note.validate("note", TextLimit::Reason)?;
            }
            let withdrawn = DistributionEvent::ObjectionWithdrawn(ObjectionWithdrawn {
                distribution_id,
                version: open,
                organisation_id,
                objected_by: objection.by,
                note: note.clone(),
                by: actor,
                at: now,
            });
            Ok(with_agreement_if_due(
                state, ctx.hub, lapse, withdrawn, actor, now,
            ))
        }
        DistributionCommand::CloseWithoutAgreement {
            version, reason, ..
        } => {
            let open = require_open(&standing)?;
            require_latest(*version, open)?;
            if !who.is_facilitator() {
                return Err(DomainError::forbidden(
                    "Only a facilitator can close a round without agreement.",
                ));
            }
            if standing.agreeable() {
                return Err(DomainError::rule_broken(
                    Rule::RoundCanStillAgree,
                    format!(
                        "Every party has consented to version {open} and no objection stands, so it can still be agreed (once the deliberation time has passed). It cannot be closed without agreement."
                    ),
                ));
            }
            reason.validate("reason", TextLimit::Reason)?;
            Ok(vec![DistributionEvent::DistributionClosedWithoutAgreement(
                DistributionClosedWithoutAgreement {
                    distribution_id,
                    version: open,
                    in_force_version: standing.in_force,
                    reason: reason.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
        DistributionCommand::AbandonVariation { reason, .. } => {
            let (open, in_force) = match standing.status {
                DistributionStatus::Proposed => {
                    return Err(DomainError::rule_broken(
                        Rule::NoVariationOpen,
                        "Nothing has been agreed yet, so there is no variation to abandon. Amend or withdraw the distribution instead.",
                    ))
                }
                DistributionStatus::Agreed => {
                    if let Some(lapse) = lapse {
                        return Err(lapsed(lapse));
                    }
                    match (standing.open_version, standing.in_force) {
                        (Some(open), Some(in_force)) => (open, in_force),
                        (_, in_force) => {
                            return Err(DomainError::rule_broken(
                                Rule::NoVariationOpen,
                                format!(
                                    "There is no open variation round to abandon; version {} is in force.",
                                    in_force.unwrap_or_default()
                                ),
                            ))
                        }
                    }
                }
                _ => return Err(not_open(&standing)),
            };
            require_may_change(state, &who)?;
            reason.validate("reason", TextLimit::Reason)?;
            Ok(vec![DistributionEvent::VariationAbandoned(
                VariationAbandoned {
                    distribution_id,
                    version: open,
                    in_force_version: in_force,
                    reason: reason.clone(),
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

fn closed() -> DomainError {
    DomainError::rule_broken(
        Rule::DistributionClosed,
        "A facilitator closed this distribution's round without agreement, so it takes no more changes. A new distribution can be proposed instead.",
    )
}

fn lapsed(lapse: &Lapse) -> DomainError {
    DomainError::rule_broken(
        Rule::DistributionLapsed,
        format!(
            "This distribution has lapsed because {}. It takes no more consents, objections, agreements or new rounds.",
            lapse.describe()
        ),
    )
}

/// Why no round is open, by the distribution's standing.
fn not_open(standing: &Standing) -> DomainError {
    match (&standing.lapse, standing.status) {
        (_, DistributionStatus::Withdrawn) => withdrawn(),
        (_, DistributionStatus::ClosedWithoutAgreement) => closed(),
        (Some(lapse), _) => lapsed(lapse),
        _ => DomainError::rule_broken(
            Rule::AgreedDistributionVariesOnlyByNewRound,
            "This distribution has been agreed. To change it, start a variation round.",
        ),
    }
}

/// The version open for consent, or why there is none (withdrawn, closed, lapsed, agreed).
fn require_open(standing: &Standing) -> Result<u32, DomainError> {
    standing.open_version.ok_or_else(|| not_open(standing))
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

/// An organisation's standing objection to a version.
fn standing_objection<'s>(
    state: &'s DistributionState,
    hub: &HubState,
    organisation: crate::ids::OrganisationId,
    version: u32,
) -> Result<&'s super::state::PositionRecord, DomainError> {
    match state.positions_on(version).get(&organisation) {
        Some(p) if p.position.is_objection() && p.holds() => Ok(p),
        Some(p) if p.position.is_objection() => Err(DomainError::conflict(format!(
            "The objection of {} to version {version} has already been withdrawn.",
            hub.organisation_name_or(organisation)
        ))),
        _ => Err(DomainError::not_found(format!(
            "{} has no standing objection to version {version}.",
            hub.organisation_name_or(organisation)
        ))),
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

/// `event`, followed by the agreement when, with it applied, nothing stands in the way.
fn with_agreement_if_due(
    state: &DistributionState,
    hub: &HubState,
    lapse: Option<&Lapse>,
    event: DistributionEvent,
    actor: MemberId,
    now: DateTime<Utc>,
) -> Vec<DistributionEvent> {
    let mut after = state.clone();
    after.apply(&event);
    let mut events = vec![event];
    if agreement_blocker(&after, hub, lapse, now).is_none() {
        events.push(agreed(&after, actor, now));
    }
    events
}

/// Why the open version cannot be agreed yet, if anything stands in the way.
fn agreement_blocker(
    state: &DistributionState,
    hub: &HubState,
    lapse: Option<&Lapse>,
    now: DateTime<Utc>,
) -> Option<DomainError> {
    let standing = state.standing(lapse);
    let Some(open) = standing.open_version else {
        return Some(not_open(&standing));
    };
    let version = state.versions.iter().find(|v| v.version == open)?;
    if !standing.missing.is_empty() {
        let names: Vec<_> = standing
            .missing
            .iter()
            .map(|id| hub.organisation_name_or(*id))
            .collect();
        return Some(DomainError::rule_broken(
            Rule::AgreementNeedsEveryPartyOnLatestVersion,
            format!(
                "Every party must consent to version {open}. Still waiting for: {}.",
                names.join(", ")
            ),
        ));
    }
    if let Some(o) = standing.objecting.first() {
        return Some(DomainError::rule_broken(
            Rule::OpenObjectionBlocksAgreement,
            format!(
                "{} has objected to version {open}, so it cannot be agreed until that objection is withdrawn or the distribution is amended.",
                hub.organisation_name_or(*o),
            ),
        ));
    }
    let earliest = version.at + hub.minimum_deliberation();
    if now < earliest {
        return Some(DomainError::rule_broken(
            Rule::MinimumDeliberationTime,
            format!(
                "The hub gives every version at least {} of deliberation. Version {open} can be agreed from {}.",
                describe_seconds(hub.minimum_deliberation_seconds),
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
