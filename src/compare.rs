//! Comparison of scenarios: which inputs differ, then every summary figure
//! side by side with its change from the first scenario (the baseline).

use crate::model::summary::{self as metrics, Amount};
use crate::model::Estimate;
use crate::scenario::Scenario;

#[derive(Clone, Debug)]
pub struct ChangedInput {
    pub input: String,
    /// The input's value in each scenario; `None` where it has no such input.
    pub values: Vec<Option<String>>,
}

#[derive(Clone, Debug)]
pub struct FigureDelta {
    pub key: &'static str,
    pub label: &'static str,
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

pub fn compare(scenarios: &[(Scenario, Estimate)]) -> Comparison {
    // Inputs in the order they first appear, so the diff reads like the files.
    let inputs: Vec<Vec<(String, String)>> = scenarios
        .iter()
        .map(|(s, _)| {
            s.inputs()
                .into_iter()
                .map(|w| (w.symbol, w.result))
                .collect()
        })
        .collect();
    let mut symbols: Vec<String> = Vec::new();
    for list in &inputs {
        for (symbol, _) in list {
            if !symbols.contains(symbol) {
                symbols.push(symbol.clone());
            }
        }
    }
    let changed_inputs = symbols
        .into_iter()
        .filter_map(|symbol| {
            let values: Vec<Option<String>> = inputs
                .iter()
                .map(|list| {
                    list.iter()
                        .find(|(s, _)| *s == symbol)
                        .map(|(_, v)| v.clone())
                })
                .collect();
            let all_same = values.iter().all(|v| *v == values[0]);
            (!all_same).then_some(ChangedInput {
                input: symbol,
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
