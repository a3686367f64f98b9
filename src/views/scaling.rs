//! Reports for `scale`, `workers` and `growth`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::model::scaling::{Blocker, GrowthAnswer, Projection, WorkersAnswer};
use crate::model::Estimate;
use crate::scenario::Scenario;
use crate::units::{human_duration, plural, significant};

use super::conventions;
use super::estimate::percent;
use crate::model::summary::{self as metrics, Amount};
use crate::report::{Document, Section};

fn factor_label(factor: f64) -> String {
    format!("{}×", significant(factor, 4))
}

/// Which parallel model produced the times, stage by stage.
fn models_note(estimate: &Estimate) -> String {
    let labels: BTreeSet<&str> = estimate
        .time
        .stages
        .iter()
        .map(|s| s.model.as_str())
        .collect();
    if labels.len() == 1 && labels.contains("linear") {
        "parallel model: linear for every stage (the lecture's T_parallel = T_sequential ÷ N)"
            .into()
    } else {
        let stages: Vec<String> = estimate
            .time
            .stages
            .iter()
            .map(|s| format!("{} {}", s.name, s.model))
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
        conventions: conventions(estimate.calendar.days_per_month.base()),
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
        let mut cells = vec![first.label.to_string()];
        cells.extend(tables.iter().map(|t| t[row].amount.human()));
        section.row(cells);
    }
    // Each stored dataset as it is, then under the compression what-if.
    for (index, dataset) in scenario.storage.iter().enumerate() {
        let mut stored = vec![format!("Stored `{}`, month 1", dataset.name)];
        stored.extend(projections.iter().map(|p| {
            p.estimate.storage.datasets[index]
                .stored_month1_compressed
                .human()
        }));
        section.row(stored);
    }
    if let Some(ratio) = compression {
        let ratio = significant(ratio, 4);
        for (index, dataset) in scenario.storage.iter().enumerate() {
            let mut stored = vec![format!(
                "Stored `{}`, month 1, {ratio}× compressed",
                dataset.name
            )];
            let mut cost = vec![format!(
                "Cost `{}`, month 1, {ratio}× compressed",
                dataset.name
            )];
            for p in projections {
                let compressed = &p
                    .compressed
                    .as_ref()
                    .expect("projected with compression")
                    .storage
                    .datasets[index];
                stored.push(compressed.stored_month1_compressed.human());
                cost.push(compressed.usd_month1.human());
            }
            section.row(stored);
            section.row(cost);
        }
    }
    section.note(models_note(&projections[0].estimate));
    section.note("events scale with the factor; distinct keys (an aggregate's `rows`) stay fixed unless `keys_grow: true`; a stage given as a `duration` scales linearly");
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

pub fn scale_json(scenario: &Scenario, projections: &[Projection], explain: bool) -> Value {
    let projections: Vec<Value> = projections
        .iter()
        .map(|p| {
            let mut object = serde_json::Map::new();
            object.insert("factor".into(), json!(crate::units::clean(p.factor)));
            object.insert("workers".into(), json!(p.workers));
            object.extend(metrics::json(&metrics::summary(&p.estimate)));
            if let Some(compressed) = &p.compressed {
                object.insert(
                    "storage_usd_month1_compressed".into(),
                    super::json::usd(&compressed.cost.storage_usd_month1),
                );
            }
            object.insert(
                "parallel_models".into(),
                json!(p
                    .estimate
                    .time
                    .stages
                    .iter()
                    .map(|s| json!({"stage": s.name, "model": s.model}))
                    .collect::<Vec<_>>()),
            );
            if explain {
                object.insert("explain".into(), json!(metrics::key_working(&p.estimate)));
            }
            Value::Object(object)
        })
        .collect();
    json!({
        "scenario": { "name": scenario.name, "file": scenario.file },
        "projections": projections,
    })
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
            timed.parallel.human(),
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
        Blocker::WorkerLimit { stage } => format!(
            "the worker limit: {}; more than {max_workers} workers would be needed (raise --max-workers)",
            held(*stage)
        ),
    }
}

