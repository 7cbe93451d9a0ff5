//! `lunette test` against the same steps in headless Chromium (BENCHMARKS.md). Times, in one
//! run: `lunette test --dir SITE` as a user runs it (a fresh process each time, startup
//! included), then the very same test files driven through the bundled client in Chromium by
//! a small runner of their Lua API (each test a new session, each check polled until the page
//! shows it). Both must pass every test, or the numbers mean nothing.
//!
//! ```text
//! cargo run --release -p lunette-e2e --bin app_tests_bench -- [--site DIR] [--runs N]
//! ```
//!
//! The Chromium side covers the calls the demos' tests make (`open`, `openTab`, `type`,
//! `typeKeys`, `press`, `click`, `check`, `uncheck`, `choose`, `doubleClick`, and the
//! `expect*` checks); `wait` needs the virtual clock and is refused.

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::key::Key;
use fantoccini::wd::WindowHandle;
use lunette_e2e::{Browser, Server, TIMEOUT, lunette_binary, workspace_root};
use mlua::{Function, Lua, Table, UserData, UserDataMethods};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// What a check reads, as the headless tab reads it: visible text (no `hidden`, inline
/// `display: none`, scripts, styles), runs of whitespace as one space.
const READ: &str = r#"
const [css, what, extra] = arguments;
const hidden = (n) => n.hasAttribute("hidden") ||
  (n.getAttribute("style") || "").replace(/ /g, "").includes("display:none");
const visible = (e) => {
  let text = "";
  for (const n of e.childNodes) {
    if (n.nodeType === 3) text += n.data;
    else if (n.nodeType === 1 && !hidden(n) && !["script", "style", "template"].includes(n.localName)) text += visible(n);
  }
  return text;
};
const norm = (s) => s.split(/\s+/).filter((w) => w !== "").join(" ");
const all = Array.from(document.querySelectorAll(css));
const e = all[0];
switch (what) {
  case "texts": return all.map((x) => norm(visible(x)));
  case "count": return all.length;
  case "text": return e ? norm(visible(e)) : null;
  case "value": return e ? e.value : null;
  case "checked": return e ? e.checked : null;
  case "class": return e ? e.classList.contains(extra) : null;
  case "attr": return e ? e.getAttribute(extra) : null;
  case "hidden": {
    if (!e) return null;
    for (let n = e; n && n.nodeType === 1; n = n.parentNode) if (hidden(n)) return true;
    return false;
  }
}
"#;

struct Driver {
    runtime: Runtime,
    browser: Browser,
    server: Server,
    main: WindowHandle,
    current: RefCell<WindowHandle>,
}

impl Driver {
    fn on(&self, window: &WindowHandle) {
        if *self.current.borrow() != *window {
            self.runtime.block_on(self.browser.switch_to(window));
            *self.current.borrow_mut() = window.clone();
        }
    }

