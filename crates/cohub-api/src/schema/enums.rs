//! The domain's enumerations as GraphQL enums (converted both ways with `From`).

use async_graphql::Enum;

/// The kind of stakeholder an organisation is.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::StakeholderKind")]
pub enum StakeholderKind {
    /// Housing associations, voluntary and faith groups, carers' charities, tenants' groups.
    CommunityOrganisation,
    /// Digital-health firms, start-ups, university spin-outs.
    Innovator,
    /// GP practices, specialist teams, community nursing.
    Clinician,
    /// NHS integrated care boards, local-authority public health.
    Commissioner,
}

/// A member's role in a hub.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::Role")]
pub enum Role {
    /// Convenes the hub: admits organisations and people, adopts the charter, records decisions.
    Facilitator,
    /// Authorised to consent or object for their organisation.
    Lead,
    /// Community champion; may propose ideas on behalf of residents.
    Champion,
    /// Any other member: may frame, add perspectives, propose, give feedback, endorse, support.
    Member,
}

/// Whether a member may take part.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::hub::MemberStatus")]
pub enum MemberStatus {
    /// Takes part.
    Active,
    /// Temporarily cannot take part (can still read the hub's record).
    Suspended,
    /// Removed for good (past contributions stay).
    Removed,
}

/// A problem's stage.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::problem::ProblemStage")]
pub enum ProblemStage {
    /// Newly framed.
    Open,
    /// Being understood.
    Exploring,
    /// Ideas are being developed.
    DevelopingSolutions,
    /// Finished with.
    Closed,
    /// Put aside for now.
    Parked,
}

/// The kind of a piece of evidence for a problem.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::problem::EvidenceKind")]
pub enum EvidenceKind {
    /// What residents live through.
    LivedExperience,
    /// Figures and statistics.
    Data,
    /// Clinical knowledge.
    Clinical,
}

/// The kind of a perspective on a problem.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::problem::PerspectiveKind")]
pub enum PerspectiveKind {
    /// What residents live through.
    LivedExperience,
    /// A clinical view.
    Clinical,
    /// A commissioning view.
    Commissioning,
    /// What the data show.
    Data,
    /// The social causes behind it: housing, income, language, work.
    SocialCauses,
}

/// An idea's status.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::idea::IdeaStatus")]
pub enum IdeaStatus {
    /// Proposed, no decision yet.
    Proposed,
    /// Taken forward.
    Shortlisted,
    /// Not taken forward.
    Declined,
    /// Withdrawn by its author.
    Withdrawn,
}

/// What was decided about an idea.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::idea::IdeaOutcome")]
pub enum IdeaOutcome {
    /// Taken forward.
    Shortlist,
    /// Not taken forward.
    Decline,
}

/// A distribution's status.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::distribution::DistributionStatus")]
pub enum DistributionStatus {
    /// The first round is open for consent (nothing agreed yet).
    Proposed,
    /// A version is agreed and in force (`inForce`). A variation round may be open meanwhile
    /// (`openVersion`); the agreed version stays in force until a variation is agreed.
    Agreed,
    /// Withdrawn before agreement.
    Withdrawn,
    /// A facilitator closed the first round because it could not agree; nothing is in force.
    ClosedWithoutAgreement,
    /// The idea was withdrawn or declined while the first round was open (`lapse` says why).
    Lapsed,
}

/// How a round ended without agreement.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::distribution::RoundEndingKind")]
pub enum RoundEndingKind {
    /// A variation round was abandoned; the agreed version stays in force.
    Abandoned,
    /// A facilitator closed the round because it could not agree.
    ClosedWithoutAgreement,
}

/// What happened to the idea a distribution is for.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::distribution::LapseCause")]
pub enum LapseCause {
    /// Its author withdrew the idea.
    IdeaWithdrawn,
    /// A facilitator declined the idea.
    IdeaDeclined,
}

/// How a version of a distribution came about.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::distribution::VersionKind")]
pub enum VersionKind {
    /// The first proposal.
    Proposal,
    /// An amendment before agreement (it voids earlier consents).
    Amendment,
    /// A variation round after agreement.
    Variation,
}

/// What kind of cost a party contributes.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::distribution::CostKind")]
pub enum CostKind {
    /// Money.
    Money,
    /// Staff time.
    StaffTime,
    /// Data.
    Data,
    /// A venue.
    Venue,
    /// A licence.
    Licence,
    /// Taking on risk.
    Risk,
    /// Anything else.
    Other,
}

/// What kind of reward flows to parties.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::distribution::RewardKind")]
pub enum RewardKind {
    /// A share of revenue.
    RevenueShare,
    /// A licence.
    Licence,
    /// Access to a service or product.
    Access,
    /// Outcome data.
    OutcomeData,
    /// Recognition.
    Recognition,
    /// Anything else.
    Other,
}

/// How a contribution was first answered.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "cohub_domain::answer::AnswerKind")]
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

/// What kind of contribution (in the "feeling heard" view).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum ContributionKind {
    /// A problem's framing.
    Problem,
    /// A perspective on a problem.
    Perspective,
    /// An idea.
    Idea,
    /// Feedback on an idea.
    Feedback,
    /// An objection to a version of a distribution.
    Objection,
}
