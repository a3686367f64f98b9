//! The command line: clap's derive over the commands and their options,
//! and the parsers that bound every numeric value, so a bad value on the
//! command line is a usage error (exit 2) naming its option.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use pipecalc::commands::{self, ExitStatus};
use pipecalc::reference::generator::GeneratorConfig;
use pipecalc::reference::pipeline::RunConfig;
use pipecalc::report::{Format, Style};
use pipecalc::scenario::MAX_WORKERS;

#[derive(Parser)]
#[command(
    name = "pipecalc",
    version,
    about = "Plan a data pipeline before you build it: time, memory, storage, network and cost from a YAML scenario",
    after_help = "Start with: pipecalc estimate scenarios/clickstream.yaml --explain"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Estimate time, memory, storage, network and cost for a scenario.
    Estimate {
        /// The scenario file (YAML).
        scenario: PathBuf,
        #[command(flatten)]
        what_if: WhatIf,
        #[command(flatten)]
        output: Output,
    },
    /// Project the scenario at other volumes and worker counts, side by side.
    Scale {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// Volume factors, e.g. 1,2,10,100 [default: the scenario's `scaling.factors`, else 1,2,10].
        #[arg(long, value_delimiter = ',', value_name = "FACTORS", value_parser = factor, allow_negative_numbers = true)]
        factors: Option<Vec<f64>>,
        /// Worker counts, e.g. 1,4,10 [default: the scenario's `scaling.workers`, else its `workers`].
        #[arg(long, value_delimiter = ',', value_name = "COUNTS", value_parser = workers, allow_negative_numbers = true)]
        workers: Option<Vec<u32>>,
        /// Also show storage with this compression ratio [default: the scenario's `scaling.compression`].
        #[arg(long, value_name = "RATIO", value_parser = compression, allow_negative_numbers = true)]
        compression: Option<f64>,
        #[command(flatten)]
        output: Output,
    },
    /// Find the fewest workers that meet the deadline, with time and cost at each count.
    Workers {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// Multiply the events per day by this factor first.
        #[arg(long, value_name = "FACTOR", value_parser = factor, allow_negative_numbers = true)]
        scale: Option<f64>,
        /// Try up to this many workers [default: the scenario's `scaling.max_workers`, else 64].
        #[arg(long, value_name = "N", value_parser = workers, allow_negative_numbers = true)]
        max_workers: Option<u32>,
        #[command(flatten)]
        output: Output,
    },
    /// Volume, storage and run time year by year as the data grows.
    Growth {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// Years to project.
        #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100), allow_negative_numbers = true)]
        years: u32,
        /// Growth rate, e.g. "10x per 5 years" or "58% per year" [default: the scenario's `scaling.growth`, else the lecture's 10x per 5 years].
        #[arg(long, value_name = "RATE", allow_hyphen_values = true)]
        growth: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Compare two or more scenarios: changed inputs, then every figure with its change.
    Compare {
        /// The scenario files (YAML); the first is the baseline.
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<PathBuf>,
        #[command(flatten)]
        output: Output,
    },
    /// Generate synthetic clickstream logs (one JSON-lines file per hour) and their ground truth.
    Generate(GenerateArgs),
    /// Run the reference pipeline (ingest, transform, aggregate, load) on generated logs.
    Run(RunArgs),
    /// Measure this machine with the reference pipeline and write a scenario the calculator reads.
    Calibrate(CalibrateArgs),
    /// Hold the model against measured runs: calibrate on a sample, predict a target, run it, compare.
    /// Exit code 0 when every figure is within tolerance, 3 when some are not.
    Validate(ValidateArgs),
    /// Validate scenario files without estimating; exit 1 on the first bad one.
    Check {
        /// The scenario files (YAML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Print the JSON Schema of a JSON document pipecalc writes (also in docs/schema/).
    Schema {
        /// Which document: estimate, scale, workers, growth, compare, validate or run (run.json).
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(pipecalc::views::schema::DOCUMENTS))]
        document: String,
    },
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Events in all (a count: 100000, 1M).
    #[arg(long, default_value = "100K", value_parser = events)]
    pub events: u64,
    /// Days of logs.
    #[arg(long, default_value_t = 1)]
    pub days: u32,
    /// Random seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Distinct products (popularity is Zipf-like).
    #[arg(long, default_value_t = 50_000)]
    pub products: u32,
    /// Share of events that are page views.
    #[arg(long, default_value_t = 0.8)]
    pub page_view_share: f64,
    /// Share of events with a null user_id.
    #[arg(long, default_value_t = 0.05)]
    pub null_user_share: f64,
    /// Share of events written twice.
    #[arg(long, default_value_t = 0.01)]
    pub duplicate_share: f64,
    /// Share of product page views with an invalid product id.
    #[arg(long, default_value_t = 0.005)]
    pub invalid_product_share: f64,
    /// Share of lines cut short (malformed JSON).
    #[arg(long, default_value_t = 0.001)]
    pub malformed_share: f64,
    /// Share of events without a timestamp.
    #[arg(long, default_value_t = 0.001)]
    pub missing_field_share: f64,
    /// Share of events that arrive 1 to 3 hours late.
    #[arg(long, default_value_t = 0.01)]
    pub late_share: f64,
    /// From this fraction of the hours on, events carry a new field (schema drift).
    #[arg(long, default_value_t = 0.5)]
    pub drift_from: f64,
}

