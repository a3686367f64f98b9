//! The JSON contract: every JSON document pipecalc writes (each command's
//! `--format json`, and `run.json`) opens with the schema version and the
//! version of pipecalc that wrote it.
//!
//! The promise (README, "JSON"): within one `schema_version`, keys are only
//! ever added, never renamed, removed or given another unit; a change that
//! breaks a reader raises `schema_version`.

use serde_json::{Map, Value};

/// Raised whenever a key is renamed, removed or changes its unit.
pub const SCHEMA_VERSION: u32 = 1;

/// The version of pipecalc that wrote a document.
pub const PIPECALC_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The two keys every JSON document opens with.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Versions {
    /// Raised whenever a key is renamed, removed or changes its unit.
    pub schema_version: u32,
    /// The version of pipecalc that wrote the document.
    pub pipecalc_version: String,
}

impl Default for Versions {
    fn default() -> Versions {
        Versions {
            schema_version: SCHEMA_VERSION,
            pipecalc_version: PIPECALC_VERSION.to_string(),
        }
    }
}

/// `document` with `schema_version` and `pipecalc_version` as its first
/// keys; a document that has them already is stamped again, not twice.
pub fn stamp(document: Value) -> Value {
    let Value::Object(fields) = document else {
        return document;
    };
    let mut stamped = Map::new();
    stamped.insert("schema_version".into(), SCHEMA_VERSION.into());
    stamped.insert("pipecalc_version".into(), PIPECALC_VERSION.into());
    for (key, value) in fields {
        if key != "schema_version" && key != "pipecalc_version" {
            stamped.insert(key, value);
        }
    }
    Value::Object(stamped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_versions_come_first_and_once() {
        let once = stamp(json!({ "a": 1 }));
        let twice = stamp(once.clone());
        assert_eq!(once, twice);
        let keys: Vec<&String> = twice.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["schema_version", "pipecalc_version", "a"]);
    }
}
