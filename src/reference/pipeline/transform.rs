//! Transform: raw events in, deduplicated product page views out.
//!
//! Deduplication keeps the first of each (event_id, timestamp) in file
//! order, in two passes over a date's raw parts. The first reads only those
//! two columns and finds the duplicates' row numbers: the keys' 64-bit
//! hashes, with their row numbers, are sorted, and every one but the first
//! of a hash is a duplicate. Up to `--dedup-memory-keys` rows of a date this
//! is done in memory; beyond it the (hash, row) pairs are spilled to disk in
//! hash partitions of at most that many and each partition is sorted alone,
//! so memory stays flat however large the date (at the cost of writing and
//! reading 16 bytes a row). The second pass streams each part on its own,
//! in parallel, skipping the duplicates by row number: memory holds a batch
//! per worker, never a whole part.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{Array, RecordBatch};
use rayon::prelude::*;

use super::context::StageContext;
use super::{by_date, columns, read_rows, Quality, RunConfig, Stage, StageId, StageOutcome};
use crate::reference::event::{LogFormat, ProductError};
use crate::reference::storage::{
    parquet_files, row_count, stream_batches_as, total_size, ParquetSink, TextAs,
};

/// Keeps the page views of product pages, deduplicated by (event_id,
/// timestamp), one processed part per raw part.
pub(super) struct Transform<'a> {
    pub format: &'a LogFormat,
}

/// The dedup key of one row: XXH3 of its event id, seeded with its
/// timestamp. (FNV-1a, a byte at a time, made the transform about 4%
/// slower at 1M events.)
fn dedup_key(event_id: &str, timestamp: i64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(event_id.as_bytes(), timestamp as u64)
}

/// Each part's first row number in the date's file order, from the parts'
/// row counts.
fn firsts(counts: &[u64]) -> Vec<u64> {
    counts
        .iter()
        .scan(0u64, |next, count| {
            let first = *next;
            *next += count;
            Some(first)
        })
        .collect()
}

/// Every row's (dedup key, row number) in a date's parts, handed to `take`
/// a read at a time by every worker at once. Each part's row numbers start
/// where its footer says the parts before it end, so no part waits for
/// the one before it, and none has its keys held whole: they were held
/// a part at a time, two parts at once, 13 MB at 20M events.
fn pairs_of(
    parts: &[PathBuf],
    counts: &[u64],
    config: &RunConfig,
    take: impl Fn(&[(u64, u64)]) -> Result<()> + Sync,
) -> Result<()> {
    parts
        .par_iter()
        .zip(counts)
        .zip(firsts(counts))
        .with_max_len(1)
        .try_for_each(|((path, &count), first)| {
            let wanted = ["event_id", "timestamp"];
            let viewed = [("event_id", TextAs::Views)];
            let mut pairs: Vec<(u64, u64)> = Vec::new();
            let mut read = 0u64;
            for batch in stream_batches_as(path, read_rows(config), Some(&wanted), &viewed)? {
                let batch = batch?;
                let ids = columns::text_view(&batch, "event_id")?;
                let times = columns::timestamps(&batch, "timestamp")?;
                let rows = batch.num_rows() as u64;
                if read + rows > count {
                    break;
                }
                pairs.clear();
                pairs.extend((0..batch.num_rows()).map(|row| {
                    let key = dedup_key(ids.value(row), times.value(row));
                    (key, first + read + row as u64)
                }));
                read += rows;
                take(&pairs)?;
            }
            if read != count {
                anyhow::bail!(
                    "the raw part `{}` holds other than the {count} rows its footer says; was raw changed during the run?",
                    path.display()
                );
            }
            Ok(())
        })
}

/// The duplicates among (hash, row) pairs: every row but the first of
/// each hash, in no particular order.
fn duplicates_among(pairs: &mut [(u64, u64)], into: &mut Vec<u64>) {
    // The sort is most of deduplication's time; every worker takes part.
    pairs.par_sort_unstable();
    for pair in pairs.windows(2) {
        if pair[0].0 == pair[1].0 {
            into.push(pair[1].1);
        }
    }
}

/// The most spill files open at once: a small `--dedup-memory-keys` once
/// asked for thousands and ran out of file handles. A partition still
/// larger than memory is split again by the hash's next bits.
const MAX_SPILL_FILES: u64 = 64;

