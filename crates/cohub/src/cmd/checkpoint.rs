//! `cohub checkpoint sign|prove`: the server's Ed25519 signature over a hub's chain head, and
//! the check that the log still extends a signed head.
//!
//! The key is `<data>/keys/checkpoint-signing.key` (created 0600 on first use, separate from
//! the token key), the same one `cohub serve` signs with, so a checkpoint from the GraphQL
//! `signCheckpoint` mutation proves here and the reverse. The checkpoint is JSON:
//! `{ hubId, hubSeq, hash, signedAt, publicKey, signature }`; what the signature covers is
//! documented in `cohub_audit::checkpoint`.

use crate::data_dir::DEFAULT_DATA_DIR;
use crate::store_select;
use cohub_audit::{prove, sign_head, CheckpointSigner, SignedCheckpoint};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cohub checkpoint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Verify a hub's chain and print its head, signed with the data directory's checkpoint
    /// key, as JSON (keep it somewhere the server cannot rewrite).
    Sign {
        /// The data directory: its log (unless --store) and `keys/checkpoint-signing.key`.
        #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
        data: PathBuf,
        /// Read the log from PostgreSQL instead of the data directory's sled log.
        #[arg(
            long = "store",
            env = "COHUB_DATABASE_URL",
            value_name = "POSTGRES_URL"
        )]
        store_url: Option<String>,
        /// The hub (its UUID).
        #[arg(long)]
        hub: uuid::Uuid,
    },
    /// Check a signed checkpoint against the key and the log as it is now: prints OK (exit 0)
    /// or FAILED with the reason (exit 1).
    Prove {
        /// The data directory: its log (unless --store) and `keys/checkpoint-signing.key`.
        #[arg(long, env = "COHUB_DATA", default_value = DEFAULT_DATA_DIR)]
        data: PathBuf,
        /// Read the log from PostgreSQL instead of the data directory's sled log.
        #[arg(
            long = "store",
            env = "COHUB_DATABASE_URL",
            value_name = "POSTGRES_URL"
        )]
        store_url: Option<String>,
        /// The checkpoint JSON file written by `cohub checkpoint sign` (`-` for stdin).
        file: PathBuf,
    },
}

/// Runs `cohub checkpoint sign` or `cohub checkpoint prove`.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Sign {
            data,
            store_url,
            hub,
        } => {
            let opened = open(&data, store_url.as_deref()).await?;
            let signer = CheckpointSigner::open(&data)?;
            let signed =
                sign_head(opened.shared().as_ref(), &signer, hub, chrono::Utc::now()).await;
            opened.close().await?;
            let cp = signed?;
            outln!("{}", serde_json::to_string_pretty(&cp)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Action::Prove {
            data,
            store_url,
            file,
        } => {
            let text = if file.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s
            } else {
                std::fs::read_to_string(&file).map_err(|e| {
                    anyhow::anyhow!("cannot read the checkpoint {}: {e}", file.display())
                })?
            };
            let cp: SignedCheckpoint = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{} is not a checkpoint written by `cohub checkpoint sign`: {e}",
                    file.display()
                )
            })?;
            let opened = open(&data, store_url.as_deref()).await?;
            let signer = CheckpointSigner::open(&data)?;
            let proof = prove(opened.shared().as_ref(), &signer.verifying_key(), &cp).await;
            opened.close().await?;
            let proof = proof?;
            outln!(
                "hub {} at hub sequence {}: {}: {}",
                cp.hub_id,
                cp.hub_seq,
                if proof.ok { "OK" } else { "FAILED" },
                proof.reason
            )?;
            for c in &proof.checks {
                outln!(
                    "  {:<9} {} {}",
                    c.name,
                    if c.ok { "ok    " } else { "FAILED" },
                    c.detail
                )?;
            }
            Ok(if proof.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

async fn open(
    data: &std::path::Path,
    store_url: Option<&str>,
) -> anyhow::Result<store_select::OpenedStore> {
    if store_url.is_none() {
        // Never create an empty log by mistake: the log must already be there.
        crate::data_dir::DataDir::new(data)
            .open_existing_store()
            .await
            .map(store_select::OpenedStore::Sled)
    } else {
        store_select::open(data, store_url).await
    }
}
