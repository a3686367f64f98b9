//! The `compare` report: changed inputs first, then every summary figure
//! with its change from the baseline (the first scenario).

use serde_json::{json, Value};

use crate::compare::Comparison;
use crate::units::{clean, significant};

use crate::model::summary::Amount;
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
                .map(|v| v.clone().unwrap_or_else(|| "(none)".into())),
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
    Document {
        title: format!("pipecalc compare: {}", names.join(" vs ")),
        intro: comparison.files.clone(),
        sections: vec![inputs, results],
        conventions: Vec::new(),
    }
}

pub fn json(comparison: &Comparison) -> Value {
    json!({
        "scenarios": comparison.names.iter().zip(&comparison.files).map(|(n, f)| json!({"name": n, "file": f})).collect::<Vec<_>>(),
        "baseline": comparison.names[0],
        "changed_inputs": comparison.changed_inputs.iter().map(|c| json!({
            "input": c.input,
            "values": c.values,
        })).collect::<Vec<_>>(),
        "deltas": comparison.figures.iter().map(|f| json!({
            "figure": f.key,
            "values": f.values.iter().map(Amount::json).collect::<Vec<_>>(),
            "absolute": f.absolute.iter().map(|a| a.as_ref().map(Amount::json)).collect::<Vec<_>>(),
            "percent": f.percent.iter().map(|p| p.map(clean)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
