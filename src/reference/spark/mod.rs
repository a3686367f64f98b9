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
use serde_json::Value;

use crate::reference::pipeline::{Quality, RunReport, RunStatus, StageMetrics, StageStatus};
use crate::units::clean;

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
    pub shuffle_read_bytes: Option<u64>,
    pub shuffle_write_bytes: Option<u64>,
    pub memory_spilled_bytes: Option<u64>,
    pub disk_spilled_bytes: Option<u64>,
    pub bytes_in_source: BytesSource,
}

/// The application as a whole: its own start and end, apart from the stages.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SparkApplication {
    pub name: String,
    pub id: Option<String>,
    pub spark_version: Option<String>,
    /// Application start to end; `None` when the log has no end (still running).
    pub wall_s: Option<f64>,
    /// Σ of the pipecalc stages' walls.
    pub in_stages_s: f64,
    /// Start-up, driver work between jobs, and shutdown: never folded into a stage.
    pub outside_stages_s: Option<f64>,
    /// Executors ever added.
    pub executors: usize,
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

#[derive(Default)]
struct Sums {
    spark_stages: Vec<i64>,
    submitted_ms: Option<i64>,
    completed_ms: Option<i64>,
    /// Each Spark stage's (submission, completion), for jobs that are
    /// spread between other stages' (the untagged ones).
    intervals: Vec<(i64, i64)>,
    cpu_ns: Option<f64>,
    run_ms: Option<f64>,
    longest_ms: Option<f64>,
    tasks: u64,
    failed_tasks: u64,
    /// Files read and written, and shuffles read and written, apart: a
    /// stage's rows are what it reads from and writes to files, and its
    /// shuffles only where it has no files (a shuffle inside a stage that
    /// also writes is the same rows moving twice).
    files_in: (u64, u64),
    files_out: (u64, u64),
    shuffle_in: (u64, u64),
    shuffle_out: (u64, u64),
    shuffle_read: Option<u64>,
    shuffle_write: Option<u64>,
    memory_spilled: Option<u64>,
    disk_spilled: Option<u64>,
    peak_memory: Option<u64>,
    /// `size of files read` of its SQL scans, where the log has it.
    sql_files_read: Option<u64>,
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

fn add(total: &mut Option<u64>, value: Option<f64>) {
    if let Some(value) = value {
        *total = Some(total.unwrap_or(0) + value.max(0.0) as u64);
    }
}

fn add_f(total: &mut Option<f64>, value: Option<f64>) {
    if let Some(value) = value {
        *total = Some(total.unwrap_or(0.0) + value.max(0.0));
    }
}

fn either(files: (u64, u64), shuffle: (u64, u64)) -> (u64, u64) {
    if files.0 > 0 || files.1 > 0 {
        files
    } else {
        shuffle
    }
}

/// The files of an event log: a file, or a rolling folder's parts in order.
fn parts(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        bail!(
            "`{}` is neither an event log file nor a folder",
            path.display()
        );
    }
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list `{}`", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let index = name
                .strip_prefix("events_")?
                .split('_')
                .next()?
                .parse()
                .ok()?;
            Some((index, p))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "`{}` holds no event log parts (`events_1_…`); point at a Spark event log file or a rolling `eventlog_v2_*` folder",
            path.display()
        );
    }
    Ok(files.into_iter().map(|(_, p)| p).collect())
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

fn number(value: &Value, path: &[&str]) -> Option<f64> {
    let mut at = value;
    for key in path {
        at = at.get(key)?;
    }
    at.as_f64()
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Every SQL metric's accumulator id named `size of files read` in a plan.
fn files_read_accumulators(plan: &Value, into: &mut Vec<i64>) {
    for metric in plan
        .get("metrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if text(metric, "name") == Some("size of files read") {
            // An adaptive re-plan lists the same scan's accumulator again.
            if let Some(id) = metric.get("accumulatorId").and_then(Value::as_i64) {
                if !into.contains(&id) {
                    into.push(id);
                }
            }
        }
    }
    for child in plan
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        files_read_accumulators(child, into);
    }
}

/// Reads a Spark event log into a measured run.
pub fn read(path: &Path) -> Result<MeasuredRun> {
    read_with(path, None)
}

