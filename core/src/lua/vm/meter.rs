//! Charges a session's Lua work to its budget: the instructions it runs (a count hook) and
//! what it allocates.
//!
//! The count hook is Lua's own C hook, not mlua's: when mlua turns a hook's error into a Lua
//! error it first clears the running function's stack, and Lua 5.4 runs the pending `__close`
//! handlers of what it clears right there, inside the hook, where hooks are off. A handler that
//! loops would then hang the core. Raised with `lua_error` from the hook, the error unwinds to
//! the nearest protected call, which switches hooks back on before it closes anything.
//!
//! The count hook sees VM instructions, not what one instruction does: `s .. t` copies both
//! strings, `string.rep`, `string.upper`, `table.concat` or `string.format` fill megabytes in C.
//! A loop of such instructions spends seconds within a budget of a few million instructions.
//! Nearly all of that work writes memory Lua allocated for it, so the allocator is where it can
//! be seen: each byte a call allocates costs [`BYTES_PER_INSTRUCTION`]⁻¹ of an instruction, and
//! once the budget is spent every allocation that grows the heap fails. Lua raises a memory
//! error for that, as it does at `--lua-memory`, and it already copes with a refusal anywhere,
//! the garbage collector included. Frees are never refused.
//!
//! mlua offers no allocator hook, so this wraps the allocator mlua installed (which keeps
//! enforcing `--lua-memory`) through Lua's C API, and puts it back before the VM is dropped.

use std::ffi::{CStr, c_int, c_void};
use std::io::Write;
use std::ptr;
use std::rc::Rc;

use mlua::{Lua, ffi};

use crate::lua::vm::budget::Budget;

/// What the wrapper needs on every allocation: the allocator it wraps and whom to charge.
struct Meter {
    inner: ffi::lua_Alloc,
    inner_ud: *mut c_void,
    budget: Rc<Budget>,
}

/// How many instructions run between two budget checks. Lua 5.4 pays for a count hook on
/// every instruction whatever the count, so a finer grain costs only the callback itself.
const CHECK_EVERY: c_int = 1000;

/// The hook and the allocator installed on one VM. Dropping it removes both; the VM must
/// still be alive then (see [`Metered::install`]).
pub(crate) struct Metered {
    lua: Lua,
    meter: *mut Meter,
}

impl Metered {
    /// Charges `lua`'s instructions and allocations to `budget`: threads created later inherit
    /// the hook. Install it after the memory limit is set (mlua only sets limits on its own
    /// allocator).
    pub(crate) fn install(lua: &Lua, budget: Rc<Budget>) -> Self {
        let state = lua.exec_raw_lua(|raw| raw.state());
        let mut inner_ud = ptr::null_mut();
        // SAFETY: `state` is this VM's live main state, used on this thread only. The Meter
        // is leaked into a raw pointer that outlives every call of `metered` on this VM:
        // `drop` restores the inner allocator before freeing it.
        unsafe {
            let inner = ffi::lua_getallocf(state, &mut inner_ud);
            let meter = Box::into_raw(Box::new(Meter {
                inner,
                inner_ud,
                budget,
            }));
            ffi::lua_setallocf(state, metered, meter.cast());
            ffi::lua_sethook(state, Some(counted), ffi::LUA_MASKCOUNT, CHECK_EVERY);
            Self {
                lua: lua.clone(),
                meter,
            }
        }
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        let state = self.lua.exec_raw_lua(|raw| raw.state());
        // SAFETY: see `install`; after the swap no allocation reaches `metered` any more, and
        // `counted` finds no meter to charge.
        unsafe {
            ffi::lua_sethook(state, None, 0, 0);
            let meter = Box::from_raw(self.meter);
            ffi::lua_setallocf(state, meter.inner, meter.inner_ud);
        }
    }
}

/// About what one VM instruction costs, in bytes written by an allocating operation.
pub(crate) const BYTES_PER_INSTRUCTION: u64 = 16;

unsafe extern "C" fn metered(
    ud: *mut c_void,
    block: *mut c_void,
    old_size: usize,
    new_size: usize,
) -> *mut c_void {
    // SAFETY: `ud` is the Meter `install` registered, alive until `drop` unregisters it.
    let meter = unsafe { &*(ud as *const Meter) };
    // With no block, `old_size` names the kind of object, not a size (lua_Alloc).
    let had = if block.is_null() { 0 } else { old_size };
    if new_size > had && !meter.budget.charge_allocation((new_size - had) as u64) {
        return ptr::null_mut();
    }
    // SAFETY: the inner allocator with its own data, as Lua would call it.
    unsafe { (meter.inner)(meter.inner_ud, block, old_size, new_size) }
}

