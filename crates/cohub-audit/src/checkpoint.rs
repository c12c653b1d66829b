//! Signed checkpoints: the server vouches for a hub's chain head with an Ed25519 signature, and
//! anyone holding the checkpoint can later ask whether the log still extends it.
//!
//! # The signed bytes
//!
//! The signature covers these UTF-8 lines, each ending in `\n` (no trailing spaces):
//!
//! ```text
//! cohub-checkpoint-v1
//! hub_id=<hub UUID, lowercase, hyphenated>
//! hub_seq=<hub sequence of the head, decimal>
//! hash=<the head event's hash, as given: 64 lowercase hex digits>
//! signed_at=<RFC 3339 UTC time with exactly 6 fractional digits and `Z`>
//! public_key=<the 32-byte Ed25519 public key, 64 lowercase hex digits>
//! ```
//!
//! `signature` is the 64-byte Ed25519 signature of those bytes, hex encoded. `signed_at` is
//! truncated to microseconds when signing, so any RFC 3339 rendering of it re-creates the same
//! bytes.
//!
//! # The key
//!
//! `<data>/keys/checkpoint-signing.key`: an Ed25519 PKCS#8 PEM file created on first use with
//! mode 0600 in a 0700 directory, separate from the token signing key (a leaked token key must
//! not let anyone forge checkpoints, and the reverse).
//!
//! # The proof
//!
//! [`prove`] checks, and reports each check: the checkpoint names the server's public key; its
//! signature verifies; the log still holds an event at `hub_seq` with exactly that `hash`; and
//! the hub's chain verifies from genesis to its current head (at or beyond `hub_seq`). Together:
//! the log as it is now extends the checkpointed one. Rewriting any event at or before the
//! checkpoint, even re-sealing the whole chain consistently, changes the hash at `hub_seq`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use cohub_store::{ChainHead, EventStore, Verification};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AuditError;

/// The checkpoint signing key's place inside a data directory.
pub const CHECKPOINT_KEY_FILE: &str = "keys/checkpoint-signing.key";

/// The first line of the signed bytes (the format's version).
pub const CANONICAL_HEADER: &str = "cohub-checkpoint-v1";

/// A hub's chain head, signed by the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedCheckpoint {
    /// The hub.
    pub hub_id: Uuid,
    /// The hub sequence of the head event.
    pub hub_seq: u64,
    /// The head event's hash (hex SHA-256).
    pub hash: String,
    /// When the server signed it.
    pub signed_at: DateTime<Utc>,
    /// The server's Ed25519 public key, hex.
    pub public_key: String,
    /// The Ed25519 signature of [`canonical_bytes`](Self::canonical_bytes), hex.
    pub signature: String,
}

impl SignedCheckpoint {
    /// The bytes the signature covers (see the module documentation).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical_bytes(
            self.hub_id,
            self.hub_seq,
            &self.hash,
            self.signed_at,
            &self.public_key,
        )
    }
}

/// The bytes a checkpoint's signature covers.
pub fn canonical_bytes(
    hub_id: Uuid,
    hub_seq: u64,
    hash: &str,
    signed_at: DateTime<Utc>,
    public_key: &str,
) -> Vec<u8> {
    format!(
        "{CANONICAL_HEADER}\nhub_id={}\nhub_seq={hub_seq}\nhash={hash}\nsigned_at={}\npublic_key={public_key}\n",
        hub_id.hyphenated(),
        signed_at.to_rfc3339_opts(SecondsFormat::Micros, true),
    )
    .into_bytes()
}

/// Why the checkpoint key could not be loaded or created (the shared key-file error).
pub use cohub_keys::KeyError;

/// The server's checkpoint signing key.
pub struct CheckpointSigner {
    key: SigningKey,
    public_hex: String,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("public_key", &self.public_hex)
            .finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// Where the key of `data_dir` lives.
    pub fn key_path(data_dir: &Path) -> PathBuf {
        data_dir.join(CHECKPOINT_KEY_FILE)
    }

    /// Loads the key of `data_dir`, creating it (0600, in a 0700 `keys/`) if there is none.
    /// Safe to race with another process: the first key linked into place wins.
    pub fn open(data_dir: &Path) -> Result<CheckpointSigner, KeyError> {
        let key = cohub_keys::load_or_create(&Self::key_path(data_dir), "checkpoint signing key")?;
        Ok(Self::from_key(key))
    }

    /// A signer with a given key (tests).
    pub fn from_key(key: SigningKey) -> CheckpointSigner {
        let public_hex = hex::encode(key.verifying_key().to_bytes());
        CheckpointSigner { key, public_hex }
    }

