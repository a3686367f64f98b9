//! The `pipecalc` command as a user runs it: output, exit codes, errors.

mod common;

use common::pipecalc;
use insta_cmd::assert_cmd_snapshot;

#[test]
fn estimate_prints_tables() {
    assert_cmd_snapshot!(pipecalc().args(["estimate", "scenarios/clickstream.yaml"]));
}

#[test]
fn estimate_what_if_workers_and_scale() {
    assert_cmd_snapshot!(pipecalc().args([
        "estimate",
        "scenarios/clickstream.yaml",
        "--workers",
        "10",
        "--scale",
        "10",
        "--format",
        "markdown"
    ]));
}

#[test]
fn estimate_json_is_valid_json_in_base_units() {
    let output = pipecalc()
        .args(["estimate", "scenarios/clickstream.yaml", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["summary"]["total_usd_per_month"], 38.891975);
    assert_eq!(json["summary"]["parallel_s"], 2700.0);
}

#[test]
fn same_scenario_same_bytes() {
    let run = || {
        pipecalc()
            .args(["estimate", "scenarios/clickstream.yaml", "--explain"])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn check_accepts_good_scenarios() {
    assert_cmd_snapshot!(pipecalc().args(["check", "scenarios/clickstream.yaml"]));
}

#[test]
fn check_rejects_a_bad_scenario_with_exit_1() {
    assert_cmd_snapshot!(pipecalc().args(["check", "tests/bad/unknown-key.yaml"]));
}

#[test]
fn errors_never_print_a_backtrace() {
    assert_cmd_snapshot!(pipecalc()
        .env("RUST_BACKTRACE", "1")
        .args(["estimate", "tests/bad/size-given-a-duration.yaml"]));
}

#[test]
fn a_missing_file_is_named() {
    assert_cmd_snapshot!(pipecalc().args(["estimate", "scenarios/no-such-file.yaml"]));
}

#[test]
fn a_bad_option_is_a_usage_error_with_exit_2() {
    assert_cmd_snapshot!(pipecalc().args([
        "estimate",
        "scenarios/clickstream.yaml",
        "--format",
        "xml"
    ]));
}

#[test]
fn zero_workers_is_refused() {
    assert_cmd_snapshot!(pipecalc().args([
        "estimate",
        "scenarios/clickstream.yaml",
        "--workers",
        "0"
    ]));
}

#[test]
fn a_negative_scale_is_refused() {
    assert_cmd_snapshot!(pipecalc().args(["estimate", "scenarios/clickstream.yaml", "--scale=-2"]));
}

fn json(args: &[&str]) -> serde_json::Value {
    let output = pipecalc().args(args).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn scale_json_has_one_projection_per_factor_and_worker_count() {
    let json = json(&[
        "scale",
        "scenarios/clickstream.yaml",
        "--factors",
        "1,2,10,100",
        "--workers",
        "1,4,10",
        "--format",
        "json",
    ]);
    let projections = json["projections"].as_array().unwrap();
    assert_eq!(projections.len(), 12);
    let at = |factor: f64, workers: u64| {
        projections
            .iter()
            .find(|p| p["factor"] == factor && p["workers"] == workers)
            .unwrap()
    };
    assert_eq!(at(2.0, 1)["sequential_s"], 5400.0);
    assert_eq!(at(10.0, 1)["sequential_s"], 27_000.0);
    assert_eq!(at(1.0, 10)["parallel_s"], 270.0);
    assert_eq!(at(10.0, 1)["storage_usd_month1"], 34.5 + 0.00345);
    assert_eq!(at(10.0, 1)["storage_usd_month1_compressed"], 6.9 + 0.00069);
    assert_eq!(at(10.0, 1)["network_usd_per_month"], 135.0);
    assert_eq!(at(10.0, 1)["output_bytes_per_day"], 5_000_000);
    // At 100x the link caps ingest: 500 GB over 1 Gbps is at least 4000 s.
    assert!(at(100.0, 10)["parallel_s"].as_f64().unwrap() > 4000.0);
}

#[test]
fn workers_json_answers_with_the_fewest_workers() {
    let json = json(&[
        "workers",
        "scenarios/clickstream.yaml",
        "--scale",
        "10",
        "--format",
        "json",
    ]);
    assert_eq!(json["min_workers"], 8);
    // The rows shown: powers of two, the answer and its neighbour, the limit.
    let shown: Vec<u64> = json["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["workers"].as_u64().unwrap())
        .collect();
    assert_eq!(shown, [1, 2, 4, 7, 8, 16, 32, 64]);
    let impossible = json_of_network_bound();
    assert_eq!(impossible["min_workers"], serde_json::Value::Null);
    assert!(impossible["stopped_by"]
        .as_str()
        .unwrap()
        .contains("network link"));
}

fn json_of_network_bound() -> serde_json::Value {
    json(&[
        "workers",
        "scenarios/telemetry-wan.yaml",
        "--format",
        "json",
    ])
}

#[test]
fn growth_json_has_a_year_each_and_the_first_failing_one() {
    let json = json(&[
        "growth",
        "scenarios/clickstream.yaml",
        "--years",
        "3",
        "--growth",
        "20% per year",
        "--format",
        "json",
    ]);
    assert_eq!(json["years"].as_array().unwrap().len(), 4);
    assert_eq!(json["years"][2]["factor"], 1.44);
    // 45 min × 1.2 = 54 min; × 1.44 = 64.8 min > 1 h.
    assert_eq!(json["first_failing_year"], 2);
}

#[test]
fn compare_json_gives_deltas_against_the_first() {
    let json = json(&[
        "compare",
        "scenarios/clickstream.yaml",
        "scenarios/clickstream-10x.yaml",
        "--format",
        "json",
    ]);
    let events = json["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["figure"] == "events_per_day")
        .unwrap();
    assert_eq!(events["absolute"][0], 90_000_000);
    assert_eq!(events["percent"][0], 900.0);
    assert_eq!(json["changed_inputs"][0]["input"], "volume.events_per_day");
}

#[test]
fn scale_refuses_a_zero_factor() {
    assert_cmd_snapshot!(pipecalc().args([
        "scale",
        "scenarios/clickstream.yaml",
        "--factors",
        "1,0"
    ]));
}

#[test]
fn scale_refuses_zero_workers() {
    assert_cmd_snapshot!(pipecalc().args([
        "scale",
        "scenarios/clickstream.yaml",
        "--workers",
        "0"
    ]));
}

#[test]
fn growth_refuses_a_rate_below_minus_100_percent() {
    assert_cmd_snapshot!(pipecalc().args([
        "growth",
        "scenarios/clickstream.yaml",
        "--growth",
        "-150% per year"
    ]));
}

#[test]
fn compare_needs_two_scenarios() {
    assert_cmd_snapshot!(pipecalc().args(["compare", "scenarios/clickstream.yaml"]));
}

#[test]
fn workers_on_a_network_bound_scenario_names_the_link() {
    assert_cmd_snapshot!(pipecalc().args(["workers", "scenarios/telemetry-wan.yaml"]));
}

/// A fresh folder under target/, named by the test, so snapshot arguments
/// are the same on every machine.
fn workdir(test: &str) -> String {
    let dir = format!("target/cli-tests/{test}");
    let _ = std::fs::remove_dir_all(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&dir));
    dir
}

/// Timings and memory vary from run to run: snapshots show their place, not their value.
fn redact_timings() -> Vec<(&'static str, &'static str)> {
    vec![(
        r#""(wall_s|cpu_s|peak_memory_bytes|process_peak_memory_bytes|process_base_memory_bytes|throughput_bytes_per_s|throughput_rows_per_s)": [0-9.e+-]+"#,
        r#""$1": "[redacted]""#,
    )]
}

#[test]
fn generate_then_run_reports_in_json() {
    let dir = workdir("run-json");
    let logs = format!("{dir}/logs");
    let lake = format!("{dir}/lake");
    assert_cmd_snapshot!(pipecalc()
        .args(["generate", "--events", "5K", "--days", "1", "--seed", "3", "--out", &logs]));
    insta::with_settings!({ filters => redact_timings() }, {
        assert_cmd_snapshot!(pipecalc().args([
            "run", "--input", &logs, "--out", &lake, "--workers", "2", "--format", "json"
        ]));
    });
}

#[test]
fn a_failure_at_half_the_transform_then_resume() {
    let dir = workdir("fail-resume");
    let logs = format!("{dir}/logs");
    let lake = format!("{dir}/lake");
    let generated = pipecalc()
        .args(["generate", "--events", "3K", "--out", &logs])
        .output()
        .unwrap();
    assert!(generated.status.success());
    // The failed run reports what it finished and what it lost, then fails.
    insta::with_settings!({ filters => redact_timings() }, {
        assert_cmd_snapshot!(pipecalc().args([
            "run",
            "--input",
            &logs,
            "--out",
            &lake,
            "--fail-at",
            "transform:0.5",
            "--format",
            "json"
        ]));
        assert_cmd_snapshot!(pipecalc().args([
            "run", "--input", &logs, "--out", &lake, "--resume", "--format", "json"
        ]));
    });
}

#[test]
fn run_on_a_missing_folder_says_so() {
    assert_cmd_snapshot!(pipecalc().args([
        "run",
        "--input",
        "no/such/logs",
        "--out",
        "target/cli-tests/missing"
    ]));
}

#[test]
fn a_bad_fail_at_is_a_usage_error() {
    assert_cmd_snapshot!(pipecalc().args([
        "run",
        "--input",
        "x",
        "--out",
        "y",
        "--fail-at",
        "transfrom:0.5"
    ]));
}

#[test]
fn validate_needs_the_reference_pipeline_s_stages() {
    assert_cmd_snapshot!(pipecalc().args([
        "validate",
        "scenarios/sessionize.yaml",
        "--sample",
        "2K",
        "--target",
        "4K"
    ]));
}

#[test]
fn calibrate_refuses_a_tiny_sample() {
    assert_cmd_snapshot!(pipecalc().args(["calibrate", "--events", "10"]));
}

#[test]
fn calibrate_writes_a_scenario_the_calculator_reads() {
    let dir = workdir("calibrate");
    std::fs::create_dir_all(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&dir)).unwrap();
    let file = format!("{dir}/laptop.yaml");
    let output = pipecalc()
        .args([
            "calibrate",
            "--events",
            "5K",
            "--repeat",
            "1",
            "--out",
            &file,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let check = pipecalc().args(["check", &file]).output().unwrap();
    assert!(check.status.success(), "{check:?}");
    let estimate = pipecalc()
        .args(["estimate", &file, "--scale", "50", "--format", "json"])
        .output()
        .unwrap();
    assert!(estimate.status.success());
    let json: serde_json::Value = serde_json::from_slice(&estimate.stdout).unwrap();
    // 5K events (and their 1% duplicates) × 50.
    let events = json["summary"]["events_per_day"].as_i64().unwrap();
    assert!((250_000..260_000).contains(&events), "{events}");
}
