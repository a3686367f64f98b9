//! The command line: clap's derive over the commands and their options,
//! and the parsers that bound every numeric value, so a bad value on the
//! command line is a usage error (exit 2) naming its option.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use pipecalc::args::*;
use pipecalc::commands::{self, ExitStatus};
use pipecalc::reference::generator::GeneratorConfig;
use pipecalc::reference::pipeline::RunConfig;
use pipecalc::report::{Format, Style, Width};

#[derive(Parser)]
#[command(
    name = "pipecalc",
    version,
    about = "Plan a data pipeline before you build it: time, memory, storage, network and cost from a YAML scenario",
    after_help = "The week's five commands come first: estimate, scale, workers, compare, init.\nStart with: pipecalc estimate scenarios/clickstream.yaml --explain\n\nExit codes: 0 ok; 1 error; 2 usage (a bad option or value); 3 a check that did not pass (validate, --fail-on, --max-monthly-usd, --fail-above)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Estimate time, memory, storage, network and cost for a scenario.
    #[command(
        after_help = "Examples:\n  pipecalc estimate scenarios/clickstream.yaml --explain\n  pipecalc estimate scenarios/clickstream.yaml --workers 4 --scale 10\n  cat my.yaml | pipecalc estimate - --format json\n  pipecalc estimate my.yaml --fail-on deadline,memory --max-monthly-usd 500   # exit 3 when breached\n  pipecalc estimate my.yaml -o report.txt --export json=report.json"
    )]
    Estimate {
        /// The scenario file (YAML), or - for standard input.
        scenario: PathBuf,
        #[command(flatten)]
        what_if: WhatIf,
        /// Exit 3 when the estimate breaches any of these: deadline (a batch run misses it), memory (does not fit), link (what crosses the link misses its window), latency (a stream misses its latency target, or any plan its freshness_target).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "CHECKS")]
        fail_on: Vec<pipecalc::study::gates::Gate>,
        /// Exit 3 when the total cost a month is above this many US dollars.
        #[arg(long, value_name = "USD", value_parser = usd, allow_negative_numbers = true)]
        max_monthly_usd: Option<f64>,
        /// Which inputs drive the answer: every point input a person estimates read as ± this share [default when given: 20%].
        #[arg(long, value_name = "PCT", num_args = 0..=1, default_missing_value = "20%", value_parser = spread)]
        sensitivity: Option<f64>,
        /// Also a Monte Carlo of N draws over the ranges, with p5, p50 and p95 (or --percentiles).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        samples: Option<u32>,
        /// The Monte Carlo's percentiles, e.g. 10,50,90 or 99.9 [default: 5,50,95].
        #[arg(long, value_delimiter = ',', value_name = "PCTS", requires = "samples", value_parser = percentile)]
        percentiles: Vec<f64>,
        /// Seed of the Monte Carlo: the same seed, the same percentiles.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Fail (exit 1) when the scenario has values that are valid but very likely wrong.
        #[arg(long)]
        deny_warnings: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Project the scenario at other volumes and worker counts, side by side.
    #[command(
        after_help = "Examples:\n  pipecalc scale scenarios/clickstream.yaml\n  pipecalc scale scenarios/clickstream.yaml --factors 1,2,10,100 --workers 1,4,10\n  pipecalc scale scenarios/clickstream.yaml --compression 5 --format csv"
    )]
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
    #[command(
        after_help = "Examples:\n  pipecalc workers scenarios/clickstream.yaml\n  pipecalc workers scenarios/clickstream.yaml --scale 10 --max-workers 200"
    )]
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
    #[command(
        after_help = "Examples:\n  pipecalc growth scenarios/clickstream.yaml\n  pipecalc growth scenarios/clickstream.yaml --years 10 --growth \"58% per year\""
    )]
    Growth {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// Years to project.
        #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100), allow_negative_numbers = true)]
        years: u32,
        /// Growth rate, e.g. "10x per 5 years" or "58% per year" [default: the scenario's `scaling.growth`, else the lecture's 10x per 5 years].
        #[arg(long, value_name = "RATE", allow_hyphen_values = true, value_parser = growth)]
        growth: Option<pipecalc::scenario::Growth>,
        /// Label the years as calendar years from this one, e.g. --from 2010.
        #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1900..=2200))]
        from: Option<i32>,
        #[command(flatten)]
        output: Output,
    },
    /// Compare two or more scenarios: changed inputs, then every figure with its change.
    #[command(
        after_help = "Examples:\n  pipecalc compare scenarios/clickstream.yaml scenarios/clickstream-10x.yaml\n  pipecalc compare base.yaml change.yaml --fail-above total_usd_per_month=10%   # a pull-request check, exit 3\n  pipecalc compare a.yaml b.yaml c.yaml --format markdown"
    )]
    Compare {
        /// The scenario files (YAML); the first is the baseline. At least two.
        #[arg(required = true, value_name = "SCENARIOS")]
        scenarios: Vec<PathBuf>,
        /// Exit 3 when a figure rises from the baseline by more than this: 10% for every figure, or total_usd_per_month=10% for one (repeatable).
        #[arg(long, value_name = "[FIGURE=]PCT", value_parser = pipecalc::study::gates::rise_limit)]
        fail_above: Vec<pipecalc::study::gates::RiseLimit>,
        #[command(flatten)]
        output: Output,
    },
    /// Write a scenario to start from: every key with its unit and default, the optional ones commented out.
    #[command(
        after_help = "Examples:\n  pipecalc init my-pipeline\n  pipecalc init big --preset large\n  pipecalc init --preset small --stdout | pipecalc estimate -"
    )]
    Init {
        /// The scenario's name; it is written to NAME.yaml (or to standard output with --stdout).
        #[arg(default_value = "scenario")]
        name: String,
        /// Starting numbers.
        #[arg(long, value_enum, default_value = "lecture")]
        preset: pipecalc::init::Preset,
        /// Print the scenario instead of writing NAME.yaml.
        #[arg(long)]
        stdout: bool,
        /// Replace NAME.yaml if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Generate synthetic clickstream logs (one JSON-lines file per hour) and their ground truth.
    #[command(
        after_help = "Examples:\n  pipecalc generate --out data/logs\n  pipecalc generate --events 1M --days 2 --seed 7 --out data/logs\n  pipecalc generate --events 200K --null-user-share 0.2 --out data/dirty"
    )]
    Generate(GenerateArgs),
    /// Run the reference pipeline (ingest, transform, aggregate, load) on generated logs.
    #[command(
        after_help = "Examples:\n  pipecalc run --input data/logs --out data/lake --workers 2\n  pipecalc run --input data/logs --out data/lake --fail-at transform:0.5   # then --resume\n  pipecalc run --input shop/logs --out shop/lake --field timestamp=ts --field page=url --product-pattern '^/product/([0-9]+)$'"
    )]
    Run(RunArgs),
    /// Measure this machine with the reference pipeline and write a scenario the calculator reads.
    #[command(
        after_help = "Examples:\n  pipecalc calibrate --out my-laptop.yaml\n  pipecalc calibrate --events 500K --workers 2 --repeat 5 --out my-laptop.yaml\n  pipecalc calibrate --from /tmp/spark-events/eventlog_v2_local-1795711215852 --out my-job.yaml"
    )]
    Calibrate(CalibrateArgs),
    /// Hold the model against measured runs: calibrate on a sample (or a measured run), predict a target, run (or read) it, compare.
    /// Exit code 0 when no figure is off, 3 when some are (a miss within the runs' own noise is "too noisy", not off).
    #[command(
        after_help = "Examples:\n  pipecalc validate scenarios/clickstream.yaml\n  pipecalc validate scenarios/clickstream.yaml --sample 100K --target 1M --workers 1,2 --export json=validate.json\n  pipecalc validate my-job.yaml --calibrate-from SMALL_RUN --against BIG_RUN --against BIG_RUN_2_CORES"
    )]
    Validate(ValidateArgs),
    /// Validate scenario files without estimating: every bad file's error; exit 1 if any is bad.
    #[command(
        after_help = "Examples:\n  pipecalc check scenarios/*.yaml\n  pipecalc check --deny-warnings my.yaml   # a CI lint: a warning fails it\n  pipecalc init my-pipeline && pipecalc check my-pipeline.yaml"
    )]
    Check {
        /// The scenario files (YAML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Fail (exit 1) when a scenario has values that are valid but very likely wrong.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Show a measured run per stage: a pipecalc output folder or run.json, or a Spark event log (a file or a rolling folder).
    #[command(
        after_help = "Examples:\n  pipecalc inspect data/lake\n  pipecalc inspect /tmp/spark-events/eventlog_v2_local-1795710894050 --format json"
    )]
    Inspect {
        /// The run: a pipecalc output folder, its run.json, or a Spark event log.
        run: PathBuf,
        /// Map a Spark log's untagged jobs onto stages by job id: YAML or JSON, e.g. {"0": ingest, "1-3": transform}.
        #[arg(long, value_name = "FILE")]
        stage_map: Option<PathBuf>,
        #[command(flatten)]
        output: Output,
    },
    /// Print a shell completion script, e.g. pipecalc completions bash > ~/.local/share/bash-completion/completions/pipecalc.
    #[command(
        after_help = "Examples:\n  pipecalc completions bash > ~/.local/share/bash-completion/completions/pipecalc\n  pipecalc completions zsh > ~/.zfunc/_pipecalc\n  pipecalc completions fish > ~/.config/fish/completions/pipecalc.fish\n  pipecalc completions powershell >> $PROFILE"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print pipecalc's man page (roff), e.g. pipecalc man > ~/.local/share/man/man1/pipecalc.1.
    #[command(
        after_help = "Examples:\n  pipecalc man > ~/.local/share/man/man1/pipecalc.1 && man pipecalc"
    )]
    Man,
    /// List and search the price catalog built into this binary: each entry's price, billing, source and date.
    #[command(
        after_help = "Examples:\n  pipecalc prices\n  pipecalc prices m7i --provider aws\n  pipecalc prices bigquery --format json"
    )]
    Prices {
        /// Words every entry shown holds (in its id, kind or note), e.g. m7i, storage, bigquery.
        search: Vec<String>,
        /// Only this provider's entries: aws, gcp, azure.
        #[arg(long)]
        provider: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Print the JSON Schema of a JSON document pipecalc writes (also in docs/schema/).
    #[command(
        after_help = "Examples:\n  pipecalc schema estimate > estimate.schema.json\n  pipecalc schema run"
    )]
    Schema {
        /// Which document: estimate, scale, workers, growth, compare, validate, run (run.json), inspect, scenario or prices.
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
    /// Events in the sample (a count: 200K; at least 1000).
    #[arg(long, value_parser = sample_events)]
    pub events: Option<u64>,
    /// Workers to measure with (throughputs are written per worker); with --plan, the target's workers.
    #[arg(long, default_value_t = 1, value_parser = threads, allow_negative_numbers = true)]
    pub workers: usize,
    /// Runs of each size [default: 3]: the fit uses each size's quietest, the others show the noise.
    #[arg(long, value_parser = repeat, allow_negative_numbers = true)]
    pub repeat: Option<usize>,
    /// Seed of the generated sample [default: 7].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Calibrate from measured runs instead of measuring this machine: a pipecalc output folder or its run.json, or a Spark event log (a file or a rolling folder). Repeat it with runs of several sizes (and worker counts) to fit fixed costs and serial work: --from a --from b --from c.
    #[arg(long, value_name = "RUN", conflicts_with = "events")]
    pub from: Vec<PathBuf>,
    /// Propose the sample runs to make for a job of --target events on --workers, --repeat times each, and what each costs (predicted from --from runs, when given); with --out, write their commands as a script.
    #[arg(long, requires = "target", conflicts_with = "events")]
    pub plan: bool,
    /// With --plan: the events of the run to predict.
    #[arg(long, value_parser = pipecalc::args::events, requires = "plan")]
    pub target: Option<u64>,
    /// With --plan: the time the sample runs may take in all; the costliest are dropped until they fit.
    #[arg(long, value_parser = duration_seconds, requires = "plan")]
    pub budget: Option<f64>,
    /// Map a Spark log's untagged jobs onto stages by job id: YAML or JSON, e.g. {"0": ingest, "1-3": transform}.
    #[arg(long, value_name = "FILE", requires = "from")]
    pub stage_map: Option<PathBuf>,
    /// Use an unfinished log (still being written, or of a killed application): only its finished stages count.
    #[arg(long, requires = "from")]
    pub allow_incomplete: bool,
    /// Where to write the scenario [default: print it].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
}

