use chrono::Duration;

use super::*;
use crate::error::Rule;
use crate::example::*;
use crate::hub::HubCommand;
use crate::ids::{FeedbackId, IdeaId, ProblemId};
use crate::problem::{ProblemCommand, ProblemStage};
use crate::testkit::*;
use crate::text::PlainText;

fn en(s: &str) -> PlainText {
    PlainText::en(s)
}

fn propose(id: IdeaId, on_behalf_of: Option<OnBehalfOf>) -> IdeaCommand {
    IdeaCommand::ProposeIdea {
        idea_id: id,
        problem_id: PROBLEM,
        title: en("Text reminders"),
        summary: en("Send texts in community languages."),
        on_behalf_of,
    }
}

fn decision() -> Decision {
    Decision {
        options_considered: vec![en("Voice reminders"), en("Translated letters")],
        preferences: vec![StatedPreference {
            organisation_id: ORG_HOUSING,
            preference: en("Residents prefer voices they know."),
        }],
        rationale: en("Voices reach people who do not read."),
    }
}

#[test]
fn anyone_proposes_only_champions_on_behalf_of_residents() {
    let mut world = full();
    ok(&mut world, NURSE, propose(IdeaId::new(), None));
    let behalf = Some(OnBehalfOf {
        residents: en("Tenants of the Oak Street flats"),
        anonymous: true,
        how_residents_agreed: Some(en("At the tenants' meeting, by a show of hands.")),
    });
    assert_rule(
        err(&mut world, NURSE, propose(IdeaId::new(), behalf.clone())),
        Rule::OnlyChampionsSpeakForResidents,
    );
    assert_rule(
        err(
            &mut world,
            HOUSING_LEAD,
            propose(IdeaId::new(), behalf.clone()),
        ),
        Rule::OnlyChampionsSpeakForResidents,
    );
    let id = IdeaId::new();
    ok(&mut world, CHAMPION_2, propose(id, behalf));
    assert!(world.ideas[&id].on_behalf_of.as_ref().unwrap().anonymous);
    assert_code(&err(&mut world, CHAMPION_2, propose(id, None)), "CONFLICT");
}

#[test]
fn problem_must_exist_and_be_open_for_ideas() {
    let mut world = full();
    let cmd = IdeaCommand::ProposeIdea {
        idea_id: IdeaId::new(),
        problem_id: ProblemId::new(),
        title: en("t"),
        summary: en("s"),
        on_behalf_of: None,
    };
    assert_code(&err(&mut world, NURSE, cmd), "NOT_FOUND");
    for stage in [ProblemStage::Parked, ProblemStage::Closed] {
        let mut w = full();
        ok(
            &mut w,
            FACILITATOR,
            ProblemCommand::MoveProblemStage {
                problem_id: PROBLEM,
                to: stage,
                reason: en("For now."),
            },
        );
        assert_rule(
            err(&mut w, NURSE, propose(IdeaId::new(), None)),
            Rule::ProblemNotOpenForIdeas,
        );
    }
}

#[test]
fn only_the_author_revises_and_old_versions_stay() {
    let mut world = full();
    let revise = IdeaCommand::ReviseIdea {
        idea_id: IDEA,
        title: en("Voice reminders v2"),
        summary: en("Also by text."),
        rationale: en("Feedback from the firm."),
        answers: vec![],
    };
    assert_rule(
        err(&mut world, FIRM_LEAD, revise.clone()),
        Rule::NobodyRevisesAnothersWords,
    );
    ok(&mut world, CHAMPION, revise);
    let idea = &world.ideas[&IDEA];
    assert_eq!(idea.version(), 2);
    assert_eq!(
        idea.versions[0].title,
        en("Community-language voice reminders recorded by trusted champions.")
    );
}

#[test]
fn support_once_per_member() {
    let mut world = full();
    assert_code(
        &err(
            &mut world,
            CHAMPION_2,
            IdeaCommand::SupportIdea { idea_id: IDEA },
        ),
        "CONFLICT",
    );
    ok(&mut world, GP, IdeaCommand::SupportIdea { idea_id: IDEA });
}

