//! `SessionManager`: the live sessions of one `Core`, their creation, expiry and eviction.
//!
//! The sequence a browser's first request starts lives here: `GET /` → `create` →
//! `LuaBackend::start` (a fresh sandboxed VM and tracker) → `lua/main.lua` makes variable 1 →
//! the session is filed and its id goes back in the `302`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::ids::{ConnId, IdSource, SessionId};
use crate::lua::{ChunkCache, LuaBackend, StartFailure, StepClock};
use crate::output::{LogLevel, LogRecord, Output};
use crate::session::Session;
use crate::site::Site;
use crate::stats::Counters;
use crate::viewdefs::Viewdefs;

/// What `GET /` led to.
pub(crate) enum Created {
    Session(SessionId),
    /// Every live session is in use and none can be evicted.
    Full,
    Failed(StartFailure),
}

/// Everything a step needs from `Core` besides the sessions themselves.
pub(crate) struct StepContext<'a> {
    pub(crate) config: &'a Config,
    pub(crate) site: &'a Site,
    pub(crate) chunks: &'a ChunkCache,
    pub(crate) viewdefs: &'a Viewdefs,
    pub(crate) start: Instant,
    pub(crate) now: Instant,
    pub(crate) outputs: &'a mut std::collections::VecDeque<Output>,
    pub(crate) counters: &'a std::rc::Rc<Counters>,
}

impl StepContext<'_> {
    pub(crate) fn clock(&self, created: Instant) -> StepClock {
        let elapsed = self.now.saturating_duration_since(self.start);
        let wall = self.config.epoch + elapsed;
        let wall_seconds = wall
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs_f64();
        StepClock {
            now: self.now,
            wall_seconds,
            created,
        }
    }

    fn log(&mut self, level: LogLevel, session: SessionId, message: String) {
        self.outputs.push_back(Output::Log(LogRecord {
            level,
            session: Some(session),
            message,
        }));
    }
}

#[derive(Default)]
pub(crate) struct SessionManager {
    sessions: BTreeMap<SessionId, Session>,
    /// Sessions without an open connection in eviction order: never connected first, then
    /// by last activity, oldest first (§6.3).
    idle: BTreeSet<(bool, Instant, SessionId)>,
    /// Each session's next deadline: a Lua timer, a flush or its expiry.
    wakeups: BTreeSet<(Instant, SessionId)>,
    /// The sum of every session's memory as measured after its last step.
    memory: usize,
}

impl SessionManager {
    pub(crate) fn len(&self) -> usize {
        self.sessions.len()
    }

    pub(crate) fn get(&self, id: &SessionId) -> Option<&Session> {
        self.sessions.get(id)
    }

    /// Lua's own count of the heap all sessions use, in bytes.
    pub(crate) fn lua_heap_bytes(&self) -> usize {
        self.sessions
            .values()
            .map(|s| s.backend.used_memory())
            .sum()
    }

    /// The memory all sessions held after their last steps, in bytes (see `--max-memory`).
    pub(crate) fn memory(&self) -> usize {
        self.memory
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.wakeups.first().map(|(due, _)| *due)
    }

    /// `GET /`: makes room if the limit is reached, draws an id and a Lua seed, and starts the
    /// session's VM with `main.lua`. A failed start leaves nothing behind.
    pub(crate) fn create(&mut self, ids: &mut dyn IdSource, cx: &mut StepContext<'_>) -> Created {
        while self.sessions.len() >= cx.config.max_sessions {
            if !self.evict_idle(cx, "--max-sessions") {
                return Created::Full;
            }
        }
        while cx
            .config
            .max_memory
            .is_some_and(|limit| self.memory >= limit)
        {
            if !self.evict_idle(cx, "--max-memory") {
                return Created::Full;
            }
        }
        let sid = loop {
            let sid = SessionId::draw(ids);
            if sid.shard(cx.config.shards) == cx.config.shard && !self.sessions.contains_key(&sid) {
                break sid;
            }
        };
        let mut seed = [0; 16];
        ids.fill(&mut seed);
        let clock = cx.clock(cx.now);
        let started =
            LuaBackend::start(sid, seed, cx.config, cx.site, cx.chunks, clock, cx.counters);
        let backend = match started {
            Ok(backend) => backend,
            Err(failure) => {
                if matches!(failure, StartFailure::Lua(_)) {
                    Counters::bump(&cx.counters.lua_errors);
                }
                return Created::Failed(failure);
            }
        };
        Counters::bump(&cx.counters.sessions_created);
        self.sessions.insert(sid, Session::new(backend, cx.now));
        self.idle.insert((false, cx.now, sid));
        self.after_step(&sid, cx);
        Created::Session(sid)
    }

    /// Refreshes a session's last activity (a page load).
    pub(crate) fn touch(&mut self, sid: &SessionId, cx: &mut StepContext<'_>) {
        self.update_activity(sid, cx.now);
        self.after_step(sid, cx);
    }

    fn update_activity(&mut self, sid: &SessionId, now: Instant) {
        if let Some(session) = self.sessions.get_mut(sid) {
            let was_idle = self
                .idle
                .remove(&(session.ever_connected, session.last_activity, *sid));
            session.last_activity = now;
            if was_idle {
                self.idle.insert((session.ever_connected, now, *sid));
            }
        }
    }

    /// A WebSocket connection joined the session (a connect step).
    pub(crate) fn connect(&mut self, sid: &SessionId, conn: ConnId, cx: &mut StepContext<'_>) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        self.idle
            .remove(&(session.ever_connected, session.last_activity, *sid));
        session.last_activity = cx.now;
        session.open(conn);
        self.after_step(sid, cx);
    }

