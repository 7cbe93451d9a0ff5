//! `SessionManager`: the live sessions of one `Core`, their creation, expiry and eviction.
//!
//! The sequence a browser's first request starts lives here: `GET /` → `create` →
//! `LuaBackend::start` (a fresh sandboxed VM and tracker) → `lua/main.lua` makes variable 1 →
//! the session is filed and its id goes back in the `302`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::ids::{ConnId, IdSource, SessionId};
use crate::lua::{ChunkCache, LuaBackend, StartFailure, StepClock};
use crate::output::{LogLevel, LogRecord, Output};
use crate::session::Session;
use crate::session::steps::{self, Filed, Finished, Full, Job, Plain, Running, Waiting};
use crate::site::Site;
use crate::slices::{MAX_SUSPENDED, Panicked, Progress, Stacks};
use crate::stats::Counters;
use crate::viewdefs::Viewdefs;

/// What a deadline of [`Core::next_deadline`](crate::Core::next_deadline) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// A session's step waits, suspended, for its next slice: due at once.
    Slice,
    /// A Lua timer of this session is due.
    Timer(SessionId),
    /// This session expires, unless something happens to it first.
    Expiry(SessionId),
}

/// What `GET /` led to.
pub(crate) enum Created {
    Session(SessionId),
    /// Every live session is in use and none can be evicted.
    Full,
    Failed(StartFailure),
}

/// Everything a step needs from `Core` besides the sessions themselves.
pub(crate) struct StepContext<'a> {
    pub(crate) config: &'a Rc<Config>,
    pub(crate) site: &'a Site,
    pub(crate) chunks: &'a ChunkCache,
    pub(crate) viewdefs: &'a Rc<Viewdefs>,
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
    /// Boxed: a B-tree node holds eleven values, and a session is large.
    sessions: BTreeMap<SessionId, Box<Session>>,
    /// Sessions without an open connection in eviction order: never connected first, then
    /// by last activity, oldest first (§6.3).
    idle: BTreeSet<(bool, Instant, SessionId)>,
    /// Each session's next deadline: a Lua timer, a flush or its expiry.
    wakeups: BTreeSet<(Instant, SessionId)>,
    /// The sum of every session's memory as measured after its last step.
    memory: usize,
    /// Sessions whose step is suspended (out of `sessions` meanwhile), with what arrived for
    /// them since (see `steps.rs`).
    running: BTreeMap<SessionId, Running>,
    /// Suspended sessions in the order their next slices run.
    runnable: VecDeque<SessionId>,
    stacks: Stacks,
    /// Sessions dropped because a step panicked, whose connections core has yet to close.
    dropped: Vec<SessionId>,
}

impl SessionManager {
    pub(crate) fn len(&self) -> usize {
        self.sessions.len() + self.running.len()
    }

    /// Whether the session is live, its step suspended or not.
    pub(crate) fn exists(&self, id: &SessionId) -> bool {
        self.sessions.contains_key(id) || self.running.contains_key(id)
    }

    /// The session, unless it is live but its step is suspended.
    pub(crate) fn get(&self, id: &SessionId) -> Option<&Session> {
        self.sessions.get(id).map(|session| &**session)
    }

    /// Sessions dropped since the last call because a step panicked.
    pub(crate) fn take_dropped(&mut self) -> Vec<SessionId> {
        std::mem::take(&mut self.dropped)
    }

    /// How many sessions have a step suspended, waiting for its next slice.
    pub(crate) fn suspended(&self) -> usize {
        self.runnable.len()
    }

    /// Lua's own count of the heap all sessions use, in bytes (a session whose step is
    /// suspended is not counted: its VM is out of reach until the step ends).
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

    /// The earliest deadline and what it is for; `now` itself while a step waits for its
    /// next slice.
    pub(crate) fn next_deadline(&self, now: Instant) -> Option<(Instant, Deadline)> {
        if !self.runnable.is_empty() {
            return Some((now, Deadline::Slice));
        }
        let &(due, sid) = self.wakeups.first()?;
        let timer = self
            .sessions
            .get(&sid)
            .and_then(|s| s.backend.next_timer())
            .is_some_and(|at| at <= due);
        Some((
            due,
            if timer {
                Deadline::Timer(sid)
            } else {
                Deadline::Expiry(sid)
            },
        ))
    }

