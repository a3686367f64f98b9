//! Quantities at the edge: one grammar that turns "500 B", "10 min", "1 Gbps",
//! "20k events/s" or "10M" into typed values, and the human printing of them.
//!
//! Inside pipecalc, sizes, durations and rates are `uom` quantities; counts,
//! plain ratios and money are the small newtypes below, because `uom` has no
//! count or money. Conventions: GB = 10^9 bytes, GiB = 2^30 bytes, a day is
//! 86 400 s, a year 365 days. Months are not a unit here: their length is a
//! scenario setting (`month`), not a fact.

use std::fmt;

use uom::si::f64::{Frequency, Information, InformationRate, Time};
use uom::si::frequency::hertz;
use uom::si::information::byte;
use uom::si::information_rate::byte_per_second;
use uom::si::time::second;

pub const SECONDS_PER_DAY: f64 = 86_400.0;

/// A month's days, unless a scenario sets its `month`.
pub const MONTH_DAYS: f64 = 30.0;

/// A number of things: events, rows, workers, keys.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Count(pub f64);

/// A dimensionless factor: a kept fraction, a scale factor, a compression
/// ratio, a number of days.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Ratio(pub f64);

/// US dollars. Kept apart from plain `f64` so money is never added to a
/// byte count by accident.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Usd(pub f64);

/// Price of moving data, in USD per GB (10^9 bytes).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct UsdPerGb(pub f64);

/// Price of keeping data for a month, in USD per GB-month.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct UsdPerGbMonth(pub f64);

/// Price of compute, in USD per worker-hour.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct UsdPerHour(pub f64);

pub fn bytes(value: f64) -> Information {
    Information::new::<byte>(value)
}
pub fn seconds(value: f64) -> Time {
    Time::new::<second>(value)
}
pub fn bytes_per_second(value: f64) -> InformationRate {
    InformationRate::new::<byte_per_second>(value)
}
pub fn events_per_second(value: f64) -> Frequency {
    Frequency::new::<hertz>(value)
}

/// A quantity pipecalc can compute with, print for a human, and write to
/// JSON in its base unit (bytes, seconds, bytes per second, USD, a count).
pub trait Quantity: Clone + fmt::Debug {
    /// The value in the base unit named by [`Quantity::BASE_UNIT`].
    fn base(&self) -> f64;
    fn from_base(value: f64) -> Self;
    /// How a person reads it: "5 GB", "45 min", "$3.45".
    fn human(&self) -> String;
    /// How it reads inside a formula's working: as [`Quantity::human`], but
    /// never rounded past the digits the arithmetic needs to check.
    fn precise(&self) -> String {
        self.human()
    }
    const BASE_UNIT: &'static str;
    /// Counts and byte totals: written to JSON as integers.
    const WHOLE: bool = false;
}

impl Quantity for Information {
    fn base(&self) -> f64 {
        self.get::<byte>()
    }
    fn from_base(value: f64) -> Self {
        bytes(value)
    }
    fn human(&self) -> String {
        human_bytes(self.base())
    }
    const BASE_UNIT: &'static str = "bytes";
    const WHOLE: bool = true;
}

impl Quantity for Time {
    fn base(&self) -> f64 {
        self.get::<second>()
    }
    fn from_base(value: f64) -> Self {
        seconds(value)
    }
    fn human(&self) -> String {
        human_duration(self.base())
    }
    const BASE_UNIT: &'static str = "s";
}

impl Quantity for InformationRate {
    fn base(&self) -> f64 {
        self.get::<byte_per_second>()
    }
    fn from_base(value: f64) -> Self {
        bytes_per_second(value)
    }
    fn human(&self) -> String {
        human_byte_rate(self.base())
    }
    const BASE_UNIT: &'static str = "bytes_per_s";
}

impl Quantity for Frequency {
    fn base(&self) -> f64 {
        self.get::<hertz>()
    }
    fn from_base(value: f64) -> Self {
        events_per_second(value)
    }
    fn human(&self) -> String {
        format!("{} events/s", human_count(self.base()))
    }
    const BASE_UNIT: &'static str = "per_s";
}

macro_rules! plain_quantity {
    ($type:ident, $base_unit:literal, $scale:expr, |$v:ident| $human:expr) => {
        plain_quantity!($type, $base_unit, $scale, |$v| $human, |$v| $human, false);
    };
    ($type:ident, $base_unit:literal, $scale:expr, |$v:ident| $human:expr, |$p:ident| $precise:expr, $whole:expr) => {
        impl Quantity for $type {
            fn base(&self) -> f64 {
                self.0 / $scale
            }
            fn from_base(value: f64) -> Self {
                $type(value * $scale)
            }
            fn human(&self) -> String {
                let $v = self.0;
                $human
            }
            fn precise(&self) -> String {
                let $p = self.0;
                $precise
            }
            const BASE_UNIT: &'static str = $base_unit;
            const WHOLE: bool = $whole;
        }
    };
}

plain_quantity!(Count, "", 1.0, |v| human_count(v), |v| human_count(v), true);
plain_quantity!(
    Ratio,
    "",
    1.0,
    |v| significant(v, 4),
    |v| precise_ratio(v),
    false
);
plain_quantity!(Usd, "usd", 1.0, |v| human_usd(v), |v| precise_usd(v), false);
// Prices keep their natural unit in the field and expose USD per base unit
// (per byte, per byte-month, per second) so a product with a base quantity
// comes out in dollars.
plain_quantity!(UsdPerGb, "usd_per_byte", 1e9, |v| format!(
    "{}/GB",
    human_price(v)
));
plain_quantity!(UsdPerGbMonth, "usd_per_byte_month", 1e9, |v| format!(
    "{}/GB-month",
    human_price(v)
));
plain_quantity!(UsdPerHour, "usd_per_s", 3600.0, |v| format!(
    "{}/worker-hour",
    human_price(v)
));

