//! `LuaBackend`: a session's Lua VM, sandboxed (docs/protocol.md §7), with its change tracker and
//! timers. One per session; VMs share nothing.
//!
//! Four rooms, one concern each:
//! - `vm/`: the VM and its sandbox: the budget and what charges it, the protected calls,
//!   compiled chunks, error messages, log lines;
//! - `api/`: what scripts call (`session`, `ui`, `require`, prototypes, timers, ViewLists);
//! - `detect/`: change detection, reading and writing through paths, Lua values as JSON;
//! - `pattern/`: Lua's string patterns, run in Rust under the budget.
//!
//! This file builds the VM and runs `main.lua`; `host.rs` is what the API reaches of the
//! session, `reload.rs` the hot reload of modules.

mod api;
mod detect;
mod environment;
mod host;
mod pattern;
mod reload;
mod variables;
mod vm;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use mlua::chunk::ChunkMode;
use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value};

use crate::config::Config;
use crate::ids::SessionId;
use crate::lua::detect::value_json::ObjectIds;
use crate::output::LogLevel;
use crate::site::Site;
use crate::stats::Counters;
use crate::tracker::APP_VAR;

use api::modules_api::Modules;
use api::prototypes::Prototypes;
use api::timers::Timers;
pub(crate) use api::view_list::BuiltIn;
use host::Host;
pub(crate) use host::StepClock;
pub(crate) use variables::TreeLimits;
use vm::budget::Budget;
pub(crate) use vm::chunks::ChunkCache;
use vm::chunks::ModuleFiles;
pub(crate) use vm::failure::LuaFailure;
use vm::logs::Logs;
use vm::meter::Metered;

pub(crate) const REQUIRE: &str = include_str!("../../../lua/require.lua");

/// Lua 5.4's values as the tracker keeps them (see [`crate::tracker::Script`]).
pub(crate) struct LuaScript;

impl crate::tracker::Script for LuaScript {
    type Value = Value;
    type Table = Table;

    fn nothing() -> Value {
        Value::Nil
    }

    fn of_table(table: &Table) -> Value {
        Value::Table(table.clone())
    }

    fn is_table(value: &Value) -> bool {
        matches!(value, Value::Table(_))
    }

    fn same(a: &Value, b: &Value) -> bool {
        a.to_pointer() == b.to_pointer()
    }
}

/// A session's tracker, variables and wrappers, holding Lua values.
pub(crate) type Tracker = crate::tracker::Tracker<LuaScript>;
pub(crate) type Variable = crate::tracker::Variable<LuaScript>;
pub(crate) type Wrapper = crate::tracker::Wrapper<LuaScript>;

/// Stops a session's step from outside it: see [`LuaBackend::stopper`].
pub(crate) struct Stopper(Rc<Budget>);

impl Stopper {
    /// Every call into Lua of the step fails at its next check from now on.
    pub(crate) fn stop(&self) {
        self.0.stop();
    }
}

/// Why a session could not start; the `500` page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartFailure {
    MissingMain,
    Lua(LuaFailure),
    NoAppVariable,
    /// The VM itself could not be built (for example a `--lua-memory` too small for it).
    Setup(String),
}

impl std::fmt::Display for StartFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartFailure::MissingMain => f.write_str("lua/main.lua is missing"),
            StartFailure::NoAppVariable => {
                f.write_str("lua/main.lua did not create variable 1 (session:createAppVariable)")
            }
            StartFailure::Lua(failure) => f.write_str(&failure.message),
            StartFailure::Setup(message) => write!(f, "Lua VM setup failed: {message}"),
        }
    }
}

pub(crate) struct LuaBackend {
    lua: Lua,
    budget: Rc<Budget>,
    /// Charges instructions and allocations to `budget`; holds the VM until it is removed.
    _meter: Metered,
    objects: ObjectIds,
    /// What the last detection walk saw, for the next one to compare against.
    mirror: Option<detect::mirror::Mirror>,
    /// A ViewList re-synchronised since detection last looked (§4.5).
    resynced: Cell<bool>,
    /// The `session` table, whose `reloading` the server sets (§7.6).
    session: Table,
}

impl LuaBackend {
    /// Builds the sandboxed VM, runs `lua/main.lua` and checks that it made variable 1.
    pub(crate) fn start(
        sid: SessionId,
        seed: [u8; 16],
        config: &Config,
        site: &Site,
        chunks: &ChunkCache,
        clock: StepClock,
        counters: &Rc<Counters>,
    ) -> Result<Self, StartFailure> {
        let main = site.get("lua/main.lua").ok_or(StartFailure::MissingMain)?;
        let main = chunks
            .get("@lua/main.lua", main)
            .map_err(StartFailure::Lua)?;
        let require = chunks
            .internal("=lunette-require", REQUIRE)
            .map_err(|failure| StartFailure::Setup(failure.message))?;
        let modules = chunks.module_files();
        let mut backend = Self::sandboxed(sid, seed, config, require, modules, clock, counters)
            .map_err(|error| StartFailure::Setup(LuaFailure::from_error(&error).message))?;
        backend
            .run_main(&main)
            .map_err(|error| StartFailure::Lua(LuaFailure::from_error(&error)))?;
        if backend.host(|h| h.tracker.get(APP_VAR).is_none()) {
            return Err(StartFailure::NoAppVariable);
        }
        backend.detect();
        Ok(backend)
    }

