//! Lua-defined wrappers (PROTOCOL §5.7): a variable with a `wrapper=T` property presents its
//! value through `T:new(proxy)`, a table its children navigate from and whose JSON is sent.

use mlua::{Lua, Table, Value, Variadic};

use crate::lua::LuaBackend;
use crate::lua::session_api::with_host;
use crate::output::LogLevel;
use crate::tracker::VarId;

impl LuaBackend {
    /// Builds the wrapper named `name` for variable `id`: the global table `name` (dotted
    /// names walk fields) and its `new`, called as `T:new(proxy)`. Any failure is only a
    /// debug log line and leaves the variable unwrapped.
    pub(crate) fn make_wrapper(&self, id: VarId, name: &str) -> Option<Table> {
        let made = (|| -> Result<Table, String> {
            let mut current = Value::Table(self.lua.globals());
            for part in name.split('.') {
                let Value::Table(table) = current else {
                    return Err(format!("'{name}' is not a global table"));
                };
                current = table.get(part).map_err(|e| e.to_string())?;
            }
            let Value::Table(class) = current else {
                return Err(format!("'{name}' is not a global table"));
            };
            let new: mlua::Function = class
                .get::<Option<mlua::Function>>("new")
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("'{name}' has no new function"))?;
            let proxy = proxy(&self.lua, id).map_err(|e| e.to_string())?;
            match new
                .call::<Value>((class, proxy))
                .map_err(|e| e.to_string())?
            {
                Value::Table(wrapper) => Ok(wrapper),
                other => Err(format!("{name}:new returned a {}", other.type_name())),
            }
        })();
        match made {
            Ok(wrapper) => Some(wrapper),
            Err(why) => {
                self.host(|h| {
                    h.logs
                        .push((LogLevel::Debug, format!("variable {id}: no wrapper: {why}")))
                });
                None
            }
        }
    }
}

/// A wrapper's view of its variable: `_id` and `getValue()`, `getProperty(name)`,
/// `getWrapper()`, callable with `.` or `:`.
fn proxy(lua: &Lua, id: VarId) -> mlua::Result<Table> {
    let proxy = lua.create_table()?;
    let me = proxy.to_pointer() as usize;
    // Drops the proxy itself when called with `:`. Only its address is kept: holding the
    // table in its own functions would keep it alive forever.
    let args = move |mut args: Variadic<Value>| {
        if matches!(args.first(), Some(Value::Table(t)) if t.to_pointer() as usize == me) {
            args.remove(0);
        }
        args
    };
    proxy.raw_set("_id", id)?;
    proxy.raw_set(
        "getValue",
        lua.create_function(move |lua, _: Variadic<Value>| {
            with_host(lua, |h| h.tracker.get(id).map(|v| v.value.clone()))
        })?,
    )?;
    proxy.raw_set(
        "getProperty",
        lua.create_function(move |lua, given: Variadic<Value>| {
            let name = match args(given).first() {
                Some(Value::String(name)) => name.to_string_lossy(),
                _ => return Ok(None),
            };
            with_host(lua, |h| {
                h.tracker
                    .get(id)
                    .and_then(|v| v.property(&name).map(str::to_owned))
            })
        })?,
    )?;
    proxy.raw_set(
        "getWrapper",
        lua.create_function(move |lua, _: Variadic<Value>| {
            with_host(lua, |h| {
                h.tracker
                    .get(id)
                    .and_then(|v| v.wrapper.as_ref().map(|w| w.table.clone()))
            })
        })?,
    )?;
    Ok(proxy)
}
