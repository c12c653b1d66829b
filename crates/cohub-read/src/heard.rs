//! "Feeling heard": every contribution with its acknowledgements and answer, and the list of
//! unanswered ones with how long they have waited (computed when asked, never stored).
//!
//! A contribution is a problem's framing, a perspective, an idea, a piece of feedback or an
//! objection. It is *acknowledged* by an explicit acknowledgement. What *answers* a problem's
//! framing, a perspective, an idea or feedback is the domain's one rule,
//! [`cohub_domain::answer`] (a revision answers only what it names; feedback is answered only
//! by what is addressed to it), folded here by `record_answers`. An objection is answered by
//! the distribution's proposer's answer, an amendment or variation of the distribution after
//! it, its withdrawal, or its round closed without agreement or abandoned.

use chrono::{DateTime, Utc};
use cohub_domain::answer::{self, Answered, Answering};
use cohub_domain::text::PlainText;
use cohub_domain::{
    DistributionId, FeedbackId, HubId, IdeaId, MemberId, OrganisationId, PerspectiveId, ProblemId,
};
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::model::ReadModel;
use crate::recorded::Recorded;

/// An acknowledgement of a contribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// An optional note.
    pub note: Option<PlainText>,
    /// Who acknowledged it, when.
    pub recorded: Recorded,
}

pub use cohub_domain::answer::AnswerKind;

/// The first answer to a contribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// How it was answered.
    pub kind: AnswerKind,
    /// Who answered, when.
    pub recorded: Recorded,
}

/// Whether a contribution was acknowledged and answered, by whom and when.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heard {
    /// Every acknowledgement, in order.
    pub acknowledgements: Vec<Acknowledgement>,
    /// The first answer, once there is one.
    pub answer: Option<Answer>,
}

impl Heard {
    /// The first acknowledgement, if any.
    pub fn acknowledged(&self) -> Option<&Acknowledgement> {
        self.acknowledgements.first()
    }

    /// Whether it has been answered.
    pub fn is_answered(&self) -> bool {
        self.answer.is_some()
    }

    /// Records an acknowledgement (one with a note also answers: see [`record_answers`]).
    pub(crate) fn acknowledge(&mut self, note: Option<PlainText>, recorded: &Recorded) {
        self.acknowledgements.push(Acknowledgement {
            note,
            recorded: recorded.clone(),
        });
    }

    /// Records the first answer (later ones do not replace it).
    pub(crate) fn answer_with(&mut self, kind: AnswerKind, recorded: &Recorded) {
        if self.answer.is_none() {
            self.answer = Some(Answer {
                kind,
                recorded: recorded.clone(),
            });
        }
    }

    /// Records an answer if it comes from someone other than the author
    /// ([`cohub_domain::answer::counts`]).
    pub(crate) fn answer_unless_author(
        &mut self,
        author: MemberId,
        kind: AnswerKind,
        recorded: &Recorded,
    ) {
        if answer::counts(author, recorded.member_id) {
            self.answer_with(kind, recorded);
        }
    }
}

/// Which contribution, by its ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ContributionRef {
    /// A problem's framing.
    Problem {
        /// The problem.
        problem_id: ProblemId,
    },
    /// A perspective on a problem.
    Perspective {
        /// The problem.
        problem_id: ProblemId,
        /// The perspective.
        perspective_id: PerspectiveId,
    },
    /// An idea.
    Idea {
        /// The idea.
        idea_id: IdeaId,
    },
    /// Feedback on an idea.
    Feedback {
        /// The idea.
        idea_id: IdeaId,
        /// The feedback.
        feedback_id: FeedbackId,
    },
    /// An objection to a version of a distribution.
    Objection {
        /// The distribution.
        distribution_id: DistributionId,
        /// The version objected to.
        version: u32,
        /// The objecting organisation.
        organisation_id: OrganisationId,
    },
}

/// One contribution, as the "feeling heard" view lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// Which contribution.
    pub reference: ContributionRef,
    /// The hub.
    pub hub_id: HubId,
    /// Its author.
    pub author: MemberId,
    /// Its words (a title, or the text itself).
    pub text: PlainText,
    /// When it was made, by whom, for which organisation.
    pub made: Recorded,
    /// Acknowledgements and answer.
    pub heard: Heard,
}

/// An unanswered contribution and how long it has waited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unanswered {
    /// The contribution.
    pub contribution: Contribution,
    /// Whole days between it being made and `now`.
    pub days_waited: i64,
}

