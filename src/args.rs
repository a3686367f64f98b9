//! The values the command line accepts, each bounded, so a bad value is
//! a usage error (exit 2) that names its option and says what to write.
//! The library's own option structs (`GeneratorConfig`, `RunConfig`,
//! `CalibrateOptions`) derive their command-line options with these.

use crate::scenario::MAX_WORKERS;

/// A whole count of events, at least one: `100000`, `1M`, `200K`.
pub fn events(text: &str) -> Result<u64, String> {
    let count = crate::units::parse_count(text)?.0;
    if !(1.0..=1e12).contains(&count) || count.fract() != 0.0 {
        return Err(format!(
            "`{text}` is not a whole number of events from 1 to 1T"
        ));
    }
    Ok(count as u64)
}

/// A sample to calibrate on: at least 1,000 events, so the stages have
/// work to time.
pub fn sample_events(text: &str) -> Result<u64, String> {
    let count = events(text)?;
    if count < 1000 {
        return Err(format!(
            "`{text}` events are too few to calibrate on; give at least 1000 so the stages have work to time"
        ));
    }
    Ok(count)
}

pub fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
        .ok_or_else(|| format!("`{text}` is not a number"))
}

pub fn whole(text: &str, least: u64, most: u64, what: &str) -> Result<u64, String> {
    let value = number(text)?;
    if value.fract() != 0.0 || value < least as f64 || value > most as f64 {
        return Err(format!(
            "`{text}` is not a whole number of {what} from {least} to {most}"
        ));
    }
    Ok(value as u64)
}

/// A percentile of a Monte Carlo: above 0 and below 100 (`90`, `99.5`).
pub fn percentile(text: &str) -> Result<f64, String> {
    let value = number(text.trim().trim_start_matches('p'))?;
    if value <= 0.0 || value >= 100.0 {
        return Err(format!(
            "`{text}` is not a percentile above 0 and below 100 (90 is the 90th)"
        ));
    }
    Ok(value)
}

/// The most values a list option (`--factors`, `--workers`) takes: a table
/// of a hundred columns is read by nobody, and each is a full estimate.
pub const MAX_LIST: usize = 100;

/// A worker count for the calculator: 1 to [`MAX_WORKERS`].
pub fn workers(text: &str) -> Result<u32, String> {
    whole(text, 1, u64::from(MAX_WORKERS), "workers").map(|n| n as u32)
}

/// Threads for the reference pipeline: more than 1024 on one machine only
/// contend, and each holds a batch in memory.
pub fn threads(text: &str) -> Result<usize, String> {
    whole(text, 1, 1024, "worker threads").map(|n| n as usize)
}

pub fn repeat(text: &str) -> Result<usize, String> {
    whole(text, 1, 100, "runs").map(|n| n as usize)
}

pub fn batch_rows(text: &str) -> Result<usize, String> {
    whole(text, 1, 1 << 24, "rows").map(|n| n as usize)
}

/// Rows deduplicated in memory: at least 10,000 (160 kB of keys: fewer
/// only splits a date into so many spill files that a run of 200,000
/// events opens tens of thousands of them), at most 2^32 (64 GiB of keys).
pub fn dedup_memory_keys(text: &str) -> Result<usize, String> {
    whole(text, 10_000, 1 << 32, "rows").and_then(|n| {
        usize::try_from(n).map_err(|_| format!("`{text}` rows do not fit this machine's memory"))
    })
}

/// The longest line the pipeline reads: 1 KiB to 1 GiB, so the limit can
/// never wrap around.
pub fn max_line_bytes(text: &str) -> Result<usize, String> {
    whole(text, 1 << 10, 1 << 30, "bytes").map(|n| n as usize)
}

/// A number that `accept` allows, else `refusal` (which says what to write).
pub fn number_where(
    text: &str,
    accept: impl Fn(f64) -> bool,
    refusal: &str,
) -> Result<f64, String> {
    let value = number(text)?;
    if accept(value) {
        Ok(value)
    } else {
        Err(format!("`{text}` {refusal}"))
    }
}

/// A volume factor: above zero (0.5 halves the data, 10 or `10x` is ten
/// times).
pub fn factor(text: &str) -> Result<f64, String> {
    number_where(
        text.trim().trim_end_matches(['x', '×']),
        |v| v > 0.0 && v <= 1e9,
        "is not a volume factor; use a number above 0 and at most 1e9 (2 doubles the data, 0.5 halves it)",
    )
}

/// A compression what-if: 1 or more (5 stores a fifth).
pub fn compression(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| (1.0..=1e6).contains(&v),
        "is not a compression ratio; use 1 or more (5 stores a fifth; below 1 would expand the data)",
    )
}

/// A tolerance in percent, 0 or more.
pub fn tolerance(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| v >= 0.0,
        "is not a tolerance; use a percentage of 0 or more",
    )
}

/// A percentage from 0 to 100, `5%` or `5`, as a fraction (0.05).
pub fn percent(text: &str) -> Result<f64, String> {
    number_where(
        text.trim().trim_end_matches('%'),
        |v| (0.0..=100.0).contains(&v),
        "is not a percentage; use 0% to 100% (5% or 5)",
    )
    .map(|v| v / 100.0)
}

/// A share of events, from 0 to 1 (0.05 is 5 %).
pub fn share(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| (0.0..=1.0).contains(&v),
        "is not a share; use a fraction from 0 to 1 (0.05 is 5 %)",
    )
}

/// A growth rate, `10x per 5 years` or `58% per year`, read when the
/// command line is, so a bad one is a usage error like any other.
pub fn growth(text: &str) -> Result<crate::scenario::Growth, String> {
    Ok(crate::scenario::Growth {
        per_year: crate::units::parse_growth(text)?,
        text: text.trim().to_string(),
    })
}

/// An amount of US dollars, 0 or more.
pub fn usd(text: &str) -> Result<f64, String> {
    number_where(
        text.trim().trim_start_matches('$'),
        |v| v >= 0.0,
        "is not an amount of US dollars; use a number of 0 or more, e.g. 500",
    )
}
