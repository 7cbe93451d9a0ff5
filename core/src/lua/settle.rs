//! The fast part of a detection walk (PROTOCOL §4.5): proving, in one call into Lua, that
//! variables read back the values they hold.
//!
//! Most cycles change a handful of values out of thousands. The walk keeps, in a Lua table,
//! every visited variable's navigation value by its position in tree order (the *mirror*).
//! A variable whose path is plain fields and indices, and whose last good value is a scalar
//! with no error or wrapper, can be re-read on Lua's stack from its start variable's mirror
//! entry and compared with its own. Those reads honour `__index` tables (prototypes) and stop
//! at an `__index` function, so no Lua code runs: a read that cannot be proven unchanged is
//! handed back and evaluated the ordinary way, with nothing run twice.

use std::cell::Cell;

use mlua::{Lua, Table, Value, ffi};

use crate::tracker::path::{Element, Path};
use crate::tracker::{Node, Tracker};

/// How deep a chain of `__index` tables is followed before the read is handed back.
const MAX_INDEX_CHAIN: usize = 32;

/// Stack slots of the key strings kept between reads (see [`Keys`]).
const KEY_SLOTS: usize = 8;
/// Stack indices: the mirror (the call's argument), the `"__index"` string, then the keys.
const MIRROR: i32 = 1;
const INDEX_NAME: i32 = 2;
const FIRST_KEY: i32 = 3;
/// Room a read needs over the kept slots.
const READ_ROOM: i32 = 4;

/// Field names recently pushed as Lua strings, kept on the stack. Interning a name hashes
/// and looks it up in Lua's string table, which was the largest cost of a walk; neighbouring
/// variables mostly read the same few names (`items.0.name`, `items.1.name`, …).
struct Keys<'a> {
    names: [Option<&'a str>; KEY_SLOTS],
    next: usize,
}

impl<'a> Keys<'a> {
    /// Pushes `name` as a Lua string, from a kept slot when it has one.
    unsafe fn push(&mut self, state: *mut ffi::lua_State, name: &'a str) {
        // SAFETY: the kept slots exist (see `settle`) and there is room for one more value.
        unsafe {
            if let Some(slot) = self
                .names
                .iter()
                .position(|kept| kept.is_some_and(|kept| same_text(kept, name)))
            {
                ffi::lua_pushvalue(state, FIRST_KEY + slot as i32);
                return;
            }
            ffi::lua_pushlstring(state, name.as_ptr().cast(), name.len());
            ffi::lua_pushvalue(state, -1);
            ffi::lua_replace(state, FIRST_KEY + self.next as i32);
            self.names[self.next] = Some(name);
            self.next = (self.next + 1) % KEY_SLOTS;
        }
    }
}

/// What one visited variable needs from the fast walk.
enum Step<'t> {
    /// Nothing: `w` and `action` variables are not read and their navigation never changes.
    Skip,
    /// Evaluated the ordinary way.
    Evaluate,
    /// Re-read `path` from the mirror entry at `start` (a position in tree order).
    Read { start: usize, path: &'t Path },
}

/// A detection walk as the fast part sees it.
pub(crate) struct Walk<'t> {
    pub(crate) tracker: &'t Tracker,
    pub(crate) order: &'t [Node],
    /// Positions in `order` the walk visits.
    pub(crate) visit: &'t [usize],
    /// Which positions' mirror entries hold a value.
    pub(crate) known: &'t [bool],
}

impl<'t> Walk<'t> {
    /// What the variable at `position` needs.
    fn step(&self, position: usize) -> Step<'t> {
        let node = self.order[position];
        let Some(variable) = self.tracker.at(node.slot, node.id) else {
            return Step::Evaluate;
        };
        if !variable.access.is_readable() {
            return Step::Skip;
        }
        let Some(path) = &variable.path else {
            return Step::Evaluate;
        };
        let plain = path
            .elements
            .iter()
            .all(|e| matches!(e, Element::Field(_) | Element::Index(_)));
        let settled = variable.error.is_none()
            && variable.json.is_some()
            && variable.wrapper.is_none()
            && !variable.wants_wrapper()
            && !matches!(variable.value, Value::Table(_));
        let mut start = node.parent;
        for _ in 0..path.up {
            start = start.and_then(|p| self.order[p].parent);
        }
        match start {
            Some(start) if plain && settled && self.known[start] && self.known[position] => {
                Step::Read { start, path }
            }
            _ => Step::Evaluate,
        }
    }
}

