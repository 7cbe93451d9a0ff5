//! The app the update-cycle tests share (docs/protocol.md §4.2–§4.6, §5.4).

use lunette_test::{Sent, Tab};
use serde_json::{Value, json};

pub const APP: &str = r#"
App = {type = "App"}
App.__index = App
app = setmetatable({name = "Ada", city = "Paris", count = 1, pet = {type = "Pet", name = "Rex"}}, App)
function App:upper(v)
  if v ~= nil then self._upper = string.upper(v) end
  return self._upper
end
function App:bump() self.count = self.count + 1 end
function App:unbump() self.count = self.count - 1 end
function App:retype() self.pet.type = "Cat" end
function App:strict(v)
  if v ~= nil then
    self._strict = v
    error("rejected")
  end
  return self._strict or "init"
end
session:createAppVariable(app)
"#;

/// The ids [`counter`] binds: `count`, and the `bump()` and `unbump()` actions.
pub const COUNT: i64 = 2;
pub const BUMP: i64 = 3;
pub const UNBUMP: i64 = 4;

/// A tab of `APP` with [`COUNT`], [`BUMP`] and [`UNBUMP`] bound; the initial count taken.
pub fn counter() -> Tab {
    let mut tab = Tab::open(APP);
    let ids = tab.together(|t| {
        [
            t.bind(1, "count", "r"),
            t.bind(1, "bump()", "action"),
            t.bind(1, "unbump()", "action"),
        ]
    });
    assert_eq!(ids, [COUNT, BUMP, UNBUMP]);
    tab.expect_update(COUNT, 1);
    tab
}

/// Clicks [`BUMP`].
pub fn bump(tab: &mut Tab) {
    tab.write(BUMP, Value::Null);
}

/// An update of variable 1, the app object, with these properties.
pub fn app_with(properties: &[(&str, &str)]) -> Sent {
    Sent::update(1, json!({"obj": 2}), properties)
}
