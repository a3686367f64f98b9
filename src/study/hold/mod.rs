//! The one validation loop: a calibration's prediction of a group of
//! measured runs, figure by figure; each figure's error, the band the
//! prediction spans (the quiet fit to the slow one, and what the
//! calibration could not decide), its verdict (ok, off, too noisy, undecided), and
//! the likely cause of a miss, as a [`Cause`] the views put into words.

mod causes;
pub mod terms;

use anyhow::Result;
use schemars::JsonSchema;
use serde::Serialize;

pub(crate) use causes::name_causes;
pub use causes::{Cause, CoreLimit};

use super::calibrate::{percent_off, Calibration, Shape, Variant, WorkerMemoryShare};
use super::run::{Band, Group, Repeats};
use crate::model::Estimate;
use crate::reference::pipeline::StageMetrics;
use crate::units::clean;
use causes::{memory_cause, time_cause};

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

/// What a figure is of: one stage, or the whole run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Stage(String),
    Pipeline,
}

impl Scope {
    pub fn name(&self) -> &str {
        match self {
            Scope::Stage(name) => name,
            Scope::Pipeline => "pipeline",
        }
    }
}

/// What validate concludes of one figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within its tolerance.
    Ok,
    /// Outside its tolerance and its band, with runs steadier than the
    /// tolerance: the model missed (exit 3).
    Off,
    /// Outside its tolerance but inside the band the calibration's
    /// repeats span, or over runs that spread wider than the tolerance:
    /// the machine's noise, not the model, decides.
    TooNoisy,
    /// Outside its tolerance but inside the band of what the calibration's
    /// runs could not decide (how work divides among other workers, how far
    /// a slowing growth goes): more runs of the right kind decide it.
    Undecided,
}

/// Why a prediction spans a band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandOf {
    /// The calibration's repeats, quiet to slowest.
    Noise,
    /// What the calibration's runs could not decide.
    Undecided,
}

impl Verdict {
    /// `inside`: the measurement is inside the prediction's band (widened
    /// by the tolerance), and why the band is there; `noise_pct`: how far
    /// the measured runs spread. Runs that spread wider than the tolerance
    /// can neither confirm nor refute a prediction: too noisy, hit or miss.
    pub fn of(
        error_pct: f64,
        tolerance: f64,
        inside: Option<BandOf>,
        noise_pct: Option<f64>,
    ) -> Verdict {
        let tolerance_pct = tolerance * 100.0;
        if noise_pct.is_some_and(|noise| noise > tolerance_pct) {
            Verdict::TooNoisy
        } else if error_pct.abs() <= tolerance_pct {
            Verdict::Ok
        } else if inside == Some(BandOf::Undecided) {
            Verdict::Undecided
        } else if inside == Some(BandOf::Noise) {
            Verdict::TooNoisy
        } else {
            Verdict::Off
        }
    }
}

/// One figure of one group of measured runs, predicted and measured.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Figure {
    pub name: FigureKind,
    pub scope: Scope,
    /// The measured group: its events and workers, and its runs.
    pub events: u64,
    pub workers: usize,
    pub runs: Vec<String>,
    /// From the quiet fit.
    pub predicted: f64,
    /// What the prediction spans: the quiet fit to the slow one, and any
    /// assumption the calibration's runs could not decide; `null` where
    /// the prediction is a single value.
    pub band: Option<[f64; 2]>,
    /// The measured runs' median.
    pub measured: f64,
    /// The measured runs' quietest, median and slowest; `null` for counts,
    /// the same every run.
    pub repeats: Option<Repeats>,
    /// The predicted against the measured median.
    pub error_pct: f64,
    pub within_tolerance: bool,
    pub verdict: Verdict,
    /// How far the measured runs spread, in percent: wider than the
    /// tolerance, the figure is too noisy to judge, hit or miss.
    pub noise_pct: Option<f64>,
    pub cause: Option<Cause>,
    /// A run of the group ended before its application did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub run_incomplete: bool,
}

/// What the loop holds each group with.
pub(crate) struct Holding<'a> {
    pub calibration: &'a Calibration,
    pub tolerances: Tolerances,
    /// A process's resident size before its first stage, added once to a
    /// run of the reference pipeline's N working sets; `None` for Spark.
    pub base_memory: Option<f64>,
    /// What each worker past the first adds, by stage.
    pub worker_shares: &'a [WorkerMemoryShare],
}

/// The estimates one group is predicted with: the quiet fit first.
struct Predictions {
    quiet: Estimate,
    others: Vec<Estimate>,
    /// The others include both ends of a serial fraction the runs could
    /// not decide.
    undecided: bool,
}

