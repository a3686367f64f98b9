//! Snapshots of every command in every format on every bundled scenario,
//! and of the error every bad scenario gets.

use std::path::{Path, PathBuf};

mod common;

use common::report as output;
use pipecalc::commands::{self, WhatIf};
use pipecalc::report::Format;

/// The path as a user would type it from the project root, so snapshots do
/// not depend on where the project is checked out.
fn relative(path: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .expect("inside the project")
        .to_path_buf()
}

const FORMATS: [(Format, &str); 5] = [
    (Format::Table, "table"),
    (Format::Markdown, "markdown"),
    (Format::Json, "json"),
    (Format::Csv, "csv"),
    (Format::Html, "html"),
];

#[test]
fn every_command_in_every_format_on_every_bundled_scenario() {
    insta::glob!("../scenarios", "*.yaml", |path| {
        let path = relative(path);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        for (format, name) in FORMATS {
            for explain in [false, true] {
                // CSV is the rows of the JSON; --explain adds nothing to it.
                if explain && format == Format::Csv {
                    continue;
                }
                let suffix = if explain { "_explain" } else { "" };
                let out = output(format, explain);
                let estimate = commands::estimate(&path, &WhatIf::default(), &out).unwrap();
                insta::assert_snapshot!(format!("{stem}.estimate.{name}{suffix}"), estimate);
                // The side-by-side commands: explain in one format is enough.
                if explain && format != Format::Table {
                    continue;
                }
                let scale = commands::scale(&path, None, None, None, &out).unwrap();
                insta::assert_snapshot!(format!("{stem}.scale.{name}{suffix}"), scale);
                let workers = commands::workers(&path, None, None, &out).unwrap();
                insta::assert_snapshot!(format!("{stem}.workers.{name}{suffix}"), workers);
                let growth = commands::growth(&path, 5, None, None, &out).unwrap();
                insta::assert_snapshot!(format!("{stem}.growth.{name}{suffix}"), growth);
            }
        }
    });
}

#[test]
fn compare_every_bundled_scenario_against_the_lecture() {
    let mut paths = common::bundled_scenarios();
    // The lecture's scenario is the baseline.
    paths.sort_by_key(|p| p != Path::new("scenarios/clickstream.yaml"));
    for (format, name) in FORMATS {
        let text = commands::compare(&paths, &output(format, false)).unwrap();
        insta::assert_snapshot!(format!("compare.{name}"), text);
    }
}

#[test]
fn bad_scenarios_get_one_clear_error() {
    insta::glob!("bad", "*.yaml", |path| {
        let path = relative(path);
        let error = pipecalc::load(&path).expect_err("every file under tests/bad is invalid");
        let chain: Vec<String> = error.chain().map(|cause| cause.to_string()).collect();
        // The file is named first; the field and its line follow.
        assert!(chain[0].contains(&path.display().to_string()), "{chain:?}");
        insta::assert_snapshot!(chain.join("\ncaused by: "));
    });
}

#[test]
fn inspect_every_spark_fixture_in_every_format() {
    // A committed event log is a fixed record: its timings do not change,
    // so nothing needs redacting.
    for fixture in ["small-1core", "big-2core", "edge/odd.inprogress"] {
        let path = Path::new("tests/fixtures/spark").join(fixture);
        let stem = fixture.replace('/', "-");
        for (format, name) in FORMATS {
            let (text, warnings) = commands::inspect(&path, None, &output(format, false)).unwrap();
            insta::assert_snapshot!(
                format!("inspect.{stem}.{name}"),
                format!("{text}\n--- warnings ---\n{}", warnings.join("\n"))
            );
        }
    }
}

#[test]
fn calibrate_and_validate_from_the_spark_fixtures_in_every_format() {
    let spark = Path::new("tests/fixtures/spark");
    let yaml = commands::calibrate(
        &pipecalc::study::validate::CalibrateOptions {
            events: 200_000,
            workers: 1,
            repeat: 3,
            seed: 7,
        },
        &commands::CalibrateFrom {
            runs: vec![spark.join("small-1core")],
            ..Default::default()
        },
        None,
        false,
    )
    .unwrap();
    insta::assert_snapshot!("calibrate.from-spark-small-1core", yaml);
    let options = pipecalc::study::validate::ValidateOptions {
        plan: pipecalc::study::validate::Plan::Measured {
            calibrate_from: vec![spark.join("small-1core")],
            against: vec![spark.join("big-1core"), spark.join("big-2core")],
            stage_map: None,
            allow_incomplete: false,
        },
        tolerances: pipecalc::study::validate::Tolerances::default(),
        progress: false,
        binary: env!("CARGO_BIN_EXE_pipecalc").into(),
    };
    for (format, name) in FORMATS {
        let (text, within) = commands::validate(
            Path::new("scenarios/clickstream.yaml"),
            &options,
            &output(format, false),
        )
        .unwrap();
        assert!(!within);
        insta::assert_snapshot!(format!("validate.spark.{name}"), text);
    }
}
