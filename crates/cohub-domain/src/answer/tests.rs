use chrono::Duration;

use super::*;
use crate::example::*;
use crate::idea::{FeedbackResponded, IdeaContributionAcknowledged};
use crate::problem::ProblemRevised;
use crate::text::PlainText;

#[test]
fn a_response_answers_only_the_feedback_it_responds_to() {
    let other = FeedbackId::new();
    let event = IdeaEvent::FeedbackResponded(FeedbackResponded {
        idea_id: IDEA,
        feedback_id: FEEDBACK_FIRM,
        feedback_by: FIRM_LEAD,
        text: PlainText::en("Thank you."),
        by: CHAMPION,
        at: crate::example::start_time(),
    });
    let answered = by_idea_event(&event);
    assert_eq!(
        answered,
        vec![Answering {
            contribution: Answered::Feedback(IDEA, FEEDBACK_FIRM),
            kind: AnswerKind::Response,
        }]
    );
    assert!(!answered
        .iter()
        .any(|a| a.contribution == Answered::Feedback(IDEA, other)));
}

#[test]
fn an_acknowledgement_answers_only_with_a_note() {
    let ack = |note| {
        IdeaEvent::IdeaContributionAcknowledged(IdeaContributionAcknowledged {
            idea_id: IDEA,
            contribution: IdeaContribution::Feedback(FEEDBACK_FIRM),
            author: FIRM_LEAD,
            note,
            by: NURSE,
            at: crate::example::start_time(),
        })
    };
    assert!(by_idea_event(&ack(None)).is_empty());
    assert_eq!(
        by_idea_event(&ack(Some(PlainText::en("Good point.")))),
        vec![Answering {
            contribution: Answered::Feedback(IDEA, FEEDBACK_FIRM),
            kind: AnswerKind::Note,
        }]
    );
}

#[test]
fn old_revisions_name_nothing_and_so_answer_nothing() {
    // A ProblemRevised recorded before revisions named what they answer.
    let payload = serde_json::json!({
        "problem_id": PROBLEM, "version": 2,
        "framing": serde_json::to_value(framing()).unwrap(),
        "rationale": {"text": "Clearer.", "lang": "en"},
        "by": CHAMPION, "at": "2025-03-01T09:00:00Z"
    });
    let event = ProblemEvent::from_payload("ProblemRevised", 1, payload.clone()).unwrap();
    let ProblemEvent::ProblemRevised(ProblemRevised { answers, .. }) = &event else {
        panic!("{event:?}")
    };
    assert!(answers.is_empty());
    assert!(by_problem_event(&event).is_empty());
    assert_eq!(
        event.to_payload(),
        payload,
        "old payloads write back unchanged"
    );
}

#[test]
fn nobody_answers_their_own_words_and_waiting_is_whole_days() {
    assert!(!counts(CHAMPION, CHAMPION));
    assert!(counts(CHAMPION, NURSE));
    let made = crate::example::start_time();
    assert_eq!(days_waited(made, made + Duration::hours(47)), 1);
    assert_eq!(days_waited(made, made + Duration::days(14)), 14);
    assert_eq!(days_waited(made, made - Duration::days(1)), 0);
}
