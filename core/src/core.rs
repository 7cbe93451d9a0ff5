//! `Core`: the dispatch of inputs, the output queue and the deadline table.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;

use crate::config::Config;
use crate::ids::{ConnId, IdSource, SessionId};
use crate::lua::ChunkCache;
use crate::output::{LogLevel, LogRecord, Output};
use crate::session::{Deadline, SessionManager};
use crate::site::Site;
use crate::stats::{Counters, Stats};
use crate::viewdefs::Viewdefs;

/// The WebSocket close code for a server's internal error.
const INTERNAL_ERROR: u16 = 1011;

/// The WebSocket close code for a peer that broke a rule (here: sent more than may wait).
const POLICY_VIOLATION: u16 = 1008;

/// The answer to an HTTP request.
#[derive(Debug)]
pub enum HttpReply {
    /// Send this response as it is (a `HEAD` request's body is already empty).
    Respond(http::Response<Bytes>),
    /// Complete the WebSocket handshake (`101`) for this request and from then on pass its
    /// text messages to [`Core::handle_ws_text`] and its end to [`Core::handle_ws_closed`].
    /// If the handshake cannot be completed, call `handle_ws_closed` right away.
    Upgrade { conn: ConnId, session: SessionId },
}

/// A mistake of the driving code, never of a peer or a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misuse {
    /// `now` was earlier than the `now` of a previous call.
    TimeWentBackwards { previous: Instant, now: Instant },
    /// The connection is not open: never upgraded, or already closed.
    UnknownConnection(ConnId),
}

impl fmt::Display for Misuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misuse::TimeWentBackwards { previous, now } => write!(
                f,
                "time went backwards by {:?}",
                previous.saturating_duration_since(*now)
            ),
            Misuse::UnknownConnection(conn) => write!(f, "{conn} is not an open connection"),
        }
    }
}

impl std::error::Error for Misuse {}

/// The sans-IO state machine of one lunette server (or one shard of it). See the crate docs
/// for the driving contract.
pub struct Core {
    pub(crate) config: Rc<Config>,
    pub(crate) site: Rc<Site>,
    pub(crate) chunks: ChunkCache,
    /// Shared with the steps that flush, which may outlive the call that started them.
    pub(crate) viewdefs: Rc<Viewdefs>,
    pub(crate) ids: Box<dyn IdSource>,
    pub(crate) sessions: SessionManager,
    pub(crate) outputs: VecDeque<Output>,
    /// Open connections and the session each belongs to.
    pub(crate) connections: BTreeMap<ConnId, SessionId>,
    /// Connections core closed with [`Output::WsClose`] whose end the transport has yet to
    /// report: their sessions already know, and frames still in flight from them are dropped.
    pub(crate) closing: BTreeSet<ConnId>,
    pub(crate) last_conn: u64,
    /// The `now` given to `Core::new`; `Config::epoch` is the wall time at this instant.
    pub(crate) start: Instant,
    pub(crate) now: Instant,
    pub(crate) counters: Rc<Counters>,
    /// Set by [`Core::set_draining`]: `GET /` creates no session.
    pub(crate) draining: bool,
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("sessions", &self.sessions.len())
            .field("pending_outputs", &self.outputs.len())
            .finish_non_exhaustive()
    }
}

impl Core {
    pub fn new(config: Config, site: Site, ids: Box<dyn IdSource>, now: Instant) -> Self {
        let site = Rc::new(site);
        let (viewdefs, problems) = Viewdefs::load(&site);
        let outputs = problems
            .into_iter()
            .map(|problem| {
                Output::Log(LogRecord {
                    level: LogLevel::Warn,
                    session: None,
                    message: problem.message,
                })
            })
            .collect();
        Self {
            viewdefs: Rc::new(viewdefs),
            config: Rc::new(config),
            chunks: ChunkCache::new(Rc::clone(&site)).expect("a bare Lua VM can always be created"),
            site,
            ids,
            sessions: SessionManager::default(),
            outputs,
            connections: BTreeMap::new(),
            closing: BTreeSet::new(),
            last_conn: 0,
            start: now,
            now,
            counters: Rc::default(),
            draining: false,
        }
    }

    /// Answers one HTTP request (docs/protocol.md §2). Routing uses the percent-decoded path.
    pub fn handle_http(
        &mut self,
        now: Instant,
        request: http::Request<Bytes>,
    ) -> Result<HttpReply, Misuse> {
        self.advance(now)?;
        let (mut cx, sessions, _) = self.step_context();
        sessions.expire_due(&mut cx);
        Ok(self.route(request))
    }

    /// One inbound text message of an upgraded connection (docs/protocol.md §3.2): its messages run
    /// in order, then an update cycle; replies go out through [`Core::poll_output`].
    pub fn handle_ws_text(&mut self, now: Instant, conn: ConnId, text: &str) -> Result<(), Misuse> {
        self.handle_ws_texts(now, conn, &[text])
    }

