//! lunette's sans-IO core: sessions, their Lua VMs and change trackers, and the HTTP routes.
//!
//! [`Core`] never touches the network, the file system, the clock or OS randomness. Time arrives
//! as a `now: Instant` with every input, randomness from an injected [`IdSource`], files as an
//! in-memory [`Site`]. What it wants done comes back as values: HTTP responses, [`Output`]s and
//! one deadline. That is what lets the in-memory harness replay a run byte for byte and lets any
//! event loop embed it.
//!
//! # Driving contract
//!
//! Every transport follows the same rhythm:
//!
//! 1. call one `handle_*` method with `now` (never earlier than the previous `now`):
//!    [`Core::handle_http`] for a request, [`Core::handle_ws_text`] and
//!    [`Core::handle_ws_closed`] for an upgraded connection, [`Core::handle_timeout`] when the
//!    timer fires, and with `--hotload` [`Core::handle_site_changes`] when site files changed
//!    (the transport watches the site and reads the files; core never does);
//! 2. drain [`Core::poll_output`] until it returns `None`; an [`Output::WsClose`] is reported
//!    back through [`Core::handle_ws_closed`] once the socket is closed, like any other end
//!    (core has let the connection go already and drops frames still arriving on it);
//! 3. arm a single timer for [`Core::poll_timeout`]; when it fires, call
//!    [`Core::handle_timeout`] with the current time and start again at 2.
//!
//! A session's step runs in slices ([`Config::lua_slice`] VM instructions): once a slice is
//! used up, the step is suspended wherever it is and the `handle_*` call returns;
//! [`Core::poll_timeout`] is then the last `now`, and each `handle_timeout` runs one more slice
//! of every suspended step. A loop that handles its other inputs before calling
//! `handle_timeout` again gets fairness between sessions with nothing more to do: one
//! session's long action delays the others by about a slice. Whatever arrives for a suspended
//! session waits in order behind its step, and its connections get nothing until the step
//! ends. A session's start (`main.lua`, in `GET /`) is the exception: its request is answered
//! with the outcome, so it runs to completion. Every call into Lua is still bounded by an
//! instruction budget ([`Config::lua_budget`]), counted across its slices. To use several CPU
//! cores, run several `Core`s ("shards") and route each request by the session id in its path
//! ([`SessionId::shard`]).
//!
//! A panic inside a session's step is a bug of lunette, never of a script: that session is
//! dropped (what it was in the middle of cannot be trusted) and its connections are closed with
//! `1011` through [`Output::WsClose`]; every other session goes on untouched. A panic outside a
//! step (routing, a flush) reaches the caller of the `handle_*` method.
//!
//! Bad input from a peer or a script never panics and never surfaces as `Err`: it becomes a
//! response (an error page) or a log record. `Err(`[`Misuse`]`)` is reserved for mistakes of the
//! driving code, such as time going backwards.

mod alarm;
mod assets;
mod bundle;
mod config;
mod core;
mod debug;
mod headers;
mod hotload;
mod http;
mod ids;
mod lua;
mod output;
mod pages;
mod protocol;
mod session;
mod site;
#[allow(unsafe_code)] // the running step's yielder, reached from Lua's count hook; see slices.rs
mod slices;
mod stats;
mod tracker;
mod viewdefs;

pub use crate::alarm::StepAlarm;
pub use crate::config::Config;
pub use crate::core::{Core, HttpReply, Misuse};
pub use crate::ids::{ConnId, IdSource, SeededIds, SessionId};
pub use crate::output::{LogLevel, LogRecord, Output};
pub use crate::session::Deadline;
pub use crate::site::{SITE_FOLDERS, Site};
pub use crate::stats::Stats;