#[test]
fn feedback_and_responses() {
    let mut world = full();
    let fb = FeedbackId::new();
    ok(
        &mut world,
        GP,
        IdeaCommand::GiveFeedback {
            idea_id: IDEA,
            feedback_id: fb,
            text: en("Include the practice's number."),
        },
    );
    let respond = IdeaCommand::RespondToFeedback {
        idea_id: IDEA,
        feedback_id: fb,
        text: en("Good idea, we will."),
    };
    assert_code(&err(&mut world, NURSE, respond.clone()), "FORBIDDEN");
    assert_code(
        &err(
            &mut world,
            CHAMPION,
            IdeaCommand::RespondToFeedback {
                idea_id: IDEA,
                feedback_id: FeedbackId::new(),
                text: en("x"),
            },
        ),
        "NOT_FOUND",
    );
    ok(&mut world, CHAMPION, respond.clone());
    assert_code(&err(&mut world, CHAMPION, respond), "CONFLICT");
    assert!(world.ideas[&IDEA].feedback(fb).unwrap().response.is_some());
    assert_code(
        &err(
            &mut world,
            GP,
            IdeaCommand::GiveFeedback {
                idea_id: IDEA,
                feedback_id: fb,
                text: en("again"),
            },
        ),
        "CONFLICT",
    );
}

#[test]
fn acknowledge_someone_elses_contribution() {
    let mut world = full();
    let ack = |c| IdeaCommand::AcknowledgeIdeaContribution {
        idea_id: IDEA,
        contribution: c,
        note: None,
    };
    assert_rule(
        err(&mut world, CHAMPION, ack(IdeaContribution::Idea)),
        Rule::NoSelfAcknowledgement,
    );
    assert_rule(
        err(
            &mut world,
            FIRM_LEAD,
            ack(IdeaContribution::Feedback(FEEDBACK_FIRM)),
        ),
        Rule::NoSelfAcknowledgement,
    );
    assert_code(
        &err(
            &mut world,
            CHAMPION,
            ack(IdeaContribution::Feedback(FEEDBACK_FIRM)),
        ),
        "CONFLICT",
    );
    ok(&mut world, FIRM_LEAD, ack(IdeaContribution::Idea));
}

#[test]
fn decisions_by_facilitators_after_deliberation_time() {
    let mut world = full();
    ok(
        &mut world,
        FACILITATOR,
        HubCommand::SetMinimumDeliberationTime {
            hub_id: HUB,
            seconds: 7 * 86_400,
        },
    );
    let cmd = IdeaCommand::RecordIdeaDecision {
        idea_id: IDEA,
        outcome: IdeaOutcome::Shortlist,
        decision: decision(),
    };
    let proposed_at = world.ideas[&IDEA].proposed_at.unwrap();
    assert_code(
        &err_at(
            &mut world,
            CHAMPION,
            cmd.clone(),
            proposed_at + Duration::days(8),
        ),
        "FORBIDDEN",
    );
    assert_rule(
        err_at(
            &mut world,
            FACILITATOR,
            cmd.clone(),
            proposed_at + Duration::days(6),
        ),
        Rule::MinimumDeliberationTime,
    );
    let mut no_options = decision();
    no_options.options_considered.clear();
    let bad = IdeaCommand::RecordIdeaDecision {
        idea_id: IDEA,
        outcome: IdeaOutcome::Shortlist,
        decision: no_options,
    };
    assert_code(
        &err_at(
            &mut world,
            FACILITATOR,
            bad,
            proposed_at + Duration::days(8),
        ),
        "VALIDATION",
    );
    let mut stranger = decision();
    stranger.preferences[0].organisation_id = crate::ids::OrganisationId::new();
    let bad = IdeaCommand::RecordIdeaDecision {
        idea_id: IDEA,
        outcome: IdeaOutcome::Shortlist,
        decision: stranger,
    };
    assert_code(
        &err_at(
            &mut world,
            FACILITATOR,
            bad,
            proposed_at + Duration::days(8),
        ),
        "NOT_FOUND",
    );

    ok_at(
        &mut world,
        FACILITATOR,
        cmd.clone(),
        proposed_at + Duration::days(7),
    );
    assert_eq!(world.ideas[&IDEA].status, IdeaStatus::Shortlisted);
    let t = proposed_at + Duration::days(8);
    assert_rule(
        err_at(&mut world, FACILITATOR, cmd, t),
        Rule::IdeaAlreadyDecided,
    );
    // withdrawal is not possible after a decision
    assert_rule(
        err_at(
            &mut world,
            CHAMPION,
            IdeaCommand::WithdrawIdea {
                idea_id: IDEA,
                reason: en("x"),
            },
            t,
        ),
        Rule::IdeaAlreadyDecided,
    );
    let decline = IdeaCommand::RecordIdeaDecision {
        idea_id: IDEA,
        outcome: IdeaOutcome::Decline,
        decision: decision(),
    };
    ok_at(&mut world, FACILITATOR, decline.clone(), t);
    assert_rule(
        err_at(&mut world, FACILITATOR, decline, t),
        Rule::IdeaAlreadyDecided,
    );
    assert_rule(
        err_at(
            &mut world,
            GP,
            IdeaCommand::SupportIdea { idea_id: IDEA },
            t,
        ),
        Rule::IdeaNotOpen,
    );
    assert_eq!(world.ideas[&IDEA].decisions.len(), 2);
}

