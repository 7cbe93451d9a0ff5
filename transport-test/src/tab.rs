//! A fake browser tab: one WebSocket connection of a session that sends the client's messages
//! and reads what the server sends as typed [`Sent`] messages (docs/protocol.md §3.2, §3.3).

use std::cell::{RefCell, RefMut};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use lunette_core::ConnId;
use serde_json::{Map, Value, json};

use crate::Harness;

/// One message the server sent to a tab (docs/protocol.md §3.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// `value` is `None` when the update has no `value` member, `Some(Value::Null)` for
    /// `"value": null`; `properties` holds only those sent, a removed one as `""`.
    Update {
        var_id: i64,
        value: Option<Value>,
        properties: BTreeMap<String, String>,
    },
    /// The viewdefs message (docs/protocol.md §8): an update of variable 1 whose only member
    /// is the `viewdefs` property, decoded from its JSON text into `key → template`.
    Viewdefs(BTreeMap<String, String>),
    Destroy {
        var_id: i64,
    },
    Error {
        var_id: Option<i64>,
        code: String,
        description: String,
    },
}

impl Sent {
    /// An update of `var_id` carrying `value` and no properties.
    pub fn value(var_id: i64, value: impl Into<Value>) -> Self {
        Sent::update(var_id, value, &[])
    }

    /// An update of `var_id` carrying `value` and these properties.
    pub fn update(var_id: i64, value: impl Into<Value>, properties: &[(&str, &str)]) -> Self {
        Sent::with(var_id, Some(value.into()), properties)
    }

    /// An update of `var_id` carrying these properties and no value.
    pub fn properties(var_id: i64, properties: &[(&str, &str)]) -> Self {
        Sent::with(var_id, None, properties)
    }

    fn with(var_id: i64, value: Option<Value>, properties: &[(&str, &str)]) -> Self {
        Sent::Update {
            var_id,
            value,
            properties: properties
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
        }
    }

    /// The viewdefs message holding these `(key, template)` pairs.
    pub fn viewdefs(pairs: &[(&str, &str)]) -> Self {
        Sent::Viewdefs(
            pairs
                .iter()
                .map(|(key, template)| ((*key).to_owned(), (*template).to_owned()))
                .collect(),
        )
    }

    /// `(code, varId)` of an error, panicking for any other message.
    #[track_caller]
    pub fn error_code(&self) -> (&str, Option<i64>) {
        match self {
            Sent::Error { var_id, code, .. } => (code, *var_id),
            other => panic!("not an error: {other:?}"),
        }
    }

    /// The messages of one outbound frame: an object is one message, a non-empty array
    /// several. Panics on anything else, or on a message of unknown shape.
    #[track_caller]
    pub fn decode_frame(frame: &str) -> Vec<Sent> {
        match serde_json::from_str(frame).expect("outbound frames are JSON") {
            Value::Array(items) => {
                assert!(!items.is_empty(), "an outbound frame is never []");
                items.iter().map(Sent::decode).collect()
            }
            object @ Value::Object(_) => vec![Sent::decode(&object)],
            other => panic!("an outbound frame is an object or an array, not {other}"),
        }
    }

    fn decode(message: &Value) -> Sent {
        let members = message.as_object().expect("a message is an object");
        assert!(
            members.keys().all(|k| k == "type" || k == "data"),
            "unexpected members in {message}"
        );
        let fields = |names: &[&str]| -> &Map<String, Value> {
            let data = message["data"].as_object().expect("a message has data");
            let extra: Vec<&String> = data.keys().filter(|k| !names.contains(&&***k)).collect();
            assert!(extra.is_empty(), "unexpected {extra:?} in {message}");
            data
        };
        let var_id = |data: &Map<String, Value>| {
            data.get("varId")
                .map(|id| id.as_i64().expect("an integer varId"))
        };
        match message["type"].as_str() {
            Some("update") => {
                let data = fields(&["varId", "value", "properties"]);
                let var_id = var_id(data).expect("an update has a varId");
                let value = data.get("value").cloned();
                let properties: BTreeMap<String, String> = data
                    .get("properties")
                    .map(|p| {
                        let properties: BTreeMap<String, String> =
                            serde_json::from_value(p.clone()).expect("properties are strings");
                        assert!(
                            !properties.is_empty(),
                            "properties are sent only when some changed: {message}"
                        );
                        properties
                    })
                    .unwrap_or_default();
                match properties.get("viewdefs") {
                    Some(text) if var_id == 1 && value.is_none() && properties.len() == 1 => {
                        Sent::Viewdefs(
                            serde_json::from_str(text)
                                .expect("viewdefs is a JSON object of strings"),
                        )
                    }
                    _ => Sent::Update {
                        var_id,
                        value,
                        properties,
                    },
                }
            }
            Some("destroy") => Sent::Destroy {
                var_id: var_id(fields(&["varId"])).expect("a destroy has a varId"),
            },
            Some("error") => {
                let data = fields(&["varId", "code", "description"]);
                let text = |name: &str| {
                    data[name]
                        .as_str()
                        .unwrap_or_else(|| panic!("an error has a {name}: {message}"))
                        .to_owned()
                };
                Sent::Error {
                    var_id: var_id(data),
                    code: text("code"),
                    description: text("description"),
                }
            }
            _ => panic!("unknown outbound message {message}"),
        }
    }
}

