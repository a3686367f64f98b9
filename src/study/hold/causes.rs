//! The likely cause of a figure's miss, from what the runs measured:
//! typed, for the views to put into words.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Figure, FigureKind, Scope, Verdict};
use crate::reference::spark::RunSource;
use crate::study::calibrate::{Calibration, Shape};
use crate::study::run::{Executors, Group};
use crate::units::clean;

/// Why one worker count could not use its cores, as the log shows it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CoreLimit {
    /// The stage ran fewer tasks than there were cores.
    FewerTasks { tasks: u64 },
    /// Local mode: the driver and its executor are one process, its cores
    /// threads of it.
    OneProcess,
    /// The executors shared one host (and the driver): a core more is not
    /// a machine more.
    OneHost { executors: usize, host: String },
    /// What pipecalc's own workers share: one process, a file or a date at
    /// a time, a merge.
    SerialWork,
    /// The log does not say.
    NotSaid,
}

/// The likely cause of a figure's miss, from what was measured.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// The runs behind it spread as wide as the miss.
    Noise {
        spread_pct: f64,
    },
    /// The calibration ran on one worker count, so how the work divides
    /// among others is undecided: anything in the band.
    WorkersUndecided {
        low: f64,
        high: f64,
    },
    /// A straight line past a size where the cost an event bends.
    Bend {
        shape: Shape,
    },
    CannotUseCores {
        workers: usize,
        speedup: f64,
        limit: CoreLimit,
    },
    /// The run has the calibration's own volume: nothing was scaled.
    SameSize,
    /// Fitted fixed costs and work were off: few, close or noisy sizes.
    FitOff {
        over: bool,
    },
    /// One size: the fixed cost was folded into the work a row.
    FixedFolded {
        engine: RunSource,
        larger: bool,
    },
    /// Slower a row than the calibration.
    SlowerPerRow {
        engine: RunSource,
        larger: bool,
    },
    BytesFollowRows,
    /// Columnar files compress better (or worse) with more rows a file.
    BytesPerRow {
        fell: bool,
        larger: bool,
    },
    FromPreviousBytes,
    FromPreviousRows,
    /// Distinct keys grow slower than the data, and the scenario grows them.
    KeysSaturate,
    /// Distinct keys outside the band the key fits span.
    KeysOutsideBand {
        low: f64,
        high: f64,
    },
    /// A Spark task's memory: more, or less, than the calibration's.
    TaskMemory {
        grew: bool,
    },
    /// The largest task held about what the calibration's did: tasks have
    /// a fixed input size.
    TaskMemoryFixed {
        calibration: f64,
    },
    /// A process's memory: more, or less, than predicted.
    ProcessMemory {
        grew: bool,
    },
    /// The working set's growth slowed across the calibration's sizes:
    /// anything from holding the largest size's to the power law.
    MemoryGrowthSlows {
        low: f64,
        high: f64,
    },
}

