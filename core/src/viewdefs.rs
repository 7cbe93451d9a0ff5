//! Viewdefs (docs/protocol.md §8): the site's HTML templates, keyed `TYPE.NAMESPACE`, validated
//! once when the site is loaded and delivered to connections in variable 1's `viewdefs` property.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use crate::protocol::{Outbound, viewdefs_message};
use crate::site::Site;

/// The valid viewdefs of a site, by key. One per site version, shared by every session and
/// connection of the core: a connection records which one it was sent, not a copy.
#[derive(Debug, Default)]
pub(crate) struct Viewdefs {
    templates: BTreeMap<String, Template>,
    /// The viewdefs message of the whole set, made for the first connection that needs it.
    whole: OnceCell<Outbound>,
}

#[derive(Debug, Clone)]
struct Template {
    /// The site file it came from.
    path: String,
    text: String,
}

/// A viewdef file that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) path: String,
    pub(crate) message: String,
}

impl Viewdefs {
    /// Reads every `viewdefs/**.html` of the site in sorted path order. Returns the problems
    /// found, each file with one being skipped.
    pub(crate) fn load(site: &Site) -> (Self, Vec<Problem>) {
        Self::reload(site, &Self::default())
    }

    /// Reads the viewdefs again after site files changed (`--hotload`, §8): as
    /// [`Viewdefs::load`], except that a file that has become invalid keeps the version it had
    /// in `previous`, as long as no other file took its key meanwhile.
    pub(crate) fn reload(site: &Site, previous: &Viewdefs) -> (Self, Vec<Problem>) {
        let mut templates: BTreeMap<String, Template> = BTreeMap::new();
        let mut problems = Vec::new();
        for path in site
            .paths()
            .filter(|p| p.starts_with("viewdefs/") && p.ends_with(".html"))
        {
            let file_name = path.rsplit('/').next().unwrap_or(path);
            let key = file_name.trim_end_matches(".html");
            let text = site
                .get(path)
                .map(|b| String::from_utf8_lossy(b).into_owned());
            let problem = if !key.contains('.') {
                Some("its name needs a dot: TYPE.NAMESPACE.html".to_owned())
            } else if templates.contains_key(key) {
                Some(format!("key '{key}' is already defined by another file"))
            } else {
                text.as_deref().and_then(template_problem)
            };
            match (problem, text) {
                (Some(reason), _) => {
                    let kept = previous
                        .templates
                        .get(key)
                        .filter(|old| old.path == path && !templates.contains_key(key));
                    let message = match kept {
                        Some(old) => {
                            templates.insert(key.to_owned(), old.clone());
                            format!(
                                "viewdef {path} not updated: {reason}; its previous version stays"
                            )
                        }
                        None => format!("viewdef {path} skipped: {reason}"),
                    };
                    problems.push(Problem {
                        path: path.to_owned(),
                        message,
                    });
                }
                (None, Some(text)) => {
                    let template = Template {
                        path: path.to_owned(),
                        text: text.trim().to_owned(),
                    };
                    templates.insert(key.to_owned(), template);
                }
                (None, None) => {}
            }
        }
        (
            Self {
                templates,
                whole: OnceCell::new(),
            },
            problems,
        )
    }

    /// The viewdefs message (§8) for a connection that was last sent `sent` (`None`: nothing
    /// yet): every template it lacks or has another text of; `None` if it lacks none.
    pub(crate) fn message_for(&self, sent: Option<&Viewdefs>) -> Option<Outbound> {
        let Some(sent) = sent else {
            let whole = self.whole.get_or_init(|| {
                let all: Vec<(String, String)> = self
                    .iter()
                    .map(|(key, text)| (key.to_owned(), text.to_owned()))
                    .collect();
                viewdefs_message(&all)
            });
            return (!self.templates.is_empty()).then(|| whole.clone());
        };
        let missing: Vec<(String, String)> = self
            .iter()
            .filter(|(key, text)| sent.templates.get(*key).map(|t| t.text.as_str()) != Some(*text))
            .map(|(key, text)| (key.to_owned(), text.to_owned()))
            .collect();
        (!missing.is_empty()).then(|| viewdefs_message(&missing))
    }

    /// Every key and template, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.templates
            .iter()
            .map(|(k, v)| (k.as_str(), v.text.as_str()))
    }
}

