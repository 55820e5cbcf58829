//! Loopback HTTP simulators of the four providers Dossier syncs to, Cybrid, Paxos, Qolo and
//! Mbanq, on one port under `/cybrid`, `/paxos`, `/qolo` and `/mbanq`, with seeded fault
//! injection and admin endpoints under `/_sim`. They reproduce the documented behaviour in
//! `spec/providers.md`; where the documents are silent, `docs/sandbox.md` says what was chosen.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = dossier_sim::spawn(dossier_sim::SimConfig::default()).await?;
//! println!("Cybrid customers at {}/cybrid/api/customers", sim.url);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! By default the records live in memory and are gone when the simulator stops. With
//! [`SimConfig::state_file`] they are kept in that file and loaded again at the next
//! [`spawn`], so the ids a client stored stay valid across restarts (see
//! `docs/sandbox.md#persistence` for what is kept and when it reaches the disk):
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let config = dossier_sim::SimConfig { state_file: Some("sandbox.json".into()), ..Default::default() };
//! let sim = dossier_sim::spawn(config).await?;
//! // … requests …
//! sim.close().await?; // the last save, with its outcome
//! # Ok(()) }
//! ```

mod admin;
mod auth;
mod cybrid;
mod faults;
mod ids;
mod mbanq;
mod paxos;
mod persist;
mod qolo;
mod server;
mod sim;
mod wire;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::{MBANQ_TENANT, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET};
pub use faults::{Faults, FaultsError, MAX_LATENCY_MS};

use persist::StateFile;
use sim::{AllRecords, Sim};
use wire::{ApiError, Provider};

/// The Qolo sandbox program with simple due diligence (no SSN needed).
pub const QOLO_SDD_PROGRAM: &str = "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5a01";
/// The Qolo sandbox program with CDD (an SSN needed), under the same top program as the SDD one.
pub const QOLO_CDD_PROGRAM: &str = "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5a02";

/// Encrypts the state file: [`SimConfig::state_seal`]. `seal` turns the file's JSON into the
/// bytes written; `open` reverses it, failing for bytes it did not seal.
pub trait StateSeal: Send + Sync {
    fn seal(&self, plain: &[u8]) -> io::Result<Vec<u8>>;
    fn open(&self, stored: &[u8]) -> io::Result<Vec<u8>>;
}

/// How to start a simulator.
#[derive(Clone)]
pub struct SimConfig {
    /// The loopback port; 0 picks any free one.
    pub port: u16,
    /// Faults in force from the start; `PUT /_sim/faults` changes them later.
    pub faults: Faults,
    /// Seeds every id, token and fault draw: the same seed and the same requests give the same
    /// answers.
    pub seed: u64,
    /// How long an access token lives, for every provider.
    pub token_ttl: Duration,
    /// Where to keep the records across restarts; `None` keeps them in memory only.
    ///
    /// When set, [`spawn`] loads the file if it exists (a missing file is an empty sandbox) and
    /// refuses to start if it cannot read or understand it, leaving it untouched. Every change
    /// is then written to it shortly after (within about 100 ms, atomically), and once more by
    /// [`SimHandle::close`]. The ids streams continue where the file left them, so the `seed`
    /// shapes only a fresh file's ids. Tokens, faults and stats are not kept. On Unix the file
    /// is created with mode 0600: it holds the personal data clients sent.
    pub state_file: Option<PathBuf>,
    /// Encrypts the state file when set (it holds personal data): every write is sealed, and a
    /// file that does not open is refused like a damaged one.
    pub state_seal: Option<Arc<dyn StateSeal>>,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("port", &self.port)
            .field("faults", &self.faults)
            .field("seed", &self.seed)
            .field("token_ttl", &self.token_ttl)
            .field("state_file", &self.state_file)
            .field("state_seal", &self.state_seal.as_ref().map(|_| "sealed"))
            .finish()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            port: 0,
            faults: Faults::NONE,
            seed: 0,
            token_ttl: Duration::from_secs(60 * 60),
            state_file: None,
            state_seal: None,
        }
    }
}

/// A running simulator. Dropping the handle stops it too; [`SimHandle::shutdown`] and
/// [`SimHandle::close`] also wait until it has stopped.
pub struct SimHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    saver: Option<Saver>,
}

