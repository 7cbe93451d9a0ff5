//! Session ids and the injected source of randomness they come from.

use std::fmt;

use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng};

/// Where every random bit of a `Core` comes from: session ids and the seeds of each session's
/// `math.random`. The binary passes the OS CSPRNG; tests pass [`SeededIds`] so that a run can
/// be replayed exactly.
pub trait IdSource {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]);
}

/// A deterministic [`IdSource`] for tests and simulations: the same seed gives the same ids.
pub struct SeededIds(ChaCha12Rng);

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        Self(ChaCha12Rng::seed_from_u64(seed))
    }
}

impl IdSource for SeededIds {
    fn fill(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }
}

/// A session id: 128 random bits, written as 32 lowercase hex characters. It is a bearer
/// credential, so `Display` gives the full id and [`SessionId::short`] the 8-character form
/// that logs use.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId([u8; 16]);

impl SessionId {
    pub(crate) fn draw(ids: &mut dyn IdSource) -> Self {
        let mut bytes = [0; 16];
        ids.fill(&mut bytes);
        Self(bytes)
    }

    /// Parses a well-formed sid: exactly 32 lowercase hex characters.
    pub fn parse(text: &str) -> Option<Self> {
        let digits = text.as_bytes();
        if digits.len() != 32 {
            return None;
        }
        let mut bytes = [0; 16];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(Self(bytes))
    }

    /// The first 8 hex characters, the only form of a sid that may appear in logs.
    pub fn short(&self) -> String {
        self.to_string()[..8].to_owned()
    }

    /// Which of `shards` cores owns this session, for transports that run several `Core`s.
    /// Stable for a given id, so a shard can mint ids that map back to itself.
    pub fn shard(&self, shards: usize) -> usize {
        let top = u64::from_be_bytes([
            self.0[0], self.0[1], self.0[2], self.0[3], self.0[4], self.0[5], self.0[6], self.0[7],
        ]);
        (top % shards.max(1) as u64) as usize
    }
}

/// One WebSocket connection of a `Core`, named by core when it accepts the upgrade. Unique
/// for the core's lifetime; never reused.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ConnId(pub(crate) u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn-{}", self.0)
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every `GET /` writes its new id: one `write!` per byte cost ~5,000 instructions.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 32];
        for (pair, byte) in text.chunks_exact_mut(2).zip(self.0) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({}…)", self.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sid_round_trips_through_text() {
        let sid = SessionId::draw(&mut SeededIds::new(7));
        let text = sid.to_string();
        assert_eq!(text.len(), 32);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(SessionId::parse(&text), Some(sid));
    }

    #[test]
    fn only_lowercase_hex_of_length_32_parses() {
        assert!(SessionId::parse("7c1e0b5a9d3f4e2687a1c0d9e8f7b6a5").is_some());
        assert!(SessionId::parse("7C1E0B5A9D3F4E2687A1C0D9E8F7B6A5").is_none());
        assert!(SessionId::parse("7c1e0b5a9d3f4e2687a1c0d9e8f7b6a").is_none());
        assert!(SessionId::parse("7c1e0b5a9d3f4e2687a1c0d9e8f7b6ag").is_none());
        assert!(SessionId::parse("").is_none());
    }

    #[test]
    fn seeded_ids_repeat_for_a_seed_and_differ_across_seeds() {
        let draw = |seed| SessionId::draw(&mut SeededIds::new(seed));
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }
}
