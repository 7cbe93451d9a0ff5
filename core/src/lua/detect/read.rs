//! Reading a path (docs/protocol.md §5.1) in one protected call into Lua. Detection reads every
//! watched path in every cycle; going through mlua's per-lookup API costs a protected call,
//! a key string and a registry reference for each element, which dominated a cycle over
//! thousands of variables. Here the elements are applied on Lua's stack and only the result
//! comes back, and not even that when it is the value the variable already holds.

use std::ffi::c_int;

use mlua::{Lua, Value, ffi};

use crate::lua::detect::resolve::PathError;
use crate::tracker::path::{Element, Path};

/// What reading a path gave.
pub(crate) enum Read {
    /// The value, which differs from the one held (or none was given).
    Value(Value),
    /// Raw-equal to the value held: nothing to re-encode.
    Same,
}

/// How the walk on the Lua stack ended; the first result of the protected call.
const SAME: i64 = 0;
const VALUE: i64 = 1;
const NOT_A_TABLE: i64 = 2;
const NOT_A_FUNCTION: i64 = 3;

/// Reads `path` from `start`: a nil on the way gives nil, not an error. With `held`, a
/// result raw-equal to it (same string, number, boolean, nil or object) gives [`Read::Same`].
pub(crate) fn read(
    lua: &Lua,
    start: &Value,
    path: &Path,
    held: Option<&Value>,
) -> Result<Read, PathError> {
    if let Some(Element::Setter(name)) = path.elements.last() {
        return Err(PathError::Navigation(format!(
            "'{name}(_)' can only be written"
        )));
    }
    let args = (start, held.unwrap_or(&Value::Nil));
    let compare = held.is_some();
    // SAFETY: the closure runs inside mlua's protected call with `start` and `held` as its
    // two arguments; it keeps the stack balanced (checked room for four more slots, each
    // step replaces the current value) and leaves exactly three results. An error raised by
    // a metamethod or a method unwinds to that protected call across the closure's frames,
    // which own nothing that needs dropping.
    let (outcome, value, at): (i64, Value, i64) =
        unsafe { lua.exec_raw(args, |state| walk(state, &path.elements, compare)) }
            .map_err(PathError::Lua)?;
    let element = usize::try_from(at)
        .ok()
        .and_then(|at| path.elements.get(at));
    match (outcome, element) {
        (SAME, _) => Ok(Read::Same),
        (NOT_A_TABLE, Some(element)) => {
            let what = match element {
                Element::Index(i) => format!("index {i}"),
                Element::Field(name) | Element::Call(name) | Element::Setter(name) => {
                    format!("'{name}'")
                }
            };
            Err(PathError::Navigation(format!(
                "cannot read {what} of a {}",
                value.type_name()
            )))
        }
        (NOT_A_FUNCTION, Some(Element::Call(name))) => Err(PathError::Navigation(format!(
            "'{name}' is a {}, not a method",
            value.type_name()
        ))),
        _ => Ok(Read::Value(value)),
    }
}

/// Applies `elements` to the value at stack index 1; the held value is at index 2. Leaves
/// `(outcome, value, element index)` on the stack.
unsafe fn walk(state: *mut ffi::lua_State, elements: &[Element], compare: bool) {
    // SAFETY (whole body): `state` is the running protected call's stack, holding the two
    // arguments; every push below stays within the room checked first.
    unsafe {
        if ffi::lua_checkstack(state, 4) == 0 {
            ffi::luaL_error(state, c"stack overflow reading a path".as_ptr());
        }
        ffi::lua_settop(state, 2);
        ffi::lua_pushvalue(state, 1);
        for (at, element) in elements.iter().enumerate() {
            if ffi::lua_type(state, -1) == ffi::LUA_TNIL {
                break;
            }
            let failure = match element {
                Element::Field(name) => index(state, |state| push_str(state, name)),
                Element::Index(i) => {
                    let position = i64::try_from(*i).unwrap_or(i64::MAX).saturating_add(1);
                    index(state, |state| ffi::lua_pushinteger(state, position))
                }
                Element::Call(name) => call(state, name),
                // `read` refuses a setter before calling into Lua.
                Element::Setter(_) => Some(NOT_A_FUNCTION),
            };
            if let Some(outcome) = failure {
                finish(state, outcome, at);
                return;
            }
        }
        let outcome = if compare && ffi::lua_rawequal(state, -1, 2) != 0 {
            SAME
        } else {
            VALUE
        };
        finish(state, outcome, 0);
    }
}

/// Replaces the table on top with `table[key]` (metamethods apply); a non-table is left in
/// place and reported.
unsafe fn index(
    state: *mut ffi::lua_State,
    push_key: impl FnOnce(*mut ffi::lua_State),
) -> Option<i64> {
    // SAFETY: the caller guarantees a value on top and room for two more.
    unsafe {
        if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
            return Some(NOT_A_TABLE);
        }
        push_key(state);
        ffi::lua_gettable(state, -2);
        ffi::lua_remove(state, -2);
        None
    }
}

/// Replaces the table on top with the first result of `table:name()`; a non-table or a
/// member that is not a function is left on top and reported.
unsafe fn call(state: *mut ffi::lua_State, name: &str) -> Option<i64> {
    // SAFETY: the caller guarantees a value on top and room for three more.
    unsafe {
        if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
            return Some(NOT_A_TABLE);
        }
        push_str(state, name);
        ffi::lua_gettable(state, -2);
        if ffi::lua_type(state, -1) != ffi::LUA_TFUNCTION {
            ffi::lua_remove(state, -2);
            return Some(NOT_A_FUNCTION);
        }
        ffi::lua_insert(state, -2);
        ffi::lua_call(state, 1, 1);
        None
    }
}

unsafe fn push_str(state: *mut ffi::lua_State, text: &str) {
    // SAFETY: the caller guarantees room for one more value.
    unsafe {
        ffi::lua_pushlstring(state, text.as_ptr().cast(), text.len());
    }
}

/// Leaves exactly `(outcome, value on top, at)` as the call's results.
unsafe fn finish(state: *mut ffi::lua_State, outcome: i64, at: usize) {
    // SAFETY: the value is on top and there is room for two more.
    unsafe {
        ffi::lua_pushinteger(state, outcome);
        ffi::lua_insert(state, -2);
        ffi::lua_pushinteger(state, i64::try_from(at).unwrap_or(i64::MAX));
        let results: c_int = 3;
        ffi::lua_rotate(state, 1, results);
        ffi::lua_settop(state, results);
    }
}
