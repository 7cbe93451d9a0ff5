//! Reading and writing paths in Lua objects (docs/protocol.md §5.1, §5.3).

use mlua::{Function, Value};

use crate::lua::api::view_list::BuiltIn;
use crate::tracker::access::Access;
use crate::tracker::path::{Element, Path};

/// Why a path could not be read or written.
#[derive(Debug)]
pub(crate) enum PathError {
    /// Navigation failed: indexing a non-table, calling a non-function, a nil on the way of
    /// a write (`path-failure`).
    Navigation(String),
    /// Lua raised an error, ran out of memory or over its budget (`lua-error`).
    Lua(mlua::Error),
    /// A write into a built-in wrapper (`access-denied`).
    Denied(String),
}

/// Writes `value` through `path` from `start` (§5.3): every element but the last is
/// navigated (calls made), then the last one is assigned, indexed raw, or called.
pub(crate) fn write(
    start: &Value,
    path: &Path,
    access: Access,
    value: Value,
) -> Result<(), PathError> {
    let Some((last, before)) = path.elements.split_last() else {
        return Err(PathError::Navigation(
            "a path without elements cannot be written".into(),
        ));
    };
    let mut target = start.clone();
    for element in before {
        if target.is_nil() {
            return Err(PathError::Navigation(format!(
                "cannot write through nil (at '{element}' of '{path}')"
            )));
        }
        target = match element {
            Element::Field(name) => index(&target, Key::Name(name))?,
            Element::Index(i) => index(&target, Key::Position(*i))?,
            Element::Call(name) => call(&target, name, None)?,
            Element::Setter(_) => unreachable_setter()?,
        };
    }
    let Value::Table(table) = &target else {
        return Err(PathError::Navigation(format!(
            "cannot write '{last}' into a {} (path '{path}')",
            target.type_name()
        )));
    };
    if let Some(built_in) = BuiltIn::of(table) {
        return Err(PathError::Denied(format!(
            "{} is read-only: cannot write '{last}' (path '{path}')",
            built_in.describe()
        )));
    }
    match last {
        Element::Field(name) => table.set(name.as_str(), value).map_err(PathError::Lua),
        Element::Index(i) => table
            .raw_set(lua_position(*i)?, value)
            .map_err(PathError::Lua),
        Element::Setter(name) => call(&target, name, Some(value)).map(drop),
        Element::Call(name) if access == Access::Action => call(&target, name, None).map(drop),
        Element::Call(name) => call(&target, name, Some(value)).map(drop),
    }
}

/// Setters are only allowed last; `Path` parsing guarantees it.
fn unreachable_setter() -> Result<Value, PathError> {
    Err(PathError::Navigation("'(_)' may only end a path".into()))
}

enum Key<'a> {
    Name(&'a str),
    /// 0-based, as written in the path.
    Position(usize),
}

fn lua_position(i: usize) -> Result<i64, PathError> {
    i64::try_from(i)
        .ok()
        .and_then(|i| i.checked_add(1))
        .ok_or_else(|| PathError::Navigation(format!("index {i} is too large")))
}

fn index(current: &Value, key: Key<'_>) -> Result<Value, PathError> {
    let Value::Table(table) = current else {
        let what = match key {
            Key::Name(name) => format!("'{name}'"),
            Key::Position(i) => format!("index {i}"),
        };
        return Err(PathError::Navigation(format!(
            "cannot read {what} of a {}",
            current.type_name()
        )));
    };
    match key {
        Key::Name(name) => table.get(name),
        Key::Position(i) => table.get(lua_position(i)?),
    }
    .map_err(PathError::Lua)
}

/// `current:name(arg)`, first result.
fn call(current: &Value, name: &str, arg: Option<Value>) -> Result<Value, PathError> {
    let member = index(current, Key::Name(name))?;
    let Value::Function(method): Value = member else {
        return Err(PathError::Navigation(format!(
            "'{name}' is a {}, not a method",
            member.type_name()
        )));
    };
    call_method(&method, current, arg)
}

fn call_method(
    method: &Function,
    receiver: &Value,
    arg: Option<Value>,
) -> Result<Value, PathError> {
    match arg {
        Some(arg) => method.call::<Value>((receiver.clone(), arg)),
        None => method.call::<Value>(receiver.clone()),
    }
    .map_err(PathError::Lua)
}
