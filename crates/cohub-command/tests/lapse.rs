//! A distribution lapses when its idea is withdrawn: the idea's stream is loaded (through the
//! cache) for every distribution command, so a consent after the withdrawal is refused and
//! the log stays as it was.

use chrono::Duration;
use cohub_command::{CommandError, CommandService, Submission};
use cohub_domain::distribution::DistributionCommand;
use cohub_domain::example::{self, *};
use cohub_domain::idea::IdeaCommand;
use cohub_domain::text::PlainText;
use cohub_domain::{DistributionId, DomainError, Rule};
use cohub_store::sled_store::SledStore;
use cohub_store::EventStore;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

fn ticking_clock() -> cohub_command::Clock {
    let tick = Arc::new(AtomicI64::new(0));
    let start = example::start_time();
    Arc::new(move || start + Duration::minutes(tick.fetch_add(1, Ordering::SeqCst)))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consent_after_the_idea_is_withdrawn_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("log")).unwrap();
    let service = CommandService::with_clock(Arc::new(store.clone()), ticking_clock());
    for step in example::steps() {
        service
            .execute(Submission::new(step.actor, step.command.clone()))
            .await
            .unwrap();
    }
    let second = DistributionId::new();
    let run =
        |actor, command: DistributionCommand| service.execute(Submission::new(actor, command));
    run(
        FIRM_LEAD,
        DistributionCommand::ProposeDistribution {
            distribution_id: second,
            idea_id: IDEA,
            terms: terms_v1(),
        },
    )
    .await
    .unwrap();
    // The distribution and its idea are now in the cache.
    run(
        FIRM_LEAD,
        DistributionCommand::ConsentToDistribution {
            distribution_id: second,
            version: 1,
        },
    )
    .await
    .unwrap();
    service
        .execute(Submission::new(
            CHAMPION,
            IdeaCommand::WithdrawIdea {
                idea_id: IDEA,
                reason: PlainText::en("The residents chose another approach."),
            },
        ))
        .await
        .unwrap();
    let before = store.read_all(0, usize::MAX).await.unwrap();
    let err = run(
        HOUSING_LEAD,
        DistributionCommand::ConsentToDistribution {
            distribution_id: second,
            version: 1,
        },
    )
    .await
    .unwrap_err();
    match &err {
        CommandError::Domain(DomainError::Rule { rule, message }) => {
            assert_eq!(*rule, Rule::DistributionLapsed);
            assert!(message.contains("The residents chose another approach."));
        }
        other => panic!("expected the lapse rule, got {other:?}"),
    }
    assert_eq!(store.read_all(0, usize::MAX).await.unwrap(), before);
}
