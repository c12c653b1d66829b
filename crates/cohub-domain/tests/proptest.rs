//! Generated commands against the built-up example: decide never panics, and a refused
//! command leaves every state unchanged.

use chrono::Duration;
use cohub_domain::distribution::{DistributionCommand, Reward, RewardKind, Share, Terms};
use cohub_domain::example::{self, *};
use cohub_domain::hub::HubCommand;
use cohub_domain::idea::{Decision, IdeaCommand, IdeaContribution, IdeaOutcome, StatedPreference};
use cohub_domain::problem::{PerspectiveKind, ProblemCommand, ProblemContribution, ProblemStage};
use cohub_domain::*;
use proptest::prelude::*;

fn members() -> Vec<MemberId> {
    let mut m: Vec<_> = example::people().into_iter().map(|p| p.id).collect();
    m.push(MemberId::from_u128(42));
    m
}

fn orgs() -> Vec<OrganisationId> {
    let mut o: Vec<_> = example::organisations().into_iter().map(|o| o.id).collect();
    o.push(OrganisationId::from_u128(43));
    o
}

fn text() -> impl Strategy<Value = PlainText> {
    (
        prop_oneof!["[a-zA-Z ]{0,12}", "\\PC{0,8}", Just("ok".to_string())],
        prop_oneof![Just("en"), Just("ur"), Just("x"), Just("pa-Guru-IN")],
    )
        .prop_map(|(t, l)| PlainText::new(t, l))
}

fn member() -> impl Strategy<Value = MemberId> {
    prop::sample::select(members())
}

fn org() -> impl Strategy<Value = OrganisationId> {
    prop::sample::select(orgs())
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![
        Role::Facilitator,
        Role::Lead,
        Role::Champion,
        Role::Member,
    ])
}

fn stage() -> impl Strategy<Value = ProblemStage> {
    prop::sample::select(vec![
        ProblemStage::Open,
        ProblemStage::Exploring,
        ProblemStage::DevelopingSolutions,
        ProblemStage::Closed,
        ProblemStage::Parked,
    ])
}

fn terms() -> impl Strategy<Value = Terms> {
    (
        prop::collection::vec(org(), 0..5),
        prop::collection::vec((org(), 0u32..10_001), 0..5),
        text(),
    )
        .prop_map(|(parties, shares, t)| Terms {
            parties,
            costs: vec![],
            rewards: vec![Reward {
                kind: RewardKind::RevenueShare,
                description: PlainText::en("Revenue"),
                shares: shares
                    .into_iter()
                    .map(|(party, basis_points)| Share {
                        party,
                        basis_points,
                    })
                    .collect(),
            }],
            terms: t,
        })
        .boxed()
        .prop_union(Just(terms_v1()).boxed())
        .or(Just(terms_v2()).boxed())
        .boxed()
}

