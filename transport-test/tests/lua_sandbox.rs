//! The Lua environment of a session (docs/protocol.md §7.1–§7.3, §7.7): what the sandbox leaves
//! out, time, `math.random`, the instruction budget, the memory limit, `createAppVariable`,
//! timers and logging. What Lua computes is observed through the properties of variable 1.

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lunette_core::{Config, LogRecord};
use lunette_test::{Harness, body_text, site_with_main};

/// One line, so that the test's own code starts at line 2 of `lua/main.lua`. `report(name,
/// value)` sets property `name` of variable 1 to `tostring(value)`, keeping its value.
const PRELUDE: &str = "local app = {type = 'App'}; session:createAppVariable(app); \
    function report(name, value) \
    session:createAppVariable(session:getApp(), {[name] = tostring(value)}) end\n";

/// A small budget keeps the runaway-loop tests fast.
const SMALL_BUDGET: u64 = 1_000_000;
const SMALL_HEAP: usize = 8 * 1024 * 1024;

fn epoch_seconds(config: &Config) -> u64 {
    config
        .epoch
        .duration_since(UNIX_EPOCH)
        .expect("the epoch is after 1970")
        .as_secs()
}

/// A harness whose main.lua is `PRELUDE` + `body`, and the session it made.
fn start_with(config: Config, seed: u64, body: &str) -> (Harness, String) {
    let mut h = Harness::new(site_with_main(&format!("{PRELUDE}{body}")), config, seed);
    let sid = h.create_session();
    (h, sid)
}

fn start(body: &str) -> (Harness, String) {
    start_with(Config::default(), 1, body)
}

/// Runs `body` as main.lua and returns what it reported as `result`.
fn result_of(body: &str) -> String {
    let (mut h, sid) = start(body);
    h.app_property(&sid, "result")
        .unwrap_or_else(|| panic!("main.lua reported no result: {:?}", h.variables(&sid)))
}

fn budget_config() -> Config {
    Config {
        lua_budget: SMALL_BUDGET,
        ..Config::default()
    }
}

fn memory_config() -> Config {
    Config {
        lua_memory: SMALL_HEAP,
        ..Config::default()
    }
}

/// Log messages about session `sid`.
fn logs_of(h: &Harness, sid: &str) -> Vec<String> {
    h.logs()
        .iter()
        .filter(|record| tagged(record, sid))
        .map(|record| record.message.clone())
        .collect()
}

fn tagged(record: &LogRecord, sid: &str) -> bool {
    record
        .session
        .is_some_and(|session| session.to_string() == sid)
}

/// `GET /` of a one-file site on a fresh harness, on another thread so that a VM that escapes
/// its budget fails the test instead of hanging the suite.
fn get_root_within(limit: Duration, config: Config, main: &'static str) -> (u16, String) {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let mut h = Harness::new(site_with_main(main), config, 1);
        let response = h.get("/");
        let _ = done.send((response.status().as_u16(), body_text(&response)));
    });
    result
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("GET / did not answer within {limit:?}: {main}"))
}

// --- §7.1: what the sandbox leaves out ---

#[test]
fn io_debug_dofile_loadfile_and_string_dump_are_absent() {
    let absent = result_of(
        r#"report("result", table.concat({type(io), type(debug), type(dofile), type(loadfile),
            type(string.dump), type(("").dump), type(warn)}, ","))"#,
    );
    assert_eq!(absent, "nil,nil,nil,nil,nil,nil,nil");
}

