//! The calculator bugs an independent check found, each as the smallest
//! scenario that showed it. Every test here failed before its fix.

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
            .map(|s| s.parallel.base())
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
