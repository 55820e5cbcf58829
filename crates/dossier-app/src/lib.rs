//! Dossier's single API surface. One method per user action, each one SQLite transaction that
//! writes the change together with its audit event, or nothing at all. The CLI, the desktop app
//! and the tests all call this crate; none of them reach the store directly. Bulk work (CSV
//! import of customers, streaming exports) lives in `import.rs`, `export.rs` and the shared
//! layout `customer_csv.rs`.

pub mod approvals;
mod audit;
pub mod audit_export;
pub mod backup;
pub mod bench;
pub mod codes;
mod convert;
mod credentials;
mod customer_csv;
mod customers;
mod derived;
pub mod dto;
mod encryption;
pub mod error;
mod export;
pub mod files;
pub mod generate;
pub mod ids;
mod import;
pub mod input;
pub mod keys;
mod kyc;
pub mod policy;
mod reveal;
pub mod sandbox;
pub mod sync;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dossier_store::Store;
use time::Date;

pub use approvals::{ApprovalQuery, ApprovalView, PendingApproval, Submitted};
pub use audit::AuditVerifyView;
pub use audit_export::{AuditExportCheck, DeviceKeyView, SIGNED_AUDIT_COLUMNS, key_fingerprint, verify_audit_export};
pub use customer_csv::CUSTOMER_COLUMNS;
pub use customers::{LifecycleCommand, VerifyContactInput};
pub use dossier_core::{Actor, Permission, Role, UserName};
pub use error::{Error, ErrorBody, Reason, Result};
pub use export::{AUDIT_COLUMNS, CASE_COLUMNS};
pub use ids::{Clock, FixedClock, IdSource, SequentialIds, SystemClock, UuidV7};
pub use import::{DEFAULT_BATCH_SIZE, ImportOptions, customer_template};
pub use keys::{DataKey, KdfParams, Passphrase};
pub use reveal::{RevealInput, RevealedView};
pub use users::{MIN_PASSWORD_CHARS, Password, UserView, check_new_admin, not_initialised};

/// The database file inside a data directory.
pub const DATABASE_FILE: &str = "dossier.db";

/// An open Dossier data directory.
/// How often [`Dossier::checkpoint_in_background`] checkpoints.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

pub struct Dossier {
    store: Store,
    /// The data key: the database is opened with it; scans and the sandbox's records are
    /// sealed with it.
    key: DataKey,
    env: Env,
    data_dir: PathBuf,
    /// The address of the sandbox this process hosts, when it hosts one.
    sandbox_url: Option<String>,
    /// Checkpoints in the background, for a long-running process (see
    /// [`Dossier::checkpoint_in_background`]); shared with the handles [`Dossier::reopen`]
    /// makes, and stopped when the last of them is dropped.
    checkpointer: Option<Arc<dossier_store::Checkpointer>>,
}

/// Where time and ids come from; kept apart from the store so a write can borrow both.
pub(crate) struct Env {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

impl Env {
    pub fn today(&self) -> Date {
        self.clock.now().date()
    }
}

impl Dossier {
    /// Opens an encrypted data directory with its passphrase, the system clock and v7 ids.
    pub fn open(data_dir: &Path, passphrase: &Passphrase) -> Result<Self> {
        Self::open_with(data_dir, Unlock::Passphrase(passphrase), Arc::new(SystemClock), Arc::new(UuidV7))
    }

    /// Opens an encrypted data directory. Nothing is written when the key is wrong; a
    /// directory whose conversion from plain was cut short is finished first.
    pub fn open_with(
        data_dir: &Path,
        unlock: Unlock<'_>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Result<Self> {
        check_openable(data_dir)?;
        let key = match unlock {
            Unlock::Passphrase(passphrase) => keys::unlock(data_dir, passphrase)?.0,
            Unlock::Key(key) => key.clone(),
        };
        Self::open_keyed(data_dir, key, clock, ids)
    }

