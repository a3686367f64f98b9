//! Ingest: log lines in, valid events out as raw Parquet by date.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use anyhow::Result;
use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use rayon::prelude::*;

use super::columns::schema_raw;
use super::context::{StageContext, Tripwire};
use super::{Quality, Ran, RunConfig, Stage, StageId};
use crate::reference::calendar::{date_string, days_from_civil, MS_PER_DAY};
use crate::reference::event::{validate, Refusal};
use crate::reference::storage::{total_size, ParquetSink};

/// Reads the log files, validates every line, and writes the valid events
/// as raw Parquet by date, one part per log file; refused lines go to
/// `_quarantine/` with their reason.
pub(super) struct Ingest<'a> {
    pub files: &'a [PathBuf],
}

impl Stage for Ingest<'_> {
    fn id(&self) -> StageId {
        StageId::Ingest
    }

    fn run(&self, cx: &StageContext) -> Result<Ran> {
        let (config, files, staging) = (cx.config, self.files, &cx.staging);
        let total_bytes: u64 = total_size(files);
        // The tripwire counts rows; estimate the total from ~500 bytes a line.
        let tripwire = cx.tripwire(total_bytes / 500);
        let failures = ReadFailures {
            remaining: AtomicU32::new(config.inject_read_failures),
        };
        let bar = cx.progress(files.len() as u64, "files");
        let results: Vec<FileIngest> = files
            .par_iter()
            .map(|path| {
                let done = ingest_file(config, path, staging, &failures, &tripwire);
                bar.inc(1);
                done
            })
            .collect::<Result<_>>()?;
        bar.finish_and_clear();
        let mut quality = Quality::default();
        let mut metrics = cx.metrics();
        for result in &results {
            quality.add(&result.quality);
            metrics.bytes_in += result.bytes_in;
        }
        metrics.rows_in = quality.lines;
        metrics.rows_out = quality.valid_events;
        Ok(Ran { metrics, quality })
    }
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
