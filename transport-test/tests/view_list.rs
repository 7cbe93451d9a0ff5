//! The built-in `lua.ViewList` and `lua.ViewListItem` (docs/protocol.md §9, §4.5), bound the way
//! the bundled client binds a `ui-view` with `wrapper=lua.ViewList`: the list, its `items`,
//! each item `0`, `1`, … and under it `item`, the presenter.

mod common;

use common::*;
use serde_json::{Value, json};

const APP: &str = r#"
Contact = {type = "Contact"}
Contact.__index = Contact
local function contact(name) return setmetatable({name = name}, Contact) end

Presenter = {type = "Presenter"}
Presenter.__index = Presenter
function Presenter:new(t)
  print("present " .. t.index .. " " .. t.baseItem.name .. " after " .. (t.item and t.item.name or "nil"))
  return setmetatable({name = string.upper(t.baseItem.name), previous = t.item}, self)
end

app = {type = "App", contacts = {contact("ada"), contact("bob"), contact("cy")}}
function app:add() table.insert(self.contacts, contact("dee")) end
function app:drop() table.remove(self.contacts) end
function app:replace() self.contacts[2] = contact("eve") end
function app:clear() self.contacts = "none" end
session:createAppVariable(app)
"#;

/// `create` of `id` under `parent` with a path (query included) and access `r`.
fn view(id: i64, parent: i64, path: &str) -> Value {
    bind(id, parent, path, "r")
}

/// `update` value `null` of an action variable, at once.
fn act(h: &mut lunette_test::Harness, tab: lunette_core::ConnId, id: i64, method: &str) {
    h.send(
        tab,
        &user_batch(&[
            bind(id, 1, &format!("{method}()"), "action"),
            write(id, Value::Null),
        ]),
    );
}

fn update_of(messages: &[Value], id: i64) -> Vec<&Value> {
    messages
        .iter()
        .filter(|m| m["type"] == "update" && m["data"]["varId"] == id)
        .map(|m| &m["data"])
        .collect()
}

/// The value of the last update of `id` among `messages`.
fn value_of(messages: &[Value], id: i64) -> Value {
    update_of(messages, id)
        .last()
        .map(|data| data["value"].clone())
        .unwrap_or_else(|| panic!("no update of {id} in {messages:?}"))
}

fn presents(h: &lunette_test::Harness) -> Vec<String> {
    h.logs()
        .iter()
        .filter(|r| r.message.starts_with("present "))
        .map(|r| r.message.clone())
        .collect()
}

/// 2 the list (`itemWrapper=Presenter`), 3 its `items`, then per item `i` in 0..3: the item
/// `10*(i+1)` and its presenter `10*(i+1)+1`; the first frame taken.
fn bound_list() -> (
    lunette_test::Harness,
    String,
    lunette_core::ConnId,
    Vec<Value>,
) {
    let (mut h, sid, tab) = open(APP);
    let mut messages = vec![
        view(2, 1, "contacts?wrapper=lua.ViewList&itemWrapper=Presenter"),
        view(3, 2, "items"),
    ];
    for i in 0..3 {
        let item = 10 * (i + 1);
        messages.push(view(item, 3, &i.to_string()));
        messages.push(view(item + 1, item, "item"));
    }
    h.send(tab, &batch(&messages));
    h.advance(FLUSH);
    let first = one_frame(&mut h, tab);
    (h, sid, tab, first)
}

// --- §9: first push of a new list variable ---------------------------------------------------

#[test]
fn a_new_list_variable_gets_fallback_namespace_high_then_value_and_type() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[view(
            2,
            1,
            "contacts?wrapper=lua.ViewList&itemWrapper=Presenter",
        )]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [concat!(
            r#"[{"type":"update","data":{"varId":2,"properties":{"fallbackNamespace":"list-item"}}},"#,
            r#"{"type":"update","data":{"varId":2,"value":{"obj":6},"properties":{"type":"lua.ViewList"}}}]"#
        )]
    );
}

