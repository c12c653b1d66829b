use super::*;
use crate::error::Rule;
use crate::example::*;
use crate::ids::{PerspectiveId, ProblemId};
use crate::testkit::*;
use crate::text::PlainText;

fn en(s: &str) -> PlainText {
    PlainText::en(s)
}

#[test]
fn anyone_frames_a_problem_and_adds_perspectives() {
    let mut world = full();
    let id = ProblemId::new();
    ok(
        &mut world,
        GP,
        ProblemCommand::FrameProblem {
            problem_id: id,
            hub_id: HUB,
            framing: framing(),
        },
    );
    let p = &world.problems[&id];
    assert_eq!(p.version(), 1);
    assert_eq!(p.stage, ProblemStage::Open);
    ok(
        &mut world,
        CONSULTANT,
        ProblemCommand::AddPerspective {
            problem_id: id,
            perspective_id: PerspectiveId::new(),
            kind: PerspectiveKind::Data,
            text: en("Figures"),
        },
    );
    assert_eq!(world.problems[&id].perspectives.len(), 1);
    let again = ProblemCommand::FrameProblem {
        problem_id: id,
        hub_id: HUB,
        framing: framing(),
    };
    assert_code(&err(&mut world, GP, again), "CONFLICT");
}

#[test]
fn framing_is_validated() {
    let mut world = full();
    let mut f = framing();
    f.title = en(&"x".repeat(201));
    let cmd = ProblemCommand::FrameProblem {
        problem_id: ProblemId::new(),
        hub_id: HUB,
        framing: f,
    };
    assert_code(&err(&mut world, GP, cmd), "VALIDATION");
    let mut f = framing();
    f.statement = PlainText::new("ok", "");
    let cmd = ProblemCommand::FrameProblem {
        problem_id: ProblemId::new(),
        hub_id: HUB,
        framing: f,
    };
    assert_code(&err(&mut world, GP, cmd), "VALIDATION");
}

#[test]
fn only_the_author_revises_and_old_versions_stay() {
    let mut world = full();
    let mut f = framing();
    f.title = en("Retinal screening invitations reach residents only in English.");
    let revise = ProblemCommand::ReviseProblem {
        problem_id: PROBLEM,
        framing: f.clone(),
        rationale: en("Clearer title."),
        answers: vec![],
    };
    assert_rule(
        err(&mut world, NURSE, revise.clone()),
        Rule::NobodyRevisesAnothersWords,
    );
    assert_rule(
        err(&mut world, FACILITATOR, revise.clone()),
        Rule::NobodyRevisesAnothersWords,
    );
    ok(&mut world, CHAMPION, revise);
    let p = &world.problems[&PROBLEM];
    assert_eq!(p.version(), 2);
    assert_eq!(p.versions[0].framing, framing());
    assert_eq!(p.versions[1].framing, f);
    let bad = ProblemCommand::ReviseProblem {
        problem_id: PROBLEM,
        framing: f,
        rationale: en(""),
        answers: vec![],
    };
    assert_code(&err(&mut world, CHAMPION, bad), "VALIDATION");
}

#[test]
fn endorse_once_per_member() {
    let mut world = full();
    let cmd = ProblemCommand::EndorseProblem {
        problem_id: PROBLEM,
    };
    assert_code(&err(&mut world, GP, cmd.clone()), "CONFLICT");
    ok(&mut world, NURSE, cmd);
    assert_eq!(world.problems[&PROBLEM].endorsements.len(), 2);
}

#[test]
fn stage_moves_by_framer_or_facilitator_along_allowed_paths() {
    let mut world = full();
    let mv = |to| ProblemCommand::MoveProblemStage {
        problem_id: PROBLEM,
        to,
        reason: en("Because."),
    };
    assert_code(
        &err(&mut world, NURSE, mv(ProblemStage::Parked)),
        "FORBIDDEN",
    );
    assert_rule(
        err(&mut world, CHAMPION, mv(ProblemStage::Open)),
        Rule::StageTransitionNotAllowed,
    );
    assert_rule(
        err(&mut world, CHAMPION, mv(ProblemStage::DevelopingSolutions)),
        Rule::StageTransitionNotAllowed,
    );
    ok(&mut world, FACILITATOR, mv(ProblemStage::Closed));
    assert_rule(
        err(&mut world, CHAMPION, mv(ProblemStage::Exploring)),
        Rule::StageTransitionNotAllowed,
    );
    // a closed problem takes no new contributions
    assert_rule(
        err(
            &mut world,
            NURSE,
            ProblemCommand::EndorseProblem {
                problem_id: PROBLEM,
            },
        ),
        Rule::ProblemClosed,
    );
    assert_rule(
        err(
            &mut world,
            NURSE,
            ProblemCommand::AddPerspective {
                problem_id: PROBLEM,
                perspective_id: PerspectiveId::new(),
                kind: PerspectiveKind::Clinical,
                text: en("x"),
            },
        ),
        Rule::ProblemClosed,
    );
    ok(&mut world, CHAMPION, mv(ProblemStage::Open));
    let p = &world.problems[&PROBLEM];
    assert_eq!(p.stage, ProblemStage::Open);
    assert_eq!(p.stage_moves.len(), 3);
    let empty = ProblemCommand::MoveProblemStage {
        problem_id: PROBLEM,
        to: ProblemStage::Exploring,
        reason: en(" "),
    };
    assert_code(&err(&mut world, CHAMPION, empty), "VALIDATION");
}

