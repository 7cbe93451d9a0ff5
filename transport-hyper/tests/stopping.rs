//! SIGTERM and SIGINT: stop accepting, finish what is in flight, exit 0. SIGTERM drains first
//! (see balancer.rs); `--drain-timeout 0` makes its drain end at once, which these tests use.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use common::{Server, read_reply};

/// A SIGTERM whose drain ends at once.
const IMMEDIATE: [&str; 2] = ["--drain-timeout", "0"];

#[test]
fn sigterm_exits_0() {
    let mut server = Server::start(&IMMEDIATE);
    assert_eq!(server.get("/").status, 302);
    server.signal("TERM");
    assert_eq!(server.wait().code(), Some(0));
}

#[test]
fn sigint_exits_0() {
    let mut server = Server::start(&[]);
    server.signal("INT");
    assert_eq!(server.wait().code(), Some(0));
}

#[test]
fn an_idle_keep_alive_connection_does_not_hold_up_the_stop() {
    let mut server = Server::start(&IMMEDIATE);
    let mut idle = server.connect();
    write!(idle, "GET / HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).expect("write");
    assert_eq!(read_reply(&mut idle).status, 302);
    let start = Instant::now();
    server.signal("TERM");
    assert_eq!(server.wait().code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_request_in_flight_is_answered_before_the_exit() {
    let mut server = Server::start(&IMMEDIATE);
    let mut stream = server.connect();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {}\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n",
        server.addr
    )
    .expect("write request head");
    // The server asks for the body once it has read the head and starts reading the body:
    // from then on the request is in flight.
    assert_eq!(read_reply(&mut stream).status, 100);
    stream.write_all(b"12345").expect("write half the body");
    server.signal("TERM");
    let start = Instant::now();
    while TcpStream::connect(&server.addr).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the server must stop accepting"
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert!(server.is_running(), "the server must wait for the request");
    stream
        .write_all(b"67890")
        .expect("write the rest of the body");
    assert_eq!(read_reply(&mut stream).status, 405);
    assert_eq!(server.wait().code(), Some(0));
}
