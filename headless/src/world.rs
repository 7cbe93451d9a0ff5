//! One test's world: a real `Core` serving the site in the in-memory harness (virtual clock,
//! seeded ids), and the headless tabs open on it. After every action the world settles: each
//! tab's batches go to the core, the frames it answers are rendered, until nothing moves.

use std::time::Duration;

use dom_query::NodeId;
use lunette_core::{Config, ConnId, LogLevel, Site};
use lunette_test::{Harness, body_text, location};

use crate::client::Client;
use crate::page::{MAX_NODES, Page, collapse_whitespace};
use crate::paths::KeyPress;
use crate::report;

/// Rounds of frames back and forth before the page counts as never settling.
const MAX_ROUNDS: usize = 10_000;
/// Timer runs one test may cause.
pub const MAX_TIMER_RUNS: u64 = 100_000;
/// Virtual time one test may wait in all.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// A tab of the world, by opening order.
pub type TabId = usize;

pub struct Tab {
    pub client: Client,
    conn: ConnId,
    pub sid: String,
    open: bool,
    /// Errors of `client.errors` already reported.
    errors_seen: usize,
}

pub struct World {
    harness: Harness,
    tabs: Vec<Tab>,
    timer_runs: u64,
    waited: Duration,
    logs_seen: usize,
    /// App failures not yet checked by the test, oldest first.
    pub app_errors: Vec<String>,
}

impl World {
    /// A fresh core serving `site`, ids seeded with `seed`.
    pub fn new(site: Site, seed: u64) -> World {
        World {
            harness: Harness::new(site, Config::default(), seed),
            tabs: Vec::new(),
            timer_runs: 0,
            waited: Duration::ZERO,
            logs_seen: 0,
            app_errors: Vec::new(),
        }
    }

    /// Site problems core logged while loading it (viewdefs it skipped).
    pub fn site_problems(&self) -> Vec<String> {
        self.harness
            .logs()
            .iter()
            .filter(|log| log.session.is_none() && log.level == LogLevel::Warn)
            .map(|log| log.message.clone())
            .collect()
    }

    pub fn tab(&self, tab: TabId) -> &Tab {
        &self.tabs[tab]
    }

    pub fn elapsed(&self) -> Duration {
        self.harness.elapsed()
    }

    /// A new session (`GET /`, as a browser opening the site) and its first tab.
    pub fn open(&mut self) -> Result<TabId, String> {
        let response = self.harness.get("/");
        if response.status() != 302 {
            let page = Page::parse(&body_text(&response));
            let text = collapse_whitespace(&page.text(page.doc.root().id));
            return Err(format!(
                "the app did not start: GET / answered {}: {text}",
                response.status().as_u16()
            ));
        }
        let sid = location(&response).trim_start_matches('/').to_owned();
        self.open_on(sid)
    }

    /// Another tab of the session `of` shows.
    pub fn open_tab(&mut self, of: TabId) -> Result<TabId, String> {
        let sid = self.tabs[of].sid.clone();
        self.open_on(sid)
    }

    fn open_on(&mut self, sid: String) -> Result<TabId, String> {
        let response = self.harness.get(&format!("/{sid}"));
        if response.status() != 200 {
            return Err(format!(
                "the session page /{sid} answered {}",
                response.status().as_u16()
            ));
        }
        let page = Page::parse(&body_text(&response));
        let app = match page.select("[ui-app]")?.first() {
            Some(app) => *app,
            None => {
                let app = page.doc.tree.new_element("div").id;
                page.set_attr(app, "ui-app", "");
                let body = page.doc.body().map(|b| b.id).unwrap_or(page.doc.root().id);
                page.append(body, app);
                app
            }
        };
        let conn = self.harness.connect(&sid);
        self.tabs.push(Tab {
            client: Client::new(page, app),
            conn,
            sid,
            open: true,
            errors_seen: 0,
        });
        self.settle()?;
        Ok(self.tabs.len() - 1)
    }

    /// Closes the tab's WebSocket, as closing a browser tab does.
    pub fn close(&mut self, tab: TabId) -> Result<(), String> {
        if !self.tabs[tab].open {
            return Err("the tab is already closed".to_owned());
        }
        self.tabs[tab].open = false;
        let conn = self.tabs[tab].conn;
        self.harness.close(conn);
        self.settle()
    }

