//! The hub workload, one connection's share of it: in a hub of its own, a member frames a
//! problem, proposes an idea on it, a second organisation's lead gives feedback, the first
//! member proposes a distribution between the two organisations, and the lead consents to it.
//! Five mutations a round, each one durable append; the same rounds for cohub (GraphQL) and
//! for the peer (its JSON commands), with ids chosen here so no answer has to be read.

use serde_json::{json, Value};
use uuid::Uuid;

/// Who is who in one connection's hub.
#[derive(Debug, Clone)]
pub struct Hub {
    /// The hub.
    pub hub: Uuid,
    /// The founder's organisation (a community organisation).
    pub org_a: Uuid,
    /// The second organisation (an innovator).
    pub org_b: Uuid,
    /// The founder: frames, proposes ideas and distributions.
    pub member_a: Uuid,
    /// The second organisation's lead: gives feedback and consents.
    pub member_b: Uuid,
}

/// One request of the workload: who sends it and what.
pub struct Step {
    /// `true` when the second member sends it, `false` for the founder.
    pub by_b: bool,
    /// The request body (GraphQL for cohub, a JSON command for the peer).
    pub body: Value,
    /// For the peer: the aggregate the command is for.
    pub aggregate: Uuid,
}

/// The five steps of a round.
pub const ROUND: u64 = 5;

impl Hub {
    /// A new hub with new ids.
    pub fn new() -> Hub {
        Hub {
            hub: Uuid::now_v7(),
            org_a: Uuid::now_v7(),
            org_b: Uuid::now_v7(),
            member_a: Uuid::now_v7(),
            member_b: Uuid::now_v7(),
        }
    }

    /// The ids a round works on: its problem, idea and distribution.
    fn round_ids(&self, round: u64) -> (Uuid, Uuid, Uuid) {
        // Deterministic per hub and round, so step k of a round finds what step k-1 made.
        let base = self.hub.as_u128() ^ ((round as u128) << 64);
        (
            Uuid::from_u128(base ^ 1),
            Uuid::from_u128(base ^ 2),
            Uuid::from_u128(base ^ 3),
        )
    }

    /// cohub: the three mutations that found the hub, admit the second organisation and its lead.
    pub fn cohub_setup(&self) -> Vec<Step> {
        let found = gql(
            "mutation($i: FoundHubInput!) { foundHub(input: $i) { receipt { lastPosition } } }",
            json!({
                "hubId": self.hub,
                "name": format!("Bench hub {}", self.hub),
                "purpose": { "text": "Measure how many decisions a hub can record." },
                "founderName": "Bench founder",
                "organisation": {
                    "organisationId": self.org_a,
                    "name": "Bench community group",
                    "kind": "COMMUNITY_ORGANISATION"
                }
            }),
        );
        let admit_org = gql(
            "mutation($i: AdmitOrganisationInput!) { admitOrganisation(input: $i) { receipt { lastPosition } } }",
            json!({
                "hubId": self.hub,
                "organisationId": self.org_b,
                "name": "Bench innovator",
                "kind": "INNOVATOR"
            }),
        );
        let admit_member = gql(
            "mutation($i: AdmitMemberInput!) { admitMember(input: $i) { receipt { lastPosition } } }",
            json!({
                "hubId": self.hub,
                "memberId": self.member_b,
                "organisationId": self.org_b,
                "name": "Bench lead",
                "role": "LEAD"
            }),
        );
        [found, admit_org, admit_member]
            .into_iter()
            .map(|body| Step {
                by_b: false,
                body,
                aggregate: self.hub,
            })
            .collect()
    }

