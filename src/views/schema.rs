//! The JSON Schema of every JSON document pipecalc writes, and of the
//! scenario file it reads, generated from the types themselves, so the
//! schema cannot drift from the code.
//! `docs/schema/` holds them committed; a test keeps it current.

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::Value;

use crate::reference::metrics::RunDocument;

use super::compare::CompareDocument;
use super::json::EstimateDocument;
use super::scaling::{GrowthDocument, ScaleDocument, WorkersDocument};
use super::validate::ValidateDocument;

/// The documents, by the name of the command (or file) that writes them.
pub const DOCUMENTS: &[&str] = &[
    "estimate", "scale", "workers", "growth", "compare", "validate", "run", "inspect", "scenario",
    "prices",
];

fn schema_of<T: JsonSchema>(document: &str) -> Value {
    let mut schema = SchemaGenerator::default().into_root_schema_for::<T>();
    let what = if document == "scenario" {
        "a pipecalc scenario file (YAML, read as JSON by editors' YAML language servers)"
            .to_string()
    } else {
        format!(
            "pipecalc {document} JSON, schema_version {}",
            crate::contract::SCHEMA_VERSION
        )
    };
    schema.insert("description".into(), what.into());
    schema.to_value()
}

/// The schema of one document, or `None` for a name not in `DOCUMENTS`.
pub fn schema(document: &str) -> Option<Value> {
    Some(match document {
        "estimate" => schema_of::<EstimateDocument>(document),
        "scale" => schema_of::<ScaleDocument>(document),
        "workers" => schema_of::<WorkersDocument>(document),
        "growth" => schema_of::<GrowthDocument>(document),
        "compare" => schema_of::<CompareDocument>(document),
        "validate" => schema_of::<ValidateDocument>(document),
        "run" => schema_of::<RunDocument>(document),
        "inspect" => schema_of::<super::inspect::InspectDocument>(document),
        "scenario" => schema_of::<crate::scenario::raw::RawScenario>(document),
        "prices" => schema_of::<super::prices::PricesDocument>(document),
        _ => return None,
    })
}
