//! Scaling: the scenario re-estimated at other volumes and worker counts,
//! the fewest workers that meet the deadline, and growth year by year.
//!
//! Every figure shown is a what-if scenario run through the same models as
//! `estimate`. The worker search asks the models "does N meet the deadline
//! and fit?" for every N up to the limit, on a copy of the scenario
//! without words (the arithmetic only), and keeps in full only the counts
//! it shows.

use anyhow::Result;
use uom::si::f64::Time;

use std::collections::BTreeSet;

use crate::figure::Fig;
#[cfg(test)]
use crate::model::estimate;
use crate::model::time::Limit;
use crate::model::{checked_estimate, Estimate};
use crate::scenario::{Growth, Parallel, Scenario, MAX_WORKERS};
use crate::units::Ratio;

#[derive(Clone, Debug)]
pub struct Projection {
    pub factor: f64,
    pub workers: u32,
    pub estimate: Estimate,
    /// The same projection with the scenario's `scaling.compression` what-if.
    pub compressed: Option<Estimate>,
}

fn at(base: &Scenario, factor: f64, workers: u32) -> Result<Scenario> {
    base.clone()
        .with_scale(factor, "--factors")?
        .with_workers(workers, "--workers")
}

/// One projection per (factor, workers), factors outermost. `compression`
/// is a what-if ratio and the option or key that set it, named in errors.
pub fn project(
    base: &Scenario,
    factors: &[f64],
    workers: &[u32],
    compression: Option<(f64, &str)>,
) -> Result<Vec<Projection>> {
    let mut projections = Vec::new();
    for &factor in factors {
        for &n in workers {
            let scenario = at(base, factor, n)?;
            let compressed = compression
                .map(|(ratio, option)| scenario.clone().with_compression(ratio, option))
                .transpose()?
                .map(|s| checked_estimate(&s))
                .transpose()?;
            projections.push(Projection {
                factor,
                workers: n,
                estimate: checked_estimate(&scenario)?,
                compressed,
            });
        }
    }
    Ok(projections)
}

#[derive(Clone, Debug)]
pub struct WorkerOption {
    pub workers: u32,
    pub estimate: Estimate,
}

/// What keeps even the fastest worker count from meeting the deadline or
/// fitting in memory. Views word it; stages are indices into the scenario.
#[derive(Clone, Debug)]
pub enum Blocker {
    /// The deadline is met, but a worker's share does not fit its memory.
    Memory,
    /// The bottleneck stage is held at a shared resource's floor.
    Resource { stage: usize, limit: Limit },
    /// The bottleneck stage's serial fraction (Amdahl) bounds it.
    SerialFraction {
        stage: usize,
        serial_fraction: Fig<Ratio>,
    },
    /// Past the fastest N, contention and coherency (USL) make it slower.
    Contention { stage: usize },
    /// Linear all the way: more workers than were tried would be needed.
    WorkerLimit { stage: usize },
    /// The run's fixed costs (startups, overhead) alone reach the
    /// deadline: no number of workers shortens them.
    FixedCosts { fixed: Fig<Time> },
}

#[derive(Clone, Debug)]
pub struct WorkersAnswer {
    /// The largest N searched.
    pub max_workers: u32,
    /// The worker counts worth a row, ascending, each fully estimated:
    /// powers of two, the answer and its neighbour, the fastest, the
    /// largest searched, and the scenario's own.
    pub options: Vec<WorkerOption>,
    /// The fewest workers that meet the deadline and fit in memory.
    pub min_workers: Option<u32>,
    /// The N with the shortest run.
    pub fastest: u32,
    /// When no N is enough: what stops it.
    pub blocker: Option<Blocker>,
    /// The run time at every N searched (at most 400 of them, evenly spread
    /// with the answer, the fastest and powers of two kept), for a curve
    /// dense enough to show where more workers stop helping.
    pub curve: Vec<(u32, f64)>,
}

impl WorkersAnswer {
    /// The row for `workers`, which must be one the answer shows.
    pub fn option(&self, workers: u32) -> &WorkerOption {
        self.options
            .iter()
            .find(|o| o.workers == workers)
            .expect("the answer estimates every count it names")
    }
    pub fn first(&self) -> &WorkerOption {
        &self.options[0]
    }
    pub fn last(&self) -> &WorkerOption {
        &self.options[self.options.len() - 1]
    }
}

