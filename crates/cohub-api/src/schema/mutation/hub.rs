//! Hub mutations: found, admit organisations and members, roles, suspension, removal,
//! charter, minimum deliberation time.

use super::{execute, id_or_new, missing, Done};
use crate::error::ApiError;
use crate::schema::common::{PlainTextInput, Receipt};
use crate::schema::enums::{Role, StakeholderKind};
use crate::schema::hub::{Hub, Member, Organisation};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use cohub_domain::hub::{FoundingOrganisation, HubCommand};
use cohub_domain::{HubId, MemberId, OrganisationId};
use uuid::Uuid;

/// The founder's own organisation, admitted with the hub.
#[derive(InputObject)]
pub struct FoundingOrganisationInput {
    /// Its id (a new one if not given).
    pub organisation_id: Option<Uuid>,
    /// Its name (up to 120 characters).
    pub name: String,
    /// Its stakeholder kind.
    pub kind: StakeholderKind,
}

/// Found a hub; the caller becomes its first facilitator.
#[derive(InputObject)]
pub struct FoundHubInput {
    /// The new hub's id (a new one if not given).
    pub hub_id: Option<Uuid>,
    /// The hub's name.
    pub name: String,
    /// Its purpose, in plain language.
    pub purpose: PlainTextInput,
    /// The founder's own name.
    pub founder_name: String,
    /// The founder's organisation.
    pub organisation: FoundingOrganisationInput,
}

/// Admit an organisation with its stakeholder kind (facilitators).
#[derive(InputObject)]
pub struct AdmitOrganisationInput {
    /// The hub.
    pub hub_id: Uuid,
    /// The new organisation's id (a new one if not given).
    pub organisation_id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Its stakeholder kind.
    pub kind: StakeholderKind,
}

/// Admit a person as a member of an admitted organisation (facilitators).
#[derive(InputObject)]
pub struct AdmitMemberInput {
    /// The hub.
    pub hub_id: Uuid,
    /// The new member's id: the subject of their bearer tokens (a new one if not given).
    pub member_id: Option<Uuid>,
    /// Their organisation.
    pub organisation_id: Uuid,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
}

/// Change a member's role (facilitators).
#[derive(InputObject)]
pub struct ChangeMemberRoleInput {
    /// The hub.
    pub hub_id: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// The new role.
    pub role: Role,
}

/// Suspend or remove a member, with a reason (facilitators).
#[derive(InputObject)]
pub struct MemberReasonInput {
    /// The hub.
    pub hub_id: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// Why.
    pub reason: PlainTextInput,
}

/// Reinstate a suspended member (facilitators).
#[derive(InputObject)]
pub struct ReinstateMemberInput {
    /// The hub.
    pub hub_id: Uuid,
    /// The member.
    pub member_id: Uuid,
}

/// Adopt a (new version of the) charter (facilitators).
#[derive(InputObject)]
pub struct AdoptCharterInput {
    /// The hub.
    pub hub_id: Uuid,
    /// The charter's text.
    pub text: PlainTextInput,
}

/// Set the minimum deliberation time before decisions and agreements (facilitators).
#[derive(InputObject)]
pub struct SetMinimumDeliberationTimeInput {
    /// The hub.
    pub hub_id: Uuid,
    /// Seconds (0 = none; at most 90 days).
    pub seconds: u64,
}

/// What a hub mutation changed.
#[derive(SimpleObject)]
pub struct HubPayload {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The hub, after the change.
    pub hub: Hub,
}

/// What admitting an organisation changed.
#[derive(SimpleObject)]
pub struct OrganisationPayload {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The hub, after the change.
    pub hub: Hub,
    /// The organisation.
    pub organisation: Organisation,
}

/// What a change to a member did.
#[derive(SimpleObject)]
pub struct MemberPayload {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The hub, after the change.
    pub hub: Hub,
    /// The member.
    pub member: Member,
}

fn hub_payload(done: Done) -> Result<HubPayload, ApiError> {
    let hub = Hub::load(done.model.clone(), done.hub()).ok_or_else(|| missing("hub"))?;
    Ok(HubPayload {
        receipt: done.receipt,
        hub,
    })
}

fn member_payload(done: Done, member: Option<MemberId>) -> Result<MemberPayload, ApiError> {
    let scope = done.scope();
    let view = done.model.hub(done.hub()).ok_or_else(|| missing("hub"))?;
    let m = match member {
        Some(id) => view.member(id),
        None => view
            .members
            .values()
            .find(|m| done.wrote(m.admitted.position)),
    }
    .ok_or_else(|| missing("member"))?;
    let member = Member::new(&scope, m);
    let hub = Hub::load(done.model.clone(), done.hub()).ok_or_else(|| missing("hub"))?;
    Ok(MemberPayload {
        receipt: done.receipt,
        hub,
        member,
    })
}

/// Hub mutations.
#[derive(Default)]
pub struct HubMutation;

