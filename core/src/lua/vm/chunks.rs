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
use crate::site::Site;

/// A chunk's bytecode, or why it does not compile.
type Compiled = Result<Rc<[u8]>, LuaFailure>;

pub(crate) struct ChunkCache {
    shared: Rc<Shared>,
}

struct Shared {
    /// A bare VM used only to compile; it runs nothing.
    compiler: Lua,
    compiled: RefCell<BTreeMap<String, Compiled>>,
    /// The site the modules come from: the `Core`'s own, replaced when hot reload changes it,
    /// so that every session's next `require` reads the current files.
    site: RefCell<Rc<Site>>,
}

impl ChunkCache {
    pub(crate) fn new(site: Rc<Site>) -> mlua::Result<Self> {
        Ok(Self {
            shared: Rc::new(Shared {
                compiler: Lua::new_with(StdLib::NONE, LuaOptions::new())?,
                compiled: RefCell::default(),
                site: RefCell::new(site),
            }),
        })
    }

    /// The site changed (hot reload): modules come from `site` from now on, and what was
    /// compiled from the files in `changed` (site paths) is dropped.
    pub(crate) fn site_changed<'a>(&self, site: Rc<Site>, changed: impl Iterator<Item = &'a str>) {
        *self.shared.site.borrow_mut() = site;
        let mut compiled = self.shared.compiled.borrow_mut();
        for path in changed {
            compiled.remove(&format!("@{path}"));
        }
    }

    /// The bytecode of a site file's `source` compiled under `chunk_name` (e.g.
    /// `@lua/main.lua`), or the syntax error, compiled on first use.
    pub(crate) fn get(&self, chunk_name: &str, source: &[u8]) -> Compiled {
        self.shared.get(chunk_name, source, Debug::Keep)
    }

    /// [`ChunkCache::get`] for the server's own Lua (`=lunette-…`): without debug information,
    /// which every session would otherwise hold. App code never sees a location in it: its
    /// errors are raised at the caller's level.
    pub(crate) fn internal(&self, chunk_name: &str, source: &str) -> Compiled {
        self.shared.get(chunk_name, source.as_bytes(), Debug::Strip)
    }

    /// What a session needs to `require` the site's Lua files (docs/protocol.md §7.4).
    pub(crate) fn module_files(&self) -> ModuleFiles {
        ModuleFiles {
            chunks: self.shared.clone(),
        }
    }
}

/// Whether compiled bytecode keeps line numbers and local names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Debug {
    Keep,
    Strip,
}

impl Shared {
    fn get(&self, chunk_name: &str, source: &[u8], debug: Debug) -> Compiled {
        if let Some(known) = self.compiled.borrow().get(chunk_name) {
            return known.clone();
        }
        let compiled = self
            .compiler
            .load(source)
            .set_name(chunk_name)
            .set_mode(ChunkMode::Text)
            .into_function()
            .map(|function| Rc::from(function.dump(debug == Debug::Strip)))
            .map_err(|error| LuaFailure::from_error(&error));
        self.compiled
            .borrow_mut()
            .insert(chunk_name.to_owned(), compiled.clone());
        compiled
    }
}

/// A session's access to the site's Lua files, compiled through its core's cache.
#[derive(Clone)]
pub(crate) struct ModuleFiles {
    chunks: Rc<Shared>,
}

/// What `require` finds for a module name.
pub(crate) enum ModuleLookup {
    /// Not dot-joined segments of `[A-Za-z0-9_-]`.
    InvalidName,
    NotFound,
    Compiled(Rc<[u8]>),
    SyntaxError(String),
}

impl ModuleFiles {
    /// Module `a.b` is the file `lua/a/b.lua`, compiled as the chunk `@lua/a/b.lua`.
    pub(crate) fn lookup(&self, name: &[u8]) -> ModuleLookup {
        if !is_module_name(name, b'.') {
            return ModuleLookup::InvalidName;
        }
        let name = String::from_utf8_lossy(name).replace('.', "/");
        let path = format!("lua/{name}.lua");
        let site = self.chunks.site.borrow().clone();
        let Some(source) = site.get(&path) else {
            return ModuleLookup::NotFound;
        };
        match self.chunks.get(&format!("@{path}"), source, Debug::Keep) {
            Ok(bytecode) => ModuleLookup::Compiled(bytecode),
            Err(failure) => ModuleLookup::SyntaxError(failure.message),
        }
    }
}

/// Whether `name` is segments of `[A-Za-z0-9_-]` joined by `separator`: `.` in a module name,
/// `/` in its path below `lua/`.
pub(crate) fn is_module_name(name: &[u8], separator: u8) -> bool {
    name.split(|&b| b == separator).all(|segment| {
        !segment.is_empty()
            && segment
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}
