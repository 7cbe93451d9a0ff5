//! Spreads connections evenly over the shards.
//!
//! Every shard accepts from the same listening socket, and whichever thread wakes first takes
//! all the connections waiting: left alone, a burst of keep-alive connections can all land on
//! one shard and leave the others idle for their whole life. So connections take turns, and a
//! shard hands the ones that are not its turn to their shard (one thread hop per connection,
//! none per request).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// One shard's end of the turn-taking.
#[derive(Debug)]
pub struct Balance {
    index: usize,
    next: Arc<AtomicUsize>,
    inboxes: Vec<mpsc::UnboundedSender<std::net::TcpStream>>,
}

/// The balances of `count` shards, each with the inbox of connections handed to it.
pub fn balances(count: usize) -> Vec<(Balance, mpsc::UnboundedReceiver<std::net::TcpStream>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let (inboxes, receivers): (Vec<_>, Vec<_>) =
        (0..count).map(|_| mpsc::unbounded_channel()).unzip();
    receivers
        .into_iter()
        .enumerate()
        .map(|(index, receiver)| {
            let balance = Balance {
                index,
                next: Arc::clone(&next),
                inboxes: inboxes.clone(),
            };
            (balance, receiver)
        })
        .collect()
}

impl Balance {
    /// The connection back if this shard should serve it; otherwise it goes to the shard
    /// whose turn it is (and is closed if that shard has stopped).
    pub fn place(&self, stream: TcpStream) -> Option<TcpStream> {
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.inboxes.len().max(1);
        match self.inboxes.get(turn) {
            Some(inbox) if turn != self.index => {
                if let Ok(stream) = stream.into_std() {
                    let _ = inbox.send(stream);
                }
                None
            }
            _ => Some(stream),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_take_turns_over_the_shards() {
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
            panic!("bind a test listener")
        };
        let Ok(addr) = listener.local_addr() else {
            panic!("test listener address")
        };
        let mut shards = balances(3);
        let mut kept = 0;
        for _ in 0..6 {
            let Ok(_client) = TcpStream::connect(addr).await else {
                panic!("connect to the test listener")
            };
            let Ok((stream, _)) = listener.accept().await else {
                panic!("accept a test connection")
            };
            kept += usize::from(shards[1].0.place(stream).is_some());
        }
        assert_eq!(kept, 2);
        for (index, (_, inbox)) in shards.iter_mut().enumerate() {
            let handed = std::iter::from_fn(|| inbox.try_recv().ok()).count();
            assert_eq!(handed, if index == 1 { 0 } else { 2 }, "shard {index}");
        }
    }
}
