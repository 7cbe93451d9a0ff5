-- The browser tests of ui-value on web components (e2e/tests/components.rs): components of the
-- page's own (html/late-elements.js), defined 200 ms after the page loads.
local app = {
  type = "App",
  name = "Ada",           -- a field that sends on its own commit event
  search = "",            -- a field that sends every edit (?keypress)
  done = true,            -- a checkbox: a boolean
  size = "m",             -- a select whose options are in the viewdef, defined after it
  flavor = "chocolate",   -- a select whose options are a list
  flavors = {
    { type = "Flavor", id = "vanilla", label = "Vanilla" },
    { type = "Flavor", id = "chocolate", label = "Chocolate" },
  },
}

function app:doneSeen() return type(self.done) .. ":" .. tostring(self.done) end
-- The server changes the name while the user may be editing it.
function app:rename() self.name = "Grace" end
-- A new option and the choice of it reach the page together.
function app:addMint()
  table.insert(self.flavors, { type = "Flavor", id = "mint", label = "Mint" })
  self.flavor = "mint"
end

session:createAppVariable(app)
