-- Builds one session's global environment (docs/protocol.md §7.1–§7.5) from the standard libraries
-- the VM was opened with and the primitives the server passes in. Runs once per session,
-- before main.lua; nothing here is reachable from app code except what it assigns to _G.
-- Returns the session table, whose `reloading` the server sets during a hot reload.
local host = ...

local charge = host.charge
local raw_pcall = pcall
local raw_load, raw_collect, raw_select = load, collectgarbage, select
local raw_randomseed, raw_random = math.randomseed, math.random
local raw_date, raw_difftime = os.date, os.difftime
local raw_setmetatable, raw_rawget, raw_type, raw_error = setmetatable, rawget, type, error
local now_seconds, utc_time = host.time, host.utc_time

-- Once a call's instruction budget is spent, every protected call re-raises its error; a
-- coroutine the budget stopped is never closed (see protected.rs).
pcall, xpcall = host.pcall, host.xpcall
coroutine.resume, coroutine.close, coroutine.wrap = host.resume, host.close, host.wrap

-- Work that C functions do without allocating is charged by the functions themselves
-- (charged.rs); the few below are charged here.
local len = rawlen
local function count(n) if raw_type(n) == "number" and n > 0 then charge(n) end end

-- Text chunks only: Lua never verifies bytecode, so a binary chunk would escape the sandbox.
load = function(chunk, name, _, ...)
  if raw_select("#", ...) > 0 then
    return raw_load(chunk, name, "t", (...))
  end
  return raw_load(chunk, name, "t")
end
loadstring = function(text, name) return load(text, name) end
unpack = table.unpack
dofile, loadfile, warn = nil, nil, nil

-- Finalizers run with debug hooks switched off (lgc.c: allowhook = 0), so a looping __gc would
-- escape the instruction budget and hang every session of the core: no __gc metamethods.
-- Lua only marks an object for finalization if __gc is present when setmetatable runs.
setmetatable = function(t, mt)
  if raw_type(mt) == "table" and raw_rawget(mt, "__gc") ~= nil then
    error("setmetatable: __gc metamethods are not available", 2)
  end
  return raw_setmetatable(t, mt)
end
string.dump = nil

-- Pattern matching runs in Rust, where it pays out of the instruction budget: Lua's C matcher
-- runs where the hook never fires, so one pathological pattern would hang the whole core.
string.find, string.match = host.find, host.match
string.gmatch, string.gsub = host.gmatch, host.gsub

local collect_options = { collect = true, step = true, count = true, isrunning = true }
collectgarbage = function(option, ...)
  option = option == nil and "collect" or option
  if not collect_options[option] then
    error("collectgarbage: option '" .. tostring(option) .. "' is not available", 2)
  end
  -- A full collection walks the whole heap without allocating: charge it by the heap's size.
  if option == "collect" or option == "step" then count(raw_collect("count") * 64) end
  return raw_collect(option, ...)
end

-- Seeded from the server's id source; a bare randomseed() draws from the same generator
-- instead of the clock, so that runs stay reproducible.
raw_randomseed(host.seed1, host.seed2)
math.randomseed = function(...)
  if raw_select("#", ...) == 0 then
    return raw_randomseed(raw_random(0), raw_random(0))
  end
  return raw_randomseed(...)
end

-- Server time of the current step, always in UTC.
os = {
  time = function(t)
    if t == nil then return now_seconds() end
    return utc_time(t)
  end,
  clock = host.clock,
  date = function(format, t)
    format = format == nil and "%c" or tostring(format)
    count(len(format) / 4)
    if format:sub(1, 1) ~= "!" then format = "!" .. format end
    return raw_date(format, t == nil and now_seconds() or t)
  end,
  difftime = raw_difftime,
}

print = host.print
diag = host.diag

ui = {
  log = host.log,
  json_encode = host.json_encode,
  json_decode = host.json_decode,
  registerPresenter = host.register_presenter,
}

session = {
  _sessionID = host.sid,
  reloading = false,
  createAppVariable = host.create_app_variable,
  createVariable = host.create_variable,
  destroyVariable = host.destroy_variable,
  getApp = host.get_app,
  setImmediate = host.set_immediate,
  setTimeout = host.set_timeout,
  setInterval = host.set_interval,
  clearImmediate = host.clear_timer,
  clearTimeout = host.clear_timer,
  clearInterval = host.clear_timer,
  -- Prototypes (§7.5) and modules (§7.4).
  prototype = host.prototype,
  create = host.create,
  removePrototype = host.remove_prototype,
  unloadModule = host.unload_module,
  unloadDirectory = host.unload_directory,
  -- Deprecated (§7.2): prototype mutation replaces them.
  newVersion = host.new_version,
  getVersion = host.get_version,
  needsMutation = host.needs_mutation,
}
EMPTY = host.empty

-- Modules (§7.4): the server finds, checks and enters the module; its chunk runs here, so
-- that what it raises reaches the caller as it was raised.
local load_module, leave_module = host.load_module, host.leave_module
local loaded = host.loaded
package = { loaded = loaded }
require = function(name)
  local known = loaded[name]
  if known ~= nil then return known end
  local chunk, why, level = load_module(name)
  if chunk == nil then raw_error(why, level) end
  -- Lua's own pcall, so that the module is left even when the budget is spent.
  local ok, result = raw_pcall(chunk)
  leave_module(name, ok)
  if not ok then raw_error(result, 0) end
  if result == nil then result = true end
  loaded[name] = result
  return result
end

return session
