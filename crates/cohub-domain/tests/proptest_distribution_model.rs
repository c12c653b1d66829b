//! Power sharing, checked against a model: random interleavings of consents, objections (and
//! their answers and withdrawals), amendments, agreements, closings without agreement and
//! variation rounds (and their abandonment) on the example's distribution, by every lead, the
//! facilitator and members who may not speak for anyone, naming random versions.
//!
//! The model is the rule of DOMAIN.md in a few dozen lines: an amendment voids every consent; a
//! consent or objection counts only for the version it names, and only if that is the open
//! one; the distribution is agreed exactly when every party of the open version has consented
//! to that version and no objection stands on it; only the objector's organisation lifts an
//! objection (an answer does not); the agreed version stays in force while a variation is
//! discussed, abandoned or closed. The domain must agree with the model after every step.

mod proptest_gen;

use chrono::Duration;
use cohub_domain::distribution::{DistributionCommand, DistributionStatus, Position, Terms};
use cohub_domain::example::{self, *};
use cohub_domain::*;
use proptest::prelude::*;
use proptest_gen::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    Consent(u32),
    Object(u32),
    Amend(Terms),
    Close(u32),
    Vary(Terms),
    Withdraw,
    Answer(OrganisationId, u32),
    WithdrawObjection(u32),
    CloseWithoutAgreement(u32),
    Abandon,
}

fn op() -> impl Strategy<Value = (MemberId, Op)> {
    let speakers = vec![
        FIRM_LEAD,
        HOUSING_LEAD,
        MOSQUE_LEAD,
        ICB_COMMISSIONER,
        CARERS_LEAD,
        APP_LEAD,
        FACILITATOR,
        CHAMPION,
        NURSE,
    ];
    let orgs = vec![
        ORG_GLUCOLINK,
        ORG_HOUSING,
        ORG_MOSQUE,
        ORG_ICB,
        ORG_CARERS,
        ORG_BLOOMMIND,
        ORG_PUBLIC_HEALTH,
    ];
    let valid_terms = prop_oneof![Just(terms_v1()), Just(terms_v2()), terms()];
    let v = prop_oneof![6 => 1u32..5, 1 => Just(0u32), 1 => any::<u32>()];
    (
        prop::sample::select(speakers),
        prop_oneof![
            10 => v.clone().prop_map(Op::Consent),
            3 => v.clone().prop_map(Op::Object),
            3 => valid_terms.clone().prop_map(Op::Amend),
            2 => v.clone().prop_map(Op::Close),
            2 => valid_terms.prop_map(Op::Vary),
            1 => Just(Op::Withdraw),
            2 => (prop::sample::select(orgs), v.clone()).prop_map(|(o, v)| Op::Answer(o, v)),
            3 => v.clone().prop_map(Op::WithdrawObjection),
            1 => v.prop_map(Op::CloseWithoutAgreement),
            1 => Just(Op::Abandon),
        ],
    )
}

fn command(op: &Op) -> DomainCommand {
    let distribution_id = DISTRIBUTION;
    let why = PlainText::en("Because the parties asked for it.");
    match op.clone() {
        Op::Consent(version) => DistributionCommand::ConsentToDistribution {
            distribution_id,
            version,
        },
        Op::Object(version) => DistributionCommand::ObjectToDistribution {
            distribution_id,
            version,
            reason: why,
        },
        Op::Amend(terms) => DistributionCommand::AmendDistribution {
            distribution_id,
            terms,
            rationale: why,
        },
        Op::Close(version) => DistributionCommand::CloseAgreement {
            distribution_id,
            version,
        },
        Op::Vary(terms) => DistributionCommand::StartVariationRound {
            distribution_id,
            terms,
            rationale: why,
        },
        Op::Withdraw => DistributionCommand::WithdrawDistribution {
            distribution_id,
            reason: why,
        },
        Op::Answer(organisation_id, version) => DistributionCommand::AnswerObjection {
            distribution_id,
            version,
            organisation_id,
            answer: why,
        },
        Op::WithdrawObjection(version) => DistributionCommand::WithdrawObjection {
            distribution_id,
            version,
            note: None,
        },
        Op::CloseWithoutAgreement(version) => DistributionCommand::CloseWithoutAgreement {
            distribution_id,
            version,
            reason: why,
        },
        Op::Abandon => DistributionCommand::AbandonVariation {
            distribution_id,
            reason: why,
        },
    }
    .into()
}