#[derive(Args)]
pub struct ValidateArgs {
    /// Your scenario, set beside the calibrated prediction (with --sample/--target its stages must be ingest, transform, aggregate, load).
    pub scenario: PathBuf,
    /// Calibrate from this measured run (a pipecalc run or a Spark event log) instead of a generated sample; repeat it with runs of several sizes to fit fixed costs.
    #[arg(long, value_name = "RUN", requires = "against", conflicts_with_all = ["sample", "target", "workers", "repeat", "seed"])]
    pub calibrate_from: Vec<PathBuf>,
    /// Use unfinished logs (still being written, or of a killed application); each is marked in the report.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// A measured run to predict from the calibration at its own volume and workers (repeat for more).
    #[arg(long, value_name = "RUN", requires = "calibrate_from")]
    pub against: Vec<PathBuf>,
    /// Map the Spark logs' untagged jobs onto stages by job id: YAML or JSON, e.g. {"0": ingest, "1-3": transform}.
    #[arg(long, value_name = "FILE", requires = "calibrate_from")]
    pub stage_map: Option<PathBuf>,
    /// Events to calibrate on (at least 1000).
    #[arg(long, default_value = "200K", value_parser = sample_events)]
    pub sample: u64,
    /// Events of the run to predict and measure.
    #[arg(long, default_value = "2M", value_parser = events)]
    pub target: u64,
    /// Worker counts to predict and measure, e.g. 1,2,4 [default: 1, 2 and this machine's cores, so the USL can be fitted where there are three].
    #[arg(long, value_delimiter = ',', value_parser = threads, allow_negative_numbers = true)]
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
    /// Write the report to FILE instead of the terminal (written whole, or not at all).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the report in another format to a file, e.g. --export json=report.json --export csv=report.csv.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = ExportParser)]
    pub export: Vec<(Format, PathBuf)>,
}

