//! Standard-library C functions that loop without allocating, charged to the budget before
//! they start.
//!
//! What a C function allocates is charged by the allocator (see `meter.rs`), but some loop
//! over their arguments without allocating anything: `string.rep('', n)` runs n times,
//! `table.insert(t, 1, v)` shifts every element, `utf8.len` scans its string. Lua's count hook
//! never fires inside them, so a script calling one in a loop would run for hours within its
//! budget. Each is replaced by a stand-in that works out from the arguments how much the
//! original will do, charges that, and then runs the original in its own frame, so that the
//! original's argument errors read exactly as before. Stand-ins are light C functions: a
//! session holds them for nothing, where a Lua wrapper would cost a closure and a prototype.

use std::ffi::{CStr, c_int};
use std::sync::OnceLock;

use mlua::{Lua, ffi};

use crate::lua::vm::meter;

/// How a function's work is worked out from its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    /// `string.rep(s, n [, sep])`: n repetitions, which cost nothing to allocate when both
    /// strings are empty.
    Repetitions,
    /// `string.byte(s [, i [, j]])`: one result per byte from i to j.
    ByteRange,
    /// `table.insert(t, pos, v)`: the elements from pos on are shifted.
    Insertion,
    /// `table.remove(t [, pos])`: the elements after pos are shifted.
    Removal,
    /// `table.move(a, f, e, t)`: e − f + 1 elements.
    Move,
    /// `table.sort(t)`: about n·log₂ n comparisons.
    Sort,
    /// `table.concat(t, sep, i, j)`: the elements from i to j.
    Concat,
    /// `table.unpack(t, i, j)`: the elements from i to j.
    Unpack,
    /// Functions that scan their first argument when it is a string: a quarter of an
    /// instruction per byte (`utf8.len`, `tonumber`, `load`, the `string.pack` family).
    Scan,
    /// `string.format(f, ...)`: its format is scanned, and each argument converted.
    Format,
}

const CHARGED: [(&CStr, &CStr, Work); 16] = [
    (c"string", c"rep", Work::Repetitions),
    (c"string", c"byte", Work::ByteRange),
    (c"string", c"format", Work::Format),
    (c"string", c"pack", Work::Scan),
    (c"string", c"unpack", Work::Scan),
    (c"string", c"packsize", Work::Scan),
    (c"table", c"insert", Work::Insertion),
    (c"table", c"remove", Work::Removal),
    (c"table", c"move", Work::Move),
    (c"table", c"sort", Work::Sort),
    (c"table", c"concat", Work::Concat),
    (c"table", c"unpack", Work::Unpack),
    (c"utf8", c"len", Work::Scan),
    (c"utf8", c"codepoint", Work::Scan),
    (c"utf8", c"offset", Work::Scan),
    (c"_G", c"tonumber", Work::Scan),
];

/// The originals of [`CHARGED`] (and `load`), in that order: the standard library's own C
/// functions, at the same addresses in every VM of the process (see `originals.rs`).
static ORIGINALS: OnceLock<Vec<usize>> = OnceLock::new();

/// The charged stand-ins, in the order of [`CHARGED`] then `load`: light C functions, which
/// cost a session nothing to hold.
const STAND_INS: [ffi::lua_CFunction; 17] = [
    charged::<0>,
    charged::<1>,
    charged::<2>,
    charged::<3>,
    charged::<4>,
    charged::<5>,
    charged::<6>,
    charged::<7>,
    charged::<8>,
    charged::<9>,
    charged::<10>,
    charged::<11>,
    charged::<12>,
    charged::<13>,
    charged::<14>,
    charged::<15>,
    charged::<16>,
];

const LOAD: (&CStr, &CStr, Work) = (c"_G", c"load", Work::Scan);

/// The charged stand-in of `load`, which the sandbox's `load` calls in text mode.
pub(crate) const LOAD_STAND_IN: ffi::lua_CFunction = STAND_INS[CHARGED.len()];

/// The charged stand-in of `table.unpack`, which is also the global `unpack`.
pub(crate) const UNPACK_STAND_IN: ffi::lua_CFunction = STAND_INS[11];

/// Replaces the functions of [`CHARGED`] that belong to `library` (`_G` for the globals) in
/// the table at `index` with their stand-ins. Each field exists already, so this allocates
/// nothing: a library is never reachable with its uncharged functions.
///
/// # Safety
/// `state` runs inside a protected call, with the library table at `index`.
pub(crate) unsafe fn patch(state: *mut ffi::lua_State, index: c_int, library: &CStr) {
    // SAFETY: as the caller promises.
    unsafe {
        let index = ffi::lua_absindex(state, index);
        for ((owner, name, _), stand_in) in CHARGED.iter().zip(STAND_INS) {
            if *owner == library {
                ffi::lua_pushcfunction(state, stand_in);
                ffi::lua_setfield(state, index, name.as_ptr());
            }
        }
    }
}

