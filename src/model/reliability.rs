//! Reliability: how often a run succeeds within its attempts, and what the
//! failures cost in time and money, with and without checkpoints.
//!
//! The model, for S stages, each attempt of each stage failing with
//! probability p, a attempts, and a failure striking a fraction f of the
//! way through the work it interrupts:
//! - with checkpoints a failed stage reruns alone: a stage succeeds with
//!   1 − p^a, the run with (1 − p^a)^S; a stage fails, on average,
//!   p + p² + … + p^a = p(1 − p^a) ÷ (1 − p) times a day, each failure
//!   wasting f of that stage;
//! - without, the run restarts: an attempt of the run succeeds with
//!   (1 − p)^S, so q = 1 − (1 − p)^S; the run succeeds with 1 − q^a, fails
//!   q(1 − q^a) ÷ (1 − q) times a day, each failure wasting f of the run.
//!
//! The wasted time delays the run and is paid as compute; it is expected,
//! not certain, so it is reported beside the bill, not added to it.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::Time;

use crate::figure::{AnyFig, Explain, Fig, Source};
use crate::model::streaming::StreamingModel;
use crate::model::time::TimeModel;
use crate::model::Calendar;
use crate::scenario::{Reliability, Scenario};
use crate::units::{Count, Ratio, Usd};

/// Reliability: how often a run succeeds, and what its failures cost.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ReliabilityModel {
    pub checkpoints: bool,
    /// Runs a day: a schedule's, or a stream's micro-batches (day ÷ window).
    pub runs_per_day: Fig<Ratio>,
    /// A stream's runs are its micro-batches.
    #[serde(skip)]
    pub micro_batches: bool,
    /// A stage's chance to succeed within its attempts (with checkpoints).
    pub stage_success: Fig<Ratio>,
    /// One attempt of the whole run succeeding (without checkpoints).
    pub attempt_success: Fig<Ratio>,
    /// The share of runs that succeed.
    pub run_success: Fig<Ratio>,
    pub target: Option<Fig<Ratio>>,
    pub target_met: Option<bool>,
    /// Failed attempts a day, over all the day's runs: of each stage, or of
    /// the run.
    pub failures_per_day: Fig<Ratio>,
    /// Work redone a day, on average: the delay added to the run.
    #[serde(rename = "wasted_s_per_day")]
    pub wasted_time: Fig<Time>,
    pub wasted_usd_per_day: Fig<Usd>,
    pub wasted_usd_per_month: Fig<Usd>,
    /// Runs (a stream's micro-batches) a year that fail even after every
    /// attempt.
    pub failed_runs_per_year: Fig<Ratio>,
    /// The same with the other choice of checkpoints, to show what they buy.
    pub other_run_success: Fig<Ratio>,
    #[serde(rename = "other_wasted_s_per_day")]
    pub other_wasted_time: Fig<Time>,
    /// The fewest attempts that meet the target at this failure rate (up to
    /// 100, the most a scenario may give); `null` when even 100 do not.
    pub attempts_for_target: Option<u32>,
    /// The highest failure rate per attempt that meets the target with
    /// these attempts: (1 − target^(1/S))^(1/a) with checkpoints,
    /// 1 − (1 − (1 − target)^(1/a))^(1/S) without.
    pub max_failure_for_target: Option<Fig<Ratio>>,
}

/// The most attempts a scenario may give (`attempts` from 1 to 100), and so
/// the most the search for the fewest that meet the target tries.
const MAX_ATTEMPTS: u32 = 100;

fn success_rate(p: f64, attempts: f64, stages: f64, checkpoints: bool) -> f64 {
    if checkpoints {
        (1.0 - p.powf(attempts)).powf(stages)
    } else {
        1.0 - (1.0 - (1.0 - p).powf(stages)).powf(attempts)
    }
}

/// A run as reliability counts it: a batch run (one a day, or a
/// schedule's), or a stream's micro-batch; how many a day, one's time, and
/// the workers a failure keeps busy.
struct Run {
    per_day: Fig<Ratio>,
    time: Fig<Time>,
    workers: Fig<Ratio>,
    /// "run" or "micro-batch", for the figures' names.
    stream: bool,
}

impl Run {
    fn of(time: &TimeModel, stream: Option<&StreamingModel>, calendar: &Calendar) -> Run {
        match stream.filter(|s| !s.hybrid) {
            Some(stream) => Run {
                per_day: (&calendar.day / &stream.window).named("micro_batches_per_day"),
                time: stream.processing.clone(),
                workers: stream.fleet_at_peak.clone(),
                stream: true,
            },
            None => Run {
                per_day: time.runs.runs_per_day.clone(),
                time: time.runs.run.clone(),
                workers: time.workers.as_ratio(),
                stream: false,
            },
        }
    }
}

