//! deploy/haproxy.cfg, run for real (issue 13): Debian's haproxy in front of two lunette nodes.
//! Sessions land on both nodes and work end to end; a SIGTERM drains one node while its open
//! sessions keep answering, new sessions go to the other, and the drained node exits once its
//! last socket closes. The other node's sessions never notice.
//!
//! Needs `haproxy` on the PATH (or in /usr/sbin): `.ci/run` installs it.

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{KEY, Reply, Server, Socket, TempSite, read_reply, sid_of_location};
use tungstenite::Message;
use tungstenite::protocol::{Role, WebSocket};

const RECIPE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/haproxy.cfg");
const WATCH: &str = r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#;
const PATIENCE: Duration = Duration::from_secs(10);

fn haproxy_binary() -> PathBuf {
    for candidate in [
        "/usr/sbin/haproxy",
        "/usr/bin/haproxy",
        "/usr/local/sbin/haproxy",
    ] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    match Command::new("haproxy").arg("-v").output() {
        Ok(output) if output.status.success() => PathBuf::from("haproxy"),
        _ => panic!(
            "haproxy is not installed: this test runs deploy/haproxy.cfg with Debian's haproxy \
             (apt-get install -y haproxy; .ci/run does it)"
        ),
    }
}

/// Debian's haproxy in the foreground, running the recipe with its addresses replaced (and
/// health checks every 100 ms, so the test takes seconds).
struct Haproxy {
    child: Child,
    addr: String,
    _dir: TempSite,
}

