//! Tests of the pattern functions. Most are differential: the same Lua expression runs in a VM
//! built as a session's is (sandbox, budget hook, these functions) and in a plain Lua 5.4 VM
//! that still has the C functions, and the two must give the same results or errors. The
//! engine's own tests, its differential test against `string.find` among them, are in
//! `lua-pattern/tests/`.

mod budget;
mod differential;
mod random;

use std::rc::Rc;

use mlua::{Lua, LuaOptions, StdLib};

use crate::lua::LuaFailure;
use crate::lua::environment::Parts;
use crate::lua::vm::budget::Budget;
use crate::lua::vm::meter::Metered;

const MEMORY: usize = 16 * 1024 * 1024;

/// Defines `run(f)`: calls `f` under `pcall` and describes every result (type, value) in one
/// string; `all(iterator)` does the same for every step of an iterator.
const PRELUDE: &str = r##"
local pack, select, type, tostring, format, concat = table.pack, select, type, tostring,
  string.format, table.concat
local function describe(...)
  local parts = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    local t = type(v)
    if t == "string" then parts[i] = format("%q", v)
    elseif t == "number" then parts[i] = math.type(v) .. " " .. format("%q", v)
    elseif t == "nil" or t == "boolean" then parts[i] = tostring(v)
    else parts[i] = t end
  end
  return select("#", ...) .. "[" .. concat(parts, ", ") .. "]"
end
function run(f) return describe(pcall(f)) end
function all(iterator)
  local steps = {}
  for _ = 1, 40 do
    local step = pack(iterator())
    if step[1] == nil then break end
    steps[#steps + 1] = describe(table.unpack(step, 1, step.n))
  end
  return concat(steps, "; ")
end
"##;

/// A VM built like a session's, with Lua's own `string` replaced, and one with Lua's C library.
pub(super) struct Vms {
    pub(super) ours: Lua,
    pub(super) budget: Rc<Budget>,
    _meter: Metered,
    pub(super) theirs: Lua,
}

impl Vms {
    pub(super) fn new(budget: u64) -> Vms {
        let (ours, budget, meter) = sandboxed(budget).expect("the sandboxed VM builds");
        let theirs = Lua::new();
        for lua in [&ours, &theirs] {
            lua.load(PRELUDE).exec().expect("the prelude runs");
        }
        Vms {
            ours,
            budget,
            _meter: meter,
            theirs,
        }
    }

    /// `run(function() return <expression> end)` in our VM.
    pub(super) fn ours(&self, expression: &str) -> String {
        self.budget.reset();
        eval(&self.ours, expression)
    }

    pub(super) fn theirs(&self, expression: &str) -> String {
        eval(&self.theirs, expression)
    }

    /// Checks that both VMs agree on `expression`.
    pub(super) fn same(&self, expression: &str) -> Result<(), String> {
        let (ours, theirs) = (self.ours(expression), self.theirs(expression));
        if ours == theirs {
            return Ok(());
        }
        Err(format!(
            "{expression}\n  ours:   {ours}\n  Lua's:  {theirs}"
        ))
    }
}

/// What `run` describes, or the error that escaped it (as the budget's does).
fn eval(lua: &Lua, expression: &str) -> String {
    let result = lua
        .load(format!("return run(function() return {expression} end)"))
        .set_name("=case")
        .eval::<mlua::LuaString>();
    match result {
        Ok(text) => String::from_utf8_lossy(&text.as_bytes()).into_owned(),
        Err(error) => format!("uncaught: {}", LuaFailure::from_error(&error).message),
    }
}

/// What `LuaBackend::sandboxed` builds, minus the session: the same environment (the pattern
/// functions in its string library) and budget hook.
pub(super) fn sandboxed(limit: u64) -> mlua::Result<(Lua, Rc<Budget>, Metered)> {
    let lua = Lua::new_with(StdLib::NONE, LuaOptions::new())?;
    let budget = Budget::new(limit, 0, crate::StepAlarm::default(), Rc::default());
    let require = lua.load(crate::lua::REQUIRE).into_function()?.dump(true);
    let parts = Parts {
        seed: [1, 2],
        budget: Rc::clone(&budget),
        lua_memory: MEMORY,
        require: Rc::from(require),
    };
    let empty = lua.create_table()?;
    crate::lua::environment::install(&lua, parts, empty)?;
    lua.set_memory_limit(MEMORY)?;
    let meter = Metered::install(&lua, Rc::clone(&budget));
    Ok((lua, budget, meter))
}

/// A Lua string literal for `bytes`.
pub(super) fn literal(bytes: &str) -> String {
    let escaped: String = bytes.bytes().map(|byte| format!("\\{byte}")).collect();
    format!("\"{escaped}\"")
}
