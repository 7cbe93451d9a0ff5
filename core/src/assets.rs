//! Built-in static files (the browser client), content types by extension, and the validators
//! that let browsers keep static files between reloads without ever running a stale one.

use std::sync::OnceLock;

use crate::bundle::{BUNDLE, bundle};

/// A built-in file and the hash of its bytes, computed once, at compile time.
struct Builtin {
    path: &'static str,
    text: &'static str,
    hash: u64,
    /// A module of the browser client that goes into the bundle (`client/*.js` but the entry).
    bundled: bool,
}

const fn builtin_file(path: &'static str, text: &'static str) -> Builtin {
    Builtin {
        path,
        text,
        hash: content_hash(text.as_bytes()),
        bundled: false,
    }
}

const fn client_module(path: &'static str, text: &'static str) -> Builtin {
    Builtin {
        bundled: true,
        ..builtin_file(path, text)
    }
}

/// The client's entry, which app pages load with a `<script>`: it only imports the bundle.
pub(crate) const CLIENT_ENTRY: &str = "/lunette/client.js";

/// The client's main module, from which the bundle starts.
const CLIENT_MAIN: &str = "/lunette/main.js";

/// The browser client: `main.js` imports the other modules by relative URL, so every module of
/// `client/` must be listed here. And the debug page's script.
static BUILTINS: [Builtin; 14] = [
    builtin_file(CLIENT_ENTRY, include_str!("../../client/client.js")),
    client_module(CLIENT_MAIN, include_str!("../../client/main.js")),
    builtin_file(
        "/lunette/client.css",
        include_str!("../../client/client.css"),
    ),
    client_module("/lunette/banner.js", include_str!("../../client/banner.js")),
    client_module(
        "/lunette/bindings.js",
        include_str!("../../client/bindings.js"),
    ),
    client_module(
        "/lunette/elements.js",
        include_str!("../../client/elements.js"),
    ),
    client_module(
        "/lunette/connection.js",
        include_str!("../../client/connection.js"),
    ),
    client_module("/lunette/errors.js", include_str!("../../client/errors.js")),
    client_module("/lunette/outbox.js", include_str!("../../client/outbox.js")),
    client_module("/lunette/paths.js", include_str!("../../client/paths.js")),
    client_module(
        "/lunette/variables.js",
        include_str!("../../client/variables.js"),
    ),
    client_module(
        "/lunette/viewdefs.js",
        include_str!("../../client/viewdefs.js"),
    ),
    client_module("/lunette/views.js", include_str!("../../client/views.js")),
    // The debug page's script: a file of its own, so that the page's policy allows no inline
    // script.
    builtin_file(
        "/lunette/variables-page.js",
        include_str!("variables_page.js"),
    ),
];

/// What app pages preload (the bundle), so that the browser fetches it beside the entry
/// rather than after it.
pub(crate) fn preloaded_modules() -> impl Iterator<Item = &'static str> {
    [BUNDLE].into_iter()
}

/// The bundle of the built-in modules, made once. Should the client ever use what the bundle
/// cannot hold (a unit test says it does not), the bundle only imports the main module, which
/// loads the client module by module.
fn builtin_bundle() -> &'static (String, u64) {
    static BUNDLED: OnceLock<(String, u64)> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        let text = bundle(CLIENT_MAIN, |path| {
            BUILTINS
                .iter()
                .find(|file| file.path == path)
                .map(|file| file.text)
        })
        .unwrap_or_else(|_| UNBUNDLED.to_owned());
        let hash = content_hash(text.as_bytes());
        (text, hash)
    })
}

/// The bundle when it cannot be made of the built-in modules alone: the client module by module.
const UNBUNDLED: &str = "import \"./main.js\";\n";

/// A built-in asset by URL path, served when the site has no file at that path: its text and
/// its `ETag`. `site_has(path)` says whether the site has a file at a URL path: when it
/// replaces a module of the bundle, the bundle loads the modules one by one, the site's among
/// them.
pub(crate) fn builtin(
    path: &str,
    site_has: impl Fn(&str) -> bool,
) -> Option<(&'static str, String)> {
    if path == BUNDLE {
        let replaced = BUILTINS
            .iter()
            .any(|file| file.bundled && site_has(file.path));
        if replaced {
            return Some((UNBUNDLED, entity_tag(content_hash(UNBUNDLED.as_bytes()))));
        }
        let (text, hash) = builtin_bundle();
        return Some((text.as_str(), entity_tag(*hash)));
    }
    BUILTINS
        .iter()
        .find(|file| file.path == path)
        .map(|file| (file.text, entity_tag(file.hash)))
}

/// FNV-1a (64 bit) of `bytes`: stable across builds and platforms, cheap, no dependency. It
/// only has to tell versions of one file apart, not resist an attacker.
pub(crate) const fn content_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// A strong `ETag` for content with this hash: `"<16 hex digits>"`.
pub(crate) fn entity_tag(hash: u64) -> String {
    format!("\"{hash:016x}\"")
}

