//! The calibrated scenario, written once from the typed [`Calibration`]:
//! as the scenario file's own structure (the YAML the user gets is its
//! serialization), in any band of the repeats, and estimated through the
//! same models `estimate` uses.

use anyhow::{anyhow, Context, Result};

use super::{Calibration, Source, StageCalibration, StageOutput};
use crate::scenario::raw::{self, spanned, value, Field, RawScenario};
use crate::scenario::Measure;
use crate::study::run::Band;
use crate::units::significant;

/// Which scenario to write from a calibration: a band of the repeats, and
/// for a fit that could not tell serial from shared work (one worker count),
/// which to take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variant {
    pub band: Band,
    /// `Some(f)`: where the runs could not decide, a serial fraction f.
    pub serial: Option<f64>,
    /// Every working set held at the largest size's, where its growth
    /// slowed across the sizes.
    pub memory_held: bool,
}

impl Variant {
    pub const QUIET: Variant = Variant {
        band: Band::Quiet,
        serial: None,
        memory_held: false,
    };
}

impl Calibration {
    /// The calibrated scenario of a variant, written as the scenario file's
    /// own structure.
    pub fn raw(&self, variant: Variant) -> RawScenario {
        let stages = self
            .stages
            .iter()
            .map(|stage| raw_stage(stage, variant))
            .collect();
        let mut scenario = RawScenario {
            name: Some("calibrated".into()),
            description: Some(self.description()),
            workers: Some(value(self.workers.to_string())),
            prices: Some(spanned(raw::RawPrices {
                compute_usd_per_worker_hour: Some(value("0.5")),
                ..raw::RawPrices::default()
            })),
            ..RawScenario::of(
                raw::RawVolume {
                    events_per_day: value(self.events.to_string()),
                    event_size: bytes(self.event_size_bytes),
                },
                stages,
            )
        };
        scenario.run_overhead = self
            .run_overhead_s
            .map(|overhead| seconds(overhead.at(variant.band)));
        // A calibrated worker is one of the runs' cores: it runs one task
        // at a time, which a stage with a shuffle's tasks needs said.
        if self.stages.iter().any(|s| s.shuffle_share.is_some()) {
            scenario.worker = Some(spanned(raw::RawWorker {
                cores: Some(value("1")),
                disk: None,
                memory_fraction: None,
            }));
        }
        scenario
    }

    fn description(&self) -> String {
        match &self.source {
            Source::Sample { machine, .. } => {
                format!("The reference pipeline as measured on {machine}")
            }
            Source::Runs => format!(
                "Calibrated from {} measured run(s) of {} size(s)",
                self.runs.len(),
                self.sizes()
            ),
        }
    }

    fn sizes(&self) -> usize {
        let mut sizes: Vec<u64> = self.groups.iter().map(|g| g.events).collect();
        sizes.dedup();
        sizes.len()
    }

    /// The scenario of a variant, checked as a user's file would be.
    pub fn scenario(&self, variant: Variant) -> Result<crate::scenario::Scenario> {
        // What the checker refuses here came from the runs: a figure measured
        // out of any plausible range (a damaged log's counts), named by its key.
        crate::scenario::from_raw(self.raw(variant), "calibrated.yaml").context(
            "the measured runs give a scenario pipecalc cannot hold: a figure is out of range, so a run's counts or times may be damaged (`pipecalc inspect` shows each run's)",
        )
    }

    /// The estimate of a variant at `events` on `workers`: the models
    /// `estimate` and `scale` use, on the calibrated scenario only.
    pub fn predict(
        &self,
        variant: Variant,
        events: u64,
        workers: usize,
    ) -> Result<crate::model::Estimate> {
        let workers = u32::try_from(workers)
            .map_err(|_| anyhow!("{workers} workers is too many to model"))?;
        let scenario = self
            .scenario(variant)?
            .with_scale(events as f64 / self.events.max(1) as f64, "--against")?
            .with_workers(workers.max(1), "--against")?;
        crate::model::checked_estimate(&scenario)
    }

