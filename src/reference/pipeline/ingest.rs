//! Ingest: log lines in, valid events out as raw Parquet by date.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use rayon::prelude::*;

use super::columns::schema_raw;
use super::context::{StageContext, Tripwire};
use super::input::{self, fingerprint, InputFile, InputRecord};
use super::{Quality, Stage, StageId, StageOutcome};
use crate::reference::calendar::{date_string, MS_PER_DAY};
use crate::reference::event::{validate_into, KeyOrder, LogFormat, RawEvent, Refusal};
use crate::reference::storage::{total_size, ParquetSink, Syncer};

/// Reads the log files, validates every line, and writes the valid events
/// as raw Parquet by date, one part per log file; refused lines go to
/// `_quarantine/` with their reason.
pub(super) struct Ingest<'a> {
    pub files: &'a [InputFile],
    pub format: &'a LogFormat,
}

impl Stage for Ingest<'_> {
    fn id(&self) -> StageId {
        StageId::Ingest
    }

    fn run(&self, cx: &StageContext) -> Result<StageOutcome> {
        let (config, files) = (cx.config, self.files);
        let paths: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
        let total_bytes: u64 = total_size(&paths);
        // The tripwire counts rows; estimate the total from ~500 bytes a line.
        let tripwire = cx.tripwire(total_bytes / 500);
        let failures = ReadFailures {
            files_left: AtomicU32::new(config.inject_read_failures),
        };
        let shape = BatchShape::default();
        let bar = cx.progress(files.len() as u64, "files");
        // One file a task, so a worker out of files takes the next one
        // from another's share instead of waiting while that worker goes
        // through a run of them (no change measured at 1M events, whose
        // hourly files are all alike).
        let results: Vec<FileIngest> = files
            .par_iter()
            .with_max_len(1)
            .map(|file| {
                let done = ingest_file(cx, self.format, file, &failures, &tripwire, &shape);
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
        acceptable(&quality, config.max_quarantined_share)?;
        // The input's fingerprint is of what was read, taken while reading.
        let inputs: Vec<InputRecord> = results.into_iter().map(|r| r.input).collect();
        Ok(StageOutcome {
            metrics,
            quality,
            input_fingerprint: Some(fingerprint(&inputs)),
            inputs,
        })
    }
}

/// The size of the latest full batch written (or of a larger last one),
/// shared by the workers, so a new batch's builders start at the size they
/// will reach instead of growing (and copying) their way there: regrowth
/// was a tenth of ingest's time.
#[derive(Default)]
struct BatchShape {
    rows: AtomicUsize,
    column_bytes: [AtomicUsize; 12],
}

struct RawColumns<'s> {
    shape: &'s BatchShape,
    columns: Vec<StringBuilder>,
    timestamps: TimestampMillisecondBuilder,
    rows: usize,
    /// Text bytes buffered: a batch is written at `batch_rows` rows or at
    /// [`BATCH_BYTES`], whichever comes first, so long lines cost no more
    /// memory than short ones.
    bytes: usize,
}

/// The most text a file's columns buffer before they are written.
const BATCH_BYTES: usize = 4 << 20;

