//! The four stages: ingest, transform, aggregate, load.
//!
//! Layout under `--out`:
//! - `raw/date=YYYY-MM-DD/part-<log file>.parquet`, and `raw/_quarantine/`
//!   with every refused line and its reason (ingest; raw is immutable);
//! - `processed/date=YYYY-MM-DD/part-<log file>.parquet`: page views with a valid
//!   product id, deduplicated by (event_id, timestamp) (transform);
//! - `aggregated/counts.parquet`: views per (date, product_id) (aggregate);
//! - `views/date=YYYY-MM-DD/part-0.parquet`: (product_id, view_count),
//!   the final output, partitioned by date (load);
//! - `run.json`: the run report.
//!
//! Memory is bounded by the batch size, the events of one date (for
//! deduplication, 8 bytes an event) and the distinct keys, not by the
//! input's size.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder, UInt64Builder};
use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampMillisecondType, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::calendar::{date_string, days_from_civil, MS_PER_DAY};
use super::event::{product_id, validate, ProductError, Refusal};
use super::instrument::Probe;
use super::storage::{
    file_size, fnv1a, fresh_staging, parquet_files, publish, read_batches, read_json, total_size,
    write_json, ParquetSink, MANIFEST,
};

pub const STAGES: [&str; 4] = ["ingest", "transform", "aggregate", "load"];

/// Where to stop on purpose: `--fail-at transform:0.5`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FailAt {
    pub stage: usize,
    pub fraction: f64,
}

impl std::str::FromStr for FailAt {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (stage, fraction) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not STAGE:FRACTION, e.g. transform:0.5"))?;
        let stage = STAGES
            .iter()
            .position(|s| *s == stage)
            .ok_or_else(|| format!("`{stage}` is not a stage; stages are {}", STAGES.join(", ")))?;
        let fraction: f64 = fraction
            .parse()
            .map_err(|_| format!("`{fraction}` is not a fraction from 0 to 1"))?;
        if !(0.0..=1.0).contains(&fraction) {
            return Err(format!("`{fraction}` is outside 0..1"));
        }
        Ok(FailAt { stage, fraction })
    }
}

#[derive(Clone, Debug)]
pub struct RunConfig {
    pub input: PathBuf,
    pub out: PathBuf,
    pub workers: usize,
    pub fail_at: Option<FailAt>,
    pub resume: bool,
    /// Attempts per input file when reading fails.
    pub retries: u32,
    /// For tests and demonstrations: the first N reads fail once.
    pub inject_read_failures: u32,
    pub batch_rows: usize,
    /// Rows per Parquet row group (what a writer buffers).
    pub row_group_rows: usize,
    pub max_line_bytes: usize,
    pub progress: bool,
}

impl RunConfig {
    pub fn new(input: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        RunConfig {
            input: input.into(),
            out: out.into(),
            workers: 1,
            fail_at: None,
            resume: false,
            retries: 3,
            inject_read_failures: 0,
            batch_rows: 65_536,
            row_group_rows: 1 << 20,
            max_line_bytes: 1 << 20,
            progress: false,
        }
    }
}

/// How a stage came to have its output in this run.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageStatus {
    /// The stage ran in this run.
    #[default]
    Ran,
    /// `--resume`: the stage's checkpoint stood for this input.
    Resumed,
    /// Raw data is immutable: the same input is never ingested twice.
    Kept,
}

impl std::fmt::Display for StageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StageStatus::Ran => "ran",
            StageStatus::Resumed => "resumed",
            StageStatus::Kept => "kept (raw is immutable)",
        })
    }
}

/// Whether a run finished.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Completed,
    Failed,
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
        })
    }
}

/// One stage's measurements.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct StageMetrics {
    pub name: String,
    pub status: StageStatus,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub rows_in: u64,
    pub rows_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub peak_memory_bytes: u64,
}

impl StageMetrics {
    pub fn bytes_per_s(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.bytes_in as f64 / self.wall_s
        } else {
            0.0
        }
    }
    pub fn rows_per_s(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.rows_in as f64 / self.wall_s
        } else {
            0.0
        }
    }
}

