//! Modules (docs/protocol.md §7.4): the Rust half of `require` (the Lua half is in
//! `lua/sandbox.lua`), which modules are running and loaded, `session:unloadModule`,
//! `session:unloadDirectory` and `ui.registerPresenter`.

use std::collections::BTreeMap;

use mlua::chunk::ChunkMode;
use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::lua::api::session_api::{script_error, with_host};
use crate::lua::vm::chunks::{ModuleFiles, ModuleLookup};

pub(crate) struct Modules {
    pub(crate) files: ModuleFiles,
    /// `package.loaded`.
    pub(crate) package_loaded: Table,
    /// Modules whose chunk is running, innermost last: requiring one of them is circular,
    /// and what is registered meanwhile belongs to the last.
    pub(crate) running: Vec<String>,
    /// Modules loaded and not unloaded, in load order: what a hot reload re-runs (§7.6).
    pub(crate) loaded: Vec<String>,
    /// Presenter name → the table and the module that registered it.
    presenters: BTreeMap<Vec<u8>, (Value, Option<String>)>,
}

impl Modules {
    pub(crate) fn new(files: ModuleFiles, package_loaded: Table) -> Self {
        Self {
            files,
            package_loaded,
            running: Vec::new(),
            loaded: Vec::new(),
            presenters: BTreeMap::new(),
        }
    }

    /// `module`'s chunk ran to its end.
    /// The chunk of the innermost running module ended; `loaded` if it ran to its end.
    pub(crate) fn leave(&mut self, module: &str, loaded: bool) {
        self.running.pop();
        if self.running.is_empty() {
            // Nested only while modules require modules: not kept for the session's life.
            self.running = Vec::new();
        }
        if loaded {
            self.add_loaded(module);
        }
    }

    pub(crate) fn add_loaded(&mut self, module: &str) {
        if !self.loaded.iter().any(|known| known == module) {
            // Kept for the session's life, and most sessions load one or two: no spare room.
            self.loaded.reserve_exact(1);
            self.loaded.push(module.to_owned());
        }
    }
}

/// The primitive `name` of this file, made when the environment first needs it (see
/// `environment.rs`); `None` if it is not one of them.
pub(crate) fn function(lua: &Lua, name: &str) -> Option<mlua::Result<Function>> {
    Some(match name {
        "load_module" => lua.create_function(load_module),
        "leave_module" => lua.create_function(|lua, (name, loaded): (String, bool)| {
            with_host(lua, |h| h.modules.leave(&name, loaded))
        }),
        "unload_module" => lua.create_function(unload_module),
        "unload_directory" => lua.create_function(unload_directory),
        "register_presenter" => lua.create_function(|lua, (name, table): (Value, Value)| {
            let Value::String(name) = name else {
                return Err(script_error(
                    lua,
                    format!(
                        "registerPresenter: name must be a string, got {}",
                        name.type_name()
                    ),
                ));
            };
            with_host(lua, |h| {
                let module = h.modules.running.last().cloned();
                (h.modules.presenters).insert(name.as_bytes().to_vec(), (table.clone(), module));
            })?;
            Ok(table)
        }),
        _ => return None,
    })
}

/// `load_module(name)` for `require`: the module's chunk, its name now entered as running;
/// or `nil`, the error message and the level to raise it at.
fn load_module(lua: &Lua, name: Value) -> mlua::Result<MultiValue> {
    let failure = |message: String, level: i64| -> mlua::Result<MultiValue> {
        Ok(MultiValue::from_iter([
            Value::Nil,
            Value::String(lua.create_string(message)?),
            Value::Integer(level),
        ]))
    };
    let Value::String(name) = name else {
        return failure(
            format!(
                "bad argument #1 to 'require' (string expected, got {})",
                name.type_name()
            ),
            2,
        );
    };
    let shown = name.to_string_lossy();
    let found = with_host(lua, |h| h.modules.files.lookup(&name.as_bytes()))?;
    let bytecode = match found {
        ModuleLookup::InvalidName => return failure(format!("invalid module name '{shown}'"), 2),
        ModuleLookup::NotFound => return failure(format!("module '{shown}' not found"), 2),
        ModuleLookup::SyntaxError(message) => return failure(message, 0),
        ModuleLookup::Compiled(bytecode) => bytecode,
    };
    if with_host(lua, |h| h.modules.running.contains(&shown))? {
        return failure(format!("circular require of '{shown}'"), 2);
    }
    let chunk = lua
        .load(&bytecode[..])
        .set_mode(ChunkMode::Binary)
        .into_function()?;
    with_host(lua, |h| h.modules.running.push(shown))?;
    Ok(MultiValue::from_iter([Value::Function(chunk)]))
}

/// `session:unloadModule(name)`: forgets its `package.loaded` entry, the prototypes and
/// presenters registered while it loaded, and that it is loaded (no more hot reload).
fn unload_module(lua: &Lua, (_session, name): (Value, Value)) -> mlua::Result<()> {
    let Value::String(name) = name else {
        return Ok(());
    };
    forget(lua, &name.to_string_lossy())
}

fn forget(lua: &Lua, module: &str) -> mlua::Result<()> {
    with_host(lua, |h| {
        h.modules.package_loaded.raw_set(module, Value::Nil)?;
        h.modules.loaded.retain(|known| known != module);
        (h.modules.presenters).retain(|_, (_, by)| by.as_deref() != Some(module));
        h.prototypes.forget_module(module);
        Ok(())
    })?
}

/// `session:unloadDirectory(dir)`: [`unload_module`] for every module under `lua/<dir>`.
fn unload_directory(lua: &Lua, (_session, dir): (Value, Value)) -> mlua::Result<()> {
    let Value::String(dir) = dir else {
        return Ok(());
    };
    let dir = dir.to_string_lossy();
    let prefix = format!("{}.", dir.trim_end_matches('/').replace('/', "."));
    let (package_loaded, mut modules) = with_host(lua, |h| {
        let mut modules = h.modules.loaded.clone();
        modules.extend(h.prototypes.modules().map(str::to_owned));
        modules.extend(h.modules.presenters.values().filter_map(|(_, m)| m.clone()));
        (h.modules.package_loaded.clone(), modules)
    })?;
    for pair in package_loaded.pairs::<Value, Value>() {
        if let (Value::String(name), _) = pair? {
            modules.push(name.to_string_lossy());
        }
    }
    modules.sort();
    modules.dedup();
    modules
        .iter()
        .filter(|module| module.starts_with(&prefix))
        .try_for_each(|module| forget(lua, module))
}
