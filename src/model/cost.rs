//! Cost: compute (billed worker time × price), storage and network, per day
//! and per month, the monthly total and each part's share of it.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::Time;

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::network::NetworkModel;
use crate::model::storage::StorageModel;
use crate::model::time::TimeModel;
use crate::model::Calendar;
use crate::scenario::Scenario;
use crate::units::{Ratio, Usd};

/// Cost: compute, storage and network, per day and per month.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CostModel {
    /// ELT: what the warehouse bills a day for the bytes its stages and the
    /// queries scan; part of the compute below.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_usd_per_day: Option<Fig<Usd>>,
    /// Each worker's run time as billed (rounded up to the billing increment).
    #[serde(rename = "billed_time_per_worker_s")]
    pub billed_time_per_worker: Fig<Time>,
    #[serde(rename = "worker_time_s")]
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
    flow: &crate::model::flow::Flow,
    calendar: &Calendar,
) -> CostModel {
    // ELT: stages in the warehouse take no cluster time; the warehouse bills
    // the bytes they scan instead.
    let in_warehouse = |index: usize| scenario.stages[index].in_warehouse;
    let cluster_time = if scenario.stages.iter().any(|s| s.in_warehouse) {
        Fig::sum(
            time.stages
                .iter()
                .enumerate()
                .filter(|(i, _)| !in_warehouse(*i))
                .map(|(_, s)| &s.parallel_time),
        )
        .unwrap_or_else(|| Fig::constant(crate::units::seconds(0.0)))
        .named("T_cluster")
    } else {
        time.parallel.clone()
    };
    let warehouse_usd_per_day = scenario
        .warehouse
        .as_ref()
        .and_then(|w| w.usd_per_gb_scanned.as_ref())
        .and_then(|price| {
            let mut scans: Vec<Fig<Usd>> = Vec::new();
            for (index, stage) in flow.stages.iter().enumerate() {
                if in_warehouse(index) {
                    scans.push(
                        (&stage.bytes_in * price).named(format_args!("scan_usd[{}]", stage.name)),
                    );
                }
            }
            for query in &scenario.queries {
                let dataset = &storage.datasets[query.over];
                let scanned = (&dataset.stored_steady_compressed * &query.per_day)
                    .named(format_args!("scanned_per_day[{}]", query.name));
                scans.push((&scanned * price).named(format_args!("query_usd[{}]", query.name)));
            }
            Fig::sum(scans.iter()).map(|f| f.named("warehouse_usd_per_day"))
        });
    // On a schedule each run is billed on its own: an hourly batch billed
    // per started hour pays 24 started hours a day.
    let billed_time_per_worker = match (&time.runs, &scenario.prices.billing_increment) {
        (Some(runs), Some(increment)) => {
            let run = (&cluster_time / &runs.runs_per_day).named("T_cluster_run");
            let per_run = run.ceil_to(increment).named("T_billed_run");
            (&per_run * &runs.runs_per_day).named("T_billed")
        }
        (None, Some(increment)) => cluster_time.ceil_to(increment).named("T_billed"),
        (_, None) => cluster_time.alias("T_billed"),
    };
    // A stream's fleet runs all day: its workers, not the batch's, are paid.
    let (billed_time_per_worker, worker_time) = match stream {
        Some(stream) if stream.hybrid => {
            // Hybrid: the daily batch's workers and the stream's fleet both work.
            let batch = (&billed_time_per_worker * &time.workers).named("worker_time_batch");
            let fleet = (&calendar.day * &stream.fleet).named("worker_time_stream");
            (
                billed_time_per_worker,
                (&batch + &fleet).named("worker_time"),
            )
        }
        Some(stream) => (
            calendar.day.alias("T_billed"),
            (&calendar.day * &stream.fleet).named("worker_time"),
        ),
        None => {
            let worker_time = (&billed_time_per_worker * &time.workers).named("worker_time");
            (billed_time_per_worker, worker_time)
        }
    };
    let compute_usd_per_day = match &warehouse_usd_per_day {
        Some(warehouse) => {
            let cluster = (&worker_time * &scenario.prices.compute).named("cluster_usd_per_day");
            (&cluster + warehouse).named("compute_usd_per_day")
        }
        None => (&worker_time * &scenario.prices.compute).named("compute_usd_per_day"),
    };
    let compute_usd_per_month =
        (&compute_usd_per_day * &calendar.days_per_month).named("compute_usd_per_month");
    let zero = Fig::constant(Usd(0.0));
    let storage_usd_month1 = storage.usd_month1.clone();
    let storage_usd_per_month_steady = storage.usd_per_month_steady.clone();
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
        warehouse_usd_per_day,
        storage_usd_month1,
        storage_usd_per_month_steady,
        network_usd_per_month,
        total_usd_per_month,
    }
}

impl Explain for CostModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = self
            .warehouse_usd_per_day
            .iter()
            .map(|f| f as &dyn AnyFig)
            .collect();
        // Storage and network totals are the storage and network models'
        // figures, listed there.
        figures.extend([
            &self.billed_time_per_worker as &dyn AnyFig,
            &self.worker_time,
            &self.compute_usd_per_day,
            &self.compute_usd_per_month,
            &self.total_usd_per_month,
            &self.compute_share,
            &self.storage_share,
            &self.network_share,
        ]);
        figures
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

    #[test]
    fn elt_by_hand() {
        let text = crate::model::fixtures::LECTURE
            .replace(
                "    duration: 20 min\n",
                "    duration: 20 min\n    runs_in: warehouse\n",
            )
            .replace(
                "  - { name: raw, of: ingest.output, retention: 90 days }",
                "  - { name: raw, of: ingest.output, retention: 90 days, in: warehouse }",
            )
            .replace(
                "prices:",
                "warehouse: { usd_per_tb_scanned: 5, storage_usd_per_gb_month: 0.02 }\nqueries:\n  - { name: dash, over: processed, per_day: 10 }\nprices:",
            );
        let scenario = crate::scenario::parse(&text, "elt.yaml").unwrap();
        let e = estimate(&scenario);
        // The transform scans its 5 GB input at $5/TB: $0.025; the dashboard
        // scans the processed data kept a year (5 MB × 365 = 1.825 GB) ten
        // times a day: 18.25 GB, $0.09125.
        close(
            e.cost.warehouse_usd_per_day.as_ref().unwrap().base(),
            0.025 + 0.09125,
        );
        // The cluster runs 10 + 10 + 5 = 25 min, billed as 1 h at $0.50.
        close(e.cost.billed_time_per_worker.base(), 3600.0);
        close(e.cost.compute_usd_per_day.base(), 0.5 + 0.025 + 0.09125);
        // Raw in the warehouse pays its price: 450 GB × $0.02.
        close(
            e.storage.datasets[0].usd_per_month_steady.base(),
            450.0 * 0.02,
        );
    }

    #[test]
    fn a_stage_in_a_warehouse_without_a_price_is_refused() {
        let text = crate::model::fixtures::LECTURE.replace(
            "    duration: 20 min\n",
            "    duration: 20 min\n    runs_in: warehouse\n",
        );
        let error = crate::scenario::parse(&text, "elt.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("the warehouse, which has no price"),
            "{error}"
        );
        assert!(error.starts_with("elt.yaml:"), "{error}");
    }
}