#[test]
fn the_list_keeps_its_object_id_while_the_array_changes() {
    let (mut h, sid, tab, first) = bound_list();
    let list = value_of(&first, 2);
    act(&mut h, tab, 90, "add");
    act(&mut h, tab, 91, "replace");
    act(&mut h, tab, 92, "drop");
    h.advance(FLUSH);
    let received = received(&mut h, tab);
    assert!(update_of(&received, 2).is_empty(), "{received:?}");
    let variables = h.variables(&sid);
    assert_eq!(variables[1]["id"], 2);
    assert_eq!(variables[1]["value"], list);
    assert_eq!(variables[1]["type"], "lua.ViewList");
}

// --- §9: items and what an item navigates ----------------------------------------------------

#[test]
fn items_is_an_array_of_item_refs_and_each_item_navigates() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            view(2, 1, "contacts?wrapper=lua.ViewList&itemWrapper=Presenter"),
            view(3, 2, "items"),
            view(4, 3, "1"),
            view(5, 4, "item"),
            view(6, 4, "baseItem"),
            view(7, 4, "index"),
            view(8, 4, "list"),
            view(9, 4, "type"),
            view(10, 5, "name"),
            view(11, 6, "name"),
            view(12, 2, "items.2.index"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    let list = value_of(&received, 2);
    let items = value_of(&received, 3);
    let refs = items.as_array().expect("items is a JSON array");
    assert_eq!(refs.len(), 3, "{items}");
    assert!(refs.iter().all(|r| r["obj"].is_i64()), "{items}");
    assert_eq!(value_of(&received, 4), refs[1]);
    let typed = |id: i64| {
        update_of(&received, id)
            .iter()
            .find_map(|data| data["properties"]["type"].as_str().map(str::to_owned))
    };
    assert_eq!(typed(4).as_deref(), Some("lua.ViewListItem"));
    assert_eq!(typed(5).as_deref(), Some("Presenter"));
    assert_eq!(typed(6).as_deref(), Some("Contact"));
    assert_eq!(value_of(&received, 7), 1, "index is 0-based");
    assert_eq!(value_of(&received, 8), list, "list is the ViewList");
    assert_eq!(typed(8).as_deref(), Some("lua.ViewList"));
    assert_eq!(value_of(&received, 9), "lua.ViewListItem");
    assert_eq!(value_of(&received, 10), "BOB", "the presenter's own fields");
    assert_eq!(value_of(&received, 11), "bob", "baseItem is the element");
    assert_eq!(value_of(&received, 12), 2);
}

#[test]
fn other_names_of_a_list_or_an_item_are_path_failures() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            view(2, 1, "contacts?wrapper=lua.ViewList"),
            view(3, 2, "contacts"),
            view(4, 2, "items.0.name"),
            view(5, 2, "items.0.0"),
            view(6, 2, "type"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    let errors: Vec<_> = received
        .iter()
        .filter(|m| m["type"] == "error")
        .map(error_of)
        .collect();
    let failure = |id| ("path-failure".to_owned(), Some(id));
    assert_eq!(errors, [failure(3), failure(4), failure(5), failure(6)]);
    let descriptions: Vec<&str> = received
        .iter()
        .filter_map(|m| m["data"]["description"].as_str())
        .collect();
    assert_eq!(
        descriptions,
        [
            "lua.ViewList has no 'contacts'",
            "lua.ViewListItem has no 'name'",
            "lua.ViewListItem has no index 0",
            "lua.ViewList has no 'type'"
        ]
    );
}

#[test]
fn an_item_past_the_end_reads_null() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            view(2, 1, "contacts?wrapper=lua.ViewList"),
            view(3, 2, "items.7"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert!(update_of(&received, 3).is_empty(), "null is not sent first");
    assert!(
        received.iter().all(|m| m["type"] == "update"),
        "{received:?}"
    );
}

