//! The socket task against an in-memory client, on a paused clock: liveness, commands, closes.

use std::rc::Rc;
use std::time::Duration;

use flume::TryRecvError;
use tokio::io::DuplexStream;
use tokio::task::{JoinHandle, LocalSet};

use super::*;
use crate::inbox::{InboxReceiver, inbox};
use crate::ws_conns::{WsConns, accepted};

const MAX_MESSAGE: usize = 1024;
/// The outbound queue's bound.
const MAX_OUTBOUND: usize = 4096;

type Client = WebSocketStream<DuplexStream>;

/// A connection being driven, seen from the owner shard and from the client.
struct Harness {
    conns: WsConns,
    conn: ConnId,
    inbox: InboxReceiver,
    stop: watch::Sender<bool>,
    client: Client,
    task: JoinHandle<Ending>,
}

async fn connect() -> Harness {
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    let mut conns = WsConns::new(MAX_OUTBOUND);
    let (conn, session) = accepted();
    let command_receiver = conns.open(conn, session);
    let (inbox_sender, inbox) = inbox(MAX_MESSAGE);
    let (stop, mut stopping) = watch::channel(false);
    let task = tokio::task::spawn_local(async move {
        let mut socket =
            WebSocketStream::from_raw_socket(server_io, Role::Server, Some(config(MAX_MESSAGE)))
                .await;
        let inbound = Inbound {
            inbox: inbox_sender,
            direct: None,
        };
        let ending = drive(&mut socket, command_receiver, inbound, &mut stopping).await;
        finish(&mut socket, &ending).await;
        ending
    });
    let client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
    Harness {
        conns,
        conn,
        inbox,
        stop,
        client,
        task,
    }
}

/// The next message the client reads, or `None` at the end of the stream.
async fn read(client: &mut Client) -> Option<Message> {
    match client.next().await {
        Some(Ok(message)) => Some(message),
        Some(Err(_)) | None => None,
    }
}

async fn close_code(client: &mut Client) -> Option<u16> {
    loop {
        match read(client).await? {
            Message::Close(frame) => return frame.map(|frame| u16::from(frame.code)),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a close, got {other:?}"),
        }
    }
}

async fn ending(task: JoinHandle<Ending>) -> Ending {
    task.await
        .unwrap_or_else(|error| panic!("the socket task failed: {error}"))
}

