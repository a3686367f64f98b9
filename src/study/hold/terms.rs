//! The cluster's terms a Spark event log records, held against the model:
//! the bytes a stage's shuffle reads (predicted from the calibration, as
//! every count is), the share of them that crossed the network ((H − 1) ÷ H
//! with H hosts), whether tasks spilled, and the longest task against
//! the median. Judged as the cluster notes ask: bytes within 2×, a share
//! within ten points, spill and skew yes or no.

use schemars::JsonSchema;
use serde::Serialize;

use super::super::calibrate::{Calibration, Variant};
use super::super::run::Group;
use crate::units::clean;

/// Spark's adaptive execution splits a partition past 5× the median task.
pub const SKEW_FACTOR: f64 = 5.0;

/// Which of a real cluster's terms a check holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    /// Bytes the stage's shuffle read.
    ShuffleBytes,
    /// The share of them read from other executors.
    RemoteShare,
    /// Tasks wrote to disk what did not fit their memory.
    Spill,
    /// The longest task over the median.
    Skew,
}

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    Agrees,
    Disagrees,
    /// The log or the calibration does not say enough to judge.
    NotJudged,
}

/// One term of one stage of one group of runs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TermCheck {
    pub stage: String,
    pub term: Term,
    pub events: u64,
    pub workers: usize,
    /// The model's: bytes, a share, or 1 (yes) / 0 (no); `null` where it
    /// has nothing to say.
    pub predicted: Option<f64>,
    /// The log's: the first run's counts (the same every run), the median
    /// run's longest ÷ median task.
    pub measured: Option<f64>,
    pub agreement: Agreement,
    /// Why, in words.
    pub why: String,
}

