//! Parquet files, stage checkpoints, and durable publishing.
//!
//! A stage writes into a hidden staging folder and publishes it in one
//! atomic step after writing its `_manifest.json`: every file and folder in
//! it is fsynced first, then the folder takes the published name by one
//! rename (or, over an older output, one atomic exchange where the OS has
//! it: `renameat2(RENAME_EXCHANGE)` on Linux, `renamex_np(RENAME_SWAP)` on
//! macOS). A reader sees the old complete output or the new one, never a
//! torn file and never no output. The manifest records what the stage read
//! (a fingerprint of its input) so `--resume` can tell whether a finished
//! stage still stands.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde::{de::DeserializeOwned, Serialize};

use crate::reference::event::FIELDS;

pub const MANIFEST: &str = "_manifest.json";

/// A Parquet file being written in batches.
pub struct ParquetSink {
    path: PathBuf,
    writer: ArrowWriter<File>,
}

/// Columns whose values are (nearly) all distinct: written without a
/// dictionary. Millisecond timestamps are too: their dictionary overflowed
/// every row group, and without it the run is 6% faster and raw Parquet
/// 4.5% smaller (processed 12%).
const UNIQUE_COLUMNS: [&str; 5] = ["event_id", "session_id", "user_id", "ip", "timestamp"];

/// Whether a column is written without statistics: the log's own fields
/// but the event id and timestamp (ids drawn at random, free text,
/// categories every row group holds) and its unknown fields. No row
/// group's min and max of these can ever rule it out, and comparing every
/// value with them (`memcmp` on long shared prefixes such as user agents)
/// was 7% of a run's CPU. What a reader loses is their null counts. The
/// event id, the timestamp and the source file keep theirs: each has a
/// narrow range within a file (an id's prefix is its file's, a file holds
/// an hour), so a lookup by any of them skips the other files' row groups.
fn unprunable(column: &str) -> bool {
    column == "extra" || (FIELDS.contains(&column) && !["event_id", "timestamp"].contains(&column))
}

/// The most a sink buffers before it ends a row group: 8 MB, about 200K raw
/// events (DuckDB's row groups are 122,880 rows). At 32 MB a worker's
/// buffer grew with its files up to 10M events (peak 113 MB); at 8 MB the
/// run's peak is 64, 77 and 78 MB at 1M, 5M and 10M events.
const ROW_GROUP_BYTES: usize = 8 << 20;

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
        let mut properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(row_group_rows.max(1)));
        // Ids nearly all distinct: a dictionary never pays for them, and
        // building one (hashing and comparing every value until it
        // overflows) was the writer's largest cost.
        for field in schema.fields() {
            let name = field.name().as_str();
            if UNIQUE_COLUMNS.contains(&name) {
                properties =
                    properties.set_column_dictionary_enabled(ColumnPath::from(name), false);
            }
            if unprunable(name) {
                properties = properties
                    .set_column_statistics_enabled(ColumnPath::from(name), EnabledStatistics::None);
            }
        }
        let properties = properties.build();
        let writer = ArrowWriter::try_new(file, schema, Some(properties))?;
        Ok(ParquetSink {
            path: path.to_path_buf(),
            writer,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(batch)
            .with_context(|| format!("cannot write `{}`", self.path.display()))?;
        // A row group is buffered whole until it is written: bounded by
        // bytes as well as rows, so wide rows or a large file cost the same
        // memory as small ones.
        if self.writer.memory_size() > ROW_GROUP_BYTES {
            self.writer
                .flush()
                .with_context(|| format!("cannot write `{}`", self.path.display()))?;
        }
        Ok(())
    }

    /// Writes the footer and hands the file to `syncer`, which puts it on
    /// disk (fsynced) before the stage publishes.
    pub fn finish(self, syncer: &Syncer) -> Result<()> {
        let file = self
            .writer
            .into_inner()
            .with_context(|| format!("cannot finish `{}`", self.path.display()))?;
        syncer.sync(self.path, file);
        Ok(())
    }
}

/// Fsyncs a stage's finished files on a thread of its own. An fsync waits
/// for the disk: a worker that made it itself sat idle while it could
/// have been parsing (at 1M events, 170 fsyncs, about 100 ms of the
/// workers' time, and 8% of a run's wall time). The stage hands each finished file over and goes on;
/// [`Syncer::finish`] waits for every one before the stage publishes, so
/// nothing is published that is not on disk.
pub struct Syncer {
    files: Option<std::sync::mpsc::Sender<(PathBuf, File)>>,
    thread: Option<std::thread::JoinHandle<Result<Synced>>>,
}

