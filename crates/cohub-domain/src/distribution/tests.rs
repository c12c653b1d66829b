use chrono::Duration;

use super::*;
use crate::error::Rule;
use crate::example::*;
use crate::hub::HubCommand;
use crate::idea::IdeaCommand;
use crate::ids::{DistributionId, IdeaId, MemberId};
use crate::testkit::*;
use crate::text::PlainText;
use crate::world::World;

fn en(s: &str) -> PlainText {
    PlainText::en(s)
}

fn propose(id: DistributionId, terms: Terms) -> DistributionCommand {
    DistributionCommand::ProposeDistribution {
        distribution_id: id,
        idea_id: IDEA,
        terms,
    }
}

fn consent(version: u32) -> DistributionCommand {
    DistributionCommand::ConsentToDistribution {
        distribution_id: DISTRIBUTION,
        version,
    }
}

fn object(version: u32) -> DistributionCommand {
    DistributionCommand::ObjectToDistribution {
        distribution_id: DISTRIBUTION,
        version,
        reason: en("Not fair."),
    }
}

/// The example just after version 1 was proposed.
fn v1() -> World {
    until("GlucoLink consents to version 1")
}

fn check_terms(terms: Terms) -> crate::error::DomainError {
    let mut world = v1();
    err(&mut world, FIRM_LEAD, propose(DistributionId::new(), terms))
}

#[test]
fn shares_of_a_reward_kind_sum_to_10000() {
    let mut t = terms_v1();
    t.rewards[0].shares[0].basis_points = 5999;
    assert_rule(check_terms(t), Rule::SharesMustSumTo10000);
    let mut t = terms_v1();
    // two rewards of one kind sum together
    t.rewards.push(Reward {
        kind: RewardKind::Licence,
        description: en("More"),
        shares: vec![Share {
            party: ORG_HOUSING,
            basis_points: 1,
        }],
    });
    assert_rule(check_terms(t), Rule::SharesMustSumTo10000);
    let mut t = terms_v1();
    t.rewards[0].shares[0].basis_points = 0;
    assert_code(&check_terms(t), "VALIDATION");
    let mut t = terms_v1();
    t.rewards[0].shares.push(Share {
        party: ORG_GLUCOLINK,
        basis_points: 1,
    });
    assert_code(&check_terms(t), "VALIDATION");
    let mut t = terms_v1();
    t.rewards[2].shares.clear();
    assert_code(&check_terms(t), "VALIDATION");
}

#[test]
fn costs_and_shares_only_for_parties() {
    let mut t = terms_v1();
    t.costs[0].party = ORG_GP;
    assert_rule(check_terms(t), Rule::CostsAndSharesOnlyForParties);
    let mut t = terms_v1();
    t.rewards[2].shares[0].party = ORG_GP;
    assert_rule(check_terms(t), Rule::CostsAndSharesOnlyForParties);
    let mut t = terms_v1();
    t.costs[0].amount = 0;
    assert_code(&check_terms(t), "VALIDATION");
    let mut t = terms_v1();
    t.parties.push(ORG_ICB);
    assert_code(&check_terms(t), "VALIDATION");
    let mut t = terms_v1();
    t.parties.push(crate::ids::OrganisationId::new());
    assert_code(&check_terms(t), "NOT_FOUND");
}

#[test]
fn a_community_organisation_must_be_a_party_and_receive_a_reward() {
    let t = Terms {
        parties: vec![ORG_GLUCOLINK, ORG_ICB],
        costs: vec![],
        rewards: vec![Reward {
            kind: RewardKind::Licence,
            description: en("Licence"),
            shares: vec![Share {
                party: ORG_ICB,
                basis_points: 10_000,
            }],
        }],
        terms: en("Terms"),
    };
    assert_rule(
        check_terms(t.clone()),
        Rule::CommunityOrganisationMustBeParty,
    );
    let mut t2 = t;
    t2.parties.push(ORG_HOUSING);
    assert_rule(check_terms(t2), Rule::RewardsMustReachCommunity);
}

