//! The `prices:` block, each price required where something is billed by it.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::figure::{Fig, Source};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{UsdPerGb, UsdPerGbMonth, UsdPerHour};

impl Validator<'_> {
    pub(super) fn prices(
        &self,
        raw: Option<&Spanned<RawPrices>>,
        storage: &[Dataset],
        network: Option<&Network>,
    ) -> Result<Prices> {
        let empty = RawPrices::default();
        let prices = raw.map_or(&empty, |r| &r.value);
        // A missing price has no place of its own: name the `prices:`
        // mapping it belongs in, or say the section is missing.
        let missing = |name: &str, why: &str| match raw {
            Some(section) => self.error(
                &format!("prices.{name}"),
                &section.referenced,
                format!("missing from the `prices:` mapping that starts here; {why}"),
            ),
            None => anyhow::Error::new(ScenarioError::at(
                self.file,
                self.text,
                0,
                0,
                Some(&format!("prices.{name}")),
                &format!(
                    "`prices.{name}` is missing: the scenario has no `prices:` section; {why}"
                ),
            )),
        };
        let raw = prices;
        let key = |name: &str| format!("prices.{name}");
        let compute = match &raw.compute_usd_per_worker_hour {
            Some(field) => {
                let k = key("compute_usd_per_worker_hour");
                let value = self.price(field, &k)?;
                Fig::input(UsdPerHour(value), "price_compute", self.source(&k, &field.referenced))
            }
            None => {
                return Err(missing(
                    "compute_usd_per_worker_hour",
                    "compute cost needs a price per worker-hour, e.g. `compute_usd_per_worker_hour: 0.50`",
                ))
            }
        };
        let billing_increment = raw
            .billing_increment
            .as_ref()
            .map(|f| self.duration(f, &key("billing_increment"), "billing_increment"))
            .transpose()?;
        let billing_minimum = raw
            .billing_minimum
            .as_ref()
            .map(|f| self.duration(f, &key("billing_minimum"), "billing_minimum"))
            .transpose()?;
        let storage_price = match &raw.storage_usd_per_gb_month {
            Some(field) => {
                let k = key("storage_usd_per_gb_month");
                let value = self.price_per_size(field, &k, 1e9)?;
                Some(Fig::input(UsdPerGbMonth(value), "price_storage", self.source(&k, &field.referenced)))
            }
            None if storage.iter().any(|d| !d.in_warehouse) => {
                return Err(missing(
                    "storage_usd_per_gb_month",
                    "the scenario stores datasets, so storage cost needs a price, e.g. `storage_usd_per_gb_month: 0.023`",
                ))
            }
            None => None,
        };
        let egress = match &raw.egress_usd_per_gb {
            Some(field) => {
                let k = key("egress_usd_per_gb");
                let value = self.price_per_size(field, &k, 1e9)?;
                Some(Fig::input(UsdPerGb(value), "price_egress", self.source(&k, &field.referenced)))
            }
            None if network.is_some_and(|n| n.transfers.iter().any(|t| t.direction == Direction::Egress)) => {
                return Err(missing(
                    "egress_usd_per_gb",
                    "the scenario has an egress transfer, so it needs a price, e.g. `egress_usd_per_gb: 0.09`",
                ))
            }
            None => None,
        };
        let ingress = match &raw.ingress_usd_per_gb {
            Some(field) => {
                let k = key("ingress_usd_per_gb");
                let value = self.price_per_size(field, &k, 1e9)?;
                Fig::input(
                    UsdPerGb(value),
                    "price_ingress",
                    self.source(&k, &field.referenced),
                )
            }
            None => Fig::input(
                UsdPerGb(0.0),
                "price_ingress",
                Source::Default("ingress is free unless priced".into()),
            ),
        };
        Ok(Prices {
            compute,
            billing_increment,
            billing_minimum,
            storage: storage_price,
            egress,
            ingress,
        })
    }
}
