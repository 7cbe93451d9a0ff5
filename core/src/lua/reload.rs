//! Hot reload on the Lua side (PROTOCOL §7.6): which modules a session has loaded, and running
//! a module's new text in it with `session.reloading` set.

use mlua::Table;
use mlua::chunk::ChunkMode;

use crate::lua::{LuaBackend, LuaFailure};
use crate::output::LogLevel;

impl LuaBackend {
    /// The modules this session has loaded, by module name: `main` for `lua/main.lua`, `a.b`
    /// for `lua/a/b.lua`.
    pub(crate) fn loaded_modules(&self) -> Vec<String> {
        vec!["main".to_owned()]
    }

    /// Runs `source` as the new text of `module` with `session.reloading` true, within the
    /// budget. A failure is logged with its file and line and returned; what the chunk did
    /// before it stays. Runs no update cycle.
    pub(crate) fn reload(&mut self, module: &str, source: &[u8]) -> Option<LuaFailure> {
        let chunk_name = format!("@lua/{}.lua", module.replace('.', "/"));
        let session = self.lua.globals().raw_get::<Table>("session").ok();
        let set_reloading = |on: bool| {
            if let Some(session) = &session {
                // A script may have replaced `session.reloading` with anything; the flag is
                // ours to set, so a failure to do it is not the script's error to report.
                let _ = session.raw_set("reloading", on);
            }
        };
        set_reloading(true);
        self.budget.reset();
        let outcome = self
            .lua
            .load(source)
            .set_name(&chunk_name)
            .set_mode(ChunkMode::Text)
            .exec();
        set_reloading(false);
        let failure = outcome.err().map(|error| LuaFailure::from_error(&error))?;
        self.host(|h| {
            h.logs.push((
                LogLevel::Warn,
                format!("reload of {} failed: {}", &chunk_name[1..], failure.message),
            ))
        });
        Some(failure)
    }

    /// The module a site path holds: `lua/a/b.lua` is `a.b`. `None` for anything that is not
    /// a Lua file `require` could name.
    pub(crate) fn module_for_path(path: &str) -> Option<String> {
        let name = path.strip_prefix("lua/")?.strip_suffix(".lua")?;
        let valid = name.split('/').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        valid.then(|| name.replace('/', "."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_follow_require() {
        let module = LuaBackend::module_for_path;
        assert_eq!(module("lua/main.lua").as_deref(), Some("main"));
        assert_eq!(module("lua/a/b-c_1.lua").as_deref(), Some("a.b-c_1"));
        assert_eq!(module("lua/a.b.lua"), None);
        assert_eq!(module("lua/.lua"), None);
        assert_eq!(module("viewdefs/main.lua"), None);
        assert_eq!(module("lua/main.txt"), None);
    }
}
