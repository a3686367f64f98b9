//! The `pipecalc` command: parses arguments, calls the library, prints.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use pipecalc::commands;
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
    /// Validate scenario files without estimating; exit 1 on the first bad one.
    Check {
        /// The scenario files (YAML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
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

fn run(cli: Cli) -> Result<String> {
    match cli.command {
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
    }
}

fn main() -> ExitCode {
    // Usage errors exit 2 through clap; --help and --version exit 0.
    let cli = Cli::parse();
    match run(cli) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout.write_all(text.as_bytes());
            ExitCode::SUCCESS
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
