//! `lunette test`: runs every test under a site's `tests/`, each in a fresh world, and prints
//! one line per test, the failures with what was expected and found, and a last line
//! `N passed, M failed`. Nothing in the output depends on the wall clock or the machine, so
//! two runs of the same tests print the same bytes.

use std::cell::RefCell;
use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::rc::Rc;

use lunette_core::Site;
use mlua::{Function, HookTriggers, Lua, LuaOptions, StdLib, VmState};

use crate::lua_api::{self, Current, Shared, app_failure};
use crate::world::World;

/// Instructions one test may run in its own Lua (the app's Lua has the server's budget).
pub const TEST_BUDGET: u64 = 50_000_000;
/// The heap of a test file's Lua.
const TEST_MEMORY: usize = 256 * 1024 * 1024;
/// How often the budget is checked, in instructions.
const CHECK_EVERY: u32 = 10_000;
/// Largest test file read.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Seed of every test's ids: each test sees the same sessions run after run.
const SEED: u64 = 1;

/// One test file: its path as shown (`tests/search.lua`) and its text.
pub struct TestFile {
    pub name: String,
    pub source: String,
}

/// Reads `SITE/tests/**/*.lua` in path order.
pub fn read_tests(site_root: &Path) -> Result<Vec<TestFile>, String> {
    let root = site_root.join("tests");
    if !root.is_dir() {
        return Err(format!("{} has no tests/ folder", site_root.display()));
    }
    let mut files = Vec::new();
    let mut pending = vec![root];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "lua") {
                let size = path.metadata().map(|m| m.len()).unwrap_or(0);
                if size > MAX_FILE_BYTES {
                    return Err(format!("{}: over {MAX_FILE_BYTES} bytes", path.display()));
                }
                let source =
                    fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let name = path
                    .strip_prefix(site_root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push(TestFile { name, source });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// What the run counted.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
}

/// Runs the tests of `files` whose file name or test name contains `filter`, printing to
/// `out`.
pub fn run(
    site: &Site,
    files: &[TestFile],
    filter: Option<&str>,
    out: &mut dyn Write,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    for problem in World::new(site.clone(), SEED).site_problems() {
        writeln!(out, "warning: {problem}")?;
    }
    for file in files {
        run_file(site, file, filter, out, &mut summary)?;
    }
    writeln!(out, "{} passed, {} failed", summary.passed, summary.failed)?;
    Ok(summary)
}

struct Registered {
    name: String,
    line: usize,
    function: Function,
}

fn run_file(
    site: &Site,
    file: &TestFile,
    filter: Option<&str>,
    out: &mut dyn Write,
    summary: &mut Summary,
) -> io::Result<()> {
    let current: Shared = Rc::new(RefCell::new(Current::default()));
    let registered = Rc::new(RefCell::new(Vec::new()));
    let used = Rc::new(RefCell::new(0u64));
    let loaded = test_lua(&current, &registered, &used).and_then(|lua| {
        lua.load(&file.source)
            .set_name(format!("@{}", file.name))
            .exec()?;
        Ok(lua)
    });
    // Keep the VM alive while its functions run.
    let _lua = match loaded {
        Ok(lua) => lua,
        Err(error) => {
            summary.failed += 1;
            writeln!(out, "FAIL {} (loading the file)", file.name)?;
            writeln!(out, "{}", indent(&message_of(&error)))?;
            return Ok(());
        }
    };
    let tests: Vec<Registered> = registered.borrow_mut().drain(..).collect();
    for test in tests {
        let label = format!("{}:{} {}", file.name, test.line, test.name);
        if filter.is_some_and(|f| !label.contains(f)) {
            continue;
        }
        {
            let mut state = current.borrow_mut();
            state.world = Some(World::new(site.clone(), SEED));
            state.generation += 1;
            state.last_action.clear();
            state.printed.clear();
        }
        *used.borrow_mut() = 0;
        let mut failure = test.function.call::<()>(()).err().map(|e| message_of(&e));
        let mut state = current.borrow_mut();
        // What the app did wrong after the test's last call fails it too.
        if failure.is_none()
            && let Some(world) = state.world.as_mut()
            && !world.app_errors.is_empty()
        {
            let errors = std::mem::take(&mut world.app_errors);
            failure = Some(format!(
                "{}: {}",
                label_place(file, test.line),
                app_failure(&state.last_action, &errors)
            ));
        }
        state.world = None;
        match failure {
            None => {
                summary.passed += 1;
                writeln!(out, "PASS {label}")?;
            }
            Some(message) => {
                summary.failed += 1;
                writeln!(out, "FAIL {label}")?;
                writeln!(out, "{}", indent(&message))?;
                for line in &state.printed {
                    writeln!(out, "    print: {line}")?;
                }
            }
        }
    }
    Ok(())
}

fn label_place(file: &TestFile, line: usize) -> String {
    format!("{}:{line}", file.name)
}

/// A Lua for one test file: the safe libraries, no way to load bytecode or files, a memory
/// cap and an instruction budget per test. `xpcall` is left out: a message handler runs with
/// hooks off, so a looping one would escape the budget.
fn test_lua(
    current: &Shared,
    registered: &Rc<RefCell<Vec<Registered>>>,
    used: &Rc<RefCell<u64>>,
) -> mlua::Result<Lua> {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::UTF8 | StdLib::COROUTINE;
    let lua = Lua::new_with(libs, LuaOptions::default())?;
    lua.set_memory_limit(TEST_MEMORY)?;
    let globals = lua.globals();
    for name in ["dofile", "loadfile", "load", "xpcall", "collectgarbage"] {
        globals.set(name, mlua::Nil)?;
    }
    let list = registered.clone();
    globals.set(
        "test",
        lua.create_function(move |lua, (name, function): (String, Function)| {
            let line = lua
                .inspect_stack(1, |debug| debug.current_line())
                .flatten()
                .unwrap_or(0);
            list.borrow_mut().push(Registered {
                name,
                line,
                function,
            });
            Ok(())
        })?,
    )?;
    lua_api::install(&lua, current)?;
    let used = used.clone();
    lua.set_global_hook(
        HookTriggers::new().every_nth_instruction(CHECK_EVERY),
        move |_, _| {
            let mut count = used.borrow_mut();
            *count += u64::from(CHECK_EVERY);
            if *count > TEST_BUDGET {
                return Err(mlua::Error::runtime(format!(
                    "the test ran past its budget of {TEST_BUDGET} Lua instructions (an \
                     endless loop?)"
                )));
            }
            Ok(VmState::Continue)
        },
    )?;
    Ok(lua)
}

/// The message a test's error carries, without mlua's wrapping and tracebacks.
fn message_of(error: &mlua::Error) -> String {
    match error {
        mlua::Error::CallbackError { cause, .. } => message_of(cause),
        mlua::Error::RuntimeError(message) | mlua::Error::SyntaxError { message, .. } => {
            message.clone()
        }
        mlua::Error::WithContext { cause, .. } => message_of(cause),
        other => other.to_string(),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("    ") {
                line.to_owned()
            } else {
                format!("  {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
