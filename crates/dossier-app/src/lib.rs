//! Dossier's single API surface. One method per user action, each one SQLite transaction that
//! writes the change together with its audit event, or nothing at all. The CLI, the desktop app
//! and the tests all call this crate; none of them reach the store directly. Bulk work (CSV
//! import of customers, streaming exports) lives in `import.rs`, `export.rs` and the shared
//! layout `customer_csv.rs`.

mod audit;
pub mod bench;
pub mod codes;
mod convert;
mod credentials;
mod customer_csv;
mod customers;
mod derived;
pub mod dto;
pub mod error;
mod export;
pub mod files;
pub mod generate;
pub mod ids;
mod import;
pub mod input;
mod kyc;
pub mod policy;
pub mod sandbox;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dossier_store::Store;
use time::Date;

pub use audit::AuditVerifyView;
pub use customer_csv::CUSTOMER_COLUMNS;
pub use customers::{LifecycleCommand, VerifyContactInput};
pub use dossier_core::Actor;
pub use error::{Error, ErrorBody, Reason, Result};
pub use export::{AUDIT_COLUMNS, CASE_COLUMNS};
pub use ids::{Clock, FixedClock, IdSource, SequentialIds, SystemClock, UuidV7};
pub use import::{DEFAULT_BATCH_SIZE, ImportOptions, customer_template};

/// The database file inside a data directory.
pub const DATABASE_FILE: &str = "dossier.db";

/// An open Dossier data directory.
pub struct Dossier {
    store: Store,
    env: Env,
    data_dir: PathBuf,
    /// The address of the sandbox this process hosts, when it hosts one.
    sandbox_url: Option<String>,
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
    /// Opens the data directory (creating it if needed) with the system clock and v7 ids.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_with(data_dir, Arc::new(SystemClock), Arc::new(UuidV7))
    }

    /// Opens the data directory with the given clock and id source.
    pub fn open_with(data_dir: &Path, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            Error::Unexpected(error::Problem::new(
                "data_dir_unavailable",
                format!("could not create the data directory: {}", e.kind()),
            ))
        })?;
        let store = Store::open(&Self::database_path(data_dir))?;
        Ok(Self { store, env: Env { clock, ids }, data_dir: data_dir.to_path_buf(), sandbox_url: None })
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

/// Parses the acting person's name.
pub fn actor(name: &str) -> Result<Actor> {
    Actor::parse(name).map_err(|e| Error::invalid_input(vec![Reason::from_value_error("actor", &e)]))
}
