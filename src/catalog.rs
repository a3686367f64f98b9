//! The price catalog: dated list prices of instances, storage classes and
//! warehouse scans, one YAML file per provider under `catalog/`, built into
//! the binary. Every entry names its source, when it was published and read
//! where known, and how it was obtained; a scenario names an entry instead
//! of typing a price (`prices: { provider, region, instance, storage_class }`),
//! any price written by hand wins, an unknown id is an error with the nearest
//! ids, and an entry older than [`STALE_AFTER_DAYS`] (or of unknown date) is
//! warned about. The files are rebuilt by a maintainer's script,
//! `tools/refresh_prices.py`, never by the build or the tests.

use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The catalog's files, as the binary carries them.
const FILES: [(&str, &str); 3] = [
    ("catalog/aws.yaml", include_str!("../catalog/aws.yaml")),
    ("catalog/gcp.yaml", include_str!("../catalog/gcp.yaml")),
    ("catalog/azure.yaml", include_str!("../catalog/azure.yaml")),
];

/// An entry older than this, against today, is warned about: students run
/// a semester-old binary.
pub const STALE_AFTER_DAYS: i64 = 180;

/// Today, as days since 1970 (UTC), against which an entry's age is told;
/// `PIPECALC_TODAY=YYYY-MM-DD` sets another day (for a test, or to see what
/// a student's binary will say next term).
pub fn today() -> i64 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    std::env::var("PIPECALC_TODAY")
        .ok()
        .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .map(|d| (d - epoch).num_days())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
                .div_euclid(86_400)
        })
}

/// What an entry prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A machine, by the hour.
    Instance,
    /// Stored bytes, by the month.
    Storage,
    /// A warehouse's bytes scanned.
    Scan,
}

/// How an entry's price was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Read from the provider's price API or price-list document.
    Api,
    /// Read from the provider's pricing page.
    Page,
    /// Computed from another entry by a rule the note states.
    Derived,
    /// Typed by a person from a source the note names.
    Manual,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    provider: String,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    kind: Kind,
    region: String,
    #[serde(default)]
    specs: Option<RawSpecs>,
    price: String,
    #[serde(default)]
    free_per_month: Option<String>,
    #[serde(default)]
    billing: Option<RawBilling>,
    #[serde(default)]
    spot: Option<RawSpot>,
    source: String,
    published: Option<String>,
    retrieved: Option<String>,
    method: Method,
    #[serde(default)]
    derived_from: Option<String>,
    #[serde(default)]
    scale: Option<f64>,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpecs {
    vcpu: u32,
    memory: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBilling {
    #[serde(default)]
    increment: Option<String>,
    #[serde(default)]
    minimum: Option<String>,
    #[serde(default)]
    minimum_scan: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpot {
    notice: String,
}

/// What a price is per.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// USD an hour.
    Hour,
    /// USD a byte stored for a month.
    ByteMonth,
    /// USD a byte scanned.
    Byte,
}

/// One catalog entry, checked.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Entry {
    pub id: String,
    pub provider: String,
    pub kind: Kind,
    pub region: String,
    /// The last part of the id: `m7i.xlarge`, `on-demand`.
    pub name: String,
    pub vcpu: Option<u32>,
    pub memory_bytes: Option<f64>,
    /// The list price, in USD per [`Per`].
    pub usd: f64,
    pub per: Per,
    /// As written in the catalog: `$0.2016/h`.
    pub price_text: String,
    pub free_bytes_per_month: Option<f64>,
    pub billing_increment_s: Option<f64>,
    pub billing_minimum_s: Option<f64>,
    pub minimum_scan_bytes: Option<f64>,
    pub spot_notice_s: Option<f64>,
    pub source: String,
    /// `YYYY-MM-DD`; `null` where unknown.
    pub published: Option<String>,
    pub retrieved: Option<String>,
    pub method: Method,
    pub derived_from: Option<String>,
    pub scale: Option<f64>,
    pub note: String,
}

impl Entry {
    /// The entry's date: when it was read, else when it was published.
    pub fn date(&self) -> Option<&str> {
        self.retrieved.as_deref().or(self.published.as_deref())
    }

