//! The built-in `lua.ViewList` and `lua.ViewListItem` (docs/protocol.md §9, §4.5), bound the way
//! the bundled client binds a `ui-view` with `wrapper=lua.ViewList`: the list, its `items`,
//! each item `0`, `1`, … and under it `item`, the presenter.

mod common;

use common::*;
use lunette_test::{Sent, Tab};
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

/// `create` under `parent` with a path (query included) and access `r`; its id.
fn view(tab: &mut Tab, parent: i64, path: &str) -> i64 {
    tab.bind(parent, path, "r")
}

/// Binds `method()` as an action and clicks it, in one frame.
fn act(tab: &mut Tab, method: &str) {
    tab.user_event(|t| {
        let action = t.bind(1, &format!("{method}()"), "action");
        t.write(action, Value::Null);
    });
}

/// `(value, properties)` of each update of `id` among `messages`.
fn updates_of(
    messages: &[Sent],
    id: i64,
) -> Vec<(Option<&Value>, &std::collections::BTreeMap<String, String>)> {
    messages
        .iter()
        .filter_map(|m| match m {
            Sent::Update {
                var_id,
                value,
                properties,
            } if *var_id == id => Some((value.as_ref(), properties)),
            _ => None,
        })
        .collect()
}

/// The value of the last update of `id` among `messages`.
fn value_of(messages: &[Sent], id: i64) -> Value {
    match updates_of(messages, id).last() {
        Some((Some(value), _)) => (*value).clone(),
        _ => panic!("no update of {id} with a value in {messages:?}"),
    }
}

/// The `type` property an update of `id` among `messages` set.
fn type_of(messages: &[Sent], id: i64) -> Option<&str> {
    updates_of(messages, id)
        .iter()
        .find_map(|(_, properties)| properties.get("type").map(String::as_str))
}

fn presents(tab: &Tab) -> Vec<String> {
    tab.harness()
        .logs()
        .iter()
        .filter(|r| r.message.starts_with("present "))
        .map(|r| r.message.clone())
        .collect()
}

/// What [`bound_list`] bound: a list with `itemWrapper=Presenter` (`id`), its `items`, per
/// element the item (`slots`) and its presenter; and the first frame the tab received.
struct BoundList {
    id: i64,
    items: i64,
    slots: [i64; 3],
    presenters: [i64; 3],
    first: Vec<Sent>,
}

/// A tab of `APP` and the list it bound.
fn bound_list() -> (Tab, BoundList) {
    let mut tab = Tab::open(APP);
    let (list, items, slots, presenters) = tab.together(|t| {
        let list = view(t, 1, "contacts?wrapper=lua.ViewList&itemWrapper=Presenter");
        let items = view(t, list, "items");
        let mut slots = [0; 3];
        let mut presenters = [0; 3];
        for i in 0..3 {
            slots[i] = view(t, items, &i.to_string());
            presenters[i] = view(t, slots[i], "item");
        }
        (list, items, slots, presenters)
    });
    let first = tab.take_frame();
    let list = BoundList {
        id: list,
        items,
        slots,
        presenters,
        first,
    };
    (tab, list)
}

// --- §9: first push of a new list variable ---------------------------------------------------

#[test]
fn a_new_list_variable_gets_fallback_namespace_high_then_value_and_type() {
    let mut tab = Tab::open(APP);
    let list = view(
        &mut tab,
        1,
        "contacts?wrapper=lua.ViewList&itemWrapper=Presenter",
    );
    tab.expect(&[
        Sent::properties(list, &[("fallbackNamespace", "list-item")]),
        Sent::update(list, json!({"obj": 6}), &[("type", "lua.ViewList")]),
    ]);
}

#[test]
fn the_list_keeps_its_object_id_while_the_array_changes() {
    let (mut tab, list) = bound_list();
    let value = value_of(&list.first, list.id);
    act(&mut tab, "add");
    act(&mut tab, "replace");
    act(&mut tab, "drop");
    tab.advance(FLUSH);
    let received = tab.take();
    assert!(updates_of(&received, list.id).is_empty(), "{received:?}");
    let variables = tab.variables();
    assert_eq!(variables[1]["id"], list.id);
    assert_eq!(variables[1]["value"], value);
    assert_eq!(variables[1]["type"], "lua.ViewList");
}

