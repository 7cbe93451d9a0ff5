//! Lua's string pattern functions, `string.find`, `match`, `gmatch` and `gsub` (the functions:
//! Lua 5.4 manual §6.4; patterns: Lua 5.4 manual §6.4.1), in Rust. Lua's own run in C, where
//! the instruction hook never fires, so one pathological pattern would hang every session of the
//! thread whatever the budget; these pay for each matching step out of the call's instruction
//! budget (docs/protocol.md §7.1).
//!
//! The environment puts them in the `string` table (so `s:find(...)` reaches them too). Their
//! errors carry the messages and locations of Lua's own; the sandbox's `pcall` hands scripts
//! such errors as plain message strings, as Lua's would be.
//!
//! The engine, which compiles and matches patterns and knows nothing of Lua's API, is the
//! `lunette-pattern` crate (`lua-pattern/`). This module is the glue: it reads the arguments
//! (`args.rs`), pays the engine's meter out of the session's `Budget`, and turns matches into
//! Lua values and errors (`gsub` in `replace.rs`).

mod args;
mod replace;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::fmt::Display;
use std::rc::Rc;

use mlua::{Function, Lua, LuaString, MultiValue, Value};

use lunette_pattern::{Capture, Exhausted, Failure, Matcher, Meter, Program};

use crate::lua::vm::budget::Budget;

/// Bytes that make `string.find` match a pattern rather than search for plain text.
const SPECIALS: &[u8] = b"^$*+?.([%-";

/// Patterns up to this long are compiled without checking the heap limit.
const SMALL_PATTERN: usize = 1024;

/// A `gmatch` iterator keeps its compiled pattern when it is at most this big; a bigger one is
/// compiled again on each step, so that iterators cannot hold much memory Lua does not count.
const KEPT_PROGRAM_BYTES: usize = 512;

/// `find`, `match`, `gmatch` and `gsub`, in that order, for the string library once it is
/// made. `memory` is the session's `--lua-memory`: work buffers outside the Lua heap stay
/// within it.
pub(crate) fn functions(
    lua: &Lua,
    budget: &Rc<Budget>,
    memory: usize,
) -> mlua::Result<[Function; 4]> {
    type Body = fn(&Call, MultiValue) -> mlua::Result<MultiValue>;
    let functions: [(&str, Body); 4] = [
        ("find", |call, args| find(call, args, true)),
        ("match", |call, args| find(call, args, false)),
        ("gmatch", gmatch),
        ("gsub", replace::gsub),
    ];
    let [find, matching, gmatch, gsub] = functions.map(|(name, body)| {
        let budget = Rc::clone(budget);
        lua.create_function(move |lua, args: MultiValue| {
            body(&Call::new(lua, &budget, memory, name), args)
        })
    });
    Ok([find?, matching?, gmatch?, gsub?])
}

/// One call of a pattern function.
struct Call<'l> {
    lua: &'l Lua,
    budget: &'l Rc<Budget>,
    /// The session's `--lua-memory`.
    memory: usize,
    /// The function's name in `string`, for argument errors.
    name: &'static str,
}

impl<'l> Call<'l> {
    fn new(lua: &'l Lua, budget: &'l Rc<Budget>, memory: usize, name: &'static str) -> Self {
        Self {
            lua,
            budget,
            memory,
            name,
        }
    }

    /// `chunk:line: ` of the script code that made the call (stack level 1, level 0 being
    /// the Rust function), as `luaL_where(L, 1)` gives it.
    fn place(&self) -> String {
        self.lua
            .inspect_stack(1, |frame| {
                let line = frame.current_line().filter(|&line| line > 0)?;
                let source = frame.source().short_src?.into_owned();
                Some(format!("{source}:{line}: "))
            })
            .flatten()
            .unwrap_or_default()
    }

    /// An error located at the calling script code, as `luaL_error` makes it.
    fn error(&self, message: impl Display) -> mlua::Error {
        mlua::Error::RuntimeError(format!("{}{message}", self.place()))
    }

