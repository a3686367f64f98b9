//! The calculator bugs an independent check found, each as the smallest
//! scenario that showed it. Every test here failed before its fix.

mod common;

use pipecalc::{estimate, parse, Scenario};

fn scenario(yaml: &str) -> Scenario {
    parse(yaml, "regression.yaml").expect("a valid scenario")
}

fn with_workers(scenario: &Scenario, n: u32) -> Scenario {
    scenario.clone().with_workers(n, "--workers").unwrap()
}

fn lecture() -> Scenario {
    pipecalc::load(std::path::Path::new("scenarios/clickstream.yaml")).unwrap()
}

/// Bug 1: a stage held at the link's floor made `network_bound` true with
/// no transfer at all; the link is the bottleneck only when what must cross
/// it does not fit its window.
#[test]
fn network_bound_means_a_transfer_does_not_fit_its_window() {
    let link_only = scenario(
        "
volume: { events_per_day: 1M, event_size: 1 kB }
network: { bandwidth: 1 Gbps }
stages:
  - { name: copy, bound: io, input: bytes, duration: 1 s, shares: network }
prices: { compute_usd_per_worker_hour: 0.5 }
",
    );
    for n in [1, 2, 16] {
        let e = estimate(&with_workers(&link_only, n));
        assert!(!e.network.unwrap().network_bound, "N = {n}");
    }
    // The lecture's own file: transform is the bottleneck and both
    // transfers fit their window, whatever N is.
    for n in [1, 16, 64] {
        let e = estimate(&with_workers(&lecture(), n));
        assert!(!e.network.unwrap().network_bound, "N = {n}");
    }
}

/// Bug 2: `bottleneck_s` was the one-worker time until some stage was
/// capped, then the N-worker time. It is always the longest stage with N
/// workers, so never longer than the whole run.
#[test]
fn the_bottleneck_is_the_longest_stage_with_n_workers() {
    let two = scenario(
        "
volume: { events_per_day: 1M, event_size: 1 kB }
stages:
  - { name: a, bound: io, input: bytes, duration: 10 s, shares: 1 GB/s }
  - { name: b, bound: cpu, input: events, duration: 100 s }
prices: { compute_usd_per_worker_hour: 0.5 }
",
    );
    for n in [1, 2, 10, 11, 100] {
        let e = estimate(&with_workers(&two, n));
        let longest = e
            .time
            .stages
            .iter()
            .map(|s| s.parallel_time.base())
            .fold(0.0, f64::max);
        assert_eq!(e.time.bottleneck_time.base(), longest, "N = {n}");
        assert!(e.time.bottleneck_time.base() <= e.time.parallel.base());
    }
    let ten = estimate(&with_workers(&two, 10));
    assert_eq!(ten.time.bottleneck_name(), "b");
    assert_eq!(ten.time.bottleneck_time.base(), 10.0);
    // The lecture's rule: 20 min ÷ 10 workers.
    let lecture = estimate(&with_workers(&lecture(), 10));
    assert_eq!(lecture.time.bottleneck_name(), "transform");
    assert_eq!(lecture.time.bottleneck_time.base(), 120.0);
}

