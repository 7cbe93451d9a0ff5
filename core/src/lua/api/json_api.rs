//! `ui.json_encode` and `ui.json_decode` (docs/protocol.md §7.3).

use std::fmt::Write;

use mlua::{Function, Lua, Table, Value};

use crate::lua::detect::convert::json_to_lua;
use crate::lua::detect::value_json::{MAX_ARRAY_HOLES, MAX_DEPTH};
use crate::protocol::write_string;
use crate::tracker::number::format_float;

/// The primitive `name` of this file, made when the environment first needs it (see
/// `environment.rs`); `None` if it is not one of them.
pub(crate) fn function(lua: &Lua, name: &str) -> Option<mlua::Result<Function>> {
    Some(match name {
        "json_encode" => lua.create_function(|lua, value: Value| {
            let mut out = String::new();
            Ok(match encode(&mut out, &value, &mut Vec::new()) {
                Ok(()) => (Value::String(lua.create_string(&out)?), Value::Nil),
                Err(why) => (Value::Nil, Value::String(lua.create_string(&why)?)),
            })
        }),
        "json_decode" => lua.create_function(|lua, text: mlua::LuaString| {
            let parsed = serde_json::from_slice::<serde_json::Value>(&text.as_bytes());
            Ok(match parsed {
                Ok(json) => (json_to_lua(lua, &json)?, Value::Nil),
                Err(error) => (
                    Value::Nil,
                    Value::String(lua.create_string(error.to_string())?),
                ),
            })
        }),
        _ => return None,
    })
}

/// Arrays for array tables (holes as `null`), objects with sorted keys for other tables
/// (`_` keys skipped, integer keys in decimal); functions, NaN, infinities, cycles and other
/// key types are errors.
fn encode(out: &mut String, value: &Value, open: &mut Vec<usize>) -> Result<(), String> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Number(n) => {
            out.push_str(&format_float(*n).ok_or_else(|| format!("{n} has no JSON form"))?)
        }
        Value::String(s) => write_string(out, &s.to_string_lossy()),
        Value::Table(table) => {
            let pointer = table.to_pointer() as usize;
            if open.contains(&pointer) {
                return Err("a table contains itself".into());
            }
            if open.len() >= MAX_DEPTH {
                return Err(format!("tables nested deeper than {MAX_DEPTH} levels"));
            }
            open.push(pointer);
            encode_table(out, table, open)?;
            open.pop();
        }
        other => return Err(format!("a {} has no JSON form", other.type_name())),
    }
    Ok(())
}

fn encode_table(out: &mut String, table: &Table, open: &mut Vec<usize>) -> Result<(), String> {
    let mut largest = 0i64;
    let mut count = 0i64;
    let mut members: Vec<(String, Value)> = Vec::new();
    let mut array = true;
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair.map_err(|e| e.to_string())?;
        match key {
            Value::Integer(i) => {
                if i > 0 {
                    largest = largest.max(i);
                    count += 1;
                } else {
                    array = false;
                }
                members.push((i.to_string(), value));
            }
            Value::String(s) => {
                let name = s.to_string_lossy();
                if !name.starts_with('_') {
                    array = false;
                    members.push((name, value));
                }
            }
            other => return Err(format!("a {} key has no JSON form", other.type_name())),
        }
    }
    if array && largest > 0 {
        if largest - count > MAX_ARRAY_HOLES {
            return Err(format!(
                "an array of {count} elements up to index {largest} has too many holes"
            ));
        }
        out.push('[');
        for index in 1..=largest {
            if index > 1 {
                out.push(',');
            }
            let element: Value = table.raw_get(index).map_err(|e| e.to_string())?;
            encode(out, &element, open)?;
        }
        out.push(']');
        return Ok(());
    }
    members.sort_by(|a, b| a.0.cmp(&b.0));
    out.push('{');
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        encode(out, value, open)?;
    }
    out.push('}');
    Ok(())
}
