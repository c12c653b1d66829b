//! The read model says who consented, who objects and who is missing exactly as the domain
//! decides it: an objection made after a consent replaces it.

mod common;

use cohub_command::Submission;
use cohub_domain::distribution::{DistributionCommand, DistributionStatus};
use cohub_domain::example::*;
use cohub_domain::text::PlainText;
use cohub_domain::DistributionId;
use cohub_read::{rebuild, ReadModel};

const SECOND: DistributionId = DistributionId::from_u128(0x5ec0_0d00);

/// The story, then a second distribution for the idea that the housing association consents
/// to and then objects to.
async fn consented_then_objected() -> (tempfile::TempDir, ReadModel) {
    let dir = tempfile::tempdir().unwrap();
    let (store, service) = common::played(dir.path()).await;
    for (actor, command) in [
        (
            FIRM_LEAD,
            DistributionCommand::ProposeDistribution {
                distribution_id: SECOND,
                idea_id: IDEA,
                terms: terms_v1(),
            },
        ),
        (
            HOUSING_LEAD,
            DistributionCommand::ConsentToDistribution {
                distribution_id: SECOND,
                version: 1,
            },
        ),
        (
            HOUSING_LEAD,
            DistributionCommand::ObjectToDistribution {
                distribution_id: SECOND,
                version: 1,
                reason: PlainText::en("On reflection, tenants bear the cost of the calls."),
            },
        ),
    ] {
        service
            .execute(Submission::new(actor, command))
            .await
            .unwrap();
    }
    let model = rebuild(&store).await.unwrap();
    (dir, model)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consent_followed_by_an_objection_no_longer_counts() {
    let (_dir, model) = consented_then_objected().await;
    let d = model.distribution(SECOND).unwrap();
    assert!(
        d.missing_consents().contains(&ORG_HOUSING),
        "the housing association objected after consenting, so its consent is missing: {:?}",
        d.missing_consents()
    );
    assert!(
        d.consents_on(1).is_empty(),
        "no consent to version 1 stands"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_read_model_asks_the_domain_where_a_distribution_stands() {
    let (_dir, model) = consented_then_objected().await;
    let d = model.distribution(SECOND).unwrap();
    let standing = d.standing();
    assert_eq!(standing.status, DistributionStatus::Proposed);
    assert_eq!(standing.objecting, vec![ORG_HOUSING]);
    assert!(standing.consented.is_empty());
    assert_eq!(standing.missing, terms_v1().parties);
    // The consent stays in the record, marked as no longer standing.
    assert_eq!(d.consents.len(), 1);
    assert!(!d.is_standing(d.consents[0].record));
    assert!(d.is_standing(d.objections[0].record));
    assert_eq!(standing, d.state.standing(None));
}
