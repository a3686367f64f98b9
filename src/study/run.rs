//! Measured runs as the study wing reads them: a run of the reference
//! pipeline made here (a process per run, repeated and reduced to medians
//! with their spread), or a run already measured (a pipecalc lake or a
//! Spark event log), named by a [`RunRecord`].

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use schemars::JsonSchema;
use serde::Serialize;

use crate::interrupt::killed_by_the_same_interrupt;
use crate::reference::generator::GeneratorConfig;
use crate::reference::pipeline::{RunReport, RunStatus};
use crate::reference::spark::{Mapping, MeasuredRun, RunSource, StageMap};
use crate::reference::storage::{parquet_files, stream_batches};
use crate::units::clean;

pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// How far apart repeated runs of one measurement were, each as
/// (max − min) ÷ median in percent; `None` where there was one run.
#[derive(Clone, Debug, Default)]
pub struct Spread {
    pub stage_time_pct: Vec<Option<f64>>,
    pub pipeline_time_pct: Option<f64>,
    pub stage_memory_pct: Vec<Option<f64>>,
}

pub(crate) fn spread_pct(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let middle = median(values.to_vec());
    let (low, high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    (middle > 0.0).then(|| (high - low) / middle * 100.0)
}

/// Runs the pipeline `repeat` times on `logs` and keeps, per stage, the
/// median wall and CPU time and peak memory, and how far apart the runs
/// were; rows and bytes are the same every run (the pipeline is
/// deterministic). Also returns the last run's output folder, for a look
/// at its data.
pub(crate) fn measure(
    binary: &Path,
    logs: &Path,
    scratch: &Path,
    workers: usize,
    repeat: usize,
    progress: &dyn Fn(String),
) -> Result<(RunReport, PathBuf, Spread)> {
    let mut runs = Vec::new();
    let mut lake = PathBuf::new();
    for attempt in 0..repeat.max(1) {
        progress(format!(
            "run {} of {} with {workers} worker(s)",
            attempt + 1,
            repeat.max(1)
        ));
        lake = scratch.join(format!("lake-{workers}-{attempt}"));
        runs.push(run_apart(binary, logs, &lake, workers)?);
        if attempt + 1 < repeat.max(1) {
            std::fs::remove_dir_all(&lake)?;
        }
    }
    let spread = Spread {
        stage_time_pct: (0..runs[0].stages.len())
            .map(|index| {
                spread_pct(
                    &runs
                        .iter()
                        .map(|r| r.stages[index].wall_s)
                        .collect::<Vec<_>>(),
                )
            })
            .collect(),
        pipeline_time_pct: spread_pct(
            &runs
                .iter()
                .map(|r| r.stages.iter().map(|s| s.wall_s).sum())
                .collect::<Vec<_>>(),
        ),
        stage_memory_pct: (0..runs[0].stages.len())
            .map(|index| {
                runs.iter()
                    .map(|r| r.stages[index].peak_memory_bytes.map(|b| b as f64))
                    .collect::<Option<Vec<f64>>>()
                    .and_then(|peaks| spread_pct(&peaks))
            })
            .collect(),
    };
    let mut report = runs[0].clone();
    for (index, stage) in report.stages.iter_mut().enumerate() {
        stage.wall_s = median(runs.iter().map(|r| r.stages[index].wall_s).collect());
        // Not measured in any run: not measured in the median either.
        stage.cpu_s = runs
            .iter()
            .map(|r| r.stages[index].cpu_s)
            .collect::<Option<Vec<f64>>>()
            .map(median);
        stage.peak_memory_bytes = runs
            .iter()
            .map(|r| r.stages[index].peak_memory_bytes.map(|b| b as f64))
            .collect::<Option<Vec<f64>>>()
            .map(|peaks| median(peaks) as u64);
    }
    Ok((report, lake, spread))
}

/// One run of the reference pipeline in a process of its own (`pipecalc
/// run`), its report read back from its `run.json`. In one long process
/// the allocator kept what earlier runs had freed: a half-size sample's
/// run started at 34 MB resident where a fresh process starts at 7 MB, and
/// reused that memory, so its peak above its start read a third of what
/// it held. A process per run measures each run's memory alone, as
/// `pipecalc run` does for a user.
fn run_apart(binary: &Path, logs: &Path, lake: &Path, workers: usize) -> Result<RunReport> {
    let output = std::process::Command::new(binary)
        .arg("run")
        .arg("--input")
        .arg(logs)
        .arg("--out")
        .arg(lake)
        .args(["--workers", &workers.to_string(), "--format", "json"])
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot start `{}` to run the pipeline", binary.display()))?;
    if !output.status.success() {
        killed_by_the_same_interrupt(&output.status);
        bail!(
            "`{} run` on `{}` failed ({}): {}",
            binary.display(),
            logs.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let path = lake.join("run.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("`{}` is not a run report", path.display()))
}

/// How many distinct (date, product) keys the transform's output holds,
/// and the Chao1 estimate of how many there are in all (seen or not):
/// D + f1² ÷ (2 f2), from the keys seen once (f1) and twice (f2).
pub(crate) fn key_census(processed: &Path) -> Result<(u64, f64)> {
    use arrow_array::cast::AsArray;
    let mut counts: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for file in parquet_files(processed)? {
        let date = file
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for batch in stream_batches(&file, 65_536, None)? {
            let batch = batch?;
            let products = batch.column(1).as_string::<i32>();
            for row in 0..batch.num_rows() {
                *counts
                    .entry(format!("{date}/{}", products.value(row)))
                    .or_default() += 1;
            }
        }
    }
    let seen = counts.len() as u64;
    let once = counts.values().filter(|&&c| c == 1).count() as f64;
    let twice = counts.values().filter(|&&c| c == 2).count() as f64;
    let unseen = if twice > 0.0 {
        once * once / (2.0 * twice)
    } else {
        once * (once - 1.0).max(0.0) / 2.0
    };
    Ok((seen, seen as f64 + unseen))
}

/// A measured run as validate names it: where it is, what it is, its
/// volume and workers.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RunRecord {
    /// The folder or file read.
    pub path: String,
    pub source: RunSource,
    /// How Spark's stages were mapped onto pipecalc's; `null` for a pipecalc run.
    pub mapping: Option<Mapping>,
    /// Lines (events) its first stage read.
    pub events: u64,
    pub workers: usize,
    /// Σ of its stages' walls.
    pub in_stages_s: f64,
    /// Spark's start-up, driver and shutdown time; `null` where not measured.
    pub outside_stages_s: Option<f64>,
    pub warnings: Vec<String>,
}

impl RunRecord {
    pub fn of(path: &Path, run: &MeasuredRun) -> RunRecord {
        RunRecord {
            path: path.display().to_string(),
            source: run.source(),
            mapping: run.mapping(),
            events: run.events(),
            workers: run.report.workers,
            in_stages_s: clean(run.report.stages.iter().map(|s| s.wall_s).sum()),
            outside_stages_s: run.outside_stages_s().map(clean),
            warnings: run.warnings.clone(),
        }
    }
}

pub(crate) fn sample_config(events: u64, seed: u64) -> GeneratorConfig {
    GeneratorConfig {
        events,
        days: 1,
        seed,
        ..GeneratorConfig::default()
    }
}

/// Reads every run, refusing an unfinished one unless `allow_incomplete`.
pub fn read_runs(
    paths: &[PathBuf],
    map: Option<&StageMap>,
    allow_incomplete: bool,
) -> Result<Vec<(RunRecord, MeasuredRun)>> {
    let mut runs = Vec::new();
    for path in paths {
        let run = crate::reference::spark::read_run_with(path, map)?;
        refuse_incomplete(path, &run, allow_incomplete)?;
        runs.push((RunRecord::of(path, &run), run));
    }
    Ok(runs)
}

/// An unfinished log's half-done stages would be fitted as whole ones, and
/// a count the log did not measure would be fitted as 0.
pub fn refuse_incomplete(path: &Path, run: &MeasuredRun, allow_incomplete: bool) -> Result<()> {
    if run.report.status == RunStatus::Incomplete && !allow_incomplete {
        bail!(
            "`{}` is an unfinished log (it ends before its application did: still running, or killed); its stages may be half done, so it is refused; add --allow-incomplete to use the stages that finished",
            path.display()
        );
    }
    if let Some(stage) = run
        .report
        .stages
        .iter()
        .find(|s| !s.not_measured.is_empty())
    {
        bail!(
            "`{}`: stage `{}` has {} not measured (the log holds Spark's \"unknown\" value there, or counts past what a count holds), so it cannot be calibrated from; `pipecalc inspect` shows what the log holds",
            path.display(),
            stage.name,
            stage.not_measured.join(", ")
        );
    }
    Ok(())
}
