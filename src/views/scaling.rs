//! Reports for `scale`, `workers` and `growth`.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

use crate::contract::Versions;
use crate::figure::Working;

use crate::model::Estimate;
use crate::scenario::Scenario;
use crate::study::projection::{Blocker, GrowthAnswer, Projection, WorkersAnswer};
use crate::units::{human_duration, plural, significant};

use super::conventions;
use super::json::{self, Num, ScenarioRef, SummaryRow, Whole};
use super::percent;
use crate::model::summary::{self as metrics, Amount};
use crate::model::time::LimitedBy;
use crate::report::{Document, Section};
use crate::scenario::Parallel;

fn factor_label(factor: f64) -> String {
    format!("{}×", significant(factor, 4))
}

/// Which parallel model produced the times, stage by stage.
fn models_note(estimate: &Estimate) -> String {
    let labels: BTreeSet<(String, bool)> = estimate
        .time
        .stages
        .iter()
        .map(|s| {
            (
                s.model_label(),
                matches!(s.parallel, Parallel::Linear) && s.shares.is_none(),
            )
        })
        .collect();
    if labels.iter().all(|(_, linear)| *linear) {
        "parallel model: linear for every stage (the lecture's T_parallel = T_sequential ÷ N)"
            .into()
    } else {
        let stages: Vec<String> = estimate
            .time
            .stages
            .iter()
            .map(|s| format!("{} {}", s.name, s.model_label()))
            .collect();
        format!("parallel model per stage: {}", stages.join("; "))
    }
}

/// A report about one scenario: its title, description, and conventions.
fn scenario_document(
    command: &str,
    scenario: &Scenario,
    sections: Vec<Section>,
    estimate: &Estimate,
) -> Document {
    Document {
        title: format!("pipecalc {command}: {} ({})", scenario.name, scenario.file),
        intro: scenario.description.iter().cloned().collect(),
        sections,
        conventions: conventions(estimate),
    }
}

pub fn scale_document(
    scenario: &Scenario,
    projections: &[Projection],
    compression: Option<f64>,
    explain: bool,
) -> Document {
    let mut columns = vec!["Figure".to_string()];
    columns.extend(projections.iter().map(|p| {
        format!(
            "{} · {}",
            factor_label(p.factor),
            plural(f64::from(p.workers), "worker")
        )
    }));
    let mut section = Section {
        title: "Projections".into(),
        columns,
        ..Section::default()
    };
    let tables: Vec<Vec<metrics::Metric>> = projections
        .iter()
        .map(|p| metrics::summary(&p.estimate))
        .collect();
    for (row, first) in tables[0].iter().enumerate() {
        if metrics::left_out(first.optional, tables.iter().map(|t| &t[row].amount)) {
            continue;
        }
        let mut cells = vec![first.label.to_string()];
        cells.extend(tables.iter().map(|t| t[row].amount.human()));
        section.row(cells);
    }
    // The rows beyond the summary: the same list the JSON and CSV write.
    let extras: Vec<Vec<ExtraRow>> = projections
        .iter()
        .map(|p| extra_rows(scenario, p, compression))
        .collect();
    for (row, first) in extras[0].iter().enumerate() {
        let mut cells = vec![first.label.clone()];
        cells.extend(extras.iter().map(|e| e[row].amount.human()));
        section.row(cells);
    }
    section.note(models_note(&projections[0].estimate));
    section.note("events scale with the factor; a stage given as a `duration` scales linearly");
    if let Some(note) = held_fixed_note(scenario) {
        section.note(note);
    }
    section.charts.extend(super::charts::scale(projections));
    let mut sections = vec![section];
    if explain {
        for p in projections {
            sections.push(Section {
                title: format!(
                    "Working at {} · {}",
                    factor_label(p.factor),
                    plural(f64::from(p.workers), "worker")
                ),
                working: metrics::key_working(&p.estimate),
                ..Section::default()
            });
        }
    }
    scenario_document("scale", scenario, sections, &projections[0].estimate)
}