/// `value` with `digits` significant digits, trailing zeros dropped:
/// 8.3333 → "8.333", 150 → "150", 0.45 → "0.45".
pub fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 {
        return "0".into();
    }
    if !value.is_finite() {
        return scientific(value, digits);
    }
    let magnitude = value.abs().log10().floor() as i32;
    // Past a quadrillion, or below a trillionth, digits stop being
    // readable: scientific notation, with the same significant digits. A
    // small figure a person reads (a price per byte, a share of a share)
    // is written out, `0.00000012`, never `1.2e-7`.
    if !(-12..15).contains(&magnitude) {
        return scientific(value, digits);
    }
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    // Nudge by a part in 10^12 so binary halves round up as written
    // ($0.00345 → "0.0035"); far below the digits shown.
    let nudged = value * (1.0 + 1e-12);
    let text = format!("{nudged:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" {
        "0".into()
    } else {
        text
    }
}

/// `value` as "1.235e20", with `digits` significant digits.
fn scientific(value: f64, digits: i32) -> String {
    if !value.is_finite() {
        // Never printed: every command refuses a non-finite figure first.
        return "not finite".into();
    }
    let decimals = (digits - 1).max(0) as usize;
    let text = format!("{value:.decimals$e}");
    let (mantissa, exponent) = text.split_once('e').expect("scientific notation");
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}e{exponent}")
}

fn with_prefix(value: f64, step: f64, prefixes: &[&str], unit: &str) -> String {
    let mut scaled = value;
    let mut index = 0;
    // Round first so 999.96 MB prints as "1 GB", not "1000 MB".
    while index + 1 < prefixes.len()
        && significant(scaled.abs(), 4).parse::<f64>().unwrap_or(0.0) >= step
    {
        scaled /= step;
        index += 1;
    }
    // Past the largest prefix: the unscaled value in scientific notation.
    if significant(scaled.abs(), 4).parse::<f64>().unwrap_or(0.0) >= step {
        return format!("{} {unit}", scientific(value, 4));
    }
    format!("{} {}{}", significant(scaled, 4), prefixes[index], unit)
}

pub fn human_bytes(value: f64) -> String {
    with_prefix(value, 1000.0, &["", "k", "M", "G", "T", "P", "E"], "B")
}

pub fn human_byte_rate(value: f64) -> String {
    with_prefix(value, 1000.0, &["", "k", "M", "G", "T", "P"], "B/s")
}

/// Network links are sold in bits per second.
pub fn human_bit_rate(bytes_per_s: f64) -> String {
    with_prefix(
        bytes_per_s * 8.0,
        1000.0,
        &["", "k", "M", "G", "T", "P"],
        "bps",
    )
}

/// "1 worker", "10 workers".
pub fn plural(count: f64, noun: &str) -> String {
    if count == 1.0 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", human_count(count))
    }
}

/// A whole count with its digits grouped by commas, `202,095`: the one
/// grouping every table uses (JSON never groups).
pub fn grouped(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

pub fn human_count(value: f64) -> String {
    let text = with_prefix(value, 1000.0, &["", "K", "M", "G", "T"], "");
    text.trim_end().to_string().replace(' ', "")
}

pub fn human_duration(seconds: f64) -> String {
    let abs = seconds.abs();
    let whole_days = abs / SECONDS_PER_DAY;
    if abs >= SECONDS_PER_DAY && whole_days.fract() == 0.0 {
        let unit = if whole_days == 1.0 { "day" } else { "days" };
        format!("{} {unit}", significant(seconds / SECONDS_PER_DAY, 6))
    } else if abs > 0.0 && abs < 1e-6 {
        format!("{} ns", significant(seconds * 1e9, 4))
    } else if abs > 0.0 && abs < 1e-3 {
        format!("{} µs", significant(seconds * 1e6, 4))
    } else if abs < 100.0 {
        format!("{} s", significant(seconds, 4))
    } else if abs >= 3600.0 && (abs / 3600.0).fract() == 0.0 {
        format!("{} h", significant(seconds / 3600.0, 6))
    } else if abs < 120.0 * 60.0 {
        format!("{} min", significant(seconds / 60.0, 4))
    } else if abs < 72.0 * 3600.0 {
        format!("{} h", significant(seconds / 3600.0, 4))
    } else {
        format!("{} days", significant(seconds / SECONDS_PER_DAY, 4))
    }
}

/// Cents for ordinary amounts; two significant digits for fractions of a
/// cent, so a $0.0035 storage bill does not print as "$0.00".
pub fn human_usd(value: f64) -> String {
    let sign = if value < 0.0 { "-" } else { "" };
    let abs = value.abs();
    if abs >= 1e15 {
        return format!("{sign}${}", significant(abs, 4));
    }
    // Below a millionth of a dollar no digit is worth reading, and
    // e-notation is not for people: said as a bound.
    if abs > 0.0 && abs < 1e-6 {
        return format!("{sign}<$0.000001");
    }
    if abs == 0.0 || abs >= 0.01 {
        let text = format!("{abs:.2}");
        // Group thousands so $12345.60 reads as $12,345.60.
        let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
        format!("{sign}${}.{cents}", group_thousands(whole))
    } else {
        format!("{sign}${}", significant(abs, 2))
    }
}

/// Money inside a formula's working: cents where cents are exact, else four
/// significant digits, so `$0.01467 × 30 = $0.44` checks where
/// `$0.01 × 30 = $0.44` would not.
/// A ratio inside a working: four significant digits, or as many more as
/// it takes not to show a value near a whole number as that number, so
/// `(1 − 0.999996) × 24 × 365 = 0.03504` reads true where `(1 − 1) × …`
/// would not.
pub fn precise_ratio(value: f64) -> String {
    let mut digits = 4;
    let mut text = significant(value, digits);
    while digits < 12 {
        let shown: f64 = text.parse().unwrap_or(value);
        let looks_whole = shown.fract() == 0.0 && (shown - value).abs() > 1e-12 * value.abs();
        if !looks_whole {
            break;
        }
        digits += 1;
        text = significant(value, digits);
    }
    text
}

pub fn precise_usd(value: f64) -> String {
    let cents = (value * 100.0).round() / 100.0;
    if value.abs() >= 1000.0 || (value - cents).abs() <= 1e-9 * value.abs().max(1.0) {
        return human_usd(value);
    }
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}${}", significant(value.abs(), 4))
}

