//! HTTP routes (docs/protocol.md §2): `GET /` creates a session, `/<sid>` serves its page, the
//! debug page and JSON, and static files from the site or the built-in assets.

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use percent_encoding::percent_decode_str;

use crate::assets;
use crate::core::{Core, HttpReply};
use crate::debug;
use crate::headers;
use crate::ids::{ConnId, SessionId};
use crate::output::{LogLevel, LogRecord, Output};
use crate::pages;
use crate::session::manager::{Created, StepContext};

impl Core {
    pub(crate) fn route(&mut self, request: Request<Bytes>) -> HttpReply {
        let mut reply = self.route_checked(request);
        if let HttpReply::Respond(response) = &mut reply {
            response.headers_mut().insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
        }
        reply
    }

    fn route_checked(&mut self, request: Request<Bytes>) -> HttpReply {
        if !headers::host_allowed(&request, self.config.allowed_hosts.as_deref()) {
            let host = header_text(&request, header::HOST);
            return HttpReply::Respond(html(
                StatusCode::MISDIRECTED_REQUEST,
                pages::misdirected(host),
            ));
        }
        let method = request.method();
        if method != Method::GET && method != Method::HEAD {
            let mut response = html(
                StatusCode::METHOD_NOT_ALLOWED,
                pages::method_not_allowed(method.as_str()),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return HttpReply::Respond(response);
        }
        if let Some(sid) = request
            .uri()
            .path()
            .strip_prefix("/ws/")
            .and_then(SessionId::parse)
        {
            return self.websocket(&sid, &request);
        }
        HttpReply::Respond(self.route_page(&request))
    }

    fn route_page(&mut self, request: &Request<Bytes>) -> Response<Bytes> {
        let head = request.method() == Method::HEAD;
        let mut response = self.route_get(request);
        // A 304 has no body to measure: its length would mislead (RFC 9110 §15.4.5).
        if head && response.status() != StatusCode::NOT_MODIFIED {
            let length = response.body().len();
            *response.body_mut() = Bytes::new();
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        response
    }

    fn route_get(&mut self, request: &Request<Bytes>) -> Response<Bytes> {
        let Ok(path) = percent_decode_str(request.uri().path()).decode_utf8() else {
            return html(
                StatusCode::BAD_REQUEST,
                pages::bad_request("The path is not valid UTF-8."),
            );
        };
        if path == "/" && self.draining {
            let mut response = html(StatusCode::SERVICE_UNAVAILABLE, pages::draining());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return response;
        }
        if path == "/" {
            return self.create_session();
        }
        let mut segments = path.trim_start_matches('/').split('/');
        let first = segments.next().unwrap_or_default();
        if let Some(sid) = SessionId::parse(first) {
            let rest: Vec<&str> = segments.collect();
            return match rest.as_slice() {
                ["variables" | "variables.json"] if !self.config.debug_pages => {
                    html(StatusCode::NOT_FOUND, pages::not_found(&path))
                }
                ["variables"] => self.variables_page(&sid),
                ["variables.json"] => self.variables_json(&sid),
                _ => self.session_page(&sid, headers::forwarded_https(request)),
            };
        }
        self.static_file(&path, header_text(request, header::IF_NONE_MATCH))
    }

    /// `/ws/<sid>` (§3.1): core decides; the transport completes the handshake.
    fn websocket(&mut self, sid: &SessionId, request: &Request<Bytes>) -> HttpReply {
        if !self.sessions.exists(sid) {
            return HttpReply::Respond(html(StatusCode::NOT_FOUND, pages::expired()));
        }
        if !is_websocket_upgrade(request) {
            return HttpReply::Respond(html(
                StatusCode::BAD_REQUEST,
                pages::bad_request("This address only accepts WebSocket upgrade requests."),
            ));
        }
        if !origin_allowed(request, &self.config.allow_origins) {
            return HttpReply::Respond(html(
                StatusCode::FORBIDDEN,
                pages::forbidden("The page's origin may not open this session's WebSocket."),
            ));
        }
        if !self.sessions.can_connect(sid, &self.config) {
            let mut response = html(StatusCode::SERVICE_UNAVAILABLE, pages::busy());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return HttpReply::Respond(response);
        }
        self.last_conn += 1;
        let conn = ConnId(self.last_conn);
        self.connections.insert(conn, *sid);
        let (mut cx, sessions, _) = self.step_context();
        sessions.connect(sid, conn, &mut cx);
        HttpReply::Upgrade {
            conn,
            session: *sid,
        }
    }

    pub(crate) fn step_context(
        &mut self,
    ) -> (
        StepContext<'_>,
        &mut crate::session::SessionManager,
        &mut dyn crate::ids::IdSource,
    ) {
        (
            StepContext {
                config: &self.config,
                site: &self.site,
                chunks: &self.chunks,
                viewdefs: &self.viewdefs,
                start: self.start,
                now: self.now,
                outputs: &mut self.outputs,
                counters: &self.counters,
            },
            &mut self.sessions,
            self.ids.as_mut(),
        )
    }

    fn create_session(&mut self) -> Response<Bytes> {
        let (mut cx, sessions, ids) = self.step_context();
        match sessions.create(ids, &mut cx) {
            Created::Session(sid) => {
                cx.outputs.push_back(Output::Log(LogRecord {
                    level: LogLevel::Debug,
                    session: Some(sid),
                    message: "session created".into(),
                }));
                let mut response = empty(StatusCode::FOUND);
                let headers = response.headers_mut();
                headers.insert(header::LOCATION, header_value(&format!("/{sid}")));
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Created::Full => {
                let mut response = html(StatusCode::SERVICE_UNAVAILABLE, pages::full());
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                response
            }
            Created::Failed(failure) => {
                cx.outputs.push_back(Output::Log(LogRecord {
                    level: LogLevel::Error,
                    session: None,
                    message: format!("app failed to start: {failure}"),
                }));
                html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    pages::start_failure(&failure),
                )
            }
        }
    }

    fn session_page(&mut self, sid: &SessionId, https: bool) -> Response<Bytes> {
        let (mut cx, sessions, _) = self.step_context();
        if !sessions.exists(sid) {
            return html(StatusCode::NOT_FOUND, pages::expired());
        }
        sessions.touch(sid, &mut cx);
        let body = match cx.site.get("html/index.html") {
            Some(index) => index.clone(),
            None => Bytes::from_static(pages::shell().as_bytes()),
        };
        // A site that brings its own client may not use the built-in modules.
        let own_client = cx
            .site
            .get(&format!("html{}", assets::CLIENT_ENTRY))
            .is_some();
        let policy = match headers::app_policy(cx.site.get(headers::SITE_POLICY)) {
            Ok(policy) => policy,
            Err(problem) => {
                cx.outputs.push_back(Output::Log(LogRecord {
                    level: LogLevel::Warn,
                    session: Some(*sid),
                    message: format!("{problem}: serving the built-in policy"),
                }));
                Some(HeaderValue::from_static(headers::APP_POLICY))
            }
        };
        let mut response = html(StatusCode::OK, body);
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::SET_COOKIE,
            header_value(&headers::session_cookie(&sid.to_string(), https)),
        );
        match policy {
            Some(policy) => headers.insert(header::CONTENT_SECURITY_POLICY, policy),
            None => headers.remove(header::CONTENT_SECURITY_POLICY),
        };
        if !own_client {
            headers.insert(header::LINK, headers::module_preloads());
        }
        response
    }

    fn variables_page(&self, sid: &SessionId) -> Response<Bytes> {
        if !self.sessions.exists(sid) {
            return html(StatusCode::NOT_FOUND, pages::expired());
        }
        let mut response = html(StatusCode::OK, debug::VARIABLES_PAGE);
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(headers::DEBUG_POLICY),
        );
        response
    }

