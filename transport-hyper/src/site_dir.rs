//! Reading a site directory from disk into core's in-memory `Site`.
//!
//! Kept: `lua/**.lua`, `viewdefs/**.html` and every file under `html/`, keyed by their path
//! relative to the site root with `/` separators. Symbolic links are followed as long as
//! their target stays inside the site root; a link pointing outside it is skipped.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use lunette_core::Site;

/// Why a site directory could not be read. `Display` is one line.
#[derive(Debug)]
pub enum SiteError {
    /// The root itself is missing, unreadable or not a directory.
    Root {
        root: PathBuf,
        error: io::Error,
    },
    NotADirectory {
        root: PathBuf,
    },
    /// A file or folder inside the site could not be read.
    Entry {
        path: PathBuf,
        error: io::Error,
    },
    NoMain {
        root: PathBuf,
    },
}

impl fmt::Display for SiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteError::Root { root, error } => write!(
                f,
                "cannot read site directory {}: {}",
                root.display(),
                describe(error)
            ),
            SiteError::NotADirectory { root } => {
                write!(f, "site {} is not a directory", root.display())
            }
            SiteError::Entry { path, error } => {
                write!(f, "cannot read {}: {}", path.display(), describe(error))
            }
            SiteError::NoMain { root } => {
                write!(f, "site directory {} has no lua/main.lua", root.display())
            }
        }
    }
}

impl std::error::Error for SiteError {}

/// An I/O error's message without the trailing " (os error N)".
pub fn describe(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

/// A site read from disk, with the canonical root it came from.
#[derive(Debug)]
pub struct SiteDir {
    pub root: PathBuf,
    pub site: Site,
    /// Files that were not taken, with the reason, for the log.
    pub skipped: Vec<String>,
}

/// Reads the site rooted at `root`.
pub fn read_site(root: &Path) -> Result<SiteDir, SiteError> {
    let root = fs::canonicalize(root).map_err(|error| SiteError::Root {
        root: root.to_owned(),
        error,
    })?;
    if !root.is_dir() {
        return Err(SiteError::NotADirectory { root });
    }
    let mut reader = Reader {
        root: root.clone(),
        site: Site::new(),
        skipped: Vec::new(),
        visited: BTreeSet::new(),
    };
    for (folder, extension) in [
        ("lua", Some("lua")),
        ("viewdefs", Some("html")),
        ("html", None),
    ] {
        let path = root.join(folder);
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => reader.walk(&path, folder, extension)?,
            Ok(_) => reader.skipped.push(format!("{folder}: not a directory")),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(SiteError::Entry { path, error }),
        }
    }
    if reader.site.get("lua/main.lua").is_none() {
        return Err(SiteError::NoMain { root });
    }
    Ok(SiteDir {
        root,
        site: reader.site,
        skipped: reader.skipped,
    })
}

struct Reader {
    root: PathBuf,
    site: Site,
    skipped: Vec<String>,
    /// Canonical directories already walked, so that a link cycle ends.
    visited: BTreeSet<PathBuf>,
}

impl Reader {
    /// Walks `dir` (whose site-relative name is `relative`) in name order, keeping files
    /// with the wanted extension (any file when `extension` is `None`).
    fn walk(
        &mut self,
        dir: &Path,
        relative: &str,
        extension: Option<&str>,
    ) -> Result<(), SiteError> {
        let entry_error = |path: &Path, error| SiteError::Entry {
            path: path.to_owned(),
            error,
        };
        let canonical = fs::canonicalize(dir).map_err(|e| entry_error(dir, e))?;
        if !canonical.starts_with(&self.root) {
            self.skipped
                .push(format!("{relative}: links outside the site directory"));
            return Ok(());
        }
        if !self.visited.insert(canonical) {
            self.skipped
                .push(format!("{relative}: directory already read"));
            return Ok(());
        }
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| entry_error(dir, e))? {
            names.push(entry.map_err(|e| entry_error(dir, e))?.file_name());
        }
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let Some(name) = name.to_str() else {
                self.skipped
                    .push(format!("{relative}/{}: name is not UTF-8", name.display()));
                continue;
            };
            let child = format!("{relative}/{name}");
            let target = match fs::canonicalize(&path) {
                Ok(target) => target,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    self.skipped.push(format!("{child}: broken link"));
                    continue;
                }
                Err(error) => return Err(entry_error(&path, error)),
            };
            if !target.starts_with(&self.root) {
                self.skipped
                    .push(format!("{child}: links outside the site directory"));
                continue;
            }
            let meta = fs::metadata(&target).map_err(|e| entry_error(&path, e))?;
            if meta.is_dir() {
                self.walk(&path, &child, extension)?;
            } else if meta.is_file() && extension.is_none_or(|ext| has_extension(name, ext)) {
                let contents = fs::read(&target).map_err(|e| entry_error(&path, e))?;
                if !self.site.insert(&child, Bytes::from(contents)) {
                    self.skipped.push(format!("{child}: not a valid site path"));
                }
            }
        }
        Ok(())
    }
}

