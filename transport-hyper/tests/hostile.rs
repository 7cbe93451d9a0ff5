//! Scripts that would hold a shard of the real binary for good (issue 10): the process stays
//! up and keeps serving.

mod common;

use std::time::{Duration, Instant};

use common::{Server, TempSite, new_session, open};
use tungstenite::Message;

#[test]
fn a_step_past_step_timeout_is_stopped_and_the_server_keeps_serving() {
    // Comparing two equal 20 MB strings reads 40 MB in one instruction: the instruction
    // budget would let this loop run for hours.
    let site = TempSite::new("spinning-compare");
    site.write(
        "lua/main.lua",
        "local a, b = string.rep('x', 2e7), string.rep('x', 2e7)\n\
         while true do local _ = a == b end",
    );
    let server = Server::start(&[
        "--dir",
        site.arg(),
        "--shards",
        "1",
        "--step-timeout",
        "300ms",
    ]);
    let started = Instant::now();
    let root = server.get("/");
    let took = started.elapsed();
    assert_eq!(root.status, 500, "{}", root.text());
    assert!(root.text().contains("--step-timeout"), "{}", root.text());
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(server.get("/lunette/client.js").status, 200);
    assert!(
        server.stderr().contains("ran past --step-timeout"),
        "{}",
        server.stderr()
    );
}

#[test]
fn a_5000_deep_chain_of_creates_then_a_close_leaves_the_server_serving() {
    // Removing the chain recursed once per level and overflowed the stack: the process
    // aborted with every session in it. The deepest creates are refused (--max-depth) and
    // the rest are removed without recursion.
    let server = Server::start(&["--shards", "1", "--max-depth", "10000"]);
    let sid = new_session(&server);
    let mut socket = open(&server, &sid, None);
    let creates: Vec<String> = (2..=5001)
        .map(|i| {
            format!(
                r#"{{"type":"create","data":{{"id":{i},"parentId":{},"properties":{{"path":"x","access":"w"}}}}}}"#,
                i - 1
            )
        })
        .collect();
    let frame = format!(
        r#"{{"userEvent":false,"messages":[{}]}}"#,
        creates.join(",")
    );
    socket.send(Message::text(frame)).expect("send the chain");
    socket.close(None).expect("close");
    drop(socket);
    // The close removed the chain: only variable 1 is left, and the process answers.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listing = server.get(&format!("/{sid}/variables.json"));
        if listing.status == 503 {
            // The session is in the middle of a step spanning several slices: ask again.
            assert!(Instant::now() < deadline, "{}", server.stderr());
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        assert_eq!(listing.status, 200, "{}", server.stderr());
        let variables: serde_json::Value =
            serde_json::from_slice(&listing.body).expect("variables.json is JSON");
        let ids: Vec<i64> = variables
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|variable| variable["id"].as_i64())
            .collect();
        if ids == [1] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the chain was not removed: {}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.get(&format!("/{sid}")).status, 200);
    assert_eq!(server.get("/").status, 302);
}
