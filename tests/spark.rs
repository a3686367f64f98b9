//! Real Spark runs, read from their event logs with no JVM.
//!
//! `spark/clickstream.py` (the lecture's job in PySpark, Spark 4.3, local
//! mode) ran on generated logs at two sizes and two core counts; its rolling
//! zstd event logs are committed under `tests/fixtures/spark/` beside the
//! generator's truth (`spark/make_fixtures.py` wrote them, after checking
//! that Spark's views equal `pipecalc run`'s row for row). The edge cases
//! under `edge/` are hand-trimmed from the small log by the same script;
//! `cluster/` holds runs on a standalone cluster (`spark/runs.py`), and
//! `faults/` a run that lost an executor and a log copied mid-run
//! (`spark/faults.py`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use pipecalc::reference::spark::{read_run, BytesSource, Mapping};

fn fixture(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spark")).join(name)
}

fn truth(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name).join("truth.json")).unwrap())
        .unwrap()
}

fn count(truth: &serde_json::Value, key: &str) -> u64 {
    truth["truth"][key].as_u64().unwrap()
}

#[test]
fn every_fixture_per_stage_equals_the_generator_s_truth() {
    for name in ["small-1core", "big-1core", "big-2core"] {
        let truth = truth(name);
        let run = read_run(&fixture(name)).unwrap();
        assert_eq!(run.mapping(), Some(Mapping::Tagged), "{name}");
        assert!(run.warnings.is_empty(), "{name}: {:?}", run.warnings);
        let stages = &run.report.stages;
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["ingest", "transform", "aggregate", "load"],
            "{name}"
        );
        // Spark's DROPMALFORMED drops the cut-short lines before counting.
        assert_eq!(
            stages[0].rows_in,
            count(&truth, "lines") - count(&truth, "malformed"),
            "{name}"
        );
        // Its JSON scan reads every byte of the logs.
        assert_eq!(stages[0].bytes_in, count(&truth, "bytes"), "{name}");
        // Ingest keeps the valid events, duplicates included.
        assert_eq!(stages[0].rows_out, count(&truth, "valid_events"), "{name}");
        // Transform keeps each distinct valid product page view once.
        assert_eq!(stages[1].rows_in, stages[0].rows_out, "{name}");
        assert_eq!(stages[1].rows_out, count(&truth, "views_counted"), "{name}");
        // One row per (date, product), aggregated and loaded.
        assert_eq!(stages[2].rows_out, count(&truth, "view_keys"), "{name}");
        assert_eq!(stages[3].rows_out, count(&truth, "view_keys"), "{name}");
        assert_eq!(
            run.report.workers as u64,
            truth["cores"].as_u64().unwrap(),
            "{name}"
        );
        // Parquet read from files: the SQL metric, which equals what the
        // stage before wrote (the tasks' `Bytes Read` undercounts it).
        let spark = run.spark.as_ref().unwrap();
        for pair in stages.windows(2) {
            assert_eq!(
                pair[1].bytes_in, pair[0].bytes_out,
                "{name}: {}",
                pair[1].name
            );
        }
        assert!(spark
            .stages
            .iter()
            .all(|s| s.bytes_in_source == BytesSource::SqlFilesRead));
        // Timings and memory are measured, never 0 standing for "not measured".
        for stage in stages {
            assert!(stage.wall_s > 0.0, "{name}: {}", stage.name);
            assert!(
                stage.cpu_s.is_some_and(|c| c > 0.0),
                "{name}: {}",
                stage.name
            );
            assert!(stage.peak_memory_bytes.is_some(), "{name}: {}", stage.name);
        }
        // The application's start-up and shutdown are apart from the stages.
        let app = &spark.application;
        let in_stages: f64 = stages.iter().map(|s| s.wall_s).sum();
        assert!((app.in_stages_s - in_stages).abs() < 1e-9);
        assert!(app.wall_s.unwrap() > in_stages, "{name}");
        assert!(app.outside_stages_s.unwrap() > 0.0, "{name}");
        assert_eq!(app.spark_version.as_deref(), Some("4.3.0"));
    }
}