    /// The public key, hex.
    pub fn public_key_hex(&self) -> &str {
        &self.public_hex
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs `head` as of `signed_at` (truncated to microseconds).
    pub fn sign(&self, head: &ChainHead, signed_at: DateTime<Utc>) -> SignedCheckpoint {
        let signed_at = truncate_micros(signed_at);
        let bytes = canonical_bytes(
            head.hub_id,
            head.hub_seq,
            &head.hash,
            signed_at,
            &self.public_hex,
        );
        SignedCheckpoint {
            hub_id: head.hub_id,
            hub_seq: head.hub_seq,
            hash: head.hash.clone(),
            signed_at,
            public_key: self.public_hex.clone(),
            signature: hex::encode(self.key.sign(&bytes).to_bytes()),
        }
    }
}

/// A data directory's checkpoint key, opened (and created, 0600) on first use, then kept: what
/// a server holds so that the key exists only once someone asks for a checkpoint.
#[derive(Debug)]
pub struct CheckpointKey {
    data_dir: PathBuf,
    opened: std::sync::Mutex<Option<std::sync::Arc<CheckpointSigner>>>,
}

impl CheckpointKey {
    /// The key of `data_dir` (nothing is read or created yet).
    pub fn new(data_dir: impl Into<PathBuf>) -> CheckpointKey {
        CheckpointKey {
            data_dir: data_dir.into(),
            opened: std::sync::Mutex::new(None),
        }
    }

    /// The signer, opening or creating the key the first time.
    pub fn signer(&self) -> Result<std::sync::Arc<CheckpointSigner>, KeyError> {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = opened.as_ref() {
            return Ok(s.clone());
        }
        let signer = std::sync::Arc::new(CheckpointSigner::open(&self.data_dir)?);
        *opened = Some(signer.clone());
        Ok(signer)
    }
}

fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Verifies `hub`'s chain and signs its head as of `now`. Refuses an unknown hub, and a hub
/// whose chain does not verify (the server never vouches for a broken log).
pub async fn sign_head(
    store: &dyn EventStore,
    signer: &CheckpointSigner,
    hub: Uuid,
    now: DateTime<Utc>,
) -> Result<SignedCheckpoint, AuditError> {
    if store.chain_head(hub).await?.hub_seq == 0 {
        return Err(AuditError::NotFound(format!(
            "there is no hub {hub} in this log"
        )));
    }
    match store.verify_hub(hub).await? {
        Verification::Ok(head) => Ok(signer.sign(&head, now)),
        Verification::Broken {
            hub_seq, reason, ..
        } => Err(AuditError::Broken(format!(
            "hub {hub}'s chain does not verify (at hub sequence {hub_seq}: {reason}), so its head cannot be signed"
        ))),
    }
}

/// One check of a proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofCheck {
    /// `key`, `signature`, `event` or `chain`.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, in plain words.
    pub detail: String,
}

/// The answer to "does the log still extend this checkpoint?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// True when every check passed.
    pub ok: bool,
    /// In plain words: why it holds, or the first reason it does not.
    pub reason: String,
    /// Every check, in order.
    pub checks: Vec<ProofCheck>,
    /// The hub's verified head now, when the chain verifies.
    pub current_head: Option<ChainHead>,
}

fn check(name: &str, ok: bool, detail: impl Into<String>) -> ProofCheck {
    ProofCheck {
        name: name.to_string(),
        ok,
        detail: detail.into(),
    }
}

