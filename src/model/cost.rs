//! Cost: compute (billed worker time × price), storage and network, per day
//! and per month, the monthly total and each part's share of it.

use uom::si::f64::Time;

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::network::NetworkModel;
use crate::model::storage::StorageModel;
use crate::model::time::TimeModel;
use crate::model::Calendar;
use crate::scenario::Scenario;
use crate::units::{Ratio, Usd};

#[derive(Clone, Debug)]
pub struct CostModel {
    /// Each worker's run time as billed (rounded up to the billing increment).
    pub billed_time_per_worker: Fig<Time>,
    pub worker_time: Fig<Time>,
    pub compute_usd_per_day: Fig<Usd>,
    pub compute_usd_per_month: Fig<Usd>,
    pub storage_usd_month1: Fig<Usd>,
    pub storage_usd_per_month_steady: Fig<Usd>,
    pub network_usd_per_month: Fig<Usd>,
    /// Compute + network + storage at steady state: the recurring bill.
    pub total_usd_per_month: Fig<Usd>,
    pub compute_share: Fig<Ratio>,
    pub storage_share: Fig<Ratio>,
    pub network_share: Fig<Ratio>,
}

pub fn cost(
    scenario: &Scenario,
    time: &TimeModel,
    storage: &StorageModel,
    network: Option<&NetworkModel>,
    stream: Option<&crate::model::streaming::StreamingModel>,
    calendar: &Calendar,
) -> CostModel {
    // On a schedule each run is billed on its own: an hourly batch billed
    // per started hour pays 24 started hours a day.
    let billed_time_per_worker = match (&time.runs, &scenario.prices.billing_increment) {
        (Some(runs), Some(increment)) => {
            let per_run = runs.run.ceil_to(increment).named("T_billed_run");
            (&per_run * &runs.runs_per_day).named("T_billed")
        }
        (None, Some(increment)) => time.parallel.ceil_to(increment).named("T_billed"),
        (_, None) => time.parallel.alias("T_billed"),
    };
    // A stream's fleet runs all day: its workers, not the batch's, are paid.
    let (billed_time_per_worker, worker_time) = match stream {
        Some(stream) => (
            calendar.day.alias("T_billed"),
            (&calendar.day * &stream.fleet).named("worker_time"),
        ),
        None => {
            let worker_time = (&billed_time_per_worker * &time.workers).named("worker_time");
            (billed_time_per_worker, worker_time)
        }
    };
    let compute_usd_per_day =
        (&worker_time * &scenario.prices.compute).named("compute_usd_per_day");
    let compute_usd_per_month =
        (&compute_usd_per_day * &calendar.days_per_month).named("compute_usd_per_month");
    let zero = Fig::constant(Usd(0.0));
    let storage_usd_month1 = storage
        .usd_month1
        .clone()
        .unwrap_or_else(|| zero.clone().named("storage_usd_month1"));
    let storage_usd_per_month_steady = storage
        .usd_per_month_steady
        .clone()
        .unwrap_or_else(|| zero.clone().named("storage_usd_per_month_steady"));
    let network_usd_per_month = network
        .map(|n| n.usd_per_month.clone())
        .unwrap_or_else(|| zero.clone().named("network_usd_per_month"));
    let total_usd_per_month = Fig::sum([
        &compute_usd_per_month,
        &network_usd_per_month,
        &storage_usd_per_month_steady,
    ])
    .expect("three parts")
    .named("total_usd_per_month");
    let share = |part: &Fig<Usd>, symbol: &str| {
        if total_usd_per_month.base() > 0.0 {
            (part / &total_usd_per_month).named(symbol)
        } else {
            Fig::constant(Ratio(0.0)).named(symbol)
        }
    };
    CostModel {
        compute_share: share(&compute_usd_per_month, "compute_share"),
        storage_share: share(&storage_usd_per_month_steady, "storage_share"),
        network_share: share(&network_usd_per_month, "network_share"),
        billed_time_per_worker,
        worker_time,
        compute_usd_per_day,
        compute_usd_per_month,
        storage_usd_month1,
        storage_usd_per_month_steady,
        network_usd_per_month,
        total_usd_per_month,
    }
}

impl Explain for CostModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        vec![
            &self.billed_time_per_worker,
            &self.worker_time,
            &self.compute_usd_per_day,
            &self.compute_usd_per_month,
            &self.storage_usd_month1,
            &self.storage_usd_per_month_steady,
            &self.network_usd_per_month,
            &self.total_usd_per_month,
            &self.compute_share,
            &self.storage_share,
            &self.network_share,
        ]
    }
}

#[cfg(test)]
mod tests {
    use crate::model::estimate;
    use crate::model::fixtures::{close, lecture, with};

    #[test]
    fn lecture_cost_by_hand() {
        // 45 min billed as 1 h × 1 worker × $0.50 = $0.50/day, $15/month.
        // Network $13.50; storage at steady state 450 GB + 1.825 GB at
        // $0.023 = $10.391975; total $38.891975.
        let c = estimate(&lecture()).cost;
        close(c.billed_time_per_worker.base(), 3600.0);
        close(c.compute_usd_per_day.base(), 0.5);
        close(c.compute_usd_per_month.base(), 15.0);
        close(c.network_usd_per_month.base(), 13.5);
        close(c.storage_usd_per_month_steady.base(), 10.391975);
        close(c.total_usd_per_month.base(), 38.891975);
        close(
            c.compute_share.base() + c.storage_share.base() + c.network_share.base(),
            1.0,
        );
    }

    #[test]
    fn parallelism_buys_latency_not_cost_under_hourly_billing() {
        // 10 workers finish in 4.5 min but each is billed a whole hour.
        let c = estimate(&lecture().with_workers(10, "--workers").unwrap()).cost;
        close(c.worker_time.base(), 36_000.0);
        close(c.compute_usd_per_day.base(), 5.0);
    }

    #[test]
    fn without_an_increment_billing_is_exact() {
        let s = with("  billing_increment: 1 h\n", "");
        close(estimate(&s).cost.compute_usd_per_day.base(), 0.375);
    }
}
