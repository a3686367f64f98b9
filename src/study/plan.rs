//! Planning the runs to calibrate from: three sizes a factor of two apart
//! below the target, and one at another worker count, each run's time
//! predicted once a run has been measured.

use anyhow::{bail, Result};
use schemars::JsonSchema;
use serde::Serialize;

use crate::units::clean;

/// A sample run to make before calibrating, and what it costs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PlannedRun {
    pub events: u64,
    pub workers: usize,
    /// What the run pins down in T = a + b·s + c·s/N.
    pub why: String,
    /// Its time, predicted from runs already measured; `None` before any.
    pub predicted_s: Option<f64>,
}

/// The runs to make to fit a job that will run at `target` events on
/// `workers`: three sizes a factor of two apart, the largest 5× below the
/// target (a fixed cost shows against the work that grows, and the target
/// is a short extrapolation), and one run at another worker count (serial
/// work shows apart from shared work), as Ernest's experiment design picks
/// few, cheap, spread-out samples. With `model` (a scenario calibrated from
/// runs already made) each run's time is predicted; with `budget` the
/// costliest runs are dropped until the rest fit it, and what that leaves
/// undecided is said.
pub fn plan_runs(
    target: u64,
    workers: usize,
    model: Option<&crate::scenario::Scenario>,
    budget_s: Option<f64>,
) -> Result<(Vec<PlannedRun>, Vec<String>)> {
    if target < 1000 {
        bail!("`--target {target}`: plan for at least 1000 events");
    }
    let workers = workers.max(1);
    let mut runs: Vec<PlannedRun> = [20u64, 10, 5]
        .iter()
        .map(|&share| PlannedRun {
            events: target / share,
            workers,
            why: format!(
                "1/{share} of the target: {}",
                match share {
                    20 => "the smallest, mostly fixed cost",
                    10 => "the middle, where fixed and growing work meet",
                    _ => "the largest, the work that grows with the data",
                }
            ),
            predicted_s: None,
        })
        .collect();
    let mut notes = Vec::new();
    if workers > 1 {
        let other = if workers > 2 { workers / 2 } else { 1 };
        runs.insert(
            2,
            PlannedRun {
                events: target / 10,
                workers: other,
                why: format!("1/10 of the target on {other} worker(s): serial work, apart from work the {workers} share"),
                predicted_s: None,
            },
        );
    } else {
        notes.push("one worker: serial and shared work need not be told apart".to_string());
    }
    if let Some(model) = model {
        let base = model.events_per_day.base().max(1.0);
        for run in &mut runs {
            let scenario = model
                .clone()
                .with_scale(run.events as f64 / base, "--target")?
                .with_workers(run.workers as u32, "--workers")?;
            let estimate = crate::model::checked_estimate(&scenario)?;
            run.predicted_s = Some(clean(estimate.time.runs.run.base()));
        }
    } else {
        notes.push("no run measured yet, so no run's time is predicted: make the smallest first, then plan again with --from it".to_string());
    }
    if let Some(budget) = budget_s {
        let total = |runs: &[PlannedRun]| runs.iter().filter_map(|r| r.predicted_s).sum::<f64>();
        if model.is_none() {
            notes.push(
                "--budget needs a measured run (--from) to price the runs; none were dropped"
                    .to_string(),
            );
        } else {
            while total(&runs) > budget && runs.len() > 2 {
                let costliest = runs
                    .iter()
                    .enumerate()
                    .max_by(|a, b| {
                        a.1.predicted_s
                            .unwrap_or(0.0)
                            .total_cmp(&b.1.predicted_s.unwrap_or(0.0))
                    })
                    .map(|(i, _)| i)
                    .expect("runs");
                let dropped = runs.remove(costliest);
                notes.push(format!(
                    "dropped for the budget: {} events on {} worker(s) ({}); what it pinned down is now less certain",
                    dropped.events,
                    dropped.workers,
                    dropped.why
                ));
            }
            if total(&runs) > budget {
                notes.push("even the two cheapest runs exceed the budget: two sizes are the least that tell a fixed cost from growing work".to_string());
            }
        }
    }
    Ok((runs, notes))
}
