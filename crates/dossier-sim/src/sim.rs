//! The simulator's shared state: one lock per provider's records, plus tokens, faults and stats.
//! No lock is ever held across an `.await`, so a slow client never blocks another.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::admin::Stats;
use crate::auth::TokenBook;
use crate::faults::{FaultState, Faults};
use crate::{cybrid, mbanq, paxos, qolo};

pub(crate) struct Sim {
    pub token_ttl: Duration,
    pub faults: Mutex<FaultState>,
    pub tokens: Mutex<TokenBook>,
    pub stats: Mutex<Stats>,
    pub cybrid: Mutex<cybrid::Records>,
    pub paxos: Mutex<paxos::Records>,
    pub qolo: Mutex<qolo::Records>,
    pub mbanq: Mutex<mbanq::Records>,
}

impl Sim {
    pub fn new(seed: u64, faults: Faults, token_ttl: Duration) -> Self {
        Self {
            token_ttl,
            faults: Mutex::new(FaultState::new(faults, seed)),
            tokens: Mutex::new(TokenBook::new(seed)),
            stats: Mutex::new(Stats::default()),
            cybrid: Mutex::new(cybrid::Records::new(seed)),
            paxos: Mutex::new(paxos::Records::new(seed)),
            qolo: Mutex::new(qolo::Records::new(seed)),
            mbanq: Mutex::new(mbanq::Records::default()),
        }
    }
}

/// Locks a mutex. A handler that panicked while holding the lock cannot have left a record half
/// written (every write is a single assignment or push after validation), so the data is still
/// usable and the simulator keeps serving rather than failing every later request.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
