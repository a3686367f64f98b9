//! What a run measured, and its serialization: each stage's metrics, the
//! data's quality, the run's report, and `run.json`, written by the
//! pipeline itself in base units with unit-suffixed keys, so the pipeline
//! never depends on the views that print it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::Versions;
use crate::units::clean;

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
    /// A stage an engine's log shows begun and never finished (the log
    /// ends first): its figures are of the part that ran.
    Unfinished,
}

impl std::fmt::Display for StageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StageStatus::Ran => "ran",
            StageStatus::Resumed => "resumed",
            StageStatus::Kept => "kept (raw is immutable)",
            StageStatus::Unfinished => "unfinished",
        })
    }
}

/// Whether a run finished.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Completed,
    Failed,
    /// An engine's log that ends before its application did (still being
    /// written, or the application was killed).
    Incomplete,
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Incomplete => "incomplete (the log ends before the application did)",
        })
    }
}

/// One stage's measurements.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct StageMetrics {
    pub name: String,
    pub status: StageStatus,
    pub wall_s: f64,
    /// `None` where the platform cannot measure it (Windows).
    pub cpu_s: Option<f64>,
    pub rows_in: u64,
    pub rows_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// This stage's own peak resident memory; `None` where the platform
    /// cannot measure it (macOS, Windows).
    pub peak_memory_bytes: Option<u64>,
    /// Which of `rows_in`, `rows_out`, `bytes_in`, `bytes_out` the source
    /// did not measure (a Spark log's "unknown" value, a sum past what a
    /// count holds): written `null`, shown "not measured", never fitted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_measured: Vec<String>,
}

impl StageMetrics {
    /// A count as measured: `None` where the source did not measure it.
    pub fn measured(&self, figure: &str) -> Option<u64> {
        if self.not_measured.iter().any(|f| f == figure) {
            return None;
        }
        Some(match figure {
            "rows_in" => self.rows_in,
            "rows_out" => self.rows_out,
            "bytes_in" => self.bytes_in,
            "bytes_out" => self.bytes_out,
            _ => return None,
        })
    }

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
    /// Fields not in the schema, and how many events carried each: the
    /// first [`MAX_UNKNOWN_FIELDS`] names seen.
    pub unknown_fields: BTreeMap<String, u64>,
    /// How many times events carried a field beyond those tracked.
    #[serde(default)]
    pub unknown_fields_untracked: u64,
    pub read_retries: u64,
    pub duplicates_removed: u64,
    pub page_views: u64,
    pub invalid_product_ids: u64,
    pub non_product_page_views: u64,
    /// With a `--product-pattern`: the product pages it was matched on, and
    /// the time it took there, measured on the pages the run read.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pattern_pages: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pattern_ns: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// The most unknown field names a run tracks: logs with a new key on every
/// line (a user id as a key) would otherwise hold every key in memory and
/// list each in the report.
pub const MAX_UNKNOWN_FIELDS: usize = 100;

impl Quality {
    /// Counts one event's unknown `field`: by name while fewer than
    /// [`MAX_UNKNOWN_FIELDS`] are tracked, as untracked after.
    pub fn count_unknown_field(&mut self, field: &str, count: u64) {
        let tracking = self.unknown_fields.len() < MAX_UNKNOWN_FIELDS;
        match self.unknown_fields.get_mut(field) {
            Some(seen) => *seen += count,
            None if tracking => {
                self.unknown_fields.insert(field.to_string(), count);
            }
            None => self.unknown_fields_untracked += count,
        }
    }
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
    pub(crate) fn add(&mut self, other: &Quality) {
        self.lines += other.lines;
        self.blank_lines += other.blank_lines;
        self.valid_events += other.valid_events;
        for (reason, count) in &other.quarantined {
            *self.quarantined.entry(reason.clone()).or_default() += count;
        }
        self.null_user_id += other.null_user_id;
        self.late_events += other.late_events;
        for (field, count) in &other.unknown_fields {
            self.count_unknown_field(field, *count);
        }
        self.unknown_fields_untracked += other.unknown_fields_untracked;
        self.read_retries += other.read_retries;
        self.duplicates_removed += other.duplicates_removed;
        self.page_views += other.page_views;
        self.invalid_product_ids += other.invalid_product_ids;
        self.non_product_page_views += other.non_product_page_views;
        self.pattern_pages += other.pattern_pages;
        self.pattern_ns += other.pattern_ns;
    }
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
    /// Files in the input folder that were not read, each with the reason.
    pub skipped_inputs: Vec<String>,
    /// What a killed earlier run left behind and this one removed.
    pub cleared_leftovers: Vec<String>,
    /// The whole process's resident high-water mark over the run (each
    /// stage's own peak is reset between stages, so this is kept apart);
    /// `None` where not measured.
    #[serde(default)]
    pub process_peak_memory_bytes: Option<u64>,
    /// The process's resident size when the run began, before any stage:
    /// the program, its libraries and whatever the process held already.
    /// Every stage's peak includes it; what a stage adds is above it.
    #[serde(default)]
    pub process_base_memory_bytes: Option<u64>,
    /// The settings that decide what the run writes (`--field`,
    /// `--allowed-lateness-ms`, `--max-line-bytes`, `--max-quarantined`,
    /// `--product-pattern`, `--product-pages`), as given.
    #[serde(default)]
    pub settings: std::collections::BTreeMap<String, String>,
}

/// The lecture's alert threshold for missing user ids.
pub const NULL_USER_ALERT: f64 = 0.01;

/// One stage as `run.json` and `inspect` write it: a count the source did
/// not measure is `null`, never 0.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageRecord {
    pub name: String,
    pub status: StageStatus,
    pub wall_s: f64,
    /// `null` where the platform cannot measure it (Windows).
    pub cpu_s: Option<f64>,
    pub rows_in: Option<u64>,
    pub rows_out: Option<u64>,
    pub bytes_in: Option<u64>,
    pub bytes_out: Option<u64>,
    /// This stage's own peak resident memory; `null` where not measured.
    pub peak_memory_bytes: Option<u64>,
    pub throughput_bytes_per_s: Option<f64>,
    pub throughput_rows_per_s: Option<f64>,
}

