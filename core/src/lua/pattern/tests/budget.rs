//! The pattern functions in a session-like VM: they pay out of the instruction budget, raise
//! its error like the hook does (uncatchable by `pcall`), and keep within the heap limit.

use super::{Vms, sandboxed};

const SMALL_BUDGET: u64 = 1_000_000;

/// `("a"):rep(40):find(("a*"):rep(40) .. "b")`: about 2^40 steps in Lua's C matcher.
const PATHOLOGICAL: &str = r#"("a"):rep(40):find(("a*"):rep(40) .. "b")"#;

fn budget_error(result: &str) -> bool {
    result.contains("instruction budget exceeded")
}

#[test]
fn a_pathological_pattern_runs_out_of_budget() {
    let vms = Vms::new(SMALL_BUDGET);
    for expression in [
        PATHOLOGICAL.to_owned(),
        r#"("a"):rep(40):match(("a*"):rep(40) .. "b")"#.to_owned(),
        r#"("a"):rep(40):gsub(("a*"):rep(40) .. "b", "")"#.to_owned(),
        r#"all(("a"):rep(40):gmatch(("a*"):rep(40) .. "b"))"#.to_owned(),
        r#"("(("):rep(20000):find("%b()")"#.to_owned(),
        r#"("a"):rep(100000):find(("a"):rep(5000) .. "b", 1, true)"#.to_owned(),
        format!("pcall(function() return {PATHOLOGICAL} end)"),
    ] {
        let result = vms.ours(&expression);
        assert!(budget_error(&result), "{expression}: {result}");
    }
}

#[test]
fn pcall_cannot_swallow_the_budget_error() {
    let (lua, budget, _meter) = sandboxed(SMALL_BUDGET).expect("the VM builds");
    budget.reset();
    let error = lua
        .load(format!(
            "local caught = 0\n\
             for _ = 1, 10 do if not pcall(function() return {PATHOLOGICAL} end) then caught = caught + 1 end end\n\
             return caught"
        ))
        .set_name("=main")
        .eval::<i64>()
        .expect_err("the budget error escapes pcall");
    let message = error.to_string();
    assert!(budget_error(&message), "{message}");
    assert!(message.contains("main:2:"), "{message}");
}

#[test]
fn ordinary_work_fits_the_budget() {
    let vms = Vms::new(SMALL_BUDGET);
    for expression in [
        r#"("word "):rep(2000):gsub("%w+", "<%0>"):len()"#,
        r#"select(2, ("key=value; "):rep(500):gsub("(%w+)=(%w+)", "%2=%1"))"#,
        r#"#("x"):rep(10000):gsub(".", {x = "yy"})"#,
        r#"all(("a b c d e f g h "):rep(4):gmatch("%a"))"#,
    ] {
        assert!(vms.ours(expression).contains("[true, "), "{expression}");
        vms.same(expression)
            .unwrap_or_else(|difference| panic!("{difference}"));
    }
}

#[test]
fn a_replacement_larger_than_the_heap_is_a_memory_error() {
    let vms = Vms::new(u64::MAX);
    let result = vms.ours(r#"("x"):rep(1000):gsub("x", ("y"):rep(100000))"#);
    assert!(result.contains("not enough memory"), "{result}");
    let result = vms.ours(r#"#(("x"):rep(1000):gsub("x", ("y"):rep(1000)))"#);
    assert_eq!(result, "2[true, integer 1000000]");
}

#[test]
fn pattern_errors_reach_scripts_as_strings() {
    let vms = Vms::new(SMALL_BUDGET);
    let result = vms.ours(
        r#"select(2, pcall(string.find, "a", "(")) .. "|" ..
           select(2, pcall(function() return ("a"):match("%") end))"#,
    );
    assert_eq!(
        result,
        "2[true, \"unfinished capture|case:2: malformed pattern (ends with '%')\"]"
    );
}
