//! The write side under concurrency, on a real sled store on disk: racing amendments and
//! consents on one distribution, racing revisions of one idea, and clients that time out and
//! retry with their idempotency key.
//!
//! Every check replays the log itself (not the service's answers) with an independent model of
//! the rules, so a lost update, a double append or a consent counted for a voided version would
//! show up even if every call had answered "ok".

mod common;

use cohub_command::{decode, CommandError, CommandService, Outcome, Submission};
use cohub_domain::distribution::{DistributionCommand, DistributionEvent, Terms};
use cohub_domain::example::{self, *};
use cohub_domain::idea::{IdeaCommand, IdeaEvent};
use cohub_domain::{
    DomainCommand, DomainError, DomainEvent, FeedbackId, MemberId, OrganisationId, PlainText, Rule,
};
use cohub_store::sled_store::SledStore;
use cohub_store::{Envelope, EventStore, StoreError, Verification};
use common::Instrumented;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A small deterministic PRNG (xorshift64*), so a failing run can be repeated from its seed.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn seeded(label: &str) -> Rng {
        let seed = std::env::var("COHUB_CONCURRENCY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        println!("{label}: seed {seed} (COHUB_CONCURRENCY_SEED={seed} to repeat)");
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn en(s: &str) -> PlainText {
    PlainText::en(s)
}

/// A sled store in a temporary directory with the example played up to (and including) the
/// step `until` names, through the command service.
async fn story_until(until: &str) -> (tempfile::TempDir, SledStore, CommandService) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("log")).unwrap();
    let service = CommandService::new(Arc::new(store.clone()));
    for step in example::steps() {
        let name = step.command.name();
        service
            .execute(Submission::new(step.actor, step.command))
            .await
            .unwrap_or_else(|e| panic!("story step {:?}: {e}", step.note));
        if name == until {
            break;
        }
    }
    (dir, store, service)
}

async fn log(store: &SledStore) -> Vec<Envelope> {
    store.read_all(0, usize::MAX).await.unwrap()
}

/// The log's own integrity: verified chain, gap-free positions, unique event ids, stream
/// versions 1, 2, 3, ... per stream.
async fn assert_log_sound(store: &SledStore) -> Vec<Envelope> {
    let envelopes = log(store).await;
    for v in store.verify_all().await.unwrap() {
        assert!(matches!(v, Verification::Ok(_)), "chain broken: {v:?}");
    }
    let mut ids = BTreeSet::new();
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for (i, e) in envelopes.iter().enumerate() {
        assert_eq!(e.position, i as u64 + 1, "positions have a gap");
        assert!(ids.insert(e.event_id), "event {} appears twice", e.event_id);
        let v = versions.entry(e.stream_id.as_str()).or_default();
        *v += 1;
        assert_eq!(
            e.stream_version, *v,
            "stream {} skips a version",
            e.stream_id
        );
    }
    envelopes
}

fn is_expected_refusal(e: &CommandError) -> bool {
    matches!(
        e,
        CommandError::Domain(DomainError::Conflict(_))
            | CommandError::Domain(DomainError::Rule { .. })
            | CommandError::Store(StoreError::Conflict { .. })
    )
}

/// A variant of version 2's terms (the revenue shares between the firm and the housing
/// association moved by `n` basis points), so every amendment is a real change.
fn terms_variant(n: u32) -> Terms {
    let mut t = terms_v2();
    let shift = n % 1000;
    t.rewards[0].shares[0].basis_points = 5500 - shift;
    t.rewards[0].shares[1].basis_points = 2000 + shift;
    t
}

async fn latest_distribution_version(store: &SledStore) -> u32 {
    let mut world = cohub_domain::World::new();
    for e in store
        .read_stream(&DISTRIBUTION.stream_id(), 0)
        .await
        .unwrap()
    {
        world.apply(&decode(&e).unwrap());
    }
    world.distributions[&DISTRIBUTION].version()
}

