Adder = session:prototype("Adder", { value1 = "", value2 = "" })
function Adder:compute()
  local a, b = tonumber(self.value1), tonumber(self.value2)
  if a and b then return tostring(a + b) end
  return ""
end
if not session.reloading then
  session:createAppVariable(Adder:new())
end
