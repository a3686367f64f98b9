//! The commands, as functions from their options to the text they print,
//! so the binary only parses arguments and prints, and tests run exactly
//! what a user runs.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

use crate::report::{self, Document, Format, Style};
use crate::scenario::{self, Growth, Scenario};
use crate::study::projection;
use crate::units;
use crate::views;

/// How the process exits; the README's table of exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// The command did what it was asked.
    Success = 0,
    /// An error: a bad scenario, a missing file, a failed run.
    Error = 1,
    /// A bad command line (clap exits with it itself).
    Usage = 2,
    /// A check that did not pass: `validate` with figures off.
    CheckFailed = 3,
}

/// How a command's report is written.
#[derive(Clone, Debug)]
pub struct Output {
    pub format: Format,
    pub style: Style,
    /// Further formats written to files in the same run (`--export json=run.json`).
    pub exports: Vec<(Format, PathBuf)>,
    /// The files the command reads, which no report may be written over.
    pub reads: Vec<PathBuf>,
}

impl Output {
    /// One format to the terminal, nothing else.
    pub fn new(format: Format, style: Style) -> Output {
        Output {
            format,
            style,
            exports: Vec::new(),
            reads: Vec::new(),
        }
    }
}

/// How a command's CSV is made.
enum Csv<'a> {
    /// The rows of its JSON under this JSON pointer.
    Rows(&'a str),
    /// A table of its own, such as one row per figure.
    Table(Box<dyn Fn() -> String + 'a>),
}

/// Renders a document for people, or the JSON built beside it for
/// scripts, or its CSV. Each export is rendered from the same results and
/// written to its file.
fn emit<T: serde::Serialize>(
    output: &Output,
    document: impl Fn() -> Document,
    json: impl Fn() -> T,
    csv: Csv,
) -> Result<String> {
    let render = |format: Format, style: Style| -> Result<String> {
        let value = || serde_json::to_value(json()).context("could not write the JSON document");
        Ok(match format {
            Format::Json => report::to_json(&crate::contract::stamp(value()?)),
            Format::Csv => match &csv {
                Csv::Rows(pointer) => report::csv::render(&value()?, pointer),
                Csv::Table(table) => table(),
            },
            format => report::render(&document(), format, style).unwrap_or_default(),
        })
    };
    for (format, path) in &output.exports {
        // A file has no terminal width: tables are as wide as the pipe's.
        let style = Style {
            width: report::Width::Fixed(120),
            ..output.style
        };
        let reads: Vec<&Path> = output.reads.iter().map(PathBuf::as_path).collect();
        crate::reference::storage::write_report(path, render(*format, style)?.as_bytes(), &reads)
            .with_context(|| format!("cannot export to `{}`", path.display()))?;
    }
    render(output.format, output.style)
}

/// Command-line what-ifs applied on top of a scenario.
#[derive(Clone, Debug, Default)]
pub struct WhatIf {
    pub workers: Option<u32>,
    pub scale: Option<f64>,
    pub compression: Option<f64>,
}

pub fn load(path: &Path, what_if: &WhatIf) -> Result<Scenario> {
    what_if.apply(scenario::load(path)?)
}

impl WhatIf {
    /// The scenario with these what-ifs applied.
    pub fn apply(&self, scenario: Scenario) -> Result<Scenario> {
        let what_if = self;
        let mut scenario = scenario;
        if let Some(workers) = what_if.workers {
            scenario = scenario.with_workers(workers, "--workers")?;
        }
        if let Some(factor) = what_if.scale {
            scenario = scenario.with_scale(factor, "--scale")?;
        }
        if let Some(ratio) = what_if.compression {
            scenario = scenario.with_compression(ratio, "--compression")?;
        }
        Ok(scenario)
    }
}

pub fn estimate(path: &Path, what_if: &WhatIf, output: &Output) -> Result<String> {
    estimate_gated(
        path,
        what_if,
        output,
        &crate::study::uncertainty::Options::default(),
        &[],
        None,
    )
    .map(|(text, _, _)| text)
}

/// `pipecalc estimate` with its CI gates: the text, each breach, and each
/// plausibility warning.
pub fn estimate_gated(
    path: &Path,
    what_if: &WhatIf,
    output: &Output,
    ranges: &crate::study::uncertainty::Options,
    fail_on: &[crate::study::gates::Gate],
    max_monthly_usd: Option<f64>,
) -> Result<(String, Vec<String>, Vec<String>)> {
    let (text, file) = scenario::read(path)?;
    let scenario = what_if.apply(scenario::parse(&text, &file)?)?;
    crate::study::gates::judgeable(&scenario, fail_on)?;
    let estimate = crate::model::checked_estimate(&scenario)
        .with_context(|| format!("`{}` cannot be estimated", path.display()))?;
    let study = crate::study::uncertainty::study(&text, &file, ranges, &|s| what_if.apply(s))?;
    let explain = output.style.explain;
    let text = emit(
        output,
        || views::estimate::document_with(&scenario, &estimate, study.as_ref(), explain),
        || views::json::EstimateDocument {
            uncertainty: study
                .as_ref()
                .map(|u| views::json::UncertaintyFigures::of(u, ranges.seed)),
            ..views::json::estimate(&scenario, &estimate, explain)
        },
        // One row per figure: with ranges its low, likely and high;
        // otherwise its value, unit and working.
        if study.is_some() {
            Csv::Rows("/uncertainty/figures")
        } else {
            Csv::Table(Box::new(|| views::estimate::csv(&scenario, &estimate)))
        },
    )?;
    let breaches = crate::study::gates::estimate_breaches(&estimate, fail_on, max_monthly_usd);
    Ok((text, breaches, scenario.warnings.clone()))
}

pub fn scale(
    path: &Path,
    factors: Option<Vec<f64>>,
    workers: Option<Vec<u32>>,
    compression: Option<f64>,
    output: &Output,
) -> Result<String> {
    let scenario = scenario::load(path)?;
    let factors = factors.unwrap_or_else(|| scenario.scaling.factors.clone());
    let workers = workers
        .filter(|w| !w.is_empty())
        .or_else(|| {
            (!scenario.scaling.workers.is_empty()).then(|| scenario.scaling.workers.clone())
        })
        .unwrap_or_else(|| vec![scenario.workers.base() as u32]);
    let compression = compression
        .map(|ratio| (ratio, "--compression"))
        .or(scenario
            .scaling
            .compression
            .map(|ratio| (ratio, "scaling.compression")));
    let projections = projection::project(&scenario, &factors, &workers, compression)
        .with_context(|| format!("`{}` cannot be scaled", path.display()))?;
    let compression = compression.map(|(ratio, _)| ratio);
    let explain = output.style.explain;
    emit(
        output,
        || views::scaling::scale_document(&scenario, &projections, compression, explain),
        || views::scaling::scale_json(&scenario, &projections, compression, explain),
        Csv::Rows("/projections"),
    )
}

pub fn workers(
    path: &Path,
    scale: Option<f64>,
    max_workers: Option<u32>,
    output: &Output,
) -> Result<String> {
    let scenario = load(
        path,
        &WhatIf {
            scale,
            ..WhatIf::default()
        },
    )?;
    let max_workers = max_workers.unwrap_or(scenario.scaling.max_workers);
    let answer = projection::workers(&scenario, max_workers).with_context(|| {
        format!(
            "`{}` cannot be estimated at each worker count",
            path.display()
        )
    })?;
    let explain = output.style.explain;
    emit(
        output,
        || views::scaling::workers_document(&scenario, &answer, explain),
        || views::scaling::workers_json(&scenario, &answer, explain),
        Csv::Rows("/options"),
    )
}

pub fn growth(
    path: &Path,
    years: u32,
    rate: Option<Growth>,
    from: Option<i32>,
    output: &Output,
) -> Result<String> {
    let scenario = scenario::load(path)?;
    let growth = match rate {
        Some(growth) => growth,
        None => scenario.scaling.growth.clone().unwrap_or_else(|| Growth {
            per_year: units::parse_growth("10x per 5 years").expect("a valid rate"),
            text: "10x per 5 years (the lecture's)".into(),
        }),
    };
    let mut answer = projection::growth(&scenario, years, &growth).with_context(|| {
        format!(
            "`{}` cannot be grown {years} year(s) at {}",
            path.display(),
            growth.text
        )
    })?;
    answer.from = from;
    let explain = output.style.explain;
    emit(
        output,
        || views::scaling::growth_document(&scenario, &answer, explain),
        || views::scaling::growth_json(&scenario, &answer, explain),
        Csv::Rows("/years"),
    )
}

pub fn compare(paths: &[PathBuf], output: &Output) -> Result<String> {
    compare_gated(paths, output, &[]).map(|(text, _)| text)
}

/// `pipecalc compare` with `--fail-above`: the text, and each breach.
pub fn compare_gated(
    paths: &[PathBuf],
    output: &Output,
    limits: &[crate::study::gates::RiseLimit],
) -> Result<(String, Vec<String>)> {
    if paths.len() < 2 {
        return Err(anyhow!("compare needs at least two scenarios"));
    }
    let loaded = paths
        .iter()
        .map(|path| {
            let scenario = scenario::load(path)?;
            let estimate = crate::model::checked_estimate(&scenario)
                .with_context(|| format!("`{}` cannot be estimated", path.display()))?;
            Ok((scenario, estimate))
        })
        .collect::<Result<Vec<_>>>()?;
    let comparison = crate::study::compare::compare(&loaded);
    let mut text = emit(
        output,
        || views::compare::document(&comparison),
        || views::compare::json(&comparison),
        Csv::Rows("/deltas"),
    )?;
    // The working of each scenario follows the comparison.
    if output.style.explain {
        for (scenario, estimate) in &loaded {
            let document = views::estimate::document(scenario, estimate, true);
            if let Some(rendered) = report::render(&document, output.format, output.style) {
                text.push('\n');
                text.push_str(&rendered);
            }
        }
    }
    let breaches = crate::study::gates::compare_breaches(&comparison, limits);
    Ok((text, breaches))
}

/// Errors already worded for the terminal, one after another, printed as
/// they are (`check` on many files).
#[derive(Debug)]
pub struct Reported(pub String);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reported {}

/// An error as the terminal shows it: a scenario error in its own form,
/// anything else as `error:` and its causes.
pub fn worded(error: &anyhow::Error) -> String {
    if error.downcast_ref::<scenario::ScenarioError>().is_some()
        || error.downcast_ref::<Reported>().is_some()
    {
        return error.to_string();
    }
    let mut text = format!("error: {error}");
    for cause in error.chain().skip(1) {
        text.push_str(&format!("\ncaused by: {cause}"));
    }
    text
}

/// `pipecalc check`: every file, each with its verdict; the errors of every
/// file that has one, not only the first.
/// `pipecalc check`: every file's error, or an `ok:` line for each file
/// and every warning of the ones that load (values valid but very likely
/// wrong), for the caller to print or, with `--deny-warnings`, to refuse.
pub fn check(paths: &[PathBuf]) -> Result<(String, Vec<String>)> {
    let mut out = String::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        // The same bounds as `estimate`: a scenario that loads but whose
        // figures would overflow is an error here too.
        let checked = scenario::load(path).and_then(|scenario| {
            crate::model::checked_estimate(&scenario)
                .with_context(|| format!("`{}` cannot be estimated", path.display()))?;
            Ok(scenario)
        });
        match checked {
            Ok(scenario) => {
                let noted = if scenario.warnings.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {}",
                        crate::units::plural(scenario.warnings.len() as f64, "warning")
                    )
                };
                // One line a file, whatever its path holds: a newline in a
                // name must not write a line of its own.
                out.push_str(&format!(
                    "ok: {} ({}: {} stages, {} datasets, {} transfers{noted})\n",
                    crate::text::printable(&path.display().to_string()),
                    crate::text::printable(&scenario.name),
                    scenario.stages.len(),
                    scenario.storage.len(),
                    scenario.network.as_ref().map_or(0, |n| n.transfers.len()),
                ));
                warnings.extend(scenario.warnings);
            }
            Err(error) => errors.push(worded(&error)),
        }
    }
    if errors.is_empty() {
        return Ok((out, warnings));
    }
    let count = errors.len();
    let mut text = errors.join("\n\n");
    if paths.len() > 1 {
        text.push_str(&format!(
            "\n\n{count} of {} scenarios have errors{}",
            paths.len(),
            if out.is_empty() {
                String::new()
            } else {
                format!("; these are fine:\n{}", out.trim_end())
            }
        ));
    }
    Err(anyhow::Error::new(Reported(text)))
}

