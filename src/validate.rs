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
use crate::reference::pipeline::{run, RunConfig, RunReport, StageMetrics, STAGES};
use crate::reference::storage::{parquet_files, read_batches};
use crate::units::{clean, significant};

/// A scratch folder that removes itself.
struct Scratch(PathBuf);

impl Scratch {
    fn new(purpose: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "pipecalc-{purpose}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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

/// Runs the pipeline `repeat` times on `logs` and keeps, per stage, the
/// median wall and CPU time and peak memory; rows and bytes are the same
/// every run (the pipeline is deterministic). Also returns the last run's
/// output folder, for a look at its data.
fn measure(
    logs: &Path,
    scratch: &Path,
    workers: usize,
    repeat: usize,
) -> Result<(RunReport, PathBuf)> {
    let mut runs = Vec::new();
    let mut lake = PathBuf::new();
    for attempt in 0..repeat.max(1) {
        lake = scratch.join(format!("lake-{workers}-{attempt}"));
        let mut config = RunConfig::new(logs, &lake);
        config.workers = workers;
        let report = run(&config).map_err(|f| f.error)?;
        runs.push(report);
        if attempt + 1 < repeat.max(1) {
            std::fs::remove_dir_all(&lake)?;
        }
    }
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
    Ok((report, lake))
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
        for batch in read_batches(&file, 65_536)? {
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
    /// Events in the sample (a count: 200K).
    #[arg(long, default_value = "200K", value_parser = crate::args::events)]
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

#[derive(Clone, Debug)]
pub struct Calibration {
    pub options: CalibrateOptions,
    pub report: RunReport,
    /// Products in the generator's catalogue: the most keys a day can have.
    pub catalogue: u64,
    /// The Chao1 estimate of the catalogue from the sample alone.
    pub chao1: f64,
    /// The calibrated scenario, as YAML the calculator reads as it is.
    pub yaml: String,
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

/// The calibrated scenario, built as the scenario file's own structure and
/// written as YAML by the same serde types that read it.
fn scenario_yaml(
    options: &CalibrateOptions,
    report: &RunReport,
    catalogue: u64,
    chao1: f64,
) -> Result<String> {
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
    let row_size = |s: &StageMetrics| size(ratio(s.bytes_out, s.rows_out));
    let skew = significant(sample_config(options.events, options.seed).zipf_exponent, 6);
    let output = |keep: Option<raw::Field>, s: &StageMetrics| raw::RawOutput {
        keep,
        rows: None,
        row_size: Some(row_size(s)),
        keys_grow: None,
        keys_max: None,
        key_skew: None,
    };
    let make =
        |name: &str, bound: Bound, measure: Measure, s: &StageMetrics, out: raw::RawOutput| {
            raw::RawStage {
                name: spanned(name.to_string()),
                bound,
                input: spanned(measure),
                throughput: Some(value(rate(s, measure))),
                duration: None,
                output: Some(spanned(out)),
                // Not measured on this platform: no working set is written,
                // rather than a 0 nobody measured.
                working_set: s
                    .peak_memory_bytes
                    .map(|peak| value(format!("{} MB", significant(peak as f64 / 1e6, 6)))),
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
    let scenario = raw::RawScenario {
        name: Some("calibrated".into()),
        description: Some("The reference pipeline as measured on this machine".into()),
        volume: raw::RawVolume {
            events_per_day: value(ingest.rows_in.to_string()),
            event_size: size(ratio(ingest.bytes_in, ingest.rows_in)),
        },
        workers: Some(value("1")),
        deadline: None,
        schedule: None,
        memory_per_worker: None,
        month: None,
        parallel: None,
        stages: spanned(stages),
        storage: Vec::new(),
        network: None,
        prices: Some(spanned(raw::RawPrices {
            compute_usd_per_worker_hour: Some(value("0.5")),
            ..raw::RawPrices::default()
        })),
        scaling: None,
        reliability: None,
        warehouse: None,
        queries: Vec::new(),
        quality: None,
        streaming: None,
    };
    let header = format!(
        "Calibrated by `pipecalc calibrate` on {machine}, {today}.
Sample: {events} generated events (1 day, seed {seed}), run with {workers} worker(s),
median of {repeat} run(s).

Measured: each stage's throughput (per worker, on this machine), its working
set (its own peak resident memory, where the platform measures it: Linux;
elsewhere no working_set is written), and its rows and bytes: events_per_day is the
lines read from the sample's logs, event_size their bytes a line; ingest keeps
the valid events and transform the deduplicated product page views, and each
row_size is the Parquet bytes a row that stage wrote.

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
    );
    raw::to_yaml(&scenario, &header)
}

fn sample_config(events: u64, seed: u64) -> GeneratorConfig {
    GeneratorConfig {
        events,
        days: 1,
        seed,
        ..GeneratorConfig::default()
    }
}

pub fn calibrate(options: &CalibrateOptions) -> Result<Calibration> {
    if options.events < 1000 {
        bail!(
            "`--events` is {}; calibrate on at least 1000 events so the stages have work to time",
            options.events
        );
    }
    if options.workers == 0 {
        bail!("`--workers` is 0; calibrate with at least one worker");
    }
    let scratch = Scratch::new("calibrate")?;
    let logs = scratch.0.join("logs");
    generate(&sample_config(options.events, options.seed), &logs)?;
    let (report, lake) = measure(&logs, &scratch.0, options.workers, options.repeat)?;
    let (_, chao1) = key_census(&lake.join("processed"))?;
    let catalogue = u64::from(sample_config(options.events, options.seed).products);
    let yaml = scenario_yaml(options, &report, catalogue, chao1)?;
    // What calibrate writes must be what the calculator reads.
    crate::scenario::parse(&yaml, "calibrated.yaml")
        .context("the calibrated scenario does not load; this is a pipecalc bug")?;
    Ok(Calibration {
        options: options.clone(),
        report,
        catalogue,
        chao1,
        yaml,
    })
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
    pub sample: u64,
    pub target: u64,
    pub workers: Vec<usize>,
    pub repeat: usize,
    pub seed: u64,
    pub tolerances: Tolerances,
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
    /// Where the prediction misses: the likely cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
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
    /// Measured runs at the target size, one per worker count.
    pub runs: Vec<RunReport>,
}

impl Validation {
    pub fn all_within_tolerance(&self) -> bool {
        self.figures.iter().all(|f| f.within_tolerance)
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

/// The likely reason a time prediction misses, from what was measured.
fn time_cause(predicted: f64, measured: f64, speedup_at_n: Option<(usize, f64)>) -> String {
    if let Some((n, speedup)) = speedup_at_n {
        if n > 1 && speedup < 1.0 + 0.25 * (n as f64 - 1.0) {
            return format!(
                "cannot use {n} cores: measured speed-up {}× with {n} workers (serial work: one file or one date at a time, a merge, or a fixed cost)",
                significant(speedup, 3)
            );
        }
    }
    if measured < predicted {
        "fixed start-up cost: the sample's time per row includes set-up that does not grow with the data, so the linear rule over-predicts the larger run".into()
    } else {
        "slower per row at the larger size: caches or memory (the working set outgrew the CPU caches), or more I/O".into()
    }
}

pub fn validate(options: &ValidateOptions) -> Result<Validation> {
    if options.workers.is_empty() || options.workers.contains(&0) {
        bail!("`--workers` needs worker counts of at least 1, e.g. 1,2");
    }
    if options.target < options.sample {
        bail!(
            "`--target` ({}) is smaller than `--sample` ({}); validate predicts a larger run from a smaller one",
            options.target,
            options.sample
        );
    }
    let calibration = calibrate(&CalibrateOptions {
        events: options.sample,
        workers: 1,
        repeat: options.repeat,
        seed: options.seed,
    })?;
    let calibrated = crate::scenario::parse(&calibration.yaml, "calibrated.yaml")?;
    let factor = options.target as f64 / options.sample as f64;

    // Predictions come from the calibrated scenario through the models, and
    // are made before the target is run.
    let predictions: Vec<(usize, crate::model::Estimate)> = options
        .workers
        .iter()
        .map(|&n| {
            let scenario = calibrated
                .clone()
                .with_scale(factor, "--target")?
                .with_workers(n as u32, "--workers")?;
            Ok((n, crate::model::checked_estimate(&scenario)?))
        })
        .collect::<Result<_>>()?;

    let scratch = Scratch::new("validate")?;
    let logs = scratch.0.join("logs");
    // Another seed than the sample's: the target is new data, not a copy.
    generate(&sample_config(options.target, options.seed + 1), &logs)?;
    let runs: Vec<RunReport> = options
        .workers
        .iter()
        .map(|&n| measure(&logs, &scratch.0, n, options.repeat).map(|(report, _)| report))
        .collect::<Result<_>>()?;

    let tolerances = options.tolerances;
    let mut figures = Vec::new();
    let base_run = options.workers.iter().position(|&n| n == 1);
    for ((n, predicted), measured) in predictions.iter().zip(&runs) {
        for (index, stage) in STAGES.iter().enumerate() {
            let flow = &predicted.flow.stages[index];
            let timed = &predicted.time.stages[index];
            let memory = &predicted.memory.stages[index];
            let actual = &measured.stages[index];
            let speedup_at_n =
                base_run.map(|b| (*n, runs[b].stages[index].wall_s / actual.wall_s.max(1e-9)));
            let mut push = |name: FigureKind, p: f64, m: f64, tolerance: f64, timing: bool| {
                let error = error_pct(p, m);
                let within = error.abs() <= tolerance * 100.0;
                figures.push(Figure {
                    name,
                    stage: stage.to_string(),
                    workers: *n,
                    predicted: clean(p),
                    measured: clean(m),
                    error_pct: clean(error),
                    within_tolerance: within,
                    cause: (!within && timing).then(|| time_cause(p, m, speedup_at_n)),
                });
            };
            // Rows and bytes do not depend on the workers: shown once.
            if Some(*n) == options.workers.first().copied() {
                push(
                    FigureKind::RowsIn,
                    flow.rows_in.base(),
                    actual.rows_in as f64,
                    tolerances.rows,
                    false,
                );
                push(
                    FigureKind::RowsOut,
                    flow.rows_out.base(),
                    actual.rows_out as f64,
                    tolerances.rows,
                    false,
                );
                push(
                    FigureKind::BytesIn,
                    flow.bytes_in.base(),
                    actual.bytes_in as f64,
                    tolerances.bytes,
                    false,
                );
                push(
                    FigureKind::BytesOut,
                    flow.bytes_out.base(),
                    actual.bytes_out as f64,
                    tolerances.bytes,
                    false,
                );
            }
            push(
                FigureKind::Time,
                timed.parallel.base(),
                actual.wall_s,
                tolerances.time,
                true,
            );
            // Where a stage's peak is not measured there is nothing to compare.
            if let Some(peak) = actual.peak_memory_bytes {
                push(
                    FigureKind::PeakMemory,
                    memory.per_worker.base(),
                    peak as f64,
                    tolerances.memory,
                    false,
                );
            }
        }
        let total: f64 = measured.stages.iter().map(|s| s.wall_s).sum();
        let error = error_pct(predicted.time.parallel.base(), total);
        let within = error.abs() <= tolerances.time * 100.0;
        figures.push(Figure {
            name: FigureKind::Time,
            stage: "pipeline".into(),
            workers: *n,
            predicted: clean(predicted.time.parallel.base()),
            measured: clean(total),
            error_pct: clean(error),
            within_tolerance: within,
            cause: None,
        });
    }
    for figure in figures
        .iter_mut()
        .filter(|f| f.name == FigureKind::BytesOut && !f.within_tolerance && f.stage != "load")
    {
        figure.cause = Some(if figure.measured < figure.predicted {
            "Parquet compresses better with more rows per file (dictionaries and page headers amortize), so bytes per row fall at the larger size".into()
        } else {
            "bytes per row grew at the larger size: more distinct values than the sample had".into()
        });
    }
    for figure in figures
        .iter_mut()
        .filter(|f| f.name == FigureKind::BytesIn && !f.within_tolerance && f.stage != "ingest")
    {
        figure.cause =
            Some("these are the previous stage's output bytes: see its bytes out".into());
    }
    // Memory misses get their cause too: the model holds a stage's measured
    // peak as a fixed working set per worker.
    for figure in figures
        .iter_mut()
        .filter(|f| f.name == FigureKind::PeakMemory && !f.within_tolerance)
    {
        figure.cause = Some(if figure.measured > figure.predicted {
            "memory grows with the data here (deduplication keeps 8 bytes an event of a date; row groups buffer up to a million rows), while the calibration held the sample's peak fixed".into()
        } else {
            "the sample's peak included start-up and allocator slack that does not grow".into()
        });
    }

    let fits = fit_stages(&options.workers, &runs);
    Ok(Validation {
        options: options.clone(),
        calibration,
        figures,
        fits,
        runs,
    })
}

fn fit_stages(workers: &[usize], runs: &[RunReport]) -> Vec<StageFit> {
    let Some(base) = workers.iter().position(|&n| n == 1) else {
        return Vec::new();
    };
    let mut names: Vec<String> = STAGES.iter().map(|s| s.to_string()).collect();
    names.push("pipeline".into());
    names
        .into_iter()
        .enumerate()
        .map(|(index, stage)| {
            let times: Vec<f64> = runs
                .iter()
                .map(|r| {
                    if index < STAGES.len() {
                        r.stages[index].wall_s
                    } else {
                        r.stages.iter().map(|s| s.wall_s).sum()
                    }
                })
                .collect();
            let one = times[base].max(1e-9);
            let speedup: Vec<f64> = times.iter().map(|t| one / t.max(1e-9)).collect();
            let amdahl = fit_amdahl(workers, &speedup);
            let usl = fit_usl(workers, &speedup);
            StageFit {
                stage,
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
    fn medians_and_errors() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(error_pct(110.0, 100.0), 10.0);
        assert_eq!(error_pct(0.0, 0.0), 0.0);
    }

    #[test]
    fn a_stage_that_cannot_use_two_cores_is_named_so() {
        let cause = time_cause(5.0, 9.0, Some((2, 1.05)));
        assert!(cause.starts_with("cannot use 2 cores"), "{cause}");
        assert!(time_cause(10.0, 5.0, None).starts_with("fixed start-up cost"));
        assert!(time_cause(5.0, 10.0, None).starts_with("slower per row"));
    }
}
