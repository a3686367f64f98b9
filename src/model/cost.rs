//! Cost: compute (billed worker time × price), the warehouse's scans,
//! storage and network, per day and per month, the monthly total and each
//! part's share of it.
//!
//! Billing, the one meaning of a run: a batch's workers are billed as its
//! cluster lives ([`crate::model::cluster`]): each run started and billed
//! on its own, or kept up and billed the day. A stream's fleet is billed
//! all day; a hybrid pays both.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::Time;

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::cluster::Life;
use crate::model::flow::Flow;
use crate::model::network::NetworkModel;
use crate::model::storage::StorageModel;
use crate::model::streaming::StreamingModel;
use crate::model::time::TimeModel;
use crate::model::Calendar;
use crate::scenario::{Scans, Scenario};
use crate::units::{Ratio, Usd};

/// How the batch's workers are billed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Each run on its own, rounded up to the billing increment.
    PerRun,
    /// Kept up all day: cheaper than billing every run when frequent runs
    /// each round up to an increment.
    AlwaysOn,
    /// A stream's fleet, always on.
    Fleet,
}

/// A price and where it came from.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PriceSource {
    /// `price_compute`, `billing_increment`, `price_storage`, …
    pub price: String,
    pub value: String,
    pub source: String,
}

/// Cost: compute, the warehouse, storage and network, per day and month.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CostModel {
    /// ELT: what the warehouse bills a day for the bytes its stages and the
    /// queries scan; a line of its own beside the cluster's compute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_usd_per_day: Option<Fig<Usd>>,
    /// What each stage and query of the warehouse scans, and bills.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warehouse_scans: WarehouseScans,
    /// Each worker's time as billed: the batch's runs (each rounded up to
    /// the billing increment, at most a whole day), or a day for a stream.
    #[serde(rename = "billed_time_per_worker_s")]
    pub billed_time_per_worker: Fig<Time>,
    #[serde(rename = "worker_time_s")]
    pub worker_time: Fig<Time>,
    /// The cluster's compute (the warehouse's is its own line).
    pub compute_usd_per_day: Fig<Usd>,
    pub compute_usd_per_month: Fig<Usd>,
    pub storage_usd_month1: Fig<Usd>,
    pub storage_usd_per_month_steady: Fig<Usd>,
    pub network_usd_per_month: Fig<Usd>,
    /// Compute + the warehouse + network + storage at steady state (and a
    /// stream's state): the recurring bill.
    pub total_usd_per_month: Fig<Usd>,
    pub compute_share: Fig<Ratio>,
    pub storage_share: Fig<Ratio>,
    pub network_share: Fig<Ratio>,
    /// How the batch's workers are billed.
    pub billing: Billing,
    /// The compute price, USD a worker-hour.
    pub compute_usd_per_worker_hour: f64,
    /// Where each price came from: a scenario key, a default, or a catalog
    /// entry with its date and source.
    pub price_sources: Vec<PriceSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_usd_per_month: Option<Fig<Usd>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_share: Option<Fig<Ratio>>,
    /// A stream's state and checkpoints, priced as storage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_usd_per_month: Option<Fig<Usd>>,
    /// The workers the compute pays for: the batch's, or the fleet.
    #[serde(skip)]
    pub workers_billed: Fig<Ratio>,
    /// The network model's day, for the bill's network line.
    #[serde(skip)]
    network_usd_per_day: Fig<Usd>,
    /// Storage at steady state and a stream's state: what is kept.
    #[serde(skip)]
    kept_usd_per_month: Fig<Usd>,
}

/// A line of the bill. Its words are the view's; which lines there are,
/// and their figures, are the model's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostItem {
    Compute,
    /// Storage at steady state, with a stream's state.
    Storage,
    /// The warehouse's bytes scanned (ELT).
    Warehouse,
    Network,
}

/// One line of the bill: per day where the item is paid by the day.
pub struct CostLine<'a> {
    pub item: CostItem,
    pub per_day: Option<&'a Fig<Usd>>,
    pub per_month: &'a Fig<Usd>,
    pub share: &'a Fig<Ratio>,
}