    /// Days from the entry's date to `today` (days since 1970); `None`
    /// where the date is unknown.
    pub fn age_days(&self, today: i64) -> Option<i64> {
        let date = self.date()?;
        let parsed = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
        Some(today - (parsed - epoch).num_days())
    }

    /// Why it should be read again, if it should: older than
    /// [`STALE_AFTER_DAYS`], or of unknown date.
    pub fn staleness(&self, today: i64) -> Option<String> {
        match self.age_days(today) {
            Some(age) if age > STALE_AFTER_DAYS => Some(format!(
                "catalog entry `{}` is {age} days old ({}): prices change; check {} or refresh the catalog",
                self.id,
                self.date().unwrap_or(""),
                self.source
            )),
            Some(_) => None,
            None => Some(format!(
                "catalog entry `{}` has no date (neither published nor retrieved is known): check {} before relying on {}",
                self.id, self.source, self.price_text
            )),
        }
    }

    /// How `--explain` and the JSON name it.
    pub fn provenance(&self) -> String {
        format!(
            "catalog `{}` ({}, {}, {})",
            self.id,
            self.price_text,
            self.date()
                .map_or_else(|| "date unknown".to_string(), |d| format!("dated {d}")),
            self.source
        )
    }
}

/// The catalog, checked once.
#[derive(Debug)]
pub struct Catalog {
    pub entries: Vec<Entry>,
}

/// The catalog the binary carries.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::parse(&FILES).unwrap_or_else(|error| {
            // The files are part of the source: a test parses them, so a
            // broken one never ships.
            panic!("the built-in price catalog does not parse: {error:#}")
        })
    })
}

impl Catalog {
    /// Parses catalog files (name, text).
    pub fn parse(files: &[(&str, &str)]) -> Result<Catalog> {
        let mut entries = Vec::new();
        for (name, text) in files {
            let raw: RawFile = serde_saphyr::from_str(text)
                .with_context(|| format!("`{name}` is not a catalog file"))?;
            for entry in raw.entries {
                let id = entry.id.clone();
                entries.push(
                    checked(&raw.provider, entry)
                        .with_context(|| format!("`{name}`: entry `{id}`"))?,
                );
            }
        }
        let mut ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(twice) = ids.windows(2).find(|w| w[0] == w[1]) {
            bail!("entry `{}` is listed twice", twice[0]);
        }
        Ok(Catalog { entries })
    }

    /// The entry of this provider, region, kind and name, or an error that
    /// names the nearest ids.
    pub fn find(&self, provider: &str, region: &str, kind: Kind, name: &str) -> Result<&Entry> {
        self.by_id(&id_of(provider, region, kind, name), kind)
    }

    /// The entry of this whole id and kind, or an error naming the nearest.
    pub fn by_id(&self, wanted: &str, kind: Kind) -> Result<&Entry> {
        let wanted = wanted.to_string();
        if let Some(entry) = self
            .entries
            .iter()
            .find(|e| e.id == wanted && e.kind == kind)
        {
            return Ok(entry);
        }
        let mut near: Vec<(usize, &str)> = self
            .entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| (crate::text::edit_distance(&e.id, &wanted), e.id.as_str()))
            .collect();
        near.sort();
        let near: Vec<String> = near
            .iter()
            .take(3)
            .map(|(_, id)| format!("`{id}`"))
            .collect();
        Err(anyhow!(
            "no catalog entry `{wanted}`; {}; `pipecalc prices` lists the catalog",
            if near.is_empty() {
                format!("the catalog has no {} prices", kind_words(kind))
            } else {
                format!("the nearest are {}", near.join(", "))
            }
        ))
    }
}

/// An entry's id: `provider/region/service/name`.
fn id_of(provider: &str, region: &str, kind: Kind, name: &str) -> String {
    let service = match (provider, kind) {
        ("aws", Kind::Instance) => "ec2",
        ("aws", Kind::Storage) => "s3",
        ("gcp", Kind::Instance) => "compute",
        ("gcp", Kind::Storage) => "storage",
        ("azure", Kind::Instance) => "vm",
        ("azure", Kind::Storage) => "blob",
        (_, Kind::Scan) => "bigquery",
        _ => "unknown",
    };
    match name.split_once('/') {
        // A name that carries its service (`bigquery/active-storage`).
        Some(_) => format!("{provider}/{region}/{name}"),
        None => format!("{provider}/{region}/{service}/{name}"),
    }
}

fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::Instance => "instance",
        Kind::Storage => "storage",
        Kind::Scan => "scan",
    }
}

fn checked(provider: &str, raw: RawEntry) -> Result<Entry> {
    let parts: Vec<&str> = raw.id.split('/').collect();
    if parts.len() != 4 || parts[0] != provider || parts[1] != raw.region {
        bail!("its id must be `{provider}/{}/SERVICE/NAME`", raw.region);
    }
    if !raw.source.starts_with("https://") {
        bail!("its source must be the provider's page or price list (an https URL)");
    }
    for date in [&raw.published, &raw.retrieved].into_iter().flatten() {
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| anyhow!("`{date}` is not a date (YYYY-MM-DD)"))?;
    }
    let (usd, per) = price(&raw.price)?;
    let expected = match raw.kind {
        Kind::Instance => Per::Hour,
        Kind::Storage => Per::ByteMonth,
        Kind::Scan => Per::Byte,
    };
    if per != expected {
        bail!("`{}` is not a {} price", raw.price, kind_words(raw.kind));
    }
    if raw.method == Method::Derived && (raw.derived_from.is_none() || raw.scale.is_none()) {
        bail!(
            "a derived entry names what it is derived from (`derived_from`) and by what (`scale`)"
        );
    }
    let size = |text: &str| -> Result<f64> {
        Ok(crate::units::parse_size(text)
            .map_err(|e| anyhow!("`{text}`: {e}"))?
            .value)
    };
    let seconds = |text: &str| -> Result<f64> {
        Ok(crate::units::parse_duration(text)
            .map_err(|e| anyhow!("`{text}`: {e}"))?
            .value)
    };
    let billing = raw.billing.as_ref();
    Ok(Entry {
        name: parts[3].to_string(),
        provider: provider.to_string(),
        kind: raw.kind,
        region: raw.region.clone(),
        vcpu: raw.specs.as_ref().map(|s| s.vcpu),
        memory_bytes: raw.specs.as_ref().map(|s| size(&s.memory)).transpose()?,
        usd,
        per,
        price_text: raw.price.clone(),
        free_bytes_per_month: raw.free_per_month.as_deref().map(size).transpose()?,
        billing_increment_s: billing
            .and_then(|b| b.increment.as_deref())
            .map(seconds)
            .transpose()?,
        billing_minimum_s: billing
            .and_then(|b| b.minimum.as_deref())
            .map(seconds)
            .transpose()?,
        minimum_scan_bytes: billing
            .and_then(|b| b.minimum_scan.as_deref())
            .map(size)
            .transpose()?,
        spot_notice_s: raw.spot.as_ref().map(|s| seconds(&s.notice)).transpose()?,
        source: raw.source,
        published: raw.published,
        retrieved: raw.retrieved,
        method: raw.method,
        derived_from: raw.derived_from,
        scale: raw.scale,
        note: raw.note.split_whitespace().collect::<Vec<_>>().join(" "),
        id: raw.id,
    })
}

