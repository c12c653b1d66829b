//! The real `cohub` binary: demo → export → import → verify, refusal of tampered exports,
//! migration sled → PostgreSQL → sled, and no progress-bar output on pipes.

use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::{assert_quiet, cohub, ok, s};

/// A data directory holding the demo hub, and its export.
fn demo(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let data = dir.join("source");
    ok(&["demo", "--data", s(&data)]);
    let export = ok(&["export", "--data", s(&data)]).stdout;
    assert!(!export.is_empty(), "the demo exports events");
    (data, export)
}

fn export_of(data: &Path) -> Vec<u8> {
    ok(&["export", "--data", s(data)]).stdout
}

#[test]
fn export_import_round_trip_is_identical() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, export) = demo(tmp.path());
    let file = tmp.path().join("log.jsonl");
    std::fs::write(&file, &export).expect("write export");

    let restored = tmp.path().join("restored");
    let out = ok(&["import", "--data", s(&restored), s(&file)]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("imported"),
        "import reports what it did"
    );
    let verify = ok(&["verify", "--data", s(&restored)]);
    let verify = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.contains(": OK,"), "restored log verifies: {verify}");
    assert!(!verify.contains("BROKEN"), "{verify}");
    assert_eq!(
        export_of(&restored),
        export,
        "identical export bytes after a restore"
    );

    // Importing the same file again does not continue the log: refused, nothing written.
    let again = cohub(&["import", "--data", s(&restored), s(&file)]);
    assert_eq!(again.status.code(), Some(1), "a repeated import is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("line 1"));
    assert_eq!(export_of(&restored), export, "nothing was written");
}

#[test]
fn import_from_stdin() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, export) = demo(tmp.path());
    let restored = tmp.path().join("restored");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cohub"))
        .args(["import", "--data", s(&restored), "-"])
        .env_remove("COHUB_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&export).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_quiet(&["import", "-"], &out);
    assert_eq!(export_of(&restored), export);
}

/// Imports a tampered file and checks it is refused naming `line`, with the target left empty.
fn refused(tmp: &Path, name: &str, lines: Vec<String>, line: usize) {
    let file = tmp.join(format!("{name}.jsonl"));
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");
    let target = tmp.join(format!("target-{name}"));
    let args = ["import", "--data", s(&target), s(&file)];
    let out = cohub(&args);
    assert_quiet(&args, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: refused ({stderr})");
    assert!(
        stderr.contains(&format!("line {line}:")),
        "{name}: names line {line}: {stderr}"
    );
    assert!(stderr.contains("nothing imported"), "{name}: {stderr}");
    // The target stays empty.
    let export = cohub(&["export", "--data", s(&target)]);
    assert!(
        export.stdout.is_empty(),
        "{name}: the target must stay empty, found {}",
        String::from_utf8_lossy(&export.stdout)
    );
}

#[test]
fn tampered_exports_are_refused_naming_the_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, export) = demo(tmp.path());
    let lines: Vec<String> = String::from_utf8(export)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect();
    assert!(lines.len() >= 6, "the demo has enough events");

    // A changed payload on line 5.
    let mut changed = lines.clone();
    let mut v: serde_json::Value = serde_json::from_str(&changed[4]).expect("json");
    v["payload"] = serde_json::json!({"tampered": true});
    changed[4] = v.to_string();
    refused(tmp.path(), "changed", changed, 5);

    // A removed line (line 3 gone: the old line 4 is now line 3).
    let mut removed = lines.clone();
    removed.remove(2);
    refused(tmp.path(), "removed", removed, 3);

    // Swapped lines 4 and 5.
    let mut swapped = lines.clone();
    swapped.swap(3, 4);
    refused(tmp.path(), "swapped", swapped, 4);

    // Not JSON at all on line 2.
    let mut garbage = lines.clone();
    garbage[1] = "{not json".into();
    refused(tmp.path(), "garbage", garbage, 2);
}

fn database_url() -> String {
    std::env::var("COHUB_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A throw-away PostgreSQL schema, dropped on drop.
struct Schema {
    url: String,
    name: String,
    rt: tokio::runtime::Runtime,
}

impl Schema {
    /// Creates the schema; panics without PostgreSQL (such a test never passes without it).
    fn new() -> Schema {
        use sqlx::Connection;
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let url = database_url();
        let name = format!("cohub_cli_{}", uuid::Uuid::now_v7().simple());
        let made = rt.block_on(async {
            let mut c = sqlx::PgConnection::connect(&url).await?;
            sqlx::query(&format!("CREATE SCHEMA \"{name}\""))
                .execute(&mut c)
                .await?;
            c.close().await
        });
        if let Err(e) = made {
            panic!(
                "PostgreSQL is required by this test but {url} is unreachable: {e}. \
                 Run the tests with scripts/test.sh, which starts it (or installs it) first."
            );
        }
        Schema { url, name, rt }
    }

    /// The URL selecting this schema.
    fn store_url(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.url, self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        use sqlx::Connection;
        let (url, name) = (self.url.clone(), self.name.clone());
        let _ = self.rt.block_on(async move {
            let mut c = sqlx::PgConnection::connect(&url).await?;
            sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .execute(&mut c)
                .await?;
            c.close().await
        });
    }
}

#[test]
fn migrate_sled_to_postgres_and_back() {
    let schema = Schema::new();
    let pg = schema.store_url();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (data, export) = demo(tmp.path());

    let out = ok(&["migrate", "--from", s(&data), "--to", &pg]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("same as the source"), "{printed}");
    assert!(
        !printed.contains("MISMATCH") && !printed.contains("BROKEN"),
        "{printed}"
    );

    assert_eq!(
        ok(&["export", "--store", &pg]).stdout,
        export,
        "PostgreSQL exports the same bytes"
    );
    let verify = ok(&["verify", "--store", &pg]);
    assert!(String::from_utf8_lossy(&verify.stdout).contains(": OK,"));

    // A non-empty target is refused.
    let again = cohub(&["migrate", "--from", s(&data), "--to", &pg]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("refused"));

    let back = tmp.path().join("back");
    ok(&["migrate", "--from", &pg, "--to", s(&back)]);
    assert_eq!(
        export_of(&back),
        export,
        "sled → PostgreSQL → sled is identical"
    );
}

#[test]
fn import_into_postgres() {
    let schema = Schema::new();
    let pg = schema.store_url();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, export) = demo(tmp.path());
    let file = tmp.path().join("log.jsonl");
    std::fs::write(&file, &export).expect("write");
    ok(&["import", "--store", &pg, s(&file)]);
    assert_eq!(ok(&["export", "--store", &pg]).stdout, export);
}
