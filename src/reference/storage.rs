//! Parquet files and stage checkpoints.
//!
//! A stage writes into a hidden staging folder and publishes it with one
//! rename, after writing its `_manifest.json`; a crash leaves nothing
//! half-written where readers look. The manifest records what the stage
//! read (a fingerprint of its input) so `--resume` can tell whether a
//! finished stage still stands.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use arrow_schema::Schema;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::{de::DeserializeOwned, Serialize};

pub const MANIFEST: &str = "_manifest.json";

/// A Parquet file being written in batches.
pub struct ParquetSink {
    path: PathBuf,
    writer: ArrowWriter<File>,
}

impl ParquetSink {
    /// `row_group_rows` bounds how many rows the writer buffers before a row
    /// group goes to disk.
    pub fn create(path: &Path, schema: Arc<Schema>, row_group_rows: usize) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        let file =
            File::create(path).with_context(|| format!("cannot create `{}`", path.display()))?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(row_group_rows.max(1)))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(properties))?;
        Ok(ParquetSink {
            path: path.to_path_buf(),
            writer,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(batch)
            .with_context(|| format!("cannot write `{}`", self.path.display()))
    }

    /// Writes the footer and closes the file.
    pub fn finish(self) -> Result<()> {
        self.writer
            .close()
            .with_context(|| format!("cannot finish `{}`", self.path.display()))?;
        Ok(())
    }
}

/// Reads a Parquet file batch by batch.
pub fn read_batches(path: &Path, batch_rows: usize) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("`{}` is not a Parquet file", path.display()))?
        .with_batch_size(batch_rows)
        .build()?;
    reader
        .map(|batch| batch.with_context(|| format!("cannot read `{}`", path.display())))
        .collect()
}

/// Every `*.parquet` below `dir`, sorted, so stages read in one order.
pub fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list `{}`", folder.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The bytes of all `files`.
pub fn total_size(files: &[PathBuf]) -> u64 {
    files.iter().map(|f| file_size(f)).sum()
}

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`,
/// so fingerprints in manifests stay comparable.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Pretty JSON with a trailing newline: the pipeline writes its own files
/// and depends on no view or renderer for them.
pub fn to_json<T: Serialize>(value: &T) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    std::fs::write(path, to_json(value)?)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a valid manifest", path.display()))
}

/// Where a stage builds its output before publishing it.
pub fn staging_dir(out: &Path, stage: &str) -> PathBuf {
    out.join(format!(".staging-{stage}"))
}

/// Starts a stage's staging folder afresh (a crashed attempt's leftovers go).
pub fn fresh_staging(out: &Path, stage: &str) -> Result<PathBuf> {
    let staging = staging_dir(out, stage);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot clear `{}`", staging.display()))?;
    }
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create `{}`", staging.display()))?;
    Ok(staging)
}

/// Publishes a staged stage output as `out/<name>` with renames only, so a
/// reader sees either the old complete output or the new complete one.
pub fn publish(out: &Path, stage: &str, name: &str) -> Result<PathBuf> {
    let staging = staging_dir(out, stage);
    let target = out.join(name);
    let retired = out.join(format!(".retired-{name}"));
    if retired.exists() {
        std::fs::remove_dir_all(&retired)?;
    }
    if target.exists() {
        std::fs::rename(&target, &retired)
            .with_context(|| format!("cannot move aside `{}`", target.display()))?;
    }
    std::fs::rename(&staging, &target)
        .with_context(|| format!("cannot publish `{}`", target.display()))?;
    if retired.exists() {
        std::fs::remove_dir_all(&retired)?;
    }
    Ok(target)
}
