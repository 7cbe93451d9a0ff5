//! The browser client in one module (`/lunette/bundle.js`): `client/main.js` and every module it
//! imports, in the order a browser evaluates them, with their `import` lines dropped and their
//! `export` keywords removed. A page then loads the client in two requests (`client.js`, which
//! only imports the bundle, and the bundle, preloaded) where the separate modules cost one
//! request each, revalidated on every load.
//!
//! Concatenation keeps the modules' meaning because the client is written in the subset it
//! understands, which [`bundle`] checks: imports of the form `import { a, b } from "./m.js";`
//! (no renaming, no namespace, no `import()` or `import.meta`), exports only as `export`
//! before a declaration, and no top-level name declared by two modules.

/// Where core serves the bundle.
pub(crate) const BUNDLE: &str = "/lunette/bundle.js";

/// Why the client cannot be bundled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BundleError {
    /// A module imports a path that is not served.
    NotServed(String),
    /// A module uses what the bundle does not understand.
    Unsupported { path: String, what: String },
    /// Two modules declare the same top-level name.
    DeclaredTwice {
        first: String,
        second: String,
        name: String,
    },
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::NotServed(path) => write!(f, "{path} is not served"),
            BundleError::Unsupported { path, what } => {
                write!(f, "{path}: {what} cannot be bundled")
            }
            BundleError::DeclaredTwice {
                first,
                second,
                name,
            } => write!(
                f,
                "{first} and {second} both declare `{name}` at top level: rename one"
            ),
        }
    }
}

/// One module's statements as the bundle needs them.
struct Module<'a> {
    /// The modules it imports, by URL path, in source order.
    imports: Vec<String>,
    /// Its text without `import` statements and `export` keywords.
    body: String,
    /// The names it declares at top level.
    names: Vec<&'a str>,
}

/// The bundle of `entry` (a URL path such as `/lunette/main.js`), reading modules with `text`.
/// `Err` says which module uses what the bundle does not understand.
pub(crate) fn bundle<'a>(
    entry: &str,
    text: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, BundleError> {
    // Depth first, imports in source order, a module after its imports: the evaluation order
    // of ES modules. A module already on the way (a cycle) is not visited again, as in a
    // browser.
    let mut order: Vec<(String, Module<'a>)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut stack: Vec<(String, Module<'a>, usize)> = Vec::new();
    let read = |path: &str| -> Result<Module<'a>, BundleError> {
        let source = text(path).ok_or_else(|| BundleError::NotServed(path.to_owned()))?;
        parse(path, source)
    };
    seen.push(entry.to_owned());
    stack.push((entry.to_owned(), read(entry)?, 0));
    while let Some((path, module, next)) = stack.pop() {
        if let Some(import) = module.imports.get(next).cloned() {
            stack.push((path, module, next + 1));
            if !seen.contains(&import) {
                seen.push(import.clone());
                let imported = read(&import)?;
                stack.push((import, imported, 0));
            }
        } else {
            order.push((path, module));
        }
    }
    for (i, (path, module)) in order.iter().enumerate() {
        for name in &module.names {
            if let Some((other, _)) = order[..i].iter().find(|(_, m)| m.names.contains(name)) {
                return Err(BundleError::DeclaredTwice {
                    first: other.clone(),
                    second: path.clone(),
                    name: (*name).to_owned(),
                });
            }
        }
    }
    let mut out = format!(
        "// The lunette browser client in one module, made by lunette from {entry} and what it\n\
         // imports (`import` lines dropped, `export` keywords removed). Each module is also\n\
         // served on its own at /lunette/<name>.js.\n"
    );
    for (path, module) in &order {
        out.push_str(&format!("\n// ---- {path}\n"));
        out.push_str(&module.body);
    }
    Ok(out)
}

fn parse<'a>(path: &str, source: &'a str) -> Result<Module<'a>, BundleError> {
    let unsupported = |what: &str| {
        Err(BundleError::Unsupported {
            path: path.to_owned(),
            what: what.to_owned(),
        })
    };
    if source.contains("import(") || source.contains("import.meta") {
        return unsupported("`import()` or `import.meta`");
    }
    let mut module = Module {
        imports: Vec::new(),
        body: String::with_capacity(source.len()),
        names: Vec::new(),
    };
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("import ") {
            let mut statement = line.to_owned();
            while !statement.trim_end().ends_with(';') {
                let Some(more) = lines.next() else {
                    return unsupported("an unterminated import");
                };
                statement.push(' ');
                statement.push_str(more);
            }
            module.imports.push(import_target(path, &statement)?);
            continue;
        }
        let declaration = match line.strip_prefix("export ") {
            Some(rest) => {
                if !declares(rest) {
                    return unsupported(&format!("`{line}` (export only declarations)"));
                }
                rest
            }
            None => line,
        };
        if let Some(name) = declared_name(declaration) {
            if name.is_empty() {
                return unsupported(&format!("`{line}` (declare one plain name)"));
            }
            module.names.push(name);
        }
        module.body.push_str(declaration);
        module.body.push('\n');
    }
    Ok(module)
}