/// The files a [`Syncer`] put on disk: publishing need not flush them again.
pub type Synced = std::collections::HashSet<PathBuf>;

impl Syncer {
    pub fn start() -> Result<Syncer> {
        let (files, queue) = std::sync::mpsc::channel::<(PathBuf, File)>();
        let thread = std::thread::Builder::new()
            .name("pipecalc-fsync".into())
            .spawn(move || {
                let mut first_error = None;
                let mut synced = Synced::new();
                for (path, file) in queue {
                    // After a failure the rest are still flushed: the error
                    // reported is the first, and the stage does not publish.
                    match file.sync_all() {
                        Ok(()) => {
                            synced.insert(path);
                        }
                        Err(error) => {
                            first_error.get_or_insert(
                                anyhow::Error::new(error)
                                    .context(format!("cannot flush `{}` to disk", path.display())),
                            );
                        }
                    }
                }
                first_error.map_or(Ok(synced), Err)
            })
            .context("cannot start the thread that flushes files to disk")?;
        Ok(Syncer {
            files: Some(files),
            thread: Some(thread),
        })
    }

    /// Queues a written file to be fsynced.
    pub fn sync(&self, path: PathBuf, file: File) {
        if let Some(files) = &self.files {
            // The thread ends only when the sender is dropped, so the
            // queue is open; should it not be, `finish` reports why.
            let _ = files.send((path, file));
        }
    }

    /// Waits until every queued file is on disk: the files, or the first
    /// failure.
    pub fn finish(mut self) -> Result<Synced> {
        self.wait()
    }

    /// Closes the queue and waits for the thread to flush what is in it.
    fn wait(&mut self) -> Result<Synced> {
        self.files = None;
        match self.thread.take().map(|thread| thread.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => anyhow::bail!("the thread flushing files to disk stopped"),
            None => Ok(Synced::new()),
        }
    }
}

impl Drop for Syncer {
    /// A stage that failed still waits for its queued files, so no thread
    /// outlives it holding a file of its staging folder; its own failure
    /// is the one reported.
    fn drop(&mut self) {
        let _ = self.wait();
    }
}

/// Reads a Parquet file batch by batch.
pub fn read_batches(path: &Path, batch_rows: usize) -> Result<Vec<RecordBatch>> {
    stream_batches(path, batch_rows, None)?.collect()
}

/// A Parquet file's batches one at a time, so memory holds one batch and
/// not the file; with `columns`, only those columns are decoded (a stage
/// that needs 4 of raw's 13 decodes 4). A column the file lacks is an
/// error naming it.
pub fn stream_batches(
    path: &Path,
    batch_rows: usize,
    columns: Option<&[&str]>,
) -> Result<impl Iterator<Item = Result<RecordBatch>>> {
    stream_batches_as(path, batch_rows, columns, &[])
}

/// How a text column is read, other than as plain strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextAs {
    /// String views (`Utf8View`): each value points into the decoded page
    /// instead of being copied into an array of its own.
    Views,
    /// A dictionary (`Dictionary(Int32, Utf8)`) as the file stores it: a
    /// column of a few distinct values is read as their indices.
    Dictionary,
}