/// One worker count as the search sees it: one run's time, and whether
/// the run meets its deadline and fits in memory, from the models
/// themselves (on a copy of the scenario without words, so each count
/// costs the arithmetic only).
struct Searched {
    run_s: f64,
    meets: bool,
}

fn searched(stripped: &Scenario, workers: u32) -> Result<Searched> {
    let estimate = checked_estimate(&stripped.clone().with_workers(workers, "--workers")?)?;
    Ok(Searched {
        run_s: estimate.time.runs.run.base(),
        meets: estimate.time.deadline_met != Some(false) && estimate.memory.fits() != Some(false),
    })
}

pub fn workers(base: &Scenario, max_workers: u32) -> Result<WorkersAnswer> {
    if max_workers == 0 {
        anyhow::bail!("`--max-workers` is 0; try at least one worker");
    }
    if max_workers > MAX_WORKERS {
        anyhow::bail!(
            "`--max-workers` is {max_workers}; pipecalc searches at most {MAX_WORKERS} workers"
        );
    }
    let estimate_at = |n: u32| -> Result<WorkerOption> {
        Ok(WorkerOption {
            workers: n,
            estimate: checked_estimate(&base.clone().with_workers(n, "--workers")?)?,
        })
    };
    let one = estimate_at(1)?;
    let mut stripped = base.clone();
    stripped.strip_working();
    let search: Vec<Searched> = (1..=max_workers)
        .map(|n| searched(&stripped, n))
        .collect::<Result<_>>()?;
    let at = |n: u32| &search[(n - 1) as usize];
    let min_workers = (1..=max_workers).find(|&n| at(n).meets);
    let fastest = (1..=max_workers)
        .min_by(|a, b| at(*a).run_s.total_cmp(&at(*b).run_s))
        .expect("at least one worker");
    let mut shown: BTreeSet<u32> = (0..32)
        .map(|p| 1u32 << p)
        .filter(|n| *n <= max_workers)
        .collect();
    if let Some(min) = min_workers {
        shown.insert(min);
        if min > 1 {
            shown.insert(min - 1);
        }
    }
    shown.insert(fastest);
    shown.insert(max_workers);
    let own = base.workers.base() as u32;
    if (1..=max_workers).contains(&own) {
        shown.insert(own);
    }
    let step = (max_workers / 400).max(1);
    let curve = (1..=max_workers)
        .filter(|n| (n - 1) % step == 0 || shown.contains(n))
        .map(|n| (n, at(n).run_s))
        .collect();
    let mut options = vec![one];
    for n in shown.into_iter().filter(|&n| n > 1) {
        options.push(estimate_at(n)?);
    }
    let mut answer = WorkersAnswer {
        max_workers,
        options,
        min_workers,
        fastest,
        blocker: None,
        curve,
    };
    if min_workers.is_none() {
        answer.blocker = Some(blocker(base, answer.option(fastest)));
    }
    Ok(answer)
}

/// The resource that keeps even the best worker count from meeting the
/// deadline (or from fitting in memory).
fn blocker(base: &Scenario, best: &WorkerOption) -> Blocker {
    let e = &best.estimate;
    if e.time.deadline_met != Some(false) {
        return Blocker::Memory;
    }
    if let (Some(fixed), Some(deadline)) = (&e.time.fixed, &base.deadline) {
        if fixed.base() >= deadline.base() {
            return Blocker::FixedCosts {
                fixed: fixed.clone(),
            };
        }
    }
    let stage = e.time.bottleneck;
    if let Some(limit) = &e.time.stages[stage].limited_by {
        return Blocker::Resource {
            stage,
            limit: limit.clone(),
        };
    }
    match &base.stages[stage].parallel {
        Parallel::Amdahl { serial_fraction } => Blocker::SerialFraction {
            stage,
            serial_fraction: serial_fraction.clone(),
        },
        Parallel::Usl { .. } => Blocker::Contention { stage },
        Parallel::Linear => Blocker::WorkerLimit { stage },
    }
}

