//! The sandbox's protected calls (`pcall`, `xpcall`) and coroutine functions (`resume`,
//! `close`, `wrap`), as light C functions that keep the budget's guarantees.
//!
//! - Once a call's budget is spent, a protected call re-raises its error, so that
//!   `while true do pcall(spin) end` cannot catch it.
//! - Lua runs `xpcall`'s message handler where the error is raised. For the budget's own error
//!   that is inside the count hook, where hooks are off, so a looping handler would never stop:
//!   here the handler runs after the unwinding, under the budget, and never once it is spent.
//! - A coroutine stopped by the budget died inside the count hook, and Lua leaves hooks off for
//!   a dead coroutine: closing it would run its pending `__close` handlers uncounted. Such a
//!   coroutine is remembered (in a weak table made on the first stop) and never closed.
//! - An error a Rust function raised reaches Lua as a userdata; a caught one is handed on as its
//!   message, as Lua's own functions raise strings.
//!
//! Written in Lua, these cost every session a prototype and a closure each; as light C
//! functions a session holds them for nothing. `pcall` and `xpcall` call through
//! `lua_pcallk` with a continuation, so a coroutine may still yield inside them.

use std::ffi::{CStr, c_int};
use std::sync::OnceLock;

use mlua::{Lua, Value, ffi};

use crate::lua::LuaFailure;
use crate::lua::vm::meter;

/// Registry field of the function that turns an error userdata into its message.
const MESSAGE_OF: &CStr = c"lunette.message_of";
/// Registry field of the weak set of coroutines the budget stopped.
const STOPPED: &CStr = c"lunette.stopped";

/// The coroutine library's own `resume`, `close` and `create`, at the same addresses in every VM
/// of the process.
static ORIGINALS: OnceLock<[ffi::lua_CFunction; 3]> = OnceLock::new();

/// The stand-ins of the coroutine library's functions, set in it when it is made.
pub(crate) const COROUTINE: [(&CStr, ffi::lua_CFunction); 3] =
    [(c"resume", resume), (c"close", close), (c"wrap", wrap)];

/// The protected calls, which replace the base library's.
pub(crate) const PROTECTED: [(&CStr, ffi::lua_CFunction); 2] =
    [(c"pcall", pcall), (c"xpcall", xpcall)];

/// Registers in `lua` what the stand-ins need: the function that turns a Rust error into its
/// message.
pub(crate) fn register(lua: &Lua) -> mlua::Result<()> {
    let message_of = lua.create_function(|lua, value: Value| match value {
        Value::Error(error) => {
            let message = LuaFailure::from_error(&error).message;
            Ok(Value::String(lua.create_string(message)?))
        }
        other => Ok(other),
    })?;
    lua.set_named_registry_value(&MESSAGE_OF.to_string_lossy(), message_of)
}

/// Records the coroutine library's `resume`, `close` and `create` from `template`, a VM with
/// the library opened: the same C functions in every VM of this Lua build.
pub(crate) fn record_originals(lua: &Lua) -> mlua::Result<()> {
    if ORIGINALS.get().is_some() {
        return Ok(());
    }
    let mut found = Vec::with_capacity(3);
    // SAFETY: runs inside mlua's protected call with no arguments and leaves the stack empty.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_GLOBALS);
            ffi::lua_getfield(state, -1, c"coroutine".as_ptr());
            for name in [c"resume", c"close", c"create"] {
                ffi::lua_getfield(state, -1, name.as_ptr());
                found.push(ffi::lua_tocfunction(state, -1));
                ffi::lua_pop(state, 1);
            }
            ffi::lua_settop(state, 0);
        })?;
    }
    let [Some(resume), Some(close), Some(create)] = found[..] else {
        return Err(mlua::Error::runtime(
            "the coroutine library has no C functions",
        ));
    };
    let _ = ORIGINALS.set([resume, close, create]);
    Ok(())
}

/// The original coroutine function `index` of [`ORIGINALS`].
fn original(index: usize) -> ffi::lua_CFunction {
    ORIGINALS
        .get()
        .expect("recorded before any stand-in is reachable")[index]
}

