//! Where provider secrets live: the OS keyring when one answers (macOS Keychain, Windows
//! Credential Manager, a Secret Service on Linux), else `credentials.json` beside the database,
//! readable by the owner only. Never the database, never any output.

use std::collections::BTreeMap;
use std::path::Path;

use dossier_core::Provider;

use crate::error::{Error, Problem, Result};

const FILE: &str = "credentials.json";
const SERVICE: &str = "dossier";

fn unavailable(message: String) -> Error {
    Error::Unexpected(Problem::new("credentials_unavailable", message))
}

/// The keyring entry of one provider for one data directory.
fn entry(dir: &Path, provider: Provider) -> Option<keyring::Entry> {
    // `DOSSIER_CREDENTIALS=file` keeps secrets out of the keyring (shared machines, tests).
    if std::env::var("DOSSIER_CREDENTIALS").is_ok_and(|v| v == "file") {
        return None;
    }
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    keyring::Entry::new(SERVICE, &format!("{provider}@{}", dir.display())).ok()
}

fn read_file(dir: &Path) -> Result<BTreeMap<String, String>> {
    match std::fs::read_to_string(dir.join(FILE)) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|_| unavailable("the credentials file cannot be read: set the providers again".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(unavailable(format!("the credentials file cannot be read: {}", e.kind()))),
    }
}

fn write_file(dir: &Path, creds: &BTreeMap<String, String>) -> Result<()> {
    use std::io::Write;
    let path = dir.join(FILE);
    let tmp = dir.join(format!("{FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(serde_json::to_string(creds).expect("a string map serializes").as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| unavailable(format!("the credentials file cannot be written: {}", e.kind())))
}

/// Stores a provider's secret: in the keyring when it accepts it (and then not in the file),
/// else in the file.
pub(crate) fn store(dir: &Path, provider: Provider, secret: &str) -> Result<()> {
    let mut file = read_file(dir)?;
    let in_keyring = entry(dir, provider).is_some_and(|e| e.set_password(secret).is_ok());
    if in_keyring {
        if file.remove(provider.as_str()).is_some() {
            write_file(dir, &file)?;
        }
    } else {
        file.insert(provider.as_str().to_owned(), secret.to_owned());
        write_file(dir, &file)?;
    }
    Ok(())
}

/// A provider's secret, from the keyring or the file.
pub(crate) fn secret(dir: &Path, provider: Provider) -> Result<Option<String>> {
    if let Some(found) = entry(dir, provider).and_then(|e| e.get_password().ok()) {
        return Ok(Some(found));
    }
    Ok(read_file(dir)?.remove(provider.as_str()))
}
