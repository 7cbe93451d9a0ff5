//! Property names and priorities (docs/protocol.md §5.4), and the query of a `path` property
//! (§4.2 step 2).

/// The most bytes one property may hold, name and text together. Properties live in the
/// tracker, outside the Lua heap and its `--lua-memory` limit, and are sent to every watcher.
pub(crate) const MAX_PROPERTY_BYTES: usize = 64 * 1024;

/// The most bytes of properties one variable may hold, names and texts together; the
/// server's own `viewdefs` on variable 1 is not counted.
pub(crate) const MAX_VARIABLE_PROPERTY_BYTES: usize = 256 * 1024;

/// Properties past a size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TooLarge {
    /// One property (name and text) past [`MAX_PROPERTY_BYTES`]; its name, cut to 64
    /// characters.
    Property { name: String, bytes: usize },
    /// A variable's properties together past [`MAX_VARIABLE_PROPERTY_BYTES`].
    Variable { bytes: usize },
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TooLarge::Property { name, bytes } => write!(
                f,
                "property '{name}' is {bytes} bytes; a property holds at most {MAX_PROPERTY_BYTES}"
            ),
            TooLarge::Variable { bytes } => write!(
                f,
                "the variable's properties would hold {bytes} bytes; a variable holds at most \
                 {MAX_VARIABLE_PROPERTY_BYTES}"
            ),
        }
    }
}

/// Whether setting `new` (name, text; `""` removes) over `current` keeps within the limits.
pub(crate) fn check_sizes<'a>(
    current: impl Iterator<Item = (&'a str, &'a str)>,
    new: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Result<(), TooLarge> {
    for (name, text) in new.clone() {
        let bytes = name.len() + text.len();
        if bytes > MAX_PROPERTY_BYTES {
            let name = name.chars().take(64).collect();
            return Err(TooLarge::Property { name, bytes });
        }
    }
    let counted = |name: &str| name != "viewdefs";
    let mut sizes: std::collections::BTreeMap<&str, usize> = current
        .filter(|(name, _)| counted(name))
        .map(|(name, text)| (name, name.len() + text.len()))
        .collect();
    for (name, text) in new.filter(|(name, _)| counted(name)) {
        if text.is_empty() {
            sizes.remove(name);
        } else {
            sizes.insert(name, name.len() + text.len());
        }
    }
    let total: usize = sizes.values().sum();
    if total > MAX_VARIABLE_PROPERTY_BYTES {
        return Err(TooLarge::Variable { bytes: total });
    }
    Ok(())
}

/// The order in which a flush sends updates: high, then medium, then low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    /// `high`, `medium`, `med` or `low`, in any case.
    pub(crate) fn parse(word: &str) -> Option<Priority> {
        const WORDS: [(&str, Priority); 4] = [
            ("high", Priority::High),
            ("medium", Priority::Medium),
            ("med", Priority::Medium),
            ("low", Priority::Low),
        ];
        WORDS
            .into_iter()
            .find(|(name, _)| word.eq_ignore_ascii_case(name))
            .map(|(_, priority)| priority)
    }
}

/// Splits a priority suffix off a property name: a recognised word after the last `:` is
/// stripped and gives the priority; otherwise the name stays whole and the priority is medium.
/// `None` when no name is left (`""`, `":high"`), which the caller answers with `bad-message`.
pub(crate) fn split_priority(name: &str) -> Option<(&str, Priority)> {
    let (bare, priority) = name
        .rsplit_once(':')
        .and_then(|(bare, suffix)| Some((bare, Priority::parse(suffix)?)))
        .unwrap_or((name, Priority::Medium));
    (!bare.is_empty()).then_some((bare, priority))
}

/// The value priority of a variable from its `priority` property; absent or unrecognised
/// values are medium.
pub(crate) fn value_priority(priority_property: Option<&str>) -> Priority {
    priority_property
        .and_then(Priority::parse)
        .unwrap_or(Priority::Medium)
}

