//! The lecture's five "Pointers to Practice", as `docs/exercises.md` works
//! them: each scenario under `scenarios/exercises/`, run as a student runs
//! it, against figures worked by hand in the comments.

mod common;

use serde_json::Value;

fn json(args: &[&str]) -> Value {
    common::json_of(args)
}

fn close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"));
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{got} where the hand-worked figure is {expected}"
    );
}

/// Pointer 1: costs from volumes.
#[test]
fn costs_from_volumes() {
    let e = json(&["estimate", "scenarios/exercises/1-costs-from-volumes.yaml"]);
    let s = &e["summary"];
    // 50M × 1,000 B = 50 GB a day.
    close(&s["raw_bytes_per_day"], 50e9);
    // 50 GB ÷ 50 MB/s + 50M ÷ 25k/s + 25M ÷ 100k/s = 1,000 + 2,000 + 250 s.
    close(&s["sequential_s"], 3250.0);
    close(&s["parallel_s"], 3250.0 / 4.0);
    // 3,250 worker-seconds billed by the second at $0.40 an hour.
    close(&s["compute_usd_per_day"], 3250.0 / 3600.0 * 0.40);
    // 30 days × 50 GB × $0.023, in the first month and every month after.
    close(&s["storage_usd_month1"], 30.0 * 50.0 * 0.023);
    close(&s["storage_usd_per_month_steady"], 30.0 * 50.0 * 0.023);
    close(
        &s["total_usd_per_month"],
        30.0 * 3250.0 / 3600.0 * 0.40 + 34.5,
    );
}

/// Pointer 2: the fewest workers for the requirements.
#[test]
fn design_for_requirements() {
    let w = json(&[
        "workers",
        "scenarios/exercises/2-design-for-requirements.yaml",
    ]);
    // Time alone: ⌈(2,000 + 4,000) s ÷ 1,800 s⌉ = 4; memory: 80 GB ÷ N ≤
    // 16 GB needs N ≥ 5.
    assert_eq!(w["min_workers"], 5);
    let four = w["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["workers"] == 4)
        .unwrap();
    assert_eq!(four["deadline_met"], true, "{four}");
    assert_eq!(four["memory_fits"], false, "{four}");
}

/// Pointer 3: failure modes and what retries and checkpoints buy.
#[test]
fn failure_modes() {
    let r = &json(&["estimate", "scenarios/exercises/3-failure-modes.yaml"])["reliability"];
    let q: f64 = 0.02;
    // A stage fails all 3 attempts with q³; four checkpointed stages.
    close(&r["stage_success"], 1.0 - q.powi(3));
    close(&r["run_success"], (1.0 - q.powi(3)).powi(4));
    // Without checkpoints the run restarts: 1 − (1 − 0.98⁴)³.
    close(
        &r["other_run_success"],
        1.0 - (1.0 - (1.0 - q).powi(4)).powi(3),
    );
    // Expected failed attempts: (q + q² + q³) a stage, four stages.
    close(&r["failures_per_day"], 4.0 * (q + q * q + q.powi(3)));
    assert_eq!(r["target_met"], true);
}

/// Pointer 4: batch or stream, by freshness.
#[test]
fn batch_or_stream() {
    let batch = json(&["estimate", "scenarios/exercises/4-batch-or-stream.yaml"]);
    let stream = json(&["estimate", "scenarios/exercises/4-stream.yaml"]);
    // The day's work: 43.2 GB ÷ 20 MB/s + 86.4M ÷ 20k/s = 2,160 + 4,320 s;
    // two workers, 288 runs: 11.25 s of work a run, after the cluster's
    // 3-minute start: 191.25 s.
    close(
        &batch["summary"]["run_s"],
        180.0 + (2160.0 + 4320.0) / 2.0 / 288.0,
    );
    // The oldest event waits the 300 s period, then the run.
    close(&batch["summary"]["freshness_worst_s"], 300.0 + 191.25);
    // Each of 288 starts bills 191.25 s of each of the two workers: 15.3 h
    // of worker time a day at $0.50, $15.30; kept up it would be 48 h, $24.
    close(
        &batch["summary"]["compute_usd_per_day"],
        288.0 * 191.25 * 2.0 / 3600.0 * 0.5,
    );
    assert_eq!(
        batch["summary"]["cluster"],
        "started for each run (3 min to start)"
    );
    // Stream: one worker keeps up with 86.4M ÷ 6,480 s = 13,333 events/s,
    // more than the peak's 3 × 1,000 × 1.2: a fleet of 1, all day.
    assert_eq!(stream["summary"]["fleet"], 1.0);
    close(&stream["summary"]["compute_usd_per_day"], 24.0 * 0.5);
    // Latency: the 10 s window, then 30,000 events' work, 2.25 s.
    close(
        &stream["summary"]["latency_s"],
        10.0 + 30_000.0 / 86.4e6 * 6480.0,
    );
    assert_eq!(batch["summary"]["freshness_met"], true);
    assert_eq!(stream["summary"]["freshness_met"], true);
}

/// Pointer 5: storage and network costs.
#[test]
fn storage_and_network() {
    let e = json(&["estimate", "scenarios/exercises/5-storage-and-network.yaml"]);
    let s = &e["summary"];
    // raw: 30 × 20 GB ÷ 4 in month 1; 365 × 20 GB ÷ 4 steady; enriched:
    // 30 × 2 GB, then 90 × 2 GB; all at $0.02/GB-month.
    close(
        &s["storage_usd_month1"],
        (30.0 * 20.0 / 4.0 + 30.0 * 2.0) * 0.02,
    );
    close(
        &s["storage_usd_per_month_steady"],
        (365.0 * 20.0 / 4.0 + 90.0 * 2.0) * 0.02,
    );
    // Egress: 2 GB × $0.08 a day, 30 days; ingress is free.
    close(&s["network_usd_per_month"], 2.0 * 0.08 * 30.0);
    close(&s["network_bytes_per_day"], 22e9);
}
