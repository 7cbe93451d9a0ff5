//! Lua timers (docs/protocol.md §7.7) as a table of deadlines: `Core` asks for the earliest one and
//! runs whatever is due, so nothing in core ever sleeps.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Pending timers per session, beyond which `setTimeout` and friends raise an error.
pub(crate) const MAX_TIMERS: usize = 10_000;

pub(crate) struct Timer {
    pub(crate) callback: mlua::Function,
    /// `Some(period)` for `setInterval`.
    pub(crate) every: Option<Duration>,
}

#[derive(Default)]
pub(crate) struct Timers {
    last_handle: u64,
    /// Ordered by due time, then handle: same-instant timers run in handle order.
    queue: BTreeMap<(Instant, u64), Timer>,
    due_of: BTreeMap<u64, Instant>,
}

impl Timers {
    pub(crate) fn is_full(&self) -> bool {
        self.queue.len() >= MAX_TIMERS
    }

    /// Schedules `timer` at `due` and returns its handle (1, 2, … per session).
    pub(crate) fn add(&mut self, due: Instant, timer: Timer) -> u64 {
        self.last_handle += 1;
        self.queue.insert((due, self.last_handle), timer);
        self.due_of.insert(self.last_handle, due);
        self.last_handle
    }

    /// Cancels a timer; unknown or finished handles are ignored.
    pub(crate) fn cancel(&mut self, handle: u64) {
        if let Some(due) = self.due_of.remove(&handle) {
            self.queue.remove(&(due, handle));
        }
    }

    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.queue.keys().next().map(|(due, _)| *due)
    }

    /// Handles of the timers due at `now`, in the order they must run.
    pub(crate) fn due(&self, now: Instant) -> Vec<u64> {
        self.queue
            .range(..=(now, u64::MAX))
            .map(|((_, handle), _)| *handle)
            .collect()
    }

    /// Takes a due timer out to run it; an interval is scheduled again first, so that
    /// clearing it from its own callback works. Returns `None` if it was cancelled meanwhile.
    pub(crate) fn take_for_run(&mut self, handle: u64, now: Instant) -> Option<mlua::Function> {
        let due = self.due_of.remove(&handle)?;
        let timer = self.queue.remove(&(due, handle))?;
        let callback = timer.callback.clone();
        if let Some(period) = timer.every {
            // A step that ran late skips the missed periods instead of firing a burst.
            let mut next = due + period;
            if next <= now {
                next = now + period;
            }
            self.queue.insert((next, handle), timer);
            self.due_of.insert(handle, next);
        }
        Some(callback)
    }
}
