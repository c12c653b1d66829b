use super::*;
use crate::actor::{Role, StakeholderKind};
use crate::error::Rule;
use crate::example::*;
use crate::ids::{HubId, MemberId, OrganisationId};
use crate::testkit::*;
use crate::text::PlainText;

fn reason() -> PlainText {
    PlainText::en("Agreed at the hub meeting.")
}

#[test]
fn founding_makes_the_founder_a_facilitator() {
    let world = until("The facilitator admits an organisation");
    let hub = &world.hubs[&HUB];
    assert!(hub.exists());
    assert_eq!(hub.members[&FACILITATOR].role, Role::Facilitator);
    assert_eq!(
        hub.organisations[&ORG_PUBLIC_HEALTH].kind,
        StakeholderKind::Commissioner
    );
}

#[test]
fn founding_twice_is_a_conflict_and_bad_names_are_refused() {
    let mut world = full();
    let e = err(&mut world, FACILITATOR, steps()[0].command.clone());
    assert_code(&e, "CONFLICT");

    let mut empty = crate::world::World::new();
    let mut cmd = steps()[0].command.clone();
    if let crate::DomainCommand::Hub(HubCommand::FoundHub { name, .. }) = &mut cmd {
        *name = String::new();
    }
    assert_code(&err(&mut empty, FACILITATOR, cmd), "VALIDATION");
}

#[test]
fn only_facilitators_admit_and_run_the_hub() {
    let mut world = full();
    let new_org = OrganisationId::new();
    let cmd = HubCommand::AdmitOrganisation {
        hub_id: HUB,
        organisation_id: new_org,
        name: "Tenants United".into(),
        kind: StakeholderKind::CommunityOrganisation,
    };
    assert_code(&err(&mut world, CHAMPION, cmd.clone()), "FORBIDDEN");
    assert_code(&err(&mut world, HOUSING_LEAD, cmd.clone()), "FORBIDDEN");
    ok(&mut world, FACILITATOR, cmd.clone());
    assert_code(&err(&mut world, FACILITATOR, cmd), "CONFLICT");

    let member = MemberId::new();
    let admit = |org| HubCommand::AdmitMember {
        hub_id: HUB,
        member_id: member,
        organisation_id: org,
        name: "Lola Adeyemi".into(),
        role: Role::Champion,
    };
    assert_code(
        &err(&mut world, FACILITATOR, admit(OrganisationId::new())),
        "NOT_FOUND",
    );
    ok(&mut world, FACILITATOR, admit(new_org));
    assert_code(&err(&mut world, FACILITATOR, admit(new_org)), "CONFLICT");
    for cmd in [
        HubCommand::AdoptCharter {
            hub_id: HUB,
            text: PlainText::en("v2"),
        },
        HubCommand::SetMinimumDeliberationTime {
            hub_id: HUB,
            seconds: 60,
        },
        HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: member,
            role: Role::Lead,
        },
    ] {
        assert_code(&err(&mut world, CHAMPION, cmd.clone()), "FORBIDDEN");
        ok(&mut world, FACILITATOR, cmd);
    }
    assert_eq!(world.hubs[&HUB].members[&member].role, Role::Lead);
    assert_eq!(world.hubs[&HUB].charter().unwrap().version, 2);
    assert_eq!(world.hubs[&HUB].minimum_deliberation_seconds, 60);
}

#[test]
fn deliberation_time_is_limited_to_90_days() {
    let mut world = full();
    let cmd = HubCommand::SetMinimumDeliberationTime {
        hub_id: HUB,
        seconds: 91 * 86_400,
    };
    assert_code(&err(&mut world, FACILITATOR, cmd), "VALIDATION");
}

