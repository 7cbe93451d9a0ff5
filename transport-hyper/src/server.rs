//! The listening socket and its connections: HTTP/1.1 with keep-alive, a header timeout
//! against slow clients, and a graceful stop.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};

use crate::service;
use crate::shard::Shards;
use crate::signals::StopSignals;
use crate::site_dir::describe;

/// Clients must finish a request head within this time (PROTOCOL §3.1).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stop waits for requests in flight before leaving anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed `accept` (e.g. out of file descriptors) so as not to spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Binds `host:port`; the error is the one-line message for stderr.
pub async fn bind(host: &str, port: u16) -> Result<TcpListener, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    TcpListener::bind((bare, port)).await.map_err(|error| {
        let shown = if bare.contains(':') {
            format!("[{bare}]:{port}")
        } else {
            format!("{bare}:{port}")
        };
        format!("cannot listen on {shown}: {}", describe(&error))
    })
}

/// The URL the server answers at, for the startup line.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// Serves connections until a stop signal, then lets requests in flight finish (for at most
/// `SHUTDOWN_GRACE`).
pub async fn serve(listener: TcpListener, shards: Arc<Shards>, mut signals: StopSignals) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let signal = loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            signal = signals.recv() => break signal,
        };
        match accepted {
            Ok((stream, _peer)) => spawn_connection(&http, &graceful, stream, &shards),
            Err(error) => {
                tracing::warn!("accepting a connection failed: {}", describe(&error));
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    };
    drop(listener);
    tracing::info!(
        "{signal}: stopping; waiting for {} open connections",
        graceful.count()
    );
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("stopped"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("stopped with requests still in flight after {SHUTDOWN_GRACE:?}");
        }
    }
}

fn spawn_connection(
    http: &http1::Builder,
    graceful: &GracefulShutdown,
    stream: TcpStream,
    shards: &Arc<Shards>,
) {
    // Responses are written whole; waiting to coalesce small packets only adds latency.
    let _ = stream.set_nodelay(true);
    let shards = Arc::clone(shards);
    let service = service_fn(move |request| {
        let shards = Arc::clone(&shards);
        async move { Ok::<_, Infallible>(service::answer(&shards, request).await) }
    });
    let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!("connection ended: {error}");
        }
    });
}