/// Splits a `path` property at its first `?`: the part before is the path, and each
/// `&`-separated `k=v` after it a property (a bare `k` is `"true"`; split at the first `=`;
/// text taken literally, no percent-decoding; empty segments skipped). Names are returned as
/// written: checking them (empty, priority suffix) is the caller's.
pub(crate) fn split_query(path: &str) -> (&str, Vec<(String, String)>) {
    let Some((path, query)) = path.split_once('?') else {
        return (path, Vec::new());
    };
    let properties = query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (segment.to_owned(), "true".to_owned()),
        })
        .collect();
    (path, properties)
}

#[cfg(test)]
mod tests {
    use super::{Priority, split_priority, split_query, value_priority};
    use proptest::prelude::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn priorities_sort_high_first() {
        let mut priorities = vec![Priority::Low, Priority::High, Priority::Medium];
        priorities.sort();
        assert_eq!(
            priorities,
            vec![Priority::High, Priority::Medium, Priority::Low]
        );
    }

    /// The four priority suffixes work in any case (§5.4).
    #[test]
    fn suffixes_set_the_priority() {
        assert_eq!(
            split_priority("viewdef:high"),
            Some(("viewdef", Priority::High))
        );
        assert_eq!(
            split_priority("viewdef:medium"),
            Some(("viewdef", Priority::Medium))
        );
        assert_eq!(
            split_priority("viewdef:med"),
            Some(("viewdef", Priority::Medium))
        );
        assert_eq!(
            split_priority("viewdef:low"),
            Some(("viewdef", Priority::Low))
        );
        assert_eq!(split_priority("a:HIGH"), Some(("a", Priority::High)));
        assert_eq!(split_priority("a:Med"), Some(("a", Priority::Medium)));
        assert_eq!(split_priority("a:lOw"), Some(("a", Priority::Low)));
    }

    /// A name without suffix is medium, and keeps its name (§5.4).
    #[test]
    fn no_suffix_is_medium_and_keeps_the_name() {
        assert_eq!(
            split_priority("viewdef"),
            Some(("viewdef", Priority::Medium))
        );
        assert_eq!(split_priority("high"), Some(("high", Priority::Medium)));
    }

    #[test]
    fn only_the_last_colon_counts() {
        assert_eq!(split_priority("a:b:low"), Some(("a:b", Priority::Low)));
        assert_eq!(
            split_priority("a:low:high"),
            Some(("a:low", Priority::High))
        );
        assert_eq!(
            split_priority("a:low:x"),
            Some(("a:low:x", Priority::Medium))
        );
    }

    #[test]
    fn an_unrecognised_suffix_stays_in_the_name() {
        assert_eq!(
            split_priority("a:urgent"),
            Some(("a:urgent", Priority::Medium))
        );
        assert_eq!(split_priority("a:"), Some(("a:", Priority::Medium)));
        assert_eq!(
            split_priority("a: high"),
            Some(("a: high", Priority::Medium))
        );
        assert_eq!(
            split_priority("a:highest"),
            Some(("a:highest", Priority::Medium))
        );
        assert_eq!(split_priority(":"), Some((":", Priority::Medium)));
    }

    #[test]
    fn an_empty_name_is_rejected() {
        assert_eq!(split_priority(""), None);
        assert_eq!(split_priority(":high"), None);
        assert_eq!(split_priority(":low"), None);
    }

    #[test]
    fn value_priority_reads_the_priority_property() {
        assert_eq!(value_priority(Some("high")), Priority::High);
        assert_eq!(value_priority(Some("medium")), Priority::Medium);
        assert_eq!(value_priority(Some("med")), Priority::Medium);
        assert_eq!(value_priority(Some("low")), Priority::Low);
        assert_eq!(value_priority(Some("LOW")), Priority::Low);
    }

    #[test]
    fn value_priority_defaults_to_medium() {
        assert_eq!(value_priority(None), Priority::Medium);
        assert_eq!(value_priority(Some("")), Priority::Medium);
        assert_eq!(value_priority(Some("urgent")), Priority::Medium);
        assert_eq!(value_priority(Some(":high")), Priority::Medium);
    }

    #[test]
    fn a_path_without_query_is_kept_whole() {
        assert_eq!(split_query("contact.email"), ("contact.email", vec![]));
        assert_eq!(split_query(""), ("", vec![]));
    }

