//! One [`Run`] for every source the study wing reads: a run of the
//! reference pipeline made here (a process per run), a pipecalc lake, or a
//! Spark event log. Runs of one size and one worker count are repeats of
//! one measurement, gathered into a [`Group`]: the fits use each group's
//! quietest, median and slowest value ([`Repeats`]), so no single loaded
//! run steers them, and the group's spread is the noise every verdict is
//! judged with.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use schemars::JsonSchema;
use serde::Serialize;

use crate::interrupt::killed_by_the_same_interrupt;
use crate::reference::generator::GeneratorConfig;
use crate::reference::metrics::median;
use crate::reference::pipeline::{RunReport, RunStatus, StageMetrics, StageStatus};
use crate::reference::spark::{Mapping, MeasuredRun, RunSource, SparkDetails, StageMap};
use crate::reference::storage::{parquet_files, stream_batches};
use crate::units::clean;

/// A measured run, from whatever made it.
#[derive(Clone, Debug)]
pub struct Run {
    pub record: RunRecord,
    pub report: RunReport,
    /// What a Spark log adds (tasks, executors); `None` for a pipecalc run.
    pub spark: Option<SparkDetails>,
}

/// A run as the reports name it: where it is, what it is, its volume and
/// workers.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RunRecord {
    /// The folder or file read, or for a run made here what it ran.
    pub path: String,
    pub source: RunSource,
    /// The Spark application's name; `null` for a pipecalc run.
    pub application: Option<String>,
    /// What tells a copy of a run from another run: a Spark application's
    /// id, or a digest of a pipecalc run's report.
    pub identity: String,
    /// How Spark's stages were mapped onto pipecalc's; `null` for a pipecalc run.
    pub mapping: Option<Mapping>,
    /// Lines (events) its first stage read.
    pub events: u64,
    pub workers: usize,
    /// Where a Spark run's workers were: its executors and their hosts;
    /// `null` for a pipecalc run, whose workers are threads of one process.
    pub executors: Option<Executors>,
    /// Σ of its stages' walls.
    pub in_stages_s: f64,
    /// Spark's start-up, driver and shutdown time; `null` where not measured.
    pub outside_stages_s: Option<f64>,
    /// The log ends before its application did (`--allow-incomplete`): its
    /// unfinished stages are neither fitted nor held.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    pub warnings: Vec<String>,
}

/// A Spark run's executors: how many, and on which hosts.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Executors {
    /// Spark's local mode (`local[N]`): the driver and its executor are one
    /// process, its cores threads of it.
    pub local: bool,
    pub count: usize,
    /// The distinct hosts they ran on, sorted.
    pub hosts: Vec<String>,
}

impl Run {
    /// A run already measured: a pipecalc output folder or its run.json, or
    /// a Spark event log. An unfinished log is refused unless
    /// `allow_incomplete`, and a count the source did not measure always.
    pub fn read(path: &Path, map: Option<&StageMap>, allow_incomplete: bool) -> Result<Run> {
        let run = crate::reference::spark::read_run_with(path, map)?;
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
        Ok(Run::of(path.display().to_string(), run))
    }

    fn of(path: String, run: MeasuredRun) -> Run {
        let identity = match run.spark.as_ref().and_then(|s| s.application.id.clone()) {
            Some(id) => id,
            None => digest(&run.report),
        };
        let executors = run.spark.as_ref().map(|spark| {
            let mut hosts: Vec<String> = spark
                .application
                .executor_changes
                .iter()
                .filter_map(|change| change.host.clone())
                .collect();
            hosts.sort();
            hosts.dedup();
            Executors {
                local: spark
                    .application
                    .master
                    .as_deref()
                    .is_some_and(|m| m.starts_with("local")),
                count: spark.application.executors,
                hosts,
            }
        });
        let mut warnings = run.warnings.clone();
        for stage in run.report.stages.iter().filter(|s| !usable(s)) {
            warnings.push(format!(
                "stage `{}` did not finish before the log ends: it is neither fitted nor held",
                stage.name
            ));
        }
        Run {
            record: RunRecord {
                path,
                source: run.source(),
                application: run.spark.as_ref().map(|s| s.application.name.clone()),
                identity,
                mapping: run.mapping(),
                events: run.events(),
                workers: run.report.workers,
                executors,
                in_stages_s: clean(run.report.stages.iter().map(|s| s.wall_s).sum()),
                outside_stages_s: run.outside_stages_s().map(clean),
                incomplete: run.report.status == RunStatus::Incomplete,
                warnings,
            },
            report: run.report,
            spark: run.spark,
        }
    }

