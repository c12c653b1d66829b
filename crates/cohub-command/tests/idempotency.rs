//! Idempotency keys at the write side: scoped to (hub, actor), a replay only for the same
//! actor's same request (by the submission's fingerprint), and the same key for another request
//! refused with nothing appended. On a sled store with DOMAIN.md's example played through.

use cohub_command::{CommandError, CommandService, Outcome, Submission};
use cohub_domain::distribution::DistributionCommand;
use cohub_domain::example::{self, *};
use cohub_domain::problem::ProblemCommand;
use cohub_domain::{DistributionId, DomainCommand, MemberId, ProblemId};
use cohub_store::sled_store::SledStore;
use cohub_store::{ChainHead, EventStore, StoreError};
use std::sync::Arc;

/// The example played through, then a second distribution for the idea proposed by the firm,
/// open for consent.
async fn hub_with_open_distribution() -> (tempfile::TempDir, SledStore, CommandService) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("log")).unwrap();
    let service = CommandService::new(Arc::new(store.clone()));
    for step in example::steps() {
        service
            .execute(Submission::new(step.actor, step.command))
            .await
            .unwrap_or_else(|e| panic!("story step {:?}: {e}", step.note));
    }
    service
        .execute(Submission::new(
            FIRM_LEAD,
            DistributionCommand::ProposeDistribution {
                distribution_id: SECOND,
                idea_id: IDEA,
                terms: example::terms_v1(),
            },
        ))
        .await
        .unwrap();
    (dir, store, service)
}

const SECOND: DistributionId = DistributionId::from_u128(0x5ec0_0d00_0000_7000_8000_0000_0000_0001);

fn frame(problem: ProblemId) -> DomainCommand {
    ProblemCommand::FrameProblem {
        problem_id: problem,
        hub_id: HUB,
        framing: example::framing(),
    }
    .into()
}

fn consent() -> DomainCommand {
    DistributionCommand::ConsentToDistribution {
        distribution_id: SECOND,
        version: 1,
    }
    .into()
}

/// A keyed submission with the fingerprint an API would send for `input`.
fn keyed(actor: MemberId, command: DomainCommand, key: &str, input: &str) -> Submission {
    Submission {
        idempotency_key: Some(key.to_string()),
        fingerprint: Some(format!("{actor:?} sent {input}")),
        ..Submission::new(actor, command)
    }
}

/// The log's head position and the hub's chain head.
async fn mark(store: &SledStore) -> (u64, ChainHead) {
    (
        store.head_position().await.unwrap(),
        store.chain_head(HUB.uuid()).await.unwrap(),
    )
}

fn new_problem() -> ProblemId {
    ProblemId::from_uuid(uuid::Uuid::now_v7())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_lead_sending_the_champions_key_is_recorded_not_replayed() {
    let (_dir, store, service) = hub_with_open_distribution().await;
    let framed = service
        .execute(keyed(CHAMPION, frame(new_problem()), "k", "frame"))
        .await
        .unwrap();
    assert!(!framed.replayed);

    let before = mark(&store).await;
    let consented = service
        .execute(keyed(HOUSING_LEAD, consent(), "k", "consent"))
        .await
        .expect("the lead's consent is carried out");
    assert!(
        !consented.replayed,
        "the lead's consent was replayed as the champion's framing"
    );
    assert_ne!(consented.receipt, framed.receipt);
    assert_eq!(
        consented.receipt.stream_id,
        format!("distribution-{}", SECOND.uuid())
    );
    assert_eq!(
        consented.receipt.first_position,
        before.0 + 1,
        "it was appended"
    );
    let logged = store
        .read_all(before.0, 10)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the consent is in the log");
    assert_eq!(logged.event_type, "DistributionConsented");
    assert_eq!(logged.actor.member_id, HOUSING_LEAD.uuid());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_request_again_is_a_replay_even_with_fresh_ids() {
    let (_dir, store, service) = hub_with_open_distribution().await;
    // The client did not name the problem's id: each attempt gets a freshly made one.
    let first = service
        .execute(keyed(CHAMPION, frame(new_problem()), "k", "frame"))
        .await
        .unwrap();
    let before = mark(&store).await;
    let again = service
        .execute(keyed(CHAMPION, frame(new_problem()), "k", "frame"))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.receipt, first.receipt);
    assert!(again.events.is_empty());
    assert_eq!(mark(&store).await, before, "nothing appended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_for_another_input_is_refused_and_appends_nothing() {
    let (_dir, store, service) = hub_with_open_distribution().await;
    let problem = new_problem();
    service
        .execute(keyed(CHAMPION, frame(problem), "k", "frame"))
        .await
        .unwrap();
    let before = mark(&store).await;
    let another_input = keyed(CHAMPION, frame(new_problem()), "k", "another framing");
    // Without a fingerprint, the service fingerprints the domain command: another one.
    let another_operation = Submission {
        idempotency_key: Some("k".into()),
        ..Submission::new(CHAMPION, consent())
    };
    for sent in [another_input, another_operation] {
        match service.execute(sent).await {
            Err(CommandError::Store(StoreError::IdempotencyMismatch { key })) => {
                assert_eq!(key, "k")
            }
            other => panic!("the same key for another request must be refused: {other:?}"),
        }
        assert_eq!(mark(&store).await, before, "nothing appended");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_copies_of_one_request_append_once_and_racing_others_are_refused() {
    let (_dir, store, service) = hub_with_open_distribution().await;
    for n in 0..20 {
        let key = format!("race-{n}");
        let before = mark(&store).await;
        // Five copies of one request (fresh ids each), and one other request with the key.
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let input = if i == 5 { "other" } else { "same" };
                let s = keyed(CHAMPION, frame(new_problem()), &key, input);
                let service = service.clone();
                tokio::spawn(async move { (input, service.execute(s).await) })
            })
            .collect();
        let mut same: Vec<Outcome> = Vec::new();
        let mut other = None;
        for t in tasks {
            match t.await.unwrap() {
                ("same", r) => same.extend(r.ok()),
                (_, r) => other = Some(r),
            }
        }
        let other = other.expect("the other request answered");
        let appended = store.head_position().await.unwrap() - before.0;
        assert_eq!(appended, 1, "key {key}: one append in all");
        match other {
            Ok(o) => {
                // The other request won: every copy of the first was refused.
                assert!(!o.replayed);
                assert!(same.is_empty(), "copies of a request that lost: {same:?}");
            }
            Err(CommandError::Store(StoreError::IdempotencyMismatch { .. })) => {
                assert_eq!(same.len(), 5, "every copy answered");
                assert_eq!(same.iter().filter(|o| !o.replayed).count(), 1);
                assert!(same.iter().all(|o| o.receipt == same[0].receipt));
            }
            Err(e) => panic!("key {key}: the other request failed otherwise: {e}"),
        }
    }
}
