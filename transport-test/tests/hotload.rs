//! `--hotload` (docs/protocol.md §7.6, §8): changed Lua files re-run in the sessions that loaded
//! them, errors reach the log and the page, and viewdefs follow their files.

mod common;

use common::{FLUSH, batch, bind, messages, one_frame, received, site, tab, value_update, write};
use lunette_core::{Config, ConnId};
use lunette_test::Harness;
use serde_json::{Value, json};

fn hotload() -> Config {
    Config {
        hotload: true,
        ..Config::default()
    }
}

const MAIN_V1: &str = r#"
if not session.reloading then
  app = { type = "App", label = "v1", count = 0 }
  session:createAppVariable(app)
end
function app:after() return "v1" end
"#;

/// Records what `session.reloading` was while it ran and what it is afterwards, and reads the
/// counter set before the reload.
const MAIN_V2: &str = r#"
if not session.reloading then
  app = { type = "App", label = "v1", count = 0 }
  session:createAppVariable(app)
end
app.during = session.reloading
app.runs = (app.runs or 0) + 1
app.label = "v2 count=" .. tostring(app.count)
function app:after() return session.reloading end
"#;

/// A new tab on `sid` watching variable 1 with bindings 2 `label`, 3 `count`, 4 `during`,
/// 5 `after()`, 6 `runs`, and the messages of its first replies.
fn bind_tab(h: &mut Harness, sid: &str) -> (ConnId, Vec<Value>) {
    let conn = tab(h, sid);
    let paths = [
        ("label", "r"),
        ("count", "rw"),
        ("during", "r"),
        ("after()", "r"),
        ("runs", "r"),
    ];
    let binds: Vec<Value> = (2..)
        .zip(paths)
        .map(|(id, (path, access))| bind(id, 1, path, access))
        .collect();
    h.send(conn, &batch(&binds));
    h.advance(FLUSH);
    (conn, received(h, conn))
}

/// [`bind_tab`] with its first replies taken.
fn bound_tab(h: &mut Harness, sid: &str) -> ConnId {
    bind_tab(h, sid).0
}

fn reload_error_of(message: &Value) -> Option<&str> {
    message["data"]["properties"]["reloadError"].as_str()
}

#[test]
fn a_changed_main_lua_reruns_with_reloading_set_keeps_state_then_cycles() {
    let mut h = Harness::new(site(MAIN_V1, &[]), hotload(), 1);
    let sid = h.create_session();
    let conn = bound_tab(&mut h, &sid);
    h.send(conn, &batch(&[write(3, json!(5))]));
    h.advance(FLUSH);
    assert!(h.frames(conn).is_empty(), "the written count is not echoed");
    let unconnected = h.create_session();

    h.change_files(&[("lua/main.lua", Some(MAIN_V2))]);
    // The reload's step flushes what it changed (§4.5): no clock advance needed.
    assert_eq!(
        one_frame(&mut h, conn),
        [
            value_update(2, json!("v2 count=5")),
            value_update(4, json!(true)),
            value_update(5, json!(false)),
            value_update(6, json!(1)),
        ],
        "the reload ran with session.reloading true, false after it, and kept the counter"
    );

    // The session without a connection re-ran too: a tab opened now reads what it did.
    let late = bound_tab_values(&mut h, &unconnected);
    assert_eq!(late, [json!("v2 count=0"), json!(0), json!(true), json!(1)]);

    // A new session runs the new main.lua from the start, not as a reload.
    let fresh = h.create_session();
    assert_eq!(
        bound_tab_values(&mut h, &fresh),
        [json!("v2 count=0"), json!(0), json!(false), json!(1)]
    );

    // A Lua file the sessions never loaded, and a save that changes nothing, re-run nothing.
    h.change_files(&[
        ("lua/util.lua", Some("return {}")),
        ("lua/main.lua", Some(MAIN_V2)),
    ]);
    h.advance(FLUSH);
    assert!(h.frames(conn).is_empty());
}

/// `label`, `count`, `during`, `runs` as a new tab on `sid` first receives them.
fn bound_tab_values(h: &mut Harness, sid: &str) -> Vec<Value> {
    let (_, first) = bind_tab(h, sid);
    let mut values = vec![Value::Null; 4];
    for message in first {
        let slot = match message["data"]["varId"].as_i64() {
            Some(6) => 3,
            Some(id @ 2..=4) => (id - 2) as usize,
            _ => continue,
        };
        values[slot] = message["data"]["value"].clone();
    }
    values
}