/// Records the originals from `lua`, a VM with every library opened: the standard library's
/// C functions are at the same addresses in every VM of this Lua build.
pub(crate) fn record_originals(lua: &Lua) -> mlua::Result<()> {
    if ORIGINALS.get().is_some() {
        return Ok(());
    }
    let mut found = Vec::with_capacity(STAND_INS.len());
    // SAFETY: the closure runs inside mlua's protected call with no arguments and leaves the
    // stack empty. It reads each library field; the libraries have no metatables yet.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            for (library, name, _) in CHARGED.iter().chain(&[LOAD]) {
                push_library(state, library);
                ffi::lua_getfield(state, -1, name.as_ptr());
                found.push(ffi::lua_tocfunction(state, -1).map_or(0, |f| f as usize));
                ffi::lua_settop(state, 0);
            }
        })?;
    }
    if found.contains(&0) {
        return Err(mlua::Error::runtime(
            "a standard library function to charge is not a C function",
        ));
    }
    let _ = ORIGINALS.set(found);
    Ok(())
}

/// Pushes the table of `library` (`_G` for the globals).
unsafe fn push_library(state: *mut ffi::lua_State, library: &CStr) {
    // SAFETY: the caller runs in a protected call with room on the stack.
    unsafe {
        ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_GLOBALS);
        if library != c"_G" {
            ffi::lua_getfield(state, -1, library.as_ptr());
            ffi::lua_remove(state, -2);
        }
    }
}

/// Stand-in `N`: charges the work of function `N` of [`CHARGED`] (`load` after them), then
/// runs the original in this same frame, as Lua would have called it.
unsafe extern "C-unwind" fn charged<const N: usize>(state: *mut ffi::lua_State) -> c_int {
    let work = CHARGED.get(N).map_or(LOAD.2, |(_, _, work)| *work);
    // SAFETY: `state` is running this function with its arguments; `originals.rs` recorded the
    // originals before any stand-in was reachable.
    unsafe {
        let units = work_of(state, work);
        if units > 0.0 {
            meter::charge_or_raise(state, units);
        }
        match ORIGINALS.get().and_then(|originals| originals.get(N)) {
            Some(&address) => {
                let original: ffi::lua_CFunction = std::mem::transmute(address);
                original(state)
            }
            None => 0,
        }
    }
}

/// How much the original will do with the arguments on `state`'s stack, in instructions.
/// Arguments of the wrong type count nothing: the original raises its own error for them.
unsafe fn work_of(state: *mut ffi::lua_State, work: Work) -> f64 {
    // SAFETY: reads the running C function's arguments; `length` may run a `__len`
    // metamethod, as the original itself does.
    unsafe {
        let arguments = ffi::lua_gettop(state);
        let number = |index: c_int| -> Option<f64> {
            (ffi::lua_type(state, index) == ffi::LUA_TNUMBER)
                .then(|| ffi::lua_tonumberx(state, index, std::ptr::null_mut()))
        };
        let string_length = |index: c_int| -> Option<f64> {
            (ffi::lua_type(state, index) == ffi::LUA_TSTRING)
                .then(|| ffi::lua_rawlen(state, index) as f64)
        };
        let length = |index: c_int| -> f64 {
            if ffi::lua_type(state, index) != ffi::LUA_TTABLE {
                return 0.0;
            }
            ffi::luaL_len(state, index) as f64
        };
        let span = |from: c_int, total: f64| -> f64 {
            let i = number(from).unwrap_or(1.0);
            let j = number(from + 1).unwrap_or(total);
            j - i + 1.0
        };
        match work {
            Work::Repetitions => {
                let empty =
                    string_length(1) == Some(0.0) && string_length(3).is_none_or(|sep| sep == 0.0);
                if empty {
                    number(2).unwrap_or(0.0) / 8.0
                } else {
                    0.0
                }
            }
            Work::ByteRange if arguments >= 3 => span(2, string_length(1).unwrap_or(0.0)),
            Work::ByteRange => 0.0,
            Work::Insertion if arguments >= 3 => length(1) - number(2).unwrap_or(0.0),
            Work::Insertion => 0.0,
            Work::Removal if arguments >= 2 && ffi::lua_isnil(state, 2) == 0 => {
                length(1) - number(2).unwrap_or(0.0)
            }
            Work::Removal => 0.0,
            Work::Move => match (number(2), number(3)) {
                (Some(first), Some(end)) => end - first + 1.0,
                _ => 0.0,
            },
            Work::Sort => {
                let n = length(1);
                if n > 1.0 { n * (n.log2() + 1.0) } else { 0.0 }
            }
            Work::Concat => span(3, length(1)),
            Work::Unpack => span(2, length(1)),
            Work::Scan => string_length(1).unwrap_or(0.0) / 4.0,
            Work::Format => string_length(1).unwrap_or(0.0) / 4.0 + f64::from(arguments),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_its_stand_in() {
        assert_eq!(STAND_INS.len(), CHARGED.len() + 1);
    }
}
