//! Wrappers (docs/protocol.md §5.7): a variable with a `wrapper=T` property presents its value
//! through `T:new(proxy)`, a table its children navigate from and whose JSON is sent;
//! `lua.ViewList` is built in (§9, `view_list`). A `create=T` variable starts out holding
//! `T:new(value)`.

use mlua::{IntoLua, Lua, Table, Value, Variadic};

use crate::lua::Wrapper;
use crate::lua::api::session_api::with_host;
use crate::lua::api::view_list::{self, VIEW_LIST};
use crate::lua::{LuaBackend, LuaFailure};
use crate::output::LogLevel;
use crate::tracker::{VarId, WrapperKind};

impl LuaBackend {
    /// The wrapper variable `id` has after reading `value`, whose JSON is `json`.
    ///
    /// - `create=T`, at the variable's first evaluation: `T:new(value)` stands for the value
    ///   until a value read differs from that first one.
    /// - `wrapper=T`: made when the value turns non-null or `wrapper` names a new type,
    ///   refreshed (`wrapper.value = value`, then `wrapper:sync()`) when the value JSON
    ///   changes, gone when either is emptied. Ignored on a `lua.ViewListItem`.
    pub(crate) fn refresh_wrapper(&self, id: VarId, value: &Value, json: &str) -> Option<Wrapper> {
        let (wanted, existing, create) = self.host(|h| {
            let variable = h.tracker.get(id)?;
            let create = variable
                .json
                .is_none()
                .then(|| variable.property("create"))
                .flatten();
            if !variable.wants_wrapper() && variable.wrapper.is_none() && create.is_none() {
                return None;
            }
            Some((
                variable.property("wrapper").map(str::to_owned),
                variable.wrapper.clone(),
                create.map(str::to_owned),
            ))
        })?;
        let existing = match existing {
            Some(created) if created.kind == WrapperKind::Created => {
                if created.value_json == json {
                    return Some(created);
                }
                None
            }
            other => other,
        };
        if let Some(name) = create {
            match self.construct(&name, value.clone()) {
                Ok(table) => {
                    return Some(Wrapper {
                        name,
                        table,
                        value_json: json.to_owned(),
                        kind: WrapperKind::Created,
                    });
                }
                Err(why) => self.debug_log(format!("variable {id}: not created: {why}")),
            }
        }
        let name = wanted?;
        if view_list::is_item(value) {
            return None;
        }
        if name == VIEW_LIST {
            return self.refresh_view_list(id, existing, value, json);
        }
        if value.is_nil() {
            return None;
        }
        match existing.filter(|w| w.name == name && w.kind == WrapperKind::Lua) {
            Some(mut wrapper) => {
                if wrapper.value_json != json {
                    wrapper.value_json = json.to_owned();
                    let synced = wrapper.table.set("value", value.clone()).and_then(|()| {
                        match wrapper.table.get::<Value>("sync")? {
                            Value::Function(sync) => sync.call::<()>(wrapper.table.clone()),
                            _ => Ok(()),
                        }
                    });
                    if let Err(error) = synced {
                        let why = LuaFailure::from_error(&error).message;
                        self.debug_log(format!(
                            "variable {id}: wrapper {name} failed to sync: {why}"
                        ));
                    }
                }
                Some(wrapper)
            }
            None => match proxy(&self.lua, id)
                .map_err(ConstructError::lua)
                .and_then(|proxy| self.construct(&name, proxy))
            {
                Ok(table) => Some(Wrapper {
                    name,
                    table,
                    value_json: json.to_owned(),
                    kind: WrapperKind::Lua,
                }),
                Err(why) => {
                    self.debug_log(format!("variable {id}: no wrapper: {why}"));
                    None
                }
            },
        }
    }

    /// A debug log line: what wrappers and presenters that could not be made leave behind.
    pub(super) fn debug_log(&self, message: String) {
        self.host(|h| h.logs.push(LogLevel::Debug, message));
    }

    /// `T:new(argument)` for the global table `T` named `name` (dotted names walk fields), with
    /// a budget of its own (§7.1).
    pub(crate) fn construct(
        &self,
        name: &str,
        argument: impl IntoLua,
    ) -> Result<Table, ConstructError> {
        let mut current = Value::Table(self.lua.globals());
        for part in name.split('.') {
            let Value::Table(table) = current else {
                return Err(ConstructError::NotATable(name.to_owned()));
            };
            current = table.get(part).map_err(ConstructError::lua)?;
        }
        let Value::Table(class) = current else {
            return Err(ConstructError::NotATable(name.to_owned()));
        };
        let new: mlua::Function = class
            .get::<Option<mlua::Function>>("new")
            .map_err(ConstructError::lua)?
            .ok_or_else(|| ConstructError::NoNew(name.to_owned()))?;
        self.budget.reset();
        let made = new.call::<Value>((class, argument));
        self.budget.idle();
        if made.is_err() {
            self.budget.note_lua_error();
        }
        match made.map_err(ConstructError::lua)? {
            Value::Table(made) => Ok(made),
            other => Err(ConstructError::NotATableResult {
                name: name.to_owned(),
                got: other.type_name(),
            }),
        }
    }
}

/// Why `T:new(argument)` made no table; kept in a debug log line.
#[derive(Debug, Clone)]
pub(crate) enum ConstructError {
    /// No global table by that name.
    NotATable(String),
    /// The table has no `new` function.
    NoNew(String),
    /// `new`, or a metamethod on the way to it, raised this error.
    Lua(String),
    /// `new` returned something other than a table.
    NotATableResult { name: String, got: &'static str },
}

impl ConstructError {
    fn lua(error: mlua::Error) -> Self {
        ConstructError::Lua(LuaFailure::from_error(&error).message)
    }
}

impl std::fmt::Display for ConstructError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConstructError::NotATable(name) => write!(f, "'{name}' is not a global table"),
            ConstructError::NoNew(name) => write!(f, "'{name}' has no new function"),
            ConstructError::Lua(message) => f.write_str(message),
            ConstructError::NotATableResult { name, got } => {
                write!(f, "{name}:new returned a {got}")
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
