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
                Err(why) => (
                    Value::Nil,
                    Value::String(lua.create_string(why.to_string())?),
                ),
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

/// Why a value has no JSON form: `json_encode`'s second result.
#[derive(Debug)]
enum EncodeError {
    NotFinite(f64),
    Cycle,
    TooDeep,
    /// A function, userdata or thread.
    NoJsonForm(&'static str),
    KeyType(&'static str),
    TooManyHoles {
        count: i64,
        largest: i64,
    },
    /// Walking the table raised an error.
    Lua(mlua::Error),
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::NotFinite(n) => write!(f, "{n} has no JSON form"),
            EncodeError::Cycle => f.write_str("a table contains itself"),
            EncodeError::TooDeep => write!(f, "tables nested deeper than {MAX_DEPTH} levels"),
            EncodeError::NoJsonForm(kind) => write!(f, "a {kind} has no JSON form"),
            EncodeError::KeyType(kind) => write!(f, "a {kind} key has no JSON form"),
            EncodeError::TooManyHoles { count, largest } => write!(
                f,
                "an array of {count} elements up to index {largest} has too many holes"
            ),
            EncodeError::Lua(error) => write!(f, "{error}"),
        }
    }
}

/// Arrays for array tables (holes as `null`), objects with sorted keys for other tables
/// (`_` keys skipped, integer keys in decimal); functions, NaN, infinities, cycles and other
/// key types are errors.
fn encode(out: &mut String, value: &Value, open: &mut Vec<usize>) -> Result<(), EncodeError> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Number(n) => out.push_str(&format_float(*n).ok_or(EncodeError::NotFinite(*n))?),
        Value::String(s) => write_string(out, &s.to_string_lossy()),
        Value::Table(table) => {
            let pointer = table.to_pointer() as usize;
            if open.contains(&pointer) {
                return Err(EncodeError::Cycle);
            }
            if open.len() >= MAX_DEPTH {
                return Err(EncodeError::TooDeep);
            }
            open.push(pointer);
            encode_table(out, table, open)?;
            open.pop();
        }
        other => return Err(EncodeError::NoJsonForm(other.type_name())),
    }
    Ok(())
}

fn encode_table(out: &mut String, table: &Table, open: &mut Vec<usize>) -> Result<(), EncodeError> {
    let mut largest = 0i64;
    let mut count = 0i64;
    let mut members: Vec<(String, Value)> = Vec::new();
    let mut array = true;
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair.map_err(EncodeError::Lua)?;
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
            other => return Err(EncodeError::KeyType(other.type_name())),
        }
    }
    if array && largest > 0 {
        if largest - count > MAX_ARRAY_HOLES {
            return Err(EncodeError::TooManyHoles { count, largest });
        }
        out.push('[');
        for index in 1..=largest {
            if index > 1 {
                out.push(',');
            }
            let element: Value = table.raw_get(index).map_err(EncodeError::Lua)?;
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
