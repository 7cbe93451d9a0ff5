//! What a session keeps outside its Lua heap is bounded (issue 10, class 3). Properties live
//! in the tracker and are sent to every watcher: a property holds at most 64 KiB and a
//! variable's properties at most 256 KiB. Past either, `limit-exceeded` or a script error;
//! nothing of the refused message is kept and the session stays usable. Log lines a script
//! writes are cut at 8 KiB and kept at most 1,000 per step.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{FLUSH, batch, open, received, set_properties, tab, user_batch, watch};
use lunette_test::Harness;
use serde_json::{Map, Value, json};

const APP: &str = "session:createAppVariable({type = 'App', name = 'Ada'})";

fn errors(messages: &[Value]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter(|m| m["type"] == "error")
        .map(|m| {
            let data = &m["data"];
            (
                data["code"].as_str().unwrap_or_default().to_owned(),
                data["description"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_property_over_64_kib_is_refused_and_variable_1_stays_watchable() {
    let (mut h, sid, tab1) = open(APP);
    let huge = "x".repeat(64 * 1024);
    h.send(
        tab1,
        &user_batch(&[set_properties(1, json!({ "note": huge }))]),
    );
    h.advance(FLUSH);
    let answer = errors(&received(&mut h, tab1));
    assert_eq!(answer.len(), 1, "{answer:?}");
    assert_eq!(answer[0].0, "limit-exceeded");
    assert!(answer[0].1.contains("'note'"), "{answer:?}");
    assert!(answer[0].1.contains("65536"), "{answer:?}");
    h.close(tab1);
    // Nothing was kept: a new tab watches variable 1 as before.
    let tab2 = tab(&mut h, &sid);
    assert_eq!(h.close_code(tab2), None);
    let variables = h.variables(&sid).to_string();
    assert!(!variables.contains("note"), "{}", &variables[..200]);
}

#[test]
fn a_property_just_under_the_limit_is_kept() {
    let (mut h, sid, tab1) = open(APP);
    let text = "x".repeat(64 * 1024 - "note".len());
    h.send(
        tab1,
        &user_batch(&[set_properties(1, json!({ "note": text }))]),
    );
    h.advance(FLUSH);
    assert!(errors(&received(&mut h, tab1)).is_empty());
    assert!(h.variables(&sid).to_string().contains(&text));
}

#[test]
fn a_variable_holds_at_most_256_kib_of_properties() {
    let (mut h, _sid, tab1) = open(APP);
    let text = "x".repeat(60 * 1024);
    let mut refused = Vec::new();
    for i in 0..6 {
        let name = format!("p{i}");
        h.send(
            tab1,
            &user_batch(&[set_properties(1, json!({ name: text }))]),
        );
        h.advance(FLUSH);
        refused.push(errors(&received(&mut h, tab1)));
    }
    // 4 × 60 KiB fit; the fifth would pass 256 KiB, and so would the sixth.
    assert!(refused[..4].iter().all(Vec::is_empty), "{refused:?}");
    for answer in &refused[4..] {
        assert_eq!(answer.len(), 1, "{answer:?}");
        assert_eq!(answer[0].0, "limit-exceeded");
        assert!(answer[0].1.contains("262144"), "{answer:?}");
    }
    // Removing one makes room again.
    h.send(tab1, &user_batch(&[set_properties(1, json!({ "p0": "" }))]));
    h.send(
        tab1,
        &user_batch(&[set_properties(1, json!({ "p4": text }))]),
    );
    h.advance(FLUSH);
    assert!(errors(&received(&mut h, tab1)).is_empty());
}

#[test]
fn a_message_declaring_a_hundred_thousand_properties_takes_linear_time() {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let mut h = Harness::with_main(APP);
        let sid = h.create_session();
        let tab = h.connect(&sid);
        let mut properties = Map::new();
        for i in 0..100_000 {
            properties.insert(format!("p{i}"), json!(""));
        }
        h.send(
            tab,
            &batch(&[set_properties(1, Value::Object(properties)), watch(1)]),
        );
        h.advance(FLUSH);
        let _ = done.send(h.frames(tab).len());
    });
    let frames = result
        .recv_timeout(Duration::from_secs(20))
        .expect("100,000 properties in one message are declared in well under 20 s");
    assert_eq!(frames, 1);
}

#[test]
fn scripts_meet_the_same_limits() {
    let main = "local app = {type = 'App'}\n\
                session:createAppVariable(app)\n\
                local ok1, why1 = pcall(session.createAppVariable, session, app, {big = string.rep('x', 70000)})\n\
                local ok2, why2 = pcall(function() \
                  for i = 1, 10 do session:createAppVariable(app, {['p' .. i] = string.rep('x', 60000)}) end end)\n\
                local ok3, why3 = pcall(session.createVariable, session, 0, {}, {big = string.rep('x', 70000)})\n\
                session:createAppVariable(app, {p1 = '', p2 = '', p3 = '', p4 = '', \
                  result = table.concat({tostring(why1), tostring(why2), tostring(why3)}, '|')})";
    let mut h = Harness::with_main(main);
    let sid = h.create_session();
    let result = h.app_property(&sid, "result").expect("main.lua reported");
    let parts: Vec<&str> = result.split('|').collect();
    assert!(
        parts[0].contains("property 'big' is 70003 bytes"),
        "{result}"
    );
    assert!(parts[1].contains("at most 262144"), "{result}");
    assert!(
        parts[2].contains("property 'big' is 70003 bytes"),
        "{result}"
    );
}

#[test]
fn printing_a_huge_string_in_a_loop_keeps_bounded_log_lines() {
    let main = "local s = string.rep('x', 10000000)\n\
                for _ = 1, 3000 do print(s, s) end\n\
                session:createAppVariable({type = 'App'})";
    let mut h = Harness::with_main(main);
    h.create_session();
    let lines: Vec<&str> = h.logs().iter().map(|r| r.message.as_str()).collect();
    let printed = lines.iter().filter(|l| l.starts_with("xxx")).count();
    assert_eq!(printed, 1000, "{} lines", lines.len());
    assert!(
        lines
            .iter()
            .filter(|l| l.starts_with("xxx"))
            .all(|l| l.len() < 8300 && l.ends_with("… (cut at 8192 bytes)"))
    );
    assert!(
        lines.contains(&"2000 more log lines dropped (at most 1000 per step)"),
        "{:?}",
        lines
            .iter()
            .filter(|l| !l.starts_with("xxx"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_value_over_4_mib_of_json_is_a_path_failure_and_smaller_ones_are_sent() {
    let main = "session:createAppVariable({type = 'App', \
                big = string.rep('x', 5 * 1024 * 1024), fits = string.rep('y', 3 * 1024 * 1024)})";
    let (mut h, _sid, tab1) = open(main);
    h.send(
        tab1,
        &batch(&[
            common::bind(2, 1, "big", "r"),
            common::bind(3, 1, "fits", "r"),
        ]),
    );
    h.advance(FLUSH);
    let messages = received(&mut h, tab1);
    let refused = errors(&messages);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, "path-failure");
    assert!(
        refused[0].1.contains("at most 4194304 can be sent"),
        "{refused:?}"
    );
    assert!(
        messages.iter().any(|m| m["data"]["varId"] == 3
            && m["data"]["value"].as_str().map(str::len) == Some(3 * 1024 * 1024)),
        "the 3 MiB value is sent"
    );
    assert_eq!(h.close_code(tab1), None);
}
