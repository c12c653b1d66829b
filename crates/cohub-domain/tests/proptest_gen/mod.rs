//! Shared generators and checks for the `proptest_*` suites: hostile inputs for every command
//! variant of every aggregate, the example hub at several points of its story, and the
//! invariants every state reached through `decide` must keep.

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use cohub_domain::distribution::{
    CostContribution, CostKind, DistributionCommand, DistributionState, DistributionStatus,
    Position, Reward, RewardKind, Share, Terms, BASIS_POINTS_WHOLE,
};
use cohub_domain::example::{self, *};
use cohub_domain::hub::{FoundingOrganisation, HubCommand, MemberStatus};
use cohub_domain::idea::{
    Decision, IdeaCommand, IdeaContribution, IdeaOutcome, IdeaStatus, OnBehalfOf, StatedPreference,
};
use cohub_domain::problem::{
    Evidence, EvidenceKind, Framing, PerspectiveKind, ProblemCommand, ProblemContribution,
    ProblemStage,
};
use cohub_domain::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

// ---------------------------------------------------------------------------------------------
// Who acts
// ---------------------------------------------------------------------------------------------

/// A member the snapshots suspend (a champion of Brierley Homes).
pub const SUSPENDED: MemberId = CHAMPION_3;
/// A member the snapshots remove (the GP).
pub const REMOVED: MemberId = GP;
/// Feedback the snapshots leave unanswered (the nurse's, on the idea).
pub const FEEDBACK_OPEN: FeedbackId = FeedbackId::from_u128(0xfeed_0001);
/// Somebody with a valid credential who was never admitted.
pub const STRANGER: MemberId = MemberId::from_u128(0xdead_beef);

/// Every actor worth trying: the example's people (some suspended or removed in later
/// snapshots), a stranger, the nil id and a random id.
pub fn actor() -> impl Strategy<Value = MemberId> {
    let mut known: Vec<MemberId> = example::people().into_iter().map(|p| p.id).collect();
    known.push(STRANGER);
    known.push(MemberId::from_u128(0));
    prop_oneof![
        8 => prop::sample::select(known),
        1 => any::<u128>().prop_map(MemberId::from_u128),
    ]
}

