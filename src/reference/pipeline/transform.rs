//! Transform: raw events in, deduplicated product page views out.
//!
//! Deduplication keeps the first of each (event_id, timestamp) in file
//! order, in two passes over a date's raw parts. The first reads only those
//! two columns and finds the duplicates' row numbers: the keys' 64-bit
//! hashes, with their row numbers, are split by the hash's top bits into
//! 64 partitions, and every row but the first of a hash is a duplicate.
//! As many partitions as `--dedup-memory-keys` pairs allow are held in
//! memory (each resolved by a table of first rows, or a sort when large);
//! the rest are spilled to disk and resolved one at a time, a partition
//! still larger than memory split again, so memory stays flat however
//! large the date (at the cost of writing and reading 16 bytes a spilled
//! row). The second pass streams each part on its own, in parallel,
//! skipping the duplicates by row number: memory holds a batch
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

/// The most pairs [`duplicates_by_table`] is given: its table of twice
/// as many slots, 4 MB, stays in a core's cache and beside the budget.
const MAX_TABLE_PAIRS: usize = 1 << 17;

/// [`duplicates_among`] by an open-addressing table of each key's first
/// row, in place of a sort: at 1M events the date's 64 partitions took
/// 14–21 ms sorted and 3–6 ms this way. The keys are hashes already, so
/// their low bits place them.
fn duplicates_by_table(pairs: &[(u64, u64)], into: &mut Vec<u64>) {
    const EMPTY: u64 = u64::MAX;
    let size = (pairs.len() * 2).next_power_of_two().max(16);
    let mask = size - 1;
    let mut slots = vec![(0u64, EMPTY); size];
    for &(key, row) in pairs {
        let mut at = key as usize & mask;
        loop {
            let slot = &mut slots[at];
            if slot.1 == EMPTY {
                *slot = (key, row);
                break;
            }
            if slot.0 == key {
                // The earlier row stays; the later one is the duplicate.
                if row < slot.1 {
                    into.push(std::mem::replace(&mut slot.1, row));
                } else {
                    into.push(row);
                }
                break;
            }
            at = (at + 1) & mask;
        }
    }
}

