//! A model-based property test of the WebSocket protocol: random sessions, tabs, batches
//! (good and bad), closes and clock advances around the 10 ms flush deadline and the expiry
//! limits, checked after every step against invariants a client relies on.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lunette_core::{Config, ConnId};
use lunette_test::{Harness, site_with_main};
use proptest::prelude::*;
use serde_json::Value;

const APP: &str = r#"
local items = { { name = "a" }, { name = "b" } }
local app = { type = "App", title = "t", count = 0, items = items }
function app:bump() self.count = self.count + 1 end
function app:fail() error("boom") end
function app:grow() items[#items + 1] = { name = "n" .. #items } end
session:createAppVariable(app)
session:setInterval(function() app.title = "t" .. os.time() end, 1000)
"#;

const PATHS: [&str; 8] = [
    "title",
    "count",
    "items",
    "items.0.name",
    "items.5.name",
    "missing.deep",
    "bump()",
    "fail()",
];

#[derive(Debug, Clone)]
enum Op {
    NewSession,
    Connect(usize),
    Close(usize),
    PageLoad(usize),
    Advance(u64),
    Send {
        conn: usize,
        user_event: bool,
        messages: Vec<Msg>,
    },
    Garbage(usize),
}

#[derive(Debug, Clone)]
enum Msg {
    Create {
        id: i64,
        parent: i64,
        path: usize,
        nowatch: bool,
        action: bool,
    },
    Update {
        id: i64,
        value: i64,
    },
    Watch(i64),
    Unwatch(i64),
    Destroy(i64),
    Unknown,
}

fn msg() -> impl Strategy<Value = Msg> {
    let id = prop_oneof![Just(1i64), 2i64..7, Just(-1i64)];
    prop_oneof![
        3 => (2i64..7, prop_oneof![Just(1i64), 2i64..7], 0..PATHS.len(), any::<bool>(), any::<bool>())
            .prop_map(|(id, parent, path, nowatch, action)| Msg::Create { id, parent, path, nowatch, action }),
        2 => (id.clone(), 0i64..5).prop_map(|(id, value)| Msg::Update { id, value }),
        2 => id.clone().prop_map(Msg::Watch),
        1 => id.clone().prop_map(Msg::Unwatch),
        1 => id.prop_map(Msg::Destroy),
        1 => Just(Msg::Unknown),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::NewSession),
        2 => any::<usize>().prop_map(Op::Connect),
        1 => any::<usize>().prop_map(Op::Close),
        1 => any::<usize>().prop_map(Op::PageLoad),
        3 => prop_oneof![0u64..3, 8u64..12, Just(1_000), Just(59_999), Just(60_000)].prop_map(Op::Advance),
        5 => (any::<usize>(), any::<bool>(), prop::collection::vec(msg(), 0..5))
            .prop_map(|(conn, user_event, messages)| Op::Send { conn, user_event, messages }),
        1 => any::<usize>().prop_map(Op::Garbage),
    ]
}

