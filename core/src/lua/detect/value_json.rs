//! The JSON a variable's value is sent as (docs/protocol.md §5.5): scalars as themselves, array
//! tables as arrays, every other table or function as an `{"obj":N}` reference with a stable id.

use std::fmt::Write;

use mlua::{Table, Value};

use crate::lua::BuiltIn;
use crate::protocol::write_string;
use crate::tracker::Fault;
use crate::tracker::number::format_float;

/// Why a value has no JSON; the variable gets a `path-failure` error with this text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrepresentable(pub(crate) String);

/// Arrays whose largest index exceeds their entry count by more than this are refused rather
/// than padded with millions of `null`s (`{[1e9] = 1}` would otherwise be gigabytes of JSON).
pub(crate) const MAX_ARRAY_HOLES: i64 = 100_000;

/// How deeply values may nest where they cross between Lua and JSON: arrays of arrays sent as a
/// variable's value, `ui.json_encode`, `ui.json_decode` and values written by clients. Each
/// level is a frame of Rust recursion, so the bound keeps a script or a peer from overflowing
/// the stack (which would abort the process, every session with it).
pub(crate) const MAX_DEPTH: usize = 100;

/// Per-session object ids: first serialisation of a table gives it the next id, from 2, held
/// in a weak-keyed Lua table so the registry never keeps an object alive.
pub(crate) struct ObjectIds {
    ids: Table,
    next: i64,
}

impl ObjectIds {
    pub(crate) fn new(lua: &mlua::Lua) -> mlua::Result<Self> {
        let ids = lua.create_table()?;
        let weak_keys = lua.create_table()?;
        weak_keys.raw_set("__mode", "k")?;
        ids.set_metatable(Some(weak_keys))?;
        Ok(Self { ids, next: 2 })
    }

    pub(crate) fn id_of(&mut self, object: &Value) -> mlua::Result<i64> {
        if let Some(id) = self.ids.raw_get::<Option<i64>>(object)? {
            return Ok(id);
        }
        let id = self.next;
        self.next += 1;
        self.ids.raw_set(object, id)?;
        Ok(id)
    }
}

/// The type name of a table (§5.6): its metatable's `type`, else its own, if a string or
/// number. Reads honour metamethods, so they may run Lua and fail.
pub(crate) fn type_name(table: &Table) -> mlua::Result<Option<String>> {
    if let Some(meta) = table.metatable()
        && let Some(name) = name_of(meta.get::<Value>("type")?)
    {
        return Ok(Some(name));
    }
    Ok(name_of(table.get::<Value>("type")?))
}

fn name_of(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string_lossy()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(n) => format_float(n),
        _ => None,
    }
}

/// The largest value JSON sent as one variable's value. Every watcher holds a copy and each
/// frame carries it whole; a larger one is a `path-failure` that says so.
pub(crate) const MAX_VALUE_JSON_BYTES: usize = 4 * 1024 * 1024;

/// Encodes `value` as compact JSON.
pub(crate) fn value_json(value: &Value, objects: &mut ObjectIds) -> Result<String, JsonError> {
    let mut out = String::new();
    let mut path = Vec::new();
    write_value(&mut out, value, objects, &mut path)?;
    if out.len() > MAX_VALUE_JSON_BYTES {
        return Err(unrepresentable(format!(
            "the value is {} bytes as JSON; at most {MAX_VALUE_JSON_BYTES} can be sent",
            out.len()
        )));
    }
    Ok(out)
}

#[derive(Debug)]
pub(crate) enum JsonError {
    Unrepresentable(Unrepresentable),
    Lua(mlua::Error),
}

impl JsonError {
    /// What kind of failure it is, and the description a watcher of the variable gets.
    pub(crate) fn fault_and_description(&self) -> (Fault, String) {
        match self {
            JsonError::Unrepresentable(Unrepresentable(text)) => (Fault::Path, text.clone()),
            JsonError::Lua(error) => (
                Fault::Lua,
                crate::lua::LuaFailure::from_error(error).message,
            ),
        }
    }
}

impl From<mlua::Error> for JsonError {
    fn from(error: mlua::Error) -> Self {
        JsonError::Lua(error)
    }
}

fn unrepresentable(text: impl Into<String>) -> JsonError {
    JsonError::Unrepresentable(Unrepresentable(text.into()))
}

fn write_value(
    out: &mut String,
    value: &Value,
    objects: &mut ObjectIds,
    open_arrays: &mut Vec<Table>,
) -> Result<(), JsonError> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Number(n) => match format_float(*n) {
            Some(text) => out.push_str(&text),
            None => return Err(unrepresentable(format!("{n} cannot be sent as JSON"))),
        },
        Value::String(s) => write_string(out, &s.to_string_lossy()),
        Value::Table(table) => match array_length(table)? {
            Some(length) => {
                if open_arrays.iter().any(|open| open == table) {
                    return Err(unrepresentable("cyclic array"));
                }
                if open_arrays.len() >= MAX_DEPTH {
                    return Err(unrepresentable(format!(
                        "arrays nested deeper than {MAX_DEPTH} levels cannot be sent"
                    )));
                }
                open_arrays.push(table.clone());
                out.push('[');
                for index in 1..=length {
                    if index > 1 {
                        out.push(',');
                    }
                    let element: Value = table.raw_get(index)?;
                    write_value(out, &element, objects, open_arrays)?;
                }
                out.push(']');
                open_arrays.pop();
            }
            None => write_ref(out, value, objects)?,
        },
        _ => write_ref(out, value, objects)?,
    }
    Ok(())
}

