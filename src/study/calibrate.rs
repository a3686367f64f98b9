//! Calibration: a scenario whose throughputs, selectivities, row sizes and
//! memory are what was measured, from a generated sample run on this
//! machine or from a measured run (a pipecalc run or a Spark event log).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use schemars::JsonSchema;
use serde::Serialize;

use super::run::{key_census, measure, refuse_incomplete, sample_config, RunRecord, Spread};
use crate::interrupt::Scratch;
use crate::reference::generator::generate;
use crate::reference::pipeline::{RunReport, StageMetrics};
use crate::reference::spark::{RunSource, StageMap};
use crate::units::{clean, significant};

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

/// Calibrates on a generated sample, each run a process of `binary` (the
/// pipecalc executable; the CLI passes itself).
pub fn calibrate(options: &CalibrateOptions, binary: &Path) -> Result<Calibration> {
    calibrate_with(options, binary, &|_| {}).map(|(calibration, _sample)| calibration)
}

/// The generated sample a calibration ran on, in the scratch folder
/// [`calibrate_with`] returns (removed when that is dropped).
pub(crate) fn sample_logs(scratch: &Scratch) -> PathBuf {
    scratch.0.join("logs")
}

/// A calibration, and the scratch folder holding its sample's logs, for a
/// caller that runs the same sample again (validate, with more workers).
pub(crate) fn calibrate_with(
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
    refuse_incomplete(path, &run, allow_incomplete)?;
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
}
