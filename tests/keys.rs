//! Every key the scenario parser accepts is documented in
//! docs/scenario.md, and every key documented there is one it accepts. The
//! keys come from the scenario file's own schema (`pipecalc schema
//! scenario`, generated from the types serde reads), the documented ones
//! from the first column of the page's tables.

use std::collections::BTreeSet;

use serde_json::Value;

/// Every leaf key of the scenario schema, as a path: `stages[].output.keep`.
fn accepted() -> BTreeSet<String> {
    let schema = pipecalc::views::schema::schema("scenario").unwrap();
    let defs = schema["$defs"].clone();
    fn resolve<'a>(mut node: &'a Value, defs: &'a Value) -> &'a Value {
        loop {
            if let Some(reference) = node["$ref"].as_str() {
                node = &defs[reference.rsplit('/').next().unwrap()];
                continue;
            }
            if let Some(any) = node["anyOf"].as_array() {
                let some: Vec<&Value> = any.iter().filter(|n| n["type"] != "null").collect();
                if some.len() == 1 {
                    node = some[0];
                    continue;
                }
            }
            return node;
        }
    }
    fn walk(node: &Value, defs: &Value, path: String, out: &mut BTreeSet<String>) {
        let node = resolve(node, defs);
        let is_array = node["type"] == "array"
            || node["type"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "array"));
        if is_array {
            return walk(&node["items"], defs, format!("{path}[]"), out);
        }
        match node["properties"].as_object() {
            Some(properties) => {
                for (key, child) in properties {
                    let child_path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(child, defs, child_path, out);
                }
            }
            None => {
                out.insert(path);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&schema, &defs, String::new(), &mut out);
    out
}

/// The keys in the first column of docs/scenario.md's tables.
fn documented() -> BTreeSet<String> {
    let page = std::fs::read_to_string("docs/scenario.md").unwrap();
    let mut out = BTreeSet::new();
    for line in page.lines() {
        let Some(row) = line.strip_prefix("| `") else {
            continue;
        };
        let first = row.split(" |").next().unwrap();
        for key in first.split('`').step_by(2) {
            let key = key.trim_matches(|c: char| c == ',' || c.is_whitespace());
            if !key.is_empty() {
                out.insert(key.to_string());
            }
        }
    }
    out
}

#[test]
fn every_key_the_parser_accepts_is_documented_and_the_reverse() {
    let accepted = accepted();
    let documented = documented();
    assert!(accepted.len() > 80, "{accepted:?}");
    let missing: Vec<&String> = accepted.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "docs/scenario.md does not document: {missing:?}"
    );
    // A documented key is one the parser accepts, or a mapping or list of
    // them (`stages`, `prices`), or a unit or range form of the page's last
    // tables.
    let forms = ["LOW..HIGH", "VALUE ± PCT", "+-", "+/-", "VALUE ± MARGIN"];
    let unknown: Vec<&String> = documented
        .iter()
        .filter(|key| {
            !accepted.contains(*key)
                && !accepted.iter().any(|a| {
                    a.strip_prefix(key.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
                })
                && !forms.contains(&key.as_str())
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/scenario.md documents keys the parser does not accept: {unknown:?}"
    );
}

/// The scenario schema is the files' own: every bundled scenario and
/// exercise validates against it, as an editor would check it.
#[test]
fn the_scenario_schema_reads_every_bundled_scenario() {
    let schema = pipecalc::views::schema::schema("scenario").unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir("scenarios")
        .unwrap()
        .chain(std::fs::read_dir("scenarios/exercises").unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}
