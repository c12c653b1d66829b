//! The stream cache folds only a stream's tail, and always gives what folding the whole
//! stream gives, including after other writers appended to it.

mod common;

use cohub_command::{CommandService, StreamCache, Submission};
use cohub_domain::example;
use cohub_domain::idea::IdeaCommand;
use cohub_domain::DomainCommand;
use cohub_store::SledStore;
use common::Instrumented;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread")]
async fn cached_folds_equal_whole_folds_at_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("log")).unwrap();
    // The service appends (with its own cache); this test's cache sees the stream grow
    // behind its back, as a second server on the same database would.
    let writer = CommandService::new(Arc::new(store.clone()));
    let cache = StreamCache::default();
    let uncached = StreamCache::new(0);
    let streams = [
        example::HUB.stream_id(),
        example::PROBLEM.stream_id(),
        example::IDEA.stream_id(),
        example::DISTRIBUTION.stream_id(),
    ];
    for step in example::steps() {
        writer
            .execute(Submission::new(step.actor, step.command.clone()))
            .await
            .unwrap();
        for stream in &streams {
            let cached = cache.fold(&store, stream).await.unwrap();
            let whole = uncached.fold(&store, stream).await.unwrap();
            assert_eq!(cached, whole, "{stream} after {:?}", step.note);
        }
    }
    let (version, world) = cache
        .fold(&store, &example::DISTRIBUTION.stream_id())
        .await
        .unwrap();
    assert!(version > 0);
    assert_eq!(
        world.distributions[&example::DISTRIBUTION].status,
        cohub_domain::distribution::DistributionStatus::Agreed
    );
}

/// Once the states a command needs are kept, deciding it reads the tails of all of them (the
/// target, the problem or idea it refers to, the hub) in one call, which PostgreSQL answers in
/// one round trip, and no stream one by one.
#[tokio::test(flavor = "multi_thread")]
async fn a_command_reads_the_streams_it_needs_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("log")).unwrap();
    let instrumented = Arc::new(Instrumented::new(store, Default::default()));
    let service = CommandService::new(instrumented.clone());
    let steps = example::steps();
    let feedback = steps
        .iter()
        .position(|s| {
            matches!(
                s.command,
                DomainCommand::Idea(IdeaCommand::GiveFeedback { .. })
            )
        })
        .expect("the example gives feedback");
    for step in &steps[..feedback] {
        service
            .execute(Submission::new(step.actor, step.command.clone()))
            .await
            .unwrap();
    }
    // The same feedback step, now that its idea, problem and hub are kept.
    let (single, batched) = (
        instrumented.stream_reads.load(Ordering::SeqCst),
        instrumented.batched_reads.load(Ordering::SeqCst),
    );
    let step = &steps[feedback];
    service
        .execute(Submission::new(step.actor, step.command.clone()))
        .await
        .unwrap();
    assert_eq!(
        instrumented.batched_reads.load(Ordering::SeqCst) - batched,
        1,
        "one call for the idea, its problem and the hub"
    );
    assert_eq!(instrumented.stream_reads.load(Ordering::SeqCst) - single, 0);
}
