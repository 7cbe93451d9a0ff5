//! Lua work that the count hook cannot see is still bounded by the instruction budget
//! (issue 10, class 2): message handlers, finalizers of stopped coroutines, C functions that
//! loop without running instructions, and instructions that copy megabytes. Each script would
//! hold its core for minutes or for good without the bound; here it must fail within seconds.

use std::sync::mpsc;
use std::time::Duration;

use lunette_core::Config;
use lunette_test::{Harness, body_text, site_with_main};

const BUDGET: u64 = 1_000_000;

fn config() -> Config {
    Config {
        lua_budget: BUDGET,
        ..Config::default()
    }
}

/// Runs `body` on another thread with `f`, failing the test if it takes longer than `limit`.
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(f());
    });
    result
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still running after {limit:?}: {what}"))
}

/// `main` fails `GET /` with a 500 naming the budget, within seconds.
fn stopped_by_the_budget(main: &'static str) {
    let (status, body) = within(Duration::from_secs(10), main, move || {
        let mut h = Harness::new(site_with_main(main), config(), 1);
        let response = h.get("/");
        (response.status().as_u16(), body_text(&response))
    });
    assert_eq!(status, 500, "{main}: {body}");
    assert!(
        body.contains("instruction budget") || body.contains("--lua-budget"),
        "{main}: {body}"
    );
}

#[test]
fn a_looping_message_handler_of_xpcall_is_stopped() {
    stopped_by_the_budget(
        "xpcall(function() while true do end end, function() while true do end end)",
    );
    stopped_by_the_budget("xpcall(error, function() while true do end end)");
}

#[test]
fn xpcall_still_hands_ordinary_errors_to_its_handler() {
    let main = "local ok, got = xpcall(function() error('boom', 0) end, \
                function(m) return 'handled ' .. m end)\n\
                local fine, value = xpcall(function(a) return a + 1 end, print, 41)\n\
                session:createAppVariable({type = 'App'}, \
                {result = tostring(ok) .. ' ' .. got .. ' ' .. tostring(fine) .. ' ' .. value})";
    let mut h = Harness::new(site_with_main(main), config(), 1);
    let sid = h.create_session();
    assert_eq!(
        h.app_property(&sid, "result").as_deref(),
        Some("false handled boom true 42")
    );
}

#[test]
fn string_rep_of_an_empty_string_a_huge_number_of_times_is_stopped() {
    stopped_by_the_budget("string.rep('', math.maxinteger)");
    stopped_by_the_budget("string.rep('', math.maxinteger, '')");
}

#[test]
fn copying_megabytes_per_instruction_is_stopped() {
    stopped_by_the_budget("local s = string.rep('x', 1e6) while true do local t = s .. 'y' end");
    stopped_by_the_budget("local s = string.rep('x', 1e6) while true do s:upper() end");
    stopped_by_the_budget("local t = {string.rep('x', 1e5)} while true do table.concat(t) end");
    stopped_by_the_budget("local s = string.rep('x', 1e6) while true do s:format() end");
}

#[test]
fn c_functions_that_loop_without_allocating_are_stopped() {
    stopped_by_the_budget(
        "local t = {} for i = 1, 1e5 do t[i] = i end \
         while true do table.insert(t, 1, 0) table.remove(t, 1) end",
    );
    stopped_by_the_budget(
        "local t = {} for i = 1, 1e5 do t[i] = i end while true do table.move(t, 1, 1e5, 1) end",
    );
    stopped_by_the_budget("local s = string.rep('x', 4e6) while true do utf8.len(s) end");
    stopped_by_the_budget(
        "local t = {} for i = 1, 1e5 do t[i] = i end while true do table.unpack(t) end",
    );
    stopped_by_the_budget(
        "local t = {} for i = 1, 1e5 do t[i] = i end while true do collectgarbage() end",
    );
}

#[test]
fn a_coroutine_stopped_by_the_budget_never_runs_its_close_handlers_unbounded() {
    // A coroutine killed by the budget's error keeps hooks off; coroutine.wrap closes it at
    // once, and coroutine.close may close it in a later call with a fresh budget.
    stopped_by_the_budget(
        "coroutine.wrap(function() \
           local x <close> = setmetatable({}, {__close = function() while true do end end}) \
           while true do end end)()",
    );
    let main = "co = coroutine.create(function() \
                  local x <close> = setmetatable({}, {__close = function() while true do end end}) \
                  while true do end end)\n\
                session:setTimeout(function() coroutine.resume(co) end, 10)\n\
                session:setTimeout(function() \
                  local ok, why = coroutine.close(co) \
                  session:createAppVariable(session:getApp(), {closed = tostring(ok) .. ': ' .. why}) \
                end, 20)\n\
                session:createAppVariable({type = 'App'})";
    let closed = within(Duration::from_secs(10), main, move || {
        let mut h = Harness::new(site_with_main(main), config(), 1);
        let sid = h.create_session();
        h.advance(Duration::from_millis(30));
        h.app_property(&sid, "closed")
    });
    assert_eq!(
        closed.as_deref(),
        Some("false: the coroutine was stopped by the instruction budget")
    );
}