/// `--sensitivity 20%`: a share from 1% to 90%.
fn spread(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    number
        .parse::<f64>()
        .ok()
        .filter(|p| (1.0..=90.0).contains(p))
        .map(|p| p / 100.0)
        .ok_or_else(|| {
            format!("`{text}` is not a spread; use a percentage from 1% to 90%, e.g. 20%")
        })
}

/// Tables fit a terminal (or `COLUMNS`, when set); piped output is laid out
/// at a fixed 120 columns without wrapping, so its bytes are stable.
fn width(terminal: bool) -> Width {
    let columns = std::env::var("COLUMNS").ok();
    if terminal || columns.is_some() {
        let detected = comfy_table::Table::new().width();
        Width::of_terminal(columns.as_deref(), detected)
    } else {
        Width::Fixed(120)
    }
}

/// `json=report.json`: a format and the file it goes to.
/// A duration on the command line (`10 min`), in seconds.
fn duration_seconds(text: &str) -> Result<f64, String> {
    let seconds = pipecalc::units::parse_duration(text)?.value;
    if seconds > 0.0 && seconds.is_finite() {
        Ok(seconds)
    } else {
        Err(format!(
            "`{text}` is not a duration above zero, e.g. 10 min"
        ))
    }
}

fn export(format: &str, file: std::ffi::OsString) -> Result<(Format, PathBuf), String> {
    use clap::ValueEnum;
    let format = Format::from_str(format.trim(), true).map_err(|_| {
        format!("`{format}` is not a format; formats are table, markdown, json, csv, html")
    })?;
    if file.is_empty() {
        return Err(format!(
            "`{format:?}=` names no file, e.g. json=report.json"
        ));
    }
    Ok((format, PathBuf::from(file)))
}

