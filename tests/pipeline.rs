//! The reference pipeline against the generator's ground truth: the
//! generator knows what it wrote, so every count has an independent oracle.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{contents, read_views, Scratch};
use pipecalc::reference::generator::{generate, GeneratorConfig, Truth};
use pipecalc::reference::pipeline::{run, FailAt, RunConfig, RunReport, StageStatus};

fn small(events: u64) -> GeneratorConfig {
    GeneratorConfig {
        events,
        days: 2,
        seed: 11,
        ..GeneratorConfig::default()
    }
}

fn config(input: &Path, out: &Path) -> RunConfig {
    let mut config = RunConfig::new(input, out);
    config.batch_rows = 4096;
    config
}

fn generated(scratch: &Scratch, events: u64) -> (PathBuf, Truth) {
    let logs = scratch.path("logs");
    let truth = generate(&small(events), &logs).unwrap();
    (logs, truth)
}

#[test]
fn counts_and_quality_equal_the_ground_truth() {
    let scratch = Scratch::new("truth");
    let (logs, truth) = generated(&scratch, 30_000);
    let lake = scratch.path("lake");
    let report: RunReport = run(&config(&logs, &lake)).unwrap();
    assert_eq!(read_views(&lake), truth.views);
    let q = &report.quality;
    assert_eq!(q.lines, truth.lines);
    assert_eq!(q.valid_events, truth.valid_events);
    assert_eq!(
        q.quarantined.get("malformed_json").copied().unwrap_or(0),
        truth.malformed
    );
    assert_eq!(
        q.quarantined.get("missing_timestamp").copied().unwrap_or(0),
        truth.missing_field
    );
    assert_eq!(q.quarantined_total(), truth.malformed + truth.missing_field);
    assert_eq!(q.duplicates_removed, truth.duplicates);
    assert_eq!(q.null_user_id, truth.null_user);
    assert_eq!(q.late_events, truth.late);
    assert_eq!(
        q.unknown_fields.get("experiment").copied().unwrap_or(0),
        truth.drifted
    );
    assert_eq!(q.page_views, truth.page_views);
    assert_eq!(q.invalid_product_ids, truth.invalid_product);
    assert_eq!(q.non_product_page_views, truth.non_product_page_views);
    assert_eq!(
        report.output_rows,
        truth.views.values().map(|p| p.len() as u64).sum::<u64>()
    );
    // The defects were really there to find.
    assert!(truth.malformed > 0 && truth.duplicates > 0 && truth.late > 0 && truth.drifted > 0);
    // Quarantined lines are kept, with their reason.
    let quarantine = std::fs::read_dir(lake.join("raw/_quarantine"))
        .unwrap()
        .count();
    assert!(quarantine > 0);
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lake.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["quality"]["duplicates_removed"], truth.duplicates);
    assert_eq!(run_json["stages"].as_array().unwrap().len(), 4);
    let schema = pipecalc::views::schema::schema("run").unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator
        .iter_errors(&run_json)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "run.json: {problems:?}");
}

#[test]
fn the_generator_writes_the_same_bytes_for_a_seed_whatever_the_workers() {
    let scratch = Scratch::new("generator");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    one.install(|| generate(&small(5_000), &scratch.path("a")).unwrap());
    two.install(|| generate(&small(5_000), &scratch.path("b")).unwrap());
    assert_eq!(contents(&scratch.path("a")), contents(&scratch.path("b")));
    let other = GeneratorConfig {
        seed: 12,
        ..small(5_000)
    };
    generate(&other, &scratch.path("c")).unwrap();
    assert_ne!(contents(&scratch.path("a")), contents(&scratch.path("c")));
}

#[test]
fn running_twice_gives_byte_identical_outputs_and_workers_do_not_matter() {
    let scratch = Scratch::new("idempotent");
    let (logs, _) = generated(&scratch, 10_000);
    let lake = scratch.path("lake");
    run(&config(&logs, &lake)).unwrap();
    let first = contents(&lake);
    let again = run(&config(&logs, &lake)).unwrap();
    assert_eq!(again.stages[0].status, StageStatus::Kept);
    assert_eq!(contents(&lake), first);
    let mut two = config(&logs, &scratch.path("lake2"));
    two.workers = 2;
    run(&two).unwrap();
    assert_eq!(contents(&scratch.path("lake2")), first);
}

