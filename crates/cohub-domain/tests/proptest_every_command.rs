//! Every command variant of every aggregate, with generated hostile input (unicode edge cases,
//! control characters, huge lengths, random ids and versions, random share vectors, unknown,
//! suspended and removed actors), decided against the example hub at many points of its story.
//!
//! Properties: `decide` never panics and is deterministic; a refusal leaves the state exactly as
//! it was and explains itself in plain words with a known code; accepted events stay in the
//! target stream, are attributed to the actor, survive the codec, apply without panicking and
//! keep every invariant (`proptest_gen::invariants`: shares of each kind sum to 10000, a consent
//! counts only for the latest version, an agreement only with every party's consent, a hub
//! keeps a facilitator, nobody revises another's words, ...).
//!
//! `PROPTEST_CASES` raises (or lowers) the number of cases of every property.

mod proptest_gen;

use cohub_domain::*;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use proptest_gen::*;
use std::collections::BTreeMap;

fn one_command(
    command: BoxedStrategy<DomainCommand>,
) -> impl Strategy<
    Value = (
        &'static Snapshot,
        MemberId,
        DomainCommand,
        chrono::DateTime<chrono::Utc>,
    ),
> {
    (snapshot(), actor(), command, now())
}

fn run_one(
    (snap, actor, command, now): (
        &'static Snapshot,
        MemberId,
        DomainCommand,
        chrono::DateTime<chrono::Utc>,
    ),
) -> Result<(), TestCaseError> {
    let mut world = snap.world.clone();
    decide_and_check(&mut world, actor, &command, now).map(|_| ())
}

#[test]
fn hub_commands_never_panic_and_refusals_change_nothing() {
    check("hub", cases(2048), || one_command(hub_command()), run_one);
}

#[test]
fn problem_commands_never_panic_and_refusals_change_nothing() {
    check(
        "problem",
        cases(2048),
        || one_command(problem_command()),
        run_one,
    );
}

#[test]
fn idea_commands_never_panic_and_refusals_change_nothing() {
    check("idea", cases(2048), || one_command(idea_command()), run_one);
}

#[test]
fn distribution_commands_never_panic_and_refusals_change_nothing() {
    check(
        "distribution",
        cases(3072),
        || one_command(distribution_command()),
        run_one,
    );
}

#[test]
fn commands_survive_their_json_form() {
    // What the API and the idempotency fingerprint see: the command as JSON, and back.
    check("json", cases(512), any_command, |command| {
        let json = serde_json::to_string(&command).unwrap();
        let back: DomainCommand = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &command);
        prop_assert!(ALL_COMMANDS.contains(&command.name().as_str()));
        Ok(())
    });
}

/// Random scripts from a random point of the story: whatever sequence of accepted and refused
/// commands, the invariants hold after every step.
#[test]
fn random_scripts_keep_every_invariant() {
    check(
        "scripts",
        cases(512),
        || {
            let script = prop::collection::vec((actor(), any_command(), 0i64..40 * 86_400), 1..16);
            (snapshot(), script)
        },
        |(snap, script)| {
            let mut world = snap.world.clone();
            for (actor, command, offset) in script {
                let now = snap.at + chrono::Duration::seconds(offset);
                decide_and_check(&mut world, actor, &command, now)?;
            }
            Ok(())
        },
    );
}

/// Every one of the 34 command variants is generated, and every one is accepted at least once
/// by some actor against some snapshot: the generators reach past validation into the rules.
#[test]
fn every_command_variant_is_generated_and_sometimes_accepted() {
    let samples: usize = std::env::var("COHUB_PROPTEST_COVERAGE_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            // A fixed seed: the coverage figures are the same on every run.
            let mut runner = TestRunner::deterministic();
            let strategy = any_command();
            let actors = all_actors();
            let mut generated: BTreeMap<String, usize> = BTreeMap::new();
            let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
            for _ in 0..samples {
                let command = strategy.new_tree(&mut runner).unwrap().current();
                let name = command.name();
                *generated.entry(name.clone()).or_default() += 1;
                for snap in snapshots() {
                    for actor in &actors {
                        let later = snap.at + chrono::Duration::days(2);
                        if snap.world.decide(*actor, &command, later).is_ok() {
                            *accepted.entry(name.clone()).or_default() += 1;
                        }
                    }
                }
            }
            (generated, accepted)
        })
        .unwrap();
    let (generated, accepted) = handle.join().unwrap();
    println!("generated: {generated:?}");
    println!("accepted:  {accepted:?}");
    for name in ALL_COMMANDS {
        assert!(generated.contains_key(name), "{name} is never generated");
        assert!(accepted.contains_key(name), "{name} is never accepted");
    }
}

/// The snapshots themselves keep the invariants, and the stories they tell are the ones named.
#[test]
fn snapshots_are_what_they_say() {
    let snaps = snapshots();
    assert!(snaps.len() >= 12);
    for s in snaps {
        invariants(&s.world).unwrap_or_else(|e| panic!("{}: {e}", s.name));
    }
    let agreed = snaps.iter().find(|s| s.name == "agreed").unwrap();
    assert_eq!(
        agreed.world.distributions[&example::DISTRIBUTION].status,
        distribution::DistributionStatus::Agreed
    );
}
