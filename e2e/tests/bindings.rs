//! Every binding attribute of docs/protocol.md §10.3 that a person would notice, one behaviour per
//! test, in a real headless Chromium against the `bindings` test site (e2e/sites/bindings). Buttons
//! run Lua actions that change the server's state; results are read back from the DOM, or from a
//! `ui-value` span that shows the Lua field.

use std::time::Instant;

use fantoccini::Locator;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use lunette_e2e::{Browser, Server, TIMEOUT, site};
use serde_json::{Value, json};

/// A browser on a fresh session of the bindings site, once the app has rendered.
async fn open() -> (Browser, Server) {
    let browser = Browser::start().await;
    let server = Server::start(Some(&site("bindings")), &[]);
    browser.open_app(&server).await;
    browser.wait_for_text("#pings", "0").await;
    (browser, server)
}

/// Polls `script` (its `arguments` are `args`) until it returns `expected`.
async fn wait_js(browser: &Browser, what: &str, script: &str, args: &[Value], expected: Value) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let seen = browser.execute(script, args.to_vec()).await;
        if seen == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {TIMEOUT:?} waiting for {what} to be {expected}; last seen: {seen}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

const ATTRIBUTE: &str = r#"const e = document.querySelector(arguments[0]);
return e ? e.getAttribute(arguments[1]) : "(no element)";"#;

/// Waits until attribute `name` of the element `css` is `expected` (`None`: absent).
async fn wait_attr(browser: &Browser, css: &str, name: &str, expected: Option<&str>) {
    let what = format!("attribute {name} of {css}");
    wait_js(
        browser,
        &what,
        ATTRIBUTE,
        &[json!(css), json!(name)],
        json!(expected),
    )
    .await;
}

const PROPERTY: &str = r#"const e = document.querySelector(arguments[0]);
return e ? e[arguments[1]] : "(no element)";"#;

/// Waits until the DOM property `name` of the element `css` is `expected`.
async fn wait_property(browser: &Browser, css: &str, name: &str, expected: Value) {
    let what = format!("property {name} of {css}");
    wait_js(
        browser,
        &what,
        PROPERTY,
        &[json!(css), json!(name)],
        expected,
    )
    .await;
}

async fn find(browser: &Browser, css: &str) -> Element {
    browser.wait_for(css).await;
    browser
        .client()
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("finding {css}: {e}"))
}

