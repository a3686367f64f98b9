//! The four stages: ingest, transform, aggregate, load. Each is a value
//! implementing `Stage` in its own file; `context::StageContext` owns
//! what they share (staging, measurement, progress, `--fail-at`, publish),
//! and `columns` reads every column back by name.
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

mod aggregate;
mod columns;
mod context;
mod ingest;
pub mod input;
mod load;
mod transform;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::event::LogFormat;
pub use super::metrics::{Quality, RunReport, RunStatus, StageMetrics, StageStatus};
use super::storage::{clear_leftovers, fnv1a, parquet_files, read_json, write_json, MANIFEST};
use aggregate::Aggregate;
use context::StageContext;
use ingest::Ingest;
use input::InputRecord;
use load::Load;
use transform::Transform;

pub const STAGES: [&str; 4] = ["ingest", "transform", "aggregate", "load"];

/// The four stages, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageId {
    Ingest,
    Transform,
    Aggregate,
    Load,
}

impl StageId {
    pub const ALL: [StageId; 4] = [
        StageId::Ingest,
        StageId::Transform,
        StageId::Aggregate,
        StageId::Load,
    ];

    /// The stage's name, as `--fail-at` and the reports spell it.
    pub fn name(self) -> &'static str {
        STAGES[self as usize]
    }

    /// The stage of this name (a run's report, or an engine's stage tagged
    /// as the bundled job tags them), if it is one of the four.
    pub fn named(name: &str) -> Option<StageId> {
        StageId::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The folder under `--out` the stage publishes.
    pub fn dataset(self) -> &'static str {
        match self {
            StageId::Ingest => "raw",
            StageId::Transform => "processed",
            StageId::Aggregate => "aggregated",
            StageId::Load => "views",
        }
    }
}

/// Where to stop on purpose: `--fail-at transform:0.5`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FailAt {
    pub stage: StageId,
    pub fraction: f64,
}

impl std::str::FromStr for FailAt {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (stage, fraction) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not STAGE:FRACTION, e.g. transform:0.5"))?;
        let stage = StageId::named(stage)
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

#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct RunConfig {
    /// Folder of log files (*.jsonl).
    #[arg(long)]
    pub input: PathBuf,
    /// Output folder (the data lake).
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads (1 to 1024).
    #[arg(long, default_value_t = 1, value_parser = crate::args::threads, allow_negative_numbers = true)]
    pub workers: usize,
    /// Crash on purpose part-way through a stage, e.g. transform:0.5.
    #[arg(long, value_name = "STAGE:FRACTION")]
    pub fail_at: Option<FailAt>,
    /// Continue from the last completed stage.
    #[arg(long)]
    pub resume: bool,
    /// Attempts per log file when reading fails.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub retries: u32,
    /// Make the first N file reads fail once (to see retries at work).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub inject_read_failures: u32,
    /// Rows per Parquet batch.
    #[arg(long, default_value_t = 65_536, value_parser = crate::args::batch_rows, allow_negative_numbers = true)]
    pub batch_rows: usize,
    /// Rows of one date deduplicated in memory (16 bytes a row); above it
    /// the keys are spilled to disk by hash partition, so memory stays flat.
    #[arg(long, default_value_t = 1_000_000, value_name = "ROWS", value_parser = crate::args::dedup_memory_keys, allow_negative_numbers = true)]
    pub dedup_memory_keys: usize,
    /// Rows per Parquet row group (what a writer buffers).
    #[arg(skip = 1usize << 20)]
    pub row_group_rows: usize,
    /// Lines longer than this are quarantined.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES", value_parser = crate::args::max_line_bytes, allow_negative_numbers = true)]
    pub max_line_bytes: usize,
    /// A progress bar on a terminal.
    #[arg(skip)]
    pub progress: bool,
    /// Also read log files that are links out of the input folder.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Where the product id is in a product page: a regular expression with one capture group.
    #[arg(long, value_name = "REGEX", default_value = crate::reference::event::DEFAULT_PRODUCT_PATTERN)]
    pub product_pattern: String,
    /// Pages under this prefix are product pages (one the pattern does not match has an invalid id).
    #[arg(long, value_name = "PREFIX", default_value = crate::reference::event::DEFAULT_PRODUCT_PAGES)]
    pub product_pages: String,
    /// A field under another key in these logs, e.g. --field timestamp=ts --field page=url.
    #[arg(long = "field", value_name = "FIELD=KEY", value_parser = field_rename)]
    pub fields: Vec<(String, String)>,
    /// How far behind the latest event already seen in its file an event may be and still be on time.
    #[arg(long, value_name = "DURATION", default_value = "5 min", value_parser = lateness)]
    pub allowed_lateness_ms: i64,
    /// The most of the lines read that may be quarantined before the run
    /// fails (5% or 5); a run with no valid event fails whatever this is.
    #[arg(long = "max-quarantined", value_name = "PERCENT", default_value = "5%", value_parser = crate::args::percent)]
    pub max_quarantined_share: f64,
}

