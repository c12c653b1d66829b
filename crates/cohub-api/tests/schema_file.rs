//! The checked-in SDL (`schema/cohub.graphql`) is exactly what the code serves.
//!
//! Regenerate it after changing the schema with
//! `COHUB_WRITE_SCHEMA=1 cargo test -p cohub-api schema_file`.

use std::path::PathBuf;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/cohub.graphql")
}

#[test]
fn schema_file_matches_the_code() {
    let sdl = cohub_api::sdl();
    let path = schema_path();
    if std::env::var_os("COHUB_WRITE_SCHEMA").is_some_and(|v| v != "0" && !v.is_empty()) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &sdl).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != sdl {
        let first_difference = on_disk
            .lines()
            .zip(sdl.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or_else(|| on_disk.lines().count().min(sdl.lines().count()) + 1);
        panic!(
            "schema/cohub.graphql does not match the schema the code serves (first difference \
             at line {first_difference}).\nRegenerate it with:\n\n    \
             COHUB_WRITE_SCHEMA=1 cargo test -p cohub-api schema_file\n\nand commit the result."
        );
    }
}

#[test]
fn the_schema_has_a_mutation_for_every_domain_command() {
    let sdl = cohub_api::sdl();
    for field in [
        "foundHub",
        "admitOrganisation",
        "admitMember",
        "changeMemberRole",
        "suspendMember",
        "reinstateMember",
        "removeMember",
        "adoptCharter",
        "setMinimumDeliberationTime",
        "frameProblem",
        "addPerspective",
        "reviseProblem",
        "endorseProblem",
        "moveProblemStage",
        "acknowledgeProblemContribution",
        "proposeIdea",
        "reviseIdea",
        "supportIdea",
        "giveFeedback",
        "respondToFeedback",
        "acknowledgeIdeaContribution",
        "recordIdeaDecision",
        "withdrawIdea",
        "proposeDistribution",
        "amendDistribution",
        "consentToDistribution",
        "objectToDistribution",
        "closeAgreement",
        "withdrawDistribution",
        "startVariationRound",
    ] {
        assert!(
            sdl.contains(&format!("\t{field}(input: ")),
            "no mutation `{field}` in the schema"
        );
    }
    for sub in ["hubEvents(", "distributionStatus(", "chainHeadChanged("] {
        assert!(sdl.contains(sub), "no subscription {sub}");
    }
}
