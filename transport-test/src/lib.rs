//! In-memory harness for `lunette-core`: a virtual clock, seeded ids, requests as values and a
//! transcript of everything that went in and came out, so that a run (or a property-test
//! failure) replays exactly.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response};
use lunette_core::{Config, ConnId, Core, HttpReply, LogRecord, Output, SeededIds, Site};

mod tab;
pub use tab::{Sent, Tab};

/// Rounds of slices [`Harness::finish_steps`] runs before it calls the steps stuck: far more
/// than the default budget allows one step.
const MAX_SLICE_ROUNDS: usize = 1_000_000;

/// Timeouts [`Harness::advance`] handles at one instant before it calls the deadlines stuck.
const MAX_TIMEOUTS_AT_ONCE: usize = 100_000;

/// A `Core` driven by a virtual clock.
pub struct Harness {
    core: Core,
    start: Instant,
    now: Instant,
    logs: Vec<LogRecord>,
    transcript: Vec<String>,
    /// Text frames each connection has received and not yet taken.
    inbox: BTreeMap<ConnId, Vec<String>>,
    /// Close codes core asked for, per connection.
    closed: BTreeMap<ConnId, u16>,
}

impl Harness {
    /// A core serving `site` with ids drawn from `seed`. The virtual clock starts at an
    /// arbitrary instant and only moves when told to.
    pub fn new(site: Site, config: Config, seed: u64) -> Self {
        let start = Instant::now();
        let core = Core::new(config, site, Box::new(SeededIds::new(seed)), start);
        Self {
            core,
            start,
            now: start,
            logs: Vec::new(),
            transcript: Vec::new(),
            inbox: BTreeMap::new(),
            closed: BTreeMap::new(),
        }
    }