fn field_rename(text: &str) -> Result<(String, String), String> {
    let (field, key) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not FIELD=KEY, e.g. timestamp=ts"))?;
    Ok((field.trim().to_string(), key.trim().to_string()))
}

fn lateness(text: &str) -> Result<i64, String> {
    let seconds = crate::units::parse_duration(text)?.value;
    if !(0.0..=30.0 * 86_400.0).contains(&seconds) {
        return Err(format!("`{text}` is not a lateness from 0 to 30 days"));
    }
    Ok((seconds * 1000.0).round() as i64)
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
            dedup_memory_keys: 1_000_000,
            row_group_rows: 1 << 20,
            max_line_bytes: 1 << 20,
            progress: false,
            follow_symlinks: false,
            product_pattern: crate::reference::event::DEFAULT_PRODUCT_PATTERN.into(),
            product_pages: crate::reference::event::DEFAULT_PRODUCT_PAGES.into(),
            fields: Vec::new(),
            allowed_lateness_ms: crate::reference::event::DEFAULT_ALLOWED_LATENESS_MS,
            max_quarantined_share: 0.05,
        }
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
    /// The raw stage's input files with their content hashes, to name the
    /// files that changed when a different input is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<InputRecord>,
    /// The run's settings that decide this stage's output (`--field`,
    /// `--allowed-lateness-ms`, `--product-pattern`…), as the run had them:
    /// a stage kept from an earlier run must have been made with the same.
    /// Absent from a manifest written before they were recorded, which
    /// stands for the defaults.
    #[serde(default)]
    settings: BTreeMap<String, String>,
}

/// The settings of `config` that decide what stage `id` writes: what
/// ingest reads and quarantines (field names, lateness, the line limit),
/// and how transform finds a product. Workers, batch sizes and row groups
/// change how the work is cut, not what it makes.
pub fn stage_settings(config: &RunConfig, id: StageId) -> BTreeMap<String, String> {
    let mut settings = BTreeMap::new();
    match id {
        StageId::Ingest => {
            let mut fields: Vec<String> = config
                .fields
                .iter()
                .map(|(field, key)| format!("{field}={key}"))
                .collect();
            fields.sort();
            settings.insert("field".to_string(), fields.join(","));
            settings.insert(
                "allowed_lateness_ms".to_string(),
                config.allowed_lateness_ms.to_string(),
            );
            settings.insert(
                "max_line_bytes".to_string(),
                config.max_line_bytes.to_string(),
            );
        }
        StageId::Transform => {
            settings.insert(
                "product_pattern".to_string(),
                config.product_pattern.clone(),
            );
            settings.insert("product_pages".to_string(), config.product_pages.clone());
        }
        StageId::Aggregate | StageId::Load => {}
    }
    settings
}

