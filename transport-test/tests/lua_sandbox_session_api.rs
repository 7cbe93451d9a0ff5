//! The `session` object: `createAppVariable` and the deprecated version counter
//! (docs/protocol.md §7.2).

mod common;

use std::time::Duration;

use common::lua_sandbox::*;

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
