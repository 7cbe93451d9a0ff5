//! The per-call instruction budget (docs/protocol.md §7.1): every call from the server into Lua may
//! run at most `--lua-budget` VM instructions, coroutines included, and once spent the budget stays
//! spent for the rest of that call so that `pcall` cannot swallow it.
//!
//! Work done outside the VM's instruction loop is charged as instructions too: bytes allocated
//! (see `meter.rs`), characters matched by the pattern engine, and elements that the
//! sandbox's wrappers of the table, string and utf8 functions say a C function will touch.

use std::cell::Cell;
use std::rc::Rc;

use crate::alarm::StepAlarm;
use crate::lua::vm::meter::BYTES_PER_INSTRUCTION;
use crate::stats::Counters;

#[derive(Debug)]
pub(crate) struct Budget {
    limit: u64,
    /// Raised by the transport when the step has run too long by the wall clock.
    alarm: StepAlarm,
    used: Cell<u64>,
    /// Bytes allocated during the current call, charged at
    /// [`BYTES_PER_INSTRUCTION`].
    allocated: Cell<u64>,
    /// Bytes allocated since the budget was spent: raising the budget's error allocates too.
    overdraft: Cell<u64>,
    /// The core's counters: a call that spent its budget counts in `budget_exhausted`.
    counters: Rc<Counters>,
    /// Instructions per slice of a step (`--lua-slice`; 0: steps are never suspended).
    slice: u64,
    /// Instructions and other work charged since the current slice began; unlike `used`,
    /// it runs on across calls, as a step makes many.
    slice_used: Cell<u64>,
    /// Bytes allocated since the current slice began.
    slice_bytes: Cell<u64>,
    /// Set when the core drops a suspended step: every call then stops at once.
    stopped: Cell<bool>,
    /// Instructions every call of the current step ran together: bounded by
    /// [`STEP_CALLS`] budgets, as a peer can make one step call a slow method thousands of
    /// times (a binding each).
    step_used: Cell<u64>,
}

/// How many budgets the calls of one step may use together.
pub(crate) const STEP_CALLS: u64 = 4;