#[test]
fn writes_into_a_list_or_its_items_are_access_denied() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            view(2, 1, "contacts?wrapper=lua.ViewList"),
            bind(3, 2, "items", "rw"),
            bind(4, 2, "items.0", "rw"),
            bind(5, 2, "items.0.index", "rw"),
            bind(6, 2, "items.0.item.name", "rw"),
        ]),
    );
    h.advance(FLUSH);
    h.frames(tab);
    for (id, value) in [(3, json!([])), (4, json!("x")), (5, json!(7))] {
        h.send(tab, &batch(&[write(id, value)]));
        h.advance(FLUSH);
        assert_eq!(
            only_error(&mut h, tab),
            ("access-denied".to_owned(), Some(id))
        );
    }
    h.send(tab, &batch(&[write(6, json!("zed"))]));
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty(), "the element itself is the app's");
    let name = h
        .variables(&sid)
        .as_array()
        .and_then(|all| all.iter().find(|v| v["id"] == 6).cloned())
        .expect("variable 6");
    assert_eq!(name["value"], "zed");
}

// --- §9: presenters made by itemWrapper ------------------------------------------------------

#[test]
fn presenters_are_made_once_per_element_with_item_base_item_and_index() {
    let (h, _sid, _tab, first) = bound_list();
    assert_eq!(
        presents(&h),
        [
            "present 0 ada after nil",
            "present 1 bob after nil",
            "present 2 cy after nil"
        ]
    );
    let presenters: Vec<Value> = [11, 21, 31]
        .iter()
        .map(|id| value_of(&first, *id))
        .collect();
    assert!(
        presenters.iter().all(|p| p["obj"].is_i64()),
        "{presenters:?}"
    );
}

#[test]
fn a_replaced_element_gets_a_new_presenter_and_the_others_stay() {
    let (mut h, _sid, tab, first) = bound_list();
    act(&mut h, tab, 90, "replace");
    assert_eq!(
        &presents(&h)[3..],
        ["present 1 eve after BOB"],
        "only the changed slot, given its previous presenter"
    );
    let received = received(&mut h, tab);
    let updated: Vec<i64> = received
        .iter()
        .filter(|m| m["type"] == "update")
        .map(|m| m["data"]["varId"].as_i64().expect("varId"))
        .collect();
    assert_eq!(
        updated,
        [21],
        "only the new presenter is sent: {received:?}"
    );
    assert_ne!(value_of(&received, 21), value_of(&first, 21));
}

#[test]
fn without_item_wrapper_the_item_is_the_element() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            view(2, 1, "contacts?wrapper=lua.ViewList"),
            view(3, 2, "items.0.item.name"),
            view(4, 2, "items.0.baseItem"),
            view(5, 2, "items.0.item"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(value_of(&received, 3), "ada");
    assert_eq!(value_of(&received, 4), value_of(&received, 5));
    assert!(presents(&h).is_empty());
}

#[test]
fn an_unknown_or_failing_item_wrapper_gives_the_element() {
    for presenter in ["Nobody", "Broken", "Scalar", "Deep.Missing"] {
        let main = format!(
            "{APP}\nBroken = {{}}\nfunction Broken:new() error('no') end\n\
             Scalar = {{}}\nfunction Scalar:new() return 5 end\nDeep = {{}}"
        );
        let (mut h, _sid, tab) = open(&main);
        h.send(
            tab,
            &batch(&[
                view(
                    2,
                    1,
                    &format!("contacts?wrapper=lua.ViewList&itemWrapper={presenter}"),
                ),
                view(3, 2, "items.1.item.name"),
            ]),
        );
        h.advance(FLUSH);
        let received = one_frame(&mut h, tab);
        assert_eq!(value_of(&received, 3), "bob", "{presenter}");
        assert!(
            received.iter().all(|m| m["type"] == "update"),
            "no message tells the client: {received:?}"
        );
        assert!(
            h.logs()
                .iter()
                .any(|r| r.message.contains(&format!("not presented by {presenter}"))),
            "{presenter}: {:?}",
            h.logs()
        );
    }
}

