//! A fuzz target for the inbound frame path (issue 10): generated frames for several sessions,
//! well-formed and not — malformed JSON, nesting hundreds deep in values and properties,
//! strings of megabytes, long batches, deep chains and wide fans of creates, messages about
//! unknown ids, watches, closes and reconnects, Lua actions that fail or spin, and time passing.
//!
//! Whatever arrives, core must not panic or abort, every frame it sends must be JSON of the
//! outbound shape, every step must end, and every session must still answer a fresh tab's
//! watch of variable 1 afterwards.
//!
//! Bounded for CI: 24 cases by default (`PROPTEST_CASES` to change it), each of a few dozen
//! steps of bounded size.

use std::time::{Duration, Instant};

use lunette_core::{Config, ConnId};
use lunette_test::{Harness, body_text, site_with_main};
use proptest::prelude::*;
use serde_json::{Value, json};

/// An app with a getter, an action, a setter, one that fails, one that spins past its budget,
/// a field that takes written values, a list behind a ViewList, and a timer.
const APP: &str = r#"
App = {type = "App"}
App.__index = App
function App:label() return tostring(self.name) .. " #" .. tostring(self.count) end
function App:bump() self.count = self.count + 1 end
function App:echo() return self.data end
function App:rename(v) self.name = v end
function App:store(v)
  self.data = v
  if #self.items < 40 then self.items[#self.items + 1] = {type = "Item", v = v} end
end
function App:boom() error("boom") end
function App:spin() while true do end end
local app = setmetatable({
  name = "Ada", count = 0, data = nil,
  items = {{type = "Item", v = 1}, {type = "Item", v = 2}},
  child = {type = "Child", v = 1},
}, App)
session:createAppVariable(app)
session:setInterval(function() app.count = app.count + 1 end, 250)
"#;

const SESSIONS: usize = 3;
const MAX_TABS: usize = 4;

/// Paths worth binding: the app's fields, getter, action and setters, navigation that fails,
/// and the odd malformed one.
const PATHS: [&str; 20] = [
    "name",
    "data",
    "label()",
    "bump()",
    "echo()",
    "items?wrapper=lua.ViewList",
    "child",
    "v",
    "count",
    "rename(_)",
    "store(_)",
    "boom()",
    "spin()",
    "..name",
    "items.0.v",
    "nope.deeper",
    "name.x.y",
    "a(",
    "",
    "x?y=1&z",
];

const ACCESS: [Option<&str>; 6] = [
    None,
    Some("r"),
    Some("w"),
    Some("rw"),
    Some("action"),
    Some("bogus"),
];

/// The bindings a tab makes with [`Op::Bind`]: `(id, parent, path, access)`.
const BINDINGS: [(i64, i64, &str, &str); 13] = [
    (2, 1, "name", "rw"),
    (3, 1, "data", "rw"),
    (4, 1, "label()", "r"),
    (5, 1, "bump()", "action"),
    (6, 1, "echo()", "r"),
    (7, 1, "items?wrapper=lua.ViewList", "r"),
    (8, 1, "child", "r"),
    (9, 8, "v", "rw"),
    (10, 1, "count", "r"),
    (11, 1, "rename(_)", "w"),
    (12, 1, "store(_)", "w"),
    (13, 1, "boom()", "action"),
    (14, 1, "spin()", "action"),
];

#[derive(Debug, Clone)]
enum Msg {
    Create {
        id: i64,
        parent: i64,
        path: usize,
        access: usize,
        nowatch: bool,
        extra: Vec<(String, String)>,
    },
    Update {
        id: i64,
        value: Option<Value>,
        properties: Option<Vec<(String, String)>>,
    },
    Destroy(i64),
    Watch(i64),
    Unwatch(i64),
    /// Any JSON as a message: wrong shapes, unknown types, ids of the wrong kind.
    Raw(Value),
}

