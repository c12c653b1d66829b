//! Checkpoints written again and again copy the frames of hubs with no new event from the
//! previous file, and the result still loads as exactly the model written.

mod common;

use std::sync::Arc;

use chrono::Utc;
use cohub_command::{CommandService, Submission};
use cohub_domain::example;
use cohub_domain::hub::{FoundingOrganisation, HubCommand};
use cohub_domain::StakeholderKind;
use cohub_domain::{DomainCommand, HubId, OrganisationId, PlainText};
use cohub_read::checkpoint::{self, Frames};
use cohub_read::rebuild;

#[tokio::test(flavor = "multi_thread")]
async fn unchanged_hubs_are_copied_and_the_checkpoint_loads_as_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::played(dir.path()).await;
    // A second hub, founded after the example's.
    let service = CommandService::with_clock(Arc::new(store.clone()), common::ticking_clock());
    service
        .execute(Submission::new(
            example::steps()[0].actor,
            DomainCommand::from(HubCommand::FoundHub {
                hub_id: HubId::new(),
                name: "Dudley wellbeing".into(),
                purpose: PlainText::en("Falls at home."),
                founder_name: "Ben".into(),
                organisation: FoundingOrganisation {
                    organisation_id: OrganisationId::new(),
                    name: "Dudley Carers".into(),
                    kind: StakeholderKind::CommunityOrganisation,
                },
            }),
        ))
        .await
        .unwrap();
    let read = dir.path().join("read");
    let loaded = || checkpoint::read(&read).unwrap().unwrap();
    let mut frames = Frames::default();

    let model = rebuild(&store).await.unwrap();
    assert_eq!(model.hubs(cohub_read::Page::ALL).len(), 2);
    let first = checkpoint::write_reusing(&read, &model, &mut frames).unwrap();
    assert_eq!((first.encoded, first.copied), (2, 0));
    assert_eq!(loaded().model, model);

    // Nothing new: both frames are copied.
    let again = checkpoint::write_reusing(&read, &model, &mut frames).unwrap();
    assert_eq!((again.encoded, again.copied), (0, 2));
    assert_eq!(loaded().model, model);

    // New events in the example's hub only: its frame is encoded, the other hub's copied, and
    // the whole still loads as the new model (position, hash and latest time included).
    common::append_feedback(&store, 2, 3, Utc::now()).await;
    let model = rebuild(&store).await.unwrap();
    let mixed = checkpoint::write_reusing(&read, &model, &mut frames).unwrap();
    assert_eq!((mixed.encoded, mixed.copied), (1, 1));
    let back = loaded();
    assert_eq!(back.position, model.position());
    assert_eq!(back.model, model);

    // The file was replaced behind the writer's back: nothing is copied from it.
    checkpoint::write(&read, &model).unwrap();
    let fresh = checkpoint::write_reusing(&read, &model, &mut frames).unwrap();
    assert_eq!((fresh.encoded, fresh.copied), (2, 0));
    assert_eq!(loaded().model, model);
}