    /// Sets up a data directory: a new data key wrapped under `passphrase`, and the database
    /// encrypted with it. An empty (or missing) directory gets an empty database; a directory
    /// from before encryption is converted in place (see [`encryption`]). Refuses a directory
    /// that already has a key, and a passphrase shorter than [`keys::MIN_PASSPHRASE_CHARS`].
    pub fn init(
        data_dir: &Path,
        passphrase: &Passphrase,
        params: KdfParams,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Result<Self> {
        passphrase.check_new("passphrase")?;
        std::fs::create_dir_all(data_dir).map_err(|e| {
            Error::Unexpected(error::Problem::new(
                "data_dir_unavailable",
                format!("could not create the data directory: {}", e.kind()),
            ))
        })?;
        // Only its owner may list or read the directory (the files are encrypted regardless).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700));
        }
        let key = match directory_state(data_dir)? {
            DirectoryState::Encrypted | DirectoryState::Encrypting => return Err(keys::already_initialised()),
            DirectoryState::New => keys::create(data_dir, passphrase, params, keys::KeyState::Ready)?,
            // The key file says "encrypting" until every part is converted, so a crash part-way
            // is finished by the next open.
            DirectoryState::Plain => keys::create(data_dir, passphrase, params, keys::KeyState::Encrypting)?,
        };
        Self::open_keyed(data_dir, key, clock, ids)
    }

