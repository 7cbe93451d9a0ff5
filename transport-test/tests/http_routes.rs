//! docs/protocol.md §2 and §6.1 as a browser sees them: `GET /` and the session page, methods,
//! unknown sids, static paths, the built-in assets, the session limit, `main.lua` failures,
//! HEAD, the debug page and JSON of §11, and determinism (§1.2).

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Response};
use lunette_core::{Config, Site};
use lunette_test::{Harness, body_text, header, location, site_with_main};
use serde_json::json;

const APP: &str = r#"session:createAppVariable({type = "App"})"#;

/// A sid no session of any harness here has: well-formed, never drawn.
const UNKNOWN_SID: &str = "0123456789abcdef0123456789abcdef";

fn harness() -> Harness {
    Harness::with_main(APP)
}

fn harness_with(config: Config) -> Harness {
    Harness::new(site_with_main(APP), config, 1)
}

fn is_well_formed_sid(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `Config::default().epoch` in Unix seconds: what `os.time()` says at the harness's start.
fn epoch_seconds() -> u64 {
    Config::default()
        .epoch
        .duration_since(UNIX_EPOCH)
        .expect("the default epoch is after 1970")
        .as_secs()
}

/// A main.lua that starts normally until the clock reaches one minute after the harness's
/// start, then runs `failure` instead: one site that gives both a working and a failing start.
fn main_failing_from_one_minute(failure: &str) -> String {
    format!(
        "if os.time() >= {} then\n{failure}\nreturn\nend\n{APP}\n",
        epoch_seconds() + 60
    )
}

fn assert_html_page(response: &Response<Bytes>) {
    assert_eq!(header(response, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(response, "referrer-policy"), "no-referrer");
    assert!(
        body_text(response).starts_with("<!doctype html>"),
        "{}",
        body_text(response)
    );
}

// --- §2, §6.1: GET / redirects to a new session whose main.lua has run ---

#[test]
fn get_root_redirects_to_a_new_well_formed_sid() {
    let mut h = harness();
    let response = h.get("/");
    assert_eq!(response.status(), 302);
    let target = location(&response);
    let sid = target
        .strip_prefix('/')
        .expect("Location is an absolute path");
    assert!(is_well_formed_sid(sid), "{target:?}");
    assert_eq!(h.core().session_count(), 1);
}

#[test]
fn ten_gets_of_root_give_ten_distinct_sessions() {
    let mut h = harness();
    let mut sids: Vec<String> = (0..10).map(|_| h.create_session()).collect();
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), 10);
    assert_eq!(h.core().session_count(), 10);
}

#[test]
fn sids_come_from_the_id_source() {
    let first_sid =
        |seed| Harness::new(site_with_main(APP), Config::default(), seed).create_session();
    assert_eq!(first_sid(5), first_sid(5));
    assert_ne!(first_sid(5), first_sid(6));
}

#[test]
fn variable_1_exists_when_the_redirect_is_sent() {
    let mut h =
        Harness::with_main(r#"session:createAppVariable({type = "App"}, {made = "by main.lua"})"#);
    let sid = h.create_session();
    assert_eq!(h.app_property(&sid, "made").as_deref(), Some("by main.lua"));
}

// --- §2: methods other than GET and HEAD get 405 ---

#[test]
fn methods_other_than_get_and_head_get_405_with_allow_on_every_route() {
    let mut h = harness();
    let sid = h.create_session();
    let paths = [
        "/".to_owned(),
        format!("/{sid}"),
        format!("/{sid}/any/sub/path"),
        format!("/{sid}/variables.json"),
        format!("/ws/{sid}"),
        "/lunette/client.js".to_owned(),
        "/missing.txt".to_owned(),
    ];
    for method in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        for path in &paths {
            let response = h.request(method.clone(), path);
            assert_eq!(response.status(), 405, "{method} {path}");
            assert_eq!(header(&response, "allow"), "GET, HEAD", "{method} {path}");
        }
    }
}

#[test]
fn post_to_root_creates_no_session() {
    let mut h = harness();
    h.request(Method::POST, "/");
    assert_eq!(h.core().session_count(), 0);
}

// --- §2: the session page, its cookie and headers ---