/// `--export FORMAT=FILE`, the file any path the system allows (not only
/// UTF-8, as every other path option takes), the format before the `=`.
#[derive(Clone)]
struct ExportParser;

impl clap::builder::TypedValueParser for ExportParser {
    type Value = (Format, PathBuf);

    fn parse_ref(
        &self,
        command: &clap::Command,
        argument: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let bad = |message: String| {
            let option = argument.map_or_else(|| "--export".to_string(), |a| a.to_string());
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "invalid value '{}' for '{option}': {message}\n",
                    value.to_string_lossy()
                ),
            )
            .with_cmd(command)
        };
        let bytes = value.as_encoded_bytes();
        let at = bytes.iter().position(|b| *b == b'=').ok_or_else(|| {
            bad(format!(
                "`{}` is not FORMAT=FILE, e.g. json=report.json",
                value.to_string_lossy()
            ))
        })?;
        let format = std::str::from_utf8(&bytes[..at])
            .map_err(|_| bad("the format before `=` is not text".into()))?;
        // SAFETY: split at an ASCII `=`, so both halves are valid encoded
        // OS strings, as `as_encoded_bytes` documents.
        let file = unsafe { std::ffi::OsStr::from_encoded_bytes_unchecked(&bytes[at + 1..]) };
        let trimmed = file
            .to_str()
            .map_or(file.to_os_string(), |f| f.trim().into());
        export(format, trimmed).map_err(bad)
    }
}

