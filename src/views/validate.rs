//! The `validate` report: the calibration, each figure predicted beside
//! measured with its error and verdict, the fitted scaling laws, and where
//! the linear rule misses.

use schemars::JsonSchema;
use serde::Serialize;

use crate::contract::Versions;
use crate::study::calibrate::{CalibrationSource, WorkerMemoryShare};
use crate::study::fit::StageFit;
use crate::study::hold::{Figure, FigureKind, Tolerances, Verdict};
use crate::study::run::RunRecord;
use crate::study::validate::{MachineLoad, Plan, Validation};
use crate::units::{grouped, human_bytes, human_count, human_duration, significant};

use crate::report::{Document, Section};

fn amount(kind: FigureKind, value: f64) -> String {
    match kind {
        FigureKind::Time => human_duration(value),
        FigureKind::RowsIn | FigureKind::RowsOut => grouped(value.round() as u64),
        FigureKind::BytesIn | FigureKind::BytesOut | FigureKind::PeakMemory => human_bytes(value),
    }
}

fn label(figure: &Figure) -> &'static str {
    figure.name.label()
}

fn signed_percent(value: f64) -> String {
    let text = format!("{}%", significant(value, 3));
    if value > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// Your scenario's time for each stage at the target volume, beside this
/// machine's calibrated prediction.
pub struct AgainstScenario {
    pub name: String,
    pub stage_times: Vec<(String, f64)>,
}

fn run_words(record: &RunRecord) -> String {
    format!(
        "{} ({}, {} events, {} worker(s))",
        record.path,
        match record.source {
            crate::reference::spark::RunSource::SparkEventLog => "Spark event log",
            crate::reference::spark::RunSource::PipecalcRun => "pipecalc run",
        },
        grouped(record.events),
        record.workers
    )
}

pub fn document(validation: &Validation, scenario: Option<&AgainstScenario>) -> Document {
    let mut sections = vec![
        calibrated_section(validation),
        figures_section(validation),
        misses_section(validation),
    ];
    sections.extend(validation.calibration.several.as_ref().map(several_section));
    sections.extend(outside_section(validation));
    sections.extend(fits_section(validation));
    sections.extend(scenario.map(|against| versus_section(validation, against)));
    Document {
        title: match &validation.options.plan {
            Plan::Generated { sample, target, .. } => {
                format!("pipecalc validate: {target} events predicted from {sample}")
            }
            Plan::Measured { .. } => format!(
                "pipecalc validate: {} measured run(s) predicted from {}",
                validation.against.len(),
                run_name(&calibration_path(validation))
            ),
        },
        intro: Vec::new(),
        sections,
        conventions: Vec::new(),
    }
}

/// The run (or sample) calibrated from, stage by stage.
fn calibrated_section(validation: &Validation) -> Section {
    let calibration = &validation.calibration;
    let mut calibrated = Section::new(
        match &calibration.source {
            CalibrationSource::Generated(_) => "Calibration (the sample, 1 worker)".to_string(),
            CalibrationSource::Measured(record) => format!(
                "Calibration ({}, {} worker(s))",
                record.path, record.workers
            ),
        },
        &[
            "Stage",
            "Rows in",
            "Rows out",
            "Bytes in",
            "Bytes out",
            "Time",
            "Peak memory",
        ],
    );
    for stage in &calibration.report.stages {
        calibrated.row([
            stage.name.clone(),
            human_count(stage.rows_in as f64),
            human_count(stage.rows_out as f64),
            human_bytes(stage.bytes_in as f64),
            human_bytes(stage.bytes_out as f64),
            human_duration(stage.wall_s),
            stage
                .peak_memory_bytes
                .map_or_else(|| "not measured".into(), |b| human_bytes(b as f64)),
        ]);
    }
    match (
        &calibration.source,
        calibration.catalogue,
        calibration.chao1,
    ) {
        (CalibrationSource::Generated(sample), Some(catalogue), Some(chao1)) => {
            calibrated.note(format!(
                "median of {} run(s) on {} events; keys saturate at the catalogue's {} products (the sample alone estimates at least {} by Chao1)",
                sample.repeat,
                sample.events,
                catalogue,
                chao1.round()
            ));
        }
        (CalibrationSource::Measured(record), _, _) => {
            calibrated.note(format!("measured run: {}", run_words(record)));
            if record.source == crate::reference::spark::RunSource::SparkEventLog {
                calibrated.note("peak memory is the largest task's execution memory (Spark's `Peak Execution Memory`), not a process's resident size");
            }
        }
        _ => {}
    }

    calibrated
}

/// Each figure predicted and measured, its error and verdict, and what
/// the runs' logs said.
fn figures_section(validation: &Validation) -> Section {
    let options = &validation.options;
    let tolerances = options.tolerances;
    let measured_runs = matches!(options.plan, Plan::Measured { .. });
    let mut headers = vec!["Figure", "Stage", "Workers"];
    if measured_runs {
        headers.push("Run");
    }
    headers.extend(["Predicted", "Measured", "Error", "Verdict"]);
    let mut figures = Section::new("Predicted and measured", &headers);
    for figure in &validation.figures {
        let mut row = vec![
            label(figure).to_string(),
            figure.stage.clone(),
            figure.workers.to_string(),
        ];
        if measured_runs {
            row.push(
                figure
                    .run
                    .as_deref()
                    .map(run_name)
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        row.extend([
            amount(figure.name, figure.predicted),
            amount(figure.name, figure.measured),
            signed_percent(figure.error_pct),
            match figure.verdict {
                Verdict::Ok => "ok".to_string(),
                Verdict::Off => "OFF".to_string(),
                Verdict::TooNoisy => format!(
                    "noisy ({}% spread)",
                    significant(figure.noise_pct.unwrap_or(0.0), 2)
                ),
            },
        ]);
        figures.row(row);
    }
    let within = validation
        .figures
        .iter()
        .filter(|f| f.within_tolerance)
        .count();

    figures.note(format!(
        "{within} of {} figures within tolerance (rows ±{}%, bytes ±{}%, time ±{}%, memory ±{}%)",
        validation.figures.len(),
        significant(tolerances.rows * 100.0, 3),
        significant(tolerances.bytes * 100.0, 3),
        significant(tolerances.time * 100.0, 3),
        significant(tolerances.memory * 100.0, 3),
    ));
    match &options.plan {
        Plan::Generated {
            sample,
            target,
            repeat,
            ..
        } => {
            figures.note(format!(
                "predicted by the models from the calibrated scenario scaled {}× ({} → {} events), before the target ran; measured: median of {} run(s)",
                significant(*target as f64 / *sample as f64, 4),
                sample,
                target,
                repeat
            ));
        }
        Plan::Measured { .. } => {
            let base = calibration_events(validation);
            for record in &validation.against {
                figures.note(format!(
                    "{}: predicted from the calibration scaled {}× ({} → {} events) with its {} worker(s), from its volume and workers alone",
                    run_name(&record.path),
                    significant(record.events as f64 / base.max(1) as f64, 4),
                    grouped(base),
                    grouped(record.events),
                    record.workers
                ));
            }
        }
    }

    let noisy = validation
        .figures
        .iter()
        .filter(|f| f.verdict == Verdict::TooNoisy)
        .count();
    if noisy > 0 {
        figures.note(format!(
            "{noisy} too noisy to judge: the repeated runs spread as wide as the miss (or wider than the tolerance), so the machine's noise, not the model, decides them; only OFF figures make the exit code 3"
        ));
    }
    if !validation.worker_shares.is_empty() {
        figures.note(format!(
            "peak memory with N workers: the process's start, plus each stage's working set, plus for each worker past the first the share of it a second worker added on the sample ({})",
            validation
                .worker_shares
                .iter()
                .map(|w| format!("{} {}", w.stage, significant(w.share, 2)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(load) = &validation.load {
        figures.note(load_words(load));
    }
    for figure in validation.figures.iter().filter(|f| f.bracket.is_some()) {
        let [low, high] = figure.bracket.unwrap_or_default();
        figures.note(format!(
            "{} of {}{}: the two key models bracket {} to {} (a saturating catalogue, Heaps' law); held to ±5% or inside the bracket",
            label(figure),
            figure.stage,
            figure
                .run
                .as_deref()
                .map_or_else(String::new, |r| format!(" ({})", run_name(r))),
            grouped(low.round() as u64),
            grouped(high.round() as u64),
        ));
    }
    // What the logs said, in every format: an unfinished log, a stage one
    // side lacks, a task re-run.
    let calibrated_from = match &validation.calibration.several {
        Some(several) => several.runs.iter().collect::<Vec<_>>(),
        None => match &validation.calibration.source {
            CalibrationSource::Measured(record) => vec![record],
            CalibrationSource::Generated(_) => Vec::new(),
        },
    };
    for record in calibrated_from.into_iter().chain(&validation.against) {
        for warning in &record.warnings {
            figures.note(format!("{}: {warning}", run_name(&record.path)));
        }
    }

    // Each figure's error against its tolerance: inside the band or not.
    figures.charts.push(crate::report::chart::Chart::Columns {
        title: "Error of each prediction, % (tolerance: rows and bytes ±2%, time ±25%, memory ±50% by default)".into(),
        axis: crate::report::chart::Axis::Plain,
        columns: validation
            .figures
            .iter()
            .map(|f| {
                (
                    format!("{} {} ×{}", label(f), f.stage, f.workers),
                    f.error_pct.abs(),
                )
            })
            .collect(),
    });
    figures
}

/// The figures off, each with what it is likely to be.
fn misses_section(validation: &Validation) -> Section {
    let mut misses = Section::new("Where the model misses", &[]);
    for figure in validation.figures.iter().filter(|f| f.cause.is_some()) {
        misses.note(format!(
            "{} of {} with {} worker(s){}, {}: {}",
            label(figure),
            figure.stage,
            figure.workers,
            figure
                .run
                .as_deref()
                .map_or_else(String::new, |r| format!(" ({})", run_name(r))),
            signed_percent(figure.error_pct),
            figure.cause.as_deref().unwrap_or("")
        ));
    }
    if misses.notes.is_empty() {
        misses.note("nowhere: every figure is within tolerance");
    }

    misses
}

/// A measured run's time outside its stages (an engine's start-up,
/// planning and commits), when the logs say it.
fn outside_section(validation: &Validation) -> Option<Section> {
    if let CalibrationSource::Measured(base) = &validation.calibration.source {
        if base.outside_stages_s.is_some()
            || validation
                .against
                .iter()
                .any(|r| r.outside_stages_s.is_some())
        {
            let mut outside = Section::new(
                "Time outside the stages",
                &[
                    "Run",
                    "Events",
                    "Workers",
                    "In stages",
                    "Outside (start-up, driver, shutdown)",
                ],
            );
            for (record, role) in std::iter::once((base, "calibration"))
                .chain(validation.against.iter().map(|r| (r, "against")))
            {
                outside.row([
                    format!("{} ({role})", run_name(&record.path)),
                    grouped(record.events),
                    record.workers.to_string(),
                    human_duration(record.in_stages_s),
                    record
                        .outside_stages_s
                        .map_or_else(|| "not measured".into(), human_duration),
                ]);
            }
            outside.note("Spark's application starts a JVM, plans each query and commits each write outside its stages: about the same time whatever the data, so a small run's time is mostly this fixed cost, which the linear rule (and the lecture's T ÷ N) leaves out");
            return Some(outside);
        }
    }
    None
}

/// Speed-ups measured at each worker count, and Amdahl's and the USL's fits.
fn fits_section(validation: &Validation) -> Option<Section> {
    if !validation.fits.is_empty() {
        let mut fit = Section::new(
            "Speed-ups and fitted laws",
            &[
                "Stage",
                "Workers",
                "Measured",
                "Speed-up",
                "Amdahl s",
                "Amdahl predicts",
                "USL σ, κ",
                "USL predicts",
            ],
        );
        for stage in &validation.fits {
            for (index, n) in stage.workers.iter().enumerate() {
                let first = index == 0;
                fit.row([
                    if first {
                        stage.stage.clone()
                    } else {
                        String::new()
                    },
                    n.to_string(),
                    human_duration(stage.measured_s[index]),
                    format!("{}×", significant(stage.speedup[index], 3)),
                    match (first, stage.amdahl_serial_fraction) {
                        (true, Some(s)) => significant(s, 3),
                        _ => String::new(),
                    },
                    stage
                        .amdahl_predicted_s
                        .get(index)
                        .map_or_else(String::new, |t| human_duration(*t)),
                    match (first, stage.usl_contention, stage.usl_coherency) {
                        (true, Some(s), Some(k)) => {
                            format!("{}, {}", significant(s, 3), significant(k, 3))
                        }
                        (true, _, _) => "needs 3 counts".into(),
                        _ => String::new(),
                    },
                    stage
                        .usl_predicted_s
                        .get(index)
                        .map_or_else(String::new, |t| human_duration(*t)),
                ]);
            }
        }
        fit.note("the lecture's rule says speed-up = N; the fitted laws show what this machine does instead (put them in a scenario as `parallel:`)");
        let series = validation
            .fits
            .iter()
            .map(|stage| crate::report::chart::Series {
                name: stage.stage.clone(),
                points: stage
                    .workers
                    .iter()
                    .zip(&stage.speedup)
                    .map(|(n, s)| (*n as f64, *s))
                    .collect(),
                dashed: false,
            })
            .chain(std::iter::once(crate::report::chart::Series {
                name: "the lecture's rule: N".into(),
                points: validation.fits[0]
                    .workers
                    .iter()
                    .map(|n| (*n as f64, *n as f64))
                    .collect(),
                dashed: true,
            }))
            .collect();
        fit.charts.push(crate::report::chart::Chart::Lines {
            title: "Measured speed-up against workers".into(),
            x: crate::report::chart::Axis::Plain,
            y: crate::report::chart::Axis::Plain,
            x_title: "workers".into(),
            y_title: "speed-up (×)".into(),
            series,
            x_mark: None,
            y_mark: None,
        });
        return Some(fit);
    }
    None
}

/// The user's own scenario's stage times beside the calibrated prediction.
fn versus_section(validation: &Validation, against: &AgainstScenario) -> Section {
    // The first predicted run: its workers (and, from measured runs, its run).
    let first = validation.figures.first();
    let workers = first.map_or(1, |f| f.workers);
    let prediction = format!("Calibrated prediction ({workers} worker(s))");
    let mut versus = Section::new(
        match first.and_then(|f| f.run.as_deref()) {
            Some(run) => format!(
                "Your scenario `{}` against the calibration, at {}'s volume",
                against.name,
                run_name(run)
            ),
            None => format!("Your scenario `{}` against this machine", against.name),
        },
        &[
            "Stage",
            "Scenario at the target volume",
            prediction.as_str(),
        ],
    );
    for (stage, assumed) in &against.stage_times {
        let predicted = validation.figures.iter().find(|f| {
            f.name == FigureKind::Time
                && &f.stage == stage
                && Some(f.workers) == first.map(|f| f.workers)
                && f.run == first.and_then(|f| f.run.clone())
        });
        versus.row([
            stage.clone(),
            human_duration(*assumed),
            predicted.map_or_else(
                || "no such stage in the calibration".into(),
                |f| human_duration(f.predicted),
            ),
        ]);
    }
    versus
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FitRecord {
    /// Distinct product ids in the generator's catalogue; `null` when
    /// validating from measured runs, whose data pipecalc did not make.
    pub catalogue_keys: Option<u64>,
    /// Chao1's estimate of the distinct keys, from the sample; `null` as above.
    pub chao1_keys: Option<f64>,
    pub stages: Vec<StageFit>,
}

/// `pipecalc validate --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ValidateDocument {
    #[serde(flatten)]
    pub versions: Versions,
    /// The calibration's events (the sample, or the `--calibrate-from` run's).
    pub sample_events: u64,
    /// The target's events; from measured runs, the largest `--against` run's.
    pub target_events: u64,
    /// The worker counts predicted and measured, one per run.
    pub workers: Vec<usize>,
    /// Runs a median was taken of; 1 for measured runs, each read as it is.
    pub repeat: usize,
    /// `--calibrate-from`: the run calibrated from; `null` for generated runs.
    pub calibrated_from: Option<RunRecord>,
    /// `--against`: the runs predicted; empty for generated runs.
    pub against: Vec<RunRecord>,
    /// The machine's load around the generated runs; `null` from measured runs.
    pub machine_load: Option<MachineLoad>,
    /// Of each stage's working set, the share each worker past the first
    /// adds in one process, measured on the sample with 2 workers; empty
    /// from measured runs or with one worker.
    pub worker_memory_shares: Vec<WorkerMemoryShare>,
    /// No figure is `off` (the exit code is 0); `too_noisy` ones do not count.
    pub passes: bool,
    pub tolerances: Tolerances,
    pub all_within_tolerance: bool,
    pub figures: Vec<Figure>,
    pub fit: FitRecord,
    /// Calibrated from several runs: each stage's T = a + b·s + c·s/N and
    /// how it holds on runs it was not fitted on; `null` otherwise.
    pub several: Option<crate::study::several::SeveralFit>,
    /// The scenario calibrated on the sample, as YAML.
    pub calibrated_scenario: String,
}

/// What several runs fitted, stage by stage, and how each fit holds on
/// runs it was not fitted on.
fn several_section(several: &crate::study::several::SeveralFit) -> Section {
    let percent = |value: Option<f64>| value.map_or_else(|| "not measured".into(), signed_percent);
    let mut section = Section::new(
        format!(
            "Fitted from {} runs: T = a + b·s + c·s/N",
            several.runs.len()
        ),
        &[
            "Stage",
            "a (fixed)",
            "b (serial, a unit)",
            "c (shared, a unit)",
            "Runs",
            "Degrees of freedom",
            "Largest run from the others",
            "Leave-one-out",
            "Linear rule",
            "Noise",
        ],
    );
    for f in &several.stages {
        section.row([
            format!("{} (s = {})", f.stage, f.size_of),
            human_duration(f.fit.fixed_s),
            format!("{:.3e} s", f.fit.serial_s_per_unit),
            format!("{:.3e} s", f.fit.parallel_s_per_unit),
            f.fit.runs.to_string(),
            if f.fit.degrees_of_freedom <= 0 {
                "0 (exact fit)".into()
            } else {
                f.fit.degrees_of_freedom.to_string()
            },
            percent(f.holdout.forward_error_pct),
            percent(f.holdout.leave_one_out_pct),
            percent(f.holdout.linear_rule_error_pct),
            f.holdout.noise_pct.map_or_else(
                || "no repeats".into(),
                |n| format!("{}%", significant(n, 3)),
            ),
        ]);
    }
    let p = &several.pipeline;
    section.row([
        "whole run".to_string(),
        several
            .run_overhead_s
            .map_or_else(|| "—".into(), |o| format!("{} overhead", human_duration(o))),
        "—".into(),
        "—".into(),
        several.runs.len().to_string(),
        "—".into(),
        percent(p.forward_error_pct),
        percent(p.leave_one_out_pct),
        percent(p.linear_rule_error_pct),
        p.noise_pct.map_or_else(
            || "no repeats".into(),
            |n| format!("{}%", significant(n, 3)),
        ),
    ]);
    let mut undecided: Vec<&String> = several
        .stages
        .iter()
        .flat_map(|f| &f.fit.undecided)
        .collect();
    undecided.sort();
    undecided.dedup();
    for line in undecided {
        section.note(format!("not decided by these runs: {line}"));
    }
    section.note("the largest run from the others is the headline: it is the question a plan asks, a larger run than any measured; leave-one-out is the median error predicting each run from the rest");
    section
}

fn load_words(load: &MachineLoad) -> String {
    let shown =
        |value: Option<f64>| value.map_or_else(|| "not measured".into(), |l| significant(l, 3));
    let words = format!(
        "machine: other processes kept {} of {} core(s) busy during the target runs (load average {} before, {} after)",
        shown(load.other_processes_cores),
        load.cores,
        shown(load.load_average_before),
        shown(load.load_average_after),
    );
    if load.busy() {
        format!("{words}: the machine was busy, so timings may be off because of it, not because of the model")
    } else {
        words
    }
}

fn run_name(path: &str) -> &str {
    std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

fn calibration_path(validation: &Validation) -> String {
    match &validation.calibration.source {
        CalibrationSource::Measured(record) => record.path.clone(),
        CalibrationSource::Generated(_) => "a generated sample".into(),
    }
}

fn calibration_events(validation: &Validation) -> u64 {
    match &validation.calibration.source {
        CalibrationSource::Measured(record) => record.events,
        CalibrationSource::Generated(sample) => sample.events,
    }
}

pub fn json(validation: &Validation) -> ValidateDocument {
    let options = &validation.options;
    let (target_events, workers, repeat) = match &options.plan {
        Plan::Generated {
            target,
            workers,
            repeat,
            ..
        } => (*target, workers.clone(), *repeat),
        Plan::Measured { .. } => (
            validation
                .against
                .iter()
                .map(|r| r.events)
                .max()
                .unwrap_or(0),
            validation.against.iter().map(|r| r.workers).collect(),
            1,
        ),
    };
    ValidateDocument {
        versions: Versions::default(),
        sample_events: calibration_events(validation),
        target_events,
        workers,
        repeat,
        calibrated_from: match &validation.calibration.source {
            CalibrationSource::Measured(record) => Some(record.clone()),
            CalibrationSource::Generated(_) => None,
        },
        against: validation.against.clone(),
        machine_load: validation.load,
        worker_memory_shares: validation.worker_shares.clone(),
        passes: validation.passes(),
        tolerances: options.tolerances,
        all_within_tolerance: validation.all_within_tolerance(),
        figures: validation.figures.clone(),
        fit: FitRecord {
            catalogue_keys: validation.calibration.catalogue,
            chao1_keys: validation.calibration.chao1.map(crate::units::clean),
            stages: validation.fits.clone(),
        },
        several: validation.calibration.several.clone(),
        calibrated_scenario: validation.calibration.yaml.clone(),
    }
}