    /// `GET /`: makes room if the limit is reached, draws an id and a Lua seed, and starts the
    /// session's VM with `main.lua`. A failed start leaves nothing behind.
    pub(crate) fn create(&mut self, ids: &mut dyn IdSource, cx: &mut StepContext<'_>) -> Created {
        while self.len() >= cx.config.max_sessions {
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
            if sid.shard(cx.config.shards) == cx.config.shard && !self.exists(&sid) {
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
        self.sessions
            .insert(sid, Box::new(Session::new(backend, cx.now)));
        self.idle.insert((false, cx.now, sid));
        self.after_step(&sid, cx);
        Created::Session(sid)
    }

    /// Refreshes a session's last activity (a page load).
    pub(crate) fn touch(&mut self, sid: &SessionId, cx: &mut StepContext<'_>) {
        // A page load is never refused: one waiting is as good as many.
        let _ = self.submit(sid, Job::Touched, cx);
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

    /// Whether a new connection can join the session now: not while its step is suspended
    /// and the queue behind it is full.
    pub(crate) fn can_connect(&self, sid: &SessionId, config: &Config) -> bool {
        self.running
            .get(sid)
            .is_none_or(|running| running.waiting.has_room(config.max_waiting_bytes))
    }

    /// A WebSocket connection joined the session (a connect step); [`Self::can_connect`]
    /// said it could.
    pub(crate) fn connect(&mut self, sid: &SessionId, conn: ConnId, cx: &mut StepContext<'_>) {
        // Room was checked just before: nothing is refused here.
        let _ = self.submit(sid, Job::Connected(conn), cx);
    }

    /// A connection closed (§6.2). No cycle runs.
    pub(crate) fn disconnect(&mut self, sid: &SessionId, conn: ConnId, cx: &mut StepContext<'_>) {
        // A close is always queued.
        let _ = self.submit(sid, Job::Closed(conn), cx);
    }

    /// Inbound text frames of one connection (§3.2, §4): their messages in order, then one
    /// update cycle and a flush at the end of the step, user event or not (§4.5). `Err` when
    /// they would take the queue behind the session's suspended step past
    /// [`Config::max_waiting_bytes`]: they are dropped.
    pub(crate) fn handle_frames(
        &mut self,
        sid: &SessionId,
        conn: ConnId,
        texts: &[&str],
        cx: &mut StepContext<'_>,
    ) -> Result<(), Full> {
        let texts = texts.iter().map(|text| (*text).to_owned()).collect();
        self.submit(sid, Job::Frames { conn, texts }, cx)
    }

    /// Site files changed (`--hotload`): every session re-runs the `modules` (name, new
    /// source) it has loaded; then each session that re-ran one, or every session when
    /// `viewdefs_changed`, runs an update cycle and flushes, as after an inbound frame
    /// (§7.6, §8).
    pub(crate) fn reload(
        &mut self,
        modules: &[(String, bytes::Bytes)],
        viewdefs_changed: bool,
        cx: &mut StepContext<'_>,
    ) {
        let modules: Rc<[(String, bytes::Bytes)]> = modules.into();
        let sids: Vec<SessionId> = self
            .sessions
            .keys()
            .chain(self.running.keys())
            .copied()
            .collect();
        for sid in sids {
            let job = Job::Reload {
                modules: Rc::clone(&modules),
                viewdefs_changed,
            };
            // Always queued: a reload must reach every session.
            let _ = self.submit(&sid, job, cx);
        }
    }

    /// Has the session do `job` now, or after its suspended step and what waits behind it;
    /// `Err` if there is no room left behind it.
    fn submit(&mut self, sid: &SessionId, job: Job, cx: &mut StepContext<'_>) -> Result<(), Full> {
        if let Some(running) = self.running.get_mut(sid) {
            return running.waiting.push(job, cx.config.max_waiting_bytes);
        }
        if let (Job::Frames { .. }, Some(session)) = (&job, self.sessions.get_mut(sid)) {
            session.last_activity = cx.now;
        }
        let plain = match steps::body(job, cx.config, cx.now) {
            Ok(body) => {
                self.start_step(*sid, body, cx);
                return Ok(());
            }
            Err(plain) => plain,
        };
        let Some(session) = self.sessions.get_mut(sid) else {
            return Ok(());
        };
        match plain {
            Plain::Touched => {
                self.update_activity(sid, cx.now);
            }
            Plain::Connected(conn) => {
                self.idle
                    .remove(&(session.ever_connected, session.last_activity, *sid));
                session.last_activity = cx.now;
                session.open(conn);
            }
        }
        self.after_step(sid, cx);
        Ok(())
    }

    /// Runs `body` on the session as a step, up to its first slice's end.
    pub(crate) fn start_step(
        &mut self,
        sid: SessionId,
        body: steps::StepBody,
        cx: &mut StepContext<'_>,
    ) {
        let Some(mut session) = self.sessions.remove(&sid) else {
            return;
        };
        session.backend.set_clock(cx.clock(session.created));
        let filed = Filed::of(&session);
        let stopper = session.backend.stopper();
        let suspendable = cx.config.lua_slice > 0 && self.running.len() < MAX_SUSPENDED;
        let viewdefs = Rc::clone(cx.viewdefs);
        let progress = self.stacks.start(suspendable, move || {
            session.backend.start_step();
            let mut frames = Vec::new();
            if body(&mut session) {
                // In the step, so that a flush of thousands of changes is sliced as well.
                session.flush(&viewdefs, &mut frames);
            }
            (session, frames)
        });
        match progress {
            Progress::Done(outcome) => self.finish(sid, outcome, filed, cx),
            Progress::Suspended(step) => {
                // Out of the tables while it runs: a suspended session neither expires nor is
                // evicted, and its timers wait for the step's end.
                self.idle.remove(&(filed.idle.0, filed.idle.1, sid));
                if let Some(at) = filed.wake {
                    self.wakeups.remove(&(at, sid));
                }
                let running = Running {
                    step,
                    stopper,
                    filed,
                    waiting: Waiting::default(),
                };
                self.running.insert(sid, running);
                self.runnable.push_back(sid);
            }
        }
    }

    /// Runs one more slice of every suspended step, in turn; a step that ends hands its
    /// session what waited behind it.
    fn resume_suspended(&mut self, cx: &mut StepContext<'_>) {
        for _ in 0..self.runnable.len() {
            let Some(sid) = self.runnable.pop_front() else {
                break;
            };
            let Some(running) = self.running.remove(&sid) else {
                continue;
            };
            let Running {
                step,
                stopper,
                filed,
                waiting,
            } = running;
            match self.stacks.resume(step) {
                Progress::Suspended(step) => {
                    let running = Running {
                        step,
                        stopper,
                        filed,
                        waiting,
                    };
                    self.running.insert(sid, running);
                    self.runnable.push_back(sid);
                }
                Progress::Done(outcome) => {
                    self.finish(sid, outcome, filed, cx);
                    for job in waiting.into_jobs() {
                        // Each fits: they fitted behind the last step, in this order.
                        let _ = self.submit(&sid, job, cx);
                    }
                }
            }
        }
    }

    /// A step ended: the session flushes and is filed again. One whose step panicked (a bug
    /// of the server, never of a script) is dropped: what it was in the middle of is lost.
    fn finish(
        &mut self,
        sid: SessionId,
        outcome: Result<Finished, Panicked>,
        filed: Filed,
        cx: &mut StepContext<'_>,
    ) {
        let Ok((session, frames)) = outcome else {
            self.idle.remove(&(filed.idle.0, filed.idle.1, sid));
            if let Some(at) = filed.wake {
                self.wakeups.remove(&(at, sid));
            }
            self.memory -= filed.measured;
            self.dropped.push(sid);
            cx.log(
                LogLevel::Error,
                sid,
                "a step panicked (a bug in lunette): the session was dropped".into(),
            );
            return;
        };
        cx.outputs.extend(
            frames
                .into_iter()
                .map(|(conn, text)| Output::WsSend { conn, text }),
        );
        if session.connections.is_empty() {
            self.idle
                .insert((session.ever_connected, session.last_activity, sid));
        }
        self.sessions.insert(sid, session);
        self.after_step(&sid, cx);
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
        self.resume_suspended(cx);
        for sid in self.due_at(cx.now) {
            let Some(session) = self.sessions.get(&sid) else {
                continue;
            };
            if session.backend.next_timer().is_some_and(|at| at <= cx.now) {
                // Not suspended (a suspended session has no wakeup): it runs at once.
                let _ = self.submit(&sid, Job::Timers, cx);
            } else {
                self.after_step(&sid, cx);
            }
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

impl Drop for SessionManager {
    /// A suspended step cannot simply be dropped (that would unwind through the Lua VM on its
    /// stack): each is stopped, so that every call of it fails at once, and run to its end.
    fn drop(&mut self) {
        for (_, running) in std::mem::take(&mut self.running) {
            running.stopper.stop();
            let mut step = running.step;
            while let Progress::Suspended(next) = self.stacks.resume(step) {
                step = next;
            }
        }
    }
}