/// Every term each group's Spark logs record, held against the model.
pub fn hold_terms(calibration: &Calibration, groups: &[Group]) -> Vec<TermCheck> {
    let mut checks = Vec::new();
    for group in groups {
        let Some(run) = group.runs.first() else {
            continue;
        };
        let Some(spark) = &run.spark else {
            continue;
        };
        let predicted = calibration
            .predict(Variant::QUIET, group.events, group.workers)
            .ok();
        let executors = run.record.executors.as_ref();
        for stage in &spark.stages {
            let index = calibration.stages.iter().position(|c| {
                c.measured_as == stage.stage
                    || c.name == crate::scenario::stage_name_from(&stage.stage)
            });
            let (Some(index), Some(estimate)) = (index, predicted.as_ref()) else {
                continue;
            };
            let name = calibration.stages[index].name.clone();
            let check = |term: Term,
                         predicted: Option<f64>,
                         measured: Option<f64>,
                         agreement: Agreement,
                         why: String| TermCheck {
                stage: name.clone(),
                term,
                events: group.events,
                workers: group.workers,
                predicted: predicted.map(clean),
                measured: measured.map(clean),
                agreement,
                why,
            };
            // The model's shuffle at this size: the calibrated share of the
            // stage's bytes in (`shuffle: { share }`), or, for a stage
            // whose only input is a shuffle, its bytes in.
            if let Some(read) = stage.shuffle_read_bytes.filter(|&b| b > 0) {
                let engine = estimate.time.stages[index].engine.as_ref();
                let reads_only_shuffle =
                    stage.bytes_in_source == crate::reference::spark::BytesSource::Shuffle;
                let model = engine
                    .and_then(|e| e.shuffle.as_ref())
                    .map(|d| d.base())
                    .or_else(|| {
                        reads_only_shuffle.then(|| estimate.flow.stages[index].bytes_in.base())
                    });
                checks.push(match model {
                    Some(model) => {
                        let ratio = model / read as f64;
                        let agrees = (0.5..=2.0).contains(&ratio);
                        check(
                            Term::ShuffleBytes,
                            Some(model),
                            Some(read as f64),
                            if agrees { Agreement::Agrees } else { Agreement::Disagrees },
                            format!(
                                "the model's shuffle at this size is {}× the log's{}",
                                crate::units::significant(ratio, 3),
                                if agrees { ", within 2×" } else { ", not within 2×" }
                            ),
                        )
                    }
                    None => check(
                        Term::ShuffleBytes,
                        None,
                        Some(read as f64),
                        Agreement::NotJudged,
                        "the calibrated scenario gives the stage no shuffle (calibrate it from a Spark log that has one)".into(),
                    ),
                });
                // (H − 1) ÷ H of a shuffle's blocks live on other hosts; Spark
                // reads another executor's blocks on the same host from its
                // disk, and counts them local.
                let share = match (stage.shuffle_remote_bytes, stage.shuffle_local_bytes) {
                    (Some(remote), Some(local)) if remote + local > 0 => {
                        Some(remote as f64 / (remote + local) as f64)
                    }
                    _ => None,
                };
                let model_share = executors.map(|e| {
                    if e.local {
                        0.0
                    } else {
                        let hosts = e.hosts.len().max(1) as f64;
                        (hosts - 1.0) / hosts
                    }
                });
                checks.push(match (model_share, share) {
                    (Some(model), Some(measured)) => {
                        let agrees = (model - measured).abs() <= 0.10;
                        check(
                            Term::RemoteShare,
                            Some(model),
                            Some(measured),
                            if agrees { Agreement::Agrees } else { Agreement::Disagrees },
                            format!(
                                "{} executor(s) on {} host(s): (H − 1) ÷ H of the blocks are another host's; {}",
                                executors.map_or(0, |e| e.count),
                                executors.map_or(0, |e| e.hosts.len()),
                                if agrees { "within ten points" } else { "not within ten points" }
                            ),
                        )
                    }
                    _ => check(
                        Term::RemoteShare,
                        model_share,
                        share,
                        Agreement::NotJudged,
                        "the log gives no executors or no remote and local bytes".into(),
                    ),
                });
            }
            let spilled = match (stage.memory_spilled_bytes, stage.disk_spilled_bytes) {
                (None, None) => None,
                (memory, disk) => Some(memory.unwrap_or(0).max(disk.unwrap_or(0))),
            };
            let model_spills = estimate.time.stages[index]
                .engine
                .as_ref()
                .and_then(|e| e.spill.as_ref())
                .map(|s| s.spills);
            // With no task memory in the model and nothing spilled in the
            // log there is nothing to say about spill.
            let spill = match (model_spills, spilled) {
                (None, Some(0) | None) => None,
                (Some(model), Some(bytes)) => Some({
                    let measured = bytes > 0;
                    check(
                        Term::Spill,
                        Some(f64::from(u8::from(model))),
                        Some(bytes as f64),
                        if model == measured { Agreement::Agrees } else { Agreement::Disagrees },
                        format!(
                            "the model says it {}, the log {}",
                            if model { "spills" } else { "fits" },
                            if measured { "spilled" } else { "spilled nothing" }
                        ),
                    )
                }),
                (None, Some(bytes)) => Some(check(
                    Term::Spill,
                    None,
                    Some(bytes as f64),
                    Agreement::NotJudged,
                    format!(
                        "the calibrated scenario gives no task memory (`worker:`, `memory_per_worker`, a `shuffle:`); the log {}",
                        if bytes > 0 { "spilled" } else { "spilled nothing" }
                    ),
                )),
                (Some(model), None) => Some(check(
                    Term::Spill,
                    Some(f64::from(u8::from(model))),
                    None,
                    Agreement::NotJudged,
                    "the log records no spill".into(),
                )),
            };
            checks.extend(spill);
            // A straggler in one repeat is not skew: the group's median.
            let skews: Vec<f64> = group
                .runs
                .iter()
                .filter_map(|r| {
                    r.spark
                        .as_ref()?
                        .stages
                        .iter()
                        .find(|s| s.stage == stage.stage)?
                        .task_skew()
                })
                .collect();
            let skew = crate::reference::metrics::median(&skews);
            let model_slowest = estimate.time.stages[index]
                .engine
                .as_ref()
                .and_then(|e| e.tasks.as_ref())
                .map(|t| t.slowest.base())
                .unwrap_or(1.0);
            let shuffled = stage.shuffle_read_bytes.is_some_and(|b| b > 0);
            checks.push(match skew {
                // A scan's tasks follow its files' sizes, which the model
                // takes as even splits: its skew term is a key's partition.
                Some(measured) if !shuffled => check(
                    Term::Skew,
                    Some(model_slowest),
                    Some(measured),
                    Agreement::NotJudged,
                    format!(
                        "the longest task is {}× the median; a stage that reads no shuffle has no keys' partitions, and its files' sizes are not the model's",
                        crate::units::significant(measured, 3)
                    ),
                ),
                Some(measured) => {
                    let skewed = measured > SKEW_FACTOR;
                    let model_skewed = model_slowest > SKEW_FACTOR;
                    check(
                        Term::Skew,
                        Some(model_slowest),
                        Some(measured),
                        if skewed == model_skewed { Agreement::Agrees } else { Agreement::Disagrees },
                        format!(
                            "the longest task is {}× the median ({} Spark's 5× for a skewed partition); the model's slowest is {}×",
                            crate::units::significant(measured, 3),
                            if skewed { "past" } else { "within" },
                            crate::units::significant(model_slowest, 3)
                        ),
                    )
                }
                None => check(
                    Term::Skew,
                    Some(model_slowest),
                    None,
                    Agreement::NotJudged,
                    "the log gives no task times".into(),
                ),
            });
        }
    }
    checks
}