/// Data quality, as the lecture's pitfalls name it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Quality {
    pub lines: u64,
    pub blank_lines: u64,
    pub valid_events: u64,
    /// Quarantined lines by reason.
    pub quarantined: BTreeMap<String, u64>,
    pub null_user_id: u64,
    pub late_events: u64,
    /// Fields not in the schema, and how many events carried each.
    pub unknown_fields: BTreeMap<String, u64>,
    pub read_retries: u64,
    pub duplicates_removed: u64,
    pub page_views: u64,
    pub invalid_product_ids: u64,
    pub non_product_page_views: u64,
}

impl Quality {
    pub fn quarantined_total(&self) -> u64 {
        self.quarantined.values().sum()
    }
    pub fn null_user_share(&self) -> f64 {
        if self.valid_events == 0 {
            0.0
        } else {
            self.null_user_id as f64 / self.valid_events as f64
        }
    }
    fn add(&mut self, other: &Quality) {
        self.lines += other.lines;
        self.blank_lines += other.blank_lines;
        self.valid_events += other.valid_events;
        for (reason, count) in &other.quarantined {
            *self.quarantined.entry(reason.clone()).or_default() += count;
        }
        self.null_user_id += other.null_user_id;
        self.late_events += other.late_events;
        for (field, count) in &other.unknown_fields {
            *self.unknown_fields.entry(field.clone()).or_default() += count;
        }
        self.read_retries += other.read_retries;
        self.duplicates_removed += other.duplicates_removed;
        self.page_views += other.page_views;
        self.invalid_product_ids += other.invalid_product_ids;
        self.non_product_page_views += other.non_product_page_views;
    }
}

/// What a finished stage leaves beside its output.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Manifest {
    stage: String,
    /// Fingerprint of what the stage read.
    input_fingerprint: String,
    metrics: StageMetrics,
    quality: Quality,
    files: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunReport {
    pub status: RunStatus,
    pub failure: Option<String>,
    pub workers: usize,
    pub input: String,
    pub output: String,
    pub stages: Vec<StageMetrics>,
    pub quality: Quality,
    pub output_rows: u64,
    pub output_dates: Vec<String>,
}

/// A run that stopped part-way, with the report up to there.
#[derive(Debug)]
pub struct RunFailure {
    pub error: anyhow::Error,
    pub report: RunReport,
}

fn schema_raw() -> Arc<Schema> {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("event_id", false),
        text("user_id", true),
        text("session_id", true),
        text("page", false),
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        text("action", true),
        text("user_agent", true),
        text("referrer", true),
        text("ip", true),
        text("locale", true),
        text("screen", true),
        // Fields the schema does not know yet, as a JSON object.
        text("extra", true),
        text("source_file", false),
    ]))
}

fn schema_processed() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("product_id", DataType::Utf8, false),
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
    ]))
}

fn schema_counts() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("date", DataType::Utf8, false),
        Field::new("product_id", DataType::Utf8, false),
        Field::new("view_count", DataType::UInt64, false),
    ]))
}

/// The final output's columns; the date is in the folder name (Hive style),
/// which DuckDB, Spark, pandas and polars read as a column.
fn schema_views() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("product_id", DataType::Utf8, false),
        Field::new("view_count", DataType::UInt64, false),
    ]))
}

fn progress_bar(config: &RunConfig, stage: &str, length: u64, unit: &str) -> ProgressBar {
    if !config.progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length);
    let template = format!("{{prefix:>9}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{elapsed}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(stage.to_string());
    bar
}

/// Counts work done and stops the stage on purpose at `--fail-at`.
struct Tripwire {
    threshold: Option<u64>,
    done: AtomicU64,
    stage: &'static str,
    fraction: f64,
}

