//! DOMAIN.md's example, the *Black Country Community Health Hub*, as an ordered list of
//! (actor, command) steps with fixed ids, for tests, the demo command and documentation.
//!
//! Ids are fixed UUIDs so tokens can be issued for "the champion" and others. Play the steps
//! with [`play`] (in memory) or through a store, one step at a time, in order.

use chrono::{DateTime, Duration, Utc};

use crate::actor::{Role, StakeholderKind};
use crate::command::DomainCommand;
use crate::distribution::{
    CostContribution, CostKind, DistributionCommand, Reward, RewardKind, Share, Terms,
};
use crate::error::DomainError;
use crate::event::DomainEvent;
use crate::hub::{FoundingOrganisation, HubCommand};
use crate::idea::{IdeaCommand, IdeaContribution, OnBehalfOf};
use crate::ids::*;
use crate::problem::{
    Evidence, EvidenceKind, Framing, PerspectiveKind, ProblemCommand, ProblemContribution,
    ProblemStage,
};
use crate::text::PlainText;
use crate::world::World;

const fn id(kind: u16, n: u16) -> u128 {
    // 0c0b0000-<kind>-7000-8000-0000000000<n>: recognisable, fixed, valid UUID layout.
    (0x0c0b_0000u128 << 96)
        | ((kind as u128) << 80)
        | (0x7000u128 << 64)
        | (0x8000u128 << 48)
        | n as u128
}

/// The hub's id.
pub const HUB: HubId = HubId::from_u128(id(1, 1));
/// The retinal-screening problem's id.
pub const PROBLEM: ProblemId = ProblemId::from_u128(id(4, 1));
/// The voice-reminders idea's id.
pub const IDEA: IdeaId = IdeaId::from_u128(id(5, 1));
/// The distribution's id.
pub const DISTRIBUTION: DistributionId = DistributionId::from_u128(id(6, 1));
/// The lived-experience perspective's id.
pub const PERSPECTIVE_LIVED: PerspectiveId = PerspectiveId::from_u128(id(7, 1));
/// The clinical perspective's id.
pub const PERSPECTIVE_CLINICAL: PerspectiveId = PerspectiveId::from_u128(id(7, 2));
/// The commissioning perspective's id.
pub const PERSPECTIVE_COMMISSIONING: PerspectiveId = PerspectiveId::from_u128(id(7, 3));
/// The diabetes firm's feedback (offering its platform).
pub const FEEDBACK_FIRM: FeedbackId = FeedbackId::from_u128(id(8, 1));

/// Sandwell Public Health (commissioner; the facilitator's organisation).
pub const ORG_PUBLIC_HEALTH: OrganisationId = OrganisationId::from_u128(id(2, 1));
/// Brierley Homes, the housing association (community organisation).
pub const ORG_HOUSING: OrganisationId = OrganisationId::from_u128(id(2, 2));
/// Al-Noor Mosque Community Health Group (community organisation).
pub const ORG_MOSQUE: OrganisationId = OrganisationId::from_u128(id(2, 3));
/// Carers Together, the carers' charity (community organisation), admitted later.
pub const ORG_CARERS: OrganisationId = OrganisationId::from_u128(id(2, 4));
/// GlucoLink, the diabetes remote-monitoring firm (innovator).
pub const ORG_GLUCOLINK: OrganisationId = OrganisationId::from_u128(id(2, 5));
/// BloomMind, the maternal mental-health app (innovator).
pub const ORG_BLOOMMIND: OrganisationId = OrganisationId::from_u128(id(2, 6));
/// The diabetes specialist nursing team (clinician).
pub const ORG_DIABETES_NURSING: OrganisationId = OrganisationId::from_u128(id(2, 7));
/// Oak Lane GP Practice (clinician).
pub const ORG_GP: OrganisationId = OrganisationId::from_u128(id(2, 8));
/// The maternity unit (clinician).
pub const ORG_MATERNITY: OrganisationId = OrganisationId::from_u128(id(2, 9));
/// Black Country Integrated Care Board (commissioner).
pub const ORG_ICB: OrganisationId = OrganisationId::from_u128(id(2, 10));

