//! `SessionManager`: the live sessions of one `Core`, their creation, expiry and eviction.
//!
//! The sequence a browser's first request starts lives here: `GET /` → `create` →
//! `LuaBackend::start` (a fresh sandboxed VM and tracker) → `lua/main.lua` makes variable 1 →
//! the session is filed and its id goes back in the `302`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::ids::{IdSource, SessionId};
use crate::lua::{ChunkCache, LuaBackend, StartFailure, StepClock};
use crate::output::{LogLevel, LogRecord, Output};
use crate::session::Session;
use crate::site::Site;

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
    pub(crate) start: Instant,
    pub(crate) now: Instant,
    pub(crate) outputs: &'a mut std::collections::VecDeque<Output>,
}

impl StepContext<'_> {
    fn clock(&self, created: Instant) -> StepClock {
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
    /// Sessions by last activity, oldest first: the eviction order.
    by_activity: BTreeSet<(Instant, SessionId)>,
    /// Each session's next deadline (its earliest Lua timer or its expiry).
    wakeups: BTreeSet<(Instant, SessionId)>,
}

impl SessionManager {
    pub(crate) fn len(&self) -> usize {
        self.sessions.len()
    }

    pub(crate) fn get_mut(&mut self, id: &SessionId) -> Option<&mut Session> {
        self.sessions.get_mut(id)
    }

    /// Lua's own count of the heap all sessions use, in bytes.
    pub(crate) fn lua_heap_bytes(&self) -> usize {
        self.sessions
            .values()
            .map(|s| s.backend.used_memory())
            .sum()
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.wakeups.first().map(|(due, _)| *due)
    }

    /// `GET /`: makes room if the limit is reached, draws an id and a Lua seed, and starts the
    /// session's VM with `main.lua`. A failed start leaves nothing behind.
    pub(crate) fn create(&mut self, ids: &mut dyn IdSource, cx: &mut StepContext<'_>) -> Created {
        if self.sessions.len() >= cx.config.max_sessions {
            let Some(&(_, oldest)) = self.by_activity.first() else {
                return Created::Full;
            };
            self.destroy(&oldest);
            cx.log(
                LogLevel::Info,
                oldest,
                "session evicted: --max-sessions reached".into(),
            );
        }
        let sid = loop {
            let sid = SessionId::draw(ids);
            if sid.shard(cx.config.shards) == cx.config.shard && !self.sessions.contains_key(&sid) {
                break sid;
            }
        };
        let mut seed = [0; 16];
        ids.fill(&mut seed);
        let started = LuaBackend::start(sid, seed, cx.config, cx.site, cx.chunks, cx.clock(cx.now));
        let backend = match started {
            Ok(backend) => backend,
            Err(failure) => return Created::Failed(failure),
        };
        let session = Session {
            backend,
            created: cx.now,
            last_activity: cx.now,
            wake: None,
        };
        self.by_activity.insert((cx.now, sid));
        self.sessions.insert(sid, session);
        self.after_step(&sid, cx);
        Created::Session(sid)
    }

    /// Refreshes a session's last activity (a page load).
    pub(crate) fn touch(&mut self, sid: &SessionId, cx: &mut StepContext<'_>) {
        if let Some(session) = self.sessions.get_mut(sid) {
            self.by_activity.remove(&(session.last_activity, *sid));
            session.last_activity = cx.now;
            self.by_activity.insert((cx.now, *sid));
            self.after_step(sid, cx);
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
                cx.log(LogLevel::Debug, sid, "session expired".into());
            }
        }
    }

    /// Runs every session whose deadline has come: expiry first, then its due Lua timers.
    /// Timers added while this runs (a `setImmediate`) wait for the next call, so a script
    /// that keeps rescheduling itself cannot keep `Core` busy.
    pub(crate) fn run_due(&mut self, cx: &mut StepContext<'_>) {
        self.expire_due(cx);
        for sid in self.due_at(cx.now) {
            let Some(session) = self.sessions.get(&sid) else {
                continue;
            };
            session.backend.set_clock(cx.clock(session.created));
            session.backend.run_due_timers(cx.now);
            self.after_step(&sid, cx);
        }
    }

    /// Files the session's next deadline and forwards what its script logged.
    fn after_step(&mut self, sid: &SessionId, cx: &mut StepContext<'_>) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        for (level, line) in session.backend.take_logs() {
            cx.log(level, *sid, line);
        }
        let next = match (session.backend.next_timer(), expiry(session, cx.config)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(old) = session.wake.take() {
            self.wakeups.remove(&(old, *sid));
        }
        if let Some(at) = next {
            self.wakeups.insert((at, *sid));
            session.wake = Some(at);
        }
    }

    fn destroy(&mut self, sid: &SessionId) {
        if let Some(session) = self.sessions.remove(sid) {
            self.by_activity.remove(&(session.last_activity, *sid));
            if let Some(at) = session.wake {
                self.wakeups.remove(&(at, *sid));
            }
        }
    }
}

/// When an idle session expires. Until connections exist (the WebSocket endpoint), every
/// session is one no browser has claimed yet.
fn expiry(session: &Session, config: &Config) -> Option<Instant> {
    config
        .unclaimed_timeout
        .and_then(|timeout| session.last_activity.checked_add(timeout))
}
