//! The app and variable tree the variable tests share: paths, access modes, errors, value JSON,
//! destroy, dormancy and `inactive` (docs/protocol.md §4.4, §4.5, §5).

use lunette_test::Harness;

use super::*;

pub const APP: &str = r##"
App = {type = "App"}
App.__index = App
Child = {type = "Child"}
Child.__index = Child
function Child:look() print("look") return "seen" end

app = setmetatable({
  name = "Ada", count = 1, x = "app x", ratio = 1,
  child = setmetatable({x = "child x", inner = {v = "inner v"}}, Child),
  items = setmetatable({"first", "second"}, {__newindex = function(t, k, v) rawset(t, k, "hooked") end}),
}, App)

function App:probe() print("probe") return "p" end
function App:bump() self.count = self.count + 1 end
function App:setChildX() self.child.x = "changed x" end
function App:greet(...)
  print("greet " .. select("#", ...) .. " " .. tostring((...)))
  if select("#", ...) > 0 then self.greeting = ... end
  return self.greeting or "hello"
end
function App:go(...) print("go " .. select("#", ...)) end
function App:setName(...) print("setName " .. select("#", ...)) self.name = ... end
function App:fail() self.count = self.count + 1 error("boom") end
function App:fragile() if self.broken then error("broken: " .. self.broken) end return "fine" end
function App:breakIt() self.broken = "once" end
function App:breakOtherwise() self.broken = "twice" end
function App:fixIt() self.broken = nil end
function App:nanify() self.ratio = 0/0 end
function App:infinify() self.ratio = -1/0 end
function App:restore() self.ratio = 2 end
session:createAppVariable(app)
"##;

pub fn destroy_ids(received: &[serde_json::Value]) -> Vec<i64> {
    received
        .iter()
        .map(|m| {
            assert_eq!(m["type"], "destroy", "{m}");
            m["data"]["varId"].as_i64().expect("a varId")
        })
        .collect()
}

/// 2 `child`, 3 `child.inner` under 2, 4 `child.x` under 2, 5 `inner.v` under 3; values
/// taken.
pub fn tree() -> (Harness, String, lunette_core::ConnId) {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "child", "r"),
            bind(3, 2, "inner", "r"),
            bind(4, 2, "x", "r"),
            bind(5, 3, "v", "r"),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, tab).len(), 4);
    (h, sid, tab)
}
