//! Sessions: each owns a Lua VM with its own tracker and timers, and nothing else is shared.

pub(crate) mod manager;

use std::time::Instant;

use crate::lua::LuaBackend;

pub(crate) use manager::SessionManager;

pub(crate) struct Session {
    pub(crate) backend: LuaBackend,
    pub(crate) created: Instant,
    /// Refreshed by page loads (and, with connections, by their frames); not by timers.
    pub(crate) last_activity: Instant,
    /// The deadline this session is filed under in the manager's wake-up table.
    wake: Option<Instant>,
}