// --- §9: items and what an item navigates ----------------------------------------------------

#[test]
fn items_is_an_array_of_item_refs_and_each_item_navigates() {
    let mut tab = Tab::open(APP);
    let (list, items, second, [item, base_item, index, of_list, type_name], names) =
        tab.together(|t| {
            let list = view(t, 1, "contacts?wrapper=lua.ViewList&itemWrapper=Presenter");
            let items = view(t, list, "items");
            let second = view(t, items, "1");
            let members =
                ["item", "baseItem", "index", "list", "type"].map(|path| view(t, second, path));
            let names = [
                view(t, members[0], "name"),
                view(t, members[1], "name"),
                view(t, list, "items.2.index"),
            ];
            (list, items, second, members, names)
        });
    let [item_name, base_name, third_index] = names;
    let received = tab.take_frame();
    let list_value = value_of(&received, list);
    let items_value = value_of(&received, items);
    let refs = items_value.as_array().expect("items is a JSON array");
    assert_eq!(refs.len(), 3, "{items_value}");
    assert!(refs.iter().all(|r| r["obj"].is_i64()), "{items_value}");
    assert_eq!(value_of(&received, second), refs[1]);
    assert_eq!(type_of(&received, second), Some("lua.ViewListItem"));
    assert_eq!(type_of(&received, item), Some("Presenter"));
    assert_eq!(type_of(&received, base_item), Some("Contact"));
    assert_eq!(value_of(&received, index), 1, "index is 0-based");
    assert_eq!(
        value_of(&received, of_list),
        list_value,
        "list is the ViewList"
    );
    assert_eq!(type_of(&received, of_list), Some("lua.ViewList"));
    assert_eq!(value_of(&received, type_name), "lua.ViewListItem");
    assert_eq!(
        value_of(&received, item_name),
        "BOB",
        "the presenter's own fields"
    );
    assert_eq!(
        value_of(&received, base_name),
        "bob",
        "baseItem is the element"
    );
    assert_eq!(value_of(&received, third_index), 2);
}

#[test]
fn other_names_of_a_list_or_an_item_are_path_failures() {
    let mut tab = Tab::open(APP);
    let [contacts, name, zero, type_name] = tab.together(|t| {
        let list = view(t, 1, "contacts?wrapper=lua.ViewList");
        ["contacts", "items.0.name", "items.0.0", "type"].map(|path| view(t, list, path))
    });
    let received = tab.take_frame();
    let errors: Vec<(&str, Option<i64>, &str)> = received
        .iter()
        .filter_map(|m| match m {
            Sent::Error {
                var_id,
                code,
                description,
            } => Some((code.as_str(), *var_id, description.as_str())),
            _ => None,
        })
        .collect();
    let failure = |id, description| ("path-failure", Some(id), description);
    assert_eq!(
        errors,
        [
            failure(contacts, "lua.ViewList has no 'contacts'"),
            failure(name, "lua.ViewListItem has no 'name'"),
            failure(zero, "lua.ViewListItem has no index 0"),
            failure(type_name, "lua.ViewList has no 'type'"),
        ]
    );
}

#[test]
fn an_item_past_the_end_reads_null() {
    let mut tab = Tab::open(APP);
    let past_the_end = tab.together(|t| {
        let list = view(t, 1, "contacts?wrapper=lua.ViewList");
        view(t, list, "items.7")
    });
    let received = tab.take_frame();
    assert!(
        updates_of(&received, past_the_end).is_empty(),
        "null is not sent first"
    );
    assert!(
        received.iter().all(|m| matches!(m, Sent::Update { .. })),
        "{received:?}"
    );
}

