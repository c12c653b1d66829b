//! One truth for consent: random histories of the example's distributions (proposals,
//! amendments, consents, objections, answers and withdrawals of objections, agreements,
//! closings without agreement, withdrawals, variation rounds and their abandonment, the idea
//! withdrawn, shortlisted or declined) are decided by the domain and folded, event by event,
//! into the read model. After every step the read model says exactly what the domain says:
//! the status, the version in force and the one open, who consented, who objects, who is
//! missing, the lapse; its status filter finds each distribution under its status; its
//! consent and objection lists mark as standing exactly the positions the domain counts.

#[path = "../../cohub-domain/tests/proptest_gen/mod.rs"]
mod proptest_gen;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use cohub_domain::distribution::{DistributionCommand, Lapse, Terms};
use cohub_domain::example::{self, *};
use cohub_domain::hub::HubCommand;
use cohub_domain::idea::{Decision, IdeaCommand, IdeaOutcome, StatedPreference};
use cohub_domain::text::PlainText;
use cohub_domain::{
    actor, DistributionId, DomainCommand, DomainEvent, MemberId, OrganisationId, World,
};
use cohub_read::{Page, ReadModel};
use cohub_store::{ActorRef, Envelope};
use proptest::prelude::*;
use proptest_gen::{cases, terms};
use uuid::Uuid;

/// A second distribution for the example's idea, proposed during some histories.
const SECOND: DistributionId = DistributionId::from_u128(0x5ec0_0d00);

/// The domain's world and the read model, kept in step through a log of envelopes.
struct Both {
    world: World,
    model: ReadModel,
    stream_versions: BTreeMap<String, u64>,
    at: DateTime<Utc>,
}

impl Both {
    fn new() -> Both {
        Both {
            world: World::new(),
            model: ReadModel::new(),
            stream_versions: BTreeMap::new(),
            at: example::start_time(),
        }
    }

    /// Decides a command one minute later; on acceptance, applies its events to the world and
    /// folds them, as envelopes, into the read model. Returns whether it was accepted.
    fn run(&mut self, actor: MemberId, command: &DomainCommand) -> bool {
        self.at += Duration::minutes(1);
        let Ok(events) = self.world.decide(actor, command, self.at) else {
            return false;
        };
        for e in &events {
            self.world.apply(e);
        }
        let hub = &self.world.hubs[&HUB];
        let who = actor::resolve(hub, actor).expect("an accepted actor resolves");
        let actor_ref = ActorRef {
            member_id: actor.uuid(),
            organisation_id: Some(who.organisation_id.uuid()),
            stakeholder_kind: Some(who.kind.as_str().to_string()),
            role: who.role.as_str().to_string(),
        };
        for e in events {
            self.fold(&e, actor_ref.clone());
        }
        true
    }

    fn fold(&mut self, event: &DomainEvent, actor: ActorRef) {
        let position = self.model.position() + 1;
        let stream_id = event.stream_id();
        let version = self.stream_versions.entry(stream_id.clone()).or_default();
        *version += 1;
        let encoded = event.encode();
        let envelope = Envelope {
            event_id: Uuid::from_u128(position as u128),
            hub_id: HUB.uuid(),
            stream_id,
            stream_version: *version,
            hub_seq: position,
            position,
            recorded_at: self.at,
            actor,
            correlation_id: Uuid::from_u128(position as u128),
            causation_id: None,
            idempotency_key: None,
            client_fingerprint: None,
            event_type: encoded.event_type,
            schema_version: encoded.schema_version,
            payload: encoded.payload,
            prev_hash: "0".repeat(64),
            hash: format!("{position:064x}"),
        };
        self.model
            .apply(&envelope)
            .unwrap_or_else(|e| panic!("the read model refused {event:?}: {e}"));
    }
}

/// The example played up to (and including) the first `steps` steps.
fn story(steps: usize) -> Both {
    let mut both = Both::new();
    for step in example::steps().into_iter().take(steps) {
        assert!(both.run(step.actor, &step.command), "{}", step.note);
    }
    both
}

#[derive(Clone, Debug)]
enum Op {
    Consent(u32),
    Object(u32),
    Amend(Terms),
    Close(u32),
    Withdraw,
    Vary(Terms),
    Answer(OrganisationId, u32),
    WithdrawObjection(u32),
    CloseWithoutAgreement(u32),
    Abandon,
}

