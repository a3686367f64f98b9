//! Storage: per dataset, bytes per day, what is stored after the first
//! month and at steady state under retention, after compression, and what
//! each costs per month.
//!
//! The lecture's "$3.45/month raw" is the first month's figure (30 days of
//! data); with 90 days of retention the bill keeps growing to three times
//! that. Both are reported, each under its own name.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::Information;

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::flow::Flow;
use crate::model::Calendar;
use crate::scenario::Scenario;
use crate::units::{Ratio, Usd};

/// One stored dataset: what it holds after a month and once retention is
/// full, and what each costs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DatasetStorage {
    pub name: String,
    /// What is stored: `STAGE.input` or `STAGE.output`.
    pub of: String,
    pub bytes_per_day: Fig<Information>,
    /// The one key not in a base unit: retention is set and read in days.
    pub retention_days: Fig<Ratio>,
    pub compression_ratio: Fig<Ratio>,
    /// Stored at the end of the first month, after compression.
    #[serde(rename = "stored_month1_bytes")]
    pub stored_month1_compressed: Fig<Information>,
    /// Stored at the end of the first month, before compression.
    #[serde(rename = "stored_month1_uncompressed_bytes")]
    pub stored_month1: Fig<Information>,
    /// Stored once retention is full, after compression.
    #[serde(rename = "stored_steady_bytes")]
    pub stored_steady_compressed: Fig<Information>,
    /// Stored once retention is full, before compression.
    #[serde(rename = "stored_steady_uncompressed_bytes")]
    pub stored_steady: Fig<Information>,
    /// Copies kept, each paid (`replication:`); one unless set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication: Option<Fig<Ratio>>,
    /// Its own price per GB-month, from its storage class, when it has one.
    #[serde(rename = "usd_per_gb_month", skip_serializing_if = "Option::is_none")]
    pub price: Option<Fig<crate::units::UsdPerGbMonth>>,
    pub usd_month1: Fig<Usd>,
    pub usd_per_month_steady: Fig<Usd>,
}

/// Storage: every dataset, and the bill for all of them.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StorageModel {
    pub datasets: Vec<DatasetStorage>,
    /// The first month's bill: 0 with no dataset.
    pub usd_month1: Fig<Usd>,
    /// Every month's bill once retention is full: 0 with no dataset.
    pub usd_per_month_steady: Fig<Usd>,
}

pub fn storage(scenario: &Scenario, flow: &Flow, calendar: &Calendar) -> StorageModel {
    let datasets: Vec<DatasetStorage> = scenario
        .storage
        .iter()
        .map(|dataset| {
            let name = &dataset.name;
            // A dataset in the warehouse pays the warehouse's price.
            let price = if dataset.in_warehouse {
                scenario.warehouse.as_ref().and_then(|w| w.storage.as_ref())
            } else {
                dataset.price.as_ref().or(scenario.prices.storage.as_ref())
            }
            .expect("validation requires a storage price where each dataset is kept");
            let (_, daily) = flow.data(dataset.of);
            let bytes_per_day = daily.alias(format_args!("bytes_per_day[{name}]"));
            let retention_days =
                (&dataset.retention / &calendar.day).named(format_args!("retention_days[{name}]"));
            let (_, month1_days) =
                Fig::min_of([&calendar.days_per_month, &retention_days]).expect("two candidates");
            let stored_month1 =
                (&bytes_per_day * &month1_days).named(format_args!("stored_month1[{name}]"));
            let stored_month1_compressed = (&stored_month1 / &dataset.compression_ratio)
                .named(format_args!("stored_month1_compressed[{name}]"));
            let stored_steady =
                (&bytes_per_day * &retention_days).named(format_args!("stored_steady[{name}]"));
            let stored_steady_compressed = (&stored_steady / &dataset.compression_ratio)
                .named(format_args!("stored_steady_compressed[{name}]"));
            // Every copy kept is paid; a query reads one.
            let paid = |stored: &Fig<Information>| match &dataset.replication {
                Some(copies) => stored * copies,
                None => stored.clone(),
            };
            let usd_month1 = (&paid(&stored_month1_compressed) * price)
                .named(format_args!("storage_usd_month1[{name}]"));
            let usd_per_month_steady = (&paid(&stored_steady_compressed) * price)
                .named(format_args!("storage_usd_per_month_steady[{name}]"));
            DatasetStorage {
                name: name.clone(),
                of: dataset.of_text.clone(),
                bytes_per_day,
                retention_days,
                compression_ratio: dataset.compression_ratio.clone(),
                stored_month1,
                stored_month1_compressed,
                stored_steady,
                stored_steady_compressed,
                replication: dataset.replication.clone(),
                price: dataset.price.clone().filter(|_| !dataset.in_warehouse),
                usd_month1,
                usd_per_month_steady,
            }
        })
        .collect();
    let zero = || Fig::constant(Usd(0.0));
    StorageModel {
        usd_month1: Fig::sum(datasets.iter().map(|d| &d.usd_month1))
            .unwrap_or_else(zero)
            .named("storage_usd_month1"),
        usd_per_month_steady: Fig::sum(datasets.iter().map(|d| &d.usd_per_month_steady))
            .unwrap_or_else(zero)
            .named("storage_usd_per_month_steady"),
        datasets,
    }
}

