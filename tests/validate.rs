//! `validate` end to end on a small sample: rows and bytes predicted from
//! the calibrated scenario come within tolerance of the measured run, and
//! the report has its structure. Timings are redacted in the snapshot,
//! never asserted.

use pipecalc::study::hold::{FigureKind, Tolerances};
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
        .find(|f| f.name == FigureKind::BytesIn && f.stage == "ingest")
        .unwrap();
    assert!(input.within_tolerance, "{input:?}");
    for figure in figures
        .iter()
        .filter(|f| !f.within_tolerance && f.name != FigureKind::RowsIn)
    {
        if figure.name != FigureKind::BytesIn {
            assert!(
                figure.cause.is_some()
                    || figure.stage == "pipeline"
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
    assert_eq!(validation.fits.len(), 5);
    assert!(validation
        .fits
        .iter()
        .all(|f| f.amdahl_serial_fraction.is_some()));
    assert!(validation.fits.iter().all(|f| f.usl_contention.is_none()));

    // The JSON shape, with what varies between runs redacted.
    let mut json = serde_json::to_value(pipecalc::views::validate::json(&validation)).unwrap();
    let schema = pipecalc::views::schema::schema("validate").unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    json["calibrated_scenario"] = "[machine-specific]".into();
    for figure in json["figures"].as_array_mut().unwrap() {
        if matches!(
            figure["name"].as_str(),
            Some("time_s" | "peak_memory_bytes")
        ) {
            for key in [
                "predicted",
                "measured",
                "error_pct",
                "within_tolerance",
                "verdict",
                "cause",
            ] {
                // Whether a timing has a cause depends on the timing itself.
                figure[key] = "[timing]".into();
            }
        }
    }
    for stage in json["fit"]["stages"].as_array_mut().unwrap() {
        for key in [
            "measured_s",
            "speedup",
            "amdahl_serial_fraction",
            "amdahl_predicted_s",
        ] {
            stage[key] = "[timing]".into();
        }
    }
    // What a second worker adds is a memory reading: from 0 to 1 a stage.
    let shares = json["worker_memory_shares"].as_array_mut().unwrap();
    assert_eq!(shares.len(), 4);
    for share in shares {
        let value = share["share"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&value), "{share}");
        share["share"] = "[memory]".into();
    }
    json["all_within_tolerance"] = "[depends on timings]".into();
    json["passes"] = "[depends on timings]".into();
    // The machine's load is a reading, not a result; with one run per
    // measurement there is no spread, so no figure carries noise.
    for key in [
        "load_average_before",
        "load_average_after",
        "other_processes_cores",
        "cores",
    ] {
        json["machine_load"][key] = "[machine]".into();
    }
    assert!(json["figures"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f.get("noise_pct").is_none()));
    insta::assert_json_snapshot!(json);
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
        pipecalc::study::calibrate::calibrate_from(&scratch.join("lake"), None, false).unwrap();
    let written: Vec<f64> = calibration
        .yaml
        .lines()
        .filter_map(|line| line.trim().strip_prefix("working_set: "))
        .map(|size| size.trim_end_matches(" MB").parse::<f64>().unwrap() * 1e6)
        .collect();
    match report.process_base_memory_bytes {
        // Where memory is measured (Linux): each stage's peak less the start, halved.
        Some(base) => {
            assert_eq!(written.len(), report.stages.len());
            for (stage, working_set) in report.stages.iter().zip(&written) {
                let expected = pipecalc::study::calibrate::per_worker_memory(
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