/// A whole count of events, at least one: `100000`, `1M`, `200K`.
fn events(text: &str) -> Result<u64, String> {
    let count = pipecalc::units::parse_count(text)?.0;
    if !(1.0..=1e12).contains(&count) || count.fract() != 0.0 {
        return Err(format!(
            "`{text}` is not a whole number of events from 1 to 1T"
        ));
    }
    Ok(count as u64)
}

fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
        .ok_or_else(|| format!("`{text}` is not a number"))
}

fn whole(text: &str, least: u64, most: u64, what: &str) -> Result<u64, String> {
    let value = number(text)?;
    if value.fract() != 0.0 || value < least as f64 || value > most as f64 {
        return Err(format!(
            "`{text}` is not a whole number of {what} from {least} to {most}"
        ));
    }
    Ok(value as u64)
}

/// A worker count for the calculator: 1 to [`MAX_WORKERS`].
fn workers(text: &str) -> Result<u32, String> {
    whole(text, 1, u64::from(MAX_WORKERS), "workers").map(|n| n as u32)
}

/// Threads for the reference pipeline: more than 1024 on one machine only
/// contend, and each holds a batch in memory.
fn threads(text: &str) -> Result<usize, String> {
    whole(text, 1, 1024, "worker threads").map(|n| n as usize)
}

fn repeat(text: &str) -> Result<usize, String> {
    whole(text, 1, 100, "runs").map(|n| n as usize)
}

fn batch_rows(text: &str) -> Result<usize, String> {
    whole(text, 1, 1 << 24, "rows").map(|n| n as usize)
}

/// The longest line the pipeline reads: 1 KiB to 1 GiB, so the limit can
/// never wrap around.
fn max_line_bytes(text: &str) -> Result<usize, String> {
    whole(text, 1 << 10, 1 << 30, "bytes").map(|n| n as usize)
}

/// A number that `accept` allows, else `refusal` (which says what to write).
fn number_where(text: &str, accept: impl Fn(f64) -> bool, refusal: &str) -> Result<f64, String> {
    let value = number(text)?;
    if accept(value) {
        Ok(value)
    } else {
        Err(format!("`{text}` {refusal}"))
    }
}

/// A volume factor: above zero (0.5 halves the data, 10 is ten times).
fn factor(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| v > 0.0 && v <= 1e9,
        "is not a volume factor; use a number above 0 and at most 1e9 (2 doubles the data, 0.5 halves it)",
    )
}

/// A compression what-if: 1 or more (5 stores a fifth).
fn compression(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| (1.0..=1e6).contains(&v),
        "is not a compression ratio; use 1 or more (5 stores a fifth; below 1 would expand the data)",
    )
}