/// [`stream_batches`], with the text columns named in `text_as` read as
/// it says.
pub fn stream_batches_as(
    path: &Path,
    batch_rows: usize,
    columns: Option<&[&str]>,
    text_as: &[(&str, TextAs)],
) -> Result<impl Iterator<Item = Result<RecordBatch>>> {
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    let file = File::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let not_parquet = || format!("`{}` is not a Parquet file", path.display());
    let mut metadata =
        ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).with_context(not_parquet)?;
    if !text_as.is_empty() {
        let schema = metadata.schema();
        let fields: Vec<arrow_schema::FieldRef> = schema
            .fields()
            .iter()
            .map(|field| {
                let read_as = text_as.iter().find(|(name, _)| name == field.name());
                match (field.data_type(), read_as) {
                    (DataType::Utf8, Some((_, how))) => {
                        let as_type = match how {
                            TextAs::Views => DataType::Utf8View,
                            TextAs::Dictionary => DataType::Dictionary(
                                Box::new(DataType::Int32),
                                Box::new(DataType::Utf8),
                            ),
                        };
                        Arc::new(field.as_ref().clone().with_data_type(as_type))
                    }
                    _ => field.clone(),
                }
            })
            .collect();
        let read_as = Schema::new_with_metadata(fields, schema.metadata().clone());
        metadata = ArrowReaderMetadata::try_new(
            metadata.metadata().clone(),
            ArrowReaderOptions::new().with_schema(Arc::new(read_as)),
        )
        .with_context(not_parquet)?;
    }
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata);
    let mut builder = builder.with_batch_size(batch_rows);
    if let Some(columns) = columns {
        let schema = builder.schema().clone();
        let indices = columns
            .iter()
            .map(|name| {
                schema
                    .index_of(name)
                    .map_err(|_| anyhow::anyhow!("`{}` has no column `{name}`", path.display()))
            })
            .collect::<Result<Vec<usize>>>()?;
        let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), indices);
        builder = builder.with_projection(mask);
    }
    let reader = builder.build()?;
    let shown = path.display().to_string();
    Ok(reader.map(move |batch| batch.with_context(|| format!("cannot read `{shown}`"))))
}

/// The rows a Parquet file holds, from its footer (no data is read).
pub fn row_count(path: &Path) -> Result<u64> {
    let file = File::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("`{}` is not a Parquet file", path.display()))?;
    Ok(u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0))
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
    fnv1a_continue(0xcbf2_9ce4_8422_2325u64, bytes)
}

/// FNV-1a over more bytes, from the hash of those before them: the hash of
/// a key in parts is the hash of the parts joined, with no joined copy.
pub fn fnv1a_continue(mut hash: u64, bytes: &[u8]) -> u64 {
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

/// Writes `value` as JSON durably and atomically: a reader finds the old
/// file or the new one, whole.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_atomic(path, to_json(value)?.as_bytes())
}

/// The bytes free to an unprivileged user on the disk that holds `path`
/// (or, while `path` does not exist yet, the nearest folder above it that
/// does); `None` where the system cannot say.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let mut existing = path;
    while !existing.exists() {
        existing = existing.parent()?;
        if existing.as_os_str().is_empty() {
            existing = Path::new(".");
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
        let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `name` is a NUL-terminated path and `stats` is a
        // zeroed struct the call fills in.
        let status = unsafe { libc::statvfs(name.as_ptr(), &mut stats) };
        // Their widths differ between platforms (32 bits on some).
        #[allow(clippy::useless_conversion)]
        let free = u64::from(stats.f_bavail).saturating_mul(u64::from(stats.f_frsize));
        (status == 0).then_some(free)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Creates `path` as a new file, never through a link: a name that exists
/// (a file, a link to one anywhere) is an error, not a file to truncate.
pub fn create_new(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Writes `bytes` to `path` through a temporary file beside it: written,
/// fsynced, renamed over `path`, and the folder fsynced, so neither a crash
/// nor a full disk leaves a torn or empty file where the old one was. The
/// temporary file is created new, never through a link a name was given.
/// The process that wrote a temporary file [`write_atomic`] names
/// (`.NAME.PID.tmp`), and the name it stands for; `None` for any other.
pub fn temporary_of(name: &str) -> Option<(u32, &str)> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (stands_for, pid) = inner.rsplit_once('.')?;
    Some((pid.parse().ok()?, stands_for))
}

/// Whether process `pid` still runs (on Unix, signal 0 asks without
/// signalling); elsewhere assumed to, so nothing of a live writer is
/// removed.
pub fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let status = unsafe { libc::kill(pid, 0) };
        status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes, in `dir`, the temporary files [`write_atomic`] left when its
/// process was killed (its process gone), and returns their names.
pub fn remove_stale_temporaries(dir: &Path) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(removed);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((pid, _)) = temporary_of(&name) {
            if pid != std::process::id() && !process_alive(pid) {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("cannot remove `{}`", entry.path().display()))?;
                removed.push(name);
            }
        }
    }
    removed.sort();
    Ok(removed)
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        // A crashed earlier run of this process id left it: the name is
        // ours (it carries our pid), and unlinking never follows a link.
        if std::fs::symlink_metadata(&temporary).is_ok() {
            std::fs::remove_file(&temporary)?;
        }
        let mut file = create_new(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("cannot write `{}`", path.display()));
    }
    if let Err(error) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("cannot write `{}`", path.display()));
    }
    sync_dir(folder)
}

