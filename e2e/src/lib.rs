//! Harness for lunette's end-to-end tests in a real headless Chromium (the client of
//! docs/protocol.md §10 against the server): it runs the `lunette` binary on a site, starts
//! `chromedriver` with a fresh Chromium profile, and drives the page the way a person would
//! (type, tab out, click, reload, a second tab). Every wait polls with a timeout; nothing sleeps
//! for a fixed time.
//!
//! Chromium and its driver come from Debian (`apt-get install -y chromium chromium-driver`;
//! `.ci/run` installs them when missing). `LUNETTE_CHROMIUM` and `LUNETTE_CHROMEDRIVER` override
//! the default paths; `LUNETTE_BINARY` runs a given `lunette` executable instead of building one
//! (to compare two builds); `LUNETTE_E2E_LOGS=1` shows the server's and the driver's logs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long any wait for the page lasts before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Pause between two looks at the page while waiting.
const POLL: Duration = Duration::from_millis(50);

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The flags that work on this kind of machine (shared NOTES.md), plus a fixed window size for
/// stable screenshots and no throttling of the tab that is not in front (the two-tab test).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--window-size=1024,640",
];

/// The workspace root (this crate's parent directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ lives inside the workspace")
        .to_path_buf()
}

/// A test site under `e2e/sites/`.
pub fn site(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sites")
        .join(name)
}

/// A demo site under `demo/`.
pub fn demo(name: &str) -> PathBuf {
    workspace_root().join("demo").join(name)
}

fn show_logs() -> bool {
    std::env::var_os("LUNETTE_E2E_LOGS").is_some_and(|v| !v.is_empty() && v != "0")
}