    /// A core serving a site made of just this `lua/main.lua`, default config, seed 1.
    pub fn with_main(main_lua: &str) -> Self {
        Self::new(site_with_main(main_lua), Config::default(), 1)
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// For switches a transport flips outside any request, such as [`Core::set_draining`].
    pub fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    /// Time since the harness started.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// The virtual clock's current instant, as core sees it.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Sends a request and returns the response, draining outputs as a transport would.
    pub fn request(&mut self, method: Method, path: &str) -> Response<Bytes> {
        self.request_with_headers(method, path, &[])
    }

    /// [`Harness::request`] with extra request headers; a `host` among them replaces the
    /// default `localhost:8080`.
    pub fn request_with_headers(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Response<Bytes> {
        let mut request = Request::builder().method(method.clone()).uri(path);
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            request = request.header("host", "localhost:8080");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Bytes::new())
            .expect("a test request is well-formed");
        let response = match self.core.handle_http(self.now, request) {
            Ok(HttpReply::Respond(response)) => response,
            Ok(HttpReply::Upgrade { conn, .. }) => panic!("{path} was upgraded to {conn}"),
            Err(misuse) => panic!("harness misused core: {misuse}"),
        };
        self.record(format!(
            "{} {method} {path} -> {}",
            self.stamp(),
            describe(&response)
        ));
        self.drain();
        response
    }

    pub fn get(&mut self, path: &str) -> Response<Bytes> {
        self.request(Method::GET, path)
    }

    /// `GET /` and the session id from its `Location`, panicking if no session was made.
    pub fn create_session(&mut self) -> String {
        let response = self.get("/");
        assert_eq!(
            response.status(),
            302,
            "GET / should create a session: {}",
            body_text(&response)
        );
        location(&response).trim_start_matches('/').to_owned()
    }

    /// Opens a WebSocket on `/ws/<sid>` as a browser on the same origin would.
    pub fn connect(&mut self, sid: &str) -> ConnId {
        match self.upgrade(sid, &[("origin", "http://localhost:8080")]) {
            Ok(conn) => conn,
            Err(response) => panic!(
                "/ws/{sid} answered {}: {}",
                response.status(),
                body_text(&response)
            ),
        }
    }

    /// A WebSocket upgrade request to `/ws/<sid>` with these extra headers: the connection,
    /// or the response core refused it with. A `host` among the headers replaces the default
    /// `localhost:8080`.
    // Tests read the refusal like any response; its size does not matter here.
    #[allow(clippy::result_large_err)]
    pub fn upgrade(
        &mut self,
        sid: &str,
        headers: &[(&str, &str)],
    ) -> Result<ConnId, Response<Bytes>> {
        let mut request = Request::get(format!("/ws/{sid}"));
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            request = request.header("host", "localhost:8080");
        }
        let mut request = request
            .header("upgrade", "websocket")
            .header("connection", "Upgrade")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Bytes::new())
            .expect("a test request is well-formed");
        let reply = self.core.handle_http(self.now, request);
        let outcome = match reply {
            Ok(HttpReply::Upgrade { conn, .. }) => {
                self.record(format!("{} upgrade /ws/{sid} -> {conn}", self.stamp()));
                self.inbox.entry(conn).or_default();
                Ok(conn)
            }
            Ok(HttpReply::Respond(response)) => {
                self.record(format!(
                    "{} upgrade /ws/{sid} -> {}",
                    self.stamp(),
                    describe(&response)
                ));
                Err(response)
            }
            Err(misuse) => panic!("harness misused core: {misuse}"),
        };
        self.drain();
        outcome
    }

    /// Sends one text message on a connection.
    /// The browser sent these frames, which the transport hands in together.
    pub fn send_all(&mut self, conn: ConnId, texts: &[&str]) {
        for text in texts {
            self.record(format!("{} {conn} <- {text}", self.stamp()));
        }
        if let Err(misuse) = self.core.handle_ws_texts(self.now, conn, texts) {
            panic!("harness misused core: {misuse}");
        }
        self.drain();
        self.finish_steps();
    }

    pub fn send(&mut self, conn: ConnId, text: &str) {
        self.deliver(conn, text);
        self.finish_steps();
    }

    /// Hands core one text message as [`Harness::send`] does, but leaves a step it suspends
    /// (docs/protocol.md §4.6) suspended, as a transport with other inputs waiting would: its
    /// session gets nothing until [`Harness::finish_steps`] or [`Harness::advance`].
    pub fn deliver(&mut self, conn: ConnId, text: &str) {
        self.record(format!("{} {conn} <- {text}", self.stamp()));
        if let Err(misuse) = self.core.handle_ws_text(self.now, conn, text) {
            panic!("harness misused core: {misuse}");
        }
        self.drain();
    }

    /// Runs every suspended step to its end, one slice of each in turn, as a transport does
    /// once no other input is waiting; returns how many rounds of slices that took. Timers
    /// that fall due meanwhile run too, as they would.
    pub fn finish_steps(&mut self) -> usize {
        let mut rounds = 0;
        while self.core.suspended_steps() > 0 {
            rounds += 1;
            assert!(
                rounds <= MAX_SLICE_ROUNDS,
                "steps still suspended after {MAX_SLICE_ROUNDS} rounds of slices"
            );
            if let Err(misuse) = self.core.handle_timeout(self.now) {
                panic!("harness misused core: {misuse}");
            }
            self.drain();
        }
        rounds
    }

    /// The browser closed the connection.
    pub fn close(&mut self, conn: ConnId) {
        self.close_leaving_steps(conn);
        self.finish_steps();
    }

    /// [`Harness::close`], but a step the close starts (forgetting a tab's many variables is
    /// sliced) stays suspended, as [`Harness::deliver`] leaves one.
    pub fn close_leaving_steps(&mut self, conn: ConnId) {
        self.record(format!("{} {conn} closed", self.stamp()));
        if let Err(misuse) = self.core.handle_ws_closed(self.now, conn) {
            panic!("harness misused core: {misuse}");
        }
        self.inbox.remove(&conn);
        self.drain();
    }

    /// Site files changed on disk, as a transport with `--hotload` reports them: site path
    /// and new text, `None` for a deleted file.
    pub fn change_files(&mut self, changes: &[(&str, Option<&str>)]) {
        let changes = changes
            .iter()
            .map(|(path, text)| {
                let contents = text.map(|t| Bytes::copy_from_slice(t.as_bytes()));
                ((*path).to_owned(), contents)
            })
            .collect();
        self.record(format!("{} site changed {changes:?}", self.stamp()));
        if let Err(misuse) = self.core.handle_site_changes(self.now, changes) {
            panic!("harness misused core: {misuse}");
        }
        self.drain();
        self.finish_steps();
    }

    /// Frames the connection received since the last call, oldest first.
    pub fn frames(&mut self, conn: ConnId) -> Vec<String> {
        self.inbox
            .get_mut(&conn)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The close code core asked for on this connection, if any.
    pub fn close_code(&self, conn: ConnId) -> Option<u16> {
        self.closed.get(&conn).copied()
    }

    /// Moves the clock forward by `by`, firing every deadline on the way at its own time.
    /// Panics if the deadlines stop moving forward: more than [`MAX_TIMEOUTS_AT_ONCE`] in a
    /// row at one instant (a `setImmediate` that keeps rescheduling itself, say).
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        let mut at_once = 0;
        loop {
            match self.core.next_deadline() {
                Some((deadline, why)) if deadline <= target => {
                    assert!(
                        deadline >= self.now,
                        "core's deadline for {why:?} is before the last now"
                    );
                    at_once = if deadline > self.now { 0 } else { at_once + 1 };
                    assert!(
                        at_once <= MAX_TIMEOUTS_AT_ONCE,
                        "deadlines stopped moving forward: {at_once} timeouts at {}, the last for {why:?}",
                        self.stamp()
                    );
                    self.now = self.now.max(deadline);
                    self.record(format!("{} timeout", self.stamp()));
                    if let Err(misuse) = self.core.handle_timeout(self.now) {
                        panic!("harness misused core: {misuse}");
                    }
                    self.drain();
                }
                _ => break,
            }
        }
        self.now = target;
    }

    /// Moves the clock to `at` (never back) and, if a deadline is due by then, calls
    /// `handle_timeout` once. Unlike [`Harness::advance`] it does not call again for what that
    /// call scheduled at the same instant (a `setImmediate` chain), so a driver can bound it.
    pub fn step_to(&mut self, at: Instant) {
        self.now = self.now.max(at);
        if self.core.poll_timeout().is_some_and(|due| due <= self.now) {
            self.record(format!("{} timeout", self.stamp()));
            if let Err(misuse) = self.core.handle_timeout(self.now) {
                panic!("harness misused core: {misuse}");
            }
            self.drain();
        }
    }

    /// Log records core has produced so far.
    pub fn logs(&self) -> &[LogRecord] {
        &self.logs
    }

    /// Every input and output so far, one line each, timestamps relative to the start.
    pub fn transcript(&self) -> &[String] {
        &self.transcript
    }

    fn drain(&mut self) {
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Log(record) => {
                    self.record(format!("{} log {record:?}", self.stamp()));
                    self.logs.push(record);
                }
                Output::WsSend { conn, text } => {
                    self.record(format!("{} {conn} -> {text}", self.stamp()));
                    assert!(
                        self.inbox.contains_key(&conn),
                        "core sent a frame to {conn}, which is not open"
                    );
                    self.inbox.entry(conn).or_default().push(text);
                }
                Output::WsClose { conn, code } => {
                    self.record(format!("{} {conn} close {code}", self.stamp()));
                    self.closed.insert(conn, code);
                    // As a transport does once the socket is closed.
                    if let Err(misuse) = self.core.handle_ws_closed(self.now, conn) {
                        panic!("harness misused core: {misuse}");
                    }
                }
            }
        }
    }

    fn stamp(&self) -> String {
        format!("t={}us", self.elapsed().as_micros())
    }

    fn record(&mut self, line: String) {
        self.transcript.push(line);
    }
}

