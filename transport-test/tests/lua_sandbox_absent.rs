//! What the session sandbox leaves out of the standard library, and what it keeps working
//! (docs/protocol.md §7.1).

mod common;

use common::lua_sandbox::*;

// --- §7.1: what the sandbox leaves out ---

#[test]
fn io_debug_dofile_loadfile_and_string_dump_are_absent() {
    let absent = result_of(
        r#"report("result", table.concat({type(io), type(debug), type(dofile), type(loadfile),
            type(string.dump), type(("").dump), type(warn)}, ","))"#,
    );
    assert_eq!(absent, "nil,nil,nil,nil,nil,nil,nil");
}

#[test]
fn package_has_no_loadlib_and_no_native_searchers() {
    // `require` reads only the site's `lua/` (§7.4): `package` holds `loaded` and nothing that
    // could reach a C library (`loadlib`, `cpath`, `searchers`, `searchpath`, `preload`).
    let result = result_of(
        r#"local names = {}
        for name in pairs(package) do names[#names + 1] = name end
        table.sort(names)
        report("result", type(package) .. ":" .. table.concat(names, ","))"#,
    );
    assert_eq!(result, "table:loaded");
}

/// Real Lua 5.4 bytecode of `source`, as the text of a Lua string literal.
fn bytecode_literal(source: &str) -> String {
    let lua = mlua::Lua::new();
    let function = lua
        .load(source)
        .into_function()
        .expect("test source compiles");
    let bytes = function.dump(true);
    let escaped: String = bytes.iter().map(|byte| format!("\\{byte}")).collect();
    format!("\"{escaped}\"")
}

#[test]
fn load_refuses_binary_chunks_in_every_mode() {
    let chunk = bytecode_literal("return 42");
    let result = result_of(&format!(
        r#"local chunk = {chunk}
        local refused = {{}}
        local function refuses(f, err)
          return tostring(f == nil and type(err) == "string" and err:find("binary") ~= nil)
        end
        for _, mode in ipairs({{"b", "bt", "t"}}) do
          refused[#refused + 1] = refuses(load(chunk, "=chunk", mode))
        end
        refused[#refused + 1] = refuses(load(chunk))
        refused[#refused + 1] = refuses(load(chunk, "=chunk", "b", {{}}))
        refused[#refused + 1] = refuses(loadstring(chunk))
        local pieces = {{chunk}}
        refused[#refused + 1] = refuses(load(function() return table.remove(pieces, 1) end))
        report("result", table.concat(refused, ","))"#
    ));
    assert_eq!(result, "true,true,true,true,true,true,true");
}

#[test]
fn load_runs_text_chunks_with_an_environment() {
    let result = result_of(
        r#"local sum = load("return 1 + 2")()
        local x = load("return x", "=env", "t", {x = 40})()
        report("result", sum + x)"#,
    );
    assert_eq!(result, "43");
}

#[test]
fn unpack_and_loadstring_shims_work() {
    let result = result_of(
        r#"local a, b, c = unpack({1, 2, 3})
        local twice = loadstring("return 2 * ...")
        report("result", a + b + c + twice(10))"#,
    );
    assert_eq!(result, "26");
}

#[test]
fn collectgarbage_allows_count_but_not_stop() {
    let result = result_of(
        r#"local kb = collectgarbage("count")
        collectgarbage("collect"); collectgarbage("step"); collectgarbage()
        local running = collectgarbage("isrunning")
        local ok, err = pcall(collectgarbage, "stop")
        local still = collectgarbage("isrunning")
        report("result", table.concat({type(kb), tostring(kb > 0), tostring(running),
            tostring(ok), tostring(type(err) == "string"), tostring(still)}, ","))"#,
    );
    assert_eq!(result, "number,true,true,false,true,true");
}

#[test]
fn set_metatable_still_works_for_ordinary_metatables() {
    let result = result_of(
        r#"local t = setmetatable({}, {__index = function(_, k) return k .. "!" end})
        report("result", t.hi)"#,
    );
    assert_eq!(result, "hi!");
}
