//! Compiled Lua chunks, shared by every session of a `Core`: each session loads bytecode
//! instead of parsing the same source again, which is most of what a session costs to start.
//! The bytecode comes only from our own compiler, never from a script, so loading it as a
//! binary chunk does not open the sandbox hole that `load` closes for app code.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use mlua::chunk::ChunkMode;
use mlua::{Lua, LuaOptions, StdLib};

use crate::lua::LuaFailure;

/// A chunk's bytecode, or why it does not compile.
type Compiled = Result<Rc<[u8]>, LuaFailure>;

pub(crate) struct ChunkCache {
    /// A bare VM used only to compile; it runs nothing.
    compiler: Lua,
    compiled: RefCell<BTreeMap<String, Compiled>>,
}

impl ChunkCache {
    pub(crate) fn new() -> mlua::Result<Self> {
        Ok(Self {
            compiler: Lua::new_with(StdLib::NONE, LuaOptions::new())?,
            compiled: RefCell::default(),
        })
    }

    /// The bytecode of `source` compiled under `chunk_name` (e.g. `@lua/main.lua`), or the
    /// syntax error, compiled on first use.
    pub(crate) fn get(&self, chunk_name: &str, source: &[u8]) -> Compiled {
        if let Some(known) = self.compiled.borrow().get(chunk_name) {
            return known.clone();
        }
        let compiled = self
            .compiler
            .load(source)
            .set_name(chunk_name)
            .set_mode(ChunkMode::Text)
            .into_function()
            .map(|function| Rc::from(function.dump(false)))
            .map_err(|error| LuaFailure::from_error(&error));
        self.compiled
            .borrow_mut()
            .insert(chunk_name.to_owned(), compiled.clone());
        compiled
    }

    /// Drops what was compiled under `chunk_name`: its file changed (hot reload).
    pub(crate) fn forget(&self, chunk_name: &str) {
        self.compiled.borrow_mut().remove(chunk_name);
    }
}