/// A row of `scale` beyond the summary: its key in the JSON and CSV, its
/// label in the table, and its amount at one projection.
struct ExtraRow {
    key: String,
    label: String,
    amount: Amount,
}

/// The rows `scale` shows beyond the summary, in one list for every
/// format: each dataset's month-1 storage (and under the compression
/// what-if), and the retries' cost as runs grow longer (the lecture's
/// reliability at 10×).
fn extra_rows(scenario: &Scenario, p: &Projection, compression: Option<f64>) -> Vec<ExtraRow> {
    let mut rows = Vec::new();
    for (index, dataset) in scenario.storage.iter().enumerate() {
        rows.push(ExtraRow {
            key: format!("stored_month1_bytes_{}", dataset.name),
            label: format!("Stored `{}`, month 1", dataset.name),
            amount: Amount::Bytes(
                p.estimate.storage.datasets[index]
                    .stored_month1_compressed
                    .base(),
            ),
        });
    }
    if let Some(r) = &p.estimate.reliability {
        rows.push(ExtraRow {
            key: "run_success".into(),
            label: "Runs that succeed".into(),
            amount: Amount::Share(r.run_success.base()),
        });
        rows.push(ExtraRow {
            key: "wasted_s_per_day".into(),
            label: "Work redone a day (retries)".into(),
            amount: Amount::Seconds(r.wasted_time.base()),
        });
        rows.push(ExtraRow {
            key: "wasted_usd_per_month".into(),
            label: "Retries per month".into(),
            amount: Amount::Usd(r.wasted_usd_per_month.base()),
        });
    }
    if let (Some(ratio), Some(compressed)) = (compression, &p.compressed) {
        let words = significant(ratio, 4);
        for (index, dataset) in scenario.storage.iter().enumerate() {
            let figures = &compressed.storage.datasets[index];
            rows.push(ExtraRow {
                key: format!("stored_month1_compressed_bytes_{}", dataset.name),
                label: format!("Stored `{}`, month 1, {words}× compressed", dataset.name),
                amount: Amount::Bytes(figures.stored_month1_compressed.base()),
            });
            rows.push(ExtraRow {
                key: format!("usd_month1_compressed_{}", dataset.name),
                label: format!("Cost `{}`, month 1, {words}× compressed", dataset.name),
                amount: Amount::Usd(figures.usd_month1.base()),
            });
        }
    }
    rows
}

/// The outputs a projection holds fixed while the events grow: a stage's
/// `rows:` (distinct keys) unless `keys_grow`, a working set given as a
/// size unless `working_set_grows`. Empty when nothing is held.
pub fn held_fixed(scenario: &Scenario) -> Vec<String> {
    use crate::scenario::{Output, WorkingSet};
    let mut held = Vec::new();
    for stage in &scenario.stages {
        if let Output::Keys {
            keys,
            keys_grow: None,
            ..
        } = &stage.output
        {
            held.push(format!("{}'s {} output rows", stage.name, keys.human()));
        }
        if let WorkingSet::Fixed(size) = &stage.working_set {
            held.push(format!("{}'s {} working set", stage.name, size.human()));
        }
    }
    held
}

fn held_fixed_note(scenario: &Scenario) -> Option<String> {
    let held = held_fixed(scenario);
    (!held.is_empty()).then(|| {
        format!(
            "held fixed as the events grow: {} (`keys_grow` and `working_set_grows` make them grow)",
            held.join(", ")
        )
    })
}

/// The rows beyond the summary as JSON writes them, under their keys.
#[derive(Clone, Debug)]
pub struct ExtraFigures(Vec<(String, serde_json::Value)>);

impl Serialize for ExtraFigures {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl JsonSchema for ExtraFigures {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ExtraFigures".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "The rows the table shows beyond the summary, as numbers in base units: `stored_month1_bytes_DATASET`, with a reliability block `run_success`, `wasted_s_per_day`, `wasted_usd_per_month`, and with --compression `stored_month1_compressed_bytes_DATASET` and `usd_month1_compressed_DATASET`.",
            "additionalProperties": { "type": "number" }
        })
    }
}

