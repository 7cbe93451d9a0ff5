//! Tables whose fields are made on first access: the globals (`string`, `os`, `require`, …), the
//! `session` table's functions, and the string metatable's `__index`. A session pays for a part
//! of its environment only once its script reaches for it (issue 16).
//!
//! A lazy table has a metatable of ours: `[1]` a light userdata only this module can make,
//! `[2]` its [`Kind`], `[3]` a bit per name of [`Kind::names`] still to be made, and `__index`,
//! `__newindex` and `__pairs` functions. The first read of a pending name calls the builder the
//! environment registered (`lunette.build`, called with the table, its kind and the name's
//! index), which stores the part raw in the table and clears its bit; once no bit is left the
//! metatable goes. Assigning a pending name first (`string = nil`) decides it: it is never made.
//!
//! A script sees a plain table. Every way to look at a table without its metatable is a stand-in
//! here that makes what it would see first: `pairs` and `next` make every pending part,
//! `rawget` the one it reads; `rawset` decides the name it sets; `getmetatable` answers `nil`
//! for a lazy table and makes the string library before it answers for a string; and
//! `setmetatable` makes every pending part before it replaces the metatable. What a part
//! allocates is charged to the call that first used it, as anything a script allocates.

use std::ffi::{CStr, c_int, c_void};
use std::ptr;

use mlua::{Lua, ffi};

use crate::lua::vm::originals::{self, Originals};

/// Registry field of the function that makes a part: `(table, kind, index)`.
pub(crate) const BUILD: &CStr = c"lunette.build";

/// Whose address marks our metatables: no script can make this light userdata.
static MARKER: u8 = 0;

fn marker() -> *mut c_void {
    ptr::addr_of!(MARKER).cast_mut().cast()
}

/// Which table a lazy metatable serves, and so which names it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Globals = 0,
    Session = 1,
    /// The string metatable, whose `__index` makes the string library.
    Strings = 2,
}

impl Kind {
    fn from_integer(kind: i64) -> Option<Kind> {
        [Kind::Globals, Kind::Session, Kind::Strings]
            .into_iter()
            .find(|k| *k as i64 == kind)
    }

    /// The names made on first access, by bit.
    pub(crate) fn names(self) -> &'static [&'static CStr] {
        match self {
            Kind::Globals => &crate::lua::environment::GLOBAL_PARTS,
            Kind::Session => &crate::lua::environment::SESSION_PARTS,
            Kind::Strings => &[],
        }
    }
}

/// Makes `table` (a table, or a string for [`Kind::Strings`]) lazy for every name of `kind`.
/// The string metatable keeps the string library's arithmetic (`"10" + 1`) meanwhile, and its
/// one bit stands for the whole library.
pub(crate) fn install(lua: &Lua, target: mlua::Value, kind: Kind) -> mlua::Result<()> {
    let originals = originals::get();
    let pending = (1i64 << kind.names().len()) - 1;
    // SAFETY: runs inside mlua's protected call with `target` as its argument; builds the
    // metatable from light C functions and sets it.
    unsafe {
        lua.exec_raw::<()>(target, |state| {
            ffi::lua_createtable(state, 3, 4);
            ffi::lua_pushlightuserdata(state, marker());
            ffi::lua_rawseti(state, -2, 1);
            ffi::lua_pushinteger(state, kind as i64);
            ffi::lua_rawseti(state, -2, 2);
            ffi::lua_pushinteger(state, pending.max(1));
            ffi::lua_rawseti(state, -2, 3);
            ffi::lua_pushcfunction(state, index);
            ffi::lua_setfield(state, -2, c"__index".as_ptr());
            if kind == Kind::Strings {
                for (name, function) in &originals.string_arithmetic {
                    ffi::lua_pushcfunction(state, *function);
                    ffi::lua_setfield(state, -2, name.as_ptr());
                }
            } else {
                ffi::lua_pushcfunction(state, new_index);
                ffi::lua_setfield(state, -2, c"__newindex".as_ptr());
                ffi::lua_pushcfunction(state, pairs);
                ffi::lua_setfield(state, -2, c"__pairs".as_ptr());
            }
            ffi::lua_setmetatable(state, 1);
            ffi::lua_settop(state, 0);
        })
    }
}

/// Clears the bit of a made or decided name of the lazy `table`; the last one removes the
/// metatable. For the builder, which stores the part first.
pub(crate) fn settle(lua: &Lua, table: &mlua::Table, bit: usize) -> mlua::Result<()> {
    // SAFETY: runs inside mlua's protected call with `table` as its argument; changes only
    // fields of our own metatable, which exist, so it allocates nothing.
    unsafe {
        lua.exec_raw::<()>(table, |state| {
            if push_lazy_metatable(state, 1) {
                clear(state, 1, -1, bit);
            }
            ffi::lua_settop(state, 0);
        })
    }
}