/// Why `text` is not exactly one `<template>` element (comments around it allowed).
fn template_problem(text: &str) -> Option<String> {
    let body = strip_comments(text.trim());
    if !(body.starts_with("<template>") || body.starts_with("<template ")) {
        return Some("it must start with a <template> element".into());
    }
    if !body.ends_with("</template>") {
        return Some("it must end with </template>".into());
    }
    // The first <template> must close at the very end: count nesting up to there.
    let mut depth = 0usize;
    let mut rest = body;
    while let Some(at) = rest
        .find("<template")
        .into_iter()
        .chain(rest.find("</template>"))
        .min()
    {
        if rest[at..].starts_with("</template>") {
            depth = depth.saturating_sub(1);
            rest = &rest[at + "</template>".len()..];
            if depth == 0 && !rest.trim().is_empty() {
                return Some("it holds more than one root element".into());
            }
        } else {
            depth += 1;
            rest = &rest[at + "<template".len()..];
        }
    }
    None
}

/// Removes leading and trailing `<!-- … -->` comments and the space around them.
fn strip_comments(mut text: &str) -> &str {
    loop {
        let before = text;
        if text.starts_with("<!--")
            && let Some(end) = text.find("-->")
        {
            text = text[end + 3..].trim_start();
        }
        if text.ends_with("-->")
            && let Some(start) = text.rfind("<!--")
        {
            text = text[..start].trim_end();
        }
        if text == before {
            return text;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn load(files: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
        let mut site = Site::new();
        for (path, text) in files {
            site.insert(path, Bytes::copy_from_slice(text.as_bytes()));
        }
        let (viewdefs, problems) = Viewdefs::load(&site);
        (
            viewdefs.iter().map(|(k, _)| k.to_owned()).collect(),
            problems.into_iter().map(|p| p.message).collect(),
        )
    }

    #[test]
    fn keys_come_from_file_names_found_recursively() {
        let (keys, problems) = load(&[
            (
                "viewdefs/Adder.DEFAULT.html",
                "<template><p></p></template>",
            ),
            (
                "viewdefs/lists/lua.ViewListItem.list-item.html",
                "\n<template><li></li></template>\n",
            ),
        ]);
        assert_eq!(keys, ["Adder.DEFAULT", "lua.ViewListItem.list-item"]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn bad_files_are_reported_with_path_and_reason_and_skipped() {
        let (keys, problems) = load(&[
            ("viewdefs/NoDot.html", "<template></template>"),
            (
                "viewdefs/Two.DEFAULT.html",
                "<template></template><template></template>",
            ),
            ("viewdefs/Div.DEFAULT.html", "<div></div>"),
            (
                "viewdefs/Ok.DEFAULT.html",
                "<!-- c --><template><template>x</template></template><!-- d -->",
            ),
            ("viewdefs/sub/Ok.DEFAULT.html", "<template></template>"),
        ]);
        assert_eq!(keys, ["Ok.DEFAULT"]);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("viewdefs/NoDot.html") && p.contains("dot"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("viewdefs/Two.DEFAULT.html"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("viewdefs/sub/Ok.DEFAULT.html") && p.contains("already"))
        );
    }

    #[test]
    fn a_reload_keeps_the_previous_version_of_a_file_that_became_invalid() {
        let (before, _) = Viewdefs::load(&Site::from_texts(&[
            ("viewdefs/A.DEFAULT.html", "<template>a1</template>"),
            ("viewdefs/B.DEFAULT.html", "<template>b1</template>"),
            ("viewdefs/C.DEFAULT.html", "<template>c1</template>"),
        ]));
        let (after, problems) = Viewdefs::reload(
            &Site::from_texts(&[
                ("viewdefs/A.DEFAULT.html", "<div>a2</div>"),
                ("viewdefs/B.DEFAULT.html", "<template>b2</template>"),
                ("viewdefs/D.DEFAULT.html", "<template>d1</template>"),
                ("viewdefs/E.DEFAULT.html", "<p>e</p>"),
            ]),
            &before,
        );
        assert_eq!(
            after.iter().collect::<Vec<_>>(),
            [
                ("A.DEFAULT", "<template>a1</template>"),
                ("B.DEFAULT", "<template>b2</template>"),
                ("D.DEFAULT", "<template>d1</template>"),
            ]
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].path, "viewdefs/A.DEFAULT.html");
        assert!(problems[0].message.contains("previous version stays"));
        assert!(problems[1].message.contains("skipped"));
    }

    #[test]
    fn a_kept_version_never_takes_a_key_another_file_now_holds() {
        let (before, _) = Viewdefs::load(&Site::from_texts(&[(
            "viewdefs/z/K.DEFAULT.html",
            "<template>old</template>",
        )]));
        let (after, _) = Viewdefs::reload(
            &Site::from_texts(&[
                ("viewdefs/a/K.DEFAULT.html", "<template>new</template>"),
                ("viewdefs/z/K.DEFAULT.html", "<div></div>"),
            ]),
            &before,
        );
        assert_eq!(
            after.iter().collect::<Vec<_>>(),
            [("K.DEFAULT", "<template>new</template>")]
        );
    }
}