impl Output {
    /// The report's options; `reads` are the files the command reads, which
    /// no report may be written over or into. Every file a report would be
    /// written to is checked here, before the command does its work: none
    /// is one the command reads or lies inside a folder it reads, none is
    /// named twice.
    pub fn options(&self, reads: &[PathBuf]) -> anyhow::Result<commands::Output> {
        let reads_paths: Vec<&std::path::Path> = reads.iter().map(PathBuf::as_path).collect();
        let mut targets: Vec<&std::path::Path> = Vec::new();
        for path in self
            .output
            .iter()
            .map(PathBuf::as_path)
            .chain(self.export.iter().map(|(_, path)| path.as_path()))
        {
            if targets.iter().any(|t| same_file(t, path)) {
                use clap::CommandFactory;
                Cli::command()
                    .error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!(
                            "`{}` is named twice among -o and --export; each report needs a file of its own",
                            path.display()
                        ),
                    )
                    .exit();
            }
            pipecalc::reference::storage::refuse_output(path, &reads_paths)
                .with_context(|| format!("cannot write a report to `{}`", path.display()))?;
            targets.push(path);
        }
        Ok(commands::Output {
            format: self.format,
            style: Style {
                explain: self.explain,
                width: width(self.output.is_none() && std::io::stdout().is_terminal()),
            },
            exports: self.export.clone(),
            reads: reads.to_vec(),
        })
    }
}

/// Two names of one file: the same path, or (existing) the same device and
/// inode, or where they would land (`x` and `./x`).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    let absolute = |p: &std::path::Path| {
        let parent = p
            .parent()
            .filter(|q| !q.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        parent
            .canonicalize()
            .ok()
            .zip(p.file_name())
            .map(|(folder, name)| folder.join(name))
    };
    a == b || (absolute(a).is_some() && absolute(a) == absolute(b))
}

pub fn validate_options(
    args: &ValidateArgs,
) -> anyhow::Result<pipecalc::study::validate::ValidateOptions> {
    Ok(pipecalc::study::validate::ValidateOptions {
        binary: pipecalc::commands::this_binary()?,
        plan: match args.calibrate_from.is_empty() {
            false => pipecalc::study::validate::Plan::Measured {
                calibrate_from: args.calibrate_from.clone(),
                against: args.against.clone(),
                stage_map: args.stage_map.clone(),
                allow_incomplete: args.allow_incomplete,
            },
            true => pipecalc::study::validate::Plan::Generated {
                sample: args.sample,
                target: args.target,
                workers: if args.workers.is_empty() {
                    pipecalc::study::validate::default_workers()
                } else {
                    args.workers.clone()
                },
                repeat: args.repeat,
                seed: args.seed,
            },
        },
        progress: true,
        tolerances: pipecalc::study::hold::Tolerances {
            rows: args.tolerance_rows / 100.0,
            bytes: args.tolerance_bytes / 100.0,
            time: args.tolerance_time / 100.0,
            memory: args.tolerance_memory / 100.0,
        },
    })
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

/// A warning on stderr, shown and never obeyed by the terminal.
/// A warning is one line on stderr: a name holding a newline (a Spark
/// stage's tag, a path) must not write a line of its own.
fn warn(text: &str) {
    eprintln!("{}", pipecalc::text::printable(text));
}

/// The report to the terminal, or with `--output` to its file (then the
/// terminal gets nothing), never over a file the command reads.
fn deliver(text: String, output: &Output, reads: &[PathBuf]) -> Result<String> {
    match &output.output {
        Some(path) => {
            let reads: Vec<&std::path::Path> = reads.iter().map(PathBuf::as_path).collect();
            let text = pipecalc::text::printable_lines(&text);
            pipecalc::reference::storage::write_report(path, text.as_bytes(), &reads)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            Ok(String::new())
        }
        None => Ok(text),
    }
}

/// A report with its CI gates: exit 3, each breach on stderr, when any.
fn gated(text: String, breaches: Vec<String>) -> Result<Outcome> {
    if breaches.is_empty() {
        return done(text, ExitStatus::Success);
    }
    let lines: Vec<String> = breaches
        .iter()
        .map(|b| format!("check failed: {b}"))
        .collect();
    Ok(Outcome {
        text,
        status: ExitStatus::CheckFailed,
        error: Some(anyhow::Error::new(commands::Reported(lines.join("\n")))),
    })
}

/// A usage error of `subcommand`, as clap words its own, with its usage
/// line; exits 2.
fn usage_error(subcommand: &str, kind: clap::error::ErrorKind, message: &str) -> ! {
    use clap::CommandFactory;
    let mut command = Cli::command().bin_name("pipecalc");
    command.build();
    match command.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(kind, message).exit(),
        None => command.error(kind, message).exit(),
    }
}

