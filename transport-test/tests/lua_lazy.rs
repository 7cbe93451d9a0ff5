//! The parts of a session's environment made on first use (issue 16): each works the first
//! time it is reached, wherever that is (main.lua, a method the tracker calls, a timer, a
//! coroutine, a sliced step, a string method); the environment looks whole to every way of
//! looking at it; a name the script assigns first is never made; and what a part allocates is
//! the session's, as anything else.

mod common;

use std::time::Duration;

use lunette_core::Config;
use lunette_test::{Harness, site_with_main};
use serde_json::{Value, json};

use common::{batch, bind, ms, received, tab, user_batch, write};

/// `report(name, value)` sets property `name` of variable 1 to `tostring(value)`. Uses only
/// the base library and `session`, so that it is the first use of nothing else.
const PRELUDE: &str = "local app = {type = 'App'}; session:createAppVariable(app); \
    function report(name, value) \
    session:createAppVariable(session:getApp(), {[name] = tostring(value)}) end\n";

fn start_with(config: Config, body: &str) -> (Harness, String) {
    let mut h = Harness::new(site_with_main(&format!("{PRELUDE}{body}")), config, 1);
    let sid = h.create_session();
    (h, sid)
}

fn reported(body: &str, name: &str) -> String {
    let (mut h, sid) = start_with(Config::default(), body);
    h.app_property(&sid, name)
        .unwrap_or_else(|| panic!("nothing reported as {name}: {:?}", h.variables(&sid)))
}

/// What every part gives on its first use, in the order of `ALL_PARTS`.
const FIRST_USES: &str = r#"local got = {
  string.upper("a"), ("b"):upper(), math.floor(2.5), utf8.char(72),
  coroutine.wrap(function() coroutine.yield(3) end)(), type(os.time()), type(ui.log),
  type(require), type(package.loaded), unpack({5}), loadstring("return 6")(), type(print),
  type(diag), type(session.setTimeout), type(session._sessionID)
}
local out = {}
for i = 1, #got do out[i] = tostring(got[i]) end
"#;

const ALL_PARTS: &str =
    "A,B,2,H,3,number,function,function,table,5,6,function,function,function,string";

#[test]
fn every_part_works_on_its_first_use_in_main() {
    let body = format!("{FIRST_USES}report('result', table.concat(out, ','))");
    assert_eq!(reported(&body, "result"), ALL_PARTS);
}

#[test]
fn a_string_method_is_the_first_use_of_the_string_library() {
    let result = reported(
        r#"local up = ("abc"):upper()
        report("result", up .. ":" .. tostring(rawget(_G, "string") ~= nil) .. ":"
          .. tostring(getmetatable("").__index == string) .. ":" .. ("10" + 1))"#,
        "result",
    );
    assert_eq!(result, "ABC:true:true:11");
}