/// The rule, as a model: per organisation, its standing position on the latest version
/// (true = consented, false = objected; a withdrawn objection leaves none), whether a round is
/// open, and which version is in force.
#[derive(Debug, Default, Clone, PartialEq)]
struct Model {
    latest: u32,
    parties: Vec<OrganisationId>,
    positions: BTreeMap<OrganisationId, bool>,
    status: Option<DistributionStatus>,
    open: bool,
    in_force: Option<u32>,
}

impl Model {
    fn from_world(world: &World) -> Model {
        let d = &world.distributions[&DISTRIBUTION];
        let latest = d.version();
        Model {
            latest,
            parties: d.latest().unwrap().terms.parties.clone(),
            positions: d
                .positions_on(latest)
                .into_iter()
                .filter(|(_, p)| p.holds())
                .map(|(o, p)| (o, matches!(p.position, Position::Consented)))
                .collect(),
            status: Some(d.status),
            open: d.open_version().is_some(),
            in_force: d.in_force(),
        }
    }

    fn agreeable(&self) -> bool {
        self.parties
            .iter()
            .all(|p| self.positions.get(p) == Some(&true))
            && !self.positions.values().any(|c| !c)
    }

    fn agree_if_due(&mut self) {
        if self.agreeable() {
            self.status = Some(DistributionStatus::Agreed);
            self.in_force = Some(self.latest);
            self.open = false;
        }
    }

    fn new_version(&mut self, world: &World) {
        let d = &world.distributions[&DISTRIBUTION];
        self.latest += 1;
        self.parties = d.latest().unwrap().terms.parties.clone();
        self.positions.clear();
        self.open = true;
    }
}