impl Explain for StorageModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = Vec::new();
        for d in &self.datasets {
            figures.extend([
                &d.bytes_per_day as &dyn AnyFig,
                &d.retention_days,
                &d.compression_ratio,
                &d.stored_month1,
                &d.stored_month1_compressed,
                &d.stored_steady,
                &d.stored_steady_compressed,
                &d.usd_month1,
                &d.usd_per_month_steady,
            ]);
        }
        // With no dataset the totals are a constant 0, worked from nothing.
        if !self.datasets.is_empty() {
            figures.extend([&self.usd_month1 as &dyn AnyFig, &self.usd_per_month_steady]);
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{close, lecture, with};
    use crate::model::flow::flow;

    fn model(s: &Scenario) -> StorageModel {
        storage(s, &flow(s), &Calendar::new(s))
    }

    #[test]
    fn lecture_storage_by_hand() {
        // Raw: 5 GB/day × 30 days = 150 GB × $0.023 = $3.45 in month 1;
        // 5 GB × 90 days = 450 GB × $0.023 = $10.35 at steady state.
        // Processed: 5 MB × 30 = 150 MB; 5 MB × 365 = 1.825 GB.
        let m = model(&lecture());
        let raw = &m.datasets[0];
        close(raw.stored_month1.base(), 150e9);
        close(raw.usd_month1.base(), 3.45);
        close(raw.stored_steady.base(), 450e9);
        close(raw.usd_per_month_steady.base(), 10.35);
        let processed = &m.datasets[1];
        close(processed.stored_month1.base(), 150e6);
        close(processed.stored_steady.base(), 1.825e9);
        close(m.usd_month1.base(), 3.45 + 0.00345);
    }

    #[test]
    fn compression_and_scale_match_the_lecture() {
        // 10x: 1.5 TB/month raw, $34.50; with 5x compression $6.90.
        let tenfold = lecture().with_scale(10.0, "--scale").unwrap();
        let raw = &model(&tenfold).datasets[0];
        close(raw.stored_month1.base(), 1.5e12);
        close(raw.usd_month1.base(), 34.5);
        let compressed = with(
            "{ name: raw, of: ingest.output, retention: 90 days }",
            "{ name: raw, of: ingest.output, retention: 90 days, compression_ratio: 5 }",
        )
        .with_scale(10.0, "--scale")
        .unwrap();
        close(model(&compressed).datasets[0].usd_month1.base(), 6.9);
    }

    #[test]
    fn retention_shorter_than_a_month_caps_the_first_month() {
        let s = with("retention: 90 days", "retention: 7 days");
        close(model(&s).datasets[0].stored_month1.base(), 35e9);
    }
}