/// Nadia Rahman, hub facilitator (Sandwell Public Health); she founds the hub.
pub const FACILITATOR: MemberId = MemberId::from_u128(id(3, 1));
/// Amina Begum, community champion (Brierley Homes); frames the problem and proposes the idea.
pub const CHAMPION: MemberId = MemberId::from_u128(id(3, 2));
/// Tom Price, community champion (Brierley Homes).
pub const CHAMPION_2: MemberId = MemberId::from_u128(id(3, 3));
/// Jaspreet Kaur, community champion (Brierley Homes).
pub const CHAMPION_3: MemberId = MemberId::from_u128(id(3, 4));
/// Helen Ward, lead for Brierley Homes.
pub const HOUSING_LEAD: MemberId = MemberId::from_u128(id(3, 5));
/// Imran Hussain, lead for the mosque's community health group.
pub const MOSQUE_LEAD: MemberId = MemberId::from_u128(id(3, 6));
/// Sue Collins, lead for Carers Together.
pub const CARERS_LEAD: MemberId = MemberId::from_u128(id(3, 7));
/// Dan Okafor, lead for GlucoLink (the diabetes firm).
pub const FIRM_LEAD: MemberId = MemberId::from_u128(id(3, 8));
/// Sara Lindqvist, lead for BloomMind.
pub const APP_LEAD: MemberId = MemberId::from_u128(id(3, 9));
/// Rachel Green, diabetes specialist nurse.
pub const NURSE: MemberId = MemberId::from_u128(id(3, 10));
/// Dr Farah Ahmed, GP.
pub const GP: MemberId = MemberId::from_u128(id(3, 11));
/// Dr Eleanor Hughes, maternity consultant.
pub const CONSULTANT: MemberId = MemberId::from_u128(id(3, 12));
/// Mark Stevens, commissioning manager and lead for the ICB.
pub const ICB_COMMISSIONER: MemberId = MemberId::from_u128(id(3, 13));
/// Owen Jones, public-health commissioner.
pub const PUBLIC_HEALTH_COMMISSIONER: MemberId = MemberId::from_u128(id(3, 14));

/// An organisation of the example hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOrganisation {
    /// Its id.
    pub id: OrganisationId,
    /// Its name.
    pub name: &'static str,
    /// Its stakeholder kind.
    pub kind: StakeholderKind,
}

/// A person of the example hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPerson {
    /// A short handle, e.g. `champion`, `facilitator`, `firm_lead`.
    pub key: &'static str,
    /// Their member id (the subject of their token).
    pub id: MemberId,
    /// Their name.
    pub name: &'static str,
    /// Their organisation.
    pub organisation: OrganisationId,
    /// Their role.
    pub role: Role,
}

/// One step of the example: who does what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleStep {
    /// The acting member.
    pub actor: MemberId,
    /// The command.
    pub command: DomainCommand,
    /// What the step is, in words.
    pub note: &'static str,
}

/// The example hub's name.
pub const HUB_NAME: &str = "Black Country Community Health Hub";

/// The example's organisations (the founder's first; Carers Together is admitted mid-story).
pub fn organisations() -> Vec<DemoOrganisation> {
    use StakeholderKind::*;
    vec![
        DemoOrganisation {
            id: ORG_PUBLIC_HEALTH,
            name: "Sandwell Public Health",
            kind: Commissioner,
        },
        DemoOrganisation {
            id: ORG_HOUSING,
            name: "Brierley Homes",
            kind: CommunityOrganisation,
        },
        DemoOrganisation {
            id: ORG_MOSQUE,
            name: "Al-Noor Mosque Community Health Group",
            kind: CommunityOrganisation,
        },
        DemoOrganisation {
            id: ORG_GLUCOLINK,
            name: "GlucoLink",
            kind: Innovator,
        },
        DemoOrganisation {
            id: ORG_BLOOMMIND,
            name: "BloomMind",
            kind: Innovator,
        },
        DemoOrganisation {
            id: ORG_DIABETES_NURSING,
            name: "Walsall Diabetes Specialist Nursing Team",
            kind: Clinician,
        },
        DemoOrganisation {
            id: ORG_GP,
            name: "Oak Lane GP Practice",
            kind: Clinician,
        },
        DemoOrganisation {
            id: ORG_MATERNITY,
            name: "Black Country Maternity Unit",
            kind: Clinician,
        },
        DemoOrganisation {
            id: ORG_ICB,
            name: "Black Country Integrated Care Board",
            kind: Commissioner,
        },
        DemoOrganisation {
            id: ORG_CARERS,
            name: "Carers Together",
            kind: CommunityOrganisation,
        },
    ]
}

