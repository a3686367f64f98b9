//! Synthetic web-server clickstream logs, with the lecture's defects, and
//! the ground truth the pipeline's tests are held against.
//!
//! Output: one newline-delimited JSON file per hour
//! (`YYYY-MM-DDTHH.jsonl`), about 500 bytes an event, and `_truth.json`
//! beside them. Each hour is generated from its own seed, so the bytes are
//! the same whatever the number of workers. The random generator is a
//! SplitMix64 written here rather than a crate's, because "same seed, same
//! bytes" is part of the generator's contract and crates do not promise
//! their streams across versions.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::calendar::{date_string, days_from_civil, timestamp_string, MS_PER_DAY};
use super::event::DEFAULT_ALLOWED_LATENESS_MS;
use crate::random::SplitMix64;

/// What to generate, with the lecture's mix and defects by default.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, clap::Args)]
pub struct GeneratorConfig {
    /// Events in all (a count: 100000, 1M).
    #[arg(long, default_value = "100K", value_parser = crate::args::events)]
    pub events: u64,
    /// Days of logs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub days: u32,
    /// Random seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The first day, as days since 1970-01-01 (2024-01-15 by default).
    #[arg(skip = days_from_civil(2024, 1, 15))]
    pub start_day: i64,
    /// Distinct products (popularity is Zipf-like).
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub products: u32,
    /// Zipf exponent of product popularity.
    #[arg(skip = 1.0)]
    pub zipf_exponent: f64,
    /// Share of events that are page views.
    #[arg(long, default_value_t = 0.8, value_parser = crate::args::share)]
    pub page_view_share: f64,
    /// Of page views, the share on a product page.
    #[arg(skip = 0.9)]
    pub product_page_share: f64,
    /// Share of events with a null user_id.
    #[arg(long, default_value_t = 0.05, value_parser = crate::args::share)]
    pub null_user_share: f64,
    /// Share of events written twice.
    #[arg(long, default_value_t = 0.01, value_parser = crate::args::share)]
    pub duplicate_share: f64,
    /// Share of product page views with an invalid product id.
    #[arg(long, default_value_t = 0.005, value_parser = crate::args::share)]
    pub invalid_product_share: f64,
    /// Share of lines cut short (malformed JSON).
    #[arg(long, default_value_t = 0.001, value_parser = crate::args::share)]
    pub malformed_share: f64,
    /// Share of events without a timestamp.
    #[arg(long, default_value_t = 0.001, value_parser = crate::args::share)]
    pub missing_field_share: f64,
    /// Share of events that arrive 1 to 3 hours late.
    #[arg(long, default_value_t = 0.01, value_parser = crate::args::share)]
    pub late_share: f64,
    /// From this fraction of the hours on, events carry a new field (schema drift).
    #[arg(long, default_value_t = 0.5, value_parser = crate::args::share)]
    pub drift_from: f64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            events: 100_000,
            days: 1,
            seed: 7,
            start_day: days_from_civil(2024, 1, 15),
            products: 50_000,
            zipf_exponent: 1.0,
            page_view_share: 0.8,
            product_page_share: 0.9,
            null_user_share: 0.05,
            duplicate_share: 0.01,
            invalid_product_share: 0.005,
            malformed_share: 0.001,
            missing_field_share: 0.001,
            late_share: 0.01,
            drift_from: 0.5,
        }
    }
}

