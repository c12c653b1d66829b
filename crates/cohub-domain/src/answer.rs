//! What answers a contribution to a problem or an idea: the one rule the deciders check names
//! against and every read model (the "feeling heard" view, `unansweredOnly`, days waited)
//! folds with, so the record and the views never disagree.
//!
//! A contribution is *answered* by the first reply addressed to it, in words, from someone other
//! than its author ([`counts`]):
//! - a problem's framing: a perspective added to it, an idea proposed for it, or a stage move;
//! - a perspective: a revision of the problem that names it;
//! - an idea: feedback on it, or a recorded decision;
//! - feedback: the idea author's response to that feedback, or a revision of the idea that
//!   names it;
//! - any of them: an acknowledgement of it that comes with a note.
//!
//! A revision answers only what it names: the perspectives or feedback it does not name stay
//! unanswered, however many there are.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::idea::{IdeaContribution, IdeaEvent};
use crate::ids::{FeedbackId, IdeaId, MemberId, PerspectiveId, ProblemId};
use crate::problem::{ProblemContribution, ProblemEvent};

/// How a contribution was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// An acknowledgement with a note.
    Note,
    /// A perspective added to the problem.
    Perspective,
    /// An idea proposed for the problem.
    Idea,
    /// The problem moved stage.
    StageMove,
    /// A revision (of the problem's framing, or of the idea) that names it.
    Revision,
    /// Feedback on the idea.
    Feedback,
    /// A response to that feedback.
    Response,
    /// A recorded decision on the idea.
    Decision,
    /// A new version of the distribution.
    Amendment,
    /// The distribution was withdrawn.
    Withdrawal,
    /// The distribution's proposer answered the objection in words.
    Answer,
    /// A facilitator closed the round without agreement.
    Closure,
    /// The variation was abandoned.
    Abandonment,
}

/// A contribution to a problem or an idea, by its ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answered {
    /// A problem's framing.
    Problem(ProblemId),
    /// A perspective on a problem.
    Perspective(ProblemId, PerspectiveId),
    /// An idea.
    Idea(IdeaId),
    /// Feedback on an idea.
    Feedback(IdeaId, FeedbackId),
}

/// One contribution an event answers, and how (before [`counts`] rules out self-answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Answering {
    /// The contribution answered.
    pub contribution: Answered,
    /// How.
    pub kind: AnswerKind,
}

fn answering(contribution: Answered, kind: AnswerKind) -> Answering {
    Answering { contribution, kind }
}

/// Whether a reply by `by` can answer a contribution by `author`: nobody answers their own words.
pub fn counts(author: MemberId, by: MemberId) -> bool {
    author != by
}

/// The contributions a problem event answers.
pub fn by_problem_event(event: &ProblemEvent) -> Vec<Answering> {
    let problem = event.problem_id();
    let of = |c: ProblemContribution| match c {
        ProblemContribution::Problem => Answered::Problem(problem),
        ProblemContribution::Perspective(id) => Answered::Perspective(problem, id),
    };
    match event {
        ProblemEvent::ProblemFramed(_) | ProblemEvent::ProblemEndorsed(_) => Vec::new(),
        ProblemEvent::PerspectiveAdded(_) => {
            vec![answering(
                Answered::Problem(problem),
                AnswerKind::Perspective,
            )]
        }
        ProblemEvent::ProblemStageMoved(_) => {
            vec![answering(Answered::Problem(problem), AnswerKind::StageMove)]
        }
        ProblemEvent::ProblemRevised(e) => e
            .answers
            .iter()
            .map(|p| answering(Answered::Perspective(problem, *p), AnswerKind::Revision))
            .collect(),
        ProblemEvent::ProblemContributionAcknowledged(e) => match e.note {
            Some(_) => vec![answering(of(e.contribution), AnswerKind::Note)],
            None => Vec::new(),
        },
    }
}

/// The contributions an idea event answers (proposing an idea answers its problem's framing).
pub fn by_idea_event(event: &IdeaEvent) -> Vec<Answering> {
    let idea = event.idea_id();
    let of = |c: IdeaContribution| match c {
        IdeaContribution::Idea => Answered::Idea(idea),
        IdeaContribution::Feedback(id) => Answered::Feedback(idea, id),
    };
    match event {
        IdeaEvent::IdeaProposed(e) => {
            vec![answering(Answered::Problem(e.problem_id), AnswerKind::Idea)]
        }
        IdeaEvent::IdeaSupported(_) | IdeaEvent::IdeaWithdrawn(_) => Vec::new(),
        IdeaEvent::FeedbackGiven(_) => {
            vec![answering(Answered::Idea(idea), AnswerKind::Feedback)]
        }
        IdeaEvent::FeedbackResponded(e) => vec![answering(
            Answered::Feedback(idea, e.feedback_id),
            AnswerKind::Response,
        )],
        IdeaEvent::IdeaRevised(e) => e
            .answers
            .iter()
            .map(|f| answering(Answered::Feedback(idea, *f), AnswerKind::Revision))
            .collect(),
        IdeaEvent::IdeaContributionAcknowledged(e) => match e.note {
            Some(_) => vec![answering(of(e.contribution), AnswerKind::Note)],
            None => Vec::new(),
        },
        IdeaEvent::IdeaShortlisted(_) | IdeaEvent::IdeaDeclined(_) => {
            vec![answering(Answered::Idea(idea), AnswerKind::Decision)]
        }
    }
}

/// Checks the contributions a revision by `reviser` names as answered: each must exist
/// (`author_of` finds its author; `NOT_FOUND` otherwise), be named once, and be someone else's
/// (`VALIDATION` otherwise). `what` names one of them in messages ("perspective").
pub fn check_named<I: Copy + PartialEq>(
    named: &[I],
    author_of: impl Fn(I) -> Option<MemberId>,
    reviser: MemberId,
    what: &str,
    on: &str,
) -> Result<(), DomainError> {
    for (i, id) in named.iter().enumerate() {
        let author = author_of(*id).ok_or_else(|| {
            DomainError::not_found(format!(
                "The revision names a {what} that is not on this {on}."
            ))
        })?;
        if named[..i].contains(id) {
            return Err(DomainError::validation(format!(
                "The revision names the same {what} twice."
            )));
        }
        if !counts(author, reviser) {
            return Err(DomainError::validation(format!(
                "A revision answers other people's words; one {what} it names is your own."
            )));
        }
    }
    Ok(())
}

/// Whole days a contribution made at `made` has waited for an answer at `now` (never negative).
pub fn days_waited(made: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - made).num_days().max(0)
}

/// " It answers N perspectives." for a revision's summary ("" when it names none).
pub(crate) fn naming(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => String::new(),
        1 => format!(" It answers 1 {one}."),
        n => format!(" It answers {n} {many}."),
    }
}

#[cfg(test)]
mod tests;
