//! Viewdefs (PROTOCOL §8): the site's HTML templates, keyed `TYPE.NAMESPACE`, validated once
//! when the site is loaded and delivered to connections in variable 1's `viewdefs` property.

use std::collections::BTreeMap;

use crate::site::Site;

/// The valid viewdefs of a site, by key.
#[derive(Debug, Default)]
pub(crate) struct Viewdefs {
    templates: BTreeMap<String, String>,
}

impl Viewdefs {
    /// Reads every `viewdefs/**.html` of the site in sorted path order. Returns the problems
    /// found (path and reason), each file with one being skipped.
    pub(crate) fn load(site: &Site) -> (Self, Vec<String>) {
        let mut templates = BTreeMap::new();
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
                (Some(reason), _) => problems.push(format!("viewdef {path} skipped: {reason}")),
                (None, Some(text)) => {
                    templates.insert(key.to_owned(), text.trim().to_owned());
                }
                (None, None) => {}
            }
        }
        (Self { templates }, problems)
    }

    /// Every key and template, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.templates.iter().map(|(k, v)| (k.as_str(), v.as_str()))
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
            problems,
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
}