/// Whether bit `bit` of the lazy `table` is still pending.
pub(crate) fn is_pending(lua: &Lua, table: &mlua::Table, bit: usize) -> mlua::Result<bool> {
    // SAFETY: runs inside mlua's protected call with `table` as its argument and leaves one
    // boolean; raw reads only.
    unsafe {
        lua.exec_raw::<bool>(table, |state| {
            let pending = push_lazy_metatable(state, 1) && field(state, -1, 3) & (1 << bit) != 0;
            ffi::lua_settop(state, 0);
            ffi::lua_pushboolean(state, c_int::from(pending));
        })
    }
}

/// Pushes the lazy metatable of the value at `index` and returns true, or pushes nothing.
unsafe fn push_lazy_metatable(state: *mut ffi::lua_State, index: c_int) -> bool {
    // SAFETY: reads a metatable's array part without metamethods.
    unsafe {
        if ffi::lua_getmetatable(state, index) == 0 {
            return false;
        }
        let ours = ffi::lua_rawgeti(state, -1, 1) == ffi::LUA_TLIGHTUSERDATA
            && ffi::lua_touserdata(state, -1) == marker();
        ffi::lua_pop(state, if ours { 1 } else { 2 });
        ours
    }
}

/// Field `n` of the lazy metatable at `meta`, an integer.
unsafe fn field(state: *mut ffi::lua_State, meta: c_int, n: ffi::lua_Integer) -> i64 {
    // SAFETY: a raw read of our own metatable.
    unsafe {
        ffi::lua_rawgeti(state, meta, n);
        let value = ffi::lua_tointegerx(state, -1, ptr::null_mut());
        ffi::lua_pop(state, 1);
        value
    }
}

/// Clears bit `bit` of the lazy table at `table` whose metatable is at `meta`; removes the
/// metatable once no bit is left.
unsafe fn clear(state: *mut ffi::lua_State, table: c_int, meta: c_int, bit: usize) {
    // SAFETY: `[3]` exists, so setting it allocates nothing.
    unsafe {
        let (table, meta) = (
            ffi::lua_absindex(state, table),
            ffi::lua_absindex(state, meta),
        );
        let left = field(state, meta, 3) & !(1 << bit);
        ffi::lua_pushinteger(state, left);
        ffi::lua_rawseti(state, meta, 3);
        if left == 0 {
            ffi::lua_pushnil(state);
            ffi::lua_setmetatable(state, table);
        }
    }
}

/// The bit of the key at `key` if it names a part still pending in the lazy metatable at
/// `meta`.
unsafe fn pending(state: *mut ffi::lua_State, meta: c_int, key: c_int) -> Option<usize> {
    // SAFETY: reads a string key in place, without converting other types.
    unsafe {
        if ffi::lua_type(state, key) != ffi::LUA_TSTRING {
            return None;
        }
        let kind = Kind::from_integer(field(state, meta, 2))?;
        let bits = field(state, meta, 3);
        let mut length = 0;
        let text = ffi::lua_tolstring(state, key, &mut length);
        let key = std::slice::from_raw_parts(text.cast::<u8>(), length);
        kind.names()
            .iter()
            .position(|name| name.to_bytes() == key)
            .filter(|bit| bits & (1 << bit) != 0)
    }
}

/// Makes part `bit` of the lazy value at `index` through the registered builder.
unsafe fn build(state: *mut ffi::lua_State, index: c_int, kind: i64, bit: usize) {
    // SAFETY: calls the builder, which leaves nothing on the stack; its errors unwind to the
    // caller's protected call with nothing here to drop.
    unsafe {
        let index = ffi::lua_absindex(state, index);
        ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, BUILD.as_ptr());
        ffi::lua_pushvalue(state, index);
        ffi::lua_pushinteger(state, kind);
        ffi::lua_pushinteger(state, bit as ffi::lua_Integer);
        ffi::lua_call(state, 3, 0);
    }
}

/// Makes every part still pending of the lazy table at `index`, if it is one.
unsafe fn build_all(state: *mut ffi::lua_State, index: c_int) {
    // SAFETY: each build clears its bit, so the loop ends.
    unsafe {
        while push_lazy_metatable(state, index) {
            let kind = field(state, -1, 2);
            let bits = field(state, -1, 3);
            ffi::lua_pop(state, 1);
            if bits == 0 {
                return;
            }
            build(state, index, kind, bits.trailing_zeros() as usize);
        }
    }
}