/// Many leads consent to whatever version they last read while others amend (or, once agreed,
/// start a variation round) as fast as they can. Replaying the log: every consent names the
/// version that was the latest when it was recorded; every agreement comes only when every
/// party of the latest version consented to that version; amendments void what they should.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_amendments_and_consents_never_count_a_voided_consent() {
    let (_dir, store, service) = story_until("amend_distribution").await;
    let race_start = store.head_position().await.unwrap();
    let mut rng = Rng::seeded("amend/consent race");
    let rounds: u32 = std::env::var("COHUB_CONCURRENCY_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let done = Arc::new(AtomicBool::new(false));
    let accepted_consents = Arc::new(AtomicU64::new(0));
    let refused_consents = Arc::new(AtomicU64::new(0));

    let mut consenters = Vec::new();
    // Two tasks per lead: the same organisation racing itself too.
    for lead in [
        FIRM_LEAD,
        HOUSING_LEAD,
        MOSQUE_LEAD,
        ICB_COMMISSIONER,
        CARERS_LEAD,
        FIRM_LEAD,
        CARERS_LEAD,
    ] {
        let (service, store, done) = (service.clone(), store.clone(), done.clone());
        let (ok, refused) = (accepted_consents.clone(), refused_consents.clone());
        let mut rng = Rng(rng.next() | 1);
        consenters.push(tokio::spawn(async move {
            loop {
                let finished = done.load(Ordering::SeqCst);
                let version = latest_distribution_version(&store).await;
                if rng.below(4) == 0 {
                    tokio::task::yield_now().await;
                }
                let result = service
                    .execute(Submission::new(
                        lead,
                        DistributionCommand::ConsentToDistribution {
                            distribution_id: DISTRIBUTION,
                            version,
                        },
                    ))
                    .await;
                match result {
                    Ok(_) => ok.fetch_add(1, Ordering::SeqCst),
                    Err(e) if is_expected_refusal(&e) => refused.fetch_add(1, Ordering::SeqCst),
                    Err(e) => panic!("unexpected failure of a consent: {e:?}"),
                };
                if finished {
                    break;
                }
            }
        }));
    }
    let mut amenders = Vec::new();
    for (who, offset) in [(FIRM_LEAD, 0u32), (FACILITATOR, 500u32)] {
        let (service, store) = (service.clone(), store.clone());
        let mut rng = Rng(rng.next() | 1);
        amenders.push(tokio::spawn(async move {
            let mut written = 0u32;
            let mut attempts = 0u32;
            while written < rounds && attempts < rounds * 20 {
                attempts += 1;
                // Mostly hurry; now and then give the parties time to reach agreement.
                let pause = if rng.below(4) == 0 {
                    30_000
                } else {
                    rng.below(3000)
                };
                tokio::time::sleep(Duration::from_micros(pause)).await;
                let terms = terms_variant(offset + attempts);
                let open = {
                    let mut world = cohub_domain::World::new();
                    for e in store
                        .read_stream(&DISTRIBUTION.stream_id(), 0)
                        .await
                        .unwrap()
                    {
                        world.apply(&decode(&e).unwrap());
                    }
                    world.distributions[&DISTRIBUTION].open_version()
                };
                // Nothing open: the latest version is agreed, so vary it; otherwise amend.
                let command = if open.is_none() {
                    DistributionCommand::StartVariationRound {
                        distribution_id: DISTRIBUTION,
                        terms,
                        rationale: en("Another round, to test the race."),
                    }
                } else {
                    DistributionCommand::AmendDistribution {
                        distribution_id: DISTRIBUTION,
                        terms,
                        rationale: en("The shares moved while parties were consenting."),
                    }
                };
                match service.execute(Submission::new(who, command)).await {
                    Ok(_) => written += 1,
                    Err(e) if is_expected_refusal(&e) => {}
                    Err(e) => panic!("unexpected failure of an amendment: {e:?}"),
                }
            }
            written
        }));
    }
    let mut versions_written = 0;
    for a in amenders {
        versions_written += a.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    for c in consenters {
        c.await.unwrap();
    }

    // Replay the log with an independent model of the rule.
    let envelopes = assert_log_sound(&store).await;
    let mut latest = 0u32;
    let mut parties: Vec<OrganisationId> = Vec::new();
    let mut consents: BTreeSet<OrganisationId> = BTreeSet::new();
    let mut objections: BTreeSet<OrganisationId> = BTreeSet::new();
    let mut agreements = 0;
    let mut voided_total = 0;
    let mut consents_logged = 0;
    for e in envelopes
        .iter()
        .filter(|e| e.stream_id == DISTRIBUTION.stream_id())
    {
        let DomainEvent::Distribution(event) = decode(e).unwrap() else {
            panic!("a foreign event in the distribution stream");
        };
        match event {
            DistributionEvent::DistributionProposed(p) => {
                latest = p.version;
                parties = p.terms.parties.clone();
                consents.clear();
                objections.clear();
            }
            DistributionEvent::DistributionAmended(a) => {
                assert_eq!(a.version, latest + 1, "amendment skips a version");
                let voided: BTreeSet<_> = a
                    .voided_consents
                    .iter()
                    .map(|v| v.organisation_id)
                    .collect();
                assert_eq!(
                    voided, consents,
                    "an amendment must void exactly the standing consents"
                );
                assert!(a.voided_consents.iter().all(|v| v.version == latest));
                voided_total += voided.len();
                latest = a.version;
                parties = a.terms.parties.clone();
                consents.clear();
                objections.clear();
            }
            DistributionEvent::VariationRoundStarted(v) => {
                assert_eq!(v.version, latest + 1);
                assert_eq!(v.agreed_version, latest);
                latest = v.version;
                parties = v.terms.parties.clone();
                consents.clear();
                objections.clear();
            }
            DistributionEvent::DistributionConsented(c) => {
                if e.position > race_start {
                    consents_logged += 1;
                }
                assert_eq!(
                    c.version, latest,
                    "a consent to version {} was recorded while version {latest} was the latest",
                    c.version
                );
                assert!(
                    parties.contains(&c.organisation_id),
                    "a consent by a non-party"
                );
                assert!(
                    consents.insert(c.organisation_id),
                    "one organisation consented twice to v{latest}"
                );
            }
            DistributionEvent::DistributionObjected(o) => {
                // Only the story's own objection (Carers Together to v1); none in the race.
                assert_eq!((o.version, o.organisation_id), (1, ORG_CARERS));
                assert_eq!(o.version, latest);
                consents.remove(&o.organisation_id);
                objections.insert(o.organisation_id);
            }
            DistributionEvent::DistributionAgreed(a) => {
                agreements += 1;
                assert_eq!(a.version, latest, "agreed a version that is not the latest");
                let all: BTreeSet<_> = parties.iter().copied().collect();
                assert_eq!(
                    consents, all,
                    "agreed without every party's consent to v{latest}"
                );
                assert!(objections.is_empty(), "agreed over a standing objection");
            }
            DistributionEvent::DistributionWithdrawn(_) => panic!("nobody withdrew"),
            other => {
                panic!("nobody answered, withdrew an objection, closed or abandoned: {other:?}")
            }
        }
    }
    println!(
        "race: {versions_written} new versions, {} consents accepted ({consents_logged} in the log), {} refused as stale or repeated, {voided_total} consents voided by amendments, {agreements} agreements",
        accepted_consents.load(Ordering::SeqCst),
        refused_consents.load(Ordering::SeqCst),
    );
    assert_eq!(consents_logged, accepted_consents.load(Ordering::SeqCst));
    assert!(
        versions_written > 0,
        "no amendment got through: the race did not happen"
    );
    assert!(consents_logged > 0);
    assert!(
        agreements > 0,
        "no agreement was reached: the race never completed a set"
    );
}

/// The author and another member revise one idea at the same time: only the author's revisions
/// land; racing revisions by the author with the same base either land as consecutive versions
/// (the service re-decides) or are refused with a conflict (when the client named its base);
/// none is silently lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_the_author_revises_and_racing_revisions_are_sequential_and_none_lost() {
    let (_dir, store, service) = story_until("propose_idea").await;
    let revise = |title: String| IdeaCommand::ReviseIdea {
        idea_id: IDEA,
        title: en(&title),
        summary: en("Champions record short voice reminders."),
        rationale: en("Clearer wording."),
        answers: vec![],
    };

    // Round 1: no expected version. The author and a champion who is not the author, 6 each.
    let mut tasks = Vec::new();
    for i in 0..6 {
        for who in [CHAMPION, CHAMPION_2] {
            let service = service.clone();
            let title = format!("Voice reminders, revision {i} by {who}");
            let command = revise(title.clone());
            tasks.push(tokio::spawn(async move {
                (
                    who,
                    title,
                    service.execute(Submission::new(who, command)).await,
                )
            }));
        }
    }
    let mut landed = BTreeSet::new();
    let mut conflicted = 0;
    for t in tasks {
        let (who, title, result) = t.await.unwrap();
        match (who, result) {
            (CHAMPION, Ok(outcome)) => {
                assert!(!outcome.replayed);
                landed.insert(title);
            }
            (CHAMPION, Err(CommandError::Store(StoreError::Conflict { .. }))) => conflicted += 1,
            (CHAMPION, Err(e)) => panic!("the author's revision failed: {e:?}"),
            (_, Ok(_)) => panic!("someone revised another's words"),
            (_, Err(e)) => assert!(
                matches!(
                    &e,
                    CommandError::Domain(DomainError::Rule {
                        rule: Rule::NobodyRevisesAnothersWords,
                        ..
                    })
                ),
                "a non-author's revision refused for the wrong reason: {e:?}"
            ),
        }
    }

    // Round 2: pairs of author revisions naming the same base version.
    let mut pairs_one_winner = 0;
    for round in 0..8 {
        let base = store.stream_version(&IDEA.stream_id()).await.unwrap();
        let a = {
            let service = service.clone();
            let command = revise(format!("Based on {base}, take A{round}"));
            tokio::spawn(async move {
                let mut s = Submission::new(CHAMPION, command);
                s.expected_version = Some(base);
                service.execute(s).await
            })
        };
        let b = {
            let service = service.clone();
            let command = revise(format!("Based on {base}, take B{round}"));
            tokio::spawn(async move {
                let mut s = Submission::new(CHAMPION, command);
                s.expected_version = Some(base);
                service.execute(s).await
            })
        };
        let results = [a.await.unwrap(), b.await.unwrap()];
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(
            wins, 1,
            "exactly one of two revisions on the same base wins: {results:?}"
        );
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, CommandError::Store(StoreError::Conflict { .. })),
                    "the loser is told of the conflict: {e:?}"
                );
            }
        }
        for (r, take) in results.iter().zip(["A", "B"]) {
            if r.is_ok() {
                landed.insert(format!("Based on {base}, take {take}{round}"));
            }
        }
        pairs_one_winner += 1;
    }

    // The log: versions 1..n, every revision by the author, each acknowledged one exactly once.
    let envelopes = assert_log_sound(&store).await;
    let mut version = 0;
    let mut titles = Vec::new();
    for e in envelopes.iter().filter(|e| e.stream_id == IDEA.stream_id()) {
        match decode(e).unwrap() {
            DomainEvent::Idea(IdeaEvent::IdeaProposed(p)) => version = p.version,
            DomainEvent::Idea(IdeaEvent::IdeaRevised(r)) => {
                assert_eq!(r.version, version + 1, "revision versions skip or repeat");
                assert_eq!(r.by, CHAMPION);
                assert_eq!(e.actor.member_id, CHAMPION.uuid());
                version = r.version;
                titles.push(r.title.text.clone());
            }
            _ => {}
        }
    }
    let unique: BTreeSet<_> = titles.iter().cloned().collect();
    assert_eq!(unique.len(), titles.len(), "a revision was appended twice");
    assert_eq!(
        unique, landed,
        "the log holds exactly the acknowledged revisions"
    );
    println!(
        "revisions: {} landed as versions 2..={version}, {conflicted} unretried conflicts in the free-for-all, {pairs_one_winner} same-base pairs with one winner each",
        titles.len()
    );
}