    fn variables_json(&mut self, sid: &SessionId) -> Response<Bytes> {
        let (status, body) = match self.sessions.get(sid) {
            Some(session) => {
                let number = |conn| session.connections.get(&conn).map(|c| c.number);
                let json = session
                    .backend
                    .look(|tracker| debug::variables_json(tracker, number));
                (StatusCode::OK, json)
            }
            None if self.sessions.exists(sid) => (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"error":"the session is in the middle of a long step; try again"}"#.to_owned(),
            ),
            None => (
                StatusCode::NOT_FOUND,
                r#"{"error":"unknown session"}"#.to_owned(),
            ),
        };
        let mut response = with_body(status, "application/json", body);
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    /// A site file or built-in asset. Browsers keep these but ask before each use
    /// (`no-cache`), so a reload costs a `304` per file and never runs a stale client; the
    /// `ETag` is a hash of the bytes, so it changes exactly when the content does (a new
    /// build, a site file edited under `--hotload`).
    fn static_file(&self, path: &str, if_none_match: &str) -> Response<Bytes> {
        let unsafe_segment = path.split('/').any(|segment| segment == "..");
        if unsafe_segment || path.contains('\\') || path.contains('\0') {
            return html(
                StatusCode::BAD_REQUEST,
                pages::bad_request("Paths may not contain '..' segments, backslashes or NUL."),
            );
        }
        if path.ends_with('/') {
            return html(StatusCode::NOT_FOUND, pages::not_found(path));
        }
        let found = match self.site.get(&format!("html{path}")) {
            Some(body) => {
                let etag = assets::entity_tag(assets::content_hash(body));
                Some((body.clone(), etag))
            }
            None => assets::builtin(path, |path| self.site.get(&format!("html{path}")).is_some())
                .map(|(text, etag)| (Bytes::from_static(text.as_bytes()), etag)),
        };
        let Some((body, etag)) = found else {
            return html(StatusCode::NOT_FOUND, pages::not_found(path));
        };
        let mut response = if assets::none_match_hits(if_none_match, &etag) {
            empty(StatusCode::NOT_MODIFIED)
        } else {
            with_body(StatusCode::OK, assets::content_type(path), body)
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::ETAG, header_value(&etag));
        response
    }
}