/// Partitions for `rows` pairs of which `in_memory` fit: twice as many as
/// needed leaves room for uneven ones, at most [`MAX_SPILL_FILES`].
fn spill_fan_out(rows: u64, in_memory: u64) -> u64 {
    (rows.div_ceil(in_memory) * 2)
        .next_power_of_two()
        .clamp(2, MAX_SPILL_FILES)
}

/// (hash, row) pairs spilled by the hash's bits below `skip` bits: one
/// buffered file a partition.
struct Spill {
    paths: Vec<PathBuf>,
    writers: Vec<BufWriter<std::fs::File>>,
    skip: u32,
    bits: u32,
}

impl Spill {
    fn create(folder: &Path, name: &str, fan_out: u64, skip: u32) -> Result<Spill> {
        let bits = fan_out.trailing_zeros().min(64 - skip);
        let paths: Vec<PathBuf> = (0..1u64 << bits)
            .map(|index| folder.join(format!("{name}-{index}.bin")))
            .collect();
        let writers = paths
            .iter()
            .map(|path| {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create `{}`", path.display()))?;
                Ok(BufWriter::new(file))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Spill {
            paths,
            writers,
            skip,
            bits,
        })
    }

    fn push(&mut self, key: u64, row: u64) -> std::io::Result<()> {
        let index = if self.bits == 0 {
            0
        } else {
            ((key << self.skip) >> (64 - self.bits)) as usize
        };
        let writer = &mut self.writers[index];
        writer.write_all(&key.to_le_bytes())?;
        writer.write_all(&row.to_le_bytes())
    }

    /// The partitions' files, each with the bits already used to split it.
    fn finish(self) -> Result<Vec<(PathBuf, u32)>> {
        for writer in self.writers {
            writer.into_inner().map_err(|e| e.into_error())?;
        }
        let used = self.skip + self.bits;
        Ok(self.paths.into_iter().map(|path| (path, used)).collect())
    }
}

/// Reads a spill file's pairs in bounded chunks.
fn read_pairs(path: &Path, mut each: impl FnMut(u64, u64) -> Result<()>) -> Result<()> {
    let mut reader = BufReader::new(
        std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?,
    );
    let mut pair = [0u8; 16];
    loop {
        match reader.read_exact(&mut pair) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(error) => return Err(error.into()),
        }
        let (key, row) = pair.split_at(8);
        each(
            u64::from_le_bytes(key.try_into().expect("8 bytes")),
            u64::from_le_bytes(row.try_into().expect("8 bytes")),
        )?;
    }
}

/// The duplicates of one spill partition: sorted in memory when it fits,
/// else split again by the hash's next bits (a partition of one hash
/// repeated, which no bit can split, is read whole).
fn resolve(file: &(PathBuf, u32), in_memory: u64, duplicates: &mut Vec<u64>) -> Result<()> {
    let (path, used) = file;
    let pairs_in = std::fs::metadata(path)?.len() / 16;
    if pairs_in > in_memory && *used < 64 {
        let folder = path.parent().unwrap_or(Path::new("."));
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut spill = Spill::create(folder, &name, spill_fan_out(pairs_in, in_memory), *used)?;
        read_pairs(path, |key, row| Ok(spill.push(key, row)?))?;
        std::fs::remove_file(path)?;
        for part in spill.finish()? {
            resolve(&part, in_memory, duplicates)?;
        }
        return Ok(());
    }
    let mut pairs = Vec::with_capacity(usize::try_from(pairs_in).unwrap_or(0));
    read_pairs(path, |key, row| {
        pairs.push((key, row));
        Ok(())
    })?;
    duplicates_among(&mut pairs, duplicates);
    std::fs::remove_file(path)?;
    Ok(())
}

