//! Lua's string pattern functions run in Rust and pay out of the instruction budget
//! (docs/protocol.md §7.1): a pattern that would take Lua's C matcher years fails its own call with
//! the budget error, `pcall` or not, and the core goes on serving every other session.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::lua_sandbox::{budget_config, get_root_within};
use lunette_test::{Harness, body_text, site_with_main};

/// About 2^40 matching steps in Lua's C `string.find`.
const PATHOLOGICAL: &str = r#"("a"):rep(40):find(("a*"):rep(40) .. "b")"#;

#[test]
fn a_pathological_pattern_in_main_gives_500_naming_the_budget_quickly() {
    let started = Instant::now();
    let main = format!("local found = {PATHOLOGICAL}\nsession:createAppVariable({{}})");
    let (status, body) = get_root_within(Duration::from_secs(20), budget_config(), main);
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("instruction budget"), "{body}");
    assert!(body.contains("lua/main.lua"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_pathological_pattern_under_pcall_still_gives_500() {
    for main in [
        format!("pcall(function() return {PATHOLOGICAL} end)\nsession:createAppVariable({{}})"),
        "pcall(string.find, ('a'):rep(40), ('a*'):rep(40) .. 'b')\n\
         session:createAppVariable({})"
            .to_owned(),
        format!("while true do pcall(function() return {PATHOLOGICAL} end) end"),
        "for word in ('a'):rep(40):gmatch(('a*'):rep(40) .. 'b') do end\n\
         session:createAppVariable({})"
            .to_owned(),
        "local s = ('a'):rep(40):gsub(('a*'):rep(40) .. 'b', 'x')\n\
         session:createAppVariable({})"
            .to_owned(),
    ] {
        let (status, body) =
            get_root_within(Duration::from_secs(20), budget_config(), main.clone());
        assert_eq!(status, 500, "{main}: {body}");
        assert!(body.contains("instruction budget"), "{main}: {body}");
    }
}

#[test]
fn a_session_whose_pattern_spun_does_not_stop_the_others() {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let config = budget_config();
        let spin_at = config
            .epoch
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the epoch is after 1970")
            .as_secs()
            + 60;
        let main = format!(
            "local app = {{type = 'App'}}\n\
             if os.time() == {spin_at} then local found = {PATHOLOGICAL} end\n\
             app.words = select(2, ('one two three'):gsub('%a+', '%0'))\n\
             session:createAppVariable(app, {{words = tostring(app.words)}})"
        );
        let mut h = Harness::new(site_with_main(&main), config, 1);
        let before = h.create_session();
        h.advance(Duration::from_secs(60));
        let failed = h.get("/");
        h.advance(Duration::from_secs(1));
        let after = h.create_session();
        let pages: Vec<u16> = [&before, &after]
            .iter()
            .map(|sid| h.get(&format!("/{sid}")).status().as_u16())
            .collect();
        let words = h.app_property(&after, "words");
        let _ = done.send((
            failed.status().as_u16(),
            body_text(&failed),
            h.core().session_count(),
            pages,
            words,
        ));
    });
    let (status, body, sessions, pages, words) = result
        .recv_timeout(Duration::from_secs(20))
        .expect("the core answered every request");
    assert_eq!(status, 500);
    assert!(body.contains("instruction budget"), "{body}");
    assert_eq!(sessions, 2);
    assert_eq!(pages, [200, 200]);
    assert_eq!(words.as_deref(), Some("3"));
}