/// One row of `scale`: the summary at one factor.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ProjectionFigures {
    pub factor: Num,
    pub workers: u32,
    /// The summary at this factor (its `workers` is the field above).
    #[serde(flatten)]
    pub summary: SummaryRow,
    /// With `--compression`: month-1 storage if every dataset reached it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_usd_month1_compressed: Option<Num>,
    /// What the table shows beyond the summary.
    #[serde(flatten)]
    pub more: ExtraFigures,
    pub parallel_models: Vec<StageModel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<Working>>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageModel {
    pub stage: String,
    pub model: String,
}

/// `pipecalc scale --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ScaleDocument {
    #[serde(flatten)]
    pub versions: Versions,
    pub scenario: ScenarioRef,
    /// What the projections hold fixed while the events grow (a stage's
    /// `rows:`, a working set given as a size), in words.
    pub held_fixed: Vec<String>,
    pub projections: Vec<ProjectionFigures>,
}

fn explained(explain: bool, estimate: &Estimate) -> Option<Vec<Working>> {
    explain.then(|| metrics::key_working(estimate))
}

pub fn scale_json(
    scenario: &Scenario,
    projections: &[Projection],
    compression: Option<f64>,
    explain: bool,
) -> ScaleDocument {
    let projections = projections
        .iter()
        .map(|p| ProjectionFigures {
            more: ExtraFigures(
                extra_rows(scenario, p, compression)
                    .into_iter()
                    .map(|row| (row.key, row.amount.json()))
                    .collect(),
            ),
            factor: Num(p.factor),
            workers: p.workers,
            summary: SummaryRow::of(&p.estimate),
            storage_usd_month1_compressed: p
                .compressed
                .as_ref()
                .map(|c| json::usd(&c.cost.storage_usd_month1)),
            parallel_models: p
                .estimate
                .time
                .stages
                .iter()
                .map(|s| StageModel {
                    stage: s.name.clone(),
                    model: s.model_label(),
                })
                .collect(),
            explain: explained(explain, &p.estimate),
        })
        .collect();
    ScaleDocument {
        versions: Versions::default(),
        scenario: ScenarioRef::of(scenario),
        held_fixed: held_fixed(scenario),
        projections,
    }
}

/// Words what keeps even the fastest worker count from meeting the
/// deadline (or from fitting in memory).
fn blocker(answer: &WorkersAnswer, blocker: &Blocker) -> String {
    let best = answer.option(answer.fastest);
    let e = &best.estimate;
    let max_workers = answer.max_workers;
    let held = |stage: usize| {
        let timed = &e.time.stages[stage];
        format!(
            "`{}` takes {} with {} workers",
            timed.name,
            timed.parallel_time.human(),
            best.workers
        )
    };
    match blocker {
        Blocker::Memory => format!(
            "memory: even {} workers need {} each, more than the {} a worker has",
            max_workers,
            e.memory.peak.human(),
            e.memory
                .memory_per_worker
                .as_ref()
                .map_or_else(|| "memory".into(), |m| m.human())
        ),
        Blocker::Resource { stage, limit } => format!(
            "{}: {}, and no number of workers makes it faster",
            super::limit(limit),
            held(*stage)
        ),
        Blocker::SerialFraction {
            stage,
            serial_fraction,
        } => {
            let timed = &e.time.stages[*stage];
            format!(
                "the serial fraction of `{}` (s = {}): it can never take less than s × {} = {}; {}",
                timed.name,
                serial_fraction.human(),
                timed.time.human(),
                human_duration(serial_fraction.base() * timed.time.base()),
                held(*stage)
            )
        }
        Blocker::Contention { stage } => format!(
            "contention and coherency (USL) in `{}`: {}, and more workers than {} make the run slower",
            e.time.stages[*stage].name,
            held(*stage),
            best.workers
        ),
        Blocker::FixedCosts { fixed } => format!(
            "the fixed costs: every run pays {} (run_overhead and the stages' startup) whatever its workers, as long as the deadline or longer",
            fixed.human()
        ),
        Blocker::WorkerLimit { stage } => format!(
            "the worker limit: {}; more than {max_workers} workers would be needed (raise --max-workers)",
            held(*stage)
        ),
    }
}