#[test]
fn package_has_no_loadlib_and_no_native_searchers() {
    // `require` reads only the site's `lua/` (§7.4): `package` holds `loaded` and nothing that
    // could reach a C library (`loadlib`, `cpath`, `searchers`, `searchpath`, `preload`).
    let result = result_of(
        r#"local names = {}
        for name in pairs(package) do names[#names + 1] = name end
        table.sort(names)
        report("result", type(package) .. ":" .. table.concat(names, ","))"#,
    );
    assert_eq!(result, "table:loaded");
}

/// Real Lua 5.4 bytecode of `source`, as the text of a Lua string literal.
fn bytecode_literal(source: &str) -> String {
    let lua = mlua::Lua::new();
    let function = lua
        .load(source)
        .into_function()
        .expect("test source compiles");
    let bytes = function.dump(true);
    let escaped: String = bytes.iter().map(|byte| format!("\\{byte}")).collect();
    format!("\"{escaped}\"")
}

#[test]
fn load_refuses_binary_chunks_in_every_mode() {
    let chunk = bytecode_literal("return 42");
    let result = result_of(&format!(
        r#"local chunk = {chunk}
        local refused = {{}}
        local function refuses(f, err)
          return tostring(f == nil and type(err) == "string" and err:find("binary") ~= nil)
        end
        for _, mode in ipairs({{"b", "bt", "t"}}) do
          refused[#refused + 1] = refuses(load(chunk, "=chunk", mode))
        end
        refused[#refused + 1] = refuses(load(chunk))
        refused[#refused + 1] = refuses(load(chunk, "=chunk", "b", {{}}))
        refused[#refused + 1] = refuses(loadstring(chunk))
        local pieces = {{chunk}}
        refused[#refused + 1] = refuses(load(function() return table.remove(pieces, 1) end))
        report("result", table.concat(refused, ","))"#
    ));
    assert_eq!(result, "true,true,true,true,true,true,true");
}

#[test]
fn load_runs_text_chunks_with_an_environment() {
    let result = result_of(
        r#"local sum = load("return 1 + 2")()
        local x = load("return x", "=env", "t", {x = 40})()
        report("result", sum + x)"#,
    );
    assert_eq!(result, "43");
}

#[test]
fn unpack_and_loadstring_shims_work() {
    let result = result_of(
        r#"local a, b, c = unpack({1, 2, 3})
        local twice = loadstring("return 2 * ...")
        report("result", a + b + c + twice(10))"#,
    );
    assert_eq!(result, "26");
}

#[test]
fn collectgarbage_allows_count_but_not_stop() {
    let result = result_of(
        r#"local kb = collectgarbage("count")
        collectgarbage("collect"); collectgarbage("step"); collectgarbage()
        local running = collectgarbage("isrunning")
        local ok, err = pcall(collectgarbage, "stop")
        local still = collectgarbage("isrunning")
        report("result", table.concat({type(kb), tostring(kb > 0), tostring(running),
            tostring(ok), tostring(type(err) == "string"), tostring(still)}, ","))"#,
    );
    assert_eq!(result, "number,true,true,false,true,true");
}

#[test]
fn set_metatable_still_works_for_ordinary_metatables() {
    let result = result_of(
        r#"local t = setmetatable({}, {__index = function(_, k) return k .. "!" end})
        report("result", t.hi)"#,
    );
    assert_eq!(result, "hi!");
}

// --- §7.1: time follows the server's clock ---

#[test]
fn os_time_is_the_epoch_plus_virtual_time() {
    let epoch = epoch_seconds(&Config::default());
    let (mut h, sid) = start(
        r#"report("at_start", os.time())
        session:setTimeout(function() report("later", os.time()) end, 90000)"#,
    );
    assert_eq!(h.app_property(&sid, "at_start"), Some(epoch.to_string()));
    h.advance(Duration::from_secs(90));
    assert_eq!(
        h.app_property(&sid, "later"),
        Some((epoch + 90).to_string())
    );
}

#[test]
fn os_clock_counts_from_session_creation() {
    let mut h = Harness::new(
        site_with_main(&format!(
            "{PRELUDE}report('at_start', os.clock())\n\
             session:setTimeout(function() report('later', os.clock()) end, 2500)"
        )),
        Config::default(),
        1,
    );
    h.advance(Duration::from_secs(30));
    let sid = h.create_session();
    assert_eq!(h.app_property(&sid, "at_start").as_deref(), Some("0.0"));
    h.advance(Duration::from_millis(2500));
    assert_eq!(h.app_property(&sid, "later").as_deref(), Some("2.5"));
}

#[test]
fn os_date_is_utc_server_time() {
    let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800 + 5 * 3600 + 7);
    let (mut h, sid) = start_with(
        Config {
            epoch,
            unclaimed_timeout: None,
            ..Config::default()
        },
        1,
        r#"report("unix_zero", os.date("!%Y-%m-%d", 0))
        report("now", os.date("%Y-%m-%d %H:%M:%S"))
        report("bang", os.date("!%H:%M"))
        report("year", os.date("*t").year)
        session:setTimeout(function() report("tomorrow", os.date("%Y-%m-%d")) end, 86400000)"#,
    );
    assert_eq!(
        h.app_property(&sid, "unix_zero").as_deref(),
        Some("1970-01-01")
    );
    assert_eq!(
        h.app_property(&sid, "now").as_deref(),
        Some("2000-01-01 05:00:07")
    );
    assert_eq!(h.app_property(&sid, "bang").as_deref(), Some("05:00"));
    assert_eq!(h.app_property(&sid, "year").as_deref(), Some("2000"));
    h.advance(Duration::from_secs(86_400));
    assert_eq!(
        h.app_property(&sid, "tomorrow").as_deref(),
        Some("2000-01-02")
    );
}

#[test]
fn os_date_follows_the_default_epoch() {
    assert_eq!(
        epoch_seconds(&Config::default()),
        1_767_225_600,
        "the default epoch is 2026-01-01T00:00:00Z"
    );
    let result = result_of(r#"report("result", os.date("%Y-%m-%d %H:%M"))"#);
    assert_eq!(result, "2026-01-01 00:00");
}

#[test]
fn os_time_of_a_date_table_reads_it_as_utc() {
    assert_eq!(
        result_of(r#"report("result", os.time{year=2000, month=1, day=1, hour=0})"#),
        "946684800"
    );
    assert_eq!(
        result_of(r#"report("result", os.time{year=2026, month=1, day=1, hour=0, min=0, sec=0})"#),
        "1767225600"
    );
}

#[test]
fn os_holds_only_time_clock_date_and_difftime() {
    let result = result_of(
        r#"local names = {}
        for name in pairs(os) do names[#names + 1] = name end
        table.sort(names)
        report("result", table.concat(names, ","))"#,
    );
    assert_eq!(result, "clock,date,difftime,time");
    let gone = result_of(
        r#"report("result", table.concat({type(os.exit), type(os.getenv), type(os.execute),
            type(os.remove), type(os.rename), type(os.tmpname), type(os.setlocale)}, ","))"#,
    );
    assert_eq!(gone, "nil,nil,nil,nil,nil,nil,nil");
}

// --- §7.1: math.random, seeded per session ---

const RANDOM_SEQUENCE: &str = r#"local draws = {}
    for i = 1, 8 do draws[i] = math.random(1, 1000000) end
    report("result", table.concat(draws, ","))"#;

#[test]
fn math_random_repeats_for_the_same_id_source_seed() {
    let sequence = |seed| {
        let (mut h, sid) = start_with(Config::default(), seed, RANDOM_SEQUENCE);
        h.app_property(&sid, "result").expect("reported")
    };
    assert_eq!(sequence(42), sequence(42));
    assert_ne!(sequence(42), sequence(43));
}

#[test]
fn math_random_differs_between_sessions_of_one_core() {
    let (mut h, first) = start(RANDOM_SEQUENCE);
    let second = h.create_session();
    assert_ne!(
        h.app_property(&first, "result"),
        h.app_property(&second, "result")
    );
}

/// `draw()` appends a number to the `draws` property; `reseed()` calls `math.randomseed(7)`.
const DRAW_AND_RESEED: &str = r#"local draws = {}
    function app:draw()
      draws[#draws + 1] = math.random(1, 1000000)
      report("draws", table.concat(draws, ","))
    end
    function app:reseed() math.randomseed(7) end"#;

/// A tab on `sid` with the actions `draw()` (variable 2) and `reseed()` (variable 3).
fn tab_with_actions(h: &mut Harness, sid: &str) -> lunette_core::ConnId {
    let tab = h.connect(sid);
    h.send(
        tab,
        r#"{"messages":[
          {"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"draw()","access":"action"}}},
          {"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"reseed()","access":"action"}}}]}"#,
    );
    tab
}

/// Clicks the action bound as `var_id` on `tab`.
fn click(h: &mut Harness, tab: lunette_core::ConnId, var_id: i64) {
    h.send(
        tab,
        &format!(r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":{var_id},"value":null}}}}]}}"#),
    );
}

#[test]
fn math_randomseed_reseeds_only_its_own_session() {
    const DRAW: i64 = 2;
    const RESEED: i64 = 3;
    // Session `mine` draws three numbers; between its draws, `other` reseeds (or not).
    let draws_of_mine = |other_reseeds: bool| {
        let (mut h, mine) = start(DRAW_AND_RESEED);
        let other = h.create_session();
        let (my_tab, other_tab) = (
            tab_with_actions(&mut h, &mine),
            tab_with_actions(&mut h, &other),
        );
        for _ in 0..3 {
            click(&mut h, my_tab, DRAW);
            if other_reseeds {
                click(&mut h, other_tab, RESEED);
            }
        }
        // The reseed works where it was called: the same seed, the same next number.
        click(&mut h, other_tab, RESEED);
        click(&mut h, other_tab, DRAW);
        click(&mut h, other_tab, RESEED);
        click(&mut h, other_tab, DRAW);
        let others = h.app_property(&other, "draws").expect("other drew");
        let (first, second) = others.split_once(',').expect("two draws");
        assert_eq!(
            first, second,
            "math.randomseed(7) twice gives the same number twice"
        );
        h.app_property(&mine, "draws").expect("mine drew")
    };
    assert_eq!(
        draws_of_mine(true),
        draws_of_mine(false),
        "another session's math.randomseed changed what this one draws"
    );
}

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

// --- §7.2: createAppVariable ---

#[test]
fn create_app_variable_returns_1() {
    let result = result_of(r#"report("result", session:createAppVariable(app))"#);
    assert_eq!(result, "1");
}

#[test]
fn a_second_create_app_variable_replaces_the_value() {
    let (mut h, sid) = start(
        r#"local second = {type = "Second"}
        session:createAppVariable(second)
        report("same", session:getApp() == second)"#,
    );
    let variables = h.variables(&sid);
    assert_eq!(variables.as_array().map(Vec::len), Some(1));
    assert_eq!(variables[0]["type"], "Second");
    assert_eq!(h.app_property(&sid, "same").as_deref(), Some("true"));
}

#[test]
fn create_app_variable_from_a_timer_replaces_the_value_later() {
    let (mut h, sid) = start(
        r#"session:setTimeout(function() session:createAppVariable({type = "Later"}) end, 10)"#,
    );
    assert_eq!(h.variables(&sid)[0]["type"], "App");
    h.advance(Duration::from_millis(10));
    assert_eq!(h.variables(&sid)[0]["type"], "Later");
}

#[test]
fn create_app_variable_refuses_a_non_table() {
    let result = result_of(
        r#"local ok, err = pcall(session.createAppVariable, session, 42)
        report("result", tostring(ok) .. " " .. tostring(err))"#,
    );
    assert!(result.starts_with("false "), "{result}");
    assert!(result.contains("table"), "{result}");
}

// --- §7.7: timers ---

/// Timer callbacks append `tag@ms` (ms since session creation) to the `order` property.
const MARK: &str = r#"local order = {}
    local function mark(tag)
      order[#order + 1] = tag .. "@" .. math.floor(os.clock() * 1000 + 0.5)
      report("order", table.concat(order, ","))
    end
"#;

fn order(h: &mut Harness, sid: &str) -> String {
    h.app_property(sid, "order").unwrap_or_default()
}

#[test]
fn timers_fire_at_their_simulated_times_in_handle_order() {
    let (mut h, sid) = start(&format!(
        r#"{MARK}
        session:setTimeout(function() mark("a") end, 20)
        session:setTimeout(function() mark("b") end, 10)
        session:setTimeout(function() mark("c") end, 10)
        session:setImmediate(function() mark("i") end)
        session:setTimeout(function() mark("z") end, -5)"#
    ));
    assert_eq!(order(&mut h, &sid), "");
    h.advance(Duration::ZERO);
    assert_eq!(order(&mut h, &sid), "i@0,z@0");
    h.advance(Duration::from_millis(9));
    assert_eq!(order(&mut h, &sid), "i@0,z@0");
    h.advance(Duration::from_millis(1));
    assert_eq!(order(&mut h, &sid), "i@0,z@0,b@10,c@10");
    h.advance(Duration::from_secs(1));
    assert_eq!(order(&mut h, &sid), "i@0,z@0,b@10,c@10,a@20");
}

#[test]
fn timer_handles_count_from_1_per_session() {
    let (mut h, first) = start(
        r#"local handles = {session:setTimeout(function() end, 10), session:setImmediate(function() end),
            session:setInterval(function() end, 10)}
        report("result", table.concat(handles, ","))"#,
    );
    let second = h.create_session();
    assert_eq!(h.app_property(&first, "result").as_deref(), Some("1,2,3"));
    assert_eq!(h.app_property(&second, "result").as_deref(), Some("1,2,3"));
}

#[test]
fn clear_cancels_pending_timers_and_ignores_unknown_handles() {
    let (mut h, sid) = start(&format!(
        r#"{MARK}
        local gone = session:setTimeout(function() mark("gone") end, 10)
        session:clearTimeout(gone)
        local immediate = session:setImmediate(function() mark("immediate") end)
        session:clearImmediate(immediate)
        local late = session:setTimeout(function() mark("late") end, 50)
        session:setTimeout(function() mark("clearer"); session:clearTimeout(late) end, 20)
        session:clearTimeout(999); session:clearInterval(-1); session:clearTimeout("x")
        session:setTimeout(function() mark("kept") end, 30)"#
    ));
    h.advance(Duration::from_secs(1));
    assert_eq!(order(&mut h, &sid), "clearer@20,kept@30");
}

#[test]
fn an_interval_repeats_until_cleared_from_its_own_callback() {
    let (mut h, sid) = start(&format!(
        r#"{MARK}
        local runs, handle = 0, nil
        handle = session:setInterval(function()
          runs = runs + 1
          mark("t")
          if runs == 3 then session:clearInterval(handle) end
        end, 100)"#
    ));
    h.advance(Duration::from_millis(250));
    assert_eq!(order(&mut h, &sid), "t@100,t@200");
    h.advance(Duration::from_secs(2));
    assert_eq!(order(&mut h, &sid), "t@100,t@200,t@300");
}

#[test]
fn a_failing_callback_is_only_logged_with_sid_file_and_line() {
    let main = format!(
        r#"{MARK}
        session:setTimeout(function() error("tick failed") end, 10)
        session:setTimeout(function() mark("next") end, 10)"#
    );
    let line = format!("{PRELUDE}{main}")
        .lines()
        .position(|l| l.contains("tick failed"))
        .expect("the line exists")
        + 1;
    let (mut h, sid) = start(&main);
    h.advance(Duration::from_millis(10));

    let failure = format!("lua/main.lua:{line}: tick failed");
    let records: Vec<_> = h
        .logs()
        .iter()
        .filter(|r| r.message.contains(&failure))
        .collect();
    assert_eq!(records.len(), 1, "{:?}", h.logs());
    assert!(tagged(records[0], &sid), "{:?}", records[0]);
    assert_eq!(order(&mut h, &sid), "next@10");
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
}

#[test]
fn timer_functions_require_a_function() {
    let result = result_of(
        r#"local results = {}
        for _, call in ipairs({
          function() return session:setTimeout("nope", 10) end,
          function() return session:setInterval(nil, 10) end,
          function() return session:setImmediate({}) end,
        }) do
          local ok, err = pcall(call)
          results[#results + 1] = tostring(not ok and tostring(err):find("function") ~= nil)
        end
        report("result", table.concat(results, ","))"#,
    );
    assert_eq!(result, "true,true,true");
}

// --- §7.1, §7.3: logging ---

#[test]
fn print_logs_tab_joined_values_tagged_with_the_sid() {
    let (mut h, sid) = start(
        r#"print("a", 1, nil)
        session:setTimeout(function() print("from", "timer") end, 10)"#,
    );
    h.advance(Duration::from_millis(10));
    let logs = logs_of(&h, &sid);
    assert!(logs.iter().any(|m| m == "a\t1\tnil"), "{logs:?}");
    assert!(logs.iter().any(|m| m == "from\ttimer"), "{logs:?}");
}

#[test]
fn print_and_ui_log_write_values_as_lua_tostring_does() {
    let (mut h, sid) = start(
        r#"local named = setmetatable({}, {__tostring = function() return "named!" end})
        local values = {1.0, 1/3, 2^63, -0.0, 1e100, 7, true, named}
        local expected = {}
        for i = 1, #values do expected[i] = tostring(values[i]) end
        report("printed", table.concat(expected, "\t"))
        report("logged", tostring(1.0))
        print(table.unpack(values))
        ui.log(1.0)"#,
    );
    let printed = h.app_property(&sid, "printed").expect("reported");
    let logged = h.app_property(&sid, "logged").expect("reported");
    assert_eq!(
        printed,
        "1.0\t0.33333333333333\t9.2233720368548e+18\t-0.0\t1e+100\t7\ttrue\tnamed!"
    );
    let logs = logs_of(&h, &sid);
    assert!(logs.contains(&printed), "{logs:?}");
    assert!(logs.contains(&logged), "{logs:?}");
}

#[test]
fn print_of_bytes_that_are_not_utf8_does_not_raise() {
    let (mut h, sid) = start(r#"print("caf\233"); report("result", "survived")"#);
    assert_eq!(h.app_property(&sid, "result").as_deref(), Some("survived"));
    assert!(logs_of(&h, &sid).iter().any(|m| m.starts_with("caf")));
}

#[test]
fn ui_log_logs_the_message_tagged_with_the_sid() {
    let (h, sid) = start(r#"ui.log("x"); ui.log(2, "detail")"#);
    let logs = logs_of(&h, &sid);
    assert!(logs.iter().any(|m| m == "x"), "{logs:?}");
    assert!(logs.iter().any(|m| m == "detail"), "{logs:?}");
}

#[test]
fn print_ignores_a_replaced_global_tostring() {
    let (h, sid) = start(r#"tostring = function() return "hijacked" end; print("plain", 2)"#);
    let logs = logs_of(&h, &sid);
    assert!(logs.iter().any(|m| m == "plain\t2"), "{logs:?}");
}

// --- §7.2: the deprecated version counter ---

#[test]
fn the_deprecated_version_counter_counts_and_compares_with_mutation_versions() {
    let result = result_of(
        r#"local t = {}
        local before = { session:getVersion(), session:needsMutation(t) }
        local new = session:newVersion()
        t._mutationVersion = new
        local after = { session:getVersion(), session:needsMutation(t) }
        session:newVersion()
        report("result", table.concat({ tostring(before[1]), tostring(before[2]), tostring(new),
          tostring(after[1]), tostring(after[2]), tostring(session:needsMutation(t)) }, ","))"#,
    );
    assert_eq!(result, "0,true,1,1,false,true");
}