fn feedback(n: u64) -> (FeedbackId, DomainCommand) {
    let id = FeedbackId::from_u128(0xfeed_b0c0_0000_0000 + u128::from(n));
    (
        id,
        IdeaCommand::GiveFeedback {
            idea_id: IDEA,
            feedback_id: id,
            text: en(&format!("Feedback number {n}.")),
        }
        .into(),
    )
}

fn keyed(actor: MemberId, command: DomainCommand, key: &str) -> Submission {
    let mut s = Submission::new(actor, command);
    s.idempotency_key = Some(key.to_string());
    s
}

fn appended_with_key<'a>(envelopes: &'a [Envelope], key: &str) -> Vec<&'a Envelope> {
    envelopes
        .iter()
        .filter(|e| e.idempotency_key.as_deref() == Some(key))
        .collect()
}

/// A client gives up on a request after a random short time (the future is dropped mid-flight,
/// at whatever await point it had reached) and retries with the same idempotency key until it
/// gets an answer: exactly one append per key, and the answer is that append's receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_after_client_timeouts_append_exactly_once() {
    let (_dir, store, service) = story_until("propose_idea").await;
    let mut rng = Rng::seeded("time-out retries");
    let members = [NURSE, GP, FIRM_LEAD, HOUSING_LEAD, MOSQUE_LEAD, CHAMPION_2];
    let requests: u64 = 120;
    let mut timed_out_first = 0;
    let mut replayed_answers = 0;
    let mut answers: BTreeMap<String, Outcome> = BTreeMap::new();
    for n in 0..requests {
        let key = format!("client-timeout-{n}");
        let (_, command) = feedback(n);
        let actor = members[(n % members.len() as u64) as usize];
        let mut tries = 0;
        let outcome = loop {
            tries += 1;
            // The first tries give up after 0..2 ms (often mid-append); later ones wait.
            let patience = if tries < 4 {
                Duration::from_micros(rng.below(2000))
            } else {
                Duration::from_secs(10)
            };
            let submission = keyed(actor, command.clone(), &key);
            match tokio::time::timeout(patience, service.execute(submission)).await {
                Ok(Ok(outcome)) => break outcome,
                Ok(Err(e)) => panic!("request {n} failed on try {tries}: {e:?}"),
                Err(_) => {
                    if tries == 1 {
                        timed_out_first += 1;
                    }
                    // Sometimes retry at once, sometimes after the abandoned append landed.
                    if rng.below(2) == 0 {
                        tokio::time::sleep(Duration::from_micros(rng.below(3000))).await;
                    }
                }
            }
        };
        if outcome.replayed {
            replayed_answers += 1;
        }
        answers.insert(key, outcome);
    }

    let envelopes = assert_log_sound(&store).await;
    for (key, outcome) in &answers {
        let appended = appended_with_key(&envelopes, key);
        assert_eq!(appended.len(), 1, "key {key}: {} appends", appended.len());
        assert_eq!(
            outcome.receipt.event_ids,
            vec![appended[0].event_id],
            "key {key}: the answer is not the append's receipt"
        );
        assert_eq!(outcome.receipt.first_position, appended[0].position);
        assert_eq!(outcome.receipt.hash, appended[0].hash);
    }
    // And nothing without a key slipped in: every feedback is in the log once.
    let feedback_events = envelopes
        .iter()
        .filter(|e| e.event_type == "FeedbackGiven" && e.idempotency_key.is_some())
        .count();
    assert_eq!(feedback_events as u64, requests);
    println!(
        "time-outs: {requests} requests, {timed_out_first} abandoned on the first try, {replayed_answers} answered from the first attempt's receipt, each appended exactly once"
    );
    assert!(
        timed_out_first > 0,
        "no request timed out: the test exercised nothing"
    );
}