/// `pipecalc generate`: writes the logs and their ground truth.
pub fn generate(
    config: &crate::reference::generator::GeneratorConfig,
    out: &Path,
) -> Result<String> {
    let generated = crate::reference::generator::generate_into(config, out)?;
    let truth = &generated.truth;
    let mut removed = String::new();
    if !generated.replaced.is_empty() {
        removed.push_str(&format!(
            "  replaced the previous generation in this folder: {} file(s) removed first, so the truth describes every log here\n",
            generated.replaced.len()
        ));
    }
    if !generated.cleared.is_empty() {
        removed.push_str(&format!(
            "  removed {} temporary file(s) a killed generation left: {}\n",
            generated.cleared.len(),
            generated.cleared.join(", ")
        ));
    }
    Ok(format!(
        "{removed}wrote {} lines ({}) for {} day(s) to {}\n  defects: {} malformed, {} missing a timestamp, {} duplicates, {} null user_id, {} late, {} with a new field\n  truth: {} views of {} (date, product) pairs in {}\n",
        truth.lines,
        crate::units::human_bytes(truth.bytes as f64),
        config.days,
        out.display(),
        truth.malformed,
        truth.missing_field,
        truth.duplicates,
        truth.null_user,
        truth.late,
        truth.drifted,
        truth.counted_views(),
        truth.views.values().map(|p| p.len()).sum::<usize>(),
        out.join("_truth.json").display(),
    ))
}

