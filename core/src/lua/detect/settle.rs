//! The fast part of a detection walk (docs/protocol.md §4.5): proving, in one call into Lua, that
//! variables read back the values they hold.
//!
//! Most cycles change a handful of values out of thousands. The walk keeps, in a Lua table,
//! every visited variable's navigation value by its position in tree order (the *mirror*).
//! A variable whose path is plain fields and indices, and whose last good value is a scalar
//! with no error or wrapper, can be re-read on Lua's stack from its start variable's mirror
//! entry and compared with its own. Those reads honour `__index` tables (prototypes) and stop
//! at an `__index` function, so no Lua code runs: a read that cannot be proven unchanged is
//! handed back and evaluated the ordinary way, with nothing run twice.
//!
//! What each variable needs is worked out once into compact [`Probes`] and kept while the
//! tracker's epoch stays the same, so that a cycle reads a few small arrays and the Lua
//! objects, not every variable, path and field name scattered over the heap.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ffi::c_int;

use mlua::{Lua, Table, ffi};

use crate::lua::Tracker;
use crate::tracker::Node;
use crate::tracker::path::Element;

/// How deep a chain of `__index` tables is followed before the read is handed back.
const MAX_INDEX_CHAIN: usize = 32;

/// Distinct field names the probes may use: each is pushed once per call into Lua. A
/// variable reading a name beyond them is evaluated the ordinary way.
const MAX_NAMES: usize = 256;

/// Stack indices: the mirror (the call's argument), the `"__index"` string, then the names.
const MIRROR: c_int = 1;
const INDEX_NAME: c_int = 2;
const FIRST_NAME: c_int = 3;
/// Room a read needs over the names.
const READ_ROOM: c_int = 4;

/// What one visited variable needs from the fast walk.
#[derive(Clone, Copy)]
enum Probe {
    /// Nothing: `w` and `action` variables are not read and their navigation never changes.
    Skip,
    /// Evaluated the ordinary way.
    Evaluate,
    /// Re-read `keys[from..from + count]` from the mirror entry at position `start`.
    Read { start: u32, from: u32, count: u32 },
}

/// One element of a plain path, ready for the Lua stack.
#[derive(Clone, Copy)]
enum Key {
    /// The field name at this index of [`Probes::names`].
    Name(u32),
    /// A 1-based Lua index.
    Index(ffi::lua_Integer),
}

/// A plain path's keys, read from the mirror entry at position `start`.
#[derive(Clone, Copy)]
struct Plain {
    start: u32,
    from: u32,
    count: u32,
}

/// The variables a walk visits and what each needs, valid for one tree order and one tracker
/// epoch ([`Tracker::epoch`]): paths, access and properties do not change meanwhile.
pub(crate) struct Probes {
    pub(crate) epoch: u64,
    /// Positions in tree order that detection visits.
    pub(crate) visit: Vec<usize>,
    /// By index in `visit`.
    probes: Vec<Probe>,
    /// By index in `visit`: the keys of a readable variable with a plain path.
    plain: Vec<Option<Plain>>,
    keys: Vec<Key>,
    names: Vec<String>,
}

impl Probes {
    /// Works out the walk over `order`: the visited positions and each one's probe. `known`
    /// says which mirror entries hold a value.
    pub(crate) fn new(tracker: &Tracker, order: &[Node], known: &[bool]) -> Self {
        let visit = tracker.detection_order(order);
        let mut keys = Vec::new();
        let mut names = Names::default();
        let plain = visit
            .iter()
            .map(|&position| plain_path(tracker, order, position, &mut keys, &mut names))
            .collect();
        let mut probes = Self {
            epoch: tracker.epoch(),
            probes: vec![Probe::Evaluate; visit.len()],
            visit,
            plain,
            keys,
            names: names.list,
        };
        for index in 0..probes.visit.len() {
            probes.refresh(tracker, order, known, index);
        }
        probes
    }

    /// Works out again the probe of `visit[index]`, whose variable was just evaluated.
    pub(crate) fn refresh(
        &mut self,
        tracker: &Tracker,
        order: &[Node],
        known: &[bool],
        index: usize,
    ) {
        let position = self.visit[index];
        let node = order[position];
        self.probes[index] = match tracker.at(node.slot, node.id) {
            None => Probe::Evaluate,
            Some(variable) if !variable.access.is_readable() => Probe::Skip,
            Some(variable) => match self.plain[index] {
                Some(Plain { start, from, count })
                    if variable.settled() && known[start as usize] && known[position] =>
                {
                    Probe::Read { start, from, count }
                }
                _ => Probe::Evaluate,
            },
        };
    }
}

/// Field names interned for the probes.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    ids: BTreeMap<String, u32>,
}

impl Names {
    /// The index of `name`, added if there is room.
    fn id(&mut self, name: &str) -> Option<u32> {
        if let Some(id) = self.ids.get(name) {
            return Some(*id);
        }
        if self.list.len() >= MAX_NAMES {
            return None;
        }
        let id = u32::try_from(self.list.len()).ok()?;
        self.list.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        Some(id)
    }
}