/// Refuses an output folder that is a link to nothing: creating it would
/// fail as "File exists", or make a folder where the link points.
pub fn refuse_dangling_folder(path: &Path) -> Result<()> {
    let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if link && std::fs::metadata(path).is_err() {
        anyhow::bail!(
            "`{}` is a link to `{}`, which does not exist; name a folder (pipecalc does not create one through a dangling link)",
            path.display(),
            std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Where writing to `path` lands: through a link, at its target; else in
/// its folder, resolved. `None` for a link whose target does not exist or
/// a path whose folder does not.
fn landing(path: &Path) -> Option<PathBuf> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return path.canonicalize().ok();
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(folder.canonicalize().ok()?.join(path.file_name()?))
}

/// Refuses a report's path before anything is computed or written: a
/// folder; a link to nothing; one of `inputs` (by device and inode, so a
/// hard link is caught too); or a file inside a folder among `inputs`
/// (a lake, a Spark log folder), which the command reads whole.
pub fn refuse_output(path: &Path, inputs: &[&Path]) -> Result<()> {
    let same = |a: &Path, b: &Path| -> bool {
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            #[cfg(unix)]
            (Ok(a), Ok(b)) => {
                use std::os::unix::fs::MetadataExt;
                a.dev() == b.dev() && a.ino() == b.ino()
            }
            #[cfg(not(unix))]
            (Ok(_), Ok(_)) => a.canonicalize().ok() == b.canonicalize().ok(),
            _ => false,
        }
    };
    if let Some(input) = inputs.iter().find(|input| same(path, input)) {
        anyhow::bail!(
            "`{}` is `{}`, which this command reads; write the report to another file",
            path.display(),
            input.display()
        );
    }
    let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if link && std::fs::metadata(path).is_err() {
        anyhow::bail!(
            "`{}` is a link to `{}`, which does not exist; name a file to write the report to (pipecalc does not create a file through a dangling link)",
            path.display(),
            std::fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default()
        );
    }
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        anyhow::bail!(
            "`{}` is a folder; name a file to write the report to",
            path.display()
        );
    }
    if let Some(lands) = landing(path) {
        for input in inputs {
            let Some(folder) = std::fs::metadata(input)
                .ok()
                .filter(|m| m.is_dir())
                .and_then(|_| input.canonicalize().ok())
            else {
                continue;
            };
            if lands.starts_with(&folder) {
                anyhow::bail!(
                    "`{}` is inside `{}`, which this command reads; write the report outside it",
                    path.display(),
                    input.display()
                );
            }
        }
    }
    Ok(())
}

/// Writes a report the user named (`-o`, `--export`, `init`, `calibrate
/// --out`) without destroying what is there: a regular file is replaced
/// atomically (through a link, its target is, and the link stays); a
/// character device, a FIFO or a socket (`/dev/null`, `/dev/stdout`, a
/// pipe) is written through, never renamed over; what [`refuse_output`]
/// refuses is refused.
pub fn write_report(path: &Path, bytes: &[u8], inputs: &[&Path]) -> Result<()> {
    use std::io::Write;
    refuse_output(path, inputs)?;
    let Ok(target) = std::fs::metadata(path) else {
        return write_atomic(path, bytes);
    };
    if !target.is_file() {
        // A device, a FIFO, a socket: what is written goes through it.
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut file| file.write_all(bytes).and_then(|()| file.flush()))
            .with_context(|| format!("cannot write to `{}`", path.display()));
    }
    // A link to a regular file: its target is the file, the link stays.
    let resolved = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        path.canonicalize()
            .with_context(|| format!("cannot resolve `{}`", path.display()))?
    } else {
        path.to_path_buf()
    };
    write_atomic(&resolved, bytes)
}

