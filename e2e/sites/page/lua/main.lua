-- A site with its own page (html/index.html) and stylesheet instead of the built-in shell.
local app = { type = "Greeting", name = "world" }
function app:greeting() return "Hello, " .. self.name .. "!" end
session:createAppVariable(app)
