//! Session creation through `Core` alone: sessions per second and resident memory per idle
//! session. Run with `cargo bench -p lunette-test --bench sessions`; each run is a fresh
//! process, so RSS growth is not hidden by arenas freed in an earlier round.
//!
//! Beside them, the floor: a bare `mlua::Lua` (nothing opened but what mlua always opens, the
//! base library) running the Adder's `main.lua` over a stub of the two session functions it
//! calls, both compiled once as lunette compiles them. Each site is given as a ratio to it.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::core_with_sessions;
use lunette_core::Site;
use mlua::{Lua, LuaOptions, StdLib};

const SESSIONS: usize = 10_000;

const SITES: [&str; 3] = ["floor", "default", "adder"];

/// What the Adder's `main.lua` needs of the session API in the floor: `session:prototype` and
/// `session:createAppVariable`.
const FLOOR_STUB: &str = r#"
session = { reloading = false }
function session:prototype(name, proto)
  proto.type, proto.__index = name, proto
  function proto:new(instance) return setmetatable(instance or {}, proto) end
  return proto
end
function session:createAppVariable(object) app = object end
"#;

/// One measured run: (µs per session, RSS KiB per session, Lua heap KiB per session).
type Measured = (f64, f64, f64);

/// Without an argument, runs itself once per site so that every measurement starts in a
/// fresh process.
fn main() {
    let Some(which) = std::env::args()
        .nth(1)
        .filter(|arg| SITES.contains(&arg.as_str()))
    else {
        let me = std::env::current_exe().expect("own path");
        let mut floor = None;
        for site in SITES {
            let output = std::process::Command::new(&me)
                .arg(site)
                .output()
                .expect("re-run");
            assert!(output.status.success());
            let line = String::from_utf8_lossy(&output.stdout);
            print!("{line}");
            let measured = parse(&line);
            match floor {
                None => floor = Some(measured),
                Some(floor) => println!(
                    "  as ratios to the floor: {:.2}× the time, {:.2}× the RSS, {:.2}× the Lua heap",
                    measured.0 / floor.0,
                    measured.1 / floor.1,
                    measured.2 / floor.2
                ),
            }
        }
        return;
    };
    if which == "floor" {
        return floor();
    }
    let (name, site) = match which.as_str() {
        "adder" => ("adder demo", adder_site()),
        _ => ("built-in default app", Site::builtin()),
    };
    {
        let rss_before = rss_kib();
        let (core, elapsed) = core_with_sessions(site, SESSIONS);
        let rss_after = rss_kib();
        report(
            name,
            elapsed,
            rss_after.saturating_sub(rss_before),
            core.lua_heap_bytes(),
        );
    }
}

/// The floor: [`SESSIONS`] bare VMs, each running the stub and the Adder's `main.lua` from
/// bytecode compiled once, all kept alive as sessions are.
fn floor() {
    let compiler = Lua::new_with(StdLib::NONE, LuaOptions::new()).expect("compiler");
    let main = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../demo/adder/lua/main.lua"
    ))
    .expect("demo/adder is in the repository");
    let compile = |source: &[u8]| {
        compiler
            .load(source)
            .into_function()
            .expect("compiles")
            .dump(false)
    };
    let (stub, main) = (compile(FLOOR_STUB.as_bytes()), compile(&main));
    let rss_before = rss_kib();
    let started = Instant::now();
    let vms: Vec<Lua> = (0..SESSIONS)
        .map(|_| {
            let lua = Lua::new_with(StdLib::NONE, LuaOptions::new()).expect("bare VM");
            for chunk in [&stub, &main] {
                lua.load(chunk.as_slice()).exec().expect("runs");
            }
            lua
        })
        .collect();
    let elapsed = started.elapsed();
    let rss_after = rss_kib();
    let heap = vms.iter().map(Lua::used_memory).sum();
    report(
        "floor (bare mlua VM, Adder)",
        elapsed,
        rss_after.saturating_sub(rss_before),
        heap,
    );
}

/// The numbers of one [`report`] line.
fn parse(line: &str) -> Measured {
    let number_before = |unit: &str| -> f64 {
        let end = line.find(unit).expect("a reported unit");
        let start = line[..end].rfind([' ', '(', '+']).map_or(0, |i| i + 1);
        line[start..end].trim().parse().expect("a number")
    };
    (
        number_before(" µs each"),
        number_before(" KiB/session;"),
        number_before(" KiB/session\n"),
    )
}

fn report(name: &str, elapsed: Duration, rss_growth_kib: u64, lua_bytes: usize) {
    let per_second = SESSIONS as f64 / elapsed.as_secs_f64();
    println!(
        "{name}: {SESSIONS} sessions in {:.3} s = {per_second:.0} sessions/s ({:.1} µs each); \
         RSS +{:.1} KiB/session; Lua heap {:.1} KiB/session",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / SESSIONS as f64,
        rss_growth_kib as f64 / SESSIONS as f64,
        lua_bytes as f64 / 1024.0 / SESSIONS as f64,
    );
}

fn adder_site() -> Site {
    let mut site = Site::new();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/adder");
    for path in ["lua/main.lua", "viewdefs/Adder.DEFAULT.html"] {
        let text =
            std::fs::read(format!("{root}/{path}")).expect("demo/adder is in the repository");
        site.insert(path, Bytes::from(text));
    }
    site
}

/// Resident set size of this process, from /proc (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
