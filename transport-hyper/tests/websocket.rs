//! `/ws/<sid>` on the real binary (docs/protocol.md §3.1): the handshake and its refusals, close
//! codes, sharding, and the close on shutdown. Core does not answer frames yet, so nothing here
//! depends on what it would reply.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use common::{Server, Socket, new_session, open, open_on, request_upgrade};
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::{Error, Message};

const UNKNOWN_SID: &str = "0123456789abcdef0123456789abcdef";

/// Reads until the server's close frame and returns its code.
fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        match socket.read() {
            Ok(Message::Close(frame)) => return frame.map(|frame| u16::from(frame.code)),
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Ok(other) => panic!("expected a close frame, got {other:?}"),
            Err(error) => panic!("expected a close frame, got {error}"),
        }
    }
}

/// The server sends nothing within a short wait.
fn assert_silent(socket: &mut Socket) {
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("set read timeout");
    match socket.read() {
        Err(Error::Io(error))
            if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("expected no frame, got {other:?}"),
    }
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("set read timeout");
}

/// Closes from the client side and checks that the server answers the close.
fn close_cleanly(mut socket: Socket) {
    socket.close(None).expect("send close");
    loop {
        match socket.read() {
            Ok(_) => {}
            Err(Error::ConnectionClosed) => return,
            Err(error) => panic!("expected a clean close, got {error}"),
        }
    }
}

#[test]
fn refusals_unknown_session_not_an_upgrade_foreign_origin() {
    let server = Server::start(&[]);
    let sid = new_session(&server);
    let (unknown, _) = request_upgrade(&server, &format!("/ws/{UNKNOWN_SID}"), None);
    assert_eq!(unknown.status, 404);
    assert_eq!(server.get(&format!("/ws/{sid}")).status, 400);
    let (foreign, _) = request_upgrade(&server, &format!("/ws/{sid}"), Some("http://evil.example"));
    assert_eq!(foreign.status, 403);
    // A refusal leaves the session as it was.
    close_cleanly(open(&server, &sid, None));
}

#[test]
fn accepted_origins_none_the_same_host_and_allowed_ones() {
    let server = Server::start(&["--allow-origin", "https://app.example"]);
    let sid = new_session(&server);
    let own = format!("http://{}", server.addr);
    for origin in [None, Some(own.as_str()), Some("https://app.example")] {
        close_cleanly(open(&server, &sid, origin));
    }
}

#[test]
fn the_server_sends_nothing_on_connect() {
    let server = Server::start(&[]);
    let sid = new_session(&server);
    let mut socket = open(&server, &sid, None);
    assert_silent(&mut socket);
    close_cleanly(socket);
}

#[test]
fn a_binary_message_closes_with_1003() {
    let server = Server::start(&[]);
    let sid = new_session(&server);
    let mut socket = open(&server, &sid, None);
    socket
        .send(Message::binary(vec![1, 2, 3]))
        .expect("send binary");
    assert_eq!(close_code(&mut socket), Some(1003));
}

#[test]
fn invalid_utf8_closes_with_1007() {
    let server = Server::start(&[]);
    let sid = new_session(&server);
    let mut socket = open(&server, &sid, None);
    let frame = Frame::message(vec![b'"', 0xff, 0xfe, b'"'], OpCode::Data(Data::Text), true);
    socket.send(Message::Frame(frame)).expect("send bad text");
    assert_eq!(close_code(&mut socket), Some(1007));
}

#[test]
fn an_oversized_message_closes_with_1009_and_the_session_lives_on() {
    let server = Server::start(&["--max-frame-bytes", "1024"]);
    let sid = new_session(&server);
    let mut socket = open(&server, &sid, None);
    socket
        .send(Message::text("x".repeat(2000)))
        .expect("send big text");
    assert_eq!(close_code(&mut socket), Some(1009));

    // Fragments count together.
    let mut socket = open(&server, &sid, None);
    let first = Frame::message("x".repeat(600), OpCode::Data(Data::Text), false);
    let second = Frame::message("x".repeat(600), OpCode::Data(Data::Continue), true);
    socket.send(Message::Frame(first)).expect("send fragment");
    socket.send(Message::Frame(second)).expect("send fragment");
    assert_eq!(close_code(&mut socket), Some(1009));

    assert_eq!(server.get(&format!("/{sid}")).status, 200);
    let mut again = open(&server, &sid, None);
    assert_silent(&mut again);
    close_cleanly(again);
}

#[test]
fn sessions_of_every_shard_accept_websockets() {
    let server = Server::start(&["--shards", "2"]);
    let sids: Vec<String> = (0..8).map(|_| new_session(&server)).collect();
    // Connections take turns over the shards, so most of these land on a thread that is
    // not the owner of the session.
    let mut sockets: Vec<Socket> = sids
        .iter()
        .flat_map(|sid| [open(&server, sid, None), open(&server, sid, None)])
        .collect();
    for socket in &mut sockets {
        assert_silent(socket);
    }
    for socket in sockets {
        close_cleanly(socket);
    }
    for sid in &sids {
        assert_eq!(server.get(&format!("/{sid}")).status, 200);
    }
}

