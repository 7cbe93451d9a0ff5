//! Time in a session follows the server's virtual clock: `os.time`, `os.clock`, `os.date`
//! (docs/protocol.md §7.1).

mod common;

use std::time::{Duration, SystemTime};

use common::lua_sandbox::*;
use lunette_core::Config;
use lunette_test::{Harness, site_with_main};

// --- §7.1: time follows the server's clock ---

#[test]
fn os_time_is_the_epoch_plus_virtual_time() {
    let epoch = epoch_seconds(&Config::default());
    let (mut h, sid) = start(
        r#"report("at_start", os.time())
        session:setTimeout(function() report("later", os.time()) end, 90000)"#,
    );
    assert_eq!(h.app_property(&sid, "at_start"), Some(epoch.to_string()));
    h.advance(Duration::from_secs(90));
    assert_eq!(
        h.app_property(&sid, "later"),
        Some((epoch + 90).to_string())
    );
}

#[test]
fn os_clock_counts_from_session_creation() {
    let mut h = Harness::new(
        site_with_main(&format!(
            "{PRELUDE}report('at_start', os.clock())\n\
             session:setTimeout(function() report('later', os.clock()) end, 2500)"
        )),
        Config::default(),
        1,
    );
    h.advance(Duration::from_secs(30));
    let sid = h.create_session();
    assert_eq!(h.app_property(&sid, "at_start").as_deref(), Some("0.0"));
    h.advance(Duration::from_millis(2500));
    assert_eq!(h.app_property(&sid, "later").as_deref(), Some("2.5"));
}

#[test]
fn os_date_is_utc_server_time() {
    let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800 + 5 * 3600 + 7);
    let (mut h, sid) = start_with(
        Config {
            epoch,
            unclaimed_timeout: None,
            ..Config::default()
        },
        1,
        r#"report("unix_zero", os.date("!%Y-%m-%d", 0))
        report("now", os.date("%Y-%m-%d %H:%M:%S"))
        report("bang", os.date("!%H:%M"))
        report("year", os.date("*t").year)
        session:setTimeout(function() report("tomorrow", os.date("%Y-%m-%d")) end, 86400000)"#,
    );
    assert_eq!(
        h.app_property(&sid, "unix_zero").as_deref(),
        Some("1970-01-01")
    );
    assert_eq!(
        h.app_property(&sid, "now").as_deref(),
        Some("2000-01-01 05:00:07")
    );
    assert_eq!(h.app_property(&sid, "bang").as_deref(), Some("05:00"));
    assert_eq!(h.app_property(&sid, "year").as_deref(), Some("2000"));
    h.advance(Duration::from_secs(86_400));
    assert_eq!(
        h.app_property(&sid, "tomorrow").as_deref(),
        Some("2000-01-02")
    );
}

#[test]
fn os_date_follows_the_default_epoch() {
    assert_eq!(
        epoch_seconds(&Config::default()),
        1_767_225_600,
        "the default epoch is 2026-01-01T00:00:00Z"
    );
    let result = result_of(r#"report("result", os.date("%Y-%m-%d %H:%M"))"#);
    assert_eq!(result, "2026-01-01 00:00");
}

#[test]
fn os_time_of_a_date_table_reads_it_as_utc() {
    assert_eq!(
        result_of(r#"report("result", os.time{year=2000, month=1, day=1, hour=0})"#),
        "946684800"
    );
    assert_eq!(
        result_of(r#"report("result", os.time{year=2026, month=1, day=1, hour=0, min=0, sec=0})"#),
        "1767225600"
    );
}

#[test]
fn os_holds_only_time_clock_date_and_difftime() {
    let result = result_of(
        r#"local names = {}
        for name in pairs(os) do names[#names + 1] = name end
        table.sort(names)
        report("result", table.concat(names, ","))"#,
    );
    assert_eq!(result, "clock,date,difftime,time");
    let gone = result_of(
        r#"report("result", table.concat({type(os.exit), type(os.getenv), type(os.execute),
            type(os.remove), type(os.rename), type(os.tmpname), type(os.setlocale)}, ","))"#,
    );
    assert_eq!(gone, "nil,nil,nil,nil,nil,nil,nil");
}