/// `__index(t, k)`: makes the part `k` names, if pending.
unsafe extern "C-unwind" fn index(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a metamethod of our own metatable, with its two arguments.
    unsafe {
        ffi::lua_settop(state, 2);
        if !push_lazy_metatable(state, 1) {
            ffi::lua_pushnil(state);
            return 1;
        }
        if field(state, 3, 2) == Kind::Strings as i64 {
            // Opening the string library replaces this metatable: index the string again, through
            // the library's own.
            build(state, 1, Kind::Strings as i64, 0);
            ffi::lua_settop(state, 2);
            ffi::lua_gettable(state, 1);
            return 1;
        }
        match pending(state, 3, 2) {
            Some(bit) => {
                build(state, 1, field(state, 3, 2), bit);
                ffi::lua_settop(state, 2);
                ffi::lua_rawget(state, 1);
            }
            None => ffi::lua_pushnil(state),
        }
        1
    }
}

/// `__newindex(t, k, v)`: a pending name assigned first is decided, never made.
unsafe extern "C-unwind" fn new_index(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a metamethod of our own metatable, with its three arguments.
    unsafe {
        ffi::lua_settop(state, 3);
        if push_lazy_metatable(state, 1) {
            if let Some(bit) = pending(state, 4, 2) {
                clear(state, 1, 4, bit);
            }
            ffi::lua_settop(state, 3);
        }
        ffi::lua_rawset(state, 1);
        0
    }
}

/// `__pairs(t)`: every part made, then the traversal `pairs` gives a plain table.
unsafe extern "C-unwind" fn pairs(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a metamethod of our own metatable, with its argument.
    unsafe {
        build_all(state, 1);
        ffi::lua_pushcfunction(state, originals::get().next);
        ffi::lua_pushvalue(state, 1);
        ffi::lua_pushnil(state);
        3
    }
}

/// Runs the base library's own `function` on this frame's arguments.
unsafe fn original(
    state: *mut ffi::lua_State,
    function: fn(&Originals) -> ffi::lua_CFunction,
) -> c_int {
    // SAFETY: the original reads its arguments as Lua would have passed them.
    unsafe { function(originals::get())(state) }
}

/// `next(t, k)`: a lazy table is made whole first.
pub(crate) unsafe extern "C-unwind" fn next(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments.
    unsafe {
        if ffi::lua_type(state, 1) == ffi::LUA_TTABLE {
            build_all(state, 1);
        }
        original(state, |o| o.next)
    }
}

/// `rawget(t, k)`: the part `k` names is made first.
pub(crate) unsafe extern "C-unwind" fn rawget(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments; the stack is put back before the original.
    unsafe {
        if ffi::lua_type(state, 1) == ffi::LUA_TTABLE && ffi::lua_gettop(state) >= 2 {
            let top = ffi::lua_gettop(state);
            if push_lazy_metatable(state, 1)
                && let Some(bit) = pending(state, -1, 2)
            {
                build(state, 1, field(state, -1, 2), bit);
            }
            ffi::lua_settop(state, top);
        }
        original(state, |o| o.rawget)
    }
}

/// `rawset(t, k, v)`: a pending name set raw is decided, as by assignment.
pub(crate) unsafe extern "C-unwind" fn rawset(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments; the stack is put back before the original.
    unsafe {
        if ffi::lua_type(state, 1) == ffi::LUA_TTABLE && ffi::lua_gettop(state) >= 3 {
            let top = ffi::lua_gettop(state);
            if push_lazy_metatable(state, 1)
                && let Some(bit) = pending(state, -1, 2)
            {
                clear(state, 1, -1, bit);
            }
            ffi::lua_settop(state, top);
        }
        original(state, |o| o.rawset)
    }
}

/// `getmetatable(v)`: a lazy table has none; a string's is the string library's own.
pub(crate) unsafe extern "C-unwind" fn getmetatable(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments.
    unsafe {
        if ffi::lua_gettop(state) >= 1 && push_lazy_metatable(state, 1) {
            let kind = field(state, -1, 2);
            ffi::lua_pop(state, 1);
            if kind != Kind::Strings as i64 {
                ffi::lua_pushnil(state);
                return 1;
            }
            build(state, 1, kind, 0);
        }
        original(state, |o| o.getmetatable)
    }
}

/// `setmetatable(t, mt)` as the sandbox allows it: no `__gc` (finalizers run with hooks off,
/// outside the budget; Lua marks an object for finalization only if `__gc` is present when
/// `setmetatable` runs), and a lazy table is made whole before its metatable is replaced.
pub(crate) unsafe extern "C-unwind" fn setmetatable(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function on its own arguments.
    unsafe {
        if ffi::lua_type(state, 2) == ffi::LUA_TTABLE {
            ffi::lua_pushstring(state, c"__gc".as_ptr());
            let finalizer = ffi::lua_rawget(state, 2) != ffi::LUA_TNIL;
            ffi::lua_pop(state, 1);
            if finalizer {
                originals::raise(state, c"setmetatable: __gc metamethods are not available");
            }
        }
        if ffi::lua_type(state, 1) == ffi::LUA_TTABLE {
            build_all(state, 1);
        }
        original(state, |o| o.setmetatable)
    }
}