#[Object]
impl HubMutation {
    /// Found a hub; the caller becomes its first facilitator and their organisation its first.
    async fn found_hub(
        &self,
        ctx: &Context<'_>,
        input: FoundHubInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<HubPayload, ApiError> {
        let command = HubCommand::FoundHub {
            hub_id: HubId::from_uuid(id_or_new(input.hub_id)),
            name: input.name,
            purpose: input.purpose.into(),
            founder_name: input.founder_name,
            organisation: FoundingOrganisation {
                organisation_id: OrganisationId::from_uuid(id_or_new(
                    input.organisation.organisation_id,
                )),
                name: input.organisation.name,
                kind: input.organisation.kind.into(),
            },
        };
        hub_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Admit an organisation with its stakeholder kind (facilitators).
    async fn admit_organisation(
        &self,
        ctx: &Context<'_>,
        input: AdmitOrganisationInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<OrganisationPayload, ApiError> {
        let command = HubCommand::AdmitOrganisation {
            hub_id: HubId::from_uuid(input.hub_id),
            organisation_id: OrganisationId::from_uuid(id_or_new(input.organisation_id)),
            name: input.name,
            kind: input.kind.into(),
        };
        let done = execute(ctx, command, idempotency_key, expected_version).await?;
        let scope = done.scope();
        let view = done.model.hub(done.hub()).ok_or_else(|| missing("hub"))?;
        let org = view
            .organisations
            .values()
            .find(|o| done.wrote(o.admitted.position))
            .ok_or_else(|| missing("organisation"))?;
        let organisation = Organisation::new(&scope, org);
        let hub = Hub::load(done.model.clone(), done.hub()).ok_or_else(|| missing("hub"))?;
        Ok(OrganisationPayload {
            receipt: done.receipt,
            hub,
            organisation,
        })
    }

    /// Admit a person as a member of an admitted organisation (facilitators).
    async fn admit_member(
        &self,
        ctx: &Context<'_>,
        input: AdmitMemberInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<MemberPayload, ApiError> {
        let command = HubCommand::AdmitMember {
            hub_id: HubId::from_uuid(input.hub_id),
            member_id: MemberId::from_uuid(id_or_new(input.member_id)),
            organisation_id: OrganisationId::from_uuid(input.organisation_id),
            name: input.name,
            role: input.role.into(),
        };
        member_payload(
            execute(ctx, command, idempotency_key, expected_version).await?,
            None,
        )
    }

    /// Change a member's role (facilitators; the hub keeps at least one facilitator).
    async fn change_member_role(
        &self,
        ctx: &Context<'_>,
        input: ChangeMemberRoleInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<MemberPayload, ApiError> {
        let member = MemberId::from_uuid(input.member_id);
        let command = HubCommand::ChangeMemberRole {
            hub_id: HubId::from_uuid(input.hub_id),
            member_id: member,
            role: input.role.into(),
        };
        member_payload(
            execute(ctx, command, idempotency_key, expected_version).await?,
            Some(member),
        )
    }

    /// Suspend an active member, with a reason (facilitators).
    async fn suspend_member(
        &self,
        ctx: &Context<'_>,
        input: MemberReasonInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<MemberPayload, ApiError> {
        let member = MemberId::from_uuid(input.member_id);
        let command = HubCommand::SuspendMember {
            hub_id: HubId::from_uuid(input.hub_id),
            member_id: member,
            reason: input.reason.into(),
        };
        member_payload(
            execute(ctx, command, idempotency_key, expected_version).await?,
            Some(member),
        )
    }

    /// Reinstate a suspended member (facilitators).
    async fn reinstate_member(
        &self,
        ctx: &Context<'_>,
        input: ReinstateMemberInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<MemberPayload, ApiError> {
        let member = MemberId::from_uuid(input.member_id);
        let command = HubCommand::ReinstateMember {
            hub_id: HubId::from_uuid(input.hub_id),
            member_id: member,
        };
        member_payload(
            execute(ctx, command, idempotency_key, expected_version).await?,
            Some(member),
        )
    }

    /// Remove a member for good, with a reason (facilitators); their contributions stay.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        input: MemberReasonInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<MemberPayload, ApiError> {
        let member = MemberId::from_uuid(input.member_id);
        let command = HubCommand::RemoveMember {
            hub_id: HubId::from_uuid(input.hub_id),
            member_id: member,
            reason: input.reason.into(),
        };
        member_payload(
            execute(ctx, command, idempotency_key, expected_version).await?,
            Some(member),
        )
    }

    /// Adopt a (new version of the) charter (facilitators).
    async fn adopt_charter(
        &self,
        ctx: &Context<'_>,
        input: AdoptCharterInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<HubPayload, ApiError> {
        let command = HubCommand::AdoptCharter {
            hub_id: HubId::from_uuid(input.hub_id),
            text: input.text.into(),
        };
        hub_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Set the minimum deliberation time before decisions and agreements (facilitators).
    async fn set_minimum_deliberation_time(
        &self,
        ctx: &Context<'_>,
        input: SetMinimumDeliberationTimeInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<HubPayload, ApiError> {
        let command = HubCommand::SetMinimumDeliberationTime {
            hub_id: HubId::from_uuid(input.hub_id),
            seconds: input.seconds,
        };
        hub_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }
}
