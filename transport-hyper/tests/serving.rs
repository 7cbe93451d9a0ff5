//! The real binary answering HTTP: sessions, sharding, sites from disk, body limits.

mod common;

use std::io::Write;

use common::{Server, TempSite, read_reply, sid_of_location};

#[test]
fn root_redirects_to_a_session_page_that_sets_the_cookie() {
    let server = Server::start(&[]);
    assert!(
        server
            .banner
            .starts_with("lunette serving the built-in default app at http://"),
        "{}",
        server.banner
    );
    let root = server.get("/");
    assert_eq!(root.status, 302);
    let location = root.header("location").expect("Location header");
    let sid = sid_of_location(location);

    let page = server.get(location);
    assert_eq!(page.status, 200);
    let cookie = page.header("set-cookie").expect("Set-Cookie header");
    assert!(cookie.starts_with(&format!("ui-session={sid}")), "{cookie}");
    assert!(
        page.header("content-type")
            .is_some_and(|value| value.starts_with("text/html")),
    );
    assert!(
        !server.stderr().contains(&sid),
        "logs must not show a full sid"
    );
}

#[test]
fn every_session_is_served_by_the_shard_that_created_it() {
    let server = Server::start(&["--shards", "3"]);
    for _ in 0..12 {
        let root = server.get("/");
        assert_eq!(root.status, 302);
        let location = root.header("location").expect("Location header");
        sid_of_location(location);
        assert_eq!(server.get(location).status, 200, "{location}");
        assert_eq!(server.get(&format!("{location}/deeper/path")).status, 200);
    }
}

#[test]
fn a_well_formed_but_unknown_sid_is_not_found() {
    let server = Server::start(&["--shards", "2"]);
    assert_eq!(server.get("/0123456789abcdef0123456789abcdef").status, 404);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = Server::start(&[]);
    let mut stream = server.connect();
    for _ in 0..3 {
        write!(stream, "GET / HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).expect("write");
        assert_eq!(read_reply(&mut stream).status, 302);
    }
}

#[test]
fn site_from_disk_with_a_broken_main_lua_answers_500_and_keeps_serving() {
    let site = TempSite::new("broken");
    site.write("lua/main.lua", "this is not Lua (")
        .write("html/hello.txt", "hello from disk\n");
    let server = Server::start(&["--dir", site.arg()]);
    let canonical = site.path().canonicalize().expect("canonical site path");
    assert!(
        server
            .banner
            .starts_with(&format!("lunette serving {} at ", canonical.display())),
        "{}",
        server.banner
    );
    for _ in 0..3 {
        let reply = server.get("/");
        assert_eq!(reply.status, 500);
        assert!(reply.text().contains("main.lua"), "{}", reply.text());
    }
    let file = server.get("/hello.txt");
    assert_eq!(file.status, 200);
    assert_eq!(file.text(), "hello from disk\n");
}

#[test]
fn site_from_disk_serves_its_own_app() {
    let site = TempSite::new("app");
    site.write(
        "lua/main.lua",
        "session:createAppVariable({type = 'App', n = 1})\n",
    )
    .write(
        "viewdefs/App.DEFAULT.html",
        "<template><p>app</p></template>",
    );
    let server = Server::start(&["--dir", site.arg()]);
    let root = server.get("/");
    assert_eq!(root.status, 302, "{}", root.text());
    let location = root.header("location").expect("Location header");
    assert_eq!(server.get(location).status, 200);
}

#[test]
fn bodies_over_the_cap_get_413_and_the_server_goes_on() {
    let server = Server::start(&[]);
    let declared = server.send(&format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n",
        server.addr
    ));
    assert_eq!(declared.status, 413);
    // The transport's own answers say nosniff too.
    assert_eq!(declared.header("x-content-type-options"), Some("nosniff"));

    let mut stream = server.connect();
    let chunk = "x".repeat(70_000);
    // The server may answer and close before reading it all: write errors are fine.
    let _ = write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        server.addr,
        chunk.len()
    );
    assert_eq!(read_reply(&mut stream).status, 413);

    let small = server.send(&format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        server.addr
    ));
    assert_eq!(
        small.status, 405,
        "small bodies reach core, which allows only GET/HEAD"
    );
    assert_eq!(server.get("/").status, 302);
}

#[test]
fn bound_to_loopback_only_loopback_and_allowed_host_names_are_answered() {
    let server = Server::start(&["--allow-host", "app.example"]);
    let get = |host: &str| {
        server.send(&format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ))
    };
    let refused = get("rebind.evil.example");
    assert_eq!(refused.status, 421);
    assert!(
        refused.text().contains("--allow-host"),
        "{}",
        refused.text()
    );
    let port = server.addr.rsplit_once(':').map_or("", |(_, port)| port);
    for host in [
        server.addr.clone(),
        format!("localhost:{port}"),
        "app.example".to_owned(),
    ] {
        assert_eq!(get(&host).status, 302, "{host}");
    }
}
