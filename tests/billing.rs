//! The cluster's real bill: started for each run (each run waits for its
//! start-up and pays it, rounded up and at least the billing minimum) or
//! kept up all day; a warehouse's stages on the warehouse's own clock and
//! bill. Every expected figure is worked by hand in the comments.

mod common;

use serde_json::Value;

fn estimate(text: &str) -> Value {
    common::estimated_json(text)
}

fn close(value: &Value, expected: f64) {
    let got = value.as_f64().unwrap_or(f64::NAN);
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{got} where the hand-worked figure is {expected}"
    );
}

/// 24M events a day in 24 hourly runs: 1M events a run, on 20 workers of
/// 1,000 events/s each, is 50 s of work a run.
const HOURLY: &str = "
volume: { events_per_day: 24M, event_size: 1 kB }
workers: 20
schedule: every 1 h
CLUSTER
stages:
  - { name: work, bound: cpu, input: events, throughput: 1k events/s }
prices: { compute_usd_per_worker_hour: 1.0, billing_minimum: 60 s }
";

#[test]
fn a_cluster_started_for_each_run_pays_its_start_up_every_run() {
    let e = estimate(&HOURLY.replace("CLUSTER", "cluster: { startup: 5 min }"));
    // Each run waits 300 s for the cluster, then works 50 s.
    close(&e["summary"]["run_s"], 350.0);
    // Billed per second: 350 s a start, 24 starts, 20 workers, $1/h:
    // 24 × 350 × 20 ÷ 3,600 = $46.67 a day (the busy minutes alone, as if
    // the cluster started for free, would be $6.67).
    close(
        &e["summary"]["compute_usd_per_day"],
        24.0 * 350.0 * 20.0 / 3600.0,
    );
    assert_eq!(e["time"]["cluster"]["life"], "per_run");
    assert_eq!(
        e["summary"]["cluster"],
        "started for each run (5 min to start)"
    );
    // Kept up instead it would bill 24 h a worker: $480 a day.
    close(&e["time"]["cluster"]["kept_up_billed_per_day_s"], 86_400.0);
}

#[test]
fn a_cluster_kept_up_bills_the_day_and_no_run_waits() {
    let e = estimate(&HOURLY.replace("CLUSTER", "cluster: { life: kept_up }"));
    close(&e["summary"]["run_s"], 50.0);
    close(&e["summary"]["compute_usd_per_day"], 24.0 * 20.0);
    assert_eq!(e["summary"]["cluster"], "kept up all day");
}

#[test]
fn each_start_is_billed_at_least_the_minimum() {
    // No start-up: 50 s of work, billed the 60 s minimum, 24 times.
    let e = estimate(&HOURLY.replace("CLUSTER", ""));
    close(&e["time"]["cluster"]["billed_per_start_s"], 60.0);
    close(
        &e["summary"]["compute_usd_per_day"],
        24.0 * 60.0 * 20.0 / 3600.0,
    );
}

#[test]
fn starting_for_each_run_with_no_start_up_is_warned_about() {
    let run = common::estimate_text(&HOURLY.replace("CLUSTER", ""), &["--deny-warnings"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("started for each of 24 runs a day with no start-up time"),
        "{}",
        run.stderr
    );
}

/// The lecture's ELT plan: ingest (10 min) and load (5 min) on the
/// cluster, the transform (20 min) in the warehouse.
fn elt(extra: &str, transform: &str) -> String {
    format!(
        "
volume: {{ events_per_day: 10M, event_size: 500 B }}
workers: 4
{extra}
stages:
  - {{ name: ingest, bound: io, input: bytes, duration: 10 min }}
  - {{ name: transform, bound: cpu, input: events, duration: 20 min, runs_in: warehouse{transform} }}
  - {{ name: load, bound: io, input: bytes, duration: 5 min }}
warehouse: {{ usd_per_tb_scanned: 5 }}
prices: {{ compute_usd_per_worker_hour: 1.0 }}
"
    )
}

#[test]
fn a_warehouse_stage_runs_at_the_warehouse_s_own_rate() {
    // Four workers divide ingest and load (150 s + 75 s), not the
    // warehouse's transform (1,200 s): the run is 1,425 s.
    let e = estimate(&elt("", ""));
    close(&e["stages"][1]["parallel_s"], 1200.0);
    close(&e["summary"]["run_s"], 150.0 + 1200.0 + 75.0);
    // The cluster is billed its own stages: 225 s × 4 workers at $1/h.
    close(&e["summary"]["compute_usd_per_day"], 225.0 * 4.0 / 3600.0);
}

#[test]
fn the_cluster_pays_its_overhead_and_not_the_warehouse_s_startup() {
    // Daily: the overhead is the cluster's; 1 s or 900 s moves the bill.
    let short = estimate(&elt("run_overhead: 1 s", ""));
    let long = estimate(&elt("run_overhead: 900 s", ""));
    close(
        &short["summary"]["compute_usd_per_day"],
        (225.0 + 1.0) * 4.0 / 3600.0,
    );
    close(
        &long["summary"]["compute_usd_per_day"],
        (225.0 + 900.0) * 4.0 / 3600.0,
    );
    // Hourly: every one of the 24 runs pays the 60 s overhead on the
    // cluster (not 23), and the warehouse stage's 10-minute startup is
    // the warehouse's: (225 ÷ 24 + 60) s × 24 runs × 4 workers.
    let hourly = estimate(&elt(
        "schedule: every 1 h\ncluster: { life: per_run }\nrun_overhead: 60 s",
        ", startup: 10 min",
    ));
    close(
        &hourly["summary"]["compute_usd_per_day"],
        (225.0 / 24.0 + 60.0) * 24.0 * 4.0 / 3600.0,
    );
}

#[test]
fn a_pipeline_entirely_in_the_warehouse_bills_no_cluster() {
    let text = "
volume: { events_per_day: 10M, event_size: 500 B }
schedule: every 1 h
stages:
  - { name: transform, bound: cpu, input: events, duration: 20 min, runs_in: warehouse }
warehouse: { usd_per_tb_scanned: 5 }
prices: { compute_usd_per_worker_hour: 1.0, billing_increment: 1 h }
";
    let e = estimate(text);
    close(&e["summary"]["compute_usd_per_day"], 0.0);
    assert_eq!(e["time"]["cluster"]["life"], "none");
    // The warehouse bills its scans: 5 GB at $5/TB.
    close(&e["summary"]["warehouse_usd_per_day"], 0.025);
}
