//! The `pipecalc` command as a user runs it: output, exit codes, errors.

use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

/// A clean environment, so a user's settings cannot change the output.
fn pipecalc() -> Command {
    let mut command = Command::new(get_cargo_bin("pipecalc"));
    command
        .env_clear()
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

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