/// A tolerance in percent, 0 or more.
fn tolerance(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| v >= 0.0,
        "is not a tolerance; use a percentage of 0 or more",
    )
}

#[derive(Args)]
pub struct RunArgs {
    /// Folder of log files (*.jsonl).
    #[arg(long)]
    pub input: PathBuf,
    /// Output folder (the data lake).
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads (1 to 1024).
    #[arg(long, default_value_t = 1, value_parser = threads, allow_negative_numbers = true)]
    pub workers: usize,
    /// Crash on purpose part-way through a stage, e.g. transform:0.5.
    #[arg(long, value_name = "STAGE:FRACTION")]
    pub fail_at: Option<pipecalc::reference::pipeline::FailAt>,
    /// Continue from the last completed stage.
    #[arg(long)]
    pub resume: bool,
    /// Attempts per log file when reading fails.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// Make the first N file reads fail once (to see retries at work).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub inject_read_failures: u32,
    /// Rows per Parquet batch.
    #[arg(long, default_value_t = 65_536, value_parser = batch_rows, allow_negative_numbers = true)]
    pub batch_rows: usize,
    /// Lines longer than this are quarantined.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES", value_parser = max_line_bytes, allow_negative_numbers = true)]
    pub max_line_bytes: usize,
    /// Output format of the report.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Args)]
pub struct CalibrateArgs {
    /// Events in the sample (a count: 200K).
    #[arg(long, default_value = "200K", value_parser = events)]
    pub events: u64,
    /// Workers to measure with (throughputs are written per worker).
    #[arg(long, default_value_t = 1, value_parser = threads, allow_negative_numbers = true)]
    pub workers: usize,
    /// Runs to take the median of.
    #[arg(long, default_value_t = 3, value_parser = repeat, allow_negative_numbers = true)]
    pub repeat: usize,
    /// Seed of the generated sample.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Where to write the scenario [default: print it].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct ValidateArgs {
    /// The scenario to hold against this machine (its stages must be ingest, transform, aggregate, load).
    pub scenario: PathBuf,
    /// Events to calibrate on.
    #[arg(long, default_value = "200K", value_parser = events)]
    pub sample: u64,
    /// Events of the run to predict and measure.
    #[arg(long, default_value = "2M", value_parser = events)]
    pub target: u64,
    /// Worker counts to predict and measure, e.g. 1,2.
    #[arg(long, value_delimiter = ',', default_value = "1,2", value_parser = threads, allow_negative_numbers = true)]
    pub workers: Vec<usize>,
    /// Runs to take the median of.
    #[arg(long, default_value_t = 3, value_parser = repeat, allow_negative_numbers = true)]
    pub repeat: usize,
    /// Seed of the generated sample (the target uses the next one).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Tolerance for rows, in percent.
    #[arg(long, default_value_t = 2.0, value_name = "PCT", value_parser = tolerance, allow_negative_numbers = true)]
    pub tolerance_rows: f64,
    /// Tolerance for bytes, in percent.
    #[arg(long, default_value_t = 2.0, value_name = "PCT", value_parser = tolerance, allow_negative_numbers = true)]
    pub tolerance_bytes: f64,
    /// Tolerance for times, in percent.
    #[arg(long, default_value_t = 25.0, value_name = "PCT", value_parser = tolerance, allow_negative_numbers = true)]
    pub tolerance_time: f64,
    /// Tolerance for memory, in percent.
    #[arg(long, default_value_t = 50.0, value_name = "PCT", value_parser = tolerance, allow_negative_numbers = true)]
    pub tolerance_memory: f64,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Args)]
pub struct WhatIf {
    /// Run with this many workers instead of the scenario's.
    #[arg(long, value_name = "N", value_parser = workers, allow_negative_numbers = true)]
    pub workers: Option<u32>,
    /// Multiply the events per day by this factor (2 = twice the data).
    #[arg(long, value_name = "FACTOR", value_parser = factor, allow_negative_numbers = true)]
    pub scale: Option<f64>,
    /// Compress every stored dataset at least this many times (5 = a fifth of the bytes); a dataset already compressed more keeps its own ratio.
    #[arg(long, value_name = "RATIO", value_parser = compression, allow_negative_numbers = true)]
    pub compression: Option<f64>,
}

