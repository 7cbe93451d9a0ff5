//! The app being served, as in-memory files: transports read a site directory (or take the
//! built-in default app) and hand it to `Core`, which never opens a file itself.

use std::collections::BTreeMap;

use bytes::Bytes;

/// A site's files keyed by their path relative to the site root, using `/` separators:
/// `lua/main.lua`, `viewdefs/Adder.DEFAULT.html`, `html/index.html`. Files outside those three
/// folders are not part of a site and are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    files: BTreeMap<String, Bytes>,
}

/// The folders of a site directory that `Site` keeps.
pub const SITE_FOLDERS: [&str; 3] = ["lua/", "viewdefs/", "html/"];

impl Site {
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in default app, served when no site directory is given.
    pub fn builtin() -> Self {
        let mut site = Self::new();
        for (path, text) in BUILTIN_APP {
            site.insert(path, Bytes::from_static(text.as_bytes()));
        }
        site
    }

    /// A site of these text files, `(path, text)`: for sites written in code, such as tests
    /// or an embedder's fixed app.
    ///
    /// # Panics
    /// On a path [`Site::insert`] refuses, which is a mistake in that code.
    pub fn from_texts(files: &[(&str, &str)]) -> Self {
        let mut site = Self::new();
        for (path, text) in files {
            let taken = site.insert(path, Bytes::copy_from_slice(text.as_bytes()));
            assert!(taken, "{path} is not a site file path");
        }
        site
    }

    /// Adds or replaces a file. Returns `false` (and keeps nothing) for a path outside
    /// `lua/`, `viewdefs/` and `html/`, one with an empty, `.` or `..` segment, or a backslash.
    pub fn insert(&mut self, path: &str, contents: Bytes) -> bool {
        let inside = SITE_FOLDERS.iter().any(|folder| path.starts_with(folder));
        let clean = path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..");
        let valid = inside && clean && !path.contains('\\');
        if valid {
            self.files.insert(path.to_owned(), contents);
        }
        valid
    }

    /// Removes a file; returns whether it was there.
    pub fn remove(&mut self, path: &str) -> bool {
        self.files.remove(path).is_some()
    }

    /// The contents of a file by its site-relative path.
    pub fn get(&self, path: &str) -> Option<&Bytes> {
        self.files.get(path)
    }

    /// Site-relative paths of every file, in byte order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// The default app's files: the Contacts demo, compiled in from the repository's
/// `demo/contacts/`.
const BUILTIN_APP: [(&str, &str); 12] = [
    (
        "html/contacts.css",
        include_str!("../../demo/contacts/html/contacts.css"),
    ),
    (
        "html/index.html",
        include_str!("../../demo/contacts/html/index.html"),
    ),
    (
        "lua/main.lua",
        include_str!("../../demo/contacts/lua/main.lua"),
    ),
    (
        "viewdefs/Contact.DEFAULT.html",
        include_str!("../../demo/contacts/viewdefs/Contact.DEFAULT.html"),
    ),
    (
        "viewdefs/ContactForm.DEFAULT.html",
        include_str!("../../demo/contacts/viewdefs/ContactForm.DEFAULT.html"),
    ),
    (
        "viewdefs/ContactRow.row.html",
        include_str!("../../demo/contacts/viewdefs/ContactRow.row.html"),
    ),
    (
        "viewdefs/Contacts.DEFAULT.html",
        include_str!("../../demo/contacts/viewdefs/Contacts.DEFAULT.html"),
    ),
    (
        "viewdefs/NoSelection.DEFAULT.html",
        include_str!("../../demo/contacts/viewdefs/NoSelection.DEFAULT.html"),
    ),
    (
        "viewdefs/lua.ViewList.option.html",
        include_str!("../../demo/contacts/viewdefs/lua.ViewList.option.html"),
    ),
    (
        "viewdefs/lua.ViewList.row.html",
        include_str!("../../demo/contacts/viewdefs/lua.ViewList.row.html"),
    ),
    (
        "viewdefs/lua.ViewListItem.option.html",
        include_str!("../../demo/contacts/viewdefs/lua.ViewListItem.option.html"),
    ),
    (
        "viewdefs/lua.ViewListItem.row.html",
        include_str!("../../demo/contacts/viewdefs/lua.ViewListItem.row.html"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_files_of_the_three_site_folders() {
        let mut site = Site::new();
        assert!(site.insert("lua/main.lua", Bytes::from_static(b"x")));
        assert!(site.insert("html/css/app.css", Bytes::from_static(b"x")));
        assert!(!site.insert("README.md", Bytes::from_static(b"x")));
        assert!(!site.insert("lua/../secret", Bytes::from_static(b"x")));
        assert_eq!(
            site.paths().collect::<Vec<_>>(),
            ["html/css/app.css", "lua/main.lua"]
        );
    }

    #[test]
    fn builtin_app_has_a_main_lua() {
        assert!(Site::builtin().get("lua/main.lua").is_some());
    }
}
