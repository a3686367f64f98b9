//! Validate: the model held against measured runs. A generated plan
//! calibrates on samples run on this machine, then runs a larger target at
//! each worker count; a measured plan calibrates from runs already made (a
//! pipecalc lake or Spark event logs) and holds others. Either way the
//! target's runs are gathered into groups of repeats and each group is
//! predicted from its volume and workers alone, through the same models
//! `estimate` and `scale` use ([`super::hold`]).

use std::path::PathBuf;

use anyhow::{bail, Result};
use schemars::JsonSchema;
use serde::Serialize;

use super::calibrate::{self, from_sample_with, sample_logs, worker_memory_shares, Calibration};
use super::calibrate::{CalibrateOptions, WorkerMemoryShare};
use super::fit::{fit_speedups, StageFit};
use super::hold::{hold, name_causes, Figure, Holding, Tolerances, Verdict};
use super::run::{self, measure, read_runs, sample_config, Group, GroupRecord, Run, RunRecord};
use crate::interrupt::Scratch;
use crate::reference::generator::generate;
pub use crate::reference::machine::MachineLoad;
use crate::reference::machine::{load_average, CpuSample};
use crate::reference::metrics::median;
use crate::reference::spark::StageMap;
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
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// What validate measures: runs of the reference pipeline it makes, or
/// runs already measured (a pipecalc run or a Spark event log).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// Calibrate on generated samples, run a generated target per worker count.
    Generated {
        sample: u64,
        target: u64,
        workers: Vec<usize>,
        repeat: usize,
        seed: u64,
    },
    /// Calibrate from measured runs and hold others.
    Measured {
        calibrate_from: Vec<PathBuf>,
        against: Vec<PathBuf>,
        /// Maps a Spark log's untagged jobs onto stages (`--stage-map`).
        stage_map: Option<PathBuf>,
        /// Unfinished logs are used, and marked, rather than refused.
        allow_incomplete: bool,
    },
}

/// What validate found: its serialization is `validate --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Validation {
    pub plan: Plan,
    pub tolerances: Tolerances,
    pub calibration: Calibration,
    /// The measured runs held, gathered by size and workers.
    pub targets: Vec<GroupRecord>,
    pub against: Vec<RunRecord>,
    pub figures: Vec<Figure>,
    /// The measured speed-ups of one size at several worker counts, and
    /// Amdahl's and the USL's fits to them.
    pub speedups: Vec<StageFit>,
    /// The machine's load around the generated target's runs.
    pub machine_load: Option<MachineLoad>,
    /// Of each stage's working set, the share each worker past the first
    /// adds in one process (generated runs with more than one worker).
    pub worker_memory_shares: Vec<WorkerMemoryShare>,
    /// What the Spark logs record of a real cluster's terms (shuffle bytes,
    /// their remote share, spill, skew), held against the model.
    pub cluster_terms: Vec<super::hold::terms::TermCheck>,
    /// No figure is `off` and no cluster term disagrees (the exit code is
    /// 0); `too_noisy` ones do not count.
    pub passes: bool,
    pub all_within_tolerance: bool,
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
        } => {
            let map = stage_map.as_deref().map(StageMap::load).transpose()?;
            validate_measured(
                options,
                calibrate_from,
                against,
                map.as_ref(),
                *allow_incomplete,
            )
        }
    }
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
    let sample_options = CalibrateOptions {
        events: sample,
        workers: 1,
        repeat,
        seed,
    };
    let (calibration, sample_runs, sample_scratch) =
        from_sample_with(&sample_options, &options.binary, &progress)?;
    // Threads of one process share some of each stage's memory: what a
    // second worker adds is measured on the calibration's own sample.
    let worker_shares = if workers.iter().any(|&n| n > 1) {
        progress("the sample again with 2 workers, for the memory a worker adds".into());
        let (two, _) = measure(
            &options.binary,
            &sample_logs(&sample_scratch),
            &sample_scratch.0.join("two-workers"),
            2,
            repeat,
            &progress,
        )?;
        let one: Vec<Run> = sample_runs
            .into_iter()
            .filter(|r| r.record.events == calibration.events)
            .collect();
        match (run::groups(&one).first(), run::groups(&two).first()) {
            (Some(one), Some(two)) => worker_memory_shares(one, two),
            _ => Vec::new(),
        }
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
    let mut runs = Vec::new();
    for &n in workers {
        progress(format!("measuring the target with {n} worker(s)"));
        runs.extend(measure(&options.binary, &logs, &scratch.0, n, repeat, &progress)?.0);
    }
    let load = MachineLoad {
        load_average_before: load_before,
        load_average_after: load_average(),
        other_processes_cores: cpu_before
            .zip(CpuSample::now())
            .and_then(|(before, after)| after.others_since(before, cores))
            .map(clean),
        cores,
    };
    held(options, calibration, &runs, worker_shares, Some(load))
}

