//! A connection's inbound queue, from its socket task to the inbox task of its owner shard.
//!
//! Bounded twice: at most [`MESSAGES`] messages, and at most a number of bytes (the largest
//! message, `--max-frame-bytes`). Counting messages alone would let a peer that sends large
//! messages faster than its shard handles them park sixteen of the largest per connection.
//! When either bound is reached the socket task stops reading the socket, so the peer is
//! slowed down by TCP.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Inbound messages waiting for the owner shard before the socket stops being read.
pub const MESSAGES: usize = 16;

/// One message waiting for the shard; its bytes return to the inbox when it is dropped, i.e.
/// once the shard has handled it.
#[derive(Debug)]
pub struct Inbound {
    pub text: String,
    _bytes: OwnedSemaphorePermit,
}

/// The socket task's end.
#[derive(Debug, Clone)]
pub struct InboxSender {
    messages: flume::Sender<Inbound>,
    bytes: Arc<Semaphore>,
    max_bytes: u32,
}

/// The shard's end.
#[derive(Debug)]
pub struct InboxReceiver {
    messages: flume::Receiver<Inbound>,
}

/// The shard's inbox task has ended: the connection is over.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed;

/// An inbox holding at most [`MESSAGES`] messages and `max_bytes` bytes of text (one message
/// larger than that still fits when the inbox is empty).
pub fn inbox(max_bytes: usize) -> (InboxSender, InboxReceiver) {
    let max_bytes = u32::try_from(max_bytes).unwrap_or(u32::MAX).max(1);
    let (sender, receiver) = flume::bounded(MESSAGES);
    let sender = InboxSender {
        messages: sender,
        bytes: Arc::new(Semaphore::new(max_bytes as usize)),
        max_bytes,
    };
    (sender, InboxReceiver { messages: receiver })
}

impl InboxSender {
    /// True when no message is waiting for the shard or being handled by it.
    pub fn is_idle(&self) -> bool {
        self.bytes.available_permits() == self.max_bytes as usize
    }

    /// Waits for room, then queues `text`.
    pub async fn send(&self, text: String) -> Result<(), Closed> {
        let cost = u32::try_from(text.len())
            .unwrap_or(u32::MAX)
            .clamp(1, self.max_bytes);
        let bytes = Arc::clone(&self.bytes)
            .acquire_many_owned(cost)
            .await
            .map_err(|_| Closed)?;
        let message = Inbound {
            text,
            _bytes: bytes,
        };
        self.messages.send_async(message).await.map_err(|_| Closed)
    }
}

impl InboxReceiver {
    /// The next message; `None` once the socket task has dropped its end and all are taken.
    pub async fn recv(&mut self) -> Option<Inbound> {
        self.messages.recv_async().await.ok()
    }

    /// The next message if one is waiting.
    #[cfg(test)]
    pub fn try_recv(&mut self) -> Result<Inbound, flume::TryRecvError> {
        self.messages.try_recv()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn sends_now(sender: &InboxSender, text: &str) -> bool {
        let sending = sender.send(text.to_owned());
        matches!(
            tokio::time::timeout(Duration::from_millis(10), sending).await,
            Ok(Ok(()))
        )
    }

    #[tokio::test(start_paused = true)]
    async fn holds_at_most_its_bytes_until_the_shard_takes_them() {
        let (sender, mut receiver) = inbox(1000);
        assert!(sends_now(&sender, &"a".repeat(600)).await);
        assert!(sends_now(&sender, &"b".repeat(400)).await);
        assert!(!sends_now(&sender, "c").await, "the inbox is full");
        // Taken but not yet handled: still counted.
        let first = receiver.recv().await.map(|message| message.text.len());
        assert_eq!(first, Some(600));
        assert!(sends_now(&sender, &"d".repeat(600)).await);
        assert_eq!(receiver.try_recv().map(|m| m.text.len()).ok(), Some(400));
    }

    #[tokio::test(start_paused = true)]
    async fn holds_at_most_its_messages() {
        let (sender, _receiver) = inbox(1 << 20);
        for _ in 0..MESSAGES {
            assert!(sends_now(&sender, "x").await);
        }
        assert!(!sends_now(&sender, "x").await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_larger_than_the_bound_waits_for_an_empty_inbox() {
        let (sender, mut receiver) = inbox(100);
        assert!(sends_now(&sender, "small").await);
        assert!(!sends_now(&sender, &"x".repeat(500)).await);
        drop(receiver.recv().await);
        assert!(sends_now(&sender, &"x".repeat(500)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn is_idle_until_a_message_waits_and_again_once_it_is_handled() {
        let (sender, mut receiver) = inbox(100);
        assert!(sender.is_idle());
        assert!(sends_now(&sender, "x").await);
        assert!(!sender.is_idle());
        let taken = receiver.recv().await;
        assert!(!sender.is_idle(), "taken but not yet handled");
        drop(taken);
        assert!(sender.is_idle());
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_inbox_refuses() {
        let (sender, receiver) = inbox(100);
        drop(receiver);
        assert_eq!(sender.send("x".into()).await, Err(Closed));
    }
}