/// `pipecalc run`: the reference pipeline, with its report.
/// What `pipecalc run` prints, warns and fails with.
pub struct RunOutcome {
    pub text: String,
    /// For stderr: what the run did not read, so a skip is never silent.
    pub warnings: Vec<String>,
    /// Why the run stopped; it still reports what it finished and lost.
    pub error: Option<anyhow::Error>,
}

/// What a user's `--product-pattern` costs, measured before the run: a
/// regular expression with a capture group can be hundreds of times slower
/// than the built-in rule, and it runs once for every product page view.
fn pattern_cost_note(
    config: &crate::reference::pipeline::RunConfig,
    report: &crate::reference::pipeline::RunReport,
) -> Option<String> {
    let quality = &report.quality;
    if quality.pattern_pages == 0 {
        return None;
    }
    let format = crate::reference::event::LogFormat::new(
        &config.fields,
        &config.product_pattern,
        &config.product_pages,
        config.allowed_lateness_ms,
    )
    .ok()?;
    let per_page = quality.pattern_ns as f64 / quality.pattern_pages as f64;
    let nanoseconds = |ns: f64| {
        if ns < 1000.0 {
            format!("{} ns", crate::units::significant(ns, 3))
        } else {
            format!("{} µs", crate::units::significant(ns / 1000.0, 3))
        }
    };
    // The built-in rule is timed on a sample (it does the same few steps on
    // any page); the pattern on the pages this run read.
    let built_in = format
        .pattern_cost()
        .map(|cost| {
            format!(
                ", where the built-in rule takes about {} ({}× as long)",
                nanoseconds(cost.built_in_ns),
                crate::units::significant(per_page / cost.built_in_ns.max(0.1), 2)
            )
        })
        .unwrap_or_default();
    Some(format!(
        "--product-pattern took {} a page on the {} product pages this run read ({} in all){built_in}",
        nanoseconds(per_page),
        crate::units::human_count(quality.pattern_pages as f64),
        crate::units::human_duration(quality.pattern_ns as f64 / 1e9),
    ))
}

