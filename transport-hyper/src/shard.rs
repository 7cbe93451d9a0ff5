//! Shards: threads that each own one `Core` and drive it by the contract in core's crate docs.
//!
//! `Core` is not `Send`, so each shard creates its own on a dedicated thread running a
//! current-thread tokio runtime. Connection tasks hand it requests over a channel and wait for
//! the response on a oneshot. Shard `i` of `n` mints only session ids with `sid.shard(n) == i`,
//! so the [`Router`] can send every later request of a session back to it.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{Request, Response};
use lunette_core::{Config, Core, HttpReply, LogLevel, LogRecord, Output, Site};
use tokio::sync::{mpsc, oneshot};

use crate::ids::OsIds;
use crate::route::Router;

/// Requests a shard may hold in its queue before senders wait.
const QUEUE: usize = 256;

/// One request for a shard, with where to send its response.
struct Job {
    request: Request<Bytes>,
    reply: oneshot::Sender<Response<Bytes>>,
}

/// The running shards and the router that picks one per request.
#[derive(Debug)]
pub struct Shards {
    queues: Vec<mpsc::Sender<Job>>,
    router: Router,
}

/// A shard stopped (its thread ended), so the request got no answer.
#[derive(Debug)]
pub struct ShardGone;

impl Shards {
    /// Starts `count` shards serving `site` with `config` (whose `shard`, `shards` and `epoch`
    /// each shard sets for itself).
    pub fn start(count: usize, config: &Config, site: &Site) -> io::Result<Self> {
        let count = count.max(1);
        let mut queues = Vec::with_capacity(count);
        for index in 0..count {
            let (sender, receiver) = mpsc::channel(QUEUE);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()?;
            let config = Config {
                shard: index,
                shards: count,
                ..config.clone()
            };
            let site = site.clone();
            std::thread::Builder::new()
                .name(format!("lunette-shard-{index}"))
                .spawn(move || runtime.block_on(run(index, config, site, receiver)))?;
            queues.push(sender);
        }
        Ok(Self {
            queues,
            router: Router::new(count),
        })
    }

    /// Has the request answered by the shard its path routes to.
    pub async fn call(&self, request: Request<Bytes>) -> Result<Response<Bytes>, ShardGone> {
        let index = self.router.shard_for(request.uri().path());
        let queue = self.queues.get(index).ok_or(ShardGone)?;
        let (reply, response) = oneshot::channel();
        queue
            .send(Job { request, reply })
            .await
            .map_err(|_| ShardGone)?;
        response.await.map_err(|_| ShardGone)
    }
}

/// A shard's event loop: until every sender is gone, take the next request or the next
/// deadline of the core, whichever comes first.
async fn run(index: usize, mut config: Config, site: Site, mut jobs: mpsc::Receiver<Job>) {
    let now = Instant::now();
    config.epoch = SystemTime::now();
    let mut shard = Shard {
        index,
        core: Core::new(config, site, Box::new(OsIds), now),
    };
    loop {
        let deadline = shard.core.poll_timeout();
        tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => shard.handle_job(job),
                None => break,
            },
            () = sleep_until(deadline) => shard.handle_timeout(),
        }
    }
    tracing::debug!(shard = index, "shard stopped");
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

struct Shard {
    index: usize,
    core: Core,
}

impl Shard {
    fn handle_job(&mut self, job: Job) {
        if job.reply.is_closed() {
            // The client went away while the request was queued: nobody would see a reply,
            // and a `GET /` would only create a session no one can claim.
            return;
        }
        let now = Instant::now();
        let core = &mut self.core;
        let response = match catch_unwind(AssertUnwindSafe(|| core.handle_http(now, job.request))) {
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
        // The client may have gone meanwhile; then there is no one to tell.
        let _ = job.reply.send(response);
        self.drain();
    }

    fn handle_timeout(&mut self) {
        let now = Instant::now();
        let core = &mut self.core;
        match catch_unwind(AssertUnwindSafe(|| core.handle_timeout(now))) {
            Ok(Ok(())) => {}
            Ok(Err(misuse)) => {
                tracing::error!(shard = self.index, "core refused a timeout: {misuse}");
            }
            Err(_) => tracing::error!(shard = self.index, "core panicked in a timeout"),
        }
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Log(record) => log(self.index, record),
            }
        }
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