/// The cause of a stage time's miss.
pub(super) fn time_cause(
    figure: &Figure,
    calibration: &Calibration,
    group: &Group,
    one_worker: Option<&Group>,
    index: usize,
) -> Option<Cause> {
    match figure.verdict {
        Verdict::Ok => return None,
        Verdict::Undecided => {
            let [low, high] = figure.band?;
            return Some(Cause::WorkersUndecided { low, high });
        }
        Verdict::TooNoisy => {
            return Some(Cause::Noise {
                spread_pct: figure.noise_pct.unwrap_or(0.0),
            })
        }
        Verdict::Off => {}
    }
    let run = group.runs[0];
    let engine = run.record.source;
    let n = group.workers;
    let speedup = one_worker
        .filter(|_| n > 1)
        .and_then(|one| Some(one.time(index)?.median / figure.measured.max(1e-9)));
    if let Some(speedup) = speedup.filter(|s| *s < 1.0 + 0.25 * (n as f64 - 1.0)) {
        let name = &run.report.stages[index].name;
        let limit = match (engine, run.spark_stage(name), &run.record.executors) {
            (RunSource::SparkEventLog, Some(stage), _) if (stage.tasks as usize) < n => {
                CoreLimit::FewerTasks { tasks: stage.tasks }
            }
            (RunSource::SparkEventLog, _, Some(Executors { local: true, .. })) => {
                CoreLimit::OneProcess
            }
            (RunSource::SparkEventLog, _, Some(Executors { count, hosts, .. }))
                if hosts.len() == 1 =>
            {
                CoreLimit::OneHost {
                    executors: *count,
                    host: hosts[0].clone(),
                }
            }
            (RunSource::SparkEventLog, _, _) => CoreLimit::NotSaid,
            (RunSource::PipecalcRun, _, _) => CoreLimit::SerialWork,
        };
        return Some(Cause::CannotUseCores {
            workers: n,
            speedup: clean(speedup),
            limit,
        });
    }
    let largest = calibration
        .groups
        .iter()
        .map(|g| g.events)
        .max()
        .unwrap_or(0);
    if calibration.groups.iter().any(|g| g.events == group.events) {
        return Some(Cause::SameSize);
    }
    let larger = group.events > largest;
    let over = figure.measured < figure.predicted;
    let sizes = calibration
        .groups
        .iter()
        .map(|g| g.events)
        .collect::<std::collections::BTreeSet<_>>();
    Some(match (over, sizes.len() >= 2) {
        (_, true) => Cause::FitOff { over },
        (true, false) => Cause::FixedFolded { engine, larger },
        (false, false) => Cause::SlowerPerRow { engine, larger },
    })
}

/// The cause of a peak memory's miss.
pub(super) fn memory_cause(
    figure: &Figure,
    calibration: &Calibration,
    index: usize,
    group: &Group,
) -> Option<Cause> {
    if figure.verdict != Verdict::Off {
        return None;
    }
    let grew = figure.measured > figure.predicted;
    if group.runs[0].record.source == RunSource::SparkEventLog {
        let calibrated = calibration.stages[index].working_set_bytes?;
        if (figure.measured / calibrated - 1.0).abs() <= 0.1 {
            return Some(Cause::TaskMemoryFixed {
                calibration: calibrated,
            });
        }
        return Some(Cause::TaskMemory { grew });
    }
    Some(Cause::ProcessMemory { grew })
}

/// The causes of the misses that are not timings, once every figure is in.
pub(crate) fn name_causes(figures: &mut [Figure], calibration: &Calibration) {
    let first = calibration.stages.first().map(|s| s.name.clone());
    let last = calibration.stages.last().map(|s| s.name.clone());
    let largest = calibration
        .groups
        .iter()
        .map(|g| g.events)
        .max()
        .unwrap_or(0);
    let rows_missed: Vec<(Scope, u64, usize)> = figures
        .iter()
        .filter(|f| f.name == FigureKind::RowsOut && f.verdict == Verdict::Off)
        .map(|f| (f.scope.clone(), f.events, f.workers))
        .collect();
    for figure in figures
        .iter_mut()
        .filter(|f| f.verdict == Verdict::Off && f.cause.is_none())
    {
        let stage = Some(figure.scope.name().to_string());
        let rows_too = rows_missed.contains(&(figure.scope.clone(), figure.events, figure.workers));
        let larger = figure.events > largest;
        figure.cause = match figure.name {
            FigureKind::BytesOut if rows_too => Some(Cause::BytesFollowRows),
            FigureKind::BytesOut if stage != last => Some(Cause::BytesPerRow {
                fell: figure.measured < figure.predicted,
                larger,
            }),
            FigureKind::BytesIn if stage != first => Some(Cause::FromPreviousBytes),
            FigureKind::RowsIn if stage != first => Some(Cause::FromPreviousRows),
            FigureKind::RowsOut if figure.measured < figure.predicted => Some(Cause::KeysSaturate),
            _ => None,
        };
    }
}
