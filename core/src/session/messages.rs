//! What each inbound message does to a session (docs/protocol.md §4.2–§4.4).

use crate::config::Config;
use crate::ids::ConnId;
use crate::lua::TreeLimits;
use crate::protocol::{ErrorCode, Message, Outbound, WireError};
use crate::session::Session;
use crate::session::connection::Sent;
use crate::tracker::access::Access;
use crate::tracker::declared::{Refusal, allowed, declare};
use crate::tracker::{APP_VAR, VarId};

fn refused(wire: i64, refusal: Refusal) -> WireError {
    WireError::new(refusal.fault.into(), Some(wire), refusal.description)
}

impl Session {
    /// Applies one message from `conn`; an `Err` is the `error` its sender gets.
    pub(crate) fn apply(
        &mut self,
        conn: ConnId,
        message: Message,
        config: &Config,
    ) -> Result<(), WireError> {
        match message {
            Message::Create {
                id,
                parent_id,
                properties,
                nowatch,
            } => self.create(conn, id, parent_id, properties, nowatch, config),
            Message::Update {
                var_id,
                value,
                properties,
            } => self.update(conn, var_id, value, properties),
            Message::Destroy { var_id } => self.destroy(conn, var_id),
            Message::Watch { var_id } => self.watch(conn, var_id),
            Message::Unwatch { var_id } => {
                self.unwatch(conn, var_id);
                Ok(())
            }
        }
    }

    fn visible(&self, conn: ConnId, wire: i64) -> Result<VarId, WireError> {
        let found = self
            .connections
            .get(&conn)
            .and_then(|c| c.resolve(&self.backend, wire));
        found.ok_or_else(|| {
            WireError::new(
                ErrorCode::NotFound,
                Some(wire),
                format!("no variable {wire} on this connection"),
            )
        })
    }

    fn create(
        &mut self,
        conn: ConnId,
        wire: i64,
        parent_wire: i64,
        properties: Vec<(String, String)>,
        nowatch: bool,
        config: &Config,
    ) -> Result<(), WireError> {
        let taken = wire == APP_VAR
            || self
                .connections
                .get(&conn)
                .is_some_and(|c| c.client_ids.contains_key(&wire));
        if taken {
            return Err(WireError::new(
                ErrorCode::DuplicateId,
                Some(wire),
                format!("id {wire} is already in use on this connection"),
            ));
        }
        let parent = self.visible(conn, parent_wire)?;
        let checked = declare(properties).map_err(|refusal| refused(wire, refusal))?;
        let Some(path) = checked.path.clone() else {
            return Err(WireError::new(
                ErrorCode::BadMessage,
                Some(wire),
                "create needs a path",
            ));
        };
        let access = checked.access.unwrap_or(Access::ReadWrite);
        allowed(&path, access).map_err(|refusal| refused(wire, refusal))?;
        let limits = TreeLimits {
            variables: config.max_variables,
            depth: config.max_depth,
        };
        let id = self
            .backend
            .create(
                (conn, wire),
                parent,
                &checked,
                (path, access),
                !nowatch,
                limits,
            )
            .map_err(|refusal| refused(wire, refusal))?;
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.client_ids.insert(wire, id);
            if !nowatch {
                let received = checked
                    .properties
                    .iter()
                    .filter(|(_, text, _)| !text.is_empty())
                    .map(|(name, text, _)| (name.clone(), text.clone()))
                    .collect();
                connection.sent.insert(
                    id,
                    Sent {
                        properties: received,
                        ..Sent::default()
                    },
                );
            }
        }
        Ok(())
    }

    fn update(
        &mut self,
        conn: ConnId,
        wire: i64,
        value: Option<serde_json::Value>,
        properties: Option<Vec<(String, String)>>,
    ) -> Result<(), WireError> {
        let id = self.visible(conn, wire)?;
        let checked =
            declare(properties.unwrap_or_default()).map_err(|refusal| refused(wire, refusal))?;
        self.backend
            .redeclare(id, &checked)
            .map_err(|refusal| refused(wire, refusal))?;
        if let Some(sent) = self
            .connections
            .get_mut(&conn)
            .and_then(|c| c.sent.get_mut(&id))
        {
            for (name, text, _) in &checked.properties {
                if text.is_empty() {
                    sent.properties.remove(name);
                } else {
                    sent.properties.insert(name.clone(), text.clone());
                }
            }
        }
        let Some(value) = value else {
            return Ok(());
        };
        let written = self
            .backend
            .write_from_client(id, &value)
            .map_err(|error| WireError::new(error.fault.into(), Some(wire), error.description))?;
        let Some(written) = written else {
            return Ok(());
        };
        if let Some(sent) = self
            .connections
            .get_mut(&conn)
            .and_then(|c| c.sent.get_mut(&id))
        {
            sent.value = written;
            // Compare at the next flush even if the variable does not change: the app may have
            // kept its old value, which the writer no longer shows.
            sent.version = 0;
            self.backend.owe_fresh_look(id);
        }
        Ok(())
    }

    fn destroy(&mut self, conn: ConnId, wire: i64) -> Result<(), WireError> {
        if wire <= APP_VAR {
            return Err(WireError::new(
                ErrorCode::AccessDenied,
                Some(wire),
                "only a connection's own client variables can be destroyed",
            ));
        }
        let Some(id) = self
            .connections
            .get(&conn)
            .and_then(|c| c.client_ids.get(&wire).copied())
        else {
            return Ok(());
        };
        self.remove_variable(id);
        Ok(())
    }

    /// Removes a variable and its subtree, telling its owner and watchers, children first.
    pub(crate) fn remove_variable(&mut self, id: VarId) {
        self.backend.remove(id);
        self.deliver_removals();
    }

    /// Queues a `destroy` for every removed variable to its owner and watchers (also for
    /// removals made by Lua with `session:destroyVariable`).
    pub(crate) fn deliver_removals(&mut self) {
        let removed = self.backend.take_removals();
        for gone in removed {
            for (conn, wire) in gone.notify {
                if let Some(connection) = self.connections.get_mut(&conn) {
                    connection.sent.remove(&gone.id);
                    connection.client_ids.remove(&wire);
                    connection.queue.push(Outbound::Destroy { var_id: wire });
                }
            }
        }
    }

    fn watch(&mut self, conn: ConnId, wire: i64) -> Result<(), WireError> {
        let id = self.visible(conn, wire)?;
        let first = self.backend.watch(id, conn);
        if let Some(connection) = self.connections.get_mut(&conn) {
            // A full update is owed: as if nothing had been received (§4.4).
            connection.sent.insert(id, Sent::default());
            if first && id == APP_VAR {
                connection.viewdefs = None;
            }
        }
        Ok(())
    }

    fn unwatch(&mut self, conn: ConnId, wire: i64) {
        let Ok(id) = self.visible(conn, wire) else {
            return;
        };
        let stopped = self.backend.unwatch(id, conn);
        if stopped && let Some(connection) = self.connections.get_mut(&conn) {
            connection.sent.remove(&id);
        }
    }
}