fn log_sink() -> Stdio {
    if show_logs() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

/// The `lunette` executable, built (or found up to date) by cargo itself, in this test's profile.
/// A binary of another package has no `CARGO_BIN_EXE_*` here, and a path guessed under `target/`
/// could be stale, so ask cargo and take the path it reports (any `CARGO_TARGET_DIR`).
pub fn lunette_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(binary) = std::env::var_os("LUNETTE_BINARY").filter(|b| !b.is_empty()) {
            return PathBuf::from(binary);
        }
        let mut build = Command::new(env!("CARGO"));
        build.current_dir(workspace_root());
        build.args([
            "build",
            "--quiet",
            "-p",
            "lunette-hyper",
            "--bin",
            "lunette",
            "--message-format=json-render-diagnostics",
        ]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let output = build.output().expect("cargo runs");
        assert!(
            output.status.success(),
            "building lunette failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|message| message["target"]["name"] == "lunette")
            .find_map(|message| message["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports lunette's executable")
    })
}

/// A running `lunette` on a free port of 127.0.0.1; dropping it kills the process.
pub struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Serves `site` (the built-in default app for `None`) with `--port 0` and the extra `args`,
    /// and waits for the startup line that names the address.
    pub fn start(site: Option<&Path>, args: &[&str]) -> Server {
        let mut command = Command::new(lunette_binary());
        command.args(["--host", "127.0.0.1", "--port", "0"]);
        if let Some(site) = site {
            command.arg("--dir").arg(site);
        }
        command.args(args);
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        command.stderr(log_sink());
        let mut child = command.spawn().expect("lunette starts");
        let stdout = child.stdout.take().expect("piped stdout");
        // Kill the process even if the banner never comes.
        let mut server = Server {
            child,
            base: String::new(),
        };
        let mut banner = String::new();
        BufReader::new(stdout)
            .read_line(&mut banner)
            .expect("lunette prints its address");
        let base = banner
            .trim_end()
            .split_once(" at ")
            .map(|(_, url)| url.trim_end_matches('/'))
            .filter(|url| url.starts_with("http://"))
            .unwrap_or_else(|| {
                let status = server.child.try_wait().ok().flatten();
                panic!("lunette did not announce its address: {banner:?} (exit: {status:?})")
            });
        server.base = base.to_owned();
        server
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the page shows of one element (see [`Browser::look`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub id: String,
    pub tag: String,
    /// `textContent`, trimmed.
    pub text: String,
    /// `.value` of an input-like element, else `None`.
    pub value: Option<String>,
    pub classes: Vec<String>,
}

impl Seen {
    pub fn has_class(&self, class: &str) -> bool {
        self.classes.iter().any(|c| c == class)
    }
}

const LOOK: &str = r#"
const e = document.querySelector(arguments[0]);
if (!e) return null;
return {
  id: e.id,
  tag: e.tagName.toLowerCase(),
  text: (e.textContent || "").trim(),
  value: typeof e.value === "string" ? e.value : null,
  classes: Array.from(e.classList),
};
"#;

const TEXTS: &str = r#"
return Array.from(document.querySelectorAll(arguments[0]), (e) => (e.textContent || "").trim());
"#;

const DIAGNOSTICS: &str = r#"
const body = document.body ? document.body.innerText : "";
return location.href + "\n" + body.slice(0, 600);
"#;

/// One WebSocket frame the page sent or received, as `e2e/src/recorder.js` saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Sent by the page (else received).
    pub outbound: bool,
    /// Milliseconds since navigation start (`performance.now()`).
    pub at: f64,
    pub text: String,
    /// For an outbound frame sent in the task of an inbound one (or in a microtask right
    /// after it): that frame's index in the recording.
    pub during: Option<usize>,
}

impl Frame {
    /// The frame's JSON (`Value::Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The messages of the frame: a batch's `messages`, an array's elements, or the object.
    pub fn messages(&self) -> Vec<Value> {
        match self.json() {
            Value::Array(messages) => messages,
            Value::Object(mut batch) if batch.contains_key("messages") => {
                match batch.remove("messages") {
                    Some(Value::Array(messages)) => messages,
                    _ => Vec::new(),
                }
            }
            Value::Null => Vec::new(),
            message => vec![message],
        }
    }
}

/// The script that records a page's WebSocket frames (`e2e/src/recorder.js`) and, with
/// `ready = Some((css, count))`, the time at which `count` elements matching `css` first show
/// text.
pub fn frame_recorder(ready: Option<(&str, usize)>) -> String {
    let ready = match ready {
        Some((css, count)) => json!({ "css": css, "count": count }),
        None => Value::Null,
    };
    include_str!("recorder.js").replace("__READY__", &ready.to_string())
}

/// Only one browser per test process at a time: the machine has two cores, and Chromium
/// starting beside another Chromium makes waits flaky rather than the suite faster.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A headless Chromium driven through its own `chromedriver`, with a fresh profile. Dropping it
/// ends the WebDriver session, kills the driver with everything it started, and removes the
/// profile.
pub struct Browser {
    client: Client,
    session: String,
    driver: Child,
    driver_port: u16,
    profile: PathBuf,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

fn executable(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

fn fresh_profile() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "lunette-e2e-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a fresh Chromium profile directory");
    dir
}

impl Browser {
    /// Starts chromedriver and a headless Chromium. Fails with instructions when either is not
    /// installed.
    pub async fn start() -> Browser {
        let chromium = executable("LUNETTE_CHROMIUM", CHROMIUM);
        let chromedriver = executable("LUNETTE_CHROMEDRIVER", CHROMEDRIVER);
        for (path, what) in [(&chromium, "Chromium"), (&chromedriver, "chromedriver")] {
            assert!(
                path.is_file(),
                "{what} is not installed at {}: the browser tests need Debian's `chromium` and \
                 `chromium-driver` packages; install them with \
                 `apt-get update && apt-get install -y chromium chromium-driver` \
                 (or point LUNETTE_CHROMIUM / LUNETTE_CHROMEDRIVER at them)",
                path.display()
            );
        }
        let turn = TURN.lock().await;
        let profile = fresh_profile();
        let driver_port = free_port();
        let mut command = Command::new(&chromedriver);
        command.arg(format!("--port={driver_port}"));
        command
            .stdin(Stdio::null())
            .stdout(log_sink())
            .stderr(log_sink());
        // Its own process group, so that dropping the browser can kill Chromium's processes too.
        command.process_group(0);
        let mut driver = command.spawn().expect("chromedriver starts");
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, driver_port));
        let deadline = Instant::now() + TIMEOUT;
        while TcpStream::connect_timeout(&address, POLL).is_err() {
            if let Ok(Some(status)) = driver.try_wait() {
                panic!("chromedriver exited before listening: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {driver_port} within {TIMEOUT:?}"
            );
            tokio::time::sleep(POLL).await;
        }
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let connect = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await;
        let client = match connect {
            Ok(client) => client,
            Err(error) => {
                let _ = driver.kill();
                let _ = driver.wait();
                let _ = std::fs::remove_dir_all(&profile);
                panic!("Chromium did not start under chromedriver: {error}")
            }
        };
        let session = client.session_id().await.ok().flatten().unwrap_or_default();
        Browser {
            client,
            session,
            driver,
            driver_port,
            profile,
            _turn: turn,
        }
    }

    /// The fantoccini client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `/` on `server`, follows the redirect and returns the session's URL (`/<sid>`).
    pub async fn open_app(&self, server: &Server) -> String {
        self.goto(&server.url("/")).await;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let url = self.client.current_url().await.expect("the current URL");
            let first = url.path().trim_start_matches('/');
            if first.len() == 32
                && first
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return url.to_string();
            }
            if Instant::now() >= deadline {
                panic!("GET / did not lead to a session page /<sid>; the browser is at {url}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    pub async fn reload(&self) {
        self.client.refresh().await.expect("the page reloads");
    }

    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
    }

    /// The window (tab) the commands go to.
    pub async fn window(&self) -> WindowHandle {
        self.client.window().await.expect("the current window")
    }

    /// Opens a new tab on `url`, makes it the current one and returns it.
    pub async fn open_tab(&self, url: &str) -> WindowHandle {
        let tab = self.client.new_window(true).await.expect("a new tab");
        self.switch_to(&tab.handle).await;
        self.goto(url).await;
        tab.handle
    }

    /// Sends the next commands to `window`.
    pub async fn switch_to(&self, window: &WindowHandle) {
        self.client
            .switch_to_window(window.clone())
            .await
            .expect("switching windows");
    }

    /// Runs `script` in the page (`arguments[i]` are `args`) and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("running a script in the page: {e}"))
    }

    /// Runs one of the helpers' scripts. A script that fails (a selector that does not parse,
    /// a page that is gone) fails the test: read as "nothing found", it would make every check
    /// that something is absent pass on a broken page.
    async fn run_helper(&self, script: &str, css: &str) -> Value {
        self.client
            .execute(script, vec![json!(css)])
            .await
            .unwrap_or_else(|error| panic!("looking for {css:?} in the page failed: {error}"))
    }

    /// What the page shows now of the first element matching `css`, if any.
    pub async fn look(&self, css: &str) -> Option<Seen> {
        let seen = self.run_helper(LOOK, css).await;
        if seen.is_null() {
            return None;
        }
        assert!(seen.is_object(), "looking for {css:?} returned {seen}");
        let text = |key: &str| seen[key].as_str().unwrap_or_default().to_owned();
        Some(Seen {
            id: text("id"),
            tag: text("tag"),
            text: text("text"),
            value: seen["value"].as_str().map(str::to_owned),
            classes: seen["classes"]
                .as_array()
                .map(|classes| {
                    classes
                        .iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The trimmed text of every element matching `css`, in document order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let texts = self.run_helper(TEXTS, css).await;
        let texts = texts
            .as_array()
            .unwrap_or_else(|| panic!("reading the texts of {css:?} returned {texts}"));
        texts
            .iter()
            .map(|text| text.as_str().expect("textContent is a string").to_owned())
            .collect()
    }

    /// The URL and the start of the page's visible text, for failure messages.
    async fn diagnostics(&self) -> String {
        match self.client.execute(DIAGNOSTICS, vec![]).await {
            Ok(Value::String(text)) => text,
            Ok(other) => other.to_string(),
            Err(error) => format!("(cannot read the page: {error})"),
        }
    }

    async fn timed_out(&self, what: &str, last: &str) -> ! {
        let page = self.diagnostics().await;
        let last: String = last.chars().take(600).collect();
        panic!("timed out after {TIMEOUT:?} waiting for {what}\nlast seen: {last}\npage: {page}")
    }

    /// Waits until the first element matching `css` exists and satisfies `ok`; returns it.
    pub async fn wait_for_element(
        &self,
        css: &str,
        what: &str,
        ok: impl Fn(&Seen) -> bool,
    ) -> Seen {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let seen = self.look(css).await;
            match seen {
                Some(seen) if ok(&seen) => return seen,
                _ if Instant::now() >= deadline => {
                    let last = match seen {
                        Some(seen) => format!("{css} = {seen:?}"),
                        None => format!("no element matches {css}"),
                    };
                    self.timed_out(what, &last).await
                }
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Waits until an element matches `css`.
    pub async fn wait_for(&self, css: &str) -> Seen {
        self.wait_for_element(css, &format!("an element matching {css}"), |_| true)
            .await
    }

    /// Waits until the first element matching `css` shows `text` (trimmed `textContent`).
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Seen {
        self.wait_for_element(css, &format!("{css} to show {text:?}"), |seen| {
            seen.text == text
        })
        .await
    }

    /// Waits until the first input matching `css` holds `value`.
    pub async fn wait_for_value(&self, css: &str, value: &str) -> Seen {
        self.wait_for_element(css, &format!("{css} to hold {value:?}"), |seen| {
            seen.value.as_deref() == Some(value)
        })
        .await
    }

    /// Waits until the first element matching `css` has (or, for `false`, lacks) `class`.
    pub async fn wait_for_class(&self, css: &str, class: &str, present: bool) -> Seen {
        let what = if present {
            format!("{css} to have class {class:?}")
        } else {
            format!("{css} not to have class {class:?}")
        };
        self.wait_for_element(css, &what, |seen| seen.has_class(class) == present)
            .await
    }

    /// Waits until the elements matching `css` show exactly `expected`, in order.
    pub async fn wait_for_texts(&self, css: &str, expected: &[&str]) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let texts = self.texts(css).await;
            if texts == expected {
                return texts;
            }
            if Instant::now() >= deadline {
                let what = format!("{css} to show {expected:?}");
                self.timed_out(&what, &format!("{texts:?}")).await
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn element(&self, css: &str) -> Element {
        self.wait_for(css).await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("finding {css}: {e}"))
    }

    /// Types `text` into the input matching `css` as a person would: click it, replace what it
    /// holds, then Tab out so that it fires `change`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let input = self.element(css).await;
        input
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
        // Select what is there so the typing replaces it (no `clear`: it fires its own change).
        let select_all = Key::Control + "a";
        input
            .send_keys(&select_all)
            .await
            .unwrap_or_else(|e| panic!("selecting the text of {css}: {e}"));
        input
            .send_keys(&(text.to_owned() + &Key::Tab))
            .await
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.element(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// Picks the option whose value is `value` in the select matching `css`, as a person
    /// would (the select fires `change`).
    pub async fn choose(&self, css: &str, value: &str) {
        self.element(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choosing {value:?} in {css}: {e}"));
    }

    /// Saves a PNG of the current tab's viewport at `path` (parent directories are created).
    pub async fn screenshot(&self, path: &Path) -> Vec<u8> {
        let png = self.client.screenshot().await.expect("a screenshot");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("the screenshot's directory");
        }
        std::fs::write(path, &png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        png
    }

    /// Runs `script` in every document this tab opens from now on, before the page's own
    /// scripts (Chromium's `Page.addScriptToEvaluateOnNewDocument`, through chromedriver). The
    /// page's Content-Security-Policy does not apply to it.
    pub fn on_new_document(&self, script: &str) {
        let command = json!({
            "cmd": "Page.addScriptToEvaluateOnNewDocument",
            "params": { "source": script },
        });
        let path = format!("/session/{}/goog/cdp/execute", self.session);
        let reply = self.driver_request("POST", &path, &command.to_string());
        assert!(
            reply
                .as_deref()
                .is_some_and(|r| r.starts_with("HTTP/1.1 200")),
            "chromedriver refused {path}: {reply:?}"
        );
    }

    /// Records the WebSocket frames of every page opened from now on (see [`frame_recorder`]).
    pub fn record_frames(&self, ready: Option<(&str, usize)>) {
        self.on_new_document(&frame_recorder(ready));
    }

    /// The frames the current page has sent and received so far, in order.
    pub async fn recorded_frames(&self) -> Vec<Frame> {
        let frames = self
            .execute("return window.__lunetteRecord.frames;", vec![])
            .await;
        frames
            .as_array()
            .expect("the page records its frames (Browser::record_frames)")
            .iter()
            .map(|frame| Frame {
                outbound: frame["dir"] == "out",
                at: frame["t"].as_f64().unwrap_or_default(),
                text: frame["text"].as_str().unwrap_or_default().to_owned(),
                during: frame["during"].as_u64().map(|i| i as usize),
            })
            .collect()
    }

    /// One HTTP request to chromedriver on a connection of its own, synchronously: for what
    /// fantoccini has no command for, and for `Drop`. The whole reply, or `None`.
    fn driver_request(&self, method: &str, path: &str, body: &str) -> Option<String> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.driver_port));
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            self.driver_port,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        // chromedriver may keep the connection open: read the head, then Content-Length bytes.
        let mut reply = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&reply);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .filter_map(|line| line.split_once(':'))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    return Some(text.into_owned());
                }
            }
            match stream.read(&mut chunk).ok()? {
                0 => return Some(String::from_utf8_lossy(&reply).into_owned()),
                n => reply.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Asks chromedriver to end the session (which quits Chromium), synchronously.
    fn end_session(&self) {
        if self.session.is_empty() {
            return;
        }
        let _ = self.driver_request("DELETE", &format!("/session/{}", self.session), "");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.end_session();
        // chromedriver leads its own process group: kill the whole group, Chromium included.
        let group = format!("-{}", self.driver.id());
        let killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !killed {
            let _ = self.driver.kill();
        }
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
