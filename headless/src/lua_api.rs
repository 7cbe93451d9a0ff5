//! The Lua API of app tests (documented in `docs/guide.md`, "Testing your app"). A test file
//! runs in a Lua VM of its own, apart from the sessions' VMs; it registers tests with
//! `test(name, fn)`. A test opens tabs with `open()`, acts on them (`tab:type`, `tab:click`,
//! …), moves virtual time with `wait(ms)` and checks what the page shows (`tab:expectText`,
//! …). A failed check raises an error located at the test's line.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use dom_query::NodeId;
use mlua::{Lua, MultiValue, Table, UserData, UserDataMethods, Value};

use crate::page::collapse_whitespace;
use crate::report;
use crate::world::{TabId, World};

/// The world of the test running now, shared by the functions the test calls.
#[derive(Default)]
pub struct Current {
    pub world: Option<World>,
    /// Bumped for every test: a tab kept from an earlier test is refused.
    pub generation: u64,
    /// The last action, to say after what an app failure happened.
    pub last_action: String,
    /// What the test printed, shown if it fails.
    pub printed: Vec<String>,
}

pub type Shared = Rc<RefCell<Current>>;

/// A tab as a test holds it.
#[derive(Clone)]
struct TabRef {
    current: Shared,
    tab: TabId,
    generation: u64,
}

/// An error at the test line that called the running Rust function, as `error(msg, 2)`.
fn fail(lua: &Lua, message: impl std::fmt::Display) -> mlua::Error {
    let place = lua
        .inspect_stack(1, |debug| {
            let source = debug.source().short_src?.into_owned();
            let line = debug.current_line()?;
            Some(format!("{source}:{line}: "))
        })
        .flatten()
        .unwrap_or_default();
    mlua::Error::runtime(format!("{place}{message}"))
}

/// Runs `f` on the current world after checking that the app has not failed since the last
/// look; `what` names the call (`tab:click(".save")`) for later failures.
fn with_world<R>(
    lua: &Lua,
    tab: &TabRef,
    what: &str,
    f: impl FnOnce(&mut World, TabId) -> Result<R, String>,
) -> mlua::Result<R> {
    let mut current = tab.current.borrow_mut();
    if current.generation != tab.generation {
        return Err(fail(lua, "this tab belongs to an earlier test"));
    }
    let after = current.last_action.clone();
    let world = current
        .world
        .as_mut()
        .ok_or_else(|| fail(lua, "no test is running"))?;
    if !world.app_errors.is_empty() {
        let errors = std::mem::take(&mut world.app_errors);
        return Err(fail(lua, app_failure(&after, &errors)));
    }
    let outcome = f(world, tab.tab).map_err(|message| fail(lua, format!("{what}: {message}")));
    current.last_action = what.to_owned();
    outcome
}