/// What the generator wrote, counted as the pipeline should find it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Truth {
    pub lines: u64,
    pub bytes: u64,
    pub malformed: u64,
    pub missing_field: u64,
    /// Lines that are valid events (duplicates included).
    pub valid_events: u64,
    /// Extra copies of events already written.
    pub duplicates: u64,
    pub null_user: u64,
    /// Events more than the allowed lateness behind the latest event
    /// already written to their file (the pipeline's watermark rule).
    pub late: u64,
    pub drifted: u64,
    /// Distinct page-view events.
    pub page_views: u64,
    pub non_product_page_views: u64,
    pub invalid_product: u64,
    /// Views counted per date and product: what the pipeline must output.
    pub views: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Truth {
    fn merge(&mut self, other: Truth) {
        self.lines += other.lines;
        self.bytes += other.bytes;
        self.malformed += other.malformed;
        self.missing_field += other.missing_field;
        self.valid_events += other.valid_events;
        self.duplicates += other.duplicates;
        self.null_user += other.null_user;
        self.late += other.late;
        self.drifted += other.drifted;
        self.page_views += other.page_views;
        self.non_product_page_views += other.non_product_page_views;
        self.invalid_product += other.invalid_product;
        for (date, products) in other.views {
            let into = self.views.entry(date).or_default();
            for (product, count) in products {
                *into.entry(product).or_default() += count;
            }
        }
    }

    pub fn counted_views(&self) -> u64 {
        self.views.values().flat_map(|p| p.values()).sum()
    }
}

/// Cumulative Zipf weights, sampled by binary search.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: u32, exponent: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / f64::from(rank).powf(exponent);
                total
            })
            .collect::<Vec<_>>();
        Zipf(cumulative.into_iter().map(|c| c / total).collect())
    }
    fn sample(&self, rng: &mut SplitMix64) -> u32 {
        let u = rng.unit();
        self.0.partition_point(|c| *c < u) as u32
    }
}

const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 (compatible; shop-client/2.3; +https://shop.example/bot)",
];
const REFERRERS: [&str; 4] = [
    "https://www.google.com/search?q=running+shoes+for+trail+and+road&source=hp&ei=abcdef",
    "https://shop.example/category/footwear?sort=popular&page=2&utm_source=newsletter&utm_medium=email",
    "https://www.bing.com/search?q=best+budget+headphones+2024&form=QBLH&sp=-1&pq=best+budget",
    "https://social.example/share/post/8c1f2a9e?utm_source=social&utm_campaign=winter_sale_2024",
];
const OTHER_PAGES: [&str; 4] = ["/", "/search?q=shoes", "/cart", "/category/footwear"];
const ACTIONS: [&str; 3] = ["click", "add_to_cart", "purchase"];
const BAD_PRODUCT_IDS: [&str; 4] = ["p-1", "pXYZ", "p1234567", ""];

/// The file an hour of logs goes to.
pub fn hour_file(day: i64, hour: u32) -> String {
    format!("{}T{hour:02}.jsonl", date_string(day))
}

fn hour_seed(seed: u64, hour_index: u64) -> u64 {
    let mut mix = SplitMix64(seed ^ hour_index.wrapping_mul(0xA076_1D64_78BD_642F));
    mix.next_u64()
}