impl Tripwire {
    fn new(config: &RunConfig, stage: usize, total: u64) -> Self {
        let fail = config.fail_at.filter(|f| f.stage == stage);
        Tripwire {
            threshold: fail.map(|f| (f.fraction * total as f64).floor() as u64),
            done: AtomicU64::new(0),
            stage: STAGES[stage],
            fraction: fail.map_or(0.0, |f| f.fraction),
        }
    }
    fn check(&self) -> Result<()> {
        if let Some(threshold) = self.threshold {
            if self.done.load(Ordering::SeqCst) >= threshold {
                bail!(
                    "injected failure in {} at {}% (--fail-at)",
                    self.stage,
                    crate::units::significant(self.fraction * 100.0, 3)
                );
            }
        }
        Ok(())
    }
    fn advance(&self, units: u64) -> Result<()> {
        self.check()?;
        self.done.fetch_add(units, Ordering::SeqCst);
        Ok(())
    }
}

/// The log files to ingest: `*.jsonl` (and `*.json`, `*.log`) in `input`,
/// sorted; names starting with `_` (the generator's truth) are not logs.
pub fn log_files(input: &Path) -> Result<Vec<PathBuf>> {
    if !input.exists() {
        bail!("input folder `{}` does not exist", input.display());
    }
    if !input.is_dir() {
        bail!("input `{}` is not a folder of log files", input.display());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(input)
        .with_context(|| format!("cannot list `{}`", input.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !name.starts_with('_')
                && !name.starts_with('.')
                && [".jsonl", ".json", ".log"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "no log files (*.jsonl, *.json, *.log) in `{}`; generate some with `pipecalc generate --out {}`",
            input.display(),
            input.display()
        );
    }
    Ok(files)
}

/// Start of the hour a log file covers, from a name like `2024-01-15T07.jsonl`.
fn file_hour_ms(path: &Path) -> Option<i64> {
    let name = path.file_stem()?.to_str()?;
    let (date, hour) = name.split_once('T')?;
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let hour: i64 = hour.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(0..24).contains(&hour) {
        return None;
    }
    Some(days_from_civil(year, month, day) * MS_PER_DAY + hour * 3_600_000)
}

struct RawColumns {
    columns: Vec<StringBuilder>,
    timestamps: TimestampMillisecondBuilder,
    rows: usize,
}

impl RawColumns {
    fn new() -> Self {
        RawColumns {
            columns: (0..12).map(|_| StringBuilder::new()).collect(),
            timestamps: TimestampMillisecondBuilder::new(),
            rows: 0,
        }
    }
    fn batch(&mut self) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(13);
        for (index, column) in self.columns.iter_mut().enumerate() {
            if index == 4 {
                arrays.push(Arc::new(self.timestamps.finish().with_timezone("UTC")));
            }
            arrays.push(Arc::new(column.finish()));
        }
        self.rows = 0;
        Ok(RecordBatch::try_new(schema_raw(), arrays)?)
    }
}

/// What ingesting one log file produced.
#[derive(Default)]
struct FileIngest {
    quality: Quality,
    bytes_in: u64,
}

struct ReadFailures {
    remaining: AtomicU32,
}

impl ReadFailures {
    fn maybe_fail(&self) -> std::io::Result<()> {
        let taken = self
            .remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match taken {
            Ok(_) => Err(std::io::Error::other("injected transient read failure")),
            Err(_) => Ok(()),
        }
    }
}

fn ingest_file(
    config: &RunConfig,
    path: &Path,
    staging: &Path,
    failures: &ReadFailures,
    tripwire: &Tripwire,
) -> Result<FileIngest> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match ingest_file_once(config, path, staging, failures, tripwire) {
            Ok(mut done) => {
                done.quality.read_retries += u64::from(attempt - 1);
                return Ok(done);
            }
            Err(error) => {
                let transient = error.downcast_ref::<std::io::Error>().is_some();
                if !transient || attempt >= config.retries.max(1) {
                    return Err(error.context(format!(
                        "reading `{}` failed after {attempt} attempt(s)",
                        path.display()
                    )));
                }
            }
        }
    }
}

