//! The input folder: which files are logs, what each one's raw part is
//! called, and the content fingerprint that tells an unchanged input from
//! an edited one.
//!
//! Logs are newline-delimited JSON named `*.jsonl`, `*.ndjson`, `*.json`
//! or `*.log`, each also gzip- or zstd-compressed (`*.jsonl.gz`,
//! `*.ndjson.zst`). Compression is told by the file's first bytes, so a
//! gzipped file without `.gz` is still read; it is decompressed as it
//! streams, never to disk and never whole into memory. Every other entry of
//! the folder is named in the run report with the reason it was not read,
//! except names starting with `.` or `_`, which by the convention of Hadoop
//! and Spark (`_SUCCESS`) and of the generator (`_truth.json`) are metadata.
//!
//! Raw parts are named from each file's place in the sorted list and its
//! whole name (`part-00003-x.jsonl.parquet`), so `x.jsonl`, `x.json` and
//! `x.log`, or two names that read the same once made valid UTF-8, never
//! write to one part. Symbolic links are read only when they point inside
//! the input folder, unless `--follow-symlinks` says otherwise; a link that
//! is skipped is named in the run report.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

/// One log file to ingest.
#[derive(Clone, Debug)]
pub struct InputFile {
    pub path: PathBuf,
    /// The file's name, as the reports show it.
    pub name: String,
    /// The stem of its raw part and quarantine file, unique in the run.
    pub part: String,
}

/// The log files to read, and the files left out with the reason.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub files: Vec<InputFile>,
    pub skipped: Vec<String>,
}

/// What the raw manifest remembers of each input file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputRecord {
    pub name: String,
    pub bytes: u64,
    /// XXH3-128 of the file's bytes, in hex.
    pub xxh3: String,
}

/// What the input folder reads, for messages.
pub const READS: &str = ".jsonl, .ndjson, .json or .log, each also .gz or .zst";

/// Metadata by convention (`_SUCCESS`, `_truth.json`, `.DS_Store`): never a
/// log, never reported.
fn is_metadata(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.')
}

fn is_log_name(name: &str) -> bool {
    let plain = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(name);
    [".jsonl", ".ndjson", ".json", ".log"]
        .iter()
        .any(|ext| plain.ends_with(ext))
}

/// A name safe in any file system: letters, digits, `.`, `-` and `_` kept,
/// anything else `_`.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The log files in `input` (`*.jsonl`, `*.json`, `*.log`), sorted by name;
/// names starting with `_` (the generator's truth) or `.` are not logs.
pub fn log_files(input: &Path, follow_symlinks: bool) -> Result<Inputs> {
    if !input.exists() {
        bail!("input folder `{}` does not exist", input.display());
    }
    if !input.is_dir() {
        bail!("input `{}` is not a folder of log files", input.display());
    }
    let root = input
        .canonicalize()
        .with_context(|| format!("cannot resolve `{}`", input.display()))?;
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    let mut skipped = Vec::new();
    for entry in
        std::fs::read_dir(input).with_context(|| format!("cannot list `{}`", input.display()))?
    {
        let entry = entry.with_context(|| format!("cannot list `{}`", input.display()))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        // What a killed writer left is named, not passed over in silence:
        // its bytes may be a log that never got its name.
        if let Some((pid, stands_for)) = crate::reference::storage::temporary_of(&name) {
            if is_log_name(stands_for) {
                let whose = if crate::reference::storage::process_alive(pid) {
                    format!("process {pid} is still writing it")
                } else {
                    format!("process {pid}, which wrote it, is gone; remove it, or generate again")
                };
                skipped.push(format!(
                    "{name}: the temporary file of `{stands_for}`, not a log ({whose})"
                ));
                continue;
            }
        }
        if is_metadata(&name) {
            continue;
        }
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        if kind.is_dir() {
            skipped.push(format!(
                "{name}/: a folder; logs are read from the top level of the input folder"
            ));
            continue;
        }
        if !is_log_name(&name) {
            skipped.push(format!("{name}: not a log file (reads {READS})"));
            continue;
        }
        if kind.is_symlink() {
            let target = std::fs::canonicalize(&path);
            match target {
                Ok(target) if !target.is_file() => {
                    skipped.push(format!("{name}: a link to something that is not a file"));
                    continue;
                }
                Ok(target) if !target.starts_with(&root) && !follow_symlinks => {
                    skipped.push(format!(
                        "{name}: a link out of the input folder (to {}); --follow-symlinks reads it",
                        target.display()
                    ));
                    continue;
                }
                Ok(_) => {}
                Err(_) => {
                    skipped.push(format!("{name}: a broken link"));
                    continue;
                }
            }
        } else if !kind.is_file() {
            skipped.push(format!("{name}: not a regular file"));
            continue;
        }
        found.push((path, name));
    }
    found.sort();
    if found.is_empty() {
        bail!(
            "no log files ({READS}) in `{}`{}; generate some with `pipecalc generate --out {}`",
            input.display(),
            if skipped.is_empty() {
                String::new()
            } else {
                format!(" (skipped: {})", skipped.join("; "))
            },
            input.display()
        );
    }
    let files = found
        .into_iter()
        .enumerate()
        .map(|(index, (path, name))| InputFile {
            part: format!("part-{index:05}-{}", safe(&name)),
            path,
            name,
        })
        .collect();
    Ok(Inputs { files, skipped })
}