impl Predictions {
    fn make(calibration: &Calibration, events: u64, workers: usize) -> Result<Predictions> {
        let undecided = calibration.serial_undecided() && workers != calibration.workers;
        let mut variants = vec![Variant {
            band: Band::Slowest,
            ..Variant::QUIET
        }];
        if undecided {
            for band in [Band::Quiet, Band::Slowest] {
                for serial in [0.0, 1.0] {
                    variants.push(Variant {
                        band,
                        serial: Some(serial),
                        memory_held: false,
                    });
                }
            }
        }
        if calibration
            .stages
            .iter()
            .any(|s| s.working_set_growth_slows)
        {
            variants.push(Variant {
                memory_held: true,
                ..Variant::QUIET
            });
        }
        Ok(Predictions {
            quiet: calibration.predict(Variant::QUIET, events, workers)?,
            others: variants
                .into_iter()
                .map(|v| calibration.predict(v, events, workers))
                .collect::<Result<_>>()?,
            undecided,
        })
    }

    /// A figure of every estimate: the quiet one's, and the band of all.
    fn of(&self, figure: impl Fn(&Estimate) -> f64) -> (f64, [f64; 2]) {
        let quiet = figure(&self.quiet);
        let band = self
            .others
            .iter()
            .map(&figure)
            .fold([quiet, quiet], |[low, high], v| [low.min(v), high.max(v)]);
        (quiet, band)
    }
}

/// Holds one group of measured runs against the calibration's prediction
/// of it; `with_rows` adds its rows and bytes (the same at every worker
/// count, so shown once a size); `one_worker` is the same size on one
/// worker, for the speed-up a miss shows.
pub(crate) fn hold(
    holding: &Holding,
    group: &Group,
    with_rows: bool,
    one_worker: Option<&Group>,
    figures: &mut Vec<Figure>,
) -> Result<()> {
    let calibration = holding.calibration;
    let held = Held {
        holding,
        group,
        predictions: Predictions::make(calibration, group.events, group.workers)?,
    };
    let names: Vec<String> = group.runs[0]
        .report
        .stages
        .iter()
        .map(|s| s.name.clone())
        .collect();
    // From the key stage on, rows and bytes carry the keys' band.
    let mut keys_band: Option<(f64, f64)> = None;
    for (index, stage) in calibration.stages.iter().enumerate() {
        let Some(measured_index) = names.iter().position(|n| {
            *n == stage.measured_as || crate::scenario::stage_name_from(n) == stage.name
        }) else {
            anyhow::bail!(
                "the run {} has no stage `{}` (it has {}); runs held against one calibration need the same stages",
                group.runs[0].record.path,
                stage.name,
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            );
        };
        let at = Stage {
            index,
            measured_index,
            calibrated: stage,
        };
        if with_rows {
            figures.extend(held.counts(&at, &mut keys_band));
        }
        figures.extend(held.time(&at, one_worker));
        figures.extend(held.memory(&at));
    }
    figures.push(held.whole_run());
    Ok(())
}

/// A count held: which, its prediction, how it is read from a stage, its
/// tolerance, and the keys' band it carries.
type CountCheck = (
    FigureKind,
    f64,
    fn(&StageMetrics) -> u64,
    f64,
    Option<(f64, f64)>,
);

/// One group held: its predictions, figure by figure.
struct Held<'a> {
    holding: &'a Holding<'a>,
    group: &'a Group<'a>,
    predictions: Predictions,
}

/// A calibrated stage and where it is in the model and in the runs.
struct Stage<'a> {
    index: usize,
    measured_index: usize,
    calibrated: &'a crate::study::calibrate::StageCalibration,
}