/// Generates one hour: its bytes and its truth.
fn generate_hour(
    config: &GeneratorConfig,
    zipf: &Zipf,
    hour_index: u64,
    events: u64,
) -> (String, Truth) {
    let mut rng = SplitMix64(hour_seed(config.seed, hour_index));
    let total_hours = u64::from(config.days) * 24;
    let day = config.start_day + (hour_index / 24) as i64;
    let hour_start = day * MS_PER_DAY + (hour_index % 24) as i64 * 3_600_000;
    let drifted = hour_index as f64 >= config.drift_from * total_hours as f64;
    let mut truth = Truth::default();
    // Lines in the order they arrive, as a server writes them: (arrival,
    // the line as many times as it was written, its event time if the
    // pipeline can read one).
    let mut arrivals: Vec<(i64, String, Option<i64>)> = Vec::with_capacity(events as usize);
    let mut line = String::with_capacity(1024);
    for i in 0..events {
        line.clear();
        let event_id = format!("e{hour_index:05}-{i:08}");
        let is_page_view = rng.chance(config.page_view_share);
        let action = if is_page_view {
            "page_view"
        } else {
            ACTIONS[rng.below(3) as usize]
        };
        // The page, and what the pipeline should make of it.
        enum Page {
            Product(u32),
            Invalid,
            Other,
        }
        let (page, kind) = if rng.chance(config.product_page_share) || !is_page_view {
            if is_page_view && rng.chance(config.invalid_product_share) {
                let bad = BAD_PRODUCT_IDS[rng.below(4) as usize];
                (format!("/product/{bad}"), Page::Invalid)
            } else {
                let product = zipf.sample(&mut rng);
                (format!("/product/p{product:06}"), Page::Product(product))
            }
        } else {
            (OTHER_PAGES[rng.below(4) as usize].to_string(), Page::Other)
        };
        let late = rng.chance(config.late_share);
        let offset = rng.below(3_600_000) as i64;
        let timestamp = if late {
            // Arrives in this hour's file, but happened 1 to 3 hours earlier.
            hour_start + offset - (1 + rng.below(3) as i64) * 3_600_000
        } else {
            hour_start + offset
        };
        let null_user = rng.chance(config.null_user_share);
        let user = rng.below(2_000_000);
        let session = rng.below(100_000_000);
        let agent = USER_AGENTS[rng.below(4) as usize];
        let referrer = REFERRERS[rng.below(4) as usize];
        let ip = rng.next_u64();
        let defect = rng.unit();
        let malformed = defect < config.malformed_share;
        let missing = !malformed && defect < config.malformed_share + config.missing_field_share;

        let user_json = if null_user {
            "null".to_string()
        } else {
            format!("\"u{user:07}\"")
        };
        let _ = write!(line, "{{\"event_id\":\"{event_id}\",\"user_id\":{user_json},\"session_id\":\"s{session:08}\",");
        if missing {
            // The timestamp is dropped: ingest must quarantine the line.
            let _ = write!(line, "\"page\":\"{page}\",");
        } else {
            let _ = write!(
                line,
                "\"page\":\"{page}\",\"timestamp\":\"{}\",",
                timestamp_string(timestamp)
            );
        }
        let _ = write!(
            line,
            "\"action\":\"{action}\",\"user_agent\":\"{agent}\",\"referrer\":\"{referrer}\",\"ip\":\"{}.{}.{}.{}\",\"locale\":\"en-US,en;q=0.9,de;q=0.8,fr;q=0.7\",\"screen\":\"1920x1080\"",
            ip >> 56,
            (ip >> 48) & 255,
            (ip >> 40) & 255,
            (ip >> 32) & 255
        );
        if drifted {
            line.push_str(",\"experiment\":\"checkout-v2\"");
        }
        line.push('}');
        if malformed {
            // A line cut short, as a crashed writer leaves it.
            line.truncate(line.len() / 2);
        }
        line.push('\n');
        let copies = if !malformed && !missing && rng.chance(config.duplicate_share) {
            2
        } else {
            1
        };
        truth.lines += copies;
        truth.bytes += copies * line.len() as u64;
        let readable = !malformed && !missing;
        arrivals.push((
            hour_start + offset,
            line.repeat(copies as usize),
            readable.then_some(timestamp),
        ));
        if malformed {
            truth.malformed += 1;
            continue;
        }
        if missing {
            truth.missing_field += 1;
            continue;
        }
        truth.valid_events += copies;
        truth.duplicates += copies - 1;
        if null_user {
            truth.null_user += copies;
        }
        if drifted {
            truth.drifted += copies;
        }
        if is_page_view {
            truth.page_views += 1;
            match kind {
                Page::Product(product) => {
                    let date = date_string(timestamp.div_euclid(MS_PER_DAY));
                    *truth
                        .views
                        .entry(date)
                        .or_default()
                        .entry(format!("p{product:06}"))
                        .or_default() += 1;
                }
                Page::Invalid => truth.invalid_product += 1,
                Page::Other => truth.non_product_page_views += 1,
            }
        }
    }
    arrivals.sort_by_key(|(arrival, _, _)| *arrival);
    let mut out = String::with_capacity(events as usize * 520);
    // Late as the pipeline defines it: more than the allowed lateness
    // behind the latest event already seen in the file.
    let mut watermark: Option<i64> = None;
    for (_, lines, timestamp) in &arrivals {
        out.push_str(lines);
        if let Some(time) = timestamp {
            for _ in 0..lines.matches('\n').count() {
                match watermark {
                    Some(latest) if *time < latest - DEFAULT_ALLOWED_LATENESS_MS => truth.late += 1,
                    Some(latest) if latest >= *time => {}
                    _ => watermark = Some(*time),
                }
            }
        }
    }
    (out, truth)
}