fn ingest_file_once(
    config: &RunConfig,
    path: &Path,
    staging: &Path,
    failures: &ReadFailures,
    tripwire: &Tripwire,
) -> Result<FileIngest> {
    failures.maybe_fail()?;
    let file = File::open(path)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let source = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hour_start = file_hour_ms(path);
    let mut done = FileIngest::default();
    let mut by_day: BTreeMap<i64, (RawColumns, Option<ParquetSink>)> = BTreeMap::new();
    let mut quarantine = String::new();
    let part_path =
        |day: i64| staging.join(format!("date={}/part-{stem}.parquet", date_string(day)));
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        // Read at most one byte past the limit, so a 10 MB line costs no
        // more memory than the limit; the rest of it is skipped.
        let read = (&mut reader)
            .take(config.max_line_bytes as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        let mut too_long = 0usize;
        if !line.ends_with(b"\n") && line.len() > config.max_line_bytes {
            let mut skipped = Vec::new();
            reader.read_until(b'\n', &mut skipped)?;
            too_long = line.len() + skipped.len();
        }
        done.bytes_in += read as u64;
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        let quality = &mut done.quality;
        quality.lines += 1;
        if line.iter().all(u8::is_ascii_whitespace) && too_long == 0 {
            quality.blank_lines += 1;
            continue;
        }
        let outcome = if too_long > 0 {
            Err(Refusal::TooLong {
                bytes: too_long.saturating_sub(1),
                limit: config.max_line_bytes,
            })
        } else {
            validate(&line, config.max_line_bytes)
        };
        let event = match outcome {
            Ok(event) => event,
            Err(refusal) => {
                *quality
                    .quarantined
                    .entry(refusal.category().into())
                    .or_default() += 1;
                let shown = String::from_utf8_lossy(&line[..line.len().min(2000)]).into_owned();
                let record = serde_json::json!({
                    "file": source,
                    "line": quality.lines,
                    "reason": refusal.to_string(),
                    "raw": shown,
                });
                quarantine.push_str(&record.to_string());
                quarantine.push('\n');
                continue;
            }
        };
        quality.valid_events += 1;
        if event.raw.user_id.is_none() {
            quality.null_user_id += 1;
        }
        if hour_start.is_some_and(|start| event.timestamp_ms < start) {
            quality.late_events += 1;
        }
        for field in event.raw.extra.keys() {
            *quality.unknown_fields.entry(field.clone()).or_default() += 1;
        }
        let day = event.timestamp_ms.div_euclid(MS_PER_DAY);
        let (columns, sink) = by_day
            .entry(day)
            .or_insert_with(|| (RawColumns::new(), None));
        let raw = &event.raw;
        let extra = (!raw.extra.is_empty()).then(|| {
            let fields: Vec<String> = raw
                .extra
                .iter()
                .map(|(k, v)| format!("{}:{v}", serde_json::Value::String(k.clone())))
                .collect();
            format!("{{{}}}", fields.join(","))
        });
        let values = [
            raw.event_id.as_deref(),
            raw.user_id.as_deref(),
            raw.session_id.as_deref(),
            raw.page.as_deref(),
            raw.action.as_deref(),
            raw.user_agent.as_deref(),
            raw.referrer.as_deref(),
            raw.ip.as_deref(),
            raw.locale.as_deref(),
            raw.screen.as_deref(),
            extra.as_deref(),
            Some(source.as_str()),
        ];
        for (column, value) in columns.columns.iter_mut().zip(values) {
            column.append_option(value);
        }
        columns.timestamps.append_value(event.timestamp_ms);
        columns.rows += 1;
        if columns.rows >= config.batch_rows {
            let batch = columns.batch()?;
            let sink = match sink {
                Some(sink) => sink,
                None => sink.insert(ParquetSink::create(
                    &part_path(day),
                    schema_raw(),
                    config.row_group_rows,
                )?),
            };
            sink.write(&batch)?;
            tripwire.advance(batch.num_rows() as u64)?;
        }
    }
    for (day, (mut columns, sink)) in by_day {
        let mut sink = match sink {
            Some(sink) => sink,
            None => ParquetSink::create(&part_path(day), schema_raw(), config.row_group_rows)?,
        };
        if columns.rows > 0 {
            let batch = columns.batch()?;
            sink.write(&batch)?;
            tripwire.advance(batch.num_rows() as u64)?;
        }
        sink.finish()?;
    }
    if !quarantine.is_empty() {
        let path = staging.join(format!("_quarantine/{stem}.jsonl"));
        std::fs::create_dir_all(path.parent().expect("a folder"))?;
        std::fs::write(&path, quarantine)?;
    }
    Ok(done)
}

