//! A step's alarm: how a transport stops a step that has run too long by the wall clock.
//!
//! The instruction budget bounds what a call into Lua may do, counted deterministically. A
//! few VM instructions still do work proportional to the size of their operands without
//! allocating (comparing two equal 30 MB strings, turning a long string into a number), so
//! a loop of them can hold a core for minutes inside the budget. Core never reads a clock:
//! the transport, which does, raises the alarm when a step passes its wall-clock limit, and
//! every call into Lua stops at its next budget check (at most 1,000 instructions later) as
//! if its budget were spent. Until raised, the alarm changes nothing, so replays of a run stay
//! identical.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared between a `Core` (through [`Config::alarm`](crate::Config::alarm)) and whatever
/// watches its steps; clones share one flag.
#[derive(Debug, Clone, Default)]
pub struct StepAlarm(Arc<AtomicBool>);

impl StepAlarm {
    /// Stops the step under way: every call into Lua fails at its next check.
    pub fn raise(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Re-arms the alarm; a transport calls this before each step.
    pub fn clear(&self) {
        self.0.store(false, Ordering::Relaxed);
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
