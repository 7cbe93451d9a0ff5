//! The instruction budget and the memory limit: a runaway main.lua gets a 500 naming the limit,
//! a runaway timer fails only its own callback (docs/protocol.md §7.1).

mod common;

use std::time::{Duration, Instant};

use common::lua_sandbox::*;
use lunette_core::Config;
use lunette_test::{Harness, body_text, site_with_main};

// --- §7.1: the instruction budget ---

#[test]
fn endless_loop_in_main_gives_500_naming_the_budget_quickly() {
    let started = Instant::now();
    let (status, body) = get_root_within(
        Duration::from_secs(20),
        budget_config(),
        "while true do end",
    );
    assert_eq!(status, 500);
    assert!(body.contains("instruction budget"), "{body}");
    assert!(body.contains("lua/main.lua"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn endless_loop_under_pcall_still_gives_500() {
    for main in [
        "while true do pcall(function() while true do end end) end",
        "while true do xpcall(function() while true do end end, function(e) return e end) end",
    ] {
        let (status, body) = get_root_within(Duration::from_secs(20), budget_config(), main);
        assert_eq!(status, 500, "{main}");
        assert!(body.contains("instruction budget"), "{main}: {body}");
    }
}

#[test]
fn endless_loop_in_a_coroutine_gives_500() {
    for main in [
        "local co = coroutine.create(function() while true do end end)\n\
         while true do coroutine.resume(co) end",
        "coroutine.wrap(function() while true do end end)()",
        "while true do pcall(coroutine.wrap(function() while true do end end)) end",
    ] {
        let (status, body) = get_root_within(Duration::from_secs(20), budget_config(), main);
        assert_eq!(status, 500, "{main}");
        assert!(body.contains("instruction budget"), "{main}: {body}");
    }
}

#[test]
fn endless_loop_in_a_finalizer_cannot_hang_the_core() {
    // Lua runs __gc metamethods with hooks off, where no instruction budget can stop them.
    let (status, body) = get_root_within(
        Duration::from_secs(20),
        budget_config(),
        "setmetatable({}, {__gc = function() while true do end end})\n\
         collectgarbage()\n\
         session:createAppVariable({})",
    );
    assert_eq!(status, 500, "{body}");
}

#[test]
fn a_main_that_spun_does_not_stop_the_next_sessions() {
    let config = budget_config();
    let spin_at = epoch_seconds(&config) + 60;
    let mut h = Harness::new(
        site_with_main(&format!(
            "if os.time() == {spin_at} then while true do end end\n\
             session:createAppVariable({{type = 'App'}})"
        )),
        config,
        1,
    );
    let before = h.create_session();
    h.advance(Duration::from_secs(60));
    let response = h.get("/");
    assert_eq!(response.status(), 500);
    assert!(body_text(&response).contains("instruction budget"));
    h.advance(Duration::from_secs(1));
    let after = h.create_session();
    assert_eq!(h.core().session_count(), 2);
    for sid in [before, after] {
        assert_eq!(h.get(&format!("/{sid}")).status(), 200);
    }
}

/// Every session ticks a counter every 100 ms; the sessions made at the very start also run
/// `extra` every 100 ms.
fn ticking_main(config: &Config, extra: &str) -> String {
    format!(
        "{PRELUDE}local ticks = 0\n\
         session:setInterval(function() ticks = ticks + 1; report('ticks', ticks) end, 100)\n\
         if os.time() == {} then session:setInterval(function() {extra} end, 100) end\n",
        epoch_seconds(config)
    )
}

#[test]
fn a_runaway_timer_fails_only_its_own_callback() {
    let config = budget_config();
    let main = ticking_main(&config, "while true do end");
    let mut h = Harness::new(site_with_main(&main), config, 1);
    let spinner = h.create_session();
    h.advance(Duration::from_secs(1));
    let calm = h.create_session();
    h.advance(Duration::from_secs(1));

    assert_eq!(h.app_property(&spinner, "ticks").as_deref(), Some("20"));
    assert_eq!(h.app_property(&calm, "ticks").as_deref(), Some("10"));
    let failures = logs_of(&h, &spinner);
    assert_eq!(
        failures
            .iter()
            .filter(|m| m.contains("instruction budget"))
            .count(),
        20,
        "{failures:?}"
    );
    assert!(logs_of(&h, &calm).iter().all(|m| !m.contains("budget")));
}

// --- §7.1: the memory limit ---

#[test]
fn a_huge_string_in_main_gives_500_naming_memory() {
    let (status, body) = get_root_within(
        Duration::from_secs(20),
        memory_config(),
        r#"local s = string.rep("x", 1e9) session:createAppVariable({})"#,
    );
    assert_eq!(status, 500);
    assert!(body.contains("memory"), "{body}");
}

#[test]
fn a_growing_table_in_main_gives_500_naming_memory() {
    let (status, body) = get_root_within(
        Duration::from_secs(20),
        memory_config(),
        "local t = {} for i = 1, 1e9 do t[i] = i end session:createAppVariable({})",
    );
    assert_eq!(status, 500);
    assert!(body.contains("memory"), "{body}");
}

#[test]
fn a_timer_past_the_memory_limit_fails_only_that_callback() {
    let config = memory_config();
    let main = format!(
        "{}session:setTimeout(function() report('after', #string.rep('x', 2^20)) end, 1500)\n",
        ticking_main(&config, "local t = {} for i = 1, 1e9 do t[i] = i end")
    );
    let mut h = Harness::new(site_with_main(&main), config, 1);
    let hungry = h.create_session();
    h.advance(Duration::from_secs(1));
    let other = h.create_session();
    h.advance(Duration::from_secs(1));

    let failures = logs_of(&h, &hungry);
    assert_eq!(
        failures.iter().filter(|m| m.contains("memory")).count(),
        20,
        "{failures:?}"
    );
    assert_eq!(h.app_property(&hungry, "ticks").as_deref(), Some("20"));
    assert_eq!(h.app_property(&hungry, "after").as_deref(), Some("1048576"));
    assert_eq!(h.app_property(&other, "ticks").as_deref(), Some("10"));
    assert!(logs_of(&h, &other).iter().all(|m| !m.contains("memory")));
}