/// Where a deeply nested value goes.
#[derive(Debug, Clone, Copy)]
enum DeepPlace {
    /// The whole frame.
    Frame,
    /// An `update`'s value, to a bound variable.
    Value,
    /// A property value (must be a string: `bad-message`).
    Property,
    /// A message's `data`.
    Data,
}

/// Where a huge string goes.
#[derive(Debug, Clone, Copy)]
enum HugePlace {
    Value,
    Property,
    PropertyName,
    Path,
    Type,
    /// Not JSON at all.
    Garbage,
}

#[derive(Debug, Clone)]
enum Frame {
    Batch {
        user_event: bool,
        messages: Vec<Msg>,
    },
    Bare(Vec<Msg>),
    Single(Msg),
    /// Arbitrary text.
    Text(String),
    /// A well-formed batch cut short after `at` bytes.
    Cut {
        messages: Vec<Msg>,
        at: usize,
    },
    /// Arrays or objects nested `depth` deep.
    Deep {
        depth: usize,
        objects: bool,
        place: DeepPlace,
        id: i64,
    },
    /// A string of `bytes` bytes made of `unit`.
    Huge {
        bytes: usize,
        unit: &'static str,
        place: HugePlace,
        id: i64,
    },
    /// `create{id: i, parentId: i-1}` for `len` ids from `from`, the first under `parent`.
    Chain {
        parent: i64,
        from: i64,
        len: i64,
        access: usize,
    },
    /// `len` creates under one parent.
    Fan {
        parent: i64,
        from: i64,
        len: i64,
        path: usize,
    },
    /// The same message many times.
    Repeat {
        message: Msg,
        times: usize,
    },
}

#[derive(Debug, Clone)]
enum Op {
    Send {
        session: usize,
        tab: usize,
        frame: Frame,
    },
    /// The standard bindings of [`BINDINGS`].
    Bind {
        session: usize,
        tab: usize,
    },
    Close {
        session: usize,
        tab: usize,
    },
    Connect {
        session: usize,
        watch: bool,
    },
    Advance(u64),
    Debug {
        session: usize,
    },
}

// Every strategy is boxed: unboxed unions of big tuples make stack frames so large in a debug
// build that generating a case overflows the test thread's stack.

fn id() -> BoxedStrategy<i64> {
    prop_oneof![
        8 => 1i64..16,
        2 => 16i64..120,
        1 => -3i64..1,
        1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(1 << 53)],
    ]
    .boxed()
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-z]{0,6}",
        1 => "\\PC{0,12}",
        1 => Just("inactive".to_owned()),
        1 => Just("priority".to_owned()),
        1 => Just("path:high".to_owned()),
    ]
    .boxed()
}

fn properties() -> BoxedStrategy<Vec<(String, String)>> {
    prop::collection::vec((text(), text()), 0..4).boxed()
}

fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        "\\PC{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{0,4}", inner, 0..5)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

fn create() -> BoxedStrategy<Msg> {
    (
        id(),
        id(),
        0..PATHS.len(),
        0..ACCESS.len(),
        any::<bool>(),
        properties(),
    )
        .prop_map(|(id, parent, path, access, nowatch, extra)| Msg::Create {
            id,
            parent,
            path,
            access,
            nowatch,
            extra,
        })
        .boxed()
}

fn update() -> BoxedStrategy<Msg> {
    (
        id(),
        prop::option::of(json_value()),
        prop::option::of(properties()),
    )
        .prop_map(|(id, value, properties)| Msg::Update {
            id,
            value,
            properties,
        })
        .boxed()
}

fn raw() -> BoxedStrategy<Msg> {
    let kind = prop_oneof![
        text(),
        Just("create".to_owned()),
        Just("update".to_owned()),
        Just("watch".to_owned()),
    ];
    prop_oneof![
        json_value().prop_map(Msg::Raw),
        (kind, json_value()).prop_map(|(kind, data)| Msg::Raw(json!({"type": kind, "data": data}))),
    ]
    .boxed()
}

