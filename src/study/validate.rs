//! Validate: the model held against measured runs. A generated plan
//! calibrates on a sample, predicts a larger target with the same models
//! `estimate` and `scale` use (from the calibrated scenario only, before
//! the target runs), runs it and holds each figure; a measured plan does
//! the same from runs already made (a pipecalc run or a Spark event log).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

use super::calibrate::{
    calibrate_from, calibrate_with, sample_logs, worker_memory_shares, CalibrateOptions,
    Calibration, CalibrationSource, WorkerMemoryShare,
};
use super::fit::{fit_stages, StageFit};
use super::hold::{hold, name_causes, Figure, Held, Tolerances, Verdict};
use super::run::{measure, refuse_incomplete, sample_config, RunRecord, Spread};
use crate::interrupt::Scratch;
use crate::reference::generator::generate;
pub use crate::reference::machine::MachineLoad;
use crate::reference::machine::{load_average, CpuSample};
use crate::reference::pipeline::{RunReport, STAGES};
use crate::reference::spark::{RunSource, StageMap};
use crate::units::clean;

#[derive(Clone, Debug)]
pub struct ValidateOptions {
    pub plan: Plan,
    /// The pipecalc executable a generated plan runs the pipeline with, a
    /// process per run (the CLI passes itself).
    pub binary: PathBuf,
    pub tolerances: Tolerances,
    /// A line on stderr at each step (validate runs for minutes).
    pub progress: bool,
}

