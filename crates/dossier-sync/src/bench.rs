//! A provider's capacity, for `dossier dev bench`: deliveries sent through the same adapters and
//! HTTP clients as the worker's, in a tight loop that keeps `concurrency` of them in flight and
//! touches no database. Against the loopback simulator it gives the ceiling the worker's drain
//! of the outbox is compared with.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::adapters::Adapters;
use crate::worker::{Delivery, PortError};

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Replay {
    /// Deliveries the provider accepted.
    pub delivered: usize,
    /// Deliveries it refused or that failed on the way.
    pub failed: usize,
    pub elapsed: Duration,
}

/// Sends `deliveries` in order, `concurrency` at a time (a new one as soon as one finishes),
/// and stops early after `time_cap`. Builds its own runtime (two threads, as the worker's), so
/// call it from a plain thread.
pub fn replay(
    adapters: Arc<Adapters>,
    deliveries: Vec<Delivery>,
    concurrency: usize,
    time_cap: Duration,
) -> Result<Replay, PortError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| PortError(format!("could not start the replay runtime: {e}")))?;
    runtime.block_on(async move {
        let started = Instant::now();
        let mut report = Replay { delivered: 0, failed: 0, elapsed: Duration::ZERO };
        let mut queue = deliveries.into_iter();
        let mut set = JoinSet::new();
        loop {
            while set.len() < concurrency.max(1) && started.elapsed() < time_cap {
                let Some(d) = queue.next() else { break };
                let adapters = adapters.clone();
                set.spawn(async move { adapters.deliver(&d).await.is_ok() });
            }
            let Some(joined) = set.join_next().await else { break };
            match joined {
                Ok(true) => report.delivered += 1,
                Ok(false) => report.failed += 1,
                Err(e) => return Err(PortError(format!("a delivery task failed: {e}"))),
            }
        }
        report.elapsed = started.elapsed();
        Ok(report)
    })
}