#[test]
fn suspended_and_removed_members_can_do_nothing() {
    let mut world = full();
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::SuspendMember {
            hub_id: HUB,
            member_id: CHAMPION_3,
            reason: reason(),
        },
    );
    let endorse = crate::problem::ProblemCommand::EndorseProblem {
        problem_id: PROBLEM,
    };
    assert_rule(
        err(&mut world, CHAMPION_3, endorse.clone()),
        Rule::InactiveMember,
    );
    assert_code(
        &err(
            &mut world,
            FACILITATOR,
            HubCommand::SuspendMember {
                hub_id: HUB,
                member_id: CHAMPION_3,
                reason: reason(),
            },
        ),
        "CONFLICT",
    );
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::ReinstateMember {
            hub_id: HUB,
            member_id: CHAMPION_3,
        },
    );
    assert_code(
        &err(
            &mut world,
            FACILITATOR,
            HubCommand::ReinstateMember {
                hub_id: HUB,
                member_id: CHAMPION_3,
            },
        ),
        "CONFLICT",
    );
    ok(&mut world, CHAMPION_3, endorse.clone());

    ok(
        &mut world,
        FACILITATOR,
        HubCommand::RemoveMember {
            hub_id: HUB,
            member_id: CHAMPION_2,
            reason: reason(),
        },
    );
    assert_rule(err(&mut world, CHAMPION_2, endorse), Rule::InactiveMember);
    assert_code(
        &err(
            &mut world,
            FACILITATOR,
            HubCommand::ReinstateMember {
                hub_id: HUB,
                member_id: CHAMPION_2,
            },
        ),
        "CONFLICT",
    );
    assert_code(
        &err(
            &mut world,
            FACILITATOR,
            HubCommand::RemoveMember {
                hub_id: HUB,
                member_id: CHAMPION_2,
                reason: reason(),
            },
        ),
        "CONFLICT",
    );
}

#[test]
fn the_hub_keeps_a_facilitator() {
    let mut world = full();
    for cmd in [
        HubCommand::SuspendMember {
            hub_id: HUB,
            member_id: FACILITATOR,
            reason: reason(),
        },
        HubCommand::RemoveMember {
            hub_id: HUB,
            member_id: FACILITATOR,
            reason: reason(),
        },
        HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: FACILITATOR,
            role: Role::Member,
        },
    ] {
        assert_rule(
            err(&mut world, FACILITATOR, cmd),
            Rule::HubMustKeepAFacilitator,
        );
    }
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: GP,
            role: Role::Facilitator,
        },
    );
    ok(
        &mut world,
        GP,
        HubCommand::SuspendMember {
            hub_id: HUB,
            member_id: FACILITATOR,
            reason: reason(),
        },
    );
}

#[test]
fn strangers_and_other_hubs_are_unknown() {
    let mut world = full();
    let cmd = HubCommand::AdoptCharter {
        hub_id: HUB,
        text: PlainText::en("x"),
    };
    assert_code(&err(&mut world, MemberId::new(), cmd), "FORBIDDEN");
    let other = HubCommand::AdoptCharter {
        hub_id: HubId::new(),
        text: PlainText::en("x"),
    };
    assert_code(&err(&mut world, FACILITATOR, other), "NOT_FOUND");
}

#[test]
fn charter_text_is_validated() {
    let mut world = full();
    let cmd = HubCommand::AdoptCharter {
        hub_id: HUB,
        text: PlainText::new("Charter", "english!"),
    };
    assert_code(&err(&mut world, FACILITATOR, cmd), "VALIDATION");
}

#[test]
fn champions_belong_to_community_organisations() {
    let mut world = full();
    let newcomer = MemberId::new();
    let admit = |organisation_id, role| HubCommand::AdmitMember {
        hub_id: HUB,
        member_id: newcomer,
        organisation_id,
        name: "Priya Shah".into(),
        role,
    };
    for org in [ORG_GLUCOLINK, ORG_GP, ORG_ICB] {
        let e = err(&mut world, FACILITATOR, admit(org, Role::Champion));
        assert_eq!(
            e.rule().map(|r| r.as_str()),
            Some("champions_belong_to_community_organisations"),
            "{e:?}"
        );
    }
    ok(&mut world, FACILITATOR, admit(ORG_GLUCOLINK, Role::Member));
    let e = err(
        &mut world,
        FACILITATOR,
        HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: newcomer,
            role: Role::Champion,
        },
    );
    assert_eq!(
        e.rule().map(|r| r.as_str()),
        Some("champions_belong_to_community_organisations")
    );
    // A member of a community organisation may be made a champion.
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: HOUSING_LEAD,
            role: Role::Champion,
        },
    );
    assert_eq!(world.hubs[&HUB].members[&HOUSING_LEAD].role, Role::Champion);
}