#[test]
fn sigterm_closes_open_websockets_with_1001_and_exits_0() {
    // Its drain ends at once (balancer.rs tests a drain that waits for the sockets).
    let mut server = Server::start(&["--shards", "2", "--drain-timeout", "0"]);
    let mut sockets: Vec<Socket> = (0..4)
        .map(|_| new_session(&server))
        .map(|sid| open(&server, &sid, None))
        .collect();
    let start = Instant::now();
    server.signal("TERM");
    for socket in &mut sockets {
        assert_eq!(close_code(socket), Some(1001));
        // The close handshake completes: the reply goes out and the server ends the TCP stream.
        assert!(matches!(socket.read(), Err(Error::ConnectionClosed)));
    }
    assert_eq!(server.wait().code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    // Each close reached core once: a second report would be refused and logged.
    let stderr = server.stderr_to_end();
    assert!(!stderr.contains("core refused"), "{stderr}");
    assert!(!stderr.contains("still open"), "{stderr}");
}

/// docs/protocol.md §12 against the real binary, frame for frame, over a real WebSocket, with a
/// session on each of two shards.
#[test]
fn the_adder_exchange_reproduces_frame_for_frame() {
    let adder = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/adder");
    let server = Server::start(&["--dir", adder, "--shards", "2"]);
    for _ in 0..4 {
        let sid = new_session(&server);
        let mut socket = open(&server, &sid, Some(&format!("http://{}", server.addr)));
        socket
            .get_mut()
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        let exchange = |socket: &mut Socket, sent: &str, expected: &str| {
            socket.send(Message::text(sent)).expect("send");
            match socket.read().expect("a reply frame") {
                Message::Text(text) => assert_eq!(text.as_str(), expected, "after {sent}"),
                other => panic!("expected a text frame, got {other:?}"),
            }
        };
        exchange(
            &mut socket,
            r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#,
            concat!(
                r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"Adder.DEFAULT\":\"<template><div><input ui-value=\\\"value1\\\"> + <input ui-value=\\\"value2\\\"> = <span ui-value=\\\"compute()\\\"></span></div></template>\"}"}}},"#,
                r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"Adder"}}}]"#
            ),
        );
        exchange(
            &mut socket,
            r#"{"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"value1","access":"rw","elementId":"ui-1"}}},{"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"value2","access":"rw","elementId":"ui-2"}}},{"type":"create","data":{"id":4,"parentId":1,"properties":{"path":"compute()","access":"r","elementId":"ui-3"}}}]}"#,
            r#"[{"type":"update","data":{"varId":2,"value":""}},{"type":"update","data":{"varId":3,"value":""}},{"type":"update","data":{"varId":4,"value":""}}]"#,
        );
        socket
            .send(Message::text(
                r#"{"userEvent":false,"messages":[{"type":"update","data":{"varId":2,"value":"2"}}]}"#,
            ))
            .expect("send");
        exchange(
            &mut socket,
            r#"{"userEvent":false,"messages":[{"type":"update","data":{"varId":3,"value":"3"}}]}"#,
            r#"{"type":"update","data":{"varId":4,"value":"5"}}"#,
        );
        close_cleanly(socket);
    }
}

