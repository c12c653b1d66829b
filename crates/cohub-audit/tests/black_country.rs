//! The audit of DOMAIN.md's Black Country story, computed purely from the read model.

use chrono::Duration;
use cohub_audit::example::played;
use cohub_audit::history::{history, HistoryFilter, Subject};
use cohub_audit::trail::{decision_trail, TrailSubject, TrailVersionKind};
use cohub_domain::example::*;
use cohub_domain::hub::HubCommand;
use cohub_domain::idea::{Decision, IdeaCommand, IdeaOutcome, StatedPreference};
use cohub_domain::{PlainText, StakeholderKind};
use cohub_read::EventSource;

fn names(entries: &[cohub_audit::HistoryEntry]) -> Vec<String> {
    entries.iter().map(|e| e.summary.clone()).collect()
}

#[tokio::test]
async fn the_distribution_trail_shows_both_versions_the_objection_and_the_voided_consents() {
    let (envelopes, model) = played(&[]).unwrap();
    let t = decision_trail(
        EventSource::Envelopes(&envelopes),
        &model,
        TrailSubject::Distribution(DISTRIBUTION),
    )
    .await
    .unwrap();
    assert_eq!(t.status, "agreed");
    assert!(t.decided);
    assert_eq!(t.hub_id, HUB);
    assert_eq!(t.idea_id, IDEA);
    assert_eq!(t.proposed.actor.name, "Dan Okafor");
    assert_eq!(t.versions.len(), 2);

    let v1 = &t.versions[0];
    assert_eq!(v1.kind, TrailVersionKind::Proposal);
    assert_eq!(v1.recorded.actor.name, "Dan Okafor");
    let org = v1.recorded.actor.organisation.as_ref().unwrap();
    assert_eq!(
        (org.name.as_str(), org.kind),
        ("GlucoLink", Some(StakeholderKind::Innovator))
    );
    assert!(v1.rationale.is_none());
    assert_eq!(v1.parties.len(), 4);
    assert!(!v1.agreed);
    let v1_consents: Vec<_> = v1.consents.iter().map(|c| c.party.name.as_str()).collect();
    assert_eq!(
        v1_consents,
        [
            "GlucoLink",
            "Brierley Homes",
            "Black Country Integrated Care Board"
        ]
    );
    assert!(
        v1.consents
            .iter()
            .all(|c| c.voided.as_ref().is_some_and(|v| v.by_version == 2)),
        "every version 1 consent was voided by version 2"
    );
    assert_eq!(v1.objections.len(), 1);
    let objection = &v1.objections[0];
    assert_eq!(objection.party.name, "Carers Together");
    assert_eq!(
        objection.party.kind,
        Some(StakeholderKind::CommunityOrganisation)
    );
    assert_eq!(objection.recorded.actor.name, "Sue Collins");
    assert_eq!(
        objection.reason.text,
        "Carers do the reminding at home and get nothing."
    );
    let answer = objection
        .answered
        .as_ref()
        .expect("the amendment answered it");
    assert_eq!(answer.kind, "amendment");
    assert_eq!(answer.recorded.actor.name, "Dan Okafor");

    let v2 = &t.versions[1];
    assert_eq!(v2.kind, TrailVersionKind::Amendment);
    assert!(v2.agreed);
    assert_eq!(v2.parties.len(), 5);
    assert!(v2
        .rationale
        .as_ref()
        .unwrap()
        .text
        .starts_with("Carers Together joins as a party"));
    assert_eq!(v2.consents.len(), 5);
    assert!(v2.consents.iter().all(|c| c.voided.is_none()));

    assert_eq!(t.voided_consents.len(), 3);
    assert_eq!(t.consents.len(), 8);
    assert_eq!(t.objections.len(), 1);
    assert_eq!(t.agreements.len(), 1);
    assert_eq!(t.agreements[0].version, 2);
    assert_eq!(t.agreements[0].recorded.actor.name, "Sue Collins");
    assert_eq!(t.rationale, v2.rationale);
    assert!(t.decisions.is_empty(), "the idea has no recorded decision");

    // Deliberation: from the proposal to the agreement, one minute per step.
    let d = &t.deliberation;
    assert_eq!(d.started_at, v1.recorded.at);
    assert_eq!(d.decided_at, Some(t.agreements[0].recorded.at));
    let span = (t.agreements[0].recorded.at - v1.recorded.at).num_seconds();
    assert!(span > 0);
    assert_eq!(d.seconds, Some(span));
    assert_eq!(d.final_version_at, v2.recorded.at);
    assert_eq!(d.minimum_seconds, 0);
    assert_eq!(d.minimum_met, Some(true));

    // The steps are the distribution's history, in plain words.
    let steps = names(&t.steps);
    assert_eq!(t.steps.len(), 12, "{steps:#?}");
    assert!(steps.contains(
        &"Carers Together objected to version 1: Carers do the reminding at home and get nothing."
            .to_string()
    ));
    assert!(steps.iter().any(|s| s.contains("voided the consents of")));
}