/// Bug 3: the JSON said `"parallel_model": "linear"` for a USL scenario.
#[test]
fn json_names_the_parallel_model_the_scenario_uses() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pipecalc"))
        .args(["estimate", "scenarios/sessionize.yaml", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let model = json["conventions"]["parallel_model"].as_str().unwrap();
    assert!(model.starts_with("per stage"), "{model}");
    let models: Vec<&str> = json["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["parallel"]["model"].as_str().unwrap())
        .collect();
    assert!(models.contains(&"usl"), "{models:?}");
}

/// Bug 6: `--compression 2` replaced a dataset's own 4× and so stored twice
/// as much as the scenario. A what-if is the least ratio a dataset reaches.
#[test]
fn a_compression_what_if_never_stores_more() {
    let base = scenario(
        "
volume: { events_per_day: 10M, event_size: 500 B }
stages:
  - { name: ingest, bound: io, input: bytes, duration: 10 min }
storage:
  - { name: raw, of: ingest.output, retention: 30 days, compression_ratio: 4 }
  - { name: plain, of: ingest.output, retention: 30 days }
prices: { compute_usd_per_worker_hour: 0.5, storage_usd_per_gb_month: 0.023 }
",
    );
    let stored = |s: &Scenario| -> Vec<f64> {
        estimate(s)
            .storage
            .datasets
            .iter()
            .map(|d| d.stored_month1_compressed.base())
            .collect()
    };
    let own = stored(&base);
    let two = stored(&base.clone().with_compression(2.0, "--compression").unwrap());
    let eight = stored(&base.clone().with_compression(8.0, "--compression").unwrap());
    // raw keeps its 4×; plain goes from 1× to 2×.
    assert_eq!(two[0], own[0]);
    assert_eq!(two[1], own[1] / 2.0);
    // 8× is more than either has: both reach it.
    assert_eq!(eight[0], own[0] / 2.0);
    assert_eq!(eight[1], own[1] / 8.0);
    assert!(base.with_compression(0.5, "--compression").is_err());
}

fn pipecalc(args: &[&str]) -> std::process::Output {
    common::pipecalc().args(args).output().unwrap()
}

/// Bug 5: bad values on the command line exited 1, and `-1` got clap's
/// "unexpected argument" hint. They are usage errors that name the option.
#[test]
fn bad_command_line_values_are_usage_errors_naming_the_option() {
    let lecture = "scenarios/clickstream.yaml";
    let cases: &[(&[&str], &str)] = &[
        (&["estimate", lecture, "--workers", "0"], "--workers"),
        (&["estimate", lecture, "--scale", "0"], "--scale"),
        (&["estimate", lecture, "--scale", "-1"], "--scale"),
        (
            &["estimate", lecture, "--compression", "0"],
            "--compression",
        ),
        (
            &["estimate", lecture, "--compression", "0.5"],
            "--compression",
        ),
        (&["scale", lecture, "--factors", "1,0"], "--factors"),
        (&["scale", lecture, "--workers", "-3"], "--workers"),
        (
            &["workers", lecture, "--max-workers", "4294967295"],
            "--max-workers",
        ),
        (&["growth", lecture, "--years", "1000"], "--years"),
        (
            &["run", "--input", "x", "--out", "y", "--workers", "100000"],
            "--workers",
        ),
        (
            &[
                "run",
                "--input",
                "x",
                "--out",
                "y",
                "--max-line-bytes",
                "18446744073709551615",
            ],
            "--max-line-bytes",
        ),
        (
            &["validate", lecture, "--tolerance-time", "-5"],
            "--tolerance-time",
        ),
    ];
    for (args, option) in cases {
        let output = pipecalc(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(option), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("unexpected argument"),
            "{args:?}: {stderr}"
        );
    }
    // A bad value inside a scenario is still a scenario error: exit 1.
    let output = pipecalc(&["estimate", "tests/bad/zero-workers.yaml"]);
    assert_eq!(output.status.code(), Some(1));
}

/// A write error is an error: `> /dev/full` used to exit 0.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_exits_1() {
    let full = std::fs::File::create("/dev/full").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pipecalc"))
        .args(["estimate", "scenarios/clickstream.yaml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write"));
}

/// Bug 4: derived figures overflowed to `$inf.00`, `inf days` and JSON
/// `null`, counts saturated at i64::MAX, and 0.4 events a day gave 0 events
/// but 200 bytes. Inputs are held to a plausible range, a figure that would
/// not be finite is an error naming its formula, and JSON never saturates.
#[test]
fn no_output_holds_inf_nan_or_a_saturated_count() {
    let dir = std::env::temp_dir().join(format!("pipecalc-extremes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, events: &str, size: &str, throughput: &str| {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!(
                "volume: {{ events_per_day: {events}, event_size: {size} }}
deadline: 1 h
memory_per_worker: 8 GB
stages:
  - {{ name: a, bound: io, input: bytes, throughput: {throughput} }}
storage:
  - {{ name: raw, of: a.output, retention: 90 days }}
network:
  bandwidth: 1 Gbps
  transfers: [{{ name: out, of: a.output, direction: egress }}]
prices: {{ compute_usd_per_worker_hour: 0.5, storage_usd_per_gb_month: 0.023, egress_usd_per_gb: 0.09 }}
"
            ),
        )
        .unwrap();
        path.to_string_lossy().into_owned()
    };
    // Refused at the key, with its line: implausible inputs.
    for (events, size, throughput) in [
        ("1e18", "500 B", "10 MB/s"),
        ("0.4", "500 B", "10 MB/s"),
        ("10M", "1e30 B", "10 MB/s"),
        ("10M", "500 B", "1e-300 B/s"),
    ] {
        let path = write("bad.yaml", events, size, throughput);
        let output = pipecalc(&["estimate", &path]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{events} {size} {throughput}"
        );
        assert!(
            stderr.contains("bad.yaml:1:") || stderr.contains("bad.yaml:5:"),
            "{stderr}"
        );
        assert!(stderr.contains("plausible"), "{stderr}");
    }
    // The largest plausible inputs, then scaled and grown: either an answer
    // with finite numbers, or an error naming the figure. Never inf or NaN.
    let extreme = write("extreme.yaml", "1e15", "1000 PB", "0.001 B/s");
    let ordinary = write("ordinary.yaml", "10M", "500 B", "10 MB/s");
    for path in [&extreme, &ordinary] {
        for args in [
            vec!["estimate", path.as_str(), "--format", "json"],
            vec!["estimate", path.as_str(), "--scale", "1e9"],
            vec![
                "estimate",
                path.as_str(),
                "--scale",
                "1e9",
                "--format",
                "json",
            ],
            vec![
                "scale",
                path.as_str(),
                "--factors",
                "1,1e9",
                "--format",
                "json",
            ],
            vec![
                "growth",
                path.as_str(),
                "--growth",
                "1000x per year",
                "--years",
                "100",
            ],
            vec!["workers", path.as_str(), "--max-workers", "10000"],
        ] {
            let output = pipecalc(&args);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            for text in [&stdout, &stderr] {
                for bad in ["inf", "NaN", "9223372036854775807", ": null,\n    \"raw"] {
                    assert!(!text.contains(bad), "{args:?} printed {bad}: {text}");
                }
            }
            match output.status.code() {
                Some(0) => {}
                Some(1) => assert!(
                    stderr.contains("would not be a finite number")
                        || stderr.contains("would be more than 18 quintillion")
                        || stderr.contains("growth"),
                    "{args:?}: {stderr}"
                ),
                code => panic!("{args:?} exited {code:?}: {stderr}"),
            }
        }
    }
    // Above 2^53 a count is still an integer, never a saturated one and
    // never `5e16` beside `9007199254740992.0`.
    let output = pipecalc(&["estimate", &ordinary, "--scale", "1e7", "--format", "json"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("\"raw_bytes_per_day\": 50000000000000000,"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The JSON contract: every command's JSON opens with its schema version
/// and the version of pipecalc that wrote it.
#[test]
fn every_json_document_carries_its_versions() {
    let lecture = "scenarios/clickstream.yaml";
    for args in [
        vec!["estimate", lecture],
        vec!["scale", lecture],
        vec!["workers", lecture],
        vec!["growth", lecture],
        vec!["compare", lecture, "scenarios/sessionize.yaml"],
    ] {
        let mut args = args.clone();
        args.extend(["--format", "json"]);
        let output = pipecalc(&args);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().take(2).collect();
        assert_eq!(keys, ["schema_version", "pipecalc_version"], "{args:?}");
        assert_eq!(json["schema_version"], pipecalc::contract::SCHEMA_VERSION);
        assert_eq!(json["pipecalc_version"], env!("CARGO_PKG_VERSION"));
    }
}
