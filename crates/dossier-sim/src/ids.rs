//! Seeded randomness. Every id, token and fault draw comes from a ChaCha stream keyed by the seed
//! and a fixed stream number, so each provider's ids depend only on the seed and the order of
//! that provider's own writes, not on traffic to the others or on the faults in force.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The stream numbers; changing one changes every id a seed produces.
pub(crate) mod stream {
    pub const FAULTS: u64 = 1;
    pub const TOKENS: u64 = 2;
    pub const CYBRID: u64 = 10;
    pub const PAXOS: u64 = 11;
    pub const QOLO: u64 = 12;
}

pub(crate) struct Seeded(ChaCha8Rng);

impl Seeded {
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Self(rng)
    }

    /// 32 lowercase hex characters: Cybrid's guid format (the SDK rejects anything but 32).
    pub fn hex32(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.0.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A version-4 UUID in its hyphenated form (Paxos and Qolo ids).
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.0.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
    }

    /// `n` characters from `[0-9A-Za-z]`.
    pub fn alphanumeric(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        (0..n).map(|_| CHARS[self.0.random_range(0..CHARS.len())] as char).collect()
    }

    /// A uniform draw from `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.0.random::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_32_lowercase_hex_and_repeat_for_a_seed() {
        let (mut a, mut b) = (Seeded::new(7, stream::CYBRID), Seeded::new(7, stream::CYBRID));
        let guid = a.hex32();
        assert_eq!(guid.len(), 32);
        assert!(guid.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(guid, b.hex32());
        assert_ne!(guid, Seeded::new(8, stream::CYBRID).hex32());
    }

    #[test]
    fn streams_do_not_share_ids() {
        assert_ne!(Seeded::new(7, stream::PAXOS).uuid(), Seeded::new(7, stream::QOLO).uuid());
    }
}
