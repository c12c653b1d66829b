//! Racing consents and amendments on one distribution over real HTTP against a real
//! `cohub serve`: many leads consent to whatever version they last read while others amend it
//! (or, once agreed, start a variation round). Afterwards the log (`cohub export`) is replayed
//! with an independent model of the rule, and the served read model is compared with it:
//!
//! - a consent is only ever recorded for the version that was the latest at that moment (a
//!   consent to a voided version never counts);
//! - an amendment voids exactly the consents standing on the version it replaces;
//! - an agreement is recorded only when every party consented to the latest version;
//! - what GraphQL serves (current version, standing consents, missing parties) is what the log
//!   says;
//! - the chain verifies and the read models equal a rebuild from the log.
//!
//! Also: copies of one keyed mutation sent at once all get the same receipt, and the log holds
//! it once; and 64 clients giving feedback on one idea at the same moment are all carried out,
//! none told of a conflict.

use anyhow::{ensure, Context, Result};
use cohub_e2e::{cohub_output, demo_token, export_log, Server};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const IDEA: &str = "0c0b0000-0005-7000-8000-000000000001";
const ORG_HOUSING: &str = "0c0b0000-0002-7000-8000-000000000002";
const ORG_MOSQUE: &str = "0c0b0000-0002-7000-8000-000000000003";
const ORG_CARERS: &str = "0c0b0000-0002-7000-8000-000000000004";
const ORG_GLUCOLINK: &str = "0c0b0000-0002-7000-8000-000000000005";
const ORG_ICB: &str = "0c0b0000-0002-7000-8000-00000000000a";

const RECEIPT: &str =
    "receipt { firstPosition lastPosition hubSeq streamVersion hash eventIds replayed }";

/// Terms over the five parties; `shift` moves revenue share between the firm and the housing
/// association so every amendment is a real change.
fn terms(shift: u64) -> Value {
    let shift = shift % 1000;
    json!({
        "parties": [ORG_GLUCOLINK, ORG_HOUSING, ORG_MOSQUE, ORG_ICB, ORG_CARERS],
        "costs": [{ "party": ORG_ICB, "kind": "MONEY", "amount": 40000, "unit": "GBP" }],
        "rewards": [
            { "kind": "REVENUE_SHARE", "description": { "text": "Resale revenue." }, "shares": [
                { "party": ORG_GLUCOLINK, "basisPoints": 5500 - shift },
                { "party": ORG_HOUSING, "basisPoints": 2000 + shift },
                { "party": ORG_MOSQUE, "basisPoints": 1500 },
                { "party": ORG_CARERS, "basisPoints": 1000 },
            ] },
            { "kind": "LICENCE", "description": { "text": "A free licence for three years." }, "shares": [
                { "party": ORG_ICB, "basisPoints": 10000 },
            ] },
        ],
        "terms": { "text": format!("A pilot of voice reminders, round {shift}.") },
    })
}

struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Client {
    /// Posts a request; waits and repeats it when the member's rate limit (`LIMIT`) refuses it.
    async fn gql(&self, query: &str, variables: Value) -> Result<Value> {
        loop {
            let resp = self
                .http
                .post(&self.url)
                .bearer_auth(&self.token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await?;
            let v: Value = resp.json().await?;
            if error_code(&v).as_deref() == Some("LIMIT") {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            return Ok(v);
        }
    }
}

fn error_code(v: &Value) -> Option<String> {
    v.get("errors").filter(|e| !e.is_null()).map(|e| {
        e[0]["extensions"]["code"]
            .as_str()
            .unwrap_or("?")
            .to_string()
    })
}

async fn current(client: &Client, id: &str) -> Result<(u64, String)> {
    let v = client
        .gql(
            "query($d: UUID!) { distribution(id: $d) { status current { version } } }",
            json!({ "d": id }),
        )
        .await?;
    let d = &v["data"]["distribution"];
    Ok((
        d["current"]["version"]
            .as_u64()
            .with_context(|| format!("no version in {v}"))?,
        d["status"].as_str().unwrap_or_default().to_string(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_consents_and_amendments_over_http_never_count_a_voided_consent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let client = |token: String| Client {
        http: http.clone(),
        url: server.url("/graphql"),
        token,
    };

    // A fresh distribution for the demo idea, open at version 1.
    let firm = client(demo_token(dir.path(), "firm_lead").await?);
    let distribution = Uuid::now_v7().to_string();
    let proposed = firm
        .gql(
            &format!("mutation($input: ProposeDistributionInput!) {{ proposeDistribution(input: $input) {{ distribution {{ id }} {RECEIPT} }} }}"),
            json!({ "input": { "ideaId": IDEA, "distributionId": distribution, "terms": terms(0) } }),
        )
        .await?;
    ensure!(
        error_code(&proposed).is_none(),
        "propose failed: {proposed}"
    );

    let rounds: u64 = std::env::var("COHUB_CONCURRENCY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let done = Arc::new(AtomicBool::new(false));
    let consented = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let mut consenters = Vec::new();
    for lead in [
        "firm_lead",
        "housing_lead",
        "mosque_lead",
        "icb_commissioner",
        "carers_lead",
        "housing_lead",
        "carers_lead",
    ] {
        let c = client(demo_token(dir.path(), lead).await?);
        let (done, consented, refused, distribution) = (
            done.clone(),
            consented.clone(),
            refused.clone(),
            distribution.clone(),
        );
        consenters.push(tokio::spawn(async move {
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (version, _) = current(&c, &distribution).await?;
                let v = c
                    .gql(
                        &format!("mutation($input: ConsentToDistributionInput!) {{ consentToDistribution(input: $input) {{ {RECEIPT} }} }}"),
                        json!({ "input": { "distributionId": distribution, "version": version } }),
                    )
                    .await?;
                match error_code(&v).as_deref() {
                    None => consented.fetch_add(1, Ordering::SeqCst),
                    // Stale version, already consented, or already agreed.
                    Some("CONFLICT" | "RULE") => refused.fetch_add(1, Ordering::SeqCst),
                    Some(other) => anyhow::bail!("a consent failed with {other}: {v}"),
                };
                if finished {
                    return Ok::<(), anyhow::Error>(());
                }
                // Two requests per round: stay near the per-member rate limit, not far over it.
                tokio::time::sleep(Duration::from_millis(80)).await;
            }
        }));
    }
    let mut amenders = Vec::new();
    for (who, offset) in [("firm_lead", 0u64), ("facilitator", 500u64)] {
        let c = client(demo_token(dir.path(), who).await?);
        let distribution = distribution.clone();
        amenders.push(tokio::spawn(async move {
            let mut written = 0;
            let mut attempt = 0;
            while written < rounds && attempt < rounds * 20 {
                attempt += 1;
                let pause = if attempt % 4 == 0 { 60 } else { attempt % 7 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let (_, status) = current(&c, &distribution).await?;
                let field = if status == "AGREED" { "startVariationRound" } else { "amendDistribution" };
                let ty = if status == "AGREED" { "StartVariationRoundInput" } else { "AmendDistributionInput" };
                let v = c
                    .gql(
                        &format!("mutation($input: {ty}!) {{ {field}(input: $input) {{ {RECEIPT} }} }}"),
                        json!({ "input": { "distributionId": distribution, "terms": terms(offset + attempt),
                                           "rationale": { "text": "The shares moved while parties were consenting." } } }),
                    )
                    .await?;
                match error_code(&v).as_deref() {
                    None => written += 1,
                    Some("CONFLICT" | "RULE") => {}
                    Some(other) => anyhow::bail!("an amendment failed with {other}: {v}"),
                }
            }
            Ok::<u64, anyhow::Error>(written)
        }));
    }
    let mut versions_written = 0;
    for a in amenders {
        versions_written += a.await??;
    }
    done.store(true, Ordering::SeqCst);
    for c in consenters {
        c.await??;
    }

    // What GraphQL serves now.
    let served = firm
        .gql(
            "query($d: UUID!) { distribution(id: $d) { status current { version } consents { version voided organisation { organisationId } } missingConsents { organisationId } } }",
            json!({ "d": distribution }),
        )
        .await?;
    ensure!(
        error_code(&served).is_none(),
        "the served distribution: {served}"
    );
    let served = served["data"]["distribution"].clone();
    server.stop().await?;

    // Replay the log with an independent model.
    let log = export_log(dir.path()).await?;
    let stream = format!("distribution-{distribution}");
    let (mut latest, mut parties, mut consents) =
        (0u64, BTreeSet::<String>::new(), BTreeSet::<String>::new());
    let (mut agreements, mut consents_logged, mut voided_total) = (0, 0u64, 0usize);
    let mut status = "PROPOSED";
    let mut agreed_versions = BTreeSet::new();
    let strings = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for e in log.iter().filter(|e| e["stream_id"] == stream.as_str()) {
        let p = &e["payload"];
        let version = p["version"].as_u64().unwrap_or_default();
        match e["event_type"].as_str().unwrap_or_default() {
            "DistributionProposed" => {
                latest = version;
                parties = strings(&p["terms"]["parties"]);
                consents.clear();
            }
            "DistributionAmended" => {
                ensure!(version == latest + 1, "an amendment skips a version");
                let voided: BTreeSet<String> = p["voided_consents"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|v| {
                                v["organisation_id"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_string()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ensure!(
                    voided == consents,
                    "v{version} voided {voided:?}, but {consents:?} stood on v{latest}"
                );
                voided_total += voided.len();
                latest = version;
                parties = strings(&p["terms"]["parties"]);
                consents.clear();
            }
            "VariationRoundStarted" => {
                ensure!(
                    version == latest + 1 && status == "AGREED",
                    "a variation round out of turn"
                );
                latest = version;
                parties = strings(&p["terms"]["parties"]);
                consents.clear();
                status = "PROPOSED";
            }
            "DistributionConsented" => {
                consents_logged += 1;
                ensure!(
                    version == latest,
                    "a consent to v{version} was recorded while v{latest} was the latest"
                );
                let org = p["organisation_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                ensure!(parties.contains(&org), "a consent by a non-party");
                ensure!(
                    consents.insert(org),
                    "one organisation consented twice to v{latest}"
                );
            }
            "DistributionAgreed" => {
                agreements += 1;
                ensure!(version == latest, "agreed a version that is not the latest");
                ensure!(
                    consents == parties,
                    "agreed v{latest} without every party's consent"
                );
                agreed_versions.insert(version);
                status = "AGREED";
            }
            other => anyhow::bail!("unexpected {other} in the race"),
        }
    }
    println!(
        "http race: {versions_written} new versions, {} consents accepted ({consents_logged} logged), {} refused as stale, repeated or after agreement, {voided_total} consents voided, {agreements} agreements",
        consented.load(Ordering::SeqCst),
        refused.load(Ordering::SeqCst)
    );
    ensure!(
        consents_logged == consented.load(Ordering::SeqCst),
        "acknowledged consents vs the log"
    );
    ensure!(
        versions_written > 0 && consents_logged > 0,
        "the race did not happen"
    );

    // The served read model agrees with the log.
    ensure!(
        served["current"]["version"].as_u64() == Some(latest),
        "served version vs log: {served}"
    );
    ensure!(served["status"] == status, "served status vs log: {served}");
    let standing: BTreeSet<String> = served["consents"]
        .as_array()
        .context("consents")?
        .iter()
        .filter(|c| c["voided"] == false && c["version"].as_u64() == Some(latest))
        .map(|c| {
            c["organisation"]["organisationId"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    ensure!(
        standing == consents,
        "served standing consents {standing:?} vs log {consents:?}"
    );
    // An unvoided consent to an older version is only ever one that made an agreement.
    for c in served["consents"].as_array().unwrap() {
        let v = c["version"].as_u64().unwrap_or_default();
        ensure!(
            v == latest || c["voided"] == true || agreed_versions.contains(&v),
            "a consent to superseded, never-agreed v{v} is served as standing: {c}"
        );
    }
    let missing: BTreeSet<String> = served["missingConsents"]
        .as_array()
        .context("missingConsents")?
        .iter()
        .map(|p| p["organisationId"].as_str().unwrap_or_default().to_string())
        .collect();
    let expected_missing: BTreeSet<String> = if status == "AGREED" {
        BTreeSet::new()
    } else {
        parties.difference(&consents).cloned().collect()
    };
    ensure!(
        missing == expected_missing,
        "served missing consents {missing:?} vs log {expected_missing:?}"
    );

    let d = dir.path().to_str().unwrap();
    let (s, out, err) = cohub_output(&["verify", "--data", d]).await?;
    ensure!(s.success(), "verify: {out}{err}");
    let (s, out, err) = cohub_output(&["rebuild", "--data", d, "--check"]).await?;
    ensure!(s.success(), "rebuild --check: {out}{err}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn copies_of_one_keyed_mutation_sent_at_once_append_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let nurse = Arc::new(Client {
        http,
        url: server.url("/graphql"),
        token: demo_token(dir.path(), "nurse").await?,
    });
    let mut receipts: BTreeMap<String, Value> = BTreeMap::new();
    for n in 0..10 {
        let key = format!("burst-http-{n}");
        let feedback = Uuid::now_v7();
        let copies: Vec<_> = (0..5)
            .map(|_| {
                let (nurse, key) = (nurse.clone(), key.clone());
                tokio::spawn(async move {
                    nurse
                        .gql(
                            &format!("mutation($input: GiveFeedbackInput!, $key: String) {{ giveFeedback(input: $input, idempotencyKey: $key) {{ {RECEIPT} }} }}"),
                            json!({ "key": key, "input": { "ideaId": IDEA, "feedbackId": feedback, "text": { "text": format!("Burst feedback {n}.") } } }),
                        )
                        .await
                })
            })
            .collect();
        let mut answers = Vec::new();
        for c in copies {
            let v = c.await??;
            ensure!(error_code(&v).is_none(), "a copy of {key} failed: {v}");
            let mut r = v["data"]["giveFeedback"]["receipt"].clone();
            r.as_object_mut().unwrap().remove("replayed");
            answers.push(r);
        }
        ensure!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "{key}: copies got different receipts: {answers:?}"
        );
        receipts.insert(key, answers.remove(0));
    }
    server.stop().await?;
    let log = export_log(dir.path()).await?;
    for (key, receipt) in &receipts {
        let appended: Vec<&Value> = log
            .iter()
            .filter(|e| e["idempotency_key"] == key.as_str())
            .collect();
        ensure!(
            appended.len() == 1,
            "{key} appended {} times",
            appended.len()
        );
        ensure!(
            receipt["eventIds"][0] == appended[0]["event_id"],
            "{key}: receipt vs log"
        );
    }
    Ok(())
}

/// 64 clients (six members) give feedback on one idea at the same moment, twice over: every
/// request is carried out (no CONFLICT reaches a client: commands on one stream take turns
/// inside the server), the log holds each exactly once at contiguous stream versions, the
/// served idea lists them all, and the read models equal a rebuild.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_on_one_idea_are_all_carried_out() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // No rate limit, so that the 64 really arrive at once.
    let server = Server::start_with(dir.path(), &["--demo", "--no-rate-limit"]).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut members = Vec::new();
    for who in [
        "nurse",
        "firm_lead",
        "housing_lead",
        "mosque_lead",
        "icb_commissioner",
        "facilitator",
    ] {
        members.push(Arc::new(Client {
            http: http.clone(),
            url: server.url("/graphql"),
            token: demo_token(dir.path(), who).await?,
        }));
    }
    let mut sent = BTreeSet::new();
    for round in 0..2 {
        let clients: Vec<_> = (0..64)
            .map(|n| {
                let client = members[n % members.len()].clone();
                let feedback = Uuid::now_v7();
                tokio::spawn(async move {
                    let v = client
                        .gql(
                            &format!("mutation($input: GiveFeedbackInput!) {{ giveFeedback(input: $input) {{ {RECEIPT} }} }}"),
                            json!({ "input": { "ideaId": IDEA, "feedbackId": feedback, "text": { "text": format!("Round {round}, client {n}.") } } }),
                        )
                        .await?;
                    anyhow::Ok((feedback, v))
                })
            })
            .collect();
        for c in clients {
            let (feedback, v) = c.await??;
            ensure!(
                error_code(&v).is_none(),
                "feedback {feedback} was not carried out: {v}"
            );
            ensure!(v["data"]["giveFeedback"]["receipt"]["replayed"] == false);
            sent.insert(feedback.to_string());
        }
    }
    let served = members[0]
        .gql(
            "query($i: UUID!) { idea(id: $i) { feedback { id } } }",
            json!({ "i": IDEA }),
        )
        .await?;
    let listed: BTreeSet<String> = served["data"]["idea"]["feedback"]
        .as_array()
        .with_context(|| format!("no feedback list in {served}"))?
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect();
    ensure!(
        sent.is_subset(&listed),
        "the served idea misses {} of the feedback",
        sent.difference(&listed).count()
    );
    server.stop().await?;

    let log = export_log(dir.path()).await?;
    let landed: Vec<String> = log
        .iter()
        .filter(|e| e["event_type"] == "FeedbackGiven")
        .filter_map(|e| e["payload"]["feedback_id"].as_str().map(str::to_string))
        .filter(|id| sent.contains(id))
        .collect();
    ensure!(landed.len() == 128, "{} of 128 in the log", landed.len());
    ensure!(
        landed.iter().collect::<BTreeSet<_>>().len() == 128,
        "a feedback appears twice"
    );
    let stream = format!("idea-{IDEA}");
    let versions: Vec<u64> = log
        .iter()
        .filter(|e| e["stream_id"] == stream.as_str())
        .filter_map(|e| e["stream_version"].as_u64())
        .collect();
    ensure!(
        versions == (1..=versions.len() as u64).collect::<Vec<_>>(),
        "the idea's stream versions are not 1, 2, 3, ...: {versions:?}"
    );
    let d = dir.path().to_str().context("path")?;
    let (s, out, err) = cohub_output(&["verify", "--data", d]).await?;
    ensure!(s.success(), "verify: {out}{err}");
    let (s, out, err) = cohub_output(&["rebuild", "--data", d, "--check"]).await?;
    ensure!(s.success(), "rebuild --check: {out}{err}");
    Ok(())
}
