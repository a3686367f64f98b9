//! The pipeline on logs it did not generate (issue 10): hand-written lines
//! with another site's field names, numeric product ids, offsets that
//! cross midnight, epoch times, and compressed files, each counted by hand.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::{read_views, Scratch};
use pipecalc::reference::pipeline::{run, RunConfig};

/// Another shop's log: `id`, `url`, `ts` and `type` for the lecture's
/// event_id, page, timestamp and action; product pages `/product/12345`.
const SHOP: &str = r#"{"id":"a1","url":"/product/12345","ts":"2024-01-15T23:30:00-05:00","type":"page_view","user":"u1"}
{"id":"a2","url":"/product/12345","ts":1705363200000,"type":"page_view"}
{"id":"a3","url":"/product/777?ref=mail","ts":"2024-01-15T10:00:00Z","type":"page_view"}
{"id":"a4","url":"/product/abc","ts":"2024-01-15T10:00:01Z","type":"page_view"}
{"id":"a5","url":"/cart","ts":"2024-01-15T10:00:02Z","type":"page_view"}
{"id":"a6","url":"/product/777","ts":"not a time","type":"page_view"}
{"id":"a3","url":"/product/777?ref=mail","ts":"2024-01-15T10:00:00Z","type":"page_view"}
{"id":"a7","url":"/product/777","ts":1705312800,"type":"click"}
"#;

const GZIPPED: &str = r#"{"id":"b1","url":"/product/12345","ts":"2024-01-15T12:00:00+00:00","type":"page_view"}
{"id":"b2","url":"/product/777","ts":"2024-01-15T12:00:05.250Z","type":"page_view"}
"#;

/// Three in the morning in UTC+2 is the evening before in UTC.
const ZSTD: &str = r#"{"id":"c1","url":"/product/777","ts":"2024-01-16T01:00:00+02:00","type":"page_view"}
"#;

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

fn shop_config(logs: &Path, lake: &Path) -> RunConfig {
    let mut config = RunConfig::new(logs, lake);
    config.product_pattern = r"^/product/([0-9]+)(?:[?#].*)?$".into();
    config.fields = [
        ("event_id", "id"),
        ("page", "url"),
        ("timestamp", "ts"),
        ("action", "type"),
    ]
    .iter()
    .map(|(field, key)| (field.to_string(), key.to_string()))
    .collect();
    // One line in eleven has a bad time, by design: above the default 5%.
    config.max_quarantined_share = 0.1;
    config
}

