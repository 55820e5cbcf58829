//! Where time and new ids come from. The domain never reads the clock or makes ids itself;
//! the app asks these, so tests can fix both.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;
use uuid::Uuid;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The machine's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to.
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().expect("clock lock") = at;
    }
    pub fn advance(&self, by: time::Duration) {
        let mut at = self.0.lock().expect("clock lock");
        *at += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock lock")
    }
}

pub trait IdSource: Send + Sync {
    fn next_id(&self) -> Uuid;
}

/// UUID version 7: time-ordered, so new rows append to the end of every id index.
pub struct UuidV7;

impl IdSource for UuidV7 {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Increasing ids for tests: reproducible and ordered like v7 ids.
#[derive(Default)]
pub struct SequentialIds(AtomicU64);

impl IdSource for SequentialIds {
    fn next_id(&self) -> Uuid {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Uuid::from_u128((0x0190_0000_0000_7000_8000_0000_0000_0000_u128) | u128::from(n))
    }
}