    /// Runs everything in flight to the end: batches to the core, frames to the tabs, timers
    /// due now. Fails if that never ends, or on a page past [`MAX_NODES`].
    pub fn settle(&mut self) -> Result<(), String> {
        for _ in 0..MAX_ROUNDS {
            let mut moved = false;
            for index in 0..self.tabs.len() {
                if !self.tabs[index].open {
                    continue;
                }
                let conn = self.tabs[index].conn;
                for batch in std::mem::take(&mut self.tabs[index].client.outgoing) {
                    self.harness.send(conn, &batch);
                    moved = true;
                }
                for frame in self.harness.frames(conn) {
                    self.tabs[index].client.receive_frame(&frame);
                    moved = true;
                }
                if self.tabs[index].client.page.node_count() > MAX_NODES {
                    return Err(format!(
                        "the page grew past {MAX_NODES} nodes: a view that renders itself \
                         without end?"
                    ));
                }
            }
            let now = self.harness.now();
            if self
                .harness
                .core()
                .poll_timeout()
                .is_some_and(|due| due <= now)
            {
                self.count_timer_run()?;
                self.harness.step_to(now);
                moved = true;
            }
            self.collect_errors();
            if !moved {
                return Ok(());
            }
        }
        Err(format!(
            "the page did not settle after {MAX_ROUNDS} rounds of messages and timers at one \
             instant (a setImmediate that schedules itself?)"
        ))
    }

    fn count_timer_run(&mut self) -> Result<(), String> {
        self.timer_runs += 1;
        if self.timer_runs > MAX_TIMER_RUNS {
            return Err(format!(
                "the app ran more than {MAX_TIMER_RUNS} timers in this test: the test stops here"
            ));
        }
        Ok(())
    }

    /// Moves the virtual clock by `by`, running each timer at its own time and letting the
    /// tabs catch up after each.
    pub fn wait(&mut self, by: Duration) -> Result<(), String> {
        if by > MAX_WAIT || self.waited + by > MAX_WAIT {
            return Err(format!(
                "a test may wait at most {} h of virtual time in all; this wait of {} ms \
                 would pass that",
                MAX_WAIT.as_secs() / 3600,
                by.as_millis()
            ));
        }
        self.waited += by;
        let target = self.harness.now() + by;
        self.settle()?;
        while let Some(due) = self
            .harness
            .core()
            .poll_timeout()
            .filter(|due| *due <= target)
        {
            self.count_timer_run()?;
            self.harness.step_to(due);
            self.settle()?;
        }
        self.harness.step_to(target);
        self.settle()
    }

    /// App failures seen since the last look: `error` messages to any tab, and Lua errors
    /// core only logs (timer callbacks, presenter constructors).
    fn collect_errors(&mut self) {
        for (index, tab) in self.tabs.iter_mut().enumerate() {
            for error in &tab.client.errors[tab.errors_seen..] {
                let place = error
                    .element
                    .as_ref()
                    .map(|id| format!(" (on #{id})"))
                    .unwrap_or_default();
                self.app_errors.push(format!(
                    "tab {}: {}: {}{place}",
                    index + 1,
                    error.code,
                    error.description
                ));
            }
            tab.errors_seen = tab.client.errors.len();
        }
        let logs = self.harness.logs();
        for log in &logs[self.logs_seen..] {
            let timer = log.level == LogLevel::Warn && log.message.starts_with("timer ");
            let presenter = log.message.contains("no wrapper: ") && log.message.contains(".lua:");
            if log.session.is_some() && (timer || presenter) {
                self.app_errors.push(log.message.clone());
            }
        }
        self.logs_seen = logs.len();
    }

    /// The first element matching `css` in the tab that a user could act on.
    pub fn find_actionable(&self, tab: TabId, css: &str) -> Result<NodeId, String> {
        let client = &self.tabs[tab].client;
        let element = self.find(tab, css)?;
        let page = &client.page;
        if let Some(hidden) = page
            .ancestors_inclusive(element)
            .into_iter()
            .find(|node| page.is_element(*node) && page.is_hidden(*node))
        {
            return Err(format!(
                "{css:?} is hidden{}, so a user could not act on it:\n{}",
                if hidden == element {
                    String::new()
                } else {
                    format!(" (inside {})", report::describe(page, hidden))
                },
                report::excerpt(page, hidden)
            ));
        }
        Ok(element)
    }

    /// The first element matching `css`, or a failure naming the closest candidates.
    pub fn find(&self, tab: TabId, css: &str) -> Result<NodeId, String> {
        let found = self.find_all(tab, css)?;
        found
            .first()
            .copied()
            .ok_or_else(|| self.nothing_matches(tab, css))
    }

    pub fn find_all(&self, tab: TabId, css: &str) -> Result<Vec<NodeId>, String> {
        let tab = &self.tabs[tab];
        if !tab.open {
            return Err("the tab is closed".to_owned());
        }
        tab.client.page.select(css)
    }

