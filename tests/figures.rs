//! One list of figures and one list of inputs, checked from the outside:
//! every figure of every bundled scenario's estimate reaches the report
//! (table or `--explain`), the JSON and the CSV, and `compare` names every
//! key a scenario writes when only that key changes.

mod common;

use std::path::Path;

use common::{bundled_scenarios as bundled, report as output, Scratch};
use pipecalc::commands::{self, WhatIf};
use pipecalc::figure::Explain;
use pipecalc::report::Format;
use serde_json::Value;

/// Every number in a JSON document, as JSON writes it.
fn numbers(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| numbers(v, out)),
        Value::Object(map) => map.values().for_each(|v| numbers(v, out)),
        _ => {}
    }
}

#[test]
fn every_figure_reaches_the_report_the_json_and_the_csv() {
    for path in bundled() {
        let scenario = pipecalc::load(&path).unwrap();
        let estimate = pipecalc::model::checked_estimate(&scenario).unwrap();
        let none = WhatIf::default();
        let explained = commands::estimate(&path, &none, &output(Format::Table, true)).unwrap();
        let json: Value = serde_json::from_str(
            &commands::estimate(&path, &none, &output(Format::Json, false)).unwrap(),
        )
        .unwrap();
        let mut in_json = Vec::new();
        numbers(&json, &mut in_json);
        let csv = commands::estimate(&path, &none, &output(Format::Csv, false)).unwrap();
        let csv_figures: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|line| line.split(',').nth(1).unwrap_or(""))
            .collect();
        let mut missing = Vec::new();
        for figure in estimate.figures() {
            let working = figure.working();
            let symbol = working.symbol.as_str();
            if symbol.is_empty() {
                missing.push(format!("a figure with no name: {working}"));
                continue;
            }
            // Inputs are listed in --explain's inputs table; derived figures
            // each have a working line that starts with their name.
            let shown = if figure.is_input() {
                explained.contains(&format!("│ {symbol} "))
            } else {
                explained.contains(&format!("{symbol} = "))
            };
            if !shown {
                missing.push(format!("{symbol}: not in the report"));
            }
            // Inputs the models only read (a keep fraction) are in the
            // report and the CSV; what the models compute is in the JSON.
            if !figure.is_input() && !in_json.contains(&figure.json()) {
                missing.push(format!(
                    "{symbol}: its value {} not in the JSON",
                    figure.json()
                ));
            }
            // A ranged estimate's CSV is its summary across the ranges,
            // checked below; a point estimate's is every figure.
            let quoted = format!("\"{symbol}\"");
            if scenario.ranged.is_empty()
                && !csv_figures.contains(&symbol)
                && !csv.contains(&quoted)
            {
                missing.push(format!("{symbol}: not in the CSV"));
            }
        }
        if !scenario.ranged.is_empty() {
            for entry in pipecalc::model::summary::SUMMARY {
                // A term the scenario does not ask for is in no case.
                if entry.optional && entry.value(&estimate).is_absent() {
                    continue;
                }
                if !csv.contains(&format!("\r\n{},", entry.key)) {
                    missing.push(format!("{}: not in the ranged CSV", entry.key));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "{}:\n{}",
            path.display(),
            missing.join("\n")
        );
    }
}

/// The bill's table lists every line the monthly total adds: a cost a new
/// block puts in the total cannot be left out of the table.
#[test]
fn the_cost_table_s_lines_add_up_to_the_total() {
    for path in bundled() {
        let scenario = pipecalc::load(&path).unwrap();
        let cost = pipecalc::model::checked_estimate(&scenario).unwrap().cost;
        let lines: f64 = cost.lines().iter().map(|l| l.per_month.base()).sum();
        let total = cost.total_usd_per_month.base();
        assert!(
            (lines - total).abs() <= 1e-9 * total.max(1.0),
            "{}: lines {lines} where the total is {total}",
            path.display()
        );
        let shares: f64 = cost.lines().iter().map(|l| l.share.base()).sum();
        assert!(
            total == 0.0 || (shares - 1.0).abs() < 1e-9,
            "{}",
            path.display()
        );
    }
}

#[test]
fn partitions_to_fit_reaches_every_format() {
    // 10× the lecture on one worker does not fit 8 GB: 50 GB in 7 partitions.
    let path = Path::new("scenarios/clickstream.yaml");
    let what_if = WhatIf {
        scale: Some(10.0),
        ..WhatIf::default()
    };
    let json: Value = serde_json::from_str(
        &commands::estimate(path, &what_if, &output(Format::Json, false)).unwrap(),
    )
    .unwrap();
    assert_eq!(json["memory"]["partitions_to_fit"], 7.0);
    let csv = commands::estimate(path, &what_if, &output(Format::Csv, false)).unwrap();
    assert!(csv.contains("\r\nfigure,partitions_to_fit,7.0,"), "{csv}");
    let table = commands::estimate(path, &what_if, &output(Format::Table, true)).unwrap();
    assert!(table.contains("partitions_to_fit = ceil("), "{table}");
}

/// The value at a key `compare` shows (`stages[transform].output.keep`) in
/// a scenario read as a tree.
fn at<'v>(tree: &'v mut Value, key: &str) -> Option<&'v mut Value> {
    let mut node = tree;
    for segment in key.split('.') {
        let (field, item) = match segment.split_once('[') {
            Some((field, rest)) => (field, Some(rest.trim_end_matches(']'))),
            None => (segment, None),
        };
        node = node.get_mut(field)?;
        if let Some(item) = item {
            let items = node.as_array_mut()?;
            let position = items
                .iter()
                .position(|i| i.get("name").and_then(Value::as_str) == Some(item))
                .or_else(|| item.parse::<usize>().ok())?;
            node = items.get_mut(position)?;
        }
    }
    Some(node)
}

