//! Session creation through `Core` alone: sessions per second and resident memory per idle
//! session. Run with `cargo bench -p lunette-test --bench sessions`; each run is a fresh
//! process, so RSS growth is not hidden by arenas freed in an earlier round.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use lunette_core::{Config, Core, HttpReply, SeededIds, Site};

const SESSIONS: usize = 10_000;

const SITES: [&str; 2] = ["default", "adder"];

/// Without an argument, runs itself once per site so that every measurement starts in a
/// fresh process.
fn main() {
    let Some(which) = std::env::args()
        .nth(1)
        .filter(|arg| SITES.contains(&arg.as_str()))
    else {
        let me = std::env::current_exe().expect("own path");
        for site in SITES {
            let status = std::process::Command::new(&me)
                .arg(site)
                .status()
                .expect("re-run");
            assert!(status.success());
        }
        return;
    };
    let (name, site) = match which.as_str() {
        "adder" => ("adder demo", adder_site()),
        _ => ("built-in default app", Site::builtin()),
    };
    {
        let rss_before = rss_kib();
        let now = Instant::now();
        let config = Config {
            unclaimed_timeout: None,
            ..Config::default()
        };
        let mut core = Core::new(config, site, Box::new(SeededIds::new(7)), now);
        let started = Instant::now();
        for _ in 0..SESSIONS {
            let request = Request::get("/").body(Bytes::new()).expect("request");
            match core.handle_http(now, request) {
                Ok(HttpReply::Respond(response)) => assert_eq!(response.status(), 302),
                other => panic!("GET / should redirect: {other:?}"),
            }
            while core.poll_output().is_some() {}
        }
        let elapsed = started.elapsed();
        let rss_after = rss_kib();
        report(
            name,
            elapsed,
            rss_after.saturating_sub(rss_before),
            core.lua_heap_bytes(),
        );
    }
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
