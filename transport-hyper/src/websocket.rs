//! `/ws/<sid>`: completing the handshake core accepted, and the task that drives the socket.
//!
//! The flow, when the thread that accepted the HTTP connection (A) is not the one owning the
//! session (B):
//!
//! 1. A's service takes hyper's `OnUpgrade` out of the request and forwards the request to B
//!    (see `shard.rs`). B's core answers `Upgrade { conn, .. }`; B registers `conn` in its
//!    [`WsConns`](crate::ws_conns::WsConns), which keeps the sending end of its outbound
//!    queue, starts an *inbox* task on its own thread, and sends A a [`Link`]: the queue's
//!    receiving end (an [`Outbox`]) and the inbox sender.
//! 2. A answers `101` ([`handshake`]). Once hyper hands over the connection, A takes the TCP
//!    socket out of it ([`detach`]) and hands it to B with the link ([`Handed`]); B spawns
//!    [`serve_handed`] on its own thread. So every message of the connection is served on
//!    B's thread, with no thread hop: each hop costs a wake-up of the other thread (an
//!    `eventfd` write and an `epoll_wait`) both ways, which measured as much as the rest of
//!    a round trip (BENCHMARKS.md, 2026-12-07). When A is B the socket stays where it is
//!    ([`serve`]); so it does when hyper's connection is not a plain TCP stream, in which case
//!    the channels below cross threads, as they are built to.
//! 3. The socket task passes inbound text into the inbox (bounded in messages and bytes, see
//!    [`crate::inbox`]: a busy core slows the reading of the socket down); B's inbox task passes
//!    it to core. Core's `WsSend`/`WsClose` go from B's output drain to the task as commands,
//!    bounded in bytes: a peer that does not read while frames keep coming for it is closed
//!    with 1008 once its queue would pass `--max-outbound-bytes` (B tells core at once).
//! 4. However the connection ends, the task drops the link. B's inbox task then sees its
//!    channel close after the last text and reports the close to core, unless B already did
//!    (a close core asked for): [`WsConns`](crate::ws_conns::WsConns) holds a connection until
//!    it is reported, so each close reaches core exactly once. A link dropped before any task
//!    got it (the client left during the forward or the hand-over) reports the same way.
//!
//! So B's core is only touched on B's thread, and a socket only on the thread serving it.

use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{CONNECTION, HeaderValue, SEC_WEBSOCKET_ACCEPT, UPGRADE};
use http::{Response, StatusCode};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use lunette_core::ConnId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior, Sleep, interval_at, sleep_until, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::inbox::{Closed, InboxSender};
use crate::ws_conns::{Outbox, WsCommand};

/// The server pings this often (docs/protocol.md §3.1) ...
const PING_INTERVAL: Duration = Duration::from_secs(30);
/// ... and closes a connection that has sent nothing, not even a pong, for this long.
const SILENCE_LIMIT: Duration = Duration::from_secs(75);
/// How long a closing connection may take to get our close frame out and be shut.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Held by every connection, idle or not; a larger frame is read in pieces of this size.
const READ_BUFFER: usize = 2 * 1024;
/// Frames are written out as they are queued: the text messages below are sent whole or in
/// fragments, so nothing is gained by gathering them first.
const WRITE_BUFFER: usize = 0;
/// The largest message the server sends; one beyond it closes the connection (1011). Also
/// what tungstenite may hold for a peer that does not read.
const MAX_WRITE_BUFFER: usize = 64 * 1024 * 1024;
/// A text message longer than this goes out in fragments of this size. tungstenite's write
/// buffer never shrinks, so sending a message whole would keep its size allocated for as long
/// as the connection lasts: a first render of 100 KB would cost every idle tab 128 KiB.
const FRAGMENT: usize = 2 * 1024;

/// The tungstenite settings of every socket, set explicitly because the defaults do not fit
/// a server holding thousands of mostly idle connections (NOTES "WebSocket buffers"): 128 KiB
/// read and write buffers per connection would make gigabytes, a 64 MiB message limit lets
/// one client pin that much memory, and an unlimited write buffer never pushes back on a
/// client that does not read. `max_message` is `--max-frame-bytes`; a single frame is held to
/// it too, so an oversized frame is refused from its header, before its payload is read.
pub fn config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// What the owner shard hands the socket's task for one accepted connection.
#[derive(Debug)]
pub struct Link {
    pub conn: ConnId,
    /// The index of the shard that owns the connection's session.
    pub home: usize,
    pub commands: Outbox,
    pub inbox: InboxSender,
}

