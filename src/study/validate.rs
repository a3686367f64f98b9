//! Calibrate and validate: the model held against measured runs of the
//! reference pipeline.
//!
//! `calibrate` runs the pipeline on a generated sample and writes a scenario
//! whose throughputs, selectivities, row sizes and memory are what this
//! machine measured. `validate` predicts a larger target run with the same
//! models `estimate` and `scale` use (from the calibrated scenario only,
//! never from the target's measurements), then runs the target and reports
//! each figure's error against a tolerance, fits Amdahl's law and the USL to
//! the measured speed-ups, and names the stages where the linear rule misses.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use schemars::JsonSchema;
use serde::Serialize;

use crate::reference::generator::{generate, GeneratorConfig};
pub use crate::reference::machine::MachineLoad;
use crate::reference::machine::{load_average, CpuSample};
use crate::reference::pipeline::{RunReport, StageMetrics, STAGES};
use crate::reference::spark::{Mapping, MeasuredRun, RunSource, StageMap};
use crate::reference::storage::{parquet_files, stream_batches};
use crate::units::{clean, significant};

/// A scratch folder that removes itself: when dropped, when the process
/// is interrupted (Ctrl-C, SIGTERM), and, for a process killed outright,
/// at the next `validate` or `calibrate`.
struct Scratch(PathBuf);

/// The scratch folders alive in this process, for the interrupt handler.
static SCRATCH: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Set the moment an interrupt arrives, before the scratch is removed: a
/// run that fails because its folder went, or because its process got the
/// same Ctrl-C, is the interrupt's doing, not an error of its own.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process was interrupted while it held scratch folders.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// If an interrupt is being handled, waits for its handler to finish
/// removing the scratch and exit 130, so that the failure the interrupt
/// caused is not reported (and exited 1) first.
pub fn yield_to_interrupt() {
    if interrupted() {
        loop {
            std::thread::park();
        }
    }
}

/// Removes the scratch folders, and exits as an interrupted process does
/// (130). Installed once; `ctrlc` runs it on a thread of its own, where
/// removing files is safe, and the runs it started got the same signal.
fn remove_scratch_on_interrupt() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
            let folders = SCRATCH.lock().map(|f| f.clone()).unwrap_or_default();
            for folder in &folders {
                // A run that was writing into it may take a moment to die.
                for _ in 0..20 {
                    if std::fs::remove_dir_all(folder).is_ok() || !folder.exists() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
            eprintln!("interrupted: removed {} scratch folder(s)", folders.len());
            std::process::exit(130);
        });
    });
}

/// The purposes a scratch folder is made for.
const SCRATCH_PURPOSES: [&str; 2] = ["calibrate", "validate"];