fn command() -> impl Strategy<Value = DomainCommand> {
    let hub = prop_oneof![
        (member(), org(), text(), role()).prop_map(|(m, o, t, r)| HubCommand::AdmitMember {
            hub_id: HUB,
            member_id: m,
            organisation_id: o,
            name: t.text,
            role: r
        }),
        (member(), role()).prop_map(|(m, r)| HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: m,
            role: r
        }),
        (member(), text()).prop_map(|(m, t)| HubCommand::SuspendMember {
            hub_id: HUB,
            member_id: m,
            reason: t
        }),
        member().prop_map(|m| HubCommand::ReinstateMember {
            hub_id: HUB,
            member_id: m
        }),
        (member(), text()).prop_map(|(m, t)| HubCommand::RemoveMember {
            hub_id: HUB,
            member_id: m,
            reason: t
        }),
        (0u64..200_000).prop_map(|s| HubCommand::SetMinimumDeliberationTime {
            hub_id: HUB,
            seconds: s
        }),
    ]
    .prop_map(DomainCommand::from);
    let problem = prop_oneof![
        text().prop_map(|t| ProblemCommand::AddPerspective {
            problem_id: PROBLEM,
            perspective_id: PERSPECTIVE_LIVED,
            kind: PerspectiveKind::Data,
            text: t
        }),
        Just(ProblemCommand::EndorseProblem {
            problem_id: PROBLEM
        }),
        (stage(), text()).prop_map(|(s, t)| ProblemCommand::MoveProblemStage {
            problem_id: PROBLEM,
            to: s,
            reason: t
        }),
        text().prop_map(|t| ProblemCommand::ReviseProblem {
            problem_id: PROBLEM,
            framing: framing(),
            rationale: t,
            answers: vec![PERSPECTIVE_CLINICAL]
        }),
        Just(ProblemCommand::AcknowledgeProblemContribution {
            problem_id: PROBLEM,
            contribution: ProblemContribution::Problem,
            note: None
        }),
    ]
    .prop_map(DomainCommand::from);
    let idea = prop_oneof![
        (text(), text()).prop_map(|(a, b)| IdeaCommand::ProposeIdea {
            idea_id: IdeaId::from_u128(7),
            problem_id: PROBLEM,
            title: a,
            summary: b,
            on_behalf_of: None
        }),
        Just(IdeaCommand::SupportIdea { idea_id: IDEA }),
        text().prop_map(|t| IdeaCommand::GiveFeedback {
            idea_id: IDEA,
            feedback_id: FeedbackId::from_u128(9),
            text: t
        }),
        text().prop_map(|t| IdeaCommand::RespondToFeedback {
            idea_id: IDEA,
            feedback_id: FEEDBACK_FIRM,
            text: t
        }),
        Just(IdeaCommand::AcknowledgeIdeaContribution {
            idea_id: IDEA,
            contribution: IdeaContribution::Idea,
            note: None
        }),
        (org(), text()).prop_map(|(o, t)| IdeaCommand::RecordIdeaDecision {
            idea_id: IDEA,
            outcome: IdeaOutcome::Decline,
            decision: Decision {
                options_considered: vec![t.clone()],
                preferences: vec![StatedPreference {
                    organisation_id: o,
                    preference: t.clone()
                }],
                rationale: t
            }
        }),
        text().prop_map(|t| IdeaCommand::WithdrawIdea {
            idea_id: IDEA,
            reason: t
        }),
    ]
    .prop_map(DomainCommand::from);
    let distribution = prop_oneof![
        terms().prop_map(|t| DistributionCommand::ProposeDistribution {
            distribution_id: DistributionId::from_u128(8),
            idea_id: IDEA,
            terms: t
        }),
        (terms(), text()).prop_map(|(t, r)| DistributionCommand::AmendDistribution {
            distribution_id: DISTRIBUTION,
            terms: t,
            rationale: r
        }),
        (0u32..4).prop_map(|v| DistributionCommand::ConsentToDistribution {
            distribution_id: DISTRIBUTION,
            version: v
        }),
        (0u32..4, text()).prop_map(|(v, r)| DistributionCommand::ObjectToDistribution {
            distribution_id: DISTRIBUTION,
            version: v,
            reason: r
        }),
        (0u32..4).prop_map(|v| DistributionCommand::CloseAgreement {
            distribution_id: DISTRIBUTION,
            version: v
        }),
        text().prop_map(|r| DistributionCommand::WithdrawDistribution {
            distribution_id: DISTRIBUTION,
            reason: r
        }),
        (terms(), text()).prop_map(|(t, r)| DistributionCommand::StartVariationRound {
            distribution_id: DISTRIBUTION,
            terms: t,
            rationale: r
        }),
    ]
    .prop_map(DomainCommand::from);
    prop_oneof![hub, problem, idea, distribution]
}

fn base() -> World {
    // the story up to (not including) the v2 consents, so distributions are still open
    let mut world = World::new();
    let steps = example::steps();
    let cut = steps.len() - 5;
    for (i, step) in steps.into_iter().take(cut).enumerate() {
        world
            .execute(
                step.actor,
                &step.command,
                example::start_time() + Duration::minutes(i as i64),
            )
            .unwrap();
    }
    world
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn decide_never_panics_and_refusals_change_nothing(
        script in prop::collection::vec((member(), command(), 0i64..10_000_000), 1..12)
    ) {
        let mut world = base();
        for (actor, command, offset) in script {
            let now = example::start_time() + Duration::seconds(offset);
            let before = world.clone();
            match world.execute(actor, &command, now) {
                Ok(events) => {
                    for e in &events {
                        let stored = e.encode();
                        prop_assert_eq!(&DomainEvent::decode(&stored).unwrap(), e);
                    }
                }
                Err(e) => {
                    prop_assert_eq!(&world, &before);
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
    }
}
