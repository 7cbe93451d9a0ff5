//! A session's global environment (docs/protocol.md §7.1–§7.5): the base library with the
//! sandbox's stand-ins, and everything else made on first use.
//!
//! A session starts with the base library, `session` (its `reloading` flag only) and `EMPTY`.
//! The standard libraries, `os`, `ui`, `package`, `require`, `print`, `diag`, `unpack`,
//! `loadstring` and each function of `session` are made the first time the script reads them
//! (`vm/lazy.rs`), here, and then stay. Most apps use a few of them; what they do not use costs
//! them nothing (issue 16).

use std::ffi::CStr;
use std::rc::Rc;

use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::lua::api::session_api::{now_seconds, utc_time, with_host};
use crate::lua::api::{
    json_api, modules_api, prototypes, session_api, variables_api, versions_api,
};
use crate::lua::pattern;
use crate::lua::vm::budget::Budget;
use crate::lua::vm::lazy::{self, Kind};
use crate::lua::vm::{libraries, originals, protected};

/// The globals made on first use, by bit.
pub(crate) const GLOBAL_PARTS: [&CStr; 13] = [
    c"string",
    c"table",
    c"math",
    c"utf8",
    c"coroutine",
    c"os",
    c"ui",
    c"package",
    c"require",
    c"print",
    c"diag",
    c"unpack",
    c"loadstring",
];

/// The fields of `session` made on first use, by bit, and the primitive each is.
const SESSION_FUNCTIONS: [(&CStr, &str); 19] = [
    (c"_sessionID", ""),
    (c"createAppVariable", "create_app_variable"),
    (c"createVariable", "create_variable"),
    (c"destroyVariable", "destroy_variable"),
    (c"getApp", "get_app"),
    (c"setImmediate", "set_immediate"),
    (c"setTimeout", "set_timeout"),
    (c"setInterval", "set_interval"),
    (c"clearImmediate", "clear_timer"),
    (c"clearTimeout", "clear_timer"),
    (c"clearInterval", "clear_timer"),
    // Prototypes (§7.5) and modules (§7.4).
    (c"prototype", "prototype"),
    (c"create", "create"),
    (c"removePrototype", "remove_prototype"),
    (c"unloadModule", "unload_module"),
    (c"unloadDirectory", "unload_directory"),
    // Deprecated (§7.2): prototype mutation replaces them.
    (c"newVersion", "new_version"),
    (c"getVersion", "get_version"),
    (c"needsMutation", "needs_mutation"),
];

pub(crate) const SESSION_PARTS: [&CStr; 19] = {
    let mut names = [c""; 19];
    let mut i = 0;
    while i < names.len() {
        names[i] = SESSION_FUNCTIONS[i].0;
        i += 1;
    }
    names
};

/// What the parts need that the session's host state does not hold.
pub(crate) struct Parts {
    /// The seed of `math.random` (§7.1), from the core's id source.
    pub(crate) seed: [i64; 2],
    pub(crate) budget: Rc<Budget>,
    /// `--lua-memory`, which the pattern functions' work buffers stay within.
    pub(crate) lua_memory: usize,
    /// `lua/require.lua`, compiled once per core.
    pub(crate) require: Rc<[u8]>,
}

/// Builds the environment in `lua`, whose host state is set, and returns the `session` table.
pub(crate) fn install(lua: &Lua, parts: Parts, empty: Table) -> mlua::Result<Table> {
    originals::record()?;
    libraries::replace_base(lua)?;
    protected::register(lua)?;
    let session = lua.create_table_with_capacity(0, 4)?;
    session.raw_set("reloading", false)?;
    let globals = lua.globals();
    globals.raw_set("session", &session)?;
    globals.raw_set("EMPTY", empty)?;
    let parts = Rc::new(parts);
    let build = lua.create_function(move |lua, (target, kind, bit): (Value, i64, usize)| {
        build(lua, &parts, target, kind, bit)
    })?;
    lua.set_named_registry_value(&lazy::BUILD.to_string_lossy(), build)?;
    lazy::install(lua, Value::Table(session.clone()), Kind::Session)?;
    lazy::install(lua, Value::Table(globals), Kind::Globals)?;
    lazy::install(lua, Value::String(lua.create_string("")?), Kind::Strings)?;
    Ok(session)
}