#[test]
fn session_page_is_the_builtin_shell_when_the_site_has_no_index() {
    let mut h = harness();
    let sid = h.create_session();
    let response = h.get(&format!("/{sid}"));
    assert_eq!(response.status(), 200);
    assert_html_page(&response);
    let body = body_text(&response);
    assert!(body.contains("<div ui-app></div>"), "{body}");
    assert!(body.contains(r#"src="/lunette/client.js""#), "{body}");
    assert!(body.contains(r#"href="/lunette/client.css""#), "{body}");
}

#[test]
fn every_path_under_a_live_sid_serves_the_page() {
    let mut h = harness();
    let sid = h.create_session();
    let page = h.get(&format!("/{sid}"));
    for path in [
        format!("/{sid}/"),
        format!("/{sid}/any/sub/path"),
        format!("/{sid}/x.js"),
    ] {
        let response = h.get(&path);
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.body(), page.body(), "{path}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8",
            "{path}"
        );
    }
}

#[test]
fn the_sites_index_html_wins_over_the_shell() {
    let index = "<!doctype html><title>mine</title><div ui-app></div>";
    let mut h = Harness::new(
        Site::from_texts(&[("lua/main.lua", APP), ("html/index.html", index)]),
        Config::default(),
        1,
    );
    let sid = h.create_session();
    for path in [format!("/{sid}"), format!("/{sid}/any/sub/path")] {
        let response = h.get(&path);
        assert_eq!(response.status(), 200);
        assert_eq!(body_text(&response), index, "{path}");
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    }
}

#[test]
fn session_page_sets_exactly_the_session_cookie() {
    let mut h = harness();
    let sid = h.create_session();
    let response = h.get(&format!("/{sid}"));
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 1);
    assert_eq!(
        cookies[0],
        format!("ui-session={sid}; Path=/; HttpOnly; SameSite=Lax").as_str()
    );
}

#[test]
fn the_redirect_and_the_session_page_are_not_cached() {
    let mut h = harness();
    let redirect = h.get("/");
    assert_eq!(header(&redirect, "cache-control"), "no-store");
    let page = h.get(location(&redirect));
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), "no-store");
}

#[test]
fn every_html_response_carries_no_referrer() {
    let main = main_failing_from_one_minute(r#"error("late")"#);
    let files = [
        ("lua/main.lua", main.as_str()),
        ("html/about.html", "<p>about</p>"),
    ];
    let mut h = Harness::new(Site::from_texts(&files), Config::default(), 1);
    let sid = h.create_session();
    let mut responses = vec![
        h.get(&format!("/{sid}")),
        h.get(&format!("/{UNKNOWN_SID}")),
        h.get("/missing.txt"),
        h.get("/a/../b"),
        h.request(Method::POST, "/"),
        h.get("/about.html"),
    ];
    h.advance(Duration::from_secs(60));
    responses.push(h.get("/"));
    responses.push(
        harness_with(Config {
            max_sessions: 0,
            ..Config::default()
        })
        .get("/"),
    );
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 404, 404, 400, 405, 200, 500, 503]);
    for response in &responses {
        assert_eq!(header(response, "content-type"), "text/html; charset=utf-8");
        assert_eq!(
            header(response, "referrer-policy"),
            "no-referrer",
            "{}",
            response.status()
        );
    }
}

// --- §2: a well-formed unknown sid gets the expired page ---