#[tokio::test(start_paused = true)]
async fn a_silent_client_is_pinged_then_closed_with_1001() {
    LocalSet::new()
        .run_until(async {
            let mut h = connect().await;
            // The client does not read (so it sends no pong) until the server has given up on
            // it and is closing.
            tokio::time::sleep(SILENCE_LIMIT + Duration::from_secs(1)).await;
            assert!(matches!(read(&mut h.client).await, Some(Message::Ping(_))));
            assert!(matches!(read(&mut h.client).await, Some(Message::Ping(_))));
            assert_eq!(close_code(&mut h.client).await, Some(1001));
            assert_eq!(ending(h.task).await, Ending::Close(CloseCode::Away));
        })
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_client_answering_pings_stays_connected() {
    LocalSet::new()
        .run_until(async {
            let mut h = connect().await;
            let reading = async {
                // Reading answers each ping with a pong.
                while let Some(message) = read(&mut h.client).await {
                    assert!(matches!(message, Message::Ping(_)), "{message:?}");
                }
            };
            let waited = tokio::time::timeout(SILENCE_LIMIT * 3, reading).await;
            assert!(waited.is_err(), "the connection closed");
            assert!(!h.task.is_finished());
        })
        .await;
}

/// 12,001 bytes of text whose fragments end inside a two-byte character.
fn long_text() -> String {
    format!("x{}", "é".repeat(6000))
}

#[tokio::test(start_paused = true)]
async fn a_long_message_arrives_whole() {
    LocalSet::new()
        .run_until(async {
            let mut h = connect().await;
            assert!(h.conns.send(h.conn, long_text()).is_ok());
            assert_eq!(read(&mut h.client).await, Some(Message::text(long_text())));
            assert!(h.conns.send(h.conn, "[1]".into()).is_ok());
            assert_eq!(read(&mut h.client).await, Some(Message::text("[1]")));
        })
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_long_message_goes_out_in_fragments() {
    LocalSet::new()
        .run_until(async {
            let mut h = connect().await;
            assert!(h.conns.send(h.conn, long_text()).is_ok());
            let raw = h.client.get_mut();
            let mut lengths = Vec::new();
            let mut firsts = Vec::new();
            while lengths.iter().sum::<usize>() < long_text().len() {
                // Unmasked server frames up to 64 KiB: two header bytes, then 126 and a
                // 16-bit length, or the length itself.
                let mut header = [0; 2];
                assert!(raw.read_exact(&mut header).await.is_ok());
                let length = match header[1] {
                    126 => usize::from(raw.read_u16().await.unwrap_or_default()),
                    short => usize::from(short),
                };
                let mut payload = vec![0; length];
                assert!(raw.read_exact(&mut payload).await.is_ok());
                firsts.push(header[0]);
                lengths.push(length);
            }
            // Text not final, continuations not final, a final continuation.
            let count = long_text().len().div_ceil(FRAGMENT);
            assert!(count > 2);
            let mut expected = vec![0x00; count];
            expected[0] = 0x01;
            expected[count - 1] = 0x80;
            assert_eq!(firsts, expected);
            assert!(
                lengths[..count - 1]
                    .iter()
                    .all(|&length| length == FRAGMENT)
            );
        })
        .await;
}

#[tokio::test(start_paused = true)]
async fn text_goes_to_the_inbox_and_commands_to_the_client() {
    LocalSet::new()
        .run_until(async {
            let mut h = connect().await;
            let sent = h.client.send(Message::text(r#"{"type":"watch"}"#)).await;
            assert!(sent.is_ok());
            let received = h.inbox.recv().await.map(|message| message.text);
            assert_eq!(received.as_deref(), Some(r#"{"type":"watch"}"#));

            assert!(h.conns.send(h.conn, "[1]".into()).is_ok());
            assert_eq!(read(&mut h.client).await, Some(Message::text("[1]")));
            assert!(h.conns.close(h.conn, 4000));
            assert_eq!(close_code(&mut h.client).await, Some(4000));
            assert_eq!(ending(h.task).await, Ending::Close(CloseCode::from(4000)));
            // The link is gone: that is how the owner shard learns of the close.
            assert!(matches!(
                h.inbox.try_recv(),
                Err(TryRecvError::Disconnected)
            ));
        })
        .await;
}

#[tokio::test(start_paused = true)]
async fn bad_messages_close_with_their_codes() {
    LocalSet::new()
        .run_until(async {
            let cases: [(Message, u16); 2] = [
                (Message::binary(vec![1, 2, 3]), 1003),
                (Message::text("x".repeat(MAX_MESSAGE + 1)), 1009),
            ];
            for (message, code) in cases {
                let mut h = connect().await;
                assert!(h.client.send(message).await.is_ok());
                assert_eq!(close_code(&mut h.client).await, Some(code));
                assert!(matches!(ending(h.task).await, Ending::Close(_)));
                assert!(matches!(
                    h.inbox.try_recv(),
                    Err(TryRecvError::Disconnected)
                ));
            }
        })
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_stop_closes_with_1001() {
    LocalSet::new()
        .run_until(async {
            let mut h = connect().await;
            let _ = h.stop.send(true);
            assert_eq!(close_code(&mut h.client).await, Some(1001));
            assert_eq!(ending(h.task).await, Ending::Close(CloseCode::Away));
        })
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_client_close_is_answered() {
    LocalSet::new()
        .run_until(async {
            let mut h = connect().await;
            assert!(h.client.close(None).await.is_ok());
            let reply = h.client.next().await;
            assert!(matches!(reply, Some(Ok(Message::Close(_)))), "{reply:?}");
            assert_eq!(ending(h.task).await, Ending::PeerClosed);
        })
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_does_not_read_is_closed_with_1008_when_its_queue_overflows() {
    LocalSet::new()
        .run_until(async {
            let mut h = connect().await;
            // Enough to fill the in-memory pipe and tungstenite's write buffer, so that the
            // task is stuck in a send and the queue grows.
            let frame = "y".repeat(1000);
            let mut sent = 0;
            while h.conns.send(h.conn, frame.clone()).is_ok() {
                sent += 1;
                assert!(sent < 100_000, "the queue never overflowed");
                tokio::task::yield_now().await;
            }
            assert!(!h.conns.is_open(h.conn));
            // The task gives up at once, not after the silence limit.
            let ending = tokio::time::timeout(CLOSE_GRACE * 2, ending(h.task)).await;
            assert_eq!(ending.ok(), Some(Ending::Overflow(MAX_OUTBOUND)));
            // Then the client, reading at last, finds what fitted in the pipe and the end.
            let mut texts = 0;
            loop {
                match read(&mut h.client).await {
                    Some(Message::Text(_)) => texts += 1,
                    Some(Message::Close(frame)) => {
                        let frame = frame.unwrap_or_else(|| panic!("a close frame with a code"));
                        assert_eq!(u16::from(frame.code), 1008);
                        assert_eq!(frame.reason.as_str(), overflow_reason(MAX_OUTBOUND));
                        break;
                    }
                    Some(other) => panic!("unexpected {other:?}"),
                    // The close frame could not get out past the unread frames in time.
                    None => break,
                }
            }
            assert!(texts < sent, "{texts} of {sent} frames sent");
            assert!(matches!(
                h.inbox.try_recv(),
                Err(TryRecvError::Disconnected)
            ));
        })
        .await;
}

/// On the owner shard's thread text goes straight to core while nothing waits in the inbox,
/// and what core answers leaves in the same pass; once messages wait, text queues behind them.
#[tokio::test(start_paused = true)]
async fn text_goes_straight_to_core_only_while_the_inbox_is_empty() {
    LocalSet::new()
        .run_until(async {
            let (server_io, client_io) = tokio::io::duplex(64 * 1024);
            let conns = Rc::new(std::cell::RefCell::new(WsConns::new(MAX_OUTBOUND)));
            let (conn, session) = accepted();
            let commands = conns.borrow_mut().open(conn, session);
            let (inbox_sender, mut inbox) = inbox(MAX_MESSAGE);
            let waiting = inbox_sender.clone();
            let taken = Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
            let direct = {
                let (conns, taken) = (Rc::clone(&conns), Rc::clone(&taken));
                move |text: &str| {
                    taken.borrow_mut().push(text.to_owned());
                    assert!(conns.borrow_mut().send(conn, format!("re:{text}")).is_ok());
                }
            };
            let (_stop, mut stopping) = watch::channel(false);
            let task = tokio::task::spawn_local(async move {
                let config = Some(config(MAX_MESSAGE));
                let mut socket =
                    WebSocketStream::from_raw_socket(server_io, Role::Server, config).await;
                let inbound = Inbound {
                    inbox: inbox_sender,
                    direct: Some(&direct),
                };
                drive(&mut socket, commands, inbound, &mut stopping).await
            });
            let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;

            assert!(client.send(Message::text("a")).await.is_ok());
            assert_eq!(read(&mut client).await, Some(Message::text("re:a")));
            assert_eq!(*taken.borrow(), ["a"]);
            assert!(matches!(inbox.try_recv(), Err(TryRecvError::Empty)));

            // A message waits for the inbox task: the next text must queue behind it.
            assert!(waiting.send("x".to_owned()).await.is_ok());
            assert!(client.send(Message::text("b")).await.is_ok());
            // Taken but still held here, so not yet handled: the inbox is not idle meanwhile.
            let first = inbox.recv().await;
            let second = inbox.recv().await;
            let texts = [&first, &second].map(|message| message.as_ref().map(|m| m.text.as_str()));
            assert_eq!(texts, [Some("x"), Some("b")]);
            assert_eq!(*taken.borrow(), ["a"]);

            assert!(client.close(None).await.is_ok());
            assert_eq!(ending(task).await, Ending::PeerClosed);
        })
        .await;
}
