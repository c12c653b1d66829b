//! `cohub generate`: write a realistic log of many hubs through the real append path, for
//! benchmarks and for trying cohub at scale.
//!
//! Every event is decided by the domain. The generator builds domain commands and runs them
//! through [`CommandService`], the same decide, append-at-the-decided-version and chain path
//! the API uses; it never writes an envelope itself. A command the domain refuses is a bug in
//! the generator: the run stops and says which command was refused and why.
//!
//! Each hub is founded by a facilitator, admits organisations of every stakeholder kind
//! (community organisations with champions, innovators, clinicians, commissioners) and their
//! people, and adopts a charter. Then several workstreams per hub run at once, each repeating
//! one cycle: frame a problem; add perspectives of several kinds; endorse and acknowledge;
//! revise the framing and move its stage; propose ideas (some by champions on behalf of
//! residents, saying how the residents agreed); support them, give feedback and respond to it,
//! revise; propose distributions of costs and rewards, consent, object, answer and withdraw
//! objections, amend (voiding consents), agree, vary, withdraw or close without agreement; and
//! record decisions on ideas. Hubs and workstreams run as concurrent tasks, so the store's
//! group commit writes many of their appends in one batch.
//!
//! Time: commands are decided at the real clock, like the API's. The generated hubs set no
//! minimum deliberation time, so a distribution is agreed as soon as every party has consented
//! to its latest version, and a decision on an idea may be recorded at once. A hub that asked
//! for days of deliberation could not honestly reach an agreement within one run.
//!
//! Reproducibility: every id, name and text comes from a random generator seeded from `--seed`
//! (and, with `--append`, the store's head), one per hub and workstream. The same seed writes
//! the same hubs with the same ids and the same stories; where a run stops, and how the hubs'
//! appends interleave in the global log, depends on timing.

use crate::data_dir::DEFAULT_DATA_DIR;
use crate::{progress, store_select};
use cohub_command::{CommandError, CommandService, Submission};
use cohub_domain::distribution::{
    CostContribution, CostKind, DistributionCommand, Reward, RewardKind, Share, Terms,
    BASIS_POINTS_WHOLE,
};
use cohub_domain::hub::{FoundingOrganisation, HubCommand};
use cohub_domain::idea::{
    Decision, IdeaCommand, IdeaContribution, IdeaOutcome, OnBehalfOf, StatedPreference,
};
use cohub_domain::problem::{
    Evidence, EvidenceKind, Framing, PerspectiveKind, ProblemCommand, ProblemContribution,
    ProblemStage,
};
use cohub_domain::{
    DistributionId, DomainCommand, DomainEvent, FeedbackId, HubId, IdeaId, MemberId,
    OrganisationId, PerspectiveId, PlainText, ProblemId, Role, StakeholderKind,
};
use cohub_store::EventStore;
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use uuid::Uuid;

mod texts;
use texts::*;

/// The seed used when `--seed` is not given, so that two runs write the same hubs.
pub const DEFAULT_SEED: u64 = 20_240_501;

/// Arguments of `cohub generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory to write into (created if missing).
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// Write into PostgreSQL (`postgres://…`) instead of the data directory's sled log.
    #[arg(
        long = "store",
        env = "COHUB_DATABASE_URL",
        value_name = "POSTGRES_URL"
    )]
    store_url: Option<String>,
    /// Stop once this run has written at least this many events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    events: u64,
    /// How many hubs to found and fill.
    #[arg(long, value_name = "H", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    hubs: u32,
    /// The seed of every id, name and text: the same seed writes the same hubs.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Add to a store that already holds events (refused without it).
    #[arg(long)]
    append: bool,
    /// About how many commands to keep in flight at once, across all hubs (each hub runs
    /// this many divided by the number of hubs workstreams, at least one).
    #[arg(long, value_name = "C", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: u32,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Stop once at least this many events have been written.
    pub events: u64,
    /// How many hubs.
    pub hubs: u32,
    /// Workstreams per hub (each one command in flight at a time).
    pub workstreams: u32,
    /// The seed of the random generators.
    pub seed: u64,
}

/// One generated hub, for the summary.
#[derive(Debug, Clone)]
pub struct HubSummary {
    /// The hub's id.
    pub hub_id: HubId,
    /// Its name.
    pub name: String,
    /// The facilitator who founded it.
    pub facilitator: MemberId,
    /// How many events this run wrote into it.
    pub events: u64,
}

/// What a run wrote.
#[derive(Debug, Clone)]
pub struct Report {
    /// Events written by this run.
    pub written: u64,
    /// Commands carried out.
    pub commands: u64,
    /// The hubs founded (in the order of their index).
    pub hubs: Vec<HubSummary>,
    /// Events written, by event type.
    pub by_type: BTreeMap<&'static str, u64>,
}

