//! The simulator's shared state: one lock per provider's records, plus tokens, faults and stats.
//! No lock is ever held across an `.await`, so a slow client never blocks another.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use crate::admin::Stats;
use crate::auth::TokenBook;
use crate::faults::{FaultState, Faults};
use crate::{cybrid, mbanq, paxos, qolo};

pub(crate) struct Sim {
    pub token_ttl: Duration,
    pub faults: Mutex<FaultState>,
    pub tokens: Mutex<TokenBook>,
    pub stats: Mutex<Stats>,
    pub cybrid: Tracked<cybrid::Records>,
    pub paxos: Tracked<paxos::Records>,
    pub qolo: Tracked<qolo::Records>,
    pub mbanq: Tracked<mbanq::Records>,
    /// Woken whenever a provider's records changed, for the saver task of a persistent
    /// simulator. In memory nobody waits on it; a stored permit costs nothing.
    pub changed: Arc<Notify>,
}

/// Every provider's records, as a new simulator starts with them.
pub(crate) struct AllRecords {
    pub cybrid: cybrid::Records,
    pub paxos: paxos::Records,
    pub qolo: qolo::Records,
    pub mbanq: mbanq::Records,
}

impl AllRecords {
    /// The empty records of a fresh simulator, with every id stream at its start for `seed`.
    pub fn fresh(seed: u64) -> Self {
        Self {
            cybrid: cybrid::Records::new(seed),
            paxos: paxos::Records::new(seed),
            qolo: qolo::Records::new(seed),
            mbanq: mbanq::Records::default(),
        }
    }
}

impl Sim {
    pub fn new(seed: u64, faults: Faults, token_ttl: Duration, records: AllRecords) -> Self {
        let changed = Arc::new(Notify::new());
        Self {
            token_ttl,
            faults: Mutex::new(FaultState::new(faults, seed)),
            tokens: Mutex::new(TokenBook::new(seed)),
            stats: Mutex::new(Stats::default()),
            cybrid: Tracked::new(records.cybrid, changed.clone()),
            paxos: Tracked::new(records.paxos, changed.clone()),
            qolo: Tracked::new(records.qolo, changed.clone()),
            mbanq: Tracked::new(records.mbanq, changed.clone()),
            changed,
        }
    }
}

/// Locks a mutex. A handler that panicked while holding the lock cannot have left a record half
/// written (every write is a single assignment or push after validation), so the data is still
/// usable and the simulator keeps serving rather than failing every later request.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One provider's records behind their lock, with a flag that says whether they may have
/// changed since the saver last took them. The flag is raised by the guard on the first
/// mutable access, so no handler can change records without the saver hearing of it; a read
/// that only looks does not raise it.
pub(crate) struct Tracked<T> {
    records: Mutex<T>,
    changed: AtomicBool,
    notify: Arc<Notify>,
}

impl<T> Tracked<T> {
    /// Starts as changed, so the first save writes every provider.
    fn new(records: T, notify: Arc<Notify>) -> Self {
        Self { records: Mutex::new(records), changed: AtomicBool::new(true), notify }
    }

    /// Locks the records (tolerating poison, as [`lock`] does).
    pub fn lock(&self) -> RecordsGuard<'_, T> {
        RecordsGuard { guard: lock(&self.records), tracked: self, wrote: false }
    }

    /// Runs `f` on the records if they may have changed since the last call, clearing the flag.
    /// The flag is cleared before the lock is taken: a write that lands after the clear raises
    /// it again, so it is seen now or next time, never lost.
    pub fn if_changed<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        if !self.changed.swap(false, Ordering::AcqRel) {
            return None;
        }
        Some(f(&lock(&self.records)))
    }

    /// Raises the flag again, for a save that took the records but could not keep them.
    pub fn mark_changed(&self) {
        self.changed.store(true, Ordering::Release);
    }
}

/// A lock on one provider's records that notes a write.
pub(crate) struct RecordsGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    tracked: &'a Tracked<T>,
    wrote: bool,
}

impl<T> Deref for RecordsGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for RecordsGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        if !self.wrote {
            self.wrote = true;
            self.tracked.changed.store(true, Ordering::Release);
        }
        &mut self.guard
    }
}

impl<T> Drop for RecordsGuard<'_, T> {
    fn drop(&mut self) {
        if self.wrote {
            self.tracked.notify.notify_one();
        }
    }
}