fn deadline_cell(estimate: &Estimate) -> String {
    match (&estimate.time.slack, estimate.time.deadline_met) {
        (Some(_), Some(true)) => "met".into(),
        (Some(slack), _) => format!("missed by {}", human_duration(-slack.base())),
        (None, _) => "—".into(),
    }
}

pub fn answer_line(scenario: &Scenario, answer: &WorkersAnswer) -> String {
    let target = match &scenario.deadline {
        Some(deadline) => format!("meet the {} deadline", deadline.human()),
        None => "run (no deadline set)".into(),
    };
    let memory = if scenario.memory_per_worker.is_some() {
        " and fit in memory"
    } else {
        ""
    };
    match answer.min_workers {
        Some(n) => {
            let e = &answer.option(n).estimate;
            format!(
                "fewest workers to {target}{memory}: {n} ({} a run, {} compute a day, {} a month in all)",
                e.time.runs.run.human(),
                e.cost.compute_usd_per_day.human(),
                e.cost.total_usd_per_month.human()
            )
        }
        None => format!(
            "no number of workers up to {} can {target}{memory}. What stops it: {}",
            answer.max_workers,
            answer
                .blocker
                .as_ref()
                .map_or_else(String::new, |b| blocker(answer, b))
        ),
    }
}

pub fn workers_document(scenario: &Scenario, answer: &WorkersAnswer, explain: bool) -> Document {
    let mut section = Section::new(
        "Options",
        &[
            "Workers",
            "Time a run",
            "Speed-up",
            "Efficiency",
            "Worker time",
            "Compute/day",
            "Total/month",
            "Deadline",
            "Memory",
            "Limited by",
        ],
    );
    for option in &answer.options {
        let n = option.workers;
        let e = &option.estimate;
        let limited: Vec<String> = e
            .time
            .stages
            .iter()
            .filter_map(|s| {
                s.limited_by
                    .as_ref()
                    .map(|r| format!("{}: {}", s.name, super::limit(r)))
            })
            .collect();
        section.row([
            n.to_string(),
            e.time.runs.run.human(),
            format!("{}×", significant(e.time.speedup.base(), 3)),
            percent(e.time.efficiency.base()),
            e.cost.worker_time.human(),
            e.cost.compute_usd_per_day.human(),
            e.cost.total_usd_per_month.human(),
            deadline_cell(e),
            Amount::Flag(e.memory.fits()).human(),
            limited.join("; "),
        ]);
    }
    section.note(answer_line(scenario, answer));
    section.note(models_note(&answer.first().estimate));
    let one = &answer.first().estimate;
    let most = &answer.last().estimate;
    if most.cost.worker_time.base() > one.cost.worker_time.base() {
        section.note(format!(
            "parallelism buys latency, not cost: worker time grows from {} with 1 worker to {} with {} (efficiency {} → {}{})",
            one.cost.worker_time.human(),
            most.cost.worker_time.human(),
            answer.max_workers,
            percent(one.time.efficiency.base()),
            percent(most.time.efficiency.base()),
            if scenario.prices.billing_increment.is_some() {
                ", and billing rounds each worker up"
            } else {
                ""
            }
        ));
    }
    section.charts.push(super::charts::workers(
        answer,
        scenario.deadline.as_ref().map(|d| d.base()),
    ));
    let mut sections = vec![section];
    if explain {
        let chosen = answer.min_workers.unwrap_or(answer.fastest);
        sections.push(Section {
            title: format!("Working with {}", plural(f64::from(chosen), "worker")),
            working: metrics::key_working(&answer.option(chosen).estimate),
            ..Section::default()
        });
    }
    let mut document = scenario_document("workers", scenario, sections, one);
    if let Some(factor) = &scenario.volume_factor {
        document.intro.push(format!(
            "At {} the scenario's events per day (--scale)",
            factor_label(factor.base())
        ));
    }
    document
}

