//! `cohub token`: issue a bearer token for a member, signed with the data directory's key.

use crate::data_dir::DEFAULT_DATA_DIR;
use cohub_api::TokenIssuer;
use cohub_domain::example;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `cohub token`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory whose signing key signs the token (the key is made on first use).
    #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// The member the token speaks for: a member UUID, or a demo person's key
    /// (`facilitator`, `champion`, `carers_lead`, ... — see `cohub demo`).
    #[arg(long)]
    member: String,
    /// Make it an operator's token: the operator may verify every hub's chain and read every
    /// hub's record (it acts in a hub only as the member it names, if that is one).
    #[arg(long)]
    operator: bool,
    /// How long the token is valid, in hours.
    #[arg(long, default_value_t = 24 * 7)]
    hours: u64,
}

/// The member id named by `--member`.
pub fn member_id(arg: &str) -> anyhow::Result<uuid::Uuid> {
    if let Ok(id) = arg.parse::<uuid::Uuid>() {
        return Ok(id);
    }
    example::person(arg).map(|p| p.id.uuid()).ok_or_else(|| {
        let keys: Vec<_> = example::people().iter().map(|p| p.key).collect();
        anyhow::anyhow!(
            "--member takes a member UUID or one of the demo people: {}",
            keys.join(", ")
        )
    })
}

/// Prints the token on standard output.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let member = member_id(&args.member)?;
    std::fs::create_dir_all(&args.data)?;
    let issuer = TokenIssuer::open(&args.data)?;
    let ttl = Duration::from_secs(args.hours.saturating_mul(3600));
    let token = if args.operator {
        issuer.issue_operator(member, ttl)?
    } else {
        issuer.issue(member, ttl)?
    };
    outln!("{token}")?;
    Ok(ExitCode::SUCCESS)
}
