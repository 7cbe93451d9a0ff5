//! The HTML pages core writes itself: the built-in shell and the error pages. All are
//! self-contained, and every interpolated text is escaped.

use std::fmt::Write;
use std::sync::OnceLock;

use crate::assets;
use crate::lua::StartFailure;

/// Escapes text for HTML element content and double-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page served at `/<sid>` when the site has no `html/index.html`: the client's stylesheet,
/// a `modulepreload` link for the client's bundle, so that the browser fetches it beside the
/// entry module rather than after it, and the entry.
pub(crate) fn shell() -> &'static str {
    static SHELL: OnceLock<String> = OnceLock::new();
    SHELL.get_or_init(|| {
        let mut page = String::from(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>lunette</title>\n\
<link rel=\"stylesheet\" href=\"/lunette/client.css\">\n",
        );
        for module in assets::preloaded_modules() {
            let _ = writeln!(page, "<link rel=\"modulepreload\" href=\"{module}\">");
        }
        let _ = write!(
            page,
            "<script type=\"module\" src=\"{}\"></script>\n</head>\n<body>\n<div ui-app></div>\n\
</body>\n</html>\n",
            assets::CLIENT_ENTRY
        );
        page
    })
}

/// A small error page: a heading and already-escaped HTML below it.
fn error_page(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}}\
h1{{font-size:1.4rem}}pre{{background:#f4f4f4;padding:.75rem;overflow:auto;white-space:pre-wrap}}\
code{{background:#f4f4f4;padding:0 .2rem}}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{body_html}\n</body>\n</html>\n",
        title = escape(title)
    )
}

pub(crate) fn expired() -> String {
    error_page(
        "This session has ended",
        "<p>The session you asked for has expired or never existed.</p>\n<p><a href=\"/\">Start a new session</a></p>",
    )
}

pub(crate) fn full() -> String {
    error_page(
        "Too many sessions",
        "<p>This server has reached its session or memory limit and every session is in use. Please try again in a minute.</p>",
    )
}

/// An upgrade to a session busy with a long step that has as much waiting as it may hold.
pub(crate) fn busy() -> String {
    error_page(
        "This session is busy",
        "<p>This session is finishing a long piece of work and has too much waiting behind it to take another connection. Please try again in a moment.</p>",
    )
}

/// `GET /` while the server drains: it is leaving, so new sessions are made elsewhere.
pub(crate) fn draining() -> String {
    error_page(
        "Server restarting",
        "<p>This server is being taken out of service and starts no new sessions. <a href=\"/\">Try again</a> in a few seconds.</p>",
    )
}

pub(crate) fn not_found(path: &str) -> String {
    error_page(
        "Not found",
        &format!("<p>Nothing is served at <code>{}</code>.</p>", escape(path)),
    )
}

pub(crate) fn forbidden(reason: &str) -> String {
    error_page("Forbidden", &format!("<p>{}</p>", escape(reason)))
}

/// `421`: a `Host` this server does not answer to (DNS rebinding guard).
pub(crate) fn misdirected(host: &str) -> String {
    error_page(
        "Unknown host name",
        &format!(
            "<p>This server answers only to <code>localhost</code> and the names it was started              with, not to <code>{}</code>. To allow a name, start lunette with              <code>--allow-host NAME</code>.</p>",
            escape(host)
        ),
    )
}

pub(crate) fn bad_request(reason: &str) -> String {
    error_page("Bad request", &format!("<p>{}</p>", escape(reason)))
}

pub(crate) fn method_not_allowed(method: &str) -> String {
    error_page(
        "Method not allowed",
        &format!(
            "<p><code>{}</code> is not supported here; lunette answers <code>GET</code> and <code>HEAD</code>.</p>",
            escape(method)
        ),
    )
}

/// The `500` page for an app that could not start: which file, which line, what Lua said.
pub(crate) fn start_failure(failure: &StartFailure) -> String {
    let mut body = String::new();
    match failure {
        StartFailure::MissingMain => body.push_str(
            "<p>The site has no <code>lua/main.lua</code>. Every lunette app starts there: it must call \
             <code>session:createAppVariable(app)</code>.</p>",
        ),
        StartFailure::NoAppVariable => body.push_str(
            "<p><code>lua/main.lua</code> finished without creating variable 1. Call \
             <code>session:createAppVariable(app)</code> with the app object.</p>",
        ),
        StartFailure::Setup(message) => {
            let _ = write!(
                body,
                "<p>The session's Lua VM could not be set up:</p>\n<pre>{}</pre>",
                escape(message)
            );
        }
        StartFailure::Lua(lua) => {
            match &lua.location {
                Some((file, line)) => {
                    let _ = writeln!(
                        body,
                        "<p>Error in <code>{}</code> at line {line}:</p>",
                        escape(file)
                    );
                }
                None => body.push_str("<p>Error while running <code>lua/main.lua</code>:</p>\n"),
            }
            let _ = write!(body, "<pre>{}</pre>", escape(&lua.message));
            if let Some(traceback) = &lua.traceback {
                let _ = write!(
                    body,
                    "\n<details><summary>Stack traceback</summary><pre>{}</pre></details>",
                    escape(traceback)
                );
            }
        }
    }
    body.push_str("\n<p>No session was created. Fix the app and <a href=\"/\">try again</a>.</p>");
    error_page("The app could not start", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::LuaFailure;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn start_failure_names_file_line_and_escaped_message() {
        let page = start_failure(&StartFailure::Lua(LuaFailure {
            message: "lua/main.lua:3: bad <thing>".into(),
            location: Some(("lua/main.lua".into(), 3)),
            traceback: None,
        }));
        assert!(page.contains("<code>lua/main.lua</code> at line 3"));
        assert!(page.contains("bad &lt;thing&gt;"));
        assert!(!page.contains("<thing>"));
    }
}
