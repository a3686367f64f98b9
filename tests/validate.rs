//! `validate` end to end on a small sample: rows and bytes predicted from
//! the calibrated scenario come within tolerance of the measured run, and
//! the report has its structure. Timings are never asserted.

use pipecalc::study::hold::{FigureKind, Scope, Tolerances};
use pipecalc::study::validate::{validate, Plan, ValidateOptions};

#[test]
fn rows_and_bytes_are_predicted_within_tolerance() {
    let options = ValidateOptions {
        plan: Plan::Generated {
            sample: 20_000,
            target: 50_000,
            workers: vec![1, 2],
            repeat: 1,
            seed: 3,
        },
        tolerances: Tolerances::default(),
        progress: false,
        binary: env!("CARGO_BIN_EXE_pipecalc").into(),
    };
    let validation = validate(&options).unwrap();
    let figures = &validation.figures;
    // Every stage's rows, in and out, within ±2%.
    let rows: Vec<_> = figures
        .iter()
        .filter(|f| matches!(f.name, FigureKind::RowsIn | FigureKind::RowsOut))
        .collect();
    assert_eq!(rows.len(), 8);
    for figure in &rows {
        assert!(figure.within_tolerance, "{figure:?}");
    }
    // The input bytes (JSON) within ±2%; Parquet bytes are compared, and a
    // miss carries its cause.
    let input = figures
        .iter()
        .find(|f| f.name == FigureKind::BytesIn && f.scope == Scope::Stage("ingest".into()))
        .unwrap();
    assert!(input.within_tolerance, "{input:?}");
    for figure in figures
        .iter()
        .filter(|f| !f.within_tolerance && f.name != FigureKind::RowsIn)
    {
        if figure.name != FigureKind::BytesIn {
            assert!(
                figure.cause.is_some()
                    || figure.scope == Scope::Pipeline
                    || figure.name == FigureKind::BytesOut,
                "{figure:?}"
            );
        }
    }
    // A time and a memory figure per stage and worker count, and the whole run.
    for workers in [1, 2] {
        let times = figures
            .iter()
            .filter(|f| f.name == FigureKind::Time && f.workers == workers)
            .count();
        assert_eq!(
            times, 5,
            "four stages and the pipeline with {workers} worker(s)"
        );
    }
    // Speed-ups are fitted per stage; USL needs three worker counts.
    assert_eq!(validation.speedups.len(), 5);
    assert!(validation
        .speedups
        .iter()
        .all(|f| f.amdahl_serial_fraction.is_some()));
    assert!(validation
        .speedups
        .iter()
        .all(|f| f.usl_contention.is_none()));
    // Calibrated on two sizes, one run each: no spread to judge with, and
    // a fixed cost told from the work that grows.
    assert_eq!(validation.calibration.groups.len(), 2);
    assert!(validation
        .calibration
        .groups
        .iter()
        .all(|g| g.runs.len() == 1));
    for stage in &validation.calibration.stages {
        let undecided = &stage.time.quiet.undecided;
        assert!(
            undecided.iter().all(|u| u.contains("serial work")),
            "{undecided:?}"
        );
    }

    // The JSON is the validation's own serialization, as its schema says.
    let json = serde_json::to_value(pipecalc::views::validate::json(&validation)).unwrap();
    let schema = pipecalc::views::schema::schema("validate").unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(json["calibrated_scenario"]
        .as_str()
        .unwrap()
        .contains("keys_max: 50000"));
    // What a second worker adds is a memory reading: from 0 to 1 a stage.
    let shares = json["worker_memory_shares"].as_array().unwrap();
    assert_eq!(shares.len(), 4);
    for share in shares {
        let value = share["share"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&value), "{share}");
    }
    // One run a measurement: no spread, so no figure's repeats spread.
    assert!(validation
        .figures
        .iter()
        .all(|f| f.repeats.is_none_or(|r| r.spread_pct().is_none())));
}

/// A pipecalc run read back with `calibrate --from`: each working set is
/// what a worker added above the process's start, the same as a generated
/// sample's, so validate can add the start back once for N workers.
#[test]
fn a_measured_pipecalc_run_calibrates_a_working_set_per_worker() {
    use pipecalc::reference::generator::{generate, GeneratorConfig};
    use pipecalc::reference::pipeline::{run, RunConfig};
    let scratch =
        std::env::temp_dir().join(format!("pipecalc-test-per-worker-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let config = GeneratorConfig {
        events: 5_000,
        days: 1,
        seed: 11,
        ..GeneratorConfig::default()
    };
    generate(&config, &scratch.join("logs")).unwrap();
    let mut run_config = RunConfig::new(scratch.join("logs"), scratch.join("lake"));
    run_config.workers = 2;
    let report = run(&run_config).map_err(|f| f.error).unwrap();
    let calibration =
        pipecalc::study::calibrate::from_runs(&[scratch.join("lake")], None, false).unwrap();
    let yaml = pipecalc::views::calibration::yaml(&calibration).unwrap();
    let written: Vec<f64> = yaml
        .lines()
        .filter_map(|line| line.trim().strip_prefix("working_set: "))
        .map(|size| size.trim_end_matches(" MB").parse::<f64>().unwrap() * 1e6)
        .collect();
    match report.process_base_memory_bytes {
        // Where memory is measured (Linux): each stage's peak less the start, halved.
        Some(base) => {
            assert_eq!(written.len(), report.stages.len());
            for (stage, working_set) in report.stages.iter().zip(&written) {
                let expected = pipecalc::study::run::per_worker_memory(
                    stage.peak_memory_bytes.unwrap(),
                    Some(base),
                    2,
                );
                assert!(
                    (working_set - expected).abs() <= expected * 1e-5,
                    "{}: {working_set} written, {expected} expected",
                    stage.name
                );
                assert!(*working_set < stage.peak_memory_bytes.unwrap() as f64);
            }
        }
        // Elsewhere nothing is measured and no working set is written.
        None => assert!(written.is_empty()),
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
