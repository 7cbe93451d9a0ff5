//! The app page's Content-Security-Policy in a real headless Chromium (issue 10, class 5): the
//! client works under it (its modules, its WebSocket, a template's stylesheet, style
//! attributes and script), and markup shown by `ui-html` cannot run an event handler.

use lunette_e2e::{Browser, Server, site};
use serde_json::{Value, json};

const COLOR: &str = "return getComputedStyle(document.querySelector(arguments[0])).color;";

#[tokio::test]
async fn the_client_works_under_the_policy_and_injected_handlers_do_not_run() {
    let browser = Browser::start().await;
    let server = Server::start(Some(&site("csp")), &[]);
    browser.open_app(&server).await;
    // The WebSocket connected and the view rendered; its script ran from a blob: URL.
    browser.wait_for_text("#harmless", "harmless").await;
    browser.wait_for("#marked[data-script='ran']").await;
    for (css, color) in [("#styled", "rgb(1, 2, 3)"), ("#attributed", "rgb(4, 5, 6)")] {
        let seen = browser.execute(COLOR, vec![json!(css)]).await;
        assert_eq!(seen, json!(color), "{css}");
    }

    browser.click("#inject").await;
    browser.wait_for("#injected").await;
    // The image fails to load; its onerror attribute is refused, and says so.
    browser.wait_for("body[data-violation^='script-src']").await;
    let injected = browser
        .execute("return document.body.dataset.injected ?? null;", vec![])
        .await;
    assert_eq!(injected, Value::Null, "the injected handler ran");
}