/// Whether an `If-None-Match` header value names `etag` (RFC 9110 §13.1.2: `*`, or a list of
/// tags compared weakly, so `W/"x"` matches `"x"`).
pub(crate) fn none_match_hits(if_none_match: &str, etag: &str) -> bool {
    if_none_match.trim() == "*"
        || if_none_match
            .split(',')
            .map(|tag| tag.trim())
            .any(|tag| tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// The `Content-Type` for a file name (docs/protocol.md §2).
pub(crate) fn content_type(path: &str) -> &'static str {
    let extension = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(
            content_type("/lunette/client.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("/a/b.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("/logo.png"), "image/png");
        assert_eq!(content_type("/data.bin"), "application/octet-stream");
        assert_eq!(content_type("/noextension"), "application/octet-stream");
    }

    #[test]
    fn content_hash_is_fnv1a_64() {
        // Published FNV-1a test vectors.
        assert_eq!(content_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(content_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(content_hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn entity_tags_are_strong_and_quoted() {
        assert_eq!(entity_tag(0xab), "\"00000000000000ab\"");
    }

    fn served(path: &str) -> Option<(&'static str, String)> {
        builtin(path, |_| false)
    }

    /// The tag a browser holds for a module changes with any byte of its text (a new build
    /// shipping an edited client), so the browser's conditional GET gets the new text instead
    /// of a 304. `transport-test/tests/client_assets.rs` checks that over HTTP.
    #[test]
    fn a_client_module_edited_anywhere_gets_a_new_tag() {
        let tag_of = |text: &[u8]| entity_tag(content_hash(text));
        for file in &BUILTINS {
            let (text, served) = served(file.path).expect("listed files are served");
            assert_eq!(
                served,
                tag_of(text.as_bytes()),
                "{}: a tag of what is served",
                file.path
            );
            let bytes = text.as_bytes();
            for at in [0, bytes.len() / 2, bytes.len() - 1] {
                let mut edited = bytes.to_vec();
                edited[at] ^= 0x20;
                assert_ne!(tag_of(&edited), served, "{}: byte {at} edited", file.path);
            }
            let mut longer = bytes.to_vec();
            longer.push(b'\n');
            assert_ne!(tag_of(&longer), served, "{}: a line added", file.path);
            let mut swapped = bytes.to_vec();
            swapped.swap(0, bytes.len() - 1);
            if swapped != bytes {
                assert_ne!(tag_of(&swapped), served, "{}: bytes moved", file.path);
            }
        }
        assert!(served("/lunette/missing.js").is_none());
    }

    #[test]
    fn every_client_import_names_a_served_module() {
        for file in BUILTINS.iter().filter(|file| file.path.ends_with(".js")) {
            for line in file.text.lines().filter(|l| l.starts_with("import ")) {
                let module = line
                    .rsplit_once("\"./")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(name, _)| name)
                    .unwrap_or_else(|| panic!("{}: unexpected import {line}", file.path));
                assert!(
                    served(&format!("/lunette/{module}")).is_some(),
                    "{} imports {module}, which is not served",
                    file.path
                );
            }
        }
    }

    #[test]
    fn the_client_bundles_every_module_once_and_the_entry_loads_the_bundle() {
        let made = bundle(CLIENT_MAIN, |path| {
            BUILTINS.iter().find(|f| f.path == path).map(|f| f.text)
        });
        let text = made.unwrap_or_else(|error| panic!("the client cannot be bundled: {error}"));
        assert_eq!(served(BUNDLE).map(|(t, _)| t), Some(text.as_str()));
        for file in BUILTINS.iter().filter(|file| file.bundled) {
            let marker = format!("// ---- {}\n", file.path);
            assert_eq!(text.matches(&marker).count(), 1, "{}", file.path);
        }
        let entry = served(CLIENT_ENTRY).expect("the entry").0;
        let imports: Vec<&str> = entry.lines().filter(|l| l.starts_with("import")).collect();
        assert_eq!(imports, ["import \"./bundle.js\";"]);
    }

    #[test]
    fn a_site_replacing_a_bundled_module_gets_the_modules_one_by_one() {
        let (text, etag) = builtin(BUNDLE, |path| path == "/lunette/views.js").expect("served");
        assert_eq!(text, UNBUNDLED);
        assert_eq!(etag, entity_tag(content_hash(UNBUNDLED.as_bytes())));
        let (text, _) = builtin(BUNDLE, |path| path == "/lunette/app.css").expect("served");
        assert_ne!(text, UNBUNDLED, "files outside the bundle change nothing");
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let etag = "\"0123456789abcdef\"";
        assert!(none_match_hits(etag, etag));
        assert!(none_match_hits("W/\"0123456789abcdef\"", etag));
        assert!(none_match_hits("\"other\", \"0123456789abcdef\"", etag));
        assert!(none_match_hits(" * ", etag));
        assert!(!none_match_hits("\"other\"", etag));
        assert!(!none_match_hits("0123456789abcdef", etag));
        assert!(!none_match_hits("", etag));
    }
}
