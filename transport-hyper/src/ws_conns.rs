//! The WebSocket connections of one shard's core, as seen from the shard's thread: for each
//! open `ConnId`, the channel to the task that owns its socket (on whichever thread accepted it).

use std::collections::HashMap;

use lunette_core::ConnId;
use tokio::sync::mpsc;

/// What the owner shard asks a socket task to do, in the order core asked it.
#[derive(Debug)]
pub enum WsCommand {
    Send(String),
    Close(u16),
}

/// The open connections of one core. A connection is in the map from core's `Upgrade` until
/// the shard reports it closed to core, so removing it is what makes that report happen once.
#[derive(Debug, Default)]
pub struct WsConns {
    commands: HashMap<ConnId, mpsc::UnboundedSender<WsCommand>>,
}

impl WsConns {
    /// Registers a connection core just accepted; the socket task reads its commands from
    /// the receiver.
    pub fn open(&mut self, conn: ConnId) -> mpsc::UnboundedReceiver<WsCommand> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.commands.insert(conn, sender);
        receiver
    }

    pub fn is_open(&self, conn: ConnId) -> bool {
        self.commands.contains_key(&conn)
    }

    /// Queues a text frame for the connection's socket task.
    pub fn send(&self, conn: ConnId, text: String) {
        if let Some(commands) = self.commands.get(&conn) {
            // A task that has ended has also dropped its link, and its close is on the way.
            let _ = commands.send(WsCommand::Send(text));
        }
    }

    /// Forgets the connection; true if it was open, i.e. if core must now be told it closed.
    pub fn remove(&mut self, conn: ConnId) -> bool {
        self.commands.remove(&conn).is_some()
    }

    /// Has the socket task close the connection with `code`, and forgets it. True if it was
    /// open.
    pub fn close(&mut self, conn: ConnId, code: u16) -> bool {
        match self.commands.remove(&conn) {
            Some(commands) => {
                let _ = commands.send(WsCommand::Close(code));
                true
            }
            None => false,
        }
    }
}