/// The row numbers (in file order over `parts`, of `counts` rows each) of
/// a date's duplicates, sorted.
fn duplicate_rows(
    parts: &[PathBuf],
    counts: &[u64],
    config: &RunConfig,
    scratch: &Path,
) -> Result<Vec<u64>> {
    let rows: u64 = counts.iter().sum();
    let in_memory = config.dedup_memory_keys.max(1) as u64;
    let mut duplicates = Vec::new();
    let stopped = || anyhow::anyhow!("a worker stopped while the date was deduplicated");
    if rows <= in_memory {
        let pairs = Mutex::new(Vec::with_capacity(usize::try_from(rows).unwrap_or(0)));
        pairs_of(parts, counts, config, |some| {
            pairs.lock().map_err(|_| stopped())?.extend_from_slice(some);
            Ok(())
        })?;
        let mut pairs = pairs.into_inner().map_err(|_| stopped())?;
        duplicates_among(&mut pairs, &mut duplicates);
    } else {
        std::fs::create_dir_all(scratch)
            .with_context(|| format!("cannot create `{}`", scratch.display()))?;
        let fan_out = spill_fan_out(rows, in_memory);
        let spill = Mutex::new(Spill::create(scratch, "keys", fan_out, 0)?);
        pairs_of(parts, counts, config, |some| {
            let mut spill = spill.lock().map_err(|_| stopped())?;
            for &(key, row) in some {
                spill.push(key, row)?;
            }
            Ok(())
        })?;
        for file in spill.into_inner().map_err(|_| stopped())?.finish()? {
            resolve(&file, in_memory, &mut duplicates)?;
        }
        std::fs::remove_dir_all(scratch)
            .with_context(|| format!("cannot remove `{}`", scratch.display()))?;
    }
    duplicates.sort_unstable();
    Ok(duplicates)
}

/// What one part's transform counted.
#[derive(Default)]
struct PartCounts {
    quality: Quality,
    rows_in: u64,
    rows_out: u64,
}

impl Transform<'_> {
    /// Streams one raw part into its processed part: rows `first..` of the
    /// date, the duplicates among them skipped.
    fn part(
        &self,
        raw_part: &Path,
        processed: &Path,
        first: u64,
        duplicates: &[u64],
        cx: &StageContext,
        tripwire: &super::context::Tripwire,
    ) -> Result<PartCounts> {
        let config = cx.config;
        let mut counts = PartCounts::default();
        let mut next_duplicate = duplicates.partition_point(|&d| d < first);
        let mut row_number = first;
        let mut sink: Option<ParquetSink> = None;
        let mut out = ProcessedBatch::default();
        let wanted = ["event_id", "page", "timestamp", "action"];
        let timing = self.format.uses_pattern();
        let viewed = [
            ("event_id", TextAs::Views),
            ("page", TextAs::Views),
            ("action", TextAs::Views),
        ];
        for batch in stream_batches_as(raw_part, read_rows(config), Some(&wanted), &viewed)? {
            let batch = batch?;
            let ids = columns::text_view(&batch, "event_id")?;
            let pages = columns::text_view(&batch, "page")?;
            let times = columns::timestamps(&batch, "timestamp")?;
            let actions = columns::text_view(&batch, "action")?;
            for row in 0..batch.num_rows() {
                counts.rows_in += 1;
                let duplicate = duplicates.get(next_duplicate) == Some(&row_number);
                row_number += 1;
                if duplicate {
                    next_duplicate += 1;
                    counts.quality.duplicates_removed += 1;
                    continue;
                }
                if actions.is_null(row) || actions.value(row) != "page_view" {
                    continue;
                }
                counts.quality.page_views += 1;
                let page = pages.value(row);
                // A user's pattern is timed where it runs, on the pages read:
                // a regular expression can cost hundreds of times the rule.
                let timed = timing && page.starts_with(self.format.product_pages());
                let started = timed.then(std::time::Instant::now);
                let found = self.format.product_id(page);
                if let Some(started) = started {
                    counts.quality.pattern_pages += 1;
                    counts.quality.pattern_ns += started.elapsed().as_nanos() as u64;
                }
                match found {
                    Ok(product) => {
                        counts.rows_out += 1;
                        out.push(ids.value(row), product, times.value(row));
                        if out.rows == config.batch_rows.max(1) {
                            out.write(&mut sink, processed, config)?;
                        }
                    }
                    Err(ProductError::NotAProductPage) => {
                        counts.quality.non_product_page_views += 1;
                    }
                    Err(ProductError::Invalid) => counts.quality.invalid_product_ids += 1,
                }
            }
            tripwire.advance(batch.num_rows() as u64)?;
        }
        if out.rows > 0 {
            out.write(&mut sink, processed, config)?;
        }
        if let Some(sink) = sink {
            sink.finish(&cx.syncer)?;
        }
        Ok(counts)
    }
}