/// Every setting that decides what the run writes, for `run.json`: each
/// stage's, and the quality bar the run is held to.
fn run_settings(config: &RunConfig) -> BTreeMap<String, String> {
    let mut settings: BTreeMap<String, String> = StageId::ALL
        .iter()
        .flat_map(|id| stage_settings(config, *id))
        .collect();
    settings.insert(
        "max_quarantined".to_string(),
        format!(
            "{}%",
            crate::units::significant(config.max_quarantined_share * 100.0, 6)
        ),
    );
    settings
}

/// The settings a manifest's stage was made with: as recorded, or the
/// defaults where an older run did not record them.
fn made_with(manifest: &Manifest, id: StageId) -> BTreeMap<String, String> {
    if manifest.settings.is_empty() {
        stage_settings(&RunConfig::new("", ""), id)
    } else {
        manifest.settings.clone()
    }
}

/// The settings that differ, as `--flag: then → now`.
fn changed_settings(
    then: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut keys: Vec<&String> = then.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| then.get(*key) != now.get(*key))
        .map(|key| {
            let shown = |value: Option<&String>| match value.map(String::as_str) {
                None | Some("") => "(none)".to_string(),
                Some(value) => format!("`{value}`"),
            };
            format!(
                "--{}: {} then, {} now",
                key.replace('_', "-"),
                shown(then.get(key)),
                shown(now.get(key))
            )
        })
        .collect()
}

/// What a stage hands back: its counts, and what it found in the data.
#[derive(Default)]
struct StageOutcome {
    metrics: StageMetrics,
    quality: Quality,
    /// What the stage read, when only reading it could tell (ingest's
    /// content hash); otherwise the fingerprint it started with.
    input_fingerprint: Option<String>,
    /// Ingest's input files, each with its size and hash.
    inputs: Vec<InputRecord>,
}

/// A stage of the pipeline: it reads what the stage before it published
/// and writes its own output into `cx.staging`; the context measures it,
/// writes its manifest and publishes it.
trait Stage: Sync {
    fn id(&self) -> StageId;
    fn run(&self, cx: &StageContext) -> Result<StageOutcome>;
}

/// A run that stopped part-way, with the report up to there.
#[derive(Debug)]
pub struct RunFailure {
    pub error: anyhow::Error,
    pub report: RunReport,
    /// Whether the run began (held the output folder) before it stopped;
    /// a refused run wrote nothing.
    pub began: bool,
}

fn manifest_fingerprint(dir: &Path) -> Result<String> {
    let text = std::fs::read(dir.join(MANIFEST))
        .with_context(|| format!("`{}` has no manifest", dir.display()))?;
    Ok(format!("{:016x}", fnv1a(&text)))
}

/// Rows a read decodes at a time: what is written is cut at
/// `--batch-rows`, but what is read can be cut anywhere, and smaller reads
/// hold less in memory.
pub(super) fn read_rows(config: &RunConfig) -> usize {
    config.batch_rows.min(READ_ROWS)
}

const READ_ROWS: usize = 8192;

/// Groups Parquet files by their `date=…` folder.
pub(super) fn by_date(files: Vec<PathBuf>) -> BTreeMap<String, Vec<PathBuf>> {
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

/// A finished stage's manifest, if it stands for this input and was made
/// with this run's settings for the stage.
fn standing(config: &RunConfig, id: StageId, fingerprint: &str) -> Option<Manifest> {
    let manifest: Manifest = read_json(&config.out.join(id.dataset()).join(MANIFEST)).ok()?;
    (manifest.input_fingerprint == fingerprint
        && made_with(&manifest, id) == stage_settings(config, id))
    .then_some(manifest)
}

/// The lock file inside `--out` that one run at a time holds.
pub const LOCK: &str = ".pipecalc.lock";

/// Holds `--out` for one run: a second run into the same folder is refused
/// at once, naming the process that holds it. Readers of the published
/// output never take it, so they are never blocked.
fn lock(out: &Path) -> Result<File> {
    use std::io::{Seek, Write};
    let path = out.join(LOCK);
    // Never through a link: a link planted as the lock would have a run
    // truncate whatever it points to. Created exclusively when absent, and
    // opened without following a link when a run left it.
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let opened = match options.clone().create_new(true).open(&path) {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => options.open(&path),
        opened => opened,
    };
    let not_ours = || {
        anyhow::anyhow!(
            "`{}` is not a lock pipecalc wrote (it is a link or not a regular file); pipecalc does not write through it: remove it, or write this run to another --out",
            path.display()
        )
    };
    let mut file = match opened {
        Ok(file) => file,
        #[cfg(unix)]
        Err(error) if error.raw_os_error() == Some(libc::ELOOP) => return Err(not_ours()),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("cannot open the lock file `{}`", path.display()))
        }
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(not_ours());
    }
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            bail!(
                "`{}` is in use by another pipecalc run{}; wait for it to finish, or write this run to another --out",
                out.display(),
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" ({holder})")
                }
            );
        }
        Err(std::fs::TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("cannot lock `{}`", path.display()));
        }
    }
    // Who holds it, for the message a second run gets.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "process {}", std::process::id());
    let _ = file.sync_all();
    Ok(file)
}