fn human_price(value: f64) -> String {
    let text = significant(value, 6);
    // "$0.50", not "$0.5": prices read as money.
    match text.split_once('.') {
        Some((_, decimals)) if decimals.len() == 1 => format!("${text}0"),
        None if value == 0.0 => "$0.00".into(),
        _ => format!("${text}"),
    }
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::new();
    for (index, ch) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The largest whole figure (a count, a byte total) an estimate may hold:
/// past it, a figure is refused by name rather than written saturated.
pub const MAX_WHOLE: f64 = 18_000_000_000_000_000_000.0;

/// A whole number (bytes, a count) for JSON: always an integer, in one
/// notation whatever its size. Below 2^53 the integer is exact; past it a
/// double holds about 16 digits, so it is written to twelve significant
/// digits and zeros, the precision of every other JSON number. Estimates
/// refuse a whole figure above [`MAX_WHOLE`], so it is never saturated.
#[derive(Clone, Copy, Debug)]
pub struct WholeNumber(pub f64);

impl serde::Serialize for WholeNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const EXACT: f64 = 9_007_199_254_740_992.0;
        let rounded = self.0.round();
        if rounded.abs() <= EXACT {
            serializer.serialize_i64(rounded as i64)
        } else if rounded > 0.0 && rounded <= MAX_WHOLE {
            serializer.serialize_u64(clean(rounded) as u64)
        } else {
            serializer.serialize_f64(clean(rounded))
        }
    }
}

/// A number for JSON: twelve significant digits, so 0.023 × 150 is 3.45 and
/// not 3.4499999999999997.
pub fn clean(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return if value.is_finite() { 0.0 } else { value };
    }
    format!("{value:.11e}").parse().unwrap_or(value)
}

// ---------------------------------------------------------------------------
// Parsing

/// What kind of quantity a field expects; named in every parse error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Size,
    Duration,
    ByteRate,
    EventRate,
    Count,
    Fraction,
    Ratio,
    Money,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Size => "a size",
            Kind::Duration => "a duration",
            Kind::ByteRate => "a data rate",
            Kind::EventRate => "an event rate",
            Kind::Count => "a count",
            Kind::Fraction => "a fraction",
            Kind::Ratio => "a ratio",
            Kind::Money => "a price in USD",
        }
    }

    /// The range, in base units, a value of this kind must fall in to be
    /// plausible in a scenario, and how to say it: past these, estimates
    /// stop meaning anything and products of inputs stop being finite.
    pub fn plausible(self) -> (f64, f64, &'static str) {
        match self {
            Kind::Size => (1e-3, 1e18, "from 0.001 B to 1000 PB"),
            Kind::Duration => (1e-6, 100.0 * 365.0 * 86_400.0, "from 1 µs to 100 years"),
            Kind::ByteRate => (1e-3, 1e15, "from 0.001 B/s to 1 PB/s"),
            Kind::EventRate => (1e-6, 1e12, "from one event per 11.6 days to 1T events/s"),
            Kind::Count => (1.0, 1e15, "from 1 to 1,000T (10^15)"),
            Kind::Fraction => (0.0, 1.0, "from 0 to 1"),
            Kind::Ratio => (1e-9, 1e9, "from 10^-9 to 10^9"),
            Kind::Money => (0.0, 1e6, "from $0 to $1,000,000"),
        }
    }

    pub fn accepted(self) -> &'static str {
        match self {
            Kind::Size => {
                "sizes take B, kB, MB, GB, TB, PB (powers of 1000) or KiB, MiB, GiB, TiB, PiB (powers of 1024), e.g. \"500 B\", \"5 GB\""
            }
            Kind::Duration => {
                "durations take µs (or us), ms, s, min, h, day(s), week(s), month(s) (30 days unless the scenario's `month` says otherwise), year(s) (365 days), e.g. \"10 min\", \"90 days\""
            }
            Kind::ByteRate => {
                "data rates take B/s, kB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s or bits: bps, kbps, Mbps, Gbps, Tbps, e.g. \"8.3 MB/s\", \"1 Gbps\""
            }
            Kind::EventRate => {
                "event rates take a count per s, min or h, e.g. \"20k events/s\", \"1.2M rows/min\""
            }
            Kind::Count => "counts are plain numbers with an optional k/K, M, G, T suffix, e.g. 50000, \"50K\", \"10M\"",
            Kind::Fraction => "fractions are numbers from 0 to 1 or percentages, e.g. 0.8, \"80%\"",
            Kind::Ratio => "ratios are plain positive numbers, e.g. 5",
            Kind::Money => "prices are plain numbers in USD, e.g. 0.023 or \"$0.023\"; a price per amount of data may name its size, e.g. \"$6.25/TiB\"",
        }
    }
}

/// A parsed quantity of any kind, before the field says which it wants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Parsed {
    Size(Information),
    Duration(Time),
    ByteRate(InformationRate),
    EventRate(Frequency),
    Number(f64),
    Percent(f64),
    Money(f64),
    /// A price per amount of data, `$6.25/TiB`: USD per byte.
    MoneyPerSize(f64),
}