#[derive(Clone, Debug)]
enum Step {
    /// A distribution command on one of the two distributions.
    On(bool, Op),
    ProposeSecond(Terms),
    WithdrawIdea,
    ShortlistIdea,
    DeclineIdea,
    Deliberation(u64),
}

fn why() -> PlainText {
    PlainText::en("Because the parties asked for it.")
}

fn decision() -> Decision {
    Decision {
        options_considered: vec![PlainText::en("Voice reminders")],
        preferences: vec![StatedPreference {
            organisation_id: ORG_HOUSING,
            preference: PlainText::en("Go ahead."),
        }],
        rationale: PlainText::en("The screening service is being recommissioned."),
    }
}

fn command(step: &Step) -> DomainCommand {
    let op = match step {
        Step::On(second, op) => (if *second { SECOND } else { DISTRIBUTION }, op.clone()),
        Step::ProposeSecond(terms) => {
            return DistributionCommand::ProposeDistribution {
                distribution_id: SECOND,
                idea_id: IDEA,
                terms: terms.clone(),
            }
            .into()
        }
        Step::WithdrawIdea => {
            return IdeaCommand::WithdrawIdea {
                idea_id: IDEA,
                reason: PlainText::en("The residents chose another approach."),
            }
            .into()
        }
        Step::ShortlistIdea | Step::DeclineIdea => {
            return IdeaCommand::RecordIdeaDecision {
                idea_id: IDEA,
                outcome: if matches!(step, Step::ShortlistIdea) {
                    IdeaOutcome::Shortlist
                } else {
                    IdeaOutcome::Decline
                },
                decision: decision(),
            }
            .into()
        }
        Step::Deliberation(seconds) => {
            return HubCommand::SetMinimumDeliberationTime {
                hub_id: HUB,
                seconds: *seconds,
            }
            .into()
        }
    };
    let (distribution_id, op) = op;
    match op {
        Op::Consent(version) => DistributionCommand::ConsentToDistribution {
            distribution_id,
            version,
        },
        Op::Object(version) => DistributionCommand::ObjectToDistribution {
            distribution_id,
            version,
            reason: why(),
        },
        Op::Amend(terms) => DistributionCommand::AmendDistribution {
            distribution_id,
            terms,
            rationale: why(),
        },
        Op::Close(version) => DistributionCommand::CloseAgreement {
            distribution_id,
            version,
        },
        Op::Withdraw => DistributionCommand::WithdrawDistribution {
            distribution_id,
            reason: why(),
        },
        Op::Vary(terms) => DistributionCommand::StartVariationRound {
            distribution_id,
            terms,
            rationale: why(),
        },
        Op::Answer(organisation_id, version) => DistributionCommand::AnswerObjection {
            distribution_id,
            version,
            organisation_id,
            answer: why(),
        },
        Op::WithdrawObjection(version) => DistributionCommand::WithdrawObjection {
            distribution_id,
            version,
            note: None,
        },
        Op::CloseWithoutAgreement(version) => DistributionCommand::CloseWithoutAgreement {
            distribution_id,
            version,
            reason: why(),
        },
        Op::Abandon => DistributionCommand::AbandonVariation {
            distribution_id,
            reason: why(),
        },
    }
    .into()
}