#[test]
fn string_arithmetic_works_before_the_string_library_is_made() {
    assert_eq!(
        reported(r#"report("result", "10" * 2 + -"1")"#, "result"),
        "19"
    );
}

#[test]
fn every_part_works_on_its_first_use_in_a_timer() {
    let (mut h, sid) = start_with(
        Config::default(),
        &format!(
            "session:setTimeout(function()\n{FIRST_USES}report('later', table.concat(out, ','))\nend, 10)"
        ),
    );
    assert_eq!(h.app_property(&sid, "later"), None);
    h.advance(ms(20));
    assert_eq!(h.app_property(&sid, "later").as_deref(), Some(ALL_PARTS));
}

#[test]
fn every_part_works_on_its_first_use_inside_a_coroutine() {
    // `coroutine` itself is the one part used outside it.
    let body = format!(
        "local co = coroutine.create(function()\n{FIRST_USES}coroutine.yield(table.concat(out, ','))\nend)\n\
         local ok, text = coroutine.resume(co)\nreport('result', tostring(ok) .. ':' .. text)"
    );
    assert_eq!(reported(&body, "result"), format!("true:{ALL_PARTS}"));
}

/// A session whose app has the method `parts()`, bound on a tab as variable 2, and the action
/// `work()` (variable 3), which loops past many slices before its first use of every part.
const TRACKED: &str = r#"
local app = {type = "App"}
function app:parts()
  return string.upper("a") .. ("b"):rep(2) .. math.max(1, 3) .. table.concat({"x", "y"})
    .. utf8.char(72) .. os.date("!%Y", 0) .. type(require)
end
function app:work()
  local x = 0
  for i = 1, 2000000 do x = x + i end
  self.done = ("z"):rep(2) .. string.format("%d", x) .. math.floor(1.5) .. table.concat({"q"})
    .. type(coroutine.wrap) .. type(ui.json_encode)
end
session:createAppVariable(app)
"#;

#[test]
fn every_part_works_on_its_first_use_in_a_method_the_tracker_calls() {
    let mut h = Harness::new(site_with_main(TRACKED), Config::default(), 1);
    let sid = h.create_session();
    let tab = tab(&mut h, &sid);
    h.send(tab, &batch(&[bind(2, 1, "parts()", "r")]));
    h.advance(ms(10));
    let got = received(&mut h, tab);
    assert_eq!(
        got[0]["data"]["value"],
        json!("Abb3xyH1970function"),
        "{got:?}"
    );
}

#[test]
fn every_part_works_on_its_first_use_in_a_sliced_step() {
    let mut h = Harness::new(site_with_main(TRACKED), Config::default(), 1);
    let sid = h.create_session();
    let tab = tab(&mut h, &sid);
    h.send(
        tab,
        &batch(&[bind(2, 1, "done", "r"), bind(3, 1, "work()", "action")]),
    );
    h.advance(ms(10));
    received(&mut h, tab);
    h.deliver(tab, &user_batch(&[write(3, Value::Null)]));
    assert_eq!(h.core().suspended_steps(), 1, "the action is suspended");
    assert!(h.finish_steps() > 5, "the action took many slices");
    let got = received(&mut h, tab);
    assert_eq!(
        got[0]["data"]["value"],
        json!("zz20000010000001qfunctionfunction"),
        "{got:?}"
    );
}

// --- the environment looks whole ---

#[test]
fn rawget_finds_a_part_never_used() {
    let result = reported(
        r#"report("result", table.concat({type(rawget(_G, "math")), type(rawget(_G, "os")),
          type(rawget(_G, "require")), type(rawget(session, "getApp")),
          tostring(rawget(_G, "math") == math), tostring(rawget(_G, "nothing"))}, ","))"#,
        "result",
    );
    assert_eq!(result, "table,table,function,function,true,nil");
}

#[test]
fn the_globals_and_session_have_no_metatable() {
    let result = reported(
        r#"report("result", tostring(getmetatable(_G)) .. "," .. tostring(getmetatable(session)))"#,
        "result",
    );
    assert_eq!(result, "nil,nil");
}

/// Every global name of a session, as `pairs` or `next` lists them.
const GLOBALS: &str = "EMPTY,_G,_VERSION,assert,collectgarbage,coroutine,diag,error,\
    getmetatable,ipairs,load,loadstring,math,next,os,package,pairs,pcall,print,rawequal,\
    rawget,rawlen,rawset,report,require,select,session,setmetatable,string,table,tonumber,\
    tostring,type,ui,unpack,utf8,xpcall";