/// The worker counts validate measures unless told: 1, 2 and the
/// machine's cores (three counts fit the USL; a 2-core machine has two).
pub fn default_workers() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut counts = vec![1, 2.min(cores), cores];
    counts.dedup();
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// What validate measures: runs of the reference pipeline it makes, or
/// runs already measured (a pipecalc run or a Spark event log).
#[derive(Clone, Debug)]
pub enum Plan {
    /// Calibrate on a generated sample, run a generated target per worker count.
    Generated {
        sample: u64,
        target: u64,
        workers: Vec<usize>,
        repeat: usize,
        seed: u64,
    },
    /// Calibrate from measured runs (one, or several to fit fixed costs)
    /// and predict others.
    Measured {
        calibrate_from: Vec<PathBuf>,
        against: Vec<PathBuf>,
        /// Maps a Spark log's untagged jobs onto stages (`--stage-map`).
        stage_map: Option<PathBuf>,
        /// Unfinished logs are used, and marked, rather than refused.
        allow_incomplete: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Validation {
    pub options: ValidateOptions,
    pub calibration: Calibration,
    pub figures: Vec<Figure>,
    pub fits: Vec<StageFit>,
    /// Measured runs at the target size, one per worker count (or per
    /// `--against` run).
    pub runs: Vec<RunReport>,
    /// The `--against` runs, when validating from measured runs.
    pub against: Vec<RunRecord>,
    /// The machine's load around the measured runs (generated runs only).
    pub load: Option<MachineLoad>,
    /// What each worker past the first adds to a stage's memory in one
    /// process (generated runs with more than one worker only).
    pub worker_shares: Vec<WorkerMemoryShare>,
}

impl Validation {
    pub fn all_within_tolerance(&self) -> bool {
        self.figures.iter().all(|f| f.within_tolerance)
    }

    /// No figure is off beyond its tolerance and its noise: exit 0.
    pub fn passes(&self) -> bool {
        self.figures.iter().all(|f| f.verdict != Verdict::Off)
    }
}

pub fn validate(options: &ValidateOptions) -> Result<Validation> {
    match &options.plan {
        Plan::Generated {
            sample,
            target,
            workers,
            repeat,
            seed,
        } => validate_generated(options, *sample, *target, workers, *repeat, *seed),
        Plan::Measured {
            calibrate_from,
            against,
            stage_map,
            allow_incomplete,
        } => validate_measured(
            options,
            calibrate_from,
            against,
            stage_map.as_deref(),
            *allow_incomplete,
        ),
    }
}

/// The calibrated scenario's estimate at `factor` times its volume with `n`
/// workers.
fn predict(
    calibrated: &crate::scenario::Scenario,
    factor: f64,
    n: usize,
    option: &str,
) -> Result<crate::model::Estimate> {
    let workers = u32::try_from(n).map_err(|_| anyhow!("{n} workers is too many to model"))?;
    let scenario = calibrated
        .clone()
        .with_scale(factor, option)?
        .with_workers(workers, option)?;
    crate::model::checked_estimate(&scenario)
}

fn validate_generated(
    options: &ValidateOptions,
    sample: u64,
    target: u64,
    workers: &[usize],
    repeat: usize,
    seed: u64,
) -> Result<Validation> {
    if workers.is_empty() || workers.contains(&0) {
        bail!("`--workers` needs worker counts of at least 1, e.g. 1,2");
    }
    if target < sample {
        bail!(
            "`--target` ({target}) is smaller than `--sample` ({sample}); validate predicts a larger run from a smaller one"
        );
    }
    let progress = |line: String| {
        if options.progress {
            eprintln!("validate: {line}");
        }
    };
    let (calibration, sample_scratch) = calibrate_with(
        &CalibrateOptions {
            events: sample,
            workers: 1,
            repeat,
            seed,
        },
        &options.binary,
        &progress,
    )?;
    let calibrated = calibration.scenario.clone();
    let factor = target as f64 / sample as f64;

    // Predictions come from the calibrated scenario through the models, and
    // are made before the target is run.
    let predictions: Vec<crate::model::Estimate> = workers
        .iter()
        .map(|&n| predict(&calibrated, factor, n, "--target"))
        .collect::<Result<_>>()?;

    // Threads of one process share some of each stage's memory: what a
    // second worker adds is measured on the calibration's own sample,
    // before the target is run.
    let worker_shares = if workers.iter().any(|&n| n > 1) {
        progress("the sample again with 2 workers, for the memory a worker adds".into());
        let (two, _, _) = measure(
            &options.binary,
            &sample_logs(&sample_scratch),
            &sample_scratch.0.join("two-workers"),
            2,
            repeat,
            &progress,
        )?;
        worker_memory_shares(&calibration.report, &two)
    } else {
        Vec::new()
    };
    drop(sample_scratch);
    let scratch = Scratch::new("validate")?;
    let logs = scratch.0.join("logs");
    // Another seed than the sample's: the target is new data, not a copy.
    progress(format!("generating the target, {target} events"));
    generate(&sample_config(target, seed + 1), &logs)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (load_before, cpu_before) = (load_average(), CpuSample::now());
    let (runs, spreads): (Vec<RunReport>, Vec<Spread>) = workers
        .iter()
        .map(|&n| {
            progress(format!("measuring the target with {n} worker(s)"));
            measure(&options.binary, &logs, &scratch.0, n, repeat, &progress)
                .map(|(report, _, spread)| (report, spread))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let load = MachineLoad {
        load_average_before: load_before,
        load_average_after: load_average(),
        other_processes_cores: cpu_before
            .zip(CpuSample::now())
            .and_then(|(before, after)| after.others_since(before, cores))
            .map(clean),
        cores,
    };

    let mut figures = Vec::new();
    let one_worker = workers.iter().position(|&n| n == 1).map(|b| &runs[b]);
    for (index, (n, predicted)) in workers.iter().zip(&predictions).enumerate() {
        hold(
            &Held {
                predicted,
                measured: &runs[index],
                one_worker,
                workers: *n,
                with_rows: index == 0,
                run: None,
                calibration_spread: calibration.spread.as_ref(),
                spread: Some(&spreads[index]),
                calibration_stages: &calibration.report.stages,
                base_memory: calibration.report.process_base_memory_bytes,
                worker_shares: &worker_shares,
                keys: None,
                outside_s: None,
                engine: RunSource::PipecalcRun,
                incomplete: false,
            },
            options.tolerances,
            &mut figures,
        )?;
    }
    name_causes(
        &mut figures,
        STAGES[0],
        STAGES[STAGES.len() - 1],
        RunSource::PipecalcRun,
    );
    let names: Vec<String> = STAGES.iter().map(|s| s.to_string()).collect();
    let fits = fit_stages(workers, &runs, &names);
    Ok(Validation {
        options: options.clone(),
        calibration,
        figures,
        fits,
        runs,
        against: Vec::new(),
        load: Some(load),
        worker_shares,
    })
}

fn validate_measured(
    options: &ValidateOptions,
    calibrate_from_paths: &[PathBuf],
    against: &[PathBuf],
    stage_map: Option<&Path>,
    allow_incomplete: bool,
) -> Result<Validation> {
    if against.is_empty() {
        bail!("`--calibrate-from` needs at least one `--against RUN` to predict");
    }
    let map = stage_map.map(StageMap::load).transpose()?;
    let calibration = match calibrate_from_paths {
        [] => bail!("`--against` needs at least one `--calibrate-from RUN` to calibrate on"),
        [one] => calibrate_from(one, map.as_ref(), allow_incomplete)?,
        several => super::several::calibrate_from_runs(several, map.as_ref(), allow_incomplete)?,
    };
    let calibrated = calibration.scenario.clone();
    let CalibrationSource::Measured(base) = &calibration.source else {
        bail!("a calibration from a measured run has a measured source; this is a pipecalc bug");
    };
    let base_events = base.events as f64;

    // Each run's volume and workers are all that is taken from it before
    // its prediction is made; its measurements are read after.
    let mut predictions = Vec::new();
    let mut runs = Vec::new();
    let mut records = Vec::new();
    let mut incomplete = Vec::new();
    for path in against {
        let run = crate::reference::spark::read_run_with(path, map.as_ref())?;
        refuse_incomplete(path, &run, allow_incomplete)?;
        let mut record = RunRecord::of(path, &run);
        // A stage one side lacks is never compared in silence.
        let predicted_names: Vec<String> =
            calibrated.stages.iter().map(|s| s.name.clone()).collect();
        for stage in &run.report.stages {
            let known = predicted_names
                .iter()
                .any(|p| *p == stage.name || *p == crate::scenario::stage_name_from(&stage.name));
            if !known {
                record.warnings.push(format!(
                    "stage `{}` was measured but the calibration has no such stage: it is not compared",
                    stage.name
                ));
            }
        }
        if record.events == 0 {
            bail!(
                "`{}`: its first stage read no rows, so there is no volume to predict",
                record.path
            );
        }
        let factor = record.events as f64 / base_events;
        predictions.push(predict(
            &calibrated,
            factor,
            record.workers.max(1),
            "--against",
        )?);
        incomplete.push(run.report.status == crate::reference::pipeline::RunStatus::Incomplete);
        runs.push(run.report);
        records.push(record);
    }

    let mut figures = Vec::new();
    for (index, predicted) in predictions.iter().enumerate() {
        let record = &records[index];
        let one_worker = records
            .iter()
            .position(|r| r.workers == 1 && r.events == record.events)
            .map(|b| &runs[b]);
        // Rows and bytes once a volume: the first run of each size shows them.
        let with_rows = records[..index]
            .iter()
            .all(|earlier| earlier.events != record.events);
        hold(
            &Held {
                predicted,
                measured: &runs[index],
                one_worker,
                workers: record.workers,
                with_rows,
                run: Some(record.path.clone()),
                calibration_spread: None,
                spread: None,
                calibration_stages: &calibration.report.stages,
                base_memory: calibration.report.process_base_memory_bytes,
                worker_shares: &[],
                keys: calibration.several.as_ref().and_then(|s| s.keys.as_ref()),
                outside_s: record.outside_stages_s,
                engine: record.source,
                incomplete: incomplete[index],
            },
            options.tolerances,
            &mut figures,
        )?;
    }
    let names: Vec<String> = calibration
        .report
        .stages
        .iter()
        .map(|s| s.name.clone())
        .collect();
    name_causes(
        &mut figures,
        names.first().map_or("", String::as_str),
        names.last().map_or("", String::as_str),
        records.first().map_or(RunSource::PipecalcRun, |r| r.source),
    );
    // Speed-ups from the runs of one size at several worker counts, one of
    // them a single worker.
    let fits = records
        .iter()
        .find(|r| r.workers == 1)
        .map(|one| {
            let (workers, same): (Vec<usize>, Vec<RunReport>) = records
                .iter()
                .zip(&runs)
                .filter(|(r, _)| r.events == one.events)
                .map(|(r, run)| (r.workers, run.clone()))
                .unzip();
            let distinct: std::collections::BTreeSet<usize> = workers.iter().copied().collect();
            if distinct.len() >= 2 {
                fit_stages(&workers, &same, &names)
            } else {
                Vec::new()
            }
        })
        .unwrap_or_default();
    Ok(Validation {
        options: options.clone(),
        calibration,
        figures,
        fits,
        runs,
        against: records,
        load: None,
        worker_shares: Vec::new(),
    })
}