pub fn app_failure(after: &str, errors: &[String]) -> String {
    let after = if after.is_empty() {
        "opening the page".to_owned()
    } else {
        after.to_owned()
    };
    format!(
        "the app failed after {after}:\n{}",
        errors
            .iter()
            .map(|e| format!("    {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// The HTML to show beside a failed check on `element`: its parent's when that is short,
/// else its own.
fn around(world: &World, tab: TabId, element: NodeId) -> String {
    let page = &world.tab(tab).client.page;
    let parent = page.parent(element).filter(|p| page.is_element(*p));
    match parent {
        Some(parent) if page.outer_html(parent).len() <= 1_500 => report::excerpt(page, parent),
        _ => report::excerpt(page, element),
    }
}

fn text_of(world: &World, tab: TabId, element: NodeId) -> String {
    collapse_whitespace(&world.tab(tab).client.page.visible_text(element))
}

/// A field's value; checkboxes have `checked` instead.
fn field_value(world: &World, tab: TabId, css: &str, element: NodeId) -> Result<String, String> {
    let page = &world.tab(tab).client.page;
    if !matches!(page.tag(element).as_str(), "input" | "textarea" | "select") {
        return Err(format!(
            "{css:?} is a <{}>, not a field: read its text instead",
            page.tag(element)
        ));
    }
    if page.is_checkable(element) {
        return Err(format!("{css:?} is a checkbox: use expectChecked"));
    }
    Ok(page.value(element))
}

fn lua_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_string_lossy(),
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Nil => "nil".to_owned(),
        other => format!("{other:?}"),
    }
}

impl UserData for TabRef {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        // Actions --------------------------------------------------------------------------
        methods.add_method("click", |lua, tab, css: String| {
            with_world(lua, tab, &format!("tab:click({css:?})"), |w, t| {
                w.click(t, &css)
            })
        });
        methods.add_method("doubleClick", |lua, tab, css: String| {
            let what = format!("tab:doubleClick({css:?})");
            with_world(lua, tab, &what, |w, t| w.double_click(t, &css))
        });
        methods.add_method("type", |lua, tab, (css, text): (String, String)| {
            let what = format!("tab:type({css:?}, {text:?})");
            with_world(lua, tab, &what, |w, t| w.type_text(t, &css, &text, true))
        });
        methods.add_method("typeKeys", |lua, tab, (css, text): (String, String)| {
            let what = format!("tab:typeKeys({css:?}, {text:?})");
            with_world(lua, tab, &what, |w, t| w.type_text(t, &css, &text, false))
        });
        methods.add_method("press", |lua, tab, (css, key): (String, String)| {
            let what = format!("tab:press({css:?}, {key:?})");
            with_world(lua, tab, &what, |w, t| w.press(t, &css, &key))
        });
        methods.add_method("choose", |lua, tab, (css, value): (String, String)| {
            let what = format!("tab:choose({css:?}, {value:?})");
            with_world(lua, tab, &what, |w, t| w.choose(t, &css, &value))
        });
        methods.add_method("check", |lua, tab, css: String| {
            let what = format!("tab:check({css:?})");
            with_world(lua, tab, &what, |w, t| w.set_checked(t, &css, true))
        });
        methods.add_method("uncheck", |lua, tab, css: String| {
            let what = format!("tab:uncheck({css:?})");
            with_world(lua, tab, &what, |w, t| w.set_checked(t, &css, false))
        });
        methods.add_method("fire", |lua, tab, (css, event): (String, String)| {
            let what = format!("tab:fire({css:?}, {event:?})");
            with_world(lua, tab, &what, |w, t| w.fire(t, &css, &event))
        });
        methods.add_method("openTab", |lua, tab, ()| {
            let opened = with_world(lua, tab, "tab:openTab()", |w, t| w.open_tab(t))?;
            Ok(TabRef {
                tab: opened,
                ..tab.clone()
            })
        });
        methods.add_method("close", |lua, tab, ()| {
            with_world(lua, tab, "tab:close()", |w, t| w.close(t))
        });

        // Reading the page -------------------------------------------------------------------
        methods.add_method("text", |lua, tab, css: String| {
            with_world(lua, tab, &format!("tab:text({css:?})"), |w, t| {
                let element = w.find(t, &css)?;
                Ok(text_of(w, t, element))
            })
        });
        methods.add_method("texts", |lua, tab, css: String| {
            let texts = with_world(lua, tab, &format!("tab:texts({css:?})"), |w, t| {
                let found = w.find_all(t, &css)?;
                Ok(found.iter().map(|e| text_of(w, t, *e)).collect::<Vec<_>>())
            })?;
            lua.create_sequence_from(texts)
        });
        methods.add_method("value", |lua, tab, css: String| {
            with_world(lua, tab, &format!("tab:value({css:?})"), |w, t| {
                let element = w.find(t, &css)?;
                field_value(w, t, &css, element)
            })
        });
        methods.add_method("checked", |lua, tab, css: String| {
            with_world(lua, tab, &format!("tab:checked({css:?})"), |w, t| {
                let element = w.find(t, &css)?;
                Ok(w.tab(t).client.page.checked(element))
            })
        });
        methods.add_method("attr", |lua, tab, (css, name): (String, String)| {
            with_world(lua, tab, &format!("tab:attr({css:?}, {name:?})"), |w, t| {
                let element = w.find(t, &css)?;
                Ok(w.tab(t).client.page.attr(element, &name))
            })
        });
        methods.add_method("hasClass", |lua, tab, (css, class): (String, String)| {
            with_world(lua, tab, &format!("tab:hasClass({css:?})"), |w, t| {
                let element = w.find(t, &css)?;
                Ok(w.tab(t).client.page.has_class(element, &class))
            })
        });
        methods.add_method("count", |lua, tab, css: String| {
            with_world(lua, tab, &format!("tab:count({css:?})"), |w, t| {
                Ok(w.find_all(t, &css)?.len())
            })
        });
        methods.add_method("exists", |lua, tab, css: String| {
            with_world(lua, tab, &format!("tab:exists({css:?})"), |w, t| {
                Ok(!w.find_all(t, &css)?.is_empty())
            })
        });
        methods.add_method("html", |lua, tab, css: Option<String>| {
            with_world(lua, tab, "tab:html()", |w, t| {
                let client = &w.tab(t).client;
                let element = match &css {
                    Some(css) => w.find(t, css)?,
                    None => client.app_element,
                };
                Ok(client.page.outer_html(element))
            })
        });

        // Checks ------------------------------------------------------------------------------
        methods.add_method(
            "expectText",
            |lua, tab, (css, expected): (String, String)| {
                let what = format!("tab:expectText({css:?})");
                with_world(lua, tab, &what, |w, t| {
                    let element = w.find(t, &css)?;
                    let found = text_of(w, t, element);
                    if found == expected {
                        return Ok(());
                    }
                    Err(format!(
                        "expected the text {expected:?}, found {found:?}\n{}",
                        around(w, t, element)
                    ))
                })
            },
        );
        methods.add_method(
            "expectTexts",
            |lua, tab, (css, expected): (String, Table)| {
                let expected: Vec<String> = expected
                    .sequence_values::<Value>()
                    .map(|v| v.map(|v| lua_string(&v)))
                    .collect::<mlua::Result<_>>()?;
                let what = format!("tab:expectTexts({css:?})");
                with_world(lua, tab, &what, |w, t| {
                    let found_elements = w.find_all(t, &css)?;
                    let found: Vec<String> =
                        found_elements.iter().map(|e| text_of(w, t, *e)).collect();
                    if found == expected {
                        return Ok(());
                    }
                    let context = match found_elements.first() {
                        Some(first) => around(w, t, *first),
                        None => w.nothing_matches(t, &css),
                    };
                    Err(format!(
                        "expected the texts {expected:?}, found {found:?}\n{context}"
                    ))
                })
            },
        );
        methods.add_method(
            "expectValue",
            |lua, tab, (css, expected): (String, String)| {
                let what = format!("tab:expectValue({css:?})");
                with_world(lua, tab, &what, |w, t| {
                    let element = w.find(t, &css)?;
                    let found = field_value(w, t, &css, element)?;
                    if found == expected {
                        return Ok(());
                    }
                    Err(format!(
                        "expected the value {expected:?}, found {found:?}\n{}",
                        around(w, t, element)
                    ))
                })
            },
        );
        for (name, wanted) in [("expectChecked", true), ("expectNotChecked", false)] {
            methods.add_method(name, move |lua, tab, css: String| {
                with_world(lua, tab, &format!("tab:{name}({css:?})"), |w, t| {
                    let element = w.find(t, &css)?;
                    let page = &w.tab(t).client.page;
                    if !page.is_checkable(element) {
                        return Err(format!("{css:?} is not a checkbox or a radio button"));
                    }
                    if page.checked(element) == wanted {
                        return Ok(());
                    }
                    Err(format!(
                        "expected it {}checked, it is {}checked\n{}",
                        if wanted { "" } else { "not " },
                        if wanted { "not " } else { "" },
                        around(w, t, element)
                    ))
                })
            });
        }
        for (name, wanted) in [("expectClass", true), ("expectNoClass", false)] {
            methods.add_method(name, move |lua, tab, (css, class): (String, String)| {
                with_world(
                    lua,
                    tab,
                    &format!("tab:{name}({css:?}, {class:?})"),
                    |w, t| {
                        let element = w.find(t, &css)?;
                        let page = &w.tab(t).client.page;
                        if page.has_class(element, &class) == wanted {
                            return Ok(());
                        }
                        Err(format!(
                            "expected {}class {class:?}, found the classes {:?}\n{}",
                            if wanted { "the " } else { "no " },
                            page.classes(element).join(" "),
                            around(w, t, element)
                        ))
                    },
                )
            });
        }
        methods.add_method(
            "expectAttr",
            |lua, tab, (css, name, expected): (String, String, String)| {
                with_world(
                    lua,
                    tab,
                    &format!("tab:expectAttr({css:?}, {name:?})"),
                    |w, t| {
                        let element = w.find(t, &css)?;
                        let found = w.tab(t).client.page.attr(element, &name);
                        if found.as_deref() == Some(expected.as_str()) {
                            return Ok(());
                        }
                        let found =
                            found.map_or("no such attribute".to_owned(), |f| format!("{f:?}"));
                        Err(format!(
                            "expected {name}={expected:?}, found {found}\n{}",
                            around(w, t, element)
                        ))
                    },
                )
            },
        );
        methods.add_method("expectNoAttr", |lua, tab, (css, name): (String, String)| {
            with_world(
                lua,
                tab,
                &format!("tab:expectNoAttr({css:?}, {name:?})"),
                |w, t| {
                    let element = w.find(t, &css)?;
                    match w.tab(t).client.page.attr(element, &name) {
                        None => Ok(()),
                        Some(found) => Err(format!(
                            "expected no attribute {name}, found {name}={found:?}\n{}",
                            around(w, t, element)
                        )),
                    }
                },
            )
        });
        methods.add_method("expectPresent", |lua, tab, css: String| {
            with_world(lua, tab, &format!("tab:expectPresent({css:?})"), |w, t| {
                w.find(t, &css).map(|_| ())
            })
        });
        methods.add_method("expectAbsent", |lua, tab, css: String| {
            with_world(
                lua,
                tab,
                &format!("tab:expectAbsent({css:?})"),
                |w, t| match w.find_all(t, &css)?.first() {
                    None => Ok(()),
                    Some(found) => Err(format!(
                        "expected no element to match, found one\n{}",
                        around(w, t, *found)
                    )),
                },
            )
        });
        methods.add_method("expectCount", |lua, tab, (css, count): (String, usize)| {
            with_world(
                lua,
                tab,
                &format!("tab:expectCount({css:?}, {count})"),
                |w, t| {
                    let found = w.find_all(t, &css)?;
                    if found.len() == count {
                        return Ok(());
                    }
                    let context = match found.first() {
                        Some(first) => around(w, t, *first),
                        None => w.nothing_matches(t, &css),
                    };
                    Err(format!(
                        "expected {count} elements, found {}\n{context}",
                        found.len()
                    ))
                },
            )
        });
        for (name, hidden) in [("expectHidden", true), ("expectVisible", false)] {
            methods.add_method(name, move |lua, tab, css: String| {
                with_world(lua, tab, &format!("tab:{name}({css:?})"), |w, t| {
                    let element = w.find(t, &css)?;
                    if w.tab(t).client.page.is_hidden_within(element) == hidden {
                        return Ok(());
                    }
                    Err(format!(
                        "expected it {}, it is {}\n{}",
                        if hidden { "hidden" } else { "visible" },
                        if hidden { "visible" } else { "hidden" },
                        around(w, t, element)
                    ))
                })
            });
        }
        methods.add_method("expectAppError", |lua, tab, text: String| {
            let mut current = tab.current.borrow_mut();
            let world = current
                .world
                .as_mut()
                .ok_or_else(|| fail(lua, "no test is running"))?;
            match world.app_errors.iter().position(|e| e.contains(&text)) {
                Some(at) => {
                    world.app_errors.remove(at);
                    Ok(())
                }
                None => Err(fail(
                    lua,
                    format!(
                        "tab:expectAppError({text:?}): expected an app failure containing \
                         {text:?}, found {:?}",
                        world.app_errors
                    ),
                )),
            }
        });
    }
}

/// Installs `open`, `wait` and `print` for the tests of one file.
pub fn install(lua: &Lua, current: &Shared) -> mlua::Result<()> {
    let globals = lua.globals();
    let shared = current.clone();
    globals.set(
        "open",
        lua.create_function(move |lua, ()| {
            let mut state = shared.borrow_mut();
            let generation = state.generation;
            let world = state
                .world
                .as_mut()
                .ok_or_else(|| fail(lua, "open() works only inside a test"))?;
            if !world.app_errors.is_empty() {
                let errors = std::mem::take(&mut world.app_errors);
                let after = state.last_action.clone();
                return Err(fail(lua, app_failure(&after, &errors)));
            }
            let tab = world
                .open()
                .map_err(|m| fail(lua, format!("open(): {m}")))?;
            state.last_action = "open()".to_owned();
            Ok(TabRef {
                current: shared.clone(),
                tab,
                generation,
            })
        })?,
    )?;
    let shared = current.clone();
    globals.set(
        "wait",
        lua.create_function(move |lua, ms: f64| {
            if !(ms >= 0.0 && ms.is_finite()) {
                return Err(fail(
                    lua,
                    format!("wait({ms}): not a number of milliseconds"),
                ));
            }
            let mut state = shared.borrow_mut();
            let world = state
                .world
                .as_mut()
                .ok_or_else(|| fail(lua, "wait() works only inside a test"))?;
            let by = Duration::from_secs_f64((ms / 1000.0).min(1e9));
            world
                .wait(by)
                .map_err(|m| fail(lua, format!("wait({ms}): {m}")))?;
            state.last_action = format!("wait({ms})");
            Ok(())
        })?,
    )?;
    let shared = current.clone();
    globals.set(
        "print",
        lua.create_function(move |_, values: MultiValue| {
            let line: Vec<String> = values.iter().map(lua_string).collect();
            shared.borrow_mut().printed.push(line.join("\t"));
            Ok(())
        })?,
    )?;
    Ok(())
}
