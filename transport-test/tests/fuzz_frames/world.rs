//! Three sessions of one core, their tabs, and what a step of the fuzzer does to them.

use std::time::Duration;

use lunette_core::{Config, ConnId};
use lunette_test::{Harness, body_text, site_with_main};
use serde_json::{Value, json};

use crate::inputs::*;
use crate::json_check::{check_frame, excerpt, is_json};
use crate::render::{batch_of, render};

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

/// Every step must end; this is what "end" means in a debug build on a busy machine.
pub const STEP_LIMIT: Duration = Duration::from_secs(20);

pub struct World {
    h: Harness,
    sids: Vec<String>,
    tabs: Vec<Vec<ConnId>>,
}

impl World {
    pub fn new() -> Self {
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

    pub fn connect(&mut self, session: usize, watch: bool) {
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

    pub fn tab(&self, session: usize, tab: usize) -> Option<ConnId> {
        let tabs = &self.tabs[session];
        (!tabs.is_empty()).then(|| tabs[tab % tabs.len()])
    }

    pub fn step(&mut self, op: &Op) {
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
    pub fn collect(&mut self) {
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
    pub fn close_all(&mut self) {
        for session in 0..SESSIONS {
            for conn in std::mem::take(&mut self.tabs[session]) {
                self.h.close(conn);
            }
        }
    }

    /// A fresh tab's watch of variable 1 is answered.
    pub fn assert_usable(&mut self) {
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