    fn sandboxed(
        sid: SessionId,
        seed: [u8; 16],
        config: &Config,
        require: Rc<[u8]>,
        modules: ModuleFiles,
        clock: StepClock,
        counters: &Rc<Counters>,
    ) -> mlua::Result<Self> {
        // The base library only: the environment makes the rest on first use.
        let lua = Lua::new_with(StdLib::NONE, LuaOptions::new())?;
        // Setup allocates only what the session keeps: collecting during it is wasted work.
        lua.gc_stop();
        let (package_loaded, empty) = (lua.create_table()?, lua.create_table()?);
        let host = Host {
            sid,
            clock,
            tracker: Tracker::default(),
            timers: Timers::default(),
            logs: Logs::default(),
            max_variables: config.max_variables,
            max_depth: config.max_depth,
            modules: Modules::new(modules, package_loaded),
            prototypes: Prototypes::new(empty.clone()),
            reloading: false,
            version: 0,
        };
        let budget = Budget::new(
            config.lua_budget,
            config.lua_slice,
            config.alarm.clone(),
            Rc::clone(counters),
        );
        lua.set_app_data(host);
        let [a, b] = [&seed[..8], &seed[8..]]
            .map(|half| i64::from_le_bytes(half.try_into().unwrap_or_default()));
        let parts = environment::Parts {
            seed: [a, b],
            budget: Rc::clone(&budget),
            lua_memory: config.lua_memory,
            require,
        };
        let session = environment::install(&lua, parts, empty)?;
        let objects = ObjectIds::new(&lua)?;
        lua.set_memory_limit(config.lua_memory)?;
        lua.gc_restart();
        let meter = Metered::install(&lua, Rc::clone(&budget));
        Ok(Self {
            lua,
            budget,
            _meter: meter,
            objects,
            mirror: None,
            resynced: Cell::new(false),
            session,
        })
    }

    /// Runs `lua/main.lua` as module `main` (docs/protocol.md §7.4).
    fn run_main(&self, bytecode: &[u8]) -> mlua::Result<()> {
        let main = self
            .lua
            .load(bytecode)
            .set_mode(ChunkMode::Binary)
            .into_function()?;
        let result = match self.run_module("main", &main)? {
            Value::Nil => Value::Boolean(true),
            result => result,
        };
        self.host(|h| h.modules.package_loaded.clone())
            .raw_set("main", result)
    }

    /// Runs `chunk` with a fresh budget as the chunk of module `name`: requiring `name`
    /// meanwhile is circular, and what it registers is the module's. Once it has run to its
    /// end the module counts as loaded.
    fn run_module(&self, name: &str, chunk: &Function) -> mlua::Result<Value> {
        self.host(|h| h.modules.running.push(name.to_owned()));
        self.budget.reset();
        let result = chunk.call::<Value>(());
        self.budget.idle();
        self.host(|h| h.modules.leave(name, result.is_ok()));
        result
    }

    fn host<R>(&self, f: impl FnOnce(&mut Host) -> R) -> R {
        let mut host = self
            .lua
            .app_data_mut::<Host>()
            .expect("the host is installed before any Lua runs and never removed");
        f(&mut host)
    }

    pub(crate) fn set_clock(&self, clock: StepClock) {
        self.host(|h| h.clock = clock);
    }

    /// The `now` of the step being run.
    pub(crate) fn clock_now(&self) -> Instant {
        self.host(|h| h.clock.now)
    }

    /// Log lines the script wrote since the last call.
    pub(crate) fn take_logs(&self) -> Vec<(LogLevel, String)> {
        self.host(|h| h.logs.take())
    }

    pub(crate) fn next_timer(&self) -> Option<Instant> {
        self.host(|h| h.timers.next_due())
    }

    /// Runs the timers due at `now`, each as its own call with its own budget. A failing
    /// callback is only logged (docs/protocol.md §7.7).
    pub(crate) fn run_due_timers(&self, now: Instant) {
        for handle in self.host(|h| h.timers.due(now)) {
            let Some(callback) = self.host(|h| h.timers.take_for_run(handle, now)) else {
                continue;
            };
            self.budget.reset();
            let outcome = callback.call::<()>(());
            self.budget.idle();
            if let Err(error) = outcome {
                self.budget.note_lua_error();
                let failure = LuaFailure::from_error(&error);
                self.host(|h| {
                    h.logs.push(
                        LogLevel::Warn,
                        format!("timer {handle} failed: {}", failure.message),
                    )
                });
            }
        }
    }

    /// Starts a step: its first slice begins now (see `slices.rs`).
    pub(crate) fn start_step(&self) {
        self.budget.start_step();
    }

    /// What stops this session's step for good, for a core that drops it while suspended.
    pub(crate) fn stopper(&self) -> Stopper {
        Stopper(Rc::clone(&self.budget))
    }

    /// Lua's own count of the heap this session uses, in bytes.
    pub(crate) fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }
}