fn encode(message: &Msg) -> String {
    match message {
        Msg::Create {
            id,
            parent,
            path,
            nowatch,
            action,
        } => {
            let access = if *action { "action" } else { "r" };
            format!(
                r#"{{"type":"create","data":{{"id":{id},"parentId":{parent},"nowatch":{nowatch},"properties":{{"path":"{}","access":"{access}"}}}}}}"#,
                PATHS[*path]
            )
        }
        Msg::Update { id, value } => {
            format!(r#"{{"type":"update","data":{{"varId":{id},"value":{value}}}}}"#)
        }
        Msg::Watch(id) => format!(r#"{{"type":"watch","data":{{"varId":{id}}}}}"#),
        Msg::Unwatch(id) => format!(r#"{{"type":"unwatch","data":{{"varId":{id}}}}}"#),
        Msg::Destroy(id) => format!(r#"{{"type":"destroy","data":{{"varId":{id}}}}}"#),
        Msg::Unknown => r#"{"type":"frobnicate","data":{}}"#.to_owned(),
    }
}

/// What the model knows about one open tab.
#[derive(Default)]
struct Tab {
    /// Wire ids the tab must not hear `update`s about: destroyed, or unwatched to zero.
    silent: BTreeSet<i64>,
    /// Watch counts the tab holds, by wire id.
    watches: BTreeMap<i64, i64>,
}

/// Every frame is a message object or a non-empty array of them, each with `type` and a
/// `data` object; returns the messages.
fn parse_frame(text: &str) -> Vec<Value> {
    let value: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("frame is not JSON ({e}): {text}"));
    let messages = match value {
        Value::Array(items) => {
            assert!(
                items.len() >= 2,
                "an array frame carries several messages: {text}"
            );
            items
        }
        object @ Value::Object(_) => vec![object],
        other => panic!("frame is neither object nor array: {other}"),
    };
    for message in &messages {
        assert!(
            message["type"].is_string() && message["data"].is_object(),
            "{message}"
        );
    }
    messages
}

fn run(ops: &[Op], seed: u64) -> Vec<String> {
    let config = Config {
        unclaimed_timeout: Some(Duration::from_secs(60)),
        session_timeout: Some(Duration::from_secs(60)),
        ..Config::default()
    };
    let mut h = Harness::new(site_with_main(APP), config, seed);
    let mut sessions: Vec<String> = Vec::new();
    let mut tabs: Vec<(ConnId, Tab)> = Vec::new();
    for op in ops {
        match op {
            Op::NewSession => sessions.push(h.create_session()),
            Op::Connect(i) if !sessions.is_empty() => {
                let sid = sessions[i % sessions.len()].clone();
                if let Ok(conn) = h.upgrade(&sid, &[]) {
                    tabs.push((conn, Tab::default()));
                }
            }
            Op::Close(i) if !tabs.is_empty() => {
                let (conn, _) = tabs.remove(i % tabs.len());
                h.close(conn);
            }
            Op::PageLoad(i) if !sessions.is_empty() => {
                let sid = sessions[i % sessions.len()].clone();
                h.get(&format!("/{sid}"));
            }
            Op::Advance(ms) => h.advance(Duration::from_millis(*ms)),
            Op::Garbage(i) if !tabs.is_empty() => {
                let conn = tabs[i % tabs.len()].0;
                h.send(conn, "{not json");
                let errors: Vec<Value> =
                    h.frames(conn).iter().flat_map(|f| parse_frame(f)).collect();
                assert!(
                    errors
                        .iter()
                        .any(|m| m["type"] == "error" && m["data"]["code"] == "bad-json"),
                    "a bad frame's error leaves at the end of its step: {errors:?}"
                );
            }
            Op::Send {
                conn,
                user_event,
                messages,
            } if !tabs.is_empty() => {
                let index = conn % tabs.len();
                let (conn, tab) = &mut tabs[index];
                let first_app_watch = tab.watches.get(&1).is_none_or(|count| *count == 0)
                    && messages.iter().any(|m| matches!(m, Msg::Watch(1)))
                    && !messages.iter().any(|m| matches!(m, Msg::Unwatch(1)));
                for message in messages {
                    match message {
                        Msg::Create {
                            id, nowatch: false, ..
                        } => {
                            tab.silent.remove(id);
                            *tab.watches.entry(*id).or_insert(0) = 1;
                        }
                        Msg::Watch(id) => {
                            tab.silent.remove(id);
                            *tab.watches.entry(*id).or_insert(0) += 1;
                        }
                        Msg::Unwatch(id) => {
                            let count = tab.watches.entry(*id).or_insert(0);
                            *count = (*count - 1).max(0);
                            if *count == 0 {
                                tab.silent.insert(*id);
                            }
                        }
                        Msg::Destroy(id) if *id > 1 => {
                            tab.silent.insert(*id);
                            tab.watches.remove(id);
                        }
                        _ => {}
                    }
                }
                let body: Vec<String> = messages.iter().map(encode).collect();
                let text = format!(
                    r#"{{"userEvent":{user_event},"messages":[{}]}}"#,
                    body.join(",")
                );
                h.send(*conn, &text);
                let now = h.frames(*conn);
                // Every step flushes what it left pending, user event or not (§4.5).
                assert!(
                    !first_app_watch || !now.is_empty(),
                    "a first watch of variable 1 is answered within its own step \
                     (userEvent {user_event})"
                );
                // What arrived is checked with everything else below.
                for frame in now {
                    check_frame(tab, &frame);
                }
            }
            _ => {}
        }
        if let Some(at) = h.core().poll_timeout() {
            assert!(
                at > h.now(),
                "once drained, the next deadline is in the future"
            );
        }
        for (conn, tab) in &mut tabs {
            for frame in h.frames(*conn) {
                check_frame(tab, &frame);
            }
        }
    }
    h.transcript().to_vec()
}

/// A received frame parses, carries no update the tab must not hear, and settles what was
/// owed.
fn check_frame(tab: &mut Tab, frame: &str) {
    for message in parse_frame(frame) {
        let var_id = message["data"]["varId"].as_i64();
        if message["type"] == "update"
            && let Some(id) = var_id
        {
            assert!(
                !tab.silent.contains(&id),
                "update for {id} after destroy or unwatch to zero: {message}"
            );
        }
        if message["type"] == "destroy"
            && let Some(id) = var_id
        {
            tab.silent.insert(id);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn protocol_invariants_hold(ops in prop::collection::vec(op(), 1..60), seed in any::<u64>()) {
        run(&ops, seed);
    }

    #[test]
    fn replaying_the_inputs_gives_the_same_output(ops in prop::collection::vec(op(), 1..40), seed in any::<u64>()) {
        prop_assert_eq!(run(&ops, seed), run(&ops, seed));
    }
}
