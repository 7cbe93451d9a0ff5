-- A tiny app for the browser tests: a list rendered with ui-viewlist, an action that appends
-- to it, and a boolean shown as a class (ui-class-dark) that another action toggles.
local app = {
  type = "App",
  items = {
    { type = "Item", name = "apple" },
    { type = "Item", name = "banana" },
  },
  dark = false,
}

function app:add()
  table.insert(self.items, { type = "Item", name = "item " .. (#self.items + 1) })
end

function app:toggle()
  self.dark = not self.dark
end

function app:count()
  return tostring(#self.items)
end

session:createAppVariable(app)