#[test]
fn the_idea_must_exist_and_be_open() {
    let mut world = v1();
    let cmd = DistributionCommand::ProposeDistribution {
        distribution_id: DistributionId::new(),
        idea_id: IdeaId::new(),
        terms: terms_v1(),
    };
    assert_code(&err(&mut world, FIRM_LEAD, cmd), "NOT_FOUND");
    assert_code(
        &err(&mut world, FIRM_LEAD, propose(DISTRIBUTION, terms_v1())),
        "CONFLICT",
    );
    ok(
        &mut world,
        CHAMPION,
        IdeaCommand::WithdrawIdea {
            idea_id: IDEA,
            reason: en("Changed our minds."),
        },
    );
    assert_rule(
        err(
            &mut world,
            FIRM_LEAD,
            propose(DistributionId::new(), terms_v1()),
        ),
        Rule::IdeaNotOpen,
    );
}

#[test]
fn only_an_authorised_member_of_a_party_consents() {
    let mut world = v1();
    // a champion of a party is not authorised
    assert_rule(
        err(&mut world, CHAMPION, consent(1)),
        Rule::OnlyAuthorisedPartyMember,
    );
    // the lead of a non-party cannot consent
    assert_rule(
        err(&mut world, APP_LEAD, consent(1)),
        Rule::OnlyAuthorisedPartyMember,
    );
    // the facilitator's organisation is not a party
    assert_rule(
        err(&mut world, FACILITATOR, consent(1)),
        Rule::OnlyAuthorisedPartyMember,
    );
    ok(&mut world, HOUSING_LEAD, consent(1));
    assert_code(&err(&mut world, HOUSING_LEAD, consent(1)), "CONFLICT");
}

#[test]
fn consent_or_objection_to_a_version_that_is_not_the_latest_is_a_conflict() {
    let mut world = full();
    let _ = &mut world;
    let mut world = until("GlucoLink consents to version 2");
    assert_code(&err(&mut world, FIRM_LEAD, consent(1)), "CONFLICT");
    assert_code(&err(&mut world, CARERS_LEAD, object(1)), "CONFLICT");
    assert_code(&err(&mut world, FIRM_LEAD, consent(3)), "CONFLICT");
}

#[test]
fn objections_come_from_authorised_members_of_any_organisation() {
    let mut world = v1();
    assert_rule(
        err(&mut world, NURSE, object(1)),
        Rule::OnlyAuthorisedPartyMember,
    );
    ok(&mut world, APP_LEAD, object(1));
    assert_code(&err(&mut world, APP_LEAD, object(1)), "CONFLICT");
    let empty = DistributionCommand::ObjectToDistribution {
        distribution_id: DISTRIBUTION,
        version: 1,
        reason: en(""),
    };
    assert_code(&err(&mut world, MOSQUE_LEAD, empty), "VALIDATION");
}

#[test]
fn an_open_objection_blocks_agreement_until_an_amendment() {
    let mut world = v1();
    ok(&mut world, APP_LEAD, object(1));
    for who in [FIRM_LEAD, HOUSING_LEAD, MOSQUE_LEAD, ICB_COMMISSIONER] {
        let events = ok(&mut world, who, consent(1));
        assert_eq!(events.len(), 1, "no agreement while an objection is open");
    }
    let close = DistributionCommand::CloseAgreement {
        distribution_id: DISTRIBUTION,
        version: 1,
    };
    assert_rule(
        err(&mut world, FACILITATOR, close),
        Rule::OpenObjectionBlocksAgreement,
    );
    // an amendment voids every consent and clears the way
    let events = ok(
        &mut world,
        FIRM_LEAD,
        DistributionCommand::AmendDistribution {
            distribution_id: DISTRIBUTION,
            terms: terms_v1(),
            rationale: en("Clarified the terms."),
        },
    );
    match &events[0] {
        crate::DomainEvent::Distribution(DistributionEvent::DistributionAmended(a)) => {
            assert_eq!(a.version, 2);
            assert_eq!(a.voided_consents.len(), 4);
        }
        other => panic!("unexpected {other:?}"),
    }
    let d = &world.distributions[&DISTRIBUTION];
    assert_eq!(d.positions.iter().filter(|p| p.voided).count(), 4);
    assert_eq!(d.missing_consents().len(), 4);
    assert!(d.open_objections().is_empty());
}