#[test]
fn writes_into_a_list_or_its_items_are_access_denied() {
    let mut tab = Tab::open(APP);
    let [items, slot, index, element_name] = tab.together(|t| {
        let list = view(t, 1, "contacts?wrapper=lua.ViewList");
        ["items", "items.0", "items.0.index", "items.0.item.name"]
            .map(|path| t.bind(list, path, "rw"))
    });
    tab.take();
    for (id, value) in [(items, json!([])), (slot, json!("x")), (index, json!(7))] {
        tab.write(id, value);
        assert_eq!(tab.expect_error(), ("access-denied".to_owned(), Some(id)));
    }
    tab.write(element_name, "zed");
    tab.advance(FLUSH);
    tab.expect_nothing(); // the element itself is the app's
    let name = tab
        .variables()
        .as_array()
        .and_then(|all| all.iter().find(|v| v["id"] == element_name).cloned())
        .expect("the variable of items.0.item.name");
    assert_eq!(name["value"], "zed");
}

// --- §9: presenters made by itemWrapper ------------------------------------------------------

#[test]
fn presenters_are_made_once_per_element_with_item_base_item_and_index() {
    let (tab, list) = bound_list();
    assert_eq!(
        presents(&tab),
        [
            "present 0 ada after nil",
            "present 1 bob after nil",
            "present 2 cy after nil"
        ]
    );
    let values = list.presenters.map(|id| value_of(&list.first, id));
    assert!(values.iter().all(|p| p["obj"].is_i64()), "{values:?}");
}

#[test]
fn a_replaced_element_gets_a_new_presenter_and_the_others_stay() {
    let (mut tab, list) = bound_list();
    act(&mut tab, "replace");
    assert_eq!(
        &presents(&tab)[3..],
        ["present 1 eve after BOB"],
        "only the changed slot, given its previous presenter"
    );
    let received = tab.take();
    let updated: Vec<i64> = received
        .iter()
        .filter_map(|m| match m {
            Sent::Update { var_id, .. } => Some(*var_id),
            _ => None,
        })
        .collect();
    assert_eq!(
        updated,
        [list.presenters[1]],
        "only the new presenter is sent: {received:?}"
    );
    assert_ne!(
        value_of(&received, list.presenters[1]),
        value_of(&list.first, list.presenters[1])
    );
}

#[test]
fn without_item_wrapper_the_item_is_the_element() {
    let mut tab = Tab::open(APP);
    let [name, base_item, item] = tab.together(|t| {
        let list = view(t, 1, "contacts?wrapper=lua.ViewList");
        ["items.0.item.name", "items.0.baseItem", "items.0.item"].map(|path| view(t, list, path))
    });
    let received = tab.take_frame();
    assert_eq!(value_of(&received, name), "ada");
    assert_eq!(value_of(&received, base_item), value_of(&received, item));
    assert!(presents(&tab).is_empty());
}

#[test]
fn an_unknown_or_failing_item_wrapper_gives_the_element() {
    for presenter in ["Nobody", "Broken", "Scalar", "Deep.Missing"] {
        let main = format!(
            "{APP}\nBroken = {{}}\nfunction Broken:new() error('no') end\n\
             Scalar = {{}}\nfunction Scalar:new() return 5 end\nDeep = {{}}"
        );
        let mut tab = Tab::open(&main);
        let name = tab.together(|t| {
            let list = view(
                t,
                1,
                &format!("contacts?wrapper=lua.ViewList&itemWrapper={presenter}"),
            );
            view(t, list, "items.1.item.name")
        });
        let received = tab.take_frame();
        assert_eq!(value_of(&received, name), "bob", "{presenter}");
        assert!(
            received.iter().all(|m| matches!(m, Sent::Update { .. })),
            "no message tells the client: {received:?}"
        );
        let logs = tab.harness().logs().to_vec();
        assert!(
            logs.iter()
                .any(|r| r.message.contains(&format!("not presented by {presenter}"))),
            "{presenter}: {logs:?}"
        );
    }
}

#[test]
fn a_wrapper_on_an_item_variable_is_ignored() {
    let mut tab = Tab::open(APP);
    let (items, slot, name) = tab.together(|t| {
        let list = view(t, 1, "contacts?wrapper=lua.ViewList&itemWrapper=Presenter");
        let items = view(t, list, "items");
        let slot = view(t, items, "0?wrapper=Presenter");
        (items, slot, view(t, slot, "item.name"))
    });
    let received = tab.take_frame();
    let (value, properties) = updates_of(&received, slot)[0];
    assert_eq!(properties["type"], "lua.ViewListItem");
    assert_eq!(value, Some(&value_of(&received, items)[0]));
    assert_eq!(value_of(&received, name), "ADA");
    assert_eq!(presents(&tab).len(), 3, "no presenter made for the item");
}

