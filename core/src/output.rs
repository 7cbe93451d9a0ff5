//! What `Core` asks its transport to do, drained through `Core::poll_output`.

use crate::ids::{ConnId, SessionId};

/// One thing for the transport to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A record for the server log.
    Log(LogRecord),
    /// Send this text frame on the connection.
    WsSend { conn: ConnId, text: String },
    /// Close the connection with this close code (after sending any earlier `WsSend`). Core
    /// has let it go already: frames still arriving on it are dropped, and its end is reported
    /// through [`Core::handle_ws_closed`](crate::Core::handle_ws_closed) like any other.
    WsClose { conn: ConnId, code: u16 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// A log line. `session` is set when the record concerns one session; transports show only
/// its [`SessionId::short`] form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: LogLevel,
    pub session: Option<SessionId>,
    pub message: String,
}