/// Several copies of one keyed request at once (a client that retried without waiting): every
/// copy gets the same receipt, and the log holds the events once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_append_once_and_share_the_receipt() {
    let (_dir, store, service) = story_until("propose_idea").await;
    for n in 0..40u64 {
        let key = format!("burst-{n}");
        let (_, command) = feedback(1000 + n);
        let copies: Vec<_> = (0..5)
            .map(|_| {
                let service = service.clone();
                let s = keyed(NURSE, command.clone(), &key);
                tokio::spawn(async move { service.execute(s).await })
            })
            .collect();
        let mut receipts = Vec::new();
        for c in copies {
            let outcome = c
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("copy of {key} failed: {e:?}"));
            receipts.push(outcome.receipt);
        }
        assert!(
            receipts.windows(2).all(|w| w[0] == w[1]),
            "{key}: copies got different receipts"
        );
        let envelopes = log(&store).await;
        assert_eq!(
            appended_with_key(&envelopes, &key).len(),
            1,
            "{key} appended more than once"
        );
    }
    assert_log_sound(&store).await;
}

/// The members who give feedback in the hot-stream tests, in turn.
const GIVERS: [MemberId; 6] = [NURSE, GP, FIRM_LEAD, HOUSING_LEAD, MOSQUE_LEAD, CHAMPION_2];