pub fn reliability(
    scenario: &Scenario,
    time: &TimeModel,
    stream: Option<&StreamingModel>,
    calendar: &Calendar,
) -> Option<ReliabilityModel> {
    let r: &Reliability = scenario.reliability.as_ref()?;
    let run = Run::of(time, stream, calendar);
    let days_per_month = &calendar.days_per_month;
    let one = Fig::constant(Ratio(1.0));
    let p = &r.failure_per_attempt;
    let a = r.attempts.as_ratio();
    let stages = Fig::<Count>::input(
        Count(scenario.stages.len() as f64),
        "S",
        Source::Default("the scenario's stages".into()),
    )
    .as_ratio();
    let stage_success = (&one - &p.pow(&a)).named("P_stage");
    let attempt_success = (&one - p).pow(&stages).named("P_attempt");
    let with_checkpoints = |suffix: &str| {
        let success = stage_success
            .pow(&stages)
            .named(format_args!("P_run{suffix}"));
        let per_stage = (&(p * &(&one - &p.pow(&a))) / &(&one - p))
            .named(format_args!("failures_per_stage{suffix}"));
        let failures = (&(&per_stage * &stages) * &run.per_day)
            .named(format_args!("failures_per_day{suffix}"));
        // Each stage's failures waste f of that stage in every run: f × a
        // run's time × failures per stage, times the runs a day.
        let wasted = (&(&(&run.time * &r.failure_point) * &per_stage) * &run.per_day)
            .named(format_args!("T_wasted{suffix}"));
        (success, failures, wasted)
    };
    let without_checkpoints = |suffix: &str| {
        let q = (&one - &attempt_success).named(format_args!("q_run{suffix}"));
        let success = (&one - &q.pow(&a)).named(format_args!("P_run{suffix}"));
        let per_run = (&(&q * &(&one - &q.pow(&a))) / &(&one - &q))
            .named(format_args!("failures_per_run{suffix}"));
        let failures = (&per_run * &run.per_day).named(format_args!("failures_per_day{suffix}"));
        let wasted =
            (&(&run.time * &r.failure_point) * &failures).named(format_args!("T_wasted{suffix}"));
        (success, failures, wasted)
    };
    let ((run_success, failures_per_day, wasted_time), (other_run_success, _, other_wasted_time)) =
        if r.checkpoints {
            (
                with_checkpoints(""),
                without_checkpoints("[no checkpoints]"),
            )
        } else {
            (without_checkpoints(""), with_checkpoints("[checkpoints]"))
        };
    let worker_time = (&wasted_time * &run.workers).named("worker_time_wasted");
    let wasted_usd_per_day = (&worker_time * &scenario.prices.compute).named("wasted_usd_per_day");
    let wasted_usd_per_month = (&wasted_usd_per_day * days_per_month).named("wasted_usd_per_month");
    let days_per_year = Fig::input(
        Ratio(365.0),
        "days_per_year",
        Source::Default("a year is 365 days".into()),
    );
    let failed_runs_per_year =
        (&(&(&one - &run_success) * &run.per_day) * &days_per_year).named("failed_runs_per_year");
    let target = r.target.clone();
    let target_met = target.as_ref().map(|t| run_success.base() >= t.base());
    let s = stages.base();
    let attempts_for_target = target.as_ref().and_then(|t| {
        (1..=MAX_ATTEMPTS)
            .find(|n| success_rate(p.base(), f64::from(*n), s, r.checkpoints) >= t.base())
    });
    // The highest failure rate per attempt that meets the target with these
    // attempts. With checkpoints each stage must succeed with target^(1/S):
    // (1 − target^(1/S))^(1/a). Without, an attempt of the run may fail with
    // at most q = (1 − target)^(1/a), so 1 − (1 − q)^(1/S).
    let max_failure_for_target = target.as_ref().map(|t| {
        if r.checkpoints {
            (&one - &t.pow(&(&one / &stages)))
                .pow(&(&one / &a))
                .named("p_max")
        } else {
            let q_max = (&one - t).pow(&(&one / &a)).named("q_max");
            (&one - &(&one - &q_max).pow(&(&one / &stages))).named("p_max")
        }
    });
    Some(ReliabilityModel {
        checkpoints: r.checkpoints,
        runs_per_day: run.per_day.clone(),
        micro_batches: run.stream,
        stage_success,
        attempt_success,
        run_success,
        failures_per_day,
        wasted_time,
        other_run_success,
        other_wasted_time,
        wasted_usd_per_day,
        wasted_usd_per_month,
        failed_runs_per_year,
        target,
        target_met,
        attempts_for_target,
        max_failure_for_target,
    })
}

