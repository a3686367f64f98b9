//! Scaling: the scenario re-estimated at other volumes and worker counts,
//! the fewest workers that meet the deadline, and growth year by year.
//!
//! Nothing here has arithmetic of its own: every projection is a what-if
//! scenario run through the same models as `estimate`.

use anyhow::Result;

use crate::model::{estimate, Estimate};
use crate::scenario::{Growth, Parallel, Scenario};

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
                .map(|s| estimate(&s));
            projections.push(Projection {
                factor,
                workers: n,
                estimate: estimate(&scenario),
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

impl WorkerOption {
    fn meets(&self) -> bool {
        let deadline_met = self.estimate.time.deadline.as_ref().is_none_or(|d| d.met);
        deadline_met && self.estimate.memory.fits() != Some(false)
    }
}

#[derive(Clone, Debug)]
pub struct WorkersAnswer {
    /// Every N from 1 to the limit.
    pub options: Vec<WorkerOption>,
    /// The fewest workers that meet the deadline and fit in memory.
    pub min_workers: Option<u32>,
    /// The N with the shortest run.
    pub fastest: u32,
    /// When no N is enough: what stops it.
    pub stopped_by: Option<String>,
}

impl WorkersAnswer {
    pub fn option(&self, workers: u32) -> &WorkerOption {
        &self.options[workers as usize - 1]
    }
}

pub fn workers(base: &Scenario, max_workers: u32) -> Result<WorkersAnswer> {
    if max_workers == 0 {
        anyhow::bail!("`--max-workers` is 0; try at least one worker");
    }
    let options: Vec<WorkerOption> = (1..=max_workers)
        .map(|n| {
            let scenario = base.clone().with_workers(n, "--workers")?;
            Ok(WorkerOption {
                workers: n,
                estimate: estimate(&scenario),
            })
        })
        .collect::<Result<_>>()?;
    let min_workers = options.iter().find(|o| o.meets()).map(|o| o.workers);
    let fastest = options
        .iter()
        .min_by(|a, b| {
            a.estimate
                .time
                .parallel
                .base()
                .total_cmp(&b.estimate.time.parallel.base())
        })
        .expect("at least one option")
        .workers;
    let stopped_by = match min_workers {
        Some(_) => None,
        None => Some(what_stops(
            base,
            &options[fastest as usize - 1],
            max_workers,
        )),
    };
    Ok(WorkersAnswer {
        options,
        min_workers,
        fastest,
        stopped_by,
    })
}

/// Names the resource that keeps even the best worker count from meeting
/// the deadline (or from fitting in memory).
fn what_stops(base: &Scenario, best: &WorkerOption, max_workers: u32) -> String {
    let e = &best.estimate;
    if e.time.deadline.as_ref().is_none_or(|d| d.met) {
        return format!(
            "memory: even {} workers need {} each, more than the {} a worker has",
            max_workers,
            e.memory.peak.human(),
            e.memory
                .memory_per_worker
                .as_ref()
                .map_or_else(|| "memory".into(), |m| m.human())
        );
    }
    let stage = &e.time.stages[e.time.bottleneck];
    let scenario_stage = &base.stages[e.time.bottleneck];
    let held = format!(
        "`{}` takes {} with {} workers",
        stage.name,
        stage.parallel.human(),
        best.workers
    );
    if let Some(resource) = &stage.limited_by {
        return format!("{resource}: {held}, and no number of workers makes it faster");
    }
    match &scenario_stage.parallel {
        Parallel::Amdahl { serial_fraction } => format!(
            "the serial fraction of `{}` (s = {}): it can never take less than s × {} = {}; {held}",
            stage.name,
            serial_fraction.human(),
            stage.time.human(),
            crate::units::human_duration(serial_fraction.base() * stage.time.base())
        ),
        Parallel::Usl { .. } => format!(
            "contention and coherency (USL) in `{}`: {held}, and more workers than {} make the run slower",
            stage.name, best.workers
        ),
        Parallel::Linear => format!(
            "the worker limit: {held}; more than {max_workers} workers would be needed (raise --max-workers)"
        ),
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
}

pub fn growth(base: &Scenario, years: u32, growth: &Growth) -> Result<GrowthAnswer> {
    let years: Vec<GrowthYear> = (0..=years)
        .map(|year| {
            let factor = growth.per_year.powi(year as i32);
            let scenario = base.clone().with_scale(factor, "growth")?;
            Ok(GrowthYear {
                year,
                factor,
                estimate: estimate(&scenario),
            })
        })
        .collect::<Result<_>>()?;
    let first_failing_year = years
        .iter()
        .find(|y| y.estimate.time.deadline.as_ref().is_some_and(|d| !d.met))
        .map(|y| y.year);
    Ok(GrowthAnswer {
        growth: growth.clone(),
        years,
        first_failing_year,
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
        assert!(answer.stopped_by.is_none());
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
        let why = answer.stopped_by.unwrap();
        assert!(why.contains("serial fraction of `transform`"), "{why}");
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
