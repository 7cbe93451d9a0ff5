//! The per-session state that Lua callbacks reach through the VM's app data: the session id,
//! the step clock, the change tracker, the timer table, the log lines written by the script, its
//! modules and prototypes.

use std::time::{Duration, Instant};

use crate::ids::SessionId;
use crate::lua::Tracker;
use crate::lua::api::modules_api::Modules;
use crate::lua::api::prototypes::Prototypes;
use crate::lua::api::timers::Timers;
use crate::lua::vm::logs::Logs;

pub(crate) struct Host {
    pub(crate) sid: SessionId,
    pub(crate) clock: StepClock,
    pub(crate) tracker: Tracker,
    pub(crate) timers: Timers,
    pub(crate) logs: Logs,
    /// `--max-variables`, which `session:createVariable` respects too.
    pub(crate) max_variables: usize,
    /// `--max-depth`, which `session:createVariable` respects too.
    pub(crate) max_depth: usize,
    pub(crate) modules: Modules,
    pub(crate) prototypes: Prototypes,
    /// Whether a hot reload is running (`session.reloading`, §7.6).
    pub(crate) reloading: bool,
    /// The deprecated `session:newVersion()` counter (§7.2).
    pub(crate) version: i64,
}

/// Time as a script sees it during one step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepClock {
    /// `now` of the step being run.
    pub(crate) now: Instant,
    /// Wall-clock seconds since the Unix epoch at `now`.
    pub(crate) wall_seconds: f64,
    /// When the session was created, for `os.clock`.
    pub(crate) created: Instant,
}

impl StepClock {
    pub(crate) fn since_creation(&self) -> Duration {
        self.now.saturating_duration_since(self.created)
    }
}
