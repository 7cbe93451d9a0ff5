//! The Contacts demo (`demo/contacts`, also the built-in default app) as a person uses it in
//! Chromium: search, select, the emergency contact `<select>` fed by a `lua.ViewList`, add
//! and edit with validation, delete, empty states.

use lunette_e2e::{Browser, Server, demo};

const NAMES: &str = ".rows .row .name";
const COUNT: &str = ".top .count";
const SEARCH: &str = "input[type=search]";
const EMPTY: &str = ".list .empty";
const DETAIL_NAME: &str = ".detail h2";
const EMERGENCY: &str = "select.emergency";
const EMERGENCY_NOW: &str = ".detail .hint span";
const PLACEHOLDER: &str = ".placeholder";
const ADD: &str = r#"button[ui-action="startAdd()"]"#;
const SAVE: &str = r#"button[ui-action="save()"]"#;
const FORM_NAME: &str = r#".form input[ui-value="name?keypress"]"#;
const FORM_EMAIL: &str = r#".form input[ui-value="email?keypress"]"#;
const ERRORS: &str = ".form .field-error";

fn row(name: &str) -> String {
    // The rows are buttons in name order; the test picks one by its position.
    let position = match name {
        "Ada Lovelace" => 1,
        "Alan Turing" => 2,
        "Grace Hopper" => 3,
        other => panic!("no fixed position for {other}"),
    };
    format!(".rows li:nth-child({position}) .row")
}

async fn open() -> (Browser, Server) {
    let browser = Browser::start().await;
    let server = Server::start(Some(&demo("contacts")), &[]);
    browser.open_app(&server).await;
    browser
        .wait_for_texts(NAMES, &["Ada Lovelace", "Alan Turing", "Grace Hopper"])
        .await;
    (browser, server)
}

#[tokio::test]
async fn the_search_narrows_the_list_as_you_type_and_says_when_nothing_matches() {
    let (browser, _server) = open().await;
    browser.wait_for_text(COUNT, "3 contacts").await;
    browser
        .wait_for_text(PLACEHOLDER, "Select a contact to see the details.")
        .await;

    browser.type_into(SEARCH, "gr").await;
    browser.wait_for_texts(NAMES, &["Grace Hopper"]).await;
    browser
        .wait_for_text(COUNT, "showing 1 of 3 contacts")
        .await;

    browser.type_into(SEARCH, "zzz").await;
    browser.wait_for_texts(NAMES, &[]).await;
    browser
        .wait_for_text(EMPTY, "No contact matches “zzz”.")
        .await;

    browser.click(r#"button[ui-action="clearSearch()"]"#).await;
    browser
        .wait_for_texts(NAMES, &["Ada Lovelace", "Alan Turing", "Grace Hopper"])
        .await;
    browser.wait_for_value(SEARCH, "").await;
}

#[tokio::test]
async fn selecting_a_contact_shows_it_and_its_emergency_contact_can_be_changed() {
    let (browser, _server) = open().await;
    browser.click(&row("Ada Lovelace")).await;
    browser.wait_for_text(DETAIL_NAME, "Ada Lovelace").await;
    browser
        .wait_for_class(&row("Ada Lovelace"), "selected", true)
        .await;
    // Ada's emergency contact is Grace (id 2); the options are everyone else.
    browser.wait_for_value(EMERGENCY, "2").await;
    browser
        .wait_for_texts(
            &format!("{EMERGENCY} option"),
            &["Nobody", "Grace Hopper", "Alan Turing"],
        )
        .await;
    browser.wait_for_text(EMERGENCY_NOW, "Grace Hopper").await;

    browser.choose(EMERGENCY, "3").await;
    browser.wait_for_text(EMERGENCY_NOW, "Alan Turing").await;

    browser.click(&row("Grace Hopper")).await;
    browser.wait_for_text(DETAIL_NAME, "Grace Hopper").await;
    browser
        .wait_for_class(&row("Ada Lovelace"), "selected", false)
        .await;
    browser.wait_for_value(EMERGENCY, "").await;
}

#[tokio::test]
async fn adding_a_contact_explains_what_is_wrong_until_it_is_right() {
    let (browser, _server) = open().await;
    browser.click(ADD).await;
    browser.wait_for_text(".form h2", "New contact").await;

    browser.click(SAVE).await;
    browser
        .wait_for_texts(ERRORS, &["A contact needs a name.", "", ""])
        .await;

    browser.type_into(FORM_NAME, "Katherine Johnson").await;
    browser.type_into(FORM_EMAIL, "katherine").await;
    browser.click(SAVE).await;
    browser
        .wait_for_texts(
            ERRORS,
            &["", "That does not look like an email address.", ""],
        )
        .await;

    browser.type_into(FORM_EMAIL, "kj@example.org").await;
    browser.click(SAVE).await;
    browser
        .wait_for_text(DETAIL_NAME, "Katherine Johnson")
        .await;
    browser.wait_for_text(COUNT, "4 contacts").await;
    browser
        .wait_for_texts(
            NAMES,
            &[
                "Ada Lovelace",
                "Alan Turing",
                "Grace Hopper",
                "Katherine Johnson",
            ],
        )
        .await;
}

#[tokio::test]
async fn editing_renames_everywhere_and_deleting_empties_the_pane() {
    let (browser, _server) = open().await;
    browser.click(&row("Grace Hopper")).await;
    browser.wait_for_text(DETAIL_NAME, "Grace Hopper").await;

    browser.click(r#"button[ui-action="edit()"]"#).await;
    browser.wait_for_value(FORM_NAME, "Grace Hopper").await;
    browser.type_into(FORM_NAME, "Grace Brewster Hopper").await;
    browser.click(SAVE).await;
    browser
        .wait_for_text(DETAIL_NAME, "Grace Brewster Hopper")
        .await;
    browser
        .wait_for_texts(
            NAMES,
            &["Ada Lovelace", "Alan Turing", "Grace Brewster Hopper"],
        )
        .await;

    browser.click(r#"button[ui-action="delete()"]"#).await;
    browser
        .wait_for_texts(NAMES, &["Ada Lovelace", "Alan Turing"])
        .await;
    browser.wait_for_text(COUNT, "2 contacts").await;
    browser
        .wait_for_text(PLACEHOLDER, "Select a contact to see the details.")
        .await;

    // Deleting the rest leaves the empty states.
    for _ in 0..2 {
        browser.click(&row("Ada Lovelace")).await;
        browser.wait_for(".detail h2").await;
        browser.click(r#"button[ui-action="delete()"]"#).await;
        browser.wait_for(PLACEHOLDER).await;
    }
    browser.wait_for_text(EMPTY, "No contacts yet.").await;
    browser
        .wait_for_text(PLACEHOLDER, "Add your first contact to get started.")
        .await;
    browser.wait_for_text(COUNT, "0 contacts").await;
}
