//! One shard: a `Core` owned by one thread and driven by the contract in core's crate docs.
//!
//! A shard's thread serves the connections it accepts itself, so most requests reach the core
//! with no thread hop. Shard `i` of `n` mints only session ids with `sid.shard(n) == i`; a
//! request naming a session of another shard is forwarded to it over a channel, and the
//! answer comes back on a oneshot. WebSockets follow the same rule (see [`crate::websocket`]).

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response};
use hyper::upgrade::OnUpgrade;
use lunette_core::{ConnId, Core, HttpReply, LogLevel, LogRecord, Misuse, Output, SessionId};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::inbox;
use crate::ops::Ops;
use crate::route;
use crate::site_changes::Changes;
use crate::tasks::Tasks;
use crate::watchdog::StepWatch;
use crate::websocket::{self, Handed, Link, Serving};
use crate::ws_conns::{Overflow, WsConns};

/// What one shard asks of the shard that owns a session.
#[derive(Debug)]
pub enum Job {
    /// A request naming the session, with where to send its answer.
    Request {
        request: Request<Bytes>,
        reply: oneshot::Sender<Answer>,
    },
    /// A WebSocket of the session, to be served on the owner's thread from now on.
    Socket(Handed),
}

/// A shard's answer to a request.
#[derive(Debug)]
pub enum Answer {
    Respond(Response<Bytes>),
    /// Core accepted a WebSocket: the thread holding the HTTP connection completes the
    /// handshake and drives the socket over this link to the owner shard.
    Upgrade(Link),
}

/// The owning shard stopped (or this one is stopping), so the request got no answer.
#[derive(Debug)]
pub struct ShardGone;

/// A shard's core and what the tasks of its thread share (through an `Rc`: never another thread).
pub struct Shard {
    index: usize,
    count: usize,
    core: RefCell<Core>,
    /// The job queue of every shard (this one's unused). Emptied when this shard stops, so
    /// that a queue closes, ending its shard, only once no shard can forward to it any more.
    queues: RefCell<Vec<mpsc::Sender<Job>>>,
    /// The deadline the timer task sleeps until, so that a request bringing the core's next
    /// deadline forward wakes it (and the others do not).
    armed: Cell<Option<Instant>>,
    rearm: Notify,
    /// The core's open WebSocket connections, wherever their sockets are.
    conns: RefCell<WsConns>,
    /// The sockets, inboxes and HTTP connections on this thread, for the stop to wait for.
    tasks: Tasks,
    stopping: watch::Receiver<bool>,
    websocket: WebSocketConfig,
    max_inbound: usize,
    /// Raises the core's alarm when a step runs past `--step-timeout`.
    steps: Arc<StepWatch>,
    /// Where this shard publishes its stats after each step, and learns of a drain.
    ops: Arc<Ops>,
    /// Whether `/healthz` and `/metrics` are answered on this shard's connections.
    ops_here: bool,
}

/// A shard's part in the node's operations (see [`crate::ops`]).
#[derive(Debug, Clone)]
pub struct OpsLink {
    pub ops: Arc<Ops>,
    /// `/healthz` and `/metrics` are served on the main port.
    pub on_main_port: bool,
}

/// How a shard frames and buffers its WebSockets.
#[derive(Debug, Clone, Copy)]
pub struct Sockets {
    pub config: WebSocketConfig,
    /// Bytes of frames each connection may have queued (`--max-outbound-bytes`).
    pub max_outbound: usize,
    /// Bytes of inbound messages each connection may have waiting for the shard.
    pub max_inbound: usize,
}

impl Shard {
    /// Shard `index` of `queues.len()`, driving `core`; `stopping` turns true on a stop.
    pub fn new(
        index: usize,
        core: Core,
        queues: Vec<mpsc::Sender<Job>>,
        stopping: watch::Receiver<bool>,
        sockets: Sockets,
        steps: Arc<StepWatch>,
        ops: OpsLink,
    ) -> Self {
        Self {
            index,
            count: queues.len(),
            core: RefCell::new(core),
            queues: RefCell::new(queues),
            armed: Cell::new(None),
            rearm: Notify::new(),
            conns: RefCell::new(WsConns::new(sockets.max_outbound)),
            tasks: Tasks::default(),
            stopping,
            websocket: sockets.config,
            max_inbound: sockets.max_inbound,
            steps,
            ops: ops.ops,
            ops_here: ops.on_main_port,
        }
    }