    /// Polls `READ` until it returns `expected`.
    fn expect(
        &self,
        window: &WindowHandle,
        css: &str,
        what: &str,
        extra: &str,
        expected: Value,
    ) -> mlua::Result<()> {
        self.on(window);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let seen = self.runtime.block_on(
                self.browser
                    .execute(READ, vec![json!(css), json!(what), json!(extra)]),
            );
            if seen == expected {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(mlua::Error::runtime(format!(
                    "{css} {what} {extra}: expected {expected}, found {seen}"
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[derive(Clone)]
struct BrowserTab {
    driver: Rc<Driver>,
    window: WindowHandle,
    url: String,
}

impl BrowserTab {
    fn run<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.driver.on(&self.window);
        self.driver.runtime.block_on(f)
    }

    fn keys(&self, css: &str, keys: &str) {
        self.run(async {
            self.driver
                .browser
                .client()
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("finding {css}: {e}"))
                .send_keys(keys)
                .await
                .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
        });
    }

    fn checked(&self, css: &str) -> bool {
        let seen = self.run(
            self.driver
                .browser
                .execute(READ, vec![json!(css), json!("checked"), json!("")]),
        );
        seen == json!(true)
    }
}

fn key_spelling(key: &str) -> String {
    match key {
        "Enter" => Key::Enter.to_string(),
        "Escape" => Key::Escape.to_string(),
        "Tab" => Key::Tab.to_string(),
        other => match other.strip_prefix("ctrl-") {
            Some(rest) => Key::Control + rest,
            None => other.to_owned(),
        },
    }
}

impl UserData for BrowserTab {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("click", |_, tab, css: String| {
            tab.run(tab.driver.browser.click(&css));
            Ok(())
        });
        methods.add_method("type", |_, tab, (css, text): (String, String)| {
            let text = text.replace('\n', &Key::Enter.to_string());
            tab.run(tab.driver.browser.type_into(&css, &text));
            Ok(())
        });
        methods.add_method("typeKeys", |_, tab, (css, text): (String, String)| {
            // As the headless tab does: click, select what the field holds, type.
            tab.run(tab.driver.browser.click(&css));
            tab.keys(&css, &(Key::Control + "a"));
            tab.keys(&css, &text.replace('\n', &Key::Enter.to_string()));
            Ok(())
        });
        methods.add_method("press", |_, tab, (css, key): (String, String)| {
            tab.keys(&css, &key_spelling(&key));
            Ok(())
        });
        methods.add_method("choose", |_, tab, (css, value): (String, String)| {
            tab.run(tab.driver.browser.choose(&css, &value));
            Ok(())
        });
        for (name, on) in [("check", true), ("uncheck", false)] {
            methods.add_method(name, move |_, tab, css: String| {
                if tab.checked(&css) != on {
                    tab.run(tab.driver.browser.click(&css));
                }
                Ok(())
            });
        }
        methods.add_method("doubleClick", |_, tab, css: String| {
            tab.run(async {
                let client = tab.driver.browser.client();
                let element = client
                    .find(Locator::Css(&css))
                    .await
                    .unwrap_or_else(|e| panic!("finding {css}: {e}"));
                let down = PointerAction::Down {
                    button: MOUSE_BUTTON_LEFT,
                };
                let up = PointerAction::Up {
                    button: MOUSE_BUTTON_LEFT,
                };
                let mouse = MouseActions::new("mouse".to_owned())
                    .then(PointerAction::MoveToElement {
                        element,
                        duration: None,
                        x: 0.0,
                        y: 0.0,
                    })
                    .then(down.clone())
                    .then(up.clone())
                    .then(down)
                    .then(up);
                client.perform_actions(mouse).await.expect("a double click");
            });
            Ok(())
        });
        methods.add_method("openTab", |_, tab, ()| {
            let window = tab.run(tab.driver.browser.open_tab(&tab.url));
            *tab.driver.current.borrow_mut() = window.clone();
            Ok(BrowserTab {
                window,
                ..tab.clone()
            })
        });
        methods.add_method("expectText", |_, tab, (css, text): (String, String)| {
            tab.driver
                .expect(&tab.window, &css, "text", "", json!(text))
        });
        methods.add_method("expectTexts", |_, tab, (css, texts): (String, Table)| {
            let texts: Vec<String> = texts.sequence_values().collect::<mlua::Result<_>>()?;
            tab.driver
                .expect(&tab.window, &css, "texts", "", json!(texts))
        });
        methods.add_method("expectValue", |_, tab, (css, value): (String, String)| {
            tab.driver
                .expect(&tab.window, &css, "value", "", json!(value))
        });
        for (name, on) in [("expectChecked", true), ("expectNotChecked", false)] {
            methods.add_method(name, move |_, tab, css: String| {
                tab.driver
                    .expect(&tab.window, &css, "checked", "", json!(on))
            });
        }
        for (name, on) in [("expectClass", true), ("expectNoClass", false)] {
            methods.add_method(name, move |_, tab, (css, class): (String, String)| {
                tab.driver
                    .expect(&tab.window, &css, "class", &class, json!(on))
            });
        }
        methods.add_method(
            "expectAttr",
            |_, tab, (css, name, value): (String, String, String)| {
                tab.driver
                    .expect(&tab.window, &css, "attr", &name, json!(value))
            },
        );
        methods.add_method("expectNoAttr", |_, tab, (css, name): (String, String)| {
            tab.driver
                .expect(&tab.window, &css, "attr", &name, Value::Null)
        });
        methods.add_method("expectCount", |_, tab, (css, n): (String, usize)| {
            tab.driver.expect(&tab.window, &css, "count", "", json!(n))
        });
        methods.add_method("expectAbsent", |_, tab, css: String| {
            tab.driver.expect(&tab.window, &css, "count", "", json!(0))
        });
        methods.add_method("expectPresent", |_, tab, css: String| {
            tab.driver
                .expect(&tab.window, &css, "hidden", "", json!(false))
                .or_else(|_| {
                    tab.driver
                        .expect(&tab.window, &css, "hidden", "", json!(true))
                })
        });
        for (name, hidden) in [("expectHidden", true), ("expectVisible", false)] {
            methods.add_method(name, move |_, tab, css: String| {
                tab.driver
                    .expect(&tab.window, &css, "hidden", "", json!(hidden))
            });
        }
    }
}

/// Runs every test of the site's files in Chromium; (passed, failed).
fn run_in_chromium(
    driver: &Rc<Driver>,
    files: &[lunette_headless::runner::TestFile],
) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    for file in files {
        let lua = Lua::new();
        let tests: Rc<RefCell<Vec<(String, Function)>>> = Rc::default();
        let list = tests.clone();
        let register = lua
            .create_function(move |_, (name, f): (String, Function)| {
                list.borrow_mut().push((name, f));
                Ok(())
            })
            .expect("a function");
        lua.globals().set("test", register).expect("a global");
        let open_driver = driver.clone();
        let open = lua
            .create_function(move |_, ()| {
                let driver = &open_driver;
                driver.on(&driver.main);
                let url = driver
                    .runtime
                    .block_on(driver.browser.open_app(&driver.server));
                Ok(BrowserTab {
                    driver: driver.clone(),
                    window: driver.main.clone(),
                    url,
                })
            })
            .expect("a function");
        lua.globals().set("open", open).expect("a global");
        lua.load(&file.source)
            .set_name(format!("@{}", file.name))
            .exec()
            .unwrap_or_else(|e| panic!("{}: {e}", file.name));
        for (name, test) in tests.borrow_mut().drain(..) {
            match test.call::<()>(()) {
                Ok(()) => passed += 1,
                Err(error) => {
                    failed += 1;
                    eprintln!("Chromium FAIL {} {name}: {error}", file.name);
                }
            }
            close_other_tabs(driver);
        }
    }
    (passed, failed)
}

fn close_other_tabs(driver: &Driver) {
    let windows = driver
        .runtime
        .block_on(driver.browser.client().windows())
        .expect("windows");
    for window in windows.into_iter().filter(|w| *w != driver.main) {
        driver.runtime.block_on(driver.browser.switch_to(&window));
        driver
            .runtime
            .block_on(driver.browser.client().close_window())
            .expect("closing a tab");
    }
    driver
        .runtime
        .block_on(driver.browser.switch_to(&driver.main));
    *driver.current.borrow_mut() = driver.main.clone();
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut site = workspace_root().join("demo/contacts");
    let mut runs = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--site" => site = PathBuf::from(&value),
            "--runs" => runs = value.parse().expect("a number of runs"),
            other => {
                panic!("unknown argument {other}; usage: app_tests_bench [--site DIR] [--runs N]")
            }
        }
    }
    let files = lunette_headless::runner::read_tests(&site).expect("the site's tests");