fn header_text(request: &Request<Bytes>, name: header::HeaderName) -> &str {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

fn has_token(list: &str, token: &str) -> bool {
    list.split(',')
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// An RFC 6455 opening handshake: `GET` with `Upgrade: websocket`, `Connection: upgrade`, a
/// key and version 13.
fn is_websocket_upgrade(request: &Request<Bytes>) -> bool {
    request.method() == Method::GET
        && has_token(header_text(request, header::UPGRADE), "websocket")
        && has_token(header_text(request, header::CONNECTION), "upgrade")
        && !header_text(request, header::SEC_WEBSOCKET_KEY).is_empty()
        && header_text(request, header::SEC_WEBSOCKET_VERSION) == "13"
}

/// No `Origin`, one naming the request's own host (and port), or an allowed one (§3.1).
fn origin_allowed(request: &Request<Bytes>, allowed: &[String]) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return false,
    };
    let host = header_text(request, header::HOST);
    let without_default = |h: &str| {
        h.strip_suffix(default_port)
            .unwrap_or(h)
            .to_ascii_lowercase()
    };
    !host.is_empty() && without_default(authority) == without_default(host)
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn empty(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if content_type.starts_with("text/html") {
        headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    }
    response
}

/// A page core wrote; error pages keep the strict policy set here, the app and debug pages
/// replace it with their own.
fn html(status: StatusCode, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = with_body(status, "text/html; charset=utf-8", body);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(headers::ERROR_PAGE_POLICY),
    );
    response
}
