//! "Feeling heard": each contribution with who acknowledged and answered it and when, and how
//! long unanswered ones have waited.

use super::common::{read_page, Attribution, HeardStatus, Party, PlainText, Scope};
use super::enums::ContributionKind;
use async_graphql::connection::{Connection, Edge};
use async_graphql::SimpleObject;
use cohub_read::heard::ContributionRef;
use uuid::Uuid;

/// A contribution someone made (a framing, a perspective, an idea, feedback, an objection),
/// and whether it was heard.
#[derive(SimpleObject)]
pub struct Contribution {
    /// What kind of contribution.
    pub kind: ContributionKind,
    /// The problem (framings and perspectives).
    pub problem_id: Option<Uuid>,
    /// The perspective (perspectives).
    pub perspective_id: Option<Uuid>,
    /// The idea (ideas and feedback).
    pub idea_id: Option<Uuid>,
    /// The feedback (feedback).
    pub feedback_id: Option<Uuid>,
    /// The distribution (objections).
    pub distribution_id: Option<Uuid>,
    /// The version objected to (objections).
    pub version: Option<u32>,
    /// The objecting organisation (objections).
    pub organisation: Option<Party>,
    /// Its words (a title, or the text itself).
    pub text: PlainText,
    /// Who made it, for which organisation, when.
    pub made: Attribution,
    /// Who acknowledged and answered it, when.
    pub heard: HeardStatus,
    /// Whole days it has waited, until now, for an answer; null once answered.
    pub days_waited: Option<i64>,
}

/// What a page of contributions reports beside its edges, so a page can say how many wait
/// and for how long without reading every page.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContributionsInfo {
    /// How many contributions are listed in all, across every page (all of them, or only
    /// the unanswered).
    pub total_count: u64,
    /// The most whole days any unanswered contribution (across every page, whichever were
    /// asked for) has waited for an answer; null when none is waiting.
    pub longest_wait_days: Option<i64>,
}

/// A page of a hub's contributions (all, or only the unanswered).
pub fn contributions_connection(
    scope: &Scope,
    unanswered_only: bool,
    first: usize,
    after: Option<u64>,
) -> Connection<String, Contribution, ContributionsInfo> {
    let now = scope.now();
    let page = read_page(first, after);
    let listed: Vec<_> = scope
        .model
        .contributions(scope.hub)
        .into_iter()
        .filter(|c| !unanswered_only || !c.heard.is_answered())
        .collect();
    let info = ContributionsInfo {
        total_count: listed.len() as u64,
        longest_wait_days: listed
            .iter()
            .filter(|c| !c.heard.is_answered())
            .map(|c| cohub_domain::answer::days_waited(c.made.at, now))
            .max(),
    };
    let items: Vec<_> = listed
        .into_iter()
        .filter(|c| page.after.is_none_or(|a| c.made.position > a))
        .take(first + 1)
        .collect();
    let mut conn = Connection::with_additional_fields(after.is_some(), items.len() > first, info);
    conn.edges.extend(items.into_iter().take(first).map(|c| {
        let cursor = c.made.position.to_string();
        let mut out = Contribution {
            kind: ContributionKind::Problem,
            problem_id: None,
            perspective_id: None,
            idea_id: None,
            feedback_id: None,
            distribution_id: None,
            version: None,
            organisation: None,
            text: (&c.text).into(),
            made: scope.attribution(&c.made),
            heard: scope.heard(&c.heard),
            days_waited: (!c.heard.is_answered())
                .then(|| cohub_domain::answer::days_waited(c.made.at, now)),
        };
        match c.reference {
            ContributionRef::Problem { problem_id } => {
                out.problem_id = Some(problem_id.uuid());
            }
            ContributionRef::Perspective {
                problem_id,
                perspective_id,
            } => {
                out.kind = ContributionKind::Perspective;
                out.problem_id = Some(problem_id.uuid());
                out.perspective_id = Some(perspective_id.uuid());
            }
            ContributionRef::Idea { idea_id } => {
                out.kind = ContributionKind::Idea;
                out.idea_id = Some(idea_id.uuid());
            }
            ContributionRef::Feedback {
                idea_id,
                feedback_id,
            } => {
                out.kind = ContributionKind::Feedback;
                out.idea_id = Some(idea_id.uuid());
                out.feedback_id = Some(feedback_id.uuid());
            }
            ContributionRef::Objection {
                distribution_id,
                version,
                organisation_id,
            } => {
                out.kind = ContributionKind::Objection;
                out.distribution_id = Some(distribution_id.uuid());
                out.version = Some(version);
                out.organisation = Some(scope.party(organisation_id));
            }
        }
        Edge::new(cursor, out)
    }));
    conn
}