#[test]
fn a_two_part_rolling_log_reads_as_the_whole() {
    let whole = read_run(&fixture("small-1core")).unwrap();
    let parts = read_run(&fixture("edge/eventlog_v2_local-two-parts")).unwrap();
    assert_eq!(parts.report.stages, whole.report.stages);
    assert!(parts.warnings.is_empty(), "{:?}", parts.warnings);
}

#[test]
fn an_odd_log_is_read_with_warnings_and_nothing_made_up() {
    let whole = read_run(&fixture("small-1core")).unwrap();
    let odd = read_run(&fixture("edge/odd.inprogress")).unwrap();
    let warned = |text: &str| odd.warnings.iter().any(|w| w.contains(text));
    assert!(warned("still being written"), "{:?}", odd.warnings);
    assert!(warned("truncated last line"), "{:?}", odd.warnings);
    assert!(warned("1 task attempt(s) failed"), "{:?}", odd.warnings);
    assert_eq!(
        odd.report.status,
        pipecalc::reference::metrics::RunStatus::Incomplete
    );
    // The failed attempt's 999,999 records are not counted; its retry's are.
    assert_eq!(odd.report.stages[0].rows_in, whole.report.stages[0].rows_in);
    let spark = odd.spark.as_ref().unwrap();
    assert_eq!(spark.stages[0].failed_tasks, 1);
    // The aggregate's tasks carry no `Peak Execution Memory`: not measured.
    assert_eq!(odd.report.stages[2].peak_memory_bytes, None);
    assert!(odd.report.stages[1].peak_memory_bytes.is_some());
    // No end: the application's wall is not measured, not 0.
    assert_eq!(spark.application.wall_s, None);
    assert_eq!(spark.application.outside_stages_s, None);
}

#[test]
fn untagged_stages_are_named_by_their_sql_executions() {
    let run = read_run(&fixture("edge/untagged.json")).unwrap();
    assert_eq!(run.mapping(), Some(Mapping::SqlDescription));
    let names: Vec<&str> = run.report.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names[0].ends_with("(SQL 0)"), "{names:?}");
    assert!(names.contains(&"untagged jobs"), "{names:?}");
    let whole = read_run(&fixture("small-1core")).unwrap();
    let rows_out: Vec<u64> = run
        .report
        .stages
        .iter()
        .filter(|s| s.name != "untagged jobs")
        .map(|s| s.rows_out)
        .collect();
    let tagged: Vec<u64> = whole.report.stages.iter().map(|s| s.rows_out).collect();
    assert_eq!(rows_out, tagged);
}

fn pipecalc(args: &[&str], path: &Path) -> std::process::Output {
    common::pipecalc().args(args).arg(path).output().unwrap()
}

