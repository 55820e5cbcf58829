//! The delivery worker: claims due outbox messages (at most one per aggregate, so per-aggregate
//! order holds), sends them concurrently across aggregates, and reports each result back through
//! the [`OutboxPort`]; the port decides retries, backoff and "needs attention".

use std::sync::Arc;
use std::time::Duration;

use dossier_core::{Operation, Provider};
use serde_json::Value;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::adapters::{Adapters, RemoteCustomer, RemoteVerification};
use crate::error::DeliveryError;

/// One message ready to send, with the provider ids it refers to already looked up.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub seq: i64,
    pub provider: Provider,
    pub operation: Operation,
    pub aggregate_id: Uuid,
    pub subject_id: Option<Uuid>,
    pub payload: Value,
    pub idempotency_key: String,
    /// An earlier attempt may have reached the provider: look before creating again.
    pub maybe_sent: bool,
    /// The customer's id at this provider, once known.
    pub customer_remote_id: Option<String>,
    /// Remote ids of this kind already owned by other local records of the customer.
    pub mapped_siblings: Vec<String>,
}

/// What a successful delivery learned: the remote id, and mappings to record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivered {
    pub remote_id: Option<String>,
    pub mappings: Vec<(String, Uuid, String)>,
}

impl Delivered {
    pub fn mapped(kind: &str, local: Uuid, remote: String) -> Self {
        Self { remote_id: Some(remote.clone()), mappings: vec![(kind.to_owned(), local, remote)] }
    }
}

#[derive(Debug, Clone)]
pub struct DeliveryResult {
    pub seq: i64,
    pub provider: Provider,
    pub result: Result<Delivered, DeliveryError>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PortError(pub String);

/// What the worker needs from the database side.
pub trait OutboxPort: Send + Sync {
    /// Claims due messages (marking them in flight).
    fn claim(&self, provider: Option<Provider>, limit: usize) -> Result<Vec<Delivery>, PortError>;
    /// Records one result: done, retry later, or needs attention.
    fn record(&self, result: DeliveryResult) -> Result<(), PortError>;
    /// How long until the next pending message is due; `None` when nothing is pending.
    fn next_due_in(&self, provider: Option<Provider>) -> Result<Option<Duration>, PortError>;
    /// Cybrid verifications to read back: (local id, remote guid).
    fn verifications_to_poll(&self) -> Result<Vec<(Uuid, String)>, PortError>;
    /// Feeds remote verification results into the local state machine.
    fn reconcile(&self, remote: Vec<RemoteVerification>) -> Result<usize, PortError>;
    /// Customers at a provider whose status there may still change: (local id, remote id).
    fn customers_to_poll(&self, provider: Provider) -> Result<Vec<(Uuid, String)>, PortError>;
    /// Records what providers now say of customers; returns how many changed.
    fn record_customer_statuses(&self, remote: Vec<RemoteCustomer>) -> Result<usize, PortError>;
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub provider: Option<Provider>,
    /// Messages in flight at once (across aggregates).
    pub batch: usize,
    /// Stop once nothing is pending (only needs-attention items, or none, remain).
    pub once: bool,
    /// While running continuously, how often to look for new messages and results.
    pub idle_poll: Duration,
    /// Give up waiting for backoffs after this long (a bound for `--once`).
    pub deadline: Option<Duration>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { provider: None, batch: 32, once: true, idle_poll: Duration::from_secs(5), deadline: None }
    }
}

/// Progress, for a terminal line or the desktop app's progress bar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub delivered: usize,
    pub retried: usize,
    pub needs_attention: usize,
    pub reconciled: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub progress: Progress,
    /// True when `--once` stopped at its deadline with messages still waiting to be retried.
    pub stopped_early: bool,
}

/// Drains the outbox (and reads results back) until done; builds its own runtime, so call it
/// from a plain thread, not from async code.
pub fn run(
    port: Arc<dyn OutboxPort>,
    adapters: Arc<Adapters>,
    options: RunOptions,
    mut on_progress: impl FnMut(&Progress),
) -> Result<RunReport, PortError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| PortError(format!("could not start the sync runtime: {e}")))?;
    runtime.block_on(async move {
        let started = tokio::time::Instant::now();
        let mut report = RunReport::default();
        loop {
            let batch = port.claim(options.provider, options.batch)?;
            if batch.is_empty() {
                let reconciled = poll_results(&port, &adapters).await?;
                report.progress.reconciled += reconciled;
                if reconciled > 0 {
                    on_progress(&report.progress);
                }
                match port.next_due_in(options.provider)? {
                    None if options.once => break,
                    None => tokio::time::sleep(options.idle_poll).await,
                    Some(wait) => {
                        if let Some(deadline) = options.deadline
                            && started.elapsed() + wait > deadline
                        {
                            report.stopped_early = true;
                            break;
                        }
                        let wait = if options.once { wait } else { wait.min(options.idle_poll) };
                        tokio::time::sleep(wait.max(Duration::from_millis(5))).await;
                    }
                }
                continue;
            }
            let mut set = JoinSet::new();
            for d in batch {
                let adapters = adapters.clone();
                set.spawn(async move {
                    let result = adapters.deliver(&d).await;
                    DeliveryResult { seq: d.seq, provider: d.provider, result }
                });
            }
            while let Some(joined) = set.join_next().await {
                let result = joined.map_err(|e| PortError(format!("a delivery task failed: {e}")))?;
                match &result.result {
                    Ok(_) => report.progress.delivered += 1,
                    Err(e) if e.is_retryable() => report.progress.retried += 1,
                    Err(_) => report.progress.needs_attention += 1,
                }
                port.record(result)?;
                on_progress(&report.progress);
            }
        }
        Ok(report)
    })
}

async fn poll_results(port: &Arc<dyn OutboxPort>, adapters: &Adapters) -> Result<usize, PortError> {
    let mut changed = 0;
    for provider in adapters.providers() {
        // A provider that cannot be read now is read on the next pass.
        if provider == Provider::Cybrid {
            let mapped = port.verifications_to_poll()?;
            if !mapped.is_empty() {
                let remote = adapters.cybrid_verifications(&mapped).await.into_iter().filter_map(Result::ok).collect();
                changed += port.reconcile(remote)?;
            }
        } else {
            let mapped = port.customers_to_poll(provider)?;
            if !mapped.is_empty() {
                let remote =
                    adapters.customer_statuses(provider, &mapped).await.into_iter().filter_map(Result::ok).collect();
                changed += port.record_customer_statuses(remote)?;
            }
        }
    }
    Ok(changed)
}
