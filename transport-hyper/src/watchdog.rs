//! The step watchdog: a thread that raises a shard's [`StepAlarm`] when one step has run
//! longer than `--step-timeout` by the wall clock. The instruction budget bounds almost all Lua
//! work; this bounds what it cannot count (see core's `alarm.rs`) and the sum of many calls
//! within one step. Core never reads the clock, so the clock is read here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lunette_core::StepAlarm;

/// How one shard's steps are watched: its alarm and when its current step began.
#[derive(Debug)]
pub struct StepWatch {
    alarm: StepAlarm,
    /// Milliseconds since the watchdog's start at which the current step began, plus one;
    /// 0 while the shard is between steps.
    began: AtomicU64,
    start: Instant,
}

impl StepWatch {
    pub fn alarm(&self) -> StepAlarm {
        self.alarm.clone()
    }

    /// A step begins: the alarm is re-armed and the clock starts.
    pub fn begin(&self) {
        self.alarm.clear();
        let since = self.start.elapsed().as_millis() as u64;
        self.began.store(since + 1, Ordering::Relaxed);
    }

    pub fn end(&self) {
        self.began.store(0, Ordering::Relaxed);
    }

    /// How long the current step has run, if one is running.
    fn running_for(&self) -> Option<Duration> {
        let began = self.began.load(Ordering::Relaxed).checked_sub(1)?;
        let now = self.start.elapsed().as_millis() as u64;
        Some(Duration::from_millis(now.saturating_sub(began)))
    }
}

/// One watch per shard, and a thread checking them while any shard holds a reference.
pub fn start(shards: usize, timeout: Option<Duration>) -> Vec<Arc<StepWatch>> {
    let start = Instant::now();
    let watches: Vec<Arc<StepWatch>> = (0..shards)
        .map(|_| {
            Arc::new(StepWatch {
                alarm: StepAlarm::default(),
                began: AtomicU64::new(0),
                start,
            })
        })
        .collect();
    if let Some(timeout) = timeout {
        let watched: Vec<_> = watches.iter().map(Arc::downgrade).collect();
        let every = (timeout / 4).clamp(Duration::from_millis(5), Duration::from_millis(250));
        let spawned = std::thread::Builder::new()
            .name("lunette-watchdog".into())
            .spawn(move || watch(&watched, timeout, every));
        if let Err(error) = spawned {
            tracing::error!("the step watchdog could not start: {error}");
        }
    }
    watches
}

fn watch(watched: &[std::sync::Weak<StepWatch>], timeout: Duration, every: Duration) {
    loop {
        std::thread::sleep(every);
        let mut alive = false;
        for (shard, watch) in watched.iter().enumerate() {
            let Some(watch) = watch.upgrade() else {
                continue;
            };
            alive = true;
            if watch.running_for().is_some_and(|ran| ran > timeout) && !watch.alarm.is_raised() {
                tracing::warn!(
                    shard,
                    "a step ran past --step-timeout; its Lua work is stopped"
                );
                watch.alarm.raise();
            }
        }
        if !alive {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_past_the_timeout_raises_the_alarm_and_the_next_step_clears_it() {
        let watches = start(2, Some(Duration::from_millis(50)));
        watches[0].begin();
        watches[1].begin();
        watches[1].end();
        std::thread::sleep(Duration::from_millis(300));
        assert!(watches[0].alarm().is_raised());
        assert!(
            !watches[1].alarm().is_raised(),
            "an idle shard is left alone"
        );
        watches[0].end();
        watches[0].begin();
        assert!(!watches[0].alarm().is_raised());
    }
}