/// Makes part `bit` of the lazy `target` of `kind`, stores it raw and settles its bit.
fn build(lua: &Lua, parts: &Parts, target: Value, kind: i64, bit: usize) -> mlua::Result<()> {
    let globals = lua.globals();
    if kind == Kind::Strings as i64 {
        let library = string_library(lua, parts)?;
        return define_global(lua, &globals, 0, library);
    }
    let Value::Table(table) = target else {
        return Err(mlua::Error::runtime("lunette: not a lazy table"));
    };
    if kind == Kind::Session as i64 {
        let (name, primitive) = SESSION_FUNCTIONS[bit];
        if bit == 0 {
            let sid = with_host(lua, |h| h.sid.to_string())?;
            return define(
                lua,
                &table,
                bit,
                name,
                Value::String(lua.create_string(sid)?),
            );
        }
        let function = primitive_function(lua, primitive)?;
        // The three names of `clear_timer` are one function, as they were always.
        for (sibling, (other, same)) in SESSION_FUNCTIONS.iter().enumerate() {
            if *same == primitive && lazy::is_pending(lua, &table, sibling)? {
                define(
                    lua,
                    &table,
                    sibling,
                    other,
                    Value::Function(function.clone()),
                )?;
            }
        }
        return Ok(());
    }
    let value = match GLOBAL_PARTS[bit].to_bytes() {
        b"string" => Value::Table(string_library(lua, parts)?),
        b"table" => Value::Table(libraries::plain(lua, c"table")?),
        b"utf8" => Value::Table(libraries::plain(lua, c"utf8")?),
        b"coroutine" => Value::Table(libraries::plain(lua, c"coroutine")?),
        b"math" => Value::Table(libraries::math(lua, parts.seed)?),
        b"os" => Value::Table(os(lua, parts)?),
        b"ui" => {
            let ui = lua.create_table_with_capacity(0, 4)?;
            ui.raw_set("log", function_of(session_api::function(lua, "log"))?)?;
            for (name, primitive) in [
                ("json_encode", "json_encode"),
                ("json_decode", "json_decode"),
            ] {
                ui.raw_set(name, function_of(json_api::function(lua, primitive))?)?;
            }
            ui.raw_set(
                "registerPresenter",
                primitive_function(lua, "register_presenter")?,
            )?;
            Value::Table(ui)
        }
        b"package" => {
            let package = lua.create_table_with_capacity(0, 1)?;
            package.raw_set(
                "loaded",
                with_host(lua, |h| h.modules.package_loaded.clone())?,
            )?;
            Value::Table(package)
        }
        b"require" => Value::Function(require(lua, parts)?),
        b"print" | b"diag" => {
            let name = GLOBAL_PARTS[bit].to_str().unwrap_or("print");
            Value::Function(function_of(session_api::function(lua, name))?)
        }
        b"unpack" => Value::Function(libraries::stand_in(lua, "unpack")?),
        _ => Value::Function(libraries::stand_in(lua, "loadstring")?),
    };
    define(lua, &table, bit, GLOBAL_PARTS[bit], value)
}

/// Stores `value` raw as `name` of the lazy `table` and settles bit `bit`.
fn define(lua: &Lua, table: &Table, bit: usize, name: &CStr, value: Value) -> mlua::Result<()> {
    table.raw_set(name.to_str().unwrap_or_default(), value)?;
    lazy::settle(lua, table, bit)
}

/// The global `string`, once the library exists: made by a string method first, it still
/// becomes the global unless the script decided that name.
fn define_global(lua: &Lua, globals: &Table, bit: usize, library: Table) -> mlua::Result<()> {
    if lazy::is_pending(lua, globals, bit)? {
        define(lua, globals, bit, GLOBAL_PARTS[bit], Value::Table(library))?;
    }
    Ok(())
}

fn string_library(lua: &Lua, parts: &Parts) -> mlua::Result<Table> {
    libraries::string(lua, || {
        pattern::functions(lua, &parts.budget, parts.lua_memory)
    })
}

/// A primitive of the session API by its name in the `api/` files.
fn primitive_function(lua: &Lua, name: &str) -> mlua::Result<Function> {
    let made = variables_api::function(lua, name)
        .or_else(|| modules_api::function(lua, name))
        .or_else(|| prototypes::function(lua, name))
        .or_else(|| versions_api::function(lua, name));
    function_of(made.or_else(|| session_api::function(lua, name)))
}

fn function_of(made: Option<mlua::Result<Function>>) -> mlua::Result<Function> {
    made.unwrap_or_else(|| Err(mlua::Error::runtime("lunette: no such primitive")))
}

/// `os`: server time of the current step, always in UTC (§7.1).
fn os(lua: &Lua, parts: &Parts) -> mlua::Result<Table> {
    let os = lua.create_table_with_capacity(0, 4)?;
    os.raw_set(
        "time",
        lua.create_function(|lua, t: Option<Table>| match t {
            None => now_seconds(lua),
            Some(t) => utc_time(lua, t),
        })?,
    )?;
    os.raw_set("clock", function_of(session_api::function(lua, "clock"))?)?;
    let tostring = libraries::original(lua, "tostring")?;
    let raw_date = libraries::original(lua, "date")?;
    let budget = Rc::clone(&parts.budget);
    os.raw_set(
        "date",
        lua.create_function(move |lua, (format, t): (Value, Value)| {
            let format = match format {
                Value::Nil => b"%c".to_vec(),
                format => tostring
                    .call::<mlua::LuaString>(format)?
                    .as_bytes()
                    .to_vec(),
            };
            budget.charge((format.len() / 4) as u64)?;
            let mut utc = format;
            if utc.first() != Some(&b'!') {
                utc.insert(0, b'!');
            }
            let t = match t {
                Value::Nil => Value::Integer(now_seconds(lua)?),
                t => t,
            };
            raw_date.call::<MultiValue>((lua.create_string(utc)?, t))
        })?,
    )?;
    os.raw_set("difftime", libraries::original(lua, "difftime")?)?;
    Ok(os)
}

/// `require` (§7.4), from `lua/require.lua`, with Lua's own `pcall` and `error`.
fn require(lua: &Lua, parts: &Parts) -> mlua::Result<Function> {
    let make = lua
        .load(&parts.require[..])
        .set_mode(mlua::chunk::ChunkMode::Binary)
        .into_function()?;
    make.call::<Function>((
        primitive_function(lua, "load_module")?,
        primitive_function(lua, "leave_module")?,
        with_host(lua, |h| h.modules.package_loaded.clone())?,
        libraries::original(lua, "pcall")?,
        libraries::original(lua, "error")?,
    ))
}
