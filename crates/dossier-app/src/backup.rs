//! Backups to one file, and restoring from one.
//!
//! A backup is a tar file of the data directory as it was at one moment: `key.json` (the data
//! key, wrapped under the passphrase of that moment), `dossier.db` (a consistent snapshot taken
//! with `VACUUM INTO` while the app goes on working, encrypted with the data key like the
//! original), every stored scan (sealed, as stored), the sandbox's records (sealed), and last a
//! `manifest.json` listing each entry's size and SHA-256 with `manifest.seal`, the manifest's
//! digest sealed under the data key. Nothing in it is readable without the passphrase, and no
//! entry can be changed, added or dropped without the restore noticing.
//!
//! A restore never touches the data directory until the backup has been checked completely in
//! a staging directory beside it: the manifest's seal (which needs the backup's passphrase),
//! every entry's digest and no entry more, the database's integrity and its audit chain, and
//! every scan's content against its reference. Only then is the old directory moved aside
//! (`NAME.before-restore-TIMESTAMP`, kept for the user to delete) and the staged one renamed
//! into its place; a crash between those two renames is finished by the next command.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::error::Problem;
use crate::keys::{self, DataKey, Passphrase};
use crate::{Dossier, Error, Reason, Result, Unlock};

const FORMAT: &str = "dossier-backup";
const VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SEAL: &str = "manifest.seal";
const SEAL_CONTEXT: &[u8] = b"dossier backup manifest v1";
/// Marks a staged restore that passed every check (so a crash after it can be finished).
const VERIFIED: &str = ".restore-verified";

/// What `backup` wrote.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct BackupView {
    pub path: String,
    pub bytes: u64,
    pub scans: usize,
    pub created_at: String,
    pub schema_version: usize,
}

/// What `restore` put in place.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RestoreView {
    pub data_dir: String,
    /// Where the data directory that was replaced now is (`null` when there was none).
    pub previous: Option<String>,
    pub created_at: String,
    pub audit_events: u64,
    pub scans: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    created_at: String,
    dossier_version: String,
    schema_version: usize,
    entries: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    path: String,
    bytes: u64,
    sha256: String,
}

fn io_error(what: &str, e: &std::io::Error) -> Error {
    Error::Unexpected(Problem::new("backup_failed", format!("could not {what}: {}", e.kind())))
}

fn invalid(why: &str) -> Error {
    let message = format!("the file is not a usable Dossier backup: {why}");
    Error::Unprocessable(
        Problem::new("backup_invalid", message.clone()).with_reasons(vec![Reason::new("backup_invalid", message)]),
    )
}

/// Streams `path` through SHA-256: (hex digest, length).
fn digest_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}

/// The stored scans of a data directory, as paths relative to it.
fn scan_paths(data_dir: &Path) -> std::io::Result<Vec<String>> {
    let root = data_dir.join(crate::files::FILES_DIR);
    let mut out = Vec::new();
    let shards = match std::fs::read_dir(&root) {
        Ok(shards) => shards,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for shard in shards {
        let shard = shard?;
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path())? {
            let file = file?;
            let name = file.file_name().to_string_lossy().into_owned();
            if name.len() == 64 && file.file_type()?.is_file() {
                out.push(format!("{}/{}/{name}", crate::files::FILES_DIR, shard.file_name().to_string_lossy()));
            }
        }
    }
    out.sort();
    Ok(out)
}

impl Dossier {
    /// Writes a backup of this data directory to `out` (see the module docs) while the app goes
    /// on working. Refuses an existing file. The file appears only once it is complete.
    pub fn backup(&self, actor: &dossier_core::Actor, out: &Path) -> Result<BackupView> {
        actor.require(dossier_core::Permission::Backup)?;
        if out.exists() {
            return Err(Error::invalid_input(vec![Reason::field(
                "file",
                "file_exists",
                "the backup file exists already: choose a new name",
            )]));
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "backup".into());
        let snapshot = parent.join(format!(".{name}.db.partial"));
        let partial = parent.join(format!(".{name}.partial"));
        let _ = std::fs::remove_file(&snapshot);
        let result = self.write_backup(out, &snapshot, &partial);
        let _ = std::fs::remove_file(&snapshot);
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }

