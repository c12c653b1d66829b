//! Shared helpers for the unit tests: the example hub, played in memory, and assertions.

use chrono::{DateTime, Duration, Utc};

use crate::command::DomainCommand;
use crate::error::{DomainError, Rule};
use crate::event::DomainEvent;
use crate::example;
use crate::ids::MemberId;
use crate::world::World;

/// A time well after the example was played.
pub fn later() -> DateTime<Utc> {
    example::start_time() + Duration::days(1)
}

/// The example world after every step.
pub fn full() -> World {
    example::play(example::start_time())
        .expect("the example plays")
        .0
}

/// The example world after the steps before the first one whose note starts with `prefix`.
pub fn until(prefix: &str) -> World {
    let mut world = World::new();
    for (i, step) in example::steps().into_iter().enumerate() {
        if step.note.starts_with(prefix) {
            return world;
        }
        world
            .execute(
                step.actor,
                &step.command,
                example::start_time() + Duration::minutes(i as i64),
            )
            .expect("example step");
    }
    panic!("no step starts with {prefix}");
}

/// Runs a command that must succeed, applying its events.
pub fn ok(
    world: &mut World,
    actor: MemberId,
    command: impl Into<DomainCommand>,
) -> Vec<DomainEvent> {
    ok_at(world, actor, command, later())
}

/// Runs a command at a given time that must succeed.
pub fn ok_at(
    world: &mut World,
    actor: MemberId,
    command: impl Into<DomainCommand>,
    now: DateTime<Utc>,
) -> Vec<DomainEvent> {
    let command = command.into();
    world
        .execute(actor, &command, now)
        .unwrap_or_else(|e| panic!("{command:?} should succeed but: {e:?}"))
}

/// Runs a command that must fail; checks that the world is unchanged and returns the error.
pub fn err(world: &mut World, actor: MemberId, command: impl Into<DomainCommand>) -> DomainError {
    err_at(world, actor, command, later())
}

/// Runs a command at a given time that must fail.
pub fn err_at(
    world: &mut World,
    actor: MemberId,
    command: impl Into<DomainCommand>,
    now: DateTime<Utc>,
) -> DomainError {
    let before = world.clone();
    let command = command.into();
    let e = world
        .execute(actor, &command, now)
        .expect_err("command should be refused");
    assert_eq!(*world, before, "a refused command must change nothing");
    e
}

/// Asserts an error breaks the given rule.
pub fn assert_rule(e: DomainError, rule: Rule) {
    assert_eq!(e.rule(), Some(rule), "expected rule {rule:?}, got {e:?}");
}

/// Asserts an error has the given code.
pub fn assert_code(e: &DomainError, code: &str) {
    assert_eq!(e.code(), code, "expected {code}, got {e:?}");
}
