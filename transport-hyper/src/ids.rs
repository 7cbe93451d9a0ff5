//! The binary's id source: the operating system's CSPRNG. Session ids are bearer credentials,
//! so they must be unpredictable; tests use core's seeded source instead.

use lunette_core::IdSource;

#[derive(Debug, Default)]
pub struct OsIds;

impl OsIds {
    /// Checks once, at startup, that the OS generator answers, so that a broken one is a
    /// startup error rather than a failure in the middle of serving.
    pub fn check() -> Result<Self, getrandom::Error> {
        getrandom::fill(&mut [0; 16])?;
        Ok(Self)
    }
}

impl IdSource for OsIds {
    fn fill(&mut self, dest: &mut [u8]) {
        if let Err(error) = getrandom::fill(dest) {
            // Guessable session ids would be worse than no service: stop this shard.
            panic!("the operating system's random number generator failed: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_with_fresh_bytes() {
        let Ok(mut ids) = OsIds::check() else {
            panic!("the OS generator should work in tests")
        };
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        ids.fill(&mut a);
        ids.fill(&mut b);
        assert_ne!(a, b);
    }
}
