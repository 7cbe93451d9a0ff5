//! Site files that changed (`--hotload`), on their way from the watcher to every shard.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

/// Site files that changed (`--hotload`): site path and new contents, `None` if deleted.
pub type Changes = Arc<Vec<(String, Option<Bytes>)>>;

/// Where to send site changes so that every shard's core gets them; usable from any thread.
#[derive(Debug, Clone)]
pub struct SiteChanges(pub Vec<mpsc::UnboundedSender<Changes>>);

impl SiteChanges {
    pub fn send(&self, changes: Vec<(String, Option<Bytes>)>) {
        let changes = Arc::new(changes);
        for shard in &self.0 {
            // A shard that stopped has no sessions left to reload.
            let _ = shard.send(Arc::clone(&changes));
        }
    }
}
