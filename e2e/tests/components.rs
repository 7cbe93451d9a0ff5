//! `ui-value` on web components (issue 17) in a real headless Chromium, against the
//! `components` test site (e2e/sites/components): a text field, a checkbox and a select of the
//! page's own, defined 200 ms after the page loads (the select's options 200 ms later), as a
//! library's autoloader defines its tags once they appear. None fires a native `input` or
//! `change` that reaches the page; the page names their events in `<meta name="ui-events">`.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use lunette_e2e::{Browser, Server, TIMEOUT, site};
use serde_json::{Value, json};

/// A browser on a fresh session of the components site, once every component is defined.
async fn open() -> (Browser, Server) {
    let browser = Browser::start().await;
    let server = Server::start(Some(&site("components")), &[]);
    browser.open_app(&server).await;
    browser.wait_for_text("#name-seen", "Ada").await;
    wait_js(
        &browser,
        "the components to be defined",
        "return ['late-field', 'late-toggle', 'late-choice', 'late-option']
           .every((tag) => customElements.get(tag) !== undefined);",
        json!(true),
    )
    .await;
    (browser, server)
}

/// Polls `script` until it returns `expected`.
async fn wait_js(browser: &Browser, what: &str, script: &str, expected: Value) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let seen = browser.execute(script, vec![]).await;
        if seen == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {TIMEOUT:?} waiting for {what} to be {expected}; last seen: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the DOM property `name` of the element `#id` is `expected`.
async fn wait_property(browser: &Browser, id: &str, name: &str, expected: Value) {
    let script = format!("return document.getElementById('{id}')?.{name} ?? '(no element)';");
    wait_js(browser, &format!("#{id}.{name}"), &script, expected).await;
}

/// The trimmed `textContent` of `#id`: a component's own text, its label.
async fn text_of(browser: &Browser, id: &str) -> Value {
    let script = format!("return document.getElementById('{id}').textContent.trim();");
    browser.execute(&script, vec![]).await
}

/// Types into the component `#id` without leaving it: focusing the component focuses the
/// input inside its shadow root.
async fn keys(browser: &Browser, id: &str, text: &str) {
    browser
        .client()
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("finding #{id}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into #{id}: {e}"));
}

async fn active_element(browser: &Browser) -> Value {
    browser
        .execute("return document.activeElement.id;", vec![])
        .await
}

#[tokio::test]
async fn values_that_arrive_before_the_definition_show_in_the_components_not_as_text() {
    let (browser, _server) = open().await;
    let before = browser
        .execute(
            "return document.documentElement.dataset.nameBeforeDefinition;",
            vec![],
        )
        .await;
    assert_eq!(
        before,
        json!("Ada"),
        "the server's values arrived before the components were defined"
    );
    wait_property(&browser, "name", "value", json!("Ada")).await;
    wait_property(&browser, "done", "checked", json!(true)).await;
    assert_eq!(
        text_of(&browser, "name").await,
        json!(""),
        "no value as text"
    );
    assert_eq!(
        text_of(&browser, "done").await,
        json!("Done"),
        "the checkbox keeps its label"
    );
}

#[tokio::test]
async fn a_field_sends_on_its_own_commit_event() {
    let (browser, _server) = open().await;
    // Control stays down until the end of one `send_keys`: select in a call of its own.
    keys(&browser, "name", &(Key::Control + "a")).await;
    keys(&browser, "name", &format!("Grace Hopper{}", Key::Tab)).await;
    browser.wait_for_text("#name-seen", "Grace Hopper").await;
}

#[tokio::test]
async fn with_keypress_a_field_sends_every_edit_while_it_keeps_the_focus() {
    let (browser, _server) = open().await;
    keys(&browser, "search", "k").await;
    browser.wait_for_text("#search-seen", "k").await;
    keys(&browser, "search", "iwi").await;
    browser.wait_for_text("#search-seen", "kiwi").await;
    assert_eq!(active_element(&browser).await, json!("search"));
}

#[tokio::test]
async fn a_checkbox_sends_a_boolean_and_keeps_its_label() {
    let (browser, _server) = open().await;
    browser.wait_for_text("#done-seen", "boolean:true").await;
    browser.click("#done").await;
    browser.wait_for_text("#done-seen", "boolean:false").await;
    wait_property(&browser, "done", "checked", json!(false)).await;
    browser.click("#done").await;
    browser.wait_for_text("#done-seen", "boolean:true").await;
    assert_eq!(text_of(&browser, "done").await, json!("Done"));
}

/// The focus is inside the component's shadow root, so `document.activeElement` is the
/// component itself.
#[tokio::test]
async fn an_unsent_edit_inside_a_shadow_root_outlives_a_server_update() {
    let (browser, _server) = open().await;
    keys(&browser, "name", &(Key::Control + "a")).await;
    keys(&browser, "name", "Lin").await;
    assert_eq!(active_element(&browser).await, json!("name"));
    // A scripted click leaves the focus where the user left it: the server changes the name
    // while the edit is unsent, as a timer or another tab would.
    browser
        .execute("document.getElementById('rename').click();", vec![])
        .await;
    browser.wait_for_text("#name-seen", "Grace").await;
    wait_property(&browser, "name", "value", json!("Lin")).await;
    // Sent, the edit wins.
    keys(&browser, "name", &Key::Tab.to_string()).await;
    browser.wait_for_text("#name-seen", "Lin").await;
}

/// The select took the server's value while none of its options was defined, which drops it.
#[tokio::test]
async fn a_select_defined_before_its_options_shows_the_servers_choice_and_sends_the_users() {
    let (browser, _server) = open().await;
    wait_property(&browser, "size", "value", json!("m")).await;
    browser.click("#size late-option[value='l']").await;
    browser.wait_for_text("#size-seen", "l").await;
}

/// The new option is rendered by the list after the value it is chosen by has arrived.
#[tokio::test]
async fn a_select_picks_an_option_that_arrives_with_its_choice() {
    let (browser, _server) = open().await;
    wait_property(&browser, "flavor", "value", json!("chocolate")).await;
    browser.click("#add-mint").await;
    browser.wait_for_text("#flavor-seen", "mint").await;
    wait_property(&browser, "flavor", "value", json!("mint")).await;
    browser.click("#flavor late-option[value='vanilla']").await;
    browser.wait_for_text("#flavor-seen", "vanilla").await;
}