impl Held<'_> {
    fn figure(
        &self,
        name: FigureKind,
        scope: Scope,
        (predicted, band): (f64, Option<[f64; 2]>),
        measured: f64,
        repeats: Option<Repeats>,
    ) -> Figure {
        let group = self.group;
        Figure {
            name,
            scope,
            events: group.events,
            workers: group.workers,
            runs: group.runs.iter().map(|r| r.record.path.clone()).collect(),
            predicted: clean(predicted),
            band: band.map(|[l, h]| [clean(l), clean(h)]),
            measured: clean(measured),
            repeats,
            error_pct: clean(percent_off(predicted, measured)),
            within_tolerance: false,
            verdict: Verdict::Ok,
            noise_pct: None,
            cause: None,
            run_incomplete: group.runs.iter().any(|r| r.record.incomplete),
        }
    }

    /// A stage's rows and bytes, in and out: the same every run. Past the
    /// stage whose rows are distinct keys they carry the keys' band.
    fn counts(&self, stage: &Stage, keys_band: &mut Option<(f64, f64)>) -> Vec<Figure> {
        let calibration = self.holding.calibration;
        let tolerances = self.holding.tolerances;
        let flow = &self.predictions.quiet.flow.stages[stage.index];
        let key_stage = calibration
            .keys
            .as_ref()
            .filter(|k| k.stage == stage.calibrated.name);
        if let Some(keys) = key_stage {
            let (low, high) = keys.interval(flow.rows_in.base());
            let predicted = flow.rows_out.base().max(1e-9);
            *keys_band = Some((low / predicted, high / predicted));
        }
        let carried_in = keys_band.filter(|_| key_stage.is_none());
        let counts: [CountCheck; 4] = [
            (
                FigureKind::RowsIn,
                flow.rows_in.base(),
                |s| s.rows_in,
                tolerances.rows,
                carried_in,
            ),
            (
                FigureKind::RowsOut,
                flow.rows_out.base(),
                |s| s.rows_out,
                tolerances.rows,
                *keys_band,
            ),
            (
                FigureKind::BytesIn,
                flow.bytes_in.base(),
                |s| s.bytes_in,
                tolerances.bytes,
                carried_in,
            ),
            (
                FigureKind::BytesOut,
                flow.bytes_out.base(),
                |s| s.bytes_out,
                tolerances.bytes,
                *keys_band,
            ),
        ];
        let scope = Scope::Stage(stage.calibrated.name.clone());
        counts
            .into_iter()
            .filter_map(|(kind, predicted, of, tolerance, band)| {
                let measured = self.group.count(stage.measured_index, of)?;
                let band = band.map(|(low, high)| [predicted * low, predicted * high]);
                let mut held = self.figure(kind, scope.clone(), (predicted, band), measured, None);
                judge(&mut held, tolerance, BandOf::Undecided, None);
                if let (Some([low, high]), false) = (held.band, held.verdict == Verdict::Ok) {
                    // The keys' band is the model's own uncertainty, not
                    // noise: inside it (within the figure's tolerance, for
                    // bytes a row that move too) holds, outside it is off.
                    let inside =
                        (low * (1.0 - tolerance)..=high * (1.0 + tolerance)).contains(&measured);
                    held.verdict = if inside { Verdict::Ok } else { Verdict::Off };
                    // Rows outside the keys' band are the keys' miss; bytes
                    // outside it are a row's size (named with the rest).
                    let rows = matches!(kind, FigureKind::RowsIn | FigureKind::RowsOut);
                    held.cause = (!inside && rows).then_some(Cause::KeysOutsideBand { low, high });
                }
                Some(held)
            })
            .collect()
    }

    /// A time's verdict: its band is the noise of the calibration's
    /// repeats, unless it also spans what the runs could not decide.
    fn judge_time(&self, held: &mut Figure, undecided: bool, measured: &Repeats) {
        let why = if undecided || self.predictions.undecided {
            BandOf::Undecided
        } else {
            BandOf::Noise
        };
        judge(
            held,
            self.holding.tolerances.time,
            why,
            measured.spread_pct(),
        );
    }

    /// A stage's time, over the runs that timed it.
    fn time(&self, stage: &Stage, one_worker: Option<&Group>) -> Option<Figure> {
        let measured = self.group.time(stage.measured_index)?;
        let (predicted, band) = self
            .predictions
            .of(|e| e.time.stages[stage.index].parallel_time.base());
        let mut held = self.figure(
            FigureKind::Time,
            Scope::Stage(stage.calibrated.name.clone()),
            (predicted, Some(band)),
            measured.median,
            Some(measured),
        );
        self.judge_time(&mut held, false, &measured);
        held.cause = time_cause(
            &held,
            self.holding.calibration,
            self.group,
            one_worker,
            stage.measured_index,
        );
        Some(held)
    }

    /// A stage's peak memory: for the reference pipeline, whose workers are
    /// threads of one process, its start once and what each worker adds;
    /// for Spark, the largest task's.
    fn memory(&self, stage: &Stage) -> Option<Figure> {
        let per_worker = self.predictions.quiet.memory.stages[stage.index]
            .per_worker
            .base();
        let measured = self
            .group
            .peak(stage.measured_index)
            .filter(|_| per_worker > 0.0)?;
        let share = self
            .holding
            .worker_shares
            .iter()
            .find(|w| w.stage == stage.calibrated.name)
            .map_or(1.0, |w| w.share);
        let working_sets = 1.0 + (self.group.workers as f64 - 1.0) * share;
        let peak = |per_worker: f64| match self.holding.base_memory {
            Some(base) => base + working_sets * per_worker,
            None => per_worker,
        };
        let predicted = peak(per_worker);
        // Growth that slowed across the sizes spans no growth past the
        // largest to the power law.
        let band = stage.calibrated.working_set_growth_slows.then(|| {
            let (_, [low, high]) = self
                .predictions
                .of(|e| peak(e.memory.stages[stage.index].per_worker.base()));
            [low.min(predicted), high.max(predicted)]
        });
        let mut held = self.figure(
            FigureKind::PeakMemory,
            Scope::Stage(stage.calibrated.name.clone()),
            (predicted, band),
            measured.median,
            Some(measured),
        );
        judge(
            &mut held,
            self.holding.tolerances.memory,
            BandOf::Undecided,
            measured.spread_pct(),
        );
        held.cause = match (held.verdict, band) {
            (Verdict::Undecided, Some([low, high])) => Some(Cause::MemoryGrowthSlows { low, high }),
            _ => memory_cause(&held, self.holding.calibration, stage.index, self.group),
        };
        Some(held)
    }

    /// The whole run. A prediction with an overhead against runs that
    /// measured none is held without it; past the largest size, a bend in
    /// the cost an event widens the band.
    fn whole_run(&self) -> Figure {
        let calibration = self.holding.calibration;
        let group = self.group;
        let measured_outside = group
            .runs
            .iter()
            .all(|r| r.record.outside_stages_s.is_some());
        let (predicted, mut band) = self.predictions.of(|e| {
            let overhead = e.time.overhead.as_ref().map_or(0.0, |o| o.base());
            e.time.runs.run.base() - if measured_outside { 0.0 } else { overhead }
        });
        let measured = Repeats::of(group.runs.iter().map(|r| {
            if measured_outside {
                r.whole_s()
            } else {
                r.record.in_stages_s
            }
        }))
        .expect("a group has a run");
        let largest = calibration
            .groups
            .iter()
            .map(|g| g.events)
            .max()
            .unwrap_or(0);
        let bend = calibration.curvature.as_ref().filter(|c| {
            c.shape != Shape::Straight
                && group.events > largest
                && group.workers == calibration.workers
        });
        if let Some(bend) = bend {
            let along = bend.extrapolate(group.events as f64);
            band = [band[0].min(along), band[1].max(along)];
        }
        let mut held = self.figure(
            FigureKind::Time,
            Scope::Pipeline,
            (predicted, Some(band)),
            measured.median,
            Some(measured),
        );
        self.judge_time(&mut held, bend.is_some(), &measured);
        held.cause = match (held.verdict, bend) {
            (Verdict::Undecided, Some(bend)) => Some(Cause::Bend { shape: bend.shape }),
            (Verdict::Undecided, None) => Some(Cause::WorkersUndecided {
                low: band[0],
                high: band[1],
            }),
            (Verdict::TooNoisy, _) => Some(Cause::Noise {
                spread_pct: measured.spread_pct().unwrap_or(0.0),
            }),
            _ => None,
        };
        held
    }
}