#[test]
fn withdraw_by_author_only() {
    let mut world = full();
    let withdraw = IdeaCommand::WithdrawIdea {
        idea_id: IDEA,
        reason: en("We found a better way."),
    };
    assert_code(&err(&mut world, FACILITATOR, withdraw.clone()), "FORBIDDEN");
    ok(&mut world, CHAMPION, withdraw.clone());
    assert_code(&err(&mut world, CHAMPION, withdraw), "CONFLICT");
    assert_rule(
        err(
            &mut world,
            CHAMPION,
            IdeaCommand::ReviseIdea {
                idea_id: IDEA,
                title: en("t"),
                summary: en("s"),
                rationale: en("r"),
                answers: vec![],
            },
        ),
        Rule::IdeaNotOpen,
    );
    assert_rule(
        err(
            &mut world,
            GP,
            IdeaCommand::GiveFeedback {
                idea_id: IDEA,
                feedback_id: FeedbackId::new(),
                text: en("x"),
            },
        ),
        Rule::IdeaNotOpen,
    );
    let d = IdeaCommand::RecordIdeaDecision {
        idea_id: IDEA,
        outcome: IdeaOutcome::Shortlist,
        decision: decision(),
    };
    assert_rule(err(&mut world, FACILITATOR, d), Rule::IdeaNotOpen);
}

#[test]
fn a_champion_outside_a_community_organisation_cannot_speak_for_residents() {
    // An older log can hold a champion of an innovator, admitted before the rule existed.
    let mut world = full();
    let legacy = crate::ids::MemberId::new();
    world.apply(
        &crate::hub::HubEvent::MemberAdmitted(crate::hub::MemberAdmitted {
            hub_id: HUB,
            member_id: legacy,
            organisation_id: ORG_GLUCOLINK,
            name: "Old Champion".into(),
            role: crate::actor::Role::Champion,
            by: FACILITATOR,
            at: later(),
        })
        .into(),
    );
    let behalf = Some(OnBehalfOf {
        residents: en("Tenants of the Oak Street flats"),
        anonymous: false,
        how_residents_agreed: Some(en("At the tenants' meeting, by a show of hands.")),
    });
    let e = err(&mut world, legacy, propose(IdeaId::new(), behalf));
    assert_eq!(
        e.rule().map(|r| r.as_str()),
        Some("champions_belong_to_community_organisations"),
        "{e:?}"
    );
    // In their own name they may still propose.
    ok(&mut world, legacy, propose(IdeaId::new(), None));
}

#[test]
fn deliberation_runs_from_the_latest_revision() {
    let mut world = full();
    let t0 = later();
    ok_at(
        &mut world,
        FACILITATOR,
        HubCommand::SetMinimumDeliberationTime {
            hub_id: HUB,
            seconds: 3 * 86_400,
        },
        t0,
    );
    let id = IdeaId::new();
    ok_at(&mut world, NURSE, propose(id, None), t0);
    ok_at(
        &mut world,
        NURSE,
        IdeaCommand::ReviseIdea {
            idea_id: id,
            title: en("Text and voice reminders"),
            summary: en("Texts, and voices for those who do not read."),
            rationale: en("Residents asked for voices."),
            answers: vec![],
        },
        t0 + Duration::days(2),
    );
    let decide = IdeaCommand::RecordIdeaDecision {
        idea_id: id,
        outcome: IdeaOutcome::Shortlist,
        decision: decision(),
    };
    // Three days after the proposal, but one day after the revision: too soon.
    assert_rule(
        err_at(
            &mut world,
            FACILITATOR,
            decide.clone(),
            t0 + Duration::days(3) + Duration::minutes(1),
        ),
        Rule::MinimumDeliberationTime,
    );
    ok_at(
        &mut world,
        FACILITATOR,
        decide,
        t0 + Duration::days(5) + Duration::minutes(1),
    );
}