/// A browser tab of one session: it numbers its own variables from 2, sends each call as one
/// frame (or several calls as one, see [`Tab::together`]) and reads back typed messages.
/// Tabs of one session share its [`Harness`].
pub struct Tab {
    harness: Rc<RefCell<Harness>>,
    sid: String,
    conn: ConnId,
    next_id: i64,
    /// Messages held for one frame while inside [`Tab::together`].
    held: Option<Vec<Value>>,
}

impl Tab {
    /// A new session of this `main.lua`, and a tab that watches variable 1 and has taken its
    /// first frame.
    pub fn open(main_lua: &str) -> Tab {
        Tab::open_on(Harness::with_main(main_lua))
    }

    /// Two tabs of one new session of this `main.lua`, each opened like [`Tab::open`].
    pub fn open_pair(main_lua: &str) -> (Tab, Tab) {
        let first = Tab::open(main_lua);
        let second = first.open_sibling();
        (first, second)
    }

    /// [`Tab::open`] on a harness of the caller's making (site, config, seed).
    pub fn open_on(harness: Harness) -> Tab {
        let mut tab = Tab::connect_on(harness);
        tab.watch(1);
        tab.take_frame();
        tab
    }

    /// A new session on `harness` and a connection to it that has sent nothing yet.
    pub fn connect_on(mut harness: Harness) -> Tab {
        let sid = harness.create_session();
        Tab::connect_to(Rc::new(RefCell::new(harness)), sid)
    }

    /// Another tab of this session, opened like [`Tab::open`].
    pub fn open_sibling(&self) -> Tab {
        let mut tab = self.connect_sibling();
        tab.watch(1);
        tab.take_frame();
        tab
    }

    /// Another connection to this session that has sent nothing yet, as after a reconnect.
    pub fn connect_sibling(&self) -> Tab {
        Tab::connect_to(Rc::clone(&self.harness), self.sid.clone())
    }

    fn connect_to(harness: Rc<RefCell<Harness>>, sid: String) -> Tab {
        let conn = harness.borrow_mut().connect(&sid);
        Tab {
            harness,
            sid,
            conn,
            next_id: 2,
            held: None,
        }
    }