/// Whether writing to `path` would replace a regular file that is there
/// (a device or a FIFO is written through, and replaces nothing).
pub fn replaces_a_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Fsyncs a folder, so the names in it (a rename, a new file) survive a
/// power loss. Windows has no folder handle to flush; NTFS journals names.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|folder| folder.sync_all())
            .with_context(|| format!("cannot flush folder `{}` to disk", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Fsyncs every file and folder under `dir`, and `dir` itself, but the
/// files already `synced`.
pub fn sync_tree(dir: &Path, synced: &Synced) -> Result<()> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list `{}`", folder.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if !synced.contains(&path) {
                File::open(&path)
                    .and_then(|file| file.sync_all())
                    .with_context(|| format!("cannot flush `{}` to disk", path.display()))?;
            }
        }
        sync_dir(&folder)?;
    }
    Ok(())
}

/// Swaps two folders in one atomic step, where the OS can: `Ok(false)`
/// where it cannot, having changed nothing.
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    #[cfg(any(all(target_os = "linux", target_env = "gnu"), target_os = "macos"))]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let a = CString::new(a.as_os_str().as_bytes())?;
        let b = CString::new(b.as_os_str().as_bytes())?;
        // SAFETY: both paths are NUL-terminated C strings that outlive the call.
        #[cfg(target_os = "linux")]
        let status = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        // SAFETY: as above.
        #[cfg(target_os = "macos")]
        let status = unsafe { libc::renamex_np(a.as_ptr(), b.as_ptr(), libc::RENAME_SWAP) };
        if status == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        // A file system without the exchange (EINVAL) or a kernel without
        // the call (ENOSYS): fall back to two renames.
        match error.raw_os_error() {
            Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) => Ok(false),
            _ => Err(error),
        }
    }
    #[cfg(not(any(all(target_os = "linux", target_env = "gnu"), target_os = "macos")))]
    {
        let _ = (a, b);
        Ok(false)
    }
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

/// Publishes a staged stage output as `out/<name>`: everything in it is
/// fsynced, then it takes the name in one atomic step, so a reader (or a
/// power loss) sees the old complete output or the new one. The files in
/// `synced` are on disk already.
pub fn publish(out: &Path, stage: &str, name: &str, synced: &Synced) -> Result<PathBuf> {
    let staging = staging_dir(out, stage);
    let target = out.join(name);
    sync_tree(&staging, synced)?;
    crash_point(&format!("before-publish-{stage}"));
    if !target.exists() {
        std::fs::rename(&staging, &target)
            .with_context(|| format!("cannot publish `{}`", target.display()))?;
    } else if exchange(&staging, &target)
        .with_context(|| format!("cannot publish `{}`", target.display()))?
    {
        // The staging folder now holds the old output.
        crash_point(&format!("after-publish-{stage}"));
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove the old `{}`", target.display()))?;
    } else {
        // No atomic exchange here: for an instant between these two
        // renames there is no `out/<name>` (README, "Reliability").
        let retired = out.join(format!(".retired-{name}"));
        if retired.exists() {
            std::fs::remove_dir_all(&retired)?;
        }
        std::fs::rename(&target, &retired)
            .with_context(|| format!("cannot move aside `{}`", target.display()))?;
        std::fs::rename(&staging, &target)
            .with_context(|| format!("cannot publish `{}`", target.display()))?;
        std::fs::remove_dir_all(&retired)?;
    }
    sync_dir(out)?;
    Ok(target)
}

/// For the crash tests: `PIPECALC_TEST_CRASH=after-publish-load` kills the
/// process at that point, as a power cut or `kill -9` would. Costs one
/// environment lookup per publish.
fn crash_point(point: &str) {
    if std::env::var_os("PIPECALC_TEST_CRASH").is_some_and(|p| p == point) {
        std::process::abort();
    }
}

