//! The `prices:` block, each price required where something is billed by it.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::catalog::{catalog, Entry, Kind};
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
        let instance = self.catalog_entry(raw, Kind::Instance)?;
        let storage_class = self.catalog_entry(raw, Kind::Storage)?;
        let from_catalog = |entry: &Entry| Source::Catalog(entry.provenance());
        let compute = match (&raw.compute_usd_per_worker_hour, instance) {
            (Some(field), _) => {
                let k = key("compute_usd_per_worker_hour");
                let value = self.price(field, &k)?;
                Fig::input(UsdPerHour(value), "price_compute", self.source(&k, &field.referenced))
            }
            (None, Some(entry)) => Fig::input(UsdPerHour(entry.usd), "price_compute", from_catalog(entry)),
            (None, None) => {
                return Err(missing(
                    "compute_usd_per_worker_hour",
                    "compute cost needs a price per worker-hour, e.g. `compute_usd_per_worker_hour: 0.50`",
                ))
            }
        };
        // Written by hand it wins; else the instance's billing rule.
        let catalog_time = |seconds: Option<f64>, symbol: &str| {
            instance
                .zip(seconds)
                .map(|(entry, s)| Fig::input(crate::units::seconds(s), symbol, from_catalog(entry)))
        };
        let billing_increment = match &raw.billing_increment {
            Some(f) => Some(self.duration(f, &key("billing_increment"), "billing_increment")?),
            None => catalog_time(
                instance.and_then(|e| e.billing_increment_s),
                "billing_increment",
            ),
        };
        let billing_minimum = match &raw.billing_minimum {
            Some(f) => Some(self.duration(f, &key("billing_minimum"), "billing_minimum")?),
            None => catalog_time(
                instance.and_then(|e| e.billing_minimum_s),
                "billing_minimum",
            ),
        };
        let storage_price = match (&raw.storage_usd_per_gb_month, storage_class) {
            (Some(field), _) => {
                let k = key("storage_usd_per_gb_month");
                let value = self.price_per_size(field, &k, 1e9)?;
                Some(Fig::input(UsdPerGbMonth(value), "price_storage", self.source(&k, &field.referenced)))
            }
            (None, Some(entry)) => Some(Fig::input(
                UsdPerGbMonth(entry.usd * 1e9),
                "price_storage",
                from_catalog(entry),
            )),
            (None, None) if storage.iter().any(|d| !d.in_warehouse && d.price.is_none()) => {
                return Err(missing(
                    "storage_usd_per_gb_month",
                    "the scenario stores datasets, so storage cost needs a price, e.g. `storage_usd_per_gb_month: 0.023`",
                ))
            }
            (None, None) => None,
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

impl Validator<'_> {
    /// The catalog entry `prices:` names for `kind` (its `instance` or its
    /// `storage_class`), with `provider` and `region`; a stale or undated
    /// entry is warned about, an unknown one is an error naming the nearest.
    pub(super) fn catalog_entry(
        &self,
        raw: &RawPrices,
        kind: Kind,
    ) -> Result<Option<&'static Entry>> {
        let (name, key) = match kind {
            Kind::Instance => (&raw.instance, "prices.instance"),
            Kind::Storage => (&raw.storage_class, "prices.storage_class"),
            Kind::Scan => return Ok(None),
        };
        let Some(name) = name else {
            return Ok(None);
        };
        self.catalog_named(raw, kind, name, key).map(Some)
    }

    /// The catalog entry of `kind` called `name` (written under `key`), at
    /// `prices:`'s provider and region.
    pub(super) fn catalog_named(
        &self,
        raw: &RawPrices,
        kind: Kind,
        name: &Spanned<String>,
        key: &str,
    ) -> Result<&'static Entry> {
        let (Some(provider), Some(region)) = (&raw.provider, &raw.region) else {
            return Err(self.error(
                key,
                &name.referenced,
                format!(
                    "`{}` names a catalog entry, which needs `prices.provider` (aws, gcp, azure) and `prices.region` (e.g. us-east-1) beside it",
                    name.value
                ),
            ));
        };
        let entry = catalog()
            .find(&provider.value, &region.value, kind, &name.value)
            .map_err(|error| self.error(key, &name.referenced, error))?;
        if let Some(why) = entry.staleness(crate::catalog::today()) {
            self.warn(key, &name.referenced, why);
        }
        Ok(entry)
    }
}
