//! "Feeling heard": every contribution with its acknowledgements and answer, and the list of
//! unanswered ones with how long they have waited (computed when asked, never stored).
//!
//! A contribution is a problem's framing, a perspective, an idea, a piece of feedback or an
//! objection. It is *acknowledged* by an explicit acknowledgement. It is *answered* by the first
//! reply in words from someone other than its author:
//! - a problem: a perspective, an idea, or a stage move by someone else;
//! - a perspective: an acknowledgement with a note, or a revision of the problem after it;
//! - an idea: feedback or a recorded decision;
//! - feedback: the author's response;
//! - an objection: the distribution's proposer's answer, an amendment or variation of the
//!   distribution after it, its withdrawal, or its round closed without agreement or abandoned.

use chrono::{DateTime, Utc};
use cohub_domain::text::PlainText;
use cohub_domain::{
    DistributionId, FeedbackId, HubId, IdeaId, MemberId, OrganisationId, PerspectiveId, ProblemId,
};
use serde::{Deserialize, Serialize};

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
    /// The problem's framing was revised.
    Revision,
    /// Feedback on the idea.
    Feedback,
    /// A response to feedback.
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

    /// Records an acknowledgement; one with a note also answers.
    pub(crate) fn acknowledge(&mut self, note: Option<PlainText>, recorded: &Recorded) {
        let answers = note.is_some();
        self.acknowledgements.push(Acknowledgement {
            note,
            recorded: recorded.clone(),
        });
        if answers {
            self.answer_with(AnswerKind::Note, recorded);
        }
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

    /// Records an answer if it comes from someone other than the author.
    pub(crate) fn answer_unless_author(
        &mut self,
        author: MemberId,
        kind: AnswerKind,
        recorded: &Recorded,
    ) {
        if recorded.member_id != author {
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
                days_waited: (now - c.made.at).num_days().max(0),
                contribution: c,
            })
            .collect();
        out.sort_by_key(|u| u.contribution.made.position);
        out
    }
}