/// Removes what a killed run left behind: the staging folders, retired
/// outputs and temporary files `ours` names (and nothing else). Only ever
/// called under the output folder's lock.
pub fn clear_leftovers(out: &Path, ours: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in
        std::fs::read_dir(out).with_context(|| format!("cannot list `{}`", out.display()))?
    {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !ours(&name) {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() && (name.starts_with(".staging-") || name.starts_with(".retired-")) {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove `{}`", path.display()))?;
            removed.push(path);
        } else if kind.is_file() && name.starts_with('.') && name.ends_with(".tmp") {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove `{}`", path.display()))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_in_parts_is_fnv1a_of_the_whole() {
        let whole = fnv1a(b"e00023-00000002\x01\x02");
        assert_eq!(
            fnv1a_continue(fnv1a(b"e00023-"), b"00000002\x01\x02"),
            whole
        );
        // The published FNV-1a 64 of "a".
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    /// A Parquet part of a non-null and a nullable text column, written
    /// by a sink and flushed by a syncer (which says it flushed it): its
    /// folder, its path and the batch written.
    fn two_text_columns(
        name: &str,
        columns: [&str; 2],
        first: Vec<&str>,
        second: Vec<Option<&str>>,
    ) -> (PathBuf, PathBuf, RecordBatch) {
        use arrow_array::{ArrayRef, StringArray};
        use arrow_schema::Field;
        let schema = Arc::new(Schema::new(vec![
            Field::new(columns[0], DataType::Utf8, false),
            Field::new(columns[1], DataType::Utf8, true),
        ]));
        let first: ArrayRef = Arc::new(StringArray::from(first));
        let second: ArrayRef = Arc::new(StringArray::from(second));
        let batch = RecordBatch::try_new(schema.clone(), vec![first, second]).unwrap();
        let dir = std::env::temp_dir().join(format!("pipecalc-{name}-{}", std::process::id()));
        let path = dir.join("part.parquet");
        let mut sink = ParquetSink::create(&path, schema, 1024).unwrap();
        sink.write(&batch).unwrap();
        let syncer = Syncer::start().unwrap();
        sink.finish(&syncer).unwrap();
        assert!(syncer.finish().unwrap().contains(&path));
        (dir, path, batch)
    }

    /// A text column read as string views holds the same values; the
    /// other columns are read as they were written.
    #[test]
    fn text_read_as_views_is_the_same_text() {
        use arrow_array::cast::AsArray;
        let (dir, path, batch) = two_text_columns(
            "views",
            ["event_id", "page"],
            vec!["e1-000000000000001", "e2"],
            vec![Some("/product/p000001"), None],
        );
        let read: Vec<RecordBatch> =
            stream_batches_as(&path, 1024, None, &[("event_id", TextAs::Views)])
                .unwrap()
                .collect::<Result<_>>()
                .unwrap();
        let ids = read[0].column(0).as_string_view();
        assert_eq!(
            ids.iter().collect::<Vec<_>>(),
            [Some("e1-000000000000001"), Some("e2")]
        );
        assert_eq!(read[0].column(1).as_ref(), batch.column(1).as_ref());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The syncer flushes every file it is given, says which, and fails
    /// the stage (naming the file) when one cannot be flushed; the files
    /// after a failure are still flushed.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_syncer_reports_what_it_flushed_and_the_first_failure() {
        let dir = std::env::temp_dir().join(format!("pipecalc-syncer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
        let write = |syncer: &Syncer, path: &Path, bytes: &[u8]| {
            std::fs::write(path, bytes).unwrap();
            syncer.sync(path.to_path_buf(), File::open(path).unwrap());
        };
        let syncer = Syncer::start().unwrap();
        write(&syncer, &a, b"one\n");
        write(&syncer, &b, b"two\n");
        let synced = syncer.finish().unwrap();
        assert_eq!(synced, Synced::from([a.clone(), b.clone()]));
        assert_eq!(std::fs::read(&b).unwrap(), b"two\n");
        // A character device cannot be fsynced (EINVAL).
        let syncer = Syncer::start().unwrap();
        let null = PathBuf::from("/dev/null");
        syncer.sync(
            null,
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/null")
                .unwrap(),
        );
        write(&syncer, &a, b"three\n");
        let error = syncer.finish().unwrap_err();
        assert!(
            format!("{error:#}").contains("cannot flush `/dev/null` to disk"),
            "{error:#}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Statistics are kept where a reader can prune by them and left out
    /// where it cannot; the data reads back the same either way.
    #[test]
    fn statistics_only_where_a_reader_can_prune() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let (dir, path, batch) = two_text_columns(
            "stats",
            ["event_id", "user_agent"],
            vec!["e1-02", "e1-01"],
            vec![Some("Mozilla/5.0 (X11)"), None],
        );
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let group = reader.metadata().row_group(0);
        let id_stats = group
            .column(0)
            .statistics()
            .expect("event_id keeps its statistics");
        assert_eq!(id_stats.min_bytes_opt(), Some(&b"e1-01"[..]));
        assert!(group.column(1).statistics().is_none());
        assert_eq!(read_batches(&path, 1024).unwrap(), vec![batch]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
