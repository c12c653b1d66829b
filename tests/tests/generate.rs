//! `cohub generate` writes a realistic log through the real append path: the chains verify,
//! the export holds every family of events the benchmarks rely on, the run says exactly how
//! many events it wrote, and a second run into the same store is refused without `--append`,
//! writing nothing.

use anyhow::{Context, Result};
use cohub_e2e::{cohub_output, export_log, run_cohub};
use std::collections::BTreeMap;

/// The number after `Generated ` in the summary line.
fn generated(stdout: &str) -> Result<u64> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Generated "))
        .with_context(|| format!("no summary line in:\n{stdout}"))?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("no count")?
        .parse()?)
}

/// The total of `hub …: OK, N events` lines; fails on any other hub line.
fn verified_events(stdout: &str) -> Result<u64> {
    let mut total = 0;
    for line in stdout.lines().filter(|l| l.starts_with("hub ")) {
        let rest = line
            .split_once(": OK, ")
            .with_context(|| format!("a chain did not verify: {line}"))?
            .1;
        total += rest
            .split_whitespace()
            .next()
            .context("no count")?
            .parse::<u64>()?;
    }
    Ok(total)
}

#[tokio::test]
async fn generate_writes_a_realistic_verifiable_log_and_refuses_a_full_store() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let data = data.to_str().context("UTF-8 path")?;

    // Two workstreams per hub, so each runs through several whole cycles.
    let out = run_cohub(&[
        "generate",
        "--data",
        data,
        "--events",
        "3000",
        "--hubs",
        "3",
        "--concurrency",
        "6",
    ])
    .await?;
    let written = generated(&out)?;
    assert!(
        (3000..3100).contains(&written),
        "wrote {written} events for a target of 3000:\n{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("hub ")).count(),
        3,
        "three hubs:\n{out}"
    );

    let (status, verify, _) = cohub_output(&["verify", "--data", data]).await?;
    assert!(status.success(), "verify failed:\n{verify}");
    assert_eq!(
        verify.lines().filter(|l| l.contains(": OK, ")).count(),
        3,
        "{verify}"
    );
    assert_eq!(verified_events(&verify)?, written, "{verify}");

    let log = export_log(std::path::Path::new(data)).await?;
    assert_eq!(log.len() as u64, written);
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    let mut on_behalf = 0;
    for envelope in &log {
        let event_type = envelope["event_type"]
            .as_str()
            .with_context(|| format!("no event_type in {envelope}"))?;
        *by_type.entry(event_type.to_string()).or_default() += 1;
        if event_type == "IdeaProposed" && !envelope["payload"]["on_behalf_of"].is_null() {
            assert!(
                !envelope["payload"]["on_behalf_of"]["how_residents_agreed"].is_null(),
                "a proposal on behalf of residents says how they agreed: {envelope}"
            );
            on_behalf += 1;
        }
    }
    for family in [
        "HubFounded",
        "OrganisationAdmitted",
        "MemberAdmitted",
        "ProblemFramed",
        "PerspectiveAdded",
        "ProblemEndorsed",
        "ProblemRevised",
        "IdeaProposed",
        "IdeaRevised",
        "FeedbackGiven",
        "FeedbackResponded",
        "DistributionProposed",
        "DistributionAmended",
        "DistributionConsented",
        "DistributionObjected",
        "DistributionAgreed",
    ] {
        assert!(
            by_type.get(family).copied().unwrap_or(0) > 0,
            "no {family} in the generated log: {by_type:?}"
        );
    }
    assert!(on_behalf > 0, "no idea proposed on behalf of residents");
    let kinds: std::collections::BTreeSet<&str> = log
        .iter()
        .filter(|e| e["event_type"] == "OrganisationAdmitted")
        .filter_map(|e| e["payload"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.len(),
        4,
        "organisations of every stakeholder kind: {kinds:?}"
    );

    // Again, without --append: refused in plain words, exit 2, nothing written.
    let (status, stdout, stderr) =
        cohub_output(&["generate", "--data", data, "--events", "100", "--hubs", "1"]).await?;
    assert_eq!(status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("already holds") && stderr.contains("--append"),
        "{stderr}"
    );
    assert_eq!(
        export_log(std::path::Path::new(data)).await?.len(),
        log.len()
    );

    // With --append, new hubs are added and the whole log still verifies.
    let out = run_cohub(&[
        "generate", "--data", data, "--events", "100", "--hubs", "1", "--append",
    ])
    .await?;
    let more = generated(&out)?;
    let (status, verify, _) = cohub_output(&["verify", "--data", data]).await?;
    assert!(status.success(), "{verify}");
    assert_eq!(verified_events(&verify)?, written + more, "{verify}");
    Ok(())
}
