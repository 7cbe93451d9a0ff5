//! `--hotload` on the real binary: files edited in the site directory reach an open session
//! over its WebSocket.

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::{Server, Socket, TempSite, new_session, open, run_to_exit};
use serde_json::{Value, json};
use tungstenite::{Error, Message};

const MAIN_V1: &str = r#"
if not session.reloading then
  app = { type = "App" }
  session:createAppVariable(app)
end
app.label = "v1"
"#;

/// Replaces `relative` the way many editors save: write a temporary file, rename it over.
fn save(site: &TempSite, relative: &str, contents: &str) {
    let target = site.path().join(relative);
    let temporary = target.with_extension("swp");
    fs::write(&temporary, contents).expect("write the temporary file");
    fs::rename(&temporary, &target).expect("rename over the file");
}

/// Reads frames until one holds a message `wanted` accepts, for at most ten seconds.
fn wait_for(socket: &mut Socket, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no message with {what} arrived");
        match socket.read() {
            Ok(Message::Text(text)) => {
                let frame: Value = serde_json::from_str(text.as_str()).expect("frames are JSON");
                let messages = match frame {
                    Value::Array(messages) => messages,
                    message => vec![message],
                };
                if let Some(found) = messages.into_iter().find(|m| wanted(m)) {
                    return found;
                }
            }
            Ok(_) => {}
            Err(Error::Io(error)) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) => panic!("waiting for {what}: {error}"),
        }
    }
}

#[test]
fn edited_lua_and_viewdef_files_reach_an_open_session() {
    let site = TempSite::new("hotload");
    site.write("lua/main.lua", MAIN_V1).write(
        "viewdefs/App.DEFAULT.html",
        "<template><p>one</p></template>",
    );
    let server = Server::start(&["--dir", site.arg(), "--hotload", "--shards", "2"]);
    assert!(
        server.banner.contains("with hot reload"),
        "{}",
        server.banner
    );
    let sid = new_session(&server);
    let mut socket = open(&server, &sid, None);
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    let label = json!({"type": "create", "data": {"id": 2, "parentId": 1,
        "properties": {"path": "label", "access": "r"}}});
    let watch = json!({"type": "watch", "data": {"varId": 1}});
    let batch = json!({"userEvent": false, "messages": [watch, label]});
    socket
        .send(Message::text(batch.to_string()))
        .expect("send the batch");
    wait_for(&mut socket, "label v1", |m| m["data"]["value"] == "v1");

    save(&site, "lua/main.lua", &MAIN_V1.replace("v1", "v2"));
    let update = wait_for(&mut socket, "label v2", |m| m["data"]["varId"] == 2);
    assert_eq!(
        update,
        json!({"type": "update", "data": {"varId": 2, "value": "v2"}})
    );

    save(
        &site,
        "viewdefs/App.DEFAULT.html",
        "<template><p>two</p></template>",
    );
    let viewdefs = wait_for(&mut socket, "the new viewdef", |m| {
        m["data"]["properties"]["viewdefs"].is_string()
    });
    assert_eq!(
        viewdefs["data"]["properties"]["viewdefs"],
        r#"{"App.DEFAULT":"<template><p>two</p></template>"}"#
    );
}

/// A tab on `sid` that watches variable 1 and binds `label` as variable 2; its first value
/// must be `label`.
fn tab_showing(server: &Server, sid: &str, label: &str) -> Socket {
    let mut socket = open(server, sid, None);
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    let batch = json!({"userEvent": false, "messages": [
        {"type": "watch", "data": {"varId": 1}},
        {"type": "create", "data": {"id": 2, "parentId": 1,
            "properties": {"path": "label", "access": "r"}}},
    ]});
    socket
        .send(Message::text(batch.to_string()))
        .expect("send the batch");
    let first = wait_for(&mut socket, "the label", |m| m["data"]["varId"] == 2);
    assert_eq!(first["data"]["value"], label);
    socket
}

/// Waits until the server's log holds `text`, for at most ten seconds.
fn wait_for_log(server: &Server, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = server.stderr();
        if log.contains(text) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "the log never said {text:?}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_deleted_main_lua_keeps_the_last_good_version_serving_and_the_log_says_why() {
    let site = TempSite::new("hotload-deleted-main");
    site.write("lua/main.lua", MAIN_V1);
    let server = Server::start(&["--dir", site.arg(), "--hotload"]);
    let sid = new_session(&server);
    let mut socket = tab_showing(&server, &sid, "v1");

    fs::remove_file(site.path().join("lua/main.lua")).expect("delete main.lua");
    let log = wait_for_log(&server, "has no lua/main.lua");
    assert!(log.contains("site not reloaded"), "{log}");

    // The open session answers, and a new one runs the last good main.lua.
    let late = json!({"userEvent": false, "messages": [{"type": "create", "data": {"id": 3,
        "parentId": 1, "properties": {"path": "label", "access": "r"}}}]});
    socket
        .send(Message::text(late.to_string()))
        .expect("send a binding");
    let update = wait_for(&mut socket, "the new binding", |m| m["data"]["varId"] == 3);
    assert_eq!(update["data"]["value"], "v1");
    let fresh = new_session(&server);
    drop(tab_showing(&server, &fresh, "v1"));

    // Once main.lua is back, edits reach the open session again.
    save(&site, "lua/main.lua", &MAIN_V1.replace("v1", "v2"));
    let update = wait_for(&mut socket, "label v2", |m| m["data"]["varId"] == 2);
    assert_eq!(update["data"]["value"], "v2");
}

#[test]
fn hotload_without_a_site_directory_is_a_usage_error() {
    let (code, _, stderr) = run_to_exit(&["--hotload"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--dir"), "{stderr}");
}