/// Removes scratch folders left by processes that no longer run (killed
/// outright, where no handler runs).
fn remove_stale_scratch() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = SCRATCH_PURPOSES
            .iter()
            .find_map(|purpose| name.strip_prefix(&format!("pipecalc-{purpose}-")))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() as i32 && !crate::reference::storage::process_alive(pid as u32)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Scratch {
    fn new(purpose: &str) -> Result<Self> {
        debug_assert!(SCRATCH_PURPOSES.contains(&purpose));
        remove_scratch_on_interrupt();
        remove_stale_scratch();
        let dir = std::env::temp_dir().join(format!(
            "pipecalc-{purpose}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        if let Ok(mut folders) = SCRATCH.lock() {
            folders.push(dir.clone());
        }
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        if let Ok(mut folders) = SCRATCH.lock() {
            folders.retain(|f| f != &self.0);
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// How far apart repeated runs of one measurement were, each as
/// (max − min) ÷ median in percent; `None` where there was one run.
#[derive(Clone, Debug, Default)]
pub struct Spread {
    pub stage_time_pct: Vec<Option<f64>>,
    pub pipeline_time_pct: Option<f64>,
    pub stage_memory_pct: Vec<Option<f64>>,
}

fn spread_pct(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let middle = median(values.to_vec());
    let (low, high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    (middle > 0.0).then(|| (high - low) / middle * 100.0)
}

/// Runs the pipeline `repeat` times on `logs` and keeps, per stage, the
/// median wall and CPU time and peak memory, and how far apart the runs
/// were; rows and bytes are the same every run (the pipeline is
/// deterministic). Also returns the last run's output folder, for a look
/// at its data.
fn measure(
    binary: &Path,
    logs: &Path,
    scratch: &Path,
    workers: usize,
    repeat: usize,
    progress: &dyn Fn(String),
) -> Result<(RunReport, PathBuf, Spread)> {
    let mut runs = Vec::new();
    let mut lake = PathBuf::new();
    for attempt in 0..repeat.max(1) {
        progress(format!(
            "run {} of {} with {workers} worker(s)",
            attempt + 1,
            repeat.max(1)
        ));
        lake = scratch.join(format!("lake-{workers}-{attempt}"));
        runs.push(run_apart(binary, logs, &lake, workers)?);
        if attempt + 1 < repeat.max(1) {
            std::fs::remove_dir_all(&lake)?;
        }
    }
    let spread = Spread {
        stage_time_pct: (0..runs[0].stages.len())
            .map(|index| {
                spread_pct(
                    &runs
                        .iter()
                        .map(|r| r.stages[index].wall_s)
                        .collect::<Vec<_>>(),
                )
            })
            .collect(),
        pipeline_time_pct: spread_pct(
            &runs
                .iter()
                .map(|r| r.stages.iter().map(|s| s.wall_s).sum())
                .collect::<Vec<_>>(),
        ),
        stage_memory_pct: (0..runs[0].stages.len())
            .map(|index| {
                runs.iter()
                    .map(|r| r.stages[index].peak_memory_bytes.map(|b| b as f64))
                    .collect::<Option<Vec<f64>>>()
                    .and_then(|peaks| spread_pct(&peaks))
            })
            .collect(),
    };
    let mut report = runs[0].clone();
    for (index, stage) in report.stages.iter_mut().enumerate() {
        stage.wall_s = median(runs.iter().map(|r| r.stages[index].wall_s).collect());
        // Not measured in any run: not measured in the median either.
        stage.cpu_s = runs
            .iter()
            .map(|r| r.stages[index].cpu_s)
            .collect::<Option<Vec<f64>>>()
            .map(median);
        stage.peak_memory_bytes = runs
            .iter()
            .map(|r| r.stages[index].peak_memory_bytes.map(|b| b as f64))
            .collect::<Option<Vec<f64>>>()
            .map(|peaks| median(peaks) as u64);
    }
    Ok((report, lake, spread))
}

/// A run killed by a signal may have had the Ctrl-C this process is about
/// to handle: give the handler a moment to take over before the run's
/// death is reported as an error.
fn killed_by_the_same_interrupt(status: &std::process::ExitStatus) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if status.signal().is_some() {
            for _ in 0..40 {
                yield_to_interrupt();
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = status;
}

/// One run of the reference pipeline in a process of its own (`pipecalc
/// run`), its report read back from its `run.json`. In one long process
/// the allocator kept what earlier runs had freed: a half-size sample's
/// run started at 34 MB resident where a fresh process starts at 7 MB, and
/// reused that memory, so its peak above its start read a third of what
/// it held. A process per run measures each run's memory alone, as
/// `pipecalc run` does for a user.
fn run_apart(binary: &Path, logs: &Path, lake: &Path, workers: usize) -> Result<RunReport> {
    let output = std::process::Command::new(binary)
        .arg("run")
        .arg("--input")
        .arg(logs)
        .arg("--out")
        .arg(lake)
        .args(["--workers", &workers.to_string(), "--format", "json"])
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot start `{}` to run the pipeline", binary.display()))?;
    if !output.status.success() {
        killed_by_the_same_interrupt(&output.status);
        bail!(
            "`{} run` on `{}` failed ({}): {}",
            binary.display(),
            logs.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let path = lake.join("run.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("`{}` is not a run report", path.display()))
}

/// How many distinct (date, product) keys the transform's output holds,
/// and the Chao1 estimate of how many there are in all (seen or not):
/// D + f1² ÷ (2 f2), from the keys seen once (f1) and twice (f2).
fn key_census(processed: &Path) -> Result<(u64, f64)> {
    use arrow_array::cast::AsArray;
    let mut counts: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for file in parquet_files(processed)? {
        let date = file
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for batch in stream_batches(&file, 65_536, None)? {
            let batch = batch?;
            let products = batch.column(1).as_string::<i32>();
            for row in 0..batch.num_rows() {
                *counts
                    .entry(format!("{date}/{}", products.value(row)))
                    .or_default() += 1;
            }
        }
    }
    let seen = counts.len() as u64;
    let once = counts.values().filter(|&&c| c == 1).count() as f64;
    let twice = counts.values().filter(|&&c| c == 2).count() as f64;
    let unseen = if twice > 0.0 {
        once * once / (2.0 * twice)
    } else {
        once * (once - 1.0).max(0.0) / 2.0
    };
    Ok((seen, seen as f64 + unseen))
}

#[derive(Clone, Debug, clap::Args)]
pub struct CalibrateOptions {
    /// Events in the sample (a count: 200K; at least 1000).
    #[arg(long, default_value = "200K", value_parser = crate::args::sample_events)]
    pub events: u64,
    /// Workers to measure with (throughputs are written per worker).
    #[arg(long, default_value_t = 1, value_parser = crate::args::threads, allow_negative_numbers = true)]
    pub workers: usize,
    /// Runs to take the median of.
    #[arg(long, default_value_t = 3, value_parser = crate::args::repeat, allow_negative_numbers = true)]
    pub repeat: usize,
    /// Seed of the generated sample.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// A measured run as validate names it: where it is, what it is, its
/// volume and workers.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RunRecord {
    /// The folder or file read.
    pub path: String,
    pub source: RunSource,
    /// How Spark's stages were mapped onto pipecalc's; `null` for a pipecalc run.
    pub mapping: Option<Mapping>,
    /// Lines (events) its first stage read.
    pub events: u64,
    pub workers: usize,
    /// Σ of its stages' walls.
    pub in_stages_s: f64,
    /// Spark's start-up, driver and shutdown time; `null` where not measured.
    pub outside_stages_s: Option<f64>,
    pub warnings: Vec<String>,
}

impl RunRecord {
    pub fn of(path: &Path, run: &MeasuredRun) -> RunRecord {
        RunRecord {
            path: path.display().to_string(),
            source: run.source(),
            mapping: run.mapping(),
            events: run.events(),
            workers: run.report.workers,
            in_stages_s: clean(run.report.stages.iter().map(|s| s.wall_s).sum()),
            outside_stages_s: run.outside_stages_s().map(clean),
            warnings: run.warnings.clone(),
        }
    }
}

/// Where a calibration's measurements came from.
#[derive(Clone, Debug)]
pub enum CalibrationSource {
    /// The reference pipeline on a generated sample, on this machine.
    Generated(CalibrateOptions),
    /// A measured run: a pipecalc run or a Spark event log.
    Measured(RunRecord),
}

#[derive(Clone, Debug)]
pub struct Calibration {
    pub source: CalibrationSource,
    pub report: RunReport,
    /// Products in the generator's catalogue: the most keys a day can
    /// have. `None` for a measured run, whose data pipecalc did not make.
    pub catalogue: Option<u64>,
    /// The Chao1 estimate of the catalogue from the sample alone.
    pub chao1: Option<f64>,
    /// The calibrated scenario, as YAML the calculator reads as it is.
    pub yaml: String,
    /// The same scenario, from the values the YAML was written from.
    pub scenario: crate::scenario::Scenario,
    /// How far apart the calibration's repeated runs were; `None` for a
    /// measured run, which is one run.
    pub spread: Option<Spread>,
    /// Calibrated from several measured runs: what was fitted and how it
    /// holds on runs it was not fitted on. `None` from one run or a sample.
    pub several: Option<super::several::SeveralFit>,
}

fn machine() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "this machine".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{host} ({cpu}, {cores} cores)")
}

fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    crate::reference::calendar::date_string(seconds.div_euclid(86_400))
}

fn per_worker(total_rate: f64, workers: usize) -> f64 {
    total_rate / workers.max(1) as f64
}

/// A worker's share of a stage's peak: what the stage added above the
/// process's resident size at the start of the run (the program and its
/// libraries, shared by every worker), divided among the workers. Where
/// the start was not measured, the whole peak.
pub fn per_worker_memory(peak: u64, base: Option<u64>, workers: usize) -> f64 {
    match base {
        // A stage that added nothing above the start is written at the
        // measurement's resolution, a 4 KiB page: a working set must be
        // positive, and 0 would claim a precision there is not.
        Some(base) => (peak.saturating_sub(base) as f64 / workers.max(1) as f64).max(4096.0),
        None => peak as f64,
    }
}

/// A stage's output bytes as a part per row and a fixed part a day, from
/// two runs of different sizes: the line through (rows, bytes) of each.
/// `None` where the two do not fit that shape (a cost a row that grows
/// with the data, such as counts that need more digits): the caller then
/// uses the larger run's bytes a row alone.
pub fn fit_output_bytes(large: (u64, u64), small: (u64, u64)) -> Option<(f64, f64)> {
    let ((rows, bytes), (small_rows, small_bytes)) = (large, small);
    if rows <= small_rows || small_rows == 0 {
        return None;
    }
    let per_row = (bytes as f64 - small_bytes as f64) / (rows - small_rows) as f64;
    let fixed = bytes as f64 - per_row * rows as f64;
    (per_row > 0.0 && fixed >= 0.0).then_some((per_row, fixed))
}

/// Of a stage's working set with one worker, the share each further
/// worker adds in the same process: the reference pipeline's workers are
/// threads of one process, where a scenario's are machines, and some of a
/// stage's peak (what earlier stages left resident, a table every thread
/// shares) is held once whatever the threads.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct WorkerMemoryShare {
    pub stage: String,
    /// From 0 (a second worker adds nothing) to 1 (each worker holds a
    /// whole working set): what the second worker added above the first's
    /// working set, over that working set, on the sample.
    pub share: f64,
}

/// Each stage's [`WorkerMemoryShare`] from runs of the same sample with one
/// worker and with two; a stage either run did not measure is left out.
pub fn worker_memory_shares(one: &RunReport, two: &RunReport) -> Vec<WorkerMemoryShare> {
    one.stages
        .iter()
        .filter_map(|stage| {
            let other = two.stages.iter().find(|t| t.name == stage.name)?;
            let above = |peak: Option<u64>, base: Option<u64>| Some(peak? as f64 - base? as f64);
            let first = above(stage.peak_memory_bytes, one.process_base_memory_bytes)?;
            let both = above(other.peak_memory_bytes, two.process_base_memory_bytes)?;
            (first > 0.0).then(|| WorkerMemoryShare {
                stage: stage.name.clone(),
                share: clean(((both - first) / first).clamp(0.0, 1.0)),
            })
        })
        .collect()
}

/// How a worker's working set grows with the volume, as the exponent k of
/// `working_set × volume_factor^k`, from two runs of different volumes:
/// (events, working set) each. `None` where it does not grow (k under
/// 0.02, within a run's noise) or a run did not measure it; at most 1.
/// The runs show growth that slows as buffers reach their caps, so past
/// the volumes it was fitted on the power law errs high: the safe side
/// for sizing a machine.
pub fn fit_working_set_growth(large: (u64, f64), small: (u64, f64)) -> Option<f64> {
    let ((events, bytes), (small_events, small_bytes)) = (large, small);
    if events <= small_events || small_events == 0 || small_bytes <= 0.0 || bytes <= 0.0 {
        return None;
    }
    let exponent = (bytes / small_bytes).ln() / (events as f64 / small_events as f64).ln();
    (exponent >= 0.02).then_some(exponent.min(1.0))
}

/// The calibrated scenario, built as the scenario file's own structure and
/// written as YAML by the same serde types that read it.
fn scenario_yaml(
    options: &CalibrateOptions,
    report: &RunReport,
    half: &RunReport,
    catalogue: u64,
    chao1: f64,
) -> Result<(String, crate::scenario::Scenario)> {
    use crate::scenario::raw::{self, spanned, value};
    use crate::scenario::{Bound, Measure};
    let stage = |name: &str| -> Result<&StageMetrics> {
        report
            .stages
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| anyhow!("the run has no `{name}` stage to calibrate from"))
    };
    let (ingest, transform, aggregate, load) = (
        stage("ingest")?,
        stage("transform")?,
        stage("aggregate")?,
        stage("load")?,
    );
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let rate = |s: &StageMetrics, measure: Measure| {
        let wall = s.wall_s.max(1e-9);
        match measure {
            Measure::Bytes => format!(
                "{} MB/s",
                significant(
                    per_worker(s.bytes_in as f64 / wall, options.workers) / 1e6,
                    7
                )
            ),
            Measure::Events => format!(
                "{} events/s",
                significant(per_worker(s.rows_in as f64 / wall, options.workers), 7)
            ),
        }
    };
    let size = |bytes: f64| value(format!("{} B", significant(bytes, 7)));
    let keep = |out: u64, inn: u64| value(significant(ratio(out, inn).clamp(1e-9, 1.0), 7));
    let skew = significant(sample_config(options.events, options.seed).zipf_exponent, 6);
    let base_memory = report.process_base_memory_bytes;
    let fit = |s: &StageMetrics| {
        let smaller = half.stages.iter().find(|h| h.name == s.name)?;
        fit_output_bytes(
            (s.rows_out, s.bytes_out),
            (smaller.rows_out, smaller.bytes_out),
        )
    };
    let output = |keep: Option<raw::Field>, s: &StageMetrics| {
        let (row_size, fixed_size) = match fit(s) {
            Some((per_row, fixed)) => (
                size(per_row),
                Some(value(format!("{} kB", significant(fixed / 1e3, 6)))),
            ),
            None => (size(ratio(s.bytes_out, s.rows_out)), None),
        };
        raw::RawOutput {
            keep,
            rows: None,
            row_size: Some(row_size),
            fixed_size,
            keys_grow: None,
            keys_max: None,
            key_skew: None,
        }
    };
    // Each worker's working set at the sample's volume and at half of it.
    let growth = |s: &StageMetrics| {
        let smaller = half.stages.iter().find(|h| h.name == s.name)?;
        fit_working_set_growth(
            (
                report.stages.first()?.rows_in,
                per_worker_memory(s.peak_memory_bytes?, base_memory, options.workers),
            ),
            (
                half.stages.first()?.rows_in,
                per_worker_memory(
                    smaller.peak_memory_bytes?,
                    half.process_base_memory_bytes,
                    options.workers,
                ),
            ),
        )
    };
    let (fitted, unfitted): (Vec<&StageMetrics>, Vec<&StageMetrics>) =
        report.stages.iter().partition(|s| fit(s).is_some());
    let names = |stages: &[&StageMetrics]| {
        stages
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let make =
        |name: &str, bound: Bound, measure: Measure, s: &StageMetrics, out: raw::RawOutput| {
            raw::RawStage {
                name: spanned(name.to_string()),
                bound,
                input: spanned(measure),
                throughput: Some(value(rate(s, measure))),
                duration: None,
                startup: None,
                output: Some(spanned(out)),
                // Not measured on this platform: no working set is written,
                // rather than a 0 nobody measured.
                working_set: s.peak_memory_bytes.map(|peak| {
                    value(format!(
                        "{} MB",
                        significant(
                            per_worker_memory(peak, base_memory, options.workers) / 1e6,
                            6
                        )
                    ))
                }),
                working_set_grows: growth(s).map(|exponent| value(significant(exponent, 3))),
                parallel: None,
                shares: None,
                runs_in: None,
            }
        };
    let stages = vec![
        make(
            "ingest",
            Bound::Io,
            Measure::Bytes,
            ingest,
            output(Some(keep(ingest.rows_out, ingest.rows_in)), ingest),
        ),
        make(
            "transform",
            Bound::Cpu,
            Measure::Events,
            transform,
            output(Some(keep(transform.rows_out, transform.rows_in)), transform),
        ),
        make(
            "aggregate",
            Bound::Cpu,
            Measure::Events,
            aggregate,
            raw::RawOutput {
                keys_max: Some(value(catalogue.to_string())),
                key_skew: Some(value(skew.clone())),
                ..output(None, aggregate)
            },
        ),
        make("load", Bound::Io, Measure::Bytes, load, output(None, load)),
    ];
    let scenario = calibrated_scenario(
        "The reference pipeline as measured on this machine".into(),
        raw::RawVolume {
            events_per_day: value(ingest.rows_in.to_string()),
            event_size: size(ratio(ingest.bytes_in, ingest.rows_in)),
        },
        1,
        stages,
    );
    let header = format!(
        "Calibrated by `pipecalc calibrate` on {machine}, {today}.
Sample: {events} generated events (1 day, seed {seed}), run with {workers} worker(s),
median of {repeat} run(s).

Measured: each stage's throughput (per worker, on this machine), its working
set per worker (its peak resident memory above the {base} the process held
when the run began, where the platform measures it: Linux; elsewhere no
working_set is written), and its rows and bytes: events_per_day is the
lines read from the sample's logs, event_size their bytes a line; ingest keeps
the valid events and transform the deduplicated product page views.
Parquet bytes are fitted from this sample and one of half its size
({half_events} events, median of {repeat} run(s)) as row_size a row plus
fixed_size a day whatever the rows (footers, dictionaries){fitted}{unfitted}
From the same two runs, working_set_grows is how a worker's working set
grows with the volume (working_set × volume_factor^working_set_grows): its
buffers fill with larger files up to their caps, and a power law goes on
past them, so far beyond this sample it errs high.

Not measured: aggregate's keys_max and key_skew are the data's, the generator's
{catalogue} products with Zipf skew {skew} (for your own data, the products you
sell); the sample saw {keys} keys, and from it alone the Chao1 estimate of the
catalogue is at least {chao1}. The compute price is a placeholder: put your own.

  pipecalc estimate my-laptop.yaml --scale 50      # your laptop's 10M-events day
",
        machine = machine(),
        today = today(),
        events = options.events,
        seed = options.seed,
        workers = options.workers,
        repeat = options.repeat,
        keys = aggregate.rows_out.max(1),
        chao1 = chao1.round() as u64,
        half_events = options.events / 2,
        base = base_memory.map_or("(not measured)".to_string(), |b| {
            format!("{} MB", significant(b as f64 / 1e6, 3))
        }),
        fitted = if fitted.is_empty() {
            ".".to_string()
        } else {
            format!(": {}.", names(&fitted))
        },
        unfitted = if unfitted.is_empty() {
            String::new()
        } else {
            format!(
                "\nNot that shape (their bytes a row grow with the data): {}; their\nrow_size is this sample's bytes a row, with no fixed_size.",
                names(&unfitted)
            )
        },
    );
    written(scenario, &header)
}

/// What bounds a measured stage, which no run records: the first stage
/// reads the input's bytes and the pipeline's `ingest` and `load` (by the
/// names the reference pipeline and the bundled Spark job give them) move
/// bytes; the rest compute.
pub(crate) fn measured_bound(index: usize, name: &str) -> crate::scenario::Bound {
    use crate::reference::pipeline::StageId;
    use crate::scenario::Bound;
    match StageId::named(name) {
        Some(StageId::Ingest | StageId::Load) => Bound::Io,
        Some(StageId::Transform | StageId::Aggregate) => Bound::Cpu,
        None if index == 0 => Bound::Io,
        None => Bound::Cpu,
    }
}

/// A calibrated scenario written once as YAML for the user, and the same
/// scenario validated from its values: nothing reads back the text it wrote.
pub(crate) fn written(
    raw: crate::scenario::raw::RawScenario,
    header: &str,
) -> Result<(String, crate::scenario::Scenario)> {
    let yaml = crate::scenario::raw::to_yaml(&raw, header)?;
    // What the checker refuses here came from the runs: a figure measured
    // out of any plausible range (a damaged log's counts), named by its key.
    let scenario = crate::scenario::from_raw(raw, "calibrated.yaml").context(
        "the measured runs give a scenario pipecalc cannot hold: a figure is out of range, so a run's counts or times may be damaged (`pipecalc inspect` shows each run's)",
    )?;
    Ok((yaml, scenario))
}

/// A measured run's volume: the lines its first stage read, and their
/// bytes a line.
pub(crate) fn measured_volume(first: &StageMetrics) -> crate::scenario::raw::RawVolume {
    crate::scenario::raw::RawVolume {
        events_per_day: crate::scenario::raw::value(first.rows_in.to_string()),
        event_size: crate::scenario::raw::value(format!(
            "{} B",
            significant(first.bytes_in as f64 / first.rows_in as f64, 7)
        )),
    }
}

/// A calibrated scenario: the measured volume, workers and stages, and a
/// placeholder price; nothing else is claimed.
pub(crate) fn calibrated_scenario(
    description: String,
    volume: crate::scenario::raw::RawVolume,
    workers: usize,
    stages: Vec<crate::scenario::raw::RawStage>,
) -> crate::scenario::raw::RawScenario {
    use crate::scenario::raw::{self, spanned, value};
    raw::RawScenario {
        name: Some("calibrated".into()),
        description: Some(description),
        workers: Some(value(workers.to_string())),
        prices: Some(spanned(raw::RawPrices {
            compute_usd_per_worker_hour: Some(value("0.5")),
            ..raw::RawPrices::default()
        })),
        ..raw::RawScenario::of(volume, stages)
    }
}

fn sample_config(events: u64, seed: u64) -> GeneratorConfig {
    GeneratorConfig {
        events,
        days: 1,
        seed,
        ..GeneratorConfig::default()
    }
}

/// Calibrates on a generated sample, each run a process of `binary` (the
/// pipecalc executable; the CLI passes itself).
pub fn calibrate(options: &CalibrateOptions, binary: &Path) -> Result<Calibration> {
    calibrate_with(options, binary, &|_| {}).map(|(calibration, _sample)| calibration)
}

/// The generated sample a calibration ran on, in the scratch folder
/// [`calibrate_with`] returns (removed when that is dropped).
fn sample_logs(scratch: &Scratch) -> PathBuf {
    scratch.0.join("logs")
}

/// A calibration, and the scratch folder holding its sample's logs, for a
/// caller that runs the same sample again (validate, with more workers).
fn calibrate_with(
    options: &CalibrateOptions,
    binary: &Path,
    progress: &dyn Fn(String),
) -> Result<(Calibration, Scratch)> {
    if options.events < 1000 {
        bail!(
            "a sample of {} events is too few to calibrate on; give at least 1000 so the stages have work to time",
            options.events
        );
    }
    if options.workers == 0 {
        bail!("`--workers` is 0; calibrate with at least one worker");
    }
    let scratch = Scratch::new("calibrate")?;
    let logs = sample_logs(&scratch);
    generate(&sample_config(options.events, options.seed), &logs).with_context(|| {
        format!(
            "cannot generate the sample in the temporary folder `{}` (set TMPDIR to a folder on a larger disk)",
            std::env::temp_dir().display()
        )
    })?;
    progress(format!(
        "calibrating on {} generated events",
        options.events
    ));
    let (report, lake, spread) = measure(
        binary,
        &logs,
        &scratch.0,
        options.workers,
        options.repeat,
        progress,
    )?;
    let (_, chao1) = key_census(&lake.join("processed"))?;
    let catalogue = u64::from(sample_config(options.events, options.seed).products);
    // A half-size sample gives each stage's second point: for its bytes'
    // fixed part (the same every run) and its working set's growth (a
    // median, as one run's peak spread 10-30% here).
    let half_logs = scratch.0.join("half-logs");
    generate(&sample_config(options.events / 2, options.seed), &half_logs)?;
    progress(format!(
        "a second, half-size sample ({} events) for how bytes and memory grow",
        options.events / 2
    ));
    let (half, _, _) = measure(
        binary,
        &half_logs,
        &scratch.0.join("half"),
        options.workers,
        options.repeat,
        &|_| {},
    )?;
    let (yaml, scenario) = scenario_yaml(options, &report, &half, catalogue, chao1)?;
    Ok((
        Calibration {
            source: CalibrationSource::Generated(options.clone()),
            report,
            catalogue: Some(catalogue),
            chao1: Some(chao1),
            yaml,
            scenario,
            spread: Some(spread),
            several: None,
        },
        scratch,
    ))
}

/// Calibrates from a measured run (a pipecalc run or a Spark event log):
/// each of its stages, in order, becomes a scenario stage with the
/// throughput per worker, selectivity, row size and working set it measured.
pub fn calibrate_from(
    path: &Path,
    stage_map: Option<&StageMap>,
    allow_incomplete: bool,
) -> Result<Calibration> {
    let run = crate::reference::spark::read_run_with(path, stage_map)?;
    super::several::refuse_incomplete(path, &run, allow_incomplete)?;
    let record = RunRecord::of(path, &run);
    let (yaml, scenario) = measured_scenario_yaml(&record, &run.report)?;
    Ok(Calibration {
        source: CalibrationSource::Measured(record),
        report: run.report,
        catalogue: None,
        chao1: None,
        yaml,
        scenario,
        spread: None,
        several: None,
    })
}

/// The scenario of a measured run. A stage that reads rows gets a
/// throughput (bytes for the first stage, rows after it); one that reads
/// none (a job that lists files, say) gets its measured time as a fixed
/// `duration`. Rows out are a `keep` fraction where the stage keeps at most
/// what it read, else a row count that grows with the data.
fn measured_scenario_yaml(
    record: &RunRecord,
    report: &RunReport,
) -> Result<(String, crate::scenario::Scenario)> {
    use crate::scenario::raw::{self, spanned, value};
    use crate::scenario::Measure;
    let first = report
        .stages
        .first()
        .ok_or_else(|| anyhow!("`{}` has no stages to calibrate from", record.path))?;
    if first.rows_in == 0 || first.bytes_in == 0 {
        bail!(
            "`{}`: its first stage `{}` read no rows or no bytes, so there is no volume to calibrate against; tag the step that reads the input as the first stage",
            record.path,
            first.name
        );
    }
    let workers = report.workers.max(1);
    let mut stages = Vec::new();
    let mut notes = Vec::new();
    for (index, stage) in report.stages.iter().enumerate() {
        if stage.wall_s <= 0.0 {
            bail!(
                "`{}`: stage `{}` has no measured time, so no throughput to calibrate",
                record.path,
                stage.name
            );
        }
        let measure = if index == 0 {
            Measure::Bytes
        } else {
            Measure::Events
        };
        let (throughput, duration) = if stage.rows_in == 0 {
            notes.push(format!(
                "`{}` read no rows: its measured {} is written as a fixed duration",
                stage.name,
                crate::units::human_duration(stage.wall_s)
            ));
            (
                None,
                Some(value(format!("{} s", significant(stage.wall_s, 7)))),
            )
        } else {
            let rate = match measure {
                Measure::Bytes => format!(
                    "{} MB/s",
                    significant(
                        per_worker(stage.bytes_in as f64 / stage.wall_s, workers) / 1e6,
                        7
                    )
                ),
                Measure::Events => format!(
                    "{} events/s",
                    significant(per_worker(stage.rows_in as f64 / stage.wall_s, workers), 7)
                ),
            };
            (Some(value(rate)), None)
        };
        let row_size = (stage.rows_out > 0).then(|| {
            value(format!(
                "{} B",
                significant(stage.bytes_out as f64 / stage.rows_out as f64, 7)
            ))
        });
        let output = if stage.rows_in == 0 || stage.rows_out == 0 {
            None
        } else if stage.rows_out <= stage.rows_in {
            Some(raw::RawOutput::kept(
                value(significant(stage.rows_out as f64 / stage.rows_in as f64, 7)),
                row_size,
            ))
        } else {
            Some(raw::RawOutput::keys(
                value(stage.rows_out.to_string()),
                row_size,
                value("1"),
            ))
        };
        let mut name = crate::scenario::stage_name_from(&stage.name);
        if name != stage.name {
            let taken = |candidate: &str| {
                stages
                    .iter()
                    .any(|s: &raw::RawStage| s.name.value == candidate)
            };
            let base = name.clone();
            let mut suffix = 2;
            while taken(&name) {
                name = format!("{base}-{suffix}");
                suffix += 1;
            }
            notes.push(format!("stage `{}` is written as `{name}`", stage.name));
        }
        stages.push(raw::RawStage {
            name: spanned(name),
            bound: measured_bound(index, &stage.name),
            input: spanned(measure),
            throughput,
            duration,
            startup: None,
            output: output.map(spanned),
            // As for a generated sample: a pipecalc run's working set is
            // what a worker added above the process's start, which validate
            // adds back once; a Spark log has no start, so its peak is kept.
            working_set_grows: None,
            working_set: stage
                .peak_memory_bytes
                .filter(|&peak| peak > 0)
                .map(|peak| {
                    let per_worker =
                        per_worker_memory(peak, report.process_base_memory_bytes, record.workers);
                    value(format!("{} MB", significant(per_worker / 1e6, 6)))
                }),
            parallel: None,
            shares: None,
            runs_in: None,
        });
    }
    let scenario = calibrated_scenario(
        format!("Calibrated from the measured run `{}`", record.path),
        measured_volume(first),
        workers,
        stages,
    );
    let engine = match record.source {
        RunSource::SparkEventLog => "a Spark event log",
        RunSource::PipecalcRun => "a pipecalc run",
    };
    let outside = record.outside_stages_s.map_or_else(String::new, |s| {
        format!(
            "\nThe application also spent {} outside its stages (start-up, driver work,\nshutdown): a fixed cost this scenario leaves out, as the lecture's T ÷ N does.",
            crate::units::human_duration(s)
        )
    });
    let header = format!(
        "Calibrated by `pipecalc calibrate --from`, from {engine}:
{path}
{events} events, {workers} worker(s) (cores), stages in {in_stages}.{outside}

Measured: each stage's throughput per worker (its rows or bytes in ÷ its wall
time ÷ the workers), its selectivity (keep = rows out ÷ rows in), its output
bytes a row, and its working set (for Spark: the largest task's execution
memory, not a process's resident size). events_per_day and event_size are
the first stage's rows and bytes in: one run a day of the measured volume.{notes}

Assumed, not measured: every stage scales linearly with the data and the
workers (no fixed costs, no `parallel:` law); a stage whose rows out are
distinct keys (an aggregate) is written as `keep`, so its keys grow with the
data: if they saturate (a product catalogue), write `rows:` with `keys_max:`
or `keys_grow:`. The compute price is a placeholder: put your own.

  pipecalc estimate calibrated.yaml --scale 10 --workers 8
",
        path = record.path,
        events = record.events,
        workers = workers,
        in_stages = crate::units::human_duration(record.in_stages_s),
        notes = if notes.is_empty() {
            String::new()
        } else {
            format!("\n{}", notes.join("\n"))
        },
    );
    written(scenario, &header)
}

/// How close a prediction must be, as a fraction (0.02 = ±2%).
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
pub struct Tolerances {
    pub rows: f64,
    pub bytes: f64,
    pub time: f64,
    pub memory: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            rows: 0.02,
            bytes: 0.02,
            time: 0.25,
            memory: 0.5,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ValidateOptions {
    pub plan: Plan,
    /// The pipecalc executable a generated plan runs the pipeline with, a
    /// process per run (the CLI passes itself).
    pub binary: PathBuf,
    pub tolerances: Tolerances,
    /// A line on stderr at each step (validate runs for minutes).
    pub progress: bool,
}

/// The worker counts validate measures unless told: 1, 2 and the
/// machine's cores (three counts fit the USL; a 2-core machine has two).
pub fn default_workers() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut counts = vec![1, 2.min(cores), cores];
    counts.dedup();
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// What validate measures: runs of the reference pipeline it makes, or
/// runs already measured (a pipecalc run or a Spark event log).
#[derive(Clone, Debug)]
pub enum Plan {
    /// Calibrate on a generated sample, run a generated target per worker count.
    Generated {
        sample: u64,
        target: u64,
        workers: Vec<usize>,
        repeat: usize,
        seed: u64,
    },
    /// Calibrate from measured runs (one, or several to fit fixed costs)
    /// and predict others.
    Measured {
        calibrate_from: Vec<PathBuf>,
        against: Vec<PathBuf>,
        /// Maps a Spark log's untagged jobs onto stages (`--stage-map`).
        stage_map: Option<PathBuf>,
        /// Unfinished logs are used, and marked, rather than refused.
        allow_incomplete: bool,
    },
}

/// Which figure of a stage is held against its measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    RowsIn,
    RowsOut,
    BytesIn,
    BytesOut,
    #[serde(rename = "time_s")]
    Time,
    #[serde(rename = "peak_memory_bytes")]
    PeakMemory,
}

impl FigureKind {
    /// What a person calls it.
    pub fn label(self) -> &'static str {
        match self {
            FigureKind::RowsIn => "rows in",
            FigureKind::RowsOut => "rows out",
            FigureKind::BytesIn => "bytes in",
            FigureKind::BytesOut => "bytes out",
            FigureKind::Time => "time",
            FigureKind::PeakMemory => "peak memory",
        }
    }
}

/// What validate concludes of one figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within its tolerance.
    Ok,
    /// Outside its tolerance by more than the runs' own spread.
    Off,
    /// The repeated runs spread wider than the tolerance, or the miss is
    /// within their spread: the machine's noise, not the model, decides it.
    TooNoisy,
}

impl Verdict {
    fn of(error_pct: f64, tolerance: f64, noise_pct: Option<f64>) -> Verdict {
        let tolerance_pct = tolerance * 100.0;
        if error_pct.abs() <= tolerance_pct {
            Verdict::Ok
        } else if noise_pct
            .is_some_and(|noise| noise > tolerance_pct || error_pct.abs() <= tolerance_pct + noise)
        {
            Verdict::TooNoisy
        } else {
            Verdict::Off
        }
    }
}

/// One figure, predicted and measured.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Figure {
    /// `rows_in`, `rows_out`, `bytes_in`, `bytes_out`, `time_s` or `peak_memory_bytes`.
    pub name: FigureKind,
    /// A stage, or `pipeline` for end to end.
    pub stage: String,
    pub workers: usize,
    pub predicted: f64,
    pub measured: f64,
    pub error_pct: f64,
    pub within_tolerance: bool,
    /// `ok`, `off` (beyond tolerance and noise: exit 3), or `too_noisy`.
    pub verdict: Verdict,
    /// How far apart the repeated runs behind this figure were (the
    /// calibration's and the target's, added), in percent; absent where
    /// each side is one run or the figure does not vary (rows, bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise_pct: Option<f64>,
    /// Where the prediction misses: the likely cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The `--against` run this figure is of (validating from measured runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// For distinct keys fitted from several runs: the saturating
    /// catalogue's prediction and Heaps' law's, which bracket the truth for
    /// a long-tailed catalogue; the figure holds when the measurement is
    /// inside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bracket: Option<[f64; 2]>,
    /// The run's log ends before its application did (`--allow-incomplete`):
    /// its stages may be half done.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub run_incomplete: bool,
}

/// Speed-ups measured for one stage and the laws fitted to them.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageFit {
    pub stage: String,
    pub workers: Vec<usize>,
    pub measured_s: Vec<f64>,
    pub speedup: Vec<f64>,
    pub amdahl_serial_fraction: Option<f64>,
    /// Time each run would have had under the fitted Amdahl law.
    pub amdahl_predicted_s: Vec<f64>,
    pub usl_contention: Option<f64>,
    pub usl_coherency: Option<f64>,
    pub usl_predicted_s: Vec<f64>,
}

#[derive(Clone, Debug)]
pub struct Validation {
    pub options: ValidateOptions,
    pub calibration: Calibration,
    pub figures: Vec<Figure>,
    pub fits: Vec<StageFit>,
    /// Measured runs at the target size, one per worker count (or per
    /// `--against` run).
    pub runs: Vec<RunReport>,
    /// The `--against` runs, when validating from measured runs.
    pub against: Vec<RunRecord>,
    /// The machine's load around the measured runs (generated runs only).
    pub load: Option<MachineLoad>,
    /// What each worker past the first adds to a stage's memory in one
    /// process (generated runs with more than one worker only).
    pub worker_shares: Vec<WorkerMemoryShare>,
}

impl Validation {
    pub fn all_within_tolerance(&self) -> bool {
        self.figures.iter().all(|f| f.within_tolerance)
    }

    /// No figure is off beyond its tolerance and its noise: exit 0.
    pub fn passes(&self) -> bool {
        self.figures.iter().all(|f| f.verdict != Verdict::Off)
    }
}

/// Amdahl's serial fraction from speed-ups: 1/S − 1/N = s (1 − 1/N), least squares.
pub fn fit_amdahl(workers: &[usize], speedup: &[f64]) -> Option<f64> {
    let (mut xy, mut xx) = (0.0, 0.0);
    for (&n, &s) in workers.iter().zip(speedup) {
        let n = n as f64;
        let x = 1.0 - 1.0 / n;
        xy += x * (1.0 / s - 1.0 / n);
        xx += x * x;
    }
    (xx > 0.0).then(|| (xy / xx).clamp(0.0, 1.0))
}

/// USL coefficients from speed-ups: N/S − 1 = σ(N − 1) + κN(N − 1), least
/// squares; needs three worker counts or more.
pub fn fit_usl(workers: &[usize], speedup: &[f64]) -> Option<(f64, f64)> {
    if workers.len() < 3 {
        return None;
    }
    let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&n, &s) in workers.iter().zip(speedup) {
        let n = n as f64;
        let (x1, x2, y) = (n - 1.0, n * (n - 1.0), n / s - 1.0);
        a11 += x1 * x1;
        a12 += x1 * x2;
        a22 += x2 * x2;
        b1 += x1 * y;
        b2 += x2 * y;
    }
    let determinant = a11 * a22 - a12 * a12;
    if determinant.abs() < 1e-12 {
        return None;
    }
    let sigma = (b1 * a22 - b2 * a12) / determinant;
    let kappa = (a11 * b2 - a12 * b1) / determinant;
    Some((sigma.max(0.0), kappa.max(0.0)))
}

pub fn amdahl_speedup(s: f64, n: usize) -> f64 {
    crate::model::laws::amdahl_speedup(s, n as f64)
}

pub fn usl_speedup(sigma: f64, kappa: f64, n: usize) -> f64 {
    crate::model::laws::usl_speedup(sigma, kappa, n as f64)
}

fn error_pct(predicted: f64, measured: f64) -> f64 {
    if measured == 0.0 {
        if predicted == 0.0 {
            0.0
        } else {
            100.0
        }
    } else {
        (predicted - measured) / measured * 100.0
    }
}

/// What a time prediction was made from, for naming why it missed.
struct TimeContext {
    speedup_at_n: Option<(usize, f64)>,
    engine: RunSource,
    /// The calibration fitted fixed costs (several runs).
    fixed_fitted: bool,
    /// The run has the calibration's own volume: no scaling to blame.
    same_size: bool,
}

/// The likely reason a time prediction misses, from what was measured,
/// naming only what applies to the engine that ran.
fn time_cause(predicted: f64, measured: f64, context: &TimeContext) -> String {
    let spark = context.engine == RunSource::SparkEventLog;
    if let Some((n, speedup)) = context.speedup_at_n {
        if n > 1 && speedup < 1.0 + 0.25 * (n as f64 - 1.0) {
            return format!(
                "cannot use {n} cores: measured speed-up {}× with {n} workers ({})",
                significant(speedup, 3),
                if spark {
                    "fewer tasks than cores, one partition, or a fixed cost a stage"
                } else {
                    "serial work: one file or one date at a time, a merge, or a fixed cost"
                }
            );
        }
    }
    if context.same_size {
        return "run-to-run noise: this run has the calibration's own volume, so nothing was scaled; the machine's other load or the engine's own variation moved it".into();
    }
    match (measured < predicted, context.fixed_fitted, spark) {
        (true, true, _) => "the fitted fixed cost or work per row was high: the runs it was fitted on were few, close in size or noisy; calibrate from runs further apart in size".into(),
        (true, false, true) => "Spark's fixed costs (task scheduling, file listing, commit) were folded into the time per row, so scaling them with the data over-predicts the larger run; calibrate from several sizes (--from a --from b --from c) to fit them as `startup` and `run_overhead`".into(),
        (true, false, false) => "fixed start-up cost: the sample's time per row includes set-up that does not grow with the data, so the linear rule over-predicts the larger run".into(),
        (false, _, true) => "slower per row at the larger size: more tasks than cores to schedule, shuffle spills, or executors sharing the machine's cores".into(),
        (false, _, false) => "slower per row at the larger size: caches or memory (the working set outgrew the CPU caches), or more I/O".into(),
    }
}

pub fn validate(options: &ValidateOptions) -> Result<Validation> {
    match &options.plan {
        Plan::Generated {
            sample,
            target,
            workers,
            repeat,
            seed,
        } => validate_generated(options, *sample, *target, workers, *repeat, *seed),
        Plan::Measured {
            calibrate_from,
            against,
            stage_map,
            allow_incomplete,
        } => validate_measured(
            options,
            calibrate_from,
            against,
            stage_map.as_deref(),
            *allow_incomplete,
        ),
    }
}

/// The calibrated scenario's estimate at `factor` times its volume with `n`
/// workers.
fn predict(
    calibrated: &crate::scenario::Scenario,
    factor: f64,
    n: usize,
    option: &str,
) -> Result<crate::model::Estimate> {
    let workers = u32::try_from(n).map_err(|_| anyhow!("{n} workers is too many to model"))?;
    let scenario = calibrated
        .clone()
        .with_scale(factor, option)?
        .with_workers(workers, option)?;
    crate::model::checked_estimate(&scenario)
}

/// One measured run held against its prediction, stage by stage (matched
/// by name), then end to end.
struct Held<'a> {
    predicted: &'a crate::model::Estimate,
    measured: &'a RunReport,
    /// The same volume's run with one worker, for the speed-up a miss shows.
    one_worker: Option<&'a RunReport>,
    workers: usize,
    /// Rows and bytes do not depend on the workers: shown once a volume.
    with_rows: bool,
    run: Option<String>,
    /// The repeated runs' spread behind the calibration and the measurement.
    calibration_spread: Option<&'a Spread>,
    spread: Option<&'a Spread>,
    calibration_stages: &'a [StageMetrics],
    /// The calibration run's resident size before its first stage: shared
    /// by all workers of one process, so a process with N workers is
    /// predicted to peak at it plus N working sets. `None` for a run of
    /// another engine (Spark), whose peaks are held as measured.
    base_memory: Option<u64>,
    /// What each worker past the first adds, by stage; a stage not listed
    /// adds a whole working set a worker.
    worker_shares: &'a [WorkerMemoryShare],
    /// Distinct keys fitted from several runs: their bracket is held.
    keys: Option<&'a super::several::KeysFit>,
    /// The measured run's time outside its stages (Spark's), held with the
    /// run's overhead where the calibration has one.
    outside_s: Option<f64>,
    /// The engine the measured run is of: causes name only what applies.
    engine: RunSource,
    /// The measured run's log is unfinished (`--allow-incomplete`).
    incomplete: bool,
}

