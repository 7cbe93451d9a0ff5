//! `--hotload` (docs/protocol.md §7.6, §8): applying the site files a transport saw change to the
//! site, the compiled chunks, the viewdefs and the live sessions.

use std::rc::Rc;

use bytes::Bytes;

use crate::core::Core;
use crate::lua::LuaBackend;
use crate::output::{LogLevel, LogRecord, Output};
use crate::viewdefs::Viewdefs;

impl Core {
    pub(crate) fn apply_site_changes(&mut self, changes: Vec<(String, Option<Bytes>)>) {
        if !self.config.hotload {
            self.log(
                LogLevel::Warn,
                "site change ignored: hot reload is off (--hotload)".into(),
            );
            return;
        }
        let changed = self.update_site(changes);
        let viewdefs_changed = changed
            .iter()
            .any(|(path, _)| path.starts_with("viewdefs/"));
        if viewdefs_changed {
            let (viewdefs, problems) = Viewdefs::reload(&self.site, &self.viewdefs);
            self.viewdefs = std::rc::Rc::new(viewdefs);
            for problem in problems {
                if changed.iter().any(|(path, _)| *path == problem.path) {
                    self.log(LogLevel::Warn, problem.message);
                }
            }
        }
        // A deleted Lua file leaves the sessions that ran it as they are (§7.6).
        let modules: Vec<(String, Bytes)> = changed
            .into_iter()
            .filter_map(|(path, contents)| Some((LuaBackend::module_for_path(&path)?, contents?)))
            .collect();
        if modules.is_empty() && !viewdefs_changed {
            return;
        }
        let (mut cx, sessions, _) = self.step_context();
        sessions.reload(&modules, viewdefs_changed, &mut cx);
    }

    /// Writes the changes into the site and forgets the chunks compiled from changed Lua
    /// files. Returns the changes that changed something, in the order given.
    fn update_site(
        &mut self,
        changes: Vec<(String, Option<Bytes>)>,
    ) -> Vec<(String, Option<Bytes>)> {
        let site = Rc::make_mut(&mut self.site);
        let mut changed = Vec::new();
        let mut rejected = Vec::new();
        for (path, contents) in changes {
            if site.get(&path) == contents.as_ref() {
                continue;
            }
            let applied = match &contents {
                Some(bytes) => site.insert(&path, bytes.clone()),
                None => site.remove(&path),
            };
            if applied {
                changed.push((path, contents));
            } else {
                rejected.push(path);
            }
        }
        self.chunks.site_changed(
            Rc::clone(&self.site),
            changed.iter().map(|(path, _)| path.as_str()),
        );
        for path in rejected {
            self.log(
                LogLevel::Warn,
                format!("site change ignored: {path} is not a site file path"),
            );
        }
        changed
    }

    fn log(&mut self, level: LogLevel, message: String) {
        self.outputs.push_back(Output::Log(LogRecord {
            level,
            session: None,
            message,
        }));
    }
}
