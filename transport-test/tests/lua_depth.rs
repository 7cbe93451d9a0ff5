//! Depth that a script or a peer controls never becomes Rust recursion without a bound
//! (issue 10, class 1): nested tables sent as a value, encoded by `ui.json_encode`, decoded by
//! `ui.json_decode` or written by a client. Past the bound, a clear error; the session lives.

use std::time::Duration;

use serde_json::json;

use lunette_core::Config;
use lunette_test::{Harness, site_with_main};

/// Long enough for any flush deadline (docs/protocol.md §4.6).
const FLUSH: Duration = Duration::from_millis(20);

/// `app.deep` is `levels` arrays nested in each other.
fn nested_main(levels: u32, report: &str) -> String {
    format!(
        "local deep = {{}} for _ = 1, {levels} do deep = {{deep}} end\n\
         local app = {{type = 'App', deep = deep, name = 'x'}}\n\
         function app:encoded() local text, why = ui.json_encode(deep) return why or #text end\n\
         session:createAppVariable(app, {{result = tostring({report})}})"
    )
}

#[test]
fn json_encode_of_tables_nested_too_deep_is_an_error_not_a_crash() {
    let mut h = Harness::new(
        site_with_main(&nested_main(100_000, "select(2, ui.json_encode(deep))")),
        Config::default(),
        1,
    );
    let sid = h.create_session();
    assert_eq!(
        h.app_property(&sid, "result").as_deref(),
        Some("tables nested deeper than 100 levels")
    );
}

#[test]
fn json_decode_of_text_nested_too_deep_is_an_error_not_a_crash() {
    let main = "local text = string.rep('[', 100000) .. string.rep(']', 100000)\n\
                local value, why = ui.json_decode(text)\n\
                session:createAppVariable({type = 'App'}, {result = tostring(why)})";
    let mut h = Harness::new(site_with_main(main), Config::default(), 1);
    let sid = h.create_session();
    let result = h.app_property(&sid, "result").expect("a result");
    assert!(result.contains("recursion limit"), "{result}");
}

#[test]
fn a_value_nested_too_deep_to_send_is_a_path_failure_and_the_session_lives() {
    let mut h = Harness::new(
        site_with_main(&nested_main(100_000, "1")),
        Config::default(),
        1,
    );
    let sid = h.create_session();
    let tab = h.connect(&sid);
    let frame = json!({"userEvent": false, "messages": [
        {"type": "create", "data": {"id": 2, "parentId": 1, "properties": {"path": "deep"}}},
        {"type": "create", "data": {"id": 3, "parentId": 1, "properties": {"path": "name"}}},
        {"type": "watch", "data": {"varId": 2}},
        {"type": "watch", "data": {"varId": 3}},
    ]});
    h.send(tab, &frame.to_string());
    h.advance(FLUSH);
    let frames = h.frames(tab).join("\n");
    assert!(frames.contains("nested deeper than 100 levels"), "{frames}");
    assert!(
        frames.contains(r#""x""#),
        "the other variable still answers: {frames}"
    );
}

#[test]
fn a_client_value_nested_too_deep_is_refused_and_the_connection_lives() {
    let mut h = Harness::new(site_with_main(&nested_main(1, "1")), Config::default(), 1);
    let sid = h.create_session();
    let tab = h.connect(&sid);
    let create = json!({"userEvent": false, "messages": [
        {"type": "create", "data": {"id": 2, "parentId": 1, "properties": {"path": "name"}}},
        {"type": "watch", "data": {"varId": 2}},
    ]});
    h.send(tab, &create.to_string());
    h.advance(FLUSH);
    h.frames(tab);
    // Past serde_json's parser limit, then past ours.
    for (levels, why) in [
        (5_000, "recursion limit"),
        (110, "nested deeper than 100 levels"),
    ] {
        let deep = format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        h.send(
            tab,
            &format!(r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":2,"value":{deep}}}}}]}}"#),
        );
        h.advance(FLUSH);
        let answer = h.frames(tab).join("\n");
        assert!(answer.contains(why), "{levels}: {answer}");
        assert_eq!(h.close_code(tab), None, "the connection stays open");
    }
    h.send(
        tab,
        r#"{"userEvent":true,"messages":[{"type":"update","data":{"varId":2,"value":"y"}}]}"#,
    );
    h.advance(FLUSH);
    let variables = h.variables(&sid).to_string();
    assert!(
        variables.contains(r#""value":"y""#),
        "a later update is applied: {variables}"
    );
}