/// The report of the last run that completed.
pub const RUN_REPORT: &str = "run.json";
/// The report of the last run that failed; a failed run never replaces
/// the report of the last one that completed.
pub const FAILED_RUN_REPORT: &str = "failed-run.json";

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
        skipped_inputs: Vec::new(),
        cleared_leftovers: Vec::new(),
        process_peak_memory_bytes: None,
        process_base_memory_bytes: crate::reference::instrument::resident_bytes(),
        settings: run_settings(config),
    };
    // Refused before the lock (bad input, a folder in use): nothing is
    // written, not even a report.
    let held = match prepare(config, &mut report) {
        Ok(held) => held,
        Err(error) => {
            report.failure = Some(format!("{error:#}"));
            return Err(Box::new(RunFailure {
                error,
                report,
                began: false,
            }));
        }
    };
    let result = run_stages(config, &held.inputs, &held.format, &mut report);
    report.process_peak_memory_bytes = crate::reference::instrument::process_peak_bytes();
    let result = result.and_then(|()| {
        report.status = RunStatus::Completed;
        write_json(
            &config.out.join(RUN_REPORT),
            &super::metrics::RunDocument::of(&report),
        )?;
        let failed = config.out.join(FAILED_RUN_REPORT);
        if failed.exists() {
            std::fs::remove_file(&failed)
                .with_context(|| format!("cannot remove `{}`", failed.display()))?;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(report),
        Err(error) => {
            report.status = RunStatus::Failed;
            report.failure = Some(format!("{error:#}"));
            let written = write_json(
                &config.out.join(FAILED_RUN_REPORT),
                &super::metrics::RunDocument::of(&report),
            );
            let error = match written {
                Ok(()) => error,
                Err(also) => {
                    error.context(format!("and its report could not be written: {also:#}"))
                }
            };
            Err(Box::new(RunFailure {
                error,
                report,
                began: true,
            }))
        }
    }
}

/// What a run holds while its stages run.
struct Held {
    inputs: Vec<input::InputFile>,
    format: LogFormat,
    _lock: File,
}

fn prepare(config: &RunConfig, report: &mut RunReport) -> Result<Held> {
    if config.workers == 0 {
        bail!("`--workers` is 0; the pipeline needs at least one worker");
    }
    let format = LogFormat::new(
        &config.fields,
        &config.product_pattern,
        &config.product_pages,
        config.allowed_lateness_ms,
    )?;
    let inputs = input::log_files(&config.input, config.follow_symlinks)?;
    report.skipped_inputs = inputs.skipped.clone();
    super::storage::refuse_dangling_folder(&config.out)?;
    apart(&config.input, &config.out)?;
    // Whose the output folder is, before anything in it is touched.
    owned_top(&config.out)?;
    std::fs::create_dir_all(&config.out)
        .with_context(|| format!("cannot create output folder `{}`", config.out.display()))?;
    let lock = lock(&config.out)?;
    owned_datasets(&config.out)?;
    // Raw is immutable: a lake of other input is refused here, before the
    // run begins, so a refused run writes no report.
    let raw = config.out.join(StageId::Ingest.dataset());
    match read_json::<Manifest>(&raw.join(MANIFEST)) {
        Ok(manifest) => {
            check_input(config, &inputs.files, &manifest)?;
            check_kept_raw(config, &manifest)?;
        }
        Err(_) if raw.exists() => bail!(
            "`{}` is not a raw folder pipecalc wrote (it has no readable manifest); write this run to another --out",
            raw.display()
        ),
        Err(_) => {}
    }
    report.cleared_leftovers = clear_leftovers(&config.out, ours_at_top)?
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    Ok(Held {
        inputs: inputs.files,
        format,
        _lock: lock,
    })
}

/// The input and the output are different folders, neither inside the
/// other: a lake inside its input would be read as logs, an input inside
/// the lake would be replaced by a stage.
fn apart(input: &Path, out: &Path) -> Result<()> {
    let resolve = |path: &Path| -> Option<PathBuf> {
        // The output may not exist yet: resolve the part of it that does.
        let mut existing = path.to_path_buf();
        let mut rest = Vec::new();
        while !existing.exists() {
            rest.push(existing.file_name()?.to_os_string());
            existing = existing.parent()?.to_path_buf();
            if existing.as_os_str().is_empty() {
                existing = PathBuf::from(".");
            }
        }
        let mut resolved = existing.canonicalize().ok()?;
        resolved.extend(rest.iter().rev());
        Some(resolved)
    };
    let (Some(input), Some(out)) = (resolve(input), resolve(out)) else {
        return Ok(());
    };
    if out.starts_with(&input) || input.starts_with(&out) {
        bail!(
            "the output folder `{}` and the input folder `{}` are one inside the other; write the lake to a folder of its own",
            out.display(),
            input.display()
        );
    }
    Ok(())
}

/// What a lake pipecalc wrote holds at its top: its lock, its reports,
/// its four datasets, and what a killed run of it leaves (a stage's
/// staging folder, a retired output, a report's temporary file).
fn ours_at_top(name: &str) -> bool {
    let temporary = |report: &str| {
        name.strip_prefix(&format!(".{report}."))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
    };
    [LOCK, RUN_REPORT, FAILED_RUN_REPORT].contains(&name)
        || temporary(RUN_REPORT)
        || temporary(FAILED_RUN_REPORT)
        || StageId::ALL.iter().any(|stage| {
            name == stage.dataset()
                || name == format!(".staging-{}", stage.name())
                || name == format!(".retired-{}", stage.dataset())
        })
}

/// Refuses an output folder that is not empty and is not a lake pipecalc
/// wrote (it has no lock file of ours), or that holds at its top anything
/// a run of pipecalc does not write, naming what it found.
fn owned_top(out: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let named = |names: &[&String]| {
        let mut shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
        if names.len() > 5 {
            shown.push(format!("and {} more", names.len() - 5));
        }
        shown.join(", ")
    };
    // The lock that marks a lake ours is a regular file, never a link.
    let lock_is_ours = names.iter().any(|n| n == LOCK)
        && std::fs::symlink_metadata(out.join(LOCK)).is_ok_and(|m| m.file_type().is_file());
    if names.iter().any(|n| n == LOCK) && !lock_is_ours {
        bail!(
            "`{}` holds a `{LOCK}` that is a link or not a regular file, not a lock pipecalc wrote; pipecalc does not write through it: remove it, or write this run to another --out",
            out.display()
        );
    }
    if !lock_is_ours {
        let all: Vec<&String> = names.iter().collect();
        bail!(
            "`{}` is not empty and is not a lake pipecalc wrote (it holds {}); pipecalc writes a lake to a new or empty folder, and touches nothing it did not write",
            out.display(),
            named(&all)
        );
    }
    let foreign: Vec<&String> = names.iter().filter(|n| !ours_at_top(n)).collect();
    if !foreign.is_empty() {
        bail!(
            "`{}` holds {}, which pipecalc did not write; move them out of the lake, or write this run to another --out",
            out.display(),
            named(&foreign)
        );
    }
    Ok(())
}

/// Refuses a lake whose datasets hold files their manifests do not list
/// (a file dropped into `views/`), naming them: publishing a stage
/// replaces its folder whole.
fn owned_datasets(out: &Path) -> Result<()> {
    for stage in StageId::ALL {
        let folder = out.join(stage.dataset());
        if !folder.is_dir() {
            continue;
        }
        let Ok(manifest) = read_json::<Manifest>(&folder.join(MANIFEST)) else {
            // A dataset without a manifest is named where it is read.
            continue;
        };
        let mut foreign = Vec::new();
        let mut pending = vec![folder.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir)
                .with_context(|| format!("cannot list `{}`", dir.display()))?
            {
                let path = entry?.path();
                if path.is_dir() && !path.is_symlink() {
                    pending.push(path);
                    continue;
                }
                let relative = path
                    .strip_prefix(&folder)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                let quarantine = stage == StageId::Ingest
                    && relative.starts_with("_quarantine/")
                    && relative.ends_with(".jsonl");
                if relative != MANIFEST && !quarantine && !manifest.files.contains(&relative) {
                    foreign.push(format!("`{}/{relative}`", stage.dataset()));
                }
            }
        }
        if !foreign.is_empty() {
            foreign.sort();
            let more = foreign.len().saturating_sub(5);
            foreign.truncate(5);
            bail!(
                "`{}` holds {}{}, which pipecalc did not write there; move them out, or write this run to another --out",
                out.display(),
                foreign.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            );
        }
    }
    Ok(())
}