    /// A run of the reference pipeline made here.
    pub(crate) fn made(description: String, report: RunReport) -> Run {
        let identity = digest(&report);
        Run::of(
            description,
            MeasuredRun {
                report,
                spark: None,
                warnings: Vec::new(),
            },
        )
        .with_identity(identity)
    }

    fn with_identity(mut self, identity: String) -> Run {
        self.record.identity = identity;
        self
    }

    /// The whole run: its stages and, where measured, its time outside them.
    pub fn whole_s(&self) -> f64 {
        self.record.in_stages_s + self.record.outside_stages_s.unwrap_or(0.0)
    }

    /// The Spark stage details of a pipecalc stage, where the log has them.
    pub fn spark_stage(&self, name: &str) -> Option<&crate::reference::spark::SparkStage> {
        self.spark.as_ref()?.stages.iter().find(|s| s.stage == name)
    }
}

/// A stage whose figures are whole: not one a log shows begun and never
/// finished.
fn usable(stage: &StageMetrics) -> bool {
    stage.status != StageStatus::Unfinished
}

/// A stage whose time is its own work in this run: a stage kept or
/// resumed from an earlier run took no time of this one.
fn timed(stage: &StageMetrics) -> bool {
    stage.status == StageStatus::Ran
}

/// A digest of a run's report: two copies of one run have the same one.
fn digest(report: &RunReport) -> String {
    let text = serde_json::to_string(report).unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Reads every run and refuses a set that cannot be fitted together: the
/// same run given twice (its copies would count as agreeing repeats), or
/// runs of different engines or of different applications (another job's
/// log can carry the same stage tags).
pub fn read_runs(
    paths: &[PathBuf],
    map: Option<&StageMap>,
    allow_incomplete: bool,
) -> Result<Vec<Run>> {
    let runs = paths
        .iter()
        .map(|path| Run::read(path, map, allow_incomplete))
        .collect::<Result<Vec<Run>>>()?;
    refuse_what_does_not_belong(&runs)?;
    Ok(runs)
}

/// The checks of [`read_runs`], for runs read apart (calibration and
/// target runs are held together).
pub fn refuse_what_does_not_belong(runs: &[Run]) -> Result<()> {
    for (index, run) in runs.iter().enumerate() {
        if let Some(earlier) = runs[..index]
            .iter()
            .find(|e| e.record.identity == run.record.identity)
        {
            bail!(
                "`{}` and `{}` are the same run ({}): a copy would count as a second repeat that agrees perfectly; give each run once",
                earlier.record.path,
                run.record.path,
                match run.record.source {
                    RunSource::SparkEventLog => format!("application {}", run.record.identity),
                    RunSource::PipecalcRun => "the same run.json".to_string(),
                }
            );
        }
        let first = &runs[0].record;
        if run.record.source != first.source {
            bail!(
                "`{}` is {} and `{}` is {}: runs fitted or held together must come from one engine",
                first.path,
                source_words(first.source),
                run.record.path,
                source_words(run.record.source)
            );
        }
        if run.record.application != first.application {
            bail!(
                "`{}` is of the application `{}` and `{}` of `{}`: runs fitted or held together must be of one job",
                first.path,
                first.application.as_deref().unwrap_or("?"),
                run.record.path,
                run.record.application.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(())
}

fn source_words(source: RunSource) -> &'static str {
    match source {
        RunSource::SparkEventLog => "a Spark event log",
        RunSource::PipecalcRun => "a pipecalc run",
    }
}

/// One measurement's repeats: the quietest, the median and the slowest.
/// On a shared machine other work only ever adds time, so the quietest
/// run is the job's own cost and the spread above it is the machine's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Repeats {
    pub quietest: f64,
    pub median: f64,
    pub slowest: f64,
    pub runs: usize,
}

/// Which of a group's repeats a fit is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Each group's quietest run: the job's own time, the prediction.
    Quiet,
    /// Each group's median.
    Typical,
    /// Each group's slowest run: as loaded as the machine was.
    Slowest,
}

impl Repeats {
    /// `None` for no values.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Repeats> {
        let mut values: Vec<f64> = values.into_iter().collect();
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(Repeats {
            quietest: values[0],
            median: median(&values)?,
            slowest: values[values.len() - 1],
            runs: values.len(),
        })
    }

    pub fn at(&self, band: Band) -> f64 {
        match band {
            Band::Quiet => self.quietest,
            Band::Typical => self.median,
            Band::Slowest => self.slowest,
        }
    }

    /// (slowest − quietest) ÷ median, in percent; `None` for one run.
    pub fn spread_pct(&self) -> Option<f64> {
        (self.runs >= 2 && self.median > 0.0)
            .then(|| clean((self.slowest - self.quietest) / self.median * 100.0))
    }
}