impl Parsed {
    /// The value in base units (bytes, seconds, bytes/s, events/s; a
    /// percentage as a fraction).
    pub fn base(&self) -> f64 {
        match self {
            Parsed::Size(v) => v.value,
            Parsed::Duration(v) => v.value,
            Parsed::ByteRate(v) => v.value,
            Parsed::EventRate(v) => v.value,
            Parsed::Number(v) | Parsed::Percent(v) | Parsed::Money(v) | Parsed::MoneyPerSize(v) => {
                *v
            }
        }
    }

    /// The same kind of quantity holding `base` base units.
    pub fn with_base(&self, base: f64) -> Parsed {
        match self {
            Parsed::Size(_) => Parsed::Size(Information::new::<byte>(base)),
            Parsed::Duration(_) => Parsed::Duration(Time::new::<second>(base)),
            Parsed::ByteRate(_) => Parsed::ByteRate(InformationRate::new::<byte_per_second>(base)),
            Parsed::EventRate(_) => Parsed::EventRate(Frequency::new::<hertz>(base)),
            Parsed::Number(_) => Parsed::Number(base),
            Parsed::Percent(_) => Parsed::Percent(base),
            Parsed::Money(_) => Parsed::Money(base),
            Parsed::MoneyPerSize(_) => Parsed::MoneyPerSize(base),
        }
    }

    fn kind_noun(&self) -> &'static str {
        match self {
            Parsed::Size(_) => "a size",
            Parsed::Duration(_) => "a duration",
            Parsed::ByteRate(_) => "a data rate",
            Parsed::EventRate(_) => "an event rate",
            Parsed::Number(_) => "a plain number",
            Parsed::Percent(_) => "a percentage",
            Parsed::Money(_) => "an amount of money",
            Parsed::MoneyPerSize(_) => "a price per size",
        }
    }
}

const SIZE_UNITS: &[(&str, f64)] = &[
    ("B", 1.0),
    ("byte", 1.0),
    ("bytes", 1.0),
    ("kB", 1e3),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("PB", 1e15),
    ("KiB", 1024.0),
    ("MiB", 1048576.0),
    ("GiB", 1073741824.0),
    ("TiB", 1099511627776.0),
    ("PiB", 1125899906842624.0),
    // The words a student writes, as the SI prefixes they stand for.
    ("kilobyte", 1e3),
    ("kilobytes", 1e3),
    ("megabyte", 1e6),
    ("megabytes", 1e6),
    ("gigabyte", 1e9),
    ("gigabytes", 1e9),
    ("terabyte", 1e12),
    ("terabytes", 1e12),
    ("petabyte", 1e15),
    ("petabytes", 1e15),
];

const DURATION_UNITS: &[(&str, f64)] = &[
    // The micro sign, the Greek mu and the ASCII `us` all mean microseconds.
    ("µs", 1e-6),
    ("μs", 1e-6),
    ("us", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("sec", 1.0),
    ("secs", 1.0),
    ("second", 1.0),
    ("seconds", 1.0),
    ("min", 60.0),
    ("mins", 60.0),
    ("minute", 60.0),
    ("minutes", 60.0),
    ("h", 3600.0),
    ("hr", 3600.0),
    ("hrs", 3600.0),
    ("hour", 3600.0),
    ("hours", 3600.0),
    ("d", SECONDS_PER_DAY),
    ("day", SECONDS_PER_DAY),
    ("days", SECONDS_PER_DAY),
    ("week", 7.0 * SECONDS_PER_DAY),
    ("weeks", 7.0 * SECONDS_PER_DAY),
    // A month is 30 days unless the scenario's `month` says otherwise (the
    // scenario's check rescales what is written in months).
    ("month", MONTH_DAYS * SECONDS_PER_DAY),
    ("months", MONTH_DAYS * SECONDS_PER_DAY),
    ("year", 365.0 * SECONDS_PER_DAY),
    ("years", 365.0 * SECONDS_PER_DAY),
];

const BIT_RATE_UNITS: &[(&str, f64)] = &[
    ("bps", 1.0),
    ("kbps", 1e3),
    ("Kbps", 1e3),
    ("Mbps", 1e6),
    ("Gbps", 1e9),
    ("Tbps", 1e12),
    // As people type them: `1 gbps`, `25 Mb/s`.
    ("mbps", 1e6),
    ("gbps", 1e9),
    ("tbps", 1e12),
    ("b/s", 1.0),
    ("kb/s", 1e3),
    ("Kb/s", 1e3),
    ("Mb/s", 1e6),
    ("Gb/s", 1e9),
    ("Tb/s", 1e12),
    ("bit/s", 1.0),
    ("kbit/s", 1e3),
    ("Mbit/s", 1e6),
    ("Gbit/s", 1e9),
    ("Tbit/s", 1e12),
];

const COUNT_SUFFIXES: &[(&str, f64)] =
    &[("k", 1e3), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)];

const EVENT_NOUNS: &[&str] = &["", "event", "events", "row", "rows", "record", "records"];

fn lookup(table: &[(&str, f64)], unit: &str) -> Option<f64> {
    table
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, f)| *f)
}

