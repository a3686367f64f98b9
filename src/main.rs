//! The `pipecalc` command: parses arguments, calls the library, prints.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use pipecalc::report::{self, Format, Style};
use pipecalc::scenario::{self, Scenario};

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
    fn style(&self) -> Style {
        Style {
            explain: self.explain,
            width: if std::io::stdout().is_terminal() {
                None
            } else {
                Some(120)
            },
        }
    }
}

fn load(path: &std::path::Path, what_if: &WhatIf) -> Result<Scenario> {
    let mut scenario = scenario::load(path)?;
    if let Some(workers) = what_if.workers {
        scenario = scenario.with_workers(workers, "--workers")?;
    }
    if let Some(factor) = what_if.scale {
        scenario = scenario.with_scale(factor, "--scale")?;
    }
    Ok(scenario)
}

fn run(cli: Cli) -> Result<String> {
    match cli.command {
        Command::Estimate {
            scenario,
            what_if,
            output,
        } => {
            let scenario = load(&scenario, &what_if)?;
            let estimate = pipecalc::estimate(&scenario);
            Ok(match output.format {
                Format::Json => report::to_json(&report::json::estimate(
                    &scenario,
                    &estimate,
                    output.explain,
                )),
                format => report::render(
                    &report::estimate::document(&scenario, &estimate, output.explain),
                    format,
                    output.style(),
                ),
            })
        }
        Command::Check { scenarios } => {
            let mut out = String::new();
            for path in &scenarios {
                let scenario = scenario::load(path)?;
                out.push_str(&format!(
                    "ok: {} ({}: {} stages, {} datasets, {} transfers)\n",
                    path.display(),
                    scenario.name,
                    scenario.stages.len(),
                    scenario.storage.len(),
                    scenario.network.as_ref().map_or(0, |n| n.transfers.len()),
                ));
            }
            Ok(out)
        }
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
