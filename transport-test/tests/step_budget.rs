//! The calls into Lua of one step share a bound of four budgets (docs/protocol.md §7.1): a peer
//! that binds a slow method a thousand times gets errors past it, not a step of minutes.

mod common;

use common::*;
use lunette_core::Config;
use serde_json::Value;

const MAIN: &str = r#"
App = {type = "App"}
App.__index = App
local app = setmetatable({}, App)
-- A fraction of the test's budget per call.
function App:slow()
  local x = 0
  for i = 1, 9000 do x = x + i end
  return x
end
session:createAppVariable(app)
"#;

const BUDGET: u64 = 100_000;
const BINDINGS: i64 = 12;

#[test]
fn a_step_that_calls_a_slow_method_many_times_stops_after_four_budgets() {
    let config = Config {
        lua_budget: BUDGET,
        ..Config::default()
    };
    let (mut h, _sid, tab) = open_with(harness(MAIN, config));
    let bindings: Vec<Value> = (0..BINDINGS)
        .map(|i| bind(2 + i, 1, "slow()", "r"))
        .collect();
    h.send(tab, &batch(&bindings));
    let received = received(&mut h, tab);
    let values = received
        .iter()
        .filter(|m| m["type"] == "update" && m["data"]["value"] == 40504500)
        .count();
    let over: Vec<&Value> = received
        .iter()
        .filter(|m| {
            m["type"] == "error"
                && m["data"]["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("ran 4 budgets together"))
        })
        .collect();
    assert!(
        values >= 2,
        "each call fits its own budget, and several fit four budgets: {values} did, {received:?}"
    );
    assert!(
        !over.is_empty(),
        "not all {BINDINGS} fit four budgets: {received:?}"
    );
    assert_eq!(
        values + over.len(),
        BINDINGS as usize,
        "the rest say the step ran out: {received:?}"
    );
}
