//! `pipecalc prices`: the price catalog, searched, each entry with its
//! price, billing, source and date.

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::{Entry, Kind, Per};
use crate::contract::Versions;
use crate::report::{Document, Section};
use crate::units::{human_bytes, human_duration, significant};

/// `pipecalc prices --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PricesDocument {
    #[serde(flatten)]
    pub versions: Versions,
    /// An entry older than this many days, or of unknown date, is warned
    /// about when a scenario uses it.
    pub stale_after_days: i64,
    pub entries: Vec<Entry>,
}

/// The entries whose id, kind or note holds every word of `search`
/// (case-insensitive), of `provider` when given.
pub fn select<'a>(
    entries: &'a [Entry],
    provider: Option<&str>,
    search: &[String],
) -> Vec<&'a Entry> {
    entries
        .iter()
        .filter(|e| provider.is_none_or(|p| e.provider.eq_ignore_ascii_case(p)))
        .filter(|e| {
            let text = format!("{} {:?} {}", e.id, e.kind, e.note).to_lowercase();
            search
                .iter()
                .all(|word| text.contains(&word.to_lowercase()))
        })
        .collect()
}

pub fn json(entries: &[&Entry]) -> PricesDocument {
    PricesDocument {
        versions: Versions::default(),
        stale_after_days: crate::catalog::STALE_AFTER_DAYS,
        entries: entries.iter().map(|e| (*e).clone()).collect(),
    }
}

fn unit_price(entry: &Entry) -> String {
    match entry.per {
        Per::Hour => format!("${}/h", significant(entry.usd, 4)),
        Per::ByteMonth => format!("${}/GB-month", significant(entry.usd * 1e9, 4)),
        Per::Byte => format!("${}/TB", significant(entry.usd * 1e12, 4)),
    }
}

pub fn document(entries: &[&Entry], today: i64) -> Document {
    let mut section = Section::new(
        "Prices",
        &[
            "Id",
            "Kind",
            "Price",
            "As listed",
            "Specs",
            "Billing",
            "Date",
            "Method",
        ],
    );
    for entry in entries {
        section.row([
            entry.id.clone(),
            match entry.kind {
                Kind::Instance => "instance",
                Kind::Storage => "storage",
                Kind::Scan => "scan",
            }
            .to_string(),
            unit_price(entry),
            entry.price_text.clone(),
            match (entry.vcpu, entry.memory_bytes) {
                (Some(cpu), Some(memory)) => format!(
                    "{cpu} vCPU, {} GiB",
                    significant(memory / 1024f64.powi(3), 4)
                ),
                _ => String::new(),
            },
            match (
                entry.billing_increment_s,
                entry.billing_minimum_s,
                entry.minimum_scan_bytes,
            ) {
                (Some(step), Some(minimum), _) => format!(
                    "per {}, {} minimum",
                    human_duration(step),
                    human_duration(minimum)
                ),
                (_, _, Some(scan)) => format!("{} minimum a table", human_bytes(scan)),
                _ => String::new(),
            },
            entry
                .date()
                .map_or_else(|| "unknown".to_string(), str::to_string),
            format!("{:?}", entry.method).to_lowercase(),
        ]);
    }
    if entries.is_empty() {
        section.note("no entry matches; `pipecalc prices` lists them all");
    }
    for entry in entries {
        section.note(format!("{}: {} ({})", entry.id, entry.note, entry.source));
        if let Some(why) = entry.staleness(today) {
            section.note(why);
        }
    }
    section.note(format!(
        "list prices in USD, on demand; GB = 10^9 bytes, TB = 10^12 (the As listed column keeps the provider's own unit, GiB = 2^30); an entry older than {} days, or of unknown date, is warned about when a scenario uses it",
        crate::catalog::STALE_AFTER_DAYS
    ));
    Document {
        title: "pipecalc prices: the catalog built into this binary".into(),
        intro: Vec::new(),
        sections: vec![section],
        conventions: Vec::new(),
    }
}

/// `pipecalc prices --format csv`.
pub fn csv(entries: &[&Entry]) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.id.clone(),
                e.provider.clone(),
                e.region.clone(),
                format!("{:?}", e.kind).to_lowercase(),
                crate::units::clean(e.usd).to_string(),
                format!("{:?}", e.per).to_lowercase(),
                e.price_text.clone(),
                e.vcpu.map_or_else(String::new, |v| v.to_string()),
                e.memory_bytes.map_or_else(String::new, |m| m.to_string()),
                e.published.clone().unwrap_or_default(),
                e.retrieved.clone().unwrap_or_default(),
                format!("{:?}", e.method).to_lowercase(),
                e.source.clone(),
            ]
        })
        .collect();
    crate::report::csv::table(
        &[
            "id",
            "provider",
            "region",
            "kind",
            "usd",
            "per",
            "as_listed",
            "vcpu",
            "memory_bytes",
            "published",
            "retrieved",
            "method",
            "source",
        ],
        &rows,
    )
}