impl<'s> RawColumns<'s> {
    fn new(shape: &'s BatchShape) -> Self {
        // An eighth more than the last batch: the columns' shares of a
        // batch's text vary from batch to batch, and a builder that runs
        // out doubles (and copies) what it holds.
        let room = |size: usize| size + size / 8;
        let rows = room(shape.rows.load(Ordering::Relaxed));
        RawColumns {
            shape,
            columns: shape
                .column_bytes
                .iter()
                .map(|bytes| {
                    StringBuilder::with_capacity(rows, room(bytes.load(Ordering::Relaxed)))
                })
                .collect(),
            timestamps: TimestampMillisecondBuilder::with_capacity(rows),
            rows: 0,
            bytes: 0,
        }
    }
    /// The rows so far as a batch; `full` when the batch was cut at a
    /// limit, so its size is a good guess for the next one's. A file's last
    /// batch can only raise the guess: in logs of small files every batch
    /// is a last one, and without it their builders grew from nothing
    /// (7% of ingest at 200K events), which made a small sample's ingest
    /// slower per byte than a large run's.
    fn batch(&mut self, full: bool) -> Result<RecordBatch> {
        let shape = self.shape;
        if full {
            shape.rows.store(self.rows, Ordering::Relaxed);
        } else {
            shape.rows.fetch_max(self.rows, Ordering::Relaxed);
        }
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(13);
        for (index, column) in self.columns.iter_mut().enumerate() {
            if index == 4 {
                arrays.push(Arc::new(self.timestamps.finish().with_timezone("UTC")));
            }
            let finished = column.finish();
            if full {
                shape.column_bytes[index].store(finished.values().len(), Ordering::Relaxed);
            } else {
                shape.column_bytes[index].fetch_max(finished.values().len(), Ordering::Relaxed);
            }
            arrays.push(Arc::new(finished));
        }
        // `finish` left the builders empty; a full batch's next one is
        // sized by [`RawColumns::make_room`] once this one is written, so
        // the two are never in memory at once.
        self.rows = 0;
        self.bytes = 0;
        Ok(RecordBatch::try_new(schema_raw(), arrays)?)
    }

    /// Sizes the (empty) builders for a batch like the last full one.
    fn make_room(&mut self) {
        *self = RawColumns::new(self.shape);
    }
}

/// A log file's refused lines, each written to its quarantine file as it
/// is met. They were kept in memory until the file's end: a 76 MB log of
/// refused lines under `--max-quarantined 100` held its 80 MB quarantine
/// whole, and ingest peaked at 96 MB. The file is made at the first refusal
/// (a clean log has none), and an attempt that fails leaves none behind
/// for its retry.
struct QuarantineFile {
    path: PathBuf,
    writer: Option<BufWriter<std::fs::File>>,
}

impl QuarantineFile {
    fn new(path: PathBuf) -> Self {
        QuarantineFile { path, writer: None }
    }

    fn write(&mut self, record: &serde_json::Value) -> Result<()> {
        let path = &self.path;
        let writer = match &mut self.writer {
            Some(writer) => writer,
            None => {
                if let Some(folder) = path.parent() {
                    std::fs::create_dir_all(folder)
                        .with_context(|| format!("cannot create `{}`", folder.display()))?;
                }
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create `{}`", path.display()))?;
                self.writer.insert(BufWriter::new(file))
            }
        };
        serde_json::to_writer(&mut *writer, record)
            .map_err(std::io::Error::from)
            .and_then(|()| writer.write_all(b"\n"))
            .with_context(|| format!("cannot write `{}`", path.display()))
    }

    /// Throws away the records written so far.
    fn discard(&mut self) -> Result<()> {
        if self.writer.take().is_some() {
            std::fs::remove_file(&self.path)
                .with_context(|| format!("cannot remove `{}`", self.path.display()))?;
        }
        Ok(())
    }

    /// Hands the written file to the syncer.
    fn finish(mut self, syncer: &Syncer) -> Result<()> {
        if let Some(writer) = self.writer.take() {
            let file = writer
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("cannot write `{}`", self.path.display()))?;
            syncer.sync(self.path.clone(), file);
        }
        Ok(())
    }
}