#[test]
fn a_wrapper_on_an_item_variable_is_ignored() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            view(2, 1, "contacts?wrapper=lua.ViewList&itemWrapper=Presenter"),
            view(3, 2, "items"),
            view(4, 3, "0?wrapper=Presenter"),
            view(5, 4, "item.name"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    let item = update_of(&received, 4);
    assert_eq!(item[0]["properties"]["type"], "lua.ViewListItem");
    assert_eq!(item[0]["value"], value_of(&received, 3)[0]);
    assert_eq!(value_of(&received, 5), "ADA");
    assert_eq!(presents(&h).len(), 3, "no presenter made for the item");
}

// --- §9: growing and shrinking at the end ----------------------------------------------------

#[test]
fn growing_appends_an_item_and_keeps_the_others() {
    let (mut h, _sid, tab, first) = bound_list();
    let before = value_of(&first, 3);
    act(&mut h, tab, 90, "add");
    assert_eq!(&presents(&h)[3..], ["present 3 dee after nil"]);
    let received = received(&mut h, tab);
    let after = value_of(&received, 3);
    let before = before.as_array().expect("items is an array");
    let after = after.as_array().expect("items is an array");
    assert_eq!(after.len(), 4);
    assert_eq!(&after[..3], &before[..], "the first three items stay");
    assert!(update_of(&received, 11).is_empty() && update_of(&received, 21).is_empty());
}

#[test]
fn shrinking_removes_items_from_the_end() {
    let (mut h, _sid, tab, first) = bound_list();
    let before = value_of(&first, 3);
    act(&mut h, tab, 90, "drop");
    let received = received(&mut h, tab);
    let after = value_of(&received, 3);
    assert_eq!(
        after.as_array().map(Vec::as_slice),
        before.as_array().map(|b| &b[..2])
    );
    assert_eq!(
        value_of(&received, 30),
        Value::Null,
        "the removed slot reads null"
    );
    assert_eq!(presents(&h).len(), 3, "no presenter made");
}

#[test]
fn a_value_that_is_not_an_array_counts_as_empty() {
    let (mut h, _sid, tab, _) = bound_list();
    act(&mut h, tab, 90, "clear");
    let received = received(&mut h, tab);
    assert_eq!(value_of(&received, 3), json!([]), "items stays an array");
    for id in [10, 20, 30] {
        assert_eq!(value_of(&received, id), Value::Null);
    }
    assert!(
        update_of(&received, 2).is_empty(),
        "the list itself stays: {received:?}"
    );
}

#[test]
fn a_null_value_is_an_empty_list() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            view(2, 1, "missing?wrapper=lua.ViewList"),
            view(3, 2, "items"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(
        update_of(&received, 2)[1]["properties"]["type"],
        "lua.ViewList"
    );
    assert_eq!(value_of(&received, 3), json!([]));
}

// --- §4.5: detection walks again after a re-sync --------------------------------------------

#[test]
fn a_resync_walks_again_so_earlier_variables_see_what_presenters_did() {
    let main = format!(
        "{APP}\nmade = 0\nlocal present = Presenter.new\n\
         function Presenter:new(t) made = made + 1 return present(self, t) end\n\
         function app:made() return made end"
    );
    let (mut h, _sid, tab) = open(&main);
    h.send(
        tab,
        &batch(&[
            view(2, 1, "made()"),
            view(3, 1, "contacts?wrapper=lua.ViewList&itemWrapper=Presenter"),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(value_of(&one_frame(&mut h, tab), 2), 3);
    act(&mut h, tab, 90, "add");
    assert_eq!(
        value_of(&one_frame(&mut h, tab), 2),
        4,
        "the same cycle re-read made() after the presenter ran"
    );
}

#[test]
fn detection_walks_at_most_four_times_per_cycle() {
    let main =
        format!("{APP}\nfunction app:fresh() print('fresh') return {{ {{name = 'x'}} }} end");
    let (mut h, _sid, tab) = open(&main);
    h.send(tab, &batch(&[view(2, 1, "fresh()?wrapper=lua.ViewList")]));
    h.advance(FLUSH);
    h.frames(tab);
    let before = count_logs(&h, "fresh");
    h.send(tab, &batch(&[]));
    assert_eq!(
        count_logs(&h, "fresh") - before,
        4,
        "every walk re-synchronises a fresh array, so the cycle stops at four"
    );
}
