//! A Spark application's event log as a measured run: the same per-stage
//! report as the reference pipeline's `run.json`, so `inspect` shows either.
//!
//! Spark writes one JSON event a line (`JsonProtocol.scala`, which promises
//! never to delete a field). The mapping onto pipecalc's stages:
//! - a job's `"Properties"` → `"pipecalc.stage"` (set with
//!   `sc.setLocalProperty("pipecalc.stage", NAME)`) names the stage its
//!   Spark stages belong to; without it, `"spark.job.description"`; without
//!   either, the whole application is one stage, and the report says which;
//! - per pipecalc stage: wall time from the first submission to the last
//!   completion of its Spark stages; CPU as Σ `"Executor CPU Time"`; rows and
//!   bytes in as the files its tasks read (its shuffle reads where it reads
//!   no file), out as the files they write (else their shuffle writes); peak
//!   memory as the largest task's `"Peak Execution Memory"` (a task's
//!   execution memory, not a process's resident size);
//! - workers: the most executor cores alive at once.
//!
//! Unknown events are skipped; a metric the log does not hold is "not
//! measured" (`None`), never 0. A log may be plain JSON lines or
//! zstd-compressed, a file or a rolling `eventlog_v2_*` folder.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use schemars::JsonSchema;
use serde::Serialize;

use crate::reference::pipeline::{Quality, RunReport, RunStatus, StageMetrics, StageStatus};
use crate::units::clean;

mod events;

/// How Spark's stages were mapped onto pipecalc's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mapping {
    /// `sc.setLocalProperty("pipecalc.stage", …)`.
    Tagged,
    /// A mapping file of job ids (`--stage-map`).
    MappingFile,
    /// `spark.job.description` (`sc.setJobDescription`).
    JobDescription,
    /// The SQL execution's description (the query's call site).
    SqlDescription,
    /// No tags: the whole application is one stage.
    WholeApplication,
}

impl Mapping {
    /// The report's words for it.
    pub fn label(self) -> &'static str {
        match self {
            Mapping::Tagged => "stages from the `pipecalc.stage` tags",
            Mapping::MappingFile => "stages from the mapping file's job ids (`--stage-map`)",
            Mapping::JobDescription => {
                "stages from the jobs' descriptions (`spark.job.description`)"
            }
            Mapping::SqlDescription => "stages from the SQL executions' descriptions",
            Mapping::WholeApplication => "the whole application as one stage (no job is tagged)",
        }
    }

    /// A better source of names wins: tags, then the user's mapping file,
    /// then job descriptions, then SQL.
    fn rank(self) -> u8 {
        match self {
            Mapping::Tagged => 4,
            Mapping::MappingFile => 3,
            Mapping::JobDescription => 2,
            Mapping::SqlDescription => 1,
            Mapping::WholeApplication => 0,
        }
    }
}

/// A mapping of Spark job ids onto pipecalc's stages, for a job that is not
/// tagged: YAML (or JSON), each key a job id or a range of them,
/// `{"0": ingest, "1-3": transform, "4-6": aggregate, "7-9": load}`. A
/// job's tag still wins; the file wins over descriptions, since it was asked
/// for.
#[derive(Clone, Debug, Default)]
pub struct StageMap {
    ranges: Vec<(i64, i64, String)>,
}

impl StageMap {
    pub fn load(path: &Path) -> Result<StageMap> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the stage map `{}`", path.display()))?;
        let raw: BTreeMap<String, String> = serde_saphyr::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "`{}` is not a stage map ({e}); write job ids or ranges to stage names, e.g. {{\"0\": ingest, \"1-3\": transform}}",
                path.display()
            )
        })?;
        StageMap::from_entries(raw, &path.display().to_string())
    }

    fn from_entries(entries: BTreeMap<String, String>, file: &str) -> Result<StageMap> {
        let mut ranges = Vec::new();
        for (key, stage) in entries {
            let bad = || {
                anyhow::anyhow!(
                    "`{file}`: `{key}` is not a Spark job id or a range of them; write 3 or 1-3"
                )
            };
            let (first, last) = match key.trim().split_once('-') {
                Some((a, b)) => (
                    a.trim().parse::<i64>().map_err(|_| bad())?,
                    b.trim().parse::<i64>().map_err(|_| bad())?,
                ),
                None => {
                    let id = key.trim().parse::<i64>().map_err(|_| bad())?;
                    (id, id)
                }
            };
            if first < 0 || last < first {
                return Err(bad());
            }
            if stage.trim().is_empty() {
                bail!("`{file}`: jobs `{key}` map to an empty stage name");
            }
            if let Some((a, b, other)) = ranges
                .iter()
                .find(|(a, b, _): &&(i64, i64, String)| first <= *b && *a <= last)
            {
                bail!("`{file}`: jobs `{key}` overlap jobs {a}-{b} (`{other}`); each job belongs to one stage");
            }
            ranges.push((first, last, stage.trim().to_string()));
        }
        if ranges.is_empty() {
            bail!("`{file}` maps no jobs; write job ids or ranges to stage names, e.g. {{\"0\": ingest}}");
        }
        Ok(StageMap { ranges })
    }

    fn stage_of(&self, job: i64) -> Option<&str> {
        self.ranges
            .iter()
            .find(|(a, b, _)| *a <= job && job <= *b)
            .map(|(_, _, stage)| stage.as_str())
    }
}

/// Where a stage's bytes in were counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BytesSource {
    /// The SQL scan metric `size of files read`: right for Parquet, where
    /// the tasks' `Bytes Read` counts only the footers and pages touched.
    SqlFilesRead,
    /// The tasks' `Input Metrics` → `Bytes Read`.
    TaskInput,
    /// The stage reads no file: its shuffle reads.
    Shuffle,
}

/// What Spark's log says of one pipecalc stage beyond the run report's
/// figures.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SparkStage {
    pub stage: String,
    /// The Spark stage ids it ran as (skipped stages are not listed).
    pub spark_stages: Vec<i64>,
    pub tasks: u64,
    /// Attempts that failed and were retried; their work is not counted.
    pub failed_tasks: u64,
    /// Σ `Executor Run Time` of its tasks: busy time across all cores.
    pub busy_s: Option<f64>,
    pub longest_task_s: Option<f64>,
    /// The median task's `Executor Run Time`: with the longest, the skew.
    pub median_task_s: Option<f64>,
    pub shuffle_read_bytes: Option<u64>,
    /// Of the shuffle read, what came from other executors over the network
    /// and what from this one's disk: on a cluster of N the remote share is
    /// about (N − 1) ÷ N, in local mode none.
    pub shuffle_remote_bytes: Option<u64>,
    pub shuffle_local_bytes: Option<u64>,
    pub shuffle_write_bytes: Option<u64>,
    /// Σ `Fetch Wait Time`: tasks waiting for shuffle blocks.
    pub fetch_wait_s: Option<f64>,
    /// Σ `JVM GC Time` of its tasks.
    pub gc_s: Option<f64>,
    pub memory_spilled_bytes: Option<u64>,
    pub disk_spilled_bytes: Option<u64>,
    pub bytes_in_source: BytesSource,
}

impl SparkStage {
    /// The longest task over the median: Spark's AQE splits a partition
    /// past 5× the median (and 256 MB).
    pub fn task_skew(&self) -> Option<f64> {
        match (self.longest_task_s, self.median_task_s) {
            (Some(longest), Some(median)) if median > 0.0 => Some(clean(longest / median)),
            _ => None,
        }
    }
}

/// The application as a whole: its own start and end, apart from the stages.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SparkApplication {
    pub name: String,
    pub id: Option<String>,
    pub spark_version: Option<String>,
    /// `spark.master` as the application ran: `local[2]` ran in one
    /// process, `spark://…`, `yarn` or `k8s://…` on a cluster.
    pub master: Option<String>,
    /// Whether the log holds the application's end and is not marked as
    /// still being written: an incomplete log's stages may be half done.
    pub complete: bool,
    /// Application start to end; `None` when the log has no end (still running).
    pub wall_s: Option<f64>,
    /// Σ of the pipecalc stages' walls.
    pub in_stages_s: f64,
    /// Start-up, driver work between jobs, and shutdown: never folded into a stage.
    pub outside_stages_s: Option<f64>,
    /// Executors ever added.
    pub executors: usize,
    /// Executors as they joined and left, in the log's order.
    pub executor_changes: Vec<ExecutorChange>,
    /// The most executor cores alive at once: the run's workers.
    pub cores: usize,
    pub mapping: Mapping,
}