/// Replaces the error value at the top of the stack by its message if a Rust function raised
/// it (a userdata).
///
/// # Safety
/// `state` runs one of this module's functions, with an error value at the top.
unsafe fn to_message(state: *mut ffi::lua_State) {
    // SAFETY: as the caller promises; the converter is registered before any Lua runs.
    unsafe {
        if ffi::lua_type(state, -1) != ffi::LUA_TUSERDATA {
            return;
        }
        ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, MESSAGE_OF.as_ptr());
        ffi::lua_rotate(state, -2, 1);
        ffi::lua_call(state, 1, 1);
    }
}

/// `pcall(f, ...)`: `true` and `f`'s results, or `false` and its error.
unsafe extern "C-unwind" fn pcall(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments; `finish_pcall` completes the call whether it
    // returns or yields.
    unsafe {
        ffi::luaL_checkany(state, 1);
        ffi::lua_pushboolean(state, 1);
        ffi::lua_insert(state, 1);
        let arguments = ffi::lua_gettop(state) - 2;
        let status = ffi::lua_pcallk(state, arguments, ffi::LUA_MULTRET, 0, 0, Some(finish_pcall));
        finish_pcall(state, status, 0)
    }
}

/// What `pcall` returns once its function ended; `skip` values below the results are not
/// returned (`xpcall`'s handler).
unsafe extern "C-unwind" fn finish_pcall(
    state: *mut ffi::lua_State,
    status: c_int,
    skip: ffi::lua_KContext,
) -> c_int {
    // SAFETY: runs as the end of `pcall`, with its stack.
    unsafe {
        if meter::spent(state) {
            meter::raise_spent(state);
        }
        if status != ffi::LUA_OK && status != ffi::LUA_YIELD {
            to_message(state);
            ffi::lua_pushboolean(state, 0);
            ffi::lua_insert(state, -2);
            return 2;
        }
        ffi::lua_gettop(state) - skip as c_int
    }
}

/// `xpcall(f, handler, ...)`: as `pcall`, but an error goes through `handler` first.
unsafe extern "C-unwind" fn xpcall(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments. The stack becomes [handler, true, f, ...].
    unsafe {
        if ffi::lua_type(state, 2) != ffi::LUA_TFUNCTION {
            // Lua's own wording; the message is on the Lua stack before the error unwinds.
            ffi::luaL_where(state, 1);
            ffi::lua_pushstring(
                state,
                c"bad argument #2 to 'xpcall' (function expected, got ".as_ptr(),
            );
            ffi::lua_pushstring(state, ffi::luaL_typename(state, 2));
            ffi::lua_pushstring(state, c")".as_ptr());
            ffi::lua_concat(state, 4);
            ffi::lua_error(state);
        }
        ffi::lua_pushvalue(state, 2);
        ffi::lua_insert(state, 1);
        ffi::lua_remove(state, 3);
        ffi::lua_pushboolean(state, 1);
        ffi::lua_insert(state, 2);
        let arguments = ffi::lua_gettop(state) - 3;
        let status = ffi::lua_pcallk(
            state,
            arguments,
            ffi::LUA_MULTRET,
            0,
            0,
            Some(finish_xpcall),
        );
        finish_xpcall(state, status, 0)
    }
}

/// What `xpcall` returns once its function ended: on an error, the handler's result.
unsafe extern "C-unwind" fn finish_xpcall(
    state: *mut ffi::lua_State,
    status: c_int,
    _: ffi::lua_KContext,
) -> c_int {
    // SAFETY: runs as the end of `xpcall`, with its stack: [handler, true, results...] or
    // [handler, true, error].
    unsafe {
        if status == ffi::LUA_OK || status == ffi::LUA_YIELD {
            return finish_pcall(state, status, 1);
        }
        if meter::spent(state) {
            meter::raise_spent(state);
        }
        to_message(state);
        ffi::lua_pushvalue(state, 1);
        ffi::lua_insert(state, -2);
        // The handler's own error, if it raises one, is its result.
        ffi::lua_pcall(state, 1, 1, 0);
        if meter::spent(state) {
            meter::raise_spent(state);
        }
        to_message(state);
        ffi::lua_pushboolean(state, 0);
        ffi::lua_insert(state, -2);
        2
    }
}