/// A site with only `lua/main.lua`.
pub fn site_with_main(main_lua: &str) -> Site {
    Site::from_texts(&[("lua/main.lua", main_lua)])
}

/// The response's `Location` header, or `""`.
pub fn location(response: &Response<Bytes>) -> &str {
    header(response, "location")
}

/// A response header as text, or `""` when absent.
pub fn header<'a>(response: &'a Response<Bytes>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

pub fn body_text(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

fn describe(response: &Response<Bytes>) -> String {
    let mut line = response.status().as_u16().to_string();
    for (name, value) in response.headers() {
        line.push_str(&format!(" {name}={}", value.to_str().unwrap_or("<binary>")));
    }
    line.push_str(&format!(" body={:?}", body_text(response)));
    line
}

impl Harness {
    /// `/<sid>/variables.json` parsed, panicking if the session is not live.
    pub fn variables(&mut self, sid: &str) -> serde_json::Value {
        let response = self.get(&format!("/{sid}/variables.json"));
        assert_eq!(response.status(), 200, "session {sid} should be live");
        serde_json::from_slice(response.body()).expect("variables.json is JSON")
    }

    /// A property of variable 1 as `/<sid>/variables.json` shows it.
    pub fn app_property(&mut self, sid: &str, name: &str) -> Option<String> {
        let variables = self.variables(sid);
        variables[0]["properties"][name].as_str().map(str::to_owned)
    }
}
