-- Builds one session's global environment (PROTOCOL §7.1–§7.5) from the standard libraries
-- the VM was opened with and the primitives the server passes in. Runs once per session,
-- before main.lua; nothing here is reachable from app code except what it assigns to _G.
-- Returns run_module(name, chunk), with which the server runs main.lua as module `main`.
local host = ...

local check = host.check_budget
local raw_pcall, raw_xpcall, raw_resume = pcall, xpcall, coroutine.resume
local raw_load, raw_collect, raw_select = load, collectgarbage, select
local raw_randomseed, raw_random = math.randomseed, math.random
local raw_date, raw_difftime = os.date, os.difftime
local now_seconds, utc_time = host.time, host.utc_time

-- Once a call's instruction budget is spent, every protected call re-raises its error.
pcall = function(...) return check(raw_pcall(...)) end
xpcall = function(...) return check(raw_xpcall(...)) end
coroutine.resume = function(...) return check(raw_resume(...)) end

-- Text chunks only: Lua never verifies bytecode, so a binary chunk would escape the sandbox.
load = function(chunk, name, _, ...)
  if raw_select("#", ...) > 0 then
    return raw_load(chunk, name, "t", (...))
  end
  return raw_load(chunk, name, "t")
end
loadstring = function(text, name) return raw_load(text, name, "t") end
unpack = table.unpack
dofile, loadfile, warn = nil, nil, nil

-- Finalizers run with debug hooks switched off (lgc.c: allowhook = 0), so a looping __gc would
-- escape the instruction budget and hang every session of the core: no __gc metamethods.
-- Lua only marks an object for finalization if __gc is present when setmetatable runs.
local raw_setmetatable, raw_rawget, raw_type = setmetatable, rawget, type
setmetatable = function(t, mt)
  if raw_type(mt) == "table" and raw_rawget(mt, "__gc") ~= nil then
    error("setmetatable: __gc metamethods are not available", 2)
  end
  return raw_setmetatable(t, mt)
end
string.dump = nil

local raw_gsub = string.gsub

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
}

-- Modules (§7.4) ---------------------------------------------------------------------------

local load_module = host.load_module
local raw_error, raw_next, raw_getmetatable = error, next, getmetatable
local safe_setmetatable = setmetatable
local loaded = {}
package = { loaded = loaded }
local loading = {}        -- module name -> true while its chunk runs
local current_module      -- the module whose chunk is running (innermost)
local module_prototypes = {}  -- module name -> { prototype name = true } registered by it
local presenters = {}         -- presenter name -> { tbl, module }

-- Runs `chunk` as module `name`; a failing chunk is not cached and its error propagates.
local function run_module(name, chunk)
  loading[name] = true
  local outer = current_module
  current_module = name
  local ok, result = raw_pcall(chunk)
  current_module = outer
  loading[name] = nil
  if not ok then raw_error(result, 0) end
  if result == nil then result = true end
  loaded[name] = result
  return result
end

require = function(name)
  if raw_type(name) ~= "string" then
    raw_error("bad argument #1 to 'require' (string expected, got " .. raw_type(name) .. ")", 2)
  end
  local known = loaded[name]
  if known ~= nil then return known end
  if loading[name] then raw_error("circular require of '" .. name .. "'", 2) end
  local chunk = load_module(name)
  if chunk == false then raw_error("invalid module name '" .. name .. "'", 2) end
  if chunk == nil then raw_error("module '" .. name .. "' not found", 2) end
  if raw_type(chunk) == "string" then raw_error(chunk, 0) end
  return run_module(name, chunk)
end

-- Prototypes (§7.5) ------------------------------------------------------------------------

EMPTY = {}
local EMPTY = EMPTY
local the_session = session
local prototypes = {}   -- name -> P
local snapshots = {}    -- P -> snapshot of init's string keys
local instances = {}    -- P -> weak-valued list { n = count, [i] = instance } in creation order
local weak_values = { __mode = "v" }
local mutation_queue = {}  -- { P, removed keys } queued during a hot reload
local skipped = { type = true, __index = true, new = true }

local function snapshot(init)
  local snap = {}
  if init ~= nil then
    for k, v in raw_next, init do
      if raw_type(k) == "string" and not skipped[k] then snap[k] = v end
    end
  end
  return snap
end

local function same_snapshot(a, b)
  for k, v in raw_next, a do
    if b[k] ~= v then return false end
  end
  for k in raw_next, b do
    if a[k] == nil then return false end
  end
  return true
end