/// The duplicates among pairs held in memory: by [`duplicates_by_table`]
/// up to [`MAX_TABLE_PAIRS`], by the sort beyond.
fn duplicates_in(pairs: &mut [(u64, u64)], into: &mut Vec<u64>) {
    if pairs.len() <= MAX_TABLE_PAIRS {
        duplicates_by_table(pairs, into);
    } else {
        duplicates_among(pairs, into);
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

/// One hash partition of a [`Partitions`]: its pairs held in memory, or
/// written to its spill file.
enum Partition {
    Held(Vec<(u64, u64)>),
    Spilled(PathBuf, BufWriter<std::fs::File>),
}

/// (hash, row) pairs split by the hash's bits below `skip` bits into hash
/// partitions, as many held in memory as `budget` pairs allow and the rest
/// spilled to disk, one buffered file a partition. Holding what fits is
/// what a hybrid hash join does: a date just past the budget (1,008,152
/// rows at 1M events, against 1M keys) wrote all its 16 MB of pairs and
/// read them back, about 30 ms of a 0.7 s run; now it spills a few
/// partitions of 64. A held partition that outgrows its share (one key
/// repeated, say) is spilled whole, so memory never holds more than
/// `budget` pairs.
struct Partitions {
    folder: PathBuf,
    name: String,
    parts: Vec<Partition>,
    skip: u32,
    bits: u32,
    /// The pairs of room the held partitions have, at most `budget`.
    held: usize,
    budget: usize,
}

impl Partitions {
    /// `rows` pairs to come, in `fan_out` partitions (a power of two).
    fn create(
        folder: &Path,
        name: &str,
        fan_out: u64,
        skip: u32,
        rows: u64,
        budget: u64,
    ) -> Result<Partitions> {
        let bits = fan_out.trailing_zeros().min(64 - skip);
        let count = 1usize << bits;
        // Each partition's share with four standard deviations to spare:
        // a uniform hash's partitions of ~16K pairs differ by about 125.
        let share = rows.div_ceil(count as u64);
        let room = usize::try_from(share + 4 * share.isqrt() + 16).unwrap_or(usize::MAX);
        let budget = usize::try_from(budget).unwrap_or(usize::MAX);
        let kept = (budget / room).min(count);
        let mut partitions = Partitions {
            folder: folder.to_path_buf(),
            name: name.to_string(),
            parts: Vec::with_capacity(count),
            skip,
            bits,
            held: 0,
            budget,
        };
        for index in 0..count {
            let part = if index < kept {
                let pairs = Vec::with_capacity(room);
                partitions.held += pairs.capacity();
                Partition::Held(pairs)
            } else {
                partitions.spill_file(index)?
            };
            partitions.parts.push(part);
        }
        Ok(partitions)
    }

    fn spill_file(&self, index: usize) -> Result<Partition> {
        // The folder is made by the first partition spilled: a date that
        // fits in memory writes nothing.
        std::fs::create_dir_all(&self.folder)
            .with_context(|| format!("cannot create `{}`", self.folder.display()))?;
        let path = self.folder.join(format!("{}-{index}.bin", self.name));
        let file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create `{}`", path.display()))?;
        Ok(Partition::Spilled(path, BufWriter::new(file)))
    }

    fn push(&mut self, key: u64, row: u64) -> Result<()> {
        let index = if self.bits == 0 {
            0
        } else {
            ((key << self.skip) >> (64 - self.bits)) as usize
        };
        if let Partition::Held(pairs) = &mut self.parts[index] {
            if pairs.len() == pairs.capacity() {
                let before = pairs.capacity();
                let more = (before / 8).max(64);
                if self.held + more <= self.budget {
                    pairs.reserve_exact(more);
                    self.held += pairs.capacity() - before;
                } else {
                    self.spill(index)?;
                }
            }
        }
        match &mut self.parts[index] {
            Partition::Held(pairs) => pairs.push((key, row)),
            Partition::Spilled(_, writer) => write_pair(writer, key, row)?,
        }
        Ok(())
    }

    /// Writes a held partition to its spill file, and spills the rest of
    /// its pairs there.
    fn spill(&mut self, index: usize) -> Result<()> {
        let mut part = self.spill_file(index)?;
        let held = std::mem::replace(&mut self.parts[index], Partition::Held(Vec::new()));
        if let (Partition::Held(pairs), Partition::Spilled(_, writer)) = (held, &mut part) {
            self.held -= pairs.capacity();
            for (key, row) in pairs {
                write_pair(writer, key, row)?;
            }
        }
        self.parts[index] = part;
        Ok(())
    }

    /// Adds the duplicates of every partition to `duplicates`: the held
    /// ones in memory (a partition a task), then each spill file in turn,
    /// with the whole budget, so memory never holds both.
    fn resolve(self, in_memory: u64, duplicates: &mut Vec<u64>) -> Result<()> {
        let used = self.skip + self.bits;
        let mut held = Vec::new();
        let mut spilled = Vec::new();
        for part in self.parts {
            match part {
                Partition::Held(pairs) => held.push(pairs),
                Partition::Spilled(path, writer) => {
                    writer.into_inner().map_err(|e| e.into_error())?;
                    spilled.push((path, used));
                }
            }
        }
        let found: Vec<Vec<u64>> = held
            .into_par_iter()
            .map(|mut pairs| {
                let mut found = Vec::new();
                duplicates_in(&mut pairs, &mut found);
                found
            })
            .collect();
        duplicates.extend(found.into_iter().flatten());
        for file in spilled {
            resolve_spilled(&file, in_memory, duplicates)?;
        }
        Ok(())
    }
}

/// Writes one pair to a spill file, as [`read_pairs`] reads it back.
fn write_pair(writer: &mut impl Write, key: u64, row: u64) -> std::io::Result<()> {
    writer.write_all(&key.to_le_bytes())?;
    writer.write_all(&row.to_le_bytes())
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

/// The duplicates of one spill partition: found in memory when it fits,
/// else split again by the hash's next bits (a partition of one hash
/// repeated, which no bit can split, is read whole).
fn resolve_spilled(file: &(PathBuf, u32), in_memory: u64, duplicates: &mut Vec<u64>) -> Result<()> {
    let (path, used) = file;
    let pairs_in = std::fs::metadata(path)?.len() / 16;
    if pairs_in > in_memory && *used < 64 {
        let folder = path.parent().unwrap_or(Path::new("."));
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fan_out = spill_fan_out(pairs_in, in_memory);
        let mut split = Partitions::create(folder, &name, fan_out, *used, pairs_in, in_memory)?;
        read_pairs(path, |key, row| split.push(key, row))?;
        std::fs::remove_file(path)?;
        return split.resolve(in_memory, duplicates);
    }
    let mut pairs = Vec::with_capacity(usize::try_from(pairs_in).unwrap_or(0));
    read_pairs(path, |key, row| {
        pairs.push((key, row));
        Ok(())
    })?;
    duplicates_in(&mut pairs, duplicates);
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
    let stopped = || anyhow::anyhow!("a worker stopped while the date was deduplicated");
    let partitions = Mutex::new(Partitions::create(
        scratch,
        "keys",
        MAX_SPILL_FILES,
        0,
        rows,
        in_memory,
    )?);
    pairs_of(parts, counts, config, |some| {
        let mut partitions = partitions.lock().map_err(|_| stopped())?;
        for &(key, row) in some {
            partitions.push(key, row)?;
        }
        Ok(())
    })?;
    let mut duplicates = Vec::new();
    let partitions = partitions.into_inner().map_err(|_| stopped())?;
    partitions.resolve(in_memory, &mut duplicates)?;
    if scratch.exists() {
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

    /// `count` pairs with uniform keys, every `every`th a copy of key 7,
    /// rows in an order that is not the rows' own.
    fn pairs(count: u64, every: u64) -> Vec<(u64, u64)> {
        (0..count)
            .map(|i| {
                let row = (i * 7919) % count;
                let key = if i % every == 0 {
                    7
                } else {
                    dedup_key(&format!("e{}", i % (count / 3)), 0)
                };
                (key, row)
            })
            .collect()
    }

    fn sorted(mut rows: Vec<u64>) -> Vec<u64> {
        rows.sort_unstable();
        rows
    }

    #[test]
    fn the_table_finds_what_the_sort_finds() {
        for (count, every) in [
            (1, 1),
            (2, 1),
            (1_000, 50),
            (30_011, 7),
            (30_011, 1_000_000),
        ] {
            let mut by_sort = pairs(count, every);
            let mut expected = Vec::new();
            duplicates_among(&mut by_sort, &mut expected);
            let mut found = Vec::new();
            duplicates_by_table(&pairs(count, every), &mut found);
            assert_eq!(sorted(found), sorted(expected), "{count} pairs");
        }
    }

    struct Folder(PathBuf);
    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn spilled(partitions: &Partitions) -> usize {
        partitions
            .parts
            .iter()
            .filter(|p| matches!(p, Partition::Spilled(..)))
            .count()
    }

    /// A date just past the memory budget holds most of its partitions;
    /// it spilled them all, 16 MB written and read back at 1M events.
    #[test]
    fn a_date_just_past_the_budget_spills_few_partitions_and_finds_every_duplicate() {
        let folder = Folder(
            std::env::temp_dir().join(format!("pipecalc-partitions-{}", std::process::id())),
        );
        let all = pairs(101_000, 40);
        let mut expected = Vec::new();
        duplicates_among(&mut all.clone(), &mut expected);
        assert!(expected.len() > 30_000);
        for (budget, at_most, at_least) in [
            (200_000, 0, 0),
            (100_000, 8, 1),
            (10_000, 64, 58),
            (1_000, 64, 64),
        ] {
            let mut partitions =
                Partitions::create(&folder.0, "keys", 64, 0, all.len() as u64, budget).unwrap();
            for &(key, row) in &all {
                partitions.push(key, row).unwrap();
            }
            let count = spilled(&partitions);
            assert!(
                (at_least..=at_most).contains(&count),
                "{count} of 64 spilled under {budget}"
            );
            assert!(
                partitions.held <= budget as usize,
                "{} held",
                partitions.held
            );
            assert_eq!(
                folder.0.exists(),
                count > 0,
                "the folder is made by the first spill"
            );
            let mut found = Vec::new();
            partitions.resolve(budget, &mut found).unwrap();
            assert_eq!(sorted(found), sorted(expected.clone()), "budget {budget}");
            let _ = std::fs::remove_dir_all(&folder.0);
        }
    }

    /// A held partition that outgrows its room while the budget is spent
    /// is spilled whole: memory never holds more than the budget.
    #[test]
    fn a_partition_that_outgrows_the_budget_is_spilled_whole() {
        let folder =
            Folder(std::env::temp_dir().join(format!("pipecalc-outgrown-{}", std::process::id())));
        // 64 partitions of room for ~160 pairs each, all held; then one
        // key repeated 5,000 times fills partition 0 past it.
        let budget = 64 * (157 + 4 * 12 + 16);
        let mut partitions = Partitions::create(&folder.0, "keys", 64, 0, 10_000, budget).unwrap();
        assert_eq!(spilled(&partitions), 0);
        for row in 0..5_000 {
            partitions.push(3, row).unwrap();
            assert!(partitions.held <= budget as usize);
        }
        assert_eq!(spilled(&partitions), 1);
        let mut found = Vec::new();
        partitions.resolve(budget, &mut found).unwrap();
        assert_eq!(sorted(found), (1..5_000).collect::<Vec<u64>>());
    }
}
