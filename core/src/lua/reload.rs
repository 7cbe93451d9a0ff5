//! Hot reload on the Lua side (docs/protocol.md §7.6): which modules a session has loaded, and
//! re-running one of them with `session.reloading` set, followed by the prototype mutations it
//! queued (§7.5). Finding changed files and running the update cycle are the caller's.

use mlua::chunk::ChunkMode;
use mlua::{LuaString, Value};

use crate::lua::vm::chunks::is_module_name;
use crate::lua::{LuaBackend, LuaFailure};
use crate::output::LogLevel;

impl LuaBackend {
    /// The modules this session loaded and has not unloaded, in load order: `main` for
    /// `lua/main.lua`, `a.b` for `lua/a/b.lua`.
    pub(crate) fn loaded_modules(&self) -> Vec<String> {
        self.host(|h| h.modules.loaded.clone())
    }

    /// Runs `source`, the new text of `module`'s file, in this session: `session.reloading`
    /// is true meanwhile; the chunk runs as `@lua/<path>.lua` with a fresh budget, and a
    /// non-nil result replaces `package.loaded[module]`; then every mutation queued meanwhile
    /// runs (§7.5), each `mutate` with its own budget. Every error is logged with its file
    /// and line, and the first one is returned; what ran before an error stays. Runs no update
    /// cycle.
    ///
    /// The text is compiled here, in this session's VM, rather than once per `Core`: a reload
    /// happens while a developer edits, in the few sessions they have open.
    pub(crate) fn reload(&mut self, module: &str, source: &[u8]) -> Option<LuaFailure> {
        let file = format!("lua/{}.lua", module.replace('.', "/"));
        let reload = format!("reload of {file}");
        let mut failures = Vec::new();
        self.set_reloading(true, &reload, &mut failures);
        let ran = self.rerun(module, &file, source);
        self.note(&mut failures, &reload, ran);
        self.run_mutations(&mut failures);
        self.set_reloading(false, &reload, &mut failures);
        failures.into_iter().next()
    }

    /// The module that the site file `path` holds: `lua/main.lua` is `main`, `lua/a/b.lua`
    /// is `a.b`; `None` for a path no `require` can name.
    pub(crate) fn module_for_path(path: &str) -> Option<String> {
        let name = path.strip_prefix("lua/")?.strip_suffix(".lua")?;
        is_module_name(name.as_bytes(), b'/').then(|| name.replace('/', "."))
    }

    fn set_reloading(&self, on: bool, reload: &str, failures: &mut Vec<LuaFailure>) {
        self.host(|h| h.reloading = on);
        let shown = self.session.raw_set("reloading", on);
        self.note(failures, reload, shown);
    }

    fn rerun(&self, module: &str, file: &str, source: &[u8]) -> mlua::Result<()> {
        let chunk = self
            .lua
            .load(source)
            .set_name(format!("@{file}"))
            .set_mode(ChunkMode::Text)
            .into_function()?;
        let result = self.run_module(module, &chunk)?;
        if !result.is_nil() {
            self.host(|h| h.modules.package_loaded.clone())
                .raw_set(module, result)?;
        }
        Ok(())
    }

    /// Runs the mutations queued meanwhile in order: for each changed prototype, its
    /// `mutate` on each live instance in creation order, then the removed fields cleared on
    /// that instance.
    fn run_mutations(&self, failures: &mut Vec<LuaFailure>) {
        for mutation in self.host(|h| h.prototypes.take_mutations()) {
            let mutate = format!(
                "{}.mutate",
                (mutation.proto)
                    .raw_get::<LuaString>("type")
                    .map(|name| name.to_string_lossy())
                    .unwrap_or_default()
            );
            let instances = self.host(|h| h.prototypes.instances_of(&mutation.proto));
            let instances = match instances {
                Ok(instances) => instances,
                Err(error) => {
                    self.note(failures, &mutate, Err(error));
                    continue;
                }
            };
            for instance in instances {
                self.budget.reset();
                let mutated = mutation.proto.get::<Value>("mutate").and_then(|f| match f {
                    Value::Function(f) => f.call::<()>(&instance),
                    _ => Ok(()),
                });
                self.budget.idle();
                self.note(failures, &mutate, mutated);
                let cleared = mutation.removed.iter().try_for_each(|field| {
                    instance.raw_set(self.lua.create_string(field)?, Value::Nil)
                });
                self.note(failures, &mutate, cleared);
            }
        }
    }

    /// Logs a failure of `what` and keeps it in `failures`.
    fn note(&self, failures: &mut Vec<LuaFailure>, what: &str, outcome: mlua::Result<()>) {
        if let Err(error) = outcome {
            self.budget.note_lua_error();
            let failure = LuaFailure::from_error(&error);
            self.host(|h| {
                h.logs.push(
                    LogLevel::Warn,
                    format!("{what} failed: {}", failure.message),
                )
            });
            failures.push(failure);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_follow_require() {
        let module = LuaBackend::module_for_path;
        assert_eq!(module("lua/main.lua").as_deref(), Some("main"));
        assert_eq!(module("lua/a/b.lua").as_deref(), Some("a.b"));
        assert_eq!(module("lua/a/b-c_1.lua").as_deref(), Some("a.b-c_1"));
        assert_eq!(module("lua/a.b.lua"), None);
        assert_eq!(module("lua/.lua"), None);
        assert_eq!(module("lua/a//b.lua"), None);
        assert_eq!(module("viewdefs/main.lua"), None);
        assert_eq!(module("lua/main.txt"), None);
    }
}