impl Drop for QuarantineFile {
    /// An attempt that failed: its partial quarantine is not the file's.
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What ingesting one log file produced.
struct FileIngest {
    quality: Quality,
    bytes_in: u64,
    input: InputRecord,
}

/// `--inject-read-failures N`: the first N files read each fail once, on
/// their first attempt, and are retried.
struct ReadFailures {
    files_left: AtomicU32,
}

impl ReadFailures {
    /// Whether this file's first read is one that fails.
    fn take(&self) -> bool {
        self.files_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

fn ingest_file(
    cx: &StageContext,
    format: &LogFormat,
    file: &InputFile,
    failures: &ReadFailures,
    tripwire: &Tripwire,
    shape: &BatchShape,
) -> Result<FileIngest> {
    let mut fail_first = failures.take();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = if std::mem::take(&mut fail_first) {
            Err(anyhow::Error::new(std::io::Error::other(
                "injected transient read failure (--inject-read-failures)",
            )))
        } else {
            ingest_file_once(cx, format, file, tripwire, shape)
        };
        match outcome {
            Ok(mut done) => {
                done.quality.read_retries += u64::from(attempt - 1);
                return Ok(done);
            }
            Err(error) => {
                let transient = error.downcast_ref::<std::io::Error>().is_some();
                if !transient || attempt >= cx.config.retries.max(1) {
                    return Err(error.context(format!(
                        "reading `{}` failed after {attempt} attempt(s)",
                        file.path.display()
                    )));
                }
            }
        }
    }
}

/// Skips the rest of a line, up to and including its newline, in bounded
/// memory: the bytes are counted, never kept.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(skipped);
        }
        let (used, done) = match buffer.iter().position(|b| *b == b'\n') {
            Some(end) => (end + 1, true),
            None => (buffer.len(), false),
        };
        reader.consume(used);
        skipped += used as u64;
        if done {
            return Ok(skipped);
        }
    }
}

