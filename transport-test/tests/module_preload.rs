//! The app page loads the whole client at once (issue 11): `client.js` only imports
//! `/lunette/bundle.js`, which core makes of every other module of `client/`; the built-in shell
//! preloads the bundle in a `<link rel="modulepreload">`, and every app page, a site's own
//! `html/index.html` too, in a `Link: <…>; rel=modulepreload` header. Module by module, the
//! client loaded as a waterfall of 11 requests, one level of imports after another.

use lunette_core::{Config, Site};
use lunette_test::{Harness, body_text, header, site_with_main};

const APP: &str = r#"session:createAppVariable({type = "App"})"#;
const BUNDLE: &str = "/lunette/bundle.js";

/// Every module of `client/` but the entry, `client.js`: (URL path, text).
fn client_modules() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../client");
    let mut modules: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("client/ is in the repository")
        .map(|entry| entry.expect("client/ is readable").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            (name.ends_with(".js") && name != "client.js").then(|| {
                let text = std::fs::read_to_string(&path).expect("client files are text");
                (format!("/lunette/{name}"), text)
            })
        })
        .collect();
    modules.sort();
    assert!(modules.len() >= 5, "client/ holds the client's modules");
    modules
}

/// The `href` of every `<link rel="modulepreload">` in `page`, in order.
fn preload_links(page: &str) -> Vec<String> {
    page.split("<link ")
        .skip(1)
        .filter(|tag| tag.starts_with("rel=\"modulepreload\""))
        .filter_map(|tag| tag.split_once("href=\"")?.1.split_once('"'))
        .map(|(href, _)| href.to_owned())
        .collect()
}

/// The targets of every `rel=modulepreload` entry of a `Link` header value, in order.
fn preload_header(link: &str) -> Vec<String> {
    link.split(',')
        .map(str::trim)
        .filter(|entry| entry.ends_with("; rel=modulepreload"))
        .filter_map(|entry| entry.strip_prefix('<')?.split_once('>'))
        .map(|(target, _)| target.to_owned())
        .collect()
}

fn harness(site: Site) -> Harness {
    Harness::new(site, Config::default(), 1)
}

fn app_page(h: &mut Harness) -> http::Response<bytes::Bytes> {
    let sid = h.create_session();
    let page = h.get(&format!("/{sid}"));
    assert_eq!(page.status(), 200);
    page
}

/// A module's lines as the bundle holds them: no `import` statement, no `export` keyword.
fn bundled_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut in_import = false;
    for line in text.lines() {
        if line.starts_with("import ") || in_import {
            in_import = !line.trim_end().ends_with(';');
            continue;
        }
        lines.push(line.strip_prefix("export ").unwrap_or(line));
    }
    lines
}

#[test]
fn the_builtin_shell_preloads_the_bundle_before_loading_the_entry() {
    let mut h = harness(site_with_main(APP));
    let body = body_text(&app_page(&mut h));
    let head = &body[..body.find("</head>").expect("the shell has a head")];
    assert_eq!(preload_links(head), [BUNDLE], "{body}");
    let entry = head
        .find(r#"<script type="module" src="/lunette/client.js"></script>"#)
        .expect("the shell loads the client's entry module");
    assert!(head.find(BUNDLE).expect("listed") < entry, "{body}");
}

#[test]
fn every_app_page_preloads_the_bundle_in_a_link_header() {
    let own_page = Site::from_texts(&[
        ("lua/main.lua", APP),
        ("html/index.html", "<!doctype html><title>mine</title>"),
    ]);
    for (what, site) in [
        ("the built-in shell", site_with_main(APP)),
        ("a site's own index.html", own_page),
        ("the built-in default app", Site::builtin()),
    ] {
        let page = app_page(&mut harness(site));
        assert_eq!(preload_header(header(&page, "link")), [BUNDLE], "{what}");
    }
}

#[test]
fn a_site_with_its_own_client_gets_no_preload_header() {
    let site = Site::from_texts(&[
        ("lua/main.lua", APP),
        ("html/lunette/client.js", "// my own client"),
    ]);
    assert_eq!(header(&app_page(&mut harness(site)), "link"), "");
}

#[test]
fn the_entry_imports_only_the_bundle_which_holds_every_other_module() {
    let mut h = harness(site_with_main(APP));
    let entry = body_text(&h.get("/lunette/client.js"));
    let imports: Vec<&str> = entry.lines().filter(|l| l.starts_with("import")).collect();
    assert_eq!(imports, [r#"import "./bundle.js";"#], "{entry}");

    let response = h.get(BUNDLE);
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert_eq!(header(&response, "etag").len(), 18);
    let bundle = body_text(&response);
    for line in bundle.lines() {
        assert!(
            !line.starts_with("import") && !line.starts_with("export"),
            "the bundle is one module: {line}"
        );
    }
    for (path, text) in client_modules() {
        let marker = format!("\n// ---- {path}\n");
        assert_eq!(bundle.matches(&marker).count(), 1, "{path} is bundled once");
        let (_, section) = bundle.split_once(&marker).expect("bundled");
        let section = section.split("\n// ---- ").next().unwrap_or_default();
        assert_eq!(
            section.lines().collect::<Vec<_>>(),
            bundled_lines(&text),
            "{path} is bundled as written"
        );
    }
}

#[test]
fn a_site_replacing_a_module_gets_the_client_module_by_module() {
    let site = Site::from_texts(&[
        ("lua/main.lua", APP),
        ("html/lunette/views.js", "export class View {}"),
    ]);
    let mut h = harness(site);
    let bundle = body_text(&h.get(BUNDLE));
    assert_eq!(bundle.trim(), r#"import "./main.js";"#);
    assert_eq!(
        body_text(&h.get("/lunette/views.js")),
        "export class View {}"
    );
}
