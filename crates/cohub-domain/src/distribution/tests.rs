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
    assert!(d.standing(None).objecting.is_empty());
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
    // The agreed version stays in force while the variation is discussed.
    assert_eq!(d.status, DistributionStatus::Agreed);
    assert_eq!(d.in_force(), Some(2));
    assert_eq!(d.open_version(), Some(3));
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

// ---------------------------------------------------------------------------------------------
// Standing, answers and withdrawals of objections, closing, variations, lapse
// ---------------------------------------------------------------------------------------------

fn answer(org: crate::ids::OrganisationId, version: u32, text: &str) -> DistributionCommand {
    DistributionCommand::AnswerObjection {
        distribution_id: DISTRIBUTION,
        version,
        organisation_id: org,
        answer: en(text),
    }
}

fn withdraw_objection(version: u32) -> DistributionCommand {
    DistributionCommand::WithdrawObjection {
        distribution_id: DISTRIBUTION,
        version,
        note: Some(en("Our concern was met.")),
    }
}

fn close_without_agreement(version: u32, reason: &str) -> DistributionCommand {
    DistributionCommand::CloseWithoutAgreement {
        distribution_id: DISTRIBUTION,
        version,
        reason: en(reason),
    }
}

fn vary(terms: Terms) -> DistributionCommand {
    DistributionCommand::StartVariationRound {
        distribution_id: DISTRIBUTION,
        terms,
        rationale: en("Second year."),
    }
}

fn abandon() -> DistributionCommand {
    DistributionCommand::AbandonVariation {
        distribution_id: DISTRIBUTION,
        reason: en("The second year is not funded after all."),
    }
}

fn lapse_of(world: &World) -> Option<Lapse> {
    Lapse::of_idea(&world.ideas[&IDEA])
}

fn standing(world: &World) -> Standing {
    world.distributions[&DISTRIBUTION].standing(lapse_of(world).as_ref())
}

fn decline_idea(world: &mut World) -> Vec<crate::DomainEvent> {
    use crate::idea::{Decision, IdeaOutcome, StatedPreference};
    ok(
        world,
        FACILITATOR,
        IdeaCommand::RecordIdeaDecision {
            idea_id: IDEA,
            outcome: IdeaOutcome::Decline,
            decision: Decision {
                options_considered: vec![en("Voice reminders")],
                preferences: vec![StatedPreference {
                    organisation_id: ORG_HOUSING,
                    preference: en("Not now."),
                }],
                rationale: en("The screening service is being recommissioned."),
            },
        },
    )
}

fn withdraw_idea(world: &mut World) {
    ok(
        world,
        CHAMPION,
        IdeaCommand::WithdrawIdea {
            idea_id: IDEA,
            reason: en("The residents chose another approach."),
        },
    );
}

#[test]
fn a_consent_followed_by_an_objection_counts_as_missing_and_objecting() {
    let mut world = v1();
    ok(&mut world, HOUSING_LEAD, consent(1));
    assert_eq!(standing(&world).consented, vec![ORG_HOUSING]);
    ok(&mut world, HOUSING_LEAD, object(1));
    let s = standing(&world);
    assert!(s.consented.is_empty());
    assert!(s.missing.contains(&ORG_HOUSING));
    assert_eq!(s.objecting, vec![ORG_HOUSING]);
    assert_eq!(s.missing.len(), 4);
    // Consenting again replaces the objection.
    ok(&mut world, HOUSING_LEAD, consent(1));
    let s = standing(&world);
    assert_eq!(s.consented, vec![ORG_HOUSING]);
    assert!(s.objecting.is_empty());
}