fn org_of(world: &World, member: MemberId) -> OrganisationId {
    world.hubs[&HUB]
        .members
        .get(&member)
        .map(|m| m.organisation_id)
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn consents_count_only_for_the_latest_version_and_agreement_needs_every_party(
        start in prop::sample::select(vec![
            "distribution v1 proposed",
            "carers object to v1",
            "v2 proposed, consents voided",
            "agreed",
        ]),
        script in prop::collection::vec(op(), 1..40),
    ) {
        let snap = snapshots().iter().find(|s| s.name == start).unwrap();
        let mut world = snap.world.clone();
        let mut model = Model::from_world(&world);
        for (i, (actor, op)) in script.iter().enumerate() {
            let now = snap.at + Duration::minutes(i as i64 + 1);
            let cmd = command(op);
            let before = Model::from_world(&world);
            let d_before = world.distributions[&DISTRIBUTION].clone();
            let accepted = decide_and_check(&mut world, *actor, &cmd, now)?;
            let d = world.distributions[&DISTRIBUTION].clone();
            let open = before.open;
            let member = world.hubs[&HUB].members.get(actor);
            let speaks = member.is_some_and(|m| {
                matches!(m.role, Role::Lead | Role::Facilitator)
                    && m.status == cohub_domain::hub::MemberStatus::Active
            });
            let org = org_of(&world, *actor);
            let may_change = *actor == FIRM_LEAD
                || *actor == FACILITATOR
                || (speaks && before.parties.contains(&org));
            match op {
                Op::Consent(v) => {
                    let expected = open && *v == before.latest && speaks
                        && before.parties.contains(&org)
                        && before.positions.get(&org) != Some(&true);
                    prop_assert_eq!(accepted, expected, "consent to v{} by {}", v, actor);
                    if accepted {
                        model.positions.insert(org, true);
                        // Deliberation time is zero in these snapshots: the consent that
                        // completes the set agrees the distribution at once.
                        model.agree_if_due();
                    }
                }
                Op::Object(v) => {
                    let expected = open && *v == before.latest && speaks
                        && before.positions.get(&org) != Some(&false);
                    prop_assert_eq!(accepted, expected, "objection to v{} by {}", v, actor);
                    if accepted {
                        model.positions.insert(org, false);
                    }
                }
                Op::Answer(o, v) => {
                    let objection = d_before.current_position(*o, before.latest);
                    let unanswered_other = objection.is_some_and(|p| {
                        p.by != *actor && p.answer.is_none()
                    });
                    let expected = open && *v == before.latest && *actor == FIRM_LEAD
                        && before.positions.get(o) == Some(&false)
                        && unanswered_other;
                    prop_assert_eq!(accepted, expected, "answer to {}'s objection to v{} by {}", o, v, actor);
                }
                Op::WithdrawObjection(v) => {
                    let expected = open && *v == before.latest && speaks
                        && before.positions.get(&org) == Some(&false);
                    prop_assert_eq!(accepted, expected, "withdrawal of an objection to v{} by {}", v, actor);
                    if accepted {
                        model.positions.remove(&org);
                        model.agree_if_due();
                    }
                }
                Op::Amend(_) => {
                    if accepted {
                        prop_assert!(open);
                        model.new_version(&world);
                    }
                }
                Op::Vary(_) => {
                    if accepted {
                        prop_assert_eq!(before.status, Some(DistributionStatus::Agreed));
                        prop_assert!(!open);
                        model.new_version(&world);
                    }
                }
                Op::Close(v) => {
                    let expected = open && *v == before.latest && before.agreeable();
                    prop_assert_eq!(accepted, expected, "close v{}", v);
                    if accepted {
                        model.agree_if_due();
                    }
                }
                Op::CloseWithoutAgreement(v) => {
                    let expected = open && *v == before.latest && *actor == FACILITATOR
                        && !before.agreeable();
                    prop_assert_eq!(accepted, expected, "close v{} without agreement by {}", v, actor);
                    if accepted {
                        model.open = false;
                        if model.in_force.is_none() {
                            model.status = Some(DistributionStatus::ClosedWithoutAgreement);
                        }
                    }
                }
                Op::Abandon => {
                    let expected = open && before.in_force.is_some() && may_change;
                    prop_assert_eq!(accepted, expected, "abandon by {}", actor);
                    if accepted {
                        model.open = false;
                    }
                }
                Op::Withdraw => {
                    if accepted {
                        prop_assert!(d.agreements.is_empty());
                        model.status = Some(DistributionStatus::Withdrawn);
                        model.open = false;
                    }
                }
            }
            let now_model = Model::from_world(&world);
            prop_assert_eq!(&now_model, &model, "after {:?} by {}", op, actor);
            let standing = d.standing(None);
            prop_assert_eq!(standing.in_force, model.in_force);
            prop_assert_eq!(standing.open_version.is_some(), model.open);
            if let Some(in_force) = d.in_force() {
                prop_assert_eq!(d.status, DistributionStatus::Agreed, "an agreement stays in force");
                let a = d.agreements.iter().rfind(|a| a.version == in_force).unwrap();
                prop_assert_eq!(&a.parties, &d.versions[in_force as usize - 1].terms.parties);
            }
            // Nothing ever counts a consent to a version other than the open one.
            if let Some(open) = standing.open_version {
                for p in d.positions.iter().enumerate().filter(|(i, p)| {
                    p.position.is_consent() && d.is_standing(*i) && p.version != open
                }) {
                    prop_assert!(
                        d.agreements.iter().any(|a| a.version == p.1.version)
                            || d.round_endings.iter().any(|e| e.version == p.1.version),
                        "a consent to superseded version {} still counts", p.1.version
                    );
                }
            }
        }
        let _ = example::HUB;
    }
}
