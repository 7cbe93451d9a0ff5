//! Built-in static files (the browser client) and content types by extension.

/// Built-in assets by URL path, served when the site has no file at that path.
pub(crate) fn builtin(path: &str) -> Option<&'static str> {
    match path {
        "/lunette/client.js" => Some(include_str!("../../client/client.js")),
        "/lunette/client.css" => Some(include_str!("../../client/client.css")),
        _ => None,
    }
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
    use super::content_type;

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
}