#[test]
fn the_proposer_answers_an_objection_and_the_objection_still_stands() {
    let mut world = v1();
    ok(&mut world, APP_LEAD, object(1));
    // Only the distribution's proposer answers.
    assert_code(
        &err(&mut world, HOUSING_LEAD, answer(ORG_BLOOMMIND, 1, "No.")),
        "FORBIDDEN",
    );
    assert_code(
        &err(&mut world, FACILITATOR, answer(ORG_BLOOMMIND, 1, "No.")),
        "FORBIDDEN",
    );
    assert_code(
        &err(&mut world, FIRM_LEAD, answer(ORG_BLOOMMIND, 2, "No.")),
        "CONFLICT",
    );
    assert_code(
        &err(&mut world, FIRM_LEAD, answer(ORG_MOSQUE, 1, "No.")),
        "NOT_FOUND",
    );
    assert_code(
        &err(&mut world, FIRM_LEAD, answer(ORG_BLOOMMIND, 1, "")),
        "VALIDATION",
    );
    let events = ok(
        &mut world,
        FIRM_LEAD,
        answer(ORG_BLOOMMIND, 1, "The app is not part of this pilot."),
    );
    assert!(matches!(
        &events[..],
        [crate::DomainEvent::Distribution(DistributionEvent::ObjectionAnswered(a))]
            if a.organisation_id == ORG_BLOOMMIND && a.version == 1
    ));
    let d = &world.distributions[&DISTRIBUTION];
    let record = d.current_position(ORG_BLOOMMIND, 1).unwrap();
    assert!(record.position.is_objection() && record.withdrawal.is_none());
    assert!(matches!(
        &record.answer,
        Some(a) if a.by == FIRM_LEAD && a.answer.text == "The app is not part of this pilot."
    ));
    assert_code(
        &err(&mut world, FIRM_LEAD, answer(ORG_BLOOMMIND, 1, "Again.")),
        "CONFLICT",
    );
    // An answer does not lift the objection: every party consents, nothing is agreed.
    for who in [FIRM_LEAD, HOUSING_LEAD, MOSQUE_LEAD, ICB_COMMISSIONER] {
        assert_eq!(ok(&mut world, who, consent(1)).len(), 1);
    }
    assert_eq!(standing(&world).objecting, vec![ORG_BLOOMMIND]);
    assert_eq!(standing(&world).status, DistributionStatus::Proposed);
    assert_rule(
        err(
            &mut world,
            FACILITATOR,
            DistributionCommand::CloseAgreement {
                distribution_id: DISTRIBUTION,
                version: 1,
            },
        ),
        Rule::OpenObjectionBlocksAgreement,
    );
}

#[test]
fn the_proposer_cannot_answer_their_own_objection() {
    let mut world = v1();
    ok(&mut world, FIRM_LEAD, object(1));
    assert_code(
        &err(&mut world, FIRM_LEAD, answer(ORG_GLUCOLINK, 1, "Fine.")),
        "FORBIDDEN",
    );
}

#[test]
fn an_objection_is_withdrawn_by_its_author_and_agreement_follows_when_nothing_else_blocks() {
    let mut world = v1();
    ok(&mut world, APP_LEAD, object(1));
    for who in [FIRM_LEAD, HOUSING_LEAD, MOSQUE_LEAD, ICB_COMMISSIONER] {
        assert_eq!(ok(&mut world, who, consent(1)).len(), 1);
    }
    // Nobody else's organisation has an objection to withdraw.
    assert_code(&err(&mut world, NURSE, withdraw_objection(1)), "NOT_FOUND");
    assert_code(
        &err(&mut world, HOUSING_LEAD, withdraw_objection(1)),
        "NOT_FOUND",
    );
    assert_code(
        &err(&mut world, APP_LEAD, withdraw_objection(2)),
        "CONFLICT",
    );
    let events = ok(&mut world, APP_LEAD, withdraw_objection(1));
    assert!(matches!(
        &events[..],
        [
            crate::DomainEvent::Distribution(DistributionEvent::ObjectionWithdrawn(w)),
            crate::DomainEvent::Distribution(DistributionEvent::DistributionAgreed(a)),
        ] if w.organisation_id == ORG_BLOOMMIND && w.objected_by == APP_LEAD && a.version == 1
    ));
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::Agreed);
    assert_eq!(s.in_force, Some(1));
    assert!(s.objecting.is_empty());
}

#[test]
fn a_withdrawn_objection_leaves_no_position_and_can_be_made_again() {
    let mut world = v1();
    ok(&mut world, HOUSING_LEAD, consent(1));
    ok(&mut world, HOUSING_LEAD, object(1));
    ok(&mut world, HOUSING_LEAD, withdraw_objection(1));
    let s = standing(&world);
    assert!(s.objecting.is_empty());
    assert!(
        s.missing.contains(&ORG_HOUSING),
        "withdrawing an objection does not bring an earlier consent back"
    );
    assert_code(
        &err(&mut world, HOUSING_LEAD, withdraw_objection(1)),
        "CONFLICT",
    );
    ok(&mut world, HOUSING_LEAD, object(1));
    assert_eq!(standing(&world).objecting, vec![ORG_HOUSING]);
}

