//! Storage: the datasets kept, each with its retention and compression.

use anyhow::Result;

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
    ) -> Result<Vec<Dataset>> {
        raw
            .iter()
            .enumerate()
            .map(|(index, dataset)| {
                let key = format!("storage[{index}]");
                let name = dataset.name.value.clone();
                Ok(Dataset {
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
