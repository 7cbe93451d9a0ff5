//! The binary's id source: the operating system's CSPRNG. Session ids are bearer credentials,
//! so they must be unpredictable; tests use core's seeded source instead.

use lunette_core::IdSource;

/// Bytes fetched from the OS per `getrandom` call. A session takes a few dozen (its id and a
/// seed), so one call serves many sessions instead of costing a syscall each.
const BUFFER: usize = 512;

/// One generator per shard, never shared: bytes handed out once are never handed out again.
#[derive(Debug)]
pub struct OsIds {
    buffer: [u8; BUFFER],
    /// How many bytes of `buffer` are already handed out (and wiped).
    used: usize,
}

impl OsIds {
    /// Checks once, at startup, that the OS generator answers, so that a broken one is a
    /// startup error rather than a failure in the middle of serving.
    pub fn check() -> Result<(), getrandom::Error> {
        getrandom::fill(&mut [0; 16])
    }

    fn refill(&mut self) {
        if let Err(error) = getrandom::fill(&mut self.buffer) {
            // Guessable session ids would be worse than no service: stop this shard.
            panic!("the operating system's random number generator failed: {error}");
        }
        self.used = 0;
    }
}

/// An empty generator: its first `fill` asks the OS.
impl Default for OsIds {
    fn default() -> Self {
        Self {
            buffer: [0; BUFFER],
            used: BUFFER,
        }
    }
}

impl IdSource for OsIds {
    fn fill(&mut self, mut dest: &mut [u8]) {
        while !dest.is_empty() {
            if self.used == BUFFER {
                self.refill();
            }
            let taken = dest.len().min(BUFFER - self.used);
            let fresh = &mut self.buffer[self.used..self.used + taken];
            dest[..taken].copy_from_slice(fresh);
            // Wiped so that memory read later does not reveal ids already given out.
            fresh.fill(0);
            self.used += taken;
            dest = &mut dest[taken..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_generator_answers() {
        assert!(OsIds::check().is_ok());
    }

    #[test]
    fn fills_with_fresh_bytes() {
        let mut ids = OsIds::default();
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        ids.fill(&mut a);
        ids.fill(&mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn refills_across_the_end_of_the_buffer() {
        let mut ids = OsIds::default();
        let mut first = [0u8; BUFFER - 8];
        ids.fill(&mut first);
        let mut across = [0u8; 3 * BUFFER];
        ids.fill(&mut across);
        for chunk in across.chunks(16) {
            assert!(chunk.iter().any(|&byte| byte != 0), "{chunk:?}");
        }
        assert!(ids.buffer[..ids.used].iter().all(|&byte| byte == 0));
    }
}