/// The verdict of a figure: its error against its tolerance, then against
/// its band (widened by the tolerance) and the noise.
fn judge(figure: &mut Figure, tolerance: f64, why: BandOf, noise_pct: Option<f64>) {
    let inside = figure
        .band
        .is_some_and(|[low, high]| {
            figure.measured >= low * (1.0 - tolerance)
                && figure.measured <= high * (1.0 + tolerance)
        })
        .then_some(why);
    figure.within_tolerance = figure.error_pct.abs() <= tolerance * 100.0;
    figure.noise_pct = noise_pct.map(clean);
    figure.verdict = Verdict::of(figure.error_pct, tolerance, inside, noise_pct);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_miss_inside_the_band_or_the_noise_is_too_noisy_to_judge() {
        // ±25%: a 30% miss with runs 3% apart and outside the band is off;
        // inside the band the noise decides; runs 40% apart cannot judge.
        let noise = Some(BandOf::Noise);
        assert_eq!(Verdict::of(30.0, 0.25, None, Some(3.0)), Verdict::Off);
        assert_eq!(Verdict::of(30.0, 0.25, noise, Some(3.0)), Verdict::TooNoisy);
        assert_eq!(
            Verdict::of(30.0, 0.25, Some(BandOf::Undecided), Some(3.0)),
            Verdict::Undecided
        );
        assert_eq!(Verdict::of(-30.0, 0.25, None, None), Verdict::Off);
        assert_eq!(Verdict::of(20.0, 0.25, None, Some(40.0)), Verdict::TooNoisy);
        assert_eq!(Verdict::of(20.0, 0.25, None, Some(10.0)), Verdict::Ok);
        assert_eq!(Verdict::of(60.0, 0.25, None, Some(40.0)), Verdict::TooNoisy);
    }
}