impl CostModel {
    /// Every line the monthly total adds up, in the bill's order.
    pub fn lines(&self) -> Vec<CostLine<'_>> {
        let mut lines = vec![
            CostLine {
                item: CostItem::Compute,
                per_day: Some(&self.compute_usd_per_day),
                per_month: &self.compute_usd_per_month,
                share: &self.compute_share,
            },
            CostLine {
                item: CostItem::Storage,
                per_day: None,
                per_month: &self.kept_usd_per_month,
                share: &self.storage_share,
            },
        ];
        if let (Some(day), Some(month), Some(share)) = (
            &self.warehouse_usd_per_day,
            &self.warehouse_usd_per_month,
            &self.warehouse_share,
        ) {
            lines.push(CostLine {
                item: CostItem::Warehouse,
                per_day: Some(day),
                per_month: month,
                share,
            });
        }
        lines.push(CostLine {
            item: CostItem::Network,
            per_day: Some(&self.network_usd_per_day),
            per_month: &self.network_usd_per_month,
            share: &self.network_share,
        });
        lines
    }
}

/// What one stage or query of the warehouse scans and bills a day.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct WarehouseScan {
    /// The stage's or the query's name.
    pub name: String,
    /// `stage`: its input, every run; `query`: a stored dataset.
    pub of: ScanOf,
    /// A query's bytes read each time it runs, before its columns' share.
    #[serde(rename = "all_columns_bytes", skip_serializing_if = "Option::is_none")]
    pub all_columns: Option<Fig<uom::si::f64::Information>>,
    /// A query's bytes read each time it runs.
    #[serde(rename = "per_query_bytes", skip_serializing_if = "Option::is_none")]
    pub per_query: Option<Fig<uom::si::f64::Information>>,
    /// A query's bytes read a day (a stage's is its day's input).
    #[serde(rename = "per_day_bytes", skip_serializing_if = "Option::is_none")]
    pub per_day: Option<Fig<uom::si::f64::Information>>,
    pub usd_per_day: Fig<Usd>,
}

/// What a warehouse scan reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanOf {
    Stage,
    Query,
}

/// The warehouse's scans, each worked out.
pub type WarehouseScans = Vec<WarehouseScan>;

/// What the warehouse scans a day: its stages' input, and its queries'
/// datasets (all of what is kept, or what `scans:` says, and of it the
/// share of the columns a query reads).
fn warehouse_scans(
    scenario: &Scenario,
    storage: &StorageModel,
    flow: &Flow,
    calendar: &Calendar,
) -> (Option<Fig<Usd>>, WarehouseScans) {
    let mut parts = WarehouseScans::new();
    let Some(price) = scenario
        .warehouse
        .as_ref()
        .and_then(|w| w.usd_per_gb_scanned.as_ref())
    else {
        return (None, parts);
    };
    for (stage, data) in scenario.stages.iter().zip(&flow.stages) {
        if stage.in_warehouse {
            parts.push(WarehouseScan {
                name: stage.name.clone(),
                of: ScanOf::Stage,
                all_columns: None,
                per_query: None,
                per_day: None,
                usd_per_day: (&data.bytes_in * price)
                    .named(format_args!("scan_usd[{}]", stage.name)),
            });
        }
    }
    for query in &scenario.queries {
        let dataset = &storage.datasets[query.over];
        let name = &query.name;
        let per_query = match &query.scans {
            Scans::All => dataset
                .stored_steady_compressed
                .alias(format_args!("scanned[{name}]")),
            Scans::Span(span) => {
                let days = (span / &calendar.day).named(format_args!("scan_days[{name}]"));
                let kept = Fig::min_of([&days, &dataset.retention_days])
                    .expect("two")
                    .1;
                (&(&dataset.bytes_per_day * &kept) / &dataset.compression_ratio)
                    .named(format_args!("scanned[{name}]"))
            }
            Scans::Bytes(bytes) => Fig::min_of([bytes, &dataset.stored_steady_compressed])
                .expect("two")
                .1
                .named(format_args!("scanned[{name}]")),
        };
        // A column store reads only the columns a query names.
        let (all_columns, per_query) = match &query.columns {
            Some(share) => {
                let all = per_query.named(format_args!("scanned_all_columns[{name}]"));
                let read = (&all * share).named(format_args!("scanned[{name}]"));
                (Some(all), read)
            }
            None => (None, per_query),
        };
        let per_day = (&per_query * &query.per_day).named(format_args!("scanned_per_day[{name}]"));
        parts.push(WarehouseScan {
            name: name.clone(),
            of: ScanOf::Query,
            all_columns,
            usd_per_day: (&per_day * price).named(format_args!("query_usd[{name}]")),
            per_query: Some(per_query),
            per_day: Some(per_day),
        });
    }
    (
        Fig::sum(parts.iter().map(|p| &p.usd_per_day)).map(|f| f.named("warehouse_usd_per_day")),
        parts,
    )
}