#[test]
fn deduplication_spilled_to_disk_gives_the_same_bytes_as_in_memory() {
    let scratch = Scratch::new("dedup-spill");
    let (logs, truth) = generated(&scratch, 20_000);
    let memory = scratch.path("in-memory");
    let in_memory = run(&config(&logs, &memory)).unwrap();
    // 1,000 keys in memory: each date's ~10K rows go through 32 spilled
    // hash partitions.
    let mut spilled_config = config(&logs, &scratch.path("spilled"));
    spilled_config.dedup_memory_keys = 1_000;
    spilled_config.workers = 2;
    let spilled = run(&spilled_config).unwrap();
    assert_eq!(spilled.quality.duplicates_removed, truth.duplicates);
    assert_eq!(
        spilled.quality.duplicates_removed,
        in_memory.quality.duplicates_removed
    );
    let (a, b) = (contents(&memory), contents(&scratch.path("spilled")));
    for (name, bytes) in &a {
        if name.ends_with(".parquet") {
            assert_eq!(Some(bytes), b.get(name), "{name}");
        }
    }
    // The spill files are gone once the stage is done.
    assert!(
        b.keys().all(|name| !name.contains("keys-")),
        "{:?}",
        b.keys()
    );
}

#[test]
fn a_crash_at_half_the_transform_resumes_to_the_clean_result() {
    let scratch = Scratch::new("resume");
    let (logs, _) = generated(&scratch, 10_000);
    let clean = scratch.path("clean");
    run(&config(&logs, &clean)).unwrap();

    let lake = scratch.path("lake");
    let mut crashing = config(&logs, &lake);
    crashing.fail_at = Some("transform:0.5".parse::<FailAt>().unwrap());
    let failure = run(&crashing).unwrap_err();
    let message = format!("{:#}", failure.error);
    assert!(
        message.contains("injected failure in transform at 50%"),
        "{message}"
    );
    assert_eq!(failure.report.stages.len(), 1, "only ingest finished");
    // Nothing half-written is visible: no processed output, no final output.
    assert!(lake.join("raw/_manifest.json").exists());
    assert!(!lake.join("processed").exists());
    assert!(!lake.join("views").exists());

    let mut resuming = config(&logs, &lake);
    resuming.resume = true;
    let report = run(&resuming).unwrap();
    assert_eq!(report.stages[0].status, StageStatus::Resumed);
    assert_eq!(report.stages[1].status, StageStatus::Ran);
    let without_staging = |dir: &Path| {
        contents(dir)
            .into_iter()
            .filter(|(name, _)| !name.starts_with(".staging"))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(without_staging(&lake), without_staging(&clean));
}

#[test]
fn transient_read_failures_are_retried_and_counted() {
    let scratch = Scratch::new("retries");
    let (logs, truth) = generated(&scratch, 2_000);
    let mut flaky = config(&logs, &scratch.path("lake"));
    flaky.inject_read_failures = 2;
    let report = run(&flaky).unwrap();
    assert_eq!(report.quality.read_retries, 2);
    assert_eq!(read_views(&scratch.path("lake")), truth.views);

    // More failures than files: each file fails once and is retried once,
    // so the run loses nothing (issue 9, item 11).
    let mut every_file = config(&logs, &scratch.path("lake2"));
    every_file.inject_read_failures = 1000;
    every_file.retries = 2;
    let report = run(&every_file).unwrap();
    let files = std::fs::read_dir(&logs)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".jsonl")
        })
        .count() as u64;
    assert_eq!(report.quality.read_retries, files);
    assert_eq!(read_views(&scratch.path("lake2")), truth.views);

    // No retries allowed: the first injected failure stops the run.
    let mut hopeless = config(&logs, &scratch.path("lake3"));
    hopeless.inject_read_failures = 1;
    hopeless.retries = 1;
    let failure = run(&hopeless).unwrap_err();
    assert!(format!("{:#}", failure.error).contains("failed after 1 attempt(s)"));
}