    /// Several inbound text messages of one connection that the transport already holds, in
    /// the order they arrived: each runs as [`Core::handle_ws_text`] would run it, then one
    /// update cycle and one flush serve them all (docs/protocol.md §4.5), so a burst costs one
    /// frame out instead of one per message.
    pub fn handle_ws_texts(
        &mut self,
        now: Instant,
        conn: ConnId,
        texts: &[&str],
    ) -> Result<(), Misuse> {
        self.advance(now)?;
        if self.closing.contains(&conn) {
            return Ok(());
        }
        let sid = self.connection_session(conn)?;
        Counters::add(&self.counters.frames_received, texts.len() as u64);
        let (mut cx, sessions, _) = self.step_context();
        if sessions.handle_frames(&sid, conn, texts, &mut cx).is_err() {
            let limit = self.config.max_waiting_bytes;
            self.log_session(
                LogLevel::Warn,
                sid,
                format!(
                    "{conn}: closing it (1008): its frames waiting behind a running step would pass {limit} bytes (--max-waiting-bytes)"
                ),
            );
            self.close_connection(conn, POLICY_VIOLATION);
            let (mut cx, sessions, _) = self.step_context();
            sessions.disconnect(&sid, conn, &mut cx);
        }
        Ok(())
    }

    /// The connection ended, for whatever reason (a close frame, an error, a close the core
    /// asked for, a failed handshake). Its client variables and watches go (§6.2).
    pub fn handle_ws_closed(&mut self, now: Instant, conn: ConnId) -> Result<(), Misuse> {
        self.advance(now)?;
        if self.closing.remove(&conn) {
            return Ok(());
        }
        let sid = self.connection_session(conn)?;
        self.connections.remove(&conn);
        let (mut cx, sessions, _) = self.step_context();
        sessions.disconnect(&sid, conn, &mut cx);
        Ok(())
    }

    /// `--hotload` ([`Config::hotload`]): site files changed. Each change is a site path
    /// (`lua/main.lua`, `viewdefs/Adder.DEFAULT.html`, `html/app.css`) with the file's new
    /// contents, `None` if it was deleted; unchanged contents are skipped.
    ///
    /// The site is updated at once (new sessions, static files). Viewdefs are validated again:
    /// a changed one goes to every connection that had it, a new one to every watcher of
    /// variable 1, a removed one is no longer sent, and one that became invalid keeps its
    /// previous version (logged with path and reason). Every session that loaded a changed
    /// Lua module re-runs its new text with `session.reloading` true (§7.6); a failure is
    /// logged with file and line and shown in the page through variable 1's `reloadError`
    /// property (see `session/reload.rs`). Then each affected session runs an update cycle
    /// and its replies leave at the end of the step. Without `hotload` the changes are ignored (and
    /// logged).
    pub fn handle_site_changes(
        &mut self,
        now: Instant,
        changes: Vec<(String, Option<Bytes>)>,
    ) -> Result<(), Misuse> {
        self.advance(now)?;
        let (mut cx, sessions, _) = self.step_context();
        sessions.expire_due(&mut cx);
        self.apply_site_changes(changes);
        Ok(())
    }