/// A client may send its first frames right behind the upgrade request, before the `101`: hyper
/// has then read them with the request, and they must reach core wherever the socket is served
/// (a socket accepted by a shard that does not own the session moves to the owner's thread).
#[test]
fn frames_sent_with_the_upgrade_request_are_answered_on_every_shard() {
    let adder = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/adder");
    let server = Server::start(&["--dir", adder, "--shards", "2"]);
    for _ in 0..6 {
        let sid = new_session(&server);
        let mut stream = server.connect();
        let mut bytes = format!(
            "GET /ws/{sid} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            server.addr,
            common::KEY
        )
        .into_bytes();
        let watch = r#"{"userEvent":true,"messages":[{"type":"watch","data":{"varId":1}}]}"#;
        let mut frame = Frame::message(watch, OpCode::Data(Data::Text), true);
        frame.header_mut().mask = Some([1, 2, 3, 4]);
        frame.format(&mut bytes).expect("format a frame");
        std::io::Write::write_all(&mut stream, &bytes).expect("send the request and the frame");
        let reply = common::read_reply(&mut stream);
        assert_eq!(reply.status, 101, "{}", reply.text());
        let mut socket = Socket::from_raw_socket(stream, tungstenite::protocol::Role::Client, None);
        socket
            .get_mut()
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        match socket.read().expect("the answer to the watch") {
            Message::Text(text) => {
                assert!(text.contains(r#""varId":1,"value":{"obj":2}"#), "{text}")
            }
            other => panic!("expected a text frame, got {other:?}"),
        }
        close_cleanly(socket);
    }
}

/// The server's resident memory, from /proc.
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in status");
    kib * 1024
}

/// A tab that never reads its socket while another tab keeps changing what it watches: the
/// server queues at most `--max-outbound-bytes` for it, then closes it; the session lives on.
#[test]
fn a_tab_that_does_not_read_is_closed_when_its_queue_passes_its_bound() {
    const BOUND: usize = 256 * 1024;
    const VALUE: usize = 64 * 1024;
    const UPDATES: usize = 384; // 24 MiB for the tab that does not read
    let site = common::TempSite::new("outbound");
    site.write(
        "lua/main.lua",
        r#"App = session:prototype("App", { text = "" })
session:createAppVariable(App:new())"#,
    );
    let bound = BOUND.to_string();
    let args = [
        "--dir",
        site.arg(),
        "--max-outbound-bytes",
        &bound,
        "--shards",
        "1",
    ];
    let server = Server::start(&args);
    let sid = new_session(&server);

    // The tab that stops reading: it watches `text` and never reads a frame.
    let mut stuck = open_on(
        server.connect_with_receive_buffer(4096),
        &server,
        &sid,
        None,
    );
    stuck
        .send(Message::text(
            r#"{"messages":[{"type":"watch","data":{"varId":1}},{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"text","access":"r"}}}]}"#,
        ))
        .expect("send from the stuck tab");

    // The busy tab writes `text` and watches nothing, so it is sent nothing itself.
    let mut busy = open(&server, &sid, None);
    busy.send(Message::text(
        r#"{"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"text","access":"w"},"nowatch":true}}]}"#,
    ))
    .expect("create the writer");
    let before = resident_bytes(server.pid());
    let start = Instant::now();
    for i in 0..UPDATES {
        let value = format!("{i:08}{}", "v".repeat(VALUE - 8));
        let frame = format!(
            r#"{{"messages":[{{"type":"update","data":{{"varId":2,"value":"{value}"}}}}]}}"#
        );
        busy.send(Message::text(frame))
            .expect("update from the busy tab");
    }
    // Every update has run once the busy tab reads the last value back.
    busy.send(Message::text(
        r#"{"messages":[{"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"text","access":"r"}}}]}"#,
    ))
    .expect("create a reader");
    match busy.read().expect("the value read back") {
        Message::Text(text) => assert!(text.contains(&format!("{:08}", UPDATES - 1))),
        other => panic!("expected an update, got {other:?}"),
    }
    let pushing = start.elapsed();
    let grown = resident_bytes(server.pid()).saturating_sub(before);
    // The kernel's buffers take much of what cannot be sent; with the bound the server grows
    // by about 1.4 MB here, without it by about 9.5 MB.
    assert!(
        grown < 5 << 20,
        "the server grew by {grown} bytes while {} were meant for a tab that does not read",
        UPDATES * VALUE
    );

    // The stuck tab is closed (a close frame it may never see past the unread frames, then
    // the end of the stream) soon, not at the 75 s silence limit.
    let stuck = stuck.get_mut();
    stuck
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let mut buffer = vec![0; 1 << 16];
    loop {
        match std::io::Read::read(stuck, &mut buffer) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!(
                    "the tab that does not read is still open {:?} after the updates",
                    start.elapsed() - pushing
                )
            }
            Err(_) => break,
        }
    }
    let stderr = server.stderr();
    let reason = format!("outbound queue over {BOUND} bytes: the client is not reading");
    assert!(stderr.contains(&reason), "{stderr}");
    assert_eq!(stderr.matches(&reason).count(), 1, "{stderr}");
    assert!(!stderr.contains("core refused"), "{stderr}");

    // Core was told: the stuck tab's variable is gone, the busy tab's is still there.
    let variables = server.get(&format!("/{sid}/variables.json")).text();
    let variables: serde_json::Value = serde_json::from_str(&variables).expect("JSON");
    let owners: Vec<_> = variables
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|v| v.get("connection")?.as_u64())
        .collect();
    assert_eq!(owners, [2, 2]);

    // The session lives on: a reload connects and renders.
    assert_eq!(server.get(&format!("/{sid}")).status, 200);
    let mut again = open(&server, &sid, None);
    again
        .send(Message::text(
            r#"{"messages":[{"type":"watch","data":{"varId":1}}]}"#,
        ))
        .expect("watch");
    match again.read().expect("a frame") {
        Message::Text(text) => assert!(text.contains(r#""varId":1"#), "{text}"),
        other => panic!("expected an update, got {other:?}"),
    }
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    close_cleanly(again);
}