#[test]
fn inspect_prints_it_and_refuses_what_is_not_a_log() {
    let shown = pipecalc(&["inspect"], &fixture("small-1core"));
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("mapped: stages from the `pipecalc.stage` tags"),
        "{text}"
    );
    assert!(
        text.contains("outside them (start-up, driver, shutdown)"),
        "{text}"
    );
    assert!(
        !text.contains("Data quality"),
        "Spark's log holds no quality counts"
    );

    let json = pipecalc(&["inspect", "--format", "json"], &fixture("big-2core"));
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(document["source"], "spark_event_log");
    assert_eq!(document["quality"], serde_json::Value::Null);
    assert_eq!(document["spark"]["application"]["mapping"], "tagged");
    assert_eq!(document["workers"], 2);

    let empty = std::env::temp_dir().join(format!("pipecalc-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    for (path, says) in [
        (empty.clone(), "is empty"),
        (
            fixture("edge/corrupt.zstd"),
            "zstd data is corrupt or cut short",
        ),
        (fixture("edge/not-spark.json"), "no Spark listener events"),
        (fixture("edge/missing"), "does not exist"),
    ] {
        let refused = pipecalc(&["inspect"], &path);
        assert_eq!(refused.status.code(), Some(1), "{}", path.display());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(says), "{}: {stderr}", path.display());
        assert!(refused.stdout.is_empty());
    }
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn inspect_reads_a_pipecalc_run_as_its_run_json_says() {
    let dir = std::env::temp_dir().join(format!("pipecalc-inspect-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bin = env!("CARGO_BIN_EXE_pipecalc");
    let ok = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (logs, lake) = (dir.join("logs"), dir.join("lake"));
    ok(&[
        "generate",
        "--events",
        "3000",
        "--seed",
        "3",
        "--out",
        logs.to_str().unwrap(),
    ]);
    ok(&[
        "run",
        "--input",
        logs.to_str().unwrap(),
        "--out",
        lake.to_str().unwrap(),
    ]);
    let run = read_run(&lake).unwrap();
    assert!(run.spark.is_none());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lake.join("run.json")).unwrap()).unwrap();
    for (stage, record) in run
        .report
        .stages
        .iter()
        .zip(written["stages"].as_array().unwrap())
    {
        assert_eq!(stage.rows_out, record["rows_out"].as_u64().unwrap());
        assert_eq!(stage.bytes_in, record["bytes_in"].as_u64().unwrap());
    }
    let shown = pipecalc(&["inspect", "--format", "json"], &lake.join("run.json"));
    let document: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(document["source"], "pipecalc_run");
    assert_eq!(document["quality"], written["quality"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn run_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pipecalc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_scenario_calibrated_from_a_spark_run_gives_that_run_back() {
    let first = run_cli(&["calibrate", "--from", "tests/fixtures/spark/small-1core"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // Same log, same scenario, byte for byte.
    let again = run_cli(&["calibrate", "--from", "tests/fixtures/spark/small-1core"]);
    assert_eq!(first.stdout, again.stdout);
    let yaml = String::from_utf8(first.stdout).unwrap();
    assert!(yaml.contains("time outside the stages"), "{yaml}");

    // At its own volume and workers, the calculator reproduces what the run
    // measured: each stage's rows out and wall time.
    let scenario = pipecalc::scenario::parse(&yaml, "calibrated.yaml").unwrap();
    let estimate = pipecalc::model::checked_estimate(&scenario).unwrap();
    let run = read_run(&fixture("small-1core")).unwrap();
    for (index, stage) in run.report.stages.iter().enumerate() {
        let flow = &estimate.flow.stages[index];
        assert_eq!(flow.name, stage.name);
        assert!(
            (flow.rows_out.base() - stage.rows_out as f64).abs() < 0.5,
            "{}: {} against {}",
            stage.name,
            flow.rows_out.base(),
            stage.rows_out
        );
        let time = estimate.time.stages[index].parallel_time.base();
        assert!(
            (time - stage.wall_s).abs() / stage.wall_s < 1e-5,
            "{}: {time} against {}",
            stage.name,
            stage.wall_s
        );
    }
}

#[test]
fn validate_predicts_the_big_runs_from_the_small_one() {
    let out = run_cli(&[
        "validate",
        "scenarios/clickstream.yaml",
        "--calibrate-from",
        "tests/fixtures/spark/small-1core",
        "--against",
        "tests/fixtures/spark/big-1core",
        "--against",
        "tests/fixtures/spark/big-2core",
        "--format",
        "json",
    ]);
    // Spark's fixed costs make the linear rule miss: a check that did not pass.
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema = pipecalc::views::schema::schema("validate").unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    let calibration = &document["calibration"];
    assert_eq!(calibration["events"], 20_200);
    assert_eq!(calibration["runs"][0]["source"], "spark_event_log");
    assert_eq!(calibration["groups"].as_array().unwrap().len(), 1);
    assert_eq!(document["against"].as_array().unwrap().len(), 2);
    let targets: Vec<u64> = document["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["workers"].as_u64().unwrap())
        .collect();
    assert_eq!(targets, [1, 2]);
    let figures = document["figures"].as_array().unwrap();
    let find = |name: &str, stage: &str, workers: u64| {
        figures
            .iter()
            .find(|f| f["name"] == name && f["scope"]["stage"] == stage && f["workers"] == workers)
            .unwrap_or_else(|| panic!("no {name} of {stage} on {workers} worker(s)"))
    };
    // The volume is the run's own: ingest's rows in are exact.
    assert_eq!(find("rows_in", "ingest", 1)["error_pct"], 0.0);
    // Rows scale linearly until keys saturate: the aggregate misses, named so.
    assert!(find("rows_out", "transform", 1)["within_tolerance"] == true);
    let keys = find("rows_out", "aggregate", 1);
    assert_eq!(keys["within_tolerance"], false);
    assert_eq!(keys["cause"]["kind"], "keys_saturate");
    // The small run's time is mostly fixed cost: the big run is over-predicted,
    // and from one size nothing could tell the fixed cost apart.
    let time = find("time_s", "ingest", 1);
    assert!(time["error_pct"].as_f64().unwrap() > 25.0);
    assert_eq!(time["cause"]["kind"], "fixed_folded", "{time}");
    assert_eq!(time["cause"]["engine"], "spark_event_log");
    assert_eq!(time["cause"]["larger"], true);
    // Rows are shown once a volume; times for each group.
    assert!(figures
        .iter()
        .all(|f| !(f["workers"] == 2 && f["name"] == "rows_in")));
    // Two worker counts at one size: a speed-up to fit.
    let fits = document["speedups"].as_array().unwrap();
    assert_eq!(fits.last().unwrap()["stage"], "pipeline");
    assert_eq!(fits[0]["workers"], serde_json::json!([1, 2]));
}

#[test]
fn validate_from_runs_refuses_what_it_cannot_use() {
    // --calibrate-from needs --against, and the generated mode's options do not mix in.
    let alone = run_cli(&[
        "validate",
        "scenarios/clickstream.yaml",
        "--calibrate-from",
        "tests/fixtures/spark/small-1core",
    ]);
    assert_eq!(alone.status.code(), Some(2));
    let mixed = run_cli(&[
        "validate",
        "scenarios/clickstream.yaml",
        "--calibrate-from",
        "tests/fixtures/spark/small-1core",
        "--against",
        "tests/fixtures/spark/big-1core",
        "--sample",
        "10K",
    ]);
    assert_eq!(mixed.status.code(), Some(2));
    // A run whose stages are not the calibration's is an error, not a guess.
    let other = run_cli(&[
        "validate",
        "scenarios/clickstream.yaml",
        "--calibrate-from",
        "tests/fixtures/spark/big-1core",
        "--against",
        "tests/fixtures/spark/edge/untagged.json",
    ]);
    assert_eq!(other.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(stderr.contains("has no stage `ingest`"), "{stderr}");
    assert!(other.stdout.is_empty());
    // The same application given twice, even under another name (the
    // untagged log is the small run's), is one run: refused.
    let copy = run_cli(&[
        "validate",
        "scenarios/clickstream.yaml",
        "--calibrate-from",
        "tests/fixtures/spark/small-1core",
        "--against",
        "tests/fixtures/spark/edge/untagged.json",
    ]);
    assert_eq!(copy.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&copy.stderr);
    assert!(
        stderr.contains("are the same run (application local-1795711215852)"),
        "{stderr}"
    );
}

#[test]
fn a_stage_map_names_an_untagged_log_s_jobs() {
    // The untagged log's jobs: 0 the ingest's write, 1-3 the transform's
    // (a schema read and the write), 4-6 the aggregate's, 7-9 the load's.
    let map = std::env::temp_dir().join(format!("pipecalc-stage-map-{}.yaml", std::process::id()));
    std::fs::write(
        &map,
        "\"0\": ingest\n\"1-3\": transform\n\"4-6\": aggregate\n\"7-9\": load\n",
    )
    .unwrap();
    let parsed = pipecalc::reference::spark::StageMap::load(&map).unwrap();
    let run =
        pipecalc::reference::spark::read_run_with(&fixture("edge/untagged.json"), Some(&parsed))
            .unwrap();
    assert_eq!(run.mapping(), Some(Mapping::MappingFile));
    let whole = read_run(&fixture("small-1core")).unwrap();
    assert_eq!(run.report.stages, whole.report.stages);
    let shown = run_cli(&[
        "inspect",
        "tests/fixtures/spark/edge/untagged.json",
        "--stage-map",
        map.to_str().unwrap(),
    ]);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(String::from_utf8_lossy(&shown.stdout).contains("mapping file's job ids"));
    std::fs::write(&map, "\"zero\": ingest\n").unwrap();
    let refused = run_cli(&[
        "inspect",
        "tests/fixtures/spark/edge/untagged.json",
        "--stage-map",
        map.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("`zero` is not a Spark job id"));
    std::fs::remove_file(&map).unwrap();
}

// A standalone cluster (issue 26): spark/runs.py started a master and two
// 1-core workers from PySpark's spark-class, spark-submitted
// spark/clickstream.py at 25K, 50K, 100K and 200K events, and checked each
// run's views against `pipecalc run`'s row for row; its logs are under
// `cluster/`.

fn validate_json(args: &[&str]) -> serde_json::Value {
    let out = common::pipecalc()
        .args(["validate", "scenarios/clickstream.yaml", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn cluster(size: &str) -> String {
    fixture(&format!("cluster/{size}")).display().to_string()
}

/// The bundled job reached the cluster: its master is the standalone one,
/// and its executors are the two workers, not a `driver` in local mode.
#[test]
fn the_bundled_job_ran_on_the_cluster() {
    let run = read_run(&fixture("cluster/25K")).unwrap();
    let app = &run.spark.as_ref().unwrap().application;
    assert!(
        app.master.as_deref().unwrap().starts_with("spark://"),
        "{:?}",
        app.master
    );
    assert_eq!(app.executors, 2);
    assert!(app.executor_changes.iter().all(|c| c.executor != "driver"));
    assert_eq!(run.report.workers, 2);
}

/// Three sizes fit T = a + b·s + c·s/N per stage; the fourth, not fitted
/// on, is predicted: the whole run within 25%, ingest's and transform's
/// rows within 2%, and the aggregate's keys inside their bracket.
#[test]
fn three_cluster_runs_fit_and_predict_a_fourth() {
    let calibrate = [
        "--calibrate-from",
        &cluster("25K"),
        "--calibrate-from",
        &cluster("50K"),
        "--calibrate-from",
        &cluster("100K"),
    ];
    let mut args: Vec<&str> = calibrate.to_vec();
    let target = cluster("200K");
    args.extend(["--against", &target]);
    let json = validate_json(&args);
    let calibration = &json["calibration"];
    assert_eq!(calibration["runs"].as_array().unwrap().len(), 3);
    for stage in calibration["stages"].as_array().unwrap() {
        let quiet = &stage["time"]["quiet"];
        assert_eq!(quiet["degrees_of_freedom"], 1, "{stage}");
        assert!(quiet["fixed_s"].as_f64().unwrap() > 0.0, "{stage}");
    }
    assert!(json["calibrated_scenario"]
        .as_str()
        .unwrap()
        .contains("run_overhead:"));
    // Three sizes: the largest is held out and predicted from the others.
    assert_eq!(calibration["holdout"]["group"]["events"], 100_903);
    let figure = |name: &str, stage: &str| {
        json["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["name"] == name
                    && (f["scope"]["stage"] == stage
                        || (stage == "pipeline" && f["scope"] == "pipeline"))
            })
            .unwrap_or_else(|| panic!("no {name} of {stage}"))
            .clone()
    };
    let pipeline = figure("time_s", "pipeline");
    assert!(
        pipeline["error_pct"].as_f64().unwrap().abs() <= 25.0,
        "{pipeline}"
    );
    for stage in ["ingest", "transform"] {
        let rows = figure("rows_out", stage);
        assert!(rows["error_pct"].as_f64().unwrap().abs() <= 2.0, "{rows}");
    }
    let keys = figure("rows_out", "aggregate");
    let band = keys["band"].as_array().unwrap();
    let measured = keys["measured"].as_f64().unwrap();
    assert!(
        band[0].as_f64().unwrap() * 0.98 <= measured
            && measured <= band[1].as_f64().unwrap() * 1.02,
        "{keys}"
    );
    assert_eq!(keys["verdict"], "ok");

    // The same runs in another order: the same answer.
    let mut reversed: Vec<&str> = vec![
        "--calibrate-from",
        &calibrate[5],
        "--calibrate-from",
        &calibrate[3],
        "--calibrate-from",
        &calibrate[1],
    ];
    reversed.extend(["--against", &target]);
    let again = validate_json(&reversed);
    assert_eq!(
        again["calibration"]["stages"],
        json["calibration"]["stages"]
    );
    assert_eq!(again["figures"], json["figures"]);
}

/// An unfinished log is refused by calibrate unless asked, and marked in
/// validate's every format when it is used.
#[test]
fn an_unfinished_log_is_refused_unless_asked() {
    let odd = fixture("edge/odd.inprogress");
    let refused = common::pipecalc()
        .args(["calibrate", "--from"])
        .arg(&odd)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("unfinished log") && said.contains("--allow-incomplete"),
        "{said}"
    );
    let allowed = common::pipecalc()
        .args(["calibrate", "--allow-incomplete", "--from"])
        .arg(&odd)
        .output()
        .unwrap();
    assert_eq!(
        allowed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    for format in ["table", "markdown", "html", "csv", "json"] {
        let out = common::pipecalc()
            .args([
                "validate",
                "scenarios/clickstream.yaml",
                "--allow-incomplete",
                "--format",
                format,
            ])
            .arg("--calibrate-from")
            .arg(fixture("big-1core"))
            .arg("--against")
            .arg(&odd)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let marked = if format == "csv" {
            text.lines().next().unwrap().contains("run_incomplete") && text.contains(",true\r\n")
        } else {
            text.contains("still being written")
        };
        assert!(marked, "{format}: {text}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("still being written"),
            "{format}"
        );
    }
}

/// Issue 26, from a real run (`spark/faults.py`): one executor's JVM killed
/// (SIGKILL) during the transform on the standalone cluster; Spark started
/// another and re-ran what was lost. Every stage's rows are still the
/// generator's truth, counted once, and the executor's exit is shown.
#[test]
fn a_lost_executor_s_re_runs_count_once() {
    let truth = truth("faults/lost-executor");
    let run = read_run(&fixture("faults/lost-executor")).unwrap();
    let stages = &run.report.stages;
    assert_eq!(
        stages[0].rows_in,
        count(&truth, "lines") - count(&truth, "malformed")
    );
    assert_eq!(stages[0].rows_out, count(&truth, "valid_events"));
    assert_eq!(stages[1].rows_in, stages[0].rows_out);
    assert_eq!(stages[1].rows_out, count(&truth, "views_counted"));
    assert_eq!(stages[2].rows_out, count(&truth, "view_keys"));
    assert_eq!(stages[3].rows_out, count(&truth, "view_keys"));
    let app = &run.spark.as_ref().unwrap().application;
    assert!(app.complete);
    assert!(app.master.as_deref().unwrap().starts_with("spark://"));
    assert!(
        app.executor_changes
            .iter()
            .any(|c| c.cores < 0 && c.reason.as_deref().is_some_and(|r| r.contains("137"))),
        "{:?}",
        app.executor_changes
    );
    // Calibrated from it, transform keeps what it kept, not a re-run's share.
    let out = run_cli(&[
        "calibrate",
        "--from",
        "tests/fixtures/spark/faults/lost-executor",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let yaml = String::from_utf8_lossy(&out.stdout);
    let keep = count(&truth, "views_counted") as f64 / count(&truth, "valid_events") as f64;
    let written = yaml
        .lines()
        .skip_while(|l| !l.contains("name: transform"))
        .find_map(|l| l.split("keep: ").nth(1))
        .and_then(|v| v.trim_end_matches([' ', '}', ',']).split([' ', ',']).next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no transform keep in\n{yaml}"));
    assert!((written - keep).abs() < 0.001, "{written} vs {keep}");
}

/// Issue 26, from a real run: the log folder copied while the transform
/// ran. The run is incomplete, the stage running when the copy was taken is
/// unfinished though its first job had completed, and calibrate refuses it
/// unless asked.
#[test]
fn a_log_copied_mid_run_is_incomplete_and_its_last_stage_unfinished() {
    let run = read_run(&fixture("faults/mid-run")).unwrap();
    assert_eq!(
        run.report.status,
        pipecalc::reference::metrics::RunStatus::Incomplete
    );
    let last = run.report.stages.last().unwrap();
    assert_eq!(
        last.status,
        pipecalc::reference::metrics::StageStatus::Unfinished,
        "{}",
        last.name
    );
    assert!(run
        .report
        .stages
        .iter()
        .rev()
        .skip(1)
        .all(|s| s.status == pipecalc::reference::metrics::StageStatus::Ran));
    let refused = common::pipecalc()
        .args(["calibrate", "--from", "tests/fixtures/spark/faults/mid-run"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
}
