//! The built-in sandbox: the four provider simulators (dossier-sim) served on loopback from
//! inside the process, so sync works on a fresh install with no credentials and no network.
//!
//! A provider whose `base_url` is [`SANDBOX`] talks to it, with the sandbox's published
//! credentials unless others are set. Its records live in `sandbox/state.json` in the data
//! directory, so the remote ids the database holds stay valid across restarts. One process at a
//! time hosts it (an OS lock on `sandbox/host.lock`); the host writes its address to
//! `sandbox/url`, and another process on the same data directory (the CLI while the desktop app
//! runs) talks to that address instead of starting a second one.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Problem;
use crate::{Error, Result};

/// The `base_url` that means "the built-in sandbox".
pub const SANDBOX: &str = "sandbox";
const DIR: &str = "sandbox";

fn unavailable(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Unexpected(Problem::new("sync_unavailable", format!("the sandbox could not {what}: {e}")))
}

/// The running sandbox of this process. Dropping it stops the simulators after a last save.
pub struct SandboxHost {
    pub url: String,
    dir: PathBuf,
    runtime: Option<tokio::runtime::Runtime>,
    handle: Option<dossier_sim::SimHandle>,
    // Held for as long as this process hosts the sandbox.
    _lock: File,
}

impl std::fmt::Debug for SandboxHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHost").field("url", &self.url).finish_non_exhaustive()
    }
}

fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join(DIR)
}

/// The sandbox's records (sealed with the data key).
pub(crate) fn state_path(data_dir: &Path) -> PathBuf {
    dir(data_dir).join("state.json")
}

impl SandboxHost {
    /// Starts the sandbox for `data_dir`, or returns `Ok(None)` when another process hosts it.
    pub(crate) fn start(data_dir: &Path, key: &crate::DataKey) -> Result<Option<Self>> {
        let dir = dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(|e| unavailable("create its folder", e.kind()))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("host.lock"))
            .map_err(|e| unavailable("open its lock", e.kind()))?;
        if lock.try_lock().is_err() {
            return Ok(None);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("dossier-sandbox")
            .enable_all()
            .build()
            .map_err(|e| unavailable("start", e.kind()))?;
        let config = dossier_sim::SimConfig {
            state_file: Some(state_path(data_dir)),
            state_seal: Some(std::sync::Arc::new(crate::encryption::SandboxSeal(key.clone()))),
            ..Default::default()
        };
        let handle = runtime.block_on(dossier_sim::spawn(config)).map_err(|e| unavailable("start", e))?;
        let url = handle.url.clone();
        let mut file = File::create(dir.join("url")).map_err(|e| unavailable("publish its address", e.kind()))?;
        file.write_all(url.as_bytes()).map_err(|e| unavailable("publish its address", e.kind()))?;
        Ok(Some(Self { url, dir, runtime: Some(runtime), handle: Some(handle), _lock: lock }))
    }
}

impl Drop for SandboxHost {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join("url"));
        if let (Some(runtime), Some(handle)) = (self.runtime.take(), self.handle.take()) {
            // The last save; the simulator's own saver has written everything older already.
            let _ = runtime.block_on(handle.close());
            runtime.shutdown_background();
        }
    }
}

/// The address of the sandbox another process on this data directory hosts, if one does.
pub fn hosted_elsewhere(data_dir: &Path) -> Option<String> {
    let dir = dir(data_dir);
    let lock = File::options().write(true).open(dir.join("host.lock")).ok()?;
    if lock.try_lock().is_ok() {
        // Nobody holds it: an address file left by a process that died is stale.
        return None;
    }
    let url = std::fs::read_to_string(dir.join("url")).ok()?;
    let url = url.trim();
    (url.starts_with("http://127.0.0.1:") && !url.contains(char::is_whitespace)).then(|| url.to_owned())
}

impl crate::Dossier {
    /// Hosts the sandbox for this data directory (its records sealed with the data key), or
    /// returns `Ok(None)` when another process hosts it.
    pub fn host_sandbox(&self) -> Result<Option<SandboxHost>> {
        SandboxHost::start(&self.data_dir, self.data_key())
    }
}