#[derive(Clone, Debug)]
pub struct GrowthYear {
    pub year: u32,
    pub factor: f64,
    pub estimate: Estimate,
}

#[derive(Clone, Debug)]
pub struct GrowthAnswer {
    pub growth: Growth,
    pub years: Vec<GrowthYear>,
    /// The first year whose run misses the deadline at today's workers.
    pub first_failing_year: Option<u32>,
    /// The first year a worker's memory no longer holds the peak.
    pub first_memory_year: Option<u32>,
    /// The first year a transfer no longer fits its window on the link.
    pub first_link_year: Option<u32>,
    /// `--from 2010`: the calendar year of year 0, for labels.
    pub from: Option<i32>,
}

impl GrowthAnswer {
    /// A year as people say it: `2015` with `--from 2010`, else `year 5`.
    pub fn label(&self, year: u32) -> String {
        match self.from {
            Some(from) => (from + year as i32).to_string(),
            None => format!("year {year}"),
        }
    }
}

pub fn growth(base: &Scenario, years: u32, growth: &Growth) -> Result<GrowthAnswer> {
    let years: Vec<GrowthYear> = (0..=years)
        .map(|year| {
            let factor = growth.per_year.powi(year as i32);
            let scenario = base.clone().with_scale(factor, "growth")?;
            Ok(GrowthYear {
                year,
                factor,
                estimate: checked_estimate(&scenario)?,
            })
        })
        .collect::<Result<_>>()?;
    let first_failing_year = years
        .iter()
        .find(|y| y.estimate.time.deadline_met == Some(false))
        .map(|y| y.year);
    let first = |broken: &dyn Fn(&Estimate) -> bool| {
        years.iter().find(|y| broken(&y.estimate)).map(|y| y.year)
    };
    let first_memory_year = first(&|e| e.memory.fits() == Some(false));
    let first_link_year = first(&|e| e.network.as_ref().is_some_and(|n| n.network_bound));
    Ok(GrowthAnswer {
        growth: growth.clone(),
        years,
        first_failing_year,
        first_memory_year,
        first_link_year,
        from: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{close, lecture, with};
    use crate::units::parse_growth;

    #[test]
    fn projections_reproduce_the_lecture() {
        let p = project(&lecture(), &[1.0, 2.0, 10.0], &[1, 10], Some((5.0, "test"))).unwrap();
        assert_eq!(p.len(), 6);
        close(p[2].estimate.time.sequential.base(), 90.0 * 60.0); // 2x, 1 worker
        close(p[4].estimate.time.sequential.base(), 7.5 * 3600.0); // 10x
        close(p[1].estimate.time.parallel.base(), 4.5 * 60.0); // 1x, 10 workers
        let tenfold = &p[4];
        close(tenfold.estimate.storage.datasets[0].usd_month1.base(), 34.5);
        let compressed = tenfold.compressed.as_ref().unwrap();
        close(compressed.storage.datasets[0].usd_month1.base(), 6.9);
        close(tenfold.estimate.cost.network_usd_per_month.base(), 135.0);
        // 50K products stay 50K rows: the output is 5 MB, not 50 MB.
        close(tenfold.estimate.flow.output_bytes_per_day.base(), 5e6);
    }

    #[test]
    fn fewest_workers_for_ten_times_the_data() {
        // 7.5 h ÷ N ≤ 1 h needs N = 8; 50 GB ÷ N ≤ 8 GB needs N = 7.
        let tenfold = lecture().with_scale(10.0, "--scale").unwrap();
        let answer = workers(&tenfold, 16).unwrap();
        assert_eq!(answer.min_workers, Some(8));
        assert!(answer.blocker.is_none());
        // Hourly billing: 8 workers × 1 h = $4.00 a day, against 7.5 h × 1.
        close(
            answer.option(8).estimate.cost.compute_usd_per_day.base(),
            4.0,
        );
        close(
            answer.option(1).estimate.cost.compute_usd_per_day.base(),
            4.0,
        );
    }

    #[test]
    fn a_serial_fraction_can_make_the_deadline_impossible() {
        // transform: 20 min × 10 = 200 min at 10x; with s = 0.5 it never
        // drops below 100 min, past the 1 h deadline.
        let s = with(
            "    duration: 20 min\n",
            "    duration: 20 min\n    parallel: { model: amdahl, serial_fraction: 0.5 }\n",
        )
        .with_scale(10.0, "--scale")
        .unwrap();
        let answer = workers(&s, 32).unwrap();
        assert_eq!(answer.min_workers, None);
        assert!(matches!(
            answer.blocker,
            Some(Blocker::SerialFraction { stage: 1, .. })
        ));
    }

    /// The answer is the first worker count whose full estimate meets the
    /// deadline and fits, and the fastest is the shortest run, on scenarios
    /// with each parallel model, shared caps, fixed memory and schedules.
    #[test]
    fn the_search_answers_what_full_estimates_say() {
        let variants = [
            lecture(),
            lecture().with_scale(10.0, "--scale").unwrap(),
            with(
                "    duration: 20 min\n",
                "    duration: 20 min\n    parallel: { model: amdahl, serial_fraction: 0.3 }\n",
            )
            .with_scale(3.0, "--scale")
            .unwrap(),
            with(
                "stages:",
                "parallel: { model: usl, contention: 0.05, coherency: 0.002 }\nstages:",
            )
            .with_scale(4.0, "--scale")
            .unwrap(),
            with(
                "    input: bytes\n    duration: 10 min\n",
                "    input: bytes\n    duration: 10 min\n    shares: network\n    working_set: 3 GB\n",
            )
            .with_scale(20.0, "--scale")
            .unwrap(),
            // Fixed costs, on a schedule whose runs each pay them.
            with(
                "stages:",
                "run_overhead: 13 s\nschedule: every 15 min\nstages:",
            )
            .with_scale(6.0, "--scale")
            .unwrap(),
            with(
                "    input: bytes\n    duration: 10 min\n",
                "    input: bytes\n    duration: 10 min\n    startup: 9 s\n    parallel: { model: amdahl, serial_fraction: 0.1 }\n",
            )
            .with_scale(5.0, "--scale")
            .unwrap(),
        ];
        for scenario in variants {
            let answer = workers(&scenario, 64).unwrap();
            let full: Vec<Estimate> = (1..=64)
                .map(|n| estimate(&scenario.clone().with_workers(n, "--workers").unwrap()))
                .collect();
            let meets =
                |e: &Estimate| e.time.deadline_met != Some(false) && e.memory.fits() != Some(false);
            let first = full.iter().position(meets).map(|i| i as u32 + 1);
            assert_eq!(answer.min_workers, first);
            let fastest = full
                .iter()
                .map(|e| e.time.runs.run.base())
                .fold(f64::INFINITY, f64::min);
            close(
                answer.option(answer.fastest).estimate.time.runs.run.base(),
                fastest,
            );
            for (n, run_s) in &answer.curve {
                assert_eq!(*run_s, full[(*n - 1) as usize].time.runs.run.base());
            }
        }
    }

    #[test]
    fn the_search_is_bounded_and_quick() {
        let error = workers(&lecture(), MAX_WORKERS + 1).unwrap_err();
        assert!(error.to_string().contains("at most 10000"), "{error}");
        // Ten thousand workers: one estimate per row shown, not per N.
        let answer = workers(&lecture().with_scale(10.0, "--scale").unwrap(), MAX_WORKERS).unwrap();
        assert_eq!(answer.min_workers, Some(8));
        assert!(answer.options.len() < 25, "{}", answer.options.len());
        assert_eq!(answer.last().workers, MAX_WORKERS);
    }

    #[test]
    fn growth_finds_the_first_year_the_deadline_fails() {
        // 45 min × 1.585^y > 60 min from year 1 (71 min).
        let g = Growth {
            per_year: parse_growth("10x per 5 years").unwrap(),
            text: "10x per 5 years".into(),
        };
        let answer = growth(&lecture(), 5, &g).unwrap();
        assert_eq!(answer.years.len(), 6);
        close(answer.years[5].factor, 10.0);
        close(
            answer.years[5].estimate.time.sequential.base(),
            7.5 * 3600.0,
        );
        assert_eq!(answer.first_failing_year, Some(1));
    }
}