    fn write_backup(&self, out: &Path, snapshot: &Path, partial: &Path) -> Result<BackupView> {
        let created_at = crate::convert::timestamp(self.env.clock.now());
        // The database first: every scan it refers to was stored before it was referred to,
        // and scans are never removed, so the scans copied after it are all there.
        self.store.snapshot_to(snapshot)?;
        let mut parts: Vec<(String, PathBuf)> = vec![
            (keys::KEY_FILE.to_owned(), self.data_dir.join(keys::KEY_FILE)),
            (crate::DATABASE_FILE.to_owned(), snapshot.to_path_buf()),
        ];
        let scans = scan_paths(&self.data_dir).map_err(|e| io_error("list the stored scans", &e))?;
        parts.extend(scans.iter().map(|rel| (rel.clone(), self.data_dir.join(rel))));
        let sandbox = crate::sandbox::state_path(&self.data_dir);
        if sandbox.is_file() {
            parts.push(("sandbox/state.json".to_owned(), sandbox));
        }
        let file = std::fs::File::create(partial).map_err(|e| io_error("create the backup file", &e))?;
        let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
        let mut entries = Vec::with_capacity(parts.len());
        for (rel, path) in &parts {
            // Hashed, then appended: the manifest names exactly the bytes in the archive.
            let (sha256, bytes) = digest_file(path).map_err(|e| io_error("read the data directory", &e))?;
            tar.append_path_with_name(path, rel).map_err(|e| io_error("write the backup file", &e))?;
            entries.push(Entry { path: rel.clone(), bytes, sha256 });
        }
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            version: VERSION,
            created_at: created_at.clone(),
            dossier_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version: dossier_store::MIGRATIONS.len(),
            entries,
        };
        let manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
        let seal = self.data_key().seal(&Sha256::digest(&manifest_bytes), SEAL_CONTEXT)?;
        for (name, bytes) in [(MANIFEST, manifest_bytes.as_slice()), (SEAL, seal.as_slice())] {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o600);
            header.set_cksum();
            tar.append_data(&mut header, name, bytes).map_err(|e| io_error("write the backup file", &e))?;
        }
        let writer = tar.into_inner().map_err(|e| io_error("write the backup file", &e))?;
        let file = writer.into_inner().map_err(|e| io_error("write the backup file", e.error()))?;
        file.sync_all().map_err(|e| io_error("write the backup file", &e))?;
        drop(file);
        std::fs::rename(partial, out).map_err(|e| io_error("put the backup file in place", &e))?;
        if let Some(dir) = out.parent() {
            keys::sync_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir });
        }
        let bytes = std::fs::metadata(out).map_err(|e| io_error("read the backup file", &e))?.len();
        Ok(BackupView {
            path: out.display().to_string(),
            bytes,
            scans: scans.len(),
            created_at,
            schema_version: dossier_store::MIGRATIONS.len(),
        })
    }
}

/// The sibling directories a restore uses.
fn siblings(data_dir: &Path, stamp: &str) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let parent = data_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let name = data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| {
        Error::invalid_input(vec![Reason::field("data_dir", "invalid_value", "the data directory needs a name")])
    })?;
    Ok((
        parent.clone(),
        parent.join(format!(".{name}.restore-{stamp}")),
        parent.join(format!("{name}.before-restore-{stamp}")),
    ))
}

/// A staged restore that passed every check but was not renamed into place (a crash between
/// the two renames): put it in place now. Called before a data directory is looked at.
pub(crate) fn finish_interrupted_restore(data_dir: &Path) {
    if data_dir.exists() {
        return;
    }
    let Ok((parent, _, _)) = siblings(data_dir, "") else { return };
    let Some(name) = data_dir.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let prefix = format!(".{name}.restore-");
    let Ok(entries) = std::fs::read_dir(&parent) else { return };
    let mut staged: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&prefix)) && p.join(VERIFIED).is_file()
        })
        .collect();
    staged.sort();
    if let Some(latest) = staged.pop()
        && std::fs::rename(&latest, data_dir).is_ok()
    {
        let _ = std::fs::remove_file(data_dir.join(VERIFIED));
        keys::sync_dir(&parent);
    }
}

/// Whether `actor` may replace the data with a backup from a signed-in session (the desktop): the
/// same permission as making one. (The CLI's `restore` needs only the backup's passphrase: the
/// data directory it restores into may have no users yet.)
pub fn may_restore(actor: &dossier_core::Actor) -> Result<()> {
    actor.require(dossier_core::Permission::Backup)?;
    Ok(())
}