/// What a Spark event log adds to the run report.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SparkDetails {
    pub application: SparkApplication,
    pub stages: Vec<SparkStage>,
}

/// Where a measured run came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunSource {
    PipecalcRun,
    SparkEventLog,
}

/// A measured run: the run report, and what Spark's log adds when it came
/// from one.
#[derive(Clone, Debug)]
pub struct MeasuredRun {
    pub report: RunReport,
    /// `Some` when read from a Spark event log, `None` for a pipecalc run.
    pub spark: Option<SparkDetails>,
    pub warnings: Vec<String>,
}

impl MeasuredRun {
    /// The run's volume: the lines (events) its first stage read.
    pub fn events(&self) -> u64 {
        self.report.stages.first().map_or(0, |s| s.rows_in)
    }

    pub fn source(&self) -> RunSource {
        if self.spark.is_some() {
            RunSource::SparkEventLog
        } else {
            RunSource::PipecalcRun
        }
    }

    /// The time outside the stages (Spark's start-up, driver and
    /// shutdown), where the run knows it.
    pub fn outside_stages_s(&self) -> Option<f64> {
        self.spark
            .as_ref()
            .and_then(|s| s.application.outside_stages_s)
    }

    /// What the stages were mapped from.
    pub fn mapping(&self) -> Option<Mapping> {
        self.spark.as_ref().map(|s| s.application.mapping)
    }
}

/// One pipecalc stage's Spark stages, folded.
#[derive(Default)]
struct Sums {
    spark_stages: Vec<i64>,
    submitted_ms: Option<i64>,
    completed_ms: Option<i64>,
    /// Each Spark stage attempt's (submission, completion), for jobs that
    /// are spread between other stages' (the untagged ones).
    intervals: Vec<(i64, i64)>,
    cpu_ns: Option<f64>,
    run_ms: Option<f64>,
    longest_ms: Option<f64>,
    /// Each successful task's run time, for the median.
    task_ms: Vec<f64>,
    fetch_wait_ms: Option<f64>,
    gc_ms: Option<f64>,
    tasks: u64,
    failed_tasks: u64,
    /// Spark stages submitted that never completed: the log ends first.
    unfinished: Vec<i64>,
    counts: TaskCounts,
    /// `size of files read` of its SQL scans, where the log has it.
    sql_files_read: Option<u64>,
}

/// What a task read and wrote. Files and shuffles are kept apart: a
/// stage's rows are what it reads from and writes to files, and its
/// shuffles only where it has no files (a shuffle inside a stage that also
/// writes is the same rows moving twice).
#[derive(Clone, Default)]
struct TaskCounts {
    files_in: (u64, u64),
    files_out: (u64, u64),
    shuffle_in: (u64, u64),
    shuffle_out: (u64, u64),
    shuffle_read: Option<u64>,
    shuffle_remote: Option<u64>,
    shuffle_local: Option<u64>,
    shuffle_write: Option<u64>,
    memory_spilled: Option<u64>,
    disk_spilled: Option<u64>,
    peak_memory: Option<u64>,
    /// The counts some task did not measure (Spark's "unknown"), or whose
    /// sum passed what a count holds: `files_in.rows`, `shuffle_out.bytes`…
    unknown: std::collections::BTreeSet<&'static str>,
}

impl TaskCounts {
    fn add(&mut self, other: &TaskCounts) {
        // A sum past 2^64 is not a count: named unknown, never wrapped.
        let mut add = |a: &mut u64, b: u64, name: &'static str| match a.checked_add(b) {
            Some(sum) => *a = sum,
            None => {
                self.unknown.insert(name);
            }
        };
        add(&mut self.files_in.0, other.files_in.0, "files_in.rows");
        add(&mut self.files_in.1, other.files_in.1, "files_in.bytes");
        add(&mut self.files_out.0, other.files_out.0, "files_out.rows");
        add(&mut self.files_out.1, other.files_out.1, "files_out.bytes");
        add(
            &mut self.shuffle_in.0,
            other.shuffle_in.0,
            "shuffle_in.rows",
        );
        add(
            &mut self.shuffle_in.1,
            other.shuffle_in.1,
            "shuffle_in.bytes",
        );
        add(
            &mut self.shuffle_out.0,
            other.shuffle_out.0,
            "shuffle_out.rows",
        );
        add(
            &mut self.shuffle_out.1,
            other.shuffle_out.1,
            "shuffle_out.bytes",
        );
        let some = |a: &mut Option<u64>, b: Option<u64>| {
            if let Some(b) = b {
                *a = a.unwrap_or(0).checked_add(b);
            }
        };
        some(&mut self.shuffle_read, other.shuffle_read);
        some(&mut self.shuffle_remote, other.shuffle_remote);
        some(&mut self.shuffle_local, other.shuffle_local);
        some(&mut self.shuffle_write, other.shuffle_write);
        some(&mut self.memory_spilled, other.memory_spilled);
        some(&mut self.disk_spilled, other.disk_spilled);
        if let Some(peak) = other.peak_memory {
            self.peak_memory = Some(self.peak_memory.map_or(peak, |p| p.max(peak)));
        }
        self.unknown.extend(other.unknown.iter().copied());
    }
}

/// One Spark stage as its events tell it.
#[derive(Default)]
struct SparkStageSeen {
    /// Each partition's latest successful task: a partition re-run after a
    /// lost executor or a fetch failure is the same input, counted once.
    partitions: BTreeMap<i64, TaskCounts>,
    /// Successful tasks the log gives no partition index for.
    unindexed: TaskCounts,
    /// (stage attempt, task id, succeeded) of every task end read: an
    /// event written twice is counted once.
    seen: std::collections::HashSet<(i64, i64, bool)>,
    cpu_ns: Option<f64>,
    run_ms: Option<f64>,
    longest_ms: Option<f64>,
    task_ms: Vec<f64>,
    fetch_wait_ms: Option<f64>,
    gc_ms: Option<f64>,
    tasks: u64,
    failed_tasks: u64,
    reruns: u64,
    duplicates: u64,
    /// Attempt → (submitted, completed, failed).
    attempts: BTreeMap<i64, (Option<i64>, Option<i64>, bool)>,
    /// The highest RDD id the stage computes: two stages with the same one
    /// compute the same partitions (a shuffle's map stage, and the stage
    /// Spark makes to re-run the partitions a lost executor took with it).
    rdd: Option<i64>,
}

impl SparkStageSeen {
    fn completed(&self) -> bool {
        self.attempts
            .values()
            .any(|(_, done, failed)| done.is_some() && !failed)
    }
}

/// Where jobs with no name go when others are named.
const UNTAGGED: &str = "untagged jobs";