/// The example's people (the facilitator first; Sue Collins joins with Carers Together).
pub fn people() -> Vec<DemoPerson> {
    use Role::*;
    let p = |key, id, name, organisation, role| DemoPerson {
        key,
        id,
        name,
        organisation,
        role,
    };
    vec![
        p(
            "facilitator",
            FACILITATOR,
            "Nadia Rahman",
            ORG_PUBLIC_HEALTH,
            Facilitator,
        ),
        p("champion", CHAMPION, "Amina Begum", ORG_HOUSING, Champion),
        p("champion_2", CHAMPION_2, "Tom Price", ORG_HOUSING, Champion),
        p(
            "champion_3",
            CHAMPION_3,
            "Jaspreet Kaur",
            ORG_HOUSING,
            Champion,
        ),
        p(
            "housing_lead",
            HOUSING_LEAD,
            "Helen Ward",
            ORG_HOUSING,
            Lead,
        ),
        p(
            "mosque_lead",
            MOSQUE_LEAD,
            "Imran Hussain",
            ORG_MOSQUE,
            Lead,
        ),
        p("firm_lead", FIRM_LEAD, "Dan Okafor", ORG_GLUCOLINK, Lead),
        p("app_lead", APP_LEAD, "Sara Lindqvist", ORG_BLOOMMIND, Lead),
        p("nurse", NURSE, "Rachel Green", ORG_DIABETES_NURSING, Member),
        p("gp", GP, "Dr Farah Ahmed", ORG_GP, Member),
        p(
            "consultant",
            CONSULTANT,
            "Dr Eleanor Hughes",
            ORG_MATERNITY,
            Member,
        ),
        p(
            "icb_commissioner",
            ICB_COMMISSIONER,
            "Mark Stevens",
            ORG_ICB,
            Lead,
        ),
        p(
            "public_health_commissioner",
            PUBLIC_HEALTH_COMMISSIONER,
            "Owen Jones",
            ORG_PUBLIC_HEALTH,
            Member,
        ),
        p("carers_lead", CARERS_LEAD, "Sue Collins", ORG_CARERS, Lead),
    ]
}

/// A demo person by key (e.g. `"champion"`).
pub fn person(key: &str) -> Option<DemoPerson> {
    people().into_iter().find(|p| p.key == key)
}

fn en(s: &str) -> PlainText {
    PlainText::en(s)
}

fn share(party: OrganisationId, basis_points: u32) -> Share {
    Share {
        party,
        basis_points,
    }
}

fn cost(
    party: OrganisationId,
    kind: CostKind,
    amount: u64,
    unit: &str,
    note: &str,
) -> CostContribution {
    CostContribution {
        party,
        kind,
        amount,
        unit: unit.to_string(),
        note: Some(en(note)),
    }
}