impl ReadModel {
    /// Every contribution in a hub, in the order they were made.
    pub fn contributions(&self, hub_id: HubId) -> Vec<Contribution> {
        let Some(hub) = self.hub(hub_id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for problem in hub.problem_ids.iter().filter_map(|id| self.problem(*id)) {
            out.push(Contribution {
                reference: ContributionRef::Problem {
                    problem_id: problem.id,
                },
                hub_id,
                author: problem.author,
                text: problem.latest().framing.title.clone(),
                made: problem.framed.clone(),
                heard: problem.heard.clone(),
            });
            for p in &problem.perspectives {
                out.push(Contribution {
                    reference: ContributionRef::Perspective {
                        problem_id: problem.id,
                        perspective_id: p.id,
                    },
                    hub_id,
                    author: p.recorded.member_id,
                    text: p.text.clone(),
                    made: p.recorded.clone(),
                    heard: p.heard.clone(),
                });
            }
        }
        for idea in hub.idea_ids.iter().filter_map(|id| self.idea(*id)) {
            out.push(Contribution {
                reference: ContributionRef::Idea { idea_id: idea.id },
                hub_id,
                author: idea.author,
                text: idea.latest().title.clone(),
                made: idea.proposed.clone(),
                heard: idea.heard.clone(),
            });
            for f in &idea.feedback {
                out.push(Contribution {
                    reference: ContributionRef::Feedback {
                        idea_id: idea.id,
                        feedback_id: f.id,
                    },
                    hub_id,
                    author: f.given.member_id,
                    text: f.text.clone(),
                    made: f.given.clone(),
                    heard: f.heard.clone(),
                });
            }
        }
        for d in hub
            .distribution_ids
            .iter()
            .filter_map(|id| self.distribution(*id))
        {
            for o in &d.objections {
                out.push(Contribution {
                    reference: ContributionRef::Objection {
                        distribution_id: d.id,
                        version: o.version,
                        organisation_id: o.organisation_id,
                    },
                    hub_id,
                    author: o.recorded.member_id,
                    text: o.reason.clone(),
                    made: o.recorded.clone(),
                    heard: o.heard.clone(),
                });
            }
        }
        out.sort_by_key(|c| c.made.position);
        out
    }

    /// A hub's unanswered contributions with the whole days each has waited until `now`,
    /// longest waiting first.
    pub fn unanswered(&self, hub_id: HubId, now: DateTime<Utc>) -> Vec<Unanswered> {
        let mut out: Vec<Unanswered> = self
            .contributions(hub_id)
            .into_iter()
            .filter(|c| !c.heard.is_answered())
            .map(|c| Unanswered {
                days_waited: answer::days_waited(c.made.at, now),
                contribution: c,
            })
            .collect();
        out.sort_by_key(|u| u.contribution.made.position);
        out
    }
}

/// The author of a contribution an event answers, if the contribution is in the model.
fn author_of(model: &ReadModel, contribution: Answered) -> Option<MemberId> {
    match contribution {
        Answered::Problem(id) => model.problem(id).map(|p| p.author),
        Answered::Perspective(problem, id) => model
            .problem(problem)
            .and_then(|p| p.perspective(id))
            .map(|p| p.recorded.member_id),
        Answered::Idea(id) => model.idea(id).map(|i| i.author),
        Answered::Feedback(idea, id) => model
            .idea(idea)
            .and_then(|i| i.feedback(id))
            .map(|f| f.given.member_id),
    }
}

/// Checks that every contribution an event answers is in the model (call it before changing
/// anything, so an event that does not fit leaves the model as it was).
pub(crate) fn check_answers(
    model: &ReadModel,
    position: u64,
    answers: &[Answering],
) -> Result<(), ReadError> {
    match answers
        .iter()
        .find(|a| author_of(model, a.contribution).is_none())
    {
        Some(a) => Err(ReadError::Inconsistent {
            position,
            message: format!(
                "an event answers {:?}, which is not in the model",
                a.contribution
            ),
        }),
        None => Ok(()),
    }
}

/// Records the answers an event gives, as the domain's rule
/// ([`cohub_domain::answer::by_problem_event`], [`cohub_domain::answer::by_idea_event`]) says,
/// on contributions already checked by [`check_answers`]; nobody answers their own words.
pub(crate) fn record_answers(model: &mut ReadModel, rec: &Recorded, answers: &[Answering]) {
    for a in answers {
        let Some(author) = author_of(model, a.contribution) else {
            continue;
        };
        let position = rec.position;
        let heard = match a.contribution {
            Answered::Problem(id) => model.problem_mut(id, position).ok().map(|p| &mut p.heard),
            Answered::Perspective(problem, id) => model
                .problem_mut(problem, position)
                .ok()
                .and_then(|p| p.perspectives.iter_mut().find(|p| p.id == id))
                .map(|p| &mut p.heard),
            Answered::Idea(id) => model.idea_mut(id, position).ok().map(|i| &mut i.heard),
            Answered::Feedback(idea, id) => model
                .idea_mut(idea, position)
                .ok()
                .and_then(|i| i.feedback.iter_mut().find(|f| f.id == id))
                .map(|f| &mut std::sync::Arc::make_mut(f).heard),
        };
        if let Some(heard) = heard {
            heard.answer_unless_author(author, a.kind, rec);
        }
    }
}