fn input_fingerprint(files: &[PathBuf]) -> String {
    let mut text = String::new();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        text.push_str(&format!("{name}\t{}\n", file_size(file)));
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

fn manifest_fingerprint(dir: &Path) -> Result<String> {
    let text = std::fs::read(dir.join(MANIFEST))
        .with_context(|| format!("`{}` has no manifest", dir.display()))?;
    Ok(format!("{:016x}", fnv1a(&text)))
}

fn relative_files(dir: &Path, files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.strip_prefix(dir).unwrap_or(f).display().to_string())
        .collect()
}

fn finish_stage(
    config: &RunConfig,
    stage: &str,
    name: &str,
    fingerprint: String,
    mut metrics: StageMetrics,
    quality: Quality,
    probe: Probe,
) -> Result<Manifest> {
    let staging = super::storage::staging_dir(&config.out, stage);
    let files = parquet_files(&staging)?;
    metrics.bytes_out = total_size(&files);
    let (wall, cpu, peak) = probe.finish();
    metrics.wall_s = wall;
    metrics.cpu_s = cpu;
    metrics.peak_memory_bytes = peak;
    metrics.status = StageStatus::Ran;
    let manifest = Manifest {
        stage: stage.into(),
        input_fingerprint: fingerprint,
        metrics,
        quality,
        files: relative_files(&staging, &files),
    };
    write_json(&staging.join(MANIFEST), &manifest)?;
    publish(&config.out, stage, name)?;
    Ok(manifest)
}

fn ingest(config: &RunConfig, files: &[PathBuf], fingerprint: String) -> Result<Manifest> {
    let probe = Probe::start();
    let staging = fresh_staging(&config.out, "ingest")?;
    let total_bytes: u64 = total_size(files);
    // The tripwire counts rows; estimate the total from ~500 bytes a line.
    let tripwire = Tripwire::new(config, 0, (total_bytes / 500).max(1));
    let failures = ReadFailures {
        remaining: AtomicU32::new(config.inject_read_failures),
    };
    let bar = progress_bar(config, "ingest", files.len() as u64, "files");
    let results: Vec<FileIngest> = files
        .par_iter()
        .map(|path| {
            let done = ingest_file(config, path, &staging, &failures, &tripwire);
            bar.inc(1);
            done
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let mut quality = Quality::default();
    let mut metrics = StageMetrics {
        name: "ingest".into(),
        ..StageMetrics::default()
    };
    for result in &results {
        quality.add(&result.quality);
        metrics.bytes_in += result.bytes_in;
    }
    metrics.rows_in = quality.lines;
    metrics.rows_out = quality.valid_events;
    finish_stage(
        config,
        "ingest",
        "raw",
        fingerprint,
        metrics,
        quality,
        probe,
    )
}

/// Groups Parquet files by their `date=…` folder.
fn by_date(files: Vec<PathBuf>) -> BTreeMap<String, Vec<PathBuf>> {
    let mut groups: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        let date = file
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("date="))
            .unwrap_or("unknown")
            .to_string();
        groups.entry(date).or_default().push(file);
    }
    groups
}

/// A raw row's fate in the transform.
enum Kept {
    View {
        event_id: String,
        product: String,
        timestamp: i64,
    },
    Other,
    NotProduct,
    InvalidProduct,
}