/// Version 1 of the distribution: firm, housing association, mosque group and ICB.
pub fn terms_v1() -> Terms {
    Terms {
        parties: vec![ORG_GLUCOLINK, ORG_HOUSING, ORG_MOSQUE, ORG_ICB],
        costs: vec![
            cost(
                ORG_GLUCOLINK,
                CostKind::Licence,
                1,
                "platform licence",
                "The reminder platform, licensed for the pilot.",
            ),
            cost(
                ORG_GLUCOLINK,
                CostKind::StaffTime,
                120,
                "engineering hours",
                "Set-up and support of the voice reminders.",
            ),
            cost(
                ORG_HOUSING,
                CostKind::StaffTime,
                200,
                "champion hours",
                "Champions record and check the reminders.",
            ),
            cost(
                ORG_HOUSING,
                CostKind::Venue,
                12,
                "community room sessions",
                "Recording sessions at the estate's community room.",
            ),
            cost(ORG_ICB, CostKind::Money, 40_000, "GBP", "Pilot funding."),
        ],
        rewards: vec![
            Reward {
                kind: RewardKind::RevenueShare,
                description: en("Revenue from reselling the voice reminders to other areas."),
                shares: vec![
                    share(ORG_GLUCOLINK, 6000),
                    share(ORG_HOUSING, 2500),
                    share(ORG_MOSQUE, 1500),
                ],
            },
            Reward {
                kind: RewardKind::OutcomeData,
                description: en("Screening uptake and outcome data, shared with every party."),
                shares: vec![
                    share(ORG_GLUCOLINK, 2500),
                    share(ORG_HOUSING, 2500),
                    share(ORG_MOSQUE, 2500),
                    share(ORG_ICB, 2500),
                ],
            },
            Reward {
                kind: RewardKind::Licence,
                description: en("A free licence to the platform for three years."),
                shares: vec![share(ORG_ICB, 10_000)],
            },
        ],
        terms: en(
            "A twelve-month pilot of community-language voice reminders for retinal screening.",
        ),
    }
}

/// Version 2: Carers Together joins as a party with a revenue share and outcome data.
pub fn terms_v2() -> Terms {
    let mut t = terms_v1();
    t.parties.push(ORG_CARERS);
    t.costs.push(cost(
        ORG_CARERS,
        CostKind::StaffTime,
        80,
        "carer support hours",
        "Carers help residents act on reminders at home.",
    ));
    t.rewards[0].shares = vec![
        share(ORG_GLUCOLINK, 5500),
        share(ORG_HOUSING, 2000),
        share(ORG_MOSQUE, 1500),
        share(ORG_CARERS, 1000),
    ];
    t.rewards[1].shares = vec![
        share(ORG_GLUCOLINK, 2000),
        share(ORG_HOUSING, 2000),
        share(ORG_MOSQUE, 2000),
        share(ORG_ICB, 2000),
        share(ORG_CARERS, 2000),
    ];
    t.terms = en("A twelve-month pilot of community-language voice reminders for retinal screening, with carers supported to do the reminding at home.");
    t
}

/// The problem's framing.
pub fn framing() -> Framing {
    Framing {
        title: en("Residents with type 2 diabetes miss retinal screening because invitations are letters in English only."),
        statement: en("Many residents with type 2 diabetes on our estates do not read English. Screening invitations arrive as English letters, so appointments are missed and sight loss that could be prevented is not."),
        affected: en("Residents with type 2 diabetes who speak Urdu, Punjabi or Bengali at home, and the carers who support them."),
        place: en("Brierley Hill and Smethwick, Black Country"),
        evidence: vec![
            Evidence { kind: EvidenceKind::LivedExperience, text: en("Residents tell champions they throw the letters away because they cannot read them.") },
            Evidence { kind: EvidenceKind::Data, text: en("Screening uptake is 58% against an 80% target.") },
        ],
    }
}