/// Generates, prints a summary, and exits 0; a store that already holds events is refused
/// (unless `--append`) before anything is written.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opened = store_select::open(&args.data, args.store_url.as_deref()).await?;
    let store = opened.shared();
    let (target, elsewhere) = match &args.store_url {
        Some(_) => ("The PostgreSQL store".to_string(), "an empty database"),
        None => (args.data.display().to_string(), "an empty --data directory"),
    };
    let before = store.head_position().await?;
    if before > 0 && !args.append {
        opened.close().await?;
        anyhow::bail!(
            "{target} already holds {before} events, so nothing was generated: cohub generate \
             writes into an empty store unless told otherwise. Add --append to add new hubs \
             to this log, or give {elsewhere}."
        );
    }
    let workstreams = args.concurrency.div_ceil(args.hubs).max(1);
    let plan = Plan {
        events: args.events,
        hubs: args.hubs,
        workstreams,
        // Appending to a log: other ids than the hubs already there, from the same seed.
        seed: args.seed ^ before.wrapping_mul(0x9e37_79b9_7f4a_7c15),
    };
    let bar = progress::bar(Some(args.events), "generate");
    let started = Instant::now();
    let result = generate(store.clone(), &plan, bar.clone()).await;
    let closed = opened.close().await;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let report = result?;
    closed?;
    let rate = report.written as f64 / seconds.max(1e-9);
    outln!(
        "Generated {} events ({} commands) in {} hubs into {} in {seconds:.1} s ({rate:.0} events/s).",
        report.written,
        report.commands,
        report.hubs.len(),
        match &args.store_url {
            Some(_) => "PostgreSQL".to_string(),
            None => target,
        },
    )?;
    for hub in &report.hubs {
        outln!(
            "hub {}  {:<40} facilitator {}  {} events",
            hub.hub_id,
            hub.name,
            hub.facilitator,
            hub.events
        )?;
    }
    outln!("events by type:")?;
    for (event_type, n) in &report.by_type {
        outln!("  {event_type:<36} {n}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes hubs into `store` until at least `plan.events` events have been written, counting
/// them on `bar`. Fails, naming the command and the domain's reason, if the domain refuses
/// any command (what was written until then stays, a valid log).
pub async fn generate(
    store: Arc<dyn EventStore>,
    plan: &Plan,
    bar: ProgressBar,
) -> anyhow::Result<Report> {
    let shared = Arc::new(Shared {
        target: plan.events,
        written: AtomicU64::new(0),
        commands: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        bar,
        by_type: Mutex::new(BTreeMap::new()),
    });
    // One service for every hub, as in the server: one cache of folded streams.
    let service = CommandService::new(store);
    let mut tasks = tokio::task::JoinSet::new();
    let mut hubs = Vec::new();
    for index in 0..plan.hubs {
        let mut rng = StdRng::seed_from_u64(mix(plan.seed, u64::from(index), u64::MAX));
        let roster = Arc::new(Roster::plan(index, &mut rng));
        let written = Arc::new(AtomicU64::new(0));
        hubs.push((roster.clone(), written.clone()));
        let hub = HubTask {
            shared: shared.clone(),
            service: service.clone(),
            roster,
            written,
            seed: plan.seed,
            index,
            workstreams: plan.workstreams,
        };
        tasks.spawn(hub.run());
    }
    let mut failure: Option<anyhow::Error> = None;
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined
            .map_err(anyhow::Error::from)
            .and_then(|r| r)
            .or_else(halted_is_fine);
        if let Err(e) = outcome {
            shared.stop.store(true, Ordering::SeqCst);
            failure.get_or_insert(e);
        }
    }
    let written = shared.written.load(Ordering::SeqCst);
    if let Some(e) = failure {
        return Err(e.context(format!(
            "generation stopped after writing {written} events (they are a valid log)"
        )));
    }
    let by_type = shared
        .by_type
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Ok(Report {
        written,
        commands: shared.commands.load(Ordering::SeqCst),
        hubs: hubs
            .into_iter()
            .map(|(roster, written)| HubSummary {
                hub_id: roster.hub_id,
                name: roster.name.clone(),
                facilitator: roster.people[0].id,
                events: written.load(Ordering::SeqCst),
            })
            .filter(|h| h.events > 0)
            .collect(),
        by_type,
    })
}

/// A seed for one hub's or workstream's generator, from the run's seed.
fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z =
        seed ^ a.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ b.wrapping_mul(0x94d0_49bb_1331_11eb);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A task or workstream stopped because the run has written enough (or another one failed).
#[derive(Debug)]
struct Halted;

impl std::fmt::Display for Halted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the generator stopped")
    }
}

impl std::error::Error for Halted {}

fn halted_is_fine(e: anyhow::Error) -> anyhow::Result<()> {
    if e.is::<Halted>() {
        Ok(())
    } else {
        Err(e)
    }
}

/// What every task shares: the target, the counts, the progress bar.
struct Shared {
    target: u64,
    written: AtomicU64,
    commands: AtomicU64,
    stop: AtomicBool,
    bar: ProgressBar,
    by_type: Mutex<BTreeMap<&'static str, u64>>,
}

/// An organisation of a generated hub.
#[derive(Debug, Clone)]
struct Org {
    id: OrganisationId,
    name: String,
    kind: StakeholderKind,
    /// The member who speaks for it (its lead; the facilitator's organisation has one too).
    lead: usize,
}

/// A person of a generated hub.
#[derive(Debug, Clone)]
struct Person {
    id: MemberId,
    name: String,
    org: usize,
    /// The role the person holds once the hub is set up.
    role: Role,
    /// The role the person is admitted with (a member later made a champion starts as member).
    admitted_as: Role,
}

/// A generated hub's people and organisations. `people[0]` is the founding facilitator, a
/// member of `orgs[0]` (a commissioner).
#[derive(Debug)]
struct Roster {
    hub_id: HubId,
    name: String,
    place: &'static str,
    orgs: Vec<Org>,
    people: Vec<Person>,
}

impl Roster {
    /// Plans hub number `index`: its name, organisations and people, with ids from `rng`.
    fn plan(index: u32, rng: &mut StdRng) -> Roster {
        let mut ids = IdGen::new(u64::from(index) << 32);
        let place = PLACES[index as usize % PLACES.len()];
        let round = index as usize / PLACES.len();
        let name = if round == 0 {
            format!("{place} Community Health Hub")
        } else {
            format!("{place} Community Health Hub {}", round + 1)
        };
        let mut orgs: Vec<Org> = Vec::new();
        let mut add_org =
            |name: String, kind: StakeholderKind, ids: &mut IdGen, rng: &mut StdRng| {
                orgs.push(Org {
                    id: OrganisationId::from_uuid(ids.next(rng)),
                    name,
                    kind,
                    lead: usize::MAX,
                });
            };
        use StakeholderKind::*;
        add_org(
            format!("{place} Public Health"),
            Commissioner,
            &mut ids,
            rng,
        );
        add_org(
            format!("{place} Integrated Care Board"),
            Commissioner,
            &mut ids,
            rng,
        );
        for template in pick_n(rng, COMMUNITY_ORGS, 4) {
            add_org(
                template.replace("{place}", place),
                CommunityOrganisation,
                &mut ids,
                rng,
            );
        }
        for name in pick_n(rng, INNOVATORS, 3) {
            add_org(name.to_string(), Innovator, &mut ids, rng);
        }
        for template in pick_n(rng, CLINICAL_ORGS, 3) {
            add_org(template.replace("{place}", place), Clinician, &mut ids, rng);
        }

        let mut people: Vec<Person> = Vec::new();
        let mut add_person =
            |org: usize, role: Role, admitted_as: Role, ids: &mut IdGen, rng: &mut StdRng| {
                let name = format!(
                    "{} {}",
                    FIRST_NAMES.choose(rng).expect("names"),
                    SURNAMES.choose(rng).expect("names")
                );
                people.push(Person {
                    id: MemberId::from_uuid(ids.next(rng)),
                    name,
                    org,
                    role,
                    admitted_as,
                });
                people.len() - 1
            };
        add_person(0, Role::Facilitator, Role::Facilitator, &mut ids, rng);
        for (org, entry) in orgs.iter_mut().enumerate() {
            entry.lead = add_person(org, Role::Lead, Role::Lead, &mut ids, rng);
            let others = match entry.kind {
                CommunityOrganisation => {
                    for _ in 0..rng.gen_range(2..=3) {
                        add_person(org, Role::Champion, Role::Champion, &mut ids, rng);
                    }
                    // A peer researcher, made a champion once trained.
                    add_person(org, Role::Champion, Role::Member, &mut ids, rng);
                    1
                }
                Innovator => 1,
                Clinician => rng.gen_range(1..=2),
                Commissioner => 1,
            };
            for _ in 0..others {
                add_person(org, Role::Member, Role::Member, &mut ids, rng);
            }
        }
        Roster {
            hub_id: HubId::from_uuid(ids.next(rng)),
            name,
            place,
            orgs,
            people,
        }
    }

