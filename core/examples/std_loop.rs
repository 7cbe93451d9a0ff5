//! lunette's core in a hand-written, single-threaded event loop over `std::net`: no async
//! runtime, no threads. It serves a site directory (default `demo/adder`) on 127.0.0.1.
//!
//! ```sh
//! cargo run -p lunette-core --example std_loop -- demo/adder --port 8080   # --port 0: any
//! ```
//!
//! The loop follows core's driving contract (see the `lunette_core` crate docs):
//!
//! 1. call one `handle_*` method with `now` (`Instant::now()`, which never goes backwards);
//! 2. drain `poll_output()` until it returns `None` ([`Server::step`] does 1 and 2 together);
//! 3. keep one timer, `poll_timeout()`, and call `handle_timeout(now)` once it has passed.
//!
//! Everything else is this file's job: sockets, HTTP/1.1 framing (heads parsed by `httparse`),
//! the `101` handshake, WebSocket framing (`tungstenite` over the raw socket), the clock, the
//! site's files and the randomness behind session ids (`/dev/urandom`).
//!
//! One shortcut, stated honestly: std has no readiness API (epoll, kqueue), so every socket is
//! nonblocking and the loop polls them all, then naps a few milliseconds when nothing happened
//! (never past core's deadline). A production loop would wait for readiness with the deadline
//! as its timeout (mio, `poll(2)`); its calls into core would be exactly these. Also left out
//! for brevity: WebSocket pings (docs/protocol.md §3.1), `--hotload`, and site subfolders.

// clippy.toml bans the clock, files and sockets to keep core's library sans-IO. This example
// is a transport: that I/O is its whole point.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{Response, StatusCode, header};
use httparse::Status;
use lunette_core::{Config, ConnId, Core, HttpReply, IdSource, Misuse, Output, Site};
use tungstenite::error::{Error as WsError, ProtocolError};
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

/// A request head larger than this gets `431` and the connection is closed.
const MAX_HEAD: usize = 16 * 1024;
/// An HTTP connection that completes no request for this long is closed (docs/protocol.md §3.1).
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a closing WebSocket may take to finish its close handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// How long an iteration that found nothing to do naps: with sockets open, and without.
const BUSY_NAP: Duration = Duration::from_millis(2);
const IDLE_NAP: Duration = Duration::from_millis(50);

fn main() -> io::Result<()> {
    let (mut dir, mut port) = (String::from("demo/adder"), 0u16);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port N"),
            _ => dir = arg,
        }
    }
    let site = read_site(Path::new(&dir))?;
    let ids = Box::new(Urandom(File::open("/dev/urandom")?));
    // Lua's `os.time` counts from `epoch`: the wall time at the `now` given to `Core::new`.
    let (now, epoch) = (Instant::now(), SystemTime::now());
    let config = Config {
        epoch,
        ..Config::default()
    };
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    println!("listening on http://{}/", listener.local_addr()?);
    let core = Core::new(config, site, ids, now);
    let (http, ws) = (Vec::new(), BTreeMap::new());
    let mut server = Server {
        core,
        listener,
        http,
        ws,
    };
    server.drain(now); // `Core::new` logs problems it found in the site.
    server.run()
}

/// The files of `lua/`, `viewdefs/` and `html/` under `root`: core never opens a file itself.
fn read_site(root: &Path) -> io::Result<Site> {
    let mut site = Site::new();
    for folder in ["lua", "viewdefs", "html"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                let path = format!("{folder}/{}", entry.file_name().to_string_lossy());
                site.insert(&path, Bytes::from(std::fs::read(entry.path())?));
            }
        }
    }
    Ok(site)
}

/// Session ids and Lua seeds from the OS. (The `lunette` binary uses `getrandom`.)
struct Urandom(File);

impl IdSource for Urandom {
    fn fill(&mut self, dest: &mut [u8]) {
        self.0.read_exact(dest).expect("/dev/urandom is readable");
    }
}

struct Server {
    core: Core,
    listener: TcpListener,
    /// Connections still speaking HTTP.
    http: Vec<HttpConn>,
    /// Upgraded connections, by the id core gave them: outputs name them by it.
    ws: BTreeMap<ConnId, Ws>,
}

