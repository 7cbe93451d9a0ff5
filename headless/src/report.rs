//! What a failed check shows: the rendered HTML around the place it looked, and for a selector
//! that matches nothing, the elements that come closest.

use dom_query::NodeId;

use crate::page::Page;

/// Longest excerpt of HTML a failure shows.
const EXCERPT_CHARS: usize = 1_500;

/// The outer HTML of `node`, cut to a readable size and indented.
pub fn excerpt(page: &Page, node: NodeId) -> String {
    let html = page.outer_html(node);
    let mut cut: String = html.chars().take(EXCERPT_CHARS).collect();
    if cut.len() < html.len() {
        cut.push_str(" …");
    }
    cut.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a selector that matched nothing stopped matching: the element matched by its longest
/// leading part that matches something (`.list .rowz` → `.list`), else `scope`.
pub fn place_looked(page: &Page, css: &str, scope: NodeId) -> (String, NodeId) {
    let parts = compounds(css);
    for keep in (1..parts.len()).rev() {
        let prefix = parts[..keep].join(" ");
        if let Ok(found) = page.select(&prefix)
            && let Some(first) = found.first()
        {
            return (prefix, *first);
        }
    }
    ("the app".to_owned(), scope)
}

/// The top-level compound selectors of `css` (split at spaces and combinators, not inside
/// brackets, parentheses or quotes).
fn compounds(css: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for ch in css.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, ' ' | '>' | '+' | '~') if depth == 0 => {
                if !current.trim().is_empty() {
                    parts.push(current.trim().to_owned());
                }
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_owned());
    }
    parts
}

/// A short description of an element: `tag#id.class.class[attr]`, bindings left out.
pub fn describe(page: &Page, node: NodeId) -> String {
    let mut text = page.tag(node);
    if let Some(id) = page.attr(node, "id").filter(|id| !id.starts_with("ui-")) {
        text.push('#');
        text.push_str(&id);
    }
    for class in page.classes(node) {
        text.push('.');
        text.push_str(&class);
    }
    for name in page.attr_names(node) {
        if matches!(
            name.as_str(),
            "type" | "name" | "role" | "aria-label" | "placeholder" | "for"
        ) {
            let value = page.attr(node, &name).unwrap_or_default();
            text.push_str(&format!("[{name}={value:?}]"));
        }
    }
    text
}

/// The elements under `scope` whose descriptions come closest to the words of `css`, best
/// first, at most `count`.
pub fn closest(page: &Page, css: &str, scope: NodeId, count: usize) -> Vec<String> {
    let words_of = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    // The last compound names the element looked for: its words count twice.
    let mut words = words_of(css);
    words.extend(words_of(compounds(css).last().map_or("", String::as_str)));
    let mut scored: Vec<(usize, String)> = Vec::new();
    for node in page.descendant_elements(scope) {
        let description = describe(page, node);
        let pieces: Vec<String> = description
            .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        // Each word of the selector costs its distance to the nearest piece of the element.
        let cost: usize = words
            .iter()
            .map(|word| {
                pieces
                    .iter()
                    .map(|piece| distance(word, piece))
                    .min()
                    .unwrap_or(word.len())
            })
            .sum();
        if !scored.iter().any(|(_, d)| *d == description) {
            scored.push((cost, description));
        }
    }
    scored.sort();
    scored.into_iter().take(count).map(|(_, d)| d).collect()
}

/// Edit distance by characters, a swap of two neighbours counting as one edit (a typo).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d: Vec<usize> = vec![0; (a.len() + 1) * width];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * width + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[(i - 1) * width + j] + 1)
                    .min(d[i * width + j - 1] + 1)
                    .min(d[(i - 1) * width + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compounds_split_at_top_level_only() {
        assert_eq!(
            compounds(".list > li [aria-label='a b'] :is(.x .y)"),
            vec![".list", "li", "[aria-label='a b']", ":is(.x .y)"]
        );
    }

    #[test]
    fn distances_count_edits() {
        assert_eq!(distance("rowz", "rows"), 1);
        assert_eq!(distance("itme", "item"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("name", "name"), 0);
    }
}