    fn failure(&self, failure: Failure) -> mlua::Error {
        match failure {
            Failure::Pattern(fault) => self.error(fault),
            Failure::Exhausted => self.exhausted(),
        }
    }

    /// The budget's own error, located like the hook's.
    fn exhausted(&self) -> mlua::Error {
        match self.budget.charge(0) {
            Err(mlua::Error::RuntimeError(message)) => self.error(message),
            _ => self.error("instruction budget exceeded"),
        }
    }

    /// What the Lua heap can still take.
    fn room(&self) -> usize {
        match self.memory {
            0 => usize::MAX,
            limit => limit.saturating_sub(self.lua.used_memory()),
        }
    }

    /// Compiles `pattern`, paying for the reading and keeping the program within the heap
    /// that is left.
    fn compile(&self, pattern: &[u8]) -> mlua::Result<Program> {
        self.budget
            .charge(pattern.len() as u64)
            .map_err(|_| self.exhausted())?;
        // Programs take a few dozen bytes per pattern byte at most: only long patterns need to
        // look at the heap.
        let room = if pattern.len() > SMALL_PATTERN {
            self.room()
        } else {
            usize::MAX
        };
        Program::compile(pattern, room).ok_or_else(out_of_memory)
    }

    fn matcher<'a>(
        &'a self,
        subject: &'a [u8],
        program: &'a Program,
    ) -> Matcher<'a, BudgetMeter<'a>> {
        Matcher::new(subject, program, BudgetMeter(self.budget))
    }
}

fn out_of_memory() -> mlua::Error {
    mlua::Error::MemoryError("not enough memory".to_owned())
}

/// Matching work paid out of the session's instruction budget.
struct BudgetMeter<'b>(&'b Budget);

impl Meter for BudgetMeter<'_> {
    fn pay(&mut self, units: u64) -> Result<(), Exhausted> {
        self.0.charge(units).map_err(|_| Exhausted)
    }
}

/// `nil`, Lua's "fail".
fn fail() -> MultiValue {
    MultiValue::from_vec(vec![Value::Nil])
}

/// The 0-based start for a 1-based `init` that may count from the end, or `None` past the end.
fn start_index(init: i64, len: usize) -> Option<usize> {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let position = match init {
        1.. => init,
        0 => 1,
        _ if init < -len_i => 1,
        _ => len_i + init + 1,
    };
    usize::try_from(position - 1)
        .ok()
        .filter(|&start| start <= len)
}

/// Splits a leading `^` anchor off a pattern.
fn anchored(pattern: &[u8]) -> (bool, &[u8]) {
    match pattern.split_first() {
        Some((b'^', rest)) => (true, rest),
        _ => (false, pattern),
    }
}

/// `string.find` (`find`) or `string.match`.
fn find(call: &Call, mut args: MultiValue, find: bool) -> mlua::Result<MultiValue> {
    let subject = args::string(call, &mut args, 1)?;
    let pattern = args::string(call, &mut args, 2)?;
    let init = args::opt_integer(call, &args, 3, 1)?;
    let (subject, pattern) = (subject.as_bytes(), pattern.as_bytes());
    let Some(start) = start_index(init, subject.len()) else {
        return Ok(fail());
    };
    if find && (args::truthy(&args, 4) || !pattern.iter().any(|b| SPECIALS.contains(b))) {
        let mut meter = BudgetMeter(call.budget);
        return match lunette_pattern::find_text(&subject, &pattern, start, &mut meter) {
            Ok(Some(at)) => Ok(MultiValue::from_vec(vec![
                position(at + 1),
                position(at + pattern.len()),
            ])),
            Ok(None) => Ok(fail()),
            Err(Exhausted) => Err(call.exhausted()),
        };
    }
    let (anchored, pattern) = anchored(&pattern);
    let program = call.compile(pattern)?;
    let mut matcher = call.matcher(&subject, &program);
    let found = matcher.search(start, anchored, None);
    let found = found.map_err(|f| call.failure(f))?;
    matcher.settle().map_err(|_| call.exhausted())?;
    let Some((at, end)) = found else {
        return Ok(fail());
    };
    let mut values = MultiValue::new();
    if find {
        values.push_back(position(at + 1));
        values.push_back(position(end));
    }
    push_captures(
        call,
        &matcher,
        &subject,
        (!find).then_some((at, end)),
        &mut values,
    )?;
    Ok(values)
}

