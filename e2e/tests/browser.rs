//! What a person sees in a real headless Chromium: the bundled client (docs/protocol.md §10)
//! against the `lunette` binary. Each test starts its own server and browser (see `lunette_e2e`).

use lunette_e2e::{Browser, Server, demo, site, workspace_root};

const VALUE1: &str = r#"input[ui-value="value1"]"#;
const VALUE2: &str = r#"input[ui-value="value2"]"#;
const SUM: &str = r#"span[ui-value="compute()"]"#;

/// docs/protocol.md §12 as a user lives it: open `/`, land on `/<sid>`, type 2 and 3, read 5.
#[tokio::test]
async fn typing_two_and_three_into_the_adder_shows_five() {
    let browser = Browser::start().await;
    let server = Server::start(Some(&demo("adder")), &[]);
    let url = browser.open_app(&server).await;
    assert!(url.starts_with(&server.url("/")), "{url}");

    browser.wait_for_value(VALUE1, "").await;
    let sum = browser.wait_for(SUM).await;
    assert!(
        sum.id.starts_with("ui-"),
        "bound elements get ids ui-N: {sum:?}"
    );
    browser.type_into(VALUE1, "2").await;
    browser.type_into(VALUE2, "3").await;
    browser.wait_for_text(SUM, "5").await;
}

/// Two tabs on one session URL show the same data: typing in either updates the other.
#[tokio::test]
async fn a_second_tab_of_the_session_stays_in_sync() {
    let browser = Browser::start().await;
    let server = Server::start(Some(&demo("adder")), &[]);
    let url = browser.open_app(&server).await;
    let first = browser.window().await;
    browser.wait_for_value(VALUE1, "").await;

    let second = browser.open_tab(&url).await;
    browser.wait_for_value(VALUE1, "").await;

    browser.switch_to(&first).await;
    browser.type_into(VALUE1, "2").await;
    browser.type_into(VALUE2, "3").await;
    browser.wait_for_text(SUM, "5").await;

    browser.switch_to(&second).await;
    browser.wait_for_text(SUM, "5").await;
    browser.wait_for_value(VALUE1, "2").await;
    browser.wait_for_value(VALUE2, "3").await;
    browser.type_into(VALUE1, "10").await;
    browser.wait_for_text(SUM, "13").await;

    browser.switch_to(&first).await;
    browser.wait_for_value(VALUE1, "10").await;
    browser.wait_for_text(SUM, "13").await;
}

/// The state lives in the session, not the page: a reload shows what was typed.
#[tokio::test]
async fn a_reload_keeps_the_sessions_state() {
    let browser = Browser::start().await;
    let server = Server::start(Some(&demo("adder")), &[]);
    let url = browser.open_app(&server).await;
    browser.type_into(VALUE1, "2").await;
    browser.type_into(VALUE2, "3").await;
    browser.wait_for_text(SUM, "5").await;

    browser.reload().await;
    assert_eq!(
        browser.current_url().await,
        url,
        "a reload stays on the session"
    );
    browser.wait_for_value(VALUE1, "2").await;
    browser.wait_for_value(VALUE2, "3").await;
    browser.wait_for_text(SUM, "5").await;
}

/// `ui-action` buttons run Lua methods; the `ui-viewlist` follows the array and the
/// `ui-class-dark` binding follows the boolean.
#[tokio::test]
async fn actions_grow_a_viewlist_and_toggle_a_class() {
    const ITEMS: &str = r#"ul[ui-viewlist="items"] > li.item .name"#;
    const APP: &str = r#"div[ui-class-dark="dark"]"#;
    const ADD: &str = r#"button[ui-action="add()"]"#;
    const TOGGLE: &str = r#"button[ui-action="toggle()"]"#;
    const COUNT: &str = r#"span[ui-value="count()"]"#;

    let browser = Browser::start().await;
    let server = Server::start(Some(&site("list")), &[]);
    browser.open_app(&server).await;

    browser.wait_for_texts(ITEMS, &["apple", "banana"]).await;
    browser.wait_for_text(COUNT, "2").await;
    browser.click(ADD).await;
    browser
        .wait_for_texts(ITEMS, &["apple", "banana", "item 3"])
        .await;
    browser.wait_for_text(COUNT, "3").await;
    browser.click(ADD).await;
    browser
        .wait_for_texts(ITEMS, &["apple", "banana", "item 3", "item 4"])
        .await;

    browser.wait_for_class(APP, "dark", false).await;
    browser.click(TOGGLE).await;
    browser.wait_for_class(APP, "dark", true).await;
    browser.click(TOGGLE).await;
    browser.wait_for_class(APP, "dark", false).await;
    // The list was not disturbed by the class changes.
    browser
        .wait_for_texts(ITEMS, &["apple", "banana", "item 3", "item 4"])
        .await;
}

