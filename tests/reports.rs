//! What a report says, held to what the user asked and to the arithmetic:
//! percentiles as asked, a gate with nothing to judge refused by name, the
//! outputs a projection holds fixed named, scale's every row in its JSON
//! and CSV, and working that reads true digit for digit.

mod common;

fn run(args: &[&str]) -> std::process::Output {
    common::pipecalc().args(args).output().unwrap()
}

#[test]
fn any_percentile_of_a_monte_carlo_can_be_asked_for() {
    let args = [
        "estimate",
        "scenarios/clickstream-uncertain.yaml",
        "--samples",
        "2000",
        "--percentiles",
        "90,10",
    ];
    let table = run(&args);
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("│ Figure") && text.contains("p10") && text.contains("p90"));
    let json = common::json_of(&args);
    let percentiles = &json["uncertainty"]["samples"]["percentiles"][0];
    let at: Vec<f64> = percentiles["at"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["percentile"].as_f64().unwrap())
        .collect();
    assert_eq!(at, [10.0, 90.0]);
    let value = |i: usize| percentiles["at"][i]["value"].as_f64().unwrap();
    assert!(value(0) <= percentiles["p50"].as_f64().unwrap());
    assert!(value(1) >= percentiles["p50"].as_f64().unwrap());
    // Without --samples there is no Monte Carlo to take them from.
    let usage = run(&[
        "estimate",
        "scenarios/clickstream-uncertain.yaml",
        "--percentiles",
        "90",
    ]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_gate_with_nothing_to_judge_names_the_key_to_add() {
    let latency = run(&[
        "estimate",
        "scenarios/clickstream.yaml",
        "--fail-on",
        "latency",
    ]);
    assert_eq!(latency.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&latency.stderr);
    assert!(
        stderr.contains("`--fail-on latency` has nothing to judge"),
        "{stderr}"
    );
    assert!(stderr.contains("freshness_target"), "{stderr}");
    let link = common::estimate_text(
        "volume: { events_per_day: 1M, event_size: 1 kB }\nstages:\n  - { name: a, bound: io, input: bytes, throughput: 10 MB/s }\nprices: { compute_usd_per_worker_hour: 1 }\n",
        &["--fail-on", "link,memory"],
    );
    assert_eq!(link.code, Some(1), "{}", link.stderr);
    assert!(link.stderr.contains("`network:`"), "{}", link.stderr);
}

#[test]
fn projections_name_what_they_hold_fixed_and_write_every_row() {
    let json = common::json_of(&["scale", "scenarios/clickstream.yaml"]);
    assert_eq!(
        json["held_fixed"],
        serde_json::json!(["aggregate's 50K output rows"])
    );
    let first = &json["projections"][0];
    // The lecture's raw month: 150 GB; and 99.95% of runs succeed.
    assert_eq!(first["stored_month1_bytes_raw"], 150_000_000_000u64);
    assert_eq!(
        first["run_success"].as_f64().map(|v| (v * 1e4).round()),
        Some(9995.0)
    );
    assert!(first["usd_month1_compressed_raw"].is_number());
    let csv = run(&["scale", "scenarios/clickstream.yaml", "--format", "csv"]);
    let header = String::from_utf8_lossy(&csv.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    for key in [
        "stored_month1_bytes_raw",
        "run_success",
        "wasted_usd_per_month",
    ] {
        assert!(header.split(',').any(|h| h == key), "{key} in {header}");
    }
    let table =
        String::from_utf8_lossy(&run(&["scale", "scenarios/clickstream.yaml"]).stdout).into_owned();
    assert!(
        table.contains("held fixed as the events grow: aggregate's 50K output rows"),
        "{table}"
    );
    assert!(table.contains("99.95%"), "{table}");
}

#[test]
fn the_working_shows_the_digits_its_arithmetic_needs() {
    // Two stages failing 1% of attempts, three attempts, checkpoints: a
    // run succeeds with (1 − 0.01³)² = 0.999998, and 24 runs a day fail
    // (1 − 0.999998) × 24 × 365 = 0.01752 times a year.
    let text = "
volume: { events_per_day: 1M, event_size: 1 kB }
schedule: every 1 h
cluster: { life: kept_up }
stages:
  - { name: a, bound: io, input: bytes, throughput: 10 MB/s }
  - { name: b, bound: io, input: bytes, throughput: 10 MB/s }
prices: { compute_usd_per_worker_hour: 1 }
reliability: { failure_per_attempt: 1%, attempts: 3, checkpoints: true }
";
    let run = common::estimate_text(text, &["--explain"]);
    let explain: Vec<String> = run.json["explain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{} = {}",
                w["symbol"].as_str().unwrap(),
                w["working"].as_str().unwrap_or("")
            )
        })
        .collect();
    let line = explain
        .iter()
        .find(|l| l.starts_with("failed_runs_per_year"))
        .unwrap();
    assert!(line.contains("(1 − 0.999998) × 24 × 365"), "{line}");
    let success = (1.0f64 - 0.01f64.powi(3)).powi(2);
    let failed: f64 = run.json["reliability"]["failed_runs_per_year"]
        .as_f64()
        .unwrap();
    assert!(((1.0 - success) * 24.0 * 365.0 - failed).abs() < 1e-9);
}