/// The time covered by a set of intervals, overlaps counted once.
fn union_ms(intervals: &[(i64, i64)]) -> i64 {
    let mut sorted = intervals.to_vec();
    sorted.sort_unstable();
    let mut total = 0;
    let mut current: Option<(i64, i64)> = None;
    for (start, end) in sorted {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(0, |(s, e)| e - s)
}

fn either(files: (u64, u64), shuffle: (u64, u64)) -> (u64, u64) {
    if files.0 > 0 || files.1 > 0 {
        files
    } else {
        shuffle
    }
}

/// A log's files: one file, or a rolling folder's parts in order, and
/// whether Spark marks it as still being written.
fn parts(path: &Path) -> Result<(Vec<PathBuf>, bool)> {
    if path.is_file() {
        let in_progress = path.to_string_lossy().ends_with(".inprogress");
        return Ok((vec![path.to_path_buf()], in_progress));
    }
    if !path.is_dir() {
        bail!(
            "`{}` is neither an event log file nor a folder",
            path.display()
        );
    }
    let names: Vec<(String, PathBuf)> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list `{}`", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), p)))
        .collect();
    let mut files: Vec<(u64, PathBuf)> = names
        .iter()
        .filter_map(|(name, p)| {
            let index = name
                .strip_prefix("events_")?
                .split('_')
                .next()?
                .parse()
                .ok()?;
            Some((index, p.clone()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        let mut logs: Vec<&str> = names
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !name.starts_with('.'))
            .collect();
        logs.sort_unstable();
        if logs.is_empty() {
            bail!(
                "`{}` is empty; point at a Spark event log file or a rolling `eventlog_v2_*` folder",
                path.display()
            );
        }
        let shown: Vec<String> = logs.iter().take(5).map(|n| format!("`{n}`")).collect();
        bail!(
            "`{}` is a folder of {} file(s) ({}{}), not one application's rolling log (`events_1_…`); logs are read one application at a time: point at one of them",
            path.display(),
            logs.len(),
            shown.join(", "),
            if logs.len() > 5 { ", …" } else { "" }
        );
    }
    // A rolling log marks a running application with `appstatus_…inprogress`.
    let in_progress = names
        .iter()
        .any(|(name, _)| name.starts_with("appstatus_") && name.ends_with(".inprogress"))
        || files
            .iter()
            .any(|(_, p)| p.to_string_lossy().ends_with(".inprogress"));
    Ok((files.into_iter().map(|(_, p)| p).collect(), in_progress))
}

/// A part's lines, decompressed when it is zstd (told by its first bytes).
fn lines(path: &Path) -> Result<(Box<dyn BufRead>, bool)> {
    let mut file = BufReader::new(
        std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?,
    );
    let head = file
        .fill_buf()
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let zstd = head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    Ok(if zstd {
        (
            Box::new(BufReader::new(
                zstd::stream::read::Decoder::with_buffer(file).with_context(|| {
                    format!("`{}` is not a readable zstd stream", path.display())
                })?,
            )),
            true,
        )
    } else {
        (Box::new(file), false)
    })
}

/// The most cores an executor can have: past it, a number is not a core
/// count (the largest machines have a few thousand).
const MOST_CORES: f64 = 100_000.0;

/// The times a log's events can hold, in ms since the epoch (up to the
/// year 2200): a negative or a later one is not a time.
const TIMES_MS: std::ops::RangeInclusive<i64> = 0..=7_258_118_400_000;

/// The longest a stage attempt can take: past a year its times are not
/// both real.
const LONGEST_ATTEMPT_MS: i64 = 365 * 86_400_000;

/// The largest count a metric can honestly hold: Spark writes `-1` and
/// `Long.MaxValue` (or, through unsigned code, 2⁶⁴ − 1) for "unknown".
const LARGEST_COUNT: f64 = 4.0e18;

/// Every SQL metric's accumulator id named `size of files read` in a plan.
fn files_read_accumulators(plan: &events::PlanInfo, into: &mut Vec<i64>) {
    for metric in &plan.metrics {
        if metric.name.as_deref() == Some("size of files read") {
            // An adaptive re-plan lists the same scan's accumulator again.
            if let Some(id) = metric.accumulator {
                if !into.contains(&id) {
                    into.push(id);
                }
            }
        }
    }
    for child in &plan.children {
        files_read_accumulators(child, into);
    }
}

/// Reads a Spark event log into a measured run.
pub fn read(path: &Path) -> Result<MeasuredRun> {
    read_with(path, None)
}

/// Reads a Spark event log, mapping untagged jobs by `map` where given.
pub fn read_with(path: &Path, map: Option<&StageMap>) -> Result<MeasuredRun> {
    let (files, in_progress) = parts(path)?;
    let mut log = Log {
        stage_map: map.cloned(),
        in_progress,
        ..Log::default()
    };
    let mut buffer = Vec::new();
    for part in files {
        let (mut reader, zstd) = lines(&part)?;
        let mut number = 0u64;
        loop {
            number += 1;
            let line = match events::next_line(&mut reader, &mut buffer) {
                Ok(line) => line,
                Err(error) => {
                    let what = if zstd {
                        "its zstd data is corrupt or cut short"
                    } else {
                        "it cannot be read"
                    };
                    log.warnings.push(format!(
                        "`{}` stops after line {}: {what} ({error}); the rest of it is not read",
                        part.display(),
                        number - 1
                    ));
                    break;
                }
            };
            match line {
                events::Line::End => break,
                events::Line::TooLong(bytes) => {
                    log.warnings.push(format!(
                        "`{}` line {number} is {bytes} bytes, longer than any Spark event ({} MiB at most); skipped",
                        part.display(),
                        events::MAX_LINE_BYTES >> 20
                    ));
                }
                events::Line::Text => {
                    if buffer.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    if let Err(why) = log.event(&buffer) {
                        log.warnings
                            .push(format!("`{}` line {number} {why}; skipped", part.display()));
                    }
                }
            }
        }
    }
    log.finish(path)
}

/// An executor joining or leaving, seconds from the application's start.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ExecutorChange {
    pub at_s: Option<f64>,
    pub executor: String,
    pub host: Option<String>,
    /// Cores it brought (positive) or took away (negative).
    pub cores: i64,
    /// Why it left, as Spark says (a lost worker, a kill).
    pub reason: Option<String>,
}

#[derive(Default)]
struct Log {
    stage_map: Option<StageMap>,
    in_progress: bool,
    warnings: Vec<String>,
    events: usize,
    app_name: Option<String>,
    app_id: Option<String>,
    /// Every application whose start the log holds.
    applications: Vec<String>,
    spark_version: Option<String>,
    master: Option<String>,
    app_start_ms: Option<i64>,
    app_end_ms: Option<i64>,
    stage_of_spark_stage: BTreeMap<i64, String>,
    spark_stages: BTreeMap<i64, SparkStageSeen>,
    order: Vec<String>,
    mapping: Option<Mapping>,
    executor_cores: BTreeMap<String, i64>,
    executors: usize,
    /// Each change with its time in the log's milliseconds.
    executor_changes: Vec<(Option<i64>, ExecutorChange)>,
    cores_alive: i64,
    most_cores: i64,
    /// SQL execution id → its description and `size of files read` accumulators.
    executions: BTreeMap<i64, (String, Vec<i64>)>,
    /// SQL execution id → the pipecalc stage its jobs belong to.
    stage_of_execution: BTreeMap<i64, String>,
    /// (execution, accumulator) → its last value from the driver.
    driver_updates: BTreeMap<(i64, i64), u64>,
    /// Metric values that were Spark's "unknown" sentinels, by metric.
    sentinels: BTreeMap<&'static str, u64>,
}

/// Parses one typed event, naming what it lacks when it cannot.
fn typed<'a, T: serde::Deserialize<'a>>(line: &'a [u8], kind: &str) -> Result<T, String> {
    serde_json::from_slice(line)
        .map_err(|e| format!("is a `{kind}` event Spark would not write ({e})"))
}

impl Log {
    /// A count from a metric, or `None` ("not measured") when it is
    /// missing or one of Spark's sentinels for "unknown".
    fn count(&mut self, metric: &'static str, value: Option<f64>) -> Option<u64> {
        let value = value?;
        if value.is_finite() && (0.0..LARGEST_COUNT).contains(&value) {
            Some(value as u64)
        } else {
            *self.sentinels.entry(metric).or_default() += 1;
            None
        }
    }

    fn seconds(&mut self, metric: &'static str, value: Option<f64>) -> Option<f64> {
        self.count(metric, value).map(|v| v as f64)
    }

    fn event(&mut self, line: &[u8]) -> Result<(), String> {
        let kind: events::Kind = serde_json::from_slice(line)
            .map_err(|_| "is not a JSON event (a truncated last line?)".to_string())?;
        self.events += 1;
        let kind = kind.event.unwrap_or_default().into_owned();
        match kind.as_str() {
            "SparkListenerLogStart" => {
                let start: events::LogStart = typed(line, &kind)?;
                self.spark_version = start.spark_version;
            }
            "SparkListenerApplicationStart" => {
                let start: events::ApplicationStart = typed(line, &kind)?;
                let id = start.id.clone().unwrap_or_else(|| "(no id)".into());
                if !self.applications.contains(&id) {
                    self.applications.push(id);
                }
                if self.app_name.is_none() {
                    self.app_name = start.name;
                    self.app_id = start.id;
                    self.app_start_ms = start.timestamp.filter(|t| TIMES_MS.contains(t));
                }
            }
            "SparkListenerApplicationEnd" => {
                let end: events::ApplicationEnd = typed(line, &kind)?;
                self.app_end_ms = end.timestamp.filter(|t| TIMES_MS.contains(t));
            }
            "SparkListenerEnvironmentUpdate" => {
                let update: events::EnvironmentUpdate = typed(line, &kind)?;
                if let Some(master) = update.spark_properties.get("spark.master") {
                    self.master = Some(master.to_string());
                }
            }
            "SparkListenerExecutorAdded" => {
                let added: events::ExecutorAdded = typed(line, &kind)?;
                let id = added.id.unwrap_or_default();
                let info = added.info;
                // More cores than any machine has is not a core count: left
                // out of the workers, and said so.
                let cores = match info.as_ref().and_then(|i| i.cores) {
                    Some(cores) if (0.0..=MOST_CORES).contains(&cores) => cores as i64,
                    Some(cores) => {
                        self.warnings.push(format!(
                            "executor `{}` says it has {} cores, more than any machine has: not counted among the run's workers",
                            id,
                            crate::units::significant(cores, 6)
                        ));
                        0
                    }
                    None => 0,
                };
                self.executors += 1;
                if let Some(previous) = self.executor_cores.insert(id.clone(), cores) {
                    self.cores_alive -= previous;
                }
                self.cores_alive += cores;
                self.most_cores = self.most_cores.max(self.cores_alive);
                self.executor_changes.push((
                    added.timestamp,
                    ExecutorChange {
                        at_s: None,
                        executor: id,
                        host: info.and_then(|i| i.host),
                        cores,
                        reason: None,
                    },
                ));
            }
            "SparkListenerExecutorRemoved" => {
                let removed: events::ExecutorRemoved = typed(line, &kind)?;
                let id = removed.id.unwrap_or_default();
                let cores = self.executor_cores.remove(&id).unwrap_or(0);
                self.cores_alive -= cores;
                self.executor_changes.push((
                    removed.timestamp,
                    ExecutorChange {
                        at_s: None,
                        executor: id,
                        host: None,
                        cores: -cores,
                        reason: removed.reason,
                    },
                ));
            }
            "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart"
            | "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate" => {
                let execution: events::SqlExecution = typed(line, &kind)?;
                let Some(id) = execution.id else {
                    return Ok(());
                };
                let entry = self.executions.entry(id).or_default();
                if let Some(description) = execution.description {
                    entry.0 = description;
                }
                if let Some(plan) = &execution.plan {
                    files_read_accumulators(plan, &mut entry.1);
                }
            }
            "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates" => {
                let updates: events::DriverAccumUpdates = typed(line, &kind)?;
                let Some(id) = updates.id else {
                    return Ok(());
                };
                for (accumulator, value) in updates.updates {
                    if let Some(value) = self.count("size of files read", Some(value)) {
                        self.driver_updates.insert((id, accumulator), value);
                    }
                }
            }
            "SparkListenerJobStart" => self.job_start(typed(line, &kind)?),
            "SparkListenerStageSubmitted" | "SparkListenerStageCompleted" => {
                let stage: events::StageEvent = typed(line, &kind)?;
                let info = stage.info;
                let seen = self.spark_stages.entry(info.id).or_default();
                if let Some(rdd) = info.rdds.iter().map(|r| r.id).max() {
                    seen.rdd = Some(rdd);
                }
                // A time outside what a log can hold (negative, far past)
                // is not measured: a stage would last 9.2e15 s.
                let time = |at: Option<i64>, sentinels: &mut BTreeMap<&'static str, u64>| {
                    at.filter(|t| {
                        let plausible = TIMES_MS.contains(t);
                        if !plausible {
                            *sentinels.entry("stage time").or_default() += 1;
                        }
                        plausible
                    })
                };
                let submitted = time(info.submitted, &mut self.sentinels);
                let completed = time(info.completed, &mut self.sentinels);
                let seen = self.spark_stages.entry(info.id).or_default();
                let attempt = seen.attempts.entry(info.attempt).or_default();
                if submitted.is_some() {
                    attempt.0 = submitted;
                }
                if kind == "SparkListenerStageCompleted" {
                    attempt.1 = Some(completed.unwrap_or(attempt.0.unwrap_or(0)));
                    attempt.2 = info.failure.is_some();
                }
            }
            "SparkListenerTaskEnd" => self.task_end(typed(line, &kind)?),
            _ => {}
        }
        Ok(())
    }

    fn job_start(&mut self, job: events::JobStart) {
        let property = |key: &str| job.properties.get(key).map(str::to_string);
        let execution = property("spark.sql.execution.id").and_then(|id| id.parse::<i64>().ok());
        let mapped = self
            .stage_map
            .as_ref()
            .zip(job.job)
            .and_then(|(map, job)| map.stage_of(job))
            .map(str::to_string);
        let (name, how) = if let Some(tag) = property("pipecalc.stage") {
            (tag, Mapping::Tagged)
        } else if let Some(stage) = mapped {
            (stage, Mapping::MappingFile)
        } else if let Some(description) = property("spark.job.description") {
            (description, Mapping::JobDescription)
        } else if let Some((id, (description, _))) = execution
            .and_then(|id| Some((id, self.executions.get(&id)?)))
            .filter(|(_, (d, _))| !d.is_empty())
        {
            // Call sites repeat ("parquet at …:0"): the execution id tells
            // one query from the next.
            (format!("{description} (SQL {id})"), Mapping::SqlDescription)
        } else {
            ("application".to_string(), Mapping::WholeApplication)
        };
        if self.mapping.is_none_or(|m| how.rank() > m.rank()) {
            self.mapping = Some(how);
        }
        if !self.order.contains(&name) {
            self.order.push(name.clone());
        }
        if let Some(execution) = execution {
            self.stage_of_execution
                .entry(execution)
                .or_insert_with(|| name.clone());
        }
        for id in job.stages {
            self.stage_of_spark_stage.insert(id, name.clone());
        }
    }

    fn task_end(&mut self, task: events::TaskEnd) {
        let metrics = task.metrics.unwrap_or_default();
        let mut unknown = std::collections::BTreeSet::new();
        // A count the task wrote but that is Spark's "unknown" is named, so
        // the stage's sum says "not measured" rather than counting it 0.
        let mut counted =
            |log: &mut Log, metric: &'static str, value: Option<f64>, name: &'static str| {
                let count = log.count(metric, value);
                if value.is_some() && count.is_none() {
                    unknown.insert(name);
                }
                count
            };
        let input = metrics.input.as_ref();
        let output = metrics.output.as_ref();
        let files_in = (
            counted(
                self,
                "Input Metrics",
                input.and_then(|m| m.records),
                "files_in.rows",
            )
            .unwrap_or(0),
            counted(
                self,
                "Input Metrics",
                input.and_then(|m| m.bytes),
                "files_in.bytes",
            )
            .unwrap_or(0),
        );
        let files_out = (
            counted(
                self,
                "Output Metrics",
                output.and_then(|m| m.records),
                "files_out.rows",
            )
            .unwrap_or(0),
            counted(
                self,
                "Output Metrics",
                output.and_then(|m| m.bytes),
                "files_out.bytes",
            )
            .unwrap_or(0),
        );
        let read = metrics.shuffle_read.as_ref();
        let remote = counted(
            self,
            "Shuffle Read Metrics",
            read.and_then(|r| r.remote_bytes),
            "shuffle_in.bytes",
        );
        let local = counted(
            self,
            "Shuffle Read Metrics",
            read.and_then(|r| r.local_bytes),
            "shuffle_in.bytes",
        );
        let shuffle_read = remote.and_then(|r| r.checked_add(local.unwrap_or(0)));
        let shuffle_in = (
            counted(
                self,
                "Shuffle Read Metrics",
                read.and_then(|r| r.records),
                "shuffle_in.rows",
            )
            .unwrap_or(0),
            shuffle_read.unwrap_or(0),
        );
        let write = metrics.shuffle_write.as_ref();
        let shuffle_write = counted(
            self,
            "Shuffle Write Metrics",
            write.and_then(|w| w.bytes),
            "shuffle_out.bytes",
        );
        let shuffle_out = (
            counted(
                self,
                "Shuffle Write Metrics",
                write.and_then(|w| w.records),
                "shuffle_out.rows",
            )
            .unwrap_or(0),
            shuffle_write.unwrap_or(0),
        );
        let counts = TaskCounts {
            unknown,
            files_in,
            files_out,
            shuffle_in,
            shuffle_out,
            shuffle_read,
            shuffle_remote: remote,
            shuffle_local: local,
            shuffle_write,
            memory_spilled: self.count("Memory Bytes Spilled", metrics.memory_spilled),
            disk_spilled: self.count("Disk Bytes Spilled", metrics.disk_spilled),
            peak_memory: self.count("Peak Execution Memory", metrics.peak_memory),
        };
        let cpu_ns = self.seconds("Executor CPU Time", metrics.cpu_ns);
        let run_ms = self.seconds("Executor Run Time", metrics.run_ms);
        let gc_ms = self.seconds("JVM GC Time", metrics.gc_ms);
        let fetch_wait_ms = self.seconds("Fetch Wait Time", read.and_then(|r| r.fetch_wait_ms));
        let stage = self.spark_stages.entry(task.stage).or_default();
        // A failed attempt did no work that counts; its retry's does.
        let succeeded = task
            .reason
            .and_then(|r| r.reason)
            .is_none_or(|r| r == "Success");
        let id = task.info.as_ref().and_then(|i| i.id);
        if let Some(id) = id {
            if !stage.seen.insert((task.attempt, id, succeeded)) {
                stage.duplicates += 1;
                return;
            }
        }
        if !succeeded {
            stage.failed_tasks += 1;
            return;
        }
        stage.tasks += 1;
        let add = |total: &mut Option<f64>, value: Option<f64>| {
            if let Some(value) = value {
                *total = Some(total.unwrap_or(0.0) + value);
            }
        };
        add(&mut stage.cpu_ns, cpu_ns);
        add(&mut stage.run_ms, run_ms);
        add(&mut stage.gc_ms, gc_ms);
        add(&mut stage.fetch_wait_ms, fetch_wait_ms);
        if let Some(run_ms) = run_ms {
            stage.longest_ms = Some(stage.longest_ms.map_or(run_ms, |l| l.max(run_ms)));
            stage.task_ms.push(run_ms);
        }
        match task.info.and_then(|i| i.partition.or(i.index)) {
            Some(index) => {
                if stage.partitions.insert(index, counts).is_some() {
                    stage.reruns += 1;
                }
            }
            None => stage.unindexed.add(&counts),
        }
    }

    fn finish(mut self, path: &Path) -> Result<MeasuredRun> {
        if self.events == 0 {
            bail!(
                "`{}` holds no Spark events; is it an event log?{}",
                path.display(),
                self.warnings
                    .first()
                    .map_or_else(String::new, |w| format!(" ({w})"))
            );
        }
        if self.app_start_ms.is_none() && self.spark_version.is_none() && self.order.is_empty() {
            bail!(
                "`{}` holds JSON but no Spark listener events (`SparkListenerLogStart`, `SparkListenerApplicationStart`, `SparkListenerJobStart`); is it a Spark event log?",
                path.display()
            );
        }
        if self.applications.len() > 1 {
            bail!(
                "`{}` holds {} applications ({}): their stages would merge into one run; logs are read one application at a time, so give each its own file",
                path.display(),
                self.applications.len(),
                self.applications.join(", ")
            );
        }
        let app_name = self
            .app_name
            .clone()
            .unwrap_or_else(|| "a Spark application".into());
        // Each Spark stage folded into the pipecalc stage its job names.
        let mut sums: BTreeMap<String, Sums> = BTreeMap::new();
        let (mut reruns, mut duplicates, mut failed_attempts) = (0u64, 0u64, 0usize);
        // (pipecalc stage, RDD) → each partition's latest successful task.
        let mut shared: BTreeMap<(String, i64), BTreeMap<i64, TaskCounts>> = BTreeMap::new();
        for (id, seen) in &self.spark_stages {
            let Some(name) = self.stage_of_spark_stage.get(id) else {
                continue;
            };
            let entry = sums.entry(name.clone()).or_default();
            reruns += seen.reruns;
            duplicates += seen.duplicates;
            failed_attempts += seen.attempts.values().filter(|a| a.2).count();
            if !seen.completed() {
                if !seen.attempts.is_empty() || seen.tasks > 0 {
                    entry.unfinished.push(*id);
                }
                continue;
            }
            entry.spark_stages.push(*id);
            for (submitted, completed, _) in seen.attempts.values() {
                if let (Some(start), Some(end)) = (submitted, completed) {
                    if end - start > LONGEST_ATTEMPT_MS {
                        *self.sentinels.entry("stage time").or_default() += 1;
                        continue;
                    }
                }
                if let Some(start) = submitted {
                    entry.submitted_ms = Some(entry.submitted_ms.map_or(*start, |s| s.min(*start)));
                }
                if let Some(end) = completed {
                    entry.completed_ms = Some(entry.completed_ms.map_or(*end, |c| c.max(*end)));
                }
                if let (Some(start), Some(end)) = (submitted, completed) {
                    entry.intervals.push((*start, (*end).max(*start)));
                }
            }
            let add = |total: &mut Option<f64>, value: Option<f64>| {
                if let Some(value) = value {
                    *total = Some(total.unwrap_or(0.0) + value);
                }
            };
            add(&mut entry.cpu_ns, seen.cpu_ns);
            add(&mut entry.run_ms, seen.run_ms);
            add(&mut entry.gc_ms, seen.gc_ms);
            add(&mut entry.fetch_wait_ms, seen.fetch_wait_ms);
            entry.task_ms.extend(seen.task_ms.iter().copied());
            if let Some(longest) = seen.longest_ms {
                entry.longest_ms = Some(entry.longest_ms.map_or(longest, |l| l.max(longest)));
            }
            entry.tasks += seen.tasks;
            entry.failed_tasks += seen.failed_tasks;
            match seen.rdd {
                // Counted once per partition across every stage computing
                // these RDDs, below.
                Some(rdd) => {
                    let same = shared.entry((name.clone(), rdd)).or_default();
                    for (partition, counts) in &seen.partitions {
                        if same.insert(*partition, counts.clone()).is_some() {
                            reruns += 1;
                        }
                    }
                }
                None => {
                    for counts in seen.partitions.values() {
                        entry.counts.add(counts);
                    }
                }
            }
            entry.counts.add(&seen.unindexed);
        }
        for ((name, _), partitions) in &shared {
            if let Some(entry) = sums.get_mut(name) {
                for counts in partitions.values() {
                    entry.counts.add(counts);
                }
            }
        }
        // The scans' `size of files read`, summed into the stage whose jobs ran them.
        for (execution, (_, accumulators)) in &self.executions {
            let Some(stage) = self.stage_of_execution.get(execution) else {
                continue;
            };
            for accumulator in accumulators {
                if let Some(bytes) = self.driver_updates.get(&(*execution, *accumulator)) {
                    if let Some(sums) = sums.get_mut(stage) {
                        sums.sql_files_read = Some(sums.sql_files_read.unwrap_or(0) + bytes);
                    }
                }
            }
        }
        let mapping = self.mapping.unwrap_or(Mapping::WholeApplication);
        if mapping != Mapping::WholeApplication {
            // Jobs with no name among named ones (a schema read, a count)
            // are shown apart, not as "the application".
            let unnamed = UNTAGGED.to_string();
            if let Some(untagged) = sums.remove("application") {
                sums.insert(unnamed.clone(), untagged);
            }
            for name in &mut self.order {
                if name == "application" {
                    *name = unnamed.clone();
                }
            }
        }
        let complete = self.app_end_ms.is_some() && !self.in_progress;
        let shown: Vec<String> = self
            .order
            .iter()
            .filter(|name| {
                sums.get(*name)
                    .is_some_and(|s| s.completed_ms.is_some() || !s.unfinished.is_empty())
            })
            .cloned()
            .collect();
        if !shown.iter().any(|name| sums[name].completed_ms.is_some()) {
            bail!(
                "`{}` ({app_name}) has no completed stages to measure",
                path.display()
            );
        }
        if mapping == Mapping::WholeApplication {
            self.warnings.push(
                "no job is tagged with `pipecalc.stage` or described: the whole application is one stage; tag each step with sc.setLocalProperty(\"pipecalc.stage\", NAME)".into(),
            );
        }
        let mut stages = Vec::new();
        let mut details = Vec::new();
        for name in &shown {
            let s = &sums[name];
            // A stage's wall runs from its first submission to its last
            // completion; untagged jobs fall between other stages, so only
            // the time their own Spark stages ran is theirs.
            let wall_s = if name == UNTAGGED {
                union_ms(&s.intervals) as f64 / 1000.0
            } else {
                match (s.submitted_ms, s.completed_ms) {
                    (Some(start), Some(end)) => (end - start).max(0) as f64 / 1000.0,
                    _ => 0.0,
                }
            };
            let c = &s.counts;
            let (rows_in, task_bytes_in) = either(c.files_in, c.shuffle_in);
            let (rows_out, bytes_out) = either(c.files_out, c.shuffle_out);
            // Which side a figure came from (files or a shuffle), and so
            // whether a task left it unknown.
            let side = |files: (u64, u64), figure: &str| {
                if files.0 > 0 || files.1 > 0 {
                    "files"
                } else {
                    "shuffle"
                }
                .to_string()
                    + figure
            };
            let unknown = |figure: String| c.unknown.iter().any(|u| *u == figure);
            let mut not_measured = Vec::new();
            for (name, figure) in [
                ("rows_in", side(c.files_in, "_in.rows")),
                ("bytes_in", side(c.files_in, "_in.bytes")),
                ("rows_out", side(c.files_out, "_out.rows")),
                ("bytes_out", side(c.files_out, "_out.bytes")),
            ] {
                if unknown(figure) {
                    not_measured.push(name.to_string());
                }
            }
            if !not_measured.is_empty() {
                self.warnings.push(format!(
                    "stage `{name}`: {} not measured (a task wrote Spark's \"unknown\" value, or the sum passed what a count holds)",
                    not_measured.join(", ")
                ));
            }
            let reads_files = c.files_in != (0, 0) || s.sql_files_read.is_some();
            let (bytes_in, bytes_in_source) = match s.sql_files_read {
                Some(bytes) => (bytes, BytesSource::SqlFilesRead),
                None if reads_files => (task_bytes_in, BytesSource::TaskInput),
                None => (task_bytes_in, BytesSource::Shuffle),
            };
            // A scan whose rows were not counted by the tasks' input
            // metrics still read its files: its rows in are the shuffle's.
            let rows_in = if rows_in == 0 {
                c.shuffle_in.0
            } else {
                rows_in
            };
            let status = if !s.unfinished.is_empty() {
                self.warnings.push(format!(
                    "stage `{name}` did not finish: Spark stage(s) {:?} were submitted and never completed; its figures are of the part that did",
                    s.unfinished
                ));
                StageStatus::Unfinished
            } else if !complete && shown.last() == Some(name) {
                // Its Spark stages so far all completed, but the log ends
                // before the application did: more of its jobs may follow
                // (a copy taken between a stage's first job and its next).
                self.warnings.push(format!(
                    "stage `{name}` may not have finished: the log ends while it was the stage running, so more of its work may have followed; its figures are of the part the log holds"
                ));
                StageStatus::Unfinished
            } else {
                StageStatus::Ran
            };
            stages.push(StageMetrics {
                name: name.clone(),
                status,
                wall_s,
                cpu_s: s.cpu_ns.map(|ns| ns / 1e9),
                rows_in,
                rows_out,
                bytes_in,
                bytes_out,
                peak_memory_bytes: c.peak_memory,
                not_measured,
            });
            details.push(SparkStage {
                stage: name.clone(),
                spark_stages: s.spark_stages.clone(),
                tasks: s.tasks,
                failed_tasks: s.failed_tasks,
                busy_s: s.run_ms.map(|ms| clean(ms / 1000.0)),
                longest_task_s: s.longest_ms.map(|ms| clean(ms / 1000.0)),
                median_task_s: crate::reference::metrics::median(&s.task_ms)
                    .map(|ms| clean(ms / 1000.0)),
                shuffle_read_bytes: c.shuffle_read,
                shuffle_remote_bytes: c.shuffle_remote,
                shuffle_local_bytes: c.shuffle_local,
                shuffle_write_bytes: c.shuffle_write,
                fetch_wait_s: s.fetch_wait_ms.map(|ms| clean(ms / 1000.0)),
                gc_s: s.gc_ms.map(|ms| clean(ms / 1000.0)),
                memory_spilled_bytes: c.memory_spilled,
                disk_spilled_bytes: c.disk_spilled,
                bytes_in_source,
            });
            if s.failed_tasks > 0 {
                self.warnings.push(format!(
                    "stage `{name}`: {} task attempt(s) failed and were retried; only the successful attempts' work is counted",
                    s.failed_tasks
                ));
            }
        }
        if reruns > 0 || failed_attempts > 0 {
            self.warnings.push(format!(
                "{reruns} task(s) re-ran a partition already computed{}; each partition's rows are counted once (its latest successful task), their time where it was spent",
                if failed_attempts > 0 {
                    format!(" and {failed_attempts} stage attempt(s) failed (a lost executor or a fetch failure)")
                } else {
                    String::new()
                }
            ));
        }
        if duplicates > 0 {
            self.warnings.push(format!(
                "{duplicates} task end event(s) appear twice in the log (the same stage attempt and task id); each is counted once"
            ));
        }
        for (metric, times) in &self.sentinels {
            self.warnings.push(format!(
                "`{metric}` held Spark's \"unknown\" value (-1 or 2^63-1 and above) {times} time(s): not measured there"
            ));
        }
        let in_stages_s: f64 = stages.iter().map(|s| s.wall_s).sum();
        let wall_s = match (self.app_start_ms, self.app_end_ms) {
            (Some(start), Some(end)) => Some((end - start).max(0) as f64 / 1000.0),
            _ => None,
        };
        if !complete {
            self.warnings.push(if self.in_progress {
                "the log is still being written (.inprogress): the application had not finished when it was read".into()
            } else {
                "the log has no application end: the application was still running or was killed".into()
            });
        }
        let start = self.app_start_ms;
        let executor_changes = self
            .executor_changes
            .into_iter()
            .map(|(at, change)| ExecutorChange {
                at_s: at
                    .zip(start)
                    .map(|(at, start)| clean((at - start) as f64 / 1000.0)),
                ..change
            })
            .collect();
        let output_rows = stages.last().map_or(0, |s| s.rows_out);
        Ok(MeasuredRun {
            report: RunReport {
                status: if complete {
                    RunStatus::Completed
                } else {
                    RunStatus::Incomplete
                },
                failure: None,
                workers: self.most_cores.max(0) as usize,
                input: format!("{app_name} (Spark event log)"),
                output: path.display().to_string(),
                stages,
                quality: Quality::default(),
                output_rows,
                output_dates: Vec::new(),
                skipped_inputs: Vec::new(),
                cleared_leftovers: Vec::new(),
                // Spark's log holds tasks' execution memory, not processes'.
                process_peak_memory_bytes: None,
                process_base_memory_bytes: None,
                settings: Default::default(),
            },
            spark: Some(SparkDetails {
                application: SparkApplication {
                    name: app_name,
                    id: self.app_id,
                    spark_version: self.spark_version,
                    master: self.master,
                    complete,
                    wall_s: wall_s.map(clean),
                    in_stages_s: clean(in_stages_s),
                    outside_stages_s: wall_s.map(|w| clean((w - in_stages_s).max(0.0))),
                    executors: self.executors,
                    executor_changes,
                    cores: self.most_cores.max(0) as usize,
                    mapping,
                },
                stages: details,
            }),
            warnings: self.warnings,
        })
    }
}

/// Reads any measured run: a pipecalc output folder or its `run.json`, or a
/// Spark event log (a file or a rolling folder), told by its content.
pub fn read_run(path: &Path) -> Result<MeasuredRun> {
    read_run_with(path, None)
}

/// [`read_run`], with a stage map for a Spark log's untagged jobs.
pub fn read_run_with(path: &Path, map: Option<&StageMap>) -> Result<MeasuredRun> {
    if !path.exists() {
        bail!(
            "`{}` does not exist; give a pipecalc output folder, its run.json, or a Spark event log",
            path.display()
        );
    }
    let run_json = if path.is_dir() {
        path.join("run.json")
    } else {
        path.to_path_buf()
    };
    // A lake pipecalc wrote (its lock, its datasets) whose run never
    // completed, or whose report is gone: said as that, not as a folder
    // that is not a Spark log.
    if path.is_dir() && !run_json.exists() {
        let ours = [".pipecalc.lock", "raw", "processed", "aggregated", "views"]
            .iter()
            .filter(|name| path.join(name).exists())
            .count();
        if ours >= 2 {
            let failed = path.join("failed-run.json");
            bail!(
                "`{}` looks like a pipecalc lake but has no `run.json`: {}; run it again (`pipecalc run --resume` keeps the stages that finished)",
                path.display(),
                if failed.exists() {
                    format!("its last run did not complete (see `{}`)", failed.display())
                } else {
                    "no run of it completed, or its report was removed".to_string()
                }
            );
        }
    }
    if run_json.is_file() {
        let mut head = Vec::new();
        std::fs::File::open(&run_json)
            .with_context(|| format!("cannot read `{}`", run_json.display()))?
            .take(4096)
            .read_to_end(&mut head)
            .with_context(|| format!("cannot read `{}`", run_json.display()))?;
        let text = String::from_utf8_lossy(&head);
        if text.trim_start().starts_with('{')
            && text.contains("\"schema_version\"")
            && text.contains("\"stages\"")
        {
            let text = std::fs::read_to_string(&run_json)
                .with_context(|| format!("cannot read `{}`", run_json.display()))?;
            let report: RunReport = serde_json::from_str(&text).with_context(|| {
                format!("`{}` is not a pipecalc run report", run_json.display())
            })?;
            return Ok(MeasuredRun {
                report,
                spark: None,
                warnings: Vec::new(),
            });
        }
    }
    read_with(path, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a log of these lines, written to a file of its own (tests run
    /// side by side) and removed once read.
    fn read_log(lines: &[&str]) -> Result<MeasuredRun> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "pipecalc-spark-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&path, lines.join("\n")).unwrap();
        let run = read(&path);
        std::fs::remove_file(&path).unwrap();
        run
    }

    const START: &str = r#"{"Event":"SparkListenerApplicationStart","App Name":"t"}"#;
    const EXECUTOR: &str = r#"{"Event":"SparkListenerExecutorAdded","Executor ID":"driver","Executor Info":{"Total Cores":2}}"#;

    fn job(id: i64, stage: &str) -> String {
        format!(
            r#"{{"Event":"SparkListenerJobStart","Job ID":{id},"Stage IDs":[{id}],"Properties":{{"pipecalc.stage":"{stage}"}}}}"#
        )
    }

    fn task(stage: i64, read: u64, written: u64, reason: &str) -> String {
        format!(
            r#"{{"Event":"SparkListenerTaskEnd","Stage ID":{stage},"Task End Reason":{{"Reason":"{reason}"}},"Task Metrics":{{"Executor CPU Time":500000000,"Peak Execution Memory":1024,"Input Metrics":{{"Bytes Read":100,"Records Read":{read}}},"Output Metrics":{{"Bytes Written":50,"Records Written":{written}}}}}}}"#
        )
    }

    fn completed(stage: i64, start: i64, end: i64) -> String {
        format!(
            r#"{{"Event":"SparkListenerStageCompleted","Stage Info":{{"Stage ID":{stage},"Submission Time":{start},"Completion Time":{end}}}}}"#
        )
    }

    /// Counters a damaged log holds: five tasks of 3.9e18 records each
    /// (a sum past 2^64), an executor of 1e300 cores, a stage that ends
    /// before the epoch. None wraps, saturates or becomes 0: each is not
    /// measured, and said so.
    #[test]
    fn damaged_counters_are_not_measured_never_wrapped() {
        let mut lines = vec![
            START.to_string(),
            EXECUTOR.to_string(),
            r#"{"Event":"SparkListenerExecutorAdded","Executor ID":"1","Executor Info":{"Total Cores":1e300}}"#.to_string(),
            job(0, "ingest"),
        ];
        for _ in 0..5 {
            lines.push(task(0, 3_900_000_000_000_000_000, 8, "Success"));
        }
        lines.push(completed(0, 1000, 3500));
        lines.push(job(1, "transform"));
        lines.push(task(1, 12, 6, "Success"));
        lines.push(completed(1, 3600, -9_000_000_000_000_000));
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = read_log(&refs).unwrap();
        let ingest = &run.report.stages[0];
        assert_eq!(ingest.measured("rows_in"), None, "{:?}", ingest);
        assert_eq!(ingest.measured("rows_out"), Some(40));
        // The executor of 1e300 cores is not counted: the driver's 2 are.
        assert_eq!(run.report.workers, 2);
        let transform = &run.report.stages[1];
        assert!(transform.wall_s < 86_400.0, "{}", transform.wall_s);
        let warnings = run.warnings.join("\n");
        assert!(warnings.contains("rows_in not measured"), "{warnings}");
        assert!(
            warnings.contains("1e300 cores") || warnings.contains("cores, more than any machine"),
            "{warnings}"
        );
        assert!(warnings.contains("stage time"), "{warnings}");
        let record = crate::reference::metrics::StageRecord::of(ingest);
        assert_eq!(record.rows_in, None);
        assert_eq!(record.throughput_rows_per_s, None);
    }

    #[test]
    fn tagged_stages_with_a_failed_task_and_an_unknown_event() {
        let lines = [
            START.to_string(),
            EXECUTOR.to_string(),
            job(0, "ingest"),
            task(0, 10, 8, "Success"),
            task(0, 99, 99, "ExceptionFailure"),
            task(0, 5, 4, "Success"),
            r#"{"Event":"SomethingNew","x":1}"#.to_string(),
            completed(0, 1000, 3500),
            job(1, "transform"),
            task(1, 12, 6, "Success"),
            completed(1, 3600, 4100),
            r#"{"Event":"SparkListenerTaskEnd","Stage"#.to_string(),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = read_log(&refs).unwrap();
        assert_eq!(run.mapping(), Some(Mapping::Tagged));
        let stages = &run.report.stages;
        assert_eq!(stages.len(), 2);
        assert_eq!((stages[0].rows_in, stages[0].rows_out), (15, 12));
        assert_eq!(stages[0].wall_s, 2.5);
        assert_eq!(stages[0].cpu_s, Some(1.0));
        assert_eq!(stages[1].rows_out, 6);
        assert_eq!(run.report.workers, 2);
        assert!(run
            .warnings
            .iter()
            .any(|w| w.contains("truncated last line")));
    }

    #[test]
    fn a_missing_metric_is_not_measured() {
        let lines = [
            START.to_string(),
            job(0, "ingest"),
            r#"{"Event":"SparkListenerTaskEnd","Stage ID":0,"Task Metrics":{"Input Metrics":{"Records Read":3}}}"#.to_string(),
            completed(0, 0, 1000),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = read_log(&refs).unwrap();
        assert_eq!(run.report.stages[0].peak_memory_bytes, None);
        assert_eq!(run.report.stages[0].cpu_s, None);
    }

    #[test]
    fn a_stage_map_maps_job_ids_and_refuses_what_it_cannot() {
        let entries = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let map =
            StageMap::from_entries(entries(&[("0", "ingest"), ("1-3", "transform")]), "m.yaml")
                .unwrap();
        assert_eq!(map.stage_of(0), Some("ingest"));
        assert_eq!(map.stage_of(2), Some("transform"));
        assert_eq!(map.stage_of(4), None);
        for (bad, says) in [
            (entries(&[("x", "ingest")]), "not a Spark job id"),
            (entries(&[("3-1", "ingest")]), "not a Spark job id"),
            (entries(&[("0-2", "a"), ("2", "b")]), "overlap"),
            (entries(&[("0", " ")]), "empty stage name"),
            (entries(&[]), "maps no jobs"),
        ] {
            let error = StageMap::from_entries(bad, "m.yaml")
                .unwrap_err()
                .to_string();
            assert!(error.contains(says), "{error}");
        }
    }

    #[test]
    fn overlapping_intervals_count_once() {
        assert_eq!(union_ms(&[(0, 10), (5, 15), (20, 25)]), 20);
        assert_eq!(union_ms(&[(20, 25), (0, 10)]), 15);
        assert_eq!(union_ms(&[]), 0);
    }

    fn task_of(stage: i64, attempt: i64, id: i64, index: i64, read: u64) -> String {
        format!(
            r#"{{"Event":"SparkListenerTaskEnd","Stage ID":{stage},"Stage Attempt ID":{attempt},"Task End Reason":{{"Reason":"Success"}},"Task Info":{{"Task ID":{id},"Index":{index}}},"Task Metrics":{{"Executor Run Time":100,"Input Metrics":{{"Bytes Read":10,"Records Read":{read}}},"Output Metrics":{{"Bytes Written":5,"Records Written":{read}}}}}}}"#
        )
    }

    /// A shuffle's remote and local bytes apart, its fetch wait and GC
    /// summed, and the median task beside the longest (issue 33).
    #[test]
    fn a_shuffle_s_remote_and_local_bytes_wait_gc_and_task_times_are_read() {
        let task = |id: i64, run_ms: u64, remote: u64, local: u64| {
            format!(
                r#"{{"Event":"SparkListenerTaskEnd","Stage ID":0,"Stage Attempt ID":0,"Task End Reason":{{"Reason":"Success"}},"Task Info":{{"Task ID":{id},"Index":{id}}},"Task Metrics":{{"Executor Run Time":{run_ms},"JVM GC Time":7,"Input Metrics":{{"Bytes Read":0,"Records Read":0}},"Shuffle Read Metrics":{{"Remote Bytes Read":{remote},"Local Bytes Read":{local},"Fetch Wait Time":3,"Total Records Read":10}},"Output Metrics":{{"Bytes Written":5,"Records Written":10}}}}}}"#
            )
        };
        let lines = [
            START.to_string(),
            job(0, "aggregate"),
            task(1, 100, 300, 100),
            task(2, 200, 200, 200),
            task(3, 900, 100, 300),
            completed(0, 0, 1000),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = read_log(&refs).unwrap();
        let stage = &run.spark.unwrap().stages[0];
        assert_eq!(stage.shuffle_remote_bytes, Some(600));
        assert_eq!(stage.shuffle_local_bytes, Some(600));
        assert_eq!(stage.shuffle_read_bytes, Some(1200));
        assert_eq!(stage.fetch_wait_s, Some(0.009));
        assert_eq!(stage.gc_s, Some(0.021));
        // Tasks of 0.1, 0.2 and 0.9 s: the median 0.2, the longest 4.5× it.
        assert_eq!(stage.median_task_s, Some(0.2));
        assert_eq!(stage.longest_task_s, Some(0.9));
        assert_eq!(stage.task_skew(), Some(4.5));
    }

    /// Issue 25: a task end written twice doubled the stage's rows.
    #[test]
    fn a_duplicated_task_end_is_counted_once() {
        let lines = [
            START.to_string(),
            job(0, "ingest"),
            task_of(0, 0, 7, 0, 10),
            task_of(0, 0, 7, 0, 10),
            task_of(0, 0, 8, 1, 5),
            completed(0, 0, 1000),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = read_log(&refs).unwrap();
        assert_eq!(run.report.stages[0].rows_in, 15);
        assert!(
            run.warnings.iter().any(|w| w.contains("appear twice")),
            "{:?}",
            run.warnings
        );
    }

    /// Issue 26: a partition re-run after a lost executor (a new stage
    /// attempt, a new task id, the same index) is the same input: its rows
    /// count once, and the log says it happened.
    #[test]
    fn a_partition_re_run_after_a_lost_executor_counts_once() {
        let lines = [
            START.to_string(),
            job(0, "transform"),
            r#"{"Event":"SparkListenerStageSubmitted","Stage Info":{"Stage ID":0,"Stage Attempt ID":0,"Submission Time":0}}"#.to_string(),
            task_of(0, 0, 1, 0, 100),
            task_of(0, 0, 2, 1, 100),
            r#"{"Event":"SparkListenerExecutorRemoved","Timestamp":500,"Executor ID":"1","Removed Reason":"worker lost"}"#.to_string(),
            r#"{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":0,"Stage Attempt ID":0,"Submission Time":0,"Completion Time":600,"Failure Reason":"FetchFailed"}}"#.to_string(),
            task_of(0, 1, 3, 1, 100),
            r#"{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":0,"Stage Attempt ID":1,"Submission Time":700,"Completion Time":900}}"#.to_string(),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = read_log(&refs).unwrap();
        let stage = &run.report.stages[0];
        assert_eq!((stage.rows_in, stage.rows_out), (200, 200));
        assert_eq!(stage.wall_s, 0.9);
        assert!(
            run.warnings
                .iter()
                .any(|w| w.contains("re-ran a partition")),
            "{:?}",
            run.warnings
        );
    }

    /// Issue 25: two applications in one log merged into one run.
    #[test]
    fn two_applications_in_one_log_are_refused() {
        let lines = [
            r#"{"Event":"SparkListenerApplicationStart","App Name":"a","App ID":"app-1"}"#
                .to_string(),
            job(0, "ingest"),
            task_of(0, 0, 1, 0, 10),
            completed(0, 0, 1000),
            r#"{"Event":"SparkListenerApplicationStart","App Name":"b","App ID":"app-2"}"#
                .to_string(),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let error = read_log(&refs).unwrap_err().to_string();
        assert!(error.contains("2 applications (app-1, app-2)"), "{error}");
    }

    /// Issue 25: `18446744073709551615` (Spark's "unknown") reached the
    /// JSON as a peak memory; it is not measured, and said so.
    #[test]
    fn a_sentinel_value_is_not_measured() {
        let lines = [
            START.to_string(),
            job(0, "ingest"),
            r#"{"Event":"SparkListenerTaskEnd","Stage ID":0,"Task Metrics":{"Peak Execution Memory":18446744073709551615,"Executor CPU Time":-1,"Input Metrics":{"Records Read":3}}}"#.to_string(),
            completed(0, 0, 1000),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = read_log(&refs).unwrap();
        assert_eq!(run.report.stages[0].peak_memory_bytes, None);
        assert_eq!(run.report.stages[0].cpu_s, None);
        assert!(
            run.warnings
                .iter()
                .any(|w| w.contains("`Peak Execution Memory`")),
            "{:?}",
            run.warnings
        );
    }

    /// Issue 26: a stage submitted and never completed (a log copied
    /// mid-run) is unfinished, not "ran", and the run is incomplete.
    #[test]
    fn a_half_done_stage_is_unfinished() {
        let lines = [
            START.to_string(),
            job(0, "ingest"),
            task_of(0, 0, 1, 0, 10),
            completed(0, 0, 1000),
            job(1, "transform"),
            r#"{"Event":"SparkListenerStageSubmitted","Stage Info":{"Stage ID":1,"Stage Attempt ID":0,"Submission Time":1100}}"#.to_string(),
            task_of(1, 0, 2, 0, 4),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = read_log(&refs).unwrap();
        assert_eq!(run.report.status, RunStatus::Incomplete);
        let statuses: Vec<StageStatus> = run.report.stages.iter().map(|s| s.status).collect();
        assert_eq!(statuses, [StageStatus::Ran, StageStatus::Unfinished]);
        assert!(!run.spark.unwrap().application.complete);
    }

    /// Issue 25: a small zstd log that decompresses to one endless line
    /// asked for the whole line at once (4 GiB); it is skipped in bounded
    /// memory, and the events after it are read.
    #[test]
    fn a_zstd_bomb_is_skipped_in_bounded_memory() {
        use std::io::Write;
        let path = std::env::temp_dir().join(format!("pipecalc-bomb-{}.zst", std::process::id()));
        let mut encoder =
            zstd::stream::Encoder::new(std::fs::File::create(&path).unwrap(), 19).unwrap();
        encoder.write_all(START.as_bytes()).unwrap();
        encoder.write_all(b"\n").unwrap();
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..(events::MAX_LINE_BYTES >> 20) + 8 {
            encoder.write_all(&zeros).unwrap();
        }
        for line in [
            String::new(),
            job(0, "ingest"),
            task_of(0, 0, 1, 0, 10),
            completed(0, 0, 1000),
        ] {
            encoder.write_all(line.as_bytes()).unwrap();
            encoder.write_all(b"\n").unwrap();
        }
        encoder.finish().unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() < 200_000);
        let run = read(&path);
        std::fs::remove_file(&path).unwrap();
        let run = run.unwrap();
        assert_eq!(run.report.stages[0].rows_in, 10);
        assert!(
            run.warnings
                .iter()
                .any(|w| w.contains("longer than any Spark event")),
            "{:?}",
            run.warnings
        );
    }

    #[test]
    fn not_a_log_is_a_clear_error() {
        let error = read_log(&["hello", "world"]).unwrap_err().to_string();
        assert!(error.contains("holds no Spark events"), "{error}");
    }
}
