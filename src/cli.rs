//! The command line: clap's derive over the commands and their options,
//! and the parsers that bound every numeric value, so a bad value on the
//! command line is a usage error (exit 2) naming its option.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use pipecalc::args::*;
use pipecalc::commands::{self, ExitStatus};
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
    #[command(flatten)]
    pub config: GeneratorConfig,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: RunConfig,
    /// Output format of the report.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub options: pipecalc::validate::CalibrateOptions,
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
/// What a command printed, how it exits, and the error to print after its
/// text (a pipeline run that stopped reports what it finished first).
pub struct Outcome {
    pub text: String,
    pub status: ExitStatus,
    pub error: Option<anyhow::Error>,
}

pub fn run(cli: Cli) -> Outcome {
    match dispatch(cli) {
        Ok(outcome) => outcome,
        Err(error) => Outcome {
            text: String::new(),
            status: ExitStatus::Error,
            error: Some(error),
        },
    }
}

fn done(text: String, status: ExitStatus) -> Result<Outcome> {
    Ok(Outcome {
        text,
        status,
        error: None,
    })
}

fn dispatch(cli: Cli) -> Result<Outcome> {
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
            return done(text, status);
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
        Command::Calibrate(args) => commands::calibrate(&args.options, args.out.as_deref()),
        Command::Generate(args) => commands::generate(&args.config, &args.out),
        Command::Run(args) => {
            let output = Output {
                format: args.format,
                explain: false,
            };
            let config = RunConfig {
                progress: true,
                ..args.config
            };
            let ran = commands::run(&config, &output.options())?;
            for warning in &ran.warnings {
                eprintln!("warning: {warning}");
            }
            return Ok(Outcome {
                text: ran.text,
                status: if ran.error.is_some() {
                    ExitStatus::Error
                } else {
                    ExitStatus::Success
                },
                error: ran.error,
            });
        }
    }?;
    done(text, ExitStatus::Success)
}