/// `upstream_rows`: what the previous stage put out, to place `--fail-at`.
fn transform(config: &RunConfig, fingerprint: String, upstream_rows: u64) -> Result<Manifest> {
    let probe = Probe::start();
    let raw_dir = config.out.join("raw");
    let staging = fresh_staging(&config.out, "transform")?;
    let files: Vec<PathBuf> = parquet_files(&raw_dir)?
        .into_iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "_quarantine"))
        .collect();
    let tripwire = Tripwire::new(config, 1, upstream_rows.max(1));
    let bar = progress_bar(config, "transform", files.len() as u64, "files");
    let mut quality = Quality::default();
    let mut metrics = StageMetrics {
        name: "transform".into(),
        ..StageMetrics::default()
    };
    metrics.bytes_in = total_size(&files);
    for (date, parts) in by_date(files) {
        let mut seen: HashSet<u64> = HashSet::new();
        // A worker-count of files at a time: read and classified in
        // parallel, deduplicated in file order (so the output is the same
        // for any N), then written in parallel, one part per raw part.
        // Memory holds a few files, not a whole date.
        for chunk in parts.chunks(rayon::current_num_threads().max(1)) {
            let classified: Vec<Vec<(u64, Kept)>> = chunk
                .par_iter()
                .map(|path| {
                    let mut rows = Vec::new();
                    for batch in read_batches(path, config.batch_rows)? {
                        let ids = batch.column(0).as_string::<i32>();
                        let pages = batch.column(3).as_string::<i32>();
                        let times = batch.column(4).as_primitive::<TimestampMillisecondType>();
                        let actions = batch.column(5).as_string::<i32>();
                        for row in 0..batch.num_rows() {
                            let event_id = ids.value(row);
                            let timestamp = times.value(row);
                            let mut key = event_id.as_bytes().to_vec();
                            key.extend_from_slice(&timestamp.to_le_bytes());
                            let kept = if actions.is_null(row) || actions.value(row) != "page_view"
                            {
                                Kept::Other
                            } else {
                                match product_id(pages.value(row)) {
                                    Ok(product) => Kept::View {
                                        event_id: event_id.to_string(),
                                        product: product.to_string(),
                                        timestamp,
                                    },
                                    Err(ProductError::NotAProductPage) => Kept::NotProduct,
                                    Err(ProductError::Invalid) => Kept::InvalidProduct,
                                }
                            };
                            rows.push((fnv1a(&key), kept));
                        }
                        tripwire.advance(batch.num_rows() as u64)?;
                    }
                    bar.inc(1);
                    Ok(rows)
                })
                .collect::<Result<_>>()?;
            let mut views: Vec<Vec<(String, String, i64)>> = Vec::with_capacity(chunk.len());
            for rows in classified {
                let mut kept_views = Vec::new();
                for (key, kept) in rows {
                    metrics.rows_in += 1;
                    if !seen.insert(key) {
                        quality.duplicates_removed += 1;
                        continue;
                    }
                    match kept {
                        Kept::Other => {}
                        Kept::NotProduct => {
                            quality.page_views += 1;
                            quality.non_product_page_views += 1;
                        }
                        Kept::InvalidProduct => {
                            quality.page_views += 1;
                            quality.invalid_product_ids += 1;
                        }
                        Kept::View {
                            event_id,
                            product,
                            timestamp,
                        } => {
                            quality.page_views += 1;
                            metrics.rows_out += 1;
                            kept_views.push((event_id, product, timestamp));
                        }
                    }
                }
                views.push(kept_views);
            }
            chunk
                .par_iter()
                .zip(views)
                .filter(|(_, rows)| !rows.is_empty())
                .try_for_each(|(raw_part, rows)| {
                    let name = raw_part.file_name().expect("a Parquet file");
                    write_processed(
                        &staging.join(format!("date={date}")).join(name),
                        &rows,
                        config,
                    )
                })?;
        }
    }
    bar.finish_and_clear();
    finish_stage(
        config,
        "transform",
        "processed",
        fingerprint,
        metrics,
        quality,
        probe,
    )
}

/// Writes one processed part: the kept page views of one raw part.
fn write_processed(path: &Path, rows: &[(String, String, i64)], config: &RunConfig) -> Result<()> {
    let mut sink = ParquetSink::create(path, schema_processed(), config.row_group_rows)?;
    for batch_rows in rows.chunks(config.batch_rows.max(1)) {
        let mut ids = StringBuilder::new();
        let mut products = StringBuilder::new();
        let mut times = TimestampMillisecondBuilder::new();
        for (event_id, product, timestamp) in batch_rows {
            ids.append_value(event_id);
            products.append_value(product);
            times.append_value(*timestamp);
        }
        let batch = RecordBatch::try_new(
            schema_processed(),
            vec![
                Arc::new(ids.finish()),
                Arc::new(products.finish()),
                Arc::new(times.finish().with_timezone("UTC")),
            ],
        )?;
        sink.write(&batch)?;
    }
    sink.finish()?;
    Ok(())
}