#[test]
fn transitions_table() {
    use ProblemStage::*;
    assert!(Open.can_move_to(Exploring));
    assert!(Parked.can_move_to(Open));
    assert!(!Parked.can_move_to(Closed));
    assert!(Closed.can_move_to(Open));
    assert!(!Closed.can_move_to(Parked));
    assert!(!Open.can_move_to(Open));
}

#[test]
fn acknowledge_someone_elses_contribution_once() {
    let mut world = full();
    let ack = |c| ProblemCommand::AcknowledgeProblemContribution {
        problem_id: PROBLEM,
        contribution: c,
        note: None,
    };
    assert_rule(
        err(&mut world, CHAMPION, ack(ProblemContribution::Problem)),
        Rule::NoSelfAcknowledgement,
    );
    assert_rule(
        err(
            &mut world,
            NURSE,
            ack(ProblemContribution::Perspective(PERSPECTIVE_CLINICAL)),
        ),
        Rule::NoSelfAcknowledgement,
    );
    assert_code(
        &err(
            &mut world,
            CHAMPION,
            ack(ProblemContribution::Perspective(PERSPECTIVE_CLINICAL)),
        ),
        "CONFLICT",
    );
    assert_code(
        &err(
            &mut world,
            NURSE,
            ack(ProblemContribution::Perspective(PerspectiveId::new())),
        ),
        "NOT_FOUND",
    );
    ok(&mut world, NURSE, ack(ProblemContribution::Problem));
    let acks = &world.problems[&PROBLEM].acknowledgements;
    assert_eq!(acks.last().unwrap().author, CHAMPION);
}

#[test]
fn unknown_problems_and_strangers_are_refused() {
    let mut world = full();
    assert_code(
        &err(
            &mut world,
            NURSE,
            ProblemCommand::EndorseProblem {
                problem_id: ProblemId::new(),
            },
        ),
        "NOT_FOUND",
    );
    assert_code(
        &err(
            &mut world,
            crate::ids::MemberId::new(),
            ProblemCommand::EndorseProblem {
                problem_id: PROBLEM,
            },
        ),
        "FORBIDDEN",
    );
}

#[test]
fn a_revision_names_the_perspectives_it_answers() {
    let mut world = full();
    let revise = |answers: Vec<PerspectiveId>| ProblemCommand::ReviseProblem {
        problem_id: PROBLEM,
        framing: framing(),
        rationale: en("The commissioner's figures sharpen it."),
        answers,
    };
    assert_code(
        &err(&mut world, CHAMPION, revise(vec![PerspectiveId::new()])),
        "NOT_FOUND",
    );
    assert_code(
        &err(
            &mut world,
            CHAMPION,
            revise(vec![PERSPECTIVE_COMMISSIONING, PERSPECTIVE_COMMISSIONING]),
        ),
        "VALIDATION",
    );
    // The champion's own lived-experience perspective is not hers to answer.
    assert_code(
        &err(&mut world, CHAMPION, revise(vec![PERSPECTIVE_LIVED])),
        "VALIDATION",
    );
    let events = ok(
        &mut world,
        CHAMPION,
        revise(vec![PERSPECTIVE_COMMISSIONING]),
    );
    let crate::DomainEvent::Problem(ProblemEvent::ProblemRevised(e)) = &events[0] else {
        panic!("{events:?}");
    };
    assert_eq!(e.answers, vec![PERSPECTIVE_COMMISSIONING]);
    let answered = crate::answer::by_problem_event(&ProblemEvent::ProblemRevised(e.clone()));
    assert_eq!(
        answered,
        vec![crate::answer::Answering {
            contribution: crate::answer::Answered::Perspective(PROBLEM, PERSPECTIVE_COMMISSIONING),
            kind: crate::answer::AnswerKind::Revision,
        }],
        "the clinical and lived-experience perspectives are not answered by it"
    );
}

#[test]
fn social_causes_are_a_kind_of_perspective() {
    let mut world = full();
    let id = PerspectiveId::new();
    ok(
        &mut world,
        HOUSING_LEAD,
        ProblemCommand::AddPerspective {
            problem_id: PROBLEM,
            perspective_id: id,
            kind: PerspectiveKind::SocialCauses,
            text: en("Overcrowded homes and shift work leave no time for appointments."),
        },
    );
    let p = world.problems[&PROBLEM].perspective(id).unwrap();
    assert_eq!(p.kind, PerspectiveKind::SocialCauses);
    assert_eq!(
        serde_json::to_value(PerspectiveKind::SocialCauses).unwrap(),
        "social_causes"
    );
    assert_eq!(PerspectiveKind::SocialCauses.words(), "social causes");
}
