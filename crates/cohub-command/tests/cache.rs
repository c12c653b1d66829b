//! The stream cache folds only a stream's tail, and always gives what folding the whole
//! stream gives, including after other writers appended to it.

use cohub_command::{CommandService, StreamCache, Submission};
use cohub_domain::example;
use cohub_store::SledStore;
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
