//! The one link, checked honestly: what crosses it in a window is every
//! transfer due in it and every stage that reads over it; a stream's at its
//! peak; a hybrid's stream and batch both; and a stage whose own time
//! assumes a faster link than it names is said so. Expected verdicts come
//! from the scenarios' arithmetic, worked in the comments.

mod common;

use serde_json::Value;

fn estimate(text: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let run = common::estimate_text(text, extra);
    (run.code, run.json, run.stderr)
}

/// Ingest reads 5 GB over a 100 Mbps link (12.5 MB/s): 400 s. A 10%
/// sample of its input is also sent out, all within the run's 420 s.
const SAMPLE: &str = "
volume: { events_per_day: 10M, event_size: 500 B }
deadline: 420 s
stages:
  - { name: ingest, bound: io, input: bytes, throughput: 100 MB/s, shares: network }
network:
  bandwidth: 100 Mbps
  transfers:
    - { name: sample, of: ingest.input, direction: egress, share: 10% }
prices: { compute_usd_per_worker_hour: 1, egress_usd_per_gb: 0.09 }
";

#[test]
fn a_sample_transfer_does_not_hide_the_stage_s_own_read() {
    // Within 420 s: the stage's 5 GB and the sample's 0.5 GB, 5.5 GB at
    // 12.5 MB/s = 440 s > 420 s: the link does not fit.
    let link_seconds = (5e9 + 0.5e9) / 12.5e6;
    assert_eq!(link_seconds, 440.0);
    let (code, e, stderr) = estimate(SAMPLE, &["--fail-on", "link"]);
    assert_eq!(
        code,
        Some(if link_seconds > 420.0 { 3 } else { 0 }),
        "{stderr}"
    );
    let window = &e["network"]["link"][0];
    assert_eq!(window["window_s"], 420.0);
    assert_eq!(window["link_time_s"], 440.0);
    assert_eq!(window["fits"], false);
    assert_eq!(e["summary"]["network_bound"], true);
}

/// A stream of 1,000 events/s of 1 kB peaking at 20×: 20 MB/s at the peak
/// is 160 Mbps, over a 100 Mbps link.
const STREAM: &str = "
volume: { events_per_day: 86.4M, event_size: 1 kB }
stages:
  - { name: parse, bound: cpu, input: bytes, throughput: 100 MB/s, SHARES }
streaming: { peak_factor: 20, window: 10 s HYBRID }
network:
  bandwidth: 100 Mbps
  TRANSFERS
prices: { compute_usd_per_worker_hour: 1, egress_usd_per_gb: 0.09 }
";

fn stream(shares: bool, transfers: &str, hybrid: bool) -> String {
    STREAM
        .replace(", SHARES", if shares { ", shares: network" } else { "" })
        .replace("TRANSFERS", transfers)
        .replace(" HYBRID", if hybrid { ", hybrid: true" } else { "" })
}

#[test]
fn a_stream_over_its_link_at_the_peak_is_network_bound() {
    // 20 MB/s × 10 s = 200 MB a window at the peak; the link carries
    // 12.5 MB/s × 10 s = 125 MB.
    let at_peak = 1000.0 * 20.0 * 1000.0 * 10.0;
    let carried = 12.5e6 * 10.0;
    assert!(at_peak > carried);
    // The stage reads over the link, and a small transfer is listed too.
    let listed =
        "transfers:\n    - { name: alerts, of: parse.output, direction: egress, share: 0.1% }";
    for hybrid in [false, true] {
        let (code, e, stderr) = estimate(&stream(true, listed, hybrid), &["--fail-on", "link"]);
        assert_eq!(code, Some(3), "hybrid {hybrid}: {stderr}");
        assert_eq!(e["summary"]["network_bound"], true, "hybrid {hybrid}");
    }
}

#[test]
fn a_transfer_the_link_cannot_carry_makes_it_network_bound() {
    // A flat stream: 1 MB/s, 10 MB a window, fits the link's 125 MB; the
    // day's 86.4 GB fits a day (6,912 s of the link). But the export of a
    // day's 86.4 GB within 60 s needs 1.44 GB/s, over 12.5 MB/s.
    let listed =
        "transfers:\n    - { name: export, of: parse.input, direction: egress, window: 60 s }";
    let flat = stream(false, listed, false).replace("peak_factor: 20", "peak_factor: 1");
    let (_, e, _) = estimate(&flat, &[]);
    let windows = e["network"]["link"].as_array().unwrap();
    assert!(windows.iter().all(|w| w["fits"] == true), "{windows:?}");
    let transfer = &e["network"]["transfers"][0];
    assert_eq!(transfer["exceeds_link"], true);
    assert_eq!(e["summary"]["network_bound"], true);
}

#[test]
fn a_stage_faster_than_the_link_it_names_is_said_so() {
    // The lecture's ingest reads 5 GB in 10 min; with 100 workers, 6 s:
    // 833 MB/s = 6.67 Gbps through a 1 Gbps link it does not share.
    let scratch = common::Scratch::new("network-faster");
    let text = std::fs::read_to_string("scenarios/clickstream.yaml")
        .unwrap()
        .replace("    shares: network\n", "");
    let path = scratch.path("plan.yaml");
    std::fs::write(&path, text).unwrap();
    let output = common::pipecalc()
        .args(["estimate", "--workers", "100"])
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains(
            "stage ingest moves `from source` at 6.667 Gbps in its own time, faster than the 1 Gbps link carries it"
        ),
        "{report}"
    );
}
