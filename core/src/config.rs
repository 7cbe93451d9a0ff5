//! Server options that shape a `Core` (docs/protocol.md §1.1). Transports map their flags onto
//! this.

use std::time::{Duration, SystemTime};

use crate::alarm::StepAlarm;

#[derive(Debug, Clone)]
pub struct Config {
    /// Live session limit; `GET /` beyond it evicts the oldest idle session (§6.1, §6.3).
    pub max_sessions: usize,
    /// Idle expiry of a session that has had a connection; `None` = never.
    pub session_timeout: Option<Duration>,
    /// Expiry of a session no browser ever connected to; `None` = never.
    pub unclaimed_timeout: Option<Duration>,
    /// Lua heap limit per session, in bytes.
    pub lua_memory: usize,
    /// VM instructions per call into Lua, counted across the slices of its step: a guard
    /// against runaway scripts, sized for legitimate heavy actions (about a second of work).
    pub lua_budget: u64,
    /// VM instructions per slice of a step (docs/protocol.md §4.6): past a slice, a session's step
    /// is suspended so that other sessions of the core are served before it resumes. 0: steps run
    /// to completion.
    pub lua_slice: u64,
    /// What may wait behind a session's suspended step (docs/protocol.md §4.6), in bytes: the
    /// text of the frames that arrived meanwhile plus a fixed charge per waiting job. A frame
    /// past it closes its connection with `1008`; an upgrade past it is refused with `503`.
    pub max_waiting_bytes: usize,
    /// Wall-clock time at the `now` handed to `Core::new`; `os.time` and `os.date` count from
    /// it, so that core never reads the system clock.
    pub epoch: SystemTime,
    /// This core's index among `shards` cores serving one site: it only mints session ids
    /// whose [`SessionId::shard`](crate::SessionId::shard) is `shard`, so a transport can
    /// route every request by the id in its path.
    pub shard: usize,
    pub shards: usize,
    /// `Origin` values accepted on `/ws/<sid>` besides the request's own host (§3.1).
    pub allow_origins: Vec<String>,
    /// `Some`: only requests whose `Host` names loopback (`localhost`, `127.x.y.z`, `[::1]`,
    /// any port) or one of these names (`name` or `name:port`) are answered; others get
    /// `421`. This stops DNS rebinding, where a page on another site reaches a server bound
    /// to loopback through a name of its own; a transport bound to loopback sets it
    /// (`--allow-host` adds names). `None`: any `Host`.
    pub allowed_hosts: Option<Vec<String>>,
    /// Variables per session (§6.3): a `create` beyond it is `limit-exceeded`.
    pub max_variables: usize,
    /// The memory all sessions of this core may hold, in bytes: Lua heaps plus what their
    /// trackers hold. Past it, `GET /` evicts sessions without a connection (never connected
    /// first, then the least recently active) and answers `503` if that is not enough.
    /// `None` = no ceiling; transports derive a default from the machine's memory.
    pub max_memory: Option<usize>,
    /// Raised by the transport when a step has run too long by the wall clock: every call
    /// into Lua then stops as if its budget were spent (see [`StepAlarm`]).
    pub alarm: StepAlarm,
    /// Depth of the variable tree (roots are at depth 0): a `create` whose variable would lie
    /// deeper is `limit-exceeded`. Viewdefs nest a few levels per view; a peer could nest
    /// thousands.
    pub max_depth: usize,
    /// `--hotload` (§7.6, §8): [`Core::handle_site_changes`](crate::Core::handle_site_changes)
    /// applies edited files to live sessions; without it that input is ignored.
    pub hotload: bool,
    /// The debug endpoints of §11 (`/<sid>/variables`, `/<sid>/variables.json`); off, those
    /// paths answer `404` (`--no-debug-pages`).
    pub debug_pages: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_sessions: 100_000,
            session_timeout: Some(Duration::from_secs(24 * 60 * 60)),
            unclaimed_timeout: Some(Duration::from_secs(2 * 60)),
            lua_memory: 64 * 1024 * 1024,
            lua_budget: 100_000_000,
            lua_slice: 200_000,
            max_waiting_bytes: 4 * 1024 * 1024,
            epoch: SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600),
            shard: 0,
            shards: 1,
            allow_origins: Vec::new(),
            allowed_hosts: None,
            debug_pages: true,
            max_variables: 100_000,
            max_memory: None,
            alarm: StepAlarm::default(),
            max_depth: 100,
            hotload: false,
        }
    }
}
