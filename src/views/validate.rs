//! The `validate` report: what the calibration fitted from its groups of
//! runs, each measured group's figures predicted beside measured with the
//! band, the error and the verdict, the causes of the misses in words, and
//! the fitted scaling laws. Its JSON is the [`Validation`]'s own
//! serialization.

use schemars::JsonSchema;
use serde::Serialize;

use crate::contract::Versions;
use crate::reference::spark::RunSource;
use crate::study::calibrate::Shape;
use crate::study::hold::{Cause, CoreLimit, Figure, FigureKind, Verdict};
use crate::study::validate::{MachineLoad, Plan, Validation};
use crate::units::{grouped, human_bytes, human_duration, significant};

use crate::report::{Document, Section};

fn amount(kind: FigureKind, value: f64) -> String {
    match kind {
        FigureKind::Time => human_duration(value),
        FigureKind::RowsIn | FigureKind::RowsOut => grouped(value.round() as u64),
        FigureKind::BytesIn | FigureKind::BytesOut | FigureKind::PeakMemory => human_bytes(value),
    }
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

pub fn document(validation: &Validation, scenario: Option<&AgainstScenario>) -> Document {
    let mut sections = vec![
        calibration_section(validation),
        figures_section(validation),
        misses_section(validation),
    ];
    sections.extend(outside_section(validation));
    sections.extend(terms_section(validation));
    sections.extend(fits_section(validation));
    sections.extend(scenario.map(|against| versus_section(validation, against)));
    Document {
        title: match &validation.plan {
            Plan::Generated { sample, target, .. } => {
                format!("pipecalc validate: {target} events predicted from {sample}")
            }
            Plan::Measured { .. } => format!(
                "pipecalc validate: {} measured run(s) predicted from {}",
                validation.against.len(),
                calibration_words(validation)
            ),
        },
        intro: Vec::new(),
        sections,
        conventions: Vec::new(),
    }
}

fn calibration_words(validation: &Validation) -> String {
    let calibration = &validation.calibration;
    match calibration.runs.as_slice() {
        [one] => run_name(&one.path).to_string(),
        runs => format!("{} runs of {} size(s)", runs.len(), sizes(validation)),
    }
}

fn sizes(validation: &Validation) -> usize {
    let mut sizes: Vec<u64> = validation
        .calibration
        .groups
        .iter()
        .map(|g| g.events)
        .collect();
    sizes.dedup();
    sizes.len()
}

fn repeats_cell(repeats: &crate::study::run::Repeats) -> String {
    match repeats.spread_pct() {
        Some(spread) => format!("{}%", significant(spread, 2)),
        None => "one run".into(),
    }
}

/// The groups calibrated from and what each stage's time was fitted as.
fn calibration_section(validation: &Validation) -> Section {
    let calibration = &validation.calibration;
    let mut section = Section::new(
        "Calibration: the runs, by size and workers",
        &[
            "Events", "Workers", "Runs", "Quietest", "Median", "Slowest", "Spread",
        ],
    );
    for group in &calibration.groups {
        section.row([
            grouped(group.events),
            group.workers.to_string(),
            group.runs.len().to_string(),
            human_duration(group.whole_s.quietest),
            human_duration(group.whole_s.median),
            human_duration(group.whole_s.slowest),
            repeats_cell(&group.whole_s),
        ]);
    }
    section.note("each size's quietest run is the job's own time (other work on a shared machine only adds time): the fit is made on those, and the slowest show the band a prediction spans");
    for stage in &calibration.stages {
        {
            let time = &stage.time;
            let quiet = &time.quiet;
            section.note(format!(
                "{}: T = {} + {:.3e}·s + {:.3e}·s/N ({}){}",
                stage.name,
                human_duration(quiet.fixed_s),
                quiet.serial_s_per_unit,
                quiet.parallel_s_per_unit,
                match stage.input {
                    crate::scenario::Measure::Bytes => "s in bytes",
                    crate::scenario::Measure::Events => "s in rows",
                },
                if quiet.workers_told_apart {
                    String::new()
                } else {
                    "; one worker count, so serial and shared work are not told apart".into()
                }
            ));
        }
    }
    if let Some(overhead) = &calibration.run_overhead_s {
        section.note(format!(
            "outside the stages (start-up, planning, commits): {} on the quiet runs, {} on the slowest",
            human_duration(overhead.quietest),
            human_duration(overhead.slowest)
        ));
    }
    if let Some(holdout) = &calibration.holdout {
        section.note(format!(
            "held out: the largest size ({} events) from the others alone: {} (band {} – {}) against a median of {}: {}; the linear rule from the next size: {}",
            grouped(holdout.group.events),
            human_duration(holdout.predicted_s),
            human_duration(holdout.interval_s[0]),
            human_duration(holdout.interval_s[1]),
            human_duration(holdout.group.whole_s.median),
            signed_percent(holdout.error_pct),
            holdout
                .linear_rule_error_pct
                .map_or_else(|| "not measured".into(), signed_percent)
        ));
    }
    if let Some(bend) = calibration
        .curvature
        .as_ref()
        .filter(|b| b.shape != Shape::Straight)
    {
        section.note(format!(
            "the whole run's cost an event {} with size ({} s a million between the two smallest, {} between the two largest): past the largest size the straight line is {}",
            if bend.shape == Shape::Falls { "falls" } else { "rises" },
            significant(bend.lower_s_per_million_events, 3),
            significant(bend.upper_s_per_million_events, 3),
            if bend.shape == Shape::Falls { "an upper bound" } else { "a lower bound" }
        ));
    }
    if let Some(keys) = &calibration.keys {
        match &keys.catalogue {
            Some(catalogue) if keys.decided() => section.note(format!(
                "{}'s keys: a catalogue of {} keys with Zipf skew {} fits every size within {}%",
                keys.stage,
                grouped(catalogue.keys_max as u64),
                significant(catalogue.skew, 3),
                significant(catalogue.worst_miss_pct, 2)
            )),
            _ => section.note(format!(
                "{}'s keys: no catalogue fits every size, so they are held to the bracket of Heaps' law (exponent {}) and a saturating catalogue",
                keys.stage,
                significant(keys.bracket.heaps_exponent, 3)
            )),
        };
    }
    if matches!(
        calibration.runs.first().map(|r| r.source),
        Some(RunSource::SparkEventLog)
    ) {
        section.note("peak memory is the largest task's execution memory (Spark's `Peak Execution Memory`), not a process's resident size");
    }
    section
}

fn verdict_words(figure: &Figure) -> String {
    match figure.verdict {
        Verdict::Ok => "ok".to_string(),
        Verdict::Off => "OFF".to_string(),
        Verdict::TooNoisy => "too noisy".to_string(),
        Verdict::Undecided => "undecided".to_string(),
    }
}

/// Each figure predicted and measured, its band, error and verdict.
fn figures_section(validation: &Validation) -> Section {
    let tolerances = validation.tolerances;
    let mut figures = Section::new(
        "Predicted and measured",
        &[
            "Figure",
            "Stage",
            "Events",
            "Workers",
            "Runs",
            "Predicted",
            "Band",
            "Measured",
            "Spread",
            "Error",
            "Verdict",
        ],
    );
    for figure in &validation.figures {
        figures.row([
            figure.name.label().to_string(),
            figure.scope.name().to_string(),
            grouped(figure.events),
            figure.workers.to_string(),
            figure.runs.len().to_string(),
            amount(figure.name, figure.predicted),
            figure.band.map_or_else(String::new, |[low, high]| {
                if (high - low).abs() <= 1e-9 * high.abs().max(1.0) {
                    String::new()
                } else {
                    format!(
                        "{} – {}",
                        amount(figure.name, low),
                        amount(figure.name, high)
                    )
                }
            }),
            amount(figure.name, figure.measured),
            figure
                .repeats
                .as_ref()
                .map_or_else(String::new, repeats_cell),
            signed_percent(figure.error_pct),
            verdict_words(figure),
        ]);
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
    figures.note("predicted from each group's volume and workers alone, by the models `estimate` uses on the calibrated scenario; measured is the group's median, spread its (slowest − quietest) ÷ median");
    let noisy = validation
        .figures
        .iter()
        .filter(|f| f.verdict == Verdict::TooNoisy)
        .count();
    if noisy > 0 {
        figures.note(format!(
            "{noisy} too noisy to judge: measured over runs that spread wider than the tolerance (hit or miss), or missed by no more than the band the calibration's repeats span; only OFF figures make the exit code 3"
        ));
    }
    let undecided = validation
        .figures
        .iter()
        .filter(|f| f.verdict == Verdict::Undecided)
        .count();
    if undecided > 0 {
        figures.note(format!(
            "{undecided} undecided: outside the tolerance, but inside the band of what the calibration's runs could not decide (see each cause); runs of the kind it names decide them"
        ));
    }
    if !validation.worker_memory_shares.is_empty() {
        figures.note(format!(
            "peak memory with N workers: the process's start, plus each stage's working set, plus for each worker past the first the share of it a second worker added on the sample ({})",
            validation
                .worker_memory_shares
                .iter()
                .map(|w| format!("{} {}", w.stage, significant(w.share, 2)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(load) = &validation.machine_load {
        figures.note(load_words(load));
    }
    // What the logs said, in every format: an unfinished log, a stage one
    // side lacks, a task re-run.
    for record in validation
        .calibration
        .runs
        .iter()
        .chain(&validation.against)
    {
        for warning in &record.warnings {
            figures.note(format!("{}: {warning}", run_name(&record.path)));
        }
    }
    figures.charts.push(crate::report::chart::Chart::Columns {
        title: "Error of each prediction, % (tolerance: rows and bytes ±2%, time ±25%, memory ±50% by default)".into(),
        axis: crate::report::chart::Axis::Plain,
        columns: validation
            .figures
            .iter()
            .map(|f| {
                (
                    format!("{} {} ×{} {}", f.name.label(), f.scope.name(), f.workers, grouped(f.events)),
                    f.error_pct.abs(),
                )
            })
            .collect(),
    });
    figures
}

/// A cause in words.
pub fn cause_words(cause: &Cause) -> String {
    let size = |larger: bool| {
        if larger {
            "at the larger size"
        } else {
            "at the smaller size"
        }
    };
    match cause {
        Cause::Noise { spread_pct } => format!(
            "too noisy to judge: its runs spread {}%, wider than the tolerance, or the miss is inside the band the calibration's own repeats span; run on a quiet machine or with more repeats",
            significant(*spread_pct, 3)
        ),
        Cause::WorkersUndecided { low, high } => format!(
            "the calibration ran on one worker count, so how the work divides among these workers is not decided: anything from {} to {} (all shared to none shared, quiet to loaded); calibrate from runs on two worker counts",
            human_duration(*low),
            human_duration(*high)
        ),
        Cause::Bend { shape } => match shape {
            Shape::Falls => "the cost an event fell across the calibration's sizes, so the straight line past them is an upper bound; the band reaches down to the largest sizes' own slope".into(),
            _ => "the cost an event rose across the calibration's sizes, so the straight line past them is a lower bound; the band reaches up to the largest sizes' own slope".into(),
        },
        Cause::CannotUseCores { workers, speedup, limit } => format!(
            "cannot use {workers} cores: measured speed-up {}× with {workers} workers: {}",
            significant(*speedup, 3),
            match limit {
                CoreLimit::FewerTasks { tasks } => format!("it ran {tasks} task(s), fewer than the {workers} cores"),
                CoreLimit::OneProcess => "it ran in Spark's local mode, its cores threads of one process with the driver, on one machine's disk and memory".into(),
                CoreLimit::OneHost { executors, host } => format!(
                    "its {executors} executors shared one host ({host}) with the driver, so a core more is not a machine more"
                ),
                CoreLimit::SerialWork => "serial work: one file or one date at a time, a merge, or a fixed cost".into(),
                CoreLimit::NotSaid => "the log does not say why (tasks, hosts and fixed costs look ordinary)".into(),
            }
        ),
        Cause::SameSize => "run-to-run noise: this run has a calibration size, so nothing was scaled; the machine's other load or the engine's own variation moved it".into(),
        Cause::FitOff { over: true } => "the fitted fixed cost or work a row was high: the sizes it was fitted on were few, close or noisy; calibrate from sizes further apart".into(),
        Cause::FitOff { over: false } => "the fitted fixed cost or work a row was low: the sizes it was fitted on were few, close or noisy; calibrate from sizes further apart".into(),
        Cause::FixedFolded { engine, larger } => match engine {
            RunSource::SparkEventLog => format!("Spark's fixed costs (task scheduling, file listing, commit) were folded into the time a row, so scaling them with the data mispredicts the run {}; calibrate from several sizes (--from a --from b --from c) to fit them as `startup` and `run_overhead`", size(*larger)),
            RunSource::PipecalcRun => format!("a fixed start-up cost was folded into the time a row, so the linear rule mispredicts the run {}", size(*larger)),
        },
        Cause::SlowerPerRow { engine, larger } => match engine {
            RunSource::SparkEventLog => format!("slower a row {}: more tasks than cores to schedule, shuffle spills, or executors sharing the machine's cores", size(*larger)),
            RunSource::PipecalcRun => format!("slower a row {}: caches or memory (the working set outgrew the CPU caches), or more I/O", size(*larger)),
        },
        Cause::BytesFollowRows => "its rows out missed by about as much: see its rows out".into(),
        Cause::BytesPerRow { fell: true, larger } => format!("Parquet compresses better with more rows per file (dictionaries and page headers amortize), so bytes a row fall {}", size(*larger)),
        Cause::BytesPerRow { fell: false, larger } => format!("bytes a row grew {}: more distinct values than the calibration's runs had", size(*larger)),
        Cause::FromPreviousBytes => "these are the previous stage's output bytes: see its bytes out".into(),
        Cause::FromPreviousRows => "these are the previous stage's rows out: see its rows out".into(),
        Cause::KeysSaturate => "distinct keys grow slower than the data (a catalogue saturates; Heaps' law), while `keep` grows them with it: write this stage's output as `rows:` with `keys_max:` or `keys_grow:`".into(),
        Cause::KeysOutsideBand { low, high } => format!(
            "distinct keys outside the band of the key fits ({} to {}): the catalogue is not as they assume, or the sizes fitted were too few or too close",
            grouped(low.round() as u64),
            grouped(high.round() as u64)
        ),
        Cause::TaskMemory { grew: true } => "the largest task's execution memory grew faster than the calibration's (more rows a partition, larger shuffle blocks, a hash aggregate with more keys)".into(),
        Cause::TaskMemory { grew: false } => "the run was split into more, smaller tasks, so its largest task held less than the calibration's".into(),
        Cause::TaskMemoryFixed { calibration } => format!(
            "its largest task held about what the calibration's did ({}): Spark splits input into tasks of a fixed size, so a task's memory does not grow with the data as the model grows it",
            human_bytes(*calibration)
        ),
        Cause::ProcessMemory { grew: true } => "memory grows with the data here faster than the calibration's working set (deduplication keeps 16 bytes an event of a date up to `--dedup-memory-keys`; row groups and shuffles buffer more rows)".into(),
        Cause::MemoryGrowthSlows { low, high } => format!(
            "its working set grew more slowly at each larger size the calibration ran (buffers reaching their caps), so past them it is anything from {} (held at the largest size's) to {} (the power law)",
            human_bytes(*low),
            human_bytes(*high)
        ),
        Cause::ProcessMemory { grew: false } => "the calibration's peak included start-up and allocator slack that does not grow, or this run's work was split into more, smaller parts".into(),
    }
}

/// The figures not ok, each with what it is likely to be.
fn misses_section(validation: &Validation) -> Section {
    let mut misses = Section::new("Where the model misses, or cannot be judged", &[]);
    for figure in &validation.figures {
        if let Some(cause) = &figure.cause {
            misses.note(format!(
                "{} of {}, {} events on {} worker(s), {}: {}",
                figure.name.label(),
                figure.scope.name(),
                grouped(figure.events),
                figure.workers,
                signed_percent(figure.error_pct),
                cause_words(cause)
            ));
        }
    }
    if misses.notes.is_empty() {
        misses.note("nowhere: every figure is within tolerance");
    }
    misses
}

/// The groups' time outside their stages (an engine's start-up, planning
/// and commits), where the runs measured it.
fn outside_section(validation: &Validation) -> Option<Section> {
    let runs = validation
        .calibration
        .runs
        .iter()
        .chain(&validation.against);
    if !runs.clone().any(|r| r.outside_stages_s.is_some()) {
        return None;
    }
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
    for (record, role) in validation
        .calibration
        .runs
        .iter()
        .map(|r| (r, "calibration"))
        .chain(validation.against.iter().map(|r| (r, "held")))
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
    Some(outside)
}

/// The cluster's terms the Spark logs record, held against the model.
fn terms_section(validation: &Validation) -> Option<Section> {
    use crate::study::hold::terms::{Agreement, Term};
    if validation.cluster_terms.is_empty() {
        return None;
    }
    let mut section = Section::new(
        "The cluster's terms (Spark)",
        &[
            "Stage", "Events", "Workers", "Term", "Model", "Log", "Verdict", "Why",
        ],
    );
    for check in &validation.cluster_terms {
        // The model's spill is a yes or no (1 or 0); the log's is bytes.
        let show = |value: Option<f64>, model: bool| {
            value.map_or_else(
                || "—".to_string(),
                |v| match check.term {
                    Term::ShuffleBytes => crate::units::human_bytes(v),
                    Term::RemoteShare => format!("{}%", crate::units::significant(v * 100.0, 3)),
                    Term::Spill if model => if v > 0.0 { "spills" } else { "fits" }.to_string(),
                    Term::Spill => crate::units::human_bytes(v),
                    Term::Skew => format!("{}×", crate::units::significant(v, 3)),
                },
            )
        };
        section.row([
            check.stage.clone(),
            grouped(check.events),
            check.workers.to_string(),
            match check.term {
                Term::ShuffleBytes => "shuffle read",
                Term::RemoteShare => "remote share",
                Term::Spill => "spill",
                Term::Skew => "longest ÷ median task",
            }
            .to_string(),
            show(check.predicted, true),
            show(check.measured, false),
            match check.agreement {
                Agreement::Agrees => "agrees",
                Agreement::Disagrees => "DISAGREES",
                Agreement::NotJudged => "not judged",
            }
            .to_string(),
            check.why.clone(),
        ]);
    }
    section.note("judged as the cluster notes ask: bytes within 2×, the remote share within ten points, spill and skew (past Spark's 5× the median) yes or no; a term that disagrees fails validate like a figure that is off");
    Some(section)
}

/// Speed-ups measured at each worker count, and Amdahl's and the USL's fits.
fn fits_section(validation: &Validation) -> Option<Section> {
    if validation.speedups.is_empty() {
        return None;
    }
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
    for stage in &validation.speedups {
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
        .speedups
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
            points: validation.speedups[0]
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
    Some(fit)
}

/// The user's own scenario's stage times beside the calibrated prediction.
fn versus_section(validation: &Validation, against: &AgainstScenario) -> Section {
    // The first group held: its events and workers.
    let first = validation.figures.first();
    let workers = first.map_or(1, |f| f.workers);
    let prediction = format!("Calibrated prediction ({workers} worker(s))");
    let mut versus = Section::new(
        format!(
            "Your scenario `{}` against the calibration, at {} events",
            against.name,
            grouped(first.map_or(0, |f| f.events))
        ),
        &[
            "Stage",
            "Scenario at the target volume",
            prediction.as_str(),
        ],
    );
    for (stage, assumed) in &against.stage_times {
        let predicted = validation.figures.iter().find(|f| {
            f.name == FigureKind::Time
                && f.scope.name() == stage
                && first.is_some_and(|first| first.workers == f.workers && first.events == f.events)
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

/// `pipecalc validate --format json`: the validation as it is, and the
/// scenario calibrated, as YAML.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ValidateDocument {
    #[serde(flatten)]
    pub versions: Versions,
    #[serde(flatten)]
    pub validation: Validation,
    pub calibrated_scenario: String,
}

pub fn json(validation: &Validation) -> ValidateDocument {
    ValidateDocument {
        versions: Versions::default(),
        validation: validation.clone(),
        calibrated_scenario: super::calibration::yaml(&validation.calibration).unwrap_or_default(),
    }
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

/// `validate --format csv`: one row a figure, flat, for a spreadsheet.
pub fn csv(validation: &Validation) -> String {
    let number = |v: f64| crate::units::clean(v).to_string();
    let optional = |v: Option<f64>| v.map_or_else(String::new, number);
    let rows: Vec<Vec<String>> = validation
        .figures
        .iter()
        .map(|f| {
            vec![
                serde_json::to_value(f.name)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                f.scope.name().to_string(),
                f.events.to_string(),
                f.workers.to_string(),
                f.runs.len().to_string(),
                number(f.predicted),
                optional(f.band.map(|b| b[0])),
                optional(f.band.map(|b| b[1])),
                number(f.measured),
                optional(f.repeats.map(|r| r.quietest)),
                optional(f.repeats.map(|r| r.slowest)),
                number(f.error_pct),
                f.within_tolerance.to_string(),
                match f.verdict {
                    Verdict::Ok => "ok",
                    Verdict::Off => "off",
                    Verdict::TooNoisy => "too_noisy",
                    Verdict::Undecided => "undecided",
                }
                .to_string(),
                optional(f.noise_pct),
                f.cause.as_ref().map_or_else(String::new, cause_words),
                f.run_incomplete.to_string(),
            ]
        })
        .collect();
    crate::report::csv::table(
        &[
            "figure",
            "stage",
            "events",
            "workers",
            "runs",
            "predicted",
            "band_low",
            "band_high",
            "measured_median",
            "measured_quietest",
            "measured_slowest",
            "error_pct",
            "within_tolerance",
            "verdict",
            "noise_pct",
            "cause",
            "run_incomplete",
        ],
        &rows,
    )
}