/// Splits "12.5 GB" into (12.5, "GB"); the number may be followed by spaces.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let bytes = text.as_bytes();
    let mut end = 0;
    if end < bytes.len() && (bytes[end] == b'-' || bytes[end] == b'+') {
        end += 1;
    }
    let digits_start = end;
    while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'_') {
        end += 1;
    }
    if end < bytes.len() && bytes[end] == b'.' {
        end += 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
    }
    if end == digits_start || (end == digits_start + 1 && bytes[digits_start] == b'.') {
        return None;
    }
    // An exponent only when digits follow, so "5 EB" style units stay units.
    if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
        let mut probe = end + 1;
        if probe < bytes.len() && (bytes[probe] == b'-' || bytes[probe] == b'+') {
            probe += 1;
        }
        if probe < bytes.len() && bytes[probe].is_ascii_digit() {
            while probe < bytes.len() && bytes[probe].is_ascii_digit() {
                probe += 1;
            }
            end = probe;
        }
    }
    let number: f64 = text[..end].replace('_', "").parse().ok()?;
    Some((number, text[end..].trim()))
}

/// Parses any quantity pipecalc understands; the caller then checks its kind.
/// `1,728,000,000` as `1728000000`: commas between groups of three digits
/// are thousands separators; anything else is left for the parser to refuse.
fn without_thousands_separators(text: &str) -> std::borrow::Cow<'_, str> {
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap_or(text.len());
    let number = &text[..number_end];
    let groups: Vec<&str> = number.split(',').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3);
    if grouped {
        std::borrow::Cow::Owned(format!("{}{}", groups.concat(), &text[number_end..]))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `/TiB`, `/GB-month`, ` per TB`: the bytes a price is per, when `unit`
/// names a size after a slash or `per`.
fn per_size(unit: &str) -> Option<f64> {
    let size = unit
        .strip_prefix('/')
        .or_else(|| unit.strip_prefix("per "))?
        .trim();
    // A storage price is per size and month; the month is the key's.
    let size = size.strip_suffix("-month").unwrap_or(size);
    lookup(SIZE_UNITS, size)
}

pub fn parse_any(text: &str) -> Result<Parsed, String> {
    let ungrouped = without_thousands_separators(text.trim());
    let trimmed = ungrouped.as_ref();
    if let Some(rest) = trimmed.strip_prefix('$') {
        return match split_number(rest) {
            Some((n, "")) => Ok(Parsed::Money(n)),
            Some((n, unit)) => per_size(unit)
                .map(|bytes| Parsed::MoneyPerSize(n / bytes))
                .ok_or_else(|| format!("`{trimmed}` is not an amount of money, nor a price per size such as `$6.25/TiB`")),
            None => Err(format!("`{trimmed}` is not an amount of money")),
        };
    }
    let (number, unit) =
        split_number(trimmed).ok_or_else(|| format!("`{trimmed}` does not start with a number"))?;
    if !number.is_finite() {
        return Err(format!("`{trimmed}` is not a finite number"));
    }
    if unit.is_empty() {
        return Ok(Parsed::Number(number));
    }
    if unit == "%" {
        return Ok(Parsed::Percent(number / 100.0));
    }
    if let Some(bytes) = per_size(unit) {
        return Ok(Parsed::MoneyPerSize(number / bytes));
    }
    if let Some(factor) = lookup(SIZE_UNITS, unit) {
        return Ok(Parsed::Size(bytes(number * factor)));
    }
    if let Some(factor) = lookup(DURATION_UNITS, unit) {
        return Ok(Parsed::Duration(seconds(number * factor)));
    }
    if let Some(factor) = lookup(BIT_RATE_UNITS, unit) {
        return Ok(Parsed::ByteRate(bytes_per_second(number * factor / 8.0)));
    }
    if let Some((size_unit, per)) = unit.split_once('/') {
        let per_seconds = lookup(DURATION_UNITS, per.trim());
        if let (Some(factor), Some(per_seconds)) =
            (lookup(SIZE_UNITS, size_unit.trim()), per_seconds)
        {
            return Ok(Parsed::ByteRate(bytes_per_second(
                number * factor / per_seconds,
            )));
        }
        // "20k events/s", "20k/s", "1.2M rows/min"
        let (suffix, noun) = match size_unit.trim().split_once(' ') {
            Some((suffix, noun)) => (suffix.trim(), noun.trim()),
            None if lookup(COUNT_SUFFIXES, size_unit.trim()).is_some() => (size_unit.trim(), ""),
            None => ("", size_unit.trim()),
        };
        let multiplier = if suffix.is_empty() {
            Some(1.0)
        } else {
            lookup(COUNT_SUFFIXES, suffix)
        };
        // Events by any name: `80000 pings/s`, `2k requests/min`.
        let a_noun = EVENT_NOUNS.contains(&noun)
            || (noun.len() > 1 && noun.chars().all(|c| c.is_ascii_lowercase()));
        if let (Some(multiplier), true, Some(per_seconds)) = (multiplier, a_noun, per_seconds) {
            return Ok(Parsed::EventRate(events_per_second(
                number * multiplier / per_seconds,
            )));
        }
    }
    if let Some(multiplier) = lookup(COUNT_SUFFIXES, unit) {
        return Ok(Parsed::Number(number * multiplier));
    }
    Err(format!(
        "`{trimmed}` has a unit pipecalc does not know (`{unit}`)"
    ))
}

fn hint(text: &str, expected: Kind) -> String {
    let unit = split_number(text.trim()).map(|(_, u)| u).unwrap_or("");
    let looks_like_bits = matches!(unit, "b" | "kb" | "Kb" | "Mb" | "Gb" | "Tb");
    if expected == Kind::Size && looks_like_bits {
        return " (a lower-case b means bits; sizes are in bytes, B)".into();
    }
    if expected == Kind::Count && unit == "B" {
        return " (B means bytes; for billions write `1.728G` or `1728M`)".into();
    }
    String::new()
}

/// A quantity known only within a range: its low, its likely value and its
/// high, all of one kind.
#[derive(Clone, Debug, PartialEq)]
pub struct Spread {
    pub low: Parsed,
    pub likely: Parsed,
    pub high: Parsed,
}

/// The first value written in `text`: the low end of `LOW..HIGH`, the value
/// of `VALUE ± MARGIN`, or `text` itself; for telling a field's kind.
pub fn first_value(text: &str) -> &str {
    let end = ["..", "±", "+/-", "+-"]
        .iter()
        .filter_map(|mark| text.find(mark))
        .min()
        .unwrap_or(text.len());
    text[..end].trim()
}

/// The forms of a range, for messages.
pub const RANGE_FORMS: &str = "a range is `LOW..HIGH` (likely: the middle, e.g. `400 B..600 B`) or `VALUE ± PCT` (also `+-`, e.g. `500 B ± 20%`)";

/// A range, if `text` is one: `400 B..600 B` (the likely value is the
/// middle) or `500 B ± 20%` / `500 B +- 20%` (the likely value is 500 B).
/// `None` for a single value. Both ends are of `expected`'s kind, and the
/// low is not above the high.
pub fn parse_spread(text: &str, expected: Kind) -> Result<Option<Spread>, String> {
    let end = |part: &str, which: &str| {
        parse_as(part.trim(), expected)
            .map_err(|e| format!("the {which} of `{}`: {e}", text.trim()))
    };
    if let Some((low, high)) = text.split_once("..") {
        let (low, high) = (end(low, "low end")?, end(high, "high end")?);
        if std::mem::discriminant(&low) != std::mem::discriminant(&high) {
            return Err(format!(
                "`{}` mixes {} and {}; both ends of a range are of one kind",
                text.trim(),
                low.kind_noun(),
                high.kind_noun()
            ));
        }
        if low.base() > high.base() {
            return Err(format!(
                "`{}` is inverted: its low end is above its high end; write it low..high",
                text.trim()
            ));
        }
        let likely = low.with_base((low.base() + high.base()) / 2.0);
        return Ok(Some(Spread { low, likely, high }));
    }
    let split = text
        .split_once('±')
        .or_else(|| text.split_once("+-"))
        .or_else(|| text.split_once("+/-"));
    let Some((value, margin)) = split else {
        return Ok(None);
    };
    let likely = end(value, "value")?;
    let margin = margin.trim();
    let (low, high) = if let Some(percent) = margin.strip_suffix('%') {
        let share: f64 = percent
            .trim()
            .parse()
            .ok()
            .filter(|p: &f64| p.is_finite() && (0.0..100.0).contains(p))
            .ok_or_else(|| {
                format!(
                    "`{margin}` in `{}` is not a percentage from 0 to below 100",
                    text.trim()
                )
            })?
            / 100.0;
        (likely.base() * (1.0 - share), likely.base() * (1.0 + share))
    } else {
        let margin = end(margin, "margin")?;
        if std::mem::discriminant(&margin) != std::mem::discriminant(&likely) {
            return Err(format!(
                "`{}` mixes {} and {}; the margin is of the value's kind, or a percentage",
                text.trim(),
                likely.kind_noun(),
                margin.kind_noun()
            ));
        }
        (
            likely.base() - margin.base().abs(),
            likely.base() + margin.base().abs(),
        )
    };
    Ok(Some(Spread {
        low: likely.with_base(low),
        high: likely.with_base(high),
        likely,
    }))
}

/// Parses `text` as the quantity `expected` names, with an error that says
/// what was wrong and which units are accepted.
pub fn parse_as(text: &str, expected: Kind) -> Result<Parsed, String> {
    let explain = |problem: String| format!("{problem}; {}", expected.accepted());
    let parsed = parse_any(text).map_err(|e| explain(format!("{e}{}", hint(text, expected))))?;
    let ok = matches!(
        (expected, &parsed),
        (Kind::Size, Parsed::Size(_))
            | (Kind::Duration, Parsed::Duration(_))
            | (Kind::ByteRate, Parsed::ByteRate(_))
            | (Kind::EventRate, Parsed::EventRate(_))
            | (Kind::Count, Parsed::Number(_))
            | (Kind::Ratio, Parsed::Number(_))
            | (Kind::Fraction, Parsed::Number(_) | Parsed::Percent(_))
            | (
                Kind::Money,
                Parsed::Number(_) | Parsed::Money(_) | Parsed::MoneyPerSize(_)
            )
    );
    if ok {
        return Ok(parsed);
    }
    let problem = match parsed {
        Parsed::Number(_) if !matches!(expected, Kind::Count | Kind::Ratio | Kind::Fraction) => {
            format!(
                "`{}` has no unit, but {} is expected",
                text.trim(),
                expected.noun()
            )
        }
        other => format!(
            "`{}` is {}, but {} is expected{}",
            text.trim(),
            other.kind_noun(),
            expected.noun(),
            hint(text, expected)
        ),
    };
    Err(explain(problem))
}

pub fn parse_size(text: &str) -> Result<Information, String> {
    match parse_as(text, Kind::Size)? {
        Parsed::Size(v) => Ok(v),
        _ => Err(format!("{} is expected", Kind::Size.noun())),
    }
}

pub fn parse_duration(text: &str) -> Result<Time, String> {
    match parse_as(text, Kind::Duration)? {
        Parsed::Duration(v) => Ok(v),
        _ => Err(format!("{} is expected", Kind::Duration.noun())),
    }
}

pub fn parse_count(text: &str) -> Result<Count, String> {
    match parse_as(text, Kind::Count)? {
        Parsed::Number(v) => Ok(Count(v)),
        _ => Err(format!("{} is expected", Kind::Count.noun())),
    }
}

/// Parses a growth rate into a multiplier per year: "10x per 5 years"
/// (the lecture's), "58% per year", "-5% per year", "2x per 18 months" is
/// not accepted (months are not a unit), "2x per 540 days" is.
pub fn parse_growth(text: &str) -> Result<f64, String> {
    const ACCEPTED: &str = "growth is written \"10x per 5 years\" or \"58% per year\" (a factor or a percentage, per a duration)";
    let trimmed = text.trim();
    // "10x every 5 years", as the lecture says it, is "10x per 5 years".
    let (amount, period) = trimmed
        .split_once(" per ")
        .or_else(|| trimmed.split_once(" every "))
        .ok_or_else(|| format!("`{trimmed}` has no period; {ACCEPTED}"))?;
    let period = period.trim();
    let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
        period.to_string()
    } else {
        format!("1 {period}")
    };
    let years = parse_duration(&period)
        .map_err(|_| format!("`{period}` is not a period; {ACCEPTED}"))?
        .base()
        / (365.0 * SECONDS_PER_DAY);
    if years <= 0.0 {
        return Err(format!("`{trimmed}` has a zero period; {ACCEPTED}"));
    }
    let amount = amount.trim();
    let multiplier = if let Some(factor) = amount.strip_suffix(['x', '×']) {
        factor
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("`{amount}` is not a factor; {ACCEPTED}"))?
    } else if let Some(percent) = amount.strip_suffix('%') {
        1.0 + percent
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("`{amount}` is not a percentage; {ACCEPTED}"))?
            / 100.0
    } else {
        return Err(format!(
            "`{amount}` is neither a factor nor a percentage; {ACCEPTED}"
        ));
    };
    if multiplier <= 0.0 {
        return Err(format!(
            "`{trimmed}` shrinks the data below nothing; growth must be above -100%"
        ));
    }
    let per_year = multiplier.powf(1.0 / years);
    if !(per_year.is_finite()
        && (1.0 / MAX_GROWTH_PER_YEAR..=MAX_GROWTH_PER_YEAR).contains(&per_year))
    {
        return Err(format!(
            "`{trimmed}` is {} a year, out of range; growth is from {}× to {}× a year",
            if per_year.is_finite() {
                format!("{}×", significant(per_year, 3))
            } else {
                "without bound".to_string()
            },
            significant(1.0 / MAX_GROWTH_PER_YEAR, 3),
            grouped(MAX_GROWTH_PER_YEAR as u64)
        ));
    }
    Ok(per_year)
}

