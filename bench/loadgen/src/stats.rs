//! Latency percentiles.

use std::time::Duration;

/// Latencies sorted once, read by nearest rank.
#[derive(Debug)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The nearest-rank percentile: the smallest sample with at least `p` % of the samples at
    /// or below it (`p` in 0..=100); zero when there are no samples.
    pub fn percentile(&self, p: f64) -> Duration {
        let Some(last) = self.0.len().checked_sub(1) else {
            return Duration::ZERO;
        };
        let rank = (p / 100.0 * self.0.len() as f64).ceil() as usize;
        self.0[rank.saturating_sub(1).min(last)]
    }

    pub fn max(&self) -> Duration {
        self.0.last().copied().unwrap_or_default()
    }
}

/// A duration in milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// A duration in whole microseconds.
pub fn us(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: impl IntoIterator<Item = u64>) -> Latencies {
        Latencies::new(values.into_iter().map(Duration::from_micros).collect())
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let l = of((1..=100).rev());
        assert_eq!(l.percentile(50.0), Duration::from_micros(50));
        assert_eq!(l.percentile(99.0), Duration::from_micros(99));
        assert_eq!(l.percentile(100.0), Duration::from_micros(100));
        assert_eq!(l.percentile(0.0), Duration::from_micros(1));
        assert_eq!(l.max(), Duration::from_micros(100));
    }

    #[test]
    fn small_and_empty_sets_do_not_panic() {
        let l = of([7, 3]);
        assert_eq!(l.percentile(50.0), Duration::from_micros(3));
        assert_eq!(l.percentile(99.0), Duration::from_micros(7));
        assert_eq!(of([]).percentile(99.0), Duration::ZERO);
        assert_eq!(of([]).max(), Duration::ZERO);
    }
}