/// Raw is kept, never made again: it must have been made with this run's
/// reading settings, and what it quarantined must pass this run's
/// `--max-quarantined`.
fn check_kept_raw(config: &RunConfig, manifest: &Manifest) -> Result<()> {
    let changed = changed_settings(
        &made_with(manifest, StageId::Ingest),
        &stage_settings(config, StageId::Ingest),
    );
    if !changed.is_empty() {
        bail!(
            "`{}` was ingested with other settings ({}); raw data is immutable, so run with the same settings, write this run to another --out, or delete `{}` to start over",
            config.out.join(StageId::Ingest.dataset()).display(),
            changed.join("; "),
            config.out.display()
        );
    }
    ingest::acceptable(&manifest.quality, config.max_quarantined_share)
        .context("the raw data kept from an earlier run does not pass this run's --max-quarantined")
}

/// Holds the input against the raw stage's manifest: the same files with
/// the same bytes, or an error that names what changed.
fn check_input(config: &RunConfig, files: &[input::InputFile], manifest: &Manifest) -> Result<()> {
    let records: Vec<InputRecord> = files
        .par_iter()
        .with_max_len(1)
        .map(|f| input::hash_file(&f.path))
        .collect::<Result<_>>()?;
    if input::fingerprint(&records) == manifest.input_fingerprint {
        return Ok(());
    }
    let before: BTreeMap<&str, &InputRecord> = manifest
        .inputs
        .iter()
        .map(|r| (r.name.as_str(), r))
        .collect();
    let now: BTreeMap<&str, &InputRecord> = records.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut changes: Vec<String> = Vec::new();
    for (name, record) in &now {
        match before.get(name) {
            None => changes.push(format!("{name} is new")),
            Some(old) if old != record => changes.push(format!("{name} changed")),
            Some(_) => {}
        }
    }
    for name in before.keys().filter(|n| !now.contains_key(*n)) {
        changes.push(format!("{name} is gone"));
    }
    let shown: Vec<&String> = changes.iter().take(5).collect();
    bail!(
        "`{}` holds raw data from other input{}; raw data is immutable, so write this run to another --out, or delete `{}` to start over",
        config.out.join(StageId::Ingest.dataset()).display(),
        if shown.is_empty() {
            String::new()
        } else {
            format!(
                " ({}{})",
                shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                if changes.len() > shown.len() {
                    format!(" and {} more", changes.len() - shown.len())
                } else {
                    String::new()
                }
            )
        },
        config.out.display()
    )
}

