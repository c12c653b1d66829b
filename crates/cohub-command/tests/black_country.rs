//! DOMAIN.md's whole Black Country example, played through the command service onto a sled
//! store on disk; then reopened, verified, tampered with; and every kind of rejection checked
//! to leave the log exactly as it was.

use chrono::{DateTime, Duration, Utc};
use cohub_command::{decode, CommandError, CommandService, Submission};
use cohub_domain::distribution::{DistributionCommand, DistributionStatus};
use cohub_domain::example::{self, *};
use cohub_domain::hub::HubCommand;
use cohub_domain::problem::ProblemCommand;
use cohub_domain::text::PlainText;
use cohub_domain::{DomainCommand, DomainError, MemberId, Rule, World};
use cohub_store::sled_store::SledStore;
use cohub_store::{ChainHead, EventStore, StoreError, Verification};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A clock that ticks one minute per reading from the example's start, as `example::play` does.
fn ticking_clock() -> cohub_command::Clock {
    let tick = Arc::new(AtomicI64::new(0));
    let start = example::start_time();
    Arc::new(move || start + Duration::minutes(tick.fetch_add(1, Ordering::SeqCst)))
}

async fn fold_log(store: &dyn EventStore) -> World {
    let mut world = World::new();
    for envelope in store.read_all(0, usize::MAX).await.unwrap() {
        world.apply(&decode(&envelope).unwrap());
    }
    world
}

async fn play(service: &CommandService) {
    for step in example::steps() {
        service
            .execute(Submission::new(step.actor, step.command.clone()))
            .await
            .unwrap_or_else(|e| panic!("step {:?} failed: {e}", step.note));
    }
}

