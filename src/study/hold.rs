//! Holding predictions against measurements: each figure's error, its
//! verdict against its tolerance and the runs' noise (ok, off, too noisy),
//! and the likely cause of a miss, named for the engine that ran.

use anyhow::{anyhow, Result};
use schemars::JsonSchema;
use serde::Serialize;

use super::calibrate::WorkerMemoryShare;
use super::fit::KeysFit;
use super::run::Spread;
use crate::reference::pipeline::{RunReport, StageMetrics};
use crate::reference::spark::RunSource;
use crate::units::{clean, significant};

/// How close a prediction must be, as a fraction (0.02 = ±2%).
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
pub struct Tolerances {
    pub rows: f64,
    pub bytes: f64,
    pub time: f64,
    pub memory: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            rows: 0.02,
            bytes: 0.02,
            time: 0.25,
            memory: 0.5,
        }
    }
}

/// Which figure of a stage is held against its measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    RowsIn,
    RowsOut,
    BytesIn,
    BytesOut,
    #[serde(rename = "time_s")]
    Time,
    #[serde(rename = "peak_memory_bytes")]
    PeakMemory,
}

impl FigureKind {
    /// What a person calls it.
    pub fn label(self) -> &'static str {
        match self {
            FigureKind::RowsIn => "rows in",
            FigureKind::RowsOut => "rows out",
            FigureKind::BytesIn => "bytes in",
            FigureKind::BytesOut => "bytes out",
            FigureKind::Time => "time",
            FigureKind::PeakMemory => "peak memory",
        }
    }
}

/// What validate concludes of one figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within its tolerance.
    Ok,
    /// Outside its tolerance by more than the runs' own spread.
    Off,
    /// The repeated runs spread wider than the tolerance, or the miss is
    /// within their spread: the machine's noise, not the model, decides it.
    TooNoisy,
}

impl Verdict {
    fn of(error_pct: f64, tolerance: f64, noise_pct: Option<f64>) -> Verdict {
        let tolerance_pct = tolerance * 100.0;
        if error_pct.abs() <= tolerance_pct {
            Verdict::Ok
        } else if noise_pct
            .is_some_and(|noise| noise > tolerance_pct || error_pct.abs() <= tolerance_pct + noise)
        {
            Verdict::TooNoisy
        } else {
            Verdict::Off
        }
    }
}

/// One figure, predicted and measured.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Figure {
    /// `rows_in`, `rows_out`, `bytes_in`, `bytes_out`, `time_s` or `peak_memory_bytes`.
    pub name: FigureKind,
    /// A stage, or `pipeline` for end to end.
    pub stage: String,
    pub workers: usize,
    pub predicted: f64,
    pub measured: f64,
    pub error_pct: f64,
    pub within_tolerance: bool,
    /// `ok`, `off` (beyond tolerance and noise: exit 3), or `too_noisy`.
    pub verdict: Verdict,
    /// How far apart the repeated runs behind this figure were (the
    /// calibration's and the target's, added), in percent; absent where
    /// each side is one run or the figure does not vary (rows, bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise_pct: Option<f64>,
    /// Where the prediction misses: the likely cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The `--against` run this figure is of (validating from measured runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// For distinct keys fitted from several runs: the saturating
    /// catalogue's prediction and Heaps' law's, which bracket the truth for
    /// a long-tailed catalogue; the figure holds when the measurement is
    /// inside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bracket: Option<[f64; 2]>,
    /// The run's log ends before its application did (`--allow-incomplete`):
    /// its stages may be half done.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub run_incomplete: bool,
}

fn error_pct(predicted: f64, measured: f64) -> f64 {
    if measured == 0.0 {
        if predicted == 0.0 {
            0.0
        } else {
            100.0
        }
    } else {
        (predicted - measured) / measured * 100.0
    }
}

/// What a time prediction was made from, for naming why it missed.
struct TimeContext {
    speedup_at_n: Option<(usize, f64)>,
    engine: RunSource,
    /// The calibration fitted fixed costs (several runs).
    fixed_fitted: bool,
    /// The run has the calibration's own volume: no scaling to blame.
    same_size: bool,
}