#[tokio::test]
async fn the_history_is_attributed_and_filters_by_actor_organisation_kind_type_and_time() {
    let (envelopes, model) = played(&[]).unwrap();
    let all = history(
        EventSource::Envelopes(&envelopes),
        &model,
        HUB,
        Subject::Distribution(DISTRIBUTION),
        &HistoryFilter::default(),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(all.total, 12);
    assert!(!all.has_next_page && !all.has_previous_page);
    let objection = all
        .entries
        .iter()
        .find(|e| e.event_type == "DistributionObjected")
        .unwrap();
    assert_eq!(objection.actor.name, "Sue Collins");
    assert_eq!(
        objection.actor.stakeholder_kind(),
        Some(StakeholderKind::CommunityOrganisation)
    );

    let by_kind = async |kind| {
        history(
            EventSource::Envelopes(&envelopes),
            &model,
            HUB,
            Subject::Distribution(DISTRIBUTION),
            &HistoryFilter {
                stakeholder_kind: Some(kind),
                ..HistoryFilter::default()
            },
            None,
            None,
        )
        .await
        .unwrap()
    };
    let community = by_kind(StakeholderKind::CommunityOrganisation).await;
    // Brierley Homes x2, the objection, the mosque, Carers Together's consent and the agreement it completed.
    assert_eq!(community.total, 6, "{:#?}", names(&community.entries));
    assert!(community
        .entries
        .iter()
        .all(|e| e.actor.stakeholder_kind() == Some(StakeholderKind::CommunityOrganisation)));
    assert_eq!(by_kind(StakeholderKind::Commissioner).await.total, 2);
    assert_eq!(by_kind(StakeholderKind::Clinician).await.total, 0);

    let filtered = async |f: HistoryFilter| {
        history(
            EventSource::Envelopes(&envelopes),
            &model,
            HUB,
            Subject::Distribution(DISTRIBUTION),
            &f,
            None,
            None,
        )
        .await
        .unwrap()
        .entries
    };
    let carers = filtered(HistoryFilter {
        organisation_id: Some(ORG_CARERS),
        ..HistoryFilter::default()
    })
    .await;
    assert_eq!(
        carers.len(),
        3,
        "objects, consents, and completes the agreement"
    );
    let dan = filtered(HistoryFilter {
        member_id: Some(FIRM_LEAD),
        ..HistoryFilter::default()
    })
    .await;
    assert_eq!(dan.len(), 4, "{:#?}", names(&dan));
    let objections = filtered(HistoryFilter {
        event_types: vec!["DistributionObjected".into()],
        ..HistoryFilter::default()
    })
    .await;
    assert_eq!(objections.len(), 1);
    let t = objections[0].at;
    let before = filtered(HistoryFilter {
        to: Some(t - Duration::seconds(1)),
        ..HistoryFilter::default()
    })
    .await;
    assert_eq!(before.len(), 4, "proposal and three consents");
    let after = filtered(HistoryFilter {
        from: Some(t),
        ..HistoryFilter::default()
    })
    .await;
    assert_eq!(before.len() + after.len(), 12);

    // Pages: the first five, then the rest after the fifth's cursor.
    let p1 = history(
        EventSource::Envelopes(&envelopes),
        &model,
        HUB,
        Subject::Distribution(DISTRIBUTION),
        &HistoryFilter::default(),
        None,
        Some(5),
    )
    .await
    .unwrap();
    assert_eq!(p1.entries.len(), 5);
    assert!(p1.has_next_page && !p1.has_previous_page);
    let p2 = history(
        EventSource::Envelopes(&envelopes),
        &model,
        HUB,
        Subject::Distribution(DISTRIBUTION),
        &HistoryFilter::default(),
        Some(p1.entries[4].position),
        Some(100),
    )
    .await
    .unwrap();
    assert_eq!(p2.entries.len(), 7);
    assert!(!p2.has_next_page && p2.has_previous_page);
    assert_eq!(p2.entries[0].position, all.entries[5].position);

    // The whole hub, a problem, an idea; and subjects of another hub are not found.
    let hub_all = history(
        EventSource::Envelopes(&envelopes),
        &model,
        HUB,
        Subject::Hub,
        &HistoryFilter::default(),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(hub_all.total as u64, model.position());
    // The whole hub unfiltered is counted without reading the log; a filter that lets
    // everything through takes the general path, and every page of the two agrees.
    let everything = HistoryFilter {
        from: Some(chrono::DateTime::<chrono::Utc>::MIN_UTC),
        ..HistoryFilter::default()
    };
    let positions: Vec<Option<u64>> = std::iter::once(None)
        .chain(hub_all.entries.iter().map(|e| Some(e.position)))
        .chain([Some(0), Some(u64::MAX)])
        .collect();
    for after in positions {
        for first in [Some(0), Some(1), Some(5), None] {
            let page = async |f: &HistoryFilter| {
                history(
                    EventSource::Envelopes(&envelopes),
                    &model,
                    HUB,
                    Subject::Hub,
                    f,
                    after,
                    first,
                )
                .await
                .unwrap()
            };
            assert_eq!(
                page(&HistoryFilter::default()).await,
                page(&everything).await,
                "after {after:?}, first {first:?}"
            );
        }
    }
    let problem = history(
        EventSource::Envelopes(&envelopes),
        &model,
        HUB,
        Subject::Problem(PROBLEM),
        &HistoryFilter::default(),
        None,
        None,
    )
    .await
    .unwrap();
    assert!(problem.entries[0].summary.contains("Amina Begum"));
    assert!(history(
        EventSource::Envelopes(&envelopes),
        &model,
        HUB,
        Subject::Idea(cohub_domain::IdeaId::new()),
        &HistoryFilter::default(),
        None,
        None
    )
    .await
    .is_err());
    assert!(Subject::from_ids(Some(PROBLEM), Some(IDEA), None).is_err());
}

fn shortlist_steps() -> Vec<ExampleStep> {
    let decision = Decision {
        options_considered: vec![
            PlainText::en("Voice reminders recorded by champions."),
            PlainText::en("Translated letters."),
            PlainText::en("Text messages in English."),
        ],
        preferences: vec![
            StatedPreference {
                organisation_id: ORG_HOUSING,
                preference: PlainText::en("Residents trust voices they know."),
            },
            StatedPreference {
                organisation_id: ORG_ICB,
                preference: PlainText::en("Whatever lifts uptake towards 80%."),
            },
        ],
        rationale: PlainText::en(
            "Voice reminders reach residents who cannot read the letters, in voices they trust.",
        ),
    };
    vec![
        ExampleStep {
            actor: FACILITATOR,
            command: HubCommand::SetMinimumDeliberationTime {
                hub_id: HUB,
                seconds: 600,
            }
            .into(),
            note: "The facilitator sets ten minutes of deliberation.",
        },
        ExampleStep {
            actor: FACILITATOR,
            command: IdeaCommand::RecordIdeaDecision {
                idea_id: IDEA,
                outcome: IdeaOutcome::Shortlist,
                decision,
            }
            .into(),
            note: "The facilitator shortlists the idea.",
        },
    ]
}

#[tokio::test]
async fn a_shortlisted_idea_shows_options_preferences_rationale_and_deliberation() {
    let (envelopes, model) = played(&shortlist_steps()).unwrap();
    let t = decision_trail(
        EventSource::Envelopes(&envelopes),
        &model,
        TrailSubject::Idea(IDEA),
    )
    .await
    .unwrap();
    assert_eq!(t.status, "shortlisted");
    assert!(t.decided);
    assert_eq!(t.proposed.actor.name, "Amina Begum");
    assert!(t.on_behalf_of.is_some());
    assert_eq!(t.versions.len(), 1);
    assert!(t.versions[0].agreed, "version 1 was decided on");
    assert_eq!(t.supporters.len(), 1);
    assert_eq!(t.supporters[0].actor.name, "Tom Price");
    assert_eq!(t.decisions.len(), 1);
    let d = &t.decisions[0];
    assert_eq!(d.outcome, IdeaOutcome::Shortlist);
    assert_eq!(d.options_considered.len(), 3);
    let prefs: Vec<_> = d
        .preferences
        .iter()
        .map(|p| (p.party.name.as_str(), p.preference.text.as_str()))
        .collect();
    assert_eq!(
        prefs[0],
        ("Brierley Homes", "Residents trust voices they know.")
    );
    assert_eq!(prefs[1].0, "Black Country Integrated Care Board");
    assert_eq!(d.recorded.actor.name, "Nadia Rahman");
    assert_eq!(t.rationale.as_ref(), Some(&d.rationale));
    assert_eq!(d.minimum_deliberation_seconds, 600);
    let delib = &t.deliberation;
    assert_eq!(delib.minimum_seconds, 600);
    assert_eq!(delib.seconds, Some(d.deliberation_seconds));
    assert!(d.deliberation_seconds >= 600, "{}", d.deliberation_seconds);
    assert_eq!(delib.minimum_met, Some(true));
    assert!(t
        .steps
        .last()
        .unwrap()
        .summary
        .contains("recorded the decision to shortlist the idea"));

    // The distribution of the shortlisted idea lists the idea's decision: the options and
    // preferences considered; the minimum set after its agreement does not apply to it.
    let dt = decision_trail(
        EventSource::Envelopes(&envelopes),
        &model,
        TrailSubject::Distribution(DISTRIBUTION),
    )
    .await
    .unwrap();
    assert_eq!(dt.decisions.len(), 1);
    assert_eq!(dt.deliberation.minimum_seconds, 0);
}

#[tokio::test]
async fn an_open_distribution_has_no_decision_yet_and_unknown_subjects_are_not_found() {
    // Stop the story right after the objection: version 1 stands, undecided.
    let (envelopes, full) = played(&[]).unwrap();
    let cut = envelopes
        .iter()
        .position(|e| e.event_type == "DistributionObjected")
        .unwrap();
    let mut model = cohub_read::ReadModel::new();
    model.apply_all(&envelopes[..=cut]).unwrap();
    let t = decision_trail(
        EventSource::Envelopes(&envelopes),
        &model,
        TrailSubject::Distribution(DISTRIBUTION),
    )
    .await
    .unwrap();
    assert_eq!(t.status, "proposed");
    assert!(!t.decided);
    assert_eq!(t.versions.len(), 1);
    assert!(t.voided_consents.is_empty());
    assert_eq!(t.versions[0].consents.len(), 3);
    assert!(t.objections[0].answered.is_none());
    assert_eq!(t.deliberation.decided_at, None);
    assert_eq!(t.deliberation.minimum_met, None);
    // The steps are read from the whole log, but only as far as the model stands.
    assert_eq!(
        t.steps.last().map(|s| s.position),
        Some(envelopes[cut].position),
        "the trail of a past model lists nothing after it"
    );

    assert!(decision_trail(
        EventSource::Envelopes(&envelopes),
        &full,
        TrailSubject::Idea(cohub_domain::IdeaId::new())
    )
    .await
    .is_err());
    assert!(TrailSubject::from_ids(None, None).is_err());
}

#[tokio::test]
async fn an_ideas_deliberation_runs_from_its_latest_revision_and_the_history_says_what_it_answered()
{
    let nurse_feedback = cohub_domain::FeedbackId::new();
    let mut steps = vec![
        ExampleStep {
            actor: FACILITATOR,
            command: HubCommand::SetMinimumDeliberationTime {
                hub_id: HUB,
                seconds: 600,
            }
            .into(),
            note: "The facilitator sets ten minutes of deliberation.",
        },
        ExampleStep {
            actor: NURSE,
            command: IdeaCommand::GiveFeedback {
                idea_id: IDEA,
                feedback_id: nurse_feedback,
                text: PlainText::en("Could carers hear the reminders too?"),
            }
            .into(),
            note: "The nurse gives feedback.",
        },
        ExampleStep {
            actor: CHAMPION,
            command: IdeaCommand::ReviseIdea {
                idea_id: IDEA,
                title: PlainText::en("Voice reminders for residents and their carers"),
                summary: PlainText::en("Champions record reminders that carers hear too."),
                rationale: PlainText::en("The nurse asked for carers to hear them."),
                answers: vec![nurse_feedback],
            }
            .into(),
            note: "The champion revises the idea, answering the nurse.",
        },
    ];
    // Eleven minutes pass (one step a minute) before the decision.
    for _ in 0..11 {
        steps.push(ExampleStep {
            actor: GP,
            command: IdeaCommand::GiveFeedback {
                idea_id: IDEA,
                feedback_id: cohub_domain::FeedbackId::new(),
                text: PlainText::en("Still thinking about it."),
            }
            .into(),
            note: "The GP thinks aloud.",
        });
    }
    let decide = shortlist_steps().pop().unwrap();
    steps.push(decide);
    let (envelopes, model) = played(&steps).unwrap();
    let t = decision_trail(
        EventSource::Envelopes(&envelopes),
        &model,
        TrailSubject::Idea(IDEA),
    )
    .await
    .unwrap();
    let d = &t.decisions[0];
    assert_eq!(d.version, 2);
    let revised_at = t.versions[1].recorded.at;
    assert_eq!(
        d.deliberation_seconds,
        (d.recorded.at - revised_at).num_seconds(),
        "from the latest revision"
    );
    assert_eq!(d.deliberation_seconds, 12 * 60);
    assert!(
        t.deliberation.seconds.unwrap() > d.deliberation_seconds,
        "from the proposal"
    );
    assert_eq!(t.deliberation.minimum_met, Some(true));
    let summaries = names(&t.steps);
    assert!(summaries.iter().any(|s| s
        == "Amina Begum revised the idea as version 2: The nurse asked for carers to hear them. It answers 1 piece of feedback."));
    assert!(summaries[0]
        .contains("How they agreed to be represented: At the tenants' association meeting"));
}