struct HttpConn {
    stream: TcpStream,
    /// Received bytes not yet parsed: a partial head, or the next request.
    input: Vec<u8>,
    /// Response bytes the socket has not taken yet (`WouldBlock`).
    output: Vec<u8>,
    /// Close once `output` is written.
    close: bool,
    /// The peer has shut its sending side.
    eof: bool,
    /// When the connection opened or last completed a request head.
    since: Instant,
}

struct Ws {
    socket: WebSocket<TcpStream>,
    /// When core was told the connection ended; from then on the socket only finishes its
    /// close handshake, for at most `CLOSE_GRACE`.
    ended: Option<Instant>,
}

impl Server {
    fn run(&mut self) -> ! {
        loop {
            let mut busy = self.accept();
            busy |= self.serve_http();
            busy |= self.serve_ws();
            // Step 3 of the contract: the one timer.
            let due = self.core.poll_timeout();
            if due.is_some_and(|due| due <= Instant::now()) {
                self.step(|core, now| core.handle_timeout(now));
                continue;
            }
            if !busy {
                let open = !self.http.is_empty() || !self.ws.is_empty();
                let nap = if open { BUSY_NAP } else { IDLE_NAP };
                let until_due = due.map(|due| due.saturating_duration_since(Instant::now()));
                std::thread::sleep(until_due.map_or(nap, |d| d.min(nap)));
            }
        }
    }

    /// Steps 1 and 2 of the contract: one input, then every output it caused.
    fn step<T>(
        &mut self,
        input: impl FnOnce(&mut Core, Instant) -> Result<T, Misuse>,
    ) -> Option<T> {
        let now = Instant::now();
        let result = input(&mut self.core, now);
        self.drain(now);
        result
            .inspect_err(|e| eprintln!("core refused a call: {e}"))
            .ok()
    }

