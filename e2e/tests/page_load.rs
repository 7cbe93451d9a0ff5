//! How the page loads the client in Chromium (issue 11): the entry `client.js` and the bundle
//! of every other module, fetched side by side because the page's `Link` header preloads the
//! bundle, and no module on its own. Module by module, the client cost 11 requests in three
//! waves, each wave waiting for the one before.

use lunette_e2e::{Browser, Server, demo};
use serde_json::Value;

const SCRIPTS: &str = r#"
return performance.getEntriesByType("resource")
  .filter((e) => e.name.endsWith(".js"))
  .map((e) => ({ path: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd }));
"#;

#[tokio::test]
async fn a_sites_own_page_fetches_the_entry_and_the_bundle_side_by_side() {
    let browser = Browser::start().await;
    // The contacts demo brings its own html/index.html, which names only /lunette/client.js.
    let server = Server::start(Some(&demo("contacts")), &[]);
    browser.open_app(&server).await;
    browser.wait_for_text(".top .count", "3 contacts").await;
    let scripts = browser.execute(SCRIPTS, vec![]).await;
    let scripts = scripts.as_array().expect("resource entries");
    let find = |path: &str| -> &Value {
        scripts
            .iter()
            .find(|s| s["path"] == path)
            .unwrap_or_else(|| panic!("{path} was not fetched: {scripts:?}"))
    };
    let paths: Vec<&str> = scripts.iter().filter_map(|s| s["path"].as_str()).collect();
    assert_eq!(paths.len(), 2, "only the entry and the bundle: {paths:?}");
    let (entry, bundle) = (find("/lunette/client.js"), find("/lunette/bundle.js"));
    let at = |v: &Value, key: &str| v[key].as_f64().unwrap_or(f64::NAN);
    assert!(
        at(bundle, "start") < at(entry, "end"),
        "the bundle was requested before the entry arrived: {scripts:?}"
    );
}
