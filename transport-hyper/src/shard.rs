//! One shard: a `Core` owned by one thread and driven by the contract in core's crate docs.
//!
//! A shard's thread serves the connections it accepts itself, so most requests reach the core
//! with no thread hop. Shard `i` of `n` mints only session ids with `sid.shard(n) == i`; a
//! request naming a session of another shard is forwarded to it over a channel, and the
//! response comes back on a oneshot.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response};
use lunette_core::{Core, HttpReply, LogLevel, LogRecord, Output};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::route;

/// One request forwarded to the shard that owns its session, with where to send its response.
#[derive(Debug)]
pub struct Job {
    request: Request<Bytes>,
    reply: oneshot::Sender<Response<Bytes>>,
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
}

impl Shard {
    /// Shard `index` of `queues.len()`, driving `core`.
    pub fn new(index: usize, core: Core, queues: Vec<mpsc::Sender<Job>>) -> Self {
        Self {
            index,
            count: queues.len(),
            core: RefCell::new(core),
            queues: RefCell::new(queues),
            armed: Cell::new(None),
            rearm: Notify::new(),
        }
    }

    /// Answers the request here, or has it answered by the shard owning the session it names.
    pub async fn call(&self, request: Request<Bytes>) -> Result<Response<Bytes>, ShardGone> {
        match route::owner(request.uri().path(), self.count) {
            Some(owner) if owner != self.index => self.forward(owner, request).await,
            _ => Ok(self.handle_http(request)),
        }
    }

    async fn forward(
        &self,
        owner: usize,
        request: Request<Bytes>,
    ) -> Result<Response<Bytes>, ShardGone> {
        let queue = self.queues.borrow().get(owner).cloned().ok_or(ShardGone)?;
        let (reply, response) = oneshot::channel();
        queue
            .send(Job { request, reply })
            .await
            .map_err(|_| ShardGone)?;
        response.await.map_err(|_| ShardGone)
    }

    /// Answers requests forwarded by other shards until every shard has stopped.
    pub async fn serve_jobs(&self, mut jobs: mpsc::Receiver<Job>) {
        while let Some(job) = jobs.recv().await {
            if job.reply.is_closed() {
                // The client went away while the request was queued: nobody would see a reply,
                // and a `GET /` would only create a session no one can claim.
                continue;
            }
            // The client may have gone meanwhile; then there is no one to tell.
            let _ = job.reply.send(self.handle_http(job.request));
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
            self.armed.set(deadline);
            tokio::select! {
                () = sleep_until(deadline) => self.handle_timeout(),
                () = self.rearm.notified() => {}
            }
        }
    }

    fn handle_http(&self, request: Request<Bytes>) -> Response<Bytes> {
        let now = Instant::now();
        let mut core = self.core.borrow_mut();
        let response = match catch_unwind(AssertUnwindSafe(|| core.handle_http(now, request))) {
            Ok(Ok(HttpReply::Respond(response))) => response,
            Ok(Err(misuse)) => {
                tracing::error!(shard = self.index, "core refused a request: {misuse}");
                internal_error()
            }
            Err(_) => {
                tracing::error!(
                    shard = self.index,
                    "core panicked while answering a request"
                );
                internal_error()
            }
        };
        self.drain(&mut core);
        let next = core.poll_timeout();
        if next.is_some_and(|next| self.armed.get().is_none_or(|armed| next < armed)) {
            self.rearm.notify_one();
        }
        response
    }

    fn handle_timeout(&self) {
        let now = Instant::now();
        let mut core = self.core.borrow_mut();
        match catch_unwind(AssertUnwindSafe(|| core.handle_timeout(now))) {
            Ok(Ok(())) => {}
            Ok(Err(misuse)) => {
                tracing::error!(shard = self.index, "core refused a timeout: {misuse}");
            }
            Err(_) => tracing::error!(shard = self.index, "core panicked in a timeout"),
        }
        self.drain(&mut core);
    }

    fn drain(&self, core: &mut Core) {
        while let Some(output) = core.poll_output() {
            match output {
                Output::Log(record) => log(self.index, record),
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
    crate::service::plain(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        "500 Internal Server Error\n",
    )
}