    fn drain(&mut self, now: Instant) {
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Log(record) => {
                    // A sid is a bearer credential: logs show only its short form.
                    let sid = record.session.map(|sid| sid.short()).unwrap_or_default();
                    eprintln!("{:?} {sid} {}", record.level, record.message);
                }
                Output::WsSend { conn, text } => {
                    let Some(ws) = self.ws.get_mut(&conn).filter(|ws| ws.ended.is_none()) else {
                        continue;
                    };
                    // What the socket cannot take now stays in tungstenite's write buffer, our
                    // queue, which `serve_ws` flushes on later iterations.
                    match ws.socket.send(Message::text(text)) {
                        Err(WsError::WriteBufferFull(_)) => self.end(now, conn, Some(1011)),
                        Err(e) if !would_block(&e) => self.end(now, conn, None),
                        _ => {}
                    }
                }
                Output::WsClose { conn, code } => self.end(now, conn, Some(code)),
            }
        }
    }

    /// A WebSocket connection ends: core hears of it exactly once, a close it asked for
    /// included, and the peer gets `code` in a close frame if there is one. Call `drain` after.
    fn end(&mut self, now: Instant, conn: ConnId, code: Option<u16>) {
        let Some(ws) = self.ws.get_mut(&conn).filter(|ws| ws.ended.is_none()) else {
            return;
        };
        ws.ended = Some(now);
        if let Some(code) = code {
            let frame = CloseFrame {
                code: code.into(),
                reason: "".into(),
            };
            let _ = ws.socket.close(Some(frame));
        }
        if let Err(misuse) = self.core.handle_ws_closed(now, conn) {
            eprintln!("core refused a close: {misuse}");
        }
    }

    fn accept(&mut self) -> bool {
        let mut busy = false;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    busy = true;
                    if stream.set_nonblocking(true).is_ok() {
                        self.http.push(HttpConn::new(stream));
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return busy,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    return busy;
                }
            }
        }
    }

    fn serve_http(&mut self) -> bool {
        let mut busy = false;
        for mut conn in std::mem::take(&mut self.http) {
            busy |= conn.receive();
            let upgrade = self.answer(&mut conn);
            conn.close |= conn.eof;
            busy |= conn.transmit();
            let done = conn.close && conn.output.is_empty();
            if let Some((id, accept)) = upgrade {
                self.upgrade(conn, id, &accept);
            } else if !done && conn.since.elapsed() < HEAD_TIMEOUT {
                self.http.push(conn);
            }
        }
        busy
    }

    /// Answers the next request if its head is complete. One request at a time: the next one
    /// is parsed once the answer to this one is written. Returns the connection id and the
    /// `Sec-WebSocket-Accept` value when core accepts a WebSocket upgrade.
    fn answer(&mut self, conn: &mut HttpConn) -> Option<(ConnId, String)> {
        if conn.close || !conn.output.is_empty() {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut head = httparse::Request::new(&mut headers);
        let (length, error) = match head.parse(&conn.input) {
            Ok(Status::Complete(length)) if length <= MAX_HEAD => (length, None),
            Ok(Status::Partial) if conn.input.len() <= MAX_HEAD => return None,
            Ok(_) | Err(httparse::Error::TooManyHeaders) => (0, Some(431)),
            Err(_) => (0, Some(400)),
        };
        let http10 = head.version == Some(0);
        let mut request = http::Request::builder()
            .method(head.method.unwrap_or_default())
            .uri(head.path.unwrap_or_default());
        for h in head.headers.iter() {
            request = request.header(h.name, h.value);
        }
        let request = match (error, request.body(Bytes::new())) {
            (None, Ok(request)) => request,
            (error, _) => {
                conn.respond(plain(error.unwrap_or(400)), true);
                return None;
            }
        };
        conn.input.drain(..length);
        conn.since = Instant::now();
        let headers = request.headers();
        let connection = headers
            .get(header::CONNECTION)
            .and_then(|v| v.to_str().ok());
        let wants_close = connection.is_some_and(|v| v.to_ascii_lowercase().contains("close"));
        // Core's routes take only GET and HEAD, so a body is never read: after a request that
        // announces one, close rather than parse the body as the next request.
        let body = headers.contains_key(header::TRANSFER_ENCODING)
            || headers
                .get(header::CONTENT_LENGTH)
                .is_some_and(|v| v != "0");
        let close = http10 || wants_close || body;
        let key = headers.get(header::SEC_WEBSOCKET_KEY);
        let accept = key
            .map(|key| derive_accept_key(key.as_bytes()))
            .unwrap_or_default();
        match self.step(|core, now| core.handle_http(now, request)) {
            Some(HttpReply::Respond(response)) => conn.respond(response, close),
            Some(HttpReply::Upgrade { conn: id, .. }) => return Some((id, accept)),
            None => conn.respond(plain(500), true),
        }
        None
    }

    /// Completes the handshake core accepted. Bytes already received after the request head
    /// are the client's first frames.
    fn upgrade(&mut self, mut conn: HttpConn, id: ConnId, accept: &str) {
        let handshake = format!(
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\
             sec-websocket-accept: {accept}\r\n\r\n"
        );
        // The answer to the previous request is written (one at a time, see `answer`), so these
        // ~130 bytes fit in the socket's buffer: if they do not go out, the peer is gone.
        if conn.output.is_empty() && conn.stream.write_all(handshake.as_bytes()).is_ok() {
            let config = WebSocketConfig::default()
                .max_message_size(Some(1 << 20)) // docs/protocol.md §1.1 `--max-frame-bytes`
                .max_frame_size(Some(1 << 20))
                .max_write_buffer_size(4 << 20);
            let (stream, input) = (conn.stream, conn.input);
            let socket = WebSocket::from_partially_read(stream, input, Role::Server, Some(config));
            self.ws.insert(
                id,
                Ws {
                    socket,
                    ended: None,
                },
            );
        } else {
            // Core's contract: a handshake that cannot be completed is reported as a close.
            self.step(|core, now| core.handle_ws_closed(now, id));
        }
    }

    fn serve_ws(&mut self) -> bool {
        let mut busy = false;
        for conn in self.ws.keys().copied().collect::<Vec<_>>() {
            // A bounded number of messages per connection and iteration, so that one chatty
            // peer cannot starve the others.
            for _ in 0..16 {
                let Some(ws) = self.ws.get_mut(&conn) else {
                    break;
                };
                let now = Instant::now();
                if let Some(ended) = ws.ended {
                    // Closing: tungstenite sends and awaits close frames inside flush and read;
                    // any other error than `WouldBlock` (`ConnectionClosed` too) means it is over.
                    let results = [ws.socket.flush(), ws.socket.read().map(drop)];
                    let over = results
                        .into_iter()
                        .any(|r| r.is_err_and(|e| !would_block(&e)));
                    if over || now - ended > CLOSE_GRACE {
                        self.ws.remove(&conn);
                    }
                    break;
                }
                // First push out what met `WouldBlock` earlier, then read one message. A peer
                // that does not read our frames is not read either, until it catches up.
                let code = match ws.socket.flush().and_then(|()| ws.socket.read()) {
                    Err(e) if would_block(&e) => break,
                    Ok(Message::Text(text)) => {
                        busy = true;
                        self.step(|core, now| core.handle_ws_text(now, conn, text.as_str()));
                        continue;
                    }
                    Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                    Ok(Message::Binary(_)) => Some(1003),
                    // The peer's close: tungstenite queued the reply, the next flush sends it.
                    Ok(Message::Close(_)) => None,
                    Err(WsError::Capacity(_)) => Some(1009),
                    Err(WsError::Utf8(_)) => Some(1007),
                    Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)) => None,
                    Err(WsError::Protocol(_)) => Some(1002),
                    Err(_) => None,
                };
                busy = true;
                self.end(now, conn, code);
                self.drain(now);
            }
        }
        busy
    }
}