#[test]
fn an_on_behalf_proposal_records_how_the_residents_agreed() {
    let mut world = full();
    let behalf = |how: Option<PlainText>| {
        Some(OnBehalfOf {
            residents: en("Tenants of the Oak Street flats"),
            anonymous: false,
            how_residents_agreed: how,
        })
    };
    for how in [
        None,
        Some(en("  ")),
        Some(en(&"x".repeat(2001))),
        Some(PlainText::new("At the meeting.", "not a language")),
    ] {
        assert_code(
            &err(&mut world, CHAMPION_2, propose(IdeaId::new(), behalf(how))),
            "VALIDATION",
        );
    }
    let id = IdeaId::new();
    let how = en("Each tenant agreed in person at the residents' drop-in.");
    ok(
        &mut world,
        CHAMPION_2,
        propose(id, behalf(Some(how.clone()))),
    );
    assert_eq!(
        world.ideas[&id]
            .on_behalf_of
            .as_ref()
            .unwrap()
            .how_residents_agreed,
        Some(how)
    );
}

#[test]
fn old_on_behalf_proposals_without_how_residents_agreed_still_read() {
    let payload = serde_json::json!({
        "idea_id": IDEA, "problem_id": PROBLEM, "hub_id": HUB, "version": 1,
        "title": {"text": "Voice reminders", "lang": "en"},
        "summary": {"text": "Champions record them.", "lang": "en"},
        "on_behalf_of": {"residents": {"text": "Estate residents", "lang": "en"}, "anonymous": false},
        "by": CHAMPION, "at": "2025-03-01T09:00:00Z"
    });
    let event = IdeaEvent::from_payload("IdeaProposed", 1, payload.clone()).unwrap();
    let IdeaEvent::IdeaProposed(e) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(e.on_behalf_of.as_ref().unwrap().how_residents_agreed, None);
    // Written back, it is the same payload (nothing added to old events).
    assert_eq!(event.to_payload(), payload);
    let names = crate::example::play(crate::example::start_time())
        .unwrap()
        .0
        .hubs[&HUB]
        .clone();
    assert!(event
        .summary(&names)
        .ends_with("How they agreed to be represented was not recorded."));
}

#[test]
fn a_revision_names_the_feedback_it_answers() {
    let mut world = full();
    let nurse_feedback = FeedbackId::new();
    let own_feedback = FeedbackId::new();
    for (who, id) in [(NURSE, nurse_feedback), (CHAMPION, own_feedback)] {
        ok(
            &mut world,
            who,
            IdeaCommand::GiveFeedback {
                idea_id: IDEA,
                feedback_id: id,
                text: en("Could the reminders also go to carers?"),
            },
        );
    }
    let revise = |answers: Vec<FeedbackId>| IdeaCommand::ReviseIdea {
        idea_id: IDEA,
        title: en("Voice reminders, to residents and carers"),
        summary: en("Reminders go to carers too."),
        rationale: en("The nurse asked for carers to hear them."),
        answers,
    };
    assert_code(
        &err(&mut world, CHAMPION, revise(vec![FeedbackId::new()])),
        "NOT_FOUND",
    );
    assert_code(
        &err(
            &mut world,
            CHAMPION,
            revise(vec![nurse_feedback, nurse_feedback]),
        ),
        "VALIDATION",
    );
    assert_code(
        &err(&mut world, CHAMPION, revise(vec![own_feedback])),
        "VALIDATION",
    );
    let events = ok(&mut world, CHAMPION, revise(vec![nurse_feedback]));
    let crate::DomainEvent::Idea(revised) = &events[0] else {
        panic!("{events:?}");
    };
    let answered: Vec<_> = crate::answer::by_idea_event(revised)
        .into_iter()
        .map(|a| a.contribution)
        .collect();
    assert_eq!(
        answered,
        vec![crate::answer::Answered::Feedback(IDEA, nurse_feedback)],
        "the firm's feedback is not answered by this revision"
    );
    // The champion may still respond to the nurse's feedback in words of its own.
    ok(
        &mut world,
        CHAMPION,
        IdeaCommand::RespondToFeedback {
            idea_id: IDEA,
            feedback_id: nurse_feedback,
            text: en("Yes: carers will hear them too."),
        },
    );
}
