//! Plays DOMAIN.md's Black Country example through decide/evolve and checks the whole path.

use cohub_domain::distribution::{DistributionEvent, DistributionStatus, Position};
use cohub_domain::example::{self, *};
use cohub_domain::problem::ProblemStage;
use cohub_domain::{DomainEvent, Role};

#[test]
fn the_black_country_story_plays_to_an_agreement() {
    let (world, log) = example::play(example::start_time()).expect("every step is accepted");
    let hub = &world.hubs[&HUB];
    assert_eq!(hub.name, HUB_NAME);
    assert_eq!(hub.organisations.len(), organisations().len());
    assert_eq!(hub.members.len(), people().len());
    assert_eq!(hub.members[&CHAMPION].role, Role::Champion);

    let problem = &world.problems[&PROBLEM];
    assert_eq!(problem.framed_by, Some(CHAMPION));
    assert_eq!(problem.perspectives.len(), 3);
    assert_eq!(problem.stage, ProblemStage::DevelopingSolutions);

    let idea = &world.ideas[&IDEA];
    assert_eq!(idea.proposed_by, Some(CHAMPION));
    assert!(idea.on_behalf_of.is_some());
    let fb = idea.feedback(FEEDBACK_FIRM).unwrap();
    assert_eq!(fb.by, FIRM_LEAD);
    assert_eq!(fb.response.as_ref().unwrap().by, CHAMPION);

    let d = &world.distributions[&DISTRIBUTION];
    assert_eq!(d.status, DistributionStatus::Agreed);
    assert_eq!(d.version(), 2);
    assert_eq!(d.agreed().unwrap().version, 2);
    assert_eq!(d.agreed().unwrap().parties.len(), 5);
    assert!(d.latest().unwrap().terms.is_party(ORG_CARERS));
    // the audit trail keeps the objection and the voided v1 consents
    let objection = d
        .positions
        .iter()
        .find(|p| matches!(p.position, Position::Objected { .. }))
        .unwrap();
    assert_eq!(
        (objection.organisation_id, objection.version),
        (ORG_CARERS, 1)
    );
    let voided: Vec<_> = d
        .positions
        .iter()
        .filter(|p| p.voided)
        .map(|p| p.organisation_id)
        .collect();
    assert_eq!(voided, vec![ORG_GLUCOLINK, ORG_HOUSING, ORG_ICB]);

    // the last consent carries the agreement with it
    let (actor, last) = log.last().unwrap();
    assert_eq!(*actor, CARERS_LEAD);
    assert!(matches!(
        last.as_slice(),
        [
            DomainEvent::Distribution(DistributionEvent::DistributionConsented(_)),
            DomainEvent::Distribution(DistributionEvent::DistributionAgreed(_)),
        ]
    ));

    // plain-language summaries for the commissioner's audit
    let summaries: Vec<String> = log
        .iter()
        .flat_map(|(_, es)| es.iter().map(|e| e.summary(hub)))
        .collect();
    assert!(summaries.iter().any(|s| s == "Carers Together objected to version 1: Carers do the reminding at home and get nothing."), "{summaries:#?}");
    assert!(summaries.iter().any(|s| s.contains(
        "voided the consents of Brierley Homes, GlucoLink, Black Country Integrated Care Board"
    )));
    assert!(summaries
        .iter()
        .any(|s| s.starts_with("Amina Begum proposed an idea on behalf of")));
}

#[test]
fn every_event_round_trips_through_its_stored_form() {
    let (_, log) = example::play(example::start_time()).unwrap();
    let events: Vec<DomainEvent> = log.into_iter().flat_map(|(_, es)| es).collect();
    assert!(events.len() > 40);
    for e in &events {
        let stored = e.encode();
        assert_eq!(stored.schema_version, 1);
        assert!(DomainEvent::all_event_types().contains(&stored.event_type.as_str()));
        let back = DomainEvent::decode(&stored).unwrap();
        assert_eq!(&back, e);
        // Read by reference (no copy) or from the owned payload, the event is the same.
        let owned =
            DomainEvent::from_payload(&stored.event_type, 1, stored.payload.clone()).unwrap();
        assert_eq!(&owned, e);
        // the payload carries the ids needed to fold it without its envelope
        assert!(stored.payload.get("by").is_some() && stored.payload.get("at").is_some());
    }
    let e = &events[0];
    assert_eq!(
        DomainEvent::from_payload(e.event_type(), 2, e.to_payload())
            .unwrap_err()
            .code(),
        "CODEC"
    );
    assert_eq!(
        DomainEvent::from_payload("Nope", 1, e.to_payload())
            .unwrap_err()
            .code(),
        "CODEC"
    );
    assert_eq!(
        DomainEvent::from_payload("ProblemFramed", 1, serde_json::json!({}))
            .unwrap_err()
            .code(),
        "CODEC"
    );
    // By reference, the same refusals, in the same words.
    for (event_type, version, payload) in [
        (e.event_type(), 2, e.to_payload()),
        ("Nope", 1, e.to_payload()),
        ("ProblemFramed", 1, serde_json::json!({})),
    ] {
        let owned = DomainEvent::from_payload(event_type, version, payload.clone()).unwrap_err();
        let by_ref = DomainEvent::from_payload_ref(event_type, version, &payload).unwrap_err();
        assert_eq!(by_ref.to_string(), owned.to_string());
    }
}

#[test]
fn every_step_names_its_streams() {
    for step in steps() {
        assert!(step.command.stream_id().contains('-'));
        assert!(!step.command.name().is_empty());
    }
    assert_eq!(person("champion").unwrap().id, CHAMPION);
    assert_eq!(HUB.stream_id(), format!("hub-{}", HUB));
}