#[test]
fn a_reload_error_is_logged_shown_in_the_page_and_the_session_keeps_running() {
    let mut h = Harness::new(site(MAIN_V1, &[]), hotload(), 1);
    let sid = h.create_session();
    let conn = bound_tab(&mut h, &sid);

    let broken = "app.label = 'half done'\nlocal missing = nil\nmissing.field = 1\n";
    h.change_files(&[("lua/main.lua", Some(broken))]);
    let logged: Vec<_> = h
        .logs()
        .iter()
        .filter(|r| r.message.contains("lua/main.lua:3:"))
        .collect();
    assert_eq!(logged.len(), 1, "{:?}", h.logs());
    assert_eq!(logged[0].session.map(|s| s.to_string()), Some(sid.clone()));

    h.advance(FLUSH);
    let frame = one_frame(&mut h, conn);
    let error = reload_error_of(&frame[0]).expect("variable 1 carries reloadError first");
    assert!(
        error.starts_with("lua/main.lua:3: attempt to index a nil value"),
        "{error}"
    );
    assert_eq!(frame[0]["data"]["varId"], 1);
    assert_eq!(
        frame[0]["data"]["value"],
        json!({"obj": 2}),
        "no clearing (§4.6)"
    );
    assert_eq!(
        frame[1..],
        [value_update(2, json!("half done"))],
        "what ran before the error stays"
    );

    // The session keeps answering.
    h.send(
        conn,
        &batch(&[write(3, json!("x")), bind(7, 1, "count", "r")]),
    );
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, conn), [value_update(7, json!("x"))]);

    // A new tab gets the standing error with its full update of variable 1.
    let second = h.connect(&sid);
    h.send(second, &batch(&[common::watch(1)]));
    h.advance(FLUSH);
    let first = messages(&h.frames(second)[0]);
    assert!(
        first.iter().any(|m| reload_error_of(m).is_some()),
        "{first:?}"
    );

    // A syntax error is reported the same way, with its line.
    h.change_files(&[("lua/main.lua", Some("app.label = 'ok'\nif then\n"))]);
    h.advance(FLUSH);
    let frame = one_frame(&mut h, conn);
    let error = reload_error_of(&frame[0]).expect("a new reloadError");
    assert!(error.starts_with("lua/main.lua:2:"), "{error}");

    // A successful reload takes the error away.
    h.change_files(&[("lua/main.lua", Some(MAIN_V1))]);
    h.advance(FLUSH);
    let frame = one_frame(&mut h, conn);
    assert_eq!(reload_error_of(&frame[0]), Some(""), "{frame:?}");
}

#[test]
fn viewdefs_follow_their_files() {
    let main = r#"session:createAppVariable({ type = "App" })"#;
    let mut h = Harness::new(
        site(
            main,
            &[
                ("App.DEFAULT", "<template>a1</template>"),
                ("B.DEFAULT", "<template>b1</template>"),
            ],
        ),
        hotload(),
        1,
    );
    let sid = h.create_session();
    let first = tab(&mut h, &sid);
    let second = tab(&mut h, &sid);
    let not_watching = h.connect(&sid);

    let viewdefs_of = |h: &mut Harness, conn| -> Vec<Value> {
        h.frames(conn)
            .iter()
            .flat_map(|f| messages(f))
            .map(|m| {
                let text = m["data"]["properties"]["viewdefs"]
                    .as_str()
                    .expect("only viewdefs messages");
                serde_json::from_str(text).expect("viewdefs hold a JSON object")
            })
            .collect()
    };

    // A changed file goes to every connection that had it, a new one to every watcher.
    h.change_files(&[
        (
            "viewdefs/App.DEFAULT.html",
            Some("<template>a2</template>\n"),
        ),
        ("viewdefs/C.DEFAULT.html", Some("<template>c1</template>")),
    ]);
    h.advance(FLUSH);
    let expected =
        json!({"App.DEFAULT": "<template>a2</template>", "C.DEFAULT": "<template>c1</template>"});
    assert_eq!(viewdefs_of(&mut h, first), std::slice::from_ref(&expected));
    assert_eq!(viewdefs_of(&mut h, second), [expected]);
    assert!(h.frames(not_watching).is_empty());

    // A removed file is simply no longer sent; a file that became invalid keeps its previous
    // version and is logged with its path and reason.
    h.change_files(&[
        ("viewdefs/B.DEFAULT.html", None),
        (
            "viewdefs/App.DEFAULT.html",
            Some("<div>not a template</div>"),
        ),
    ]);
    h.advance(FLUSH);
    assert!(h.frames(first).is_empty());
    assert!(h.logs().iter().any(|r| {
        r.message.contains("viewdefs/App.DEFAULT.html") && r.message.contains("<template>")
    }));
    let late = h.connect(&sid);
    h.send(late, &batch(&[common::watch(1)]));
    h.advance(FLUSH);
    assert_eq!(
        viewdefs_of_first(&mut h, late),
        json!({"App.DEFAULT": "<template>a2</template>", "C.DEFAULT": "<template>c1</template>"})
    );
}

/// The viewdefs object of the first message of the one frame `conn` received.
fn viewdefs_of_first(h: &mut Harness, conn: ConnId) -> Value {
    let frame = one_frame(h, conn);
    let text = frame[0]["data"]["properties"]["viewdefs"]
        .as_str()
        .expect("the viewdefs message comes first");
    serde_json::from_str(text).expect("viewdefs hold a JSON object")
}

#[test]
fn without_hotload_site_changes_are_ignored() {
    let mut h = Harness::new(site(MAIN_V1, &[]), Config::default(), 1);
    let sid = h.create_session();
    let conn = bound_tab(&mut h, &sid);
    h.change_files(&[("lua/main.lua", Some(MAIN_V2))]);
    h.advance(FLUSH);
    assert!(h.frames(conn).is_empty());
    assert!(h.logs().iter().any(|r| r.message.contains("--hotload")));
    let fresh = h.create_session();
    assert_eq!(bound_tab_values(&mut h, &fresh)[0], json!("v1"));
}