    pub fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.clone()
    }

    /// The answer to `/healthz` or `/metrics` when this port serves them; no core is asked.
    pub fn ops_answer(&self, method: &http::Method, path: &str) -> Option<Response<Bytes>> {
        if !self.ops_here {
            return None;
        }
        self.ops.answer(method, path)
    }

    /// Answers the request here, or has it answered by the shard owning the session it names.
    pub async fn call(self: &Rc<Self>, request: Request<Bytes>) -> Result<Answer, ShardGone> {
        match route::owner(request.uri().path(), self.count) {
            Some(owner) if owner != self.index => self.forward(owner, request).await,
            _ => Ok(self.handle_http(request)),
        }
    }

    async fn forward(&self, owner: usize, request: Request<Bytes>) -> Result<Answer, ShardGone> {
        let queue = self.queues.borrow().get(owner).cloned().ok_or(ShardGone)?;
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job::Request { request, reply })
            .await
            .map_err(|_| ShardGone)?;
        answer.await.map_err(|_| ShardGone)
    }

    /// Answers requests forwarded by other shards, and serves the WebSockets they hand over,
    /// until every shard has stopped.
    pub async fn serve_jobs(self: &Rc<Self>, mut jobs: mpsc::Receiver<Job>) {
        while let Some(job) = jobs.recv().await {
            match job {
                Job::Request { reply, .. } if reply.is_closed() => {
                    // The client went away while the request was queued: nobody would see a
                    // reply, and a `GET /` would only create a session no one can claim.
                }
                Job::Request { request, reply } => {
                    // The client may have gone meanwhile; then there is no one to tell (a
                    // dropped `Upgrade` link tells core the connection closed).
                    let _ = reply.send(self.handle_http(request));
                }
                Job::Socket(handed) => {
                    let serving = self.serving(Some(handed.link.conn));
                    self.tasks.spawn(websocket::serve_handed(handed, serving));
                }
            }
        }
    }

    /// Serves an upgraded connection whose `101` this shard sent: on the owner shard's thread
    /// (see [`crate::websocket`]), or here if it cannot move.
    pub async fn serve_websocket(self: Rc<Self>, upgrade: OnUpgrade, link: Link) {
        if link.home == self.index {
            let serving = self.serving(Some(link.conn));
            websocket::serve(upgrade, link, serving).await;
            return;
        }
        let Some(upgraded) = websocket::upgraded(upgrade, link.conn).await else {
            return;
        };
        let (stream, read) = match websocket::detach(upgraded) {
            Ok(Ok(detached)) => detached,
            Ok(Err(error)) => {
                // Dropping the link tells the owner's core the connection closed.
                tracing::debug!(
                    "{}: a WebSocket could not leave its thread: {error}",
                    link.conn
                );
                return;
            }
            Err(upgraded) => {
                websocket::serve_upgraded(upgraded, link, self.serving(None)).await;
                return;
            }
        };
        let queue = self.queues.borrow().get(link.home).cloned();
        if let Some(queue) = queue {
            // If the owner has stopped, the link and the socket are dropped: nothing to serve.
            let _ = queue.send(Job::Socket(Handed { stream, read, link })).await;
        }
    }

    /// How a socket task serves a connection; `home` names the connection when the task runs
    /// on this, its owner shard's thread.
    fn serving(self: &Rc<Self>, home: Option<ConnId>) -> Serving {
        let direct = home.map(|conn| {
            let shard = Rc::clone(self);
            Rc::new(move |text: &str| shard.take_text(conn, text)) as websocket::Direct
        });
        Serving {
            config: self.websocket,
            stopping: self.stopping(),
            direct,
        }
    }

    /// Passes one inbound message of `conn` to core, unless the connection has been closed.
    fn take_text(&self, conn: ConnId, text: &str) {
        if self.conns.borrow().is_open(conn) {
            self.step("a WebSocket message", |core, now| {
                core.handle_ws_text(now, conn, text)
            });
        }
    }

    /// Hands the core every batch of site changes (`--hotload`) for as long as the shard runs.
    pub async fn serve_site_changes(&self, mut changes: mpsc::UnboundedReceiver<Changes>) {
        while let Some(batch) = changes.recv().await {
            self.step("a site change", |core, now| {
                core.handle_site_changes(now, batch.to_vec())
            });
        }
    }

    /// Stops forwarding to other shards; requests that would be forwarded get [`ShardGone`].
    pub fn close_queues(&self) {
        self.queues.borrow_mut().clear();
    }

    /// Calls `handle_timeout` at each of the core's deadlines, for as long as the shard runs.
    pub async fn run_timers(&self) {
        loop {
            let deadline = self.core.borrow().poll_timeout();
            if deadline.is_some_and(|at| at <= Instant::now()) {
                // Due already: a step suspended between slices, or a `setImmediate`. The
                // sockets of this thread go first (tokio polls for I/O before it resumes a
                // task that yielded), so a long step delays other sessions by one slice.
                tokio::task::yield_now().await;
                self.step("a timeout", |core, now| core.handle_timeout(now));
                continue;
            }
            self.armed.set(deadline);
            tokio::select! {
                () = sleep_until(deadline) => {
                    self.step("a timeout", |core, now| core.handle_timeout(now));
                }
                () = self.rearm.notified() => {}
            }
        }
    }

    fn handle_http(self: &Rc<Self>, request: Request<Bytes>) -> Answer {
        match self.step("a request", |core, now| core.handle_http(now, request)) {
            Some(HttpReply::Respond(response)) => Answer::Respond(response),
            Some(HttpReply::Upgrade { conn, session }) => {
                Answer::Upgrade(self.open_websocket(conn, session))
            }
            None => Answer::Respond(internal_error()),
        }
    }

    /// Registers a connection core accepted and starts its inbox: the task on this thread
    /// that passes its messages to core, then its close once the link is dropped.
    fn open_websocket(self: &Rc<Self>, conn: ConnId, session: SessionId) -> Link {
        let commands = self.conns.borrow_mut().open(conn, session);
        let (inbox, mut texts) = inbox::inbox(self.max_inbound);
        let shard = Rc::clone(self);
        self.tasks.spawn(async move {
            while let Some(message) = texts.recv().await {
                shard.take_text(conn, &message.text);
            }
            if shard.conns.borrow_mut().remove(conn) {
                shard.step("a WebSocket close", |core, now| {
                    core.handle_ws_closed(now, conn)
                });
            }
        });
        Link {
            conn,
            home: self.index,
            commands,
            inbox,
        }
    }

    /// One step of the driving contract: the input, the outputs, the timer.
    fn step<T>(
        &self,
        what: &str,
        input: impl FnOnce(&mut Core, Instant) -> Result<T, Misuse>,
    ) -> Option<T> {
        let now = Instant::now();
        let mut core = self.core.borrow_mut();
        if self.ops.is_draining() && !core.is_draining() {
            core.set_draining(true);
        }
        self.steps.begin();
        let result = self.guarded(what, || input(&mut core, now));
        self.drain(&mut core, now);
        self.steps.end();
        self.ops.publish(self.index, core.stats(), now.elapsed());
        let next = core.poll_timeout();
        if next.is_some_and(|next| self.armed.get().is_none_or(|armed| next < armed)) {
            self.rearm.notify_one();
        }
        result
    }

    /// Runs a call into core, logging a misuse or a panic instead of passing it on.
    fn guarded<T>(&self, what: &str, call: impl FnOnce() -> Result<T, Misuse>) -> Option<T> {
        match catch_unwind(AssertUnwindSafe(call)) {
            Ok(Ok(value)) => Some(value),
            Ok(Err(misuse)) => {
                tracing::error!(shard = self.index, "core refused {what}: {misuse}");
                None
            }
            Err(_) => {
                tracing::error!(shard = self.index, "core panicked in {what}");
                None
            }
        }
    }

    fn drain(&self, core: &mut Core, now: Instant) {
        while let Some(output) = core.poll_output() {
            match output {
                Output::Log(record) => log(self.index, record),
                Output::WsSend { conn, text } => {
                    let sent = self.conns.borrow_mut().send(conn, text);
                    if let Err(Overflow { session, limit }) = sent {
                        tracing::warn!(
                            shard = self.index,
                            session = session.short(),
                            "{conn}: closing it (1008): {}",
                            websocket::overflow_reason(limit)
                        );
                        // Forgotten by `send`: this is the one report of its close.
                        self.guarded("a WebSocket close", || core.handle_ws_closed(now, conn));
                    }
                }
                Output::WsClose { conn, code } => {
                    if self.conns.borrow_mut().close(conn, code) {
                        // Core counts a close it asked for as the end of the connection.
                        self.guarded("a WebSocket close", || core.handle_ws_closed(now, conn));
                    }
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// Passes a core log record to `tracing`, showing only the short form of its sid.
fn log(shard: usize, record: LogRecord) {
    let short = record.session.map(|sid| sid.short());
    let session = short.as_deref();
    let message = record.message;
    match record.level {
        LogLevel::Error => tracing::error!(target: "lunette_core", shard, session, "{message}"),
        LogLevel::Warn => tracing::warn!(target: "lunette_core", shard, session, "{message}"),
        LogLevel::Info => tracing::info!(target: "lunette_core", shard, session, "{message}"),
        LogLevel::Debug => tracing::debug!(target: "lunette_core", shard, session, "{message}"),
    }
}

fn internal_error() -> Response<Bytes> {
    crate::responses::plain(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        "500 Internal Server Error\n",
    )
}