    fn open_keyed(data_dir: &Path, key: DataKey, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Result<Self> {
        if keys::read_state(data_dir)? == keys::KeyState::Encrypting {
            encryption::finish(data_dir, &key)?;
        }
        let store = Store::open(&Self::database_path(data_dir), key.bytes())?;
        Ok(Self {
            store,
            key,
            env: Env { clock, ids },
            data_dir: data_dir.to_path_buf(),
            sandbox_url: None,
            checkpointer: None,
        })
    }

    /// Replaces the passphrase of `data_dir`'s key; `old` must open it. Changes nothing else.
    pub fn change_passphrase(data_dir: &Path, old: &Passphrase, new: &Passphrase) -> Result<()> {
        keys::change(data_dir, old, new, KdfParams::default())
    }

    /// Another handle on the same data directory, with the same key, clock and ids: for a worker
    /// thread (sync) while this one keeps serving. It shares this handle's background
    /// checkpoints, if any: its writes then leave the log to them as this handle's do.
    pub fn reopen(&self) -> Result<Self> {
        let mut other =
            Self::open_keyed(&self.data_dir, self.key.clone(), self.env.clock.clone(), self.env.ids.clone())?;
        other.sandbox_url = self.sandbox_url.clone();
        if let Some(checkpointer) = &self.checkpointer {
            other.store.set_log_limit(dossier_store::LOG_LIMIT_BYTES)?;
            other.checkpointer = Some(Arc::clone(checkpointer));
        }
        Ok(other)
    }

    pub(crate) fn data_key(&self) -> &DataKey {
        &self.key
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// For a process that keeps this handle open (the desktop): the write-ahead log is folded
    /// back into the database by a thread of its own, every second, instead of by whichever
    /// command's commit takes the log past a thousand pages — so no command waits for it.
    /// A process that runs one command and exits (the CLI) keeps SQLite's default.
    pub fn checkpoint_in_background(&mut self) -> Result<()> {
        if self.checkpointer.is_none() {
            let path = Self::database_path(&self.data_dir);
            let checkpointer = dossier_store::Checkpointer::start(&path, self.key.bytes(), CHECKPOINT_EVERY)?;
            self.store.set_log_limit(dossier_store::LOG_LIMIT_BYTES)?;
            self.checkpointer = Some(Arc::new(checkpointer));
        }
        Ok(())
    }

    /// Tells this handle the address of the sandbox the process hosts (see [`sandbox`]).
    pub fn set_sandbox_url(&mut self, url: Option<String>) {
        self.sandbox_url = url;
    }

    pub fn database_path(data_dir: &Path) -> PathBuf {
        data_dir.join(DATABASE_FILE)
    }

    /// Runs `f` in one write transaction: everything it writes commits together, or nothing
    /// does when it returns an error.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Env, &dossier_store::Tx<'_>) -> Result<T>) -> Result<T> {
        let env = &self.env;
        self.store.write(|tx| f(env, tx))
    }

    /// Runs `f` in one write transaction that is always rolled back: a dry run that sees its
    /// own writes and every constraint, and keeps nothing.
    pub(crate) fn rehearse<T>(&mut self, f: impl FnOnce(&Env, &dossier_store::Tx<'_>) -> Result<T>) -> Result<T> {
        let env = &self.env;
        self.store.rehearse(|tx| f(env, tx))
    }

    /// Runs `f` on one consistent snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Env, &dossier_store::Tx<'_>) -> Result<T>) -> Result<T> {
        self.store.read(|tx| f(&self.env, tx))
    }
}

/// How a data directory is unlocked: with its passphrase, or with the data key itself (held
/// by a process that unlocked it already, or by tests).
#[derive(Debug, Clone, Copy)]
pub enum Unlock<'a> {
    Passphrase(&'a Passphrase),
    Key(&'a DataKey),
}

/// What a data directory holds, as far as can be told without its passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DirectoryState {
    /// Nothing yet: `init` sets it up.
    New,
    /// A database from before encryption: `init` encrypts it in place.
    Plain,
    /// Encrypted: opening it needs the passphrase.
    Encrypted,
    /// Encrypted, with a conversion from plain that was cut short: the next open finishes it.
    Encrypting,
}

/// Refuses, before any passphrase is asked for, a data directory that cannot be opened yet:
/// `not_initialised` (nothing there) or `not_encrypted` (from before encryption).
pub fn check_openable(data_dir: &Path) -> Result<()> {
    match directory_state(data_dir)? {
        DirectoryState::New => Err(keys::not_initialised()),
        DirectoryState::Plain => Err(not_encrypted()),
        DirectoryState::Encrypted | DirectoryState::Encrypting => Ok(()),
    }
}

/// Looks at `data_dir` without opening anything (a restore cut short between its two renames
/// is finished first).
pub fn directory_state(data_dir: &Path) -> Result<DirectoryState> {
    backup::finish_interrupted_restore(data_dir);
    if keys::has_key(data_dir) {
        return Ok(match keys::read_state(data_dir)? {
            keys::KeyState::Ready => DirectoryState::Encrypted,
            keys::KeyState::Encrypting => DirectoryState::Encrypting,
        });
    }
    let kind = dossier_store::database_kind(&Dossier::database_path(data_dir)).map_err(|e| {
        Error::Unexpected(error::Problem::new(
            "database_unavailable",
            format!("could not read the database: {}", e.kind()),
        ))
    })?;
    Ok(match kind {
        dossier_store::DatabaseKind::Missing => DirectoryState::New,
        dossier_store::DatabaseKind::Plain => DirectoryState::Plain,
        // A database without its key file: the key is lost (or was never written).
        dossier_store::DatabaseKind::Encrypted => return Err(keys::key_file_missing()),
    })
}

fn not_encrypted() -> Error {
    Error::Conflict(error::Problem::new(
        "not_encrypted",
        "this data directory is from before Dossier encrypted its data: run `dossier init --admin NAME` to encrypt it",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handle made for a worker (sync) writes as its maker does: when the maker checkpoints in
    /// the background, the worker's commits leave the log to that thread too, instead of
    /// copying it back every thousand pages themselves (a drain writes without pause).
    #[test]
    fn a_reopened_handle_shares_the_background_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let passphrase = Passphrase::new("correct horse battery staple".into());
        let mut app =
            Dossier::init(dir.path(), &passphrase, KdfParams::INSECURE_FAST, Arc::new(SystemClock), Arc::new(UuidV7))
                .unwrap();
        let page = 2048;
        assert_eq!(app.reopen().unwrap().store.auto_checkpoint().unwrap(), 1000, "SQLite's default");
        assert!(app.reopen().unwrap().checkpointer.is_none());
        app.checkpoint_in_background().unwrap();
        let worker = app.reopen().unwrap();
        assert_eq!(worker.store.auto_checkpoint().unwrap(), dossier_store::LOG_LIMIT_BYTES / page);
        assert!(Arc::ptr_eq(worker.checkpointer.as_ref().unwrap(), app.checkpointer.as_ref().unwrap()));
        drop(app);
        assert_eq!(Arc::strong_count(worker.checkpointer.as_ref().unwrap()), 1, "it runs while the worker does");
    }
}
