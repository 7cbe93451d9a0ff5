//! Counts an operator watches (sessions, frames, Lua failures), kept by core as plain data.
//! Core renders nothing: a transport reads [`Core::stats`](crate::Core::stats) and exposes
//! the numbers in whatever format it serves (the `lunette` binary: Prometheus text).

use std::cell::Cell;

/// A snapshot of one core's counters and gauges. Counters only grow over a core's life;
/// a transport running several cores adds their snapshots up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Live sessions (gauge).
    pub sessions: usize,
    /// Open WebSocket connections (gauge).
    pub connections: usize,
    /// The memory all sessions held after their last steps, in bytes (gauge; see
    /// [`Core::sessions_memory`](crate::Core::sessions_memory)).
    pub sessions_memory: usize,
    /// Whether the core is draining (see [`Core::set_draining`](crate::Core::set_draining)).
    pub draining: bool,
    pub sessions_created: u64,
    /// Sessions that reached their `--session-timeout` or `--unclaimed-timeout`.
    pub sessions_expired: u64,
    /// Sessions destroyed to make room for a new one (`--max-sessions`, `--max-memory`).
    pub sessions_evicted: u64,
    /// Inbound WebSocket text messages.
    pub frames_received: u64,
    /// Calls into Lua that ended in an error: a failed start or module, a failing timer,
    /// wrapper or hot-reload `mutate`, a new `lua-error` on a variable or a failed write.
    pub lua_errors: u64,
    /// Calls into Lua stopped because their instruction budget (or the step alarm) ran out.
    pub budget_exhausted: u64,
}

/// The sum of two cores' snapshots (`draining` if either is).
impl std::ops::Add for Stats {
    type Output = Stats;

    fn add(self, other: Stats) -> Stats {
        Stats {
            sessions: self.sessions + other.sessions,
            connections: self.connections + other.connections,
            sessions_memory: self.sessions_memory + other.sessions_memory,
            draining: self.draining || other.draining,
            sessions_created: self.sessions_created + other.sessions_created,
            sessions_expired: self.sessions_expired + other.sessions_expired,
            sessions_evicted: self.sessions_evicted + other.sessions_evicted,
            frames_received: self.frames_received + other.frames_received,
            lua_errors: self.lua_errors + other.lua_errors,
            budget_exhausted: self.budget_exhausted + other.budget_exhausted,
        }
    }
}

/// The counters, shared (through an `Rc`) by a core's session manager and every session's
/// Lua backend, which count where the events happen.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sessions_created: Cell<u64>,
    pub(crate) sessions_expired: Cell<u64>,
    pub(crate) sessions_evicted: Cell<u64>,
    pub(crate) frames_received: Cell<u64>,
    pub(crate) lua_errors: Cell<u64>,
    pub(crate) budget_exhausted: Cell<u64>,
}

impl Counters {
    pub(crate) fn bump(counter: &Cell<u64>) {
        counter.set(counter.get().saturating_add(1));
    }

    pub(crate) fn add(counter: &Cell<u64>, n: u64) {
        counter.set(counter.get().saturating_add(n));
    }
}