/// Walks `walk.visit` from index `from` while each variable is skipped or proven unchanged.
/// Returns the index of the first one that must be evaluated the ordinary way (or
/// `visit.len()`).
pub(crate) fn settle(lua: &Lua, mirror: &Table, walk: &Walk<'_>, from: usize) -> usize {
    let visit = walk.visit;
    let reached = Cell::new(from);
    // SAFETY: the closure runs inside mlua's protected call with the mirror table as its one
    // argument (stack index 1). Each read pushes at most three values over what it pops, and
    // room for them is checked first; nothing is left on the stack but the argument. No Lua
    // function is called; a memory error while interning a key unwinds to mlua, which
    // returns it as an error: `reached` then names the variable to evaluate normally.
    let walked: mlua::Result<()> = unsafe {
        lua.exec_raw::<()>(mirror, |state| {
            if ffi::lua_checkstack(state, FIRST_KEY + KEY_SLOTS as i32 + READ_ROOM) == 0 {
                return;
            }
            ffi::lua_settop(state, MIRROR);
            ffi::lua_pushlstring(state, c"__index".as_ptr(), "__index".len());
            for _ in 0..KEY_SLOTS {
                ffi::lua_pushnil(state);
            }
            let mut keys = Keys {
                names: [None; KEY_SLOTS],
                next: 0,
            };
            let mut index = from;
            while index < visit.len() {
                reached.set(index);
                let proven = match walk.step(visit[index]) {
                    Step::Skip => true,
                    Step::Evaluate => false,
                    Step::Read { start, path } => {
                        unchanged(state, &mut keys, to_key(start), to_key(visit[index]), path)
                    }
                };
                if !proven {
                    return;
                }
                index += 1;
            }
            reached.set(index);
            ffi::lua_settop(state, 0);
        })
    };
    // On an error `reached` is the variable being read: the ordinary evaluation takes it.
    drop(walked);
    reached.get()
}

/// Compares two short names byte by byte: inlined, where `==` calls `memcmp` each time.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

fn to_key(position: usize) -> ffi::lua_Integer {
    ffi::lua_Integer::try_from(position).map_or(ffi::lua_Integer::MAX, |p| p.saturating_add(1))
}

/// Whether reading `path` from mirror entry `start` gives a value raw-equal to mirror entry
/// `own`. Leaves the stack as it found it.
unsafe fn unchanged<'a>(
    state: *mut ffi::lua_State,
    keys: &mut Keys<'a>,
    start: ffi::lua_Integer,
    own: ffi::lua_Integer,
    path: &'a Path,
) -> bool {
    // SAFETY: the mirror and the kept slots are in place and there is room for four more.
    unsafe {
        let base = ffi::lua_gettop(state);
        ffi::lua_rawgeti(state, MIRROR, start);
        let mut proven = true;
        for element in &path.elements {
            if ffi::lua_type(state, -1) == ffi::LUA_TNIL {
                break;
            }
            if !plain_index(state, keys, element) {
                proven = false;
                break;
            }
        }
        if proven {
            ffi::lua_rawgeti(state, MIRROR, own);
            proven = ffi::lua_rawequal(state, -1, -2) != 0;
        }
        ffi::lua_settop(state, base);
        proven
    }
}

/// Replaces the value on top with `value[element]` as Lua's indexing would give it, as long
/// as that needs no function: raw lookups along a chain of `__index` tables. Returns false,
/// leaving the stack with one value in place of the old top, when it cannot.
unsafe fn plain_index<'a>(
    state: *mut ffi::lua_State,
    keys: &mut Keys<'a>,
    element: &'a Element,
) -> bool {
    // SAFETY: a value is on top and there is room for three more.
    unsafe {
        for _ in 0..MAX_INDEX_CHAIN {
            if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
                return false;
            }
            match element {
                Element::Field(name) => keys.push(state, name),
                Element::Index(i) => ffi::lua_pushinteger(state, to_key(*i)),
                Element::Call(_) | Element::Setter(_) => return false,
            }
            // [table, key] -> [table, value]
            ffi::lua_rawget(state, -2);
            if ffi::lua_type(state, -1) != ffi::LUA_TNIL || ffi::lua_getmetatable(state, -2) == 0 {
                ffi::lua_copy(state, -1, -2);
                ffi::lua_settop(state, -2);
                return true;
            }
            // [table, nil, metatable] -> [table, nil, __index]
            ffi::lua_pushvalue(state, INDEX_NAME);
            ffi::lua_rawget(state, -2);
            ffi::lua_copy(state, -1, -2);
            ffi::lua_settop(state, -2);
            match ffi::lua_type(state, -1) {
                // No __index: the nil stands.
                ffi::LUA_TNIL => {
                    ffi::lua_settop(state, -2);
                    ffi::lua_copy(state, -1, -2);
                    ffi::lua_settop(state, -2);
                    return true;
                }
                // Look again in the __index table: [table, nil, next] -> [next]
                ffi::LUA_TTABLE => {
                    ffi::lua_copy(state, -1, -3);
                    ffi::lua_settop(state, -3);
                }
                _ => {
                    ffi::lua_settop(state, -3);
                    return false;
                }
            }
        }
        false
    }
}
