//! The per-call instruction budget (PROTOCOL §7.1): every call from the server into Lua may run
//! at most `--lua-budget` VM instructions, coroutines included, and once spent the budget stays
//! spent for the rest of that call so that `pcall` cannot swallow it.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{HookTriggers, Lua, MultiValue, Value, VmState};

use crate::lua::LuaFailure;

/// How many instructions run between two budget checks. Lua 5.4 pays for a count hook on
/// every instruction whatever the count, so a finer grain costs only the callback itself.
const CHECK_EVERY: u32 = 1000;

#[derive(Debug)]
pub(crate) struct Budget {
    limit: u64,
    used: Cell<u64>,
}

impl Budget {
    /// Installs the hook on `lua` (global, so coroutines are counted too) and returns the
    /// handle used to start each call.
    pub(crate) fn install(lua: &Lua, limit: u64) -> mlua::Result<Rc<Budget>> {
        let budget = Rc::new(Budget {
            limit,
            used: Cell::new(0),
        });
        let hook = Rc::clone(&budget);
        lua.set_global_hook(
            HookTriggers::new().every_nth_instruction(CHECK_EVERY),
            move |_, debug| {
                hook.used.set(hook.used.get() + u64::from(CHECK_EVERY));
                if hook.exceeded() {
                    let source = debug.source();
                    let place = match (source.short_src, debug.current_line()) {
                        (Some(src), Some(line)) => format!("{src}:{line}: "),
                        _ => String::new(),
                    };
                    return Err(mlua::Error::runtime(format!("{place}{}", hook.message())));
                }
                Ok(VmState::Continue)
            },
        )?;
        Ok(budget)
    }

    /// A Lua function that passes its arguments through, or raises once the budget is spent.
    /// `lua/sandbox.lua` wraps `pcall`, `xpcall` and `coroutine.resume` with it: otherwise
    /// `while true do pcall(spin) end` would catch every budget error.
    ///
    /// An error raised by a Rust function (such as the string pattern functions) reaches Lua as
    /// a userdata; a caught one is handed on as its message string instead, as Lua's own
    /// functions raise strings.
    pub(crate) fn check_function(self: &Rc<Self>, lua: &Lua) -> mlua::Result<mlua::Function> {
        let budget = Rc::clone(self);
        lua.create_function(move |lua, mut results: MultiValue| {
            if budget.exceeded() {
                return Err(mlua::Error::runtime(budget.message()));
            }
            if let (Some(Value::Boolean(false)), Some(Value::Error(error))) =
                (results.front(), results.get(1))
            {
                let message = LuaFailure::from_error(error).message;
                results[1] = Value::String(lua.create_string(message)?);
            }
            Ok(results)
        })
    }

    /// Starts a new call into Lua with the whole budget available.
    pub(crate) fn reset(&self) {
        self.used.set(0);
    }

    /// Counts `units` of work done outside the VM for the current call (string pattern
    /// matching, which runs where the hook cannot see it) as that many instructions, and
    /// fails as the hook does once the budget is spent.
    pub(crate) fn charge(&self, units: u64) -> mlua::Result<()> {
        self.used.set(self.used.get().saturating_add(units));
        if self.exceeded() {
            return Err(mlua::Error::runtime(self.message()));
        }
        Ok(())
    }

    fn exceeded(&self) -> bool {
        self.used.get() > self.limit
    }

    fn message(&self) -> String {
        format!(
            "instruction budget exceeded (--lua-budget {} per call)",
            self.limit
        )
    }
}