#[test]
fn ordinary_coroutines_still_close_and_wrap() {
    let main = "local log = {}\n\
                local co = coroutine.create(function() \
                  local x <close> = setmetatable({}, {__close = function() log[#log + 1] = 'closed' end}) \
                  coroutine.yield(1) end)\n\
                coroutine.resume(co)\n\
                local closed = coroutine.close(co)\n\
                log[#log + 1] = tostring(closed)\n\
                local gen = coroutine.wrap(function() coroutine.yield('a') coroutine.yield('b') end)\n\
                log[#log + 1] = gen() .. gen()\n\
                local ok, why = pcall(coroutine.wrap(function() error('inside') end))\n\
                log[#log + 1] = tostring(ok) .. ' ' .. why\n\
                session:createAppVariable({type = 'App'}, {result = table.concat(log, ',')})";
    let mut h = Harness::new(site_with_main(main), config(), 1);
    let sid = h.create_session();
    assert_eq!(
        h.app_property(&sid, "result").as_deref(),
        Some("closed,true,ab,false lua/main.lua:8: inside")
    );
}

#[test]
fn protected_calls_keep_lua_semantics() {
    // A coroutine may yield inside pcall and xpcall (their C versions continue after a
    // yield); errors a Rust function raised come back as messages; xpcall checks its handler.
    let main = "local log = {}\n\
                local co = coroutine.wrap(function() \
                  local a = {pcall(function() return coroutine.yield('p') end)} \
                  local b = {xpcall(function() return coroutine.yield('x') end, print)} \
                  return tostring(a[1]) .. a[2] .. tostring(b[1]) .. b[2] end)\n\
                log[#log + 1] = co() .. co('one')\n\
                log[#log + 1] = co('two')\n\
                local ok, why = pcall(session.createVariable, session, 'x')\n\
                log[#log + 1] = tostring(ok) .. ' ' .. type(why)\n\
                log[#log + 1] = select(2, pcall(xpcall, print, 42))\n\
                log[#log + 1] = select(2, xpcall(error, function(m) return 'got ' .. m end, 'e', 0))\n\
                log[#log + 1] = table.concat({pcall(function(...) return ... end, 1, 2, 3)}, ' ', 2)\n\
                session:createAppVariable({type = 'App'}, {result = table.concat(log, ',')})";
    let mut h = Harness::new(site_with_main(main), config(), 1);
    let sid = h.create_session();
    assert_eq!(
        h.app_property(&sid, "result").as_deref(),
        Some(
            "px,trueonetruetwo,false string,\
             bad argument #2 to 'xpcall' (function expected, got number),got e,1 2 3"
        )
    );
}

#[test]
fn close_handlers_of_code_the_budget_stopped_are_bounded() {
    // The budget's error must not run pending __close handlers where hooks are off.
    stopped_by_the_budget(
        "local x <close> = setmetatable({}, {__close = function() while true do end end}) \
         while true do end",
    );
    stopped_by_the_budget(
        "pcall(function() \
           local x <close> = setmetatable({}, {__close = function() while true do end end}) \
           while true do end end)",
    );
    stopped_by_the_budget(
        "local co = coroutine.create(function() \
           local x <close> = setmetatable({}, {__close = function() while true do end end}) \
           while true do end end) \
         coroutine.resume(co)",
    );
}

#[test]
fn a_raised_alarm_stops_work_the_budget_cannot_see() {
    // Comparing two equal 20 MB strings is one instruction that reads 40 MB; a loop of them
    // would take hours within the budget. The transport's watchdog raises the alarm instead.
    let main = "local a, b = string.rep('x', 2e7), string.rep('x', 2e7)\n\
                while true do local _ = a == b end";
    let config = Config::default();
    let alarm = config.alarm.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        alarm.raise();
    });
    let (status, body) = within(Duration::from_secs(20), main, move || {
        let mut h = Harness::new(site_with_main(main), config, 1);
        let response = h.get("/");
        (response.status().as_u16(), body_text(&response))
    });
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("--step-timeout"), "{body}");
}

#[test]
fn long_formats_are_charged_by_their_length() {
    stopped_by_the_budget("local f = string.rep('i', 4e6) while true do string.packsize(f) end");
    stopped_by_the_budget("local f = string.rep('%%', 4e6) while true do os.date(f) end");
}

#[test]
fn charged_functions_keep_their_argument_errors_and_name_the_caller_s_line() {
    let main = "local function err(f) local ok, e = pcall(f) return e end\n\
                local a = err(function() local x = table.insert(nil, 1, 2) return x end)\n\
                local b = err(function() local x = string.rep() return x end)\n\
                local c = err(function() local x = ('x'):rep(-1, {}) return x end)\n\
                session:createAppVariable({type = 'App'}, {result = table.concat({a, b, c}, '|')})";
    let mut h = Harness::new(site_with_main(main), Config::default(), 1);
    let sid = h.create_session();
    let result = h.app_property(&sid, "result").expect("a result");
    let parts: Vec<&str> = result.split('|').collect();
    assert_eq!(
        parts,
        [
            "lua/main.lua:2: bad argument #1 to 'insert' (table expected, got nil)",
            "lua/main.lua:3: bad argument #1 to 'rep' (string expected, got no value)",
            "lua/main.lua:4: bad argument #2 to 'rep' (string expected, got table)",
        ],
        "{result}"
    );
    let main = "local x = 1\nlocal s = string.rep('', math.maxinteger)";
    let mut h = Harness::new(site_with_main(main), Config::default(), 1);
    let page = body_text(&h.get("/"));
    assert!(
        page.contains("lua/main.lua:2: instruction budget exceeded"),
        "{page}"
    );
}