    /// The harness the session lives in, for the clock, logs and debug pages.
    pub fn harness(&self) -> RefMut<'_, Harness> {
        self.harness.borrow_mut()
    }

    pub fn sid(&self) -> &str {
        &self.sid
    }

    pub fn conn(&self) -> ConnId {
        self.conn
    }

    /// `/<sid>/variables.json` of this tab's session.
    pub fn variables(&self) -> Value {
        self.harness().variables(&self.sid)
    }

    /// Moves the virtual clock, firing what falls due.
    pub fn advance(&self, by: Duration) {
        self.harness().advance(by);
    }

    /// The browser closed this tab; the tab is of no further use but to reach the session.
    pub fn close(&mut self) {
        self.harness().close(self.conn);
    }

    /// `create` under `parent` with this path and no `access` (so `rw`); its new id.
    pub fn create(&mut self, parent: i64, path: &str) -> i64 {
        self.create_with(parent, json!({ "path": path }))
    }

    /// `create` under `parent` with this path and access mode; its new id.
    pub fn bind(&mut self, parent: i64, path: &str, access: &str) -> i64 {
        self.create_with(parent, json!({ "path": path, "access": access }))
    }

    /// `create` under `parent` with these properties (a JSON object); its new id.
    pub fn create_with(&mut self, parent: i64, properties: Value) -> i64 {
        let id = self.new_id();
        self.send_message(json!({"type": "create", "data": {"id": id, "parentId": parent, "properties": properties}}));
        id
    }

    /// `create` with `nowatch`: the tab does not watch the new variable; its new id.
    pub fn create_nowatch(&mut self, parent: i64, properties: Value) -> i64 {
        let id = self.new_id();
        self.send_message(json!({"type": "create", "data": {"id": id, "parentId": parent, "nowatch": true, "properties": properties}}));
        id
    }

    /// `update` writing `value` (`null` triggers an action).
    pub fn write(&mut self, id: i64, value: impl Into<Value>) {
        let value = value.into();
        self.send_message(json!({"type": "update", "data": {"varId": id, "value": value}}));
    }

    /// `update` setting properties (a JSON object of strings).
    pub fn set_properties(&mut self, id: i64, properties: Value) {
        self.send_message(
            json!({"type": "update", "data": {"varId": id, "properties": properties}}),
        );
    }

    pub fn watch(&mut self, id: i64) {
        self.send_message(json!({"type": "watch", "data": {"varId": id}}));
    }

    pub fn unwatch(&mut self, id: i64) {
        self.send_message(json!({"type": "unwatch", "data": {"varId": id}}));
    }

    pub fn destroy(&mut self, id: i64) {
        self.send_message(json!({"type": "destroy", "data": {"varId": id}}));
    }

    /// Sends the messages `calls` makes as one frame, `userEvent` false; returns what
    /// `calls` returns (the new ids, say).
    pub fn together<T>(&mut self, calls: impl FnOnce(&mut Tab) -> T) -> T {
        self.send_held(false, calls)
    }

    /// [`Tab::together`] with `userEvent` true, as the client sends a click.
    pub fn user_event<T>(&mut self, calls: impl FnOnce(&mut Tab) -> T) -> T {
        self.send_held(true, calls)
    }

    fn send_held<T>(&mut self, user_event: bool, calls: impl FnOnce(&mut Tab) -> T) -> T {
        assert!(self.held.is_none(), "frames do not nest");
        self.held = Some(Vec::new());
        let out = calls(self);
        let messages = self.held.take().expect("held since the start of the frame");
        self.send_text(&json!({"userEvent": user_event, "messages": messages}).to_string());
        out
    }

    /// Sends this text as one frame, as it is.
    pub fn send_text(&mut self, text: &str) {
        self.harness().send(self.conn, text);
    }

    fn send_message(&mut self, message: Value) {
        match &mut self.held {
            Some(held) => held.push(message),
            None => self.send_text(&json!({"userEvent": false, "messages": [message]}).to_string()),
        }
    }

    fn new_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// The frames received since the last read, as text, oldest first.
    pub fn frames(&mut self) -> Vec<String> {
        self.harness().frames(self.conn)
    }

    /// Every message received since the last read, across frames, oldest first.
    pub fn take(&mut self) -> Vec<Sent> {
        self.frames()
            .iter()
            .flat_map(|f| Sent::decode_frame(f))
            .collect()
    }

    /// The messages of the one frame received since the last read; panics unless exactly one
    /// frame arrived.
    #[track_caller]
    pub fn take_frame(&mut self) -> Vec<Sent> {
        let frames = self.frames();
        assert_eq!(
            frames.len(),
            1,
            "expected exactly one frame, got {frames:?}"
        );
        Sent::decode_frame(&frames[0])
    }

    /// Exactly one frame arrived, and it holds exactly these messages.
    #[track_caller]
    pub fn expect(&mut self, messages: &[Sent]) {
        assert_eq!(self.take_frame(), messages);
    }

    /// Exactly one frame arrived, holding one update of `id` with this value and no
    /// properties.
    #[track_caller]
    pub fn expect_update(&mut self, id: i64, value: impl Into<Value>) {
        self.expect(&[Sent::value(id, value)]);
    }

    /// Exactly one frame arrived, holding one error: its `(code, varId)`.
    #[track_caller]
    pub fn expect_error(&mut self) -> (String, Option<i64>) {
        match self.take_frame().as_slice() {
            [error] => {
                let (code, var_id) = error.error_code();
                (code.to_owned(), var_id)
            }
            several => panic!("expected one error, got {several:?}"),
        }
    }

    /// Nothing arrived since the last read.
    #[track_caller]
    pub fn expect_nothing(&mut self) {
        let frames = self.frames();
        assert!(frames.is_empty(), "expected no frame, got {frames:?}");
    }
}
