//! Lua errors as a developer needs to read them: the message, and where it happened.

/// A failed call into Lua, reduced to what an error page, a log line or an `error` message
/// shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LuaFailure {
    /// `file:line: message` as Lua reports it, without the stack traceback.
    pub(crate) message: String,
    /// The site file and line the message starts with, when it names one.
    pub(crate) location: Option<(String, u32)>,
    pub(crate) traceback: Option<String>,
}

impl LuaFailure {
    pub(crate) fn from_error(error: &mlua::Error) -> Self {
        let (message, traceback) = match error {
            mlua::Error::CallbackError { traceback, cause } => {
                let inner = Self::from_error(cause);
                (inner.message, Some(traceback.clone()))
            }
            mlua::Error::SyntaxError { message, .. } => (message.clone(), None),
            mlua::Error::RuntimeError(message) => match message.split_once("\nstack traceback:") {
                Some((head, tail)) => (head.to_owned(), Some(format!("stack traceback:{tail}"))),
                None => (message.clone(), None),
            },
            mlua::Error::MemoryError(_) if crate::lua::vm::budget::refused_by_budget() => (
                "instruction budget exceeded: the call allocated too much (--lua-budget)"
                    .to_owned(),
                None,
            ),
            mlua::Error::MemoryError(_) => ("not enough memory (--lua-memory)".to_owned(), None),
            mlua::Error::WithContext { cause, .. } => {
                let inner = Self::from_error(cause);
                (inner.message, inner.traceback)
            }
            other => (other.to_string(), None),
        };
        let location = location_of(&message);
        Self {
            message,
            location,
            traceback,
        }
    }
}

/// Finds `lua/<path>.lua:<line>:` at the start of a Lua message.
fn location_of(message: &str) -> Option<(String, u32)> {
    let mut parts = message.splitn(3, ':');
    let file = parts.next()?;
    let line = parts.next()?.parse().ok()?;
    parts.next()?;
    (file.starts_with("lua/") && file.ends_with(".lua")).then(|| (file.to_owned(), line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_file_and_line_from_lua_messages() {
        assert_eq!(
            location_of("lua/main.lua:12: attempt to index a nil value"),
            Some(("lua/main.lua".to_owned(), 12))
        );
        assert_eq!(location_of("not enough memory"), None);
        assert_eq!(location_of("[string \"x\"]:1: boom"), None);
    }
}
