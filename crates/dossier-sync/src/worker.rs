//! The delivery worker. Up to `batch` senders deliver concurrently across aggregates, each taking
//! the next claimed message as soon as it is done with one, as the replay of `bench.rs` does.
//! The worker's own loop talks to the database through the [`OutboxPort`] in batches: it records
//! a batch of results and claims the next messages in one transaction, while the senders go on
//! with messages claimed earlier. The port decides retries, backoff and "needs attention", and
//! claims at most one message per aggregate at a time, so per-aggregate order holds.
//!
//! Recording in batches loses and doubles nothing. A message is marked in flight before it is
//! sent and stays so until its result is recorded; a crash between a provider's answer and the
//! batch's transaction leaves it in flight, the next run releases it as "maybe sent", and the
//! adapters look a create of unknown fate up before making it again (see `adapters.rs`).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dossier_core::{Operation, Provider};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::adapters::{Adapters, RemoteCustomer, RemoteVerification};
use crate::error::DeliveryError;

/// A message's payload as the outbox stores it (JSON text), parsed on first use: by the sender
/// that delivers the message, not by the worker's loop, whose thread does the database's work
/// for every message and so bounds how fast a drain can go. Reads as a JSON [`Value`] (a text
/// that is not JSON reads as `null`, and the provider refuses what it lacks). It holds a
/// customer's personal data, so its `Debug` shows only its length.
#[derive(Clone, Default)]
pub struct Payload {
    text: String,
    value: std::sync::OnceLock<Value>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payload({} bytes)", self.text.len())
    }
}

impl Payload {
    pub fn new(text: String) -> Self {
        Self { text, value: std::sync::OnceLock::new() }
    }

    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| serde_json::from_str(&self.text).unwrap_or(Value::Null))
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Self {
        Self { text: value.to_string(), value: std::sync::OnceLock::from(value) }
    }
}

impl std::ops::Deref for Payload {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

/// One message ready to send, with the provider ids it refers to already looked up.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub seq: i64,
    pub provider: Provider,
    pub operation: Operation,
    pub aggregate_id: Uuid,
    pub subject_id: Option<Uuid>,
    pub payload: Payload,
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
    /// Records `results` (done, retry later, or needs attention), then claims up to `limit` due
    /// messages (marking them in flight), in one transaction. The results go first, so a message
    /// just done no longer holds back the next one of its aggregate.
    fn record_and_claim(
        &self,
        results: Vec<DeliveryResult>,
        provider: Option<Provider>,
        limit: usize,
    ) -> Result<Vec<Delivery>, PortError>;
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

/// Results recorded in one transaction, in windows. A transaction's cost is mostly the encrypted
/// pages it writes, and many of them (index pages, the last pages of tables) are shared by the
/// messages of one batch: recording eight windows at once (256 results at the default window of
/// 32, about 25 ms of deliveries against the loopback simulator) costs about half as much per
/// message as recording half a window. Results are recorded sooner when fewer are waiting.
const RECORD_WINDOWS: usize = 8;

/// The longest a result waits for others to share its transaction, so that a result (and the
/// next message of its aggregate, which waits for it) is not held back behind slow deliveries.
const RECORD_LINGER: Duration = Duration::from_millis(50);

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
        let window = options.batch.max(1);
        let record_batch = window * RECORD_WINDOWS;
        let mut senders = Senders::start(&adapters, window);
        // Claimed and not yet recorded: waiting for a sender, being sent, or finished. A message
        // whose lease ran out while it was still on its way is claimed again by the database,
        // and must not go out twice at once.
        let mut outstanding: HashSet<i64> = HashSet::new();
        let mut finished: Vec<DeliveryResult> = Vec::new();
        // Whether the last claim found as many messages as it asked for: if not, nothing more
        // is due now, and recording early to claim more would only cost a transaction.
        let mut more_due;
        loop {
            let recorded = !finished.is_empty();
            for r in &finished {
                outstanding.remove(&r.seq);
            }
            // Claimed ahead: a window in flight and three batches of the size just recorded (one
            // finishing, one being recorded, one for the senders to take meanwhile), so the
            // senders never wait for the loop's transaction. Sized by what was just recorded, so
            // a slow provider gets few messages claimed ahead, each well within its lease.
            let claim_ahead = window + 3 * finished.len().clamp(window, record_batch);
            let room = claim_ahead.saturating_sub(outstanding.len());
            let claimed = port.record_and_claim(std::mem::take(&mut finished), options.provider, room)?;
            more_due = claimed.len() == room;
            if recorded {
                on_progress(&report.progress);
            }
            for d in claimed {
                if outstanding.insert(d.seq) {
                    senders.send(d)?;
                }
            }
            if outstanding.is_empty() {
                // Nothing on its way and nothing due now: read results back, then wait for the
                // next due message or stop.
                let reconciled = poll_results(&port, &adapters, window).await?;
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
            // Wait for a result, then for a batch to share its transaction; record sooner when
            // every claimed message is back, when the senders have nothing left to take while
            // more messages are due (the window would empty), or when the linger is over.
            let mut linger_until = None;
            while let Some(result) = senders.next(linger_until).await? {
                match &result.result {
                    Ok(_) => report.progress.delivered += 1,
                    Err(e) if e.is_retryable() => report.progress.retried += 1,
                    Err(_) => report.progress.needs_attention += 1,
                }
                finished.push(result);
                linger_until.get_or_insert_with(|| tokio::time::Instant::now() + RECORD_LINGER);
                if finished.len() >= record_batch
                    || finished.len() == outstanding.len()
                    || (more_due && senders.queue_is_empty())
                {
                    break;
                }
            }
        }
        Ok(report)
    })
}