/// An upgraded connection on its way to the thread of the shard owning its session.
#[derive(Debug)]
pub struct Handed {
    pub stream: std::net::TcpStream,
    /// What hyper had read past the request head (the client's first frames, if it did not
    /// wait for the `101`).
    pub read: Bytes,
    pub link: Link,
}

/// Takes the TCP socket out of a connection hyper has handed over, with what hyper had read
/// past the request head, to move it to another thread. `Err` gives the connection back when it
/// is not a plain TCP stream; `Ok(Err)` is a socket that could not leave this thread's poller.
pub fn detach(
    upgraded: Upgraded,
) -> Result<std::io::Result<(std::net::TcpStream, Bytes)>, Upgraded> {
    let parts = upgraded.downcast::<TokioIo<TcpStream>>()?;
    let read = parts.read_buf;
    Ok(parts
        .io
        .into_inner()
        .into_std()
        .map(|stream| (stream, read)))
}

/// The `101 Switching Protocols` answering a request with this `Sec-WebSocket-Key` (no
/// subprotocol, no extension).
pub fn handshake(key: &HeaderValue) -> Response<Bytes> {
    let accept = HeaderValue::try_from(derive_accept_key(key.as_bytes()))
        .expect("base64 is a valid header value");
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    response
}

/// Hands one inbound text to core at once, on the owner shard's thread.
pub type Direct = Rc<dyn Fn(&str)>;

/// How a socket task serves its connection.
pub struct Serving {
    pub config: WebSocketConfig,
    /// Turns true on a stop, which closes the connection with 1001.
    pub stopping: watch::Receiver<bool>,
    /// Set when the task runs on the owner shard's thread: a message that finds the inbox empty
    /// goes straight to core instead of waking the inbox task, which saves a task switch each
    /// way (the reply is queued for this very task). The inbox keeps its role whenever messages
    /// wait, and the close is still reported by the inbox task once the link is dropped.
    pub direct: Option<Direct>,
}

/// Drives one connection, on this thread, from the end of the handshake to its close.
pub async fn serve(upgrade: OnUpgrade, link: Link, serving: Serving) {
    if let Some(upgraded) = upgraded(upgrade, link.conn).await {
        serve_upgraded(upgraded, link, serving).await;
    }
}

/// The connection once hyper hands it over; `None` if the handshake failed.
pub async fn upgraded(upgrade: OnUpgrade, conn: ConnId) -> Option<Upgraded> {
    match upgrade.await {
        Ok(upgraded) => Some(upgraded),
        Err(error) => {
            tracing::debug!("{conn}: the handshake failed: {error}");
            None
        }
    }
}

/// [`serve`] for a connection hyper has already handed over.
pub async fn serve_upgraded(upgraded: Upgraded, link: Link, serving: Serving) {
    let io = TokioIo::new(upgraded);
    let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(serving.config)).await;
    run(socket, link, serving).await;
}

/// [`serve`] for a connection another thread [`detach`]ed and handed to this one.
pub async fn serve_handed(handed: Handed, serving: Serving) {
    let Handed { stream, read, link } = handed;
    let stream = match TcpStream::from_std(stream) {
        Ok(stream) => stream,
        Err(error) => {
            tracing::debug!("{}: could not serve a handed socket: {error}", link.conn);
            return;
        }
    };
    let config = Some(serving.config);
    let socket =
        WebSocketStream::from_partially_read(stream, read.to_vec(), Role::Server, config).await;
    run(socket, link, serving).await;
}

async fn run<S>(mut socket: WebSocketStream<S>, link: Link, serving: Serving)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Link {
        conn,
        commands,
        inbox,
        ..
    } = link;
    let Serving {
        mut stopping,
        direct,
        ..
    } = serving;
    let inbound = Inbound {
        inbox,
        direct: direct.as_deref(),
    };
    let ending = drive(&mut socket, commands, inbound, &mut stopping).await;
    tracing::debug!("{conn}: {ending:?}");
    finish(&mut socket, &ending).await;
}

/// Where the socket task puts inbound text: the inbox, or straight into core.
struct Inbound<'a> {
    inbox: InboxSender,
    direct: Option<&'a dyn Fn(&str)>,
}

impl Inbound<'_> {
    async fn take(&self, text: &str) -> Result<(), Closed> {
        match self.direct {
            Some(direct) if self.inbox.is_idle() => {
                direct(text);
                // Text already read from the socket costs no budget: without this, a peer
                // that sends many small messages at once would hold the thread until all
                // of them ran.
                tokio::task::consume_budget().await;
                Ok(())
            }
            _ => self.inbox.send(text.to_owned()).await,
        }
    }
}

