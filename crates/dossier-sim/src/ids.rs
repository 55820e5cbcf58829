//! Seeded randomness. Every id, token and fault draw comes from a ChaCha stream keyed by the seed
//! and a fixed stream number, so each provider's ids depend only on the seed and the order of
//! that provider's own writes, not on traffic to the others or on the faults in force.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// A stream's position as the state file keeps it: the key, the stream number and how many
/// 32-bit words were drawn. Restoring all three continues the stream exactly where it stopped,
/// so a reloaded simulator hands out the ids it would have handed out without the restart and
/// never one it already gave. Written out by hand rather than with `rand_chacha`'s own serde
/// form, so the file format does not change with that crate.
#[derive(Serialize, Deserialize)]
struct Position {
    /// The 32-byte ChaCha key as 64 lowercase hex digits.
    key: String,
    stream: u64,
    word_pos: u128,
}

impl Serialize for Seeded {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let key = self.0.get_seed().iter().map(|b| format!("{b:02x}")).collect();
        Position { key, stream: self.0.get_stream(), word_pos: self.0.get_word_pos() }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Seeded {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let position = Position::deserialize(deserializer)?;
        let bad_key = || D::Error::custom("an id stream key must be 64 hex digits");
        let text = position.key.as_bytes();
        if text.len() != 64 {
            return Err(bad_key());
        }
        let mut key = [0u8; 32];
        for (byte, pair) in key.iter_mut().zip(text.chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| bad_key())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad_key())?;
        }
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(position.stream);
        rng.set_word_pos(position.word_pos);
        Ok(Self(rng))
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

    #[test]
    fn a_restored_stream_continues_where_it_stopped() {
        let mut original = Seeded::new(7, stream::QOLO);
        let _ = (original.uuid(), original.alphanumeric(12), original.hex32());
        let saved = serde_json::to_string(&original).unwrap();
        let mut restored: Seeded = serde_json::from_str(&saved).unwrap();
        for _ in 0..20 {
            assert_eq!(restored.uuid(), original.uuid());
            assert_eq!(restored.alphanumeric(29), original.alphanumeric(29));
        }
    }

    #[test]
    fn a_damaged_stream_key_is_refused() {
        let bad = r#"{"key":"zz","stream":12,"word_pos":0}"#;
        assert!(serde_json::from_str::<Seeded>(bad).is_err());
    }
}
