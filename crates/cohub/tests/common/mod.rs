//! Running the real `cohub` binary from the CLI tests, the same way in every test file.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `cohub` with `args`, with no data directory or database from the environment and no
/// standard input (so outputs are pipes, never a terminal).
pub fn cohub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cohub"))
        .args(args)
        .env_remove("COHUB_DATA")
        .env_remove("COHUB_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run cohub")
}

/// Pipes must never see progress-bar output (escape codes or carriage returns).
pub fn assert_quiet(args: &[&str], out: &Output) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.contains(&0x1b) && !bytes.contains(&b'\r'),
            "{name} of piped `cohub {args:?}` holds terminal control output: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// Runs a command that must succeed quietly, and returns its output.
pub fn ok(args: &[&str]) -> Output {
    let out = cohub(args);
    assert!(
        out.status.success(),
        "cohub {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_quiet(args, &out);
    out
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