/// About what one event's line takes, duplicates included: the lecture's
/// 500 bytes, rounded up so the checks below err on the side of refusing.
const BYTES_PER_EVENT: u64 = 560;
/// The most one hour file may hold: an hour is built whole in memory (its
/// lines sorted by arrival) before it is written, on each of the workers.
const MAX_HOUR_BYTES: u64 = 4_000_000_000;

/// Refuses what cannot be written: an hour larger than memory should hold,
/// or logs larger than the free space of the disk under `out`.
fn fits(config: &GeneratorConfig, out: &Path) -> Result<()> {
    let hours = u64::from(config.days) * 24;
    let per_hour = config
        .events
        .div_ceil(hours)
        .saturating_mul(BYTES_PER_EVENT);
    if per_hour > MAX_HOUR_BYTES {
        bail!(
            "{} events over {} day(s) are about {} an hour, and an hour is built in memory before it is written (at most {}); spread the events over more days, or generate fewer",
            config.events,
            config.days,
            crate::units::human_bytes(per_hour as f64),
            crate::units::human_bytes(MAX_HOUR_BYTES as f64),
        );
    }
    let total = config.events.saturating_mul(BYTES_PER_EVENT);
    if let Some(free) = super::storage::free_bytes(out) {
        if total > free {
            bail!(
                "{} events are about {} of logs, and `{}` has {} free; generate fewer events, or write them to a larger disk",
                config.events,
                crate::units::human_bytes(total as f64),
                out.display(),
                crate::units::human_bytes(free as f64),
            );
        }
    }
    Ok(())
}

/// What a generation left in its folder.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    pub truth: Truth,
    /// The previous generation's files, removed first: `_truth.json` is of
    /// one generation's logs only, so no other logs may stand beside it.
    pub replaced: Vec<String>,
    /// Temporary files a killed generation left (its process gone), removed.
    pub cleared: Vec<String>,
}

/// Writes the logs and `_truth.json` into `out`, and returns the truth.
pub fn generate(config: &GeneratorConfig, out: &Path) -> Result<Truth> {
    generate_into(config, out).map(|generated| generated.truth)
}

/// What `out` holds that a generation wrote: `_truth.json`, hour files and
/// their temporary files. Anything else is not ours; hour files with no
/// truth beside them are somebody's logs.
fn previous_generation(out: &Path) -> Result<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(names);
    }
    let hour_file = |name: &str| {
        name.strip_suffix(".jsonl").is_some_and(|stem| {
            stem.len() == 13
                && stem.as_bytes()[10] == b'T'
                && chrono::NaiveDate::parse_from_str(&stem[..10], "%Y-%m-%d").is_ok()
                && stem[11..].parse::<u32>().is_ok_and(|h| h < 24)
        })
    };
    let ours = |name: &str| {
        name == "_truth.json"
            || hour_file(name)
            || super::storage::temporary_of(name)
                .is_some_and(|(_, of)| of == "_truth.json" || hour_file(of))
    };
    let foreign: Vec<&String> = names.iter().filter(|n| !ours(n)).collect();
    let truth = names.iter().any(|n| n == "_truth.json");
    if !foreign.is_empty() || !truth {
        let mut shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
        if names.len() > 5 {
            shown.push(format!("and {} more", names.len() - 5));
        }
        bail!(
            "`{}` is not empty and is not a folder pipecalc generated (it holds {}); generate into a new or empty folder, so `_truth.json` describes every log there",
            out.display(),
            shown.join(", ")
        );
    }
    Ok(names)
}

