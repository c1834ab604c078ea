//! The modules of `usrv/src` import in one direction, bottom to top, as
//! ARCHITECTURE.md lays them out: this test reads every source file and
//! fails on an import that points up a layer (which is what an import
//! cycle needs), or on a module missing from the list.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The modules, bottom to top. A module may use only those before it.
const LAYERS: &[&[&str]] = &[
    // plain data
    &[
        "body",
        "error",
        "lifecycle",
        "media",
        "protocol",
        "rejection",
        "schema",
    ],
    // responses
    &["response"],
    &["sse"],
    // request context and extractors
    &["extract"],
    &["json", "target"],
    // routes and the route table
    &["route"],
    &["router"],
    // the per-request pipeline
    &["secure"],
    &["openapi"],
    &["app"],
    // server and client
    &["guard", "tls"],
    &["server", "client"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The source of every top-level module: `src/x.rs`, or all of `src/x/`.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(src).expect("usrv/src") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "bin" {
            continue;
        }
        let mut text = String::new();
        if path.is_dir() {
            for file in fs::read_dir(&path).expect("module folder") {
                text += &fs::read_to_string(file.expect("entry").path()).expect("source");
            }
        } else {
            text = fs::read_to_string(&path).expect("source");
        }
        modules.insert(name, text);
    }
    modules
}

/// The top-level modules a source names as `crate::<module>`, outside
/// comments.
fn imports(source: &str, known: &BTreeMap<String, String>) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if known.contains_key(&name) && !found.contains(&name) {
                found.push(name);
            }
        }
        // `use crate::{a::X, b::Y}`
        if let Some(group) = code.split("crate::{").nth(1) {
            for item in group.split([',', '{', '}']) {
                let name = item.trim().split("::").next().unwrap_or("").to_owned();
                if known.contains_key(&name) && !found.contains(&name) {
                    found.push(name);
                }
            }
        }
    }
    found
}

#[test]
fn modules_import_downwards_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let mut problems = Vec::new();
    for (module, source) in &modules {
        let Some(own) = layer_of(module) else {
            problems.push(format!(
                "`{module}` is in no layer: add it to LAYERS and ARCHITECTURE.md"
            ));
            continue;
        };
        for import in imports(source, &modules) {
            if import == *module {
                continue;
            }
            match layer_of(&import) {
                Some(layer) if layer < own => {}
                _ => problems.push(format!(
                    "`{module}` imports `{import}`, which is not below it"
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_sees_imports() {
    let known: BTreeMap<String, String> = [("a", ""), ("b", ""), ("c", "")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let source = "use crate::a::X;\n// crate::c in a comment\nuse crate::{b::Y, a::Z};\nfn f() { crate::c::g() }";
    assert_eq!(imports(source, &known), ["a", "b", "c"]);
}
