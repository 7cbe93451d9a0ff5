-- `require` (docs/protocol.md §7.4), made on a session's first use of it. The server finds,
-- checks and enters the module; its chunk runs here, so that what it raises reaches the caller
-- as it was raised. Everything it uses comes in as arguments: by the time it is made, the
-- script may have replaced any global.
local load_module, leave_module, loaded, raw_pcall, raw_error = ...

return function(name)
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