#[test]
fn only_the_author_or_a_lead_of_the_same_organisation_withdraws_an_objection() {
    let mut world = v1();
    ok(&mut world, HOUSING_LEAD, object(1));
    // A champion of the same organisation does not speak for it.
    assert_code(
        &err(&mut world, CHAMPION, withdraw_objection(1)),
        "FORBIDDEN",
    );
    // Another lead of the same organisation does.
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: CHAMPION_2,
            role: crate::actor::Role::Lead,
        },
    );
    ok(&mut world, CHAMPION_2, withdraw_objection(1));
    let d = &world.distributions[&DISTRIBUTION];
    assert!(d.current_position(ORG_HOUSING, 1).is_none());
    // The author keeps the right to withdraw it even after ceasing to be a lead.
    ok(&mut world, HOUSING_LEAD, object(1));
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: HOUSING_LEAD,
            role: crate::actor::Role::Member,
        },
    );
    ok(&mut world, HOUSING_LEAD, withdraw_objection(1));
}

#[test]
fn a_facilitator_closes_a_round_that_cannot_agree() {
    let mut world = v1();
    ok(&mut world, APP_LEAD, object(1));
    assert_code(
        &err(&mut world, FIRM_LEAD, close_without_agreement(1, "Stuck.")),
        "FORBIDDEN",
    );
    assert_code(
        &err(
            &mut world,
            FACILITATOR,
            close_without_agreement(2, "Stuck."),
        ),
        "CONFLICT",
    );
    assert_code(
        &err(&mut world, FACILITATOR, close_without_agreement(1, "")),
        "VALIDATION",
    );
    let events = ok(
        &mut world,
        FACILITATOR,
        close_without_agreement(1, "Three meetings, no way through."),
    );
    assert!(matches!(
        &events[..],
        [crate::DomainEvent::Distribution(DistributionEvent::DistributionClosedWithoutAgreement(c))]
            if c.version == 1 && c.in_force_version.is_none()
    ));
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::ClosedWithoutAgreement);
    assert_eq!(s.open_version, None);
    assert_eq!(s.in_force, None);
    // Nothing moves a closed round, not even its objector.
    let refused = [
        (HOUSING_LEAD, consent(1)),
        (APP_LEAD, withdraw_objection(1)),
        (FIRM_LEAD, answer(ORG_BLOOMMIND, 1, "Late.")),
        (
            FIRM_LEAD,
            DistributionCommand::AmendDistribution {
                distribution_id: DISTRIBUTION,
                terms: terms_v1(),
                rationale: en("Try again."),
            },
        ),
        (
            FIRM_LEAD,
            DistributionCommand::WithdrawDistribution {
                distribution_id: DISTRIBUTION,
                reason: en("x"),
            },
        ),
        (FIRM_LEAD, vary(terms_v1())),
        (FACILITATOR, close_without_agreement(1, "Again.")),
        (FIRM_LEAD, abandon()),
    ];
    for (who, cmd) in refused {
        assert_rule(err(&mut world, who, cmd), Rule::DistributionClosed);
    }
}

#[test]
fn a_round_every_party_consented_to_cannot_be_closed_without_agreement() {
    let mut world = v1();
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::SetMinimumDeliberationTime {
            hub_id: HUB,
            seconds: 3 * 86_400,
        },
    );
    for who in [FIRM_LEAD, HOUSING_LEAD, MOSQUE_LEAD, ICB_COMMISSIONER] {
        assert_eq!(
            ok(&mut world, who, consent(1)).len(),
            1,
            "too early to agree"
        );
    }
    assert_rule(
        err(
            &mut world,
            FACILITATOR,
            close_without_agreement(1, "Impatient."),
        ),
        Rule::RoundCanStillAgree,
    );
    // One objection makes it a round that cannot agree as it stands.
    ok(&mut world, APP_LEAD, object(1));
    ok(
        &mut world,
        FACILITATOR,
        close_without_agreement(1, "Blocked."),
    );
}