impl HttpConn {
    fn new(stream: TcpStream) -> Self {
        let (input, output, since) = (Vec::new(), Vec::new(), Instant::now());
        let (close, eof) = (false, false);
        Self {
            stream,
            input,
            output,
            close,
            eof,
            since,
        }
    }

    /// Reads what the socket has, up to a little past `MAX_HEAD` of unparsed input.
    fn receive(&mut self) -> bool {
        let mut busy = false;
        let mut chunk = [0; 4096];
        while !self.eof && !self.close && self.input.len() <= MAX_HEAD {
            match self.stream.read(&mut chunk) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Ok(0) => self.eof = true, // answer what the peer sent, then close
                Ok(n) => self.input.extend_from_slice(&chunk[..n]),
                Err(_) => self.gone(),
            }
            busy = true;
        }
        busy
    }

    /// Writes what the socket takes of `output`.
    fn transmit(&mut self) -> bool {
        let mut busy = false;
        while !self.output.is_empty() {
            match self.stream.write(&self.output) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Ok(0) | Err(_) => self.gone(),
                Ok(n) => drop(self.output.drain(..n)),
            }
            busy = true;
        }
        busy
    }

    /// The socket failed: nothing more can be said on it.
    fn gone(&mut self) {
        self.close = true;
        self.output.clear();
    }

    /// Queues `response` as HTTP/1.1: status line, headers, `content-length`, body.
    fn respond(&mut self, response: Response<Bytes>, close: bool) {
        let (parts, body) = response.into_parts();
        let reason = parts.status.canonical_reason().unwrap_or("");
        let mut head = format!("HTTP/1.1 {} {reason}\r\n", parts.status.as_str());
        for (name, value) in &parts.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            head += &format!("{name}: {value}\r\n");
        }
        // Core sets it on a `HEAD` answer (a `GET`'s length); otherwise it is the body's.
        if !parts.headers.contains_key(header::CONTENT_LENGTH) {
            head += &format!("content-length: {}\r\n", body.len());
        }
        if close {
            head += "connection: close\r\n";
        }
        self.output.extend_from_slice(head.as_bytes());
        self.output.extend_from_slice(b"\r\n");
        self.output.extend_from_slice(&body);
        self.close |= close;
    }
}

/// A short plain-text answer of the loop itself (not of core).
fn plain(status: u16) -> Response<Bytes> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Bytes::from(format!("{status}\n")));
    *response.status_mut() = status;
    response
}

fn would_block(error: &WsError) -> bool {
    matches!(error, WsError::Io(e) if e.kind() == ErrorKind::WouldBlock)
}
