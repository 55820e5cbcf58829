//! Reproducible randomness for the data generator: one ChaCha stream for every choice and
//! another for ids. Ids are UUIDv7 built from the time the entity was made and seeded random
//! bits, so they sort by creation time like the ones the app makes, yet the same seed gives the
//! same ids.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::OffsetDateTime;
use uuid::{Builder, Uuid};

use crate::ids::IdSource;

/// The stream of choices (stream 0 of the seed).
pub(crate) fn choices(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Ids as of a settable time, from stream 1 of the seed.
pub(crate) struct SeededIds {
    rng: Mutex<ChaCha8Rng>,
    unix_ms: AtomicU64,
}

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        Self { rng: Mutex::new(rng), unix_ms: AtomicU64::new(0) }
    }

    /// Ids made from now on carry this time.
    pub fn set_time(&self, at: OffsetDateTime) {
        let ms = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        self.unix_ms.store(ms, Ordering::Relaxed);
    }

    /// A new id made at `at`.
    pub fn at(&self, at: OffsetDateTime) -> Uuid {
        self.set_time(at);
        self.next_id()
    }
}

impl IdSource for SeededIds {
    fn next_id(&self) -> Uuid {
        let mut random = [0u8; 10];
        self.rng.lock().expect("id generator lock").fill_bytes(&mut random);
        Builder::from_unix_timestamp_millis(self.unix_ms.load(Ordering::Relaxed), &random).into_uuid()
    }
}