/// Reads a Spark event log, mapping untagged jobs by `map` where given.
pub fn read_with(path: &Path, map: Option<&StageMap>) -> Result<MeasuredRun> {
    let mut log = Log {
        stage_map: map.cloned(),
        ..Log::default()
    };
    for part in parts(path)? {
        if part.to_string_lossy().ends_with(".inprogress") {
            log.warnings.push(format!(
                "`{}` is still being written (.inprogress): the run may not be complete",
                part.display()
            ));
        }
        let (reader, zstd) = lines(&part)?;
        for (index, line) in reader.split(b'\n').enumerate() {
            let line = match line {
                Ok(line) => line,
                Err(error) => {
                    let what = if zstd {
                        "its zstd data is corrupt or cut short"
                    } else {
                        "it cannot be read"
                    };
                    log.warnings.push(format!(
                        "`{}` stops after line {index}: {what} ({error}); the rest of it is not read",
                        part.display(),
                    ));
                    break;
                }
            };
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(event) = serde_json::from_slice::<Value>(&line) else {
                log.warnings.push(format!(
                    "`{}` line {} is not a JSON event (a truncated last line?); skipped",
                    part.display(),
                    index + 1
                ));
                continue;
            };
            log.event(&event);
        }
    }
    log.finish(path)
}

#[derive(Default)]
struct Log {
    stage_map: Option<StageMap>,
    warnings: Vec<String>,
    events: usize,
    app_name: Option<String>,
    app_id: Option<String>,
    spark_version: Option<String>,
    app_start_ms: Option<i64>,
    app_end_ms: Option<i64>,
    stage_of_spark_stage: BTreeMap<i64, String>,
    sums: BTreeMap<String, Sums>,
    order: Vec<String>,
    mapping: Option<Mapping>,
    executor_cores: BTreeMap<String, i64>,
    executors: usize,
    cores_alive: i64,
    most_cores: i64,
    /// SQL execution id → its description and `size of files read` accumulators.
    executions: BTreeMap<i64, (String, Vec<i64>)>,
    /// SQL execution id → the pipecalc stage its jobs belong to.
    stage_of_execution: BTreeMap<i64, String>,
    /// (execution, accumulator) → its last value from the driver.
    driver_updates: BTreeMap<(i64, i64), u64>,
}