#[test]
fn a_variation_keeps_the_agreed_version_in_force_until_it_is_agreed_or_abandoned() {
    let mut world = full();
    ok(&mut world, FIRM_LEAD, vary(terms_v1()));
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::Agreed);
    assert_eq!(s.in_force, Some(2));
    assert_eq!(s.open_version, Some(3));
    assert!(s.variation_open());
    assert_eq!(s.version, 3);
    assert_eq!(s.missing, terms_v1().parties);
    // Who may abandon: whoever may write a version.
    assert_code(&err(&mut world, NURSE, abandon()), "FORBIDDEN");
    assert_code(&err(&mut world, APP_LEAD, abandon()), "FORBIDDEN");
    let reason = "";
    assert_code(
        &err(
            &mut world,
            MOSQUE_LEAD,
            DistributionCommand::AbandonVariation {
                distribution_id: DISTRIBUTION,
                reason: en(reason),
            },
        ),
        "VALIDATION",
    );
    ok(&mut world, HOUSING_LEAD, consent(3));
    let events = ok(&mut world, MOSQUE_LEAD, abandon());
    assert!(matches!(
        &events[..],
        [crate::DomainEvent::Distribution(DistributionEvent::VariationAbandoned(a))]
            if a.version == 3 && a.in_force_version == 2
    ));
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::Agreed);
    assert_eq!(s.in_force, Some(2));
    assert_eq!(s.open_version, None);
    assert_eq!(s.version, 2);
    assert!(s.missing.is_empty());
    assert_eq!(s.consented, terms_v2().parties);
    assert_rule(
        err(&mut world, FIRM_LEAD, consent(3)),
        Rule::AgreedDistributionVariesOnlyByNewRound,
    );
    assert_rule(err(&mut world, FIRM_LEAD, abandon()), Rule::NoVariationOpen);
    // A new variation can start; it varies the version in force.
    let events = ok(&mut world, FIRM_LEAD, vary(terms_v2()));
    assert!(matches!(
        &events[..],
        [crate::DomainEvent::Distribution(DistributionEvent::VariationRoundStarted(v))]
            if v.version == 4 && v.agreed_version == 2
    ));
    assert_rule(
        err(&mut world, FIRM_LEAD, vary(terms_v2())),
        Rule::NothingAgreedToVary,
    );
    for who in [
        FIRM_LEAD,
        HOUSING_LEAD,
        MOSQUE_LEAD,
        ICB_COMMISSIONER,
        CARERS_LEAD,
    ] {
        ok(&mut world, who, consent(4));
    }
    let s = standing(&world);
    assert_eq!((s.in_force, s.open_version), (Some(4), None));
}

#[test]
fn there_is_no_variation_to_abandon_before_an_agreement() {
    let mut world = v1();
    assert_rule(err(&mut world, FIRM_LEAD, abandon()), Rule::NoVariationOpen);
}

#[test]
fn closing_a_variation_round_without_agreement_keeps_the_agreed_version_in_force() {
    let mut world = full();
    ok(&mut world, FIRM_LEAD, vary(terms_v1()));
    ok(&mut world, CARERS_LEAD, object(3));
    let events = ok(
        &mut world,
        FACILITATOR,
        close_without_agreement(3, "Carers Together cannot accept leaving."),
    );
    assert!(matches!(
        &events[..],
        [crate::DomainEvent::Distribution(DistributionEvent::DistributionClosedWithoutAgreement(c))]
            if c.version == 3 && c.in_force_version == Some(2)
    ));
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::Agreed);
    assert_eq!((s.in_force, s.open_version), (Some(2), None));
    ok(&mut world, FIRM_LEAD, vary(terms_v2()));
}