/// The meter of the VM `state` belongs to, if its allocator is `metered`; a VM without one is
/// not charged.
///
/// # Safety
/// `state` must be a live thread of its VM, used on this thread.
unsafe fn meter_of<'a>(state: *mut ffi::lua_State) -> Option<&'a Meter> {
    let mut ud = ptr::null_mut();
    // SAFETY: a VM whose allocator is `metered` has a live Meter as its data until `drop`
    // restores the inner allocator (see `install`).
    unsafe {
        let allocator = ffi::lua_getallocf(state, &mut ud);
        ptr::fn_addr_eq(allocator, metered as ffi::lua_Alloc).then(|| &*(ud as *const Meter))
    }
}

/// The count hook: charges [`CHECK_EVERY`] instructions and, once the budget is spent, raises
/// its error at the running line.
unsafe extern "C-unwind" fn counted(state: *mut ffi::lua_State, debug: *mut ffi::lua_Debug) {
    // SAFETY: `state` is the running thread Lua handed the hook.
    let Some(meter) = (unsafe { meter_of(state) }) else {
        return;
    };
    if meter.budget.charge_instructions(CHECK_EVERY as u64) {
        // Suspending here is safe wherever the hook fired: the step has a stack of its own,
        // and nothing else touches this VM until it is resumed (see `slices.rs`).
        meter.budget.yield_point();
        return;
    }
    // SAFETY: `debug` is the activation record Lua handed the hook.
    unsafe { raise(state, meter, debug) }
}

/// Raises the budget's error in `state`, at the running line when `debug` describes it (a
/// hook's record); from a C function Lua adds the caller's line itself.
///
/// # Safety
/// The error unwinds past the caller's frame, which must own nothing that needs dropping;
/// the message is written into a buffer on this frame for that reason.
unsafe fn raise(state: *mut ffi::lua_State, meter: &Meter, debug: *mut ffi::lua_Debug) -> ! {
    let mut buffer = [0u8; 256];
    let length = {
        let mut out = &mut buffer[..];
        // SAFETY: `debug` is null or the record Lua handed the hook.
        unsafe {
            if !debug.is_null()
                && ffi::lua_getinfo(state, c"Sl".as_ptr(), debug) != 0
                && (*debug).currentline > 0
            {
                let source = CStr::from_ptr((*debug).short_src.as_ptr()).to_string_lossy();
                let _ = write!(out, "{source}:{}: ", (*debug).currentline);
            }
        }
        let _ = write!(out, "{}", meter.budget.message());
        256 - out.len()
    };
    // SAFETY: pushing a string and raising it is what a hook or a C function may do; the
    // error unwinds to the protected call that runs this code.
    unsafe {
        if debug.is_null() {
            // Where the C function was called from, as `luaL_error` says it.
            ffi::luaL_where(state, 1);
        }
        ffi::lua_pushlstring(state, buffer.as_ptr().cast(), length);
        if debug.is_null() {
            ffi::lua_concat(state, 2);
        }
        ffi::lua_error(state)
    }
}

/// Charges `units` of work a C function is about to do to the budget of the VM running
/// `state`, raising the budget's error there once it is spent.
///
/// # Safety
/// `state` must be running a C function of a VM this module may meter, with no Rust value
/// needing a drop above it on the native stack: the error unwinds past it.
pub(crate) unsafe fn charge_or_raise(state: *mut ffi::lua_State, units: f64) {
    // SAFETY: `state` is running the caller's C function.
    let Some(meter) = (unsafe { meter_of(state) }) else {
        return;
    };
    let units = if units.is_nan() {
        0
    } else {
        units.min(u64::MAX as f64) as u64
    };
    if meter.budget.charge(units).is_ok() {
        return;
    }
    // SAFETY: as in `counted`: the message lives on this frame, which owns nothing to drop.
    unsafe { raise(state, meter, ptr::null_mut()) }
}

/// Whether the budget of the VM running `state` is spent.
///
/// # Safety
/// `state` must be a live thread of its VM, used on this thread.
pub(crate) unsafe fn spent(state: *mut ffi::lua_State) -> bool {
    // SAFETY: as the caller promises.
    unsafe { meter_of(state) }.is_some_and(|meter| meter.budget.exceeded())
}

/// Raises the budget's error in `state`, whose budget is spent, where the running C function
/// was called from.
///
/// # Safety
/// As [`charge_or_raise`]: nothing above on the native stack may need a drop.
pub(crate) unsafe fn raise_spent(state: *mut ffi::lua_State) -> ! {
    // SAFETY: as the caller promises; a VM with no meter has no budget to name.
    unsafe {
        match meter_of(state) {
            Some(meter) => raise(state, meter, ptr::null_mut()),
            None => {
                ffi::lua_pushstring(state, c"instruction budget exceeded".as_ptr());
                ffi::lua_error(state)
            }
        }
    }
}