impl Log {
    fn event(&mut self, event: &Value) {
        self.events += 1;
        match text(event, "Event").unwrap_or("") {
            "SparkListenerLogStart" => {
                self.spark_version = text(event, "Spark Version").map(str::to_string);
            }
            "SparkListenerApplicationStart" => {
                self.app_name = text(event, "App Name").map(str::to_string);
                self.app_id = text(event, "App ID").map(str::to_string);
                self.app_start_ms = event.get("Timestamp").and_then(Value::as_i64);
            }
            "SparkListenerApplicationEnd" => {
                self.app_end_ms = event.get("Timestamp").and_then(Value::as_i64);
            }
            "SparkListenerExecutorAdded" => {
                let id = text(event, "Executor ID").unwrap_or("").to_string();
                let cores = number(event, &["Executor Info", "Total Cores"]).unwrap_or(0.0) as i64;
                self.executors += 1;
                if let Some(previous) = self.executor_cores.insert(id, cores) {
                    self.cores_alive -= previous;
                }
                self.cores_alive += cores;
                self.most_cores = self.most_cores.max(self.cores_alive);
            }
            "SparkListenerExecutorRemoved" => {
                let id = text(event, "Executor ID").unwrap_or("");
                self.cores_alive -= self.executor_cores.remove(id).unwrap_or(0);
            }
            "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart"
            | "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate" => {
                let Some(id) = event.get("executionId").and_then(Value::as_i64) else {
                    return;
                };
                let entry = self.executions.entry(id).or_default();
                if let Some(description) = text(event, "description") {
                    entry.0 = description.to_string();
                }
                if let Some(plan) = event.get("sparkPlanInfo") {
                    files_read_accumulators(plan, &mut entry.1);
                }
            }
            "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates" => {
                let Some(id) = event.get("executionId").and_then(Value::as_i64) else {
                    return;
                };
                for update in event
                    .get("accumUpdates")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let (Some(accumulator), Some(value)) = (
                        update.get(0).and_then(Value::as_i64),
                        update.get(1).and_then(Value::as_f64),
                    ) {
                        self.driver_updates
                            .insert((id, accumulator), value.max(0.0) as u64);
                    }
                }
            }
            "SparkListenerJobStart" => self.job_start(event),
            "SparkListenerStageCompleted" => {
                let info = event.get("Stage Info").unwrap_or(&Value::Null);
                let Some(id) = info.get("Stage ID").and_then(Value::as_i64) else {
                    return;
                };
                let Some(name) = self.stage_of_spark_stage.get(&id) else {
                    return;
                };
                let entry = self.sums.entry(name.clone()).or_default();
                if !entry.spark_stages.contains(&id) {
                    entry.spark_stages.push(id);
                }
                if let Some(submitted) = info.get("Submission Time").and_then(Value::as_i64) {
                    entry.submitted_ms =
                        Some(entry.submitted_ms.map_or(submitted, |s| s.min(submitted)));
                }
                if let Some(completed) = info.get("Completion Time").and_then(Value::as_i64) {
                    entry.completed_ms =
                        Some(entry.completed_ms.map_or(completed, |c| c.max(completed)));
                }
                if let (Some(start), Some(end)) = (
                    info.get("Submission Time").and_then(Value::as_i64),
                    info.get("Completion Time").and_then(Value::as_i64),
                ) {
                    entry.intervals.push((start, end.max(start)));
                }
            }
            "SparkListenerTaskEnd" => self.task_end(event),
            _ => {}
        }
    }

    fn job_start(&mut self, event: &Value) {
        let properties = event.get("Properties");
        let property = |key: &str| properties.and_then(|p| text(p, key)).map(str::to_string);
        let execution = property("spark.sql.execution.id").and_then(|id| id.parse::<i64>().ok());
        let job = event.get("Job ID").and_then(Value::as_i64);
        let mapped = self
            .stage_map
            .as_ref()
            .zip(job)
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
        for id in event
            .get("Stage IDs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = id.as_i64() {
                self.stage_of_spark_stage.insert(id, name.clone());
            }
        }
    }

    fn task_end(&mut self, event: &Value) {
        let Some(id) = event.get("Stage ID").and_then(Value::as_i64) else {
            return;
        };
        let Some(name) = self.stage_of_spark_stage.get(&id) else {
            return;
        };
        let entry = self.sums.entry(name.clone()).or_default();
        // A failed attempt did no work that counts; its retry's does.
        let succeeded = event
            .get("Task End Reason")
            .and_then(|r| text(r, "Reason"))
            .is_none_or(|r| r == "Success");
        if !succeeded {
            entry.failed_tasks += 1;
            return;
        }
        entry.tasks += 1;
        let Some(metrics) = event.get("Task Metrics") else {
            return;
        };
        let get = |path: &[&str]| number(metrics, path).unwrap_or(0.0).max(0.0) as u64;
        add_f(&mut entry.cpu_ns, number(metrics, &["Executor CPU Time"]));
        let run_ms = number(metrics, &["Executor Run Time"]);
        add_f(&mut entry.run_ms, run_ms);
        if let Some(run_ms) = run_ms {
            entry.longest_ms = Some(entry.longest_ms.map_or(run_ms, |l| l.max(run_ms)));
        }
        entry.files_in.0 += get(&["Input Metrics", "Records Read"]);
        entry.files_in.1 += get(&["Input Metrics", "Bytes Read"]);
        entry.files_out.0 += get(&["Output Metrics", "Records Written"]);
        entry.files_out.1 += get(&["Output Metrics", "Bytes Written"]);
        let shuffle_read =
            number(metrics, &["Shuffle Read Metrics", "Remote Bytes Read"]).map(|remote| {
                remote
                    + number(metrics, &["Shuffle Read Metrics", "Local Bytes Read"]).unwrap_or(0.0)
            });
        let shuffle_write = number(metrics, &["Shuffle Write Metrics", "Shuffle Bytes Written"]);
        entry.shuffle_in.0 += get(&["Shuffle Read Metrics", "Total Records Read"]);
        entry.shuffle_in.1 += shuffle_read.unwrap_or(0.0) as u64;
        entry.shuffle_out.0 += get(&["Shuffle Write Metrics", "Shuffle Records Written"]);
        entry.shuffle_out.1 += shuffle_write.unwrap_or(0.0) as u64;
        add(&mut entry.shuffle_read, shuffle_read);
        add(&mut entry.shuffle_write, shuffle_write);
        add(
            &mut entry.memory_spilled,
            number(metrics, &["Memory Bytes Spilled"]),
        );
        add(
            &mut entry.disk_spilled,
            number(metrics, &["Disk Bytes Spilled"]),
        );
        if let Some(peak) = number(metrics, &["Peak Execution Memory"]) {
            let peak = peak.max(0.0) as u64;
            entry.peak_memory = Some(entry.peak_memory.map_or(peak, |p| p.max(peak)));
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
        let app_name = self
            .app_name
            .clone()
            .unwrap_or_else(|| "a Spark application".into());
        // The scans' `size of files read`, summed into the stage whose jobs ran them.
        for (execution, (_, accumulators)) in &self.executions {
            let Some(stage) = self.stage_of_execution.get(execution) else {
                continue;
            };
            for accumulator in accumulators {
                if let Some(bytes) = self.driver_updates.get(&(*execution, *accumulator)) {
                    if let Some(sums) = self.sums.get_mut(stage) {
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
            if let Some(sums) = self.sums.remove("application") {
                self.sums.insert(unnamed.clone(), sums);
            }
            for name in &mut self.order {
                if name == "application" {
                    *name = unnamed.clone();
                }
            }
        }
        let measured: Vec<String> = self
            .order
            .iter()
            .filter(|name| {
                self.sums
                    .get(*name)
                    .is_some_and(|s| s.completed_ms.is_some())
            })
            .cloned()
            .collect();
        if measured.is_empty() {
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
        for name in &measured {
            let s = &self.sums[name];
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
            let (rows_in, task_bytes_in) = either(s.files_in, s.shuffle_in);
            let (rows_out, bytes_out) = either(s.files_out, s.shuffle_out);
            let reads_files = s.files_in != (0, 0) || s.sql_files_read.is_some();
            let (bytes_in, bytes_in_source) = match s.sql_files_read {
                Some(bytes) => (bytes, BytesSource::SqlFilesRead),
                None if reads_files => (task_bytes_in, BytesSource::TaskInput),
                None => (task_bytes_in, BytesSource::Shuffle),
            };
            // A scan whose rows were not counted by the tasks' input
            // metrics still read its files: its rows in are the shuffle's.
            let rows_in = if rows_in == 0 {
                s.shuffle_in.0
            } else {
                rows_in
            };
            stages.push(StageMetrics {
                name: name.clone(),
                status: StageStatus::Ran,
                wall_s,
                cpu_s: s.cpu_ns.map(|ns| ns / 1e9),
                rows_in,
                rows_out,
                bytes_in,
                bytes_out,
                peak_memory_bytes: s.peak_memory,
            });
            details.push(SparkStage {
                stage: name.clone(),
                spark_stages: s.spark_stages.clone(),
                tasks: s.tasks,
                failed_tasks: s.failed_tasks,
                busy_s: s.run_ms.map(|ms| clean(ms / 1000.0)),
                longest_task_s: s.longest_ms.map(|ms| clean(ms / 1000.0)),
                shuffle_read_bytes: s.shuffle_read,
                shuffle_write_bytes: s.shuffle_write,
                memory_spilled_bytes: s.memory_spilled,
                disk_spilled_bytes: s.disk_spilled,
                bytes_in_source,
            });
            if s.failed_tasks > 0 {
                self.warnings.push(format!(
                    "stage `{name}`: {} task attempt(s) failed and were retried; only the successful attempts' work is counted",
                    s.failed_tasks
                ));
            }
        }
        let in_stages_s: f64 = stages.iter().map(|s| s.wall_s).sum();
        let wall_s = match (self.app_start_ms, self.app_end_ms) {
            (Some(start), Some(end)) => Some((end - start).max(0) as f64 / 1000.0),
            _ => None,
        };
        if self.app_end_ms.is_none() {
            self.warnings.push(
                "the log has no application end: the application was still running or was killed"
                    .into(),
            );
        }
        let output_rows = stages.last().map_or(0, |s| s.rows_out);
        Ok(MeasuredRun {
            report: RunReport {
                status: RunStatus::Completed,
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
            },
            spark: Some(SparkDetails {
                application: SparkApplication {
                    name: app_name,
                    id: self.app_id,
                    spark_version: self.spark_version,
                    wall_s: wall_s.map(clean),
                    in_stages_s: clean(in_stages_s),
                    outside_stages_s: wall_s.map(|w| clean((w - in_stages_s).max(0.0))),
                    executors: self.executors,
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

    #[test]
    fn not_a_log_is_a_clear_error() {
        let error = read_log(&["hello", "world"]).unwrap_err().to_string();
        assert!(error.contains("holds no Spark events"), "{error}");
    }
}
