//! Hot reload in one session (docs/protocol.md §7.6): re-running the changed modules it has loaded,
//! and showing the developer what failed.
//!
//! A failed reload is logged, and also shown in the page: variable 1 carries the property
//! `reloadError` (high priority) with every reload failure still standing in this session,
//! one `file:line: message` per line, in module name order. A later successful reload of
//! the same module takes its line out; with none left the property is removed (sent as `""`).
//! Being an ordinary property, it reaches every watcher of variable 1, is part of a new tab's
//! full update, and is ignored by clients that do not know it; the bundled client shows it as
//! a dismissible banner.

use bytes::Bytes;

use crate::session::Session;
use crate::tracker::property::Priority;

/// Variable 1's property holding the standing reload errors.
pub(crate) const RELOAD_ERROR: &str = "reloadError";

impl Session {
    /// Re-runs each of `modules` (name, new source) that this session has loaded, in order,
    /// and updates `reloadError`. Runs no update cycle. Returns whether any module ran.
    pub(crate) fn reload_modules(&mut self, modules: &[(String, Bytes)]) -> bool {
        let loaded = self.backend.loaded_modules();
        let mut ran = false;
        for (module, source) in modules.iter().filter(|(m, _)| loaded.contains(m)) {
            ran = true;
            match self.backend.reload(module, source) {
                Some(failure) => self.reload_errors.insert(module.clone(), failure.message),
                None => self.reload_errors.remove(module),
            };
        }
        if ran {
            let text = self
                .reload_errors
                .values()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n");
            self.backend
                .set_app_property(RELOAD_ERROR, &text, Priority::High);
        }
        ran
    }
}