/// A stage held at a shared resource's floor.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageLimit {
    pub stage: String,
    #[serde(flatten)]
    pub limit: LimitedBy,
}

/// One row of `workers`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct WorkersOption {
    pub workers: u32,
    /// A day's time with this many workers.
    pub parallel_s: Num,
    /// One run's time with this many workers.
    pub run_s: Num,
    pub speedup: Num,
    pub efficiency: Num,
    pub worker_time_s: Num,
    pub compute_usd_per_day: Num,
    pub total_usd_per_month: Num,
    pub deadline_met: Option<bool>,
    pub memory_fits: Option<bool>,
    pub limited_by: Vec<StageLimit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<Working>>,
}

/// `pipecalc workers --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct WorkersDocument {
    #[serde(flatten)]
    pub versions: Versions,
    pub scenario: ScenarioRef,
    pub volume_factor: Option<Num>,
    pub deadline_s: Option<Num>,
    /// The fewest workers that meet the deadline and fit in memory, if any.
    pub min_workers: Option<u32>,
    pub fastest_workers: u32,
    /// What keeps more workers from helping, in words.
    pub stopped_by: Option<String>,
    pub options: Vec<WorkersOption>,
}

pub fn workers_json(scenario: &Scenario, answer: &WorkersAnswer, explain: bool) -> WorkersDocument {
    let options = answer
        .options
        .iter()
        .map(|o| {
            let e = &o.estimate;
            WorkersOption {
                workers: o.workers,
                parallel_s: json::seconds(&e.time.parallel),
                run_s: json::seconds(&e.time.runs.run),
                speedup: json::ratio(&e.time.speedup),
                efficiency: json::ratio(&e.time.efficiency),
                worker_time_s: json::seconds(&e.cost.worker_time),
                compute_usd_per_day: json::usd(&e.cost.compute_usd_per_day),
                total_usd_per_month: json::usd(&e.cost.total_usd_per_month),
                deadline_met: e.time.deadline_met,
                memory_fits: e.memory.fits(),
                limited_by: e
                    .time
                    .stages
                    .iter()
                    .filter_map(|s| {
                        s.limited_by.as_ref().map(|limit| StageLimit {
                            stage: s.name.clone(),
                            limit: limit.record(),
                        })
                    })
                    .collect(),
                explain: explained(explain, e),
            }
        })
        .collect();
    WorkersDocument {
        versions: Versions::default(),
        scenario: ScenarioRef::of(scenario),
        volume_factor: scenario.volume_factor.as_ref().map(json::ratio),
        deadline_s: scenario.deadline.as_ref().map(json::seconds),
        min_workers: answer.min_workers,
        fastest_workers: answer.fastest,
        stopped_by: answer.blocker.as_ref().map(|b| blocker(answer, b)),
        options,
    }
}

fn stored_steady(estimate: &Estimate) -> f64 {
    estimate
        .storage
        .datasets
        .iter()
        .map(|d| d.stored_steady_compressed.base())
        .sum()
}