fn position(at: usize) -> Value {
    Value::Integer(i64::try_from(at).unwrap_or(i64::MAX))
}

/// Appends every capture of the last match; with none, the whole match if `whole` is given.
fn push_captures<M: Meter>(
    call: &Call,
    matcher: &Matcher<'_, M>,
    subject: &[u8],
    whole: Option<(usize, usize)>,
    values: &mut MultiValue,
) -> mlua::Result<()> {
    if matcher.capture_count() == 0 {
        if let Some((start, end)) = whole {
            values.push_back(Value::String(call.lua.create_string(&subject[start..end])?));
        }
        return Ok(());
    }
    for index in 0..matcher.capture_count() {
        values.push_back(capture_value(call, matcher, subject, index)?);
    }
    Ok(())
}

/// Capture `index` as a Lua value: its text, or its 1-based position for `()`.
fn capture_value<M: Meter>(
    call: &Call,
    matcher: &Matcher<'_, M>,
    subject: &[u8],
    index: usize,
) -> mlua::Result<Value> {
    match matcher.capture(index) {
        Ok(Capture::Text(start, end)) => {
            Ok(Value::String(call.lua.create_string(&subject[start..end])?))
        }
        Ok(Capture::Position(at)) => Ok(position(at + 1)),
        Err(fault) => Err(call.error(fault)),
    }
}

/// `string.gmatch(s, pattern [, init])`: an iterator over the matches. A `^` is an ordinary
/// byte here, and an empty match right where the previous match ended is skipped.
fn gmatch(call: &Call, mut args: MultiValue) -> mlua::Result<MultiValue> {
    let subject = args::string(call, &mut args, 1)?;
    let pattern = args::string(call, &mut args, 2)?;
    let init = args::opt_integer(call, &args, 3, 1)?;
    let len = subject.as_bytes().len();
    let start = start_index(init, len).unwrap_or(len + 1);
    let program = call.compile(&pattern.as_bytes())?;
    let kept = (program.heap_size() <= KEPT_PROGRAM_BYTES).then_some(program);
    let state = Cell::new(GmatchState {
        next: start,
        last_end: None,
    });
    let (budget, memory) = (Rc::clone(call.budget), call.memory);
    let iterator = call.lua.create_function(move |lua, ()| {
        let call = Call::new(lua, &budget, memory, "gmatch");
        gmatch_step(&call, &subject, &pattern, kept.as_ref(), &state)
    })?;
    Ok(MultiValue::from_vec(vec![Value::Function(iterator)]))
}

#[derive(Clone, Copy)]
struct GmatchState {
    /// Where the next search starts.
    next: usize,
    /// Where the previous match ended.
    last_end: Option<usize>,
}

fn gmatch_step(
    call: &Call,
    subject: &LuaString,
    pattern: &LuaString,
    kept: Option<&Program>,
    state: &Cell<GmatchState>,
) -> mlua::Result<MultiValue> {
    let subject = subject.as_bytes();
    let compiled;
    let program = match kept {
        Some(program) => program,
        None => {
            compiled = call.compile(&pattern.as_bytes())?;
            &compiled
        }
    };
    let GmatchState { next, last_end } = state.get();
    let mut matcher = call.matcher(&subject, program);
    let found = matcher.search(next, false, last_end);
    let found = found.map_err(|f| call.failure(f))?;
    matcher.settle().map_err(|_| call.exhausted())?;
    let Some((at, end)) = found else {
        state.set(GmatchState {
            next: subject.len() + 1,
            last_end,
        });
        return Ok(MultiValue::new());
    };
    state.set(GmatchState {
        next: end,
        last_end: Some(end),
    });
    let mut values = MultiValue::new();
    push_captures(call, &matcher, &subject, Some((at, end)), &mut values)?;
    Ok(values)
}