/// The keys of the variable at `position`, pushed onto `keys`, if it reads a plain path
/// (fields and indices) from a start variable.
fn plain_path(
    tracker: &Tracker,
    order: &[Node],
    position: usize,
    keys: &mut Vec<Key>,
    names: &mut Names,
) -> Option<Plain> {
    let node = order[position];
    let variable = tracker.at(node.slot, node.id)?;
    let path = variable.path.as_ref()?;
    let mut start = node.parent;
    for _ in 0..path.up {
        start = start.and_then(|p| order[p].parent);
    }
    let start = u32::try_from(start?).ok()?;
    let from = keys.len();
    for element in &path.elements {
        let key = match element {
            Element::Field(name) => names.id(name).map(Key::Name),
            Element::Index(i) => Some(Key::Index(to_key(*i))),
            Element::Call(_) | Element::Setter(_) => None,
        };
        let Some(key) = key else {
            keys.truncate(from);
            return None;
        };
        keys.push(key);
    }
    Some(Plain {
        start,
        from: u32::try_from(from).ok()?,
        count: u32::try_from(path.elements.len()).ok()?,
    })
}

/// Walks `probes.visit` from index `from` while each variable is skipped or proven
/// unchanged. Returns the index of the first one that must be evaluated the ordinary way (or
/// `visit.len()`).
pub(crate) fn settle(lua: &Lua, mirror: &Table, probes: &Probes, from: usize) -> usize {
    if matches!(probes.probes.get(from), None | Some(Probe::Evaluate)) {
        return from;
    }
    let reached = Cell::new(from);
    let names = c_int::try_from(probes.names.len()).unwrap_or(c_int::MAX);
    // SAFETY: the closure runs inside mlua's protected call with the mirror table as its one
    // argument (stack index 1). It checks room for the names and a read first; each read
    // pushes at most four values and restores the stack. No Lua function is called; a memory
    // error while pushing a name unwinds to mlua, which returns it as an error: `reached`
    // then names the variable to evaluate normally (or the first, before any was read).
    let walked: mlua::Result<()> = unsafe {
        lua.exec_raw::<()>(mirror, |state| {
            if ffi::lua_checkstack(state, FIRST_NAME + names + READ_ROOM) == 0 {
                return;
            }
            ffi::lua_settop(state, MIRROR);
            ffi::lua_pushlstring(state, c"__index".as_ptr(), "__index".len());
            for name in &probes.names {
                ffi::lua_pushlstring(state, name.as_ptr().cast(), name.len());
            }
            let mut index = from;
            while index < probes.visit.len() {
                reached.set(index);
                let proven = match probes.probes[index] {
                    Probe::Skip => true,
                    Probe::Evaluate => false,
                    Probe::Read { start, from, count } => {
                        let keys = &probes.keys[from as usize..(from + count) as usize];
                        let own = to_key(probes.visit[index]);
                        unchanged(state, to_key(start as usize), own, keys)
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

/// Copies entry `from` of the mirror `old` to entry `to` of `new` for each `(from, to)`
/// (positions, 0-based). `new` was made with room for every `to`, so nothing allocates.
pub(crate) fn carry(
    lua: &Lua,
    old: &Table,
    new: &Table,
    moves: &[(usize, usize)],
) -> mlua::Result<()> {
    // SAFETY: the closure runs inside mlua's protected call with the two tables as its
    // arguments (stack indices 1 and 2); each move pushes one value and pops it.
    unsafe {
        lua.exec_raw::<()>((old, new), |state| {
            for &(from, to) in moves {
                ffi::lua_rawgeti(state, 1, to_key(from));
                ffi::lua_rawseti(state, 2, to_key(to));
            }
            ffi::lua_settop(state, 0);
        })
    }
}

fn to_key(position: usize) -> ffi::lua_Integer {
    ffi::lua_Integer::try_from(position).map_or(ffi::lua_Integer::MAX, |p| p.saturating_add(1))
}

/// Whether reading `keys` from mirror entry `start` gives a value raw-equal to mirror entry
/// `own`. Leaves the stack as it found it.
unsafe fn unchanged(
    state: *mut ffi::lua_State,
    start: ffi::lua_Integer,
    own: ffi::lua_Integer,
    keys: &[Key],
) -> bool {
    // SAFETY: the mirror and the names are in place and there is room for four more.
    unsafe {
        let base = ffi::lua_gettop(state);
        ffi::lua_rawgeti(state, MIRROR, start);
        let mut proven = true;
        for key in keys {
            if ffi::lua_type(state, -1) == ffi::LUA_TNIL {
                break;
            }
            if !plain_index(state, *key) {
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

/// Replaces the value on top with `value[key]` as Lua's indexing would give it, as long as
/// that needs no function: raw lookups along a chain of `__index` tables. Returns false,
/// leaving the stack with one value in place of the old top, when it cannot.
unsafe fn plain_index(state: *mut ffi::lua_State, key: Key) -> bool {
    // SAFETY: a value is on top, the names are in place and there is room for three more.
    unsafe {
        for _ in 0..MAX_INDEX_CHAIN {
            if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
                return false;
            }
            match key {
                Key::Name(id) => ffi::lua_pushvalue(state, FIRST_NAME + id as c_int),
                Key::Index(i) => ffi::lua_pushinteger(state, i),
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
