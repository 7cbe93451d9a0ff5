//! Steps that stop between slices (docs/protocol.md §4.6): a session's step runs on a stack of its
//! own, and when it has used up a slice of its budget it is suspended wherever it is, so that the
//! core can serve other sessions before it resumes.
//!
//! The stack is what makes this work everywhere. A Lua coroutine can only yield where no C
//! function lies between it and the resume: not from a getter the server calls, a `table.sort`
//! comparator, a `string.gsub` callback or a metamethod called from C, and not from the
//! server's own Rust loop over thousands of variables. A step on its own native stack is
//! simply switched away from, with all of that on it, and switched back to later. Nothing else
//! touches the session meanwhile: its VM, tracker and connections move into the step and come
//! back when it ends (see `session/steps.rs`).
//!
//! Whether a slice is used up is decided by the budget's count of instructions (see
//! `lua/budget.rs`), never by the clock, so the in-memory harness replays sliced runs byte for
//! byte.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};

/// The stack a step runs on: as large as a shard thread's own (Rust's default for spawned
/// threads), so that every depth bound sized for a thread holds on it too. Only the pages a
/// step touches are ever backed by memory.
const STACK_BYTES: usize = 2 * 1024 * 1024;

/// Stacks kept for the next steps once theirs have ended, so that a step costs no `mmap`.
const SPARE_STACKS: usize = 4;

/// How many steps of one core may be suspended at once. Each holds a stack; past this, new
/// steps run to completion (still bounded by their budget), so a flood of long actions cannot
/// make the core hold thousands of stacks.
pub(crate) const MAX_SUSPENDED: usize = 64;

type Step<T> = Coroutine<(), (), Result<T, Panicked>, DefaultStack>;

/// A step's body panicked: the server's bug, not the script's. What it was working on is gone.
#[derive(Debug)]
pub(crate) struct Panicked;

/// A step that used up a slice and waits to be resumed.
pub(crate) struct Suspended<T>(Step<T>);

/// Where a step stands after a slice.
pub(crate) enum Progress<T> {
    Done(Result<T, Panicked>),
    Suspended(Suspended<T>),
}

thread_local! {
    /// The yielder of the step running on this thread, null when none is (the core's own
    /// stack). Set only while that step's stack is the one executing, so it is never used
    /// from anywhere else.
    static RUNNING: Cell<*const Yielder<(), ()>> = const { Cell::new(ptr::null()) };
}

/// Suspends the running step until the core resumes it; does nothing when no step that may
/// be suspended is running (a session's start, or a core at its [`MAX_SUSPENDED`]).
pub(crate) fn suspend() {
    let yielder = RUNNING.with(|running| running.replace(ptr::null()));
    if yielder.is_null() {
        return;
    }
    // SAFETY: `RUNNING` holds the yielder of the step executing right now (see `start`),
    // which lives on that step's stack for as long as the step runs.
    unsafe { (*yielder).suspend(()) };
    RUNNING.with(|running| running.set(yielder));
}

/// The core's stacks for steps.
#[derive(Default)]
pub(crate) struct Stacks {
    spare: RefCell<Vec<DefaultStack>>,
}

impl Stacks {
    /// Runs `body` as a step until it ends or uses up its first slice. With `suspendable`
    /// false (or no stack to be had) it runs to completion on the caller's stack.
    pub(crate) fn start<T: 'static>(
        &self,
        suspendable: bool,
        body: impl FnOnce() -> T + 'static,
    ) -> Progress<T> {
        let stack = suspendable.then(|| self.stack()).flatten();
        let Some(stack) = stack else {
            let previous = RUNNING.with(|running| running.replace(ptr::null()));
            let outcome = catch_unwind(AssertUnwindSafe(body)).map_err(|_| Panicked);
            RUNNING.with(|running| running.set(previous));
            return Progress::Done(outcome);
        };
        let step = Coroutine::with_stack(stack, move |yielder: &Yielder<(), ()>, ()| {
            RUNNING.with(|running| running.set(yielder));
            let outcome = catch_unwind(AssertUnwindSafe(body)).map_err(|_| Panicked);
            RUNNING.with(|running| running.set(ptr::null()));
            outcome
        });
        self.resume(Suspended(step))
    }

    /// Runs a suspended step for one more slice.
    pub(crate) fn resume<T>(&self, Suspended(mut step): Suspended<T>) -> Progress<T> {
        match step.resume(()) {
            CoroutineResult::Yield(()) => Progress::Suspended(Suspended(step)),
            CoroutineResult::Return(outcome) => {
                let mut spare = self.spare.borrow_mut();
                if spare.len() < SPARE_STACKS {
                    spare.push(step.into_stack());
                }
                Progress::Done(outcome)
            }
        }
    }

    fn stack(&self) -> Option<DefaultStack> {
        self.spare
            .borrow_mut()
            .pop()
            .or_else(|| DefaultStack::new(STACK_BYTES).ok())
    }
}