local function create(_, proto, inst)
  if raw_type(proto) ~= "table" then
    raw_error("create: prototype must be a table, got " .. raw_type(proto), 2)
  end
  inst = safe_setmetatable(inst or {}, proto)
  local list = instances[proto]
  if list == nil then
    list = safe_setmetatable({ n = 0, limit = 64 }, weak_values)
    instances[proto] = list
  end
  local n = list.n + 1
  if n > list.limit then
    -- Compact the slots of collected instances, keeping creation order.
    local live = 0
    for i = 1, n - 1 do
      local x = list[i]
      if x ~= nil then
        live = live + 1
        list[i] = nil
        list[live] = x
      end
    end
    n = live + 1
    list.limit = live * 2 > 64 and live * 2 or 64
  end
  list[n] = inst
  list.n = n
  return inst
end

local function default_new(self, inst)
  return create(the_session, self, inst)
end

local function prototype(_, name, init, base)
  if raw_type(name) ~= "string" then
    raw_error("prototype: name must be a string, got " .. raw_type(name), 2)
  end
  if init ~= nil and raw_type(init) ~= "table" then
    raw_error("prototype: init must be a table, got " .. raw_type(init), 2)
  end
  if base == nil and name ~= "Object" then base = prototypes.Object end
  if base == false then base = nil end  -- explicitly no base, not even Object
  if base ~= nil and raw_type(base) ~= "table" then
    raw_error("prototype: base must be a table, got " .. raw_type(base), 2)
  end
  local P = prototypes[name]
  if P == nil then
    P = init or {}
    P.type = name
    P.__index = P
    if base ~= nil then
      safe_setmetatable(P, base)
    elseif raw_rawget(P, "new") == nil then
      P.new = default_new
    end
    snapshots[P] = snapshot(init)
    for k, v in raw_next, P do
      if v == EMPTY then P[k] = nil end
    end
    prototypes[name] = P
    local module = current_module
    if module ~= nil then
      local names = module_prototypes[module]
      if names == nil then
        names = {}
        module_prototypes[module] = names
      end
      names[name] = true
    end
    return P
  end
  if init == nil or init == P then return P end
  local old, new = snapshots[P], snapshot(init)
  if same_snapshot(old, new) then return P end
  for k, v in raw_next, init do
    if not skipped[k] then
      if v == EMPTY then v = nil end
      P[k] = v
    end
  end
  local removed = {}
  for k in raw_next, old do
    if new[k] == nil then
      P[k] = nil
      removed[#removed + 1] = k
    end
  end
  snapshots[P] = new
  if raw_getmetatable(P) ~= base then safe_setmetatable(P, base) end
  if the_session.reloading then
    mutation_queue[#mutation_queue + 1] = { P, removed }
  end
  return P
end

local function forget_prototype(name)
  local P = prototypes[name]
  if P ~= nil then
    prototypes[name] = nil
    snapshots[P] = nil
    instances[P] = nil
  end
end

local function remove_prototype(_, name, children)
  forget_prototype(name)
  if children and raw_type(name) == "string" then
    local prefix = name .. "."
    local names = {}
    for other in raw_next, prototypes do
      if other:sub(1, #prefix) == prefix then names[#names + 1] = other end
    end
    for i = 1, #names do forget_prototype(names[i]) end
  end
end

local function unload_module(_, name)
  loaded[name] = nil
  local names = module_prototypes[name]
  if names ~= nil then
    module_prototypes[name] = nil
    for proto in raw_next, names do forget_prototype(proto) end
  end
  for presenter, entry in raw_next, presenters do
    if entry[2] == name then presenters[presenter] = nil end
  end
end

local function unload_directory(self, dir)
  if raw_type(dir) ~= "string" then return end
  dir = raw_gsub(dir, "/+$", "")
  local prefix = dir .. "/"
  local modules = {}
  for _, known in raw_next, { loaded, module_prototypes } do
    for name in raw_next, known do
      if raw_type(name) == "string" then modules[name] = true end
    end
  end
  for _, entry in raw_next, presenters do
    if entry[2] ~= nil then modules[entry[2]] = true end
  end
  for name in raw_next, modules do
    local path = raw_gsub(name, "%.", "/")
    if path:sub(1, #prefix) == prefix then unload_module(self, name) end
  end
end

the_session.prototype = prototype
the_session.create = create
the_session.removePrototype = remove_prototype
the_session.unloadModule = unload_module
the_session.unloadDirectory = unload_directory

ui.registerPresenter = function(name, tbl)
  presenters[name] = { tbl, current_module }
  return tbl
end

return run_module