    fn orgs_of(&self, kind: StakeholderKind) -> Vec<usize> {
        (0..self.orgs.len())
            .filter(|o| self.orgs[*o].kind == kind)
            .collect()
    }

    fn champions(&self) -> Vec<usize> {
        (0..self.people.len())
            .filter(|p| self.people[*p].role == Role::Champion)
            .collect()
    }

    fn kind_of(&self, person: usize) -> StakeholderKind {
        self.orgs[self.people[person].org].kind
    }

    fn lead_of(&self, org: usize) -> MemberId {
        self.people[self.orgs[org].lead].id
    }

    fn facilitator(&self) -> MemberId {
        self.people[0].id
    }
}

/// Ids shaped like the API's (UUID v7), but from a seeded generator: a counter stands in for
/// the clock, so the same seed gives the same ids.
struct IdGen {
    millis: u64,
}

impl IdGen {
    /// 2025-01-01T00:00:00Z in Unix milliseconds: where the counters start.
    const EPOCH_MS: u64 = 1_735_689_600_000;

    fn new(offset: u64) -> Self {
        Self {
            millis: Self::EPOCH_MS + offset,
        }
    }

    fn next(&mut self, rng: &mut StdRng) -> Uuid {
        self.millis += 1;
        let random: [u8; 10] = rng.gen();
        uuid::Builder::from_unix_timestamp_millis(self.millis, &random).into_uuid()
    }
}

/// One hub: set it up, then run its workstreams.
struct HubTask {
    shared: Arc<Shared>,
    service: CommandService,
    roster: Arc<Roster>,
    written: Arc<AtomicU64>,
    seed: u64,
    index: u32,
    workstreams: u32,
}

impl HubTask {
    async fn run(self) -> anyhow::Result<()> {
        let mut streams: Vec<Workstream> = (0..self.workstreams)
            .map(|w| Workstream {
                shared: self.shared.clone(),
                service: self.service.clone(),
                hub: self.roster.clone(),
                written: self.written.clone(),
                rng: StdRng::seed_from_u64(mix(self.seed, u64::from(self.index), u64::from(w))),
                ids: IdGen::new((u64::from(self.index) << 32) | (u64::from(w + 1) << 24)),
                index: w,
                charters: 1,
            })
            .collect();
        streams[0].set_up_hub().await?;
        let mut tasks = tokio::task::JoinSet::new();
        for stream in streams {
            tasks.spawn(stream.run());
        }
        let mut failure = None;
        while let Some(joined) = tasks.join_next().await {
            let outcome = joined
                .map_err(anyhow::Error::from)
                .and_then(|r| r)
                .or_else(halted_is_fine);
            if let Err(e) = outcome {
                self.shared.stop.store(true, Ordering::SeqCst);
                failure.get_or_insert(e);
            }
        }
        failure.map_or(Ok(()), Err)
    }
}

/// How a distribution's story ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Agreed,
    Closed,
    Withdrawn,
}

/// What a problem is about: the pieces its texts are made of.
#[derive(Debug, Clone, Copy)]
struct Topic {
    condition: &'static Condition,
    barrier: &'static Barrier,
    area: &'static str,
}

/// One sequence of commands in a hub, one at a time; a hub runs several at once.
struct Workstream {
    shared: Arc<Shared>,
    service: CommandService,
    hub: Arc<Roster>,
    written: Arc<AtomicU64>,
    rng: StdRng,
    ids: IdGen,
    index: u32,
    charters: u32,
}

impl Workstream {
    /// Decides and appends one command through the command service; `Halted` once the run has
    /// written enough; an error naming the command if the domain (or the store) refuses it.
    async fn exec(
        &mut self,
        actor: MemberId,
        command: impl Into<DomainCommand>,
    ) -> anyhow::Result<Vec<DomainEvent>> {
        let shared = &self.shared;
        if shared.stop.load(Ordering::Relaxed)
            || shared.written.load(Ordering::Relaxed) >= shared.target
        {
            return Err(Halted.into());
        }
        let command = command.into();
        let submission = Submission::new(actor, command.clone());
        let outcome = self.service.execute(submission).await.map_err(|e| {
            shared.stop.store(true, Ordering::SeqCst);
            match e {
                CommandError::Domain(e) => anyhow::anyhow!(
                    "the domain refused the generator's command {} by member {actor} in the hub \
                     {:?}: {e} This is a bug in the generator. The command was: {}",
                    command.name(),
                    self.hub.name,
                    serde_json::to_string(&command).unwrap_or_default()
                ),
                CommandError::Store(e) => anyhow::anyhow!(
                    "the store could not take the generator's command {} in the hub {:?}: {e}",
                    command.name(),
                    self.hub.name
                ),
            }
        })?;
        let n = outcome.events.len() as u64;
        shared.written.fetch_add(n, Ordering::Relaxed);
        shared.commands.fetch_add(1, Ordering::Relaxed);
        self.written.fetch_add(n, Ordering::Relaxed);
        shared.bar.inc(n);
        {
            let mut by_type = shared.by_type.lock().unwrap_or_else(|p| p.into_inner());
            for event in &outcome.events {
                *by_type.entry(event.event_type()).or_default() += 1;
            }
        }
        Ok(outcome.events)
    }

