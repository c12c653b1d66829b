//! Deciding which events a hub command produces. Only facilitators run a hub (except founding),
//! and only members of community organisations are made community champions.

use chrono::{DateTime, Utc};

use super::command::HubCommand;
use super::event::*;
use super::state::{HubState, MemberStatus};
use crate::actor::{check_role_fits, resolve, Actor, Role};
use crate::error::{DomainError, Rule};
use crate::ids::MemberId;
use crate::text::{validate_str, TextLimit};

/// The longest minimum deliberation time a hub may set: 90 days.
pub const MAX_DELIBERATION_SECONDS: u64 = 90 * 86_400;

/// Decides the events for a hub command by `actor` (a member id from a verified credential) at `now`.
pub fn decide(
    state: &HubState,
    command: &HubCommand,
    actor: MemberId,
    now: DateTime<Utc>,
) -> Result<Vec<HubEvent>, DomainError> {
    if let HubCommand::FoundHub {
        hub_id,
        name,
        purpose,
        founder_name,
        organisation,
    } = command
    {
        if state.exists() {
            return Err(DomainError::conflict("This hub has already been founded."));
        }
        validate_str(name, "hub name", TextLimit::Title)?;
        purpose.validate("hub purpose", TextLimit::Summary)?;
        validate_str(founder_name, "founder's name", TextLimit::Name)?;
        validate_str(&organisation.name, "organisation name", TextLimit::Name)?;
        return Ok(vec![
            HubEvent::HubFounded(HubFounded {
                hub_id: *hub_id,
                name: name.clone(),
                purpose: purpose.clone(),
                by: actor,
                at: now,
            }),
            HubEvent::OrganisationAdmitted(OrganisationAdmitted {
                hub_id: *hub_id,
                organisation_id: organisation.organisation_id,
                name: organisation.name.clone(),
                kind: organisation.kind,
                by: actor,
                at: now,
            }),
            HubEvent::MemberAdmitted(MemberAdmitted {
                hub_id: *hub_id,
                member_id: actor,
                organisation_id: organisation.organisation_id,
                name: founder_name.clone(),
                role: Role::Facilitator,
                by: actor,
                at: now,
            }),
        ]);
    }

    let hub_id = command.hub_id();
    if !state.exists() || state.hub_id != hub_id {
        return Err(DomainError::not_found("This hub does not exist."));
    }
    let who = resolve(state, actor)?;
    require_facilitator(&who)?;

    match command {
        HubCommand::FoundHub { .. } => unreachable!("handled above"),
        HubCommand::AdmitOrganisation {
            organisation_id,
            name,
            kind,
            ..
        } => {
            validate_str(name, "organisation name", TextLimit::Name)?;
            if state.organisations.contains_key(organisation_id) {
                return Err(DomainError::conflict(
                    "This organisation has already been admitted.",
                ));
            }
            if state
                .organisations
                .values()
                .any(|o| o.name.eq_ignore_ascii_case(name))
            {
                return Err(DomainError::conflict(format!(
                    "An organisation called \"{name}\" is already part of this hub."
                )));
            }
            Ok(vec![HubEvent::OrganisationAdmitted(OrganisationAdmitted {
                hub_id,
                organisation_id: *organisation_id,
                name: name.clone(),
                kind: *kind,
                by: actor,
                at: now,
            })])
        }
        HubCommand::AdmitMember {
            member_id,
            organisation_id,
            name,
            role,
            ..
        } => {
            validate_str(name, "member's name", TextLimit::Name)?;
            let organisation = state.organisations.get(organisation_id).ok_or_else(|| {
                DomainError::not_found("That organisation has not been admitted to this hub.")
            })?;
            if state.members.contains_key(member_id) {
                return Err(DomainError::conflict(
                    "This person is already a member of the hub.",
                ));
            }
            check_role_fits(*role, organisation.kind, &organisation.name)?;
            Ok(vec![HubEvent::MemberAdmitted(MemberAdmitted {
                hub_id,
                member_id: *member_id,
                organisation_id: *organisation_id,
                name: name.clone(),
                role: *role,
                by: actor,
                at: now,
            })])
        }
        HubCommand::ChangeMemberRole {
            member_id, role, ..
        } => {
            let member = find_member(state, *member_id)?;
            if member.status == MemberStatus::Removed {
                return Err(DomainError::conflict(
                    "This person has been removed from the hub.",
                ));
            }
            if member.role == *role {
                return Err(DomainError::conflict(format!(
                    "{} is already a {}.",
                    member.name,
                    role.as_str()
                )));
            }
            if let Some(organisation) = state.organisations.get(&member.organisation_id) {
                check_role_fits(*role, organisation.kind, &organisation.name)?;
            }
            if member.role == Role::Facilitator
                && member.status == MemberStatus::Active
                && state.active_facilitators() <= 1
            {
                return Err(last_facilitator());
            }
            Ok(vec![HubEvent::MemberRoleChanged(MemberRoleChanged {
                hub_id,
                member_id: *member_id,
                from: member.role,
                to: *role,
                by: actor,
                at: now,
            })])
        }
        HubCommand::SuspendMember {
            member_id, reason, ..
        } => {
            reason.validate("reason", TextLimit::Reason)?;
            let member = find_member(state, *member_id)?;
            if member.status != MemberStatus::Active {
                return Err(DomainError::conflict(format!(
                    "{} is not an active member, so cannot be suspended.",
                    member.name
                )));
            }
            if member.role == Role::Facilitator && state.active_facilitators() <= 1 {
                return Err(last_facilitator());
            }
            Ok(vec![HubEvent::MemberSuspended(MemberSuspended {
                hub_id,
                member_id: *member_id,
                reason: reason.clone(),
                by: actor,
                at: now,
            })])
        }
        HubCommand::ReinstateMember { member_id, .. } => {
            let member = find_member(state, *member_id)?;
            if member.status != MemberStatus::Suspended {
                return Err(DomainError::conflict(format!(
                    "{} is not suspended, so cannot be reinstated.",
                    member.name
                )));
            }
            Ok(vec![HubEvent::MemberReinstated(MemberReinstated {
                hub_id,
                member_id: *member_id,
                by: actor,
                at: now,
            })])
        }
        HubCommand::RemoveMember {
            member_id, reason, ..
        } => {
            reason.validate("reason", TextLimit::Reason)?;
            let member = find_member(state, *member_id)?;
            if member.status == MemberStatus::Removed {
                return Err(DomainError::conflict(format!(
                    "{} has already been removed.",
                    member.name
                )));
            }
            if member.role == Role::Facilitator
                && member.status == MemberStatus::Active
                && state.active_facilitators() <= 1
            {
                return Err(last_facilitator());
            }
            Ok(vec![HubEvent::MemberRemoved(MemberRemoved {
                hub_id,
                member_id: *member_id,
                reason: reason.clone(),
                by: actor,
                at: now,
            })])
        }
        HubCommand::AdoptCharter { text, .. } => {
            text.validate("charter", TextLimit::Summary)?;
            let version = state.charters.last().map_or(1, |c| c.version + 1);
            Ok(vec![HubEvent::CharterAdopted(CharterAdopted {
                hub_id,
                version,
                text: text.clone(),
                by: actor,
                at: now,
            })])
        }
        HubCommand::SetMinimumDeliberationTime { seconds, .. } => {
            if *seconds > MAX_DELIBERATION_SECONDS {
                return Err(DomainError::validation(
                    "The minimum deliberation time can be at most 90 days.",
                ));
            }
            Ok(vec![HubEvent::MinimumDeliberationTimeSet(
                MinimumDeliberationTimeSet {
                    hub_id,
                    seconds: *seconds,
                    by: actor,
                    at: now,
                },
            )])
        }
    }
}

fn require_facilitator(actor: &Actor) -> Result<(), DomainError> {
    if actor.is_facilitator() {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "Only a facilitator can admit people and organisations, change roles, suspend or remove members, adopt the charter or set the deliberation time.",
        ))
    }
}

fn find_member(state: &HubState, member: MemberId) -> Result<&super::state::Member, DomainError> {
    state
        .members
        .get(&member)
        .ok_or_else(|| DomainError::not_found("That person is not a member of this hub."))
}

fn last_facilitator() -> DomainError {
    DomainError::rule_broken(
        Rule::HubMustKeepAFacilitator,
        "The hub must keep at least one active facilitator. Make someone else a facilitator first.",
    )
}