thread_local! {
    /// Whether the allocator refused an allocation because the budget was spent, since the
    /// last call started. Lua reports such a refusal as "not enough memory"; this tells
    /// [`crate::lua::LuaFailure`] to name the budget instead. Per thread: a step is only suspended where its
    /// budget is not spent (see [`Budget::yield_point`]), so no other session's call can come
    /// between a refusal and its report.
    static REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the allocator refused an allocation of the current or the last call for its budget.
pub(crate) fn refused_by_budget() -> bool {
    REFUSED.with(Cell::get)
}

/// What may still be allocated once the budget is spent, for the error that says so and the
/// unwinding that carries it.
const OVERDRAFT: u64 = 64 * 1024;

impl Budget {
    pub(crate) fn new(
        limit: u64,
        slice: u64,
        alarm: StepAlarm,
        counters: Rc<Counters>,
    ) -> Rc<Budget> {
        Rc::new(Budget {
            limit,
            alarm,
            counters,
            used: Cell::new(0),
            allocated: Cell::new(0),
            overdraft: Cell::new(0),
            slice,
            slice_used: Cell::new(0),
            slice_bytes: Cell::new(0),
            stopped: Cell::new(false),
            step_used: Cell::new(0),
        })
    }

    /// Starts a step: none of the step budget is used, and its first slice begins.
    pub(crate) fn start_step(&self) {
        self.step_used.set(0);
        self.start_slice();
    }

    /// Starts a step's next slice.
    pub(crate) fn start_slice(&self) {
        self.slice_used.set(0);
        self.slice_bytes.set(0);
    }

    /// Counts `units` of work the server does for the step (not in Lua) toward its slice.
    pub(crate) fn spend_slice(&self, units: u64) {
        self.slice_used
            .set(self.slice_used.get().saturating_add(units));
    }

    /// A point where the running step may be suspended (see `slices.rs`): once its slice is
    /// used up, the step stops here until the core resumes it, with a fresh slice.
    pub(crate) fn yield_point(&self) {
        let spent = self.slice_used.get() + self.slice_bytes.get() / BYTES_PER_INSTRUCTION;
        if self.slice == 0 || spent < self.slice {
            return;
        }
        self.start_slice();
        crate::slices::suspend();
    }

    /// Stops the step for good: every call into Lua fails at its next check, with no work
    /// left to do. For a suspended step the core will not wait for.
    pub(crate) fn stop(&self) {
        self.stopped.set(true);
    }

    /// A call into Lua ended in an error that reaches the developer (see `Stats::lua_errors`).
    pub(crate) fn note_lua_error(&self) {
        Counters::bump(&self.counters.lua_errors);
    }

    /// Counts `instructions` the VM ran; false once the budget is spent.
    pub(crate) fn charge_instructions(&self, instructions: u64) -> bool {
        self.used.set(self.used.get().saturating_add(instructions));
        self.step_used
            .set(self.step_used.get().saturating_add(instructions));
        self.spend_slice(instructions);
        if self.alarm.is_raised() {
            self.used.set(self.limit.saturating_add(1));
        }
        !self.exceeded()
    }

    /// Starts a new call into Lua with the whole budget available.
    pub(crate) fn reset(&self) {
        REFUSED.with(|refused| refused.set(false));
        self.idle();
    }

    /// Ends a call: whatever the server allocates in the VM until the next call is not
    /// charged to it. What the call was refused is still reported.
    pub(crate) fn idle(&self) {
        if self.exceeded() {
            Counters::bump(&self.counters.budget_exhausted);
        }
        self.used.set(0);
        self.allocated.set(0);
        self.overdraft.set(0);
    }

    /// Counts `bytes` the VM is about to allocate; false once the budget is spent, when the
    /// allocation must be refused.
    pub(crate) fn charge_allocation(&self, bytes: u64) -> bool {
        if !self.exceeded() {
            self.allocated
                .set(self.allocated.get().saturating_add(bytes));
            self.slice_bytes
                .set(self.slice_bytes.get().saturating_add(bytes));
            return true;
        }
        self.overdraft
            .set(self.overdraft.get().saturating_add(bytes));
        let granted = self.overdraft.get() <= OVERDRAFT;
        if !granted {
            REFUSED.with(|refused| refused.set(true));
        }
        granted
    }

    /// Counts `units` of work done outside the VM for the current call (string pattern
    /// matching, which runs where the hook cannot see it) as that many instructions, and
    /// fails as the hook does once the budget is spent.
    pub(crate) fn charge(&self, units: u64) -> mlua::Result<()> {
        self.used.set(self.used.get().saturating_add(units));
        self.spend_slice(units);
        if self.exceeded() {
            return Err(mlua::Error::runtime(self.message()));
        }
        Ok(())
    }

    pub(crate) fn exceeded(&self) -> bool {
        if self.stopped.get() {
            return true;
        }
        let allocated = self.allocated.get() / BYTES_PER_INSTRUCTION;
        self.used.get().saturating_add(allocated) > self.limit || self.step_spent()
    }

    fn step_spent(&self) -> bool {
        self.step_used.get() > self.limit.saturating_mul(STEP_CALLS)
    }

    pub(crate) fn message(&self) -> String {
        if self.stopped.get() {
            return "stopped: the server is shutting down".into();
        }
        if self.alarm.is_raised() {
            return "stopped: the step ran longer than --step-timeout by the wall clock".into();
        }
        if self.step_spent() {
            return format!(
                "instruction budget exceeded: this step's calls into Lua ran {STEP_CALLS} budgets together ({STEP_CALLS} × --lua-budget {})",
                self.limit
            );
        }
        format!(
            "instruction budget exceeded (--lua-budget {} per call)",
            self.limit
        )
    }
}