fn msg() -> BoxedStrategy<Msg> {
    prop_oneof![
        4 => create(),
        4 => update(),
        1 => id().prop_map(Msg::Destroy).boxed(),
        2 => id().prop_map(Msg::Watch).boxed(),
        1 => id().prop_map(Msg::Unwatch).boxed(),
        2 => raw(),
    ]
    .boxed()
}

fn messages() -> BoxedStrategy<Vec<Msg>> {
    prop::collection::vec(msg(), 0..12).boxed()
}

fn deep() -> BoxedStrategy<Frame> {
    let place = prop_oneof![
        Just(DeepPlace::Frame),
        Just(DeepPlace::Value),
        Just(DeepPlace::Property),
        Just(DeepPlace::Data),
    ];
    (
        prop_oneof![1usize..140, 120usize..600],
        any::<bool>(),
        place,
        2i64..15,
    )
        .prop_map(|(depth, objects, place, id)| Frame::Deep {
            depth,
            objects,
            place,
            id,
        })
        .boxed()
}

fn huge() -> BoxedStrategy<Frame> {
    let bytes = prop_oneof![
        3 => 0usize..2_000,
        2 => 50_000usize..300_000,
        1 => 1_000_000usize..2_100_000,
    ];
    let unit = prop_oneof![
        Just("x"),
        Just("é"),
        Just("\\\""),
        Just("\\n"),
        Just("😀"),
        Just("\\u0000"),
    ];
    let place = prop_oneof![
        Just(HugePlace::Value),
        Just(HugePlace::Property),
        Just(HugePlace::PropertyName),
        Just(HugePlace::Path),
        Just(HugePlace::Type),
        Just(HugePlace::Garbage),
    ];
    (bytes, unit, place, 2i64..15)
        .prop_map(|(bytes, unit, place, id)| Frame::Huge {
            bytes,
            unit,
            place,
            id,
        })
        .boxed()
}

fn long() -> BoxedStrategy<Frame> {
    let parent = prop_oneof![Just(1i64), 2i64..15];
    prop_oneof![
        2 => (parent.clone(), 2i64..60, 0i64..6_000, 0..ACCESS.len())
            .prop_map(|(parent, from, len, access)| Frame::Chain { parent, from, len, access })
            .boxed(),
        1 => (parent, 2i64..60, 0i64..3_000, 0..PATHS.len())
            .prop_map(|(parent, from, len, path)| Frame::Fan { parent, from, len, path })
            .boxed(),
        1 => (msg(), 100usize..2_000)
            .prop_map(|(message, times)| Frame::Repeat { message, times })
            .boxed(),
    ]
    .boxed()
}

fn frame() -> BoxedStrategy<Frame> {
    prop_oneof![
        5 => (any::<bool>(), messages())
            .prop_map(|(user_event, messages)| Frame::Batch { user_event, messages })
            .boxed(),
        1 => messages().prop_map(Frame::Bare).boxed(),
        1 => msg().prop_map(Frame::Single).boxed(),
        1 => "\\PC{0,40}".prop_map(Frame::Text).boxed(),
        1 => (messages(), any::<usize>())
            .prop_map(|(messages, at)| Frame::Cut { messages, at })
            .boxed(),
        3 => deep(),
        3 => huge(),
        3 => long(),
    ]
    .boxed()
}

fn op() -> BoxedStrategy<Op> {
    let session = 0..SESSIONS;
    prop_oneof![
        10 => (session.clone(), 0..MAX_TABS, frame())
            .prop_map(|(session, tab, frame)| Op::Send { session, tab, frame })
            .boxed(),
        2 => (session.clone(), 0..MAX_TABS)
            .prop_map(|(session, tab)| Op::Bind { session, tab })
            .boxed(),
        2 => (session.clone(), 0..MAX_TABS)
            .prop_map(|(session, tab)| Op::Close { session, tab })
            .boxed(),
        2 => (session.clone(), any::<bool>())
            .prop_map(|(session, watch)| Op::Connect { session, watch })
            .boxed(),
        2 => prop_oneof![0u64..20, 200u64..1_000, Just(5_000)].prop_map(Op::Advance).boxed(),
        1 => session.prop_map(|session| Op::Debug { session }).boxed(),
    ]
    .boxed()
}

