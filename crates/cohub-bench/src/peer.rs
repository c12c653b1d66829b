//! `cohub-bench peer`: the peer, the hub workload built the way the cqrs-es book builds a
//! service: one aggregate per problem, idea and distribution, its commands decided by
//! `handle`, its events stored by postgres-es in PostgreSQL (one transaction per command, with
//! optimistic concurrency on the aggregate's sequence), behind an axum handler.
//!
//! It keeps the rules a single aggregate can see: a problem, idea or distribution is made once;
//! feedback ids do not repeat; a distribution's parties are 1 to 50 distinct organisations
//! whose shares add up to 10,000 basis points; a consent names the open version, a party, and
//! comes once. It has no membership, tokens, hash chain, idempotency or read models, which
//! cohub does on every command: the comparison favours the peer.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, CqrsFramework, DomainEvent};
use postgres_es::{PostgresCqrs, PostgresEventRepository};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;
use sqlx::Executor;
use std::net::SocketAddr;
use std::sync::Arc;
use uuid::Uuid;

/// Arguments of `cohub-bench peer`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database (its `events` table is made if it is not there).
    #[arg(long)]
    url: String,
    /// The address to listen on (port 0 picks one; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// The connection pool's size (cohub's PostgreSQL store uses 10 by default, as does
    /// postgres-es's own `default_postgress_pool`).
    #[arg(long, default_value_t = 10)]
    pool: u32,
}

/// A problem, an idea or a distribution, as its events made it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Entity {
    state: Kind,
}

/// What an aggregate is.
#[derive(Debug, Default, Serialize, Deserialize)]
enum Kind {
    /// Nothing has happened to it yet.
    #[default]
    Empty,
    /// A framed problem.
    Problem,
    /// A proposed idea, with the ids of the feedback it was given.
    Idea { feedback: Vec<Uuid> },
    /// A proposed distribution: its parties, open version and who consented to it.
    Distribution {
        parties: Vec<Uuid>,
        version: u32,
        consented: Vec<Uuid>,
    },
}

/// The workload's commands, as the driver sends them.
#[derive(Debug, Deserialize)]
pub enum Command {
    /// Frame a problem.
    FrameProblem {
        hub: Uuid,
        by: Uuid,
        title: String,
        statement: String,
        affected: String,
        place: String,
    },
    /// Propose an idea on a problem.
    ProposeIdea {
        hub: Uuid,
        problem: Uuid,
        by: Uuid,
        title: String,
        summary: String,
    },
    /// Give feedback on an idea.
    GiveFeedback {
        feedback: Uuid,
        by: Uuid,
        text: String,
    },
    /// Propose a distribution of an idea's rewards.
    ProposeDistribution {
        hub: Uuid,
        idea: Uuid,
        by: Uuid,
        parties: Vec<Uuid>,
        shares: Vec<u32>,
        terms: String,
    },
    /// Consent, for an organisation, to a distribution's open version.
    Consent {
        version: u32,
        by: Uuid,
        organisation: Uuid,
    },
}

/// The workload's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A problem was framed.
    ProblemFramed {
        hub: Uuid,
        by: Uuid,
        title: String,
        statement: String,
        affected: String,
        place: String,
    },
    /// An idea was proposed.
    IdeaProposed {
        hub: Uuid,
        problem: Uuid,
        by: Uuid,
        title: String,
        summary: String,
    },
    /// Feedback was given.
    FeedbackGiven {
        feedback: Uuid,
        by: Uuid,
        text: String,
    },
    /// A distribution was proposed (its version 1).
    DistributionProposed {
        hub: Uuid,
        idea: Uuid,
        by: Uuid,
        parties: Vec<Uuid>,
        shares: Vec<u32>,
        terms: String,
    },
    /// An organisation consented to a version.
    DistributionConsented {
        version: u32,
        by: Uuid,
        organisation: Uuid,
    },
}