impl Haproxy {
    fn start(nodes: [&Server; 2]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let recipe = std::fs::read_to_string(RECIPE).expect("deploy/haproxy.cfg");
        let config = recipe
            .replace("bind :80", &format!("bind 127.0.0.1:{port}"))
            .replace("127.0.0.1:8081", &nodes[0].addr)
            .replace("127.0.0.1:8082", &nodes[1].addr)
            .replace("inter 2s", "inter 100ms");
        assert!(
            config.contains(&nodes[1].addr) && config.contains("inter 100ms"),
            "the recipe's server lines or check interval moved: update this test\n{config}"
        );
        let dir = TempSite::new("haproxy");
        dir.write("haproxy.cfg", &config);
        let path = dir.path().join("haproxy.cfg");
        let check = Command::new(haproxy_binary())
            .args(["-c", "-q", "-f"])
            .arg(&path)
            .output()
            .expect("run haproxy -c");
        assert!(
            check.status.success(),
            "haproxy refuses the recipe: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(haproxy_binary())
            .args(["-db", "-f"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy");
        let addr = format!("127.0.0.1:{port}");
        let start = Instant::now();
        while TcpStream::connect(&addr).is_err() {
            assert!(start.elapsed() < PATIENCE, "haproxy does not listen");
            thread::sleep(Duration::from_millis(20));
        }
        Self {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("set read timeout");
    stream
}

fn get(addr: &str, path: &str, cookie: Option<&str>) -> Reply {
    let cookie = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    let mut stream = connect(addr);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\n\r\n"
    )
    .expect("write request");
    read_reply(&mut stream)
}

/// A session made through the balancer: its id and the `NODE=…` cookie that pins it.
struct Pinned {
    sid: String,
    cookie: String,
}

fn new_session(balancer: &str) -> Pinned {
    let reply = get(balancer, "/", None);
    assert_eq!(reply.status, 302, "{}", reply.text());
    let sid = sid_of_location(reply.header("location").expect("Location"));
    let cookie = reply
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .filter(|c| c.starts_with("NODE="))
        .unwrap_or_else(|| panic!("no NODE cookie: {:?}", reply.headers))
        .to_owned();
    Pinned { sid, cookie }
}

fn open(balancer: &str, session: &Pinned) -> Socket {
    let mut stream = connect(balancer);
    write!(
        stream,
        "GET /ws/{} HTTP/1.1\r\nHost: {balancer}\r\nCookie: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        session.sid, session.cookie
    )
    .expect("write upgrade");
    let reply = read_reply(&mut stream);
    assert_eq!(reply.status, 101, "{}", reply.text());
    WebSocket::from_raw_socket(stream, Role::Client, None)
}

/// Sends a watch of variable 1 and waits for the update it brings.
fn round_trip(socket: &mut Socket) {
    socket.send(Message::text(WATCH)).expect("send a watch");
    loop {
        match socket.read().expect("a reply frame") {
            Message::Text(text) => {
                assert!(text.contains("\"update\""), "{text}");
                return;
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn node_of<'a>(session: &Pinned, nodes: [&'a Server; 2]) -> &'a Server {
    let on = |node: &Server| get(&node.addr, &format!("/{}", session.sid), None).status == 200;
    match (on(nodes[0]), on(nodes[1])) {
        (true, false) => nodes[0],
        (false, true) => nodes[1],
        found => panic!("session {} on {found:?}", session.sid),
    }
}

fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting: {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_nodes_behind_haproxy_pin_sessions_and_drain_one_without_anyone_noticing() {
    let args = ["--shards", "1", "--drain-grace", "300ms"];
    let mut first = Server::start(&args);
    let second = Server::start(&args);
    let balancer = Haproxy::start([&first, &second]);
    let lb = balancer.addr.as_str();

    // Round robin: four new sessions, two on each node, each pinned by its cookie.
    let sessions: Vec<Pinned> = (0..4).map(|_| new_session(lb)).collect();
    let on_first: Vec<&Pinned> = sessions
        .iter()
        .filter(|s| std::ptr::eq(node_of(s, [&first, &second]), &first))
        .collect();
    let on_second: Vec<&Pinned> = sessions
        .iter()
        .filter(|s| std::ptr::eq(node_of(s, [&first, &second]), &second))
        .collect();
    assert_eq!((on_first.len(), on_second.len()), (2, 2));
    for session in &sessions {
        let page = get(lb, &format!("/{}", session.sid), Some(&session.cookie));
        assert_eq!(page.status, 200, "the page reaches the node holding it");
        round_trip(&mut open(lb, session));
    }
    // One open socket per session, kept across the drain (not watched yet).
    let mut first_sockets: Vec<Socket> = on_first.iter().map(|s| open(lb, s)).collect();
    let mut second_sockets: Vec<Socket> = on_second.iter().map(|s| open(lb, s)).collect();

    first.signal("TERM");
    let healthz = get(&first.addr, "/healthz", None);
    assert_eq!(healthz.status, 503, "healthz turns 503 at once");
    let root = get(&first.addr, "/", None);
    assert_eq!(root.status, 503);
    assert!(root.header("retry-after").is_some());

    // The draining node's open sessions keep answering: their sockets and a page reload.
    round_trip(&mut first_sockets[0]);
    let reload = get(
        lb,
        &format!("/{}", on_first[0].sid),
        Some(&on_first[0].cookie),
    );
    assert_eq!(reload.status, 200);

    // Until HAProxy's check sees the 503 (two checks, 100 ms apart here), a new user may
    // still reach the draining node and get its 503 page; from then on every new session
    // goes to the other node.
    eventually("new sessions to avoid the draining node", || {
        let reply = get(lb, "/", None);
        let cookie = reply.header("set-cookie").unwrap_or_default();
        reply.status == 302 && cookie.starts_with(&format!("{};", on_second[0].cookie))
    });
    for _ in 0..4 {
        let session = new_session(lb);
        assert!(std::ptr::eq(node_of(&session, [&first, &second]), &second));
        round_trip(&mut open(lb, &session));
    }
    // Out of the rotation, the node still gets its pinned users (`option persist`).
    let reload = get(
        lb,
        &format!("/{}", on_first[1].sid),
        Some(&on_first[1].cookie),
    );
    assert_eq!(
        reload.status, 200,
        "a reload after the node left the rotation"
    );
    round_trip(&mut open(lb, on_first[1]));
    round_trip(&mut first_sockets[1]);
    assert!(first.is_running(), "open sockets hold the drain");

    // The last socket closes: the node exits after --drain-grace.
    for mut socket in first_sockets {
        let _ = socket.close(None);
        let _ = socket.flush();
    }
    let closed = Instant::now();
    assert_eq!(first.wait().code(), Some(0));
    assert!(
        closed.elapsed() < Duration::from_secs(5),
        "{:?}",
        closed.elapsed()
    );
    let log = first.stderr();
    assert!(log.contains("draining"), "{log}");
    assert!(log.contains("drained"), "{log}");

    // The other node's sessions never noticed.
    for socket in &mut second_sockets {
        round_trip(socket);
    }
    for session in &on_second {
        let page = get(lb, &format!("/{}", session.sid), Some(&session.cookie));
        assert_eq!(page.status, 200);
    }
    let after = new_session(lb);
    assert_eq!(after.cookie, on_second[0].cookie);
    let healthz = get(&second.addr, "/healthz", None);
    assert_eq!((healthz.status, healthz.text()), (200, "ok\n".to_owned()));
}