#[test]
fn pairs_lists_every_global() {
    let result = reported(
        r#"local names = {}
        for name in pairs(_G) do names[#names + 1] = name end
        table.sort(names)
        report("result", table.concat(names, ","))"#,
        "result",
    );
    assert_eq!(result, GLOBALS);
}

#[test]
fn next_lists_every_global() {
    let result = reported(
        r#"local names, name = {}, next(_G)
        while name ~= nil do names[#names + 1] = name; name = next(_G, name) end
        table.sort(names)
        report("result", table.concat(names, ","))"#,
        "result",
    );
    assert_eq!(result, GLOBALS);
}

#[test]
fn pairs_lists_every_session_function() {
    let result = reported(
        r#"local names = {}
        for name in pairs(session) do names[#names + 1] = name end
        table.sort(names)
        report("result", table.concat(names, ",") .. ":"
          .. tostring(session.clearTimeout == session.clearInterval))"#,
        "result",
    );
    assert_eq!(
        result,
        "_sessionID,clearImmediate,clearInterval,clearTimeout,create,createAppVariable,\
         createVariable,destroyVariable,getApp,getVersion,needsMutation,newVersion,prototype,\
         reloading,removePrototype,setImmediate,setInterval,setTimeout,unloadDirectory,\
         unloadModule:true"
    );
}

#[test]
fn the_three_clear_functions_are_one_whichever_is_used_first() {
    let result = reported(
        r#"local interval = session.clearInterval
        report("result", tostring(interval == session.clearTimeout and
          interval == session.clearImmediate))"#,
        "result",
    );
    assert_eq!(result, "true");
}

// --- a name the script sets first ---

#[test]
fn a_global_assigned_before_its_first_use_stays_as_assigned() {
    let result = reported(
        r#"string = nil
        table = {mine = true}
        rawset(_G, "math", 42)
        rawset(_G, "os", 1); os = nil
        report("result", tostring(string) .. "," .. tostring(table.mine) .. "," ..
          tostring(math) .. "," .. tostring(os) .. "," .. ("x"):upper())"#,
        "result",
    );
    assert_eq!(result, "nil,true,42,nil,X");
}

#[test]
fn a_session_function_replaced_before_its_first_use_stays_replaced() {
    let result = reported(
        r#"session.setTimeout = function() return "mine" end
        report("result", session:setTimeout() .. "," .. type(session.clearTimeout))"#,
        "result",
    );
    assert_eq!(result, "mine,function");
}

#[test]
fn a_metatable_on_the_globals_keeps_every_part() {
    let result = reported(
        r#"setmetatable(_G, {__index = function(_, name) error("no global " .. name, 2) end})
        local ok = pcall(function() return undefined_name end)
        report("result", string.upper("ok") .. "," .. tostring(math.pi > 3) .. "," ..
          tostring(ok) .. "," .. tostring(getmetatable(_G) ~= nil))"#,
        "result",
    );
    assert_eq!(result, "OK,true,false,true");
}

#[test]
fn a_finalizer_is_still_refused() {
    let result = reported(
        r#"local ok, err = pcall(setmetatable, {}, {__gc = function() end})
        report("result", tostring(ok) .. ":" .. err)"#,
        "result",
    );
    assert_eq!(
        result,
        "false:setmetatable: __gc metamethods are not available"
    );
}

// --- what a part costs is the session's ---

#[test]
fn a_first_use_allocates_in_the_session_heap_during_its_call() {
    let result = reported(
        r#"local before = collectgarbage("count")
        local _ = math.pi
        report("result", tostring(collectgarbage("count") - before > 1))"#,
        "result",
    );
    assert_eq!(result, "true");
}

/// `GET /` of a site whose main.lua makes variable 1 and then runs `body`, under a
/// `--lua-memory` of `memory` bytes.
fn status_with_memory(memory: usize, body: &str) -> (u16, String) {
    let config = Config {
        lua_memory: memory,
        ..Config::default()
    };
    let main = format!("session:createAppVariable({{}})\n{body}");
    let mut h = Harness::new(site_with_main(&main), config, 1);
    let response = h.get("/");
    (
        response.status().as_u16(),
        lunette_test::body_text(&response),
    )
}

#[test]
fn a_first_use_past_the_memory_limit_fails_like_any_allocation() {
    const MEMORY: usize = 20 * 1024;
    let use_all = "local _ = {string.len, table.insert, math.pi, utf8.char, coroutine.wrap, \
                   os.time, ui.log, require, package, session.setTimeout, print}";
    assert_eq!(
        status_with_memory(MEMORY, "").0,
        302,
        "an idle session fits"
    );
    let (status, page) = status_with_memory(MEMORY, use_all);
    assert_eq!(status, 500, "{page}");
    assert!(page.contains("not enough memory"), "{page}");
    assert_eq!(status_with_memory(64 * 1024, use_all).0, 302);
}

#[test]
fn a_part_refused_for_memory_is_made_whole_by_a_later_use() {
    // The heap is filled to its limit in small steps, so the first use of math is refused;
    // once the filler is gone, the next use makes it as if for the first time.
    let (mut h, sid) = start_with(
        Config {
            lua_memory: 24 * 1024,
            ..Config::default()
        },
        r#"session:setTimeout(function()
          local filler
          local function grow() filler = {next = filler} end
          local function use_math() return math.floor(1.5) end
          while pcall(grow) do end
          local refused, why = pcall(use_math)
          filler = nil
          collectgarbage()
          report("first", tostring(refused) .. ":" .. why)
          report("second", math.floor(1.5) .. "," .. type(math.randomseed))
        end, 10)"#,
    );
    h.advance(Duration::from_millis(20));
    assert_eq!(
        h.app_property(&sid, "first").as_deref(),
        Some("false:not enough memory")
    );
    assert_eq!(
        h.app_property(&sid, "second").as_deref(),
        Some("1,function")
    );
}