/// All actors the coverage test tries each command with.
pub fn all_actors() -> Vec<MemberId> {
    let mut v: Vec<MemberId> = example::people().into_iter().map(|p| p.id).collect();
    v.push(STRANGER);
    v
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

/// Strings a hostile or careless client might send.
pub fn nasty_strings() -> Vec<String> {
    vec![
        String::new(),
        " ".into(),
        "   \t  ".into(),
        "\n".into(),
        " leading space".into(),
        "trailing space ".into(),
        "\u{A0}nbsp\u{A0}".into(),
        "a\u{0}b".into(),
        "null\u{0}".into(),
        "bell\u{7}".into(),
        "del\u{7F}".into(),
        "next\u{85}line".into(),
        "esc\u{1B}[31mred".into(),
        "cr\r\nlf".into(),
        "line\u{2028}separator".into(),
        "\u{202E}gnp.exe".into(),
        "\u{FEFF}bom".into(),
        "zero\u{200B}width\u{200D}joiner".into(),
        "e\u{301}\u{301}\u{301}".into(),
        "Z\u{364}\u{311}\u{313}a\u{308}\u{307}l\u{36E}g\u{30C}o".into(),
        "👩🏽\u{200D}⚕️ nurse".into(),
        "ذیابیطس کے مریض".into(),
        "ਪੰਜਾਬੀ ਵਿੱਚ ਯਾਦ".into(),
        "ডায়াবেটিস".into(),
        "𒐫𒐫𒐫".into(),
        "\u{E000}private use".into(),
        "\u{FFFF}".into(),
        "\u{10FFFF}".into(),
        "'; DROP TABLE events; --".into(),
        "<script>alert(1)</script>".into(),
        "{{ __schema }} %s%n%x ${jndi:ldap://x}".into(),
        "..\\..\\etc/passwd".into(),
    ]
}

/// A long string of `n` copies of `c`.
fn long(n: usize, c: char) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// Words for any text field: mostly valid plain words, often hostile.
pub fn words() -> BoxedStrategy<String> {
    prop_oneof![
        10 => "[A-Za-z][A-Za-z0-9 ,.'-]{0,30}[A-Za-z.]",
        2 => "[\\p{L}][\\p{L}\\p{M} ]{0,20}[\\p{L}]",
        2 => prop::sample::select(nasty_strings()),
        1 => "\\PC{0,40}",
        1 => any::<String>(),
        1 => (
            prop::sample::select(vec![
                119usize, 120, 121, 199, 200, 201, 1999, 2000, 2001, 3999, 4000, 4001, 65_537,
                250_000,
            ]),
            prop::sample::select(vec!['a', 'é', 'ع', '𝔘', '\u{200D}', ' ', '\u{0}']),
        )
            .prop_map(|(n, c)| long(n, c)),
        1 => ("[a-z]{1,10}", prop::sample::select(vec!['\u{0}', '\u{1}', '\u{1F}', '\u{9B}', '\r']), "[a-z]{1,10}")
            .prop_map(|(a, c, b)| format!("{a}{c}{b}")),
    ].boxed()
}

/// A language tag: mostly valid, sometimes not.
pub fn lang() -> BoxedStrategy<String> {
    prop_oneof![
        8 => prop::sample::select(vec!["en", "ur", "pa-Guru-IN", "bn", "yue", "zh-Hant", "cy"])
            .prop_map(str::to_string),
        1 => prop::sample::select(vec![
            "".to_string(), "e".into(), "en_GB".into(), "1en".into(), "en--GB".into(), "en-".into(),
            "abcd".into(), "english-language-x".into(), "ür".into(), "en-\u{0}".into(),
            "a-".repeat(20), long(10_000, 'x'), "en-verylongsubtag".into(),
        ]),
        1 => "[a-zA-Z0-9-]{0,40}",
        1 => any::<String>(),
    ]
    .boxed()
}

/// A plain-language text.
pub fn text() -> BoxedStrategy<PlainText> {
    (words(), lang())
        .prop_map(|(t, l)| PlainText::new(t, l))
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------

fn known_or_random(known: Vec<u128>) -> impl Strategy<Value = u128> {
    prop_oneof![
        6 => prop::sample::select(known),
        1 => Just(0u128),
        3 => any::<u128>(),
    ]
}

/// A hub id.
pub fn hub_id() -> impl Strategy<Value = HubId> {
    known_or_random(vec![HUB.0.as_u128()]).prop_map(HubId::from_u128)
}

/// Organisations of the example hub.
pub fn example_orgs() -> Vec<OrganisationId> {
    example::organisations().into_iter().map(|o| o.id).collect()
}

/// An organisation id.
pub fn org_id() -> impl Strategy<Value = OrganisationId> {
    known_or_random(example_orgs().iter().map(|o| o.0.as_u128()).collect())
        .prop_map(OrganisationId::from_u128)
}

/// A member id (as an object of a command, not the actor).
pub fn member_id() -> impl Strategy<Value = MemberId> {
    let mut known: Vec<u128> = example::people()
        .into_iter()
        .map(|p| p.id.0.as_u128())
        .collect();
    known.push(STRANGER.0.as_u128());
    known_or_random(known).prop_map(MemberId::from_u128)
}

/// A problem id.
pub fn problem_id() -> impl Strategy<Value = ProblemId> {
    known_or_random(vec![PROBLEM.0.as_u128()]).prop_map(ProblemId::from_u128)
}

/// An idea id.
pub fn idea_id() -> impl Strategy<Value = IdeaId> {
    known_or_random(vec![IDEA.0.as_u128()]).prop_map(IdeaId::from_u128)
}

/// A distribution id.
pub fn distribution_id() -> impl Strategy<Value = DistributionId> {
    known_or_random(vec![DISTRIBUTION.0.as_u128()]).prop_map(DistributionId::from_u128)
}

/// A perspective id.
pub fn perspective_id() -> impl Strategy<Value = PerspectiveId> {
    known_or_random(vec![
        PERSPECTIVE_LIVED.0.as_u128(),
        PERSPECTIVE_CLINICAL.0.as_u128(),
        PERSPECTIVE_COMMISSIONING.0.as_u128(),
    ])
    .prop_map(PerspectiveId::from_u128)
}

/// A feedback id.
pub fn feedback_id() -> impl Strategy<Value = FeedbackId> {
    known_or_random(vec![FEEDBACK_FIRM.0.as_u128(), FEEDBACK_OPEN.0.as_u128()])
        .prop_map(FeedbackId::from_u128)
}

/// A version number: small ones, and the edges of `u32`.
pub fn version() -> impl Strategy<Value = u32> {
    prop_oneof![
        8 => 0u32..6,
        1 => Just(u32::MAX),
        1 => any::<u32>(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

pub fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![
        Role::Facilitator,
        Role::Lead,
        Role::Champion,
        Role::Member,
    ])
}

pub fn kind() -> impl Strategy<Value = StakeholderKind> {
    prop::sample::select(vec![
        StakeholderKind::CommunityOrganisation,
        StakeholderKind::Innovator,
        StakeholderKind::Clinician,
        StakeholderKind::Commissioner,
    ])
}

pub fn stage() -> impl Strategy<Value = ProblemStage> {
    prop::sample::select(vec![
        ProblemStage::Open,
        ProblemStage::Exploring,
        ProblemStage::DevelopingSolutions,
        ProblemStage::Closed,
        ProblemStage::Parked,
    ])
}

pub fn perspective_kind() -> impl Strategy<Value = PerspectiveKind> {
    prop::sample::select(vec![
        PerspectiveKind::LivedExperience,
        PerspectiveKind::Clinical,
        PerspectiveKind::Commissioning,
        PerspectiveKind::Data,
        PerspectiveKind::SocialCauses,
    ])
}

pub fn reward_kind() -> impl Strategy<Value = RewardKind> {
    prop::sample::select(vec![
        RewardKind::RevenueShare,
        RewardKind::Licence,
        RewardKind::Access,
        RewardKind::OutcomeData,
        RewardKind::Recognition,
        RewardKind::Other,
    ])
}

pub fn cost_kind() -> impl Strategy<Value = CostKind> {
    prop::sample::select(vec![
        CostKind::Money,
        CostKind::StaffTime,
        CostKind::Data,
        CostKind::Venue,
        CostKind::Licence,
        CostKind::Risk,
        CostKind::Other,
    ])
}

// ---------------------------------------------------------------------------------------------
// Compound inputs
// ---------------------------------------------------------------------------------------------

/// A problem framing: the example's, or generated (sometimes with too much evidence).
pub fn framing_strategy() -> BoxedStrategy<Framing> {
    let evidence = (
        prop::sample::select(vec![
            EvidenceKind::LivedExperience,
            EvidenceKind::Data,
            EvidenceKind::Clinical,
        ]),
        text(),
    )
        .prop_map(|(kind, text)| Evidence { kind, text });
    prop_oneof![
        2 => Just(example::framing()),
        3 => (text(), text(), text(), text(), prop::collection::vec(evidence, 0..4))
            .prop_map(|(title, statement, affected, place, evidence)| Framing { title, statement, affected, place, evidence }),
        1 => (0usize..30).prop_map(|n| {
            let mut f = example::framing();
            f.evidence = (0..n).map(|i| Evidence { kind: EvidenceKind::Data, text: PlainText::en(format!("Figure {i}")) }).collect();
            f
        }),
    ].boxed()
}

/// How a generated share vector is corrupted (or not).
#[derive(Clone, Copy, Debug)]
pub enum Corruption {
    None,
    DropShare,
    ZeroShare,
    HugeShare,
    OneBasisPointOver,
    DuplicateParty,
    UnknownParty,
    NoCommunityParty,
    NoRewards,
    TooManyParties,
    TooManyCosts,
    ZeroCost,
    SameKindTwice,
}

fn corruption() -> impl Strategy<Value = Corruption> {
    use Corruption::*;
    prop_oneof![
        12 => Just(None),
        1 => prop::sample::select(vec![
            DropShare, ZeroShare, HugeShare, OneBasisPointOver, DuplicateParty, UnknownParty,
            NoCommunityParty, NoRewards, TooManyParties, TooManyCosts, ZeroCost, SameKindTwice,
        ]),
    ]
}

/// Splits 10000 basis points among `n` parties using `cuts` as randomness; every part ≥ 1.
pub fn split_whole(n: usize, cuts: &[u32]) -> Vec<u32> {
    let n = n.max(1);
    let whole = BASIS_POINTS_WHOLE;
    let mut points: Vec<u32> = cuts
        .iter()
        .take(n - 1)
        .map(|c| 1 + c % (whole - 1))
        .collect();
    points.sort_unstable();
    points.dedup();
    let mut parts = Vec::new();
    let mut prev = 0;
    for p in points {
        parts.push(p - prev);
        prev = p;
    }
    parts.push(whole - prev);
    parts
}

fn build_terms(
    parties: Vec<OrganisationId>,
    kinds: Vec<RewardKind>,
    cuts: Vec<u32>,
    costs: Vec<(CostKind, u64, String)>,
    words: PlainText,
    corruption: Corruption,
) -> Terms {
    let mut seen_kinds = BTreeSet::new();
    let mut rewards = Vec::new();
    for (i, kind) in kinds.into_iter().enumerate() {
        if !seen_kinds.insert(kind) {
            continue;
        }
        let rot = cuts.get(i).copied().unwrap_or(0) as usize % parties.len().max(1);
        let mut receivers = parties.clone();
        receivers.rotate_left(rot);
        let take = 1 + cuts.get(i + 1).copied().unwrap_or(0) as usize % receivers.len().max(1);
        receivers.truncate(take);
        let parts = split_whole(receivers.len(), &cuts[i.min(cuts.len())..]);
        let shares = receivers
            .iter()
            .zip(parts)
            .map(|(party, basis_points)| Share {
                party: *party,
                basis_points,
            })
            .collect();
        rewards.push(Reward {
            kind,
            description: PlainText::en(format!("The {} reward.", kind.words())),
            shares,
        });
    }
    let costs = costs
        .into_iter()
        .enumerate()
        .map(|(i, (kind, amount, unit))| CostContribution {
            party: parties[i % parties.len().max(1)],
            kind,
            amount,
            unit,
            note: None,
        })
        .collect();
    let mut t = Terms {
        parties,
        costs,
        rewards,
        terms: words,
    };
    corrupt(&mut t, corruption);
    t
}

fn corrupt(t: &mut Terms, c: Corruption) {
    use Corruption::*;
    match c {
        None => {}
        DropShare => {
            if let Some(r) = t.rewards.first_mut() {
                r.shares.pop();
            }
        }
        ZeroShare => {
            if let Some(s) = t.rewards.first_mut().and_then(|r| r.shares.first_mut()) {
                s.basis_points = 0;
            }
        }
        HugeShare => {
            if let Some(s) = t.rewards.first_mut().and_then(|r| r.shares.first_mut()) {
                s.basis_points = u32::MAX;
            }
        }
        OneBasisPointOver => {
            if let Some(s) = t.rewards.first_mut().and_then(|r| r.shares.first_mut()) {
                s.basis_points = s.basis_points.saturating_add(1);
            }
        }
        DuplicateParty => {
            if let Some(p) = t.parties.first().copied() {
                t.parties.push(p);
            }
        }
        UnknownParty => {
            let stranger = OrganisationId::from_u128(0xbad);
            if let Some(s) = t.rewards.first_mut().and_then(|r| r.shares.first_mut()) {
                s.party = stranger;
            } else {
                t.parties.push(stranger);
            }
        }
        NoCommunityParty => {
            let community = [ORG_HOUSING, ORG_MOSQUE, ORG_CARERS];
            t.parties.retain(|p| !community.contains(p));
        }
        NoRewards => t.rewards.clear(),
        TooManyParties => {
            t.parties
                .extend((0..60u128).map(|i| OrganisationId::from_u128(0xfeed_0000 + i)));
        }
        TooManyCosts => {
            let party = t.parties.first().copied().unwrap_or_default();
            t.costs.extend((0..201).map(|_| CostContribution {
                party,
                kind: CostKind::Other,
                amount: 1,
                unit: "hours".into(),
                note: Option::None,
            }));
        }
        ZeroCost => {
            let party = t.parties.first().copied().unwrap_or_default();
            t.costs.push(CostContribution {
                party,
                kind: CostKind::Money,
                amount: 0,
                unit: "GBP".into(),
                note: Option::None,
            });
        }
        SameKindTwice => {
            if let Some(r) = t.rewards.first().cloned() {
                t.rewards.push(r);
            }
        }
    }
}

/// Distribution terms: the example's two versions, generated share vectors over the example's
/// organisations (often valid), and corrupted ones.
pub fn terms() -> BoxedStrategy<Terms> {
    let generated = (
        prop::sample::subsequence(example_orgs(), 1..=6),
        prop::collection::vec(reward_kind(), 1..4),
        prop::collection::vec(any::<u32>(), 12),
        prop::collection::vec(
            (
                cost_kind(),
                prop_oneof![4 => 1u64..100_000, 1 => Just(u64::MAX), 1 => Just(0u64)],
                prop_oneof![4 => Just("GBP".to_string()), 1 => words()],
            ),
            0..4,
        ),
        prop_oneof![4 => Just(PlainText::en("Terms in plain words.")), 1 => text()],
        corruption(),
    )
        .prop_map(|(parties, kinds, cuts, costs, words, c)| {
            build_terms(parties, kinds, cuts, costs, words, c)
        });
    prop_oneof![
        1 => Just(example::terms_v1()),
        2 => Just(example::terms_v2()),
        1 => corruption().prop_map(|c| { let mut t = example::terms_v2(); corrupt(&mut t, c); t }),
        4 => generated,
    ]
    .boxed()
}

/// A decision record: mostly well formed, sometimes with too many or no options.
pub fn decision() -> BoxedStrategy<Decision> {
    let preference = || {
        (org_id(), text()).prop_map(|(organisation_id, preference)| StatedPreference {
            organisation_id,
            preference,
        })
    };
    (
        prop_oneof![6 => 1usize..3, 1 => Just(0usize), 1 => Just(21usize)],
        text(),
        prop_oneof![6 => prop::collection::vec(preference(), 1..3), 1 => Just(vec![]), 1 => prop::collection::vec(preference(), 51..52)],
        text(),
    )
        .prop_map(|(n, option, preferences, rationale)| Decision {
            options_considered: vec![option; n],
            preferences,
            rationale,
        }).boxed()
}

// ---------------------------------------------------------------------------------------------
// Commands, one strategy per variant
// ---------------------------------------------------------------------------------------------

/// Every hub command variant.
pub fn hub_command() -> BoxedStrategy<DomainCommand> {
    prop_oneof![
        (
            hub_id(),
            words(),
            text(),
            words(),
            org_id(),
            words(),
            kind()
        )
            .prop_map(
                |(hub_id, name, purpose, founder_name, organisation_id, org_name, kind)| {
                    HubCommand::FoundHub {
                        hub_id,
                        name,
                        purpose,
                        founder_name,
                        organisation: FoundingOrganisation {
                            organisation_id,
                            name: org_name,
                            kind,
                        },
                    }
                }
            ),
        (hub_id(), org_id(), words(), kind()).prop_map(|(hub_id, organisation_id, name, kind)| {
            HubCommand::AdmitOrganisation {
                hub_id,
                organisation_id,
                name,
                kind,
            }
        }),
        (hub_id(), member_id(), org_id(), words(), role()).prop_map(
            |(hub_id, member_id, organisation_id, name, role)| HubCommand::AdmitMember {
                hub_id,
                member_id,
                organisation_id,
                name,
                role,
            }
        ),
        (hub_id(), member_id(), role()).prop_map(|(hub_id, member_id, role)| {
            HubCommand::ChangeMemberRole {
                hub_id,
                member_id,
                role,
            }
        }),
        (hub_id(), member_id(), text()).prop_map(|(hub_id, member_id, reason)| {
            HubCommand::SuspendMember {
                hub_id,
                member_id,
                reason,
            }
        }),
        (hub_id(), member_id())
            .prop_map(|(hub_id, member_id)| HubCommand::ReinstateMember { hub_id, member_id }),
        (hub_id(), member_id(), text()).prop_map(|(hub_id, member_id, reason)| {
            HubCommand::RemoveMember {
                hub_id,
                member_id,
                reason,
            }
        }),
        (hub_id(), text()).prop_map(|(hub_id, text)| HubCommand::AdoptCharter { hub_id, text }),
        (
            hub_id(),
            prop_oneof![3 => 0u64..(91 * 86_400), 1 => any::<u64>(), 1 => Just(u64::MAX)]
        )
            .prop_map(|(hub_id, seconds)| HubCommand::SetMinimumDeliberationTime {
                hub_id,
                seconds
            }),
    ]
    .prop_map(DomainCommand::from)
    .boxed()
}

/// Every problem command variant.
pub fn problem_command() -> BoxedStrategy<DomainCommand> {
    let contribution = prop_oneof![
        Just(ProblemContribution::Problem),
        perspective_id().prop_map(ProblemContribution::Perspective),
    ];
    prop_oneof![
        (problem_id(), hub_id(), framing_strategy()).prop_map(|(problem_id, hub_id, framing)| {
            ProblemCommand::FrameProblem {
                problem_id,
                hub_id,
                framing,
            }
        }),
        (problem_id(), perspective_id(), perspective_kind(), text()).prop_map(
            |(problem_id, perspective_id, kind, text)| ProblemCommand::AddPerspective {
                problem_id,
                perspective_id,
                kind,
                text,
            }
        ),
        (
            problem_id(),
            framing_strategy(),
            text(),
            prop::collection::vec(perspective_id(), 0..3)
        )
            .prop_map(|(problem_id, framing, rationale, answers)| {
                ProblemCommand::ReviseProblem {
                    problem_id,
                    framing,
                    rationale,
                    answers,
                }
            }),
        problem_id().prop_map(|problem_id| ProblemCommand::EndorseProblem { problem_id }),
        (problem_id(), stage(), text()).prop_map(|(problem_id, to, reason)| {
            ProblemCommand::MoveProblemStage {
                problem_id,
                to,
                reason,
            }
        }),
        (problem_id(), contribution, prop::option::of(text())).prop_map(
            |(problem_id, contribution, note)| ProblemCommand::AcknowledgeProblemContribution {
                problem_id,
                contribution,
                note,
            }
        ),
    ]
    .prop_map(DomainCommand::from)
    .boxed()
}

/// Every idea command variant.
pub fn idea_command() -> BoxedStrategy<DomainCommand> {
    let on_behalf = prop::option::of((text(), any::<bool>(), prop::option::of(text())).prop_map(
        |(residents, anonymous, how_residents_agreed)| OnBehalfOf {
            residents,
            anonymous,
            how_residents_agreed,
        },
    ));
    let contribution = prop_oneof![
        Just(IdeaContribution::Idea),
        feedback_id().prop_map(IdeaContribution::Feedback),
    ];
    let outcome = prop::sample::select(vec![IdeaOutcome::Shortlist, IdeaOutcome::Decline]);
    prop_oneof![
        (idea_id(), problem_id(), text(), text(), on_behalf).prop_map(
            |(idea_id, problem_id, title, summary, on_behalf_of)| IdeaCommand::ProposeIdea {
                idea_id,
                problem_id,
                title,
                summary,
                on_behalf_of,
            }
        ),
        (
            idea_id(),
            text(),
            text(),
            text(),
            prop::collection::vec(feedback_id(), 0..3)
        )
            .prop_map(|(idea_id, title, summary, rationale, answers)| {
                IdeaCommand::ReviseIdea {
                    idea_id,
                    title,
                    summary,
                    rationale,
                    answers,
                }
            }),
        idea_id().prop_map(|idea_id| IdeaCommand::SupportIdea { idea_id }),
        (idea_id(), feedback_id(), text()).prop_map(|(idea_id, feedback_id, text)| {
            IdeaCommand::GiveFeedback {
                idea_id,
                feedback_id,
                text,
            }
        }),
        (idea_id(), feedback_id(), text()).prop_map(|(idea_id, feedback_id, text)| {
            IdeaCommand::RespondToFeedback {
                idea_id,
                feedback_id,
                text,
            }
        }),
        (idea_id(), contribution, prop::option::of(text())).prop_map(
            |(idea_id, contribution, note)| IdeaCommand::AcknowledgeIdeaContribution {
                idea_id,
                contribution,
                note,
            }
        ),
        (idea_id(), outcome, decision()).prop_map(|(idea_id, outcome, decision)| {
            IdeaCommand::RecordIdeaDecision {
                idea_id,
                outcome,
                decision,
            }
        }),
        (idea_id(), text())
            .prop_map(|(idea_id, reason)| IdeaCommand::WithdrawIdea { idea_id, reason }),
    ]
    .prop_map(DomainCommand::from)
    .boxed()
}

/// Every distribution command variant.
pub fn distribution_command() -> BoxedStrategy<DomainCommand> {
    prop_oneof![
        (distribution_id(), idea_id(), terms()).prop_map(|(distribution_id, idea_id, terms)| {
            DistributionCommand::ProposeDistribution {
                distribution_id,
                idea_id,
                terms,
            }
        }),
        (distribution_id(), terms(), text()).prop_map(|(distribution_id, terms, rationale)| {
            DistributionCommand::AmendDistribution {
                distribution_id,
                terms,
                rationale,
            }
        }),
        (distribution_id(), version()).prop_map(|(distribution_id, version)| {
            DistributionCommand::ConsentToDistribution {
                distribution_id,
                version,
            }
        }),
        (distribution_id(), version(), text()).prop_map(|(distribution_id, version, reason)| {
            DistributionCommand::ObjectToDistribution {
                distribution_id,
                version,
                reason,
            }
        }),
        (distribution_id(), version()).prop_map(|(distribution_id, version)| {
            DistributionCommand::CloseAgreement {
                distribution_id,
                version,
            }
        }),
        (distribution_id(), text()).prop_map(|(distribution_id, reason)| {
            DistributionCommand::WithdrawDistribution {
                distribution_id,
                reason,
            }
        }),
        (distribution_id(), terms(), text()).prop_map(|(distribution_id, terms, rationale)| {
            DistributionCommand::StartVariationRound {
                distribution_id,
                terms,
                rationale,
            }
        }),
        (
            distribution_id(),
            prop_oneof![2 => 1u32..4, 1 => version()],
            // Mostly the organisations the snapshots have objecting.
            prop_oneof![2 => Just(ORG_CARERS), 1 => org_id()],
            text()
        )
            .prop_map(|(distribution_id, version, organisation_id, answer)| {
                DistributionCommand::AnswerObjection {
                    distribution_id,
                    version,
                    organisation_id,
                    answer,
                }
            }),
        (distribution_id(), version(), prop::option::of(text())).prop_map(
            |(distribution_id, version, note)| DistributionCommand::WithdrawObjection {
                distribution_id,
                version,
                note,
            }
        ),
        (distribution_id(), version(), text()).prop_map(|(distribution_id, version, reason)| {
            DistributionCommand::CloseWithoutAgreement {
                distribution_id,
                version,
                reason,
            }
        }),
        (distribution_id(), text()).prop_map(|(distribution_id, reason)| {
            DistributionCommand::AbandonVariation {
                distribution_id,
                reason,
            }
        }),
    ]
    .prop_map(DomainCommand::from)
    .boxed()
}

/// Any command of any aggregate.
pub fn any_command() -> BoxedStrategy<DomainCommand> {
    prop_oneof![
        hub_command(),
        problem_command(),
        idea_command(),
        distribution_command()
    ]
    .boxed()
}

/// The name of every command variant there is (what `DomainCommand::name` returns).
pub const ALL_COMMANDS: [&str; 34] = [
    "found_hub",
    "admit_organisation",
    "admit_member",
    "change_member_role",
    "suspend_member",
    "reinstate_member",
    "remove_member",
    "adopt_charter",
    "set_minimum_deliberation_time",
    "frame_problem",
    "add_perspective",
    "revise_problem",
    "endorse_problem",
    "move_problem_stage",
    "acknowledge_problem_contribution",
    "propose_idea",
    "revise_idea",
    "support_idea",
    "give_feedback",
    "respond_to_feedback",
    "acknowledge_idea_contribution",
    "record_idea_decision",
    "withdraw_idea",
    "propose_distribution",
    "amend_distribution",
    "consent_to_distribution",
    "object_to_distribution",
    "close_agreement",
    "withdraw_distribution",
    "start_variation_round",
    "answer_objection",
    "withdraw_objection",
    "close_without_agreement",
    "abandon_variation",
];

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// A decision time: mostly around the story (before it, during it, weeks after), sometimes at
/// the edges of what the clock can say.
pub fn now() -> BoxedStrategy<DateTime<Utc>> {
    let start = example::start_time();
    prop_oneof![
        8 => (-86_400i64..200 * 86_400).prop_map(move |s| start + Duration::seconds(s)),
        1 => Just(DateTime::<Utc>::UNIX_EPOCH),
        1 => (-62_135_596_800i64..253_402_300_799).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap()),
        1 => Just(DateTime::<Utc>::MAX_UTC),
        1 => Just(DateTime::<Utc>::MIN_UTC),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// States: the example at several points of its story, and variants of it
// ---------------------------------------------------------------------------------------------

/// A named state of the world.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// What it is.
    pub name: &'static str,
    /// The folded states.
    pub world: World,
    /// When its last event happened.
    pub at: DateTime<Utc>,
}

struct Builder {
    world: World,
    at: DateTime<Utc>,
}

impl Builder {
    fn run(&mut self, actor: MemberId, command: impl Into<DomainCommand>) {
        self.at += Duration::minutes(1);
        let command = command.into();
        self.world
            .execute(actor, &command, self.at)
            .unwrap_or_else(|e| panic!("snapshot step {command:?} by {actor} failed: {e}"));
    }

    fn snap(&self, name: &'static str) -> Snapshot {
        Snapshot {
            name,
            world: self.world.clone(),
            at: self.at,
        }
    }
}

fn story_until(pred: impl Fn(&DomainCommand) -> bool) -> Builder {
    let mut b = Builder {
        world: World::new(),
        at: example::start_time(),
    };
    for step in example::steps() {
        let stop = pred(&step.command);
        b.run(step.actor, step.command);
        if stop {
            break;
        }
    }
    b
}

fn en(s: &str) -> PlainText {
    PlainText::en(s)
}

fn build_snapshots() -> Vec<Snapshot> {
    use DistributionCommand as D;
    let mut out = vec![Snapshot {
        name: "empty",
        world: World::new(),
        at: example::start_time(),
    }];
    let is = |name: &'static str| move |c: &DomainCommand| c.name() == name;
    out.push(story_until(is("found_hub")).snap("founded"));
    out.push(story_until(is("adopt_charter")).snap("members admitted, charter adopted"));
    out.push(story_until(is("endorse_problem")).snap("problem framed with perspectives"));
    out.push(story_until(is("propose_idea")).snap("idea proposed"));
    out.push(story_until(is("propose_distribution")).snap("distribution v1 proposed"));
    out.push(story_until(is("object_to_distribution")).snap("carers object to v1"));
    out.push(story_until(is("amend_distribution")).snap("v2 proposed, consents voided"));

    let full = story_until(|_| false);
    out.push(full.snap("agreed"));

    // Agreed, then people suspended and removed, a deliberation time, a variation round.
    let mut b = story_until(|_| false);
    b.run(
        FACILITATOR,
        HubCommand::SuspendMember {
            hub_id: HUB,
            member_id: SUSPENDED,
            reason: en("Paused at their own request."),
        },
    );
    b.run(
        FACILITATOR,
        HubCommand::RemoveMember {
            hub_id: HUB,
            member_id: REMOVED,
            reason: en("Left the practice."),
        },
    );
    b.run(
        FACILITATOR,
        HubCommand::SetMinimumDeliberationTime {
            hub_id: HUB,
            seconds: 86_400,
        },
    );
    out.push(b.snap("suspended and removed members, one-day deliberation"));
    b.run(
        FIRM_LEAD,
        D::StartVariationRound {
            distribution_id: DISTRIBUTION,
            terms: example::terms_v1(),
            rationale: en("Carers Together asked to leave the pilot."),
        },
    );
    b.run(
        HOUSING_LEAD,
        D::ConsentToDistribution {
            distribution_id: DISTRIBUTION,
            version: 3,
        },
    );
    out.push(b.snap("variation round v3 open"));
    for lead in [FIRM_LEAD, MOSQUE_LEAD, ICB_COMMISSIONER] {
        b.run(
            lead,
            D::ConsentToDistribution {
                distribution_id: DISTRIBUTION,
                version: 3,
            },
        );
    }
    out.push(b.snap("every party consented to v3, deliberation time not over"));

    // v2 open, then the idea withdrawn and the distribution withdrawn.
    let mut b = story_until(is("amend_distribution"));
    b.run(
        CHAMPION,
        IdeaCommand::WithdrawIdea {
            idea_id: IDEA,
            reason: en("The screening service is changing."),
        },
    );
    b.run(
        FACILITATOR,
        D::WithdrawDistribution {
            distribution_id: DISTRIBUTION,
            reason: en("The idea was withdrawn."),
        },
    );
    out.push(b.snap("idea and distribution withdrawn"));

    // Idea declined, problem closed.
    let mut b = story_until(is("acknowledge_idea_contribution"));
    b.run(
        FACILITATOR,
        IdeaCommand::RecordIdeaDecision {
            idea_id: IDEA,
            outcome: IdeaOutcome::Decline,
            decision: Decision {
                options_considered: vec![en("Voice reminders"), en("Text reminders")],
                preferences: vec![StatedPreference {
                    organisation_id: ORG_HOUSING,
                    preference: en("Voice reminders."),
                }],
                rationale: en("Funding ended."),
            },
        },
    );
    b.run(
        CHAMPION,
        ProblemCommand::MoveProblemStage {
            problem_id: PROBLEM,
            to: ProblemStage::Closed,
            reason: en("The service has changed."),
        },
    );
    out.push(b.snap("idea declined, problem closed"));

    // Idea shortlisted while its distribution is open at v1 with a consent in; a second
    // facilitator so the first can be demoted.
    let mut b = story_until(is("consent_to_distribution"));
    b.run(
        FACILITATOR,
        HubCommand::ChangeMemberRole {
            hub_id: HUB,
            member_id: PUBLIC_HEALTH_COMMISSIONER,
            role: Role::Facilitator,
        },
    );
    b.run(
        NURSE,
        IdeaCommand::GiveFeedback {
            idea_id: IDEA,
            feedback_id: FEEDBACK_OPEN,
            text: en("Could the reminders also go to carers?"),
        },
    );
    b.run(
        FACILITATOR,
        IdeaCommand::RecordIdeaDecision {
            idea_id: IDEA,
            outcome: IdeaOutcome::Shortlist,
            decision: Decision {
                options_considered: vec![en("Voice reminders")],
                preferences: vec![StatedPreference {
                    organisation_id: ORG_MOSQUE,
                    preference: en("Go ahead."),
                }],
                rationale: en("Everyone wants it."),
            },
        },
    );
    out.push(
        b.snap("idea shortlisted, feedback unanswered, two facilitators, v1 partly consented"),
    );
    out
}

/// Every snapshot, built once.
pub fn snapshots() -> &'static [Snapshot] {
    static SNAPSHOTS: OnceLock<Vec<Snapshot>> = OnceLock::new();
    SNAPSHOTS.get_or_init(build_snapshots)
}

/// One of the snapshots.
pub fn snapshot() -> impl Strategy<Value = &'static Snapshot> {
    (0..snapshots().len()).prop_map(|i| &snapshots()[i])
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// The codes a refusal may carry.
pub const CODES: [&str; 5] = ["VALIDATION", "RULE", "FORBIDDEN", "NOT_FOUND", "CONFLICT"];

/// Decides `command` twice against `world` and checks purity: same answer both times, the
/// world untouched, and a refusal with a plain message and a known code. On acceptance,
/// applies the events (checking each one's stream, codec round trip and summary), then checks
/// every invariant. Returns whether it was accepted.
pub fn decide_and_check(
    world: &mut World,
    actor: MemberId,
    command: &DomainCommand,
    now: DateTime<Utc>,
) -> Result<bool, TestCaseError> {
    let before = world.clone();
    let first = world.decide(actor, command, now);
    let second = world.decide(actor, command, now);
    prop_assert_eq!(&first, &second, "decide is not deterministic");
    prop_assert!(*world == before, "decide changed the state it was given");
    match first {
        Err(e) => {
            let message = e.to_string();
            prop_assert!(
                !message.trim().is_empty(),
                "a refusal without a message: {:?}",
                e
            );
            prop_assert!(
                message.chars().count() <= 600,
                "a refusal message of {} characters echoes too much input",
                message.chars().count()
            );
            prop_assert!(CODES.contains(&e.code()), "unexpected code {}", e.code());
            prop_assert_eq!(e.code() == "RULE", e.rule().is_some());
            // The refused command is still refused, and the world is still the same, when the
            // application layer's execute is used.
            prop_assert_eq!(world.execute(actor, command, now), Err(e));
            prop_assert!(*world == before);
            Ok(false)
        }
        Ok(events) => {
            prop_assert!(!events.is_empty(), "an accepted command produced no events");
            let target = command.stream_id();
            for e in &events {
                prop_assert_eq!(
                    e.stream_id(),
                    target.clone(),
                    "event outside the target stream"
                );
                prop_assert_eq!(e.by(), actor, "event attributed to someone else");
                prop_assert_eq!(e.at(), now);
                let stored = e.encode();
                prop_assert_eq!(&DomainEvent::decode(&stored).unwrap(), e);
                let json = serde_json::to_string(&stored.payload).unwrap();
                let back: serde_json::Value = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(
                    &DomainEvent::decode(&cohub_domain::EncodedEvent {
                        payload: back,
                        ..stored.clone()
                    })
                    .unwrap(),
                    e
                );
                world.apply(e);
            }
            for e in &events {
                let names = world.hubs.values().next().cloned().unwrap_or_default();
                prop_assert!(!e.summary(&names).trim().is_empty());
            }
            if let Err(why) = invariants(world) {
                return Err(TestCaseError::fail(format!(
                    "after {} by {actor}: {why}\nevents: {events:?}",
                    command.name()
                )));
            }
            Ok(true)
        }
    }
}

fn sum_by_kind(terms: &Terms) -> BTreeMap<RewardKind, u64> {
    let mut sums = BTreeMap::new();
    for r in &terms.rewards {
        for s in &r.shares {
            *sums.entry(r.kind).or_insert(0u64) += u64::from(s.basis_points);
        }
    }
    sums
}

/// Every invariant a world reached through `decide` keeps.
pub fn invariants(world: &World) -> Result<(), String> {
    for (id, hub) in &world.hubs {
        if !hub.exists() {
            return Err(format!("hub {id} has events but is not founded"));
        }
        if hub.active_facilitators() == 0 {
            return Err(format!("hub {id} has no active facilitator"));
        }
        for m in hub.members.values() {
            if !hub.organisations.contains_key(&m.organisation_id) {
                return Err(format!(
                    "member {} belongs to an unknown organisation",
                    m.id
                ));
            }
        }
        for (i, c) in hub.charters.iter().enumerate() {
            if c.version as usize != i + 1 {
                return Err("charter versions are not 1, 2, 3, ...".into());
            }
        }
        if hub.minimum_deliberation_seconds > 90 * 86_400 {
            return Err("deliberation time above 90 days".into());
        }
    }
    for (id, p) in &world.problems {
        let hub = world
            .hubs
            .get(&p.hub_id)
            .ok_or(format!("problem {id} in no hub"))?;
        let author = p.framed_by.ok_or("a problem without an author")?;
        for (i, v) in p.versions.iter().enumerate() {
            if v.version as usize != i + 1 {
                return Err(format!("problem {id}: versions not sequential"));
            }
            if v.by != author {
                return Err(format!(
                    "problem {id}: a version by someone else than its framer"
                ));
            }
        }
        let mut stage = ProblemStage::Open;
        for m in &p.stage_moves {
            if m.from != stage || !stage.can_move_to(m.to) {
                return Err(format!("problem {id}: stage moves do not chain"));
            }
            stage = m.to;
        }
        if stage != p.stage {
            return Err(format!("problem {id}: stage does not match its moves"));
        }
        let endorsers: BTreeSet<_> = p.endorsements.iter().map(|e| e.by).collect();
        if endorsers.len() != p.endorsements.len() {
            return Err(format!("problem {id}: someone endorsed twice"));
        }
        for a in &p.acknowledgements {
            if a.by == a.author {
                return Err(format!("problem {id}: a self-acknowledgement"));
            }
        }
        let _ = hub;
    }
    for (id, idea) in &world.ideas {
        let author = idea.proposed_by.ok_or("an idea without an author")?;
        if !world.problems.contains_key(&idea.problem_id) {
            return Err(format!("idea {id} for an unknown problem"));
        }
        for (i, v) in idea.versions.iter().enumerate() {
            if v.version as usize != i + 1 || v.by != author {
                return Err(format!(
                    "idea {id}: versions not sequential or not the author's"
                ));
            }
        }
        let supporters: BTreeSet<_> = idea.supporters.iter().map(|s| s.by).collect();
        if supporters.len() != idea.supporters.len() {
            return Err(format!("idea {id}: someone supported twice"));
        }
        for f in &idea.feedback {
            if let Some(r) = &f.response {
                if r.by != author {
                    return Err(format!("idea {id}: feedback answered by someone else"));
                }
            }
        }
        for a in &idea.acknowledgements {
            if a.by == a.author {
                return Err(format!("idea {id}: a self-acknowledgement"));
            }
        }
        if idea.decisions.len() > 2 {
            return Err(format!("idea {id}: more than two decisions"));
        }
        if idea.status == IdeaStatus::Declined && idea.decisions.is_empty() {
            return Err(format!("idea {id}: declined without a decision"));
        }
    }
    for (id, d) in &world.distributions {
        distribution_invariants(world, d).map_err(|e| format!("distribution {id}: {e}"))?;
    }
    Ok(())
}

/// The power-sharing invariants of one distribution.
pub fn distribution_invariants(world: &World, d: &DistributionState) -> Result<(), String> {
    let hub = world.hubs.get(&d.hub_id).ok_or("in no hub")?;
    if d.versions.is_empty() {
        return Err("no versions".into());
    }
    for (i, v) in d.versions.iter().enumerate() {
        if v.version as usize != i + 1 {
            return Err("versions not 1, 2, 3, ...".into());
        }
        let t = &v.terms;
        let unique: BTreeSet<_> = t.parties.iter().collect();
        if unique.len() != t.parties.len() || t.parties.is_empty() {
            return Err(format!("v{}: parties repeat or are empty", v.version));
        }
        if !t
            .parties
            .iter()
            .any(|p| hub.kind_of(*p) == Some(StakeholderKind::CommunityOrganisation))
        {
            return Err(format!(
                "v{}: no community organisation is a party",
                v.version
            ));
        }
        for (kind, sum) in sum_by_kind(t) {
            if sum != u64::from(BASIS_POINTS_WHOLE) {
                return Err(format!(
                    "v{}: {} shares sum to {sum}",
                    v.version,
                    kind.words()
                ));
            }
        }
        for r in &t.rewards {
            for s in &r.shares {
                if !t.is_party(s.party) || s.basis_points == 0 {
                    return Err(format!(
                        "v{}: a share for a non-party or of zero",
                        v.version
                    ));
                }
            }
        }
        for c in &t.costs {
            if !t.is_party(c.party) || c.amount == 0 {
                return Err(format!("v{}: a cost for a non-party or of zero", v.version));
            }
        }
    }
    let latest = d.version();
    let agreed_versions: BTreeSet<u32> = d.agreements.iter().map(|a| a.version).collect();
    let ended_versions: BTreeSet<u32> = d.round_endings.iter().map(|e| e.version).collect();
    for p in &d.positions {
        if p.version == 0 || p.version > latest {
            return Err(format!(
                "a position on version {} which does not exist",
                p.version
            ));
        }
        let v = &d.versions[p.version as usize - 1];
        if matches!(p.position, Position::Consented) && !v.terms.is_party(p.organisation_id) {
            return Err("a consent by an organisation that is not a party".into());
        }
        let speaker = hub.members.get(&p.by).ok_or("a position by a stranger")?;
        if speaker.organisation_id != p.organisation_id {
            return Err("a position given for another organisation".into());
        }
        if p.position.is_consent() && (p.answer.is_some() || p.withdrawal.is_some()) {
            return Err("a consent with an objection's answer or withdrawal".into());
        }
        {
            if let Some(a) = &p.answer {
                if Some(a.by) != d.proposed_by || a.by == p.by {
                    return Err("an objection answered by someone other than the proposer".into());
                }
            }
            if let Some(w) = &p.withdrawal {
                let by = hub
                    .members
                    .get(&w.by)
                    .ok_or("an objection withdrawn by a stranger")?;
                if w.by != p.by && by.organisation_id != p.organisation_id {
                    return Err("an objection withdrawn by another organisation".into());
                }
            }
        }
    }
    // A consent counts only for the version it names, and only while that version is the
    // latest: every current consent on an older version that was never agreed is voided.
    for v in 1..latest {
        if agreed_versions.contains(&v) || ended_versions.contains(&v) {
            continue;
        }
        for (org, p) in d.positions_on(v) {
            if matches!(p.position, Position::Consented) && !p.voided {
                return Err(format!(
                    "{org}'s consent to superseded version {v} still stands"
                ));
            }
        }
    }
    // Voided consents stay in the record (audit), but never on the latest open version.
    if let Some(open) = d.open_version() {
        if open != latest {
            return Err("a round is open on a version that is not the latest".into());
        }
        if d.positions_on(open).values().any(|p| p.voided) {
            return Err("a voided position on the open version".into());
        }
    }
    // Every agreement: on a version whose every party consented to that very version, with no
    // objection standing (no position on a version can follow its agreement).
    for a in &d.agreements {
        let v = d
            .versions
            .get(a.version as usize - 1)
            .ok_or("an agreement on a version that does not exist")?;
        if a.parties != v.terms.parties {
            return Err("agreement parties differ from the version's".into());
        }
        let positions: BTreeMap<_, _> = d
            .positions
            .iter()
            .filter(|p| p.version == a.version)
            .map(|p| (p.organisation_id, p))
            .collect();
        for party in &v.terms.parties {
            match positions.get(party) {
                Some(p) if p.position.is_consent() && p.holds() => {}
                _ => {
                    return Err(format!(
                        "v{} agreed without {party}'s consent to it",
                        a.version
                    ))
                }
            }
        }
        if positions
            .values()
            .any(|p| p.position.is_objection() && p.holds())
        {
            return Err(format!("v{} agreed over a standing objection", a.version));
        }
    }
    for e in &d.round_endings {
        if e.version == 0 || e.version > latest {
            return Err("a round ended on a version that does not exist".into());
        }
    }
    let standing = d.standing(None);
    match d.status {
        DistributionStatus::Agreed => {
            let in_force = d.in_force().ok_or("agreed without an agreement")?;
            match standing.open_version {
                Some(open) if open <= in_force => {
                    return Err(
                        "a variation open on a version not newer than the one in force".into(),
                    )
                }
                Some(_) => {}
                None => {
                    if standing.version != in_force || !standing.missing.is_empty() {
                        return Err("agreed with consents missing on the version in force".into());
                    }
                }
            }
        }
        DistributionStatus::Withdrawn => {
            if d.withdrawal_reason.is_none() {
                return Err("withdrawn without a reason".into());
            }
            if !d.agreements.is_empty() {
                return Err("withdrawn after an agreement".into());
            }
        }
        DistributionStatus::ClosedWithoutAgreement => {
            if !d.agreements.is_empty() || d.round_endings.is_empty() {
                return Err(
                    "closed without agreement, but something was agreed or nobody closed it".into(),
                );
            }
        }
        DistributionStatus::Lapsed => {
            return Err("a lapse stored in the distribution's own status".into())
        }
        DistributionStatus::Proposed => {
            if standing.open_version != Some(latest) {
                return Err("proposed, but no round open on the latest version".into());
            }
        }
    }
    let _ = MemberStatus::Active;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// The number of cases: `PROPTEST_CASES` if set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs a property on a thread with a large stack (deeply nested strategies need more than a
/// test thread's 2 MiB in debug builds), failing the test with the minimal counterexample.
pub fn check<S, M, F>(name: &str, cases: u32, make: M, test: F)
where
    M: FnOnce() -> S + Send + 'static,
    S: Strategy,
    S::Value: std::fmt::Debug,
    F: Fn(S::Value) -> Result<(), TestCaseError> + Send + 'static,
{
    let name = name.to_string();
    let handle = std::thread::Builder::new()
        .name(name.clone())
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
                cases,
                failure_persistence: None,
                ..ProptestConfig::default()
            });
            let strategy = make();
            runner
                .run(&strategy, test)
                .map_err(|e| format!("{name}: {e}"))
        })
        .expect("spawn the property thread");
    match handle.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e}"),
        Err(p) => std::panic::resume_unwind(p),
    }
}