fn deadline_cell(estimate: &Estimate) -> String {
    match &estimate.time.deadline {
        None => "—".into(),
        Some(d) if d.met => "met".into(),
        Some(d) => format!("missed by {}", human_duration(-d.slack.base())),
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
                "fewest workers to {target}{memory}: {n} ({} per run, {} compute per day, {} per month in all)",
                e.time.parallel.human(),
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
            "Run time",
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
            e.time.parallel.human(),
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

pub fn workers_json(scenario: &Scenario, answer: &WorkersAnswer, explain: bool) -> Value {
    let options: Vec<Value> = answer
        .options
        .iter()
        .map(|o| {
            let e = &o.estimate;
            let mut value = json!({
                "workers": o.workers,
                "parallel_s": super::json::seconds(&e.time.parallel),
                "speedup": super::json::ratio(&e.time.speedup),
                "efficiency": super::json::ratio(&e.time.efficiency),
                "worker_time_s": super::json::seconds(&e.cost.worker_time),
                "compute_usd_per_day": super::json::usd(&e.cost.compute_usd_per_day),
                "total_usd_per_month": super::json::usd(&e.cost.total_usd_per_month),
                "deadline_met": e.time.deadline.as_ref().map(|d| d.met),
                "memory_fits": e.memory.fits(),
                "limited_by": e.time.stages.iter().filter_map(|s| s.limited_by.as_ref().map(|r| json!({"stage": s.name, "resource": super::limit(r)}))).collect::<Vec<_>>(),
            });
            if explain {
                value["explain"] = json!(metrics::key_working(e));
            }
            value
        })
        .collect();
    json!({
        "scenario": { "name": scenario.name, "file": scenario.file },
        "volume_factor": scenario.volume_factor.as_ref().map(super::json::ratio),
        "deadline_s": scenario.deadline.as_ref().map(super::json::seconds),
        "min_workers": answer.min_workers,
        "fastest_workers": answer.fastest,
        "stopped_by": answer.blocker.as_ref().map(|b| blocker(answer, b)),
        "options": options,
    })
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
            year.year.to_string(),
            factor_label(year.factor),
            e.flow.events_per_day.human(),
            e.flow.raw_bytes_per_day.human(),
            crate::units::human_bytes(stored_steady(e)),
            e.cost.storage_usd_per_month_steady.human(),
            e.time.parallel.human(),
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
            "the {} deadline first fails in year {year} with {workers}; plan more workers before then (see `pipecalc workers`)",
            d.human()
        ),
        (None, Some(d)) => format!(
            "the {} deadline holds every year shown with {workers}",
            d.human()
        ),
    });
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

pub fn growth_json(scenario: &Scenario, answer: &GrowthAnswer, explain: bool) -> Value {
    let years: Vec<Value> = answer
        .years
        .iter()
        .map(|y| {
            let e = &y.estimate;
            let mut value = json!({
                "year": y.year,
                "factor": crate::units::clean(y.factor),
                "events_per_day": super::json::count(&e.flow.events_per_day),
                "raw_bytes_per_day": super::json::bytes(&e.flow.raw_bytes_per_day),
                "stored_steady_bytes": super::json::whole(stored_steady(e)),
                "storage_usd_per_month_steady": super::json::usd(&e.cost.storage_usd_per_month_steady),
                "parallel_s": super::json::seconds(&e.time.parallel),
                "deadline_met": e.time.deadline.as_ref().map(|d| d.met),
                "total_usd_per_month": super::json::usd(&e.cost.total_usd_per_month),
            });
            if explain {
                value["explain"] = json!(metrics::key_working(e));
            }
            value
        })
        .collect();
    json!({
        "scenario": { "name": scenario.name, "file": scenario.file },
        "growth": answer.growth.text,
        "growth_per_year": crate::units::clean(answer.growth.per_year),
        "workers": super::json::count(&scenario.workers),
        "first_failing_year": answer.first_failing_year,
        "years": years,
    })
}
