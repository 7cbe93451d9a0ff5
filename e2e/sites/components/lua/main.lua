-- The browser tests of ui-value on web components (e2e/tests/components.rs): two components of
-- the page's own (html/late-elements.js), defined 200 ms after the page loads.
local app = {
  type = "App",
  name = "Ada",      -- a field that sends on its own commit event
  search = "",       -- a field that sends every edit (?keypress)
  done = true,       -- a checkbox: a boolean
}

function app:doneSeen() return type(self.done) .. ":" .. tostring(self.done) end
-- The server changes the name while the user may be editing it.
function app:rename() self.name = "Grace" end

session:createAppVariable(app)
