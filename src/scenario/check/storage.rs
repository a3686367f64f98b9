//! Storage: the datasets kept, each with its retention and compression.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::figure::{Fig, Source};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self, Ratio};

impl Validator<'_> {
    pub(super) fn datasets(
        &self,
        raw: &[RawDataset],
        stage_names: &[String],
        prices: Option<&Spanned<RawPrices>>,
    ) -> Result<Vec<Dataset>> {
        let no_prices = RawPrices::default();
        let prices = prices.map_or(&no_prices, |p| &p.value);
        raw
            .iter()
            .enumerate()
            .map(|(index, dataset)| {
                let key = format!("storage[{index}]");
                let name = dataset.name.value.clone();
                let price = dataset
                    .class
                    .as_ref()
                    .map(|class| {
                        let at = format!("{key}.class");
                        if dataset.place.as_ref().is_some_and(|p| p.value == Place::Warehouse) {
                            return Err(self.error(
                                &at,
                                &class.referenced,
                                format!("dataset `{name}` is kept in the warehouse, which prices its own storage (`warehouse.storage_usd_per_gb_month`); a storage class prices the lake's"),
                            ));
                        }
                        let entry = self.catalog_named(
                            prices,
                            crate::catalog::Kind::Storage,
                            class,
                            &at,
                        )?;
                        Ok::<_, anyhow::Error>(Fig::input(
                            crate::units::UsdPerGbMonth(entry.usd * 1e9),
                            format!("price_storage[{name}]"),
                            Source::Catalog(entry.provenance()),
                        ))
                    })
                    .transpose()?;
                let replication = dataset
                    .replication
                    .as_ref()
                    .map(|f| {
                        let at = format!("{key}.replication");
                        let copies = self.ratio(f, &at, &format!("replication[{name}]"))?;
                        if copies.base() < 1.0 {
                            return Err(self.error(
                                &at,
                                &f.referenced,
                                format!(
                                    "`{}` keeps less than one copy; replication is the copies kept, 1 or more (HDFS keeps 3)",
                                    f.value.0.trim()
                                ),
                            ));
                        }
                        Ok(copies)
                    })
                    .transpose()?;
                Ok(Dataset {
                    price,
                    replication,
                    in_warehouse: dataset
                        .place
                        .as_ref()
                        .is_some_and(|p| p.value == Place::Warehouse),
                    of: self.data_ref(&dataset.of, &format!("{key}.of"), stage_names)?,
                    of_text: dataset.of.value.clone(),
                    retention: {
                        let retention = self.duration(
                            &dataset.retention,
                            &format!("{key}.retention"),
                            &format!("retention[{name}]"),
                        )?;
                        if retention.base() < units::SECONDS_PER_DAY {
                            self.warn(
                                &format!("{key}.retention"),
                                &dataset.retention.referenced,
                                format!(
                                    "a retention of {} is shorter than the day between runs: each run's data is gone before the next run",
                                    retention.human()
                                ),
                            );
                        }
                        retention
                    },
                    compression_ratio: match &dataset.compression_ratio {
                        Some(field) => {
                            let ratio = self.ratio(
                                field,
                                &format!("{key}.compression_ratio"),
                                &format!("compression[{name}]"),
                            )?;
                            if ratio.base() < 1.0 {
                                self.warn(
                                    &format!("{key}.compression_ratio"),
                                    &field.referenced,
                                    format!(
                                        "a compression ratio of {} below 1 means expansion: the stored data is {}× the raw bytes",
                                        field.value.0.trim(),
                                        units::significant(1.0 / ratio.base(), 3)
                                    ),
                                );
                            }
                            ratio
                        }
                        None => Fig::input(
                            Ratio(1.0),
                            format!("compression[{name}]"),
                            Source::Default("stored as is, no compression".into()),
                        ),
                    },
                    name,
                })
            })
            .collect::<Result<Vec<_>>>()
    }
}