fn shop_logs(scratch: &Scratch) -> std::path::PathBuf {
    let logs = scratch.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("shop.ndjson"), SHOP).unwrap();
    std::fs::write(logs.join("more.jsonl.gz"), gzip(GZIPPED)).unwrap();
    std::fs::write(
        logs.join("late.jsonl.zst"),
        zstd::encode_all(ZSTD.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    std::fs::write(logs.join("notes.csv"), "a,b\n").unwrap();
    std::fs::write(logs.join("_SUCCESS"), "").unwrap();
    logs
}

#[test]
fn another_shop_s_logs_counted_by_hand() {
    let scratch = Scratch::new("foreign");
    let logs = shop_logs(&scratch);
    let lake = scratch.path("lake");
    let report = run(&shop_config(&logs, &lake)).unwrap();

    let expected: BTreeMap<String, BTreeMap<String, u64>> = [
        ("2024-01-15", vec![("12345", 1), ("777", 3)]),
        ("2024-01-16", vec![("12345", 2)]),
    ]
    .into_iter()
    .map(|(date, views)| {
        (
            date.to_string(),
            views
                .into_iter()
                .map(|(product, count)| (product.to_string(), count))
                .collect(),
        )
    })
    .collect();
    assert_eq!(read_views(&lake), expected);

    let q = &report.quality;
    assert_eq!(q.lines, 11);
    assert_eq!(q.valid_events, 10);
    assert_eq!(q.quarantined.get("bad_timestamp"), Some(&1));
    assert_eq!(q.duplicates_removed, 1);
    assert_eq!(q.invalid_product_ids, 1);
    assert_eq!(q.non_product_page_views, 1);
    // `user` is not one of the lecture's fields: kept, and counted as drift.
    assert_eq!(q.unknown_fields.get("user"), Some(&1));
    // The CSV file is named; `_SUCCESS` is metadata and is not.
    assert_eq!(
        report.skipped_inputs.len(),
        1,
        "{:?}",
        report.skipped_inputs
    );
    assert!(report.skipped_inputs[0].starts_with("notes.csv: not a log file"));
    // Raw bytes in are the JSON text, decompressed.
    assert_eq!(
        report.stages[0].bytes_in,
        (SHOP.len() + GZIPPED.len() + ZSTD.len()) as u64
    );
}

#[test]
fn the_default_product_rule_finds_nothing_here_and_says_why() {
    let scratch = Scratch::new("foreign-default");
    let logs = shop_logs(&scratch);
    let lake = scratch.path("lake");
    let mut config = shop_config(&logs, &lake);
    config.product_pattern = pipecalc::reference::event::DEFAULT_PRODUCT_PATTERN.into();
    let report = run(&config).unwrap();
    // Every product page view is an invalid id: the report says so.
    assert_eq!(report.output_rows, 0);
    assert_eq!(report.quality.invalid_product_ids, 7);
}

/// Lines as the lecture's logs write them, all on 2024-01-15, product
/// `p000000` to `p000049`.
fn product_lines(count: usize, prefix: &str) -> String {
    (0..count)
        .map(|i| {
            format!(
                "{{\"event_id\":\"{prefix}{i}\",\"page\":\"/product/p{:06}\",\"timestamp\":\"2024-01-15T10:00:00Z\",\"action\":\"page_view\",\"pad\":\"{}\"}}\n",
                i % 50,
                i * 7919 % 104_729
            )
        })
        .collect()
}

/// Issue 25: a gzip stream that fails its check is corrupt as a whole.
/// Before, the lines decoded up to the failure were published as good data
/// and the run exited 0 with nothing on stderr.
#[test]
fn a_gzip_stream_that_fails_its_check_is_quarantined_whole() {
    for damage in ["middle", "checksum"] {
        let scratch = Scratch::new(&format!("corrupt-{damage}"));
        let logs = scratch.path("logs");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(logs.join("good.jsonl"), product_lines(100, "g")).unwrap();
        let mut bytes = gzip(&product_lines(2000, "e"));
        match damage {
            // One byte of the stored CRC-32: every line decodes, the check fails.
            "checksum" => {
                let at = bytes.len() - 6;
                bytes[at] ^= 1;
            }
            _ => {
                let middle = bytes.len() / 2;
                for byte in &mut bytes[middle..middle + 64] {
                    *byte ^= 0x5a;
                }
            }
        }
        std::fs::write(logs.join("broken.jsonl.gz"), &bytes).unwrap();
        let lake = scratch.path("lake");
        // By default a run that quarantines this much fails, naming why.
        let failed = run(&RunConfig::new(&logs, &lake)).unwrap_err();
        let message = format!("{:#}", failed.error);
        assert!(
            message.contains("corrupt_compressed"),
            "{damage}: {message}"
        );
        assert!(!lake.join("raw/_manifest.json").exists(), "{damage}");
        // Allowed, the run keeps the good file only, and says so.
        let mut config = RunConfig::new(&logs, scratch.path("lake-allowed"));
        config.max_quarantined_share = 1.0;
        let report = run(&config).unwrap();
        assert_eq!(report.quality.valid_events, 100, "{damage}");
        let views: u64 = read_views(&config.out)["2024-01-15"].values().sum();
        assert_eq!(views, 100, "{damage}: only the good file's views");
        assert!(
            report.quality.quarantined["corrupt_compressed"] >= 1,
            "{damage}"
        );
        let quarantine = std::fs::read_to_string(
            config
                .out
                .join("raw/_quarantine/part-00000-broken.jsonl.gz.jsonl"),
        )
        .unwrap();
        assert!(
            quarantine.contains("the compressed stream is corrupt"),
            "{quarantine}"
        );
    }
}

/// Issue 25: a run whose every line is quarantined (the wrong `--field`)
/// used to complete with exit 0; it fails, naming the reason.
#[test]
fn a_run_that_quarantines_everything_fails() {
    let scratch = Scratch::new("all-quarantined");
    let logs = scratch.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("a.jsonl"), product_lines(50, "e")).unwrap();
    let lake = scratch.path("lake");
    let ran = common::pipecalc()
        .args(["run", "--input"])
        .arg(&logs)
        .arg("--out")
        .arg(&lake)
        .args(["--field", "timestamp=ts", "--max-quarantined", "100%"])
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(stderr.contains("no valid event in 50 line(s)"), "{stderr}");
    assert!(stderr.contains("missing_timestamp: 50"), "{stderr}");
    assert!(!lake.join("views").exists());
}

