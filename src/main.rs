//! The `pipecalc` command: parses arguments, calls the library, prints.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use pipecalc::commands;
use pipecalc::reference::generator::GeneratorConfig;
use pipecalc::reference::pipeline::RunConfig;
use pipecalc::report::{Format, Style};

#[derive(Parser)]
#[command(
    name = "pipecalc",
    version,
    about = "Plan a data pipeline before you build it: time, memory, storage, network and cost from a YAML scenario",
    after_help = "Start with: pipecalc estimate scenarios/clickstream.yaml --explain"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        #[arg(long, value_delimiter = ',', value_name = "FACTORS")]
        factors: Option<Vec<f64>>,
        /// Worker counts, e.g. 1,4,10 [default: the scenario's `scaling.workers`, else its `workers`].
        #[arg(long, value_delimiter = ',', value_name = "COUNTS")]
        workers: Option<Vec<u32>>,
        /// Also show storage with this compression ratio [default: the scenario's `scaling.compression`].
        #[arg(long, value_name = "RATIO")]
        compression: Option<f64>,
        #[command(flatten)]
        output: Output,
    },
    /// Find the fewest workers that meet the deadline, with time and cost at each count.
    Workers {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// Multiply the events per day by this factor first.
        #[arg(long, value_name = "FACTOR")]
        scale: Option<f64>,
        /// Try up to this many workers [default: the scenario's `scaling.max_workers`, else 64].
        #[arg(long, value_name = "N")]
        max_workers: Option<u32>,
        #[command(flatten)]
        output: Output,
    },
    /// Volume, storage and run time year by year as the data grows.
    Growth {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// Years to project.
        #[arg(long, default_value_t = 5, value_name = "N")]
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
}

#[derive(Args)]
struct GenerateArgs {
    /// Events in all (a count: 100000, 1M).
    #[arg(long, default_value = "100K", value_parser = parse_count)]
    events: u64,
    /// Days of logs.
    #[arg(long, default_value_t = 1)]
    days: u32,
    /// Random seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Distinct products (popularity is Zipf-like).
    #[arg(long, default_value_t = 50_000)]
    products: u32,
    /// Share of events that are page views.
    #[arg(long, default_value_t = 0.8)]
    page_view_share: f64,
    /// Share of events with a null user_id.
    #[arg(long, default_value_t = 0.05)]
    null_user_share: f64,
    /// Share of events written twice.
    #[arg(long, default_value_t = 0.01)]
    duplicate_share: f64,
    /// Share of product page views with an invalid product id.
    #[arg(long, default_value_t = 0.005)]
    invalid_product_share: f64,
    /// Share of lines cut short (malformed JSON).
    #[arg(long, default_value_t = 0.001)]
    malformed_share: f64,
    /// Share of events without a timestamp.
    #[arg(long, default_value_t = 0.001)]
    missing_field_share: f64,
    /// Share of events that arrive 1 to 3 hours late.
    #[arg(long, default_value_t = 0.01)]
    late_share: f64,
    /// From this fraction of the hours on, events carry a new field (schema drift).
    #[arg(long, default_value_t = 0.5)]
    drift_from: f64,
}

fn parse_count(text: &str) -> Result<u64, String> {
    let count = pipecalc::units::parse_count(text)?.0;
    if count < 0.0 || count.fract() != 0.0 {
        return Err(format!("`{text}` is not a whole number"));
    }
    Ok(count as u64)
}