/// Distinct keys are held to 5% (or their bracket): they saturate, and
/// no model of a catalogue is exact beyond the sizes it was fitted on.
const KEYS_TOLERANCE: f64 = 0.05;

/// The noise behind a figure: the calibration's spread and the
/// measurement's, added (either alone where the other is one run).
fn noise(calibration: Option<f64>, measured: Option<f64>) -> Option<f64> {
    match (calibration, measured) {
        (None, None) => None,
        (c, m) => Some(c.unwrap_or(0.0) + m.unwrap_or(0.0)),
    }
}

fn hold(held: &Held, tolerances: Tolerances, figures: &mut Vec<Figure>) -> Result<()> {
    let n = held.workers;
    // The key models' bracket, as ratios of the prediction, from the key
    // stage on.
    let mut downstream: Option<(f64, f64)> = None;
    for (index, flow) in held.predicted.flow.stages.iter().enumerate() {
        let name = &flow.name;
        let timed = &held.predicted.time.stages[index];
        let memory = &held.predicted.memory.stages[index];
        // A measured stage's name as its calibrated scenario writes it.
        let named = |s: &&crate::reference::pipeline::StageMetrics| {
            s.name == *name || crate::scenario::stage_name_from(&s.name) == *name
        };
        let actual = held
            .measured
            .stages
            .iter()
            .find(named)
            .ok_or_else(|| {
                anyhow!(
                    "the run {} has no stage `{name}` (it has {}); runs held against one calibration need the same stages",
                    held.run.as_deref().unwrap_or("measured"),
                    held.measured
                        .stages
                        .iter()
                        .map(|s| format!("`{}`", s.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let speedup_at_n = held.one_worker.and_then(|one| {
            let base = one.stages.iter().find(named)?;
            Some((n, base.wall_s / actual.wall_s.max(1e-9)))
        });
        let measured_index = held.measured.stages.iter().position(|s| named(&s));
        let calibration_index = held.calibration_stages.iter().position(|s| named(&s));
        let at = |spread: Option<&Spread>, index: Option<usize>, memory: bool| {
            let spread = spread?;
            let values = if memory {
                &spread.stage_memory_pct
            } else {
                &spread.stage_time_pct
            };
            values.get(index?).copied().flatten()
        };
        let time_noise = noise(
            at(held.calibration_spread, calibration_index, false),
            at(held.spread, measured_index, false),
        );
        let memory_noise = noise(
            at(held.calibration_spread, calibration_index, true),
            at(held.spread, measured_index, true),
        );
        let make = |kind: FigureKind, p: f64, m: f64, tolerance: f64| -> Figure {
            let error = error_pct(p, m);
            let within = error.abs() <= tolerance * 100.0;
            let noise_pct = match kind {
                FigureKind::Time => time_noise,
                FigureKind::PeakMemory => memory_noise,
                _ => None,
            };
            let verdict = Verdict::of(error, tolerance, noise_pct);
            Figure {
                name: kind,
                stage: name.clone(),
                workers: n,
                predicted: clean(p),
                measured: clean(m),
                error_pct: clean(error),
                within_tolerance: within,
                verdict,
                noise_pct: noise_pct.map(clean),
                cause: match verdict {
                    Verdict::TooNoisy => Some(noisy_cause(noise_pct)),
                    Verdict::Off if kind == FigureKind::Time => Some(time_cause(
                        p,
                        m,
                        &TimeContext {
                            speedup_at_n,
                            engine: held.engine,
                            fixed_fitted: held.predicted.time.fixed.is_some(),
                            same_size: (held
                                .predicted
                                .flow
                                .volume_factor
                                .as_ref()
                                .map_or(1.0, |f| f.base())
                                - 1.0)
                                .abs()
                                < 1e-9,
                        },
                    )),
                    _ => None,
                },
                run: held.run.clone(),
                bracket: None,
                run_incomplete: held.incomplete,
            }
        };
        if held.with_rows {
            // The key stage's rows out, and every figure after it that its
            // rows carry (downstream rows and bytes scale with them), are
            // held to 5% or the key models' bracket, whichever is wider.
            let key_stage = held.keys.filter(|k| {
                k.stage == *name || crate::scenario::stage_name_from(&k.stage) == *name
            });
            if let Some(keys) = key_stage {
                let (low, high) = keys.fit.bracket(flow.rows_in.base());
                let predicted = flow.rows_out.base().max(1e-9);
                downstream = Some((low / predicted, high / predicted));
            }
            let rows_in_carried = downstream.filter(|_| key_stage.is_none());
            let rows_out_carried = downstream;
            for (kind, predicted, measured, tolerance, carried) in [
                (
                    FigureKind::RowsIn,
                    flow.rows_in.base(),
                    actual.rows_in as f64,
                    tolerances.rows,
                    rows_in_carried,
                ),
                (
                    FigureKind::RowsOut,
                    flow.rows_out.base(),
                    actual.rows_out as f64,
                    tolerances.rows,
                    rows_out_carried,
                ),
                (
                    FigureKind::BytesIn,
                    flow.bytes_in.base(),
                    actual.bytes_in as f64,
                    tolerances.bytes,
                    rows_in_carried,
                ),
                (
                    FigureKind::BytesOut,
                    flow.bytes_out.base(),
                    actual.bytes_out as f64,
                    tolerances.bytes,
                    rows_out_carried,
                ),
            ] {
                let mut figure = make(kind, predicted, measured, tolerance);
                if let Some((low, high)) = carried {
                    let (low, high) = (predicted * low, predicted * high);
                    let within = figure.error_pct.abs() <= KEYS_TOLERANCE * 100.0
                        || (low..=high).contains(&measured);
                    figure.within_tolerance = within;
                    figure.verdict = if within { Verdict::Ok } else { Verdict::Off };
                    figure.bracket = Some([clean(low), clean(high)]);
                    figure.cause = (!within).then(|| format!(
                        "distinct keys outside the bracket of the two key models ({} to {}): the catalogue is not long-tailed as they assume, or the runs fitted were too few or too close in size",
                        crate::units::grouped(low.round() as u64),
                        crate::units::grouped(high.round() as u64)
                    ));
                }
                figures.push(figure);
            }
        }
        figures.push(make(
            FigureKind::Time,
            timed.parallel_time.base(),
            actual.wall_s,
            tolerances.time,
        ));
        // Where a stage's peak is not measured there is nothing to compare;
        // where the calibration measured none, nothing was predicted.
        if let (Some(peak), true) = (actual.peak_memory_bytes, memory.per_worker.base() > 0.0) {
            // A measured run of another engine has no process start to
            // add: its peak is held against one working set, as measured.
            let share = held
                .worker_shares
                .iter()
                .find(|w| &w.stage == name)
                .map_or(1.0, |w| w.share);
            let working_sets = 1.0 + (n as f64 - 1.0) * share;
            let predicted = match held.base_memory {
                Some(base) => base as f64 + working_sets * memory.per_worker.base(),
                None => memory.per_worker.base(),
            };
            figures.push(make(
                FigureKind::PeakMemory,
                predicted,
                peak as f64,
                tolerances.memory,
            ));
        }
    }
    // The run's overhead is held with the time outside the stages, where
    // both are known; a prediction with an overhead against a run that
    // measured none is held without it.
    let in_stages: f64 = held.measured.stages.iter().map(|s| s.wall_s).sum();
    let parallel = held.predicted.time.parallel.base();
    let (predicted, total) = match (&held.predicted.time.overhead, held.outside_s) {
        (Some(_), Some(outside)) => (parallel, in_stages + outside),
        (Some(overhead), None) => (parallel - overhead.base(), in_stages),
        (None, _) => (parallel, in_stages),
    };
    let error = error_pct(predicted, total);
    let noise_pct = noise(
        held.calibration_spread.and_then(|s| s.pipeline_time_pct),
        held.spread.and_then(|s| s.pipeline_time_pct),
    );
    let verdict = Verdict::of(error, tolerances.time, noise_pct);
    figures.push(Figure {
        name: FigureKind::Time,
        stage: "pipeline".into(),
        workers: n,
        predicted: clean(predicted),
        measured: clean(total),
        error_pct: clean(error),
        within_tolerance: error.abs() <= tolerances.time * 100.0,
        verdict,
        noise_pct: noise_pct.map(clean),
        cause: (verdict == Verdict::TooNoisy).then(|| noisy_cause(noise_pct)),
        run: held.run.clone(),
        bracket: None,
        run_incomplete: held.incomplete,
    });
    Ok(())
}

fn noisy_cause(noise_pct: Option<f64>) -> String {
    format!(
        "too noisy to judge: the repeated runs behind it spread {}% (calibration and target added), as wide as the miss; run it on a quiet machine or with more --repeat",
        significant(noise_pct.unwrap_or(0.0), 3)
    )
}

/// The likely causes of the misses that are not timings.
fn name_causes(figures: &mut [Figure], first_stage: &str, last_stage: &str, engine: RunSource) {
    // Bytes out follow rows out: where the rows missed, that is the cause.
    let rows_missed: Vec<(String, usize, Option<String>)> = figures
        .iter()
        .filter(|f| f.name == FigureKind::RowsOut && !f.within_tolerance)
        .map(|f| (f.stage.clone(), f.workers, f.run.clone()))
        .collect();
    for figure in figures.iter_mut().filter(|f| f.verdict == Verdict::Off) {
        let rows_too =
            rows_missed.contains(&(figure.stage.clone(), figure.workers, figure.run.clone()));
        figure.cause = match figure.name {
            FigureKind::BytesOut if rows_too => {
                Some("its rows out missed by about as much: see its rows out".into())
            }
            FigureKind::BytesOut if figure.stage != last_stage => Some(if figure.measured < figure.predicted {
                "Parquet compresses better with more rows per file (dictionaries and page headers amortize), so bytes per row fall at the larger size".into()
            } else {
                "bytes per row grew at the larger size: more distinct values than the sample had".into()
            }),
            FigureKind::BytesIn if figure.stage != first_stage => {
                Some("these are the previous stage's output bytes: see its bytes out".into())
            }
            FigureKind::RowsIn if figure.stage != first_stage => {
                Some("these are the previous stage's rows out: see its rows out".into())
            }
            FigureKind::RowsOut if figure.measured < figure.predicted => Some(
                "distinct keys grow slower than the data (a catalogue saturates; Heaps' law), while `keep` grows them with it: write this stage's output as `rows:` with `keys_max:` or `keys_grow:`".into(),
            ),
            // The model holds a stage's measured peak per worker: fixed, or
            // grown by a power law where calibrate saw it grow.
            FigureKind::PeakMemory if engine == RunSource::SparkEventLog => Some(if figure.measured > figure.predicted {
                "the largest task's execution memory grew faster than the calibration's (more rows a partition, larger shuffle blocks, a hash aggregate with more keys)".into()
            } else {
                "the larger run was split into more, smaller tasks, so its largest task held less than the calibration's".into()
            }),
            FigureKind::PeakMemory => Some(if figure.measured > figure.predicted {
                "memory grows with the data here faster than the calibration's working set, held fixed or grown by `working_set_grows` from two sample sizes (deduplication keeps 16 bytes an event of a date up to `--dedup-memory-keys`; row groups and shuffles buffer more rows)".into()
            } else {
                "the sample's peak included start-up and allocator slack that does not grow (a stage's peak holds what earlier stages left resident, which does not multiply with the workers), or the larger run's work was split into more, smaller tasks; where calibrate fitted `working_set_grows`, the growth slows as buffers reach their caps and the power law goes on past them".into()
            }),
            _ => figure.cause.take(),
        };
    }
}

fn validate_generated(
    options: &ValidateOptions,
    sample: u64,
    target: u64,
    workers: &[usize],
    repeat: usize,
    seed: u64,
) -> Result<Validation> {
    if workers.is_empty() || workers.contains(&0) {
        bail!("`--workers` needs worker counts of at least 1, e.g. 1,2");
    }
    if target < sample {
        bail!(
            "`--target` ({target}) is smaller than `--sample` ({sample}); validate predicts a larger run from a smaller one"
        );
    }
    let progress = |line: String| {
        if options.progress {
            eprintln!("validate: {line}");
        }
    };
    let (calibration, sample_scratch) = calibrate_with(
        &CalibrateOptions {
            events: sample,
            workers: 1,
            repeat,
            seed,
        },
        &options.binary,
        &progress,
    )?;
    let calibrated = calibration.scenario.clone();
    let factor = target as f64 / sample as f64;

    // Predictions come from the calibrated scenario through the models, and
    // are made before the target is run.
    let predictions: Vec<crate::model::Estimate> = workers
        .iter()
        .map(|&n| predict(&calibrated, factor, n, "--target"))
        .collect::<Result<_>>()?;

    // Threads of one process share some of each stage's memory: what a
    // second worker adds is measured on the calibration's own sample,
    // before the target is run.
    let worker_shares = if workers.iter().any(|&n| n > 1) {
        progress("the sample again with 2 workers, for the memory a worker adds".into());
        let (two, _, _) = measure(
            &options.binary,
            &sample_logs(&sample_scratch),
            &sample_scratch.0.join("two-workers"),
            2,
            repeat,
            &progress,
        )?;
        worker_memory_shares(&calibration.report, &two)
    } else {
        Vec::new()
    };
    drop(sample_scratch);
    let scratch = Scratch::new("validate")?;
    let logs = scratch.0.join("logs");
    // Another seed than the sample's: the target is new data, not a copy.
    progress(format!("generating the target, {target} events"));
    generate(&sample_config(target, seed + 1), &logs)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (load_before, cpu_before) = (load_average(), CpuSample::now());
    let (runs, spreads): (Vec<RunReport>, Vec<Spread>) = workers
        .iter()
        .map(|&n| {
            progress(format!("measuring the target with {n} worker(s)"));
            measure(&options.binary, &logs, &scratch.0, n, repeat, &progress)
                .map(|(report, _, spread)| (report, spread))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let load = MachineLoad {
        load_average_before: load_before,
        load_average_after: load_average(),
        other_processes_cores: cpu_before
            .zip(CpuSample::now())
            .and_then(|(before, after)| after.others_since(before, cores))
            .map(clean),
        cores,
    };

    let mut figures = Vec::new();
    let one_worker = workers.iter().position(|&n| n == 1).map(|b| &runs[b]);
    for (index, (n, predicted)) in workers.iter().zip(&predictions).enumerate() {
        hold(
            &Held {
                predicted,
                measured: &runs[index],
                one_worker,
                workers: *n,
                with_rows: index == 0,
                run: None,
                calibration_spread: calibration.spread.as_ref(),
                spread: Some(&spreads[index]),
                calibration_stages: &calibration.report.stages,
                base_memory: calibration.report.process_base_memory_bytes,
                worker_shares: &worker_shares,
                keys: None,
                outside_s: None,
                engine: RunSource::PipecalcRun,
                incomplete: false,
            },
            options.tolerances,
            &mut figures,
        )?;
    }
    name_causes(
        &mut figures,
        STAGES[0],
        STAGES[STAGES.len() - 1],
        RunSource::PipecalcRun,
    );
    let names: Vec<String> = STAGES.iter().map(|s| s.to_string()).collect();
    let fits = fit_stages(workers, &runs, &names);
    Ok(Validation {
        options: options.clone(),
        calibration,
        figures,
        fits,
        runs,
        against: Vec::new(),
        load: Some(load),
        worker_shares,
    })
}

fn validate_measured(
    options: &ValidateOptions,
    calibrate_from_paths: &[PathBuf],
    against: &[PathBuf],
    stage_map: Option<&Path>,
    allow_incomplete: bool,
) -> Result<Validation> {
    if against.is_empty() {
        bail!("`--calibrate-from` needs at least one `--against RUN` to predict");
    }
    let map = stage_map.map(StageMap::load).transpose()?;
    let calibration = match calibrate_from_paths {
        [] => bail!("`--against` needs at least one `--calibrate-from RUN` to calibrate on"),
        [one] => calibrate_from(one, map.as_ref(), allow_incomplete)?,
        several => super::several::calibrate_from_runs(several, map.as_ref(), allow_incomplete)?,
    };
    let calibrated = calibration.scenario.clone();
    let CalibrationSource::Measured(base) = &calibration.source else {
        bail!("a calibration from a measured run has a measured source; this is a pipecalc bug");
    };
    let base_events = base.events as f64;

    // Each run's volume and workers are all that is taken from it before
    // its prediction is made; its measurements are read after.
    let mut predictions = Vec::new();
    let mut runs = Vec::new();
    let mut records = Vec::new();
    let mut incomplete = Vec::new();
    for path in against {
        let run = crate::reference::spark::read_run_with(path, map.as_ref())?;
        super::several::refuse_incomplete(path, &run, allow_incomplete)?;
        let mut record = RunRecord::of(path, &run);
        // A stage one side lacks is never compared in silence.
        let predicted_names: Vec<String> =
            calibrated.stages.iter().map(|s| s.name.clone()).collect();
        for stage in &run.report.stages {
            let known = predicted_names
                .iter()
                .any(|p| *p == stage.name || *p == crate::scenario::stage_name_from(&stage.name));
            if !known {
                record.warnings.push(format!(
                    "stage `{}` was measured but the calibration has no such stage: it is not compared",
                    stage.name
                ));
            }
        }
        if record.events == 0 {
            bail!(
                "`{}`: its first stage read no rows, so there is no volume to predict",
                record.path
            );
        }
        let factor = record.events as f64 / base_events;
        predictions.push(predict(
            &calibrated,
            factor,
            record.workers.max(1),
            "--against",
        )?);
        incomplete.push(run.report.status == crate::reference::pipeline::RunStatus::Incomplete);
        runs.push(run.report);
        records.push(record);
    }

    let mut figures = Vec::new();
    for (index, predicted) in predictions.iter().enumerate() {
        let record = &records[index];
        let one_worker = records
            .iter()
            .position(|r| r.workers == 1 && r.events == record.events)
            .map(|b| &runs[b]);
        // Rows and bytes once a volume: the first run of each size shows them.
        let with_rows = records[..index]
            .iter()
            .all(|earlier| earlier.events != record.events);
        hold(
            &Held {
                predicted,
                measured: &runs[index],
                one_worker,
                workers: record.workers,
                with_rows,
                run: Some(record.path.clone()),
                calibration_spread: None,
                spread: None,
                calibration_stages: &calibration.report.stages,
                base_memory: calibration.report.process_base_memory_bytes,
                worker_shares: &[],
                keys: calibration.several.as_ref().and_then(|s| s.keys.as_ref()),
                outside_s: record.outside_stages_s,
                engine: record.source,
                incomplete: incomplete[index],
            },
            options.tolerances,
            &mut figures,
        )?;
    }
    let names: Vec<String> = calibration
        .report
        .stages
        .iter()
        .map(|s| s.name.clone())
        .collect();
    name_causes(
        &mut figures,
        names.first().map_or("", String::as_str),
        names.last().map_or("", String::as_str),
        records.first().map_or(RunSource::PipecalcRun, |r| r.source),
    );
    // Speed-ups from the runs of one size at several worker counts, one of
    // them a single worker.
    let fits = records
        .iter()
        .find(|r| r.workers == 1)
        .map(|one| {
            let (workers, same): (Vec<usize>, Vec<RunReport>) = records
                .iter()
                .zip(&runs)
                .filter(|(r, _)| r.events == one.events)
                .map(|(r, run)| (r.workers, run.clone()))
                .unzip();
            let distinct: std::collections::BTreeSet<usize> = workers.iter().copied().collect();
            if distinct.len() >= 2 {
                fit_stages(&workers, &same, &names)
            } else {
                Vec::new()
            }
        })
        .unwrap_or_default();
    Ok(Validation {
        options: options.clone(),
        calibration,
        figures,
        fits,
        runs,
        against: records,
        load: None,
        worker_shares: Vec::new(),
    })
}

fn fit_stages(workers: &[usize], runs: &[RunReport], names: &[String]) -> Vec<StageFit> {
    let Some(base) = workers.iter().position(|&n| n == 1) else {
        return Vec::new();
    };
    let wall = |run: &RunReport, name: &str| {
        run.stages
            .iter()
            .find(|s| s.name == name)
            .map_or(0.0, |s| s.wall_s)
    };
    names
        .iter()
        .map(Some)
        .chain(std::iter::once(None))
        .map(|name| {
            let times: Vec<f64> = runs
                .iter()
                .map(|r| match name {
                    Some(name) => wall(r, name),
                    None => r.stages.iter().map(|s| s.wall_s).sum(),
                })
                .collect();
            let one = times[base].max(1e-9);
            let speedup: Vec<f64> = times.iter().map(|t| one / t.max(1e-9)).collect();
            let amdahl = fit_amdahl(workers, &speedup);
            let usl = fit_usl(workers, &speedup);
            StageFit {
                stage: name.cloned().unwrap_or_else(|| "pipeline".into()),
                workers: workers.to_vec(),
                measured_s: times.iter().map(|t| clean(*t)).collect(),
                speedup: speedup.iter().map(|s| clean(*s)).collect(),
                amdahl_serial_fraction: amdahl.map(clean),
                amdahl_predicted_s: amdahl
                    .map(|s| {
                        workers
                            .iter()
                            .map(|&n| clean(one / amdahl_speedup(s, n)))
                            .collect()
                    })
                    .unwrap_or_default(),
                usl_contention: usl.map(|u| clean(u.0)),
                usl_coherency: usl.map(|u| clean(u.1)),
                usl_predicted_s: usl
                    .map(|(s, k)| {
                        workers
                            .iter()
                            .map(|&n| clean(one / usl_speedup(s, k, n)))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What calibrate writes for the user, read back as a user's file,
    /// gives the same estimate as the values pipecalc itself went on.
    #[test]
    fn the_written_calibration_reads_as_the_values_it_came_from() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spark");
        let one = calibrate_from(&fixtures.join("small-1core"), None, false).unwrap();
        let several = super::super::several::calibrate_from_runs(
            &["25K", "50K", "100K"].map(|size| fixtures.join("cluster").join(size)),
            None,
            false,
        )
        .unwrap();
        for calibration in [one, several] {
            let read = crate::scenario::parse(&calibration.yaml, "calibrated.yaml").unwrap();
            // Every figure and its working; only the line a key was read
            // from differs (a file has lines, values have none).
            let figures = |s: &crate::scenario::Scenario| {
                let text = format!("{:?}", crate::model::estimate(s));
                let mut pieces = text.split("line: ");
                let mut out = pieces.next().unwrap_or_default().to_string();
                for piece in pieces {
                    out.push_str(piece.trim_start_matches(|c: char| c.is_ascii_digit()));
                }
                out
            };
            assert_eq!(figures(&read), figures(&calibration.scenario));
        }
    }

    #[test]
    fn amdahl_fit_recovers_a_known_serial_fraction() {
        // Speed-ups generated from s = 0.1 exactly.
        let workers = [1, 2, 4, 8];
        let speedup: Vec<f64> = workers.iter().map(|&n| amdahl_speedup(0.1, n)).collect();
        let s = fit_amdahl(&workers, &speedup).unwrap();
        assert!((s - 0.1).abs() < 1e-12, "{s}");
        // The lecture's check: s = 0.1 with 10 workers is 5.26×.
        assert!((amdahl_speedup(0.1, 10) - 5.263157894736842).abs() < 1e-12);
        // Perfect scaling fits s = 0.
        assert_eq!(fit_amdahl(&[1, 2], &[1.0, 2.0]), Some(0.0));
    }

    #[test]
    fn usl_fit_recovers_known_coefficients() {
        let workers = [1, 2, 4, 8, 16];
        let speedup: Vec<f64> = workers
            .iter()
            .map(|&n| usl_speedup(0.05, 0.002, n))
            .collect();
        let (sigma, kappa) = fit_usl(&workers, &speedup).unwrap();
        assert!((sigma - 0.05).abs() < 1e-9, "{sigma}");
        assert!((kappa - 0.002).abs() < 1e-9, "{kappa}");
        assert_eq!(
            fit_usl(&[1, 2], &[1.0, 1.9]),
            None,
            "needs three worker counts"
        );
    }

    #[test]
    fn a_second_worker_s_share_is_what_it_added_over_the_first_s_working_set() {
        let run = |base: u64, peaks: [Option<u64>; 3]| RunReport {
            process_base_memory_bytes: Some(base),
            stages: ["ingest", "transform", "aggregate"]
                .iter()
                .zip(peaks)
                .map(|(name, peak)| StageMetrics {
                    name: name.to_string(),
                    peak_memory_bytes: peak,
                    ..StageMetrics::default()
                })
                .collect(),
            status: crate::reference::pipeline::RunStatus::Completed,
            failure: None,
            workers: 1,
            input: String::new(),
            output: String::new(),
            quality: Default::default(),
            output_rows: 0,
            output_dates: Vec::new(),
            skipped_inputs: Vec::new(),
            cleared_leftovers: Vec::new(),
            process_peak_memory_bytes: None,
            settings: Default::default(),
        };
        // Ingest: 30 MB above a 6 MB start with one worker, 54 MB above a
        // 7 MB start with two: the second added 24 of 30, 0.8. Transform's
        // second worker added nothing (its peak fell): 0. Aggregate was
        // not measured with two workers: left out.
        let one = run(
            6_000_000,
            [Some(36_000_000), Some(20_000_000), Some(9_000_000)],
        );
        let two = run(7_000_000, [Some(61_000_000), Some(19_000_000), None]);
        let shares = worker_memory_shares(&one, &two);
        assert_eq!(shares.len(), 2);
        assert_eq!((shares[0].stage.as_str(), shares[0].share), ("ingest", 0.8));
        assert_eq!(
            (shares[1].stage.as_str(), shares[1].share),
            ("transform", 0.0)
        );
        // A second worker that doubled it and more is at most a whole one.
        let doubled = run(6_000_000, [Some(90_000_000), Some(20_000_000), None]);
        assert_eq!(worker_memory_shares(&one, &doubled)[0].share, 1.0);
    }

    #[test]
    fn the_working_set_s_growth_is_the_exponent_through_two_runs() {
        // 11.6 MB at 100K events, 15.5 MB at 200K: 2^k = 15.5 / 11.6.
        let k = fit_working_set_growth((200_000, 15.5e6), (100_000, 11.6e6)).unwrap();
        assert!((k - (15.5f64 / 11.6).log2()).abs() < 1e-12, "{k}");
        assert!((k - 0.4181).abs() < 1e-3, "{k}");
        // Twice the memory for twice the events is linear, and no more.
        assert_eq!(fit_working_set_growth((200, 4e6), (100, 2e6)), Some(1.0));
        assert_eq!(fit_working_set_growth((200, 9e6), (100, 2e6)), Some(1.0));
        // Flat, shrinking, or not two volumes: no growth is written.
        assert_eq!(fit_working_set_growth((200, 2.01e6), (100, 2e6)), None);
        assert_eq!(fit_working_set_growth((200, 1e6), (100, 2e6)), None);
        assert_eq!(fit_working_set_growth((100, 4e6), (100, 2e6)), None);
        assert_eq!(fit_working_set_growth((100, 4e6), (0, 0.0)), None);
    }

    #[test]
    fn a_worker_s_memory_is_what_it_added_above_the_start() {
        // 60 MB peak over a 20 MB start with 2 workers: 20 MB each.
        assert_eq!(per_worker_memory(60_000_000, Some(20_000_000), 2), 20e6);
        // A stage that added nothing is a page, not 0 nor a negative size.
        assert_eq!(per_worker_memory(19_000_000, Some(20_000_000), 1), 4096.0);
        // No start measured: the whole peak, as before.
        assert_eq!(per_worker_memory(60_000_000, None, 2), 60e6);
    }

    #[test]
    fn output_bytes_fit_a_fixed_part_and_a_part_per_row() {
        // 180 kB + 41 B a row, at 100K and 200K rows: the line through both.
        let bytes = |rows: u64| 180_000 + 41 * rows;
        let (per_row, fixed) =
            fit_output_bytes((200_000, bytes(200_000)), (100_000, bytes(100_000))).unwrap();
        assert!((per_row - 41.0).abs() < 1e-9 && (fixed - 180_000.0).abs() < 1e-6);
        // Bytes a row that grow with the data would need a negative fixed
        // part: no fit, the caller keeps the plain bytes a row.
        assert_eq!(fit_output_bytes((24_484, 169_752), (16_283, 110_860)), None);
        // Runs of the same size, or a smaller "large" one, give no line.
        assert_eq!(fit_output_bytes((100, 5_000), (100, 5_000)), None);
        assert_eq!(fit_output_bytes((50, 5_000), (100, 9_000)), None);
        assert_eq!(fit_output_bytes((100, 5_000), (0, 0)), None);
    }

    #[test]
    fn medians_and_errors() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(error_pct(110.0, 100.0), 10.0);
        assert_eq!(error_pct(0.0, 0.0), 0.0);
    }

    #[test]
    fn a_miss_within_the_runs_spread_is_too_noisy_to_judge() {
        // ±25%: a 30% miss with runs 3% apart is off; with runs 10% apart it
        // is within their spread; runs 40% apart cannot judge even 20%.
        assert_eq!(Verdict::of(30.0, 0.25, Some(3.0)), Verdict::Off);
        assert_eq!(Verdict::of(30.0, 0.25, Some(10.0)), Verdict::TooNoisy);
        assert_eq!(Verdict::of(-30.0, 0.25, None), Verdict::Off);
        assert_eq!(Verdict::of(20.0, 0.25, Some(40.0)), Verdict::Ok);
        assert_eq!(Verdict::of(60.0, 0.25, Some(40.0)), Verdict::TooNoisy);
        assert_eq!(spread_pct(&[9.0, 10.0, 11.0]), Some(20.0));
        assert_eq!(spread_pct(&[10.0]), None);
        assert_eq!(noise(Some(2.0), Some(3.0)), Some(5.0));
        assert_eq!(noise(None, Some(3.0)), Some(3.0));
        assert_eq!(noise(None, None), None);
    }

    #[test]
    fn a_stage_that_cannot_use_two_cores_is_named_so() {
        let context = |speedup_at_n, engine, fixed_fitted, same_size| TimeContext {
            speedup_at_n,
            engine,
            fixed_fitted,
            same_size,
        };
        let pipecalc = RunSource::PipecalcRun;
        let spark = RunSource::SparkEventLog;
        let cause = time_cause(5.0, 9.0, &context(Some((2, 1.05)), pipecalc, false, false));
        assert!(cause.starts_with("cannot use 2 cores"), "{cause}");
        assert!(
            time_cause(10.0, 5.0, &context(None, pipecalc, false, false))
                .starts_with("fixed start-up cost")
        );
        assert!(
            time_cause(5.0, 10.0, &context(None, pipecalc, false, false))
                .starts_with("slower per row")
        );
        // Issue 26: each cause names only what applies to the engine that
        // ran, and a run at the calibration's own size blames no scaling.
        let spark_cause = time_cause(10.0, 5.0, &context(None, spark, false, false));
        assert!(
            spark_cause.starts_with("Spark's fixed costs"),
            "{spark_cause}"
        );
        assert!(!spark_cause.contains("--dedup-memory-keys"));
        let same = time_cause(10.0, 5.0, &context(None, pipecalc, false, true));
        assert!(same.starts_with("run-to-run noise"), "{same}");
        let fitted = time_cause(10.0, 5.0, &context(None, spark, true, false));
        assert!(fitted.starts_with("the fitted fixed cost"), "{fitted}");
    }
}
