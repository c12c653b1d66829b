//! DOMAIN.md's Black Country story, played through the command service onto a sled store and
//! folded into the read models: each view shows what the brief describes.

mod common;

use chrono::Duration;
use cohub_domain::distribution::{DistributionStatus, VersionKind};
use cohub_domain::example::{self, *};
use cohub_domain::idea::IdeaStatus;
use cohub_domain::problem::{PerspectiveKind, ProblemStage};
use cohub_read::heard::{AnswerKind, ContributionRef};
use cohub_read::{activity, rebuild, ActivityFilter, EventSource, Page, ReadModel};

async fn model() -> (tempfile::TempDir, ReadModel) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::played(dir.path()).await;
    let model = rebuild(&store).await.unwrap();
    assert_eq!(model.position(), store_head(&store).await);
    (dir, model)
}

async fn store_head(store: &cohub_store::SledStore) -> u64 {
    use cohub_store::EventStore;
    store.head_position().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hub_lists_organisations_members_and_charter() {
    let (_dir, model) = model().await;
    let hubs = model.hubs(Page::ALL);
    assert_eq!(hubs.len(), 1);
    let hub = model.hub(HUB).unwrap();
    assert_eq!(hub.name, HUB_NAME);
    assert_eq!(hub.organisations.len(), example::organisations().len());
    assert_eq!(hub.members.len(), example::people().len());
    let carers = hub.organisation(ORG_CARERS).unwrap();
    assert_eq!(carers.name, "Carers Together");
    assert_eq!(carers.admitted.member_id, FACILITATOR);
    // Carers Together was admitted mid-story, after the first consents.
    let first_consent = model.distribution(DISTRIBUTION).unwrap().consents[0]
        .recorded
        .position;
    assert!(carers.admitted.position > first_consent);
    assert_eq!(hub.organisations_in_order().last().unwrap().id, ORG_CARERS);
    let sue = hub.member(CARERS_LEAD).unwrap();
    assert_eq!(
        (sue.name.as_str(), sue.organisation_id),
        ("Sue Collins", ORG_CARERS)
    );
    assert!(sue.history.is_empty());
    assert_eq!(
        hub.members_in_order(Some(ORG_HOUSING)).len(),
        4,
        "three champions and a lead"
    );
    assert_eq!(hub.charters.len(), 1);
    assert_eq!(hub.charter().unwrap().adopted.member_id, FACILITATOR);
    assert_eq!(hub.problem_ids, imbl::vector![PROBLEM]);
    assert_eq!(hub.updated.position, model.position());
    // Cursors page through the list.
    assert!(model.hubs(Page::new(Some(hub.cursor()), 10)).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_problem_shows_versions_perspectives_endorsements_and_stages() {
    let (_dir, model) = model().await;
    let problem = model.problem(PROBLEM).unwrap();
    assert_eq!(problem.author, CHAMPION);
    assert_eq!(
        problem.framed.organisation_id,
        Some(ORG_HOUSING),
        "which organisation"
    );
    assert_eq!(problem.versions.len(), 1);
    assert_eq!(problem.latest().framing, example::framing());
    let kinds: Vec<_> = problem
        .perspectives
        .iter()
        .map(|p| (p.kind, p.recorded.member_id))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (PerspectiveKind::LivedExperience, CHAMPION),
            (PerspectiveKind::Clinical, NURSE),
            (PerspectiveKind::Commissioning, ICB_COMMISSIONER),
        ]
    );
    assert!(problem.perspectives[2].text.text.contains("58%"));
    assert_eq!(problem.endorsements.len(), 1);
    assert_eq!(problem.endorsements[0].member_id, GP);
    assert_eq!(problem.stage, ProblemStage::DevelopingSolutions);
    let moved = &problem.stage_history[0];
    assert_eq!(
        (moved.from, moved.to),
        (ProblemStage::Open, ProblemStage::DevelopingSolutions)
    );
    assert_eq!(moved.recorded.member_id, CHAMPION);
    assert!(moved.reason.text.contains("try ideas"));
    // The nurse's perspective was acknowledged (with a note, so answered) by the champion.
    let clinical = problem.perspective(PERSPECTIVE_CLINICAL).unwrap();
    let ack = clinical.heard.acknowledged().unwrap();
    assert_eq!(ack.recorded.member_id, CHAMPION);
    assert_eq!(
        clinical.heard.answer.as_ref().unwrap().kind,
        AnswerKind::Note
    );
    // The framing was answered by others' perspectives.
    assert_eq!(
        problem.heard.answer.as_ref().unwrap().recorded.member_id,
        NURSE
    );
    assert_eq!(problem.idea_ids, vec![IDEA]);

    assert_eq!(
        model
            .problems(HUB, Some(ProblemStage::DevelopingSolutions), Page::ALL)
            .len(),
        1
    );
    assert!(model
        .problems(HUB, Some(ProblemStage::Open), Page::ALL)
        .is_empty());
    assert_eq!(model.problems(HUB, None, Page::new(None, 1)).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_idea_shows_behalf_support_and_answered_feedback() {
    let (_dir, model) = model().await;
    let idea = model.idea(IDEA).unwrap();
    assert_eq!(idea.author, CHAMPION);
    assert_eq!(idea.problem_id, PROBLEM);
    assert!(idea
        .on_behalf_of
        .as_ref()
        .unwrap()
        .residents
        .text
        .contains("Brierley Hill"));
    assert!(idea
        .latest()
        .title
        .text
        .starts_with("Community-language voice reminders"));
    assert_eq!(idea.supports.len(), 1);
    assert_eq!(idea.supports[0].member_id, CHAMPION_2);
    assert_eq!(idea.status, IdeaStatus::Proposed);
    assert!(idea.decisions.is_empty());
    let thread = idea.feedback(FEEDBACK_FIRM).unwrap();
    assert_eq!(thread.given.member_id, FIRM_LEAD);
    assert_eq!(thread.given.organisation_id, Some(ORG_GLUCOLINK));
    assert_eq!(thread.responses.len(), 1);
    assert_eq!(thread.responses[0].recorded.member_id, CHAMPION);
    let answer = thread.heard.answer.as_ref().unwrap();
    assert_eq!(
        (answer.kind, answer.recorded.member_id),
        (AnswerKind::Response, CHAMPION)
    );
    assert_eq!(
        thread.heard.acknowledged().unwrap().recorded.member_id,
        CHAMPION
    );
    assert_eq!(
        idea.heard.answer.as_ref().unwrap().kind,
        AnswerKind::Feedback
    );
    assert_eq!(idea.distribution_ids, vec![DISTRIBUTION]);

    assert_eq!(
        model
            .ideas(HUB, Some(PROBLEM), Some(IdeaStatus::Proposed), Page::ALL)
            .len(),
        1
    );
    assert!(model
        .ideas(HUB, None, Some(IdeaStatus::Shortlisted), Page::ALL)
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_distribution_shows_the_objection_voided_consents_and_agreement() {
    let (_dir, model) = model().await;
    let d = model.distribution(DISTRIBUTION).unwrap();
    assert_eq!(d.status(), DistributionStatus::Agreed);
    assert_eq!(d.agreed_version, Some(2));
    assert_eq!(d.versions.len(), 2);
    assert_eq!(d.versions[0].terms, example::terms_v1());
    assert_eq!(d.versions[0].recorded.member_id, FIRM_LEAD);
    assert_eq!(d.versions[1].kind, VersionKind::Amendment);
    assert_eq!(d.versions[1].terms, example::terms_v2());
    assert!(d.versions[1]
        .rationale
        .as_ref()
        .unwrap()
        .text
        .contains("Carers Together"));
    assert!(d.versions.iter().all(|v| v.round == 1));

    // The carers' charity objected to version 1, with its reason.
    assert_eq!(d.objections.len(), 1);
    let objection = &d.objections[0];
    assert_eq!(objection.version, 1);
    assert_eq!(objection.organisation_id, ORG_CARERS);
    assert_eq!(objection.recorded.member_id, CARERS_LEAD);
    assert_eq!(
        objection.reason.text,
        "Carers do the reminding at home and get nothing."
    );
    let answer = objection.heard.answer.as_ref().unwrap();
    assert_eq!(
        (answer.kind, answer.recorded.member_id),
        (AnswerKind::Amendment, FIRM_LEAD)
    );

    // The amendment voided the three consents to version 1.
    let voided: Vec<_> = d
        .voided_consents()
        .iter()
        .map(|c| c.organisation_id)
        .collect();
    assert_eq!(voided, vec![ORG_GLUCOLINK, ORG_HOUSING, ORG_ICB]);
    assert!(d.voided_consents().iter().all(|c| c.version == 1
        && c.voided.as_ref().unwrap().by_version == 2
        && c.voided.as_ref().unwrap().recorded.member_id == FIRM_LEAD));
    assert!(d.consents_on(1).is_empty());
    assert_eq!(d.versions[1].voided_consents.len(), 3);

    // Every party consented to version 2.
    let mut v2: Vec<_> = d.consents_on(2).iter().map(|c| c.organisation_id).collect();
    let mut parties = example::terms_v2().parties;
    v2.sort();
    parties.sort();
    assert_eq!(v2, parties);
    assert!(d.missing_consents().is_empty());
    let agreement = &d.agreements[0];
    assert_eq!(
        (agreement.version, agreement.recorded.member_id),
        (2, CARERS_LEAD)
    );

    assert_eq!(
        model
            .distributions(HUB, Some(IDEA), Some(DistributionStatus::Agreed), Page::ALL)
            .len(),
        1
    );
    assert!(model
        .distributions(HUB, None, Some(DistributionStatus::Proposed), Page::ALL)
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn feeling_heard_lists_unanswered_contributions_with_days_waited() {
    let (_dir, model) = model().await;
    let contributions = model.contributions(HUB);
    assert_eq!(
        contributions.len(),
        7,
        "problem, 3 perspectives, idea, feedback, objection"
    );
    // Waiting time runs on the server's recording clock.
    let now = model.recorded_until().unwrap() + Duration::days(14);
    let unanswered = model.unanswered(HUB, now);
    let refs: Vec<_> = unanswered
        .iter()
        .map(|u| u.contribution.reference)
        .collect();
    assert_eq!(
        refs,
        vec![
            ContributionRef::Perspective {
                problem_id: PROBLEM,
                perspective_id: PERSPECTIVE_LIVED
            },
            ContributionRef::Perspective {
                problem_id: PROBLEM,
                perspective_id: PERSPECTIVE_COMMISSIONING
            },
        ]
    );
    assert!(
        unanswered.iter().all(|u| u.days_waited == 14),
        "no response for 14 days"
    );
    assert_eq!(unanswered[1].contribution.author, ICB_COMMISSIONER);
    // Days waited are computed when asked, not stored.
    assert_eq!(
        model.unanswered(HUB, now + Duration::days(3))[0].days_waited,
        17
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_activity_feed_summarises_every_event_and_filters_for_audit() {
    use cohub_store::EventStore;
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::played(dir.path()).await;
    let model = rebuild(&store).await.unwrap();
    let log = EventSource::Log(&store);
    let feed = async |m: &ReadModel, f: ActivityFilter| activity(log, m, HUB, &f).await.unwrap();

    let all = feed(&model, ActivityFilter::default()).await;
    assert_eq!(all.len() as u64, model.position());
    assert_eq!(model.hub_events(), model.position());
    assert!(all
        .windows(2)
        .all(|w| w[0].position < w[1].position && w[0].hub_seq < w[1].hub_seq));
    assert!(all
        .iter()
        .all(|e| !e.summary.is_empty() && e.member_name != "someone"));

    let objections = feed(
        &model,
        ActivityFilter {
            event_types: vec!["DistributionObjected".into()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(objections.len(), 1);
    let o = &objections[0];
    assert_eq!(o.member_name, "Sue Collins");
    assert_eq!(o.organisation_name.as_deref(), Some("Carers Together"));
    assert_eq!(
        o.summary,
        "Carers Together objected to version 1: Carers do the reminding at home and get nothing."
    );

    // A page of one that must be searched for: reads grow until it is found, either way.
    for newest_first in [false, true] {
        let one = feed(
            &model,
            ActivityFilter {
                event_types: vec!["DistributionObjected".into()],
                limit: Some(1),
                newest_first,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(one, objections, "newest first: {newest_first}");
    }

    // A distribution's history, newest first, paged by position.
    let history = ActivityFilter {
        stream_id: Some(DISTRIBUTION.stream_id()),
        newest_first: true,
        limit: Some(3),
        ..Default::default()
    };
    let page1 = feed(&model, history.clone()).await;
    assert_eq!(page1[0].event_type, "DistributionAgreed");
    let page2 = feed(
        &model,
        ActivityFilter {
            after_position: Some(page1[2].position),
            ..history.clone()
        },
    )
    .await;
    assert!(page2[0].position < page1[2].position);
    let by_firm = feed(
        &model,
        ActivityFilter {
            organisation_id: Some(ORG_GLUCOLINK),
            ..Default::default()
        },
    )
    .await;
    assert!(by_firm.iter().all(|e| e.member_id == FIRM_LEAD));
    assert_eq!(
        by_firm.len(),
        5,
        "feedback, proposal, two consents, amendment"
    );

    // Paging the whole feed in small pages, either way, gives the whole feed exactly once:
    // the cursor is found in the log by binary search, and reading crosses chunk boundaries.
    for newest_first in [false, true] {
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = feed(
                &model,
                ActivityFilter {
                    after_position: after,
                    limit: Some(7),
                    newest_first,
                    ..Default::default()
                },
            )
            .await;
            let Some(last) = page.last() else { break };
            after = Some(last.position);
            paged.extend(page);
        }
        if newest_first {
            paged.reverse();
        }
        assert_eq!(paged, all, "paged newest first: {newest_first}");
    }

    // A model of the past lists only what had happened by then, though the log goes on.
    let log_all = store.read_all(0, usize::MAX).await.unwrap();
    let cut = log_all
        .iter()
        .position(|e| e.event_type == "DistributionObjected")
        .unwrap();
    let mut past = ReadModel::new();
    past.apply_all(&log_all[..=cut]).unwrap();
    let then = feed(&past, ActivityFilter::default()).await;
    assert_eq!(then[..], all[..=cut]);
    let then_newest = feed(
        &past,
        ActivityFilter {
            newest_first: true,
            limit: Some(1),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(then_newest[0].event_type, "DistributionObjected");
    let then_stream = feed(
        &past,
        ActivityFilter {
            stream_id: Some(DISTRIBUTION.stream_id()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        then_stream.last().map(|e| e.event_type.as_str()),
        Some("DistributionObjected")
    );
    // Read from envelopes in memory, the feed is the same as read from the log.
    let in_memory = activity(
        EventSource::Envelopes(&log_all),
        &model,
        HUB,
        &ActivityFilter::default(),
    )
    .await
    .unwrap();
    assert_eq!(in_memory, all);

    // A log that lacks events the model has folded is said to be inconsistent, not cut short.
    let short = activity(
        EventSource::Envelopes(&log_all[..cut]),
        &model,
        HUB,
        &ActivityFilter::default(),
    )
    .await
    .unwrap_err();
    assert!(
        short.to_string().contains("the log has no event"),
        "{short}"
    );
}