/// Types into the element `css` without leaving it (no Tab, so no `change` from a blur).
async fn keys(browser: &Browser, css: &str, text: &str) {
    find(browser, css)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

/// A round trip through the server: once the ping count shows `n`, every message the page sent
/// before the click has been handled and its answers have arrived.
async fn ping(browser: &Browser, n: u32) {
    browser.click("#ping").await;
    browser.wait_for_text("#pings", &n.to_string()).await;
}

/// `ui-value` on a `<select>`: choosing an option writes the field; a server change selects it.
#[tokio::test]
async fn a_select_writes_the_chosen_option_and_follows_the_server() {
    let (browser, _server) = open().await;
    browser.wait_for_value("#fruit", "banana").await;
    find(&browser, "#fruit")
        .await
        .select_by_label("apple")
        .await
        .expect("choosing apple");
    browser.wait_for_text("#fruit-seen", "apple").await;
    browser.click("#pick-cherry").await;
    browser.wait_for_value("#fruit", "cherry").await;
    browser.wait_for_text("#fruit-seen", "cherry").await;
}

/// `ui-value` on a checkbox: `.checked`, sent as a boolean; a server toggle checks it.
#[tokio::test]
async fn a_checkbox_sends_a_boolean_and_follows_the_server() {
    let (browser, _server) = open().await;
    browser.wait_for_text("#agree-seen", "boolean:false").await;
    wait_property(&browser, "#agree", "checked", json!(false)).await;
    browser.click("#agree").await;
    browser.wait_for_text("#agree-seen", "boolean:true").await;
    browser.click("#toggle-agree").await;
    browser.wait_for_text("#agree-seen", "boolean:false").await;
    wait_property(&browser, "#agree", "checked", json!(false)).await;
    browser.click("#toggle-agree").await;
    wait_property(&browser, "#agree", "checked", json!(true)).await;
}

/// `ui-value` on a `<textarea>`: several lines typed reach Lua; the server's text shows.
#[tokio::test]
async fn a_textarea_writes_and_shows_several_lines() {
    let (browser, _server) = open().await;
    browser.wait_for_value("#notes", "first").await;
    let text = format!("one{}two", Key::Enter);
    browser.type_into("#notes", &text).await;
    browser.wait_for_text("#notes-seen", "one|two").await;
    browser.click("#reset-notes").await;
    browser.wait_for_value("#notes", "alpha\nbeta").await;
}

/// `?keypress`: every key sends the value, while the field keeps the focus.
#[tokio::test]
async fn keypress_sends_every_key_without_leaving_the_field() {
    let (browser, _server) = open().await;
    keys(&browser, "#live", "a").await;
    browser.wait_for_text("#live-seen", "a").await;
    keys(&browser, "#live", "bc").await;
    browser.wait_for_text("#live-seen", "abc").await;
    let focused = browser
        .execute("return document.activeElement.id", vec![])
        .await;
    assert_eq!(focused, json!("live"), "the field never lost the focus");
}

/// `ui-attr-X`: `String(v)`, removed for null and false.
#[tokio::test]
async fn an_attribute_follows_the_value_and_goes_for_null_and_false() {
    let (browser, _server) = open().await;
    wait_attr(&browser, "#tip", "title", Some("hello")).await;
    browser.click("#next-tip").await; // false
    wait_attr(&browser, "#tip", "title", None).await;
    browser.click("#next-tip").await;
    wait_attr(&browser, "#tip", "title", Some("world")).await;
    browser.click("#next-tip").await; // nil
    wait_attr(&browser, "#tip", "title", None).await;
    browser.click("#next-tip").await;
    wait_attr(&browser, "#tip", "title", Some("42")).await;
}

/// `ui-class-X`: on iff the value is JavaScript-truthy (so Lua's 0 turns it off).
#[tokio::test]
async fn a_class_follows_javascript_truthiness() {
    let (browser, _server) = open().await;
    browser.wait_for_class("#hot", "hot", true).await;
    browser.click("#next-hot").await; // false
    browser.wait_for_class("#hot", "hot", false).await;
    browser.click("#next-hot").await; // "yes"
    browser.wait_for_class("#hot", "hot", true).await;
    browser.click("#next-hot").await; // 0
    browser.wait_for_class("#hot", "hot", false).await;
    browser.click("#next-hot").await; // nil
    ping(&browser, 1).await;
    browser.wait_for_class("#hot", "hot", false).await;
    browser.click("#next-hot").await; // true
    browser.wait_for_class("#hot", "hot", true).await;
}

/// `ui-style-X`: the CSS property is the value, removed for null.
#[tokio::test]
async fn a_style_property_follows_the_value_and_goes_for_null() {
    const STYLE: &str =
        r#"return document.querySelector('#color').style.getPropertyValue("background-color");"#;
    let (browser, _server) = open().await;
    wait_js(&browser, "#color's background", STYLE, &[], json!("red")).await;
    browser.click("#next-color").await; // nil
    wait_js(&browser, "#color's background", STYLE, &[], json!("")).await;
    browser.click("#next-color").await;
    wait_js(
        &browser,
        "#color's background",
        STYLE,
        &[],
        json!("rgb(0, 0, 255)"),
    )
    .await;
}

/// `ui-html`: the string becomes the element's markup; null empties it.
#[tokio::test]
async fn html_from_a_string_becomes_markup() {
    let (browser, _server) = open().await;
    browser.wait_for_text("#html > b.bold", "bold").await;
    browser.wait_for_text("#html", "bold text").await;
    browser.click("#set-html").await;
    browser.wait_for_text("#html > i.italic", "italic").await;
    assert!(
        browser.look("#html > b").await.is_none(),
        "the old markup went"
    );
    browser.click("#clear-html").await;
    wait_property(&browser, "#html", "innerHTML", json!("")).await;
}

/// `ui-action="m(_)"`: a click sends the element's value to the method.
#[tokio::test]
async fn an_action_with_an_argument_sends_the_elements_value() {
    let (browser, _server) = open().await;
    browser.click("#choose-plum").await;
    browser.wait_for_text("#chosen", "string:plum").await;
    browser.click("#choose-pear").await;
    browser.wait_for_text("#chosen", "string:pear").await;
}

/// `ui-event-input`: each keystroke first sends the field's value, then runs the action.
#[tokio::test]
async fn an_input_event_sends_the_value_then_runs_the_action() {
    let (browser, _server) = open().await;
    keys(&browser, "#query", "ki").await;
    browser.wait_for_text("#result", "results for ki").await;
    keys(&browser, "#query", "wi").await;
    browser.wait_for_text("#result", "results for kiwi").await;
}

/// `ui-event-dblclick`: a double click runs the action (a single click does not).
#[tokio::test]
async fn a_double_click_runs_its_action() {
    let (browser, _server) = open().await;
    browser.click("#double").await;
    ping(&browser, 1).await;
    browser.wait_for_text("#doubles", "0").await;
    let target = find(&browser, "#double").await;
    let mouse = MouseActions::new("mouse".to_owned())
        .then(PointerAction::MoveToElement {
            element: target,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    browser
        .client()
        .perform_actions(mouse)
        .await
        .expect("a double click");
    browser.wait_for_text("#doubles", "1").await;
}

/// `ui-event-keypress-enter`: Enter sends the field's unsent text, then runs the action.
#[tokio::test]
async fn enter_sends_the_text_then_runs_the_action() {
    let (browser, _server) = open().await;
    let text = format!("hello{}", Key::Enter);
    keys(&browser, "#entry", &text).await;
    browser.wait_for_text("#submitted", "hello").await;
    browser.wait_for_value("#entry", "hello").await;
}

/// `ui-event-keypress-ctrl-k`: fires on Ctrl+K only, never on a plain K.
#[tokio::test]
async fn ctrl_k_fires_but_a_plain_k_does_not() {
    let (browser, _server) = open().await;
    keys(&browser, "#palette", "k").await;
    ping(&browser, 1).await;
    browser.wait_for_text("#palettes", "0").await;
    browser.wait_for_value("#palette", "k").await;
    let ctrl_k = Key::Control + "k";
    keys(&browser, "#palette", &ctrl_k).await;
    browser.wait_for_text("#palettes", "1").await;
    keys(&browser, "#palette", &format!("{}k", Key::Null)).await;
    ping(&browser, 2).await;
    browser.wait_for_text("#palettes", "1").await;
}

/// `ui-event-keypress-escape="lastKey"` (no call): the key's name is written to the field.
#[tokio::test]
async fn a_key_bound_to_a_field_writes_the_key_name() {
    let (browser, _server) = open().await;
    keys(&browser, "#palette", &Key::Escape.to_string()).await;
    browser.wait_for_text("#last-key", "escape").await;
}

/// `ui-view` with `ui-namespace`: `TYPE.<namespace>`, else `TYPE.DEFAULT`.
#[tokio::test]
async fn a_namespace_picks_the_namespaced_viewdef() {
    let (browser, _server) = open().await;
    browser
        .wait_for_text("#card-fancy > h3.fancy-card > .label", "the card")
        .await;
    browser
        .wait_for_text("#card-plain > p.plain-card > .label", "the card")
        .await;
    browser
        .wait_for_text("#card-unknown > p.plain-card > .label", "the card")
        .await;
    wait_attr(&browser, "#card-fancy", "ui-viewdef", Some("Card.fancy")).await;
    wait_attr(&browser, "#card-plain", "ui-viewdef", Some("Card.DEFAULT")).await;
    wait_attr(
        &browser,
        "#card-unknown",
        "ui-viewdef",
        Some("Card.DEFAULT"),
    )
    .await;
}

/// A `ui-view` inside a namespaced view, without its own `ui-namespace`, inherits it.
#[tokio::test]
async fn a_nested_view_inherits_the_enclosing_namespace() {
    let (browser, _server) = open().await;
    browser
        .wait_for_text("#card-fancy .badge > strong.fancy-badge", "fancy badge")
        .await;
    browser
        .wait_for_text("#card-plain .badge > em.plain-badge", "plain badge")
        .await;
}

/// A Lua error in a getter marks the element; the next successful update clears the mark.
#[tokio::test]
async fn a_getter_error_marks_the_element_until_it_works_again() {
    let (browser, _server) = open().await;
    browser.wait_for_text("#risky", "fine").await;
    browser.click("#break").await;
    browser.wait_for_class("#risky", "ui-error", true).await;
    wait_attr(&browser, "#risky", "ui-error-code", Some("lua-error")).await;
    let description = browser
        .execute(
            ATTRIBUTE,
            vec![json!("#risky"), json!("ui-error-description")],
        )
        .await;
    assert!(
        description
            .as_str()
            .is_some_and(|d| d.contains("the getter is broken")),
        "{description}"
    );
    browser.click("#fix").await;
    browser.wait_for_class("#risky", "ui-error", false).await;
    wait_attr(&browser, "#risky", "ui-error-code", None).await;
    wait_attr(&browser, "#risky", "ui-error-description", None).await;
    browser.wait_for_text("#risky", "fine").await;
}

/// A Lua error in an action marks its element; the next click that works clears it.
#[tokio::test]
async fn an_action_error_marks_the_element_until_the_next_send() {
    let (browser, _server) = open().await;
    browser.click("#explode").await;
    browser.wait_for_text("#explosions", "1").await;
    browser.wait_for_class("#explode", "ui-error", true).await;
    wait_attr(&browser, "#explode", "ui-error-code", Some("lua-error")).await;
    let description = browser
        .execute(
            ATTRIBUTE,
            vec![json!("#explode"), json!("ui-error-description")],
        )
        .await;
    assert!(
        description.as_str().is_some_and(|d| d.contains("boom 1")),
        "{description}"
    );
    browser.click("#explode").await;
    browser.wait_for_text("#explosions", "2").await;
    ping(&browser, 1).await;
    browser.wait_for_class("#explode", "ui-error", false).await;
    wait_attr(&browser, "#explode", "ui-error-code", None).await;
    wait_attr(&browser, "#explode", "ui-error-description", None).await;
}
