//! `lunette test`'s runner on small sites: what a failure says (expected and found, the
//! selector, the test's file and line, the HTML around, the closest candidates), what stops a
//! runaway test or app, and that two runs print the same bytes.

use lunette_core::Site;
use lunette_headless::runner::{self, Summary, TestFile};

const MAIN: &str = r#"
local app = { type = "App", name = "", items = { "apple", "banana" }, ticks = 0 }
function app:greeting() return "Hello, " .. self.name .. "!" end
function app:boom() error("the button is broken") end
function app:spin() while true do end end
function app:later()
  session:setTimeout(function() error("the timer is broken") end, 500)
end
function app:tick()
  session:setInterval(function() app.ticks = app.ticks + 1 end, 1000)
end
function app:forever()
  local function again() session:setImmediate(again) end
  again()
end
session:createAppVariable(app)
"#;

const VIEW: &str = r#"<template><div class="app">
  <input class="name" ui-value="name?keypress">
  <p class="greeting" ui-value="greeting()"></p>
  <ul class="items"><li class="item" ui-value="items.0"></li><li class="item" ui-value="items.1"></li></ul>
  <button class="boom" ui-action="boom()">Boom</button>
  <button class="spin" ui-action="spin()">Spin</button>
  <button class="later" ui-action="later()">Later</button>
  <button class="tick" ui-action="tick()">Tick</button> <span class="ticks" ui-value="ticks"></span>
  <button class="forever" ui-action="forever()">Forever</button>
</div></template>"#;

fn site() -> Site {
    Site::from_texts(&[("lua/main.lua", MAIN), ("viewdefs/App.DEFAULT.html", VIEW)])
}

/// Runs one test file on the site; the summary and everything printed.
fn run(tests: &str) -> (Summary, String) {
    let files = [TestFile {
        name: "tests/app.lua".to_owned(),
        source: tests.to_owned(),
    }];
    let mut out = Vec::new();
    let summary = runner::run(&site(), &files, None, &mut out).expect("writing to memory");
    (summary, String::from_utf8(out).expect("UTF-8 output"))
}

fn assert_contains(output: &str, wanted: &str) {
    assert!(output.contains(wanted), "expected {wanted:?} in:\n{output}");
}

