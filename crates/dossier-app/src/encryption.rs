//! How each part of a data directory is encrypted with the data key, and the conversion of a
//! directory from before encryption.
//!
//! - The database: SQLCipher, keyed with the data key (dossier-store).
//! - Each stored scan: `DOSSCAN1` ‖ length ‖ its own random key sealed under the data key ‖ the
//!   scan sealed under its own key (XChaCha20-Poly1305). Both seals bind the scan's reference,
//!   so a scan swapped for another under a different name fails to open.
//! - The sandbox's records: `DOSSTAT1` ‖ the JSON sealed under the data key.
//!
//! Converting a plain directory (`init` on a directory an older build wrote) runs with the key
//! file saying `encrypting`, and every step can be repeated: the database is copied encrypted
//! beside the plain one and renamed over it (until the rename the plain file is the truth, and
//! a crash just means copying again), then each scan and the sandbox file are sealed in place by
//! the same write-then-rename. Only when all are done does the key file say `ready`; any open
//! before that finishes the job.

use std::path::Path;

use dossier_store::DatabaseKind;

use crate::error::Problem;
use crate::keys::{self, DataKey, KEY_BYTES};
use crate::{Dossier, Error, Result};

const SCAN_MAGIC: &[u8; 8] = b"DOSSCAN1";
const STATE_MAGIC: &[u8; 8] = b"DOSSTAT1";
const STATE_CONTEXT: &[u8] = b"dossier sandbox state";

fn storage(what: &str, e: &std::io::Error) -> Error {
    Error::Unexpected(Problem::new("storage_error", format!("could not {what}: {}", e.kind())))
}

/// A scan, sealed for storage under its reference's digest `hex`.
pub(crate) fn seal_scan(key: &DataKey, hex: &str, plain: &[u8]) -> Result<Vec<u8>> {
    let file_key = DataKey::generate()?;
    let wrapped = key.seal(file_key.bytes(), format!("scan key {hex}").as_bytes())?;
    let body = file_key.seal(plain, format!("scan {hex}").as_bytes())?;
    let mut out = Vec::with_capacity(SCAN_MAGIC.len() + 2 + wrapped.len() + body.len());
    out.extend_from_slice(SCAN_MAGIC);
    out.extend_from_slice(&u16::try_from(wrapped.len()).expect("a wrapped key is short").to_be_bytes());
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(&body);
    Ok(out)
}

/// The scan inside `stored`, or `None` when it is not a sealed scan, or does not open with this
/// key under this reference.
pub(crate) fn open_scan(key: &DataKey, hex: &str, stored: &[u8]) -> Option<Vec<u8>> {
    let rest = stored.strip_prefix(SCAN_MAGIC)?;
    let (len, rest) = rest.split_at_checked(2)?;
    let (wrapped, body) = rest.split_at_checked(usize::from(u16::from_be_bytes([len[0], len[1]])))?;
    let file_key: [u8; KEY_BYTES] =
        key.open(wrapped, format!("scan key {hex}").as_bytes())?.as_slice().try_into().ok()?;
    let file_key = DataKey::from_bytes(file_key);
    file_key.open(body, format!("scan {hex}").as_bytes()).map(|plain| plain.to_vec())
}

/// Seals and opens the sandbox's state file with the data key.
pub(crate) struct SandboxSeal(pub DataKey);

impl dossier_sim::StateSeal for SandboxSeal {
    fn seal(&self, plain: &[u8]) -> std::io::Result<Vec<u8>> {
        let sealed = self.0.seal(plain, STATE_CONTEXT).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok([STATE_MAGIC.as_slice(), &sealed].concat())
    }
    fn open(&self, stored: &[u8]) -> std::io::Result<Vec<u8>> {
        stored
            .strip_prefix(STATE_MAGIC)
            .and_then(|sealed| self.0.open(sealed, STATE_CONTEXT))
            .map(|plain| plain.to_vec())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "it does not open with this data key"))
    }
}

/// Finishes converting `data_dir` to encryption (see the module docs); each step is skipped when
/// it is done already, so this can run again after a crash at any point.
pub(crate) fn finish(data_dir: &Path, key: &DataKey) -> Result<()> {
    let db = Dossier::database_path(data_dir);
    let kind = dossier_store::database_kind(&db).map_err(|e| storage("read the database", &e))?;
    if kind == DatabaseKind::Plain {
        let copy = data_dir.join(format!("{}.encrypting", crate::DATABASE_FILE));
        dossier_store::encrypt_plain(&db, &copy, key.bytes())?;
        // The plain database was checkpointed and closed: its WAL holds nothing more, and it
        // must not be replayed into the encrypted file.
        for suffix in ["-wal", "-shm"] {
            let path = data_dir.join(format!("{}{suffix}", crate::DATABASE_FILE));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(storage("remove the plain database's journal", &e)),
            }
        }
        std::fs::rename(&copy, &db).map_err(|e| storage("put the encrypted database in place", &e))?;
        keys::sync_dir(data_dir);
    }
    seal_plain_scans(data_dir, key)?;
    let state = crate::sandbox::state_path(data_dir);
    match std::fs::read(&state) {
        Ok(bytes) if !bytes.starts_with(STATE_MAGIC) => {
            let sealed = dossier_sim::StateSeal::seal(&SandboxSeal(key.clone()), &bytes)
                .map_err(|e| storage("seal the sandbox's records", &e))?;
            let dir = state.parent().expect("the state file has a folder");
            let name = state.file_name().expect("the state file has a name").to_string_lossy();
            keys::write_atomically(dir, &name, &sealed)?;
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(storage("read the sandbox's records", &e)),
    }
    keys::set_state(data_dir, keys::KeyState::Ready)
}

/// Seals every stored scan that is still plain.
fn seal_plain_scans(data_dir: &Path, key: &DataKey) -> Result<()> {
    let root = data_dir.join(crate::files::FILES_DIR);
    let shards = match std::fs::read_dir(&root) {
        Ok(shards) => shards,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(storage("list the stored scans", &e)),
    };
    for shard in shards {
        let shard = shard.map_err(|e| storage("list the stored scans", &e))?.path();
        if !shard.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&shard).map_err(|e| storage("list the stored scans", &e))? {
            let path = entry.map_err(|e| storage("list the stored scans", &e))?.path();
            let Some(hex) = path.file_name().and_then(|n| n.to_str()).filter(|n| n.len() == 64) else {
                continue;
            };
            let bytes = std::fs::read(&path).map_err(|e| storage("read a stored scan", &e))?;
            if bytes.starts_with(SCAN_MAGIC) {
                continue;
            }
            let sealed = seal_scan(key, hex, &bytes)?;
            keys::write_atomically(&shard, hex, &sealed)?;
        }
    }
    Ok(())
}
