//! Fixed costs in the model (issue 26): a stage's `startup` and a run's
//! `run_overhead` neither grow with the data nor shrink with workers, and
//! every run of a schedule or micro-batch pays them again. Each figure is
//! worked by hand in its comment.

mod common;

use pipecalc::model::estimate;

/// Two stages of work (600 s and 1,200 s of one worker a day), one with a
/// 20 s startup, and 30 s of overhead a run.
fn scenario(extra: &str) -> pipecalc::scenario::Scenario {
    let text = format!(
        "volume: {{ events_per_day: 10M, event_size: 500 B }}
workers: 4
run_overhead: 30 s
{extra}
stages:
  - {{ name: ingest, bound: io, input: bytes, duration: 10 min, startup: 20 s }}
  - {{ name: transform, bound: cpu, input: events, duration: 20 min }}
prices: {{ compute_usd_per_worker_hour: 0.50 }}
"
    );
    pipecalc::parse(&text, "fixed.yaml").unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn a_daily_run_pays_its_fixed_costs_once() {
    let e = estimate(&scenario(""));
    let t = &e.time;
    // One worker: 600 + 20 + 1,200 + 30 = 1,850 s.
    assert!(
        close(t.sequential.base(), 1850.0),
        "{}",
        t.sequential.working()
    );
    // Four workers: 600/4 + 20 + 1,200/4 + 30 = 150 + 20 + 300 + 30 = 500 s,
    // not the lecture's 1,850 ÷ 4 = 462.5 s.
    assert!(close(t.parallel.base(), 500.0), "{}", t.parallel.working());
    assert!(close(t.fixed.as_ref().unwrap().base(), 50.0));
    assert!(!t.lecture_rule);
    // The stage shows its startup apart from its work.
    assert!(close(t.stages[0].time.base(), 620.0));
    assert!(close(t.stages[0].parallel_time.base(), 170.0));
    assert!(
        t.parallel.working().to_string().contains("T_overhead"),
        "{}",
        t.parallel.working()
    );
}

#[test]
fn every_run_of_a_schedule_pays_them_again() {
    let e = estimate(&scenario("schedule: every 1 h"));
    let t = &e.time;
    // 24 runs: each is (500 − 50) ÷ 24 + 50 = 68.75 s.
    assert!(close(t.runs.run.base(), 68.75), "{}", t.runs.run.working());
    // A day of runs keeps 4 workers busy 24 × 68.75 = 1,650 s: the work
    // once (450 s) and the fixed costs 24 times (1,200 s).
    let worker_hours = 4.0 * 1650.0 / 3600.0;
    assert!(
        close(e.cost.compute_usd_per_day.base(), worker_hours * 0.5),
        "{}",
        e.cost.compute_usd_per_day.working()
    );
}

#[test]
fn scaling_the_data_leaves_the_fixed_costs() {
    let e = estimate(&scenario("").with_scale(10.0, "--scale").unwrap());
    // 6,000/4 + 20 + 12,000/4 + 30 = 1,500 + 20 + 3,000 + 30 = 4,550 s.
    assert!(
        close(e.time.parallel.base(), 4550.0),
        "{}",
        e.time.parallel.working()
    );
}

#[test]
fn a_micro_batch_pays_them_every_window() {
    let e = estimate(&scenario(
        "streaming: { peak_factor: 1, headroom: 0, window: 5 min }",
    ));
    let s = e.streaming.as_ref().unwrap();
    // A day's events are 1,800 s of work (1,850 − 50 fixed): 10M ÷ 1,800
    // = 5,555.6 events/s a worker, of which every 300 s window loses 50 s:
    // × (1 − 50/300) = 4,629.6 events/s.
    let capacity = 10e6 / 1800.0 * (1.0 - 50.0 / 300.0);
    assert!(
        close(s.capacity_per_worker.base(), capacity),
        "{}",
        s.capacity_per_worker.working()
    );
    // 115.74 events/s on average need ⌈115.74 ÷ 4,629.6⌉ = 1 worker; a
    // window of it is 34,722 events, 6.25 s of work, plus 50 s fixed.
    assert!(close(
        s.processing.base(),
        10e6 / 86400.0 * 300.0 / 10e6 * 1800.0 + 50.0
    ));
}

/// A window no longer than the fixed costs is refused where it is written.
#[test]
fn a_window_shorter_than_the_fixed_costs_is_refused() {
    let text = "volume: { events_per_day: 10M, event_size: 500 B }
run_overhead: 30 s
stages:
  - { name: ingest, bound: io, input: bytes, duration: 10 min, startup: 20 s }
prices: { compute_usd_per_worker_hour: 0.50 }
streaming: { window: 45 s }
";
    let error = pipecalc::parse(text, "w.yaml").unwrap_err().to_string();
    assert!(
        error.contains("w.yaml:6:22") && error.contains("no fleet keeps up"),
        "{error}"
    );
}

/// `workers` names the fixed costs when they alone reach the deadline.
#[test]
fn workers_says_the_fixed_costs_block_the_deadline() {
    let scratch = common::Scratch::new("fixed-workers");
    let path = scratch.path("s.yaml");
    std::fs::write(
        &path,
        "volume: { events_per_day: 10M, event_size: 500 B }
deadline: 1 min
run_overhead: 70 s
stages:
  - { name: ingest, bound: io, input: bytes, duration: 10 min }
prices: { compute_usd_per_worker_hour: 0.50 }
",
    )
    .unwrap();
    let out = common::pipecalc()
        .args(["workers"])
        .arg(&path)
        .args(["--max-workers", "64"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("the fixed costs: every run pays 70 s"),
        "{text}"
    );
}

/// The tornado spreads a startup like any estimate.
#[test]
fn a_startup_range_is_studied() {
    let text = "volume: { events_per_day: 10M, event_size: 500 B }
stages:
  - { name: ingest, bound: io, input: bytes, duration: 10 min, startup: 10 s..50 s }
prices: { compute_usd_per_worker_hour: 0.50 }
";
    let scratch = common::Scratch::new("fixed-range");
    let path = scratch.path("r.yaml");
    std::fs::write(&path, text).unwrap();
    let json = common::json_of(&[std::ffi::OsStr::new("estimate"), path.as_os_str()]);
    let text = json.to_string();
    assert!(
        text.contains("stages[0].startup"),
        "the range is not studied: {text}"
    );
}