#[derive(Args)]
struct RunArgs {
    /// Folder of log files (*.jsonl).
    #[arg(long)]
    input: PathBuf,
    /// Output folder (the data lake).
    #[arg(long)]
    out: PathBuf,
    /// Worker threads.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Crash on purpose part-way through a stage, e.g. transform:0.5.
    #[arg(long, value_name = "STAGE:FRACTION")]
    fail_at: Option<pipecalc::reference::pipeline::FailAt>,
    /// Continue from the last completed stage.
    #[arg(long)]
    resume: bool,
    /// Attempts per log file when reading fails.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// Make the first N file reads fail once (to see retries at work).
    #[arg(long, default_value_t = 0, value_name = "N")]
    inject_read_failures: u32,
    /// Rows per Parquet batch.
    #[arg(long, default_value_t = 65_536)]
    batch_rows: usize,
    /// Lines longer than this are quarantined.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    max_line_bytes: usize,
    /// Output format of the report.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Args)]
struct CalibrateArgs {
    /// Events in the sample (a count: 200K).
    #[arg(long, default_value = "200K", value_parser = parse_count)]
    events: u64,
    /// Workers to measure with (throughputs are written per worker).
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Runs to take the median of.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Seed of the generated sample.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Where to write the scenario [default: print it].
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct ValidateArgs {
    /// The scenario to hold against this machine (its stages must be ingest, transform, aggregate, load).
    scenario: PathBuf,
    /// Events to calibrate on.
    #[arg(long, default_value = "200K", value_parser = parse_count)]
    sample: u64,
    /// Events of the run to predict and measure.
    #[arg(long, default_value = "2M", value_parser = parse_count)]
    target: u64,
    /// Worker counts to predict and measure, e.g. 1,2.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    workers: Vec<usize>,
    /// Runs to take the median of.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Seed of the generated sample (the target uses the next one).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Tolerance for rows, in percent.
    #[arg(long, default_value_t = 2.0, value_name = "PCT")]
    tolerance_rows: f64,
    /// Tolerance for bytes, in percent.
    #[arg(long, default_value_t = 2.0, value_name = "PCT")]
    tolerance_bytes: f64,
    /// Tolerance for times, in percent.
    #[arg(long, default_value_t = 25.0, value_name = "PCT")]
    tolerance_time: f64,
    /// Tolerance for memory, in percent.
    #[arg(long, default_value_t = 50.0, value_name = "PCT")]
    tolerance_memory: f64,
    #[command(flatten)]
    output: Output,
}

#[derive(Args)]
struct WhatIf {
    /// Run with this many workers instead of the scenario's.
    #[arg(long, value_name = "N")]
    workers: Option<u32>,
    /// Multiply the events per day by this factor (2 = twice the data).
    #[arg(long, value_name = "FACTOR")]
    scale: Option<f64>,
    /// Compress every stored dataset by this ratio (5 = a fifth of the bytes).
    #[arg(long, value_name = "RATIO")]
    compression: Option<f64>,
}

#[derive(Args)]
struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Show each figure's formula with the values put in, and where every input came from.
    #[arg(long)]
    explain: bool,
}

impl Output {
    fn options(&self) -> commands::Output {
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

fn validate_options(args: &ValidateArgs) -> Result<pipecalc::validate::ValidateOptions> {
    let tolerance = |percent: f64, flag: &str| {
        if percent.is_finite() && percent >= 0.0 {
            Ok(percent / 100.0)
        } else {
            Err(anyhow::anyhow!(
                "`{flag}` is {percent}; a tolerance is a percentage of 0 or more"
            ))
        }
    };
    Ok(pipecalc::validate::ValidateOptions {
        sample: args.sample,
        target: args.target,
        workers: args.workers.clone(),
        repeat: args.repeat.max(1),
        seed: args.seed,
        tolerances: pipecalc::validate::Tolerances {
            rows: tolerance(args.tolerance_rows, "--tolerance-rows")?,
            bytes: tolerance(args.tolerance_bytes, "--tolerance-bytes")?,
            time: tolerance(args.tolerance_time, "--tolerance-time")?,
            memory: tolerance(args.tolerance_memory, "--tolerance-memory")?,
        },
    })
}

/// The text to print and the exit code: 0, or 3 when `validate` finds
/// figures outside their tolerance.
fn run(cli: Cli) -> Result<(String, u8)> {
    let text = match cli.command {
        Command::Validate(args) => {
            let options = validate_options(&args)?;
            let (text, within) =
                commands::validate(&args.scenario, &options, &args.output.options())?;
            return Ok((text, if within { 0 } else { 3 }));
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
        Command::Calibrate(args) => commands::calibrate(
            &pipecalc::validate::CalibrateOptions {
                events: args.events,
                workers: args.workers,
                repeat: args.repeat.max(1),
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
            config.batch_rows = args.batch_rows.max(1);
            config.max_line_bytes = args.max_line_bytes;
            config.progress = true;
            commands::run(&config, &output.options())
        }
    }?;
    Ok((text, 0))
}

fn main() -> ExitCode {
    // Usage errors exit 2 through clap; --help and --version exit 0.
    let cli = Cli::parse();
    match run(cli) {
        Ok((text, code)) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout.write_all(text.as_bytes());
            ExitCode::from(code)
        }
        Err(error) => {
            // The chain, never a backtrace, whatever RUST_BACKTRACE says.
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {error}");
            for cause in error.chain().skip(1) {
                let _ = writeln!(stderr, "caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}