    fn uuid(&mut self) -> Uuid {
        self.ids.next(&mut self.rng)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// Someone to speak (any person), community members twice as likely.
    fn anyone(&mut self) -> usize {
        loop {
            let p = self.rng.gen_range(0..self.hub.people.len());
            if self.hub.kind_of(p) == StakeholderKind::CommunityOrganisation || self.chance(0.5) {
                return p;
            }
        }
    }

    /// Someone other than the people in `not`.
    fn other_than(&mut self, not: &[usize]) -> usize {
        loop {
            let p = self.anyone();
            if !not.contains(&p) {
                return p;
            }
        }
    }

    /// Up to `n` distinct people, none of them in `not`.
    fn some_people(&mut self, n: usize, not: &[usize]) -> Vec<usize> {
        let pool: Vec<usize> = (0..self.hub.people.len())
            .filter(|p| !not.contains(p))
            .collect();
        pool.choose_multiple(&mut self.rng, n).copied().collect()
    }

    fn text(&mut self, template: &str, topic: &Topic) -> PlainText {
        PlainText::en(fill(template, topic, self.hub.place))
    }

    fn pick_text(&mut self, templates: &[&str], topic: &Topic) -> PlainText {
        let template = *templates.choose(&mut self.rng).expect("templates");
        self.text(template, topic)
    }

    fn maybe_note(&mut self, templates: &[&str], topic: &Topic) -> Option<PlainText> {
        self.chance(0.5).then(|| self.pick_text(templates, topic))
    }

    /// Founds the hub, admits its organisations and people, adopts the charter.
    async fn set_up_hub(&mut self) -> anyhow::Result<()> {
        let hub = self.hub.clone();
        let hub_id = hub.hub_id;
        let facilitator = hub.facilitator();
        let founder_org = &hub.orgs[0];
        self.exec(
            facilitator,
            HubCommand::FoundHub {
                hub_id,
                name: hub.name.clone(),
                purpose: PlainText::en(format!(
                    "Residents, community organisations, innovators, clinicians and commissioners of {} work together as equal partners on the health problems of the area, starting with the people whom services reach least.",
                    hub.place
                )),
                founder_name: hub.people[0].name.clone(),
                organisation: FoundingOrganisation {
                    organisation_id: founder_org.id,
                    name: founder_org.name.clone(),
                    kind: founder_org.kind,
                },
            },
        )
        .await?;
        for org in &hub.orgs[1..] {
            self.exec(
                facilitator,
                HubCommand::AdmitOrganisation {
                    hub_id,
                    organisation_id: org.id,
                    name: org.name.clone(),
                    kind: org.kind,
                },
            )
            .await?;
        }
        for person in &hub.people[1..] {
            self.exec(
                facilitator,
                HubCommand::AdmitMember {
                    hub_id,
                    member_id: person.id,
                    organisation_id: hub.orgs[person.org].id,
                    name: person.name.clone(),
                    role: person.admitted_as,
                },
            )
            .await?;
        }
        for person in &hub.people[1..] {
            if person.role != person.admitted_as {
                self.exec(
                    facilitator,
                    HubCommand::ChangeMemberRole {
                        hub_id,
                        member_id: person.id,
                        role: person.role,
                    },
                )
                .await?;
            }
        }
        self.exec(
            facilitator,
            HubCommand::AdoptCharter {
                hub_id,
                text: PlainText::en(CHARTER),
            },
        )
        .await?;
        Ok(())
    }

    /// Cycles until the run has written enough.
    async fn run(mut self) -> anyhow::Result<()> {
        // The first workstream adopts a revised charter every 15 problems.
        let mut until_charter = 15u32;
        loop {
            if self.index == 0 && until_charter == 0 {
                until_charter = 15;
                self.charters += 1;
                let text = PlainText::en(format!(
                    "{CHARTER}\n\nVersion {}: after the hub's review, meetings rotate between venues in {} and every contribution gets a reply within 14 days.",
                    self.charters, self.hub.place
                ));
                let hub_id = self.hub.hub_id;
                let facilitator = self.hub.facilitator();
                self.exec(facilitator, HubCommand::AdoptCharter { hub_id, text })
                    .await?;
            }
            self.problem_cycle().await?;
            until_charter = until_charter.saturating_sub(1);
        }
    }

    /// Moves the problem's stage if the move is allowed, by its framer or a facilitator.
    async fn move_stage(
        &mut self,
        problem_id: ProblemId,
        stage: &mut ProblemStage,
        to: ProblemStage,
        framer: usize,
        topic: &Topic,
    ) -> anyhow::Result<()> {
        if !stage.can_move_to(to) {
            return Ok(());
        }
        let by = if self.chance(0.7) {
            self.hub.people[framer].id
        } else {
            self.hub.facilitator()
        };
        let reason = match to {
            ProblemStage::Exploring => self.pick_text(STAGE_EXPLORING, topic),
            ProblemStage::DevelopingSolutions => self.pick_text(STAGE_DEVELOPING, topic),
            ProblemStage::Closed => self.pick_text(STAGE_CLOSED, topic),
            ProblemStage::Parked => self.pick_text(STAGE_PARKED, topic),
            ProblemStage::Open => self.pick_text(STAGE_REOPENED, topic),
        };
        self.exec(
            by,
            ProblemCommand::MoveProblemStage {
                problem_id,
                to,
                reason,
            },
        )
        .await?;
        *stage = to;
        Ok(())
    }

    fn framing(&mut self, topic: &Topic, revised: bool) -> Framing {
        let mut evidence = vec![Evidence {
            kind: EvidenceKind::LivedExperience,
            text: self.pick_text(EVIDENCE_LIVED, topic),
        }];
        if self.chance(0.7) {
            evidence.push(Evidence {
                kind: EvidenceKind::Data,
                text: self.pick_text(EVIDENCE_DATA, topic),
            });
        }
        if self.chance(0.5) || revised {
            evidence.push(Evidence {
                kind: EvidenceKind::Clinical,
                text: self.pick_text(EVIDENCE_CLINICAL, topic),
            });
        }
        Framing {
            title: self.text(
                if revised {
                    "Residents of {area} with {condition} miss {service}: {barrier}"
                } else {
                    "Residents with {condition} miss {service} because {barrier}"
                },
                topic,
            ),
            statement: self.pick_text(STATEMENTS, topic),
            affected: self.pick_text(AFFECTED, topic),
            place: self.text("{area}, {place}", topic),
            evidence,
        }
    }

    /// One problem from framing to its ideas and their distributions.
    async fn problem_cycle(&mut self) -> anyhow::Result<()> {
        let topic = Topic {
            condition: CONDITIONS.choose(&mut self.rng).expect("conditions"),
            barrier: BARRIERS.choose(&mut self.rng).expect("barriers"),
            area: AREAS.choose(&mut self.rng).expect("areas"),
        };
        let hub = self.hub.clone();
        let framer = self.anyone();
        let problem_id = ProblemId::from_uuid(self.uuid());
        let framing = self.framing(&topic, false);
        self.exec(
            hub.people[framer].id,
            ProblemCommand::FrameProblem {
                problem_id,
                hub_id: hub.hub_id,
                framing,
            },
        )
        .await?;
        let mut stage = ProblemStage::Open;

        let mut perspectives: Vec<PerspectiveId> = Vec::new();
        for _ in 0..self.rng.gen_range(2..=5) {
            let author = self.other_than(&[framer]);
            let kind = self.perspective_kind(hub.kind_of(author));
            let text = self.perspective_text(kind, &topic);
            let perspective_id = PerspectiveId::from_uuid(self.uuid());
            self.exec(
                hub.people[author].id,
                ProblemCommand::AddPerspective {
                    problem_id,
                    perspective_id,
                    kind,
                    text,
                },
            )
            .await?;
            perspectives.push(perspective_id);
        }
        let n = self.rng.gen_range(1..=4);
        for endorser in self.some_people(n, &[framer]) {
            self.exec(
                hub.people[endorser].id,
                ProblemCommand::EndorseProblem { problem_id },
            )
            .await?;
        }
        if self.chance(0.7) {
            let by = self.other_than(&[framer]);
            let note = self.maybe_note(ACK_NOTES, &topic);
            self.exec(
                hub.people[by].id,
                ProblemCommand::AcknowledgeProblemContribution {
                    problem_id,
                    contribution: ProblemContribution::Problem,
                    note,
                },
            )
            .await?;
        }
        for perspective in perspectives.clone() {
            if self.chance(0.4) {
                let note = self.maybe_note(ACK_NOTES, &topic);
                self.exec(
                    hub.people[framer].id,
                    ProblemCommand::AcknowledgeProblemContribution {
                        problem_id,
                        contribution: ProblemContribution::Perspective(perspective),
                        note,
                    },
                )
                .await?;
            }
        }
        if self.chance(0.6) {
            self.move_stage(
                problem_id,
                &mut stage,
                ProblemStage::Exploring,
                framer,
                &topic,
            )
            .await?;
        }
        if self.chance(0.4) {
            let k = self.rng.gen_range(1..=perspectives.len());
            let answers: Vec<PerspectiveId> = perspectives
                .choose_multiple(&mut self.rng, k)
                .copied()
                .collect();
            let framing = self.framing(&topic, true);
            let rationale = self.pick_text(PROBLEM_RATIONALES, &topic);
            self.exec(
                hub.people[framer].id,
                ProblemCommand::ReviseProblem {
                    problem_id,
                    framing,
                    rationale,
                    answers,
                },
            )
            .await?;
        }
        if self.chance(0.75) {
            self.move_stage(
                problem_id,
                &mut stage,
                ProblemStage::DevelopingSolutions,
                framer,
                &topic,
            )
            .await?;
        }
        for _ in 0..self.rng.gen_range(1..=3) {
            self.idea_cycle(problem_id, &topic).await?;
        }
        let roll = self.rng.gen_range(0..100);
        if roll < 30 {
            self.move_stage(problem_id, &mut stage, ProblemStage::Closed, framer, &topic)
                .await?;
            if self.chance(0.1) {
                self.move_stage(problem_id, &mut stage, ProblemStage::Open, framer, &topic)
                    .await?;
            }
        } else if roll < 40 {
            self.move_stage(problem_id, &mut stage, ProblemStage::Parked, framer, &topic)
                .await?;
        }
        Ok(())
    }

    fn perspective_kind(&mut self, kind: StakeholderKind) -> PerspectiveKind {
        use PerspectiveKind::*;
        let (usual, other, p) = match kind {
            StakeholderKind::CommunityOrganisation => (LivedExperience, SocialCauses, 0.65),
            StakeholderKind::Clinician => (Clinical, Data, 0.8),
            StakeholderKind::Commissioner => (Commissioning, Data, 0.7),
            StakeholderKind::Innovator => (Data, SocialCauses, 0.7),
        };
        if self.chance(p) {
            usual
        } else {
            other
        }
    }

    fn perspective_text(&mut self, kind: PerspectiveKind, topic: &Topic) -> PlainText {
        match kind {
            PerspectiveKind::LivedExperience => {
                if self.chance(0.15) {
                    let (lang, text) = *LIVED_OTHER_LANGUAGES.choose(&mut self.rng).expect("texts");
                    PlainText::new(text, lang)
                } else {
                    self.pick_text(PERSPECTIVE_LIVED, topic)
                }
            }
            PerspectiveKind::Clinical => self.pick_text(PERSPECTIVE_CLINICAL, topic),
            PerspectiveKind::Commissioning => self.pick_text(PERSPECTIVE_COMMISSIONING, topic),
            PerspectiveKind::Data => self.pick_text(PERSPECTIVE_DATA, topic),
            PerspectiveKind::SocialCauses => self.pick_text(PERSPECTIVE_SOCIAL, topic),
        }
    }

    /// One idea: proposal, support, feedback and responses, revision, distribution, decision.
    async fn idea_cycle(&mut self, problem_id: ProblemId, topic: &Topic) -> anyhow::Result<()> {
        let hub = self.hub.clone();
        let on_behalf = self.chance(0.4);
        let author = if on_behalf {
            *hub.champions().choose(&mut self.rng).expect("champions")
        } else {
            self.anyone()
        };
        let idea_id = IdeaId::from_uuid(self.uuid());
        let idea_template = *IDEAS.choose(&mut self.rng).expect("ideas");
        let title = self.text(idea_template, topic);
        let summary = self.pick_text(IDEA_SUMMARIES, topic);
        let on_behalf_of = if on_behalf {
            let anonymous = self.chance(0.3);
            Some(OnBehalfOf {
                residents: self.pick_text(
                    if anonymous {
                        RESIDENTS_ANONYMOUS
                    } else {
                        RESIDENTS_NAMED
                    },
                    topic,
                ),
                anonymous,
                how_residents_agreed: Some(self.pick_text(HOW_AGREED, topic)),
            })
        } else {
            None
        };
        self.exec(
            hub.people[author].id,
            IdeaCommand::ProposeIdea {
                idea_id,
                problem_id,
                title: title.clone(),
                summary,
                on_behalf_of,
            },
        )
        .await?;
        let n = self.rng.gen_range(0..=3);
        for supporter in self.some_people(n, &[author]) {
            self.exec(
                hub.people[supporter].id,
                IdeaCommand::SupportIdea { idea_id },
            )
            .await?;
        }
        let mut feedback: Vec<FeedbackId> = Vec::new();
        for _ in 0..self.rng.gen_range(1..=3) {
            let by = self.other_than(&[author]);
            let feedback_id = FeedbackId::from_uuid(self.uuid());
            let text = self.pick_text(FEEDBACK, topic);
            self.exec(
                hub.people[by].id,
                IdeaCommand::GiveFeedback {
                    idea_id,
                    feedback_id,
                    text,
                },
            )
            .await?;
            feedback.push(feedback_id);
        }
        for feedback_id in feedback.clone() {
            if self.chance(0.75) {
                let text = self.pick_text(RESPONSES, topic);
                self.exec(
                    hub.people[author].id,
                    IdeaCommand::RespondToFeedback {
                        idea_id,
                        feedback_id,
                        text,
                    },
                )
                .await?;
            } else if self.chance(0.5) {
                let note = self.maybe_note(ACK_NOTES, topic);
                self.exec(
                    hub.people[author].id,
                    IdeaCommand::AcknowledgeIdeaContribution {
                        idea_id,
                        contribution: IdeaContribution::Feedback(feedback_id),
                        note,
                    },
                )
                .await?;
            }
        }
        if self.chance(0.5) {
            let by = self.other_than(&[author]);
            let note = self.maybe_note(ACK_NOTES, topic);
            self.exec(
                hub.people[by].id,
                IdeaCommand::AcknowledgeIdeaContribution {
                    idea_id,
                    contribution: IdeaContribution::Idea,
                    note,
                },
            )
            .await?;
        }
        let mut title = title;
        if self.chance(0.45) {
            let k = self.rng.gen_range(0..=feedback.len());
            let answers: Vec<FeedbackId> = feedback
                .choose_multiple(&mut self.rng, k)
                .copied()
                .collect();
            title = PlainText::en(format!("{} (revised)", title.text));
            let summary = self.pick_text(IDEA_SUMMARIES, topic);
            let rationale = self.pick_text(IDEA_RATIONALES, topic);
            self.exec(
                hub.people[author].id,
                IdeaCommand::ReviseIdea {
                    idea_id,
                    title: title.clone(),
                    summary,
                    rationale,
                    answers,
                },
            )
            .await?;
        }

        let roll = self.rng.gen_range(0..100);
        let outcome = if roll < 10 {
            let reason = self.pick_text(IDEA_WITHDRAWALS, topic);
            self.exec(
                hub.people[author].id,
                IdeaCommand::WithdrawIdea { idea_id, reason },
            )
            .await?;
            return Ok(());
        } else if roll < 75 {
            match self.distribution_cycle(idea_id, author, topic).await? {
                Ending::Agreed => self.chance(0.8).then_some(IdeaOutcome::Shortlist),
                Ending::Closed | Ending::Withdrawn => {
                    self.chance(0.4).then_some(IdeaOutcome::Decline)
                }
            }
        } else {
            match self.rng.gen_range(0..100) {
                0..35 => Some(IdeaOutcome::Shortlist),
                35..70 => Some(IdeaOutcome::Decline),
                _ => None,
            }
        };
        if let Some(outcome) = outcome {
            let decision = self.decision(&title, outcome, topic);
            self.exec(
                hub.facilitator(),
                IdeaCommand::RecordIdeaDecision {
                    idea_id,
                    outcome,
                    decision,
                },
            )
            .await?;
        }
        Ok(())
    }

    fn decision(&mut self, title: &PlainText, outcome: IdeaOutcome, topic: &Topic) -> Decision {
        let hub = self.hub.clone();
        let mut options = vec![title.clone()];
        for _ in 0..self.rng.gen_range(1..=2) {
            let template = *IDEAS.choose(&mut self.rng).expect("ideas");
            let option = self.text(template, topic);
            if !options.contains(&option) {
                options.push(option);
            }
        }
        options.push(PlainText::en("Keep the current service as it is"));
        let n = self.rng.gen_range(1..=3);
        let preferences = (0..hub.orgs.len())
            .collect::<Vec<_>>()
            .choose_multiple(&mut self.rng, n)
            .map(|org| StatedPreference {
                organisation_id: hub.orgs[*org].id,
                preference: PlainText::en(fill(
                    PREFERENCES[*org % PREFERENCES.len()],
                    topic,
                    hub.place,
                )),
            })
            .collect();
        let rationale = match outcome {
            IdeaOutcome::Shortlist => self.pick_text(SHORTLIST_RATIONALES, topic),
            IdeaOutcome::Decline => self.pick_text(DECLINE_RATIONALES, topic),
        };
        Decision {
            options_considered: options,
            preferences,
            rationale,
        }
    }

    /// The terms of one version: each party's costs by its kind, and rewards that flow back
    /// to the community organisations among them.
    fn terms(&mut self, parties: &[usize], topic: &Topic) -> Terms {
        let hub = self.hub.clone();
        let mut costs = Vec::new();
        let mut revenue: Vec<(usize, u32)> = Vec::new();
        let mut community = Vec::new();
        let mut commissioners = Vec::new();
        for &org in parties {
            let party = hub.orgs[org].id;
            let cost = |kind, amount, unit: &str, note: Option<&str>| CostContribution {
                party,
                kind,
                amount,
                unit: unit.to_string(),
                note: note.map(PlainText::en),
            };
            match hub.orgs[org].kind {
                StakeholderKind::CommunityOrganisation => {
                    costs.push(cost(
                        CostKind::StaffTime,
                        self.rng.gen_range(4..=60) * 10,
                        "hours",
                        Some("Champion time: recording, calling and going with residents"),
                    ));
                    if self.chance(0.4) {
                        costs.push(cost(
                            CostKind::Venue,
                            self.rng.gen_range(4..=24),
                            "sessions",
                            Some("A room for drop-in sessions"),
                        ));
                    }
                    revenue.push((org, self.rng.gen_range(15..=30)));
                    community.push(org);
                }
                StakeholderKind::Innovator => {
                    costs.push(cost(CostKind::Licence, 1, "platform licence", None));
                    costs.push(cost(
                        CostKind::StaffTime,
                        self.rng.gen_range(10..=120),
                        "engineering days",
                        None,
                    ));
                    revenue.push((org, self.rng.gen_range(45..=70)));
                }
                StakeholderKind::Clinician => {
                    costs.push(cost(
                        CostKind::StaffTime,
                        self.rng.gen_range(10..=80),
                        "clinical hours",
                        Some("Clinical governance and training for champions"),
                    ));
                    if self.chance(0.3) {
                        costs.push(cost(
                            CostKind::Data,
                            self.rng.gen_range(1..=4),
                            "anonymised data extracts",
                            None,
                        ));
                    }
                }
                StakeholderKind::Commissioner => {
                    costs.push(cost(
                        CostKind::Money,
                        self.rng.gen_range(10..=300) * 500,
                        "GBP",
                        Some("Funding for the first year"),
                    ));
                    if self.chance(0.2) {
                        costs.push(cost(
                            CostKind::Risk,
                            1,
                            "pilot",
                            Some("Underwrites the pilot if uptake stays low"),
                        ));
                    }
                    commissioners.push(org);
                }
            }
        }
        let shares = |rewarded: &[(usize, u32)]| -> Vec<Share> {
            let weights: Vec<u32> = rewarded.iter().map(|(_, w)| *w).collect();
            split(BASIS_POINTS_WHOLE, &weights)
                .into_iter()
                .zip(rewarded)
                .map(|(basis_points, (org, _))| Share {
                    party: hub.orgs[*org].id,
                    basis_points,
                })
                .collect()
        };
        let equal =
            |orgs: &[usize]| -> Vec<(usize, u32)> { orgs.iter().map(|o| (*o, 1)).collect() };
        let mut rewards = vec![
            Reward {
                kind: RewardKind::RevenueShare,
                description: PlainText::en(
                    "Revenue from selling the service to other areas, shared between the parties who built it",
                ),
                shares: shares(&revenue),
            },
            Reward {
                kind: RewardKind::OutcomeData,
                description: PlainText::en(
                    "Anonymised outcome data every quarter, to every party",
                ),
                shares: shares(&equal(parties)),
            },
        ];
        if !commissioners.is_empty() {
            rewards.push(Reward {
                kind: RewardKind::Licence,
                description: PlainText::en(format!(
                    "A free licence for {} years",
                    self.rng.gen_range(1..=5)
                )),
                shares: shares(&equal(&commissioners)),
            });
        }
        if self.chance(0.5) {
            rewards.push(Reward {
                kind: RewardKind::Recognition,
                description: PlainText::en(
                    "Named as co-producers on the service and in every publication",
                ),
                shares: shares(&equal(&community)),
            });
        }
        let names: Vec<&str> = parties.iter().map(|o| hub.orgs[*o].name.as_str()).collect();
        let terms = PlainText::en(format!(
            "{} work together on {} in {}. Each party contributes what is listed; revenue and outcome data are shared as listed; the terms are reviewed after twelve months.",
            names.join(", "),
            topic.condition.1,
            topic.area
        ));
        Terms {
            parties: parties.iter().map(|o| hub.orgs[*o].id).collect(),
            costs,
            rewards,
            terms,
        }
    }

    /// Consents, for each organisation in turn, to `version`; whether the last one closed the
    /// agreement.
    async fn consent_all(
        &mut self,
        distribution_id: DistributionId,
        version: u32,
        orgs: &[usize],
    ) -> anyhow::Result<bool> {
        let mut agreed = false;
        for &org in orgs {
            let events = self
                .exec(
                    self.hub.lead_of(org),
                    DistributionCommand::ConsentToDistribution {
                        distribution_id,
                        version,
                    },
                )
                .await?;
            agreed = events
                .iter()
                .any(|e| e.event_type() == "DistributionAgreed");
        }
        Ok(agreed)
    }

    /// Consents of every party, the last of which must close the agreement.
    async fn agree(
        &mut self,
        distribution_id: DistributionId,
        version: u32,
        parties: &[usize],
    ) -> anyhow::Result<()> {
        let mut order = parties.to_vec();
        order.shuffle(&mut self.rng);
        if !self.consent_all(distribution_id, version, &order).await? {
            anyhow::bail!(
                "every party consented to version {version} of distribution {distribution_id} in the hub {:?}, but it was not agreed. This is a bug in the generator (or in the rule it expected).",
                self.hub.name
            );
        }
        Ok(())
    }

    /// One distribution for an idea, told as one of five stories.
    async fn distribution_cycle(
        &mut self,
        idea_id: IdeaId,
        idea_author: usize,
        topic: &Topic,
    ) -> anyhow::Result<Ending> {
        let hub = self.hub.clone();
        let innovator = *hub
            .orgs_of(StakeholderKind::Innovator)
            .choose(&mut self.rng)
            .expect("innovators");
        let n = self.rng.gen_range(1..=2);
        let community: Vec<usize> = hub
            .orgs_of(StakeholderKind::CommunityOrganisation)
            .choose_multiple(&mut self.rng, n)
            .copied()
            .collect();
        let mut parties = vec![innovator];
        parties.extend(&community);
        if self.chance(0.5) {
            parties.push(
                *hub.orgs_of(StakeholderKind::Clinician)
                    .choose(&mut self.rng)
                    .expect("clinicians"),
            );
        }
        if self.chance(0.75) {
            parties.push(
                *hub.orgs_of(StakeholderKind::Commissioner)
                    .choose(&mut self.rng)
                    .expect("commissioners"),
            );
        }
        let proposer = if self.chance(0.6) {
            hub.orgs[innovator].lead
        } else {
            idea_author
        };
        let proposer_id = hub.people[proposer].id;
        let proposer_org = hub.people[proposer].org;
        let distribution_id = DistributionId::from_uuid(self.uuid());
        let terms = self.terms(&parties, topic);
        self.exec(
            proposer_id,
            DistributionCommand::ProposeDistribution {
                distribution_id,
                idea_id,
                terms,
            },
        )
        .await?;
        let mut version = 1;
        // Parties other than the proposer's own organisation (they can be answered by it).
        let others: Vec<usize> = parties
            .iter()
            .copied()
            .filter(|o| *o != proposer_org)
            .collect();
        let outsiders: Vec<usize> = hub
            .orgs_of(StakeholderKind::CommunityOrganisation)
            .into_iter()
            .filter(|o| !parties.contains(o) && *o != proposer_org)
            .collect();

        let mut roll = self.rng.gen_range(0..100);
        if roll < 30 && outsiders.is_empty() {
            roll = 50;
        }
        match roll {
            // DOMAIN.md's story: an organisation left out objects; a new version adds it; every
            // party consents to the new version.
            0..30 => {
                let outsider = *outsiders.choose(&mut self.rng).expect("outsiders");
                let early = parties[..parties.len() - 1].to_vec();
                self.consent_all(distribution_id, version, &early).await?;
                let reason = self.pick_text(OUTSIDER_OBJECTIONS, topic);
                self.exec(
                    hub.lead_of(outsider),
                    DistributionCommand::ObjectToDistribution {
                        distribution_id,
                        version,
                        reason,
                    },
                )
                .await?;
                if self.chance(0.85) {
                    let answer = self.pick_text(OBJECTION_ANSWERS, topic);
                    self.exec(
                        proposer_id,
                        DistributionCommand::AnswerObjection {
                            distribution_id,
                            version,
                            organisation_id: hub.orgs[outsider].id,
                            answer,
                        },
                    )
                    .await?;
                }
                parties.push(outsider);
                let terms = self.terms(&parties, topic);
                let rationale = PlainText::en(format!(
                    "{} objected that they carry part of the work and get nothing back. This version adds them as a party with a share of the rewards.",
                    hub.orgs[outsider].name
                ));
                self.exec(
                    proposer_id,
                    DistributionCommand::AmendDistribution {
                        distribution_id,
                        terms,
                        rationale,
                    },
                )
                .await?;
                version += 1;
                self.agree(distribution_id, version, &parties).await?;
                Ok(Ending::Agreed)
            }
            // A party objects, is answered, and withdraws its objection; then all consent.
            30..50 => {
                let objector = *others.choose(&mut self.rng).expect("other parties");
                let early: Vec<usize> = parties
                    .iter()
                    .copied()
                    .filter(|o| *o != objector && self.rng.gen_bool(0.5))
                    .collect();
                self.consent_all(distribution_id, version, &early).await?;
                let reason = self.pick_text(PARTY_OBJECTIONS, topic);
                self.exec(
                    hub.lead_of(objector),
                    DistributionCommand::ObjectToDistribution {
                        distribution_id,
                        version,
                        reason,
                    },
                )
                .await?;
                let answer = self.pick_text(OBJECTION_ANSWERS, topic);
                self.exec(
                    proposer_id,
                    DistributionCommand::AnswerObjection {
                        distribution_id,
                        version,
                        organisation_id: hub.orgs[objector].id,
                        answer,
                    },
                )
                .await?;
                let note = self.maybe_note(WITHDRAWAL_NOTES, topic);
                self.exec(
                    hub.lead_of(objector),
                    DistributionCommand::WithdrawObjection {
                        distribution_id,
                        version,
                        note,
                    },
                )
                .await?;
                let rest: Vec<usize> = parties
                    .iter()
                    .copied()
                    .filter(|o| !early.contains(o))
                    .collect();
                if !self.consent_all(distribution_id, version, &rest).await? {
                    anyhow::bail!(
                        "every party consented to distribution {distribution_id} after the objection was withdrawn, but it was not agreed. This is a bug in the generator."
                    );
                }
                Ok(Ending::Agreed)
            }
            // Plain agreement, perhaps after an amendment, perhaps varied later.
            50..80 => {
                if self.chance(0.3) {
                    let some = parties[..1].to_vec();
                    self.consent_all(distribution_id, version, &some).await?;
                    let terms = self.terms(&parties, topic);
                    let rationale = self.pick_text(AMEND_RATIONALES, topic);
                    let by = if self.chance(0.7) {
                        proposer_id
                    } else {
                        hub.lead_of(*parties.choose(&mut self.rng).expect("parties"))
                    };
                    self.exec(
                        by,
                        DistributionCommand::AmendDistribution {
                            distribution_id,
                            terms,
                            rationale,
                        },
                    )
                    .await?;
                    version += 1;
                }
                self.agree(distribution_id, version, &parties).await?;
                if self.chance(0.4) {
                    if self.chance(0.5) {
                        if let Some(clinician) = hub
                            .orgs_of(StakeholderKind::Clinician)
                            .into_iter()
                            .find(|o| !parties.contains(o))
                        {
                            parties.push(clinician);
                        }
                    }
                    let terms = self.terms(&parties, topic);
                    let rationale = self.pick_text(VARIATION_RATIONALES, topic);
                    self.exec(
                        proposer_id,
                        DistributionCommand::StartVariationRound {
                            distribution_id,
                            terms,
                            rationale,
                        },
                    )
                    .await?;
                    version += 1;
                    if self.chance(0.6) {
                        self.agree(distribution_id, version, &parties).await?;
                    } else {
                        let reason = self.pick_text(ABANDON_REASONS, topic);
                        self.exec(
                            proposer_id,
                            DistributionCommand::AbandonVariation {
                                distribution_id,
                                reason,
                            },
                        )
                        .await?;
                    }
                }
                Ok(Ending::Agreed)
            }
            // An objection stands; a facilitator closes the round without agreement.
            80..90 => {
                let objector = *others.choose(&mut self.rng).expect("other parties");
                let early: Vec<usize> = parties
                    .iter()
                    .copied()
                    .filter(|o| *o != objector && self.rng.gen_bool(0.5))
                    .collect();
                self.consent_all(distribution_id, version, &early).await?;
                let reason = self.pick_text(PARTY_OBJECTIONS, topic);
                self.exec(
                    hub.lead_of(objector),
                    DistributionCommand::ObjectToDistribution {
                        distribution_id,
                        version,
                        reason,
                    },
                )
                .await?;
                if self.chance(0.5) {
                    let answer = self.pick_text(OBJECTION_ANSWERS, topic);
                    self.exec(
                        proposer_id,
                        DistributionCommand::AnswerObjection {
                            distribution_id,
                            version,
                            organisation_id: hub.orgs[objector].id,
                            answer,
                        },
                    )
                    .await?;
                }
                let reason = self.pick_text(CLOSE_REASONS, topic);
                self.exec(
                    hub.facilitator(),
                    DistributionCommand::CloseWithoutAgreement {
                        distribution_id,
                        version,
                        reason,
                    },
                )
                .await?;
                Ok(Ending::Closed)
            }
            // The proposer withdraws it before agreement.
            _ => {
                let k = self.rng.gen_range(0..parties.len());
                let early = parties[..k].to_vec();
                self.consent_all(distribution_id, version, &early).await?;
                let reason = self.pick_text(DISTRIBUTION_WITHDRAWALS, topic);
                self.exec(
                    proposer_id,
                    DistributionCommand::WithdrawDistribution {
                        distribution_id,
                        reason,
                    },
                )
                .await?;
                Ok(Ending::Withdrawn)
            }
        }
    }
}

/// `n` distinct items of `items`, in random order.
fn pick_n<T: Copy>(rng: &mut StdRng, items: &[T], n: usize) -> Vec<T> {
    items.choose_multiple(rng, n).copied().collect()
}

/// Splits `whole` by `weights` into whole parts (each at least 1) that add up to exactly `whole`.
fn split(whole: u32, weights: &[u32]) -> Vec<u32> {
    let total: u64 = weights.iter().map(|w| u64::from(*w).max(1)).sum();
    let mut parts: Vec<u32> = weights
        .iter()
        .map(|w| ((u64::from(whole) * u64::from(*w).max(1)) / total).max(1) as u32)
        .collect();
    let sum: u32 = parts.iter().sum();
    if let Some(first) = parts.first_mut() {
        // The rounding remainder goes to the first party (never below 1: `whole` >= parts).
        *first = (*first + whole).saturating_sub(sum).max(1);
    }
    parts
}

/// Fills a template's `{condition}`, `{service}`, `{harm}`, `{barrier}`, `{cause}`, `{area}`
/// and `{place}`.
fn fill(template: &str, topic: &Topic, place: &str) -> String {
    template
        .replace("{condition}", topic.condition.0)
        .replace("{service}", topic.condition.1)
        .replace("{harm}", topic.condition.2)
        .replace("{barrier}", topic.barrier.0)
        .replace("{cause}", topic.barrier.1)
        .replace("{area}", topic.area)
        .replace("{place}", place)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_adds_up_to_the_whole() {
        for weights in [
            vec![1],
            vec![1, 1, 1],
            vec![55, 20, 30],
            vec![70, 15],
            vec![1; 7],
        ] {
            let parts = split(BASIS_POINTS_WHOLE, &weights);
            assert_eq!(parts.iter().sum::<u32>(), BASIS_POINTS_WHOLE, "{weights:?}");
            assert!(parts.iter().all(|p| *p >= 1));
        }
    }

    #[test]
    fn the_same_seed_plans_the_same_hub() {
        let a = Roster::plan(
            3,
            &mut StdRng::seed_from_u64(mix(DEFAULT_SEED, 3, u64::MAX)),
        );
        let b = Roster::plan(
            3,
            &mut StdRng::seed_from_u64(mix(DEFAULT_SEED, 3, u64::MAX)),
        );
        assert_eq!(a.hub_id, b.hub_id);
        assert_eq!(a.people[0].id, b.people[0].id);
        assert_eq!(a.name, "Wolverhampton Community Health Hub");
        assert!(a.orgs.iter().any(|o| o.kind == StakeholderKind::Innovator));
        assert!(!a.champions().is_empty());
    }
}