    let mut headless = Vec::new();
    let mut summary = String::new();
    for _ in 0..runs {
        let start = Instant::now();
        let output = Command::new(lunette_binary())
            .arg("test")
            .arg("--dir")
            .arg(&site)
            .output()
            .expect("lunette test runs");
        headless.push(start.elapsed());
        summary = String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .to_owned();
        assert!(
            output.status.success(),
            "lunette test failed:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    println!("lunette test --dir {}: {summary}", site.display());
    println!(
        "  wall, startup included: median {:.1} ms of {runs} runs",
        median(headless.clone()).as_secs_f64() * 1e3
    );

    let mut runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut chromium = Vec::new();
    let mut chromium_tests = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let browser = runtime.block_on(Browser::start());
        let server = Server::start(Some(&site), &[]);
        let main = runtime.block_on(browser.window());
        let started = start.elapsed();
        let driver = Rc::new(Driver {
            runtime,
            browser,
            server,
            current: RefCell::new(main.clone()),
            main,
        });
        let tests_start = Instant::now();
        let (passed, failed) = run_in_chromium(&driver, &files);
        chromium_tests.push(tests_start.elapsed());
        chromium.push(started + tests_start.elapsed());
        assert_eq!(
            failed, 0,
            "the same tests failed in Chromium ({passed} passed)"
        );
        println!(
            "Chromium: {passed} passed, {failed} failed (browser and server start {:.0} ms)",
            started.as_secs_f64() * 1e3
        );
        let driver =
            Rc::try_unwrap(driver).unwrap_or_else(|_| panic!("the driver is still in use"));
        drop(driver.browser);
        drop(driver.server);
        runtime = driver.runtime;
    }
    let total = median(chromium);
    let tests = median(chromium_tests);
    let ours = median(headless);
    println!(
        "  wall, browser and server start included: median {:.1} ms of {runs} runs",
        total.as_secs_f64() * 1e3
    );
    println!(
        "  wall, the tests alone: median {:.1} ms",
        tests.as_secs_f64() * 1e3
    );
    println!(
        "ratio: lunette test is {:.0}x faster than Chromium with start-up, {:.0}x without it",
        total.as_secs_f64() / ours.as_secs_f64(),
        tests.as_secs_f64() / ours.as_secs_f64()
    );
}
