//! The pictures match the tables: on every bundled scenario and exercise,
//! each chart's values are the report's own figures, read from its JSON,
//! never from the chart's own code. The cost chart is the bill's lines;
//! the timeline is one run, ending at the run's time; the storage curve is
//! sampled where each retention fills; and no value label runs off the
//! HTML chart.

mod common;

use serde_json::Value;

fn plans() -> Vec<std::path::PathBuf> {
    let mut files = common::bundled_scenarios();
    for entry in std::fs::read_dir("scenarios/exercises").unwrap() {
        files.push(entry.unwrap().path());
    }
    files.sort();
    files
}

fn run(path: &std::path::Path, format: &str) -> String {
    let output = common::pipecalc()
        .args(["estimate", "--format", format])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", path.display());
    String::from_utf8(output.stdout).unwrap()
}

/// The bill's lines a month from the JSON: compute, storage (with a
/// stream's state), the warehouse, network.
fn bill(json: &Value) -> Vec<f64> {
    let cost = &json["cost"];
    let number = |v: &Value| v.as_f64().unwrap_or(0.0);
    let mut lines = vec![
        number(&cost["compute_usd_per_month"]),
        number(&cost["storage_usd_per_month_steady"]) + number(&cost["state_usd_per_month"]),
    ];
    if !cost["warehouse_usd_per_month"].is_null() {
        lines.push(number(&cost["warehouse_usd_per_month"]));
    }
    lines.push(number(&cost["network_usd_per_month"]));
    lines
}

/// The text from `start` to `end` after `from` in `text`.
fn after<'a>(text: &'a str, from: &str, start: &str, end: &str) -> &'a str {
    let at = text.find(from).unwrap_or_else(|| panic!("no `{from}`"));
    let rest = &text[at..];
    let open = rest.find(start).unwrap();
    let close = open + rest[open..].find(end).unwrap();
    &rest[open..close]
}

#[test]
fn the_cost_chart_is_the_bill_s_lines() {
    for path in plans() {
        let json: Value = serde_json::from_str(&run(&path, "json")).unwrap();
        let lines = bill(&json);
        let html = run(&path, "html");
        let figure = after(&html, "<h2>Cost</h2>", "<figure>", "</figure>");
        let drawn: Vec<f64> = figure
            .split("data-value=\"")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
            .collect();
        assert_eq!(drawn.len(), lines.len(), "{}: {drawn:?}", path.display());
        for (drawn, line) in drawn.iter().zip(&lines) {
            assert!(
                (drawn - line).abs() <= 0.005 + 1e-9,
                "{}: the HTML chart draws {drawn} where the bill has {line}",
                path.display()
            );
        }
        let markdown = run(&path, "markdown");
        let pie = after(&markdown, "pie title Cost", "pie", "```");
        let parts: Vec<f64> = pie
            .lines()
            .skip(1)
            .filter_map(|l| l.rsplit(" : ").next()?.trim().parse().ok())
            .collect();
        assert_eq!(parts.len(), lines.len(), "{}: {pie}", path.display());
        for (part, line) in parts.iter().zip(&lines) {
            assert!(
                (part - line).abs() <= 5e-4 * line.abs().max(1e-9) + 1e-9,
                "{}: the Mermaid pie has {part} where the bill has {line}",
                path.display()
            );
        }
    }
}

/// Seconds since the gantt's fixed midnight (2000-01-01 00:00:00).
fn gantt_seconds(at: &str) -> f64 {
    let (date, time) = at.trim().split_once(' ').unwrap();
    let day: f64 = date[8..10].parse().unwrap();
    let hms: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    (day - 1.0) * 86_400.0 + hms[0] * 3600.0 + hms[1] * 60.0 + hms[2]
}

#[test]
fn the_timeline_is_one_run_and_ends_where_the_run_does() {
    for path in plans() {
        let json: Value = serde_json::from_str(&run(&path, "json")).unwrap();
        let Some(run_s) = json["summary"]["run_s"].as_f64() else {
            continue; // a stream has no batch run
        };
        let markdown = run(&path, "markdown");
        let gantt = after(&markdown, "gantt", "section Stages", "```");
        let ends: Vec<f64> = gantt
            .lines()
            .skip(1)
            .filter(|l| !l.contains("milestone"))
            .filter_map(|l| l.rsplit(", ").next())
            .map(gantt_seconds)
            .collect();
        let end = ends.iter().copied().fold(0.0, f64::max);
        assert!(
            (end - run_s).abs() <= 1.0,
            "{}: the timeline ends at {end} s, the run takes {run_s} s",
            path.display()
        );
        let fixed = json["time"]["run_overhead_s"].as_f64().is_some()
            || json["time"]["cluster"]["startup_s"].as_f64().is_some();
        if fixed {
            assert!(
                gantt.contains("run overhead") || gantt.contains("cluster start-up"),
                "{}: {gantt}",
                path.display()
            );
        }
    }
}

#[test]
fn the_storage_curve_bends_where_each_retention_fills() {
    for path in plans() {
        let json: Value = serde_json::from_str(&run(&path, "json")).unwrap();
        let retentions: Vec<f64> = json["storage"]["datasets"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|d| d["retention_days"].as_f64())
                    .collect()
            })
            .unwrap_or_default();
        if retentions.is_empty() {
            continue;
        }
        let markdown = run(&path, "markdown");
        let chart = after(&markdown, "Stored bytes, day by day", "x-axis", "```");
        let axis = chart.lines().next().unwrap();
        let (first, last) = axis
            .rsplit_once("\" ")
            .unwrap()
            .1
            .split_once(" --> ")
            .unwrap();
        let (first, last): (f64, f64) = (first.parse().unwrap(), last.trim().parse().unwrap());
        let line = chart
            .lines()
            .find(|l| l.trim_start().starts_with("line"))
            .unwrap();
        let points = line.matches(',').count() + 1;
        let step = (last - first) / (points - 1) as f64;
        for retention in retentions {
            let at = (retention - first) / step;
            assert!(
                (at - at.round()).abs() < 1e-9,
                "{}: retention {retention} days falls between samples every {step} days",
                path.display()
            );
        }
    }
}

#[test]
fn no_value_label_runs_off_the_html_chart() {
    for path in plans() {
        let html = run(&path, "html");
        for text in html.split("<text ").skip(1) {
            if text.contains("text-anchor=\"end\"") || text.contains("text-anchor=\"middle\"") {
                continue;
            }
            let Some(x) = text
                .strip_prefix("x=\"")
                .and_then(|t| t[..t.find('"')?].parse::<f64>().ok())
            else {
                continue;
            };
            let words = &text[text.find('>').unwrap() + 1..text.find("</text>").unwrap()];
            // The charts' 12 px labels, at 7.5 px a character at most.
            let right = x + words.chars().count() as f64 * 7.5;
            assert!(
                right <= 760.0,
                "{}: `{words}` at x = {x} runs to {right}, past the 760 px chart",
                path.display()
            );
        }
    }
}
