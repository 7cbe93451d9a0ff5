-- The app lunette serves when it is started without --dir: a live page that shows what a
-- lunette app is made of, and where to go next.
local app = {
  type = "Welcome",
  title = "Welcome to lunette",
  message = "This page is a Lua object in lua/main.lua, shown through viewdefs/Welcome.DEFAULT.html.",
  name = "",
  clicks = 0,
}

function app:greeting()
  if self.name == "" then return "Type your name above: the server answers as you type." end
  return "Hello, " .. self.name .. "! This text was computed in Lua, in your session."
end

function app:click() self.clicks = self.clicks + 1 end

function app:clickText()
  if self.clicks == 1 then return "clicked once" end
  return "clicked " .. self.clicks .. " times"
end

session:createAppVariable(app)
