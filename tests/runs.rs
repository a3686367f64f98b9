//! One meaning of a run: on every bundled scenario, and on an hourly
//! variant of each batch, a run's figures are one run's and a day's are
//! its runs' together. The expectations are the arithmetic of the figures
//! themselves (a day is runs × a run), never a value read from a report.

mod common;

use serde_json::Value;

/// Every bundled scenario and exercise, and the same with `schedule:`
/// every hour where the plan has a batch (a stream has no runs).
fn plans() -> Vec<(String, String)> {
    let mut files = common::bundled_scenarios();
    for entry in std::fs::read_dir("scenarios/exercises").unwrap() {
        files.push(entry.unwrap().path());
    }
    files.sort();
    let mut plans = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        let stream = text.contains("streaming:") && !text.contains("hybrid: true");
        if !stream && !text.contains("\nschedule:") {
            let hourly = text.replacen("\nstages:", "\nschedule: every 1 h\nstages:", 1);
            plans.push((format!("{name} (hourly)"), hourly));
        }
        plans.push((name, text));
    }
    plans
}

fn estimate(name: &str, text: &str) -> Value {
    let run = common::estimate_text(text, &[]);
    assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
    run.json
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn a_run_is_a_run_and_a_day_is_its_runs() {
    let mut checked = 0;
    for (name, text) in plans() {
        let e = estimate(&name, &text);
        let s = &e["summary"];
        if s["run_s"].is_null() {
            continue; // a stream: no batch run
        }
        let run = s["run_s"].as_f64().unwrap();
        let runs = s["runs_per_day"].as_f64().unwrap();
        let bottleneck = s["bottleneck_s"].as_f64().unwrap();
        let parallel = s["parallel_s"].as_f64().unwrap();
        assert!(
            bottleneck <= run * (1.0 + 1e-12),
            "{name}: the bottleneck stage's {bottleneck} s is longer than the run's {run} s"
        );
        assert!(
            close(parallel, runs * run),
            "{name}: a day's parallel time {parallel} s is not {runs} runs × {run} s"
        );
        // A run is its stages with N workers and what every run pays.
        let stages: f64 = e["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|stage| stage["parallel_s"].as_f64().unwrap())
            .sum();
        let fixed_beyond_stages = e["time"]["run_overhead_s"].as_f64().unwrap_or(0.0)
            + e["time"]["cluster"]["startup_s"].as_f64().unwrap_or(0.0);
        assert!(
            close(stages + fixed_beyond_stages, run),
            "{name}: the stages' {stages} s and {fixed_beyond_stages} s fixed are not the run's {run} s"
        );
        // One worker's day is its runs', each with its fixed costs.
        let sequential = s["sequential_s"].as_f64().unwrap();
        let sequential_run = e["time"]["sequential_run_s"].as_f64().unwrap_or(sequential);
        assert!(
            close(sequential, runs * sequential_run),
            "{name}: {sequential} s is not {runs} × {sequential_run} s"
        );
        // The conventions say how many runs a day the figures are of.
        assert_eq!(
            e["conventions"]["runs_per_day"].as_f64(),
            Some(runs),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} plans checked");
}

/// The hourly lecture by hand: 45 min a day in 24 runs; the transform's
/// 20 min a day is 50 s a run, the run 112.5 s.
#[test]
fn the_hourly_lecture_s_bottleneck_is_a_run_s() {
    let text = std::fs::read_to_string("scenarios/clickstream-hourly.yaml").unwrap();
    let e = estimate("clickstream-hourly", &text);
    assert_eq!(e["summary"]["run_s"], 112.5);
    assert_eq!(e["summary"]["bottleneck_stage"], "transform");
    assert_eq!(e["summary"]["bottleneck_s"], 50.0);
    assert_eq!(e["stages"][1]["time_s"], 50.0);
    assert_eq!(e["summary"]["parallel_s"], 2700.0);
}

/// `workers` and the deadline gate speak of one run: the fewest workers'
/// time is a run's (the JSON's `run_s` at that count), and a missed
/// deadline names the run's time, not the day's.
#[test]
fn workers_and_the_deadline_gate_speak_of_a_run() {
    let args = [
        "workers",
        "scenarios/clickstream-hourly.yaml",
        "--scale",
        "10",
    ];
    let json = common::json_of(&args);
    let n = json["min_workers"].as_u64().unwrap();
    let chosen = json["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["workers"].as_u64() == Some(n))
        .unwrap();
    let run_s = chosen["run_s"].as_f64().unwrap();
    assert!(run_s <= 15.0 * 60.0, "a run meets the 15 min deadline");
    let table = common::pipecalc().args(args).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    let run = pipecalc::units::human_duration(run_s);
    assert!(
        text.contains(&format!(
            "fewest workers to meet the 15 min deadline and fit in memory: {n} ({run} a run"
        )),
        "{text}"
    );
    // At 40× the data one worker's hourly run is 75 min against 15 min.
    let gate = common::pipecalc()
        .args([
            "estimate",
            "scenarios/clickstream-hourly.yaml",
            "--scale",
            "40",
            "--fail-on",
            "deadline",
        ])
        .output()
        .unwrap();
    assert_eq!(gate.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&gate.stderr);
    assert!(
        stderr.contains("deadline: a run takes 75 min against a deadline of 15 min"),
        "{stderr}"
    );
}

#[test]
fn growth_shows_a_run_s_time_beside_a_run_s_deadline() {
    // Hourly, the lecture's day is 24 runs of 1.875 min: the growth table's
    // run time and its JSON's `run_s` are one run's, `parallel_s` the day's.
    let json = common::json_of(&["growth", "scenarios/clickstream-hourly.yaml"]);
    let first = &json["years"][0];
    let run_s = first["run_s"].as_f64().unwrap();
    let parallel_s = first["parallel_s"].as_f64().unwrap();
    assert!(close(run_s * 24.0, parallel_s), "{first}");
    let table = common::pipecalc()
        .args(["growth", "scenarios/clickstream-hourly.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    let row = text.lines().find(|l| l.contains("│ 0 ")).unwrap();
    assert!(
        row.contains(&pipecalc::units::human_duration(run_s)),
        "{row}"
    );
    assert!(
        !row.contains(&pipecalc::units::human_duration(parallel_s)),
        "{row}"
    );
}
