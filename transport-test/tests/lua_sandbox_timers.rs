//! Timers: `setTimeout`, `setInterval` and their clearing, on the virtual clock
//! (docs/protocol.md §7.7).

mod common;

use std::time::Duration;

use common::lua_sandbox::*;
use lunette_test::Harness;

// --- §7.7: timers ---

/// Timer callbacks append `tag@ms` (ms since session creation) to the `order` property.
const MARK: &str = r#"local order = {}
    local function mark(tag)
      order[#order + 1] = tag .. "@" .. math.floor(os.clock() * 1000 + 0.5)
      report("order", table.concat(order, ","))
    end
"#;

fn order(h: &mut Harness, sid: &str) -> String {
    h.app_property(sid, "order").unwrap_or_default()
}

#[test]
fn timers_fire_at_their_simulated_times_in_handle_order() {
    let (mut h, sid) = start(&format!(
        r#"{MARK}
        session:setTimeout(function() mark("a") end, 20)
        session:setTimeout(function() mark("b") end, 10)
        session:setTimeout(function() mark("c") end, 10)
        session:setImmediate(function() mark("i") end)
        session:setTimeout(function() mark("z") end, -5)"#
    ));
    assert_eq!(order(&mut h, &sid), "");
    h.advance(Duration::ZERO);
    assert_eq!(order(&mut h, &sid), "i@0,z@0");
    h.advance(Duration::from_millis(9));
    assert_eq!(order(&mut h, &sid), "i@0,z@0");
    h.advance(Duration::from_millis(1));
    assert_eq!(order(&mut h, &sid), "i@0,z@0,b@10,c@10");
    h.advance(Duration::from_secs(1));
    assert_eq!(order(&mut h, &sid), "i@0,z@0,b@10,c@10,a@20");
}

#[test]
fn timer_handles_count_from_1_per_session() {
    let (mut h, first) = start(
        r#"local handles = {session:setTimeout(function() end, 10), session:setImmediate(function() end),
            session:setInterval(function() end, 10)}
        report("result", table.concat(handles, ","))"#,
    );
    let second = h.create_session();
    assert_eq!(h.app_property(&first, "result").as_deref(), Some("1,2,3"));
    assert_eq!(h.app_property(&second, "result").as_deref(), Some("1,2,3"));
}

#[test]
fn clear_cancels_pending_timers_and_ignores_unknown_handles() {
    let (mut h, sid) = start(&format!(
        r#"{MARK}
        local gone = session:setTimeout(function() mark("gone") end, 10)
        session:clearTimeout(gone)
        local immediate = session:setImmediate(function() mark("immediate") end)
        session:clearImmediate(immediate)
        local late = session:setTimeout(function() mark("late") end, 50)
        session:setTimeout(function() mark("clearer"); session:clearTimeout(late) end, 20)
        session:clearTimeout(999); session:clearInterval(-1); session:clearTimeout("x")
        session:setTimeout(function() mark("kept") end, 30)"#
    ));
    h.advance(Duration::from_secs(1));
    assert_eq!(order(&mut h, &sid), "clearer@20,kept@30");
}

#[test]
fn an_interval_repeats_until_cleared_from_its_own_callback() {
    let (mut h, sid) = start(&format!(
        r#"{MARK}
        local runs, handle = 0, nil
        handle = session:setInterval(function()
          runs = runs + 1
          mark("t")
          if runs == 3 then session:clearInterval(handle) end
        end, 100)"#
    ));
    h.advance(Duration::from_millis(250));
    assert_eq!(order(&mut h, &sid), "t@100,t@200");
    h.advance(Duration::from_secs(2));
    assert_eq!(order(&mut h, &sid), "t@100,t@200,t@300");
}

#[test]
fn a_failing_callback_is_only_logged_with_sid_file_and_line() {
    let main = format!(
        r#"{MARK}
        session:setTimeout(function() error("tick failed") end, 10)
        session:setTimeout(function() mark("next") end, 10)"#
    );
    let line = format!("{PRELUDE}{main}")
        .lines()
        .position(|l| l.contains("tick failed"))
        .expect("the line exists")
        + 1;
    let (mut h, sid) = start(&main);
    h.advance(Duration::from_millis(10));

    let failure = format!("lua/main.lua:{line}: tick failed");
    let records: Vec<_> = h
        .logs()
        .iter()
        .filter(|r| r.message.contains(&failure))
        .collect();
    assert_eq!(records.len(), 1, "{:?}", h.logs());
    assert!(tagged(records[0], &sid), "{:?}", records[0]);
    assert_eq!(order(&mut h, &sid), "next@10");
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
}

#[test]
fn timer_functions_require_a_function() {
    let result = result_of(
        r#"local results = {}
        for _, call in ipairs({
          function() return session:setTimeout("nope", 10) end,
          function() return session:setInterval(nil, 10) end,
          function() return session:setImmediate({}) end,
        }) do
          local ok, err = pcall(call)
          results[#results + 1] = tostring(not ok and tostring(err):find("function") ~= nil)
        end
        report("result", table.concat(results, ","))"#,
    );
    assert_eq!(result, "true,true,true");
}