fn en(text: &str) -> PlainText {
    PlainText {
        text: text.to_string(),
        lang: "en".to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_story_through_domain_and_store_survives_reopen_and_detects_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let store = SledStore::open(&path).unwrap();
    let service = CommandService::with_clock(Arc::new(store.clone()), ticking_clock());
    play(&service).await;

    // The log folds to exactly the world the pure example reaches in memory.
    let (expected, _) = example::play(example::start_time()).unwrap();
    let world = fold_log(&store).await;
    assert_eq!(world, expected);
    let distribution = &world.distributions[&DISTRIBUTION];
    assert_eq!(distribution.status, DistributionStatus::Agreed);
    assert_eq!(distribution.versions.len(), 2, "version 1 and version 2");
    let Verification::Ok(head) = store.verify_hub(HUB.uuid()).await.unwrap() else {
        panic!("a fresh chain verifies");
    };
    let before = store.read_all(0, usize::MAX).await.unwrap();
    store.close().await.unwrap();
    drop(service);
    drop(store);

    // Reopened from disk: identical log, identical state, the same head.
    let store = SledStore::open(&path).unwrap();
    assert_eq!(store.read_all(0, usize::MAX).await.unwrap(), before);
    assert_eq!(fold_log(&store).await, expected);
    assert_eq!(
        store.verify_hub(HUB.uuid()).await.unwrap(),
        Verification::Ok(head)
    );

    // Change one stored byte of one event: verification names that event's position.
    let victim = &before[before.len() / 2];
    let mut bytes = store
        .raw_event_bytes(victim.position)
        .unwrap()
        .expect("stored");
    let at = bytes
        .windows(b"Black".len())
        .position(|w| w == b"Black")
        .or_else(|| bytes.iter().position(|b| b.is_ascii_lowercase()))
        .expect("a letter to change");
    bytes[at] ^= 0x20; // flip letter case: still valid JSON, different content
    store.raw_put_event_bytes(victim.position, &bytes).unwrap();
    match store.verify_hub(HUB.uuid()).await.unwrap() {
        Verification::Broken {
            hub_seq, position, ..
        } => {
            assert_eq!(hub_seq, victim.hub_seq);
            assert_eq!(position, Some(victim.position));
        }
        ok => panic!("a changed byte must break the chain, got {ok:?}"),
    }
}

/// The log's length and chain head, which no rejection may change.
async fn log_mark(store: &dyn EventStore) -> (u64, ChainHead) {
    (
        store.head_position().await.unwrap(),
        store.chain_head(HUB.uuid()).await.unwrap(),
    )
}

async fn rejected(
    service: &CommandService,
    actor: MemberId,
    command: impl Into<DomainCommand>,
) -> CommandError {
    let store = service.store().clone();
    let before = log_mark(store.as_ref()).await;
    let err = service
        .execute(Submission::new(actor, command))
        .await
        .expect_err("the command must be rejected");
    assert!(
        !err.to_string().trim().is_empty(),
        "a plain-language message"
    );
    assert_eq!(
        log_mark(store.as_ref()).await,
        before,
        "rejection changed the log: {err}"
    );
    err
}

fn rule_of(err: &CommandError) -> Option<Rule> {
    match err {
        CommandError::Domain(DomainError::Rule { rule, .. }) => Some(*rule),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_rejection_leaves_the_log_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("log")).unwrap();
    let clock_now: DateTime<Utc> = Utc::now();
    let service = CommandService::with_clock(Arc::new(store.clone()), Arc::new(move || clock_now));
    play(&service).await;

    // Validation: an over-long text, and a language tag that is not one.
    let err = rejected(
        &service,
        FACILITATOR,
        HubCommand::AdoptCharter {
            hub_id: HUB,
            text: en(&"x".repeat(100_000)),
        },
    )
    .await;
    assert!(
        matches!(&err, CommandError::Domain(e) if e.is_validation()),
        "{err:?}"
    );
    let err = rejected(
        &service,
        FACILITATOR,
        HubCommand::AdoptCharter {
            hub_id: HUB,
            text: PlainText {
                text: "Fine words".into(),
                lang: "<script>".into(),
            },
        },
    )
    .await;
    assert!(
        matches!(&err, CommandError::Domain(e) if e.is_validation()),
        "{err:?}"
    );

    // Forbidden: a champion cannot admit organisations; a stranger is not a member.
    let err = rejected(
        &service,
        CHAMPION,
        HubCommand::AdmitOrganisation {
            hub_id: HUB,
            organisation_id: cohub_domain::OrganisationId::new(),
            name: "Unvetted Ltd".into(),
            kind: cohub_domain::StakeholderKind::Innovator,
        },
    )
    .await;
    assert!(
        matches!(err, CommandError::Domain(DomainError::Forbidden(_))),
        "{err:?}"
    );
    let err = rejected(
        &service,
        MemberId::new(),
        ProblemCommand::EndorseProblem {
            problem_id: PROBLEM,
        },
    )
    .await;
    assert!(
        matches!(err, CommandError::Domain(DomainError::Forbidden(_))),
        "{err:?}"
    );

    // Not found: a distribution nobody proposed.
    let err = rejected(
        &service,
        FIRM_LEAD,
        DistributionCommand::ConsentToDistribution {
            distribution_id: cohub_domain::DistributionId::new(),
            version: 1,
        },
    )
    .await;
    assert!(
        matches!(err, CommandError::Domain(DomainError::NotFound(_))),
        "{err:?}"
    );

    // Rules: nobody revises another's words; consent to a voided version; shares must sum
    // to 10000; a community organisation must be a party.
    let err = rejected(
        &service,
        NURSE,
        ProblemCommand::ReviseProblem {
            problem_id: PROBLEM,
            framing: example::framing(),
            rationale: en("I would put it differently."),
            answers: vec![],
        },
    )
    .await;
    assert_eq!(
        rule_of(&err),
        Some(Rule::NobodyRevisesAnothersWords),
        "{err:?}"
    );
    let err = rejected(
        &service,
        FIRM_LEAD,
        DistributionCommand::ConsentToDistribution {
            distribution_id: DISTRIBUTION,
            version: 1,
        },
    )
    .await;
    assert!(
        matches!(
            err,
            CommandError::Domain(DomainError::Conflict(_) | DomainError::Rule { .. })
        ),
        "{err:?}"
    );
    let mut bad_shares = example::terms_v2();
    bad_shares.rewards[0].shares[0].basis_points -= 1;
    let err = rejected(
        &service,
        FIRM_LEAD,
        DistributionCommand::StartVariationRound {
            distribution_id: DISTRIBUTION,
            terms: bad_shares,
            rationale: en("Adjust the shares."),
        },
    )
    .await;
    assert_eq!(rule_of(&err), Some(Rule::SharesMustSumTo10000), "{err:?}");
    let mut no_community = example::terms_v2();
    let community = [ORG_HOUSING, ORG_MOSQUE, ORG_CARERS];
    no_community.parties.retain(|p| !community.contains(p));
    no_community.costs.retain(|c| !community.contains(&c.party));
    for reward in &mut no_community.rewards {
        reward.shares.retain(|s| !community.contains(&s.party));
        let n = reward.shares.len() as u32;
        for (i, share) in reward.shares.iter_mut().enumerate() {
            share.basis_points = 10_000 / n + u32::from(i == 0) * (10_000 % n);
        }
    }
    no_community.rewards.retain(|r| !r.shares.is_empty());
    let err = rejected(
        &service,
        FIRM_LEAD,
        DistributionCommand::StartVariationRound {
            distribution_id: DISTRIBUTION,
            terms: no_community,
            rationale: en("Fewer parties."),
        },
    )
    .await;
    assert_eq!(
        rule_of(&err),
        Some(Rule::CommunityOrganisationMustBeParty),
        "{err:?}"
    );

    // A suspended member can do nothing.
    service
        .execute(Submission::new(
            FACILITATOR,
            HubCommand::SuspendMember {
                hub_id: HUB,
                member_id: GP,
                reason: en("Paused at their request."),
            },
        ))
        .await
        .unwrap();
    let err = rejected(
        &service,
        GP,
        ProblemCommand::EndorseProblem {
            problem_id: PROBLEM,
        },
    )
    .await;
    assert_eq!(rule_of(&err), Some(Rule::InactiveMember), "{err:?}");

    // A stale expected version is a conflict, never an overwrite.
    let current = store.stream_version(&PROBLEM.stream_id()).await.unwrap();
    let before = log_mark(&store).await;
    let err = service
        .execute(Submission {
            expected_version: Some(current - 1),
            ..Submission::new(
                NURSE,
                ProblemCommand::EndorseProblem {
                    problem_id: PROBLEM,
                },
            )
        })
        .await
        .expect_err("stale");
    assert!(
        matches!(err, CommandError::Store(StoreError::Conflict { .. })),
        "{err:?}"
    );
    assert_eq!(log_mark(&store).await, before);

    // A retried command with an idempotency key returns the first receipt and appends nothing.
    let submit = || Submission {
        idempotency_key: Some("nurse-endorses-once".into()),
        ..Submission::new(
            NURSE,
            ProblemCommand::EndorseProblem {
                problem_id: PROBLEM,
            },
        )
    };
    let first = service.execute(submit()).await.unwrap();
    let after_first = log_mark(&store).await;
    let again = service.execute(submit()).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.receipt, first.receipt);
    assert_eq!(log_mark(&store).await, after_first);
}