    /// Whether any stage's fit could not tell serial from shared work.
    pub fn serial_undecided(&self) -> bool {
        self.stages
            .iter()
            .map(|s| &s.time)
            .any(|t| !t.quiet.workers_told_apart)
    }
}

/// A stage as the scenario file writes it.
fn raw_stage(stage: &StageCalibration, variant: Variant) -> raw::RawStage {
    let f = stage.time.at(variant.band);
    let per_unit = f.serial_s_per_unit + f.parallel_s_per_unit;
    let (throughput, startup, parallel) = match per_unit > 0.0 {
        true => {
            let serial = match variant.serial {
                Some(fraction) if !f.workers_told_apart => fraction,
                _ => f.serial_s_per_unit / per_unit,
            };
            (
                Some(rate(stage.input, per_unit)),
                (f.fixed_s > 0.0).then(|| seconds(f.fixed_s)),
                (serial > 0.0).then(|| {
                    spanned(raw::RawParallel {
                        model: raw::ParallelKind::Amdahl,
                        serial_fraction: Some(value(significant(serial, 6))),
                        contention: None,
                        coherency: None,
                    })
                }),
            )
        }
        // A time that does not grow with the input: a start-up alone.
        false => (None, Some(seconds(f.fixed_s.max(1e-3))), None),
    };
    let row_size = stage.row_size_bytes.map(bytes);
    let fixed_size = stage
        .fixed_size_bytes
        .map(|b| value(format!("{} kB", significant(b / 1e3, 6))));
    let output = match &stage.output {
        StageOutput::Same => None,
        StageOutput::Keep { fraction } => {
            Some(raw::RawOutput::kept(number(*fraction, 7), row_size))
        }
        StageOutput::Catalogue { keys_max, skew } => Some(raw::RawOutput {
            keep: None,
            rows: None,
            row_size,
            fixed_size: None,
            keys_grow: None,
            keys_max: Some(value(format!("{}", keys_max.round()))),
            key_skew: Some(number(*skew, 6)),
        }),
        StageOutput::Heaps { rows, exponent } => Some(raw::RawOutput::keys(
            value(format!("{}", rows.round())),
            row_size,
            number(*exponent, 6),
        )),
        StageOutput::Grows { rows } => Some(raw::RawOutput::keys(
            value(format!("{}", rows.round())),
            row_size,
            value("1"),
        )),
    }
    .map(|output| raw::RawOutput {
        fixed_size,
        ..output
    });
    raw::RawStage {
        name: spanned(stage.name.clone()),
        bound: stage.bound,
        input: spanned(stage.input),
        throughput,
        duration: None,
        startup,
        output: output.map(spanned),
        working_set: stage
            .working_set_bytes
            .map(|b| value(format!("{} MB", significant(b / 1e6, 6)))),
        working_set_grows: stage
            .working_set_grows
            .filter(|_| !variant.memory_held)
            .map(|g| number(g, 4)),
        parallel,
        shares: None,
        runs_in: None,
        shuffle: stage.shuffle_share.map(|share| {
            spanned(raw::RawShuffle {
                partitions: None,
                expansion: None,
                share: Some(number(share, 4)),
                combine: stage.output.is_keys().then_some(true),
                keys: None,
                key_skew: None,
            })
        }),
        join: None,
        stragglers: None,
        max_parallelism: None,
    }
}

fn seconds(value_s: f64) -> Field {
    value(format!("{} s", significant(value_s, 6)))
}

fn bytes(value_bytes: f64) -> Field {
    value(format!("{} B", significant(value_bytes, 7)))
}

fn number(value_: f64, digits: i32) -> Field {
    value(significant(value_, digits))
}

/// A throughput a worker, from the seconds a unit of input takes.
fn rate(input: Measure, per_unit_s: f64) -> Field {
    match input {
        Measure::Bytes => value(format!("{} MB/s", significant(1.0 / per_unit_s / 1e6, 7))),
        Measure::Events => value(format!("{} events/s", significant(1.0 / per_unit_s, 7))),
    }
}