    #[test]
    fn the_query_becomes_properties() {
        assert_eq!(
            split_query("items?wrapper=lua.ViewList&itemWrapper=Row"),
            (
                "items",
                pairs(&[("wrapper", "lua.ViewList"), ("itemWrapper", "Row")])
            )
        );
    }

    #[test]
    fn a_bare_key_is_true() {
        assert_eq!(
            split_query("x?inactive&a=1"),
            ("x", pairs(&[("inactive", "true"), ("a", "1")]))
        );
    }

    #[test]
    fn query_text_is_literal() {
        assert_eq!(
            split_query("x?a=b=c&p=%20+&q=?"),
            ("x", pairs(&[("a", "b=c"), ("p", "%20+"), ("q", "?")]))
        );
    }

    #[test]
    fn splits_at_the_first_question_mark() {
        assert_eq!(split_query("x?a=1?b=2"), ("x", pairs(&[("a", "1?b=2")])));
        assert_eq!(split_query("?a"), ("", pairs(&[("a", "true")])));
    }

    #[test]
    fn empty_segments_are_skipped() {
        assert_eq!(split_query("x?"), ("x", vec![]));
        assert_eq!(
            split_query("x?&&a=1&&b&"),
            ("x", pairs(&[("a", "1"), ("b", "true")]))
        );
    }

    #[test]
    fn empty_names_and_values_are_kept_for_the_caller() {
        assert_eq!(
            split_query("x?=v&k=&w:high=1"),
            ("x", pairs(&[("", "v"), ("k", ""), ("w:high", "1")]))
        );
    }

    /// A word after the last `:`: one of the four priorities in a random case, or a word that
    /// only looks like one, with the priority it names.
    fn suffix() -> impl Strategy<Value = (String, Option<Priority>)> {
        let priority = prop_oneof![
            Just(("high", Priority::High)),
            Just(("medium", Priority::Medium)),
            Just(("med", Priority::Medium)),
            Just(("low", Priority::Low)),
        ];
        let cased = (priority, prop::collection::vec(any::<bool>(), 6)).prop_map(
            |((word, priority), upper)| {
                let word = word
                    .chars()
                    .zip(upper)
                    .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                    .collect();
                (word, Some(priority))
            },
        );
        let lookalike = prop_oneof![
            Just(String::new()),
            Just("highest".to_owned()),
            Just(" low".to_owned()),
            Just("lo".to_owned()),
            "[^:]{1,6}",
        ]
        .prop_filter_map("not a priority", |word| {
            Priority::parse(&word).is_none().then_some((word, None))
        });
        prop_oneof![3 => cased, 1 => lookalike]
    }

    proptest! {
        /// `prefix:word` splits at its last colon exactly when `word` is a priority; the
        /// prefix, colons and all, is the name.
        #[test]
        fn split_priority_strips_a_priority_after_the_last_colon(
            prefix in prop_oneof!["[a-z:]{0,8}", "\\PC{0,8}"],
            (word, priority) in suffix(),
        ) {
            let name = format!("{prefix}:{word}");
            let expected = match priority {
                Some(_) if prefix.is_empty() => None,
                Some(priority) => Some((prefix.as_str(), priority)),
                None => Some((name.as_str(), Priority::Medium)),
            };
            prop_assert_eq!(split_priority(&name), expected);
        }

        #[test]
        fn a_name_without_a_colon_is_kept_whole_at_medium(name in "[^:]{0,16}") {
            let expected = (!name.is_empty()).then_some((name.as_str(), Priority::Medium));
            prop_assert_eq!(split_priority(&name), expected);
        }

        #[test]
        fn split_query_keeps_the_text_before_the_first_question_mark(text in "[a?&=.]{0,16}") {
            let (path, properties) = split_query(&text);
            prop_assert!(!path.contains('?'));
            prop_assert!(text.starts_with(path));
            let query = text.get(path.len() + 1..).unwrap_or_default();
            prop_assert_eq!(properties.is_empty(), query.chars().all(|c| c == '&'));
        }
    }
}
