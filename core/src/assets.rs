//! Built-in static files (the browser client), content types by extension, and the validators
//! that let browsers keep static files between reloads without ever running a stale one.

/// A built-in file and the hash of its bytes, computed once, at compile time.
struct Builtin {
    path: &'static str,
    text: &'static str,
    hash: u64,
    /// A module of the browser client (`client/*.js`), which app pages preload.
    client_module: bool,
}

const fn builtin_file(path: &'static str, text: &'static str) -> Builtin {
    Builtin {
        path,
        text,
        hash: content_hash(text.as_bytes()),
        client_module: false,
    }
}

const fn client_module(path: &'static str, text: &'static str) -> Builtin {
    Builtin {
        client_module: true,
        ..builtin_file(path, text)
    }
}

/// The client's entry module, which app pages load with a `<script>`.
pub(crate) const CLIENT_ENTRY: &str = "/lunette/client.js";

/// The browser client: `client.js` imports the other modules by relative URL, so every module
/// of `client/` must be listed here (as a [`client_module`], so that app pages preload it). And
/// the debug page's script.
static BUILTINS: [Builtin; 12] = [
    client_module("/lunette/client.js", include_str!("../../client/client.js")),
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

/// The URL paths of the client's modules but the entry: what app pages preload, so that the
/// browser fetches them all at once instead of discovering them import by import.
pub(crate) fn preloaded_modules() -> impl Iterator<Item = &'static str> {
    BUILTINS
        .iter()
        .filter(|file| file.client_module && file.path != CLIENT_ENTRY)
        .map(|file| file.path)
}

/// A built-in asset by URL path, served when the site has no file at that path: its text and
/// its `ETag`.
pub(crate) fn builtin(path: &str) -> Option<(&'static str, String)> {
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

/// The `Content-Type` for a file name (PROTOCOL §2).
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

    #[test]
    fn every_client_module_is_served_with_the_hash_of_its_text() {
        for file in &BUILTINS {
            let (text, etag) = builtin(file.path).expect("listed files are served");
            assert_eq!(
                etag,
                entity_tag(content_hash(text.as_bytes())),
                "{}",
                file.path
            );
        }
        assert!(builtin("/lunette/missing.js").is_none());
    }

    #[test]
    fn every_client_import_names_a_served_module() {
        for file in BUILTINS.iter().filter(|file| file.path.ends_with(".js")) {
            for line in file.text.lines().filter(|l| l.starts_with("import ")) {
                let module = line
                    .rsplit_once("from \"./")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(name, _)| name)
                    .unwrap_or_else(|| panic!("{}: unexpected import {line}", file.path));
                assert!(
                    builtin(&format!("/lunette/{module}")).is_some(),
                    "{} imports {module}, which is not served",
                    file.path
                );
            }
        }
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