/// The likely reason a time prediction misses, from what was measured,
/// naming only what applies to the engine that ran.
fn time_cause(predicted: f64, measured: f64, context: &TimeContext) -> String {
    let spark = context.engine == RunSource::SparkEventLog;
    if let Some((n, speedup)) = context.speedup_at_n {
        if n > 1 && speedup < 1.0 + 0.25 * (n as f64 - 1.0) {
            return format!(
                "cannot use {n} cores: measured speed-up {}× with {n} workers ({})",
                significant(speedup, 3),
                if spark {
                    "fewer tasks than cores, one partition, or a fixed cost a stage"
                } else {
                    "serial work: one file or one date at a time, a merge, or a fixed cost"
                }
            );
        }
    }
    if context.same_size {
        return "run-to-run noise: this run has the calibration's own volume, so nothing was scaled; the machine's other load or the engine's own variation moved it".into();
    }
    match (measured < predicted, context.fixed_fitted, spark) {
        (true, true, _) => "the fitted fixed cost or work per row was high: the runs it was fitted on were few, close in size or noisy; calibrate from runs further apart in size".into(),
        (true, false, true) => "Spark's fixed costs (task scheduling, file listing, commit) were folded into the time per row, so scaling them with the data over-predicts the larger run; calibrate from several sizes (--from a --from b --from c) to fit them as `startup` and `run_overhead`".into(),
        (true, false, false) => "fixed start-up cost: the sample's time per row includes set-up that does not grow with the data, so the linear rule over-predicts the larger run".into(),
        (false, _, true) => "slower per row at the larger size: more tasks than cores to schedule, shuffle spills, or executors sharing the machine's cores".into(),
        (false, _, false) => "slower per row at the larger size: caches or memory (the working set outgrew the CPU caches), or more I/O".into(),
    }
}

/// One measured run held against its prediction, stage by stage (matched
/// by name), then end to end.
pub(crate) struct Held<'a> {
    pub(crate) predicted: &'a crate::model::Estimate,
    pub(crate) measured: &'a RunReport,
    /// The same volume's run with one worker, for the speed-up a miss shows.
    pub(crate) one_worker: Option<&'a RunReport>,
    pub(crate) workers: usize,
    /// Rows and bytes do not depend on the workers: shown once a volume.
    pub(crate) with_rows: bool,
    pub(crate) run: Option<String>,
    /// The repeated runs' spread behind the calibration and the measurement.
    pub(crate) calibration_spread: Option<&'a Spread>,
    pub(crate) spread: Option<&'a Spread>,
    pub(crate) calibration_stages: &'a [StageMetrics],
    /// The calibration run's resident size before its first stage: shared
    /// by all workers of one process, so a process with N workers is
    /// predicted to peak at it plus N working sets. `None` for a run of
    /// another engine (Spark), whose peaks are held as measured.
    pub(crate) base_memory: Option<u64>,
    /// What each worker past the first adds, by stage; a stage not listed
    /// adds a whole working set a worker.
    pub(crate) worker_shares: &'a [WorkerMemoryShare],
    /// Distinct keys fitted from several runs: their bracket is held.
    pub(crate) keys: Option<&'a KeysFit>,
    /// The measured run's time outside its stages (Spark's), held with the
    /// run's overhead where the calibration has one.
    pub(crate) outside_s: Option<f64>,
    /// The engine the measured run is of: causes name only what applies.
    pub(crate) engine: RunSource,
    /// The measured run's log is unfinished (`--allow-incomplete`).
    pub(crate) incomplete: bool,
}

/// Distinct keys are held to 5% (or their bracket): they saturate, and
/// no model of a catalogue is exact beyond the sizes it was fitted on.
const KEYS_TOLERANCE: f64 = 0.05;

/// The noise behind a figure: the calibration's spread and the
/// measurement's, added (either alone where the other is one run).
fn noise(calibration: Option<f64>, measured: Option<f64>) -> Option<f64> {
    match (calibration, measured) {
        (None, None) => None,
        (c, m) => Some(c.unwrap_or(0.0) + m.unwrap_or(0.0)),
    }
}

