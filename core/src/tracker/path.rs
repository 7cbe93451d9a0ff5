//! Variable paths (docs/protocol.md §5.1): `path := up* [element ("." element)*]`, `up := ".."`.
//!
//! Only the syntax lives here; navigating Lua values along a path is the tracker's job.

use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Element {
    /// `name`: reads `t[name]`, honouring metatables.
    Field(String),
    /// Digits without a leading zero, 0-based as written: `items.0` is Lua `items[1]`.
    Index(usize),
    /// `name()`: `t:name()`, first result.
    Call(String),
    /// `name(_)`, last element only: written as `t:name(value)`.
    Setter(String),
}

/// A parsed path: `up` leading `..`, then the elements. Never both empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    /// How many variables higher the path starts (the number of leading `..`).
    pub(crate) up: usize,
    pub(crate) elements: Vec<Element>,
}

/// The largest index a path may hold: Lua sees it as the integer `index + 1`.
const MAX_INDEX: usize = (i64::MAX - 1) as usize;

/// Why a path does not parse; shown to the peer as the `path-failure`'s description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathError {
    Empty,
    /// `name(_)` followed by more elements.
    SetterNotLast {
        segment: String,
        path: String,
    },
    /// One element is wrong.
    Element {
        reason: ElementError,
        path: String,
    },
}

/// Why one element of a path does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ElementError {
    Empty,
    QuestionMark(String),
    Unbalanced(String),
    /// Parentheses other than a trailing `()` or `(_)`.
    MisplacedParentheses(String),
    NoMethodName(String),
    IndexTooLarge(String),
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Empty => f.write_str("empty path"),
            PathError::SetterNotLast { segment, path } => {
                write!(f, "`{segment}` is not the last element of `{path}`")
            }
            PathError::Element { reason, path } => write!(f, "{reason} in `{path}`"),
        }
    }
}

impl fmt::Display for ElementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElementError::Empty => f.write_str("empty element"),
            ElementError::QuestionMark(segment) => write!(f, "`?` in element `{segment}`"),
            ElementError::Unbalanced(segment) => {
                write!(f, "unbalanced parentheses in `{segment}`")
            }
            ElementError::MisplacedParentheses(segment) => write!(
                f,
                "`{segment}`: only `()` or `(_)` may follow a name, at its end"
            ),
            ElementError::NoMethodName(segment) => write!(f, "`{segment}` has no method name"),
            ElementError::IndexTooLarge(segment) => write!(f, "index `{segment}` is too large"),
        }
    }
}

/// Parses a path.
pub(crate) fn parse(text: &str) -> Result<Path, PathError> {
    if text.is_empty() {
        return Err(PathError::Empty);
    }
    // Only pairs of dots at the very start are `up`; after the first element, `..` is an
    // empty element. `...x` is one `up` followed by an element that starts with a dot.
    let mut up = 0;
    let mut rest = text;
    while let Some(after) = rest.strip_prefix("..") {
        up += 1;
        rest = after;
    }
    if rest.is_empty() {
        return Ok(Path {
            up,
            elements: Vec::new(),
        });
    }
    let segments: Vec<&str> = rest.split('.').collect();
    let last = segments.len() - 1;
    let mut elements = Vec::with_capacity(segments.len());
    for (position, segment) in segments.into_iter().enumerate() {
        let element = parse_element(segment).map_err(|reason| PathError::Element {
            reason,
            path: text.to_owned(),
        })?;
        if matches!(element, Element::Setter(_)) && position != last {
            return Err(PathError::SetterNotLast {
                segment: segment.to_owned(),
                path: text.to_owned(),
            });
        }
        elements.push(element);
    }
    Ok(Path { up, elements })
}

fn parse_element(segment: &str) -> Result<Element, ElementError> {
    let owned = || segment.to_owned();
    if segment.is_empty() {
        return Err(ElementError::Empty);
    }
    if segment.contains('?') {
        return Err(ElementError::QuestionMark(owned()));
    }
    if !segment.contains(['(', ')']) {
        return Ok(match parse_index(segment)? {
            Some(index) => Element::Index(index),
            None => Element::Field(owned()),
        });
    }
    let opens = segment.matches('(').count();
    let closes = segment.matches(')').count();
    if opens != closes {
        return Err(ElementError::Unbalanced(owned()));
    }
    let (name, element): (&str, fn(String) -> Element) =
        if let Some(name) = segment.strip_suffix("(_)") {
            (name, Element::Setter)
        } else if let Some(name) = segment.strip_suffix("()") {
            (name, Element::Call)
        } else {
            return Err(ElementError::MisplacedParentheses(owned()));
        };
    if name.is_empty() {
        return Err(ElementError::NoMethodName(owned()));
    }
    if name.contains(['(', ')']) {
        return Err(ElementError::MisplacedParentheses(owned()));
    }
    Ok(element(name.to_owned()))
}