/// A scenario's warnings on stderr, or with `--deny-warnings` an error
/// that lists them.
fn warn_or_deny(warnings: &[String], deny: bool) -> Result<()> {
    if deny && !warnings.is_empty() {
        return Err(anyhow::Error::new(commands::Reported(format!(
            "{}\nerror: {} warning(s) and --deny-warnings",
            warnings.join("\n"),
            warnings.len()
        ))));
    }
    for warning in warnings {
        warn(warning);
    }
    Ok(())
}

fn dispatch(cli: Cli) -> Result<Outcome> {
    let text = match cli.command {
        Command::Validate(args) => {
            let options = validate_options(&args)?;
            let mut reads = vec![args.scenario.clone()];
            reads.extend(args.calibrate_from.iter().cloned());
            reads.extend(args.against.iter().cloned());
            let (text, within) =
                commands::validate(&args.scenario, &options, &args.output.options(&reads)?)?;
            let text = deliver(text, &args.output, &reads)?;
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
            fail_on,
            max_monthly_usd,
            sensitivity,
            samples,
            percentiles,
            seed,
            deny_warnings,
            output,
        } => {
            let (text, breaches, warnings) = commands::estimate_gated(
                &scenario,
                &commands::WhatIf {
                    workers: what_if.workers,
                    scale: what_if.scale,
                    compression: what_if.compression,
                },
                &output.options(std::slice::from_ref(&scenario))?,
                &pipecalc::study::uncertainty::Options {
                    spread: sensitivity,
                    samples,
                    percentiles,
                    seed,
                },
                &fail_on,
                max_monthly_usd,
            )?;
            warn_or_deny(&warnings, deny_warnings)?;
            return gated(deliver(text, &output, &[scenario])?, breaches);
        }
        Command::Scale {
            scenario,
            factors,
            workers,
            compression,
            output,
        } => {
            // Each value is a column and a full estimate: a list is bounded.
            for (option, len) in [
                ("--factors", factors.as_ref().map_or(0, Vec::len)),
                ("--workers", workers.as_ref().map_or(0, Vec::len)),
            ] {
                if len > MAX_LIST {
                    usage_error(
                        "scale",
                        clap::error::ErrorKind::TooManyValues,
                        &format!(
                            "`{option}` has {len} values; a projection shows at most {MAX_LIST} (each is a column of its own)"
                        ),
                    );
                }
            }
            let reads = [scenario];
            commands::scale(
                &reads[0],
                factors,
                workers,
                compression,
                &output.options(&reads)?,
            )
            .and_then(|text| deliver(text, &output, &reads))
        }
        Command::Workers {
            scenario,
            scale,
            max_workers,
            output,
        } => {
            let reads = [scenario];
            commands::workers(&reads[0], scale, max_workers, &output.options(&reads)?)
                .and_then(|text| deliver(text, &output, &reads))
        }
        Command::Growth {
            scenario,
            years,
            growth,
            from,
            output,
        } => {
            let reads = [scenario];
            commands::growth(&reads[0], years, growth, from, &output.options(&reads)?)
                .and_then(|text| deliver(text, &output, &reads))
        }
        Command::Compare {
            scenarios,
            fail_above,
            output,
        } => {
            if scenarios.len() < 2 {
                usage_error(
                    "compare",
                    clap::error::ErrorKind::TooFewValues,
                    "compare needs at least two scenarios: the baseline, then one or more to compare with it",
                );
            }
            let (text, breaches) =
                commands::compare_gated(&scenarios, &output.options(&scenarios)?, &fail_above)?;
            return gated(deliver(text, &output, &scenarios)?, breaches);
        }
        Command::Check {
            scenarios,
            deny_warnings,
        } => {
            let (text, warnings) = commands::check(&scenarios)?;
            warn_or_deny(&warnings, deny_warnings)?;
            Ok(text)
        }
        Command::Schema { document } => commands::schema(&document),
        Command::Prices {
            search,
            provider,
            output,
        } => commands::prices(&search, provider.as_deref(), &output.options(&[])?),
        Command::Inspect {
            run,
            stage_map,
            output,
        } => {
            let (text, warnings) = commands::inspect(
                &run,
                stage_map.as_deref(),
                &output.options(std::slice::from_ref(&run))?,
            )?;
            for warning in &warnings {
                warn(&format!("warning: {warning}"));
            }
            deliver(text, &output, &[run])
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "pipecalc", &mut script);
            Ok(String::from_utf8_lossy(&script).into_owned())
        }
        Command::Man => {
            use clap::CommandFactory;
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .context("cannot write the man page")?;
            Ok(String::from_utf8_lossy(&page).into_owned())
        }
        Command::Init {
            name,
            preset,
            stdout,
            force,
        } => commands::init(&name, preset, stdout, force),
        Command::Calibrate(args) if args.plan => commands::plan_runs(
            &commands::PlanAsk {
                target: args.target.unwrap_or(0),
                workers: args.workers,
                repeats: args.repeat.unwrap_or(3),
                seed: args.seed.unwrap_or(7),
                budget_s: args.budget,
                out: args.out.clone(),
                force: args.force,
            },
            &commands::CalibrateFrom {
                runs: args.from.clone(),
                stage_map: args.stage_map.clone(),
                allow_incomplete: args.allow_incomplete,
            },
        ),
        Command::Calibrate(args) => {
            // --repeat and --seed make runs here; measured runs are made.
            if !args.from.is_empty() && (args.repeat.is_some() || args.seed.is_some()) {
                usage_error(
                    "calibrate",
                    clap::error::ErrorKind::ArgumentConflict,
                    "--repeat and --seed make this machine's runs (or, with --plan, the planned ones); with --from the runs are already made",
                );
            }
            commands::calibrate(
                &pipecalc::study::calibrate::CalibrateOptions {
                    events: args.events.unwrap_or(200_000),
                    workers: args.workers,
                    repeat: args.repeat.unwrap_or(3),
                    seed: args.seed.unwrap_or(7),
                },
                &commands::CalibrateFrom {
                    runs: args.from.clone(),
                    stage_map: args.stage_map.clone(),
                    allow_incomplete: args.allow_incomplete,
                },
                args.out.as_deref(),
                args.force,
            )
        }
        Command::Generate(args) => commands::generate(&args.config, &args.out),
        Command::Run(args) => {
            // How the logs are read is a command-line choice: a bad pattern
            // or a field given twice is a usage error, before anything runs.
            if let Err(error) = pipecalc::reference::event::LogFormat::new(
                &args.config.fields,
                &args.config.product_pattern,
                &args.config.product_pages,
                args.config.allowed_lateness_ms,
            ) {
                usage_error(
                    "run",
                    clap::error::ErrorKind::ValueValidation,
                    &format!("{error:#}"),
                );
            }
            let output = Output {
                format: args.format,
                explain: false,
                output: None,
                export: Vec::new(),
            };
            let config = RunConfig {
                progress: true,
                ..args.config
            };
            let ran = commands::run(&config, &output.options(&[])?)?;
            for warning in &ran.warnings {
                warn(&format!("warning: {warning}"));
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