fn validate_measured(
    options: &ValidateOptions,
    calibrate_from: &[PathBuf],
    against: &[PathBuf],
    map: Option<&StageMap>,
    allow_incomplete: bool,
) -> Result<Validation> {
    if against.is_empty() {
        bail!("`--calibrate-from` needs at least one `--against RUN` to predict");
    }
    if calibrate_from.is_empty() {
        bail!("`--against` needs at least one `--calibrate-from RUN` to calibrate on");
    }
    let calibrating = read_runs(calibrate_from, map, allow_incomplete)?;
    let mut targets = read_runs(against, map, allow_incomplete)?;
    // A run calibrated from and held against is a copy that agrees with
    // itself, and another job's log is another job.
    let mut together = calibrating.clone();
    together.extend(targets.iter().cloned());
    run::refuse_what_does_not_belong(&together)?;
    let calibration = calibrate::calibrate(&calibrating, calibrate::Source::Runs)?;
    for target in &mut targets {
        if target.record.events == 0 {
            bail!(
                "`{}`: its first stage read no rows, so there is no volume to predict",
                target.record.path
            );
        }
        // A stage one side lacks is never compared in silence.
        for stage in &target.report.stages {
            let known = calibration.stages.iter().any(|c| {
                c.measured_as == stage.name
                    || c.name == crate::scenario::stage_name_from(&stage.name)
            });
            if !known {
                target.record.warnings.push(format!(
                    "stage `{}` was measured but the calibration has no such stage: it is not compared",
                    stage.name
                ));
            }
        }
    }
    held(options, calibration, &targets, Vec::new(), None)
}

/// Holds every group of the target's runs against the calibration.
fn held(
    options: &ValidateOptions,
    calibration: Calibration,
    runs: &[Run],
    worker_memory_shares: Vec<WorkerMemoryShare>,
    machine_load: Option<MachineLoad>,
) -> Result<Validation> {
    let groups = run::groups(runs);
    let holding = Holding {
        calibration: &calibration,
        tolerances: options.tolerances,
        base_memory: base_memory(&calibration, runs),
        worker_shares: &worker_memory_shares,
    };
    let mut figures = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        // Rows and bytes do not depend on the workers: once a size.
        let with_rows = groups[..index].iter().all(|g| g.events != group.events);
        let one_worker = groups
            .iter()
            .find(|g| g.workers == 1 && g.events == group.events);
        hold(&holding, group, with_rows, one_worker, &mut figures)?;
    }
    name_causes(&mut figures, &calibration);
    let speedups = speedups(&groups, &calibration);
    let cluster_terms = super::hold::terms::hold_terms(&calibration, &groups);
    let passes = figures.iter().all(|f| f.verdict != Verdict::Off)
        && cluster_terms
            .iter()
            .all(|c| c.agreement != super::hold::terms::Agreement::Disagrees);
    let all_within_tolerance = figures.iter().all(|f| f.within_tolerance);
    Ok(Validation {
        plan: options.plan.clone(),
        tolerances: options.tolerances,
        targets: groups.iter().map(Group::record).collect(),
        against: runs.iter().map(|r| r.record.clone()).collect(),
        calibration,
        figures,
        speedups,
        machine_load,
        worker_memory_shares,
        cluster_terms,
        passes,
        all_within_tolerance,
    })
}

/// The process's resident size before its first stage, as the reference
/// pipeline's runs measured it (a Spark log has none): a run with N
/// workers is predicted to peak at it plus N working sets.
fn base_memory(calibration: &Calibration, runs: &[Run]) -> Option<f64> {
    let starts: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.report.process_base_memory_bytes.map(|b| b as f64))
        .collect();
    let own_runs = calibration
        .runs
        .iter()
        .all(|r| r.source == crate::reference::spark::RunSource::PipecalcRun);
    if own_runs {
        median(&starts)
    } else {
        None
    }
}

/// The speed-ups of the size measured at the most worker counts, one of
/// them 1, stage by stage and for the whole run.
fn speedups(groups: &[Group], calibration: &Calibration) -> Vec<StageFit> {
    let size = groups
        .iter()
        .filter(|g| g.workers == 1)
        .map(|g| g.events)
        .max_by_key(|&events| groups.iter().filter(|g| g.events == events).count());
    let Some(size) = size else {
        return Vec::new();
    };
    let at: Vec<&Group> = groups.iter().filter(|g| g.events == size).collect();
    if at.len() < 2 {
        return Vec::new();
    }
    let workers: Vec<usize> = at.iter().map(|g| g.workers).collect();
    let names: Vec<String> = at[0].runs[0]
        .report
        .stages
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut fits: Vec<StageFit> = names
        .iter()
        .enumerate()
        .filter_map(|(index, name)| {
            let times: Option<Vec<f64>> =
                at.iter().map(|g| g.time(index).map(|t| t.median)).collect();
            let shown = calibration
                .stages
                .iter()
                .find(|s| s.measured_as == *name)
                .map_or(name.as_str(), |s| s.name.as_str());
            fit_speedups(shown, &workers, &times?)
        })
        .collect();
    let whole: Vec<f64> = at.iter().map(|g| g.whole().median).collect();
    fits.extend(fit_speedups("pipeline", &workers, &whole));
    fits
}
