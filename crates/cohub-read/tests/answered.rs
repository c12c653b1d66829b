//! "Answered" means answered: a revision answers only the contributions it names, feedback is
//! answered only by what is addressed to it, and a decision's deliberation runs from the idea's
//! latest revision. The views fold with the domain's one rule (`cohub_domain::answer`).

mod common;

use chrono::Duration;
use cohub_command::Submission;
use cohub_domain::answer::{self, Answered};
use cohub_domain::example::{self, *};
use cohub_domain::idea::{Decision, IdeaCommand, IdeaOutcome, StatedPreference};
use cohub_domain::problem::{PerspectiveKind, ProblemCommand};
use cohub_domain::text::PlainText;
use cohub_domain::{DomainEvent, FeedbackId, MemberId, PerspectiveId};
use cohub_read::heard::{AnswerKind, ContributionRef};
use cohub_read::{rebuild, ReadModel};
use std::collections::{HashMap, HashSet};

fn en(s: &str) -> PlainText {
    PlainText::en(s)
}

fn unanswered(model: &ReadModel) -> Vec<ContributionRef> {
    let now = model.recorded_until().unwrap();
    model
        .unanswered(HUB, now)
        .into_iter()
        .map(|u| u.contribution.reference)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_answers_only_the_perspectives_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = common::played(dir.path()).await;
    let data = PerspectiveId::new();
    service
        .execute(Submission::new(
            GP,
            ProblemCommand::AddPerspective {
                problem_id: PROBLEM,
                perspective_id: data,
                kind: PerspectiveKind::Data,
                text: en("Practice lists show the same gap in every estate we serve."),
            },
        ))
        .await
        .unwrap();
    // A revision naming nothing answers nothing (before, it answered every perspective).
    let revise = |answers| {
        Submission::new(
            CHAMPION,
            ProblemCommand::ReviseProblem {
                problem_id: PROBLEM,
                framing: example::framing(),
                rationale: en("The ICB's figures show how wide the gap is."),
                answers,
            },
        )
    };
    service.execute(revise(vec![])).await.unwrap();
    let model = rebuild(&store).await.unwrap();
    let problem = model.problem(PROBLEM).unwrap();
    for id in [PERSPECTIVE_COMMISSIONING, data] {
        let heard = &problem.perspective(id).unwrap().heard;
        assert!(!heard.is_answered(), "{id}: {heard:?}");
    }

    // A revision naming one of the two answers that one only.
    service
        .execute(revise(vec![PERSPECTIVE_COMMISSIONING]))
        .await
        .unwrap();
    let model = rebuild(&store).await.unwrap();
    let problem = model.problem(PROBLEM).unwrap();
    let answer = problem
        .perspective(PERSPECTIVE_COMMISSIONING)
        .unwrap()
        .heard
        .answer
        .clone()
        .expect("named, so answered");
    assert_eq!(
        (answer.kind, answer.recorded.member_id),
        (AnswerKind::Revision, CHAMPION)
    );
    assert!(!problem.perspective(data).unwrap().heard.is_answered());
    assert_eq!(problem.latest().answers, vec![PERSPECTIVE_COMMISSIONING]);
    let waiting = unanswered(&model);
    assert!(waiting.contains(&ContributionRef::Perspective {
        problem_id: PROBLEM,
        perspective_id: data
    }));
    assert!(!waiting.contains(&ContributionRef::Perspective {
        problem_id: PROBLEM,
        perspective_id: PERSPECTIVE_COMMISSIONING
    }));
}

