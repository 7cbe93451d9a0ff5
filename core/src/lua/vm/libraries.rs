//! The standard libraries a session's script may use (docs/protocol.md §7.1), each opened on
//! its first use (see `lazy.rs`) with the sandbox's changes already made: a library is never
//! reachable with a function the sandbox replaces.

use std::ffi::CStr;

use mlua::{Function, Lua, Table, Value, ffi};

use crate::lua::vm::{base, charged, originals, protected};

/// The pattern functions that replace the string library's (`find`, `match`, `gmatch`,
/// `gsub`), made before the library is opened.
pub(crate) type PatternFunctions = [Function; 4];

/// The string library, opened now unless it already is: it is the string metatable's
/// `__index` once opened, which is how a string method can find it before the global does.
pub(crate) fn string(
    lua: &Lua,
    patterns: impl FnOnce() -> mlua::Result<PatternFunctions>,
) -> mlua::Result<Table> {
    if let Some(opened) = opened_string(lua)? {
        return Ok(opened);
    }
    let [find, matching, gmatch, gsub] = patterns()?;
    // SAFETY: runs inside mlua's protected call with the four pattern functions as arguments.
    // `luaopen_string` sets the string metatable as its last step; the fields replaced after
    // it exist already, so nothing between the two can fail.
    unsafe {
        lua.exec_raw::<Table>((find, matching, gmatch, gsub), |state| {
            ffi::lua_pushcfunction(state, ffi::luaopen_string);
            ffi::lua_call(state, 0, 1);
            let library = ffi::lua_gettop(state);
            for (argument, name) in [c"find", c"match", c"gmatch", c"gsub"].iter().enumerate() {
                ffi::lua_pushvalue(state, argument as i32 + 1);
                ffi::lua_setfield(state, library, name.as_ptr());
            }
            ffi::lua_pushnil(state);
            ffi::lua_setfield(state, library, c"dump".as_ptr());
            charged::patch(state, library, c"string");
            ffi::lua_replace(state, 1);
            ffi::lua_settop(state, 1);
        })
    }
}

/// The string library if it is opened: the string metatable's `__index` when that is a table.
fn opened_string(lua: &Lua) -> mlua::Result<Option<Table>> {
    // SAFETY: runs inside mlua's protected call and leaves one value; reads raw fields.
    let index = unsafe {
        lua.exec_raw::<Value>((), |state| {
            ffi::lua_pushstring(state, c"".as_ptr());
            if ffi::lua_getmetatable(state, -1) == 0 {
                ffi::lua_pushnil(state);
            } else {
                ffi::lua_pushstring(state, c"__index".as_ptr());
                ffi::lua_rawget(state, -2);
            }
            ffi::lua_replace(state, 1);
            ffi::lua_settop(state, 1);
        })?
    };
    Ok(match index {
        Value::Table(library) => Some(library),
        _ => None,
    })
}

/// `table`, `utf8` or `coroutine`, opened with the sandbox's stand-ins in it.
pub(crate) fn plain(lua: &Lua, name: &CStr) -> mlua::Result<Table> {
    let open: ffi::lua_CFunction = match name.to_bytes() {
        b"table" => ffi::luaopen_table,
        b"utf8" => ffi::luaopen_utf8,
        _ => ffi::luaopen_coroutine,
    };
    // SAFETY: runs inside mlua's protected call and leaves the library; the replaced fields
    // exist already.
    unsafe {
        lua.exec_raw::<Table>((), |state| {
            ffi::lua_pushcfunction(state, open);
            ffi::lua_call(state, 0, 1);
            if name == c"coroutine" {
                for (field, stand_in) in protected::COROUTINE {
                    ffi::lua_pushcfunction(state, stand_in);
                    ffi::lua_setfield(state, -2, field.as_ptr());
                }
            } else {
                charged::patch(state, -1, name);
            }
        })
    }
}

/// The math library, its generator seeded with `seed`, and `randomseed` the sandbox's.
pub(crate) fn math(lua: &Lua, seed: [i64; 2]) -> mlua::Result<Table> {
    // SAFETY: runs inside mlua's protected call and leaves the library.
    unsafe {
        lua.exec_raw::<Table>((), |state| {
            ffi::lua_pushcfunction(state, ffi::luaopen_math);
            ffi::lua_call(state, 0, 1);
            ffi::lua_getfield(state, 1, c"randomseed".as_ptr());
            ffi::lua_pushvalue(state, -1);
            ffi::lua_pushinteger(state, seed[0]);
            ffi::lua_pushinteger(state, seed[1]);
            ffi::lua_call(state, 2, 0);
            ffi::lua_getfield(state, 1, c"random".as_ptr());
            ffi::lua_pushcclosure(state, base::randomseed, 2);
            ffi::lua_setfield(state, 1, c"randomseed".as_ptr());
            ffi::lua_settop(state, 1);
        })
    }
}

/// Lua's own `tostring`, `os.date` and `os.difftime`, `pcall` and `error`, whatever the script
/// did to the globals: light C functions, which cost nothing to make.
pub(crate) fn original(lua: &Lua, name: &str) -> mlua::Result<Function> {
    let originals = originals::get();
    let function = match name {
        "tostring" => originals.tostring,
        "date" => originals.date,
        "difftime" => originals.difftime,
        "pcall" => originals.pcall,
        _ => originals.error,
    };
    // SAFETY: each is a standard library C function, callable as Lua would call it.
    unsafe { lua.create_c_function(function) }
}

/// The global `unpack` (the charged `table.unpack`) or `loadstring`, by name.
pub(crate) fn stand_in(lua: &Lua, name: &str) -> mlua::Result<Function> {
    let function: ffi::lua_CFunction = match name {
        "unpack" => charged::UNPACK_STAND_IN,
        _ => base::loadstring,
    };
    // SAFETY: each follows the Lua API's rules for a C function (see its file).
    unsafe { lua.create_c_function(function) }
}

/// Puts the sandbox's stand-ins in the globals table: the protected calls, `load`,
/// `collectgarbage`, the functions that see a lazy table as a plain one, `tonumber` charged;
/// and removes `dofile`, `loadfile` and `warn`.
pub(crate) fn replace_base(lua: &Lua) -> mlua::Result<()> {
    let replaced: [(&CStr, ffi::lua_CFunction); 7] = [
        (c"load", base::load),
        (c"collectgarbage", base::collectgarbage),
        (c"next", crate::lua::vm::lazy::next),
        (c"rawget", crate::lua::vm::lazy::rawget),
        (c"rawset", crate::lua::vm::lazy::rawset),
        (c"getmetatable", crate::lua::vm::lazy::getmetatable),
        (c"setmetatable", crate::lua::vm::lazy::setmetatable),
    ];
    // SAFETY: runs inside mlua's protected call and leaves the stack empty.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_GLOBALS);
            for (name, function) in protected::PROTECTED.iter().chain(&replaced) {
                ffi::lua_pushcfunction(state, *function);
                ffi::lua_setfield(state, 1, name.as_ptr());
            }
            charged::patch(state, 1, c"_G");
            for name in [c"dofile", c"loadfile", c"warn", c"print"] {
                ffi::lua_pushnil(state);
                ffi::lua_setfield(state, 1, name.as_ptr());
            }
            ffi::lua_settop(state, 0);
        })
    }
}
