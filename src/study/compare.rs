//! Comparison of scenarios: which inputs differ, then every summary figure
//! side by side with its change from the first scenario (the baseline).

use crate::model::summary::{self as metrics, Amount};
use crate::model::Estimate;
use crate::scenario::Scenario;

#[derive(Clone, Debug)]
pub struct ChangedInput {
    /// The scenario key, e.g. `stages[transform].output.keep`.
    pub input: String,
    /// The value as each file writes it; `None` where a file leaves the key
    /// out (its default).
    pub values: Vec<Option<String>>,
}

#[derive(Clone, Debug)]
pub struct FigureDelta {
    pub key: &'static str,
    pub label: &'static str,
    /// See [`crate::model::summary::Entry::optional`].
    pub optional: bool,
    pub values: Vec<Amount>,
    /// Change from the baseline, for each scenario after it.
    pub absolute: Vec<Option<Amount>>,
    pub percent: Vec<Option<f64>>,
}

#[derive(Clone, Debug)]
pub struct Comparison {
    pub names: Vec<String>,
    pub files: Vec<String>,
    pub changed_inputs: Vec<ChangedInput>,
    pub figures: Vec<FigureDelta>,
}

/// Two values as written mean the same: the same text, or the same
/// quantity (`500 B` and `0.5 kB`).
fn same_value(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (crate::units::parse_any(a), crate::units::parse_any(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

pub fn compare(scenarios: &[(Scenario, Estimate)]) -> Comparison {
    // Every key any file writes, in the order they first appear, so the diff
    // reads like the files; a key one file leaves out is its default there.
    let mut keys: Vec<&str> = Vec::new();
    for (scenario, _) in scenarios {
        for (key, _) in &scenario.written {
            if !keys.contains(&key.as_str()) {
                keys.push(key);
            }
        }
    }
    let changed_inputs = keys
        .into_iter()
        .filter_map(|key| {
            let values: Vec<Option<String>> = scenarios
                .iter()
                .map(|(s, _)| {
                    s.written
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.clone())
                })
                .collect();
            let all_same = values.iter().all(|v| match (v, &values[0]) {
                (Some(a), Some(b)) => same_value(a, b),
                (None, None) => true,
                _ => false,
            });
            (!all_same).then(|| ChangedInput {
                input: key.to_string(),
                values,
            })
        })
        .collect();

    let tables: Vec<Vec<metrics::Metric>> =
        scenarios.iter().map(|(_, e)| metrics::summary(e)).collect();
    let figures = tables[0]
        .iter()
        .enumerate()
        .map(|(row, first)| {
            let values: Vec<Amount> = tables.iter().map(|t| t[row].amount.clone()).collect();
            let baseline = first.amount.number();
            let absolute = values[1..]
                .iter()
                .map(|v| match (baseline, v.number()) {
                    (Some(b), Some(x)) => Some(v.like(x - b)),
                    _ => None,
                })
                .collect();
            let percent = values[1..]
                .iter()
                .map(|v| match (baseline, v.number()) {
                    (Some(b), Some(x)) if b != 0.0 => Some((x - b) / b * 100.0),
                    _ => None,
                })
                .collect();
            FigureDelta {
                key: first.key,
                label: first.label,
                optional: first.optional,
                values,
                absolute,
                percent,
            }
        })
        .collect();
    Comparison {
        names: scenarios.iter().map(|(s, _)| s.name.clone()).collect(),
        files: scenarios.iter().map(|(s, _)| s.file.clone()).collect(),
        changed_inputs,
        figures,
    }
}