/// The saver task of a persistent simulator, and what a last save needs.
struct Saver {
    sim: Arc<Sim>,
    file: Arc<StateFile>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl SimHandle {
    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every open connection and waits for the server task to end; a
    /// persistent simulator then saves a last time. A failed last save is not reported here:
    /// use [`SimHandle::close`] to see it.
    pub async fn shutdown(self) {
        let _ = self.close().await;
    }

    /// [`SimHandle::shutdown`], then reports whether the last save of the state file reached
    /// the disk (always `Ok` in memory). Every request answered before the call is in it.
    pub async fn close(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let Some(mut saver) = self.saver.take() else { return Ok(()) };
        if let Some(stop) = saver.stop.take() {
            let _ = stop.send(());
        }
        match saver.task.take() {
            Some(task) => {
                task.await.unwrap_or_else(|e| Err(io::Error::other(format!("the sandbox saver failed: {e}"))))
            }
            None => Ok(()),
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Best effort, for a handle dropped without `close`: the saver task saves when its
        // stop fires, but only if the runtime lives on, so save here too, on this thread. The
        // two saves take turns, and the second finds nothing left to write.
        if let Some(mut saver) = self.saver.take() {
            if let Some(stop) = saver.stop.take() {
                let _ = stop.send(());
            }
            let _ = saver.file.save(&saver.sim);
        }
    }
}

/// Binds `127.0.0.1:port` (never another interface) and serves in a tokio task. Must be called
/// inside a tokio runtime. Refuses faults outside their ranges with `InvalidInput`.
///
/// With a [`SimConfig::state_file`], it first loads the file, refusing one it cannot read or
/// understand with an error that names the file but none of its contents (`InvalidData` for a
/// damaged file or an unknown format version), and writes it once, so a directory it cannot
/// write to is an error now rather than a lost record later.
pub async fn spawn(config: SimConfig) -> io::Result<SimHandle> {
    let faults = config.faults.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let (records, file) = match config.state_file {
        None => (AllRecords::fresh(config.seed), None),
        Some(path) => {
            let file = Arc::new(StateFile::new(path, config.state_seal.clone())?);
            let loading = file.clone();
            let loaded = tokio::task::spawn_blocking(move || loading.load())
                .await
                .unwrap_or_else(|e| Err(io::Error::other(format!("loading the sandbox state failed: {e}"))))?;
            (loaded.unwrap_or_else(|| AllRecords::fresh(config.seed)), Some(file))
        }
    };
    let sim = Arc::new(Sim::new(config.seed, faults, config.token_ttl, records));
    if let Some(file) = &file {
        persist::save_off_thread(&sim, file).await?;
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
    let addr = listener.local_addr()?;
    let saver = file.map(|file| {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(persist::run_saver(sim.clone(), file.clone(), stopped));
        Saver { sim: sim.clone(), file, stop: Some(stop), task: Some(task) }
    });
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(server::serve(listener, app(sim), stopped));
    Ok(SimHandle { url: format!("http://{addr}"), addr, stop: Some(stop), task: Some(task), saver })
}

/// Builds a multi-threaded tokio runtime, starts the simulator, calls `on_ready` with its URL,
/// and serves until Ctrl-C (or SIGTERM on Unix).
pub fn run_blocking(config: SimConfig, on_ready: impl FnOnce(&str)) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let handle = spawn(config).await?;
        on_ready(&handle.url);
        stop_signal().await?;
        handle.close().await
    })
}

#[cfg(unix)]
async fn stop_signal() -> io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn stop_signal() -> io::Result<()> {
    tokio::signal::ctrl_c().await
}

/// The whole router: four providers behind fault injection, and the admin endpoints without.
fn app(sim: Arc<Sim>) -> Router {
    let provider = |p: Provider, routes: Router<Arc<Sim>>| {
        routes
            .fallback(
                move || async move { ApiError::not_found(p, "no such endpoint in the simulator").into_response() },
            )
            .method_not_allowed_fallback(move || async move {
                ApiError::new(p, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed")
                    .into_response()
            })
            .layer(from_fn_with_state((sim.clone(), p), faults::inject))
    };
    Router::new()
        .nest("/cybrid", provider(Provider::Cybrid, cybrid::routes(sim.clone())))
        .nest("/paxos", provider(Provider::Paxos, paxos::routes(sim.clone())))
        .nest("/qolo", provider(Provider::Qolo, qolo::routes(sim.clone())))
        .nest("/mbanq", provider(Provider::Mbanq, mbanq::routes(sim.clone())))
        .nest("/_sim", admin::routes())
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({ "error": "no such path: providers are under /cybrid, /paxos, /qolo and /mbanq" })),
            )
        })
        .with_state(sim)
}
