//! The app page makes the browser fetch every module of the client at once (issue 11): the
//! built-in shell lists each in a `<link rel="modulepreload">`, and every app page, a site's
//! own `html/index.html` too, names each in a `Link: <…>; rel=modulepreload` header. Without
//! them the modules load as a waterfall, one level of imports after another.

use lunette_core::Site;
use lunette_test::{Harness, body_text, header, site_with_main};

const APP: &str = r#"session:createAppVariable({type = "App"})"#;

/// Every module of `client/` but the entry, `client.js`, as the URL path it is served at.
fn client_modules() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../client");
    let mut modules: Vec<String> = std::fs::read_dir(dir)
        .expect("client/ is in the repository")
        .map(|entry| {
            entry
                .expect("client/ is readable")
                .file_name()
                .into_string()
                .expect("client file names are UTF-8")
        })
        .filter(|name| name.ends_with(".js") && name != "client.js")
        .map(|name| format!("/lunette/{name}"))
        .collect();
    modules.sort();
    assert!(
        modules.len() >= 5,
        "client/ holds the client's modules: {modules:?}"
    );
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

fn sorted(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    paths
}

fn app_page(site: Site) -> (Harness, http::Response<bytes::Bytes>) {
    let mut h = Harness::new(site, lunette_core::Config::default(), 1);
    let sid = h.create_session();
    let page = h.get(&format!("/{sid}"));
    assert_eq!(page.status(), 200);
    (h, page)
}

#[test]
fn the_builtin_shell_preloads_every_client_module_before_loading_the_entry() {
    let (mut h, page) = app_page(site_with_main(APP));
    let body = body_text(&page);
    let head = &body[..body.find("</head>").expect("the shell has a head")];
    let links = preload_links(head);
    assert_eq!(sorted(links.clone()), client_modules(), "{body}");
    let entry = head
        .find(r#"<script type="module" src="/lunette/client.js"></script>"#)
        .expect("the shell loads the client's entry module");
    for link in &links {
        let at = head.find(&format!("href=\"{link}\"")).expect("listed");
        assert!(at < entry, "{link} is preloaded before the entry: {body}");
        let module = h.get(link);
        assert_eq!(module.status(), 200, "{link}");
        assert_eq!(
            header(&module, "content-type"),
            "text/javascript; charset=utf-8"
        );
    }
}

#[test]
fn every_app_page_names_every_client_module_in_a_preload_link_header() {
    let own_page = Site::from_texts(&[
        ("lua/main.lua", APP),
        ("html/index.html", "<!doctype html><title>mine</title>"),
    ]);
    for (what, site) in [
        ("the built-in shell", site_with_main(APP)),
        ("a site's own index.html", own_page),
        ("the built-in default app", Site::builtin()),
    ] {
        let (_, page) = app_page(site);
        let link = header(&page, "link");
        assert_eq!(
            sorted(preload_header(link)),
            client_modules(),
            "{what}: {link}"
        );
    }
}

#[test]
fn a_site_with_its_own_client_gets_no_preload_header() {
    let site = Site::from_texts(&[
        ("lua/main.lua", APP),
        ("html/lunette/client.js", "// my own client"),
    ]);
    let (_, page) = app_page(site);
    assert_eq!(header(&page, "link"), "");
}
