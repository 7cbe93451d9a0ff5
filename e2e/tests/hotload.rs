//! `--hotload` in a real headless Chromium: an edited `main.lua` updates the page, a failing
//! one shows the reload error banner until it is dismissed or fixed, and an edited viewdef
//! re-renders the page; none of them loses what the user typed.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lunette_e2e::{Browser, Server, TIMEOUT};

const LABEL: &str = "p.label";
const NAME: &str = "input.name";
const GREETING: &str = "b.greeting";
const BANNER: &str = ".ui-reload-error";

/// Sets `label` on every run; `name` only on the first, so it holds what the user typed for
/// as long as the session lives.
fn main_lua(label: &str) -> String {
    format!(
        "if not session.reloading then\n  app = {{ type = \"App\", name = \"world\" }}\n  \
         session:createAppVariable(app)\nend\napp.label = \"{label}\"\n\
         function app:greeting() return \"Hello, \" .. self.name .. \"!\" end\n"
    )
}

/// A site directory under the system temp dir, one per test (`name`), removed on drop.
struct TempSite(PathBuf);

impl TempSite {
    fn new(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("lunette-e2e-hotload-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("lua")).expect("create lua/");
        fs::create_dir_all(root.join("viewdefs")).expect("create viewdefs/");
        let site = Self(root);
        site.save("lua/main.lua", &main_lua("v1"));
        site.save(
            "viewdefs/App.DEFAULT.html",
            r#"<template><p class="label" ui-value="label"></p>
<input class="name" ui-value="name"> <b class="greeting" ui-value="greeting()"></b></template>"#,
        );
        site
    }

    /// Writes a temporary file and renames it over `relative`, as many editors save.
    fn save(&self, relative: &str, contents: &str) {
        let target = self.0.join(relative);
        let temporary = target.with_extension("tmp");
        fs::write(&temporary, contents).expect("write the temporary file");
        fs::rename(&temporary, &target).expect("rename over the file");
    }
}

impl Drop for TempSite {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

async fn wait_until_gone(browser: &Browser, css: &str) {
    let deadline = Instant::now() + TIMEOUT;
    while browser.look(css).await.is_some() {
        assert!(Instant::now() < deadline, "{css} is still shown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failing_reload_shows_a_banner_until_dismissed_or_fixed() {
    let site = TempSite::new("banner");
    let browser = Browser::start().await;
    let server = Server::start(Some(&site.0), &["--hotload"]);
    browser.open_app(&server).await;
    browser.wait_for_text(LABEL, "v1").await;
    browser.type_into(NAME, "Ada").await;
    browser.wait_for_text(GREETING, "Hello, Ada!").await;

    site.save("lua/main.lua", &main_lua("v2"));
    browser.wait_for_text(LABEL, "v2").await;
    assert!(browser.look(BANNER).await.is_none());

    site.save(
        "lua/main.lua",
        "app.label = 'half'\nlocal x = nil\nx.y = 1\n",
    );
    let banner = browser
        .wait_for_element(BANNER, "the reload error banner", |seen| {
            seen.text.contains("lua/main.lua:3:")
        })
        .await;
    assert!(banner.text.contains("Hot reload failed"), "{banner:?}");
    // The page keeps working with what the chunk did before the error.
    browser.wait_for_text(LABEL, "half").await;

    browser.click(&format!("{BANNER} button")).await;
    wait_until_gone(&browser, BANNER).await;

    site.save(
        "lua/main.lua",
        "app.label = 'again'\nerror('still broken')\n",
    );
    browser
        .wait_for_element(BANNER, "the banner for a new error", |seen| {
            seen.text.contains("lua/main.lua:2: still broken")
        })
        .await;

    site.save("lua/main.lua", &main_lua("v3"));
    browser.wait_for_text(LABEL, "v3").await;
    wait_until_gone(&browser, BANNER).await;
    // Four reloads, two of them failed: what the user typed is still the session's.
    browser.wait_for_value(NAME, "Ada").await;
    browser.wait_for_text(GREETING, "Hello, Ada!").await;
}

/// A saved viewdef re-renders the open page with the new markup on the same session: the new
/// input holds what the user typed into the old one, and what the server made of it shows.
#[tokio::test]
async fn a_changed_viewdef_re_renders_the_page_and_keeps_what_the_user_typed() {
    let site = TempSite::new("viewdef");
    let browser = Browser::start().await;
    let server = Server::start(Some(&site.0), &["--hotload"]);
    browser.open_app(&server).await;
    browser.wait_for_text(LABEL, "v1").await;
    browser.type_into(NAME, "Grace").await;
    browser.wait_for_text(GREETING, "Hello, Grace!").await;

    site.save(
        "viewdefs/App.DEFAULT.html",
        r#"<template><h2 class="title" ui-value="greeting()"></h2>
<label>Name <input class="renamed" ui-value="name"></label></template>"#,
    );

    browser.wait_for_text("h2.title", "Hello, Grace!").await;
    browser.wait_for_value("input.renamed", "Grace").await;
    wait_until_gone(&browser, LABEL).await;
    wait_until_gone(&browser, NAME).await;
}
