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

mod admin;
mod auth;
mod cybrid;
mod faults;
mod ids;
mod mbanq;
mod paxos;
mod qolo;
mod server;
mod sim;
mod wire;

use std::net::{Ipv4Addr, SocketAddr};
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

use sim::Sim;
use wire::{ApiError, Provider};

/// The Qolo sandbox program with simple due diligence (no SSN needed).
pub const QOLO_SDD_PROGRAM: &str = "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5a01";
/// The Qolo sandbox program with CDD (an SSN needed), under the same top program as the SDD one.
pub const QOLO_CDD_PROGRAM: &str = "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5a02";

/// How to start a simulator.
#[derive(Debug, Clone)]
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
}

impl Default for SimConfig {
    fn default() -> Self {
        Self { port: 0, faults: Faults::NONE, seed: 0, token_ttl: Duration::from_secs(60 * 60) }
    }
}

/// A running simulator. Dropping the handle stops it too; [`SimHandle::shutdown`] also waits
/// until it has stopped.
pub struct SimHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every open connection and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `127.0.0.1:port` (never another interface) and serves in a tokio task. Must be called
/// inside a tokio runtime. Refuses faults outside their ranges with `InvalidInput`.
pub async fn spawn(config: SimConfig) -> std::io::Result<SimHandle> {
    let faults =
        config.faults.validate().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
    let addr = listener.local_addr()?;
    let sim = Arc::new(Sim::new(config.seed, faults, config.token_ttl));
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(server::serve(listener, app(sim), stopped));
    Ok(SimHandle { url: format!("http://{addr}"), addr, stop: Some(stop), task: Some(task) })
}

/// Builds a multi-threaded tokio runtime, starts the simulator, calls `on_ready` with its URL,
/// and serves until Ctrl-C (or SIGTERM on Unix).
pub fn run_blocking(config: SimConfig, on_ready: impl FnOnce(&str)) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let handle = spawn(config).await?;
        on_ready(&handle.url);
        stop_signal().await?;
        handle.shutdown().await;
        Ok(())
    })
}

#[cfg(unix)]
async fn stop_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn stop_signal() -> std::io::Result<()> {
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
