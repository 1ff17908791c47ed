//! No import circle between the modules of `shared`: among the children of every module
//! (the crate's top-level modules, the SCIM protocol's, the store's, …) the "names something
//! in" relation is acyclic, so each module can be read, tested and changed with only what it
//! depends on in mind, and the layers of `src/lib.rs` stay layers.
//!
//! Read from the source: every path starting with `crate::`, `super::` or `self::` in code
//! (comments and string literals are skipped, `use` trees expanded), in test modules too,
//! resolved to the deepest module it names. A module naming its own ancestors' items is no
//! circle (a child may use what its parent defines); a parent re-exporting its children is
//! the parent's own business.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

#[test]
fn no_module_imports_one_that_imports_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src);
    let modules: BTreeSet<Module> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut uses: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for file in &files {
        let here = module_of(&src, file);
        let code = strip(&std::fs::read_to_string(file).expect("a source file"));
        for path in paths(&code) {
            if let Some(target) = resolve(&here, &path, &modules) {
                uses.entry(here.clone()).or_default().insert(target);
            }
        }
    }
    assert!(uses.len() > 20, "the scan found too few modules using others: {uses:?}");

    let mut circles = Vec::new();
    for parent in &modules {
        let children: Vec<&Module> =
            modules.iter().filter(|m| m.len() == parent.len() + 1 && m.starts_with(parent)).collect();
        // child → the siblings its subtree names something in.
        let mut edges: BTreeMap<&Module, BTreeSet<&Module>> = BTreeMap::new();
        for child in &children {
            let named = uses.iter().filter(|(from, _)| from.starts_with(child)).flat_map(|(_, to)| to);
            for target in named {
                if let Some(sibling) = children.iter().find(|c| target.starts_with(c) && *c != child) {
                    edges.entry(child).or_default().insert(sibling);
                }
            }
        }
        if let Some(circle) = find_circle(&edges) {
            circles.push(circle.iter().map(|m| name(m)).collect::<Vec<_>>().join(" → "));
        }
    }
    assert!(circles.is_empty(), "import circles between sibling modules of shared:\n{}", circles.join("\n"));
}

#[test]
fn the_scan_sees_a_circle_when_there_is_one() {
    let code = strip(
        "use super::{b::{X, Y}, c};\n// crate::d::Never, in a comment\nlet s = \"crate::d::Never\"; let c = '\"'; crate::e::f();",
    );
    assert_eq!(paths(&code), vec!["super::b::X", "super::b::Y", "super::c", "crate::e::f"]);
    let modules: BTreeSet<Module> = ["", "a", "b", "c", "e"].iter().map(|m| module(m)).collect();
    assert_eq!(resolve(&module("a"), "super::b::X", &modules), Some(module("b")));
    assert_eq!(resolve(&module("a"), "crate::e::f", &modules), Some(module("e")));
    let (a, b, c) = (module("a"), module("b"), module("c"));
    let edges = BTreeMap::from([(&a, BTreeSet::from([&b])), (&b, BTreeSet::from([&c])), (&c, BTreeSet::from([&a]))]);
    assert_eq!(find_circle(&edges).map(|c| c.len()), Some(4));
    let edges = BTreeMap::from([(&a, BTreeSet::from([&b, &c])), (&b, BTreeSet::from([&c]))]);
    assert_eq!(find_circle(&edges), None);
}

fn module(dotted: &str) -> Module {
    dotted.split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; `src/lib.rs` is the crate.
fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file.strip_prefix(src).expect("a file under src");
    let mut parts: Module = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code with comments, string and char literals blanked out.
fn strip(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            i += 2;
            while i < chars.len() && !chars[i..].starts_with(&['*', '/']) {
                i += 1;
            }
            i += 2;
        } else if chars[i] == 'r' && rest.get(1).is_some_and(|c| *c == '#' || *c == '"') && !ident(chars.get(i - 1)) {
            // r"…" or r#"…"#
            let hashes = rest[1..].iter().take_while(|c| **c == '#').count();
            if rest.get(1 + hashes) != Some(&'"') {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            i += 2 + hashes;
            let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            while i < chars.len() && !chars[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if chars[i] == '\'' && (rest.get(2) == Some(&'\'') || rest.get(1) == Some(&'\\')) {
            // A char literal ('x', '\n', '\''), not a lifetime.
            i += if rest.get(1) == Some(&'\\') {
                2 + rest[2..].iter().position(|c| *c == '\'').unwrap_or(0) + 1
            } else {
                3
            };
            out.push_str("' '");
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Every `crate::…`, `super::…` or `self::…` path in `code`, `use` trees expanded.
fn paths(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = ["crate::", "super::", "self::"].iter().find(|p| {
            chars[i..].starts_with(&p.chars().collect::<Vec<_>>()) && !ident(i.checked_sub(1).map(|j| &chars[j]))
        });
        match starts {
            Some(_) => {
                let (tree, end) = read_tree(&chars, i);
                found.extend(tree);
                i = end;
            }
            None => i += 1,
        }
    }
    found
}

/// The paths of the use tree (or plain path) at `at`: `a::b::{c, d::{e}}` → `a::b::c`, `a::b::d::e`.
fn read_tree(chars: &[char], at: usize) -> (Vec<String>, usize) {
    let mut i = at;
    let mut prefix = String::new();
    loop {
        let start = i;
        while i < chars.len() && ident(Some(&chars[i])) {
            i += 1;
        }
        prefix.extend(&chars[start..i]);
        if chars[i..].starts_with(&[':', ':']) {
            i += 2;
            prefix.push_str("::");
            if chars.get(i) == Some(&'{') {
                let mut found = Vec::new();
                i += 1;
                loop {
                    while chars.get(i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                        i += 1;
                    }
                    match chars.get(i) {
                        Some('}') | None => return (found, i + 1),
                        Some(c) if ident(Some(c)) => {
                            let (inner, end) = read_tree(chars, i);
                            found.extend(inner.into_iter().map(|p| format!("{prefix}{p}")));
                            i = end;
                        }
                        Some(_) => i += 1, // `*`, `as` renames and the like
                    }
                }
            }
        } else {
            // `a::b as c`: the rename is not part of the path.
            return (vec![prefix.trim_end_matches("::").to_owned()], i);
        }
    }
}

/// The deepest module of `modules` that `path`, written in module `here`, names.
fn resolve(here: &Module, path: &str, modules: &BTreeSet<Module>) -> Option<Module> {
    let mut segments = path.split("::").peekable();
    let mut at: Module = match segments.next()? {
        "crate" => Vec::new(),
        "self" => here.clone(),
        "super" => here[..here.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    while segments.peek() == Some(&"super") {
        segments.next();
        at.pop();
    }
    for segment in segments {
        let mut deeper = at.clone();
        deeper.push(segment.to_owned());
        if !modules.contains(&deeper) {
            break;
        }
        at = deeper;
    }
    Some(at)
}

/// A circle in `edges`, as the modules along it (the first again at the end), if there is one.
fn find_circle<'m>(edges: &BTreeMap<&'m Module, BTreeSet<&'m Module>>) -> Option<Vec<&'m Module>> {
    fn visit<'m>(
        node: &'m Module,
        edges: &BTreeMap<&'m Module, BTreeSet<&'m Module>>,
        stack: &mut Vec<&'m Module>,
        done: &mut BTreeSet<&'m Module>,
    ) -> Option<Vec<&'m Module>> {
        if let Some(at) = stack.iter().position(|m| *m == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node);
            return Some(circle);
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}