/// A catalog price: `$0.2016/h`, `$6.25/TiB`, `$0.02/GiB-month`.
fn price(text: &str) -> Result<(f64, Per)> {
    let text = text.trim();
    if let Some(amount) = text.strip_suffix("/h") {
        let usd: f64 = amount
            .strip_prefix('$')
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| anyhow!("`{text}` is not a price (e.g. `$0.2016/h`)"))?;
        return Ok((usd, Per::Hour));
    }
    let (per_size, per) = match text.strip_suffix("-month") {
        Some(rest) => (rest, Per::ByteMonth),
        None => (text, Per::Byte),
    };
    match crate::units::parse_any(per_size) {
        Ok(crate::units::Parsed::MoneyPerSize(usd_per_byte)) if usd_per_byte > 0.0 => {
            Ok((usd_per_byte, per))
        }
        _ => bail!("`{text}` is not a price (e.g. `$0.2016/h`, `$6.25/TiB`, `$0.02/GiB-month`)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry parses, names a source, a method and a unit; a derived
    /// one recomputes from what it is derived from.
    #[test]
    fn every_entry_is_sourced_and_derived_ones_recompute() {
        let catalog = catalog();
        assert!(!catalog.entries.is_empty());
        for entry in &catalog.entries {
            assert!(entry.source.starts_with("https://"), "{}", entry.id);
            assert!(
                !entry.note.is_empty(),
                "{}: say how it was obtained",
                entry.id
            );
            if entry.method == Method::Derived {
                let from = catalog
                    .entries
                    .iter()
                    .find(|e| Some(&e.id) == entry.derived_from.as_ref())
                    .unwrap_or_else(|| {
                        panic!("{}: derived from an entry not in the catalog", entry.id)
                    });
                let recomputed = from.usd * entry.scale.unwrap();
                assert!(
                    (recomputed - entry.usd).abs() < 1e-9,
                    "{}: {recomputed}",
                    entry.id
                );
            }
        }
    }

    /// The maintainers' measure: m7i.xlarge in us-east-1, $0.2016 an hour
    /// on demand, by the second with a 60 s minimum, 16 GiB.
    #[test]
    fn m7i_xlarge_is_the_list_price_with_aws_billing() {
        let entry = catalog()
            .find("aws", "us-east-1", Kind::Instance, "m7i.xlarge")
            .unwrap();
        assert_eq!((entry.usd, entry.per), (0.2016, Per::Hour));
        assert_eq!(entry.billing_increment_s, Some(1.0));
        assert_eq!(entry.billing_minimum_s, Some(60.0));
        assert_eq!(entry.memory_bytes, Some(16.0 * 1024f64.powi(3)));
        assert_eq!(entry.vcpu, Some(4));
        // BigQuery's $6.25 a TiB is USD a byte scanned.
        let scan = catalog()
            .find("gcp", "us", Kind::Scan, "on-demand")
            .unwrap();
        assert!((scan.usd * 1024f64.powi(4) - 6.25).abs() < 1e-9);
    }

    #[test]
    fn an_unknown_id_names_the_nearest() {
        let error = catalog()
            .find("aws", "us-east-1", Kind::Instance, "m7i.xlarg")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("no catalog entry `aws/us-east-1/ec2/m7i.xlarg`"),
            "{error}"
        );
        assert!(
            error.contains("the nearest are `aws/us-east-1/ec2/m7i.xlarge`"),
            "{error}"
        );
        let none = catalog()
            .find("azure", "eastus", Kind::Instance, "D4s_v5")
            .unwrap_err()
            .to_string();
        assert!(
            none.contains("`pipecalc prices` lists the catalog"),
            "{none}"
        );
    }

    #[test]
    fn stale_and_undated_entries_are_said() {
        let mut entry = catalog().entries[0].clone();
        entry.retrieved = Some("2026-01-01".into());
        let day = |y, m, d| {
            (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
                - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
            .num_days()
        };
        assert_eq!(entry.staleness(day(2026, 6, 1)), None);
        let stale = entry.staleness(day(2026, 12, 7)).unwrap();
        assert!(stale.contains("340 days old (2026-01-01)"), "{stale}");
        entry.retrieved = None;
        entry.published = None;
        assert!(entry
            .staleness(day(2026, 6, 1))
            .unwrap()
            .contains("has no date"));
    }

    #[test]
    fn a_bad_file_is_refused_with_its_name() {
        let bad = Catalog::parse(&[(
            "x.yaml",
            "provider: aws\nentries:\n  - { id: aws/us-east-1/ec2/x, kind: instance, region: us-east-1, price: 3 USD, source: https://a, published: null, retrieved: null, method: manual }\n",
        )])
        .unwrap_err();
        assert!(
            format!("{bad:#}").contains("`3 USD` is not a price"),
            "{bad:#}"
        );
        let unsourced = Catalog::parse(&[(
            "x.yaml",
            "provider: aws\nentries:\n  - { id: aws/us-east-1/ec2/x, kind: instance, region: us-east-1, price: $1/h, source: somewhere, published: null, retrieved: null, method: manual }\n",
        )])
        .unwrap_err();
        assert!(
            format!("{unsourced:#}").contains("its source must be"),
            "{unsourced:#}"
        );
    }
}
