//! The warehouse (ELT): its prices, checked against the stages, datasets
//! and queries that use it, and the queries over stored datasets.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::figure::Fig;
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self, Parsed, UsdPerGb, UsdPerGbMonth};

impl Validator<'_> {
    /// The warehouse, checked against what uses it: a stage in it needs its
    /// per-TB price, a dataset in it its storage price.
    pub(super) fn warehouse(
        &self,
        raw: Option<&Spanned<RawWarehouse>>,
        stages: &[RawStage],
        datasets: &[RawDataset],
        queries: &[RawQuery],
    ) -> Result<Option<Warehouse>> {
        let warehouse = match raw {
            Some(raw) => {
                let w = &raw.value;
                Some(Warehouse {
                    usd_per_gb_scanned: match (&w.usd_per_tb_scanned, &w.entry) {
                        (Some(field), _) => {
                            let per_tb =
                                self.price_per_size(field, "warehouse.usd_per_tb_scanned", 1e12)?;
                            Some(Fig::input(
                                UsdPerGb(per_tb / 1000.0),
                                "price_scan",
                                self.source("warehouse.usd_per_tb_scanned", &field.referenced),
                            ))
                        }
                        (None, Some(name)) => Some(self.scan_entry(name)?),
                        (None, None) => None,
                    },
                    storage: w
                        .storage_usd_per_gb_month
                        .as_ref()
                        .map(|field| {
                            let per_gb = self.price_per_size(
                                field,
                                "warehouse.storage_usd_per_gb_month",
                                1e9,
                            )?;
                            Ok::<_, anyhow::Error>(Fig::input(
                                UsdPerGbMonth(per_gb),
                                "price_warehouse_storage",
                                self.source(
                                    "warehouse.storage_usd_per_gb_month",
                                    &field.referenced,
                                ),
                            ))
                        })
                        .transpose()?,
                })
            }
            None => None,
        };
        let scan_price = warehouse
            .as_ref()
            .and_then(|w| w.usd_per_gb_scanned.as_ref());
        for (index, stage) in stages.iter().enumerate() {
            if let Some(place) = stage
                .runs_in
                .as_ref()
                .filter(|p| p.value == Place::Warehouse)
            {
                if scan_price.is_none() {
                    return Err(self.error(
                        &format!("stages[{index}].runs_in"),
                        &place.referenced,
                        "the stage runs in the warehouse, which has no price; add `warehouse: { usd_per_tb_scanned: 5 }` (what your warehouse charges per TB a query scans)",
                    ));
                }
            }
        }
        for (index, dataset) in datasets.iter().enumerate() {
            if let Some(place) = dataset
                .place
                .as_ref()
                .filter(|p| p.value == Place::Warehouse)
            {
                if warehouse
                    .as_ref()
                    .and_then(|w| w.storage.as_ref())
                    .is_none()
                {
                    return Err(self.error(
                        &format!("storage[{index}].in"),
                        &place.referenced,
                        "the dataset is kept in the warehouse, which has no storage price; add `warehouse: { storage_usd_per_gb_month: 0.023 }`",
                    ));
                }
            }
        }
        if let Some(query) = queries.first() {
            if scan_price.is_none() {
                return Err(self.error(
                    "queries[0]",
                    &query.name.referenced,
                    "queries are billed by what they scan, and the warehouse has no price; add `warehouse: { usd_per_tb_scanned: 5 }`",
                ));
            }
        }
        Ok(warehouse)
    }

    /// What a query scans: `all` (what is kept), a span of the most recent
    /// data (`1 day`, or `7 partitions`: a partition is a day's data), or
    /// a size.
    fn scans(&self, field: &Policy, key: &str, query: &str) -> Result<Scans> {
        let text = field.value.0.trim();
        if text == "all" {
            return Ok(Scans::All);
        }
        let symbol = format!("scans[{query}]");
        if let Some(count) = text
            .strip_suffix("partitions")
            .or_else(|| text.strip_suffix("partition"))
        {
            let days = units::parse_count(count.trim())
                .ok()
                .filter(|n| n.0 >= 1.0 && n.0.fract() == 0.0)
                .ok_or_else(|| {
                    self.error(
                        key,
                        &field.referenced,
                        format!("`{text}` is not a whole number of partitions; a query scans `all`, a span such as `1 day`, `7 partitions` (a day's data each) or a size such as `10 GB`"),
                    )
                })?;
            return Ok(Scans::Span(Fig::input(
                units::seconds(days.0 * units::SECONDS_PER_DAY),
                symbol,
                self.source(key, &field.referenced),
            )));
        }
        match units::parse_any(text) {
            Ok(Parsed::Duration(_)) => Ok(Scans::Span(self.duration(field, key, &symbol)?)),
            Ok(Parsed::Size(_)) => Ok(Scans::Bytes(self.size(field, key, &symbol)?)),
            _ => Err(self.error(
                key,
                &field.referenced,
                format!("`{text}` is not what a query scans; write `all` (what is kept, the default), a span of the newest data such as `1 day`, `7 partitions` (a day's data each) or a size such as `10 GB`"),
            )),
        }
    }

    pub(super) fn queries(&self, raw: &[RawQuery], datasets: &[RawDataset]) -> Result<Vec<Query>> {
        raw.iter()
            .enumerate()
            .map(|(index, query)| {
                let key = format!("queries[{index}]");
                let over = datasets
                    .iter()
                    .position(|d| d.name.value == query.over.value)
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            datasets.iter().map(|d| d.name.value.as_str()).collect();
                        self.error(
                            &format!("{key}.over"),
                            &query.over.referenced,
                            format!(
                                "`{}` is not a stored dataset; queries run over one of: {}",
                                query.over.value,
                                if names.is_empty() {
                                    "(none: add a `storage:` dataset)".to_string()
                                } else {
                                    names.join(", ")
                                }
                            ),
                        )
                    })?;
                let name = &query.name.value;
                let scans = match &query.scans {
                    None => Scans::All,
                    Some(field) => self.scans(field, &format!("{key}.scans"), name)?,
                };
                if let (Scans::Bytes(_), Some(columns)) = (&scans, &query.columns) {
                    return Err(self.error(
                        &format!("{key}.columns"),
                        &columns.referenced,
                        format!("query `{name}` gives the bytes it scans, which are its columns' already; give `columns` with a span (`scans: 1 day`) or the whole dataset"),
                    ));
                }
                Ok(Query {
                    name: name.clone(),
                    over,
                    per_day: self.count(
                        &query.per_day,
                        &format!("{key}.per_day"),
                        &format!("queries[{name}]"),
                    )?,
                    scans,
                    columns: query
                        .columns
                        .as_ref()
                        .map(|f| self.fraction(f, &format!("{key}.columns"), &format!("columns[{name}]")))
                        .transpose()?,
                })
            })
            .collect()
    }
}

impl Validator<'_> {
    /// A warehouse's scan price from the catalog; what the entry bills that
    /// the model leaves out (a free allowance a month) is said.
    fn scan_entry(&self, name: &Spanned<String>) -> Result<Fig<UsdPerGb>> {
        let key = "warehouse.entry";
        let entry = crate::catalog::catalog()
            .by_id(&name.value, crate::catalog::Kind::Scan)
            .map_err(|error| self.error(key, &name.referenced, error))?;
        if let Some(why) = entry.staleness(crate::catalog::today()) {
            self.warn(key, &name.referenced, why);
        }
        if let Some(free) = entry.free_bytes_per_month {
            self.warn(
                key,
                &name.referenced,
                format!(
                    "`{}` gives {} a month free, which the bill does not subtract: it errs high by at most {}",
                    entry.id,
                    units::human_bytes(free),
                    units::human_usd(free * entry.usd)
                ),
            );
        }
        Ok(Fig::input(
            UsdPerGb(entry.usd * 1e9),
            "price_scan",
            crate::figure::Source::Catalog(entry.provenance()),
        ))
    }
}
