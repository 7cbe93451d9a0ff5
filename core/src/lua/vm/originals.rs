//! The standard library's own C functions that the sandbox's stand-ins call, read once per
//! process from a template VM with every library the sandbox offers. A session's VM opens a
//! library only when its script first uses it (see `lazy.rs`), so its own tables cannot be
//! where these come from; the C functions are at the same addresses in every VM of this build.

use std::ffi::CStr;
use std::sync::OnceLock;

use mlua::{Lua, LuaOptions, StdLib, ffi};

use crate::lua::vm::{charged, protected};

pub(crate) struct Originals {
    pub(crate) next: ffi::lua_CFunction,
    pub(crate) rawget: ffi::lua_CFunction,
    pub(crate) rawset: ffi::lua_CFunction,
    pub(crate) getmetatable: ffi::lua_CFunction,
    pub(crate) setmetatable: ffi::lua_CFunction,
    pub(crate) collectgarbage: ffi::lua_CFunction,
    pub(crate) tostring: ffi::lua_CFunction,
    pub(crate) pcall: ffi::lua_CFunction,
    pub(crate) error: ffi::lua_CFunction,
    /// `os.date` and `os.difftime`, which the sandbox's `os` keeps.
    pub(crate) date: ffi::lua_CFunction,
    pub(crate) difftime: ffi::lua_CFunction,
    /// The string metatable's arithmetic (`"10" + 1`), which must work before the string
    /// library is made.
    pub(crate) string_arithmetic: Vec<(&'static CStr, ffi::lua_CFunction)>,
}

static ORIGINALS: OnceLock<Originals> = OnceLock::new();

const BASE: [&CStr; 9] = [
    c"next",
    c"rawget",
    c"rawset",
    c"getmetatable",
    c"setmetatable",
    c"collectgarbage",
    c"tostring",
    c"pcall",
    c"error",
];

const ARITHMETIC: [&CStr; 8] = [
    c"__add", c"__sub", c"__mul", c"__mod", c"__pow", c"__div", c"__idiv", c"__unm",
];

/// Records the originals (and those of `charged.rs` and `protected.rs`) on first call.
pub(crate) fn record() -> mlua::Result<()> {
    if ORIGINALS.get().is_some() {
        return Ok(());
    }
    let libs = StdLib::TABLE
        | StdLib::STRING
        | StdLib::MATH
        | StdLib::UTF8
        | StdLib::COROUTINE
        | StdLib::OS;
    let template = Lua::new_with(libs, LuaOptions::new())?;
    charged::record_originals(&template)?;
    protected::record_originals(&template)?;
    let mut found: Vec<Option<ffi::lua_CFunction>> = Vec::new();
    // SAFETY: runs inside mlua's protected call with no arguments and leaves the stack empty;
    // reads library fields of a VM no script runs in.
    unsafe {
        template.exec_raw::<()>((), |state| {
            ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_GLOBALS);
            for name in BASE {
                ffi::lua_getfield(state, 1, name.as_ptr());
                found.push(ffi::lua_tocfunction(state, -1));
                ffi::lua_pop(state, 1);
            }
            ffi::lua_getfield(state, 1, c"os".as_ptr());
            for name in [c"date", c"difftime"] {
                ffi::lua_getfield(state, -1, name.as_ptr());
                found.push(ffi::lua_tocfunction(state, -1));
                ffi::lua_pop(state, 1);
            }
            ffi::lua_pushstring(state, c"".as_ptr());
            ffi::lua_getmetatable(state, -1);
            for name in ARITHMETIC {
                ffi::lua_getfield(state, -1, name.as_ptr());
                found.push(ffi::lua_tocfunction(state, -1));
                ffi::lua_pop(state, 1);
            }
            ffi::lua_settop(state, 0);
        })?;
    }
    let Some(found) = found.into_iter().collect::<Option<Vec<_>>>() else {
        return Err(mlua::Error::runtime(
            "a standard library function the sandbox wraps is not a C function",
        ));
    };
    let [
        next,
        rawget,
        rawset,
        getmetatable,
        setmetatable,
        collectgarbage,
        tostring,
        pcall,
        error,
        date,
        difftime,
        arithmetic @ ..,
    ] = &found[..]
    else {
        return Err(mlua::Error::runtime("the template VM lacks a function"));
    };
    let _ = ORIGINALS.set(Originals {
        next: *next,
        rawget: *rawget,
        rawset: *rawset,
        getmetatable: *getmetatable,
        setmetatable: *setmetatable,
        collectgarbage: *collectgarbage,
        tostring: *tostring,
        pcall: *pcall,
        error: *error,
        date: *date,
        difftime: *difftime,
        string_arithmetic: ARITHMETIC
            .into_iter()
            .zip(arithmetic.iter().copied())
            .collect(),
    });
    Ok(())
}

/// The recorded originals.
pub(crate) fn get() -> &'static Originals {
    ORIGINALS
        .get()
        .expect("recorded before any session's VM is built")
}

/// Raises `message` where the running C function was called from, as `luaL_error` does.
///
/// # Safety
/// `state` runs a C function with nothing above it on the native stack that needs a drop.
pub(crate) unsafe fn raise(state: *mut ffi::lua_State, message: &CStr) -> ! {
    // SAFETY: as the caller promises.
    unsafe {
        ffi::luaL_where(state, 1);
        ffi::lua_pushstring(state, message.as_ptr());
        ffi::lua_concat(state, 2);
        ffi::lua_error(state)
    }
}
