//! The tasks of one shard's thread that a stop waits for: HTTP connections, WebSocket sockets
//! and the per-connection inboxes of the shard's core.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use futures_util::FutureExt;
use tokio::sync::Notify;
use tokio::task::spawn_local;

/// Spawns tasks on the current thread's `LocalSet` and counts those still running.
#[derive(Debug, Clone, Default)]
pub struct Tasks(Rc<Count>);

#[derive(Debug, Default)]
struct Count {
    running: Cell<usize>,
    ended: Notify,
}

/// Held by a running task; dropped when it ends, panics included.
struct Running(Rc<Count>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.set(self.0.running.get() - 1);
        self.0.ended.notify_one();
    }
}

impl Tasks {
    pub fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        let count = Rc::clone(&self.0);
        count.running.set(count.running.get() + 1);
        let running = Running(count);
        // A combinator, not an `async move` block: a block that awaits its captured future
        // holds it twice (the capture and the awaited copy), which doubled every socket
        // task's memory.
        spawn_local(task.map(move |()| drop(running)));
    }

    /// Waits until no task spawned here is running.
    pub async fn all_ended(&self) {
        // `notify_one` keeps a permit when no one waits, so an end between the check and the
        // wait is not missed.
        while self.0.running.get() > 0 {
            self.0.ended.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::task::LocalSet;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_for_every_task() {
        LocalSet::new()
            .run_until(async {
                let tasks = Tasks::default();
                let done = Rc::new(Cell::new(0));
                for delay in [3, 1, 2] {
                    let done = Rc::clone(&done);
                    tasks.spawn(async move {
                        tokio::time::sleep(Duration::from_secs(delay)).await;
                        done.set(done.get() + 1);
                    });
                }
                tasks.all_ended().await;
                assert_eq!(done.get(), 3);
            })
            .await;
    }
}
