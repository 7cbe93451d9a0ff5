-- The browser tests of every binding of docs/protocol.md §10.3 (e2e/tests/bindings.rs): one field
-- or method per binding, and actions (buttons) that change the server's state.
local app = {
  type = "App",
  -- ui-value on a <select>, a checkbox, a <textarea>, with ?keypress
  fruit = "banana",
  agree = false,
  notes = "first",
  live = "",
  -- ui-attr-title, ui-class-hot, ui-style-background-color, ui-html
  tipStep = 1,
  hotStep = 1,
  colorStep = 1,
  html = '<b class="bold">bold</b> text',
  -- ui-action="choose(_)", ui-event-*, ui-event-keypress-*
  chosen = "",
  query = "",
  result = "",
  doubles = 0,
  entry = "",
  submitted = "",
  palettes = 0,
  lastKey = "",
  pings = 0,
  -- ui-view with ui-namespace
  card = { type = "Card", label = "the card", badge = { type = "Badge" } },
  -- Lua errors
  broken = false,
  explosions = 0,
}

local TIPS = { "hello", false, "world", nil, 42 }
local HOTS = { true, false, "yes", 0, nil }
local COLORS = { "red", nil, "rgb(0, 0, 255)" }

local function step(n, count) return n % count + 1 end

function app:tip() return TIPS[self.tipStep] end
function app:nextTip() self.tipStep = step(self.tipStep, 5) end
function app:hot() return HOTS[self.hotStep] end
function app:nextHot() self.hotStep = step(self.hotStep, 5) end
function app:color() return COLORS[self.colorStep] end
function app:nextColor() self.colorStep = step(self.colorStep, 3) end

function app:pickCherry() self.fruit = "cherry" end
function app:toggleAgree() self.agree = not self.agree end
-- What Lua holds, with its Lua type: a checkbox must send a boolean, not "true".
function app:agreeSeen() return type(self.agree) .. ":" .. tostring(self.agree) end
function app:notesSeen() return (self.notes:gsub("\n", "|")) end
function app:resetNotes() self.notes = "alpha\nbeta" end

function app:setHtml() self.html = '<i class="italic">italic</i>' end
function app:clearHtml() self.html = nil end

function app:choose(value) self.chosen = type(value) .. ":" .. tostring(value) end
function app:search() self.result = "results for " .. self.query end
function app:double() self.doubles = self.doubles + 1 end
function app:submit() self.submitted = self.entry end
function app:palette() self.palettes = self.palettes + 1 end
-- A round trip: when its answer shows, every earlier message of the page has been handled.
function app:ping() self.pings = self.pings + 1 end

function app:risky()
  if self.broken then error("the getter is broken") end
  return "fine"
end
function app:breakIt() self.broken = true end
function app:fixIt() self.broken = false end
-- Fails on every odd call.
function app:explode()
  self.explosions = self.explosions + 1
  if self.explosions % 2 == 1 then error("boom " .. self.explosions) end
end

session:createAppVariable(app)