#[test]
fn an_open_distribution_lapses_when_its_idea_is_withdrawn() {
    let mut world = v1();
    ok(&mut world, FIRM_LEAD, consent(1));
    ok(&mut world, APP_LEAD, object(1));
    withdraw_idea(&mut world);
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::Lapsed);
    assert_eq!(s.open_version, None);
    assert_eq!(
        s.consented,
        vec![ORG_GLUCOLINK],
        "positions stay as they stood"
    );
    assert_eq!(
        s.lapse.as_ref().map(|l| l.cause),
        Some(LapseCause::IdeaWithdrawn)
    );
    let e = err(&mut world, HOUSING_LEAD, consent(1));
    assert!(
        e.to_string()
            .contains("The residents chose another approach."),
        "the refusal names why: {e}"
    );
    assert_rule(e, Rule::DistributionLapsed);
    let refused = [
        (MOSQUE_LEAD, object(1)),
        (FACILITATOR, close_without_agreement(1, "x")),
        (
            FACILITATOR,
            DistributionCommand::CloseAgreement {
                distribution_id: DISTRIBUTION,
                version: 1,
            },
        ),
        (FIRM_LEAD, answer(ORG_BLOOMMIND, 1, "Too late.")),
        (APP_LEAD, withdraw_objection(1)),
        (
            FIRM_LEAD,
            DistributionCommand::AmendDistribution {
                distribution_id: DISTRIBUTION,
                terms: terms_v1(),
                rationale: en("x"),
            },
        ),
        (FIRM_LEAD, vary(terms_v1())),
        (FIRM_LEAD, abandon()),
    ];
    for (who, cmd) in refused {
        assert_rule(err(&mut world, who, cmd), Rule::DistributionLapsed);
    }
    // Its proposer may still withdraw it, for the record.
    ok(
        &mut world,
        FIRM_LEAD,
        DistributionCommand::WithdrawDistribution {
            distribution_id: DISTRIBUTION,
            reason: en("The idea is gone."),
        },
    );
    assert_eq!(standing(&world).status, DistributionStatus::Withdrawn);
}

#[test]
fn an_open_distribution_lapses_when_its_idea_is_declined() {
    let mut world = v1();
    let _ = decline_idea(&mut world);
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::Lapsed);
    assert_eq!(
        s.lapse,
        Some(Lapse {
            cause: LapseCause::IdeaDeclined,
            reason: en("The screening service is being recommissioned."),
        })
    );
    let e = err(&mut world, HOUSING_LEAD, consent(1));
    assert!(e.to_string().contains("declined"), "{e}");
    assert_rule(e, Rule::DistributionLapsed);
}

#[test]
fn an_agreed_distribution_stays_in_force_when_its_idea_goes_but_takes_no_new_round() {
    let mut world = full();
    withdraw_idea(&mut world);
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::Agreed);
    assert_eq!(s.in_force, Some(2));
    assert!(s.lapse.is_some());
    assert_rule(
        err(&mut world, FIRM_LEAD, vary(terms_v1())),
        Rule::DistributionLapsed,
    );
    assert_rule(
        err(&mut world, FIRM_LEAD, consent(2)),
        Rule::DistributionLapsed,
    );
}

#[test]
fn an_open_variation_lapses_with_its_idea_and_the_agreed_version_stays_in_force() {
    let mut world = full();
    ok(&mut world, FIRM_LEAD, vary(terms_v1()));
    ok(&mut world, FIRM_LEAD, consent(3));
    let _ = decline_idea(&mut world);
    let s = standing(&world);
    assert_eq!(s.status, DistributionStatus::Agreed);
    assert_eq!((s.in_force, s.open_version), (Some(2), None));
    assert_eq!(s.version, 2);
    assert!(s.missing.is_empty());
    for (who, cmd) in [
        (HOUSING_LEAD, consent(3)),
        (MOSQUE_LEAD, object(3)),
        (FIRM_LEAD, abandon()),
        (FACILITATOR, close_without_agreement(3, "x")),
    ] {
        assert_rule(err(&mut world, who, cmd), Rule::DistributionLapsed);
    }
}

#[test]
fn the_lapse_read_from_an_idea_equals_the_lapse_read_from_its_event() {
    for withdraw in [true, false] {
        let mut world = v1();
        let events = if withdraw {
            ok(
                &mut world,
                CHAMPION,
                IdeaCommand::WithdrawIdea {
                    idea_id: IDEA,
                    reason: en("Changed our minds."),
                },
            )
        } else {
            decline_idea(&mut world)
        };
        let from_state = lapse_of(&world).expect("the idea lapsed");
        match events.as_slice() {
            [crate::DomainEvent::Idea(e)] => {
                assert_eq!(Lapse::from_idea_event(e), Some(from_state.clone()))
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!from_state.describe().is_empty());
    }
    // Other idea events lapse nothing.
    let mut world = v1();
    let events = ok(
        &mut world,
        NURSE,
        IdeaCommand::SupportIdea { idea_id: IDEA },
    );
    match &events[0] {
        crate::DomainEvent::Idea(e) => assert_eq!(Lapse::from_idea_event(e), None),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(lapse_of(&world), None);
}