fn encode(message: &Msg) -> Value {
    match message {
        Msg::Create {
            id,
            parent,
            path,
            access,
            nowatch,
            extra,
        } => {
            let mut properties: serde_json::Map<String, Value> = extra
                .iter()
                .map(|(name, text)| (name.clone(), json!(text)))
                .collect();
            properties.insert("path".into(), json!(PATHS[*path]));
            if let Some(access) = ACCESS[*access] {
                properties.insert("access".into(), json!(access));
            }
            json!({"type": "create", "data": {"id": id, "parentId": parent, "nowatch": nowatch, "properties": properties}})
        }
        Msg::Update {
            id,
            value,
            properties,
        } => {
            let mut data = json!({"varId": id});
            if let Some(value) = value {
                data["value"] = value.clone();
            }
            if let Some(properties) = properties {
                let map: serde_json::Map<String, Value> = properties
                    .iter()
                    .map(|(name, text)| (name.clone(), json!(text)))
                    .collect();
                data["properties"] = Value::Object(map);
            }
            json!({"type": "update", "data": data})
        }
        Msg::Destroy(id) => json!({"type": "destroy", "data": {"varId": id}}),
        Msg::Watch(id) => json!({"type": "watch", "data": {"varId": id}}),
        Msg::Unwatch(id) => json!({"type": "unwatch", "data": {"varId": id}}),
        Msg::Raw(value) => value.clone(),
    }
}

fn batch_of(messages: impl IntoIterator<Item = Value>, user_event: bool) -> String {
    let list: Vec<Value> = messages.into_iter().collect();
    json!({"userEvent": user_event, "messages": list}).to_string()
}