/// The ordered steps of the whole story.
pub fn steps() -> Vec<ExampleStep> {
    let mut steps = Vec::new();
    let mut push = |actor: MemberId, command: DomainCommand, note: &'static str| {
        steps.push(ExampleStep {
            actor,
            command,
            note,
        })
    };
    let orgs = organisations();
    let founder_org = &orgs[0];
    push(
        FACILITATOR,
        HubCommand::FoundHub {
            hub_id: HUB,
            name: HUB_NAME.to_string(),
            purpose: en("Residents, community groups, innovators, clinicians and commissioners working as equals on the health problems of the Black Country."),
            founder_name: "Nadia Rahman".to_string(),
            organisation: FoundingOrganisation { organisation_id: founder_org.id, name: founder_org.name.to_string(), kind: founder_org.kind },
        }
        .into(),
        "The facilitator founds the hub.",
    );
    for o in orgs.iter().skip(1).filter(|o| o.id != ORG_CARERS) {
        push(
            FACILITATOR,
            HubCommand::AdmitOrganisation {
                hub_id: HUB,
                organisation_id: o.id,
                name: o.name.to_string(),
                kind: o.kind,
            }
            .into(),
            "The facilitator admits an organisation.",
        );
    }
    for p in people().iter().skip(1).filter(|p| p.id != CARERS_LEAD) {
        push(
            FACILITATOR,
            HubCommand::AdmitMember {
                hub_id: HUB,
                member_id: p.id,
                organisation_id: p.organisation,
                name: p.name.to_string(),
                role: p.role,
            }
            .into(),
            "The facilitator admits a member.",
        );
    }
    push(
        FACILITATOR,
        HubCommand::AdoptCharter { hub_id: HUB, text: en("We work as equals. Nobody overwrites anyone else's words. Community organisations are partners in every agreement.") }.into(),
        "The facilitator adopts the charter.",
    );
    push(
        CHAMPION,
        ProblemCommand::FrameProblem {
            problem_id: PROBLEM,
            hub_id: HUB,
            framing: framing(),
        }
        .into(),
        "The champion frames the problem.",
    );
    push(
        CHAMPION,
        ProblemCommand::AddPerspective { problem_id: PROBLEM, perspective_id: PERSPECTIVE_LIVED, kind: PerspectiveKind::LivedExperience, text: en("My neighbours ask me to read their hospital letters. By the time they ask, the appointment has gone.") }.into(),
        "The champion adds a lived-experience perspective.",
    );
    push(
        NURSE,
        ProblemCommand::AddPerspective { problem_id: PROBLEM, perspective_id: PERSPECTIVE_CLINICAL, kind: PerspectiveKind::Clinical, text: en("Missed screening means diabetic retinopathy is found late, when sight loss can no longer be prevented.") }.into(),
        "The nurse adds a clinical perspective.",
    );
    push(
        ICB_COMMISSIONER,
        ProblemCommand::AddPerspective {
            problem_id: PROBLEM,
            perspective_id: PERSPECTIVE_COMMISSIONING,
            kind: PerspectiveKind::Commissioning,
            text: en("Uptake in these neighbourhoods is 58% against our 80% target."),
        }
        .into(),
        "The ICB commissioner adds a commissioning perspective.",
    );
    push(
        GP,
        ProblemCommand::EndorseProblem {
            problem_id: PROBLEM,
        }
        .into(),
        "The GP endorses the problem.",
    );
    push(
        CHAMPION,
        ProblemCommand::AcknowledgeProblemContribution {
            problem_id: PROBLEM,
            contribution: ProblemContribution::Perspective(PERSPECTIVE_CLINICAL),
            note: Some(en("Thank you, this is what we needed to hear.")),
        }
        .into(),
        "The champion acknowledges the nurse's perspective.",
    );
    push(
        CHAMPION,
        ProblemCommand::MoveProblemStage {
            problem_id: PROBLEM,
            to: ProblemStage::DevelopingSolutions,
            reason: en("We understand the problem well enough to try ideas."),
        }
        .into(),
        "The champion moves the problem to developing solutions.",
    );
    push(
        CHAMPION,
        IdeaCommand::ProposeIdea {
            idea_id: IDEA,
            problem_id: PROBLEM,
            title: en("Community-language voice reminders recorded by trusted champions."),
            summary: en("Champions record short voice reminders in Urdu, Punjabi and Bengali that are sent before each screening appointment."),
            on_behalf_of: Some(OnBehalfOf {
                residents: en("Residents of the Brierley Hill estates who speak Urdu, Punjabi or Bengali at home."),
                anonymous: false,
                how_residents_agreed: Some(en("At the tenants' association meeting on 20 February, twenty-three residents asked the champions to put this idea forward for them, and agreed to be named as the estates' residents.")),
            }),
        }
        .into(),
        "The champion proposes an idea on behalf of residents.",
    );
    push(
        CHAMPION_2,
        IdeaCommand::SupportIdea { idea_id: IDEA }.into(),
        "Another champion supports the idea.",
    );
    push(
        FIRM_LEAD,
        IdeaCommand::GiveFeedback {
            idea_id: IDEA,
            feedback_id: FEEDBACK_FIRM,
            text: en("We can offer our reminder platform, which already sends voice messages."),
        }
        .into(),
        "The diabetes firm offers its reminder platform.",
    );
    push(
        CHAMPION,
        IdeaCommand::RespondToFeedback { idea_id: IDEA, feedback_id: FEEDBACK_FIRM, text: en("Thank you. Champions must record the messages themselves so residents hear voices they trust.") }.into(),
        "The champion responds to the firm.",
    );
    push(
        CHAMPION,
        IdeaCommand::AcknowledgeIdeaContribution {
            idea_id: IDEA,
            contribution: IdeaContribution::Feedback(FEEDBACK_FIRM),
            note: None,
        }
        .into(),
        "The champion acknowledges the firm's offer.",
    );
    push(
        FIRM_LEAD,
        DistributionCommand::ProposeDistribution {
            distribution_id: DISTRIBUTION,
            idea_id: IDEA,
            terms: terms_v1(),
        }
        .into(),
        "The firm proposes version 1 of the distribution.",
    );
    push(
        FIRM_LEAD,
        DistributionCommand::ConsentToDistribution {
            distribution_id: DISTRIBUTION,
            version: 1,
        }
        .into(),
        "GlucoLink consents to version 1.",
    );
    push(
        HOUSING_LEAD,
        DistributionCommand::ConsentToDistribution {
            distribution_id: DISTRIBUTION,
            version: 1,
        }
        .into(),
        "Brierley Homes consents to version 1.",
    );
    push(
        ICB_COMMISSIONER,
        DistributionCommand::ConsentToDistribution {
            distribution_id: DISTRIBUTION,
            version: 1,
        }
        .into(),
        "The ICB consents to version 1.",
    );
    push(
        FACILITATOR,
        HubCommand::AdmitOrganisation {
            hub_id: HUB,
            organisation_id: ORG_CARERS,
            name: "Carers Together".to_string(),
            kind: StakeholderKind::CommunityOrganisation,
        }
        .into(),
        "The facilitator admits the carers' charity.",
    );
    push(
        FACILITATOR,
        HubCommand::AdmitMember {
            hub_id: HUB,
            member_id: CARERS_LEAD,
            organisation_id: ORG_CARERS,
            name: "Sue Collins".to_string(),
            role: Role::Lead,
        }
        .into(),
        "The facilitator admits the carers' charity's lead.",
    );
    push(
        CARERS_LEAD,
        DistributionCommand::ObjectToDistribution {
            distribution_id: DISTRIBUTION,
            version: 1,
            reason: en("Carers do the reminding at home and get nothing."),
        }
        .into(),
        "Carers Together objects to version 1.",
    );
    push(
        FIRM_LEAD,
        DistributionCommand::AmendDistribution { distribution_id: DISTRIBUTION, terms: terms_v2(), rationale: en("Carers Together joins as a party with a share, because carers do the reminding at home.") }.into(),
        "The firm amends: version 2 adds Carers Together.",
    );
    for (who, note) in [
        (FIRM_LEAD, "GlucoLink consents to version 2."),
        (HOUSING_LEAD, "Brierley Homes consents to version 2."),
        (
            MOSQUE_LEAD,
            "The mosque health group consents to version 2.",
        ),
        (ICB_COMMISSIONER, "The ICB consents to version 2."),
        (
            CARERS_LEAD,
            "Carers Together consents to version 2; the distribution is agreed.",
        ),
    ] {
        push(
            who,
            DistributionCommand::ConsentToDistribution {
                distribution_id: DISTRIBUTION,
                version: 2,
            }
            .into(),
            note,
        );
    }
    steps
}

/// Each played step's actor and the events its command produced.
pub type ExampleLog = Vec<(MemberId, Vec<DomainEvent>)>;

/// A fixed starting time for playing the example: 1 March 2025, 09:00 UTC.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-03-01T09:00:00Z")
        .expect("a valid fixed time")
        .with_timezone(&Utc)
}

/// Plays every step in memory, one minute apart from `start`, and returns the world and each
/// step's (actor, events).
pub fn play(start: DateTime<Utc>) -> Result<(World, ExampleLog), DomainError> {
    let mut world = World::new();
    let mut log = Vec::new();
    for (i, step) in steps().into_iter().enumerate() {
        let now = start + Duration::minutes(i as i64);
        let events = world.execute(step.actor, &step.command, now)?;
        log.push((step.actor, events));
    }
    Ok((world, log))
}