#[tokio::test(flavor = "multi_thread")]
async fn feedback_is_answered_only_by_what_is_addressed_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = common::played(dir.path()).await;
    let (nurse, gp, consultant) = (FeedbackId::new(), FeedbackId::new(), FeedbackId::new());
    for (who, id) in [(NURSE, nurse), (GP, gp), (CONSULTANT, consultant)] {
        service
            .execute(Submission::new(
                who,
                IdeaCommand::GiveFeedback {
                    idea_id: IDEA,
                    feedback_id: id,
                    text: en("Could the reminders reach carers too?"),
                },
            ))
            .await
            .unwrap();
    }
    service
        .execute(Submission::new(
            CHAMPION,
            IdeaCommand::RespondToFeedback {
                idea_id: IDEA,
                feedback_id: nurse,
                text: en("Yes, carers will hear them too."),
            },
        ))
        .await
        .unwrap();
    service
        .execute(Submission::new(
            CHAMPION,
            IdeaCommand::ReviseIdea {
                idea_id: IDEA,
                title: en("Voice reminders for residents and their carers"),
                summary: en("Champions record reminders that residents and carers hear."),
                rationale: en("The GP asked for carers to be included."),
                answers: vec![gp],
            },
        ))
        .await
        .unwrap();
    let model = rebuild(&store).await.unwrap();
    let idea = model.idea(IDEA).unwrap();
    let kind = |id| {
        idea.feedback(id)
            .unwrap()
            .heard
            .answer
            .as_ref()
            .map(|a| a.kind)
    };
    assert_eq!(kind(nurse), Some(AnswerKind::Response));
    assert_eq!(kind(gp), Some(AnswerKind::Revision));
    assert_eq!(kind(consultant), None, "neither responded to nor named");
    let waiting = unanswered(&model);
    assert!(waiting.contains(&ContributionRef::Feedback {
        idea_id: IDEA,
        feedback_id: consultant
    }));
    for id in [nurse, gp] {
        assert!(!waiting.contains(&ContributionRef::Feedback {
            idea_id: IDEA,
            feedback_id: id
        }));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_views_agree_with_the_domains_answer_rule_event_by_event() {
    // The read model marks answered exactly the contributions the domain's rule says some
    // event answered, by someone other than their author.
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = common::played(dir.path()).await;
    // Add what the story lacks: a revision naming a perspective, feedback on the idea.
    service
        .execute(Submission::new(
            CHAMPION,
            ProblemCommand::ReviseProblem {
                problem_id: PROBLEM,
                framing: example::framing(),
                rationale: en("Sharper."),
                answers: vec![PERSPECTIVE_COMMISSIONING],
            },
        ))
        .await
        .unwrap();
    service
        .execute(Submission::new(
            GP,
            IdeaCommand::GiveFeedback {
                idea_id: IDEA,
                feedback_id: FeedbackId::new(),
                text: en("Unanswered feedback."),
            },
        ))
        .await
        .unwrap();
    let model = rebuild(&store).await.unwrap();
    let key = |r: &ContributionRef| match *r {
        ContributionRef::Problem { problem_id } => Some(Answered::Problem(problem_id)),
        ContributionRef::Perspective {
            problem_id,
            perspective_id,
        } => Some(Answered::Perspective(problem_id, perspective_id)),
        ContributionRef::Idea { idea_id } => Some(Answered::Idea(idea_id)),
        ContributionRef::Feedback {
            idea_id,
            feedback_id,
        } => Some(Answered::Feedback(idea_id, feedback_id)),
        ContributionRef::Objection { .. } => None,
    };
    let contributions = model.contributions(HUB);
    let author: HashMap<Answered, MemberId> = contributions
        .iter()
        .filter_map(|c| key(&c.reference).map(|k| (k, c.author)))
        .collect();
    let mut expected = HashSet::new();
    for envelope in common::log(&store).await {
        let by = MemberId::from_uuid(envelope.actor.member_id);
        let answers = match cohub_read::decode(&envelope).unwrap() {
            DomainEvent::Problem(e) => answer::by_problem_event(&e),
            DomainEvent::Idea(e) => answer::by_idea_event(&e),
            _ => continue,
        };
        for a in answers {
            if answer::counts(author[&a.contribution], by) {
                expected.insert(a.contribution);
            }
        }
    }
    let answered: HashSet<_> = contributions
        .iter()
        .filter(|c| c.heard.is_answered())
        .filter_map(|c| key(&c.reference))
        .collect();
    assert_eq!(answered, expected);
    assert!(answered.contains(&Answered::Perspective(PROBLEM, PERSPECTIVE_COMMISSIONING)));
    assert!(!answered.contains(&Answered::Perspective(PROBLEM, PERSPECTIVE_LIVED)));
}

#[tokio::test(flavor = "multi_thread")]
async fn deliberation_on_a_decision_runs_from_the_ideas_latest_revision() {
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = common::played(dir.path()).await;
    service
        .execute(Submission::new(
            CHAMPION,
            IdeaCommand::ReviseIdea {
                idea_id: IDEA,
                title: en("Community-language voice reminders, recorded by champions"),
                summary: en("Champions record reminders in Urdu, Punjabi and Bengali."),
                rationale: en("Clearer wording."),
                answers: vec![],
            },
        ))
        .await
        .unwrap();
    service
        .execute(Submission::new(
            FACILITATOR,
            IdeaCommand::RecordIdeaDecision {
                idea_id: IDEA,
                outcome: IdeaOutcome::Shortlist,
                decision: Decision {
                    options_considered: vec![en("Voice reminders"), en("Translated letters")],
                    preferences: vec![StatedPreference {
                        organisation_id: ORG_HOUSING,
                        preference: en("Residents prefer voices they know."),
                    }],
                    rationale: en("Voices reach people who do not read."),
                },
            },
        ))
        .await
        .unwrap();
    // Fold the log as if each event had been recorded a day after the one before, so the
    // proposal, the revision and the decision are days apart.
    let start = example::start_time();
    let log: Vec<_> = common::log(&store)
        .await
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            e.recorded_at = start + Duration::days(i as i64);
            e
        })
        .collect();
    let mut model = ReadModel::new();
    model.apply_all(&log).unwrap();
    let idea = model.idea(IDEA).unwrap();
    let decision = idea.decisions.last().unwrap();
    let revised = idea.latest().recorded.at;
    assert!(revised > idea.proposed.at);
    assert_eq!(
        decision.deliberation_seconds,
        (decision.recorded.at - revised).num_seconds(),
        "from the latest revision, not from the proposal"
    );
    assert_eq!(decision.deliberation_seconds, 86_400);
}