/// For stderr: the files not read, and the lines not kept, so neither is
/// ever silent.
fn skipped_warnings(report: &crate::reference::pipeline::RunReport) -> Vec<String> {
    let mut warnings: Vec<String> = report
        .skipped_inputs
        .iter()
        .map(|skipped| format!("not read: {skipped}"))
        .collect();
    let quality = &report.quality;
    let quarantined = quality.quarantined_total();
    if quarantined > 0 {
        let reasons: Vec<String> = quality
            .quarantined
            .iter()
            .map(|(reason, count)| format!("{reason}: {count}"))
            .collect();
        warnings.push(format!(
            "{quarantined} of {} lines quarantined ({}); each with its reason in {}",
            quality.lines,
            reasons.join(", "),
            std::path::Path::new(&report.output)
                .join("raw/_quarantine/")
                .display()
        ));
    }
    warnings
}

/// `pipecalc run`.
pub fn run(config: &crate::reference::pipeline::RunConfig, output: &Output) -> Result<RunOutcome> {
    match crate::reference::pipeline::run(config) {
        Ok(run) => Ok(RunOutcome {
            text: emit(
                output,
                || views::run::document(&run),
                || crate::reference::metrics::RunDocument::of(&run),
                Csv::Rows("/stages"),
            )?,
            warnings: skipped_warnings(&run)
                .into_iter()
                .chain(pattern_cost_note(config, &run))
                .collect(),
            error: None,
        }),
        Err(failure) => {
            let failure = *failure;
            let report = &failure.report;
            // A run refused before it began (bad input, a folder in use)
            // has nothing to report but the error.
            let text = if failure.began {
                emit(
                    output,
                    || views::run::document(report),
                    || crate::reference::metrics::RunDocument::of(report),
                    Csv::Rows("/stages"),
                )?
            } else {
                String::new()
            };
            let done: Vec<&str> = report.stages.iter().map(|s| s.name.as_str()).collect();
            let saved = config
                .out
                .join(crate::reference::pipeline::FAILED_RUN_REPORT);
            let saved = if failure.began && saved.exists() {
                format!(" (report in {})", saved.display())
            } else {
                String::new()
            };
            let message = if !failure.began {
                "the run was refused before it began; nothing was written".to_string()
            } else if done.is_empty() {
                format!("the run stopped before any stage finished{saved}")
            } else {
                format!(
                    "the run stopped; stages completed and checkpointed: {}{saved}",
                    done.join(", ")
                )
            };
            Ok(RunOutcome {
                text,
                warnings: skipped_warnings(report),
                error: Some(failure.error.context(message)),
            })
        }
    }
}