fn run_stages(
    config: &RunConfig,
    files: &[input::InputFile],
    format: &LogFormat,
    report: &mut RunReport,
) -> Result<()> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.workers)
        .build()
        .map_err(|e| anyhow!("cannot start {} workers: {e}", config.workers))?;
    pool.install(|| -> Result<()> {
        let ingest = Ingest { files, format };
        let transform = Transform { format };
        let stages: [&dyn Stage; 4] = [&ingest, &transform, &Aggregate, &Load];
        // Ingest's fingerprint is the input's content, which only reading
        // it can tell: checked against the raw manifest, or taken by ingest.
        let mut fingerprint = String::new();
        for stage in stages {
            let id = stage.id();
            let name = id.dataset();
            let existing = if id == StageId::Ingest {
                // Held against the input when the run was prepared.
                read_json::<Manifest>(&config.out.join(name).join(MANIFEST)).ok()
            } else {
                standing(config, id, &fingerprint)
            };
            let manifest = match existing {
                // Raw is immutable: the same input is never ingested twice.
                Some(mut manifest) if id == StageId::Ingest || config.resume => {
                    if config.fail_at.is_some_and(|fail| fail.stage == id) {
                        bail!(
                            "--fail-at {}: this run keeps stage `{}` from an earlier run and does not run it, so no failure can be injected there; write the run to a new --out",
                            id.name(),
                            id.name()
                        );
                    }
                    manifest.metrics.status = if config.resume {
                        StageStatus::Resumed
                    } else {
                        StageStatus::Kept
                    };
                    manifest
                }
                _ => {
                    let upstream_rows = report.stages.last().map_or(0, |s| s.rows_out);
                    StageContext::start(config, id, fingerprint.clone(), upstream_rows)
                        .and_then(|cx| {
                            let ran = stage.run(&cx)?;
                            cx.finish(ran)
                        })
                        .inspect_err(|_| {
                            // A stage that fails keeps nothing of its partial
                            // work (a killed one's is cleared by the next run).
                            let _ = std::fs::remove_dir_all(super::storage::staging_dir(
                                &config.out,
                                id.name(),
                            ));
                        })
                        .map_err(|error| {
                            let bar = error.is::<ingest::QualityBar>();
                            error.context(if bar {
                                format!("stage `{}` refused its input", id.name())
                            } else {
                                format!("stage `{}` failed; finished stages are checkpointed, rerun with --resume to continue", id.name())
                            })
                        })?
                }
            };
            report.quality.add(&manifest.quality);
            report.stages.push(manifest.metrics.clone());
            fingerprint = manifest_fingerprint(&config.out.join(name))?;
        }
        Ok(())
    })?;
    let views = config.out.join(StageId::Load.dataset());
    let files = parquet_files(&views)?;
    report.output_dates = by_date(files).into_keys().collect();
    report.output_rows = report.stages.last().map_or(0, |s| s.rows_out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::generator::GeneratorConfig;
    use clap::Parser;

    #[derive(Parser)]
    struct Run {
        #[command(flatten)]
        config: RunConfig,
    }

    #[derive(Parser)]
    struct Generate {
        #[command(flatten)]
        config: GeneratorConfig,
    }

    /// The command line's defaults are the library's: one set of numbers.
    #[test]
    fn the_command_line_defaults_are_the_library_defaults() {
        let run = Run::try_parse_from(["run", "--input", "logs", "--out", "lake"]).unwrap();
        assert_eq!(run.config, RunConfig::new("logs", "lake"));
        let generate = Generate::try_parse_from(["generate"]).unwrap();
        assert_eq!(generate.config, GeneratorConfig::default());
    }
}
