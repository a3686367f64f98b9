//! Memory: each stage's working set, what each worker holds, the peak and
//! where it happens, against the memory each worker has.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::Information;

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::flow::Flow;
use crate::model::streaming::StreamingModel;
use crate::model::time::TimeModel;
use crate::scenario::{Scenario, WorkingSet};
use crate::units::Ratio;

/// What a stage holds in memory.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageMemory {
    #[serde(skip)]
    pub name: String,
    #[serde(rename = "working_set_bytes")]
    pub working_set: Fig<Information>,
    /// What one worker holds: the working set split evenly across the
    /// workers, or a fixed per-worker size.
    #[serde(rename = "memory_per_worker_bytes")]
    pub per_worker: Fig<Information>,
}

/// Memory: the peak a worker holds, and whether it fits.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct MemoryModel {
    /// Listed per stage in the document's `stages`.
    #[serde(skip)]
    pub stages: Vec<StageMemory>,
    #[serde(rename = "peak_bytes")]
    pub peak: Fig<Information>,
    /// The stage whose workers hold the most.
    #[serde(rename = "peak_stage")]
    pub peak_stage_name: String,
    #[serde(rename = "memory_per_worker_bytes")]
    pub memory_per_worker: Option<Fig<Information>>,
    /// Memory per worker minus the peak; negative when it does not fit.
    #[serde(rename = "headroom_bytes")]
    pub headroom: Option<Fig<Information>>,
    /// The peak fits a worker's memory; `null` when the scenario gives none.
    pub fits: Option<bool>,
    /// When the peak does not fit: how many partitions the peak stage's
    /// data must be split into so each fits a worker (the lecture's
    /// "mitigation: partition data"), ⌈peak ÷ memory per worker⌉.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions_to_fit: Option<Fig<crate::units::Ratio>>,
    /// Index of the peak stage.
    #[serde(skip)]
    pub peak_stage: usize,
    /// Some task spills: it holds more than the engine gives a task (a
    /// shuffle's reduce task, judged with `worker:` and a worker's memory);
    /// `null` when no stage is judged so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spills: Option<bool>,
    /// The first stage whose tasks spill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spilling_stage: Option<String>,
}

impl MemoryModel {
    pub fn fits(&self) -> Option<bool> {
        self.fits
    }
    pub fn peak_stage_name(&self) -> &str {
        &self.peak_stage_name
    }
}

/// What one run holds at once: a batch run's share of the day, or for a
/// stream one window of peak traffic; and the workers it is split over.
struct Run<'a> {
    /// The day's data a run holds, when it is not the whole day.
    share: Option<Fig<Ratio>>,
    workers: &'a Fig<Ratio>,
}

pub fn memory(
    scenario: &Scenario,
    flow: &Flow,
    time: &TimeModel,
    stream: Option<&StreamingModel>,
) -> MemoryModel {
    // A stream's workers hold the window in flight; a batch run (a hybrid's
    // batch too, the larger) holds its run's share of the day.
    let batch_workers = scenario.workers.as_ratio();
    let run = match stream.filter(|s| !s.hybrid) {
        Some(stream) => Run {
            share: Some(
                (&(&stream.peak_rate * &stream.window) / &flow.events_per_day)
                    .named("share_in_flight"),
            ),
            workers: &stream.fleet_at_peak,
        },
        None => Run {
            share: time
                .runs
                .scheduled
                .then(|| (&Fig::constant(Ratio(1.0)) / &time.runs.runs_per_day).named("run_share")),
            workers: &batch_workers,
        },
    };
    let stages: Vec<StageMemory> = scenario
        .stages
        .iter()
        .zip(&flow.stages)
        .zip(&time.stages)
        .map(|((stage, data), timed)| {
            let name = &stage.name;
            let symbol = format_args!("working_set[{name}]");
            let per_worker_symbol = format_args!("memory_per_worker_needed[{name}]");
            // A stage in the warehouse holds nothing on the cluster's workers.
            if stage.in_warehouse {
                let nothing = Fig::constant(crate::units::bytes(0.0));
                return StageMemory {
                    name: stage.name.clone(),
                    working_set: nothing.clone().named(symbol),
                    per_worker: nothing.named(per_worker_symbol),
                };
            }
            // A stage's input or output (a run's share of it) is split evenly
            // across the workers; a fixed size is what each worker holds (a
            // streaming buffer).
            let split = |data: &Fig<Information>| {
                let working_set = match &run.share {
                    Some(share) => (data * share).named(symbol),
                    None => data.alias(symbol),
                };
                let per_worker = (&working_set / run.workers).named(per_worker_symbol);
                (working_set, per_worker)
            };
            let (working_set, per_worker) = match &stage.working_set {
                WorkingSet::Input => split(&data.bytes_in),
                WorkingSet::Output => split(&data.bytes_out),
                WorkingSet::Fixed(size) => {
                    let per_worker = size.alias(per_worker_symbol);
                    let working_set = (size * run.workers).named(symbol);
                    (working_set, per_worker)
                }
                WorkingSet::Growing { size, exponent } => {
                    let per_worker = match &scenario.volume_factor {
                        Some(factor) => (size * &factor.pow(exponent)).named(per_worker_symbol),
                        None => size.alias(per_worker_symbol),
                    };
                    let working_set = (&per_worker * run.workers).named(symbol);
                    (working_set, per_worker)
                }
            };
            // A join's other input is held too: whole by every worker when
            // broadcast, a worker's share of it when shuffled.
            let join = timed.engine.as_ref().and_then(|e| e.join.as_ref());
            let per_worker = match join {
                Some(join) => {
                    let held = match join.kind {
                        crate::model::engine::JoinKind::Broadcast => join.with.clone(),
                        crate::model::engine::JoinKind::Shuffled => &join.with / run.workers,
                    };
                    (&per_worker.named(format_args!("memory_per_worker_own[{name}]")) + &held)
                        .named(format_args!("memory_per_worker_needed[{name}]"))
                }
                None => per_worker,
            };
            StageMemory {
                name: stage.name.clone(),
                working_set,
                per_worker,
            }
        })
        .collect();
    let judged: Vec<&crate::model::time::StageTime> = time
        .stages
        .iter()
        .filter(|s| s.engine.as_ref().is_some_and(|e| e.spill.is_some()))
        .collect();
    let spilling_stage = judged
        .iter()
        .find(|s| s.engine.as_ref().is_some_and(|e| e.spills()))
        .map(|s| s.name.clone());
    let spills = (!judged.is_empty()).then_some(spilling_stage.is_some());
    let (peak_stage, peak) =
        Fig::max_of(stages.iter().map(|s| &s.per_worker)).expect("validation guarantees a stage");
    let peak = peak.named("peak_memory");
    let headroom = scenario
        .memory_per_worker
        .as_ref()
        .map(|available| (available - &peak).named("memory_headroom"));
    let one = Fig::constant(crate::units::Ratio(1.0));
    let partitions_to_fit = scenario
        .memory_per_worker
        .as_ref()
        .filter(|available| peak.base() > available.base())
        .map(|available| (&peak / available).ceil_to(&one).named("partitions_to_fit"));
    MemoryModel {
        peak_stage_name: stages[peak_stage].name.clone(),
        stages,
        peak,
        memory_per_worker: scenario.memory_per_worker.clone(),
        fits: headroom.as_ref().map(|h| h.base() >= 0.0),
        headroom,
        partitions_to_fit,
        peak_stage,
        spills,
        spilling_stage,
    }
}