impl DomainEvent for Event {
    fn event_type(&self) -> String {
        match self {
            Event::ProblemFramed { .. } => "ProblemFramed",
            Event::IdeaProposed { .. } => "IdeaProposed",
            Event::FeedbackGiven { .. } => "FeedbackGiven",
            Event::DistributionProposed { .. } => "DistributionProposed",
            Event::DistributionConsented { .. } => "DistributionConsented",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

/// A command the rules refuse, in words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(String);

fn refuse(why: &str) -> Result<(), Refused> {
    Err(Refused(why.to_string()))
}

impl Aggregate for Entity {
    const TYPE: &'static str = "entity";
    type Command = Command;
    type Event = Event;
    type Error = Refused;
    type Services = ();

    async fn handle(
        &mut self,
        command: Command,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), Refused> {
        let event = match (command, &self.state) {
            (
                Command::FrameProblem {
                    hub,
                    by,
                    title,
                    statement,
                    affected,
                    place,
                },
                Kind::Empty,
            ) => {
                if [&title, &statement, &affected, &place]
                    .iter()
                    .any(|t| t.trim().is_empty())
                {
                    return refuse(
                        "A framing needs a title, statement, who is affected and where.",
                    );
                }
                Event::ProblemFramed {
                    hub,
                    by,
                    title,
                    statement,
                    affected,
                    place,
                }
            }
            (
                Command::ProposeIdea {
                    hub,
                    problem,
                    by,
                    title,
                    summary,
                },
                Kind::Empty,
            ) => {
                if title.trim().is_empty() || summary.trim().is_empty() {
                    return refuse("An idea needs a title and a summary.");
                }
                Event::IdeaProposed {
                    hub,
                    problem,
                    by,
                    title,
                    summary,
                }
            }
            (Command::GiveFeedback { feedback, by, text }, Kind::Idea { feedback: given }) => {
                if given.contains(&feedback) {
                    return refuse("Feedback with this id has already been given.");
                }
                if text.trim().is_empty() {
                    return refuse("Feedback needs words.");
                }
                Event::FeedbackGiven { feedback, by, text }
            }
            (
                Command::ProposeDistribution {
                    hub,
                    idea,
                    by,
                    parties,
                    shares,
                    terms,
                },
                Kind::Empty,
            ) => {
                let mut distinct = parties.clone();
                distinct.sort();
                distinct.dedup();
                if parties.is_empty() || parties.len() > 50 || distinct.len() != parties.len() {
                    return refuse("A distribution has 1 to 50 distinct parties.");
                }
                if shares.len() != parties.len() || shares.iter().sum::<u32>() != 10_000 {
                    return refuse("Each party has a share, and the shares add up to 10000.");
                }
                Event::DistributionProposed {
                    hub,
                    idea,
                    by,
                    parties,
                    shares,
                    terms,
                }
            }
            (
                Command::Consent {
                    version,
                    by,
                    organisation,
                },
                Kind::Distribution {
                    parties,
                    version: open,
                    consented,
                },
            ) => {
                if version != *open {
                    return refuse("That is not the open version.");
                }
                if !parties.contains(&organisation) {
                    return refuse("Your organisation is not a party to this version.");
                }
                if consented.contains(&organisation) {
                    return refuse("Your organisation has already consented to this version.");
                }
                Event::DistributionConsented {
                    version,
                    by,
                    organisation,
                }
            }
            (_, Kind::Empty) => return refuse("There is nothing with this id."),
            _ => return refuse("That does not apply to this aggregate."),
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::ProblemFramed { .. } => self.state = Kind::Problem,
            Event::IdeaProposed { .. } => {
                self.state = Kind::Idea {
                    feedback: Vec::new(),
                }
            }
            Event::FeedbackGiven { feedback, .. } => {
                if let Kind::Idea { feedback: given } = &mut self.state {
                    given.push(feedback);
                }
            }
            Event::DistributionProposed { parties, .. } => {
                self.state = Kind::Distribution {
                    parties,
                    version: 1,
                    consented: Vec::new(),
                }
            }
            Event::DistributionConsented { organisation, .. } => {
                if let Kind::Distribution { consented, .. } = &mut self.state {
                    consented.push(organisation);
                }
            }
        }
    }
}

/// The events table postgres-es reads and writes (its own `db/init.sql`).
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS events (
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
)";

/// Serves the peer until killed, after printing `listening on http://ADDR`.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(args.pool)
        .connect(&args.url)
        .await?;
    pool.execute(SCHEMA).await?;
    let store = PersistedEventStore::new_event_store(PostgresEventRepository::new(pool));
    let cqrs: PostgresCqrs<Entity> = CqrsFramework::new(store, vec![], ());
    let app = Router::new()
        .route("/commands/{id}", post(execute))
        .with_state(Arc::new(cqrs));
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Executes one command: 204 when its events are stored, 409 on a sequence conflict, 422
/// when the rules refuse it, 503 when the database fails.
async fn execute(
    State(cqrs): State<Arc<PostgresCqrs<Entity>>>,
    Path(id): Path<Uuid>,
    Json(command): Json<Command>,
) -> (StatusCode, String) {
    match cqrs.execute(&id.to_string(), command).await {
        Ok(()) => (StatusCode::NO_CONTENT, String::new()),
        Err(AggregateError::UserError(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        Err(AggregateError::AggregateConflict) => {
            (StatusCode::CONFLICT, "aggregate conflict".to_string())
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}
