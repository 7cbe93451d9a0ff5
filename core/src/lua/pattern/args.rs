//! Arguments of the pattern functions, checked and converted as Lua's auxiliary library does
//! (`luaL_checklstring`, `luaL_optinteger`), with the same error messages.

use mlua::{LuaString, MultiValue, Value};

use crate::lua::pattern::Call;

/// Argument `n` (1-based) as a string, taken out of `args`; numbers are converted as Lua
/// converts them.
pub(super) fn string(call: &Call, args: &mut MultiValue, n: usize) -> mlua::Result<LuaString> {
    let Some(slot) = args.get_mut(n - 1) else {
        return Err(type_error(call, args, n, "string"));
    };
    match std::mem::take(slot) {
        Value::String(text) => Ok(text),
        number @ (Value::Integer(_) | Value::Number(_)) => call
            .lua
            .coerce_string(number)?
            .ok_or_else(|| type_error(call, args, n, "string")),
        other => {
            *slot = other;
            Err(type_error(call, args, n, "string"))
        }
    }
}

/// Argument `n` as an integer, `default` when absent or nil.
pub(super) fn opt_integer(
    call: &Call,
    args: &MultiValue,
    n: usize,
    default: i64,
) -> mlua::Result<i64> {
    let value = match args.get(n - 1) {
        None | Some(Value::Nil) => return Ok(default),
        Some(Value::Integer(integer)) => return Ok(*integer),
        Some(value) => value.clone(),
    };
    if let Some(integer) = call.lua.coerce_integer(value.clone())? {
        return Ok(integer);
    }
    if call.lua.coerce_number(value)?.is_some() {
        return Err(arg_error(call, n, "number has no integer representation"));
    }
    Err(type_error(call, args, n, "number"))
}

/// Whether argument `n` is present and neither nil nor false.
pub(super) fn truthy(args: &MultiValue, n: usize) -> bool {
    !matches!(
        args.get(n - 1),
        None | Some(Value::Nil | Value::Boolean(false))
    )
}

/// `"<expected> expected, got <type>"` for argument `n`.
pub(super) fn type_error(call: &Call, args: &MultiValue, n: usize, expected: &str) -> mlua::Error {
    let got = match args.get(n - 1) {
        None => "no value".to_owned(),
        Some(value) => type_name(value),
    };
    arg_error(call, n, &format!("{expected} expected, got {got}"))
}

/// `"bad argument #n to 'name' (detail)"`, numbered and named as the script made the call.
pub(super) fn arg_error(call: &Call, n: usize, detail: &str) -> mlua::Error {
    let (name, how) = call
        .lua
        .inspect_stack(0, |frame| {
            let names = frame.names();
            (names.name.map(|name| name.into_owned()), names.name_what)
        })
        .unwrap_or_default();
    let name = name.unwrap_or_else(|| format!("string.{}", call.name));
    let message = match (how, n) {
        (Some("method"), 1) => format!("calling '{name}' on bad self ({detail})"),
        (Some("method"), n) => format!("bad argument #{} to '{name}' ({detail})", n - 1),
        (_, n) => format!("bad argument #{n} to '{name}' ({detail})"),
    };
    call.error(message)
}

/// A value's type as Lua's argument errors name it: `__name` from a table's metatable if it is
/// a string, else the basic type.
pub(super) fn type_name(value: &Value) -> String {
    if let Value::Table(table) = value
        && let Some(metatable) = table.metatable()
        && let Ok(Value::String(name)) = metatable.raw_get::<Value>("__name")
    {
        return name.to_string_lossy();
    }
    match value {
        Value::LightUserData(_) => "light userdata".to_owned(),
        other => basic_type(other).to_owned(),
    }
}

/// The basic type of a value, as Lua's `type` names it.
pub(super) fn basic_type(value: &Value) -> &'static str {
    match value {
        Value::Integer(_) | Value::Number(_) => "number",
        Value::LightUserData(_) | Value::Error(_) | Value::Other(_) => "userdata",
        other => other.type_name(),
    }
}