pub fn growth_document(scenario: &Scenario, answer: &GrowthAnswer, explain: bool) -> Document {
    let workers = plural(scenario.workers.base(), "worker");
    let mut section = Section::new(
        "Growth",
        &[
            "Year",
            "Factor",
            "Events/day",
            "Raw/day",
            "Stored, steady",
            "Storage/month",
            "Run time",
            "Deadline",
            "Total/month",
        ],
    );
    for year in &answer.years {
        let e = &year.estimate;
        section.row([
            match answer.from {
                Some(_) => answer.label(year.year),
                None => year.year.to_string(),
            },
            factor_label(year.factor),
            e.flow.events_per_day.human(),
            e.flow.raw_bytes_per_day.human(),
            crate::units::human_bytes(stored_steady(e)),
            e.cost.storage_usd_per_month_steady.human(),
            // A run's time, beside a run's deadline: on a schedule the
            // day's parallel time is many runs.
            e.time.runs.run.human(),
            deadline_cell(e),
            e.cost.total_usd_per_month.human(),
        ]);
    }
    section.note(format!(
        "growth: {} = ×{} a year; run time with today's {workers}",
        answer.growth.text,
        significant(answer.growth.per_year, 4)
    ));
    section.note(match (answer.first_failing_year, &scenario.deadline) {
        (_, None) => "no deadline set, so no year fails".to_string(),
        (Some(0), Some(d)) => format!("the deadline of {} already fails today", d.human()),
        (Some(year), Some(d)) => format!(
            "the {} deadline first fails in {} with {workers}; plan more workers before then (see `pipecalc workers`)",
            d.human(),
            answer.label(year)
        ),
        (None, Some(d)) => format!(
            "the {} deadline holds every year shown with {workers}",
            d.human()
        ),
    });
    section.charts.extend(super::charts::growth(answer));
    if let Some(year) = answer.first_memory_year {
        let e = &answer.years[year as usize].estimate;
        section.note(format!(
            "memory first breaks in {}: a worker needs {} (see the estimate's partitions)",
            answer.label(year),
            e.memory.peak.human()
        ));
    }
    if let Some(year) = answer.first_link_year {
        let e = &answer.years[year as usize].estimate;
        if let Some(network) = &e.network {
            section.note(format!(
                "the link first breaks in {}: {}/day over {} no longer fits its window",
                answer.label(year),
                network.bytes_per_day.human(),
                network.bandwidth.human()
            ));
        }
    }
    let mut sections = vec![section];
    if explain {
        for year in &answer.years {
            sections.push(Section {
                title: format!("Working in year {}", year.year),
                working: metrics::key_working(&year.estimate),
                ..Section::default()
            });
        }
    }
    scenario_document("growth", scenario, sections, &answer.years[0].estimate)
}

/// One year of `growth`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct GrowthYear {
    pub year: u32,
    pub factor: Num,
    pub events_per_day: Whole,
    pub raw_bytes_per_day: Whole,
    pub stored_steady_bytes: Whole,
    pub storage_usd_per_month_steady: Num,
    /// The day's parallel time: every run of the day.
    pub parallel_s: Num,
    /// One run's time, which the deadline judges.
    pub run_s: Num,
    pub deadline_met: Option<bool>,
    pub total_usd_per_month: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<Working>>,
}

/// `pipecalc growth --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct GrowthDocument {
    #[serde(flatten)]
    pub versions: Versions,
    pub scenario: ScenarioRef,
    /// The growth rate as given (`2x/year`, `10x/5years`, `40%`).
    pub growth: String,
    pub growth_per_year: Num,
    pub workers: Whole,
    /// The first year the deadline fails with today's workers, if any.
    pub first_failing_year: Option<u32>,
    pub years: Vec<GrowthYear>,
}

pub fn growth_json(scenario: &Scenario, answer: &GrowthAnswer, explain: bool) -> GrowthDocument {
    let years = answer
        .years
        .iter()
        .map(|y| {
            let e = &y.estimate;
            GrowthYear {
                year: y.year,
                factor: Num(y.factor),
                events_per_day: json::count(&e.flow.events_per_day),
                raw_bytes_per_day: json::bytes(&e.flow.raw_bytes_per_day),
                stored_steady_bytes: json::whole(stored_steady(e)),
                storage_usd_per_month_steady: json::usd(&e.cost.storage_usd_per_month_steady),
                parallel_s: json::seconds(&e.time.parallel),
                run_s: json::seconds(&e.time.runs.run),
                deadline_met: e.time.deadline_met,
                total_usd_per_month: json::usd(&e.cost.total_usd_per_month),
                explain: explained(explain, e),
            }
        })
        .collect();
    GrowthDocument {
        versions: Versions::default(),
        scenario: ScenarioRef::of(scenario),
        growth: answer.growth.text.clone(),
        growth_per_year: Num(answer.growth.per_year),
        workers: json::count(&scenario.workers),
        first_failing_year: answer.first_failing_year,
        years,
    }
}
