//! Caching of the built-in client and of site files: browsers keep them between reloads
//! (`ETag`) but revalidate before every use (`Cache-Control: no-cache`), so a reload never runs
//! a stale client.

use bytes::Bytes;
use http::{Method, Response};
use lunette_core::{Config, Site};
use lunette_test::{Harness, body_text, header, site_with_main};

const APP: &str = r#"session:createAppVariable({type = "App"})"#;

/// A browser's view of one server: plain and conditional requests.
struct Browser(Harness);

impl Browser {
    fn new(site: Site) -> Self {
        Self(Harness::new(site, Config::default(), 1))
    }

    fn request(&mut self, method: Method, path: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
        self.0.request_with_headers(method, path, headers)
    }

    fn get(&mut self, path: &str) -> Response<Bytes> {
        self.request(Method::GET, path, &[])
    }

    fn get_if_none_match(&mut self, path: &str, tags: &str) -> Response<Bytes> {
        self.request(Method::GET, path, &[("if-none-match", tags)])
    }
}

fn site_with_file(path: &str, text: &str) -> Site {
    Site::from_texts(&[("lua/main.lua", APP), (path, text)])
}

/// `"` + 16 lowercase hex digits + `"`: a strong validator.
fn is_strong_etag(tag: &str) -> bool {
    tag.len() == 18
        && tag.starts_with('"')
        && tag.ends_with('"')
        && tag[1..17]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Every file of `client/`, as `(URL path, file text)`.
fn client_files() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../client");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("client/ is in the repository")
        .map(|entry| entry.expect("client/ is readable").path())
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .expect("client file names are UTF-8")
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("client files are text");
            (format!("/lunette/{name}"), text)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_client_file_is_served_with_no_cache_and_a_strong_etag() {
    let mut browser = Browser::new(site_with_main(APP));
    let files = client_files();
    assert!(files.iter().any(|(path, _)| path == "/lunette/client.js"));
    for (path, text) in files {
        let response = browser.get(&path);
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            body_text(&response),
            text,
            "{path} is served as it is on disk"
        );
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert!(is_strong_etag(header(&response, "etag")), "{path}");
    }
}

#[test]
fn each_client_file_has_its_own_stable_etag() {
    let mut first = Browser::new(site_with_main(APP));
    let mut second = Browser::new(site_with_main(APP));
    let mut tags: Vec<String> = Vec::new();
    for (path, _) in client_files() {
        let tag = header(&first.get(&path), "etag").to_owned();
        assert_eq!(header(&second.get(&path), "etag"), tag, "{path}");
        assert_eq!(header(&first.get(&path), "etag"), tag, "{path}");
        tags.push(tag);
    }
    let count = tags.len();
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), count, "different files have different tags");
}

#[test]
fn a_matching_if_none_match_answers_304_without_a_body() {
    let mut browser = Browser::new(site_with_main(APP));
    let tag = header(&browser.get("/lunette/client.js"), "etag").to_owned();
    for tags in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"0000000000000000\", {tag}"),
        "*".to_owned(),
    ] {
        let response = browser.get_if_none_match("/lunette/client.js", &tags);
        assert_eq!(response.status(), 304, "If-None-Match: {tags}");
        assert!(response.body().is_empty());
        assert_eq!(header(&response, "etag"), tag);
        assert_eq!(header(&response, "cache-control"), "no-cache");
    }
    let head = browser.request(
        Method::HEAD,
        "/lunette/client.js",
        &[("if-none-match", tag.as_str())],
    );
    assert_eq!(head.status(), 304);
    assert!(head.body().is_empty());
}

#[test]
fn a_stale_or_foreign_tag_gets_the_file() {
    let mut browser = Browser::new(site_with_main(APP));
    let css_tag = header(&browser.get("/lunette/client.css"), "etag").to_owned();
    let response = browser.get_if_none_match("/lunette/client.js", &css_tag);
    assert_eq!(response.status(), 200);
    assert!(!response.body().is_empty());
    assert_eq!(
        header(&response, "content-type"),
        "text/javascript; charset=utf-8"
    );
}

#[test]
fn site_files_are_validated_by_their_content() {
    let mut old = Browser::new(site_with_file("html/app.css", "body { color: red }"));
    let old_response = old.get("/app.css");
    assert_eq!(old_response.status(), 200);
    assert_eq!(header(&old_response, "cache-control"), "no-cache");
    let old_tag = header(&old_response, "etag").to_owned();
    assert!(is_strong_etag(&old_tag));
    assert_eq!(old.get_if_none_match("/app.css", &old_tag).status(), 304);

    let mut new = Browser::new(site_with_file("html/app.css", "body { color: blue }"));
    let response = new.get_if_none_match("/app.css", &old_tag);
    assert_eq!(
        response.status(),
        200,
        "an edited file is never answered 304"
    );
    assert_eq!(body_text(&response), "body { color: blue }");
    assert_ne!(header(&response, "etag"), old_tag);
}

#[test]
fn a_site_file_overriding_the_client_carries_its_own_tag() {
    let mut builtin = Browser::new(site_with_main(APP));
    let builtin_tag = header(&builtin.get("/lunette/client.js"), "etag").to_owned();
    let mut custom = Browser::new(site_with_file("html/lunette/client.js", "// my own client"));
    let response = custom.get_if_none_match("/lunette/client.js", &builtin_tag);
    assert_eq!(response.status(), 200);
    assert_eq!(body_text(&response), "// my own client");
}

#[test]
fn session_pages_and_errors_are_not_validated() {
    let mut browser = Browser::new(site_with_main(APP));
    let missing = browser.get("/lunette/missing.js");
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "etag"), "");
    let created = browser.get("/");
    let page = browser.get(header(&created, "location"));
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_eq!(header(&page, "etag"), "");
}

/// What a browser relies on when a file changes under it (here a site file replacing the
/// built-in client, edited with `--hotload`): its conditional GET with the tag it kept gets
/// the new text and a new tag; only the tag of what is served now gets a `304`.
#[test]
fn a_changed_file_gets_a_new_tag_and_the_old_tag_gets_the_new_text() {
    let config = Config {
        hotload: true,
        ..Config::default()
    };
    let mut browser = Browser(Harness::new(site_with_main(APP), config, 1));
    let builtin_tag = header(&browser.get("/lunette/client.js"), "etag").to_owned();
    let mut kept = builtin_tag.clone();
    for text in ["// my own client", "// my own client, edited"] {
        browser
            .0
            .change_files(&[("html/lunette/client.js", Some(text))]);
        let response = browser.get_if_none_match("/lunette/client.js", &kept);
        assert_eq!(
            response.status(),
            200,
            "{text}: the kept tag {kept} is stale"
        );
        assert_eq!(body_text(&response), text);
        let tag = header(&response, "etag").to_owned();
        assert!(is_strong_etag(&tag) && tag != kept, "{tag} after {kept}");
        assert_eq!(
            browser
                .get_if_none_match("/lunette/client.js", &tag)
                .status(),
            304
        );
        kept = tag;
    }
    // The site file goes: the built-in client is back, with the tag it always had.
    browser.0.change_files(&[("html/lunette/client.js", None)]);
    let response = browser.get_if_none_match("/lunette/client.js", &kept);
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), builtin_tag);
    assert_eq!(
        browser
            .get_if_none_match("/lunette/client.js", &builtin_tag)
            .status(),
        304
    );
}