/// Checks a checkpoint against `server_key` and the log as it is now (see the module docs).
pub async fn prove(
    store: &dyn EventStore,
    server_key: &VerifyingKey,
    cp: &SignedCheckpoint,
) -> Result<Proof, AuditError> {
    let mut checks = Vec::new();
    let server_hex = hex::encode(server_key.to_bytes());

    // 1. The embedded key is this server's.
    let embedded = decode_key(&cp.public_key);
    checks.push(match &embedded {
        Err(why) => check("key", false, format!("the checkpoint's public key {why}")),
        Ok(k) if k.to_bytes() != server_key.to_bytes() => check(
            "key",
            false,
            format!(
                "the checkpoint was signed with public key {}, not this server's key {server_hex}",
                cp.public_key
            ),
        ),
        Ok(_) => check(
            "key",
            true,
            format!("signed with this server's key {server_hex}"),
        ),
    });

    // 2. The signature covers exactly these fields (checked with the server's key).
    let signature = hex::decode(&cp.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        .map(|b| Signature::from_bytes(&b));
    checks.push(match signature {
        None => check("signature", false, "the signature is not 64 bytes of hex"),
        Some(sig) => match server_key.verify(&cp.canonical_bytes(), &sig) {
            Ok(()) => check(
                "signature",
                true,
                "the signature matches the hub, sequence, hash, time and key",
            ),
            Err(_) => check(
                "signature",
                false,
                "the signature does not match: the checkpoint was altered, or this server did not sign it",
            ),
        },
    });

    // 3. The log still holds that event with that hash.
    let found = if cp.hub_seq == 0 {
        Ok(None)
    } else {
        store
            .read_hub(cp.hub_id, cp.hub_seq - 1, 1)
            .await
            .map(|events| events.into_iter().find(|e| e.hub_seq == cp.hub_seq))
    };
    checks.push(match found {
        Err(e) => check(
            "event",
            false,
            format!(
                "the event at hub sequence {} cannot be read from the log: {e}",
                cp.hub_seq
            ),
        ),
        Ok(None) => check(
            "event",
            false,
            format!(
                "the log has no event at hub sequence {} of hub {} any more (events were removed)",
                cp.hub_seq, cp.hub_id
            ),
        ),
        Ok(Some(e)) if e.hash != cp.hash => check(
            "event",
            false,
            format!(
                "the event at hub sequence {} now has hash {}, not the checkpointed {}: the history up to the checkpoint was rewritten",
                cp.hub_seq, e.hash, cp.hash
            ),
        ),
        Ok(Some(_)) => check(
            "event",
            true,
            format!("the log still holds event {} with the checkpointed hash", cp.hub_seq),
        ),
    });

    // 4. The chain verifies from genesis to its head, at or past the checkpoint.
    let mut current_head = None;
    checks.push(match store.verify_hub(cp.hub_id).await? {
        Verification::Ok(head) if head.hub_seq < cp.hub_seq => check(
            "chain",
            false,
            format!(
                "the chain now ends at hub sequence {}, before the checkpoint's {}",
                head.hub_seq, cp.hub_seq
            ),
        ),
        Verification::Ok(head) => {
            let detail = format!(
                "the chain verifies from genesis to its head at hub sequence {} ({} events after the checkpoint)",
                head.hub_seq,
                head.hub_seq - cp.hub_seq
            );
            current_head = Some(head);
            check("chain", true, detail)
        }
        Verification::Broken {
            hub_seq,
            position,
            reason,
            ..
        } => check(
            "chain",
            false,
            format!(
                "the chain does not verify at hub sequence {hub_seq}{}: {reason}",
                position
                    .map(|p| format!(" (global position {p})"))
                    .unwrap_or_default()
            ),
        ),
    });

    let ok = checks.iter().all(|c| c.ok);
    let reason = match checks.iter().find(|c| !c.ok) {
        Some(c) => c.detail.clone(),
        None => format!(
            "the log still extends the checkpoint: event {} has hash {}, and the chain verifies to hub sequence {}",
            cp.hub_seq,
            cp.hash,
            current_head.as_ref().map_or(cp.hub_seq, |h| h.hub_seq)
        ),
    };
    Ok(Proof {
        ok,
        reason,
        checks,
        current_head,
    })
}

fn decode_key(hex_key: &str) -> Result<VerifyingKey, &'static str> {
    let bytes = hex::decode(hex_key).map_err(|_| "is not hex")?;
    let arr = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| "is not 32 bytes")?;
    VerifyingKey::from_bytes(&arr).map_err(|_| "is not a valid Ed25519 key")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn head() -> ChainHead {
        ChainHead {
            hub_id: Uuid::from_u128(7),
            hub_seq: 42,
            hash: "ab".repeat(32),
        }
    }

    #[test]
    fn canonical_bytes_are_documented_lines() {
        let t = DateTime::parse_from_rfc3339("2025-03-01T09:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        let bytes = canonical_bytes(head().hub_id, 42, &head().hash, t, "cd");
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            format!(
                "cohub-checkpoint-v1\nhub_id=00000000-0000-0000-0000-000000000007\nhub_seq=42\nhash={}\nsigned_at=2025-03-01T09:00:00.500000Z\npublic_key=cd\n",
                "ab".repeat(32)
            )
        );
    }

    #[test]
    fn the_key_is_created_once_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let a = CheckpointSigner::open(dir.path()).unwrap();
        let b = CheckpointSigner::open(dir.path()).unwrap();
        assert_eq!(a.public_key_hex(), b.public_key_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = CheckpointSigner::key_path(dir.path());
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dir_mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        assert!(CheckpointSigner::key_path(dir.path()).ends_with("keys/checkpoint-signing.key"));
        let lazy = CheckpointKey::new(dir.path().join("other"));
        assert!(!CheckpointSigner::key_path(&dir.path().join("other")).exists());
        let first = lazy.signer().unwrap();
        assert!(CheckpointSigner::key_path(&dir.path().join("other")).exists());
        assert_eq!(
            first.public_key_hex(),
            lazy.signer().unwrap().public_key_hex()
        );
    }

    #[test]
    fn a_signature_survives_json_and_breaks_on_any_change() {
        let signer = CheckpointSigner::from_key(SigningKey::from_bytes(&[3; 32]));
        let cp = signer.sign(&head(), Utc::now());
        let json = serde_json::to_string(&cp).unwrap();
        assert!(json.contains("\"hubSeq\":42") && json.contains("\"publicKey\""));
        let back: SignedCheckpoint = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cp);
        let verify = |c: &SignedCheckpoint| {
            let sig = Signature::from_bytes(
                &<[u8; 64]>::try_from(hex::decode(&c.signature).unwrap().as_slice()).unwrap(),
            );
            signer
                .verifying_key()
                .verify(&c.canonical_bytes(), &sig)
                .is_ok()
        };
        assert!(verify(&back));
        let mut changed = back.clone();
        changed.hub_seq += 1;
        assert!(!verify(&changed));
        let mut changed = back.clone();
        changed.signed_at += chrono::Duration::microseconds(1);
        assert!(!verify(&changed));
        let mut changed = back;
        changed.hash = "cd".repeat(32);
        assert!(!verify(&changed));
    }
}
