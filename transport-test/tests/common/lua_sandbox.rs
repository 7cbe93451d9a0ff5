//! What the `lua_sandbox_*` and `lua_patterns` tests share: a main.lua prelude that reports values as properties
//! of variable 1, small limits, and reading a session's logs.

use std::sync::mpsc;
use std::time::{Duration, UNIX_EPOCH};

use lunette_core::{Config, LogRecord};
use lunette_test::{Harness, body_text, site_with_main};

/// One line, so that the test's own code starts at line 2 of `lua/main.lua`. `report(name,
/// value)` sets property `name` of variable 1 to `tostring(value)`, keeping its value.
pub const PRELUDE: &str = "local app = {type = 'App'}; session:createAppVariable(app); \
    function report(name, value) \
    session:createAppVariable(session:getApp(), {[name] = tostring(value)}) end\n";

/// A small budget keeps the runaway-loop tests fast.
const SMALL_BUDGET: u64 = 1_000_000;
const SMALL_HEAP: usize = 8 * 1024 * 1024;

pub fn epoch_seconds(config: &Config) -> u64 {
    config
        .epoch
        .duration_since(UNIX_EPOCH)
        .expect("the epoch is after 1970")
        .as_secs()
}

/// A harness whose main.lua is `PRELUDE` + `body`, and the session it made.
pub fn start_with(config: Config, seed: u64, body: &str) -> (Harness, String) {
    let mut h = Harness::new(site_with_main(&format!("{PRELUDE}{body}")), config, seed);
    let sid = h.create_session();
    (h, sid)
}

pub fn start(body: &str) -> (Harness, String) {
    start_with(Config::default(), 1, body)
}

/// Runs `body` as main.lua and returns what it reported as `result`.
pub fn result_of(body: &str) -> String {
    let (mut h, sid) = start(body);
    h.app_property(&sid, "result")
        .unwrap_or_else(|| panic!("main.lua reported no result: {:?}", h.variables(&sid)))
}

pub fn budget_config() -> Config {
    Config {
        lua_budget: SMALL_BUDGET,
        ..Config::default()
    }
}

pub fn memory_config() -> Config {
    Config {
        lua_memory: SMALL_HEAP,
        ..Config::default()
    }
}

/// Log messages about session `sid`.
pub fn logs_of(h: &Harness, sid: &str) -> Vec<String> {
    h.logs()
        .iter()
        .filter(|record| tagged(record, sid))
        .map(|record| record.message.clone())
        .collect()
}

pub fn tagged(record: &LogRecord, sid: &str) -> bool {
    record
        .session
        .is_some_and(|session| session.to_string() == sid)
}

/// `GET /` of a one-file site on a fresh harness, on another thread so that a VM that escapes
/// its budget fails the test instead of hanging the suite.
pub fn get_root_within(limit: Duration, config: Config, main: impl Into<String>) -> (u16, String) {
    let main = main.into();
    let (done, result) = mpsc::channel();
    let site_main = main.clone();
    std::thread::spawn(move || {
        let mut h = Harness::new(site_with_main(&site_main), config, 1);
        let response = h.get("/");
        let _ = done.send((response.status().as_u16(), body_text(&response)));
    });
    result
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("GET / did not answer within {limit:?}: {main}"))
}