/// `depth` arrays (or single-member objects) around `inner`, as text: serde_json would refuse
/// to build the deeper ones.
fn nested(depth: usize, objects: bool, inner: &str) -> String {
    let (open, close) = if objects {
        (r#"{"a":"#, "}")
    } else {
        ("[", "]")
    };
    let mut out = String::with_capacity(depth * (open.len() + 1) + inner.len());
    for _ in 0..depth {
        out.push_str(open);
    }
    out.push_str(inner);
    for _ in 0..depth {
        out.push_str(close);
    }
    out
}

fn render(frame: &Frame) -> String {
    match frame {
        Frame::Batch {
            user_event,
            messages,
        } => batch_of(messages.iter().map(encode), *user_event),
        Frame::Bare(messages) => Value::Array(messages.iter().map(encode).collect()).to_string(),
        Frame::Single(message) => encode(message).to_string(),
        Frame::Text(text) => text.clone(),
        Frame::Cut { messages, at } => {
            let text = batch_of(messages.iter().map(encode), true);
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text[..at].to_owned()
        }
        Frame::Deep {
            depth,
            objects,
            place,
            id,
        } => {
            let deep = nested(*depth, *objects, "1");
            match place {
                DeepPlace::Frame => deep,
                DeepPlace::Value => format!(
                    r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":{id},"value":{deep}}}}}]}}"#
                ),
                DeepPlace::Property => format!(
                    r#"{{"messages":[{{"type":"update","data":{{"varId":{id},"properties":{{"label":{deep}}}}}}}]}}"#
                ),
                DeepPlace::Data => format!(r#"[{{"type":"watch","data":{deep}}}]"#),
            }
        }
        Frame::Huge {
            bytes,
            unit,
            place,
            id,
        } => {
            let huge = unit.repeat(bytes / unit.len());
            match place {
                HugePlace::Value => format!(
                    r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":{id},"value":"{huge}"}}}}]}}"#
                ),
                HugePlace::Property => format!(
                    r#"[{{"type":"update","data":{{"varId":{id},"properties":{{"label":"{huge}"}}}}}}]"#
                ),
                HugePlace::PropertyName => format!(
                    r#"[{{"type":"update","data":{{"varId":{id},"properties":{{"{huge}":"x"}}}}}}]"#
                ),
                HugePlace::Path => format!(
                    r#"[{{"type":"create","data":{{"id":{},"parentId":1,"properties":{{"path":"{huge}"}}}}}}]"#,
                    id + 100
                ),
                HugePlace::Type => format!(r#"{{"type":"{huge}","data":{{}}}}"#),
                HugePlace::Garbage => huge,
            }
        }
        Frame::Chain {
            parent,
            from,
            len,
            access,
        } => batch_of(
            (*from..from + len).map(|id| {
                let parent = if id == *from { *parent } else { id - 1 };
                let mut properties = json!({"path": "v"});
                if let Some(access) = ACCESS[*access] {
                    properties["access"] = json!(access);
                }
                json!({"type": "create", "data": {"id": id, "parentId": parent, "properties": properties}})
            }),
            false,
        ),
        Frame::Fan {
            parent,
            from,
            len,
            path,
        } => batch_of(
            (*from..from + len).map(|id| {
                json!({"type": "create", "data": {"id": id, "parentId": parent, "properties": {"path": PATHS[*path]}}})
            }),
            true,
        ),
        Frame::Repeat { message, times } => {
            let one = encode(message);
            batch_of(std::iter::repeat_n(one, *times), false)
        }
    }
}

/// Whether `text` is one JSON value (RFC 8259), checked without recursion so that nesting of
/// any depth is fine.
fn is_json(text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Expect {
        /// A value; `true` where the enclosing array may close instead (right after `[`).
        Value(bool),
        /// A key; `true` where the enclosing object may close instead (right after `{`).
        Key(bool),
        Colon,
        /// `,`, the enclosing container's close, or the end at the top.
        After,
    }
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut open: Vec<u8> = Vec::new();
    let mut expect = Expect::Value(false);
    loop {
        while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
            at += 1;
        }
        let Some(&byte) = bytes.get(at) else {
            return expect == Expect::After && open.is_empty();
        };
        match expect {
            Expect::Value(may_close) => match byte {
                b']' if may_close => {
                    open.pop();
                    at += 1;
                    expect = Expect::After;
                }
                b'[' => {
                    open.push(b'[');
                    at += 1;
                    expect = Expect::Value(true);
                }
                b'{' => {
                    open.push(b'{');
                    at += 1;
                    expect = Expect::Key(true);
                }
                b'"' => match skip_string(bytes, at) {
                    Some(end) => {
                        at = end;
                        expect = Expect::After;
                    }
                    None => return false,
                },
                b't' | b'f' | b'n' => {
                    let word: &[u8] = match byte {
                        b't' => b"true",
                        b'f' => b"false",
                        _ => b"null",
                    };
                    if !bytes[at..].starts_with(word) {
                        return false;
                    }
                    at += word.len();
                    expect = Expect::After;
                }
                _ => match skip_number(bytes, at) {
                    Some(end) => {
                        at = end;
                        expect = Expect::After;
                    }
                    None => return false,
                },
            },
            Expect::Key(may_close) => match byte {
                b'}' if may_close => {
                    open.pop();
                    at += 1;
                    expect = Expect::After;
                }
                b'"' => match skip_string(bytes, at) {
                    Some(end) => {
                        at = end;
                        expect = Expect::Colon;
                    }
                    None => return false,
                },
                _ => return false,
            },
            Expect::Colon => {
                if byte != b':' {
                    return false;
                }
                at += 1;
                expect = Expect::Value(false);
            }
            Expect::After => match (byte, open.last()) {
                (b',', Some(b'[')) => {
                    at += 1;
                    expect = Expect::Value(false);
                }
                (b',', Some(b'{')) => {
                    at += 1;
                    expect = Expect::Key(false);
                }
                (b']', Some(b'[')) | (b'}', Some(b'{')) => {
                    open.pop();
                    at += 1;
                }
                _ => return false,
            },
        }
    }
}

/// The end of the string starting at `bytes[start] == b'"'`.
fn skip_string(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        match *bytes.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => match *bytes.get(at + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at += 2,
                b'u' => {
                    let hex = bytes.get(at + 2..at + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    at += 6;
                }
                _ => return None,
            },
            byte if byte < 0x20 => return None,
            _ => at += 1,
        }
    }
}

/// The end of the number starting at `bytes[start]`.
fn skip_number(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |at: usize| {
        bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut at = start;
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at += digits(at),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let n = digits(at + 1);
        if n == 0 {
            return None;
        }
        at += 1 + n;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let n = digits(at);
        if n == 0 {
            return None;
        }
        at += n;
    }
    Some(at)
}

/// An outbound frame is JSON: a message object, or an array of two or more, each with a string
/// `type` and an object `data`. Frames too deep for serde_json are checked as JSON only.
fn check_frame(text: &str) {
    assert!(is_json(text), "not JSON: {}", excerpt(text));
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let messages = match value {
        Value::Array(items) => {
            assert!(
                items.len() >= 2,
                "an array frame holds several: {}",
                excerpt(text)
            );
            items
        }
        object @ Value::Object(_) => vec![object],
        _ => panic!("neither an object nor an array: {}", excerpt(text)),
    };
    for message in &messages {
        assert!(
            message["type"].is_string() && message["data"].is_object(),
            "not a message: {}",
            excerpt(text)
        );
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Every step must end; this is what "end" means in a debug build on a busy machine.
const STEP_LIMIT: Duration = Duration::from_secs(20);

struct World {
    h: Harness,
    sids: Vec<String>,
    tabs: Vec<Vec<ConnId>>,
}

impl World {
    fn new() -> Self {
        let config = Config {
            // Small, so that spinning actions end quickly in a debug build.
            lua_budget: 200_000,
            ..Config::default()
        };
        let mut h = Harness::new(site_with_main(APP), config, 7);
        let sids: Vec<String> = (0..SESSIONS).map(|_| h.create_session()).collect();
        let mut world = Self {
            h,
            sids,
            tabs: vec![Vec::new(); SESSIONS],
        };
        for session in 0..SESSIONS {
            world.connect(session, true);
            world.step(&Op::Bind { session, tab: 0 });
        }
        world
    }

    fn connect(&mut self, session: usize, watch: bool) {
        if self.tabs[session].len() >= MAX_TABS {
            return;
        }
        let conn = self
            .h
            .upgrade(&self.sids[session], &[])
            .unwrap_or_else(|refused| panic!("session {session} is gone: {}", body_text(&refused)));
        self.tabs[session].push(conn);
        if watch {
            self.h.send(
                conn,
                r#"{"messages":[{"type":"watch","data":{"varId":1}}]}"#,
            );
        }
    }

    fn tab(&self, session: usize, tab: usize) -> Option<ConnId> {
        let tabs = &self.tabs[session];
        (!tabs.is_empty()).then(|| tabs[tab % tabs.len()])
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Send {
                session,
                tab,
                frame,
            } => {
                if let Some(conn) = self.tab(*session, *tab) {
                    let text = render(frame);
                    self.h.send(conn, &text);
                }
            }
            Op::Bind { session, tab } => {
                if let Some(conn) = self.tab(*session, *tab) {
                    let creates = BINDINGS.iter().map(|(id, parent, path, access)| {
                        json!({"type": "create", "data": {"id": id, "parentId": parent,
                            "properties": {"path": path, "access": access}}})
                    });
                    self.h.send(conn, &batch_of(creates, true));
                }
            }
            Op::Close { session, tab } => {
                if let Some(conn) = self.tab(*session, *tab) {
                    self.tabs[*session].retain(|c| *c != conn);
                    self.h.close(conn);
                }
            }
            Op::Connect { session, watch } => self.connect(*session, *watch),
            Op::Advance(ms) => self.h.advance(Duration::from_millis(*ms)),
            Op::Debug { session } => {
                let sid = self.sids[*session].clone();
                let response = self.h.get(&format!("/{sid}/variables.json"));
                assert_eq!(response.status(), 200);
                let body = body_text(&response);
                assert!(is_json(&body), "variables.json: {}", excerpt(&body));
                assert!(body.len() < 5 * 1024 * 1024, "variables.json is bounded");
            }
        }
        self.h.advance(Duration::from_millis(10));
        self.collect();
    }

    /// Checks every frame received, and lets core's closes take effect as a transport would.
    fn collect(&mut self) {
        for session in 0..SESSIONS {
            for conn in self.tabs[session].clone() {
                for frame in self.h.frames(conn) {
                    check_frame(&frame);
                }
                if self.h.close_code(conn).is_some() {
                    self.tabs[session].retain(|c| *c != conn);
                    self.h.close(conn);
                }
            }
        }
    }

    /// Every tab closes, which removes everything it made.
    fn close_all(&mut self) {
        for session in 0..SESSIONS {
            for conn in std::mem::take(&mut self.tabs[session]) {
                self.h.close(conn);
            }
        }
    }

    /// A fresh tab's watch of variable 1 is answered.
    fn assert_usable(&mut self) {
        for session in 0..SESSIONS {
            let conn = self
                .h
                .upgrade(&self.sids[session], &[])
                .unwrap_or_else(|r| panic!("session {session} is gone: {}", body_text(&r)));
            self.h.send(
                conn,
                r#"{"userEvent":true,"messages":[{"type":"watch","data":{"varId":1}}]}"#,
            );
            self.h.advance(Duration::from_millis(10));
            let frames = self.h.frames(conn);
            assert_eq!(
                frames.len(),
                1,
                "session {session} answers a watch of variable 1"
            );
            check_frame(&frames[0]);
            let messages = match serde_json::from_str(&frames[0]).expect("shallow") {
                Value::Array(items) => items,
                object => vec![object],
            };
            // An update of variable 1, or its error: a peer may give variable 1 a path that
            // fails, or make it inactive (both allowed by §4.3), but the session must answer.
            assert!(
                messages
                    .iter()
                    .any(|m| m["data"]["varId"] == 1
                        && (m["type"] == "update" || m["type"] == "error")),
                "session {session}: {}",
                excerpt(&frames[0])
            );
            self.h.close(conn);
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn core_survives_any_inbound_frames(ops in prop::collection::vec(op(), 1..24)) {
        let mut world = World::new();
        for op in &ops {
            let started = Instant::now();
            world.step(op);
            let took = started.elapsed();
            prop_assert!(took < STEP_LIMIT, "{op:?} took {took:?}");
        }
        world.close_all();
        world.assert_usable();
    }
}

#[test]
fn the_json_check_agrees_with_serde_json() {
    for text in [
        "1",
        "-0.5e+3",
        "\"a\\u00e9\\n\"",
        "[]",
        "{}",
        "[1,[2,{}],{\"a\":[null,true,false]}]",
        " { \"a\" : 1 , \"b\" : [ ] } ",
    ] {
        assert!(is_json(text), "{text}");
        assert!(serde_json::from_str::<Value>(text).is_ok(), "{text}");
    }
    for text in [
        "",
        "[",
        "]",
        "[1,]",
        "{\"a\"}",
        "{\"a\":}",
        "{,}",
        "[1 2]",
        "01",
        "1.",
        "-",
        "\"\\x\"",
        "\"\u{1}\"",
        "tru",
        "nul",
        "[}",
        "{]",
        "{\"a\":1,}",
        "1 1",
        "{1:2}",
    ] {
        assert!(!is_json(text), "{text:?}");
        assert!(serde_json::from_str::<Value>(text).is_err(), "{text:?}");
    }
    let deep = nested(100_000, false, "1");
    assert!(is_json(&deep));
    assert!(!is_json(&deep[1..]));
}
