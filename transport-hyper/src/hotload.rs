//! `--hotload` (docs/protocol.md §7.6, §8): watches the site directory and hands every shard's core
//! the files that changed.
//!
//! Events are debounced (100 ms) by `notify-debouncer-full`, which also follows editors that
//! save by writing a temporary file and renaming it over the original. After each burst the
//! whole site is read again with the same rules as at startup and compared with the last
//! reading, so that renames, new folders, deleted folders and links all come out as plain
//! per-file changes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use lunette_core::{SITE_FOLDERS, Site};
use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::site_changes::SiteChanges;
use crate::site_dir::read_site;

const DEBOUNCE: Duration = Duration::from_millis(100);

/// The running watcher; dropping it stops watching.
pub struct SiteWatcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl std::fmt::Debug for SiteWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteWatcher")
    }
}

/// Watches the site at `root` (canonical), last read as `site`, and sends its changes to
/// `shards`.
pub fn watch(root: PathBuf, site: Site, shards: SiteChanges) -> Result<SiteWatcher, String> {
    let mut reader = Rereader {
        root: root.clone(),
        known: site,
        skipped: BTreeSet::new(),
        shards,
    };
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        reader.handle(result);
    })
    .map_err(|error| error.to_string())?;
    debouncer
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|error| format!("cannot watch {}: {error}", root.display()))?;
    Ok(SiteWatcher {
        _debouncer: debouncer,
    })
}

/// Runs on the debouncer's thread: reads the site again after each burst of events.
struct Rereader {
    root: PathBuf,
    known: Site,
    /// Reasons for skipping files already logged, so each is logged once.
    skipped: BTreeSet<String>,
    shards: SiteChanges,
}

impl Rereader {
    fn handle(&mut self, result: DebounceEventResult) {
        let events = match result {
            Ok(events) => events,
            Err(errors) => {
                for error in errors {
                    tracing::warn!("watching the site: {error}");
                }
                return;
            }
        };
        // Reading the site produces access events of its own: those must not start another.
        let relevant = events.iter().any(|event| {
            !matches!(event.kind, EventKind::Access(_))
                && event
                    .paths
                    .iter()
                    .any(|path| in_site_folder(&self.root, path))
        });
        if relevant {
            self.reread();
        }
    }

    fn reread(&mut self) {
        let read = match read_site(&self.root) {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!("site not reloaded: {error}");
                return;
            }
        };
        for reason in read.skipped {
            if self.skipped.insert(reason.clone()) {
                tracing::warn!("site file skipped: {reason}");
            }
        }
        let changes = differences(&self.known, &read.site);
        if changes.is_empty() {
            return;
        }
        for (path, contents) in &changes {
            let what = match (contents, self.known.get(path)) {
                (None, _) => "deleted",
                (Some(_), None) => "added",
                (Some(_), Some(_)) => "changed",
            };
            tracing::info!("hot reload: {path} {what}");
        }
        self.known = read.site;
        self.shards.send(changes);
    }
}

/// Whether `path` lies in one of the site's folders under `root`.
fn in_site_folder(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let first = relative.components().next();
    first.is_some_and(|first| {
        SITE_FOLDERS
            .iter()
            .any(|folder| first.as_os_str() == folder.trim_end_matches('/'))
    })
}

/// What changed from `before` to `after`: new and changed files with their contents, deleted
/// ones with `None`, in path order.
fn differences(before: &Site, after: &Site) -> Vec<(String, Option<Bytes>)> {
    let mut changes: Vec<(String, Option<Bytes>)> = after
        .paths()
        .filter(|path| before.get(path) != after.get(path))
        .map(|path| (path.to_owned(), after.get(path).cloned()))
        .collect();
    changes.extend(
        before
            .paths()
            .filter(|path| after.get(path).is_none())
            .map(|path| (path.to_owned(), None)),
    );
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_new_changed_and_deleted_files_in_path_order() {
        let before = Site::from_texts(&[
            ("lua/main.lua", "1"),
            ("viewdefs/A.DEFAULT.html", "a"),
            ("html/gone.css", "x"),
        ]);
        let after = Site::from_texts(&[
            ("lua/main.lua", "2"),
            ("viewdefs/A.DEFAULT.html", "a"),
            ("viewdefs/B.DEFAULT.html", "b"),
        ]);
        let changes = differences(&before, &after);
        assert_eq!(
            changes,
            [
                ("html/gone.css".to_owned(), None),
                ("lua/main.lua".to_owned(), Some(Bytes::from_static(b"2"))),
                (
                    "viewdefs/B.DEFAULT.html".to_owned(),
                    Some(Bytes::from_static(b"b"))
                ),
            ]
        );
    }

    #[test]
    fn only_the_three_site_folders_count() {
        let root = Path::new("/site");
        assert!(in_site_folder(root, Path::new("/site/lua/main.lua")));
        assert!(in_site_folder(
            root,
            Path::new("/site/viewdefs/a/B.DEFAULT.html")
        ));
        assert!(in_site_folder(root, Path::new("/site/html")));
        assert!(!in_site_folder(root, Path::new("/site/.git/index")));
        assert!(!in_site_folder(root, Path::new("/site/luac/x")));
        assert!(!in_site_folder(root, Path::new("/elsewhere/lua/main.lua")));
    }
}
