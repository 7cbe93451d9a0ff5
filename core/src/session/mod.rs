//! Sessions: each owns a Lua VM with its own tracker and timers, and the connections (tabs)
//! open on it. Nothing is shared between sessions.

mod connection;
mod flush;
pub(crate) mod manager;
mod messages;
mod reload;
mod steps;

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;

use crate::ids::ConnId;
use crate::lua::LuaBackend;
use crate::protocol::{Outbound, encode_frame, parse_frame, parse_message};
use crate::viewdefs::Viewdefs;

pub(crate) use connection::Connection;
pub use manager::Deadline;
pub(crate) use manager::SessionManager;

pub(crate) struct Session {
    pub(crate) backend: LuaBackend,
    pub(crate) created: Instant,
    /// Refreshed by page loads, inbound frames, connects and disconnects; not by timers.
    pub(crate) last_activity: Instant,
    /// The deadline this session is filed under in the manager's wake-up table.
    pub(crate) wake: Option<Instant>,
    /// Boxed: a map's node holds room for eleven entries, and most sessions have one tab.
    pub(crate) connections: BTreeMap<ConnId, Box<Connection>>,
    pub(crate) ever_connected: bool,
    last_connection_number: u32,
    /// Hot-reload failures still standing, by module name (see `reload.rs`).
    reload_errors: BTreeMap<String, String>,
    /// What it held at the end of its last step, in bytes (see [`Session::memory`]).
    pub(crate) measured: usize,
}

impl Session {
    pub(crate) fn new(backend: LuaBackend, now: Instant) -> Self {
        Self {
            backend,
            created: now,
            last_activity: now,
            wake: None,
            connections: BTreeMap::new(),
            ever_connected: false,
            last_connection_number: 0,
            measured: 0,
            reload_errors: BTreeMap::new(),
        }
    }

    /// The memory the session holds: its Lua heap and an estimate of its tracker's data.
    pub(crate) fn memory(&self) -> usize {
        self.backend.used_memory() + self.backend.tracker_bytes()
    }

    fn open(&mut self, conn: ConnId) {
        self.last_connection_number += 1;
        self.connections
            .insert(conn, Box::new(Connection::new(self.last_connection_number)));
        self.ever_connected = true;
    }

    /// A connection closed: its watches go, and every client variable it owns (§6.2).
    fn close(&mut self, conn: ConnId) {
        self.connections.remove(&conn);
        self.backend.forget_connection(conn);
        self.deliver_removals();
    }

    /// Runs one inbound frame's messages in order; failures become `error`s to the sender,
    /// queued as they arise so that they keep their order with `destroy`s (§4.6). Whether the
    /// frame was a user event changes nothing: every step flushes (§4.5).
    fn run_frame(&mut self, conn: ConnId, text: &str, config: &crate::config::Config) {
        match parse_frame(text) {
            Err(error) => self.queue_error(conn, error),
            Ok(frame) => {
                for message in &frame.messages {
                    let outcome = parse_message(message).and_then(|m| self.apply(conn, m, config));
                    if let Err(error) = outcome {
                        self.queue_error(conn, error);
                    }
                }
            }
        }
    }

    fn queue_error(&mut self, conn: ConnId, error: crate::protocol::WireError) {
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.queue.push(Outbound::from(error));
        }
    }

    /// Change detection (§4.5), if a connection is open to see the result.
    fn cycle(&mut self) {
        if !self.connections.is_empty() {
            self.backend.detect();
        }
    }

    /// Sends every connection what it is owed, one frame each (§3.3, §4.6).
    fn flush(&mut self, viewdefs: &Rc<Viewdefs>, frames: &mut Vec<(ConnId, String)>) {
        self.deliver_removals();
        let connections = &mut self.connections;
        self.backend.flush_with(|tracker, unflushed, pace| {
            for (conn, connection) in connections.iter_mut() {
                let messages =
                    flush::outbound(*conn, connection, tracker, viewdefs, unflushed, pace);
                if let Some(text) = encode_frame(&messages) {
                    frames.push((*conn, text));
                }
            }
        });
    }
}