pub(crate) fn hold(held: &Held, tolerances: Tolerances, figures: &mut Vec<Figure>) -> Result<()> {
    let n = held.workers;
    // The key models' bracket, as ratios of the prediction, from the key
    // stage on.
    let mut downstream: Option<(f64, f64)> = None;
    for (index, flow) in held.predicted.flow.stages.iter().enumerate() {
        let name = &flow.name;
        let timed = &held.predicted.time.stages[index];
        let memory = &held.predicted.memory.stages[index];
        // A measured stage's name as its calibrated scenario writes it.
        let named = |s: &&crate::reference::pipeline::StageMetrics| {
            s.name == *name || crate::scenario::stage_name_from(&s.name) == *name
        };
        let actual = held
            .measured
            .stages
            .iter()
            .find(named)
            .ok_or_else(|| {
                anyhow!(
                    "the run {} has no stage `{name}` (it has {}); runs held against one calibration need the same stages",
                    held.run.as_deref().unwrap_or("measured"),
                    held.measured
                        .stages
                        .iter()
                        .map(|s| format!("`{}`", s.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let speedup_at_n = held.one_worker.and_then(|one| {
            let base = one.stages.iter().find(named)?;
            Some((n, base.wall_s / actual.wall_s.max(1e-9)))
        });
        let measured_index = held.measured.stages.iter().position(|s| named(&s));
        let calibration_index = held.calibration_stages.iter().position(|s| named(&s));
        let at = |spread: Option<&Spread>, index: Option<usize>, memory: bool| {
            let spread = spread?;
            let values = if memory {
                &spread.stage_memory_pct
            } else {
                &spread.stage_time_pct
            };
            values.get(index?).copied().flatten()
        };
        let time_noise = noise(
            at(held.calibration_spread, calibration_index, false),
            at(held.spread, measured_index, false),
        );
        let memory_noise = noise(
            at(held.calibration_spread, calibration_index, true),
            at(held.spread, measured_index, true),
        );
        let make = |kind: FigureKind, p: f64, m: f64, tolerance: f64| -> Figure {
            let error = error_pct(p, m);
            let within = error.abs() <= tolerance * 100.0;
            let noise_pct = match kind {
                FigureKind::Time => time_noise,
                FigureKind::PeakMemory => memory_noise,
                _ => None,
            };
            let verdict = Verdict::of(error, tolerance, noise_pct);
            Figure {
                name: kind,
                stage: name.clone(),
                workers: n,
                predicted: clean(p),
                measured: clean(m),
                error_pct: clean(error),
                within_tolerance: within,
                verdict,
                noise_pct: noise_pct.map(clean),
                cause: match verdict {
                    Verdict::TooNoisy => Some(noisy_cause(noise_pct)),
                    Verdict::Off if kind == FigureKind::Time => Some(time_cause(
                        p,
                        m,
                        &TimeContext {
                            speedup_at_n,
                            engine: held.engine,
                            fixed_fitted: held.predicted.time.fixed.is_some(),
                            same_size: (held
                                .predicted
                                .flow
                                .volume_factor
                                .as_ref()
                                .map_or(1.0, |f| f.base())
                                - 1.0)
                                .abs()
                                < 1e-9,
                        },
                    )),
                    _ => None,
                },
                run: held.run.clone(),
                bracket: None,
                run_incomplete: held.incomplete,
            }
        };
        if held.with_rows {
            // The key stage's rows out, and every figure after it that its
            // rows carry (downstream rows and bytes scale with them), are
            // held to 5% or the key models' bracket, whichever is wider.
            let key_stage = held.keys.filter(|k| {
                k.stage == *name || crate::scenario::stage_name_from(&k.stage) == *name
            });
            if let Some(keys) = key_stage {
                let (low, high) = keys.fit.bracket(flow.rows_in.base());
                let predicted = flow.rows_out.base().max(1e-9);
                downstream = Some((low / predicted, high / predicted));
            }
            let rows_in_carried = downstream.filter(|_| key_stage.is_none());
            let rows_out_carried = downstream;
            for (kind, predicted, measured, tolerance, carried) in [
                (
                    FigureKind::RowsIn,
                    flow.rows_in.base(),
                    actual.rows_in as f64,
                    tolerances.rows,
                    rows_in_carried,
                ),
                (
                    FigureKind::RowsOut,
                    flow.rows_out.base(),
                    actual.rows_out as f64,
                    tolerances.rows,
                    rows_out_carried,
                ),
                (
                    FigureKind::BytesIn,
                    flow.bytes_in.base(),
                    actual.bytes_in as f64,
                    tolerances.bytes,
                    rows_in_carried,
                ),
                (
                    FigureKind::BytesOut,
                    flow.bytes_out.base(),
                    actual.bytes_out as f64,
                    tolerances.bytes,
                    rows_out_carried,
                ),
            ] {
                let mut figure = make(kind, predicted, measured, tolerance);
                if let Some((low, high)) = carried {
                    let (low, high) = (predicted * low, predicted * high);
                    let within = figure.error_pct.abs() <= KEYS_TOLERANCE * 100.0
                        || (low..=high).contains(&measured);
                    figure.within_tolerance = within;
                    figure.verdict = if within { Verdict::Ok } else { Verdict::Off };
                    figure.bracket = Some([clean(low), clean(high)]);
                    figure.cause = (!within).then(|| format!(
                        "distinct keys outside the bracket of the two key models ({} to {}): the catalogue is not long-tailed as they assume, or the runs fitted were too few or too close in size",
                        crate::units::grouped(low.round() as u64),
                        crate::units::grouped(high.round() as u64)
                    ));
                }
                figures.push(figure);
            }
        }
        figures.push(make(
            FigureKind::Time,
            timed.parallel_time.base(),
            actual.wall_s,
            tolerances.time,
        ));
        // Where a stage's peak is not measured there is nothing to compare;
        // where the calibration measured none, nothing was predicted.
        if let (Some(peak), true) = (actual.peak_memory_bytes, memory.per_worker.base() > 0.0) {
            // A measured run of another engine has no process start to
            // add: its peak is held against one working set, as measured.
            let share = held
                .worker_shares
                .iter()
                .find(|w| &w.stage == name)
                .map_or(1.0, |w| w.share);
            let working_sets = 1.0 + (n as f64 - 1.0) * share;
            let predicted = match held.base_memory {
                Some(base) => base as f64 + working_sets * memory.per_worker.base(),
                None => memory.per_worker.base(),
            };
            figures.push(make(
                FigureKind::PeakMemory,
                predicted,
                peak as f64,
                tolerances.memory,
            ));
        }
    }
    // The run's overhead is held with the time outside the stages, where
    // both are known; a prediction with an overhead against a run that
    // measured none is held without it.
    let in_stages: f64 = held.measured.stages.iter().map(|s| s.wall_s).sum();
    let parallel = held.predicted.time.parallel.base();
    let (predicted, total) = match (&held.predicted.time.overhead, held.outside_s) {
        (Some(_), Some(outside)) => (parallel, in_stages + outside),
        (Some(overhead), None) => (parallel - overhead.base(), in_stages),
        (None, _) => (parallel, in_stages),
    };
    let error = error_pct(predicted, total);
    let noise_pct = noise(
        held.calibration_spread.and_then(|s| s.pipeline_time_pct),
        held.spread.and_then(|s| s.pipeline_time_pct),
    );
    let verdict = Verdict::of(error, tolerances.time, noise_pct);
    figures.push(Figure {
        name: FigureKind::Time,
        stage: "pipeline".into(),
        workers: n,
        predicted: clean(predicted),
        measured: clean(total),
        error_pct: clean(error),
        within_tolerance: error.abs() <= tolerances.time * 100.0,
        verdict,
        noise_pct: noise_pct.map(clean),
        cause: (verdict == Verdict::TooNoisy).then(|| noisy_cause(noise_pct)),
        run: held.run.clone(),
        bracket: None,
        run_incomplete: held.incomplete,
    });
    Ok(())
}

fn noisy_cause(noise_pct: Option<f64>) -> String {
    format!(
        "too noisy to judge: the repeated runs behind it spread {}% (calibration and target added), as wide as the miss; run it on a quiet machine or with more --repeat",
        significant(noise_pct.unwrap_or(0.0), 3)
    )
}

/// The likely causes of the misses that are not timings.
pub(crate) fn name_causes(
    figures: &mut [Figure],
    first_stage: &str,
    last_stage: &str,
    engine: RunSource,
) {
    // Bytes out follow rows out: where the rows missed, that is the cause.
    let rows_missed: Vec<(String, usize, Option<String>)> = figures
        .iter()
        .filter(|f| f.name == FigureKind::RowsOut && !f.within_tolerance)
        .map(|f| (f.stage.clone(), f.workers, f.run.clone()))
        .collect();
    for figure in figures.iter_mut().filter(|f| f.verdict == Verdict::Off) {
        let rows_too =
            rows_missed.contains(&(figure.stage.clone(), figure.workers, figure.run.clone()));
        figure.cause = match figure.name {
            FigureKind::BytesOut if rows_too => {
                Some("its rows out missed by about as much: see its rows out".into())
            }
            FigureKind::BytesOut if figure.stage != last_stage => Some(if figure.measured < figure.predicted {
                "Parquet compresses better with more rows per file (dictionaries and page headers amortize), so bytes per row fall at the larger size".into()
            } else {
                "bytes per row grew at the larger size: more distinct values than the sample had".into()
            }),
            FigureKind::BytesIn if figure.stage != first_stage => {
                Some("these are the previous stage's output bytes: see its bytes out".into())
            }
            FigureKind::RowsIn if figure.stage != first_stage => {
                Some("these are the previous stage's rows out: see its rows out".into())
            }
            FigureKind::RowsOut if figure.measured < figure.predicted => Some(
                "distinct keys grow slower than the data (a catalogue saturates; Heaps' law), while `keep` grows them with it: write this stage's output as `rows:` with `keys_max:` or `keys_grow:`".into(),
            ),
            // The model holds a stage's measured peak per worker: fixed, or
            // grown by a power law where calibrate saw it grow.
            FigureKind::PeakMemory if engine == RunSource::SparkEventLog => Some(if figure.measured > figure.predicted {
                "the largest task's execution memory grew faster than the calibration's (more rows a partition, larger shuffle blocks, a hash aggregate with more keys)".into()
            } else {
                "the larger run was split into more, smaller tasks, so its largest task held less than the calibration's".into()
            }),
            FigureKind::PeakMemory => Some(if figure.measured > figure.predicted {
                "memory grows with the data here faster than the calibration's working set, held fixed or grown by `working_set_grows` from two sample sizes (deduplication keeps 16 bytes an event of a date up to `--dedup-memory-keys`; row groups and shuffles buffer more rows)".into()
            } else {
                "the sample's peak included start-up and allocator slack that does not grow (a stage's peak holds what earlier stages left resident, which does not multiply with the workers), or the larger run's work was split into more, smaller tasks; where calibrate fitted `working_set_grows`, the growth slows as buffers reach their caps and the power law goes on past them".into()
            }),
            _ => figure.cause.take(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::run::{median, spread_pct};

    #[test]
    fn medians_and_errors() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(error_pct(110.0, 100.0), 10.0);
        assert_eq!(error_pct(0.0, 0.0), 0.0);
    }

    #[test]
    fn a_miss_within_the_runs_spread_is_too_noisy_to_judge() {
        // ±25%: a 30% miss with runs 3% apart is off; with runs 10% apart it
        // is within their spread; runs 40% apart cannot judge even 20%.
        assert_eq!(Verdict::of(30.0, 0.25, Some(3.0)), Verdict::Off);
        assert_eq!(Verdict::of(30.0, 0.25, Some(10.0)), Verdict::TooNoisy);
        assert_eq!(Verdict::of(-30.0, 0.25, None), Verdict::Off);
        assert_eq!(Verdict::of(20.0, 0.25, Some(40.0)), Verdict::Ok);
        assert_eq!(Verdict::of(60.0, 0.25, Some(40.0)), Verdict::TooNoisy);
        assert_eq!(spread_pct(&[9.0, 10.0, 11.0]), Some(20.0));
        assert_eq!(spread_pct(&[10.0]), None);
        assert_eq!(noise(Some(2.0), Some(3.0)), Some(5.0));
        assert_eq!(noise(None, Some(3.0)), Some(3.0));
        assert_eq!(noise(None, None), None);
    }

    #[test]
    fn a_stage_that_cannot_use_two_cores_is_named_so() {
        let context = |speedup_at_n, engine, fixed_fitted, same_size| TimeContext {
            speedup_at_n,
            engine,
            fixed_fitted,
            same_size,
        };
        let pipecalc = RunSource::PipecalcRun;
        let spark = RunSource::SparkEventLog;
        let cause = time_cause(5.0, 9.0, &context(Some((2, 1.05)), pipecalc, false, false));
        assert!(cause.starts_with("cannot use 2 cores"), "{cause}");
        assert!(
            time_cause(10.0, 5.0, &context(None, pipecalc, false, false))
                .starts_with("fixed start-up cost")
        );
        assert!(
            time_cause(5.0, 10.0, &context(None, pipecalc, false, false))
                .starts_with("slower per row")
        );
        // Issue 26: each cause names only what applies to the engine that
        // ran, and a run at the calibration's own size blames no scaling.
        let spark_cause = time_cause(10.0, 5.0, &context(None, spark, false, false));
        assert!(
            spark_cause.starts_with("Spark's fixed costs"),
            "{spark_cause}"
        );
        assert!(!spark_cause.contains("--dedup-memory-keys"));
        let same = time_cause(10.0, 5.0, &context(None, pipecalc, false, true));
        assert!(same.starts_with("run-to-run noise"), "{same}");
        let fitted = time_cause(10.0, 5.0, &context(None, spark, true, false));
        assert!(fitted.starts_with("the fitted fixed cost"), "{fitted}");
    }
}