#[derive(Args)]
pub struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Show each figure's formula with the values put in, and where every input came from.
    #[arg(long)]
    pub explain: bool,
}

impl Output {
    pub fn options(&self) -> commands::Output {
        commands::Output {
            format: self.format,
            style: Style {
                explain: self.explain,
                // Not a terminal: a fixed width, so piped output is stable.
                width: if std::io::stdout().is_terminal() {
                    None
                } else {
                    Some(120)
                },
            },
        }
    }
}

pub fn validate_options(args: &ValidateArgs) -> pipecalc::validate::ValidateOptions {
    pipecalc::validate::ValidateOptions {
        sample: args.sample,
        target: args.target,
        workers: args.workers.clone(),
        repeat: args.repeat,
        seed: args.seed,
        tolerances: pipecalc::validate::Tolerances {
            rows: args.tolerance_rows / 100.0,
            bytes: args.tolerance_bytes / 100.0,
            time: args.tolerance_time / 100.0,
            memory: args.tolerance_memory / 100.0,
        },
    }
}

/// Runs the command: the text to print and how the process exits.
pub fn run(cli: Cli) -> Result<(String, ExitStatus)> {
    let text = match cli.command {
        Command::Validate(args) => {
            let options = validate_options(&args);
            let (text, within) =
                commands::validate(&args.scenario, &options, &args.output.options())?;
            let status = if within {
                ExitStatus::Success
            } else {
                ExitStatus::CheckFailed
            };
            return Ok((text, status));
        }
        Command::Estimate {
            scenario,
            what_if,
            output,
        } => commands::estimate(
            &scenario,
            &commands::WhatIf {
                workers: what_if.workers,
                scale: what_if.scale,
                compression: what_if.compression,
            },
            &output.options(),
        ),
        Command::Scale {
            scenario,
            factors,
            workers,
            compression,
            output,
        } => commands::scale(&scenario, factors, workers, compression, &output.options()),
        Command::Workers {
            scenario,
            scale,
            max_workers,
            output,
        } => commands::workers(&scenario, scale, max_workers, &output.options()),
        Command::Growth {
            scenario,
            years,
            growth,
            output,
        } => commands::growth(&scenario, years, growth.as_deref(), &output.options()),
        Command::Compare { scenarios, output } => commands::compare(&scenarios, &output.options()),
        Command::Check { scenarios } => commands::check(&scenarios),
        Command::Schema { document } => commands::schema(&document),
        Command::Calibrate(args) => commands::calibrate(
            &pipecalc::validate::CalibrateOptions {
                events: args.events,
                workers: args.workers,
                repeat: args.repeat,
                seed: args.seed,
            },
            args.out.as_deref(),
        ),
        Command::Generate(args) => commands::generate(
            &GeneratorConfig {
                events: args.events,
                days: args.days,
                seed: args.seed,
                products: args.products,
                page_view_share: args.page_view_share,
                null_user_share: args.null_user_share,
                duplicate_share: args.duplicate_share,
                invalid_product_share: args.invalid_product_share,
                malformed_share: args.malformed_share,
                missing_field_share: args.missing_field_share,
                late_share: args.late_share,
                drift_from: args.drift_from,
                ..GeneratorConfig::default()
            },
            &args.out,
        ),
        Command::Run(args) => {
            let output = Output {
                format: args.format,
                explain: false,
            };
            let mut config = RunConfig::new(args.input, args.out);
            config.workers = args.workers;
            config.fail_at = args.fail_at;
            config.resume = args.resume;
            config.retries = args.retries;
            config.inject_read_failures = args.inject_read_failures;
            config.batch_rows = args.batch_rows;
            config.max_line_bytes = args.max_line_bytes;
            config.progress = true;
            commands::run(&config, &output.options())
        }
    }?;
    Ok((text, ExitStatus::Success))
}
