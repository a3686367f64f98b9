//! Snapshots, one axis at a time: every command on every bundled scenario
//! (table and JSON), every format of every command on the lecture's
//! scenario, and the error every bad scenario gets.

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

/// One axis at a time: every bundled scenario through every command, in
/// the table (estimate with its working) and as JSON (the contract). The
/// renderers have tests of their own, so a change to a model moves one
/// snapshot a scenario and command, not one a format.
#[test]
fn every_command_on_every_bundled_scenario() {
    insta::glob!("../scenarios", "*.yaml", |path| {
        let path = relative(path);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let table = output(Format::Table, true);
        let json = output(Format::Json, false);
        let estimate = commands::estimate(&path, &WhatIf::default(), &table).unwrap();
        insta::assert_snapshot!(format!("{stem}.estimate.table_explain"), estimate);
        let estimate = commands::estimate(&path, &WhatIf::default(), &json).unwrap();
        insta::assert_snapshot!(format!("{stem}.estimate.json"), estimate);
        let table = output(Format::Table, false);
        let scale = commands::scale(&path, None, None, None, &table).unwrap();
        insta::assert_snapshot!(format!("{stem}.scale.table"), scale);
        let workers = commands::workers(&path, None, None, &table).unwrap();
        insta::assert_snapshot!(format!("{stem}.workers.table"), workers);
        let growth = commands::growth(&path, 5, None, None, &table).unwrap();
        insta::assert_snapshot!(format!("{stem}.growth.table"), growth);
    });
}

/// The other axis: every command in every format, with and without its
/// working, on the lecture's scenario; and the estimate's charts (Markdown
/// and HTML) on the plans whose reports have the most parts: a hybrid and
/// an ELT plan.
#[test]
fn every_format_of_every_command_on_the_lecture() {
    let lecture = Path::new("scenarios/clickstream.yaml");
    for (format, name) in FORMATS {
        for explain in [false, true] {
            // CSV is the rows of the JSON; --explain adds nothing to it.
            if explain && format == Format::Csv {
                continue;
            }
            let suffix = if explain { "_explain" } else { "" };
            let out = output(format, explain);
            let estimate = commands::estimate(lecture, &WhatIf::default(), &out).unwrap();
            insta::assert_snapshot!(format!("lecture.estimate.{name}{suffix}"), estimate);
            let scale = commands::scale(lecture, None, None, None, &out).unwrap();
            insta::assert_snapshot!(format!("lecture.scale.{name}{suffix}"), scale);
            let workers = commands::workers(lecture, None, None, &out).unwrap();
            insta::assert_snapshot!(format!("lecture.workers.{name}{suffix}"), workers);
            let growth = commands::growth(lecture, 5, None, None, &out).unwrap();
            insta::assert_snapshot!(format!("lecture.growth.{name}{suffix}"), growth);
        }
    }
    for stem in ["clickstream-hybrid", "clickstream-elt"] {
        let path = PathBuf::from(format!("scenarios/{stem}.yaml"));
        for (format, name) in [(Format::Markdown, "markdown"), (Format::Html, "html")] {
            let out = output(format, false);
            let estimate = commands::estimate(&path, &WhatIf::default(), &out).unwrap();
            insta::assert_snapshot!(format!("{stem}.estimate.{name}"), estimate);
        }
    }
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
        &pipecalc::study::calibrate::CalibrateOptions {
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
        tolerances: pipecalc::study::hold::Tolerances::default(),
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