fn write_ref(out: &mut String, value: &Value, objects: &mut ObjectIds) -> Result<(), JsonError> {
    let id = objects.id_of(value)?;
    let _ = write!(out, "{{\"obj\":{id}}}");
    Ok(())
}

/// `Some(n)` if `table` is an array table: no type name, at least one positive integer key,
/// and otherwise only string keys starting with `_`; `n` is its largest integer key. A
/// ViewList's `items` is one even when empty.
pub(crate) fn array_length(table: &Table) -> Result<Option<i64>, JsonError> {
    if type_name(table)?.is_some() {
        return Ok(None);
    }
    let mut largest = 0;
    let mut entries = 0;
    for pair in table.pairs::<Value, Value>() {
        let (key, _) = pair?;
        match key {
            Value::Integer(i) if i > 0 => {
                largest = largest.max(i);
                entries += 1;
            }
            Value::String(s) if s.as_bytes().first() == Some(&b'_') => {}
            _ => return Ok(None),
        }
    }
    if largest == 0 {
        // A ViewList's items stay an array when the list is empty.
        return Ok((BuiltIn::of(table) == Some(BuiltIn::Items)).then_some(0));
    }
    if largest - entries > MAX_ARRAY_HOLES {
        return Err(unrepresentable(format!(
            "array with {entries} elements but index {largest} has too many holes to send"
        )));
    }
    Ok(Some(largest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlua::Lua;

    fn encode(lua: &Lua, objects: &mut ObjectIds, source: &str) -> Result<String, JsonError> {
        let value: Value = lua.load(source).eval().expect("test chunk evaluates");
        value_json(&value, objects)
    }

    fn ok(lua: &Lua, objects: &mut ObjectIds, source: &str) -> String {
        encode(lua, objects, source).expect("encodes")
    }

    #[test]
    fn scalars_arrays_and_refs() {
        let lua = Lua::new();
        let mut ids = ObjectIds::new(&lua).expect("ids");
        assert_eq!(ok(&lua, &mut ids, "nil"), "null");
        assert_eq!(ok(&lua, &mut ids, "5.0"), "5");
        assert_eq!(ok(&lua, &mut ids, "1e21"), "1e+21");
        assert_eq!(
            ok(&lua, &mut ids, "'a\"b\\\\c\\n/<é>'"),
            r#""a\"b\\c\n/<é>""#
        );
        assert_eq!(ok(&lua, &mut ids, "{1, 'x', true}"), r#"[1,"x",true]"#);
        assert_eq!(ok(&lua, &mut ids, "{[1]=1, [3]=3, _n=3}"), "[1,null,3]");
        assert_eq!(ok(&lua, &mut ids, "{}"), r#"{"obj":2}"#);
        assert_eq!(ok(&lua, &mut ids, "{type='T', 1}"), r#"{"obj":3}"#);
        assert_eq!(ok(&lua, &mut ids, "{1, x=2}"), r#"{"obj":4}"#);
    }

    #[test]
    fn arrays_nest_up_to_the_depth_limit() {
        let lua = Lua::new();
        let mut ids = ObjectIds::new(&lua).expect("ids");
        let nested = ok(
            &lua,
            &mut ids,
            "local t = {} for _ = 1, 100 do t = {t} end return t",
        );
        assert!(nested.starts_with(&"[".repeat(100)), "{nested}");
        assert!(nested.contains(r#"{"obj":"#), "{nested}");
    }

    #[test]
    fn a_table_keeps_its_id() {
        let lua = Lua::new();
        let mut ids = ObjectIds::new(&lua).expect("ids");
        lua.load("shared = {}").exec().expect("setup");
        assert_eq!(
            ok(&lua, &mut ids, "{shared, {}, shared}"),
            r#"[{"obj":2},{"obj":3},{"obj":2}]"#
        );
        assert_eq!(ok(&lua, &mut ids, "shared"), r#"{"obj":2}"#);
    }

    #[test]
    fn nan_cycles_and_huge_holes_are_unrepresentable() {
        let lua = Lua::new();
        let mut ids = ObjectIds::new(&lua).expect("ids");
        for source in [
            "0/0",
            "1/0",
            "{0/0}",
            "local t = {} t[1] = t return t",
            "{[1e9] = 1}",
            "local t = {} for _ = 1, 101 do t = {t} end return t",
            "local t = {} for _ = 1, 100000 do t = {t} end return t",
        ] {
            assert!(
                matches!(
                    encode(&lua, &mut ids, source),
                    Err(JsonError::Unrepresentable(_))
                ),
                "{source}"
            );
        }
    }

    #[test]
    fn type_name_prefers_the_metatable() {
        let lua = Lua::new();
        let table: Table = lua
            .load("return setmetatable({type='Own'}, {type='Meta'})")
            .eval()
            .expect("table");
        assert_eq!(type_name(&table).expect("reads").as_deref(), Some("Meta"));
        let table: Table = lua.load("return {type='Own'}").eval().expect("table");
        assert_eq!(type_name(&table).expect("reads").as_deref(), Some("Own"));
    }
}