fn step() -> impl Strategy<Value = (MemberId, Step)> {
    let actors = vec![
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
    let valid_terms = prop_oneof![4 => Just(terms_v1()), 4 => Just(terms_v2()), 1 => terms()];
    let v = prop_oneof![8 => 1u32..6, 1 => Just(0u32)];
    let op = prop_oneof![
        12 => v.clone().prop_map(Op::Consent),
        4 => v.clone().prop_map(Op::Object),
        2 => valid_terms.clone().prop_map(Op::Amend),
        2 => v.clone().prop_map(Op::Close),
        1 => Just(Op::Withdraw),
        2 => valid_terms.clone().prop_map(Op::Vary),
        2 => (prop::sample::select(orgs), v.clone()).prop_map(|(o, v)| Op::Answer(o, v)),
        3 => v.clone().prop_map(Op::WithdrawObjection),
        1 => v.prop_map(Op::CloseWithoutAgreement),
        1 => Just(Op::Abandon),
    ];
    (
        prop::sample::select(actors),
        prop_oneof![
            20 => (prop::bool::weighted(0.3), op).prop_map(|(second, op)| Step::On(second, op)),
            2 => valid_terms.prop_map(Step::ProposeSecond),
            1 => Just(Step::WithdrawIdea),
            1 => Just(Step::ShortlistIdea),
            1 => Just(Step::DeclineIdea),
            1 => prop_oneof![Just(0u64), Just(600u64)].prop_map(Step::Deliberation),
        ],
    )
}

/// The read model agrees with the domain about every distribution of the world.
fn agree(both: &Both, after: &str) -> Result<(), TestCaseError> {
    let world = &both.world;
    let model = &both.model;
    prop_assert_eq!(
        world.distributions.len(),
        model.distributions(HUB, None, None, Page::ALL).len()
    );
    for (id, state) in &world.distributions {
        let lapse = world.ideas.get(&state.idea_id).and_then(Lapse::of_idea);
        let decided = state.standing(lapse.as_ref());
        let view = model
            .distribution(*id)
            .expect("the read model has every distribution");
        let shown = view.standing();
        prop_assert_eq!(
            &view.state,
            state,
            "{}: the read model's state after {}",
            id,
            after
        );
        prop_assert_eq!(&shown, &decided, "{}: standing after {}", id, after);
        prop_assert_eq!(view.status(), decided.status);
        prop_assert_eq!(view.missing_consents(), decided.missing.clone());
        prop_assert_eq!(view.in_force().map(|v| v.version), decided.in_force);
        prop_assert_eq!(view.open_version().map(|v| v.version), decided.open_version);
        // The status filter finds it under its status, and only there.
        for status in [
            decided.status,
            cohub_domain::distribution::DistributionStatus::Agreed,
            cohub_domain::distribution::DistributionStatus::Proposed,
            cohub_domain::distribution::DistributionStatus::Lapsed,
        ] {
            let listed = model
                .distributions(HUB, Some(IDEA), Some(status), Page::ALL)
                .iter()
                .any(|d| d.id == *id);
            prop_assert_eq!(
                listed,
                status == decided.status,
                "{} listed under {:?}",
                id,
                status
            );
        }
        // The lists mark as standing exactly the positions the domain counts.
        let consented: BTreeSet<_> = view
            .consents_on(decided.version)
            .iter()
            .map(|c| c.organisation_id)
            .collect();
        prop_assert_eq!(
            consented,
            decided.consented.iter().copied().collect::<BTreeSet<_>>()
        );
        let objecting: BTreeSet<_> = view
            .objections
            .iter()
            .filter(|o| o.version == decided.version && view.is_standing(o.record))
            .map(|o| o.organisation_id)
            .collect();
        prop_assert_eq!(
            objecting,
            decided.objecting.iter().copied().collect::<BTreeSet<_>>()
        );
        for o in &view.objections {
            let record = &state.positions[o.record];
            prop_assert_eq!(record.organisation_id, o.organisation_id);
            prop_assert_eq!(o.answer.is_some(), record.answer.is_some());
            prop_assert_eq!(o.withdrawal.is_some(), record.withdrawal.is_some());
        }
        prop_assert_eq!(view.lapse.as_ref().map(|l| &l.lapse), lapse.as_ref());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_read_model_and_the_domain_always_agree_on_where_a_distribution_stands(
        // After: the proposal, the first consents, the objection, the amendment, the end.
        start in prop::sample::select(vec![35usize, 37, 41, 42, 47]),
        script in prop::collection::vec(step(), 1..40),
    ) {
        let mut both = story(start);
        agree(&both, "the story")?;
        for (actor, step) in &script {
            let command = command(step);
            both.run(*actor, &command);
            agree(&both, &format!("{step:?} by {actor}"))?;
        }
    }
}

/// The starting points name the steps they say they do.
#[test]
fn the_starting_points_are_where_the_story_says() {
    let steps = example::steps();
    let name = |i: usize| steps[i - 1].command.name();
    assert_eq!(name(35), "propose_distribution");
    assert_eq!(name(37), "consent_to_distribution");
    assert_eq!(name(41), "object_to_distribution");
    assert_eq!(name(42), "amend_distribution");
    assert_eq!(steps.len(), 47);
}
