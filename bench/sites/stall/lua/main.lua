-- The app of `loadgen stall` (bench/stall.sh, BENCHMARKS.md "Fair share"): work that keeps one
-- session busy, and a cheap action for another session to time its round trips with while it
-- runs. Open it in a browser (`lunette --dir bench/sites/stall`) to press the same buttons.

-- Iterations of `spin` that take about 100 ms in a release build on the development machine
-- (2 vCPUs, AMD EPYC), with the default --lua-budget: timed as the busy session's step with
-- `--lua-slice 0` and no other session (`loadgen stall --scenario action --iterations N`,
-- the `heavy steps` median). About 2 VM instructions per iteration, 12 M in all: within the
-- 20 M budget of the builds before issue 12 too.
LONG_ITERATIONS = 6000000

App = session:prototype("App", {
  count = 0,  -- bumped by bump(), the cheap action
  done = 0,   -- heavy steps finished by spin(_) or long()
  ticks = 0,  -- bumped by tick(), a cheap frame that leaves count alone
})

-- The cheap action the measured session times.
function App:bump() self.count = self.count + 1 end

-- A cheap action whose step still re-evaluates every binding of countText().
function App:tick() self.ticks = self.ticks + 1 end

-- Plain Lua work: n iterations of an addition (an action written with a value: `spin(_)`).
function App:spin(n)
  local x = 0
  for i = 1, math.tointeger(n) or 0 do x = x + i end
  self.done = self.done + 1
  return x
end

-- The ~100 ms action.
function App:long() self:spin(LONG_ITERATIONS) end

-- Never ends by itself: the budget (--lua-budget) stops it with a lua-error.
function App:forever() while true do end end

-- A cheap method for thousands of bindings: detection calls it for each of them every cycle.
function App:countText() return tostring(self.count) end

if not session.reloading then
  session:createAppVariable(App:new())
end