/// The URL path an import statement names, if it is `import "./m.js";` or
/// `import { a, b } from "./m.js";` with plain names.
fn import_target(path: &str, statement: &str) -> Result<String, BundleError> {
    let unsupported = || BundleError::Unsupported {
        path: path.to_owned(),
        what: format!("`{statement}`"),
    };
    let rest = statement["import".len()..].trim();
    let specifier = match rest.strip_prefix('{') {
        Some(list) => {
            let (names, from) = list.split_once('}').ok_or_else(unsupported)?;
            let plain = names
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .all(is_identifier);
            if !plain {
                return Err(unsupported());
            }
            from.trim()
                .strip_prefix("from")
                .ok_or_else(unsupported)?
                .trim()
        }
        None => rest,
    };
    let name = specifier
        .strip_prefix("\"./")
        .and_then(|s| s.strip_suffix("\";"))
        .filter(|name| !name.contains(['/', '"']))
        .ok_or_else(unsupported)?;
    let directory = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    Ok(format!("{directory}/{name}"))
}

fn declares(line: &str) -> bool {
    ["function ", "async function ", "class ", "const ", "let "]
        .iter()
        .any(|keyword| line.starts_with(keyword))
}

/// The name a top-level declaration line declares: `None` for other lines, `Some("")` for a
/// declaration the bundle cannot read (destructuring).
fn declared_name(line: &str) -> Option<&str> {
    let rest = [
        "function ",
        "async function ",
        "function* ",
        "class ",
        "const ",
        "let ",
        "var ",
    ]
    .iter()
    .find_map(|keyword| line.strip_prefix(keyword))?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(files: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |path| files.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
    }

    #[test]
    fn modules_come_in_evaluation_order_without_imports_and_exports() {
        let sources = [
            (
                "/x/main.js",
                "import { a } from \"./a.js\";\nimport {\n  b,\n} from \"./b.js\";\nmain(a, b);\n",
            ),
            (
                "/x/a.js",
                "import { b } from \"./b.js\";\nexport const a = 1;\n",
            ),
            ("/x/b.js", "import \"./a.js\";\nexport function b() {}\n"),
        ];
        let out = bundle("/x/main.js", files(&sources)).expect("bundles");
        let a = out.find("// ---- /x/a.js").expect("a");
        let b = out.find("// ---- /x/b.js").expect("b");
        let main = out.find("// ---- /x/main.js").expect("main");
        // main imports a, a imports b, b's import of a is the cycle: b runs first.
        assert!(b < a && a < main, "{out}");
        assert!(out.contains("\nconst a = 1;\n"), "{out}");
        assert!(out.contains("\nfunction b() {}\n"), "{out}");
        let statement = |l: &str| l.starts_with("import") || l.starts_with("export");
        assert!(!out.lines().any(statement), "{out}");
    }

    #[test]
    fn what_concatenation_would_change_is_refused() {
        let main = "import { x } from \"./m.js\";\n";
        for (m, problem) in [
            ("const x = 1;\nconst x2 = 2;\n", None),
            (
                "import { y as z } from \"./n.js\";\n",
                Some("cannot be bundled"),
            ),
            (
                "import * as n from \"./n.js\";\n",
                Some("cannot be bundled"),
            ),
            (
                "import { y } from \"../n.js\";\n",
                Some("cannot be bundled"),
            ),
            ("export default 1;\n", Some("export only declarations")),
            ("export { x };\n", Some("export only declarations")),
            ("const { x } = {};\n", Some("declare one plain name")),
            ("const m = import(\"./n.js\");\n", Some("`import()`")),
            ("function main() {}\n", Some("both declare `main`")),
            (
                "import { y } from \"./missing.js\";\n",
                Some("is not served"),
            ),
        ] {
            let sources = [
                ("/x/main.js", &*format!("{main}function main() {{}}\n")),
                ("/x/m.js", m),
            ];
            match (bundle("/x/main.js", files(&sources)), problem) {
                (Ok(_), None) => {}
                (Err(error), Some(problem)) => {
                    assert!(error.to_string().contains(problem), "{m}: {error}")
                }
                (result, _) => panic!("{m}: {result:?}"),
            }
        }
    }
}