#[allow(clippy::too_many_arguments)]
fn source_of<Q: crate::units::Quantity>(price: &str, figure: &Fig<Q>) -> PriceSource {
    PriceSource {
        price: price.to_string(),
        value: figure.human(),
        source: figure.source.to_string(),
    }
}

pub fn cost(
    scenario: &Scenario,
    time: &TimeModel,
    storage: &StorageModel,
    network: Option<&NetworkModel>,
    stream: Option<&StreamingModel>,
    flow: &Flow,
    calendar: &Calendar,
) -> CostModel {
    let (warehouse_usd_per_day, warehouse_scans) =
        warehouse_scans(scenario, storage, flow, calendar);
    // The batch's workers are billed as its cluster lives: each run's
    // start (its start-up and its time on the cluster, rounded up to the
    // increment, at least the minimum), or the whole day when kept up.
    let batch = time.cluster.as_ref().map(|cluster| {
        let billing = match cluster.life {
            Life::KeptUp => Billing::AlwaysOn,
            Life::PerRun | Life::None => Billing::PerRun,
        };
        (billing, cluster.billed_per_day.clone())
    });
    let batch_workers = time.workers.as_ratio();
    let (billing, billed_time_per_worker, workers_billed, worker_time) = match (stream, batch) {
        (Some(stream), Some((billing, billed))) if stream.hybrid => {
            // Hybrid: the batch's workers and the stream's fleet both work.
            let batch = (&billed * &batch_workers).named("worker_time_batch");
            let fleet = (&calendar.day * &stream.fleet).named("worker_time_stream");
            (
                billing,
                billed,
                batch_workers,
                (&batch + &fleet).named("worker_time"),
            )
        }
        (Some(stream), _) => (
            Billing::Fleet,
            calendar.day.alias("T_billed"),
            stream.fleet.clone(),
            (&calendar.day * &stream.fleet).named("worker_time"),
        ),
        (None, batch) => {
            let (billing, billed) = batch.expect("a batch's time model has its cluster");
            let worker_time = (&billed * &batch_workers).named("worker_time");
            (billing, billed, batch_workers, worker_time)
        }
    };
    let compute_usd_per_day =
        (&worker_time * &scenario.prices.compute).named("compute_usd_per_day");
    let compute_usd_per_month =
        (&compute_usd_per_day * &calendar.days_per_month).named("compute_usd_per_month");
    let warehouse_usd_per_month = warehouse_usd_per_day
        .as_ref()
        .map(|w| (w * &calendar.days_per_month).named("warehouse_usd_per_month"));
    let zero = Fig::constant(Usd(0.0));
    let storage_usd_month1 = storage.usd_month1.clone();
    let storage_usd_per_month_steady = storage.usd_per_month_steady.clone();
    let network_usd_per_month = network
        .map(|n| n.usd_per_month.clone())
        .unwrap_or_else(|| zero.clone().named("network_usd_per_month"));
    let state_usd_per_month = stream.and_then(|s| s.state_usd_per_month.clone());
    let mut parts = vec![
        &compute_usd_per_month,
        &network_usd_per_month,
        &storage_usd_per_month_steady,
    ];
    parts.extend(warehouse_usd_per_month.as_ref());
    parts.extend(state_usd_per_month.as_ref());
    let total_usd_per_month = Fig::sum(parts)
        .expect("three parts")
        .named("total_usd_per_month");
    let share = |part: &Fig<Usd>, symbol: &str| {
        if total_usd_per_month.base() > 0.0 {
            (part / &total_usd_per_month).named(symbol)
        } else {
            Fig::constant(Ratio(0.0)).named(symbol)
        }
    };
    let kept = match &state_usd_per_month {
        Some(state) => (&storage_usd_per_month_steady + state).named("kept_usd_per_month"),
        None => storage_usd_per_month_steady.clone(),
    };
    let prices = &scenario.prices;
    let mut price_sources = vec![source_of("price_compute", &prices.compute)];
    price_sources.extend(
        prices
            .billing_increment
            .iter()
            .map(|f| source_of("billing_increment", f)),
    );
    price_sources.extend(
        prices
            .billing_minimum
            .iter()
            .map(|f| source_of("billing_minimum", f)),
    );
    price_sources.extend(prices.storage.iter().map(|f| source_of("price_storage", f)));
    price_sources.extend(prices.egress.iter().map(|f| source_of("price_egress", f)));
    price_sources.push(source_of("price_ingress", &prices.ingress));
    CostModel {
        compute_usd_per_worker_hour: crate::units::clean(prices.compute.value.0),
        price_sources,
        compute_share: share(&compute_usd_per_month, "compute_share"),
        storage_share: share(&kept, "storage_share"),
        network_share: share(&network_usd_per_month, "network_share"),
        warehouse_share: warehouse_usd_per_month
            .as_ref()
            .map(|w| share(w, "warehouse_share")),
        billing,
        billed_time_per_worker,
        worker_time,
        workers_billed,
        compute_usd_per_day,
        compute_usd_per_month,
        warehouse_usd_per_day,
        warehouse_scans,
        warehouse_usd_per_month,
        state_usd_per_month,
        storage_usd_month1,
        storage_usd_per_month_steady,
        network_usd_per_month,
        total_usd_per_month,
        network_usd_per_day: network
            .map(|n| n.usd_per_day.clone())
            .unwrap_or_else(|| zero.clone().named("network_usd_per_day")),
        kept_usd_per_month: kept,
    }
}

