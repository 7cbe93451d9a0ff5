//! Helpers for tests that run the real `lunette` binary: start it on a free port, speak
//! HTTP/1.1 and WebSocket to it over plain TCP sockets, stop it with a signal, make site
//! directories.

#![allow(dead_code)] // each test file uses its own subset

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use tungstenite::protocol::{Role, WebSocket};

pub const BINARY: &str = env!("CARGO_BIN_EXE_lunette");
const PATIENCE: Duration = Duration::from_secs(20);

/// A running `lunette --port 0 …`, killed on drop if it is still running.
pub struct Server {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    /// The startup line, e.g. `lunette serving … at http://127.0.0.1:41234/`.
    pub banner: String,
    /// `127.0.0.1:41234`
    pub addr: String,
    stderr: Arc<Mutex<String>>,
    /// Copies stderr into `stderr` until the pipe closes.
    stderr_reader: Option<thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lunette");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr pipe");
        let sink = Arc::clone(&stderr);
        let stderr_reader = thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                sink.lock().expect("stderr lock").push_str(&text);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout pipe"));
        let (sender, receiver) = mpsc::channel();
        let reader = thread::spawn(move || {
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = sender.send(line);
            stdout
        });
        let banner = match receiver.recv_timeout(PATIENCE) {
            Ok(line) => line.trim_end().to_owned(),
            Err(_) => {
                let _ = child.kill();
                panic!("lunette printed no startup line");
            }
        };
        let stdout = reader.join().expect("stdout reader");
        let Some(addr) = banner
            .split_once(" at http://")
            .and_then(|(_, rest)| rest.strip_suffix('/'))
            .map(str::to_owned)
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "unexpected startup line {banner:?}; stderr: {}",
                stderr.lock().expect("stderr lock")
            );
        };
        Self {
            child,
            _stdout: stdout,
            banner,
            addr,
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        ))
    }

    /// Sends one raw request on a fresh connection and reads one response.
    pub fn send(&self, raw: &str) -> Reply {
        let mut stream = self.connect();
        stream.write_all(raw.as_bytes()).expect("write request");
        read_reply(&mut stream)
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.addr).expect("connect to lunette");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("set read timeout");
        stream
    }

    /// Like [`Server::connect`], with the receive buffer set to `bytes` before connecting, so
    /// that the kernel holds little for a client that does not read.
    pub fn connect_with_receive_buffer(&self, bytes: usize) -> TcpStream {
        let addr: std::net::SocketAddr = self.addr.parse().expect("server address");
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            None,
        )
        .expect("create a socket");
        socket
            .set_recv_buffer_size(bytes)
            .expect("set the receive buffer");
        socket.connect(&addr.into()).expect("connect to lunette");
        let stream = TcpStream::from(socket);
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("set read timeout");
        stream
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// Everything the server wrote to stderr, read to the end: waits for it to exit and for
    /// the pipe to close.
    pub fn stderr_to_end(&mut self) -> String {
        self.wait();
        if let Some(reader) = self.stderr_reader.take() {
            reader.join().expect("the stderr reader ends with the pipe");
        }
        self.stderr()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` (`TERM`, `INT`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    pub fn wait(&mut self) -> ExitStatus {
        wait_for(&mut self.child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `child` to exit, killing it and failing the test after a while.
pub fn wait_for(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            return status;
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("lunette did not exit within {PATIENCE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `lunette ARGS` to completion: exit code, stdout, stderr.
pub fn run_to_exit(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(BINARY)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lunette");
    let status = wait_for(&mut child);
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_string(&mut stdout).expect("read stdout");
    }
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("read stderr");
    }
    (status.code(), stdout, stderr)
}

/// One HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response (head, then a `Content-Length` body) from `stream`.
pub fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).expect("read response head") {
            0 => panic!(
                "connection closed inside a response head: {:?}",
                String::from_utf8_lossy(&head)
            ),
            _ => head.push(byte[0]),
        }
    }
    let head = String::from_utf8(head).expect("response head is UTF-8");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map_or(0, |(_, value)| {
            value.parse().expect("numeric content-length")
        });
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("read response body");
    Reply {
        status,
        headers,
        body,
    }
}

/// A site directory under the system temp dir, removed on drop.
pub struct TempSite {
    pub root: PathBuf,
}

impl TempSite {
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "lunette-test-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("create temp site");
        Self { root }
    }

    pub fn write(&self, relative: &str, contents: &str) -> &Self {
        let path = self.root.join(relative);
        fs::create_dir_all(path.parent().expect("file has a parent")).expect("create folders");
        fs::write(path, contents).expect("write site file");
        self
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    pub fn arg(&self) -> &str {
        self.root.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempSite {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The sid of a `Location: /<sid>` header, checked to be 32 lowercase hex digits.
pub fn sid_of_location(location: &str) -> String {
    let sid = location
        .strip_prefix('/')
        .unwrap_or_else(|| panic!("location {location:?} is not absolute"));
    assert_eq!(sid.len(), 32, "sid {sid:?}");
    assert!(
        sid.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "sid {sid:?}"
    );
    sid.to_owned()
}

/// RFC 6455's example key and the accept value it must produce.
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

pub type Socket = WebSocket<TcpStream>;

pub fn new_session(server: &Server) -> String {
    let root = server.get("/");
    assert_eq!(root.status, 302);
    sid_of_location(root.header("location").expect("Location header"))
}

/// Sends an upgrade request for `path` and reads the answer, keeping the connection.
pub fn request_upgrade(server: &Server, path: &str, origin: Option<&str>) -> (Reply, TcpStream) {
    request_upgrade_on(server.connect(), server, path, origin)
}

/// [`request_upgrade`] on a connection of the caller's.
pub fn request_upgrade_on(
    mut stream: TcpStream,
    server: &Server,
    path: &str,
    origin: Option<&str>,
) -> (Reply, TcpStream) {
    let origin = origin.map_or(String::new(), |origin| format!("Origin: {origin}\r\n"));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n",
        server.addr
    );
    stream
        .write_all(request.as_bytes())
        .expect("write upgrade request");
    let reply = read_reply(&mut stream);
    (reply, stream)
}

/// Opens a WebSocket to the session, checking the `101`.
pub fn open(server: &Server, sid: &str, origin: Option<&str>) -> Socket {
    open_on(server.connect(), server, sid, origin)
}

/// [`open`] on a connection of the caller's.
pub fn open_on(stream: TcpStream, server: &Server, sid: &str, origin: Option<&str>) -> Socket {
    let (reply, stream) = request_upgrade_on(stream, server, &format!("/ws/{sid}"), origin);
    assert_eq!(reply.status, 101, "{}", reply.text());
    assert_eq!(reply.header("sec-websocket-accept"), Some(ACCEPT));
    assert!(
        reply
            .header("upgrade")
            .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
    );
    WebSocket::from_raw_socket(stream, Role::Client, None)
}
