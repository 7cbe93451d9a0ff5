//! Builds `examples/std_loop.rs`, runs it on the Adder demo and replays docs/protocol.md §12
//! against it over real sockets: core embedded in a plain std event loop behaves like in the
//! harness.

// The clippy.toml bans keep core's library sans-IO; this test drives a real server process.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tungstenite::{Message, WebSocket};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The example's executable, built (or found up to date) by cargo itself. `cargo test` builds
/// examples only when it builds all targets, not for `--test std_loop_example`, and a path
/// guessed under `target/` could name a stale binary; so ask cargo and take the path it
/// reports (any `CARGO_TARGET_DIR`). The profile follows this test's: dev, or release.
fn example_binary() -> PathBuf {
    let mut build = Command::new(env!("CARGO"));
    build.current_dir(env!("CARGO_MANIFEST_DIR"));
    build.args([
        "build",
        "--quiet",
        "--locked",
        "-p",
        "lunette-core",
        "--example",
        "std_loop",
    ]);
    build.arg("--message-format=json-render-diagnostics");
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    let output = build.output().expect("cargo runs");
    let diagnostics = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "building the example failed:\n{diagnostics}"
    );
    let stdout = String::from_utf8(output.stdout).expect("cargo writes UTF-8 JSON");
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == "std_loop")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo reports the example's executable")
}

/// The running example; dropping it kills the process, also when an assertion fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends a `GET` on a keep-alive connection and reads the answer: status, headers, body.
fn get(stream: &mut BufReader<TcpStream>, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    stream
        .get_mut()
        .write_all(request.as_bytes())
        .expect("request sent");
    let mut line = String::new();
    stream.read_line(&mut line).expect("status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let mut headers = Vec::new();
    loop {
        line.clear();
        stream.read_line(&mut line).expect("header line");
        let Some((name, value)) = line.trim_end().split_once(": ") else {
            break;
        };
        headers.push((name.to_ascii_lowercase(), value.to_owned()));
    }
    let length = headers.iter().find(|(name, _)| name == "content-length");
    let length = length
        .and_then(|(_, v)| v.parse().ok())
        .expect("a content-length");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the whole body");
    (status, headers, body)
}

fn receive(socket: &mut WebSocket<TcpStream>) -> String {
    match socket.read().expect("a frame before the read timeout") {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

#[test]
fn the_adder_exchange_runs_over_the_std_loop_example() {
    let site = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/adder");
    let mut child = Command::new(example_binary())
        .args([site, "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the example starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let _server = Server(child);
    let mut banner = String::new();
    BufReader::new(stdout)
        .read_line(&mut banner)
        .expect("the example prints its address");
    let address = banner
        .trim_end()
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected banner {banner:?}"))
        .to_owned();

    // GET / creates the session; on the same keep-alive connection, its page.
    let stream = TcpStream::connect(&address).expect("connects");
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout set");
    let mut http = BufReader::new(stream);
    let (status, headers, _) = get(&mut http, "/");
    assert_eq!(status, 302);
    let location = headers
        .iter()
        .find(|(name, _)| name == "location")
        .expect("a Location");
    let sid = location
        .1
        .strip_prefix('/')
        .expect("Location: /<sid>")
        .to_owned();
    assert_eq!(sid.len(), 32);
    let (status, _, body) = get(&mut http, &location.1);
    assert_eq!(status, 200);
    assert!(
        String::from_utf8_lossy(&body).contains("ui-app"),
        "the page shell"
    );

    // The WebSocket, and docs/protocol.md §12 steps 4 to 9.
    let stream = TcpStream::connect(&address).expect("connects");
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout set");
    let url = format!("ws://{address}/ws/{sid}");
    let (mut socket, response) = tungstenite::client(url.as_str(), stream).expect("upgraded");
    assert_eq!(response.status(), 101);

    socket
        .send(Message::text(
            r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#,
        ))
        .expect("sent");
    assert_eq!(
        receive(&mut socket),
        concat!(
            r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"Adder.DEFAULT\":\"<template><div><input ui-value=\\\"value1\\\"> + <input ui-value=\\\"value2\\\"> = <span ui-value=\\\"compute()\\\"></span></div></template>\"}"}}},"#,
            r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"Adder"}}}]"#
        )
    );

    socket
        .send(Message::text(r#"{"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"value1","access":"rw","elementId":"ui-1"}}},{"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"value2","access":"rw","elementId":"ui-2"}}},{"type":"create","data":{"id":4,"parentId":1,"properties":{"path":"compute()","access":"r","elementId":"ui-3"}}}]}"#))
        .expect("sent");
    assert_eq!(
        receive(&mut socket),
        r#"[{"type":"update","data":{"varId":2,"value":""}},{"type":"update","data":{"varId":3,"value":""}},{"type":"update","data":{"varId":4,"value":""}}]"#
    );

    // Step 8 sends no frame, so the next frame must be step 9's.
    socket
        .send(Message::text(
            r#"{"userEvent":false,"messages":[{"type":"update","data":{"varId":2,"value":"2"}}]}"#,
        ))
        .expect("sent");
    socket
        .send(Message::text(
            r#"{"userEvent":false,"messages":[{"type":"update","data":{"varId":3,"value":"3"}}]}"#,
        ))
        .expect("sent");
    assert_eq!(
        receive(&mut socket),
        r#"{"type":"update","data":{"varId":4,"value":"5"}}"#
    );

    // A clean close: the example answers our close frame, then ends the TCP connection.
    socket.close(None).expect("close sent");
    loop {
        match socket.read() {
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(error) => panic!("the close handshake failed: {error}"),
        }
    }
}