impl Explain for CostModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = Vec::new();
        for scan in &self.warehouse_scans {
            for bytes in [&scan.all_columns, &scan.per_query, &scan.per_day]
                .into_iter()
                .flatten()
            {
                figures.push(bytes);
            }
        }
        figures.extend(
            self.warehouse_scans
                .iter()
                .map(|s| &s.usd_per_day as &dyn AnyFig),
        );
        for f in [&self.warehouse_usd_per_day, &self.warehouse_usd_per_month]
            .into_iter()
            .flatten()
        {
            figures.push(f);
        }
        // Storage and network totals are the storage and network models'
        // figures, listed there, as a stream's state is the stream's.
        // A batch's billed time is its cluster's, listed with the time
        // model; a stream's fleet is billed here.
        if self.billing == Billing::Fleet {
            figures.push(&self.billed_time_per_worker);
        }
        figures.extend([
            &self.worker_time as &dyn AnyFig,
            &self.compute_usd_per_day,
            &self.compute_usd_per_month,
            &self.total_usd_per_month,
            &self.compute_share,
            &self.storage_share,
            &self.network_share,
        ]);
        figures.extend(self.warehouse_share.iter().map(|f| f as &dyn AnyFig));
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
        // The warehouse is its own line: compute is the cluster's.
        close(e.cost.compute_usd_per_day.base(), 0.5);
        close(
            e.cost.warehouse_usd_per_month.as_ref().unwrap().base(),
            30.0 * (0.025 + 0.09125),
        );
        close(
            e.cost.total_usd_per_month.base(),
            e.cost.compute_usd_per_month.base()
                + 30.0 * (0.025 + 0.09125)
                + e.cost.network_usd_per_month.base()
                + e.cost.storage_usd_per_month_steady.base(),
        );
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
