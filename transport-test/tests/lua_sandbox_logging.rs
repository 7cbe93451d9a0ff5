//! `print` and `ui.log`: values as Lua's `tostring` writes them, tagged with the session
//! (docs/protocol.md §7.1, §7.3).

mod common;

use std::time::Duration;

use common::lua_sandbox::*;

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