fn aggregate(config: &RunConfig, fingerprint: String, upstream_rows: u64) -> Result<Manifest> {
    let probe = Probe::start();
    let processed = config.out.join("processed");
    let staging = fresh_staging(&config.out, "aggregate")?;
    let files = parquet_files(&processed)?;
    let tripwire = Tripwire::new(config, 2, upstream_rows.max(1));
    let bar = progress_bar(config, "aggregate", files.len() as u64, "files");
    let mut metrics = StageMetrics {
        name: "aggregate".into(),
        bytes_in: total_size(&files),
        ..StageMetrics::default()
    };
    // One count table per date, built in parallel; keys, not rows, bound memory.
    let counted: Vec<(String, u64, HashMap<String, u64>)> = by_date(files)
        .into_par_iter()
        .map(|(date, parts)| {
            let mut counts: HashMap<String, u64> = HashMap::new();
            let mut rows = 0u64;
            for part in parts {
                for batch in read_batches(&part, config.batch_rows)? {
                    let products = batch.column(1).as_string::<i32>();
                    for row in 0..batch.num_rows() {
                        *counts.entry(products.value(row).to_string()).or_default() += 1;
                    }
                    rows += batch.num_rows() as u64;
                    tripwire.advance(batch.num_rows() as u64)?;
                }
                bar.inc(1);
            }
            Ok((date, rows, counts))
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let mut dates = StringBuilder::new();
    let mut products = StringBuilder::new();
    let mut views = UInt64Builder::new();
    for (date, rows, counts) in counted {
        metrics.rows_in += rows;
        let sorted: BTreeMap<String, u64> = counts.into_iter().collect();
        for (product, count) in sorted {
            dates.append_value(&date);
            products.append_value(product);
            views.append_value(count);
            metrics.rows_out += 1;
        }
    }
    let batch = RecordBatch::try_new(
        schema_counts(),
        vec![
            Arc::new(dates.finish()),
            Arc::new(products.finish()),
            Arc::new(views.finish()),
        ],
    )?;
    let mut sink = ParquetSink::create(
        &staging.join("counts.parquet"),
        schema_counts(),
        config.row_group_rows,
    )?;
    sink.write(&batch)?;
    sink.finish()?;
    finish_stage(
        config,
        "aggregate",
        "aggregated",
        fingerprint,
        metrics,
        Quality::default(),
        probe,
    )
}

fn load(config: &RunConfig, fingerprint: String) -> Result<Manifest> {
    let probe = Probe::start();
    let source = config.out.join("aggregated").join("counts.parquet");
    let staging = fresh_staging(&config.out, "load")?;
    let mut metrics = StageMetrics {
        name: "load".into(),
        bytes_in: file_size(&source),
        ..StageMetrics::default()
    };
    let batches = read_batches(&source, config.batch_rows)?;
    let total: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
    let tripwire = Tripwire::new(config, 3, total.max(1));
    let mut by_date: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for batch in &batches {
        let dates = batch.column(0).as_string::<i32>();
        let products = batch.column(1).as_string::<i32>();
        let counts = batch.column(2).as_primitive::<UInt64Type>();
        for row in 0..batch.num_rows() {
            by_date
                .entry(dates.value(row).to_string())
                .or_default()
                .push((products.value(row).to_string(), counts.value(row)));
        }
        metrics.rows_in += batch.num_rows() as u64;
    }
    let bar = progress_bar(config, "load", by_date.len() as u64, "dates");
    for (date, rows) in by_date {
        tripwire.advance(rows.len() as u64)?;
        let mut products = StringBuilder::new();
        let mut views = UInt64Builder::new();
        for (product, count) in &rows {
            products.append_value(product);
            views.append_value(*count);
        }
        let batch = RecordBatch::try_new(
            schema_views(),
            vec![Arc::new(products.finish()), Arc::new(views.finish())],
        )?;
        let mut sink = ParquetSink::create(
            &staging.join(format!("date={date}/part-0.parquet")),
            schema_views(),
            config.row_group_rows,
        )?;
        sink.write(&batch)?;
        sink.finish()?;
        metrics.rows_out += rows.len() as u64;
        bar.inc(1);
    }
    bar.finish_and_clear();
    finish_stage(
        config,
        "load",
        "views",
        fingerprint,
        metrics,
        Quality::default(),
        probe,
    )
}

/// A finished stage's manifest, if it stands for this input.
fn standing(config: &RunConfig, name: &str, fingerprint: &str) -> Option<Manifest> {
    let manifest: Manifest = read_json(&config.out.join(name).join(MANIFEST)).ok()?;
    (manifest.input_fingerprint == fingerprint).then_some(manifest)
}

/// Runs the pipeline; on failure returns the report up to the stage that stopped.
pub fn run(config: &RunConfig) -> Result<RunReport, Box<RunFailure>> {
    let mut report = RunReport {
        status: RunStatus::Failed,
        failure: None,
        workers: config.workers,
        input: config.input.display().to_string(),
        output: config.out.display().to_string(),
        stages: Vec::new(),
        quality: Quality::default(),
        output_rows: 0,
        output_dates: Vec::new(),
    };
    let result = run_stages(config, &mut report);
    match result {
        Ok(()) => {
            report.status = RunStatus::Completed;
            let _ = write_json(
                &config.out.join("run.json"),
                &super::metrics::RunDocument::of(&report),
            );
            Ok(report)
        }
        Err(error) => {
            report.failure = Some(format!("{error:#}"));
            if config.out.exists() {
                let _ = write_json(
                    &config.out.join("run.json"),
                    &super::metrics::RunDocument::of(&report),
                );
            }
            Err(Box::new(RunFailure { error, report }))
        }
    }
}

fn run_stages(config: &RunConfig, report: &mut RunReport) -> Result<()> {
    if config.workers == 0 {
        bail!("`--workers` is 0; the pipeline needs at least one worker");
    }
    let files = log_files(&config.input)?;
    std::fs::create_dir_all(&config.out)
        .with_context(|| format!("cannot create output folder `{}`", config.out.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.workers)
        .build()
        .map_err(|e| anyhow!("cannot start {} workers: {e}", config.workers))?;
    pool.install(|| -> Result<()> {
        let mut fingerprint = input_fingerprint(&files);
        let names = ["raw", "processed", "aggregated", "views"];
        for (index, stage) in STAGES.iter().enumerate() {
            let name = names[index];
            let existing = standing(config, name, &fingerprint);
            let manifest = match existing {
                // Raw is immutable: the same input is never ingested twice.
                Some(mut manifest) if index == 0 || config.resume => {
                    manifest.metrics.status = if config.resume {
                        StageStatus::Resumed
                    } else {
                        StageStatus::Kept
                    };
                    manifest
                }
                _ => {
                    if index == 0 && config.out.join(name).join(MANIFEST).exists() {
                        bail!(
                            "`{}` holds raw data from other input; raw data is immutable, so write this run to another --out",
                            config.out.join(name).display()
                        );
                    }
                    let upstream_rows = report.stages.last().map_or(0, |s| s.rows_out);
                    let ran = match index {
                        0 => ingest(config, &files, fingerprint.clone()),
                        1 => transform(config, fingerprint.clone(), upstream_rows),
                        2 => aggregate(config, fingerprint.clone(), upstream_rows),
                        _ => load(config, fingerprint.clone()),
                    };
                    ran.with_context(|| format!("stage `{stage}` failed; finished stages are checkpointed, rerun with --resume to continue"))?
                }
            };
            report.quality.add(&manifest.quality);
            report.stages.push(manifest.metrics.clone());
            fingerprint = manifest_fingerprint(&config.out.join(name))?;
        }
        Ok(())
    })?;
    let views = config.out.join("views");
    let files = parquet_files(&views)?;
    report.output_dates = by_date(files).into_keys().collect();
    report.output_rows = report.stages.last().map_or(0, |s| s.rows_out);
    Ok(())
}
