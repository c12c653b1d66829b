//! Ed25519 signing keys kept as files in a data directory: the token key (`cohub-api`) and the
//! checkpoint key (`cohub-audit`). A key is a PKCS#8 PEM file, readable with standard tools,
//! created on first use with mode 0600 in a 0700 directory. Two processes creating it at once
//! end up with the same key: each writes a temporary file and links it into place only if no
//! key exists yet.

#![warn(missing_docs)]

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;
use uuid::Uuid;

/// Why a key file could not be loaded or created.
#[derive(Debug, Error)]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("could not {action} the {what} {}: {source}", path.display())]
    Io {
        /// Which key, in words (`token signing key`).
        what: &'static str,
        /// What was being done (`read`, `create`, ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file is not an Ed25519 PKCS#8 PEM key.
    #[error("the {what} {} is not an Ed25519 PKCS#8 PEM key: {reason}", path.display())]
    Malformed {
        /// Which key, in words.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// Loads the key at `path`, creating it if there is none. `what` names the key in errors and
/// logs. Warns if an existing key file is readable by other users.
pub fn load_or_create(path: &Path, what: &'static str) -> Result<SigningKey, KeyError> {
    let key = match fs::read_to_string(path) {
        Ok(pem) => parse(path, what, &pem)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path, what)?,
        Err(source) => {
            return Err(KeyError::Io {
                what,
                action: "read",
                path: path.to_path_buf(),
                source,
            })
        }
    };
    warn_if_readable_by_others(path, what);
    Ok(key)
}

fn parse(path: &Path, what: &'static str, pem: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| KeyError::Malformed {
        what,
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn create(path: &Path, what: &'static str) -> Result<SigningKey, KeyError> {
    let io = |action, path: &Path, source| KeyError::Io {
        what,
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().expect("a key path has a parent directory");
    create_private_dir(dir).map_err(|e| io("create the directory of", dir, e))?;
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = signing
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| KeyError::Malformed {
            what,
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let tmp = dir.join(format!(".{name}.{}.tmp", Uuid::now_v7().simple()));
    {
        let mut file = private_file(&tmp).map_err(|e| io("create", path, e))?;
        file.write_all(pem.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| io("write", path, e))?;
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
            tracing::info!(path = %path.display(), "created a new {what}");
            Ok(signing)
        }
        // Another process created the key first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let pem = fs::read_to_string(path).map_err(|e| io("read", path, e))?;
            parse(path, what, &pem)
        }
        Err(e) => Err(io("create", path, e)),
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path, what: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the {what} is readable by other users; `chmod 600` it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path, _what: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_private_and_reloads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/test.key");
        let a = load_or_create(&path, "test key").unwrap();
        let b = load_or_create(&path, "test key").unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
    }

    #[test]
    fn racing_creators_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/raced.key");
        let keys: Vec<[u8; 32]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| load_or_create(&path, "raced key").unwrap().to_bytes()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn a_malformed_file_is_named_in_plain_words() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.key");
        fs::write(&path, "not a key").unwrap();
        let err = load_or_create(&path, "test key").unwrap_err().to_string();
        assert!(err.contains("is not an Ed25519 PKCS#8 PEM key"), "{err}");
    }
}
