//! JSON values written by clients, as Lua values (docs/protocol.md §5.3).

use mlua::{Lua, Value};

use crate::lua::detect::value_json::MAX_DEPTH;

/// null → nil; integers written without fraction or exponent that fit 64 bits → integers;
/// other numbers → floats; arrays → new 1-based tables; objects → new tables. Values nested
/// deeper than [`MAX_DEPTH`] are refused (serde_json's parser stops at 128 already, but a
/// `Value` may come from elsewhere).
pub(crate) fn json_to_lua(lua: &Lua, json: &serde_json::Value) -> mlua::Result<Value> {
    to_lua(lua, json, 0)
}

fn to_lua(lua: &Lua, json: &serde_json::Value, depth: usize) -> mlua::Result<Value> {
    if depth > MAX_DEPTH {
        return Err(mlua::Error::runtime(format!(
            "a value nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(lua.create_string(s)?),
        serde_json::Value::Array(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                table.raw_set(i + 1, to_lua(lua, item, depth + 1)?)?;
            }
            Value::Table(table)
        }
        serde_json::Value::Object(members) => {
            let table = lua.create_table_with_capacity(0, members.len())?;
            for (key, item) in members {
                table.raw_set(key.as_str(), to_lua(lua, item, depth + 1)?)?;
            }
            Value::Table(table)
        }
    })
}