// --- §9: growing and shrinking at the end ----------------------------------------------------

#[test]
fn growing_appends_an_item_and_keeps_the_others() {
    let (mut tab, list) = bound_list();
    let before = value_of(&list.first, list.items);
    act(&mut tab, "add");
    assert_eq!(&presents(&tab)[3..], ["present 3 dee after nil"]);
    let received = tab.take();
    let after = value_of(&received, list.items);
    let before = before.as_array().expect("items is an array");
    let after = after.as_array().expect("items is an array");
    assert_eq!(after.len(), 4);
    assert_eq!(&after[..3], &before[..], "the first three items stay");
    assert!(
        updates_of(&received, list.presenters[0]).is_empty()
            && updates_of(&received, list.presenters[1]).is_empty()
    );
}

#[test]
fn shrinking_removes_items_from_the_end() {
    let (mut tab, list) = bound_list();
    let before = value_of(&list.first, list.items);
    act(&mut tab, "drop");
    let received = tab.take();
    let after = value_of(&received, list.items);
    assert_eq!(
        after.as_array().map(Vec::as_slice),
        before.as_array().map(|b| &b[..2])
    );
    assert_eq!(
        value_of(&received, list.slots[2]),
        Value::Null,
        "the removed slot reads null"
    );
    assert_eq!(presents(&tab).len(), 3, "no presenter made");
}

#[test]
fn a_value_that_is_not_an_array_counts_as_empty() {
    let (mut tab, list) = bound_list();
    act(&mut tab, "clear");
    let received = tab.take();
    assert_eq!(
        value_of(&received, list.items),
        json!([]),
        "items stays an array"
    );
    for slot in list.slots {
        assert_eq!(value_of(&received, slot), Value::Null);
    }
    assert!(
        updates_of(&received, list.id).is_empty(),
        "the list itself stays: {received:?}"
    );
}

#[test]
fn a_null_value_is_an_empty_list() {
    let mut tab = Tab::open(APP);
    let (list, items) = tab.together(|t| {
        let list = view(t, 1, "missing?wrapper=lua.ViewList");
        (list, view(t, list, "items"))
    });
    let received = tab.take_frame();
    assert_eq!(updates_of(&received, list)[1].1["type"], "lua.ViewList");
    assert_eq!(value_of(&received, items), json!([]));
}

// --- §4.5: detection walks again after a re-sync --------------------------------------------

#[test]
fn a_resync_walks_again_so_earlier_variables_see_what_presenters_did() {
    let main = format!(
        "{APP}\nmade = 0\nlocal present = Presenter.new\n\
         function Presenter:new(t) made = made + 1 return present(self, t) end\n\
         function app:made() return made end"
    );
    let mut tab = Tab::open(&main);
    let made = tab.together(|t| {
        let made = view(t, 1, "made()");
        view(t, 1, "contacts?wrapper=lua.ViewList&itemWrapper=Presenter");
        made
    });
    assert_eq!(value_of(&tab.take_frame(), made), 3);
    act(&mut tab, "add");
    assert_eq!(
        value_of(&tab.take_frame(), made),
        4,
        "the same cycle re-read made() after the presenter ran"
    );
}

#[test]
fn detection_walks_at_most_four_times_per_cycle() {
    let main =
        format!("{APP}\nfunction app:fresh() print('fresh') return {{ {{name = 'x'}} }} end");
    let mut tab = Tab::open(&main);
    view(&mut tab, 1, "fresh()?wrapper=lua.ViewList");
    tab.take();
    let before = count_logs(&tab.harness(), "fresh");
    tab.together(|_| ()); // an empty frame: one more cycle
    assert_eq!(
        count_logs(&tab.harness(), "fresh") - before,
        4,
        "every walk re-synchronises a fresh array, so the cycle stops at four"
    );
}