/// `Some` for digits without a leading zero (`0` itself included); `None` for any other
/// text, which is a field name (`01`, `-1`, `1e3`).
fn parse_index(segment: &str) -> Result<Option<usize>, ElementError> {
    let digits = segment.bytes().all(|byte| byte.is_ascii_digit());
    if !digits || (segment.len() > 1 && segment.starts_with('0')) {
        return Ok(None);
    }
    match segment.parse::<usize>() {
        Ok(index) if index <= MAX_INDEX => Ok(Some(index)),
        _ => Err(ElementError::IndexTooLarge(segment.to_owned())),
    }
}

impl Path {
    fn last(&self) -> Option<&Element> {
        self.elements.last()
    }

    /// The path ends with `name()`.
    pub(crate) fn ends_with_call(&self) -> bool {
        matches!(self.last(), Some(Element::Call(_)))
    }

    /// The path ends with `name(_)`.
    pub(crate) fn ends_with_setter(&self) -> bool {
        matches!(self.last(), Some(Element::Setter(_)))
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Field(name) => f.write_str(name),
            Element::Index(index) => write!(f, "{index}"),
            Element::Call(name) => write!(f, "{name}()"),
            Element::Setter(name) => write!(f, "{name}(_)"),
        }
    }
}

/// The path as written: `parse(&path.to_string()) == Ok(path)` for every parsed path.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for _ in 0..self.up {
            f.write_str("..")?;
        }
        for (position, element) in self.elements.iter().enumerate() {
            if position > 0 {
                f.write_str(".")?;
            }
            write!(f, "{element}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Element, MAX_INDEX, Path, parse};
    use proptest::prelude::*;

    fn field(name: &str) -> Element {
        Element::Field(name.to_owned())
    }

    fn parsed(text: &str) -> Path {
        parse(text).unwrap_or_else(|error| panic!("`{text}` should parse: {error}"))
    }

    fn path(up: usize, elements: Vec<Element>) -> Path {
        Path { up, elements }
    }

    #[test]
    fn fields_are_separated_by_dots() {
        assert_eq!(parsed("name"), path(0, vec![field("name")]));
        assert_eq!(
            parsed("contact.email"),
            path(0, vec![field("contact"), field("email")])
        );
    }

    #[test]
    fn field_names_take_any_character_but_dot_parentheses_and_question_mark() {
        assert_eq!(
            parsed("a b.ü-_:x.$1"),
            path(0, vec![field("a b"), field("ü-_:x"), field("$1")])
        );
    }

    /// `items.0` is an index, Lua `items[1]` (§5.1).
    #[test]
    fn digits_without_leading_zero_are_an_index() {
        assert_eq!(
            parsed("items.0"),
            path(0, vec![field("items"), Element::Index(0)])
        );
        assert_eq!(parsed("10"), path(0, vec![Element::Index(10)]));
        assert_eq!(
            parsed("rows.3.cells.12"),
            path(
                0,
                vec![
                    field("rows"),
                    Element::Index(3),
                    field("cells"),
                    Element::Index(12)
                ]
            )
        );
    }

    #[test]
    fn other_digit_like_text_is_a_field() {
        assert_eq!(parsed("01"), path(0, vec![field("01")]));
        assert_eq!(parsed("00"), path(0, vec![field("00")]));
        assert_eq!(parsed("-1"), path(0, vec![field("-1")]));
        assert_eq!(parsed("+1"), path(0, vec![field("+1")]));
        assert_eq!(parsed("1e3"), path(0, vec![field("1e3")]));
        assert_eq!(parsed("٣"), path(0, vec![field("٣")]));
    }

    #[test]
    fn an_index_beyond_lua_integers_is_rejected() {
        assert_eq!(
            parsed(&MAX_INDEX.to_string()),
            path(0, vec![Element::Index(MAX_INDEX)])
        );
        assert!(parse(&(MAX_INDEX as u64 + 1).to_string()).is_err());
        assert!(parse("items.99999999999999999999999").is_err());
    }

    /// `name()` is a call, anywhere in the path (§5.1).
    #[test]
    fn calls_may_appear_anywhere() {
        assert_eq!(
            parsed("total()"),
            path(0, vec![Element::Call("total".into())])
        );
        assert_eq!(
            parsed("person().name"),
            path(0, vec![Element::Call("person".into()), field("name")])
        );
        assert_eq!(parsed("0()"), path(0, vec![Element::Call("0".into())]));
    }

    #[test]
    fn a_setter_is_allowed_as_the_last_element() {
        assert_eq!(
            parsed("contact.setName(_)"),
            path(0, vec![field("contact"), Element::Setter("setName".into())])
        );
    }

    /// `(_)` anywhere but at the end is refused (§5.1).
    #[test]
    fn a_setter_before_the_end_is_rejected() {
        assert!(parse("setName(_).x").is_err());
        assert!(parse("a.set(_).b()").is_err());
        assert!(parse("..set(_).x").is_err());
    }

    #[test]
    fn malformed_parentheses_are_rejected() {
        for text in [
            "a(", "a)", "a(()", "a())", ")a(", "a(b)", "a( )", "a(__)", "a(_", "a()b", "a(_)b",
            "a()()", "a(_)()", "a(b)()", "()", "(_)", "x.()", "a.(",
        ] {
            assert!(parse(text).is_err(), "`{text}` should not parse");
        }
    }

    #[test]
    fn empty_elements_are_rejected() {
        for text in [
            "", ".", "a.", ".a", "a..b", "a...b", "a.b.", "..a..b", "...", "...x",
        ] {
            assert!(parse(text).is_err(), "`{text}` should not parse");
        }
    }

    #[test]
    fn a_question_mark_is_rejected() {
        // The query was split off before parsing (§4.2 step 2); one left over is an error.
        assert!(parse("items?wrapper=x").is_err());
        assert!(parse("a.?").is_err());
    }

    /// Each leading `..` climbs one variable (§5.1).
    #[test]
    fn leading_pairs_of_dots_go_up() {
        assert_eq!(parsed("..x"), path(1, vec![field("x")]));
        assert_eq!(parsed("....x"), path(2, vec![field("x")]));
        assert_eq!(parsed(".."), path(1, vec![]));
        assert_eq!(parsed("...."), path(2, vec![]));
        assert_eq!(
            parsed("..items.0.name()"),
            path(
                1,
                vec![
                    field("items"),
                    Element::Index(0),
                    Element::Call("name".into())
                ]
            )
        );
        assert_eq!(
            parsed("....set(_)"),
            path(2, vec![Element::Setter("set".into())])
        );
    }

    #[test]
    fn dots_after_the_first_element_are_not_up() {
        assert!(parse("x..").is_err());
        assert!(parse("x....y").is_err());
        assert!(parse(".....x").is_err());
    }

    #[test]
    fn reports_the_last_element_kind() {
        assert!(parsed("a.b()").ends_with_call());
        assert!(!parsed("a.b()").ends_with_setter());
        assert!(parsed("a.b(_)").ends_with_setter());
        assert!(!parsed("a.b(_)").ends_with_call());
        assert!(!parsed("a().b").ends_with_call());
        assert!(!parsed("..").ends_with_call());
        assert!(!parsed("..").ends_with_setter());
    }

    #[test]
    fn displays_as_written() {
        for text in [
            "a",
            "items.0",
            "..x",
            "....x.y()",
            "..",
            "a.b(_)",
            "a().10.01",
        ] {
            assert_eq!(parsed(text).to_string(), text);
        }
    }

    fn name() -> impl Strategy<Value = String> {
        // Any field text that does not read as an index.
        "[^.()?]{1,6}".prop_filter("reads as an index", |name| {
            !matches!(super::parse_index(name), Ok(Some(_)))
        })
    }

    fn element() -> impl Strategy<Value = Element> {
        prop_oneof![
            name().prop_map(Element::Field),
            (0..=MAX_INDEX).prop_map(Element::Index),
            name().prop_map(Element::Call),
        ]
    }

    /// Text shaped like a path, from pieces that are mostly valid and sometimes not (an empty
    /// element, a stray `()` or `?`, an index with leading zeros), so that a good share of it
    /// parses. Random characters of the same alphabet parse about one time in fifteen.
    pub(super) fn path_like_text() -> impl Strategy<Value = String> {
        const UP: [&str; 4] = ["", "", "..", "...."];
        const ELEMENTS: [&str; 12] = [
            "a", "b1", "0", "10", "01", "007", "a()", "a(_)", "()", "", "?", "a?b",
        ];
        (
            proptest::sample::select(UP.as_slice()),
            proptest::collection::vec(proptest::sample::select(ELEMENTS.as_slice()), 0..5),
        )
            .prop_map(|(up, elements)| format!("{up}{}", elements.join(".")))
    }

    fn valid_path() -> impl Strategy<Value = Path> {
        (
            0usize..4,
            proptest::collection::vec(element(), 0..5),
            proptest::option::of(name()),
        )
            .prop_filter_map("a path is never empty", |(up, mut elements, setter)| {
                elements.extend(setter.map(Element::Setter));
                (up > 0 || !elements.is_empty()).then_some(Path { up, elements })
            })
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,24}") {
            let _ = parse(&text);
        }

        #[test]
        fn parse_never_panics_on_path_alphabet(text in "[a0-9._()?]{0,16}") {
            let _ = parse(&text);
        }

        #[test]
        fn display_round_trips(path in valid_path()) {
            prop_assert_eq!(parse(&path.to_string()), Ok(path));
        }

        #[test]
        fn what_parses_displays_as_written(text in path_like_text()) {
            if let Ok(path) = parse(&text) {
                prop_assert_eq!(path.to_string(), text);
            }
        }
    }
}
