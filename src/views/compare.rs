//! The `compare` report: changed inputs first, then every summary figure
//! with its change from the baseline (the first scenario).

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;

use super::json::{Num, ScenarioRef};
use crate::contract::Versions;

use crate::study::compare::Comparison;
use crate::units::significant;

use crate::model::summary::Amount;
use crate::report::chart::Axis;
use crate::report::{Document, Section};

fn signed(amount: &Amount) -> String {
    let text = amount.human();
    match amount.number() {
        Some(v) if v > 0.0 => format!("+{text}"),
        _ => text,
    }
}

fn signed_percent(percent: f64) -> String {
    let text = format!("{}%", significant(percent, 3));
    if percent > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

pub fn document(comparison: &Comparison) -> Document {
    let names = &comparison.names;
    let mut inputs_columns = vec!["Input".to_string()];
    inputs_columns.extend(names.iter().cloned());
    let mut inputs = Section {
        title: "Changed inputs".into(),
        columns: inputs_columns,
        ..Section::default()
    };
    for changed in &comparison.changed_inputs {
        let mut cells = vec![changed.input.clone()];
        cells.extend(
            changed
                .values
                .iter()
                .map(|v| v.clone().unwrap_or_else(|| "(default)".into())),
        );
        inputs.row(cells);
    }
    if comparison.changed_inputs.is_empty() {
        inputs.columns.clear();
        inputs.note("none: the scenarios make the same assumptions");
    }

    let mut columns = vec!["Figure".to_string(), names[0].clone()];
    for name in &names[1..] {
        columns.push(name.clone());
        columns.push(format!("Δ {name}"));
        columns.push(format!("Δ% {name}"));
    }
    let mut results = Section {
        title: "Results".into(),
        columns,
        ..Section::default()
    };
    for figure in &comparison.figures {
        if crate::model::summary::left_out(figure.optional, figure.values.iter()) {
            continue;
        }
        let mut cells = vec![figure.label.to_string(), figure.values[0].human()];
        for index in 1..figure.values.len() {
            cells.push(figure.values[index].human());
            let changed = figure.values[index] != figure.values[0];
            cells.push(match &figure.absolute[index - 1] {
                Some(delta) => signed(delta),
                None if changed => "changed".into(),
                None => String::new(),
            });
            cells.push(figure.percent[index - 1].map_or_else(String::new, signed_percent));
        }
        results.row(cells);
    }
    results.note(format!(
        "Δ and Δ% are against the first scenario, {}",
        names[0]
    ));
    // The figures a decision turns on, side by side.
    for (key, title, axis) in [
        ("total_usd_per_month", "Total cost per month", Axis::Usd),
        ("parallel_s", "Run time", Axis::Seconds),
        ("peak_memory_bytes", "Peak memory per worker", Axis::Bytes),
    ] {
        if let Some(figure) = comparison.figures.iter().find(|f| f.key == key) {
            let columns = names
                .iter()
                .zip(&figure.values)
                .filter_map(|(name, value)| value.number().map(|v| (name.clone(), v)))
                .collect();
            results
                .charts
                .push(super::charts::columns(title, axis, columns));
        }
    }
    // The lecture's batch-or-stream question: how fresh each plan's data
    // is against what it costs.
    let figure = |key: &str| comparison.figures.iter().find(|f| f.key == key);
    if let (Some(fresh), Some(cost)) = (figure("freshness_worst_s"), figure("total_usd_per_month"))
    {
        let points: Vec<(String, f64, f64)> = names
            .iter()
            .zip(fresh.values.iter().zip(&cost.values))
            .filter_map(|(name, (f, c))| Some((name.clone(), f.number()?, c.number()?)))
            .collect();
        results.charts.push(crate::report::chart::Chart::Scatter {
            title: "Freshness against cost".into(),
            x: Axis::Seconds,
            y: Axis::Usd,
            x_title: "oldest data when available".into(),
            y_title: "total per month".into(),
            points,
        });
    }
    Document {
        title: format!("pipecalc compare: {}", names.join(" vs ")),
        intro: comparison.files.clone(),
        sections: vec![inputs, results],
        conventions: Vec::new(),
    }
}

/// One summary figure in JSON: a number, a flag, a name, or `null`.
#[derive(Clone, Debug)]
pub struct AnyAmount(pub Amount);

impl Serialize for AnyAmount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.json().serialize(serializer)
    }
}

impl JsonSchema for AnyAmount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["number", "boolean", "string", "null"] })
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ChangedInputRecord {
    pub input: String,
    /// As each scenario gives it, in order; `null` where a scenario does not set it.
    pub values: Vec<Option<String>>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DeltaRecord {
    /// A summary key (`estimate`'s `summary`).
    pub figure: String,
    pub values: Vec<AnyAmount>,
    /// Change from the baseline for each scenario after it; `null` for flags and names.
    pub absolute: Vec<Option<AnyAmount>>,
    /// The same change in percent; `null` where the baseline is 0 or not a number.
    pub percent: Vec<Option<Num>>,
}

/// `pipecalc compare --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CompareDocument {
    #[serde(flatten)]
    pub versions: Versions,
    pub scenarios: Vec<ScenarioRef>,
    pub baseline: String,
    pub changed_inputs: Vec<ChangedInputRecord>,
    pub deltas: Vec<DeltaRecord>,
}

pub fn json(comparison: &Comparison) -> CompareDocument {
    CompareDocument {
        versions: Versions::default(),
        scenarios: comparison
            .names
            .iter()
            .zip(&comparison.files)
            .map(|(name, file)| ScenarioRef {
                name: name.clone(),
                file: file.clone(),
            })
            .collect(),
        baseline: comparison.names[0].clone(),
        changed_inputs: comparison
            .changed_inputs
            .iter()
            .map(|c| ChangedInputRecord {
                input: c.input.clone(),
                values: c.values.clone(),
            })
            .collect(),
        deltas: comparison
            .figures
            .iter()
            .map(|f| DeltaRecord {
                figure: f.key.to_string(),
                values: f.values.iter().cloned().map(AnyAmount).collect(),
                absolute: f
                    .absolute
                    .iter()
                    .map(|a| a.clone().map(AnyAmount))
                    .collect(),
                percent: f.percent.iter().map(|p| p.map(Num)).collect(),
            })
            .collect(),
    }
}
