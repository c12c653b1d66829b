//! Power sharing, checked against a model: random interleavings of consents, objections,
//! amendments, agreements and variation rounds on the example's distribution, by every lead,
//! the facilitator and members who may not speak for anyone, naming random versions.
//!
//! The model is the rule of DOMAIN.md in a dozen lines: an amendment voids every consent; a
//! consent or objection counts only for the version it names, and only if that is the latest;
//! the distribution is agreed exactly when every party of the latest version has consented to
//! that version and no objection stands on it. The domain must agree with the model after every
//! step, and never count a consent to a voided version.

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
    let valid_terms = prop_oneof![Just(terms_v1()), Just(terms_v2()), terms()];
    let v = prop_oneof![6 => 1u32..5, 1 => Just(0u32), 1 => any::<u32>()];
    (
        prop::sample::select(speakers),
        prop_oneof![
            10 => v.clone().prop_map(Op::Consent),
            3 => v.clone().prop_map(Op::Object),
            3 => valid_terms.clone().prop_map(Op::Amend),
            2 => v.prop_map(Op::Close),
            2 => valid_terms.prop_map(Op::Vary),
            1 => Just(Op::Withdraw),
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
    }
    .into()
}

/// The rule, as a model: per organisation, its standing position on the latest version.
#[derive(Debug, Default)]
struct Model {
    latest: u32,
    parties: Vec<OrganisationId>,
    positions: BTreeMap<OrganisationId, bool>, // true = consented, false = objected
    status: Option<DistributionStatus>,
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
                .map(|(o, p)| (o, matches!(p.position, Position::Consented)))
                .collect(),
            status: Some(d.status),
        }
    }

    fn agreeable(&self) -> bool {
        self.parties
            .iter()
            .all(|p| self.positions.get(p) == Some(&true))
            && !self.positions.values().any(|c| !c)
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
            let accepted = decide_and_check(&mut world, *actor, &cmd, now)?;
            let d = world.distributions[&DISTRIBUTION].clone();
            let open = before.status == Some(DistributionStatus::Proposed);
            let member = world.hubs[&HUB].members.get(actor);
            let speaks = member.is_some_and(|m| {
                matches!(m.role, Role::Lead | Role::Facilitator)
                    && m.status == cohub_domain::hub::MemberStatus::Active
            });
            let org = org_of(&world, *actor);
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
                        if model.agreeable() {
                            model.status = Some(DistributionStatus::Agreed);
                        }
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
                Op::Amend(_) => {
                    if accepted {
                        prop_assert!(open);
                        model.latest += 1;
                        model.parties = d.latest().unwrap().terms.parties.clone();
                        model.positions.clear();
                    }
                }
                Op::Vary(_) => {
                    if accepted {
                        prop_assert_eq!(before.status, Some(DistributionStatus::Agreed));
                        model.latest += 1;
                        model.parties = d.latest().unwrap().terms.parties.clone();
                        model.positions.clear();
                        model.status = Some(DistributionStatus::Proposed);
                    }
                }
                Op::Close(v) => {
                    let expected = open && *v == before.latest && before.agreeable();
                    prop_assert_eq!(accepted, expected, "close v{}", v);
                    if accepted {
                        model.status = Some(DistributionStatus::Agreed);
                    }
                }
                Op::Withdraw => {
                    if accepted {
                        prop_assert!(d.agreements.is_empty());
                        model.status = Some(DistributionStatus::Withdrawn);
                    }
                }
            }
            let now_model = Model::from_world(&world);
            prop_assert_eq!(now_model.latest, model.latest);
            prop_assert_eq!(&now_model.positions, &model.positions, "standing positions");
            prop_assert_eq!(now_model.status, model.status, "status after {:?}", op);
            if d.status == DistributionStatus::Agreed {
                prop_assert!(model.agreeable(), "agreed without every party on the latest version");
            }
            // Nothing ever counts a consent to a version other than the latest.
            let counted: Vec<u32> = d
                .positions
                .iter()
                .filter(|p| matches!(p.position, Position::Consented) && !p.voided)
                .filter(|p| d.positions_on(p.version).get(&p.organisation_id).map(|q| q.at == p.at && q.by == p.by).unwrap_or(false))
                .map(|p| p.version)
                .filter(|v| !d.agreements.iter().any(|a| a.version == *v))
                .collect();
            prop_assert!(counted.iter().all(|v| *v == d.version()), "a consent to a superseded version counts: {:?}", counted);
        }
        let _ = example::HUB;
    }
}