impl StageRecord {
    pub fn of(s: &StageMetrics) -> StageRecord {
        let rate = |count: Option<u64>| {
            count
                .filter(|_| s.wall_s > 0.0)
                .map(|c| clean(c as f64 / s.wall_s))
        };
        StageRecord {
            name: s.name.clone(),
            status: s.status,
            wall_s: clean(s.wall_s),
            cpu_s: s.cpu_s.map(clean),
            rows_in: s.measured("rows_in"),
            rows_out: s.measured("rows_out"),
            bytes_in: s.measured("bytes_in"),
            bytes_out: s.measured("bytes_out"),
            peak_memory_bytes: s.peak_memory_bytes,
            throughput_bytes_per_s: rate(s.measured("bytes_in")),
            throughput_rows_per_s: rate(s.measured("rows_in")),
        }
    }
}

/// What the run found in its input, line by line.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct QualityRecord {
    pub lines: u64,
    pub blank_lines: u64,
    pub valid_events: u64,
    /// Quarantined lines by reason.
    pub quarantined: BTreeMap<String, u64>,
    pub quarantined_total: u64,
    pub null_user_id: u64,
    pub null_user_share: f64,
    /// More than the lecture's 1 % of events without a user id.
    pub null_user_alert: bool,
    pub duplicates_removed: u64,
    pub page_views: u64,
    pub invalid_product_ids: u64,
    pub non_product_page_views: u64,
    pub late_events: u64,
    /// Fields not in the schema, and how many events carried each (the
    /// first 100 names seen).
    pub unknown_fields: BTreeMap<String, u64>,
    /// How many times events carried a field beyond the 100 tracked.
    pub unknown_fields_untracked: u64,
    pub read_retries: u64,
}

/// `run.json`, and `pipecalc run --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RunDocument {
    #[serde(flatten)]
    pub versions: Versions,
    pub status: RunStatus,
    pub failure: Option<String>,
    pub workers: usize,
    pub input: String,
    pub output: String,
    pub stages: Vec<StageRecord>,
    pub quality: QualityRecord,
    pub output_rows: u64,
    pub output_dates: Vec<String>,
    /// Files in the input folder that were not read, each with the reason.
    pub skipped_inputs: Vec<String>,
    /// What a killed earlier run left behind and this one removed.
    pub cleared_leftovers: Vec<String>,
    /// The whole process's resident high-water mark over the run, in
    /// bytes; each stage's `peak_memory_bytes` is its own (the mark is reset
    /// between stages). `null` where not measured.
    pub process_peak_memory_bytes: Option<u64>,
    /// The process's resident size when the run began, before any stage,
    /// in bytes: part of every stage's peak. `null` where not measured.
    pub process_base_memory_bytes: Option<u64>,
    /// The settings that decide what the run writes, as given: a stage is
    /// kept from an earlier run only when it was made with the same.
    pub settings: std::collections::BTreeMap<String, String>,
}

impl RunDocument {
    pub fn of(report: &RunReport) -> RunDocument {
        let q = &report.quality;
        RunDocument {
            versions: Versions::default(),
            status: report.status,
            failure: report.failure.clone(),
            workers: report.workers,
            input: report.input.clone(),
            output: report.output.clone(),
            stages: report.stages.iter().map(StageRecord::of).collect(),
            quality: QualityRecord {
                lines: q.lines,
                blank_lines: q.blank_lines,
                valid_events: q.valid_events,
                quarantined: q.quarantined.clone(),
                quarantined_total: q.quarantined_total(),
                null_user_id: q.null_user_id,
                null_user_share: clean(q.null_user_share()),
                null_user_alert: q.null_user_share() > NULL_USER_ALERT,
                duplicates_removed: q.duplicates_removed,
                page_views: q.page_views,
                invalid_product_ids: q.invalid_product_ids,
                non_product_page_views: q.non_product_page_views,
                late_events: q.late_events,
                unknown_fields: q.unknown_fields.clone(),
                unknown_fields_untracked: q.unknown_fields_untracked,
                read_retries: q.read_retries,
            },
            output_rows: report.output_rows,
            output_dates: report.output_dates.clone(),
            skipped_inputs: report.skipped_inputs.clone(),
            cleared_leftovers: report.cleared_leftovers.clone(),
            process_peak_memory_bytes: report.process_peak_memory_bytes,
            process_base_memory_bytes: report.process_base_memory_bytes,
            settings: report.settings.clone(),
        }
    }
}

/// The median of measured values (the mean of the middle two of an even
/// count); `None` for none: no value is not a median of 0.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    })
}