    /// cohub: step `step` (0 to 4) of round `round`, as a GraphQL request.
    pub fn cohub_step(&self, round: u64, step: u64) -> Step {
        let (problem, idea, distribution) = self.round_ids(round);
        let (by_b, body) = match step {
            0 => (
                false,
                gql(
                    "mutation($i: FrameProblemInput!) { frameProblem(input: $i) { receipt { lastPosition } } }",
                    json!({
                        "hubId": self.hub,
                        "problemId": problem,
                        "framing": {
                            "title": { "text": format!("Problem {round}") },
                            "statement": { "text": "Carers cannot find respite near home." },
                            "affected": { "text": "Unpaid carers" },
                            "place": { "text": "Sandwell" }
                        }
                    }),
                ),
            ),
            1 => (
                false,
                gql(
                    "mutation($i: ProposeIdeaInput!) { proposeIdea(input: $i) { receipt { lastPosition } } }",
                    json!({
                        "problemId": problem,
                        "ideaId": idea,
                        "title": { "text": format!("Idea {round}") },
                        "summary": { "text": "A shared rota of trusted sitters." }
                    }),
                ),
            ),
            2 => (
                true,
                gql(
                    "mutation($i: GiveFeedbackInput!) { giveFeedback(input: $i) { receipt { lastPosition } } }",
                    json!({
                        "ideaId": idea,
                        "feedbackId": Uuid::now_v7(),
                        "text": { "text": "Sitters need training in first aid." }
                    }),
                ),
            ),
            3 => (
                false,
                gql(
                    "mutation($i: ProposeDistributionInput!) { proposeDistribution(input: $i) { receipt { lastPosition } } }",
                    json!({
                        "ideaId": idea,
                        "distributionId": distribution,
                        "terms": {
                            "parties": [self.org_a, self.org_b],
                            "rewards": [{
                                "kind": "ACCESS",
                                "description": { "text": "Free use of the rota app." },
                                "shares": [
                                    { "party": self.org_a, "basisPoints": 5000 },
                                    { "party": self.org_b, "basisPoints": 5000 }
                                ]
                            }],
                            "terms": { "text": "Shared equally for two years." }
                        }
                    }),
                ),
            ),
            _ => (
                true,
                gql(
                    "mutation($i: ConsentToDistributionInput!) { consentToDistribution(input: $i) { receipt { lastPosition } } }",
                    json!({ "distributionId": distribution, "version": 1 }),
                ),
            ),
        };
        Step {
            by_b,
            body,
            aggregate: self.hub,
        }
    }

    /// The peer: step `step` (0 to 4) of round `round`, as a command for one aggregate.
    pub fn peer_step(&self, round: u64, step: u64) -> Step {
        let (problem, idea, distribution) = self.round_ids(round);
        let (by_b, aggregate, body) = match step {
            0 => (
                false,
                problem,
                json!({ "FrameProblem": {
                    "hub": self.hub, "by": self.member_a,
                    "title": format!("Problem {round}"),
                    "statement": "Carers cannot find respite near home.",
                    "affected": "Unpaid carers", "place": "Sandwell"
                }}),
            ),
            1 => (
                false,
                idea,
                json!({ "ProposeIdea": {
                    "hub": self.hub, "problem": problem, "by": self.member_a,
                    "title": format!("Idea {round}"),
                    "summary": "A shared rota of trusted sitters."
                }}),
            ),
            2 => (
                true,
                idea,
                json!({ "GiveFeedback": {
                    "feedback": Uuid::now_v7(), "by": self.member_b,
                    "text": "Sitters need training in first aid."
                }}),
            ),
            3 => (
                false,
                distribution,
                json!({ "ProposeDistribution": {
                    "hub": self.hub, "idea": idea, "by": self.member_a,
                    "parties": [self.org_a, self.org_b],
                    "shares": [5000, 5000],
                    "terms": "Shared equally for two years."
                }}),
            ),
            _ => (
                true,
                distribution,
                json!({ "Consent": {
                    "version": 1, "by": self.member_b, "organisation": self.org_b
                }}),
            ),
        };
        Step {
            by_b,
            body,
            aggregate,
        }
    }
}

/// A GraphQL request body with its variables under `i`.
fn gql(query: &str, input: Value) -> Value {
    json!({ "query": query, "variables": { "i": input } })
}