    /// "No element matches": the closest candidates and the HTML where the selector stopped
    /// matching.
    pub fn nothing_matches(&self, tab: TabId, css: &str) -> String {
        let client = &self.tabs[tab].client;
        let page = &client.page;
        let scope = client.app_element;
        let candidates = report::closest(page, css, scope, 5);
        let (place, node) = report::place_looked(page, css, scope);
        format!(
            "no element matches {css:?}; closest: {}\nin {place}:\n{}",
            if candidates.is_empty() {
                "(the app shows no element)".to_owned()
            } else {
                candidates.join(", ")
            },
            report::excerpt(page, node)
        )
    }

    /// Runs a user action on the first element matching `css`, then settles.
    pub fn act(
        &mut self,
        tab: TabId,
        css: &str,
        action: impl FnOnce(&mut Client, NodeId) -> Result<(), String>,
    ) -> Result<(), String> {
        let element = self.find_actionable(tab, css)?;
        let client = &mut self.tabs[tab].client;
        let outcome = action(client, element);
        let settled = self.settle();
        outcome.and(settled)
    }

    pub fn click(&mut self, tab: TabId, css: &str) -> Result<(), String> {
        self.act(tab, css, |client, element| client.click(element))
    }

    pub fn type_text(
        &mut self,
        tab: TabId,
        css: &str,
        text: &str,
        leave: bool,
    ) -> Result<(), String> {
        self.act(tab, css, |client, element| {
            if !is_editable(client, element) {
                return Err(format!(
                    "{css:?} is a <{}>, not a field one can type into:\n{}",
                    client.page.tag(element),
                    report::excerpt(&client.page, element)
                ));
            }
            client.type_text(element, text, leave)
        })
    }

    pub fn press(&mut self, tab: TabId, css: &str, key: &str) -> Result<(), String> {
        let key = KeyPress::parse(key)?;
        self.act(tab, css, |client, element| client.press(element, &key))
    }

    pub fn choose(&mut self, tab: TabId, css: &str, value: &str) -> Result<(), String> {
        self.act(tab, css, |client, element| {
            if client.page.tag(element) != "select" {
                return Err(format!(
                    "{css:?} is a <{}>, not a <select>",
                    client.page.tag(element)
                ));
            }
            if client.is_disabled(element) {
                return Err(format!("{css:?} is disabled"));
            }
            client.choose(element, value)
        })
    }

    /// Clicks a checkbox until it is `on`.
    pub fn set_checked(&mut self, tab: TabId, css: &str, on: bool) -> Result<(), String> {
        self.act(tab, css, |client, element| {
            if !client.page.is_checkable(element) {
                return Err(format!("{css:?} is not a checkbox or a radio button"));
            }
            if client.page.checked(element) != on {
                client.click(element)?;
            }
            Ok(())
        })
    }

    pub fn double_click(&mut self, tab: TabId, css: &str) -> Result<(), String> {
        self.act(tab, css, |client, element| client.double_click(element))
    }

    pub fn fire(&mut self, tab: TabId, css: &str, event: &str) -> Result<(), String> {
        self.act(tab, css, |client, element| {
            client.fire(element, event);
            Ok(())
        })
    }

    /// What the tab's app shows, to compare with a browser: its text, its fields, its classes.
    pub fn snapshot(&self, tab: TabId) -> Snapshot {
        let client = &self.tabs[tab].client;
        let page = &client.page;
        let app = client.app_element;
        let mut snapshot = Snapshot {
            text: collapse_whitespace(&page.text(app)),
            ..Snapshot::default()
        };
        for element in page.descendant_elements(app) {
            let tag = page.tag(element);
            let id = page.attr(element, "id").unwrap_or_default();
            let classes = page.classes(element);
            if !classes.is_empty() {
                snapshot
                    .classes
                    .push(format!("{tag}#{id} {}", classes.join(" ")));
            }
            if matches!(tag.as_str(), "input" | "textarea" | "select") {
                let value = if page.is_checkable(element) {
                    page.checked(element).to_string()
                } else {
                    serde_json::Value::String(page.value(element)).to_string()
                };
                snapshot.fields.push(format!("{tag}#{id} = {value}"));
            }
        }
        snapshot
    }
}

/// The app as the differential test compares it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Snapshot {
    /// The app element's text, whitespace collapsed.
    pub text: String,
    /// `tag#id = value` (a JSON string; checkboxes `true`/`false`) of every field, in
    /// document order.
    pub fields: Vec<String>,
    /// `tag#id class class` of every element with a class, in document order.
    pub classes: Vec<String>,
}

fn is_editable(client: &Client, element: NodeId) -> bool {
    let page = &client.page;
    let field = match page.tag(element).as_str() {
        "textarea" => true,
        "input" => !matches!(
            page.input_type(element).as_str(),
            "checkbox" | "radio" | "submit" | "button" | "reset" | "image" | "file" | "hidden"
        ),
        _ => false,
    };
    field && !client.is_disabled(element) && !page.has_attr(element, "readonly")
}