impl Explain for ReliabilityModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        // One run a day is no figure of its own.
        let mut figures: Vec<&dyn AnyFig> = Vec::new();
        if !AnyFig::is_input(&self.runs_per_day) {
            figures.push(&self.runs_per_day);
        }
        figures.extend([
            &self.stage_success as &dyn AnyFig,
            &self.attempt_success,
            &self.run_success,
            &self.failures_per_day,
            &self.wasted_time,
            &self.other_run_success,
            &self.other_wasted_time,
            &self.wasted_usd_per_day,
            &self.wasted_usd_per_month,
            &self.failed_runs_per_year,
        ]);
        figures.extend(self.max_failure_for_target.iter().map(|f| f as &dyn AnyFig));
        figures
    }
}

#[cfg(test)]
mod tests {
    use crate::model::fixtures::{close, with};

    fn model(block: &str) -> super::ReliabilityModel {
        let scenario = with("prices:", &format!("{block}\nprices:"));
        crate::estimate(&scenario).reliability.unwrap()
    }

    #[test]
    fn with_checkpoints_by_hand() {
        // p = 1%, 3 attempts: a stage succeeds with 1 − 0.01³; four stages
        // in sequence with (1 − 0.01³)⁴; a stage fails 0.01 + 0.01² + 0.01³
        // times a day.
        let r = model("reliability: { failure_per_attempt: 1%, attempts: 3 }");
        close(r.stage_success.base(), 1.0 - 1e-6);
        close(r.run_success.base(), (1.0 - 1e-6f64).powi(4));
        close(r.failures_per_day.base(), 4.0 * (0.01 + 0.0001 + 0.000001));
        // Each failure wastes half a stage: 0.5 × 45 min × 0.010101 a day.
        close(r.wasted_time.base(), 0.5 * 2700.0 * 0.010101);
        // $0.50 a worker-hour, one worker.
        close(
            r.wasted_usd_per_day.base(),
            0.5 * 2700.0 * 0.010101 / 3600.0 * 0.5,
        );
    }

    #[test]
    fn the_lecture_s_three_attempts_give_its_99_95_percent() {
        // 5% a stage attempt, 3 attempts, 4 stages: (1 − 0.05³)⁴ = 99.95%,
        // against the 99.9% goal.
        let r = model("reliability: { failure_per_attempt: 5%, attempts: 3, target: 99.9% }");
        close(r.run_success.base(), (1.0 - 0.05f64.powi(3)).powi(4));
        assert!((r.run_success.base() - 0.9995).abs() < 0.00001);
        assert_eq!(r.target_met, Some(true));
        assert_eq!(r.attempts_for_target, Some(3));
        // The highest rate that still meets 99.9% with 3 attempts.
        let p_max = r.max_failure_for_target.unwrap().base();
        close((1.0 - p_max.powi(3)).powi(4), 0.999);
    }

    #[test]
    fn without_checkpoints_the_run_restarts() {
        let r = model("reliability: { failure_per_attempt: 5%, attempts: 3, checkpoints: false }");
        let q = 1.0 - 0.95f64.powi(4);
        close(r.attempt_success.base(), 0.95f64.powi(4));
        close(r.run_success.base(), 1.0 - q.powi(3));
        close(r.failures_per_day.base(), q * (1.0 - q.powi(3)) / (1.0 - q));
        // A failure wastes half of the whole run, not half of one stage.
        close(
            r.wasted_time.base(),
            0.5 * 2700.0 * r.failures_per_day.base(),
        );
    }

    #[test]
    fn bad_values_are_refused_with_their_line() {
        for (block, message) in [
            (
                "reliability: { failure_per_attempt: 1.5 }",
                "outside its range",
            ),
            (
                "reliability: { failure_per_attempt: 1% , attempts: 0 }",
                "is zero",
            ),
            (
                "reliability: { attempts: 3 }",
                "missing from the `reliability:`",
            ),
        ] {
            let text =
                crate::model::fixtures::LECTURE.replace("prices:", &format!("{block}\nprices:"));
            let error = crate::scenario::parse(&text, "t.yaml")
                .unwrap_err()
                .to_string();
            assert!(error.contains(message), "{block}: {error}");
            assert!(error.starts_with("t.yaml:"), "{error}");
        }
    }
}