/// Repeats of one measurement: runs of one size (events within 1%) and one
/// worker count.
#[derive(Clone, Debug)]
pub struct Group<'a> {
    pub events: u64,
    pub workers: usize,
    /// In one order whatever order the runs were given in.
    pub runs: Vec<&'a Run>,
}

/// A group as the reports name it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct GroupRecord {
    /// The median of its runs' events.
    pub events: u64,
    pub workers: usize,
    pub runs: Vec<String>,
    /// The whole run's time (stages and, where measured, outside them).
    pub whole_s: Repeats,
}

/// The runs gathered into groups, smallest first, then by workers.
pub fn groups(runs: &[Run]) -> Vec<Group<'_>> {
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by(|a, b| {
        (a.record.workers, a.record.events, &a.record.identity).cmp(&(
            b.record.workers,
            b.record.events,
            &b.record.identity,
        ))
    });
    let mut groups: Vec<Group> = Vec::new();
    for run in sorted {
        match groups.last_mut() {
            Some(group)
                if group.workers == run.record.workers
                    && (run.record.events as f64) <= group.runs[0].record.events as f64 * 1.01 =>
            {
                group.runs.push(run)
            }
            _ => groups.push(Group {
                events: run.record.events,
                workers: run.record.workers,
                runs: vec![run],
            }),
        }
    }
    for group in &mut groups {
        let events: Vec<f64> = group.runs.iter().map(|r| r.record.events as f64).collect();
        group.events = median(&events).map_or(0, |m| m.round() as u64);
    }
    groups.sort_by_key(|g| (g.events, g.workers));
    groups
}

impl Group<'_> {
    fn stages(&self, index: usize) -> impl Iterator<Item = &StageMetrics> + '_ {
        self.runs
            .iter()
            .filter_map(move |run| run.report.stages.get(index))
            .filter(|stage| usable(stage))
    }

    /// A stage's wall time over the repeats that ran it.
    pub fn time(&self, index: usize) -> Option<Repeats> {
        Repeats::of(self.stages(index).filter(|s| timed(s)).map(|s| s.wall_s))
    }

    /// A count of a stage (the same every repeat of a deterministic job,
    /// so the median is the count).
    pub fn count(&self, index: usize, of: fn(&StageMetrics) -> u64) -> Option<f64> {
        Repeats::of(self.stages(index).map(|s| of(s) as f64)).map(|r| r.median)
    }

    /// What each worker of a stage held, above the process's start where
    /// it was measured ([`per_worker_memory`]).
    pub fn memory(&self, index: usize) -> Option<Repeats> {
        Repeats::of(self.runs.iter().filter_map(|run| {
            let stage = run.report.stages.get(index).filter(|s| usable(s))?;
            Some(per_worker_memory(
                stage.peak_memory_bytes?,
                run.report.process_base_memory_bytes,
                run.record.workers,
            ))
        }))
    }

    /// A stage's peak as measured (a process's resident size, or a Spark
    /// task's execution memory).
    pub fn peak(&self, index: usize) -> Option<Repeats> {
        Repeats::of(
            self.stages(index)
                .filter_map(|s| s.peak_memory_bytes.map(|b| b as f64)),
        )
    }

    pub fn whole(&self) -> Repeats {
        Repeats::of(self.runs.iter().map(|r| r.whole_s())).expect("a group has a run")
    }

    pub fn outside(&self) -> Option<Repeats> {
        Repeats::of(self.runs.iter().filter_map(|r| r.record.outside_stages_s))
    }

    /// The process's resident size before its first stage, where measured.
    pub fn base_memory(&self) -> Option<f64> {
        Repeats::of(
            self.runs
                .iter()
                .filter_map(|r| r.report.process_base_memory_bytes.map(|b| b as f64)),
        )
        .map(|r| r.median)
    }

    pub fn record(&self) -> GroupRecord {
        GroupRecord {
            events: self.events,
            workers: self.workers,
            runs: self.runs.iter().map(|r| r.record.path.clone()).collect(),
            whole_s: self.whole(),
        }
    }

    /// A short name: the size and workers, and how many runs.
    pub fn name(&self) -> String {
        format!(
            "{} events on {} worker(s), {} run(s)",
            crate::units::grouped(self.events),
            self.workers,
            self.runs.len()
        )
    }
}