/// `pipecalc init`: a commented scenario, written to `NAME.yaml` (never
/// over an existing file unless `force`) or returned for standard output.
pub fn init(name: &str, preset: crate::init::Preset, stdout: bool, force: bool) -> Result<String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(anyhow!(
            "`{name}` is not a scenario name; use letters, digits, `-`, `_` and `.`, e.g. `my-pipeline`"
        ));
    }
    let name = name.trim_end_matches(".yaml");
    let text = crate::init::scenario(name, preset);
    if stdout {
        return Ok(text);
    }
    let path = PathBuf::from(format!("{name}.yaml"));
    if path.exists() && !force {
        return Err(anyhow!(
            "`{}` exists; pick another name, or add --force to replace it",
            path.display()
        ));
    }
    crate::reference::storage::write_report(&path, text.as_bytes(), &[])
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(format!(
        "wrote {}: edit its numbers, then\n  pipecalc estimate {} --explain\n",
        path.display(),
        path.display()
    ))
}

/// `pipecalc inspect`: a measured run per stage, from pipecalc or Spark,
/// with what was odd in its log.
pub fn inspect(
    path: &Path,
    stage_map: Option<&Path>,
    output: &Output,
) -> Result<(String, Vec<String>)> {
    let map = stage_map
        .map(crate::reference::spark::StageMap::load)
        .transpose()?;
    let run = crate::reference::spark::read_run_with(path, map.as_ref())?;
    let shown = path.display().to_string();
    let text = emit(
        output,
        || views::inspect::document(&run, &shown),
        || views::inspect::json(&run, &shown),
        Csv::Rows("/stages"),
    )?;
    Ok((text, run.warnings))
}