/// Sleeps until `until`, or forever when there is no deadline.
async fn sleep_until(until: Option<tokio::time::Instant>) {
    match until {
        Some(until) => tokio::time::sleep_until(until).await,
        None => std::future::pending().await,
    }
}

/// The senders: tasks that each take the next claimed message from the work queue, deliver it
/// and hand its result back, until the queue is closed.
struct Senders {
    tasks: JoinSet<()>,
    work: mpsc::UnboundedSender<Delivery>,
    results: mpsc::UnboundedReceiver<DeliveryResult>,
    /// Messages in the work queue that no sender has taken yet.
    queued: Arc<AtomicUsize>,
}

impl Senders {
    fn start(adapters: &Arc<Adapters>, count: usize) -> Self {
        let (work, queue) = mpsc::unbounded_channel::<Delivery>();
        let queue = Arc::new(Mutex::new(queue));
        let (done, results) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let mut tasks = JoinSet::new();
        for _ in 0..count {
            let (queue, done, queued, adapters) = (queue.clone(), done.clone(), queued.clone(), adapters.clone());
            tasks.spawn(async move {
                loop {
                    let next = queue.lock().await.recv().await;
                    let Some(d) = next else { break };
                    queued.fetch_sub(1, Ordering::SeqCst);
                    let result = adapters.deliver(&d).await;
                    if done.send(DeliveryResult { seq: d.seq, provider: d.provider, result }).is_err() {
                        break;
                    }
                }
            });
        }
        Self { tasks, work, results, queued }
    }

    fn send(&self, d: Delivery) -> Result<(), PortError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        self.work.send(d).map_err(|_| PortError("the delivery senders stopped".into()))
    }

    fn queue_is_empty(&self) -> bool {
        self.queued.load(Ordering::SeqCst) == 0
    }

    /// The next result, or `None` once `until` has passed (never, without a deadline).
    async fn next(&mut self, until: Option<tokio::time::Instant>) -> Result<Option<DeliveryResult>, PortError> {
        tokio::select! {
            result = self.results.recv() => {
                result.map(Some).ok_or_else(|| PortError("the delivery senders stopped".into()))
            }
            Some(stopped) = self.tasks.join_next() => {
                let why = stopped.err().map_or_else(|| "it returned".to_owned(), |e| e.to_string());
                Err(PortError(format!("a delivery sender stopped: {why}")))
            }
            _ = sleep_until(until) => Ok(None),
        }
    }
}

/// Reads back what providers now say of what was delivered, `concurrency` requests at a time,
/// and hands it to the port. A provider that cannot be read now is read on the next pass.
async fn poll_results(
    port: &Arc<dyn OutboxPort>,
    adapters: &Arc<Adapters>,
    concurrency: usize,
) -> Result<usize, PortError> {
    let mut changed = 0;
    for provider in adapters.providers() {
        if provider == Provider::Cybrid {
            let mapped = port.verifications_to_poll()?;
            if !mapped.is_empty() {
                let remote =
                    in_parts(
                        adapters,
                        mapped,
                        concurrency,
                        |a, part| async move { a.cybrid_verifications(&part).await },
                    )
                    .await;
                changed += port.reconcile(remote)?;
            }
        } else {
            let mapped = port.customers_to_poll(provider)?;
            if !mapped.is_empty() {
                let remote = in_parts(adapters, mapped, concurrency, move |a, part| async move {
                    a.customer_statuses(provider, &part).await
                })
                .await;
                changed += port.record_customer_statuses(remote)?;
            }
        }
    }
    Ok(changed)
}

/// Splits `items` into at most `parts` parts, reads each part on its own task (one request
/// after another within a part), and returns what was read; failed reads are left out.
async fn in_parts<T, R, F, Fut>(adapters: &Arc<Adapters>, items: Vec<T>, parts: usize, read: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(Arc<Adapters>, Vec<T>) -> Fut,
    Fut: std::future::Future<Output = Vec<Result<R, DeliveryError>>> + Send + 'static,
{
    let size = items.len().div_ceil(parts.max(1)).max(1);
    let mut tasks = JoinSet::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        let part: Vec<T> = items.by_ref().take(size).collect();
        tasks.spawn(read(adapters.clone(), part));
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        // A part whose task failed is read again on the next pass, like a failed request.
        out.extend(joined.into_iter().flatten().filter_map(Result::ok));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Payload;

    #[test]
    fn a_payload_is_parsed_where_it_is_read() {
        let p = Payload::new(r#"{"type":"business","level":"full"}"#.into());
        assert!(p.value.get().is_none(), "not parsed until read");
        assert_eq!(p["type"], "business");
        assert_eq!(p.value.get(), Some(&json!({"type": "business", "level": "full"})));
        assert!(Payload::new("{not json".into()).is_null(), "the provider is told nothing, and refuses");
        assert_eq!(format!("{p:?}"), "Payload(34 bytes)", "no personal data in debug output");
        let from = Payload::from(json!({"ref_id": "R1"}));
        assert_eq!((from.text.as_str(), &from["ref_id"]), (r#"{"ref_id":"R1"}"#, &json!("R1")));
    }
}