#[test]
fn unknown_well_formed_sid_gets_the_expired_page_linking_home() {
    let mut h = harness();
    for path in [
        format!("/{UNKNOWN_SID}"),
        format!("/{UNKNOWN_SID}/sub/path"),
    ] {
        let response = h.get(&path);
        assert_eq!(response.status(), 404, "{path}");
        assert_html_page(&response);
        let body = body_text(&response);
        assert!(body.contains("expired"), "{body}");
        assert!(body.contains("never existed"), "{body}");
        assert!(body.contains(r#"href="/""#), "{body}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    assert_eq!(h.core().session_count(), 0);
}

// --- §2: static paths ---

#[test]
fn dot_dot_segments_backslashes_and_nul_get_400() {
    let mut h = Harness::new(
        Site::from_texts(&[("lua/main.lua", APP), ("html/b", "secret?")]),
        Config::default(),
        1,
    );
    for path in [
        "/../x",
        "/a/../b",
        "/a/%2e%2e/b",
        "/a/%2E%2E/b",
        "/a%2F..%2Fb",
        "/..",
        "/a\\b",
        "/a%5Cb",
        "/a%00b",
        "/%00",
    ] {
        let response = h.get(path);
        assert_eq!(response.status(), 400, "{path}");
        assert_html_page(&response);
    }
}

#[test]
fn missing_files_and_directories_get_404() {
    let mut h = Harness::new(
        Site::from_texts(&[("lua/main.lua", APP), ("html/css/app.css", "p{}")]),
        Config::default(),
        1,
    );
    assert_eq!(h.get("/css/app.css").status(), 200);
    for path in [
        "/missing.txt",
        "/css/missing.css",
        "/css",
        "/css/",
        "/css/app.css/",
        "/lunette/",
    ] {
        let response = h.get(path);
        assert_eq!(response.status(), 404, "{path}");
        assert_html_page(&response);
    }
}

#[test]
fn the_query_never_takes_part_in_routing() {
    let mut h = harness();
    assert_eq!(h.get("/?x=1").status(), 302);
    assert_eq!(h.get("/lunette/client.js?v=2").status(), 200);
    assert_eq!(h.get("/missing.txt?/lunette/client.js").status(), 404);
}

// --- §2: the built-in client's assets, which site files replace ---

#[test]
fn builtin_client_assets_have_text_content_types() {
    let mut h = harness();
    let js = h.get("/lunette/client.js");
    assert_eq!(js.status(), 200);
    assert_eq!(
        header(&js, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(!js.body().is_empty());
    let css = h.get("/lunette/client.css");
    assert_eq!(css.status(), 200);
    assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
}

#[test]
fn a_site_file_wins_over_the_builtin_client() {
    let mut h = Harness::new(
        Site::from_texts(&[
            ("lua/main.lua", APP),
            ("html/lunette/client.js", "// my own client"),
        ]),
        Config::default(),
        1,
    );
    let response = h.get("/lunette/client.js");
    assert_eq!(response.status(), 200);
    assert_eq!(body_text(&response), "// my own client");
    assert_eq!(
        header(&response, "content-type"),
        "text/javascript; charset=utf-8"
    );
}

// --- §6.3: at the session limit, eviction or 503 ---

#[test]
fn get_root_at_the_limit_evicts_the_oldest_session() {
    let mut h = harness_with(Config {
        max_sessions: 3,
        ..Config::default()
    });
    let mut sids = Vec::new();
    for _ in 0..3 {
        sids.push(h.create_session());
        h.advance(Duration::from_millis(1));
    }
    let newest = h.create_session();
    assert_eq!(h.core().session_count(), 3);
    assert_eq!(h.get(&format!("/{}", sids[0])).status(), 404);
    for sid in [&sids[1], &sids[2], &newest] {
        assert_eq!(h.get(&format!("/{sid}")).status(), 200);
    }
}

#[test]
fn eviction_picks_the_oldest_last_activity_not_the_oldest_creation() {
    let mut h = harness_with(Config {
        max_sessions: 2,
        ..Config::default()
    });
    let first = h.create_session();
    h.advance(Duration::from_millis(1));
    let second = h.create_session();
    h.advance(Duration::from_millis(1));
    assert_eq!(h.get(&format!("/{first}")).status(), 200);
    h.advance(Duration::from_millis(1));
    h.create_session();
    assert_eq!(h.get(&format!("/{second}")).status(), 404);
    assert_eq!(h.get(&format!("/{first}")).status(), 200);
}

#[test]
fn no_room_for_any_session_answers_503_with_retry_after() {
    let mut h = harness_with(Config {
        max_sessions: 0,
        ..Config::default()
    });
    let response = h.get("/");
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after"), "60");
    assert_html_page(&response);
    assert!(
        body_text(&response).contains("limit"),
        "{}",
        body_text(&response)
    );
    assert_eq!(h.core().session_count(), 0);
}

// --- §6.1: a failing main.lua gives a 500 and no session ---

#[test]
fn syntax_error_gives_500_naming_file_line_and_the_escaped_message() {
    let mut h = Harness::with_main("local ok = true\nlocal x = < 2\n");
    let response = h.get("/");
    assert_eq!(response.status(), 500);
    assert_html_page(&response);
    let body = body_text(&response);
    assert!(body.contains("lua/main.lua:2:"), "{body}");
    assert!(body.contains("unexpected symbol near"), "{body}");
    assert!(body.contains("&lt;"), "{body}");
    assert!(!body.contains("'<'"), "the message must be escaped: {body}");
    assert_eq!(h.core().session_count(), 0);
}

#[test]
fn runtime_error_gives_500_with_the_escaped_message_and_spares_other_sessions() {
    let main = main_failing_from_one_minute(r#"error("boom <b>")"#);
    let mut h = Harness::with_main(&main);
    let existing = h.create_session();
    h.advance(Duration::from_secs(60));

    let response = h.get("/");
    assert_eq!(response.status(), 500);
    assert_html_page(&response);
    let body = body_text(&response);
    assert!(body.contains("lua/main.lua:2: boom &lt;b&gt;"), "{body}");
    assert!(!body.contains("<b>"), "{body}");
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get(&format!("/{existing}")).status(), 200);
    assert_eq!(h.variables(&existing)[0]["type"], "App");
}

#[test]
fn missing_main_lua_gives_500_saying_so() {
    let mut h = Harness::new(
        Site::from_texts(&[("html/index.html", "<p>hi</p>")]),
        Config::default(),
        1,
    );
    let response = h.get("/");
    assert_eq!(response.status(), 500);
    assert_html_page(&response);
    let body = body_text(&response);
    assert!(body.contains("lua/main.lua"), "{body}");
    assert!(
        body.contains("no <code>lua/main.lua</code>") || body.contains("missing"),
        "{body}"
    );
    assert_eq!(h.core().session_count(), 0);
}

#[test]
fn main_without_an_app_variable_gives_500_and_spares_other_sessions() {
    let main = main_failing_from_one_minute("local forgot = {}");
    let mut h = Harness::with_main(&main);
    let existing = h.create_session();
    h.advance(Duration::from_secs(60));

    let response = h.get("/");
    assert_eq!(response.status(), 500);
    assert_html_page(&response);
    assert!(
        body_text(&response).contains("createAppVariable"),
        "{}",
        body_text(&response)
    );
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get(&format!("/{existing}")).status(), 200);
}

#[test]
fn a_failed_start_leaves_no_timers_behind() {
    let mut h = Harness::with_main(
        r#"
        session:setTimeout(function() print("ghost timer ran") end, 10)
        session:setInterval(function() print("ghost interval ran") end, 10)
        error("no app today")
        "#,
    );
    assert_eq!(h.get("/").status(), 500);
    assert_eq!(h.core().poll_timeout(), None);
    h.advance(Duration::from_secs(1));
    assert!(
        h.logs().iter().all(|r| !r.message.contains("ghost")),
        "{:?}",
        h.logs()
    );
}

// --- HEAD ---

#[test]
fn head_of_root_creates_a_session_without_a_body() {
    let mut h = harness();
    let response = h.request(Method::HEAD, "/");
    assert_eq!(response.status(), 302);
    assert!(response.body().is_empty());
    let sid = location(&response).trim_start_matches('/').to_owned();
    assert!(is_well_formed_sid(&sid));
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
}

#[test]
fn head_answers_like_get_without_a_body() {
    let mut h = harness();
    let sid = h.create_session();
    for path in [
        format!("/{sid}"),
        format!("/{UNKNOWN_SID}"),
        "/lunette/client.js".to_owned(),
        "/missing.txt".to_owned(),
        "/a/../b".to_owned(),
    ] {
        let get = h.get(&path);
        let head = h.request(Method::HEAD, &path);
        assert_eq!(head.status(), get.status(), "{path}");
        assert!(head.body().is_empty(), "{path}");
        for name in [
            "content-type",
            "cache-control",
            "set-cookie",
            "referrer-policy",
        ] {
            assert_eq!(
                header(&head, name),
                header(&get, name),
                "{name} of HEAD {path}"
            );
        }
        let length = header(&head, "content-length");
        assert!(
            length.is_empty() || length == get.body().len().to_string(),
            "{path}: {length}"
        );
    }
}

// --- §11: the debug page and variables.json ---

#[test]
fn variables_json_of_an_unknown_sid_is_a_json_404() {
    let mut h = harness();
    let response = h.get(&format!("/{UNKNOWN_SID}/variables.json"));
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(body_text(&response), r#"{"error":"unknown session"}"#);
}

#[test]
fn variables_json_lists_variable_1_with_the_debug_fields() {
    let mut h = Harness::with_main(r#"session:createAppVariable({type = "App"}, {note = "hi"})"#);
    let sid = h.create_session();
    let response = h.get(&format!("/{sid}/variables.json"));
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let variables: serde_json::Value = serde_json::from_slice(response.body()).expect("JSON");
    assert_eq!(
        variables,
        json!([{
            "id": 1,
            "parentId": 0,
            "path": null,
            "type": "App",
            "value": {"obj": 2},
            "properties": {"type": "App", "note": "hi"},
            "childIds": [],
            "active": true,
            "access": "rw",
            "error": null,
            "depth": 0,
        }])
    );
}

#[test]
fn variables_json_takes_the_type_from_the_metatable() {
    let mut h = Harness::with_main(
        r#"local Proto = {type = "Counter"}
        session:createAppVariable(setmetatable({type = "ignored"}, Proto))"#,
    );
    let sid = h.create_session();
    assert_eq!(h.variables(&sid)[0]["type"], "Counter");
}

#[test]
fn the_variables_page_loads_only_its_own_script_which_polls_the_json_beside_it() {
    let mut h = harness();
    let sid = h.create_session();
    for method in [Method::GET, Method::HEAD] {
        let response = h.request(method.clone(), &format!("/{sid}/variables"));
        assert_eq!(response.status(), 200, "{method}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        assert_eq!(header(&response, "set-cookie"), "", "not the app's page");
    }
    let page = body_text(&h.get(&format!("/{sid}/variables")));
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(!page.contains("ui-app"), "not the app's page");
    // Its one script is a built-in file (its policy allows no inline script); nothing else
    // comes from outside the page.
    const OWN_SCRIPT: &str = r#"<script src="/lunette/variables-page.js"></script>"#;
    let script = body_text(&h.get("/lunette/variables-page.js"));
    for (text, own) in [(page.as_str(), OWN_SCRIPT), (script.as_str(), "")] {
        for external in ["src=", "href=", "@import", "url(", "//"] {
            let outside: Vec<&str> = text
                .lines()
                .filter(|line| line.contains(external) && !line.trim_start().starts_with("//"))
                .filter(|line| own.is_empty() || line.trim() != own)
                .collect();
            assert!(outside.is_empty(), "{external} in {outside:?}");
        }
    }
    assert!(page.contains(OWN_SCRIPT), "{page}");
    assert!(
        script.contains(r#"fetch("variables.json""#),
        "polls the JSON beside it"
    );
    for every in ["1000", "2000", "5000", "0"] {
        assert!(
            page.contains(&format!(r#"<option value="{every}""#)),
            "{every}"
        );
    }
}

#[test]
fn the_variables_page_of_an_unknown_sid_is_a_404() {
    let mut h = harness();
    let response = h.get(&format!("/{UNKNOWN_SID}/variables"));
    assert_eq!(response.status(), 404);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert!(body_text(&response).contains("expired or never existed"));
}

#[test]
fn with_debug_pages_off_both_debug_paths_are_404_and_the_app_page_still_serves() {
    let mut h = harness_with(Config {
        debug_pages: false,
        ..Config::default()
    });
    let sid = h.create_session();
    for path in ["variables", "variables.json"] {
        let response = h.get(&format!("/{sid}/{path}"));
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            body_text(&response).contains(path),
            "the page names the path"
        );
    }
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
}

// --- §1.2: the same seed and requests give the same transcript ---

#[test]
fn the_same_seed_and_requests_give_an_identical_transcript() {
    let run = || {
        let mut h = Harness::with_main(
            r#"local app = {type = "App"}
            session:createAppVariable(app, {n = tostring(math.random(1000000))})
            session:setInterval(function() print("tick", os.time(), os.clock()) end, 250)"#,
        );
        let sid = h.create_session();
        h.get(&format!("/{sid}"));
        h.advance(Duration::from_secs(1));
        h.get(&format!("/{sid}/variables.json"));
        h.get("/missing.txt");
        h.transcript().to_vec()
    };
    let first = run();
    assert!(first.len() > 5, "{first:?}");
    assert_eq!(first, run());
}