/// Issue 25: the quarantine threshold is stated and on by default.
#[test]
fn a_run_above_the_quarantine_threshold_fails_and_below_it_warns() {
    let scratch = Scratch::new("threshold");
    let logs = scratch.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut lines = product_lines(90, "e");
    lines.push_str(&"{\"broken\n".repeat(10));
    std::fs::write(logs.join("a.jsonl"), lines).unwrap();
    let run_with = |lake: &str, threshold: Option<&str>| {
        let mut command = common::pipecalc();
        command
            .args(["run", "--input"])
            .arg(&logs)
            .arg("--out")
            .arg(scratch.path(lake));
        if let Some(threshold) = threshold {
            command.args(["--max-quarantined", threshold]);
        }
        command.output().unwrap()
    };
    let failed = run_with("default", None);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("10 of 100 lines were quarantined (10.0%, above --max-quarantined 5%)"),
        "{stderr}"
    );
    let allowed = run_with("allowed", Some("20%"));
    assert_eq!(allowed.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&allowed.stderr);
    assert!(
        stderr.contains("warning: 10 of 100 lines quarantined (malformed_json: 10)"),
        "{stderr}"
    );
}

#[test]
fn a_bad_product_pattern_is_refused_at_start_up_and_skips_are_warned() {
    let scratch = Scratch::new("foreign-cli");
    let logs = shop_logs(&scratch);
    let lake = scratch.path("lake");
    let pipecalc = env!("CARGO_BIN_EXE_pipecalc");
    let bad = Command::new(pipecalc)
        .args(["run", "--input"])
        .arg(&logs)
        .arg("--out")
        .arg(&lake)
        .args(["--product-pattern", "^/product/[0-9]+$"])
        .output()
        .unwrap();
    // A bad pattern is a usage error (exit 2), refused before anything runs.
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("0 capture groups"));
    assert!(!lake.exists(), "a refused run writes nothing");

    let ran = Command::new(pipecalc)
        .args(["run", "--input"])
        .arg(&logs)
        .arg("--out")
        .arg(&lake)
        .args([
            "--product-pattern",
            r"^/product/([0-9]+)(?:[?#].*)?$",
            "--field",
            "event_id=id",
            "--field",
            "page=url",
            "--field",
            "timestamp=ts",
            "--field",
            "action=type",
            "--max-quarantined",
            "10%",
        ])
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(stderr.contains("warning: not read: notes.csv"), "{stderr}");
    // What the user's pattern costs is measured on the pages the run read
    // (issue 32: a sample page could be 120× low) and said.
    assert!(
        stderr.contains("--product-pattern took")
            && stderr.contains("product pages this run read")
            && stderr.contains("where the built-in rule takes"),
        "{stderr}"
    );
}
