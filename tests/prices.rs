//! The price catalog (issue 34): listed with sources and dates, named by a
//! scenario instead of typed prices, never a silent $0, a hand price wins,
//! and the lecture's own scenario does not move.

mod common;

use common::Scratch;

fn estimate_json(text: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let scratch = Scratch::new(&format!(
        "prices-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let file = scratch.path("s.yaml");
    std::fs::write(&file, text).unwrap();
    let out = common::pipecalc()
        .arg("estimate")
        .arg(&file)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const LECTURE_ON_AWS: &str = "name: on-aws
volume: { events_per_day: 10M, event_size: 500 B }
workers: 2
deadline: 1 h
stages:
  - { name: ingest, bound: io, input: bytes, duration: 10 min }
  - { name: transform, bound: cpu, input: events, duration: 20 min }
prices: { provider: aws, region: us-east-1, instance: m7i.xlarge }
";

/// The maintainers' measure: naming m7i.xlarge in us-east-1 (and nothing
/// else) bills $0.2016 a worker-hour, by the second with a 60 s minimum,
/// and gives each worker 16 GiB; the JSON says the price and its entry.
#[test]
fn an_instance_sets_price_billing_and_memory() {
    let (code, json, stderr) = estimate_json(LECTURE_ON_AWS, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let cost = &json["cost"];
    assert_eq!(cost["compute_usd_per_worker_hour"], 0.2016);
    // 2 workers × 15 min a run (30 min ÷ 2), each billed by the second.
    assert_eq!(cost["billed_time_per_worker_s"], 900.0);
    let by_hand = 2.0 * 0.25 * 0.2016;
    assert!((cost["compute_usd_per_day"].as_f64().unwrap() - by_hand).abs() < 1e-9);
    let sources = cost["price_sources"].as_array().unwrap();
    let compute = sources
        .iter()
        .find(|s| s["price"] == "price_compute")
        .unwrap();
    assert!(compute["source"]
        .as_str()
        .unwrap()
        .contains("aws/us-east-1/ec2/m7i.xlarge"));
    let minimum = sources
        .iter()
        .find(|s| s["price"] == "billing_minimum")
        .unwrap();
    assert_eq!(minimum["value"], "60 s");
    assert_eq!(json["memory"]["memory_per_worker_bytes"], 17_179_869_184u64);
    // The entry's date is unknown, and that is said, not hidden.
    assert!(stderr.contains("has no date"), "{stderr}");
}

/// A price written by hand wins over the entry, and says it is the
/// scenario's.
#[test]
fn a_hand_price_wins() {
    let text = LECTURE_ON_AWS.replace(
        "instance: m7i.xlarge }",
        "instance: m7i.xlarge, compute_usd_per_worker_hour: 0.15 }",
    );
    let (code, json, _) = estimate_json(&text, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(json["cost"]["compute_usd_per_worker_hour"], 0.15);
    let compute = &json["cost"]["price_sources"][0];
    assert!(compute["source"]
        .as_str()
        .unwrap()
        .starts_with("scenario `prices.compute_usd_per_worker_hour`"));
}

/// Never a silent $0: an unknown instance, or one without its provider,
/// is an error at its line with the nearest ids.
#[test]
fn an_unknown_instance_is_refused_with_the_nearest() {
    let (code, _, stderr) =
        estimate_json(&LECTURE_ON_AWS.replace("m7i.xlarge", "m7i.xlargee"), &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains(":8:"), "{stderr}");
    assert!(
        stderr.contains("no catalog entry `aws/us-east-1/ec2/m7i.xlargee`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the nearest are `aws/us-east-1/ec2/m7i.xlarge`"),
        "{stderr}"
    );
    let (code, _, stderr) = estimate_json(&LECTURE_ON_AWS.replace("provider: aws, ", ""), &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("needs `prices.provider`"), "{stderr}");
}

/// An entry of unknown date is said, and `check --deny-warnings` fails
/// on it (a dated entry past 180 days: the catalog unit tests).
#[test]
fn an_undated_entry_is_said_and_fails_a_strict_check() {
    let scratch = Scratch::new("prices-stale");
    let file = scratch.path("s.yaml");
    std::fs::write(&file, LECTURE_ON_AWS).unwrap();
    let out = common::pipecalc()
        .arg("check")
        .arg(&file)
        .arg("--deny-warnings")
        .output()
        .unwrap();
    // Undated entries are warned about, and --deny-warnings fails on it.
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aws/us-east-1/ec2/m7i.xlarge"));
}

/// `pipecalc prices --format json`: every entry with its source, method
/// and date fields; search narrows it.
#[test]
fn the_catalog_lists_every_entry_with_its_source() {
    let all = common::json_of(&["prices"]);
    let entries = all["entries"].as_array().unwrap();
    assert!(entries.len() >= 3);
    for entry in entries {
        assert!(
            entry["source"].as_str().unwrap().starts_with("https://"),
            "{entry}"
        );
        assert!(entry["method"].is_string(), "{entry}");
        assert!(
            entry.get("published").is_some() && entry.get("retrieved").is_some(),
            "{entry}"
        );
    }
    let m7i = common::json_of(&["prices", "m7i", "--provider", "aws"]);
    assert_eq!(m7i["entries"].as_array().unwrap().len(), 3);
    let bigquery = common::json_of(&["prices", "bigquery", "scan"]);
    assert_eq!(bigquery["entries"][0]["id"], "gcp/us/bigquery/on-demand");
    let csv = common::run(&["prices", "--format", "csv"]);
    assert!(String::from_utf8_lossy(&csv.stdout).starts_with("id,provider,region,kind,usd,per"));
}

/// A warehouse priced from the catalog: BigQuery's $6.25 a TiB scanned,
/// its free TiB a month said and not subtracted.
#[test]
fn a_warehouse_entry_prices_the_scan() {
    let text = "name: elt
volume: { events_per_day: 10M, event_size: 500 B }
stages:
  - { name: load, bound: io, input: bytes, duration: 10 min }
  - { name: transform, bound: cpu, input: events, duration: 20 min, runs_in: warehouse }
warehouse: { entry: gcp/us/bigquery/on-demand }
prices: { compute_usd_per_worker_hour: 0.5 }
";
    let (code, json, stderr) = estimate_json(text, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    // 5 GB scanned a day at $6.25 a TiB.
    let by_hand = 5e9 * 6.25 / 1024f64.powi(4);
    let day = json["cost"]["warehouse_usd_per_day"].as_f64().unwrap();
    assert!((day - by_hand).abs() < 1e-9, "{day} vs {by_hand}");
    assert!(
        stderr.contains("a month free, which the bill does not subtract"),
        "{stderr}"
    );
}

/// The maintainer's refresh script parses the providers' documented
/// answers (run where python3 is installed).
#[test]
fn the_refresh_script_parses_what_the_providers_answer() {
    let Ok(out) = std::process::Command::new("python3")
        .args(["tools/refresh_prices.py", "--self-test"])
        .output()
    else {
        eprintln!("python3 is not installed: the refresh script's self-test is skipped");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
