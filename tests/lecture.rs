//! The lecture's running example, figure for figure, from the bundled
//! `scenarios/clickstream.yaml`. The expected numbers are typed in from the
//! lecture, not taken from a snapshot.

use std::path::Path;

use pipecalc::{report, views};
use serde_json::Value;

fn summary(workers: Option<u32>, scale: Option<f64>) -> (Value, String) {
    let mut scenario = pipecalc::load(Path::new("scenarios/clickstream.yaml")).unwrap();
    if let Some(n) = workers {
        scenario = scenario.with_workers(n, "--workers").unwrap();
    }
    if let Some(k) = scale {
        scenario = scenario.with_scale(k, "--scale").unwrap();
    }
    let estimate = pipecalc::estimate(&scenario);
    let json = serde_json::to_value(views::json::estimate(&scenario, &estimate, false)).unwrap();
    let explain = report::render(
        &views::estimate::document(&scenario, &estimate, true),
        report::Format::Table,
        report::Style {
            explain: true,
            width: pipecalc::report::Width::Fixed(120),
        },
    )
    .unwrap();
    (json, explain)
}

#[test]
fn running_example_figures() {
    let (json, explain) = summary(None, None);
    let s = &json["summary"];
    assert_eq!(s["events_per_day"], 10_000_000);
    assert_eq!(s["raw_bytes_per_day"], 5_000_000_000u64); // 5 GB/day raw
    assert_eq!(json["stages"][1]["rows_out"], 8_000_000); // 8M page views
    assert_eq!(json["stages"][2]["rows_out"], 50_000); // 50K output rows
    assert_eq!(s["output_bytes_per_day"], 5_000_000); // 5 MB/day
    assert_eq!(s["reduction_ratio"], 1000.0); // 1000×
    let times: Vec<f64> = (0..4)
        .map(|i| json["stages"][i]["time_s"].as_f64().unwrap())
        .collect();
    assert_eq!(times, [600.0, 1200.0, 600.0, 300.0]); // 10 + 20 + 10 + 5 min
    assert_eq!(s["sequential_s"], 2700.0); // 45 min
    assert_eq!(s["bottleneck_stage"], "transform");
    assert_eq!(s["deadline_met"], true); // within 1 hour

    // Memory: 5 GB raw, 2 GB intermediate, 5 MB final, peak 5 GB in ingest.
    let sets: Vec<u64> = (0..3)
        .map(|i| json["stages"][i]["working_set_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(sets, [5_000_000_000, 2_000_000_000, 5_000_000]);
    assert_eq!(s["peak_memory_bytes"], 5_000_000_000u64);
    assert_eq!(s["peak_memory_stage"], "ingest");
    // Storage: 150 GB/month raw, 150 MB/month processed, $3.45/month raw.
    let raw = &json["storage"]["datasets"][0];
    assert_eq!(raw["stored_month1_bytes"], 150_000_000_000u64);
    assert_eq!(raw["usd_month1"], 3.45);
    assert_eq!(
        json["storage"]["datasets"][1]["stored_month1_bytes"],
        150_000_000
    );
    // Network: 5.005 GB/day, 1 Gbps = 125 MB/s, 40 s for 5 GB,
    // $0.45/day and $13.50/month egress, ingress free.
    assert_eq!(s["network_bytes_per_day"], 5_005_000_000u64);
    assert_eq!(json["network"]["bandwidth_bytes_per_s"], 125_000_000.0);
    assert_eq!(json["network"]["transfers"][0]["transfer_time_s"], 40.0);
    assert_eq!(json["network"]["egress_usd_per_day"], 0.45);
    assert_eq!(json["network"]["egress_usd_per_month"], 13.5);
    assert_eq!(json["network"]["ingress_usd_per_month"], 0.0);
    // $0.50/day compute.
    assert_eq!(s["compute_usd_per_day"], 0.5);
    // The working shows the lecture's own formula.
    assert!(explain.contains(
        "T_sequential = T[ingest] + T[transform] + T[aggregate] + T[load] = 10 min + 20 min + 10 min + 5 min = 45 min"
    ));
    assert!(explain.contains("5 GB ÷ 125 MB/s = 40 s"));
    assert!(explain.contains("150 GB × $0.023/GB-month = $3.45"));
}

#[test]
fn running_example_what_ifs() {
    // 10 workers → 4.5 minutes.
    assert_eq!(summary(Some(10), None).0["summary"]["parallel_s"], 270.0);
    // 2× data: 90 minutes; 10× data: 7.5 hours.
    assert_eq!(
        summary(None, Some(2.0)).0["summary"]["sequential_s"],
        5400.0
    );
    let (tenfold, _) = summary(None, Some(10.0));
    assert_eq!(tenfold["summary"]["sequential_s"], 27_000.0);
    assert_eq!(tenfold["summary"]["deadline_met"], false);
    // 10× volume: 1.5 TB/month raw, $34.50/month; egress $135/month.
    let raw = &tenfold["storage"]["datasets"][0];
    assert_eq!(raw["stored_month1_bytes"], 1_500_000_000_000u64);
    assert_eq!(raw["usd_month1"], 34.5);
    assert_eq!(tenfold["network"]["egress_usd_per_month"], 135.0);
    // The aggregate's output is bounded by distinct products: not 50 MB.
    assert_eq!(tenfold["summary"]["output_bytes_per_day"], 5_000_000);
}

/// The scenario shown in the README parses and gives the times it implies,
/// so the README stays true.
#[test]
fn the_readme_example_is_a_valid_scenario() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme.find("```yaml\n").expect("README has a YAML example") + 8;
    let end = start + readme[start..].find("```").unwrap();
    let scenario = pipecalc::parse(&readme[start..end], "README.md").unwrap();
    let estimate = pipecalc::estimate(&scenario);
    // 5 GB ÷ 8.3 MB/s ≈ 602 s; 10M ÷ 8.3k/s ≈ 1205 s; 8M ÷ 13.3k/s ≈ 602 s.
    let times: Vec<f64> = estimate
        .time
        .stages
        .iter()
        .map(|s| s.time.base().round())
        .collect();
    assert_eq!(times, [602.0, 1205.0, 602.0]);
}

/// The IoT exercise by hand: 200,000 sensors every 10 s is 20,000 readings
/// a second, 1.728G a day, 432 GB a day at 250 B.
#[test]
fn the_iot_exercise_by_hand() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/iot-telemetry.yaml");
    let scenario = pipecalc::load(&path).unwrap();
    let e = pipecalc::estimate(&scenario);
    assert!((e.flow.events_per_day.base() - 1.728e9).abs() < 1.0);
    assert!((e.flow.raw_bytes_per_day.base() - 432e9).abs() < 1e3);
    // Ingest: 432 GB at 100 MB/s a worker over 8 workers = 540 s; the
    // aggregate: 1.728G events at 500k/s over 8 = 432 s. 972 s in all.
    assert!((e.time.parallel.base() - 972.0).abs() < 1e-6);
    // 4.8M hourly rows of 40 B: 192 MB a day.
    assert!((e.flow.output_bytes_per_day.base() - 192e6).abs() < 1e-3);
}