/// Gives `n` pieces of feedback on the idea at once (the n-th from `GIVERS[n % 6]`), each as
/// its own task; answers in the order sent.
async fn feedback_at_once(
    service: &CommandService,
    from: u64,
    n: u64,
) -> Vec<(FeedbackId, Result<Outcome, CommandError>)> {
    let tasks: Vec<_> = (from..from + n)
        .map(|i| {
            let service = service.clone();
            let (id, command) = feedback(i);
            let actor = GIVERS[(i % GIVERS.len() as u64) as usize];
            tokio::spawn(
                async move { (id, service.execute(Submission::new(actor, command)).await) },
            )
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}

/// The feedback ids the log holds on the idea, in log order.
fn feedback_in_log(envelopes: &[Envelope]) -> Vec<FeedbackId> {
    envelopes
        .iter()
        .filter_map(|e| match decode(e).unwrap() {
            DomainEvent::Idea(IdeaEvent::FeedbackGiven(f)) => Some(f.feedback_id),
            _ => None,
        })
        .collect()
}

/// 64 members give feedback on one idea at the same moment, in rounds: every one is carried
/// out (commands on one stream take turns inside the server, so none conflicts with another),
/// and the log holds each exactly once, at contiguous stream versions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hot_stream_takes_every_command_without_a_conflict() {
    let (_dir, store, service) = story_until("propose_idea").await;
    let before = store.stream_version(&IDEA.stream_id()).await.unwrap();
    let mut acknowledged = BTreeSet::new();
    for round in 0..4u64 {
        for (id, answer) in feedback_at_once(&service, round * 64, 64).await {
            let outcome = answer.unwrap_or_else(|e| panic!("feedback {id} was refused: {e:?}"));
            assert!(!outcome.replayed);
            assert_eq!(outcome.events.len(), 1);
            acknowledged.insert(id);
        }
    }
    let envelopes = assert_log_sound(&store).await;
    let landed = feedback_in_log(&envelopes);
    assert_eq!(landed.len(), 256, "every acknowledged feedback once");
    assert_eq!(
        landed.iter().copied().collect::<BTreeSet<_>>(),
        acknowledged
    );
    assert_eq!(
        store.stream_version(&IDEA.stream_id()).await.unwrap(),
        before + 256
    );
}

/// Placed appends that fail in the middle of a burst on one stream: the commands placed after
/// them (which counted on their versions) are decided again and carried out, the failed ones
/// are told of the failure, nobody is told of a conflict, and the log holds exactly the
/// acknowledged feedback.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_placement_in_a_burst_fails_only_its_own_command() {
    let (_dir, store, _) = story_until("propose_idea").await;
    let failing = Arc::new(Instrumented::new(
        store.clone(),
        [5, 17, 18, 40].into_iter().collect(),
    ));
    let service = CommandService::new(failing.clone());
    let answers = feedback_at_once(&service, 5000, 64).await;
    let mut acknowledged = BTreeSet::new();
    let mut failed = 0;
    for (id, answer) in answers {
        match answer {
            Ok(outcome) => {
                assert!(!outcome.replayed);
                acknowledged.insert(id);
            }
            Err(CommandError::Store(StoreError::Backend(why))) => {
                assert!(why.contains("on purpose"), "{why}");
                failed += 1;
            }
            Err(e) => panic!("feedback {id}: only the failed placements may fail, got {e:?}"),
        }
    }
    assert_eq!(failed, 4, "each failed placement fails its own command");
    assert_eq!(acknowledged.len(), 60);
    let envelopes = assert_log_sound(&store).await;
    assert_eq!(
        feedback_in_log(&envelopes)
            .into_iter()
            .collect::<BTreeSet<_>>(),
        acknowledged,
        "the log holds exactly the acknowledged feedback"
    );
}