impl Explain for MemoryModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = Vec::new();
        for stage in &self.stages {
            figures.extend([&stage.working_set as &dyn AnyFig, &stage.per_worker]);
        }
        figures.push(&self.peak);
        figures.extend(self.memory_per_worker.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.headroom.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.partitions_to_fit.iter().map(|f| f as &dyn AnyFig));
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{close, lecture, with};
    fn model(s: &Scenario) -> MemoryModel {
        let e = crate::estimate(s);
        e.memory
    }

    #[test]
    fn lecture_memory_by_hand() {
        // Raw 5 GB in ingest, 2 GB after the filter, 5 MB aggregated; the
        // peak is 5 GB during ingestion and fits 8 GB with 3 GB to spare.
        let s = lecture();
        let m = model(&s);
        close(m.stages[0].working_set.base(), 5e9);
        close(m.stages[1].working_set.base(), 2e9);
        close(m.stages[2].working_set.base(), 5e6);
        close(m.peak.base(), 5e9);
        assert_eq!(m.peak_stage_name(), "ingest");
        close(m.headroom.as_ref().unwrap().base(), 3e9);
        assert_eq!(m.fits(), Some(true));
        assert!(m.partitions_to_fit.is_none());
    }

    #[test]
    fn ten_times_the_data_does_not_fit_one_worker() {
        let s = lecture().with_scale(10.0, "--scale").unwrap();
        let m = model(&s);
        close(m.peak.base(), 50e9);
        assert_eq!(m.fits(), Some(false));
        let spread = s.with_workers(10, "--workers").unwrap();
        let m = model(&spread);
        close(m.peak.base(), 5e9);
        assert_eq!(m.fits(), Some(true));
    }

    #[test]
    fn a_fixed_working_set_is_per_worker() {
        // A 2 GB streaming buffer in each of 4 workers: 8 GB in all.
        let s = with(
            "  - name: load\n",
            "  - name: load\n    working_set: 2 GB\n",
        )
        .with_workers(4, "--workers")
        .unwrap();
        let m = model(&s);
        close(m.stages[3].per_worker.base(), 2e9);
        close(m.stages[3].working_set.base(), 8e9);
    }

    #[test]
    fn a_growing_working_set_follows_the_volume_by_its_exponent() {
        // 10 MB a worker, growing as the square root of the volume: at 4×
        // the data each worker holds 10 MB × 4^0.5 = 20 MB, 2 workers 40 MB.
        let s = with(
            "  - name: load\n",
            "  - name: load\n    working_set: 10 MB\n    working_set_grows: 0.5\n",
        );
        let m = model(&s);
        close(m.stages[3].per_worker.base(), 10e6);
        let s = s
            .with_scale(4.0, "--scale")
            .unwrap()
            .with_workers(2, "--workers")
            .unwrap();
        let m = model(&s);
        close(m.stages[3].per_worker.base(), 20e6);
        close(m.stages[3].working_set.base(), 40e6);
        let line = m.stages[3].per_worker.working().to_string();
        assert!(
            line.contains("working_set[load] × volume_factor ^ working_set_growth[load]"),
            "{line}"
        );
    }
}
