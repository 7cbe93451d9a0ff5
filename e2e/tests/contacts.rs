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

/// The newcomer's hot reload: add a contact, change how names are shown in `main.lua`, save,
/// and see every name follow while the added contact is still there.
#[tokio::test]
async fn an_edit_of_main_lua_under_hotload_renames_everyone_and_keeps_the_added_contact() {
    let site = copy_of_the_demo();
    let browser = Browser::start().await;
    let server = Server::start(Some(&site.0), &["--hotload"]);
    browser.open_app(&server).await;
    browser.click(ADD).await;
    browser.type_into(FORM_NAME, "Katherine Johnson").await;
    browser.click(SAVE).await;
    browser
        .wait_for_text(DETAIL_NAME, "Katherine Johnson")
        .await;

    let main = site.0.join("lua/main.lua");
    let text = std::fs::read_to_string(&main).expect("the demo's main.lua");
    let shown = "function Contact:displayName()\n  return self.name\nend";
    assert!(text.contains(shown), "main.lua still defines displayName");
    save(
        &main,
        &text.replace(
            shown,
            "function Contact:displayName()\n  return self.name:upper()\nend",
        ),
    );

    browser
        .wait_for_texts(
            NAMES,
            &[
                "ADA LOVELACE",
                "ALAN TURING",
                "GRACE HOPPER",
                "KATHERINE JOHNSON",
            ],
        )
        .await;
    browser
        .wait_for_text(DETAIL_NAME, "KATHERINE JOHNSON")
        .await;
    browser.wait_for_text(COUNT, "4 contacts").await;
}

/// `demo/contacts` copied under the system temp dir, removed on drop.
struct TempSite(std::path::PathBuf);

impl Drop for TempSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_of_the_demo() -> TempSite {
    let root = std::env::temp_dir().join(format!("lunette-e2e-contacts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy_dir(&demo("contacts"), &root);
    TempSite(root)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create the copy's directory");
    for entry in std::fs::read_dir(from).expect("read the demo") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// Writes a temporary file and renames it over `path`, as many editors save.
fn save(path: &std::path::Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).expect("write the temporary file");
    std::fs::rename(&temporary, path).expect("rename over the file");
}