/// Why a connection ends, and what is left to do on its socket.
#[derive(Debug, PartialEq)]
enum Ending {
    /// The peer sent a close frame.
    PeerClosed,
    /// We close it with this code.
    Close(CloseCode),
    /// Its outbound queue passed this many bytes (the peer is not reading): we close it with
    /// 1008 and say why.
    Overflow(usize),
    /// The socket failed or the peer vanished: nothing left to say.
    Gone,
}

/// Passes messages both ways until the connection ends; the link's channels are dropped on
/// return, which tells the owner shard.
///
/// The futures that wait for rare events (the silence limit, an overflow, a stop) are made
/// once per connection, not once per message: each would otherwise register a timer or a
/// waiter and remove it again on every pass of the loop.
async fn drive<S>(
    socket: &mut WebSocketStream<S>,
    mut commands: Outbox,
    inbound: Inbound<'_>,
    stopping: &mut watch::Receiver<bool>,
) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let overflow = commands.overflow();
    let mut overflowed = pin!(overflow.wait());
    let mut stop = pin!(stopping.wait_for(|stop| *stop));
    let mut silence = Silence::new(Instant::now());
    let mut pings = interval_at(silence.heard + PING_INTERVAL, PING_INTERVAL);
    // After a send held up by a slow peer, one ping is enough.
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = socket.next() => {
                silence.heard = Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => {
                        if inbound.take(text.as_str()).await.is_err() {
                            return Ending::Close(CloseCode::Away);
                        }
                        // Core may have answered at once: send it now rather than on the next
                        // pass of the loop.
                        while let Some(command) = commands.try_recv() {
                            let done = obey(socket, command, &mut silence, overflowed.as_mut());
                            if let Err(ending) = done.await {
                                return ending.unwrap_or(Ending::Overflow(overflow.limit()));
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => return Ending::Close(CloseCode::Unsupported),
                    Some(Ok(Message::Close(_))) => return Ending::PeerClosed,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Err(error)) => return read_failure(&error),
                    None => return Ending::Gone,
                }
            }
            command = commands.recv() => {
                // `None`: the owner shard is gone.
                let command = command.unwrap_or(WsCommand::Close(CloseCode::Away.into()));
                let done = obey(socket, command, &mut silence, overflowed.as_mut());
                if let Err(ending) = done.await {
                    return ending.unwrap_or(Ending::Overflow(overflow.limit()));
                }
            }
            _ = pings.tick() => {
                let ping = Message::Ping(Bytes::new());
                let sent = send(socket, ping, true, &mut silence, overflowed.as_mut()).await;
                if let Err(ending) = sent {
                    return ending.unwrap_or(Ending::Overflow(overflow.limit()));
                }
            }
            () = overflowed.as_mut() => return Ending::Overflow(overflow.limit()),
            silent = silence.elapsed() => if silent {
                return Ending::Close(CloseCode::Away);
            },
            _ = stop.as_mut() => return Ending::Close(CloseCode::Away),
        }
    }
}

/// Carries out one command of the owner shard; `Err` as for [`send`], or with the close a
/// `Close` command asks for.
async fn obey<S, F>(
    socket: &mut WebSocketStream<S>,
    command: WsCommand,
    silence: &mut Silence,
    overflowed: Pin<&mut F>,
) -> Result<(), Option<Ending>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: Future<Output = ()>,
{
    match command {
        WsCommand::Send(text) if text.len() > MAX_WRITE_BUFFER => {
            tracing::warn!("an outbound frame over {MAX_WRITE_BUFFER} bytes closed its connection");
            Err(Some(Ending::Close(CloseCode::Error)))
        }
        WsCommand::Send(text) if text.len() > FRAGMENT => {
            let fragments = fragments(Bytes::from(text));
            let last = fragments.len() - 1;
            let mut overflowed = overflowed;
            for (i, fragment) in fragments.into_iter().enumerate() {
                let message = Message::Frame(fragment);
                send(socket, message, i == last, silence, overflowed.as_mut()).await?;
            }
            Ok(())
        }
        WsCommand::Send(text) => send(socket, Message::text(text), true, silence, overflowed).await,
        WsCommand::Close(code) => Err(Some(Ending::Close(CloseCode::from(code)))),
    }
}

/// The silence limit: one timer per connection, moved forward only when it fires, to when the
/// peer was last heard from plus [`SILENCE_LIMIT`].
struct Silence {
    heard: Instant,
    timer: Pin<Box<Sleep>>,
}

impl Silence {
    fn new(heard: Instant) -> Self {
        Self {
            heard,
            timer: Box::pin(sleep_until(heard + SILENCE_LIMIT)),
        }
    }