/// XXH3-128 of what a reader has seen, fed as it reads.
#[derive(Clone, Default)]
pub struct ContentHash(Xxh3);

impl ContentHash {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub fn hex(&self) -> String {
        format!("{:032x}", self.0.digest128())
    }
}

/// How a log file is compressed, told by its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// The raw bytes read from a file so far: their hash and their count.
#[derive(Clone, Default)]
pub struct RawRead {
    pub hash: ContentHash,
    pub bytes: u64,
}

/// A reader that hashes and counts the file's own bytes as they pass, under
/// any decompression, so the fingerprint is of the file as stored.
struct Hashing<R> {
    inner: R,
    seen: Rc<RefCell<RawRead>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        let mut seen = self.seen.borrow_mut();
        seen.hash.update(&buffer[..read]);
        seen.bytes += read as u64;
        Ok(read)
    }
}

/// An open log file: its text lines, what it is compressed with, and its
/// raw bytes as they are read.
pub type OpenLog = (Box<dyn BufRead>, Compression, Rc<RefCell<RawRead>>);

/// The bytes a log file is read by (a line is parsed where it lies in
/// this buffer): 256 KiB reads as fast as 1 MiB did, and each worker holds
/// 0.8 MB less.
const READ_BUFFER: usize = 256 << 10;

/// Opens a log file as text lines, decompressing as it streams.
pub fn open(path: &Path) -> std::io::Result<OpenLog> {
    let seen = Rc::new(RefCell::new(RawRead::default()));
    let file = std::fs::File::open(path)?;
    let mut raw = BufReader::with_capacity(
        READ_BUFFER,
        Hashing {
            inner: file,
            seen: Rc::clone(&seen),
        },
    );
    let head = raw.fill_buf()?;
    let compression = if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    };
    let lines: Box<dyn BufRead> = match compression {
        Compression::None => Box::new(raw),
        // Every member of a multi-member file (`cat a.gz b.gz`), as gzip reads it.
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            1 << 20,
            zstd::stream::read::Decoder::with_buffer(raw)?,
        )),
    };
    Ok((lines, compression, seen))
}

/// Hashes one file's bytes (to check an input against the raw manifest
/// without ingesting it again).
pub fn hash_file(path: &Path) -> Result<InputRecord> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut hash = ContentHash::default();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let read = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        if read == 0 {
            break;
        }
        bytes += read as u64;
        hash.update(&buffer[..read]);
    }
    Ok(InputRecord {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
        xxh3: hash.hex(),
    })
}

/// One fingerprint for the whole input: every file's name, size and hash.
pub fn fingerprint(records: &[InputRecord]) -> String {
    let mut hash = ContentHash::default();
    for record in records {
        hash.update(format!("{}\t{}\t{}\n", record.name, record.bytes, record.xxh3).as_bytes());
    }
    hash.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_stem_many_files_never_share_a_part() {
        let dir = std::env::temp_dir().join(format!("pipecalc-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            "x.jsonl",
            "x.json",
            "x.log",
            "x y.jsonl",
            "x_y.jsonl",
            "_truth.json",
        ] {
            std::fs::write(dir.join(name), "{}\n").unwrap();
        }
        let inputs = log_files(&dir, false).unwrap();
        let parts: std::collections::BTreeSet<&str> =
            inputs.files.iter().map(|f| f.part.as_str()).collect();
        assert_eq!(inputs.files.len(), 5);
        assert_eq!(parts.len(), 5, "{parts:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_changed_byte_changes_the_fingerprint() {
        let record = |text: &str| {
            let mut hash = ContentHash::default();
            hash.update(text.as_bytes());
            InputRecord {
                name: "a.jsonl".into(),
                bytes: text.len() as u64,
                xxh3: hash.hex(),
            }
        };
        assert_ne!(
            fingerprint(&[record("{\"a\":1}\n")]),
            fingerprint(&[record("{\"a\":2}\n")])
        );
        assert_eq!(
            fingerprint(&[record("{\"a\":1}\n")]),
            fingerprint(&[record("{\"a\":1}\n")])
        );
    }
}