/// Whether the coroutine at `index` was stopped by the budget.
unsafe fn was_stopped(state: *mut ffi::lua_State, index: c_int) -> bool {
    // SAFETY: reads the registry's weak set, if any, without metamethods.
    unsafe {
        let index = ffi::lua_absindex(state, index);
        if ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, STOPPED.as_ptr()) != ffi::LUA_TTABLE {
            ffi::lua_pop(state, 1);
            return false;
        }
        ffi::lua_pushvalue(state, index);
        let stopped = ffi::lua_rawget(state, -2) != ffi::LUA_TNIL;
        ffi::lua_pop(state, 2);
        stopped
    }
}

/// Remembers the coroutine at `index` as stopped by the budget, then raises the budget's
/// error.
unsafe fn stop(state: *mut ffi::lua_State, index: c_int) -> ! {
    // SAFETY: the weak set is made on the first stop; what it allocates comes out of the
    // budget's overdraft.
    unsafe {
        let index = ffi::lua_absindex(state, index);
        if ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, STOPPED.as_ptr()) != ffi::LUA_TTABLE {
            ffi::lua_pop(state, 1);
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_pushstring(state, c"k".as_ptr());
            ffi::lua_setfield(state, -2, c"__mode".as_ptr());
            ffi::lua_setmetatable(state, -2);
            ffi::lua_pushvalue(state, -1);
            ffi::lua_setfield(state, ffi::LUA_REGISTRYINDEX, STOPPED.as_ptr());
        }
        ffi::lua_pushvalue(state, index);
        ffi::lua_pushboolean(state, 1);
        ffi::lua_rawset(state, -3);
        meter::raise_spent(state)
    }
}

/// Runs the original `coroutine.resume` on this frame's arguments (the coroutine first); on
/// its failure, stops at the budget's error if the budget is spent. Returns how many results
/// it left on the stack: `true` and the values, or `false` and the error message.
unsafe fn resumed(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: the original reads its arguments as Lua would have passed them.
    unsafe {
        let results = original(0)(state);
        let first = ffi::lua_gettop(state) - results + 1;
        if ffi::lua_toboolean(state, first) == 0 {
            if meter::spent(state) {
                stop(state, 1);
            }
            to_message(state);
        }
        results
    }
}

/// `coroutine.resume(co, ...)`.
unsafe extern "C-unwind" fn resume(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments.
    unsafe { resumed(state) }
}

/// `coroutine.close(co)`: refused for a coroutine the budget stopped.
unsafe extern "C-unwind" fn close(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments.
    unsafe {
        if ffi::lua_type(state, 1) == ffi::LUA_TTHREAD && was_stopped(state, 1) {
            ffi::lua_pushboolean(state, 0);
            ffi::lua_pushstring(
                state,
                c"the coroutine was stopped by the instruction budget".as_ptr(),
            );
            return 2;
        }
        original(1)(state)
    }
}

/// `coroutine.wrap(f)`: a function that resumes a new coroutine of `f`.
unsafe extern "C-unwind" fn wrap(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: the original `create` checks the argument and pushes the coroutine.
    unsafe {
        original(2)(state);
        ffi::lua_pushcclosure(state, wrapped, 1);
        1
    }
}

/// A function `coroutine.wrap` made: resumes its coroutine with the arguments, returns what
/// it yields or returns, and raises its error (closing it first, unless the budget stopped it).
unsafe extern "C-unwind" fn wrapped(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: the coroutine is this closure's upvalue; the stack becomes [co, args...].
    unsafe {
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        let results = resumed(state);
        let first = ffi::lua_gettop(state) - results + 1;
        if ffi::lua_toboolean(state, first) != 0 {
            return results - 1;
        }
        let co = ffi::lua_tothread(state, 1);
        if ffi::lua_status(co) > ffi::LUA_YIELD {
            ffi::lua_closethread(co, state);
        }
        if ffi::lua_type(state, -1) == ffi::LUA_TSTRING {
            ffi::luaL_where(state, 1);
            ffi::lua_insert(state, -2);
            ffi::lua_concat(state, 2);
        }
        ffi::lua_error(state)
    }
}
