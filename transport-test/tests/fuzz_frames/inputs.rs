//! What the fuzzer generates: frames of every shape for the sessions' tabs, and the other
//! things that happen to a session (binds, closes, reconnects, time, debug pages).

use proptest::prelude::*;
use serde_json::{Value, json};

pub const SESSIONS: usize = 3;
pub const MAX_TABS: usize = 4;

/// Paths worth binding: the app's fields, getter, action and setters, navigation that fails,
/// and the odd malformed one.
pub const PATHS: [&str; 20] = [
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

pub const ACCESS: [Option<&str>; 6] = [
    None,
    Some("r"),
    Some("w"),
    Some("rw"),
    Some("action"),
    Some("bogus"),
];

/// The bindings a tab makes with [`Op::Bind`]: `(id, parent, path, access)`.
pub const BINDINGS: [(i64, i64, &str, &str); 13] = [
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
pub enum Msg {
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
pub enum DeepPlace {
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
pub enum HugePlace {
    Value,
    Property,
    PropertyName,
    Path,
    Type,
    /// Not JSON at all.
    Garbage,
}

#[derive(Debug, Clone)]
pub enum Frame {
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
pub enum Op {
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

pub fn id() -> BoxedStrategy<i64> {
    prop_oneof![
        8 => 1i64..16,
        2 => 16i64..120,
        1 => -3i64..1,
        1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(1 << 53)],
    ]
    .boxed()
}

pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-z]{0,6}",
        1 => "\\PC{0,12}",
        1 => Just("inactive".to_owned()),
        1 => Just("priority".to_owned()),
        1 => Just("path:high".to_owned()),
    ]
    .boxed()
}

pub fn properties() -> BoxedStrategy<Vec<(String, String)>> {
    prop::collection::vec((text(), text()), 0..4).boxed()
}

pub fn json_value() -> BoxedStrategy<Value> {
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

pub fn create() -> BoxedStrategy<Msg> {
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

pub fn update() -> BoxedStrategy<Msg> {
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

pub fn raw() -> BoxedStrategy<Msg> {
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

pub fn msg() -> BoxedStrategy<Msg> {
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

pub fn messages() -> BoxedStrategy<Vec<Msg>> {
    prop::collection::vec(msg(), 0..12).boxed()
}

pub fn deep() -> BoxedStrategy<Frame> {
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

pub fn huge() -> BoxedStrategy<Frame> {
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

pub fn long() -> BoxedStrategy<Frame> {
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

pub fn frame() -> BoxedStrategy<Frame> {
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

pub fn op() -> BoxedStrategy<Op> {
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