/// The server closes the page's WebSocket (an inbound message over `--max-frame-bytes` is
/// closed with 1009, docs/protocol.md §3.1); the client reconnects after its 1 s backoff, gets the
/// session's state again, and the page keeps working (§10.1).
#[tokio::test]
async fn the_page_works_again_after_the_server_drops_its_websocket() {
    const LIMIT: usize = 2048;
    let browser = Browser::start().await;
    let limit = LIMIT.to_string();
    let server = Server::start(Some(&demo("adder")), &["--max-frame-bytes", &limit]);
    browser.open_app(&server).await;
    browser.type_into(VALUE1, "2").await;
    browser.type_into(VALUE2, "1").await;
    browser.wait_for_text(SUM, "3").await;

    // A value far over the limit, set as a paste would and committed with `change`: the client
    // sends it, the server closes the connection.
    let oversized = "9".repeat(LIMIT * 4);
    browser
        .execute(
            r#"const e = document.querySelector(arguments[0]);
               e.value = arguments[1];
               e.dispatchEvent(new Event("input", { bubbles: true }));
               e.dispatchEvent(new Event("change", { bubbles: true }));"#,
            vec![VALUE1.into(), oversized.into()],
        )
        .await;

    // The oversized value never reached the session: after the reconnect the field shows the
    // session's value again.
    browser.wait_for_value(VALUE1, "2").await;
    browser.wait_for_text(SUM, "3").await;
    browser.type_into(VALUE2, "3").await;
    browser.wait_for_text(SUM, "5").await;
}

/// The built-in default app (no `--dir`, the Contacts demo), rendered and photographed. With
/// `LUNETTE_UPDATE_SCREENSHOT=1` the picture replaces docs/screenshot.png (the README shows
/// it); otherwise it goes to the target directory, so that a test run leaves the tree clean.
#[tokio::test]
async fn screenshot_of_the_default_app() {
    let browser = Browser::start().await;
    let server = Server::start(None, &[]);
    browser
        .client()
        .set_window_size(1000, 700)
        .await
        .expect("the window resizes");
    browser.open_app(&server).await;
    browser
        .wait_for_texts(
            ".rows .row .name",
            &["Ada Lovelace", "Alan Turing", "Grace Hopper"],
        )
        .await;
    // It is live: selecting a contact shows it, with its emergency contact chosen.
    browser.click(".rows li:nth-child(1) .row").await;
    browser.wait_for_text(".detail h2", "Ada Lovelace").await;
    browser.wait_for_value("select.emergency", "2").await;

    let path = if std::env::var_os("LUNETTE_UPDATE_SCREENSHOT").is_some() {
        workspace_root().join("docs").join("screenshot.png")
    } else {
        workspace_root().join("target").join("screenshot.png")
    };
    let png = browser.screenshot(&path).await;
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is a PNG"
    );
    assert!(png.len() > 1000, "the screenshot has content");
}

/// A site's own html/index.html replaces the built-in shell: its markup stays, its `ui-app`
/// element (with a namespace) holds the app, and its own static files are served.
#[tokio::test]
async fn a_sites_own_index_html_hosts_the_app() {
    let browser = Browser::start().await;
    let server = Server::start(Some(&site("page")), &[]);
    browser.open_app(&server).await;
    browser
        .wait_for_text("#site-header", "A site's own page")
        .await;
    browser
        .wait_for_text("strong.greeting", "Hello, world!")
        .await;
    browser
        .type_into(r#"input[ui-value="name"]"#, "lunette")
        .await;
    browser
        .wait_for_text("strong.greeting", "Hello, lunette!")
        .await;
    let weight = browser
        .execute(
            "return getComputedStyle(document.getElementById('site-header')).fontWeight",
            vec![],
        )
        .await;
    assert_eq!(
        weight.as_str(),
        Some("700"),
        "the site's stylesheet applies"
    );
}