    /// A connection closed (§6.2). No cycle runs.
    pub(crate) fn disconnect(&mut self, sid: &SessionId, conn: ConnId, cx: &mut StepContext<'_>) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        session.backend.set_clock(cx.clock(session.created));
        session.close(conn);
        session.last_activity = cx.now;
        if session.connections.is_empty() {
            self.idle.insert((true, cx.now, *sid));
        }
        self.after_step(sid, cx);
    }

    /// Inbound text frames of one connection (§3.2, §4): their messages in order, then one
    /// update cycle and a flush at the end of the step, user event or not (§4.5).
    pub(crate) fn handle_frames(
        &mut self,
        sid: &SessionId,
        conn: ConnId,
        texts: &[&str],
        cx: &mut StepContext<'_>,
    ) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        session.last_activity = cx.now;
        session.backend.set_clock(cx.clock(session.created));
        for text in texts {
            session.run_frame(conn, text, cx.config);
        }
        session.cycle();
        session.flush(cx.viewdefs, cx.outputs);
        self.after_step(sid, cx);
    }

    /// Site files changed (`--hotload`): every session re-runs the `modules` (name, new
    /// source) it has loaded; then each session that re-ran one, or every session when
    /// `viewdefs_changed`, runs an update cycle and arms its flush, as after an inbound frame
    /// that was not a user event (§7.6, §8).
    pub(crate) fn reload(
        &mut self,
        modules: &[(String, bytes::Bytes)],
        viewdefs_changed: bool,
        cx: &mut StepContext<'_>,
    ) {
        let sids: Vec<SessionId> = self.sessions.keys().copied().collect();
        for sid in sids {
            let Some(session) = self.sessions.get_mut(&sid) else {
                continue;
            };
            session.backend.set_clock(cx.clock(session.created));
            let ran = session.reload_modules(modules);
            if ran || viewdefs_changed {
                session.cycle();
                session.flush(cx.viewdefs, cx.outputs);
            }
            self.after_step(&sid, cx);
        }
    }

    /// Sessions whose next deadline is at or before `now`.
    fn due_at(&self, now: Instant) -> Vec<SessionId> {
        self.wakeups
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, sid)| *sid)
            .collect()
    }

    /// Destroys every session whose expiry has come, running no Lua. A request handled at or
    /// after a session's expiry, before the transport's timer fired, must find it gone.
    pub(crate) fn expire_due(&mut self, cx: &mut StepContext<'_>) {
        for sid in self.due_at(cx.now) {
            let expired = self.sessions.get(&sid).and_then(|s| expiry(s, cx.config));
            if expired.is_some_and(|at| at <= cx.now) {
                self.destroy(&sid);
                Counters::bump(&cx.counters.sessions_expired);
                cx.log(LogLevel::Debug, sid, "session expired".into());
            }
        }
    }

    /// Runs every session whose deadline has come: expiry first, then its due Lua timers
    /// (followed by an update cycle) and its flush. Timers added while this runs (a
    /// `setImmediate`) wait for the next call, so a script that keeps rescheduling itself
    /// cannot keep `Core` busy.
    pub(crate) fn run_due(&mut self, cx: &mut StepContext<'_>) {
        self.expire_due(cx);
        for sid in self.due_at(cx.now) {
            let Some(session) = self.sessions.get_mut(&sid) else {
                continue;
            };
            if session.backend.next_timer().is_some_and(|at| at <= cx.now) {
                session.backend.set_clock(cx.clock(session.created));
                session.backend.run_due_timers(cx.now);
                session.cycle();
                session.flush(cx.viewdefs, cx.outputs);
            }
            self.after_step(&sid, cx);
        }
    }

    /// Files the session's next deadline and forwards what its script logged.
    fn after_step(&mut self, sid: &SessionId, cx: &mut StepContext<'_>) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        session.deliver_removals();
        for (level, line) in session.backend.take_logs() {
            cx.log(level, *sid, line);
        }
        let measured = session.memory();
        self.memory = self.memory - session.measured + measured;
        session.measured = measured;
        let next = [session.backend.next_timer(), expiry(session, cx.config)]
            .into_iter()
            .flatten()
            .min();
        if let Some(old) = session.wake.take() {
            self.wakeups.remove(&(old, *sid));
        }
        if let Some(at) = next {
            self.wakeups.insert((at, *sid));
            session.wake = Some(at);
        }
    }

    /// Evicts the first session without a connection in eviction order (never connected
    /// first, then the least recently active), because `limit` was reached; false if every
    /// session has one.
    fn evict_idle(&mut self, cx: &mut StepContext<'_>, limit: &str) -> bool {
        let Some(&(_, _, oldest)) = self.idle.first() else {
            return false;
        };
        self.destroy(&oldest);
        Counters::bump(&cx.counters.sessions_evicted);
        cx.log(
            LogLevel::Info,
            oldest,
            format!("session evicted: {limit} reached"),
        );
        true
    }

    fn destroy(&mut self, sid: &SessionId) {
        if let Some(session) = self.sessions.remove(sid) {
            self.memory -= session.measured;
            self.idle
                .remove(&(session.ever_connected, session.last_activity, *sid));
            if let Some(at) = session.wake {
                self.wakeups.remove(&(at, *sid));
            }
        }
    }
}

/// When a session expires (§6.3): never while a connection is open; else `--session-timeout`
/// after its last activity, or `--unclaimed-timeout` if no browser ever connected.
fn expiry(session: &Session, config: &Config) -> Option<Instant> {
    if !session.connections.is_empty() {
        return None;
    }
    let timeout = if session.ever_connected {
        config.session_timeout
    } else {
        config.unclaimed_timeout
    };
    timeout.and_then(|timeout| session.last_activity.checked_add(timeout))
}