fn has_extension(name: &str, extension: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && ext == extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in default app is `demo/contacts` compiled in: the same files, byte for byte,
    /// so that a file added to the demo is not silently missing from the binary.
    #[test]
    fn the_builtin_app_is_the_contacts_demo() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/contacts");
        let demo = read_site(&demo)
            .expect("demo/contacts reads as a site")
            .site;
        let builtin = Site::builtin();
        assert_eq!(
            demo.paths().collect::<Vec<_>>(),
            builtin.paths().collect::<Vec<_>>()
        );
        for path in demo.paths() {
            assert_eq!(demo.get(path), builtin.get(path), "{path}");
        }
    }

    /// A directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir()
                .join(format!("lunette-site-dir-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).expect("create temp dir");
            Self(path)
        }

        fn write(&self, relative: &str, contents: &str) {
            let path = self.0.join(relative);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("create parent");
            }
            fs::write(path, contents).expect("write file");
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn paths(site: &Site) -> Vec<&str> {
        site.paths().collect()
    }

    #[test]
    fn reads_the_three_folders_recursively_with_their_extensions() {
        let dir = TempDir::new("folders");
        dir.write("lua/main.lua", "return 1");
        dir.write("lua/lib/util.lua", "return 2");
        dir.write("lua/notes.txt", "ignored");
        dir.write("lua/main.lua~", "ignored");
        dir.write("viewdefs/App.DEFAULT.html", "<template></template>");
        dir.write("viewdefs/readme.md", "ignored");
        dir.write("html/index.html", "<html></html>");
        dir.write("html/css/app.css", "body {}");
        dir.write("html/img/logo", "any file");
        dir.write("README.md", "ignored");
        let read = read_site(&dir.0).expect("site reads");
        assert_eq!(
            paths(&read.site),
            [
                "html/css/app.css",
                "html/img/logo",
                "html/index.html",
                "lua/lib/util.lua",
                "lua/main.lua",
                "viewdefs/App.DEFAULT.html",
            ]
        );
        assert_eq!(
            read.site.get("lua/lib/util.lua").map(|b| b.as_ref()),
            Some(&b"return 2"[..])
        );
    }

    #[test]
    fn a_missing_directory_is_a_one_line_error() {
        let missing = std::env::temp_dir().join("lunette-site-dir-does-not-exist");
        let error = read_site(&missing).expect_err("missing dir");
        let text = error.to_string();
        assert!(text.starts_with("cannot read site directory"), "{text}");
        assert!(text.ends_with("No such file or directory"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn a_file_as_root_or_no_main_lua_is_an_error() {
        let dir = TempDir::new("nomain");
        dir.write("lua/other.lua", "return 1");
        dir.write("file", "x");
        let error = read_site(&dir.0).expect_err("no main.lua");
        assert!(error.to_string().ends_with("has no lua/main.lua"));
        let error = read_site(&dir.0.join("file")).expect_err("not a dir");
        assert!(error.to_string().ends_with("is not a directory"));
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_inside_the_site_but_never_outside() {
        use std::os::unix::fs::symlink;
        let outside = TempDir::new("outside");
        outside.write("secret.lua", "return 'secret'");
        outside.write("dir/more.lua", "return 'more'");
        let dir = TempDir::new("links");
        dir.write("lua/main.lua", "return 1");
        dir.write("shared/common.lua", "return 'common'");
        symlink(dir.0.join("shared"), dir.0.join("lua/shared")).expect("link");
        symlink(outside.0.join("secret.lua"), dir.0.join("lua/secret.lua")).expect("link");
        symlink(outside.0.join("dir"), dir.0.join("lua/dir")).expect("link");
        symlink(dir.0.join("lua"), dir.0.join("lua/loop")).expect("link");
        symlink(dir.0.join("nowhere"), dir.0.join("lua/broken.lua")).expect("link");
        let read = read_site(&dir.0).expect("site reads");
        assert_eq!(paths(&read.site), ["lua/main.lua", "lua/shared/common.lua"]);
        assert_eq!(read.skipped.len(), 4, "{:?}", read.skipped);

        let escaping = TempDir::new("escaping");
        escaping.write("lua/main.lua", "return 1");
        symlink(outside.0.join("dir"), escaping.0.join("viewdefs")).expect("link");
        let read = read_site(&escaping.0).expect("site reads");
        assert_eq!(paths(&read.site), ["lua/main.lua"]);
        assert_eq!(read.skipped, ["viewdefs: links outside the site directory"]);
    }

    #[test]
    fn extension_match_needs_a_stem() {
        assert!(has_extension("main.lua", "lua"));
        assert!(has_extension("a.b.lua", "lua"));
        assert!(!has_extension(".lua", "lua"));
        assert!(!has_extension("main.luac", "lua"));
        assert!(!has_extension("lua", "lua"));
    }
}