/// `pipecalc schema`: the JSON Schema of one document.
pub fn schema(document: &str) -> Result<String> {
    let schema = views::schema::schema(document)
        .ok_or_else(|| anyhow!("no JSON document is called `{document}`"))?;
    Ok(report::to_json(&schema))
}

/// Where `calibrate --from` reads: measured runs (none: measure this
/// machine), how to map a Spark log's untagged jobs, and whether an
/// unfinished log may be used.
#[derive(Clone, Debug, Default)]
pub struct CalibrateFrom {
    pub runs: Vec<PathBuf>,
    pub stage_map: Option<PathBuf>,
    pub allow_incomplete: bool,
}

impl CalibrateFrom {
    /// The calibration from the measured runs, or `None` without runs.
    pub fn measured(&self) -> Result<Option<crate::study::calibrate::Calibration>> {
        if self.runs.is_empty() {
            return Ok(None);
        }
        let map = self
            .stage_map
            .as_deref()
            .map(crate::reference::spark::StageMap::load)
            .transpose()?;
        crate::study::calibrate::from_runs(&self.runs, map.as_ref(), self.allow_incomplete)
            .map(Some)
    }

    /// What the command reads: an output must never land on or in it.
    fn reads(&self) -> Vec<&Path> {
        self.runs
            .iter()
            .map(PathBuf::as_path)
            .chain(self.stage_map.as_deref())
            .collect()
    }
}

/// Where a command writes a file it was asked for (`--out`): refused on or
/// inside what it reads, even with `--force`; an existing file only with
/// `--force`; a device (`/dev/null`) written through. Checked before
/// anything is measured.
fn writable(out: Option<&Path>, reads: &[&Path], force: bool) -> Result<()> {
    if let Some(path) = out {
        crate::reference::storage::refuse_output(path, reads)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        if crate::reference::storage::replaces_a_file(path) && !force {
            return Err(anyhow!(
                "`{}` exists; pick another name, or add --force to replace it",
                path.display()
            ));
        }
    }
    Ok(())
}

/// What `calibrate --plan` was asked.
#[derive(Clone, Debug)]
pub struct PlanAsk {
    pub target: u64,
    pub workers: usize,
    pub repeats: usize,
    pub seed: u64,
    pub budget_s: Option<f64>,
    /// Where to write the plan's commands as a shell script.
    pub out: Option<PathBuf>,
    pub force: bool,
}

/// `pipecalc calibrate --plan`: the sample runs to make, and what each
/// costs; with `--out`, their commands as a script.
pub fn plan_runs(ask: &PlanAsk, from: &CalibrateFrom) -> Result<String> {
    writable(ask.out.as_deref(), &from.reads(), ask.force)?;
    let calibration = from.measured()?;
    let plan = crate::study::plan::plan_runs(
        ask.target,
        ask.workers,
        ask.repeats,
        ask.seed,
        calibration.as_ref(),
        ask.budget_s,
    )?;
    let mut text = report::render(
        &views::calibration::plan_document(&plan),
        report::Format::Table,
        report::Style {
            explain: false,
            width: report::Width::Fixed(120),
        },
    )
    .unwrap_or_default();
    if let Some(path) = &ask.out {
        crate::reference::storage::write_report(
            path,
            views::calibration::plan_script(&plan).as_bytes(),
            &from.reads(),
        )
        .with_context(|| format!("cannot write `{}`", path.display()))?;
        text.push_str(&format!(
            "wrote {}: the plan's commands, to run with sh\n",
            path.display()
        ));
    }
    Ok(text)
}