#[test]
fn bad_input_is_a_clear_message_or_a_quarantined_line() {
    let scratch = Scratch::new("bad");
    let missing = run(&config(&scratch.path("nowhere"), &scratch.path("lake"))).unwrap_err();
    assert!(format!("{:#}", missing.error).contains("does not exist"));
    std::fs::create_dir_all(scratch.path("empty")).unwrap();
    let empty = run(&config(&scratch.path("empty"), &scratch.path("lake"))).unwrap_err();
    assert!(format!("{:#}", empty.error).contains("no log files"));

    let logs = scratch.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let good = r#"{"event_id":"e1","user_id":"u1","page":"/product/p000001","timestamp":"2024-01-15T10:00:00.000Z","action":"page_view"}"#;
    // A binary file, a 10 MB line, and a truncated last line.
    std::fs::write(
        logs.join("2024-01-15T09.jsonl"),
        [0u8, 159, 146, 150, 255, 10, 1, 2, 3],
    )
    .unwrap();
    let long = format!("{good}\n{{\"event_id\":\"{}\"}}\n", "x".repeat(10 << 20));
    std::fs::write(logs.join("2024-01-15T10.jsonl"), long).unwrap();
    std::fs::write(
        logs.join("2024-01-15T11.jsonl"),
        format!("{good}\n{}", &good[..50]),
    )
    .unwrap();
    let lake = scratch.path("lake");
    // Four bad lines of seven, by design: past the default 5%.
    let mut allowed = config(&logs, &lake);
    allowed.max_quarantined_share = 1.0;
    let report = run(&allowed).unwrap();
    let q = &report.quality;
    // The binary file: its first line is not UTF-8, its second (bytes 1, 2,
    // 3) is text but not JSON; the truncated last line is malformed too.
    assert_eq!(q.quarantined["not_utf8"], 1);
    assert_eq!(q.quarantined["too_long"], 1);
    assert_eq!(q.quarantined["malformed_json"], 2);
    assert_eq!(q.duplicates_removed, 1);
    assert_eq!(read_views(&lake)["2024-01-15"]["p000001"], 1);
}

#[test]
fn many_batches_per_partition_read_back_whole() {
    // Small batches make every stage flush many times into one file.
    let scratch = Scratch::new("batches");
    let (logs, truth) = generated(&scratch, 20_000);
    let lake = scratch.path("lake");
    let mut tiny = config(&logs, &lake);
    tiny.batch_rows = 500;
    tiny.row_group_rows = 700;
    run(&tiny).unwrap();
    assert_eq!(read_views(&lake), truth.views);
}

/// The calculator's quality figures against what the pipeline measures (the
/// generator's truth, which the pipeline's counts equal exactly, above):
/// each count within 1%, or within three binomial standard deviations where
/// the count is too small for 1% to be more than noise.
#[test]
fn the_calculator_predicts_the_quality_counts_the_pipeline_measures() {
    let scratch = Scratch::new("quality-predicted");
    let config = GeneratorConfig {
        events: 100_000,
        days: 1,
        seed: 21,
        ..GeneratorConfig::default()
    };
    let truth = generate(&config, &scratch.path("logs")).unwrap();
    // The generator's shares, as shares of the lines the pipeline reads.
    let clean = 1.0 - config.malformed_share - config.missing_field_share;
    let d = config.duplicate_share;
    let per_line = 1.0 + clean * d;
    let null_share = config.null_user_share * clean * (1.0 + d) / per_line;
    let duplicate_share = clean * d / per_line;
    // Invalid product ids: page views on a product page with a bad id,
    // counted once however many times the line was written.
    let invalid_share =
        clean * config.page_view_share * config.product_page_share * config.invalid_product_share
            / per_line;
    let scenario = format!(
        "
volume: {{ events_per_day: {}, event_size: 500 B }}
stages:
  - {{ name: ingest, bound: io, input: bytes, duration: 1 min }}
prices: {{ compute_usd_per_worker_hour: 0.5 }}
quality: {{ null_keys: {null_share}, duplicates: {duplicate_share}, invalid: {invalid_share} }}
",
        truth.lines
    );
    let scenario = pipecalc::parse(&scenario, "quality.yaml").unwrap();
    let quality = pipecalc::estimate(&scenario).quality.unwrap();
    for (name, predicted, measured) in [
        (
            "null keys",
            quality.null_rows_per_day.unwrap().base(),
            truth.null_user as f64,
        ),
        (
            "duplicates",
            quality.duplicate_rows_per_day.unwrap().base(),
            truth.duplicates as f64,
        ),
        (
            "invalid product ids",
            quality.invalid_rows_per_day.unwrap().base(),
            truth.invalid_product as f64,
        ),
    ] {
        let allowed = (0.01 * predicted).max(3.0 * predicted.sqrt());
        assert!(
            (predicted - measured).abs() <= allowed,
            "{name}: predicted {predicted}, measured {measured} (allowed ±{allowed})"
        );
    }
}