/// A worker's share of a stage's peak: what the stage added above the
/// process's resident size at the start of the run (the program and its
/// libraries, shared by every worker), divided among the workers. Where
/// the start was not measured, the whole peak.
pub fn per_worker_memory(peak: u64, base: Option<u64>, workers: usize) -> f64 {
    match base {
        // A stage that added nothing above the start is written at the
        // measurement's resolution, a 4 KiB page: a working set must be
        // positive, and 0 would claim a precision there is not.
        Some(base) => (peak.saturating_sub(base) as f64 / workers.max(1) as f64).max(4096.0),
        None => peak as f64,
    }
}

/// Runs the pipeline `repeat` times on `logs`, each a process of its own,
/// and returns each run and the last one's output folder (for a look at its
/// data).
pub(crate) fn measure(
    binary: &Path,
    logs: &Path,
    scratch: &Path,
    workers: usize,
    repeat: usize,
    progress: &dyn Fn(String),
) -> Result<(Vec<Run>, PathBuf)> {
    let mut runs = Vec::new();
    let mut lake = PathBuf::new();
    let repeat = repeat.max(1);
    for attempt in 0..repeat {
        progress(format!(
            "run {} of {repeat} with {workers} worker(s)",
            attempt + 1
        ));
        lake = scratch.join(format!("lake-{workers}-{attempt}"));
        let report = run_apart(binary, logs, &lake, workers)?;
        let events = report.stages.first().map_or(0, |s| s.rows_in);
        let description = format!(
            "{} generated events, {workers} worker(s), run {} of {repeat}",
            crate::units::grouped(events),
            attempt + 1
        );
        runs.push(
            Run::made(description, report)
                .with_identity(format!("{}/{workers}/{attempt}", logs.display())),
        );
        if attempt + 1 < repeat {
            std::fs::remove_dir_all(&lake)?;
        }
    }
    Ok((runs, lake))
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

pub(crate) fn sample_config(events: u64, seed: u64) -> GeneratorConfig {
    GeneratorConfig {
        events,
        days: 1,
        seed,
        ..GeneratorConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_keep_the_quietest_the_median_and_the_slowest() {
        let r = Repeats::of([12.0, 9.0, 30.0]).unwrap();
        assert_eq!(
            (r.quietest, r.median, r.slowest, r.runs),
            (9.0, 12.0, 30.0, 3)
        );
        // (30 − 9) ÷ 12 = 175%: one loaded run shows as spread, and the
        // median and the quietest do not move with it.
        assert_eq!(r.spread_pct(), Some(175.0));
        assert_eq!(Repeats::of([10.0]).unwrap().spread_pct(), None);
        assert_eq!(Repeats::of([]), None);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_worker_s_memory_is_what_it_added_above_the_start() {
        // 60 MB peak over a 20 MB start with 2 workers: 20 MB each.
        assert_eq!(per_worker_memory(60_000_000, Some(20_000_000), 2), 20e6);
        // A stage that added nothing is a page, not 0 nor a negative size.
        assert_eq!(per_worker_memory(19_000_000, Some(20_000_000), 1), 4096.0);
        // No start measured: the whole peak, as before.
        assert_eq!(per_worker_memory(60_000_000, None, 2), 60e6);
    }
}
