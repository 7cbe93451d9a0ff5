//! The WebSocket connections of one shard's core, as seen from the shard's thread: for each
//! open `ConnId`, the queue to the task that owns its socket (on whichever thread accepted it).
//!
//! Each queue is bounded in bytes (`--max-outbound-bytes`). A peer that does not read its
//! socket stops its task in a blocked send while core keeps producing frames for it; without a
//! bound those frames would pile up here until the silence limit, tens of megabytes a second.
//! A frame that would take a non-empty queue past the bound closes the connection instead
//! (1008, see `websocket.rs`); its session lives on.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use lunette_core::{ConnId, SessionId};
use tokio::sync::Notify;

/// `--max-outbound-bytes`'s default: far above what a reading client ever has queued, far
/// below what a few thousand connections could not afford.
pub const DEFAULT_MAX_OUTBOUND: usize = 8 * 1024 * 1024;

/// What a queued frame costs besides its text: the command and the channel's slot. It also
/// keeps a flood of empty frames from being free.
const FRAME_OVERHEAD: usize = 64;

/// What the owner shard asks a socket task to do, in the order core asked it.
#[derive(Debug)]
pub enum WsCommand {
    Send(String),
    Close(u16),
}

fn cost(text: &str) -> usize {
    text.len() + FRAME_OVERHEAD
}

/// What a connection's shard and its socket task share about its queue.
#[derive(Debug, Default)]
struct Shared {
    /// Bytes (with [`FRAME_OVERHEAD`]) of the frames queued and not yet taken by the task.
    queued: AtomicUsize,
    /// Set once the shard has given up on the connection.
    overflowed: AtomicBool,
    wake: Notify,
}

/// The socket task's end of a connection's queue.
#[derive(Debug)]
pub struct Outbox {
    commands: flume::Receiver<WsCommand>,
    shared: Arc<Shared>,
    limit: usize,
}

impl Outbox {
    /// The next command, `None` once the shard has forgotten the connection and the queue is
    /// empty. A frame leaves the byte count as it is taken. Cancel-safe.
    pub async fn recv(&mut self) -> Option<WsCommand> {
        let command = self.commands.recv_async().await.ok();
        if let Some(WsCommand::Send(text)) = &command {
            self.shared.queued.fetch_sub(cost(text), Ordering::AcqRel);
        }
        command
    }

    /// The next command if one is queued.
    pub fn try_recv(&mut self) -> Option<WsCommand> {
        let command = self.commands.try_recv().ok()?;
        if let WsCommand::Send(text) = &command {
            self.shared.queued.fetch_sub(cost(text), Ordering::AcqRel);
        }
        Some(command)
    }

    /// What tells the task that the queue overflowed, to wait on beside [`Outbox::recv`].
    pub fn overflow(&self) -> OverflowSignal {
        OverflowSignal {
            shared: Arc::clone(&self.shared),
            limit: self.limit,
        }
    }
}

/// Tells a socket task that its queue passed its bound.
#[derive(Debug)]
pub struct OverflowSignal {
    shared: Arc<Shared>,
    limit: usize,
}

impl OverflowSignal {
    /// Completes once the queue has passed its bound: the shard has forgotten the connection
    /// (and told core it closed), so the task should close it at once, without sending what is
    /// still queued. Cancel-safe.
    pub async fn wait(&self) {
        loop {
            let woken = self.shared.wake.notified();
            if self.shared.overflowed.load(Ordering::Acquire) {
                return;
            }
            woken.await;
        }
    }

    /// The queue's bound in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// The shard's end of one connection.
#[derive(Debug)]
struct Conn {
    commands: flume::Sender<WsCommand>,
    shared: Arc<Shared>,
    session: SessionId,
}

/// A connection closed because its queue would have passed its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    pub session: SessionId,
    pub limit: usize,
}

/// The open connections of one core. A connection is in the map from core's `Upgrade` until
/// the shard reports it closed to core, so removing it is what makes that report happen once.
#[derive(Debug)]
pub struct WsConns {
    commands: HashMap<ConnId, Conn>,
    /// Bytes each connection may have queued.
    limit: usize,
}

impl WsConns {
    pub fn new(limit: usize) -> Self {
        Self {
            commands: HashMap::new(),
            limit,
        }
    }

    /// Registers a connection core just accepted; the socket task reads its commands from
    /// the outbox.
    pub fn open(&mut self, conn: ConnId, session: SessionId) -> Outbox {
        let (sender, receiver) = flume::unbounded();
        let shared = Arc::new(Shared::default());
        let entry = Conn {
            commands: sender,
            shared: Arc::clone(&shared),
            session,
        };
        self.commands.insert(conn, entry);
        Outbox {
            commands: receiver,
            shared,
            limit: self.limit,
        }
    }

    pub fn is_open(&self, conn: ConnId) -> bool {
        self.commands.contains_key(&conn)
    }