#[test]
fn a_passing_test_prints_one_line_and_the_count() {
    let (summary, output) = run(r#"
test("typing greets", function()
  local tab = open()
  tab:typeKeys(".name", "Ada")
  tab:expectText(".greeting", "Hello, Ada!")
  tab:expectTexts(".item", { "apple", "banana" })
end)
"#);
    assert_eq!(
        summary,
        Summary {
            passed: 1,
            failed: 0
        }
    );
    assert_eq!(
        output,
        "PASS tests/app.lua:2 typing greets\n1 passed, 0 failed\n"
    );
}

#[test]
fn a_wrong_text_says_what_was_expected_and_found_where_with_the_html_around() {
    let (summary, output) = run(r#"
test("typing greets", function()
  local tab = open()
  tab:typeKeys(".name", "Ada")
  tab:expectText(".greeting", "Hello, Grace!")
end)
"#);
    assert_eq!(
        summary,
        Summary {
            passed: 0,
            failed: 1
        }
    );
    assert_contains(&output, "FAIL tests/app.lua:2 typing greets");
    assert_contains(
        &output,
        r#"tests/app.lua:5: tab:expectText(".greeting"): expected the text "Hello, Grace!", found "Hello, Ada!""#,
    );
    assert_contains(
        &output,
        r#"<p class="greeting" ui-value="greeting()" id="ui-2">Hello, Ada!</p>"#,
    );
    assert!(output.ends_with("0 passed, 1 failed\n"), "{output}");
}

#[test]
fn a_selector_that_matches_nothing_lists_the_closest_candidates() {
    let (_, output) = run(r#"
test("a typo in a class", function()
  local tab = open()
  tab:expectText(".items .itme", "apple")
end)
"#);
    assert_contains(
        &output,
        r#"tests/app.lua:4: tab:expectText(".items .itme"): no element matches ".items .itme"; closest: li.item"#,
    );
    // Where it looked: the part of the selector that still matched.
    assert_contains(&output, "in .items:\n    <ul class=\"items\">");
}

#[test]
fn a_lua_error_in_the_app_fails_the_test_with_the_apps_file_and_line() {
    let (summary, output) = run(r#"
test("the button", function()
  local tab = open()
  tab:click(".boom")
  tab:expectText(".greeting", "Hello, !")
end)
"#);
    assert_eq!(summary.failed, 1);
    assert_contains(
        &output,
        "tests/app.lua:5: the app failed after tab:click(\".boom\"):",
    );
    assert_contains(
        &output,
        "lua-error: lua/main.lua:4: the button is broken (on #ui-5)",
    );
}

#[test]
fn an_app_error_the_test_expects_does_not_fail_it() {
    let (summary, output) = run(r#"
test("the button fails as designed", function()
  local tab = open()
  tab:click(".boom")
  tab:expectAppError("the button is broken")
  tab:expectText(".greeting", "Hello, !")
end)
"#);
    assert_eq!(
        summary,
        Summary {
            passed: 1,
            failed: 0
        },
        "{output}"
    );
}

#[test]
fn an_error_in_a_timer_fails_the_test_at_its_end() {
    let (summary, output) = run(r#"
test("a timer breaks later", function()
  local tab = open()
  tab:click(".later")
  wait(1000)
end)
"#);
    assert_eq!(summary.failed, 1, "{output}");
    assert_contains(&output, "tests/app.lua:2: the app failed after wait(1000):");
    assert_contains(&output, "lua/main.lua:7: the timer is broken");
}

#[test]
fn an_app_that_loops_is_stopped_by_its_budget_and_fails_the_test() {
    let (summary, output) = run(r#"
test("spinning", function()
  local tab = open()
  tab:click(".spin")
  tab:expectText(".greeting", "Hello, !")
end)
"#);
    assert_eq!(summary.failed, 1, "{output}");
    assert_contains(&output, "lua-error: lua/main.lua:5:");
}

#[test]
fn a_test_that_loops_is_stopped_by_its_budget() {
    let (summary, output) = run(r#"
test("looping", function()
  local n = 0
  while true do n = n + 1 end
end)
test("the next test still runs", function() open() end)
"#);
    assert_eq!(
        summary,
        Summary {
            passed: 1,
            failed: 1
        },
        "{output}"
    );
    assert_contains(
        &output,
        "the test ran past its budget of 50000000 Lua instructions",
    );
}

#[test]
fn waiting_for_ever_on_virtual_time_is_stopped_by_a_bound() {
    let (summary, output) = run(r#"
test("waiting for a tick that never comes", function()
  local tab = open()
  while tab:text(".ticks") ~= "1" do wait(60 * 1000) end
end)
test("one huge wait", function()
  open()
  wait(math.huge)
end)
"#);
    assert_eq!(summary.failed, 2, "{output}");
    assert_contains(
        &output,
        "tests/app.lua:4: wait(60000): a test may wait at most 24 h of virtual time in all",
    );
    assert_contains(
        &output,
        "tests/app.lua:8: wait(inf): not a number of milliseconds",
    );
}

#[test]
fn timers_run_at_their_virtual_times() {
    let (summary, output) = run(r#"
test("an interval ticks once a second", function()
  local tab = open()
  tab:click(".tick")
  wait(999)
  tab:expectText(".ticks", "0")
  wait(1)
  tab:expectText(".ticks", "1")
  wait(3000)
  tab:expectText(".ticks", "4")
end)
"#);
    assert_eq!(
        summary,
        Summary {
            passed: 1,
            failed: 0
        },
        "{output}"
    );
}

#[test]
fn an_app_that_never_settles_fails_the_test() {
    let (summary, output) = run(r#"
test("setImmediate for ever", function()
  local tab = open()
  tab:click(".forever")
end)
"#);
    assert_eq!(summary.failed, 1, "{output}");
    assert_contains(&output, "the page did not settle after 10000 rounds");
}

#[test]
fn a_file_that_does_not_load_fails_once_and_the_run_goes_on() {
    let (summary, output) = run("test(\"broken\", function()\n");
    assert_eq!(
        summary,
        Summary {
            passed: 0,
            failed: 1
        }
    );
    assert_contains(&output, "FAIL tests/app.lua (loading the file)");
    assert_contains(&output, "tests/app.lua:2:");
}

#[test]
fn two_runs_print_the_same_bytes() {
    let tests = r#"
test("passes", function()
  local tab = open()
  tab:typeKeys(".name", "Ada")
  tab:expectText(".greeting", "Hello, Ada!")
end)
test("fails", function()
  local tab = open()
  tab:click(".boom")
  tab:expectText(".greeting", "nope")
end)
"#;
    let (_, first) = run(tests);
    let (_, second) = run(tests);
    assert_eq!(first, second);
}

/// The guide's example ("Testing your app"): its app and viewdef, its tests, all passing.
#[test]
fn the_guides_testing_example_passes() {
    let guide = include_str!("../../docs/guide.md");
    let section = &guide[guide.find("## 12. Testing your app").expect("the section")..];
    let block = |fence: &str| -> String {
        let start = section.find(fence).expect("the block") + fence.len();
        let end = start + section[start..].find("\n```").expect("its end");
        section[start..end].to_owned()
    };
    let main = block("```lua\n");
    let view = block("```html\n");
    let tests = block("```lua test\n");
    let site = Site::from_texts(&[
        ("lua/main.lua", main.as_str()),
        ("viewdefs/Counter.DEFAULT.html", view.as_str()),
    ]);
    let files = [TestFile {
        name: "tests/counter.lua".to_owned(),
        source: tests,
    }];
    let mut out = Vec::new();
    let summary = runner::run(&site, &files, None, &mut out).expect("writing to memory");
    let output = String::from_utf8(out).expect("UTF-8 output");
    assert_eq!(
        summary,
        Summary {
            passed: 3,
            failed: 0
        },
        "{output}"
    );
    // The output the guide shows is the output the run prints.
    let shown = block("```\n$ lunette test --dir counter\n");
    assert_eq!(output, format!("{shown}\n"));
    // So is its failure: the first test with its click left out.
    let failing = [TestFile {
        name: "tests/counter.lua".to_owned(),
        source: files[0]
            .source
            .replacen("tab:click(\".add\")", "-- (no click)", 1),
    }];
    let mut out = Vec::new();
    runner::run(&site, &failing, Some("each click"), &mut out).expect("writing to memory");
    let output = String::from_utf8(out).expect("UTF-8 output");
    let failure = block("```\nFAIL ");
    assert_eq!(output, format!("FAIL {failure}\n"));
}
