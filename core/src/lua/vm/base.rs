//! The base and math functions the sandbox changes (docs/protocol.md §7.1), as light C
//! functions: a session holds them for nothing, where the Lua wrappers they replace cost
//! every session a closure and a prototype each.

use std::ffi::{CStr, c_int};

use mlua::ffi;

use crate::lua::vm::charged::LOAD_STAND_IN;
use crate::lua::vm::{meter, originals};

/// `load(chunk [, name [, mode [, env]]])`: text chunks only, whatever the mode. Lua never
/// verifies bytecode, so a binary chunk would escape the sandbox.
pub(crate) unsafe extern "C-unwind" fn load(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments; an `env` given, even nil, is kept.
    unsafe {
        let top = if ffi::lua_gettop(state) > 3 { 4 } else { 3 };
        ffi::lua_settop(state, top);
        ffi::lua_pushstring(state, c"t".as_ptr());
        ffi::lua_replace(state, 3);
        LOAD_STAND_IN(state)
    }
}

/// `loadstring(text [, name])`: Lua 5.1's name for `load(text, name, "t")`.
pub(crate) unsafe extern "C-unwind" fn loadstring(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments.
    unsafe {
        ffi::lua_settop(state, 2);
        load(state)
    }
}

const COLLECT_OPTIONS: [&CStr; 4] = [c"collect", c"step", c"count", c"isrunning"];

/// `collectgarbage([option, ...])`: only the options that cannot stop or tune the collector. A
/// full collection walks the whole heap without allocating, so it is charged by the heap's
/// size (a sixteenth of an instruction per byte).
pub(crate) unsafe extern "C-unwind" fn collectgarbage(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments; errors are raised with nothing to drop.
    unsafe {
        if ffi::lua_gettop(state) == 0 {
            ffi::lua_pushnil(state);
        }
        if ffi::lua_isnil(state, 1) != 0 {
            ffi::lua_pushstring(state, c"collect".as_ptr());
            ffi::lua_replace(state, 1);
        }
        let option = (ffi::lua_type(state, 1) == ffi::LUA_TSTRING)
            .then(|| CStr::from_ptr(ffi::lua_tostring(state, 1)))
            .and_then(|option| COLLECT_OPTIONS.into_iter().find(|o| *o == option));
        let Some(option) = option else {
            ffi::luaL_where(state, 1);
            ffi::lua_pushstring(state, c"collectgarbage: option '".as_ptr());
            ffi::luaL_tolstring(state, 1, std::ptr::null_mut());
            ffi::lua_pushstring(state, c"' is not available".as_ptr());
            ffi::lua_concat(state, 4);
            ffi::lua_error(state)
        };
        if option == c"collect" || option == c"step" {
            let kib = ffi::lua_gc(state, ffi::LUA_GCCOUNT, 0);
            let bytes = ffi::lua_gc(state, ffi::LUA_GCCOUNTB, 0);
            meter::charge_or_raise(state, (f64::from(kib) + f64::from(bytes) / 1024.0) * 64.0);
        }
        (originals::get().collectgarbage)(state)
    }
}

/// `math.randomseed([x [, y]])`: reseeds only this session's generator; without arguments the
/// new seed is drawn from the same generator instead of the clock, so that runs stay
/// reproducible. Upvalues: the library's own `randomseed` and `random`.
pub(crate) unsafe extern "C-unwind" fn randomseed(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C closure with its two upvalues, on its own arguments.
    unsafe {
        if ffi::lua_gettop(state) == 0 {
            for _ in 0..2 {
                ffi::lua_pushvalue(state, ffi::lua_upvalueindex(2));
                ffi::lua_pushinteger(state, 0);
                ffi::lua_call(state, 1, 1);
            }
        }
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, ffi::lua_gettop(state) - 1, ffi::LUA_MULTRET);
        ffi::lua_gettop(state)
    }
}