impl Stage for Transform<'_> {
    fn id(&self) -> StageId {
        StageId::Transform
    }

    fn run(&self, cx: &StageContext) -> Result<StageOutcome> {
        let (config, staging) = (cx.config, &cx.staging);
        let raw_dir = cx.published(StageId::Ingest.dataset());
        let files: Vec<PathBuf> = parquet_files(&raw_dir)?
            .into_iter()
            .filter(|f| !f.components().any(|c| c.as_os_str() == "_quarantine"))
            .collect();
        let tripwire = cx.tripwire(cx.upstream_rows);
        let bar = cx.progress(files.len() as u64, "files");
        let mut quality = Quality::default();
        let mut metrics = cx.metrics();
        metrics.bytes_in = total_size(&files);
        for (date, parts) in by_date(files) {
            let counts = parts
                .iter()
                .map(|p| row_count(p))
                .collect::<Result<Vec<u64>>>()?;
            let duplicates = duplicate_rows(
                &parts,
                &counts,
                config,
                &staging.join(format!("_dedup-{date}")),
            )?;
            // One part a task, so no worker waits on a run of parts another holds.
            let done: Vec<PartCounts> = parts
                .par_iter()
                .zip(firsts(&counts))
                .with_max_len(1)
                .map(|(raw_part, first)| {
                    let name = raw_part.file_name().expect("a Parquet file");
                    let processed = staging.join(format!("date={date}")).join(name);
                    let counted =
                        self.part(raw_part, &processed, first, &duplicates, cx, &tripwire);
                    bar.inc(1);
                    counted
                })
                .collect::<Result<_>>()?;
            for part in done {
                metrics.rows_in += part.rows_in;
                metrics.rows_out += part.rows_out;
                quality.duplicates_removed += part.quality.duplicates_removed;
                quality.page_views += part.quality.page_views;
                quality.non_product_page_views += part.quality.non_product_page_views;
                quality.invalid_product_ids += part.quality.invalid_product_ids;
                quality.pattern_pages += part.quality.pattern_pages;
                quality.pattern_ns += part.quality.pattern_ns;
            }
        }
        bar.finish_and_clear();
        // Page views and not one on a product page: the prefix is not the
        // one these logs use (`/products/` for `/product/`), and a run
        // publishing no views from them would look like a quiet day.
        if quality.page_views > 0 && quality.non_product_page_views == quality.page_views {
            anyhow::bail!(
                "none of the {} page views is on a product page under `--product-pages {}`; pass the prefix these logs' product pages have (e.g. `--product-pages /item/`)",
                quality.page_views,
                config.product_pages
            );
        }
        Ok(StageOutcome {
            metrics,
            quality,
            ..StageOutcome::default()
        })
    }
}

/// Kept page views waiting to be written, a batch at a time.
#[derive(Default)]
struct ProcessedBatch {
    ids: StringBuilder,
    products: StringBuilder,
    times: TimestampMillisecondBuilder,
    rows: usize,
}

impl ProcessedBatch {
    fn push(&mut self, event_id: &str, product: &str, timestamp: i64) {
        self.ids.append_value(event_id);
        self.products.append_value(product);
        self.times.append_value(timestamp);
        self.rows += 1;
    }

    /// Writes the batch to the part (created at its first batch, so a part
    /// that keeps nothing is not written) and starts the next.
    fn write(
        &mut self,
        sink: &mut Option<ParquetSink>,
        path: &Path,
        config: &RunConfig,
    ) -> Result<()> {
        let batch = RecordBatch::try_new(
            columns::schema_processed(),
            vec![
                Arc::new(self.ids.finish()),
                Arc::new(self.products.finish()),
                Arc::new(self.times.finish().with_timezone("UTC")),
            ],
        )?;
        self.rows = 0;
        let sink = match sink {
            Some(sink) => sink,
            None => sink.insert(ParquetSink::create(
                path,
                columns::schema_processed(),
                config.row_group_rows,
            )?),
        };
        sink.write(&batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_each_key_is_kept_and_every_later_one_is_a_duplicate() {
        // Rows 0..5 with keys 5, 7, 5, 5, 9, 7: rows 2, 3 and 5 repeat an earlier one.
        let mut pairs = vec![(5, 0), (7, 1), (5, 2), (5, 3), (9, 4), (7, 5)];
        let mut duplicates = Vec::new();
        duplicates_among(&mut pairs, &mut duplicates);
        duplicates.sort_unstable();
        assert_eq!(duplicates, [2, 3, 5]);
        // The key is the event id and the timestamp together.
        assert_eq!(dedup_key("e1", 10), dedup_key("e1", 10));
        assert_ne!(dedup_key("e1", 10), dedup_key("e1", 11));
        assert_ne!(dedup_key("e1", 10), dedup_key("e2", 10));
    }
}