#[test]
fn a_party_that_objects_after_consenting_blocks_until_it_consents_again() {
    let mut world = v1();
    ok(&mut world, FIRM_LEAD, consent(1));
    ok(&mut world, FIRM_LEAD, object(1));
    for who in [HOUSING_LEAD, MOSQUE_LEAD, ICB_COMMISSIONER] {
        assert_eq!(ok(&mut world, who, consent(1)).len(), 1);
    }
    let events = ok(&mut world, FIRM_LEAD, consent(1));
    assert_eq!(events.len(), 2);
    assert_eq!(
        world.distributions[&DISTRIBUTION].status,
        DistributionStatus::Agreed
    );
}

#[test]
fn agreement_needs_every_party_and_the_deliberation_time() {
    let mut world = v1();
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::SetMinimumDeliberationTime {
            hub_id: HUB,
            seconds: 3 * 86_400,
        },
    );
    let proposed_at = world.distributions[&DISTRIBUTION].latest().unwrap().at;
    let close = DistributionCommand::CloseAgreement {
        distribution_id: DISTRIBUTION,
        version: 1,
    };
    assert_rule(
        err(&mut world, FACILITATOR, close.clone()),
        Rule::AgreementNeedsEveryPartyOnLatestVersion,
    );
    for who in [FIRM_LEAD, HOUSING_LEAD, MOSQUE_LEAD, ICB_COMMISSIONER] {
        let events = ok_at(
            &mut world,
            who,
            consent(1),
            proposed_at + Duration::hours(1),
        );
        assert_eq!(events.len(), 1, "too early to agree");
    }
    assert_rule(
        err_at(
            &mut world,
            FACILITATOR,
            close.clone(),
            proposed_at + Duration::days(2),
        ),
        Rule::MinimumDeliberationTime,
    );
    assert_code(
        &err_at(
            &mut world,
            FACILITATOR,
            DistributionCommand::CloseAgreement {
                distribution_id: DISTRIBUTION,
                version: 2,
            },
            proposed_at + Duration::days(4),
        ),
        "CONFLICT",
    );
    let events = ok_at(
        &mut world,
        NURSE,
        close.clone(),
        proposed_at + Duration::days(3),
    );
    assert!(
        matches!(&events[0], crate::DomainEvent::Distribution(DistributionEvent::DistributionAgreed(a)) if a.version == 1 && a.parties.len() == 4)
    );
    assert_rule(
        err(&mut world, FACILITATOR, close),
        Rule::AgreedDistributionVariesOnlyByNewRound,
    );
}

#[test]
fn who_may_amend_and_withdraw() {
    let mut world = v1();
    let amend = DistributionCommand::AmendDistribution {
        distribution_id: DISTRIBUTION,
        terms: terms_v1(),
        rationale: en("Tweak."),
    };
    assert_code(&err(&mut world, NURSE, amend.clone()), "FORBIDDEN");
    assert_code(&err(&mut world, APP_LEAD, amend.clone()), "FORBIDDEN");
    ok(&mut world, MOSQUE_LEAD, amend.clone());
    ok(&mut world, FACILITATOR, amend);
    let withdraw = DistributionCommand::WithdrawDistribution {
        distribution_id: DISTRIBUTION,
        reason: en("Funding fell through."),
    };
    assert_code(
        &err(&mut world, HOUSING_LEAD, withdraw.clone()),
        "FORBIDDEN",
    );
    ok(&mut world, FIRM_LEAD, withdraw.clone());
    assert_code(&err(&mut world, FACILITATOR, withdraw), "CONFLICT");
    assert_rule(
        err(&mut world, FIRM_LEAD, consent(3)),
        Rule::DistributionWithdrawn,
    );
    let vary = DistributionCommand::StartVariationRound {
        distribution_id: DISTRIBUTION,
        terms: terms_v1(),
        rationale: en("x"),
    };
    assert_rule(
        err(&mut world, FIRM_LEAD, vary),
        Rule::DistributionWithdrawn,
    );
}