/// The fastest growth a scenario or `--growth` accepts, a factor a year: a
/// thousandfold is beyond any data set's history; past it a typo (`1e308x
/// per 1 s`) would reach infinity within the first year.
pub const MAX_GROWTH_PER_YEAR: f64 = 1000.0;

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.human())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_in_both_forms_and_their_refusals() {
        let spread = parse_spread("400 B..600 B", Kind::Size).unwrap().unwrap();
        assert_eq!(
            (spread.low.base(), spread.likely.base(), spread.high.base()),
            (400.0, 500.0, 600.0)
        );
        let spread = parse_spread("500 B ± 20%", Kind::Size).unwrap().unwrap();
        assert_eq!(
            (spread.low.base(), spread.likely.base(), spread.high.base()),
            (400.0, 500.0, 600.0)
        );
        let spread = parse_spread("10 MB/s +- 2 MB/s", Kind::ByteRate)
            .unwrap()
            .unwrap();
        assert_eq!((spread.low.base(), spread.high.base()), (8e6, 12e6));
        let spread = parse_spread("70%..90%", Kind::Fraction).unwrap().unwrap();
        assert!((spread.likely.base() - 0.8).abs() < 1e-12);
        assert_eq!(parse_spread("500 B", Kind::Size).unwrap(), None);
        assert!(parse_spread("600 B..400 B", Kind::Size)
            .unwrap_err()
            .contains("inverted"));
        assert!(parse_spread("5 GB..10 min", Kind::Size)
            .unwrap_err()
            .contains("high end"));
        assert!(parse_spread("500 B ± 120%", Kind::Size)
            .unwrap_err()
            .contains("below 100"));
    }

    #[test]
    fn what_a_student_types() {
        assert_eq!(parse_count("1,728,000,000").unwrap().0, 1.728e9);
        assert_eq!(parse_count("1.728G").unwrap().0, 1.728e9);
        assert!(parse_count("1,72,8").is_err());
        let error = parse_as("1.728B", Kind::Count).unwrap_err();
        assert!(error.contains("for billions write `1.728G`"), "{error}");
        assert_eq!(parse_size("500 kilobytes").unwrap().value, 5e5);
        assert_eq!(parse_size("2 gigabytes").unwrap().value, 2e9);
        assert!((parse_growth("10x every 5 years").unwrap() - 10f64.powf(0.2)).abs() < 1e-12);
    }

    #[test]
    fn units_as_people_type_them() {
        let rate = |text: &str| parse_any(text).unwrap();
        assert_eq!(rate("1 gbps"), Parsed::ByteRate(bytes_per_second(125e6)));
        assert_eq!(
            rate("25 Mb/s"),
            Parsed::ByteRate(bytes_per_second(25e6 / 8.0))
        );
        assert_eq!(
            rate("3 months"),
            Parsed::Duration(seconds(90.0 * SECONDS_PER_DAY))
        );
        assert_eq!(
            rate("80000 pings/s"),
            Parsed::EventRate(events_per_second(80_000.0))
        );
        assert_eq!(
            rate("2k requests/min"),
            Parsed::EventRate(events_per_second(2000.0 / 60.0))
        );
        assert_eq!(
            rate("$6.25/TiB"),
            Parsed::MoneyPerSize(6.25 / 1_099_511_627_776.0)
        );
        // Sizes stay sizes, bits stay refused as sizes.
        assert!(parse_size("5 Mb").is_err());
        assert_eq!(
            rate("20k/s"),
            Parsed::EventRate(events_per_second(20_000.0))
        );
    }

    #[test]
    fn counts_are_grouped_in_threes() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(202_095), "202,095");
        assert_eq!(grouped(12_345_678), "12,345,678");
    }

    #[test]
    fn sizes_use_decimal_and_binary_prefixes() {
        assert_eq!(parse_size("500 B").unwrap().base(), 500.0);
        assert_eq!(parse_size("5 GB").unwrap().base(), 5e9);
        assert_eq!(parse_size("5GB").unwrap().base(), 5e9);
        assert_eq!(parse_size("2 GiB").unwrap().base(), 2.0 * 1073741824.0);
        assert_eq!(parse_size("1.5 kB").unwrap().base(), 1500.0);
    }

    #[test]
    fn durations_rates_and_counts() {
        assert_eq!(parse_duration("10 min").unwrap().base(), 600.0);
        assert_eq!(parse_duration("1 h").unwrap().base(), 3600.0);
        assert_eq!(parse_duration("90 days").unwrap().base(), 90.0 * 86400.0);
        match parse_as("1 Gbps", Kind::ByteRate).unwrap() {
            Parsed::ByteRate(rate) => assert_eq!(rate.base(), 125e6),
            other => panic!("{other:?}"),
        }
        match parse_as("8.3 MB/s", Kind::ByteRate).unwrap() {
            Parsed::ByteRate(rate) => assert!((rate.base() - 8.3e6).abs() < 1e-6),
            other => panic!("{other:?}"),
        }
        match parse_as("20k events/s", Kind::EventRate).unwrap() {
            Parsed::EventRate(rate) => assert_eq!(rate.base(), 20_000.0),
            other => panic!("{other:?}"),
        }
        match parse_as("1.2M rows/min", Kind::EventRate).unwrap() {
            Parsed::EventRate(rate) => assert!((rate.base() - 20_000.0).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_count("10M").unwrap(), Count(1e7));
        assert_eq!(parse_count("50K").unwrap(), Count(5e4));
        assert_eq!(parse_count("50_000").unwrap(), Count(5e4));
    }

    #[test]
    fn wrong_kind_names_both_kinds_and_the_accepted_units() {
        let err = parse_size("5 min").unwrap_err();
        assert!(
            err.starts_with("`5 min` is a duration, but a size is expected"),
            "{err}"
        );
        assert!(err.contains("KiB"), "{err}");
        let err = parse_duration("500").unwrap_err();
        assert!(
            err.starts_with("`500` has no unit, but a duration is expected"),
            "{err}"
        );
        let err = parse_size("5 Gb").unwrap_err();
        assert!(err.contains("lower-case b means bits"), "{err}");
        assert!(parse_size("five GB")
            .unwrap_err()
            .contains("does not start with a number"));
    }

    #[test]
    fn human_printing_rounds_sensibly() {
        assert_eq!(human_bytes(5e9), "5 GB");
        assert_eq!(human_bytes(5.005e9), "5.005 GB");
        assert_eq!(human_bytes(150e6), "150 MB");
        assert_eq!(human_bytes(1.5e12), "1.5 TB");
        assert_eq!(human_bytes(999.99e6), "1 GB");
        assert_eq!(human_duration(2700.0), "45 min");
        assert_eq!(human_duration(270.0), "4.5 min");
        assert_eq!(human_duration(5400.0), "90 min");
        assert_eq!(human_duration(27000.0), "7.5 h");
        assert_eq!(human_duration(40.0), "40 s");
        assert_eq!(human_duration(3600.0), "1 h");
        assert_eq!(human_duration(86400.0), "1 day");
        assert_eq!(human_duration(90.0 * 86400.0), "90 days");
        assert_eq!(human_usd(3.4499999999999997), "$3.45");
        assert_eq!(human_usd(13.5), "$13.50");
        assert_eq!(human_usd(0.00345), "$0.0035");
        assert_eq!(human_usd(12345.6), "$12,345.60");
        assert_eq!(human_bit_rate(125e6), "1 Gbps");
        assert_eq!(human_count(1e7), "10M");
        assert_eq!(human_count(5e4), "50K");
        assert_eq!(human_count(7.0), "7");
    }

    #[test]
    fn growth_rates_become_a_multiplier_per_year() {
        // 10x every 5 years is 10^(1/5) = 1.5849 a year.
        assert!((parse_growth("10x per 5 years").unwrap() - 1.584893192).abs() < 1e-9);
        assert!((parse_growth("58% per year").unwrap() - 1.58).abs() < 1e-12);
        assert!((parse_growth("-5% per year").unwrap() - 0.95).abs() < 1e-12);
        assert!(parse_growth("-100% per year")
            .unwrap_err()
            .contains("above -100%"));
        assert!(parse_growth("10x").unwrap_err().contains("no period"));
    }

    #[test]
    fn whole_figures_are_integers_in_one_notation_at_any_size() {
        let json = |v: f64| serde_json::to_string(&WholeNumber(v)).unwrap();
        assert_eq!(json(5e9), "5000000000");
        // At and past 2^53, still an integer: not `9007199254740992.0`
        // beside `1e16`.
        assert_eq!(json(9_007_199_254_740_992.0), "9007199254740992");
        assert_eq!(json(1e16), "10000000000000000");
        // Twelve significant digits, as every JSON number.
        assert_eq!(json(1.234_567_890_123_456_7e17), "123456789012000000");
        assert_eq!(json(MAX_WHOLE), "18000000000000000000");
    }

    #[test]
    fn json_numbers_carry_no_float_noise() {
        assert_eq!(clean(0.023 * 150.0), 3.45);
        assert_eq!(clean(0.45 * 30.0), 13.5);
        assert_eq!(clean(1e-3), 1e-3);
    }
}
