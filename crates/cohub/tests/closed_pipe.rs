//! Output into a closed pipe (`cohub demo | head -1`, where `head` has gone before cohub writes):
//! every command that prints ends quietly, with success and nothing on stderr, instead of
//! panicking with "failed printing to stdout: Broken pipe".

use std::io::Read;
use std::process::{Command, Stdio};

mod common;
use common::s;

/// Runs `cohub args` with its stdout a pipe whose reading end is closed at once, and returns
/// the exit status and stderr.
fn into_closed_pipe(args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cohub"))
        .args(args)
        .env_remove("COHUB_DATA")
        .env_remove("COHUB_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cohub");
    // The reader goes away before cohub writes anything: its first write meets EPIPE.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    (child.wait().expect("wait for cohub"), stderr)
}

#[test]
fn every_printing_command_ends_quietly_when_its_reader_has_gone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let data = s(&data);
    // `demo` first: it writes the hub, then prints into the closed pipe.
    for args in [
        vec!["demo", "--data", data],
        vec!["demo", "--data", data],
        vec!["verify", "--data", data],
        vec!["export", "--data", data],
        vec!["token", "--data", data, "--member", "champion"],
        vec!["rebuild", "--data", data],
    ] {
        let (status, stderr) = into_closed_pipe(&args);
        assert!(
            status.success(),
            "`cohub {}` into a closed pipe exited with {status}; stderr: {stderr}",
            args.join(" ")
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "`cohub {}` into a closed pipe complained: {stderr}",
            args.join(" ")
        );
    }
    // The demo really was written despite the closed pipe.
    let out = common::ok(&["verify", "--data", data]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(": OK,"));
}