    /// Queues a text frame for the connection's socket task. A frame that would take a
    /// non-empty queue past the bound is dropped instead, the connection is forgotten and its
    /// task told to close it: `Err` says so, and that core must now be told it closed. (An
    /// empty queue takes any frame, so that one large frame to a reading client is not
    /// refused.)
    pub fn send(&mut self, conn: ConnId, text: String) -> Result<(), Overflow> {
        let Some(entry) = self.commands.get(&conn) else {
            return Ok(());
        };
        let cost = cost(&text);
        // Only this thread adds; the task only takes away, so the sum can only be lower by
        // the time the frame is queued.
        let queued = entry.shared.queued.load(Ordering::Acquire);
        if queued > 0 && queued.saturating_add(cost) > self.limit {
            let overflow = Overflow {
                session: entry.session,
                limit: self.limit,
            };
            if let Some(entry) = self.commands.remove(&conn) {
                entry.shared.overflowed.store(true, Ordering::Release);
                entry.shared.wake.notify_one();
            }
            return Err(overflow);
        }
        entry.shared.queued.fetch_add(cost, Ordering::AcqRel);
        // A task that has ended has also dropped its outbox, and its close is on the way.
        if entry.commands.send(WsCommand::Send(text)).is_err() {
            entry.shared.queued.fetch_sub(cost, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Forgets the connection; true if it was open, i.e. if core must now be told it closed.
    pub fn remove(&mut self, conn: ConnId) -> bool {
        self.commands.remove(&conn).is_some()
    }

    /// Has the socket task close the connection with `code`, and forgets it. True if it was
    /// open.
    pub fn close(&mut self, conn: ConnId, code: u16) -> bool {
        match self.commands.remove(&conn) {
            Some(entry) => {
                let _ = entry.commands.send(WsCommand::Close(code));
                true
            }
            None => false,
        }
    }
}

/// A connection as a real core names it, and its session, for tests.
#[cfg(test)]
pub fn accepted() -> (ConnId, SessionId) {
    use std::time::Instant;

    use bytes::Bytes;
    use http::Request;
    use lunette_core::{Config, Core, HttpReply, SeededIds, Site};

    let now = Instant::now();
    let ids = Box::new(SeededIds::new(7));
    let mut core = Core::new(Config::default(), Site::builtin(), ids, now);
    let get = |path: &str| {
        Request::get(path)
            .header("upgrade", "websocket")
            .header("connection", "upgrade")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13")
            .body(Bytes::new())
            .unwrap_or_else(|error| panic!("{error}"))
    };
    let created = core.handle_http(now, get("/"));
    let Ok(HttpReply::Respond(created)) = created else {
        panic!("GET / answers")
    };
    let location = created.headers()["location"].to_str().unwrap_or_default();
    let upgraded = core.handle_http(now, get(&format!("/ws{location}")));
    let Ok(HttpReply::Upgrade { conn, session }) = upgraded else {
        panic!("the upgrade is accepted")
    };
    (conn, session)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: usize) -> String {
        "x".repeat(bytes - FRAME_OVERHEAD)
    }

    #[tokio::test]
    async fn a_queue_past_its_bound_closes_its_connection_once() {
        let mut conns = WsConns::new(1000);
        let (conn, session) = accepted();
        let mut outbox = conns.open(conn, session);
        assert_eq!(conns.send(conn, text(600)), Ok(()));
        assert_eq!(conns.send(conn, text(400)), Ok(()), "exactly at the bound");
        let overflow = Overflow {
            session,
            limit: 1000,
        };
        assert_eq!(conns.send(conn, text(100)), Err(overflow));
        // Forgotten: core is told once, later frames go nowhere.
        assert!(!conns.is_open(conn));
        assert!(!conns.remove(conn));
        assert_eq!(conns.send(conn, text(100)), Ok(()));
        // The task is told at once, whatever is still queued.
        outbox.overflow().wait().await;
        assert!(matches!(outbox.recv().await, Some(WsCommand::Send(t)) if t.len() == 536));
    }

    #[tokio::test]
    async fn frames_the_task_took_leave_the_count() {
        let mut conns = WsConns::new(1000);
        let (conn, session) = accepted();
        let mut outbox = conns.open(conn, session);
        for _ in 0..10 {
            assert_eq!(conns.send(conn, text(600)), Ok(()));
            assert!(matches!(outbox.recv().await, Some(WsCommand::Send(_))));
        }
        assert!(conns.is_open(conn));
        let overflow = outbox.overflow();
        let pending = tokio::time::timeout(std::time::Duration::from_millis(10), overflow.wait());
        assert!(pending.await.is_err(), "not overflowed");
    }

    #[test]
    fn an_empty_queue_takes_a_frame_larger_than_the_bound() {
        let mut conns = WsConns::new(1000);
        let (conn, session) = accepted();
        let _outbox = conns.open(conn, session);
        assert_eq!(conns.send(conn, text(5000)), Ok(()));
        assert!(conns.send(conn, text(100)).is_err());
    }
}
