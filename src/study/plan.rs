//! Planning the runs to calibrate from: three sizes a factor of two apart
//! below the target, and one at another worker count, each repeated (the
//! fit uses each size's quietest run; the others show the noise), and
//! each run's time predicted, fixed costs included, once a run has been
//! measured.

use anyhow::{bail, Result};
use schemars::JsonSchema;
use serde::Serialize;

use super::calibrate::{Calibration, Variant};
use crate::units::clean;

/// Repeats below this cannot show the noise a verdict needs.
pub const FEWEST_REPEATS: usize = 3;

/// What a planned run pins down in T = a + b·s + c·s/N.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The smallest size: mostly fixed cost.
    Smallest,
    /// Where fixed and growing work meet.
    Middle,
    /// The work that grows with the data.
    Largest,
    /// Another worker count: serial work apart from shared.
    OtherWorkers,
}

/// A size to run before calibrating, how often, and what it costs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PlannedRun {
    pub events: u64,
    pub workers: usize,
    pub repeats: usize,
    /// The generator's seed for this size's logs.
    pub seed: u64,
    pub purpose: Purpose,
    /// One run's time (every fixed cost included), predicted from runs
    /// already measured; `null` before any.
    pub predicted_s: Option<f64>,
}

/// What the plan could not do or had to leave out.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanNote {
    /// One worker: serial and shared work need not be told apart.
    OneWorker,
    /// No run measured yet, so no time is predicted.
    NothingMeasured,
    /// Measured at one size: a fixed cost cannot be told from work that
    /// grows, so the times predicted leave it out (the runs take longer).
    OneSizeMeasured,
    /// Fewer repeats than a verdict needs to see the noise.
    FewRepeats { repeats: usize },
    /// Dropped to fit `--budget`.
    Dropped {
        events: u64,
        workers: usize,
        purpose: Purpose,
    },
    /// Even the two cheapest exceed the budget.
    OverBudget,
    /// `--budget` needs a measured run to price the runs.
    BudgetUnpriced,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Plan {
    pub target: u64,
    pub workers: usize,
    pub runs: Vec<PlannedRun>,
    /// Every run's time, all repeats, where every run is priced.
    pub total_s: Option<f64>,
    pub notes: Vec<PlanNote>,
}

/// The runs to make to fit a job that will run at `target` events on
/// `workers`: three sizes a factor of two apart, the largest 5× below the
/// target (a fixed cost shows against the work that grows, and the target
/// is a short extrapolation), and one size at another worker count (serial
/// work shows apart from shared work), as Ernest's experiment design picks
/// few, cheap, spread-out samples; each `repeats` times. With `measured` (a
/// calibration from runs already made) each run's time is predicted; with
/// `budget` the costliest sizes are dropped until the rest fit it, and
/// what that leaves undecided is said.
pub fn plan_runs(
    target: u64,
    workers: usize,
    repeats: usize,
    seed: u64,
    measured: Option<&Calibration>,
    budget_s: Option<f64>,
) -> Result<Plan> {
    if target < 1000 {
        bail!("`--target {target}`: plan for at least 1000 events");
    }
    let workers = workers.max(1);
    let repeats = repeats.max(1);
    let planned = |share: u64, workers: usize, purpose: Purpose| PlannedRun {
        events: target / share,
        workers,
        repeats,
        seed,
        purpose,
        predicted_s: None,
    };
    let mut runs = vec![
        planned(20, workers, Purpose::Smallest),
        planned(10, workers, Purpose::Middle),
        planned(5, workers, Purpose::Largest),
    ];
    let mut notes = Vec::new();
    if workers > 1 {
        let other = if workers > 2 { workers / 2 } else { 1 };
        runs.insert(2, planned(10, other, Purpose::OtherWorkers));
    } else {
        notes.push(PlanNote::OneWorker);
    }
    if repeats < FEWEST_REPEATS {
        notes.push(PlanNote::FewRepeats { repeats });
    }
    match measured {
        Some(calibration) => {
            for run in &mut runs {
                let estimate = calibration.predict(Variant::QUIET, run.events, run.workers)?;
                run.predicted_s = Some(clean(estimate.time.runs.run.base()));
            }
            let mut sizes: Vec<u64> = calibration.groups.iter().map(|g| g.events).collect();
            sizes.dedup();
            if sizes.len() < 2 {
                notes.push(PlanNote::OneSizeMeasured);
            }
        }
        None => notes.push(PlanNote::NothingMeasured),
    }
    let total = |runs: &[PlannedRun]| -> Option<f64> {
        runs.iter()
            .map(|r| r.predicted_s.map(|t| t * r.repeats as f64))
            .sum()
    };
    if let Some(budget) = budget_s {
        if measured.is_none() {
            notes.push(PlanNote::BudgetUnpriced);
        } else {
            while total(&runs).is_some_and(|t| t > budget) && runs.len() > 2 {
                let costliest = (0..runs.len())
                    .max_by(|&a, &b| {
                        runs[a]
                            .predicted_s
                            .unwrap_or(0.0)
                            .total_cmp(&runs[b].predicted_s.unwrap_or(0.0))
                    })
                    .expect("runs");
                let dropped = runs.remove(costliest);
                notes.push(PlanNote::Dropped {
                    events: dropped.events,
                    workers: dropped.workers,
                    purpose: dropped.purpose,
                });
            }
            if total(&runs).is_some_and(|t| t > budget) {
                notes.push(PlanNote::OverBudget);
            }
        }
    }
    Ok(Plan {
        target,
        workers,
        total_s: total(&runs).map(clean),
        runs,
        notes,
    })
}