    /// Completes when the timer fires: true if the peer has now been silent for the whole
    /// limit, false if it was heard from meanwhile (the timer then waits again). Cancel-safe.
    async fn elapsed(&mut self) -> bool {
        self.timer.as_mut().await;
        let silent = self.heard + SILENCE_LIMIT;
        if Instant::now() >= silent {
            return true;
        }
        self.timer.as_mut().reset(silent);
        false
    }
}

/// Sends one message (with `flush` false, only queues it in tungstenite, which writes what
/// the socket takes at once since `WRITE_BUFFER` is 0), giving up when the peer has been silent
/// too long (a peer that does not read blocks the send, and its pongs are not read meanwhile)
/// or when its queue overflows meanwhile (`Err(None)`).
async fn send<S, F>(
    socket: &mut WebSocketStream<S>,
    message: Message,
    flush: bool,
    silence: &mut Silence,
    mut overflowed: Pin<&mut F>,
) -> Result<(), Option<Ending>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: Future<Output = ()>,
{
    let mut sending = pin!(async {
        if flush {
            socket.send(message).await
        } else {
            socket.feed(message).await
        }
    });
    loop {
        tokio::select! {
            sent = sending.as_mut() => return match sent {
                Ok(()) => Ok(()),
                Err(WsError::WriteBufferFull(_)) => {
                    tracing::warn!(
                        "an outbound frame over {MAX_WRITE_BUFFER} bytes closed its connection"
                    );
                    Err(Some(Ending::Close(CloseCode::Error)))
                }
                Err(_) => Err(Some(Ending::Gone)),
            },
            silent = silence.elapsed() => if silent {
                return Err(Some(Ending::Close(CloseCode::Away)));
            },
            () = overflowed.as_mut() => return Err(None),
        }
    }
}

/// A text message as frames of at most [`FRAGMENT`] bytes (RFC 6455 §5.4): a text frame, then
/// continuations, the last one final. A fragment may end inside a UTF-8 sequence; the peer
/// checks the whole message.
fn fragments(text: Bytes) -> Vec<Frame> {
    let count = text.len().div_ceil(FRAGMENT);
    (0..count)
        .map(|i| {
            let part = text.slice(i * FRAGMENT..((i + 1) * FRAGMENT).min(text.len()));
            let opcode = if i == 0 { Data::Text } else { Data::Continue };
            Frame::message(part, OpCode::Data(opcode), i + 1 == count)
        })
        .collect()
}

/// The close code for a message that could not be read (docs/protocol.md §3.1).
fn read_failure(error: &WsError) -> Ending {
    match error {
        WsError::Capacity(_) => Ending::Close(CloseCode::Size),
        WsError::Utf8(_) => Ending::Close(CloseCode::Invalid),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Ending::Gone,
        WsError::Protocol(_) => Ending::Close(CloseCode::Protocol),
        _ => Ending::Gone,
    }
}

/// Does what is left on the socket once the connection has ended.
async fn finish<S>(socket: &mut WebSocketStream<S>, ending: &Ending)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match *ending {
        Ending::PeerClosed => {
            // Sends the close reply tungstenite queued; then ours is the first TCP close.
            let _ = timeout_at(Instant::now() + CLOSE_GRACE, socket.flush()).await;
        }
        Ending::Close(code) => close(socket, code, "").await,
        Ending::Overflow(limit) => {
            let reason = overflow_reason(limit);
            close(socket, CloseCode::Policy, &reason).await;
        }
        Ending::Gone => {}
    }
}

/// Sends a close frame, then shuts our side and discards what the peer still sends until it
/// closes too. Not read through tungstenite: after an oversized or broken message its reader
/// is mid-frame. Discarding, rather than closing with unread input, avoids a TCP reset that
/// could make the peer lose the close frame.
async fn close<S>(socket: &mut WebSocketStream<S>, code: CloseCode, reason: &str)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = Instant::now() + CLOSE_GRACE;
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = timeout_at(deadline, socket.close(Some(frame))).await;
    let io = socket.get_mut();
    let _ = timeout_at(deadline, async {
        let _ = io.shutdown().await;
        // On the heap, not in the future: every idle connection's task would carry it.
        let mut discard = vec![0; 4096];
        while let Ok(1..) = io.read(&mut discard).await {}
    })
    .await;
}

/// The reason sent with the 1008 of an overflowed queue (at most 123 bytes).
pub fn overflow_reason(limit: usize) -> String {
    format!("outbound queue over {limit} bytes: the client is not reading")
}

#[cfg(test)]
mod tests;