/// `pipecalc calibrate`: measures this machine, or reads measured runs
/// (`--from`), and writes a scenario.
pub fn calibrate(
    options: &crate::study::calibrate::CalibrateOptions,
    from: &CalibrateFrom,
    out: Option<&Path>,
    force: bool,
) -> Result<String> {
    if !from.runs.is_empty() && options.workers != 1 {
        return Err(anyhow!(
            "--workers measures this machine; with --from, each run says its own workers (use --workers with --plan)"
        ));
    }
    writable(out, &from.reads(), force)?;
    let calibration = match from.measured()? {
        Some(calibration) => calibration,
        None => crate::study::calibrate::from_sample(options, &this_binary()?)?,
    };
    let yaml = views::calibration::yaml(&calibration)?;
    let Some(path) = out else {
        return Ok(yaml);
    };
    crate::reference::storage::write_report(path, yaml.as_bytes(), &from.reads())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(views::calibration::summary(&calibration, path))
}

/// `pipecalc prices`: the catalog, searched.
pub fn prices(search: &[String], provider: Option<&str>, output: &Output) -> Result<String> {
    let entries = views::prices::select(&crate::catalog::catalog().entries, provider, search);
    emit(
        output,
        || views::prices::document(&entries, crate::catalog::today()),
        || views::prices::json(&entries),
        Csv::Table(Box::new(|| views::prices::csv(&entries))),
    )
}

/// This pipecalc executable: calibrate and validate run the pipeline as
/// processes of it.
pub fn this_binary() -> Result<std::path::PathBuf> {
    std::env::current_exe().context("cannot find this pipecalc executable to run the pipeline with")
}

/// `pipecalc validate`: the text, and whether every figure is within tolerance.
pub fn validate(
    scenario_path: &Path,
    options: &crate::study::validate::ValidateOptions,
    output: &Output,
) -> Result<(String, bool)> {
    let scenario = scenario::load(scenario_path)?;
    let names: Vec<&str> = scenario.stages.iter().map(|s| s.name.as_str()).collect();
    let generated_target = match &options.plan {
        crate::study::validate::Plan::Generated { target, .. } => Some(*target),
        crate::study::validate::Plan::Measured { .. } => None,
    };
    if generated_target.is_some() && names != crate::reference::pipeline::STAGES {
        return Err(anyhow!(
            "`{}` has stages {}; validate holds a scenario against the reference pipeline, whose stages are {}",
            scenario_path.display(),
            names.join(", "),
            crate::reference::pipeline::STAGES.join(", ")
        ));
    }
    let validation = crate::study::validate::validate(options)?;
    // What the scenario itself assumes for the target volume, per stage
    // (from measured runs: the first `--against` run's volume).
    let target = generated_target
        .or_else(|| validation.against.first().map(|r| r.events))
        .unwrap_or(0) as f64;
    let factor = target / scenario.events_per_day.base();
    let assumed =
        crate::model::checked_estimate(&scenario.clone().with_scale(factor, "--target")?)?;
    let against = views::validate::AgainstScenario {
        name: scenario.name.clone(),
        stage_times: assumed
            .time
            .stages
            .iter()
            .map(|s| (s.name.clone(), s.time.base()))
            .collect(),
    };
    let text = emit(
        output,
        || views::validate::document(&validation, Some(&against)),
        || views::validate::json(&validation),
        Csv::Table(Box::new(|| views::validate::csv(&validation))),
    )?;
    // What the logs said (an unfinished log, a stage one side lacks), on
    // stderr whatever the format, as inspect says it.
    for record in validation
        .calibration
        .runs
        .iter()
        .chain(&validation.against)
    {
        for warning in &record.warnings {
            eprintln!(
                "{}",
                crate::text::printable_lines(&format!("warning: {}: {warning}", record.path))
            );
        }
    }
    Ok((text, validation.passes))
}