#[test]
fn after_agreement_only_a_new_round_varies_it() {
    let mut world = full();
    assert_eq!(
        world.distributions[&DISTRIBUTION].status,
        DistributionStatus::Agreed
    );
    let amend = DistributionCommand::AmendDistribution {
        distribution_id: DISTRIBUTION,
        terms: terms_v2(),
        rationale: en("Change."),
    };
    assert_rule(
        err(&mut world, FIRM_LEAD, amend),
        Rule::AgreedDistributionVariesOnlyByNewRound,
    );
    let withdraw = DistributionCommand::WithdrawDistribution {
        distribution_id: DISTRIBUTION,
        reason: en("x"),
    };
    assert_rule(
        err(&mut world, FIRM_LEAD, withdraw.clone()),
        Rule::AgreedDistributionVariesOnlyByNewRound,
    );
    let vary = DistributionCommand::StartVariationRound {
        distribution_id: DISTRIBUTION,
        terms: terms_v2(),
        rationale: en("Second year."),
    };
    assert_code(&err(&mut world, NURSE, vary.clone()), "FORBIDDEN");
    ok(&mut world, CARERS_LEAD, vary.clone());
    let d = &world.distributions[&DISTRIBUTION];
    assert_eq!(d.version(), 3);
    assert_eq!(d.status, DistributionStatus::Proposed);
    assert_eq!(d.agreed().unwrap().version, 2);
    assert_rule(err(&mut world, FIRM_LEAD, vary), Rule::NothingAgreedToVary);
    assert_rule(
        err(&mut world, FIRM_LEAD, withdraw),
        Rule::AgreedDistributionVariesOnlyByNewRound,
    );
    for who in [
        FIRM_LEAD,
        HOUSING_LEAD,
        MOSQUE_LEAD,
        ICB_COMMISSIONER,
        CARERS_LEAD,
    ] {
        ok(&mut world, who, consent(3));
    }
    let d = &world.distributions[&DISTRIBUTION];
    assert_eq!(
        d.agreements.iter().map(|a| a.version).collect::<Vec<_>>(),
        vec![2, 3]
    );
}

#[test]
fn variation_cannot_start_before_an_agreement() {
    let mut world = v1();
    let vary = DistributionCommand::StartVariationRound {
        distribution_id: DISTRIBUTION,
        terms: terms_v1(),
        rationale: en("x"),
    };
    assert_rule(err(&mut world, FIRM_LEAD, vary), Rule::NothingAgreedToVary);
}

#[test]
fn unknown_distributions_and_strangers() {
    let mut world = full();
    let cmd = DistributionCommand::ConsentToDistribution {
        distribution_id: DistributionId::new(),
        version: 1,
    };
    assert_code(&err(&mut world, FIRM_LEAD, cmd), "NOT_FOUND");
    assert_code(&err(&mut world, MemberId::new(), consent(2)), "FORBIDDEN");
}

#[test]
fn suspended_leads_cannot_consent() {
    let mut world = v1();
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::SuspendMember {
            hub_id: HUB,
            member_id: MOSQUE_LEAD,
            reason: en("Pending review."),
        },
    );
    assert_rule(
        err(&mut world, MOSQUE_LEAD, consent(1)),
        Rule::InactiveMember,
    );
}