    /// Runs everything that is due at `now`: Lua timers, then session expiry.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Misuse> {
        self.advance(now)?;
        let (mut cx, sessions, _) = self.step_context();
        sessions.run_due(&mut cx);
        Ok(())
    }

    /// The next thing for the transport to do, or `None` when nothing is pending.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.close_dropped();
        loop {
            let output = self.outputs.pop_front()?;
            // A connection that closed while its session's step was suspended is still
            // flushed to when the frames it sent before closing run: that goes nowhere.
            if let Output::WsSend { conn, .. } = &output
                && !self.connections.contains_key(conn)
            {
                continue;
            }
            return Some(output);
        }
    }

    /// When `handle_timeout` must be called next. It may be at or before the last `now`
    /// (a `setImmediate` is pending): call it right away then.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline().map(|(at, _)| at)
    }

    /// [`Core::poll_timeout`] with what the deadline is for: core's one table of deadlines
    /// is each session's next Lua timer or expiry, and "now" while a step waits for a slice.
    #[must_use]
    pub fn next_deadline(&self) -> Option<(Instant, Deadline)> {
        self.sessions.next_deadline(self.now)
    }

    /// How many sessions have a step suspended between slices (docs/protocol.md §4.6). While any
    /// has, [`Core::poll_timeout`] is the last `now`: each `handle_timeout` runs one more
    /// slice of each.
    pub fn suspended_steps(&self) -> usize {
        self.sessions.suspended()
    }

    /// How many sessions are live.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Lua's own count of the heap every session of this core uses together, in bytes
    /// (what `--lua-memory` limits per session).
    pub fn lua_heap_bytes(&self) -> usize {
        self.sessions.lua_heap_bytes()
    }

    /// The memory all sessions held after their last steps, in bytes: Lua heaps plus an
    /// estimate of their trackers' data. `--max-memory` is held against this.
    pub fn sessions_memory(&self) -> usize {
        self.sessions.memory()
    }

    /// Draining (a node leaving a load balancer's rotation): while on, `GET /` answers `503`
    /// with `Retry-After` and creates no session, so that a balancer sends new users to
    /// another node. Everything else is unchanged: existing sessions keep their pages,
    /// reconnects, frames and timers.
    pub fn set_draining(&mut self, draining: bool) {
        self.draining = draining;
    }

    pub fn is_draining(&self) -> bool {
        self.draining
    }

    /// How many WebSocket connections are open.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// This core's counters and gauges, as data for a transport to expose. Cheap: it walks
    /// no session.
    pub fn stats(&self) -> Stats {
        let counters = &self.counters;
        Stats {
            sessions: self.sessions.len(),
            connections: self.connections.len(),
            sessions_memory: self.sessions.memory(),
            draining: self.draining,
            sessions_created: counters.sessions_created.get(),
            sessions_expired: counters.sessions_expired.get(),
            sessions_evicted: counters.sessions_evicted.get(),
            frames_received: counters.frames_received.get(),
            lua_errors: counters.lua_errors.get(),
            budget_exhausted: counters.budget_exhausted.get(),
        }
    }

    /// A session dropped because a step panicked (a bug of lunette, see
    /// `SessionManager::finish`) takes its connections with it: each is closed with `1011`
    /// (internal error), so that its tab reconnects and finds the session gone.
    fn close_dropped(&mut self) {
        for sid in self.sessions.take_dropped() {
            let conns: Vec<ConnId> = self
                .connections
                .iter()
                .filter(|(_, owner)| **owner == sid)
                .map(|(conn, _)| *conn)
                .collect();
            for conn in conns {
                self.close_connection(conn, INTERNAL_ERROR);
            }
        }
    }

    /// Closes a connection from core's side: it is forgotten here, and its end, when the
    /// transport reports it, changes nothing more.
    fn close_connection(&mut self, conn: ConnId, code: u16) {
        self.connections.remove(&conn);
        self.closing.insert(conn);
        self.outputs.push_back(Output::WsClose { conn, code });
    }

    fn log_session(&mut self, level: LogLevel, session: SessionId, message: String) {
        self.outputs.push_back(Output::Log(LogRecord {
            level,
            session: Some(session),
            message,
        }));
    }

    fn connection_session(&self, conn: ConnId) -> Result<SessionId, Misuse> {
        self.connections
            .get(&conn)
            .copied()
            .ok_or(Misuse::UnknownConnection(conn))
    }

    fn advance(&mut self, now: Instant) -> Result<(), Misuse> {
        if now < self.now {
            return Err(Misuse::TimeWentBackwards {
                previous: self.now,
                now,
            });
        }
        self.now = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SeededIds;

    fn get(core: &mut Core, path: &str, upgrade: bool) -> HttpReply {
        let mut request = http::Request::get(path).header("host", "localhost:8080");
        if upgrade {
            request = request
                .header("origin", "http://localhost:8080")
                .header("upgrade", "websocket")
                .header("connection", "Upgrade")
                .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
                .header("sec-websocket-version", "13");
        }
        let request = request.body(Bytes::new()).expect("a request");
        core.handle_http(core.now, request).expect("no misuse")
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // any instant will do as the virtual clock's start
    fn a_session_whose_step_panics_is_dropped_and_its_tabs_closed_with_1011() {
        let mut core = Core::new(
            Config::default(),
            Site::builtin(),
            Box::new(SeededIds::new(1)),
            Instant::now(),
        );
        let HttpReply::Respond(created) = get(&mut core, "/", false) else {
            panic!("GET / answers");
        };
        let location = created.headers()["location"].to_str().expect("text");
        let sid = SessionId::parse(location.trim_start_matches('/')).expect("a sid");
        let HttpReply::Upgrade { conn, .. } = get(&mut core, &format!("/ws/{sid}"), true) else {
            panic!("the upgrade is accepted");
        };
        while core.poll_output().is_some() {}
        let (mut cx, sessions, _) = core.step_context();
        sessions.start_step(sid, Box::new(|_| panic!("a bug")), &mut cx);
        let outputs: Vec<Output> = std::iter::from_fn(|| core.poll_output()).collect();
        assert!(
            outputs.contains(&Output::WsClose { conn, code: 1011 }),
            "{outputs:?}"
        );
        assert_eq!(core.session_count(), 0);
        assert_eq!(core.connection_count(), 0);
        assert_eq!(core.poll_timeout(), None, "nothing of it is left to wake");
        assert_eq!(
            core.handle_ws_text(core.now, conn, "{}"),
            Ok(()),
            "a frame in flight before the transport saw the close is dropped"
        );
        assert_eq!(core.poll_output(), None);
        assert_eq!(
            core.handle_ws_closed(core.now, conn),
            Ok(()),
            "the transport reports the close core asked for"
        );
        assert_eq!(
            core.handle_ws_closed(core.now, conn),
            Err(Misuse::UnknownConnection(conn)),
            "but only once"
        );
        assert!(
            core.handle_ws_text(core.now, conn, "{}").is_err(),
            "the tab is closed"
        );
    }
}