/// Restores the backup `file` into `data_dir` (which may be new, or hold data that the backup
/// replaces) after checking all of it; `passphrase` is the one the backup was made under. See
/// the module docs.
pub fn restore(
    data_dir: &Path,
    file: &Path,
    passphrase: &Passphrase,
    now: time::OffsetDateTime,
) -> Result<RestoreView> {
    if crate::sandbox::hosted_elsewhere(data_dir).is_some() {
        return Err(Error::Conflict(Problem::new(
            "data_dir_in_use",
            "the data directory is open in the desktop app: lock or close it, then restore",
        )));
    }
    let stamp = now.unix_timestamp_nanos().to_string();
    let (parent, staging, previous) = siblings(data_dir, &stamp)?;
    std::fs::create_dir_all(&parent).map_err(|e| io_error("create the data directory's folder", &e))?;
    let checked = stage(file, &staging, passphrase);
    let (created_at, audit_events, scans) = match checked {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let had_data = data_dir.exists();
    if had_data {
        std::fs::rename(data_dir, &previous).map_err(|e| io_error("move the current data aside", &e))?;
    }
    std::fs::rename(&staging, data_dir).map_err(|e| io_error("put the restored data in place", &e))?;
    let _ = std::fs::remove_file(data_dir.join(VERIFIED));
    keys::sync_dir(&parent);
    Ok(RestoreView {
        data_dir: data_dir.display().to_string(),
        previous: had_data.then(|| previous.display().to_string()),
        created_at,
        audit_events,
        scans,
    })
}

/// Unpacks and checks a backup into `staging`: (created_at, audit events, scans).
fn stage(file: &Path, staging: &Path, passphrase: &Passphrase) -> Result<(String, u64, usize)> {
    let archive = std::fs::File::open(file).map_err(|_| {
        Error::invalid_input(vec![Reason::field(
            "file",
            "file_unreadable",
            "the backup file could not be read: check that it exists",
        )])
    })?;
    std::fs::create_dir(staging).map_err(|e| io_error("create the staging directory", &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(staging, std::fs::Permissions::from_mode(0o700));
    }
    let mut tar = tar::Archive::new(std::io::BufReader::new(archive));
    let mut unpacked = Vec::new();
    for entry in tar.entries().map_err(|_| invalid("it is not a tar archive"))? {
        let mut entry = entry.map_err(|_| invalid("it is truncated or damaged"))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(invalid("it holds something other than files"));
        }
        let rel = entry.path().map_err(|_| invalid("an entry has an unreadable name"))?.into_owned();
        let safe = rel.components().all(|c| matches!(c, Component::Normal(_)));
        let known = rel == Path::new(MANIFEST)
            || rel == Path::new(SEAL)
            || rel == Path::new(keys::KEY_FILE)
            || rel == Path::new(crate::DATABASE_FILE)
            || rel == Path::new("sandbox/state.json")
            || rel.starts_with(crate::files::FILES_DIR);
        if !safe || !known {
            return Err(invalid("it holds an entry Dossier does not write"));
        }
        let target = staging.join(&rel);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error("unpack the backup", &e))?;
        }
        let mut out = std::fs::File::create(&target).map_err(|e| io_error("unpack the backup", &e))?;
        std::io::copy(&mut entry, &mut out).map_err(|_| invalid("it is truncated or damaged"))?;
        out.sync_all().map_err(|e| io_error("unpack the backup", &e))?;
        unpacked.push(rel.to_string_lossy().into_owned());
    }
    let manifest_bytes = std::fs::read(staging.join(MANIFEST)).map_err(|_| invalid("it has no manifest"))?;
    let seal = std::fs::read(staging.join(SEAL)).map_err(|_| invalid("its manifest is not sealed"))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|_| invalid("its manifest is damaged"))?;
    if manifest.format != FORMAT || manifest.version > VERSION {
        return Err(invalid("it was written by a newer Dossier, or is not a backup"));
    }
    if manifest.schema_version > dossier_store::MIGRATIONS.len() {
        return Err(Error::Conflict(Problem::new(
            "database_too_new",
            "the backup was made by a newer version of Dossier: upgrade Dossier to restore it",
        )));
    }
    // The backup's own passphrase opens its key; the key proves the manifest is the one made
    // with it (a manifest edited to match edited entries fails here).
    let key: DataKey = keys::unlock_data_key(staging, passphrase)?;
    let sealed_digest = key.open(&seal, SEAL_CONTEXT).ok_or_else(|| invalid("its manifest was changed"))?;
    if sealed_digest.as_slice() != Sha256::digest(&manifest_bytes).as_slice() {
        return Err(invalid("its manifest was changed"));
    }
    let mut listed: Vec<&str> = manifest.entries.iter().map(|e| e.path.as_str()).collect();
    listed.extend([MANIFEST, SEAL]);
    listed.sort_unstable();
    unpacked.sort_unstable();
    if listed != unpacked {
        return Err(invalid("entries were added to or removed from it"));
    }
    for entry in &manifest.entries {
        let (sha256, bytes) = digest_file(&staging.join(&entry.path)).map_err(|e| io_error("check the backup", &e))?;
        if sha256 != entry.sha256 || bytes != entry.bytes {
            return Err(invalid(&format!("its entry {} was changed", entry.path)));
        }
    }
    std::fs::remove_file(staging.join(MANIFEST)).map_err(|e| io_error("check the backup", &e))?;
    std::fs::remove_file(staging.join(SEAL)).map_err(|e| io_error("check the backup", &e))?;
    // The data itself: the database opens with the key, is whole, and its audit chain holds;
    // every scan opens and matches its reference.
    let app = Dossier::open_with(
        staging,
        Unlock::Key(&key),
        std::sync::Arc::new(crate::SystemClock),
        std::sync::Arc::new(crate::UuidV7),
    )?;
    app.store.integrity_check().map_err(|_| invalid("its database is damaged"))?;
    // The checks run as the restore itself, not as a user: the backup may have none yet.
    let chain = app.read(|_, tx| Ok(tx.verify_audit_chain(|_| {})?))?;
    if chain.first_broken.is_some() {
        return Err(invalid("its audit trail does not match its hash chain"));
    }
    let scans = scan_paths(staging).map_err(|e| io_error("check the backup", &e))?;
    for rel in &scans {
        let hex = rel.rsplit('/').next().unwrap_or_default();
        app.read_scan(hex).map_err(|_| invalid("a stored scan does not match its reference"))?;
    }
    drop(app);
    std::fs::File::create(staging.join(VERIFIED)).map_err(|e| io_error("check the backup", &e))?;
    Ok((manifest.created_at, chain.checked, scans.len()))
}