fn ingest_file_once(
    cx: &StageContext,
    format: &LogFormat,
    file: &InputFile,
    tripwire: &Tripwire,
    shape: &BatchShape,
) -> Result<FileIngest> {
    let (config, staging, syncer) = (cx.config, &cx.staging, &cx.syncer);
    let path = &file.path;
    let (mut reader, compression, raw) = input::open(path)?;
    let source = file.name.clone();
    let part = &file.part;
    let mut done = FileIngest {
        quality: Quality::default(),
        bytes_in: 0,
        input: InputRecord {
            name: file.name.clone(),
            bytes: 0,
            xxh3: String::new(),
        },
    };
    // The latest event time seen so far in this file: an event more than
    // the allowed lateness behind it is late.
    let mut watermark: Option<i64> = None;
    let mut by_day: BTreeMap<i64, (RawColumns, Option<ParquetSink>)> = BTreeMap::new();
    let mut quarantine =
        QuarantineFile::new(staging.join("_quarantine").join(format!("{part}.jsonl")));
    let part_path = |day: i64| staging.join(format!("date={}/{part}.parquet", date_string(day)));
    // One byte past the limit tells a line at the limit from a longer one.
    let limit = u64::try_from(config.max_line_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut line = Vec::with_capacity(1024);
    let key_order = KeyOrder::default();
    let mut extra_text = String::new();
    let mut corrupt: Option<std::io::Error> = None;
    // Bytes of the reader's buffer the previous line was read from in place.
    let mut in_place_last = 0usize;
    loop {
        reader.consume(in_place_last);
        in_place_last = 0;
        // A line that lies whole in the reader's buffer (nearly every line)
        // is read where it is: copying each into a line of its own cost 7%
        // of a run's CPU at 1M events.
        let whole_line = match reader.fill_buf() {
            Ok(buffer) => memchr::memchr(b'\n', buffer).filter(|&end| end <= config.max_line_bytes),
            Err(error) if compression != input::Compression::None => {
                corrupt = Some(error);
                break;
            }
            Err(error) => return Err(error.into()),
        };
        let (mut text, read, too_long): (&[u8], usize, u64) = match whole_line {
            Some(end) => {
                in_place_last = end + 1;
                // The same buffer as just above: no I/O.
                (&reader.fill_buf()?[..end], end + 1, 0)
            }
            None => {
                line.clear();
                // Read at most one byte past the limit, so a 10 MB line costs
                // no more memory than the limit; the rest of it is skipped.
                let mut read_line = || -> std::io::Result<(usize, u64)> {
                    let read = (&mut reader).take(limit).read_until(b'\n', &mut line)?;
                    let mut too_long = 0u64;
                    if !line.ends_with(b"\n") && line.len() > config.max_line_bytes {
                        too_long = line.len() as u64 + skip_line(&mut reader)?;
                    }
                    Ok((read, too_long))
                };
                match read_line() {
                    Ok((read, too_long)) => (&line[..], read, too_long),
                    // A compressed stream that stops making sense is the
                    // file's fault, not a transient one: what came before it
                    // is kept, and the rest is reported below.
                    Err(error) if compression != input::Compression::None => {
                        corrupt = Some(error);
                        break;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        };
        if read == 0 {
            break;
        }
        done.bytes_in += read as u64 + too_long.saturating_sub(text.len() as u64);
        while let Some((last, rest)) = text.split_last() {
            if *last != b'\n' && *last != b'\r' {
                break;
            }
            text = rest;
        }
        // A byte-order mark some editors write before a file's first line.
        if done.quality.lines == 0 {
            text = text.strip_prefix(UTF8_BOM).unwrap_or(text);
        }
        let quality = &mut done.quality;
        quality.lines += 1;
        if text.iter().all(u8::is_ascii_whitespace) && too_long == 0 {
            quality.blank_lines += 1;
            continue;
        }
        let mut raw = RawEvent::default();
        let outcome = if too_long > 0 {
            Err(Refusal::TooLong {
                bytes: usize::try_from(too_long.saturating_sub(1)).unwrap_or(usize::MAX),
                limit: config.max_line_bytes,
            })
        } else {
            validate_into(text, config.max_line_bytes, format, &key_order, &mut raw)
        };
        let timestamp_ms = match outcome {
            Ok(timestamp_ms) => timestamp_ms,
            Err(refusal) => {
                // Lines ended by a lone CR (classic Mac) read as one line.
                let refusal = match refusal {
                    Refusal::Malformed(_) | Refusal::TooLong { .. }
                        if memchr::memchr(b'\r', text).is_some() =>
                    {
                        Refusal::LoneCarriageReturn
                    }
                    refusal => refusal,
                };
                *quality
                    .quarantined
                    .entry(refusal.category().into())
                    .or_default() += 1;
                let shown = String::from_utf8_lossy(&text[..text.len().min(2000)]).into_owned();
                let record = serde_json::json!({
                    "file": source,
                    "line": quality.lines,
                    "reason": refusal.to_string(),
                    "raw": shown,
                });
                quarantine.write(&record)?;
                continue;
            }
        };
        quality.valid_events += 1;
        if raw.user_id.is_none() {
            quality.null_user_id += 1;
        }
        match watermark {
            Some(latest) if timestamp_ms < latest - format.allowed_lateness_ms => {
                quality.late_events += 1;
            }
            Some(latest) if latest >= timestamp_ms => {}
            _ => watermark = Some(timestamp_ms),
        }
        for field in raw.extra.keys() {
            quality.count_unknown_field(field, 1);
        }
        let day = timestamp_ms.div_euclid(MS_PER_DAY);
        let (columns, sink) = by_day
            .entry(day)
            .or_insert_with(|| (RawColumns::new(shape), None));
        let extra = if raw.extra.is_empty() {
            None
        } else {
            raw.extra.write_json(&mut extra_text);
            Some(extra_text.as_str())
        };
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
            extra,
            Some(source.as_str()),
        ];
        for (column, value) in columns.columns.iter_mut().zip(values) {
            columns.bytes += value.map_or(0, str::len);
            column.append_option(value);
        }
        columns.timestamps.append_value(timestamp_ms);
        columns.rows += 1;
        if columns.rows >= config.batch_rows || columns.bytes >= BATCH_BYTES {
            let batch = columns.batch(true)?;
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
            drop(batch);
            columns.make_room();
        }
    }
    let corrupt_stream = corrupt.is_some();
    if let Some(error) = corrupt {
        // A stream that fails its checksum, or stops decoding, is wrong
        // somewhere nobody can point at: none of its lines are kept.
        for (day, (_, sink)) in by_day {
            drop(sink);
            let part = part_path(day);
            if part.exists() {
                std::fs::remove_file(&part)?;
            }
        }
        let lines = done.quality.lines;
        let refused = lines - done.quality.blank_lines;
        done.quality = Quality {
            lines,
            blank_lines: done.quality.blank_lines,
            read_retries: done.quality.read_retries,
            quarantined: BTreeMap::from([("corrupt_compressed".to_string(), refused.max(1))]),
            ..Quality::default()
        };
        let record = serde_json::json!({
            "file": source,
            "line": 0,
            "reason": format!("the compressed stream is corrupt ({error}); where the damage lies cannot be told, so none of its {lines} lines are kept; the file stays in the input"),
            "raw": "",
        });
        quarantine.discard()?;
        quarantine.write(&record)?;
    } else {
        for (day, (mut columns, sink)) in by_day {
            let mut sink = match sink {
                Some(sink) => sink,
                None => ParquetSink::create(&part_path(day), schema_raw(), config.row_group_rows)?,
            };
            if columns.rows > 0 {
                let batch = columns.batch(false)?;
                sink.write(&batch)?;
                tripwire.advance(batch.num_rows() as u64)?;
            }
            sink.finish(syncer)?;
        }
    }
    quarantine.finish(syncer)?;
    let seen = raw.borrow().clone();
    done.input = what_was_read(path, &file.name, &seen, corrupt_stream)?;
    Ok(done)
}

/// A run whose input is mostly refused is a run on the wrong input (or
/// with the wrong `--field` names): it fails, naming the reasons, before
/// anything of it is published.
pub(super) fn acceptable(quality: &Quality, max_share: f64) -> Result<()> {
    let judged = quality.lines - quality.blank_lines;
    let quarantined = quality.quarantined_total();
    let reasons = || {
        let mut reasons: Vec<(&String, &u64)> = quality.quarantined.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        reasons
            .iter()
            .take(3)
            .map(|(reason, count)| format!("{reason}: {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if quality.valid_events == 0 {
        anyhow::bail!(QualityBar(format!(
            "no valid event in {} line(s) read{}; nothing would be published (check the input folder, and --field if its keys are named differently)",
            quality.lines,
            if quarantined > 0 {
                format!(", all quarantined ({})", reasons())
            } else {
                String::new()
            }
        )));
    }
    let share = quarantined as f64 / judged.max(1) as f64;
    if share > max_share {
        anyhow::bail!(QualityBar(format!(
            "{quarantined} of {judged} lines were quarantined ({:.1}%, above --max-quarantined {}%): {}; raise --max-quarantined if that much is expected",
            share * 100.0,
            max_share * 100.0,
            reasons()
        )));
    }
    Ok(())
}

/// A run refused for the quality of its input: rerunning it, or resuming,
/// gets the same answer.
#[derive(Debug)]
pub struct QualityBar(pub String);

impl std::fmt::Display for QualityBar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QualityBar {}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The record of a file as ingest read it: its size and hash are of the
/// bytes read, never of the file as it is afterwards. A file that grew or
/// changed while it was read fails the run, so lines written after it was
/// read are never recorded as ingested; a corrupt stream, whose every line
/// was quarantined, is recorded as stored.
fn what_was_read(
    path: &Path,
    name: &str,
    seen: &input::RawRead,
    corrupt: bool,
) -> Result<InputRecord> {
    let stored = std::fs::metadata(path)?.len();
    if seen.bytes == stored {
        return Ok(InputRecord {
            name: name.to_string(),
            bytes: seen.bytes,
            xxh3: seen.hash.hex(),
        });
    }
    if corrupt {
        return input::hash_file(path);
    }
    anyhow::bail!(
        "`{}` changed while it was read: {} bytes were read and it now holds {}; run again once it is complete (a file still being written belongs to the next run)",
        path.display(),
        seen.bytes,
        stored
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Issue 25: lines appended after ingest read a file were recorded as
    /// ingested (the file was hashed again after it was read), so a rerun
    /// said "kept" and never read them. The record is of the bytes read,
    /// and a file that grew meanwhile fails the run.
    #[test]
    fn a_file_that_grew_while_it_was_read_is_not_recorded_as_read() {
        use std::io::Write;
        let path = std::env::temp_dir().join(format!("pipecalc-grew-{}.jsonl", std::process::id()));
        std::fs::write(&path, "first\n").unwrap();
        let (mut lines, _, seen) = input::open(&path).unwrap();
        let mut text = String::new();
        lines.read_to_string(&mut text).unwrap();
        let read = seen.borrow().clone();
        let whole = what_was_read(&path, "a", &read, false).unwrap();
        assert_eq!(whole.bytes, 6);
        assert_eq!(whole.xxh3, input::hash_file(&path).unwrap().xxh3);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"appended\n")
            .unwrap();
        let error = what_was_read(&path, "a", &read, false).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("changed while it was read: 6 bytes were read and it now holds 15"),
            "{error}"
        );
        std::fs::remove_file(&path).unwrap();
    }

    /// A quarantine is made at its first record, handed to the syncer
    /// whole, emptied by `discard`, and gone when its attempt fails.
    #[test]
    fn a_quarantine_is_written_as_it_goes_and_gone_with_a_failed_attempt() {
        let folder =
            std::env::temp_dir().join(format!("pipecalc-quarantine-{}", std::process::id()));
        let path = folder.join("_quarantine").join("part-0.jsonl");
        let record = serde_json::json!({"file": "a", "line": 1, "reason": "r", "raw": "x"});
        // Finished: the records, a line each, flushed by the syncer.
        let mut quarantine = QuarantineFile::new(path.clone());
        assert!(!path.exists(), "no file before the first refusal");
        quarantine.write(&record).unwrap();
        quarantine.write(&record).unwrap();
        let syncer = Syncer::start().unwrap();
        quarantine.finish(&syncer).unwrap();
        assert!(syncer.finish().unwrap().contains(&path));
        let line = record.to_string();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{line}\n{line}\n")
        );
        // Discarded, then one record: only that one.
        let mut quarantine = QuarantineFile::new(path.clone());
        quarantine.write(&record).unwrap();
        quarantine.discard().unwrap();
        assert!(!path.exists());
        quarantine.write(&serde_json::json!({"line": 0})).unwrap();
        quarantine.finish(&Syncer::start().unwrap()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"line\":0}\n");
        // An attempt that fails drops it unfinished: nothing is left.
        let mut quarantine = QuarantineFile::new(path.clone());
        quarantine.write(&record).unwrap();
        drop(quarantine);
        assert!(!path.exists());
        std::fs::remove_dir_all(&folder).unwrap();
    }

    /// The rest of a long line is counted as it streams past,
    /// and the next line is read whole.
    #[test]
    fn skipping_a_line_counts_every_byte_and_stops_at_its_end() {
        let long = std::io::repeat(b'a').take(20 << 20);
        let rest: &[u8] = b"\nnext\n";
        let mut reader = std::io::BufReader::with_capacity(64 << 10, long.chain(rest));
        assert_eq!(skip_line(&mut reader).unwrap(), (20 << 20) + 1);
        let mut next = String::new();
        reader.read_line(&mut next).unwrap();
        assert_eq!(next, "next\n");
        // At the end of the input there is nothing left to skip.
        assert_eq!(skip_line(&mut reader).unwrap(), 0);
    }
}
