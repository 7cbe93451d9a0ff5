//! What the parts of a session's VM cost (issue 16): each standard library opened into a bare
//! `mlua::Lua`, and the first use of each part of lunette's sandbox from `main.lua`, in Lua heap
//! bytes and µs per session. Run with `cargo bench -p lunette-test --bench vm_parts`; for
//! instructions, run it under `valgrind --tool=callgrind` with one part as its argument (see
//! BENCHMARKS.md).

mod common;

use std::time::Instant;

use bytes::Bytes;
use common::core_with_sessions;
use lunette_core::Site;
use mlua::{Lua, LuaOptions, StdLib};

/// VMs made per part.
const VMS: usize = 2_000;

const LIBRARIES: [(&str, StdLib); 7] = [
    ("none", StdLib::NONE),
    ("coroutine", StdLib::COROUTINE),
    ("table", StdLib::TABLE),
    ("os", StdLib::OS),
    ("string", StdLib::STRING),
    ("utf8", StdLib::UTF8),
    ("math", StdLib::MATH),
];

/// What `main.lua` does besides making variable 1, and the part of the sandbox that it uses
/// first.
const FIRST_USES: [(&str, &str); 12] = [
    ("nothing", ""),
    ("string", "local _ = string.len"),
    ("string method", "local _ = ('x'):upper()"),
    ("table", "local _ = table.insert"),
    ("math", "local _ = math.floor"),
    ("utf8", "local _ = utf8.char"),
    ("coroutine", "local _ = coroutine.wrap"),
    ("os", "local _ = os.time"),
    ("ui", "local _ = ui.log"),
    ("require", "local _ = require"),
    ("setTimeout", "local _ = session.setTimeout"),
    (
        "all",
        "local _ = {string.len, ('x'):upper(), table.insert, math.floor, utf8.char, \
         coroutine.wrap, os.time, ui.log, require, session.setTimeout}",
    ),
];

fn main() {
    // `cargo bench` passes `--bench`; a part's name runs that part alone.
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with("--"));
    let wanted = |name: &str| only.as_deref().is_none_or(|only| only == name);
    println!("A bare mlua::Lua (base library only) and one library opened, {VMS} VMs:");
    for (name, libs) in LIBRARIES {
        if wanted(name) {
            bare(name, libs);
        }
    }
    println!(
        "Sessions of a main.lua that makes variable 1 and uses one part first, {VMS} sessions:"
    );
    for (name, body) in FIRST_USES {
        if wanted(name) {
            first_use(name, body);
        }
    }
}

fn bare(name: &str, libs: StdLib) {
    let started = Instant::now();
    let vms: Vec<Lua> = (0..VMS)
        .map(|_| {
            let lua = Lua::new_with(StdLib::NONE, LuaOptions::new()).expect("bare VM");
            lua.load_std_libs(libs).expect("library");
            lua
        })
        .collect();
    let elapsed = started.elapsed();
    let bytes: usize = vms.iter().map(Lua::used_memory).sum();
    println!(
        "  {name:<10} {:>7.0} bytes  {:>6.2} µs",
        bytes as f64 / VMS as f64,
        elapsed.as_secs_f64() * 1e6 / VMS as f64
    );
}

fn first_use(name: &str, body: &str) {
    let mut site = Site::new();
    let main = format!("session:createAppVariable({{}})\n{body}\n");
    site.insert("lua/main.lua", Bytes::from(main));
    let (core, elapsed) = core_with_sessions(site, VMS);
    println!(
        "  {name:<14} {:>7.0} bytes  {:>6.2} µs",
        core.lua_heap_bytes() as f64 / VMS as f64,
        elapsed.as_secs_f64() * 1e6 / VMS as f64
    );
}