/// Other values a key could take: a flipped yes/no, the number scaled,
/// the other choice of a few words.
fn alternatives(value: &str) -> Vec<String> {
    let swaps: &[(&str, &str)] = &[
        ("true", "false"),
        ("bytes", "events"),
        ("events", "bytes"),
        ("0", "0.01"),
        ("false", "true"),
        ("io", "cpu"),
        ("cpu", "io"),
        ("egress", "ingress"),
        ("ingress", "egress"),
        ("input", "output"),
        ("output", "input"),
        ("network", "500 MB/s"),
        ("cluster", "warehouse"),
        ("lake", "warehouse"),
        ("warehouse", "cluster"),
        ("warehouse", "lake"),
        ("card", "network"),
        ("daily", "hourly"),
        ("hourly", "daily"),
        ("linear", "amdahl"),
        ("kept_up", "per_run"),
        ("per_run", "kept_up"),
    ];
    let mut out: Vec<String> = swaps
        .iter()
        .filter(|(from, _)| *from == value)
        .map(|(_, to)| to.to_string())
        .collect();
    if let Some((stage, side)) = value.split_once('.') {
        let other = if side == "input" { "output" } else { "input" };
        out.push(format!("{stage}.{other}"));
    }
    let start = value
        .find(|c: char| c.is_ascii_digit() || c == '.')
        .unwrap_or(value.len());
    let digits: String = value[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if let Ok(number) = digits.parse::<f64>() {
        for factor in [1.25, 0.8, 2.0, 0.5] {
            let scaled = number * factor;
            out.push(format!(
                "{}{}{}",
                &value[..start],
                scaled,
                &value[start + digits.len()..]
            ));
        }
    }
    out
}

#[test]
fn compare_names_every_key_a_scenario_writes_when_it_changes() {
    let output = output(Format::Json, false);
    let scratch = Scratch::new("figures");
    let mut unnamed = Vec::new();
    let mut unchangeable = Vec::new();
    let mut checked = 0;
    for path in bundled() {
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario = pipecalc::load(&path).unwrap();
        let tree: Value = serde_saphyr::from_str(&text).unwrap();
        for (key, value) in &scenario.written {
            let mut named = None;
            for candidate in alternatives(value) {
                let mut mutated = tree.clone();
                let Some(node) = at(&mut mutated, key) else {
                    continue;
                };
                *node = match serde_json::from_str::<Value>(&candidate) {
                    Ok(number @ Value::Number(_)) => number,
                    Ok(flag @ Value::Bool(_)) => flag,
                    _ => Value::String(candidate.clone()),
                };
                let changed = scratch.path("changed.yaml");
                std::fs::write(&changed, serde_saphyr::to_string(&mutated).unwrap()).unwrap();
                if pipecalc::load(&changed).is_err() {
                    continue;
                }
                let compared: Value = serde_json::from_str(
                    &commands::compare(&[path.clone(), changed], &output).unwrap(),
                )
                .unwrap();
                let names: Vec<&str> = compared["changed_inputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|c| c["input"].as_str())
                    .collect();
                named = Some(names.contains(&key.as_str()));
                checked += 1;
                break;
            }
            let line = format!("{}: {key} = {value}", path.display());
            match named {
                Some(true) => {}
                Some(false) => unnamed.push(line),
                None => unchangeable.push(line),
            }
        }
    }
    assert!(
        unnamed.is_empty(),
        "compare did not name these keys when they changed:\n{}",
        unnamed.join("\n")
    );
    // A key no single change leaves valid cannot be tried alone: a stage's
    // `input` with a throughput in its unit, a query `over` the only
    // dataset it can scan.
    // A parallel model's coefficients belong to it alone.
    unchangeable.retain(|line| {
        !line.contains(".input = ") && !line.contains(".over = ") && !line.contains(".model = ")
    });
    assert!(
        checked > 350 && unchangeable.is_empty(),
        "{checked} keys changed; no valid change for:\n{}",
        unchangeable.join("\n")
    );
}
