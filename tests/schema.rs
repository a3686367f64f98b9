//! The JSON contract: the committed schemas under `docs/schema/` are the
//! ones the code generates, and every command's JSON on every bundled
//! scenario validates against its schema.
//!
//! After a deliberate change to a document, regenerate the committed
//! schemas with `PIPECALC_UPDATE_SCHEMA=1 cargo test --test schema`.

use std::path::{Path, PathBuf};

mod common;

use pipecalc::commands::{self, Output, WhatIf};
use pipecalc::report::Format;
use pipecalc::views::schema::{schema, DOCUMENTS};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed(document: &str) -> PathBuf {
    root()
        .join("docs/schema")
        .join(format!("{document}.schema.json"))
}

fn json(explain: bool) -> Output {
    common::report(Format::Json, explain)
}

/// Every violation of `document`'s schema in `instance`, as text.
fn violations(document: &str, instance: &Value) -> Vec<String> {
    let schema = schema(document).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid");
    validator
        .iter_errors(instance)
        .map(|e| format!("{document}: {} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    let update = std::env::var_os("PIPECALC_UPDATE_SCHEMA").is_some();
    for document in DOCUMENTS {
        let generated = commands::schema(document).unwrap();
        let path = committed(document);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "{} is not what the code generates; run `PIPECALC_UPDATE_SCHEMA=1 cargo test --test schema` and commit it",
            path.display()
        );
    }
}

#[test]
fn a_document_that_breaks_its_schema_is_caught() {
    let path = root().join("scenarios/clickstream.yaml");
    let text = commands::estimate(&path, &WhatIf::default(), &json(false)).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    assert!(violations("estimate", &value).is_empty());
    value["time"]["sequential_s"] = Value::String("4 hours".into());
    value.as_object_mut().unwrap().remove("summary");
    assert_eq!(violations("estimate", &value).len(), 2);
}

#[test]
fn every_bundled_scenario_s_json_validates() {
    let scenarios: Vec<PathBuf> = common::bundled_scenarios()
        .into_iter()
        .map(|path| root().join(path))
        .collect();
    assert!(scenarios.len() >= 4);
    let mut problems = Vec::new();
    let mut check = |document: &str, text: String| {
        let value: Value = serde_json::from_str(&text).unwrap();
        problems.extend(violations(document, &value));
    };
    for path in &scenarios {
        for explain in [false, true] {
            let output = json(explain);
            let none = WhatIf::default();
            check(
                "estimate",
                commands::estimate(path, &none, &output).unwrap(),
            );
            check(
                "scale",
                commands::scale(path, None, None, None, &output).unwrap(),
            );
            check(
                "workers",
                commands::workers(path, None, None, &output).unwrap(),
            );
            check(
                "growth",
                commands::growth(path, 5, None, None, &output).unwrap(),
            );
            check(
                "compare",
                commands::compare(&[scenarios[0].clone(), path.clone()], &output).unwrap(),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Counts and bytes past 2^53 are integers in the JSON, as the schema and
/// the docs say: the lecture at two million times the data is 10 PB a day.
#[test]
fn counts_past_two_to_the_53_are_integers_in_the_json_and_the_schema() {
    let path = root().join("scenarios/clickstream.yaml");
    let what_if = WhatIf {
        scale: Some(2e6),
        ..WhatIf::default()
    };
    let text = commands::estimate(&path, &what_if, &json(false)).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let raw = &value["summary"]["raw_bytes_per_day"];
    assert!(raw.is_u64(), "{raw}");
    assert!(raw.as_u64().unwrap() > 1u64 << 53);
    assert!(
        text.contains("\"raw_bytes_per_day\": 10000000000000000"),
        "{text}"
    );
    assert!(violations("estimate", &value).is_empty());
    // The schema says integer, so a count written as a fraction is caught.
    let mut broken = value.clone();
    broken["summary"]["raw_bytes_per_day"] = serde_json::json!(12.5);
    assert!(!violations("estimate", &broken).is_empty());
    let docs = std::fs::read_to_string(root().join("docs/reports.md")).unwrap();
    assert!(
        !docs.contains("scientific notation above"),
        "docs/reports.md"
    );
}
