//! The debug page `/<sid>/variables` (docs/protocol.md §11) in a real headless Chromium: its script
//! runs, polls `variables.json`, sorts the table by a clicked header, shows a tree, and marks
//! variables in error until they recover.

use lunette_e2e::{Browser, Server, site};
use serde_json::{Value, json};

/// The cells of one column of the table (1-based), top to bottom.
fn column(n: usize) -> String {
    format!("#table tbody td:nth-child({n})")
}

/// Whether the non-empty cells matching `css` are in the browser's collation order, empty
/// ones last.
const SORTED: &str = r#"
const cells = Array.from(document.querySelectorAll(arguments[0]), (c) => c.textContent);
const named = cells.filter((c) => c !== "");
const expected = named.slice().sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
return cells.length > 1 && JSON.stringify(cells) === JSON.stringify(expected.concat(cells.filter((c) => c === "")));
"#;

#[tokio::test]
async fn the_variables_page_shows_sorts_and_follows_the_session() {
    let browser = Browser::start().await;
    let server = Server::start(Some(&site("bindings")), &[]);
    let app_url = browser.open_app(&server).await;
    let app = browser.window().await;
    browser.wait_for_text("#risky", "fine").await;
    browser.click("#break").await;
    browser.wait_for_class("#risky", "ui-error", true).await;

    let page = browser
        .open_tab(&format!("{}/variables", app_url.trim_end_matches('/')))
        .await;
    browser
        .wait_for_text("#table tbody tr.error td:nth-child(3)", "risky()")
        .await;
    let ids = browser.texts(&column(1)).await;
    assert_eq!(
        ids.first().map(String::as_str),
        Some("1"),
        "tree order first"
    );
    assert!(ids.len() > 10, "every variable of the app: {ids:?}");

    browser.click(r#"th[data-key="id"]"#).await;
    browser.click(r#"th[data-key="id"]"#).await;
    let descending: Vec<i64> = browser
        .texts(&column(1))
        .await
        .iter()
        .map(|id| id.parse().expect("an id"))
        .collect();
    assert!(
        descending.windows(2).all(|w| w[0] > w[1]),
        "two clicks sort by id, descending: {descending:?}"
    );
    browser.click(r#"th[data-key="path"]"#).await;
    assert_eq!(
        browser.execute(SORTED, vec![json!(column(3))]).await,
        Value::Bool(true),
        "sorted by path: {:?}",
        browser.texts(&column(3)).await
    );

    browser.click("#mode").await;
    browser
        .wait_for_text("#tree li.error .path", "risky()")
        .await;
    browser
        .execute(
            r#"const every = document.getElementById("every");
               every.value = arguments[0];
               every.dispatchEvent(new Event("change"));"#,
            vec![json!("1000")],
        )
        .await;

    browser.switch_to(&app).await;
    browser.click("#fix").await;
    browser.wait_for_class("#risky", "ui-error", false).await;
    browser.switch_to(&page).await;
    browser.wait_for_texts("#tree li.error .path", &[]).await;
    browser
        .wait_for_element("#status", "the status to count no errors", |seen| {
            seen.text.contains(", 0 errors")
        })
        .await;
}