/// [`generate`], with what it removed first: a previous generation in the
/// same folder, and a killed one's temporary files.
pub fn generate_into(config: &GeneratorConfig, out: &Path) -> Result<Generated> {
    if config.events == 0 {
        bail!("`--events` is 0; generate at least one event");
    }
    if config.days == 0 {
        bail!("`--days` is 0; generate at least one day");
    }
    super::storage::refuse_dangling_folder(out)?;
    fits(config, out)?;
    let cleared = super::storage::remove_stale_temporaries(out)?;
    let mut replaced = Vec::new();
    for name in previous_generation(out)? {
        let path = out.join(&name);
        // A temporary file of a live writer is another generation running.
        if let Some((pid, _)) = super::storage::temporary_of(&name) {
            if pid != std::process::id() {
                bail!(
                    "`{}` is being written by process {pid}; wait for that generation to finish, or generate into another folder",
                    out.display()
                );
            }
        }
        std::fs::remove_file(&path)
            .with_context(|| format!("cannot remove `{}`", path.display()))?;
        replaced.push(name);
    }
    replaced.sort();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let zipf = Zipf::new(config.products, config.zipf_exponent);
    let hours = u64::from(config.days) * 24;
    let per_hour = config.events / hours;
    let extra = config.events % hours;
    let truths = (0..hours)
        .into_par_iter()
        .map(|hour_index| {
            let events = per_hour + u64::from(hour_index < extra);
            let (text, truth) = generate_hour(config, &zipf, hour_index, events);
            let day = config.start_day + (hour_index / 24) as i64;
            let path = out.join(hour_file(day, (hour_index % 24) as u32));
            // Through a new file renamed into place: a link standing at the
            // name is replaced, never followed to what it points at.
            super::storage::write_atomic(&path, text.as_bytes())
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            Ok(truth)
        })
        .collect::<Result<Vec<Truth>>>()?;
    let mut truth = Truth::default();
    for part in truths {
        truth.merge(part);
    }
    let record = serde_json::json!({ "config": config, "truth": truth });
    super::storage::write_atomic(
        &out.join("_truth.json"),
        super::storage::to_json(&record)?.as_bytes(),
    )
    .context("cannot write the ground truth")?;
    Ok(Generated {
        truth,
        replaced,
        cleared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
        let config = GeneratorConfig {
            events: 2_000,
            ..GeneratorConfig::default()
        };
        let zipf = Zipf::new(config.products, 1.0);
        let (a, _) = generate_hour(&config, &zipf, 3, 100);
        let (b, _) = generate_hour(&config, &zipf, 3, 100);
        assert_eq!(a, b);
        let other = GeneratorConfig { seed: 8, ..config };
        assert_ne!(a, generate_hour(&other, &zipf, 3, 100).0);
    }

    #[test]
    fn events_are_about_500_bytes_and_the_mix_is_the_lecture_s() {
        let config = GeneratorConfig::default();
        let zipf = Zipf::new(config.products, 1.0);
        let (text, truth) = generate_hour(&config, &zipf, 0, 20_000);
        let mean = text.len() as f64 / truth.lines as f64;
        assert!((450.0..550.0).contains(&mean), "{mean}");
        let share = truth.page_views as f64 / truth.valid_events as f64;
        assert!((0.77..0.83).contains(&share), "{share}");
        let nulls = truth.null_user as f64 / truth.valid_events as f64;
        assert!((0.04..0.06).contains(&nulls), "{nulls}");
    }
}
