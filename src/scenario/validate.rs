//! Validation: every raw value parsed with its unit, held to its range and
//! to the rules between fields, into a [`Scenario`] of input figures.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;
use serde_saphyr::{Location, Spanned};
use uom::si::f64::{Frequency, Information, InformationRate, Time};

use super::raw::*;
use super::*;
use crate::figure::{Fig, Source};
use crate::units::{
    self, Count, Kind, Parsed, Quantity, Ratio, UsdPerGb, UsdPerGbMonth, UsdPerHour,
};

pub(super) struct Validator<'a> {
    pub(super) file: &'a str,
    /// The scenario's text, for the line an error shows.
    pub(super) text: &'a str,
    /// Which end of each range to read.
    pub(super) pick: &'a Pick,
    /// The ranged inputs met so far.
    pub(super) ranged: std::cell::RefCell<Vec<RangedInput>>,
    /// Values that are valid but very likely wrong.
    pub(super) warnings: std::cell::RefCell<Vec<String>>,
}

/// Whether `--sensitivity` spreads a point input of this kind: a quantity
/// with no upper bound, so ± a share stays valid. Fractions, probabilities
/// and ratios keep their point (0.9 ± 20% would leave 0..1); write them as
/// ranges to study them.
fn spreadable(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Size | Kind::Duration | Kind::ByteRate | Kind::EventRate | Kind::Money | Kind::Count
    )
}

impl Validator<'_> {
    /// A value that is allowed but very likely a mistake: named with its
    /// place, kept for the report and stderr.
    fn warn(&self, key: &str, location: &Location, problem: impl fmt::Display) {
        self.warnings.borrow_mut().push(format!(
            "{}:{}:{}: warning: {problem} (`{key}`)",
            self.file,
            location.line(),
            location.column()
        ));
    }

    fn error(&self, key: &str, location: &Location, problem: impl fmt::Display) -> anyhow::Error {
        anyhow::Error::new(ScenarioError::at(
            self.file,
            self.text,
            location.line() as usize,
            location.column() as usize,
            Some(key),
            &problem.to_string(),
        ))
    }

    fn source(&self, key: &str, location: &Location) -> Source {
        Source::Scenario {
            key: key.into(),
            line: location.line(),
        }
    }

    /// A quantity, or one end of a range (`400 B..600 B`, `500 B ± 20%`)
    /// as the pick says; each range is recorded.
    fn parsed<R: Role>(&self, field: &Input<R>, key: &str, kind: Kind) -> Result<Parsed> {
        let text = &field.value.0;
        let spread =
            units::parse_spread(text, kind).map_err(|e| self.error(key, &field.referenced, e))?;
        let policy = field.role() == InputRole::Policy;
        if policy && spread.is_some() {
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is a range, but `{key}` is a target or a policy you set, not an estimate; give it one value (ranges are for what you estimate: sizes, rates, durations of work, prices)",
                    text.trim()
                ),
            ));
        }
        let (spread, written) = match spread {
            Some(spread) => (spread, text.trim().to_string()),
            None => {
                let value = units::parse_as(text, kind)
                    .map_err(|e| self.error(key, &field.referenced, e))?;
                match self.pick.spread_points {
                    Some(share) if !policy && spreadable(kind) => {
                        // A count of 1 spread by 20% would reach 0.8, which
                        // no count is: the low end stops at the least value
                        // the kind allows, and the range says so.
                        let least = kind.plausible().0;
                        let low = (value.base() * (1.0 - share)).max(least);
                        let held = if low > value.base() * (1.0 - share) {
                            format!(
                                " (low end held at {}, the least {} there is)",
                                units::significant(least, 6),
                                kind.noun().trim_start_matches("a ")
                            )
                        } else {
                            String::new()
                        };
                        (
                            units::Spread {
                                low: value.with_base(low),
                                likely: value,
                                high: value.with_base(value.base() * (1.0 + share)),
                            },
                            format!(
                                "{} ± {}%{held}",
                                text.trim(),
                                units::significant(share * 100.0, 3)
                            ),
                        )
                    }
                    _ => return Ok(value),
                }
            }
        };
        let value = match self.pick.end(key) {
            End::Low => spread.low,
            End::Likely => spread.likely,
            End::High => spread.high,
            End::At(t) => spread
                .low
                .with_base(spread.low.base() + t * (spread.high.base() - spread.low.base())),
        };
        let mut ranged = self.ranged.borrow_mut();
        if ranged.iter().any(|r| r.key == key) {
            return Ok(value);
        }
        ranged.push(RangedInput {
            key: key.to_string(),
            line: field.referenced.line() as usize,
            text: written,
            low: spread.low,
            likely: spread.likely,
            high: spread.high,
        });
        Ok(value)
    }

    /// The field parsed as `kind` and taken apart by `extract`; a value of
    /// another kind is an error naming the kind expected.
    fn parsed_into<T, R: Role>(
        &self,
        field: &Input<R>,
        key: &str,
        kind: Kind,
        extract: impl Fn(Parsed) -> Option<T>,
    ) -> Result<T> {
        extract(self.parsed(field, key, kind)?).ok_or_else(|| {
            self.error(
                key,
                &field.referenced,
                format!("{} is expected", kind.noun()),
            )
        })
    }

    /// A quantity that must be strictly positive.
    fn positive<Q: Quantity, R: Role>(
        &self,
        field: &Input<R>,
        key: &str,
        symbol: &str,
        kind: Kind,
        extract: impl Fn(Parsed) -> Option<Q>,
    ) -> Result<Fig<Q>> {
        let value = self.parsed_into(field, key, kind, extract)?;
        if value.base() <= 0.0 {
            let what = if value.base() == 0.0 {
                "zero"
            } else {
                "negative"
            };
            return Err(self.error(
                key,
                &field.referenced,
                if self.ranged.borrow().iter().any(|r| r.key == key) {
                    format!(
                        "`{}` reaches {what} at one end; {} must be greater than zero across its range",
                        field.value.0.trim(),
                        kind.noun()
                    )
                } else {
                    format!(
                        "`{}` is {what}; {} must be greater than zero",
                        field.value.0,
                        kind.noun()
                    )
                },
            ));
        }
        let (least, most, range) = kind.plausible();
        if !(least..=most).contains(&value.base()) {
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is not a plausible value here; {} in a scenario is {range}",
                    field.value.0,
                    kind.noun()
                ),
            ));
        }
        Ok(Fig::input(
            value,
            symbol,
            self.source(key, &field.referenced),
        ))
    }

    fn size<R: Role>(&self, field: &Input<R>, key: &str, symbol: &str) -> Result<Fig<Information>> {
        self.positive(field, key, symbol, Kind::Size, |p| match p {
            Parsed::Size(v) => Some(v),
            _ => None,
        })
    }

    fn duration<R: Role>(&self, field: &Input<R>, key: &str, symbol: &str) -> Result<Fig<Time>> {
        self.positive(field, key, symbol, Kind::Duration, |p| match p {
            Parsed::Duration(v) => Some(v),
            _ => None,
        })
    }

    fn count<R: Role>(&self, field: &Input<R>, key: &str, symbol: &str) -> Result<Fig<Count>> {
        self.positive(field, key, symbol, Kind::Count, |p| match p {
            Parsed::Number(v) => Some(Count(v)),
            _ => None,
        })
    }

    fn ratio<R: Role>(&self, field: &Input<R>, key: &str, symbol: &str) -> Result<Fig<Ratio>> {
        self.positive(field, key, symbol, Kind::Ratio, |p| match p {
            Parsed::Number(v) => Some(Ratio(v)),
            _ => None,
        })
    }

    fn byte_rate<R: Role>(
        &self,
        field: &Input<R>,
        key: &str,
        symbol: &str,
    ) -> Result<Fig<InformationRate>> {
        self.positive(field, key, symbol, Kind::ByteRate, |p| match p {
            Parsed::ByteRate(v) => Some(v),
            _ => None,
        })
    }

    fn event_rate<R: Role>(
        &self,
        field: &Input<R>,
        key: &str,
        symbol: &str,
    ) -> Result<Fig<Frequency>> {
        self.positive(field, key, symbol, Kind::EventRate, |p| match p {
            Parsed::EventRate(v) => Some(v),
            _ => None,
        })
    }

    /// A price may be zero (free ingress) but never negative.
    fn price<R: Role>(&self, field: &Input<R>, key: &str) -> Result<f64> {
        let value = self.parsed_into(field, key, Kind::Money, |p| match p {
            Parsed::Number(v) | Parsed::Money(v) => Some(v),
            _ => None,
        })?;
        if value < 0.0 {
            return Err(self.error(
                key,
                &field.referenced,
                format!("`{}` is negative; prices are zero or more", field.value.0),
            ));
        }
        Ok(value)
    }

    fn fraction<R: Role>(&self, field: &Input<R>, key: &str, symbol: &str) -> Result<Fig<Ratio>> {
        let value = self.parsed_into(field, key, Kind::Fraction, |p| match p {
            Parsed::Number(v) | Parsed::Percent(v) => Some(v),
            _ => None,
        })?;
        if !(value > 0.0 && value <= 1.0) {
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is outside 0..1; a stage keeps more than none and at most all of its rows (0 < keep ≤ 1, e.g. 0.8 or \"80%\")",
                    field.value.0
                ),
            ));
        }
        Ok(Fig::input(
            Ratio(value),
            symbol,
            self.source(key, &field.referenced),
        ))
    }

    /// A probability: 0 ≤ p < 1 (`lower_open`: 0 < p ≤ 1 instead).
    fn probability<R: Role>(
        &self,
        field: &Input<R>,
        key: &str,
        symbol: &str,
        lower_open: bool,
    ) -> Result<Fig<Ratio>> {
        let value = self.parsed_into(field, key, Kind::Fraction, |p| match p {
            Parsed::Number(v) | Parsed::Percent(v) => Some(v),
            _ => None,
        })?;
        let ok = if lower_open {
            value > 0.0 && value <= 1.0
        } else {
            (0.0..1.0).contains(&value)
        };
        if !ok {
            let range = if lower_open {
                "above 0 and at most 1 (e.g. 99.9%)"
            } else {
                "from 0 to below 1 (e.g. 1% or 0.01; 1 would mean no attempt ever succeeds)"
            };
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is outside its range; it is a probability {range}",
                    field.value.0
                ),
            ));
        }
        Ok(Fig::input(
            Ratio(value),
            symbol,
            self.source(key, &field.referenced),
        ))
    }

    /// The warehouse, checked against what uses it: a stage in it needs its
    /// per-TB price, a dataset in it its storage price.
    fn warehouse(
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
                    usd_per_gb_scanned: w
                        .usd_per_tb_scanned
                        .as_ref()
                        .map(|field| {
                            let per_tb = self.price(field, "warehouse.usd_per_tb_scanned")?;
                            Ok::<_, anyhow::Error>(Fig::input(
                                UsdPerGb(per_tb / 1000.0),
                                "price_scan",
                                self.source("warehouse.usd_per_tb_scanned", &field.referenced),
                            ))
                        })
                        .transpose()?,
                    storage: w
                        .storage_usd_per_gb_month
                        .as_ref()
                        .map(|field| {
                            let value = self.price(field, "warehouse.storage_usd_per_gb_month")?;
                            Ok::<_, anyhow::Error>(Fig::input(
                                UsdPerGbMonth(value),
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

    fn queries(&self, raw: &[RawQuery], datasets: &[RawDataset]) -> Result<Vec<Query>> {
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
                Ok(Query {
                    name: query.name.value.clone(),
                    over,
                    per_day: self.count(
                        &query.per_day,
                        &format!("{key}.per_day"),
                        &format!("queries[{}]", query.name.value),
                    )?,
                })
            })
            .collect()
    }

    fn streaming(&self, raw: &Spanned<RawStreaming>) -> Result<Streaming> {
        let s = &raw.value;
        let key = |name: &str| format!("streaming.{name}");
        let peak_factor = match &s.peak_factor {
            Some(field) => {
                let factor = self.ratio(field, &key("peak_factor"), "peak_factor")?;
                if factor.base() < 1.0 {
                    return Err(self.error(
                        &key("peak_factor"),
                        &field.referenced,
                        format!("`{}` puts the peak below the average; a peak factor is 1 or more (3 = the busiest second has three times the average rate)", field.value.0.trim()),
                    ));
                }
                factor
            }
            None => Fig::input(
                Ratio(1.0),
                "peak_factor",
                Source::Default("a flat stream: the peak is the average".into()),
            ),
        };
        let headroom = match &s.headroom {
            Some(field) => self.probability(field, &key("headroom"), "headroom", false)?,
            None => Fig::input(
                Ratio(0.2),
                "headroom",
                Source::Default("20% spare capacity at the peak".into()),
            ),
        };
        Ok(Streaming {
            hybrid: s.hybrid.unwrap_or(false),
            peak_factor,
            headroom,
            min_workers: s
                .min_workers
                .as_ref()
                .map(|f| self.count(f, &key("min_workers"), "min_workers"))
                .transpose()?,
            window: match &s.window {
                Some(field) => self.duration(field, &key("window"), "window")?,
                None => Fig::input(
                    units::seconds(1.0),
                    "window",
                    Source::Default("one-second micro-batches".into()),
                ),
            },
            latency_target: s
                .latency_target
                .as_ref()
                .map(|f| self.duration(f, &key("latency_target"), "latency_target"))
                .transpose()?,
            state: s
                .state
                .as_ref()
                .map(|f| self.size(f, &key("state"), "state"))
                .transpose()?,
        })
    }

    /// `daily` (one run a day, as without a schedule), `hourly`, or
    /// `every DURATION` from 1 s to 1 day.
    fn schedule<R: Role>(&self, field: &Input<R>) -> Result<Option<Fig<Time>>> {
        let text = field.value.0.trim();
        let key = "schedule";
        let period = match text {
            "daily" => return Ok(None),
            "hourly" => "1 h",
            other => other.strip_prefix("every ").unwrap_or(other),
        };
        let seconds = units::parse_duration(period)
            .map_err(|e| {
                self.error(
                    key,
                    &field.referenced,
                    format!("`{text}` is not a schedule ({e}); write `daily`, `hourly` or `every 15 min`"),
                )
            })?
            .value;
        if !(1.0..=units::SECONDS_PER_DAY).contains(&seconds) {
            return Err(self.error(
                key,
                &field.referenced,
                format!("`{text}` is outside 1 s to 1 day; a scenario plans a day of data, run every period from a second to a day (`every 15 min`)"),
            ));
        }
        Ok(Some(Fig::input(
            units::seconds(seconds),
            "period",
            self.source(key, &field.referenced),
        )))
    }

    fn quality(&self, raw: &Spanned<RawQuality>) -> Result<Quality> {
        let q = &raw.value;
        let key = |name: &str| format!("quality.{name}");
        let share = |field: &Option<Field>, name: &str| {
            field
                .as_ref()
                .map(|f| self.probability(f, &key(name), name, false))
                .transpose()
        };
        let late = match (&q.late, &q.late_by) {
            (Some(share_field), Some(by)) => Some((
                self.probability(share_field, &key("late"), "late", false)?,
                self.duration(by, &key("late_by"), "late_by")?,
            )),
            (None, None) => None,
            (Some(field), None) | (None, Some(field)) => {
                return Err(self.error(
                    &key(if q.late.is_some() { "late_by" } else { "late" }),
                    &field.referenced,
                    "late data needs both keys; write the share and how late it comes at most, e.g. `late: 1%` and `late_by: 2 h`",
                ))
            }
        };
        Ok(Quality {
            null_keys: share(&q.null_keys, "null_keys")?,
            null_alert: match &q.null_alert {
                Some(field) => self.probability(field, &key("null_alert"), "null_alert", false)?,
                None => Fig::input(
                    Ratio(0.01),
                    "null_alert",
                    Source::Default("the lecture's \"alert if > 1%\"".into()),
                ),
            },
            duplicates: share(&q.duplicates, "duplicates")?,
            invalid: share(&q.invalid, "invalid")?,
            quarantine_retention: match &q.quarantine_retention {
                Some(field) => {
                    self.duration(field, &key("quarantine_retention"), "quarantine_retention")?
                }
                None => Fig::input(
                    units::seconds(30.0 * units::SECONDS_PER_DAY),
                    "quarantine_retention",
                    Source::Default("a month to look at what was refused".into()),
                ),
            },
            late,
        })
    }

    fn reliability(&self, raw: &Spanned<RawReliability>) -> Result<Reliability> {
        let r = &raw.value;
        let key = |name: &str| format!("reliability.{name}");
        let failure_per_attempt = match &r.failure_per_attempt {
            Some(field) => self.probability(field, &key("failure_per_attempt"), "p_fail", false)?,
            None => {
                return Err(self.error(
                    &key("failure_per_attempt"),
                    &raw.referenced,
                    "missing from the `reliability:` mapping that starts here; the chance that one attempt of a stage fails, e.g. `failure_per_attempt: 1%`",
                ))
            }
        };
        let attempts = match &r.attempts {
            Some(field) => {
                let attempts = self.count(field, &key("attempts"), "attempts")?;
                let value = attempts.base();
                if value.fract() != 0.0 || value > 100.0 {
                    return Err(self.error(
                        &key("attempts"),
                        &field.referenced,
                        format!(
                            "`{}` is not a whole number of attempts from 1 to 100",
                            field.value.0
                        ),
                    ));
                }
                attempts
            }
            None => Fig::input(
                Count(3.0),
                "attempts",
                Source::Default("the lecture's \"Retry: automatic, 3 attempts\"".into()),
            ),
        };
        let failure_point = match &r.failure_point {
            Some(field) => self.probability(field, &key("failure_point"), "f_fail", true)?,
            None => Fig::input(
                Ratio(0.5),
                "f_fail",
                Source::Default("a failure strikes halfway through, on average (the lecture's \"fails at 50%\")".into()),
            ),
        };
        let target = r
            .target
            .as_ref()
            .map(|field| self.probability(field, &key("target"), "target", true))
            .transpose()?;
        Ok(Reliability {
            failure_per_attempt,
            attempts,
            checkpoints: r.checkpoints.unwrap_or(true),
            failure_point,
            target,
        })
    }

    pub(super) fn scenario(&self, raw: RawScenario) -> Result<Scenario> {
        // A volume may be given as a rate (`20k events/s`, or a range of
        // rates such as `500k events/s ± 20%`): a day of it.
        let given_as_rate = matches!(
            units::parse_any(units::first_value(&raw.volume.events_per_day.value.0)),
            Ok(Parsed::EventRate(_))
        );
        let (events_per_day, event_rate) = if given_as_rate {
            let rate = self.event_rate(
                &raw.volume.events_per_day,
                "volume.events_per_day",
                "event_rate",
            )?;
            (super::events_in_a_day(&rate), Some(rate))
        } else {
            let count = self.count(
                &raw.volume.events_per_day,
                "volume.events_per_day",
                "events_per_day",
            )?;
            (count, None)
        };
        let event_size = self.size(&raw.volume.event_size, "volume.event_size", "event_size")?;
        if event_size.base() > 1e6 {
            self.warn(
                "volume.event_size",
                &raw.volume.event_size.referenced,
                format!(
                    "an event of {} is unusual (a clickstream event is about 500 B); is this a batch or a file rather than one event?",
                    event_size.human()
                ),
            );
        }
        let workers = match &raw.workers {
            Some(field) => Fig::input(
                Count(f64::from(self.whole(field, "workers")?)),
                "N_workers",
                self.source("workers", &field.referenced),
            ),
            None => Fig::input(
                Count(1.0),
                "N_workers",
                Source::Default("one worker, as in the lecture's sequential plan".into()),
            ),
        };
        let deadline = raw
            .deadline
            .as_ref()
            .map(|f| self.duration(f, "deadline", "deadline"))
            .transpose()?;
        let schedule = raw
            .schedule
            .as_ref()
            .map(|field| self.schedule(field))
            .transpose()?
            .flatten();
        let memory_per_worker = raw
            .memory_per_worker
            .as_ref()
            .map(|f| self.size(f, "memory_per_worker", "memory_per_worker"))
            .transpose()?;
        let month = match &raw.month {
            Some(field) => self.duration(field, "month", "month")?,
            None => Fig::input(
                units::seconds(30.0 * units::SECONDS_PER_DAY),
                "month",
                Source::Default("a month is 30 days".into()),
            ),
        };

        if raw.stages.value.is_empty() {
            return Err(self.error(
                "stages",
                &raw.stages.referenced,
                "the stage list is empty; a pipeline needs at least one stage (name, bound, input, and a throughput or a duration)",
            ));
        }
        let mut names = BTreeSet::new();
        for (index, stage) in raw.stages.value.iter().enumerate() {
            let key = format!("stages[{index}].name");
            let name = stage.name.value.as_str();
            let well_formed = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !well_formed {
                return Err(self.error(
                    &key,
                    &stage.name.referenced,
                    format!("`{name}` is not a stage name; use letters, digits, `_` and `-`"),
                ));
            }
            if !names.insert(name.to_string()) {
                return Err(self.error(
                    &key,
                    &stage.name.referenced,
                    format!("stage name `{name}` is used twice; each stage needs its own name"),
                ));
            }
        }
        let default_parallel = match &raw.parallel {
            Some(parallel) => self.parallel(parallel, "parallel", "")?,
            None => Parallel::Linear,
        };
        let stage_names: Vec<String> = raw
            .stages
            .value
            .iter()
            .map(|s| s.name.value.clone())
            .collect();
        let stages = raw
            .stages
            .value
            .iter()
            .enumerate()
            .map(|(index, stage)| {
                self.stage(index, stage, &default_parallel, raw.network.is_some())
            })
            .collect::<Result<Vec<_>>>()?;

        let storage = raw
            .storage
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
                    of: self.data_ref(&dataset.of, &format!("{key}.of"), &stage_names)?,
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
            .collect::<Result<Vec<_>>>()?;
        self.unique_names(raw.storage.iter().map(|d| &d.name), "storage", "dataset")?;
        let warehouse = self.warehouse(
            raw.warehouse.as_ref(),
            &raw.stages.value,
            &raw.storage,
            &raw.queries,
        )?;

        let network = match &raw.network {
            None => None,
            Some(network) => {
                let transfers = network
                    .transfers
                    .iter()
                    .enumerate()
                    .map(|(index, transfer)| {
                        let key = format!("network.transfers[{index}]");
                        Ok(Transfer {
                            name: transfer.name.value.clone(),
                            of: self.data_ref(&transfer.of, &format!("{key}.of"), &stage_names)?,
                            of_text: transfer.of.value.clone(),
                            direction: transfer.direction,
                            window: transfer
                                .window
                                .as_ref()
                                .map(|f| {
                                    self.duration(
                                        f,
                                        &format!("{key}.window"),
                                        &format!("window[{}]", transfer.name.value),
                                    )
                                })
                                .transpose()?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                self.unique_names(
                    network.transfers.iter().map(|t| &t.name),
                    "network.transfers",
                    "transfer",
                )?;
                Some(Network {
                    bandwidth: self.byte_rate(
                        &network.bandwidth,
                        "network.bandwidth",
                        "bandwidth",
                    )?,
                    transfers,
                })
            }
        };

        let prices = self.prices(raw.prices.as_ref(), &storage, network.as_ref())?;

        Ok(Scenario {
            file: self.file.to_string(),
            name: raw.name.unwrap_or_else(|| {
                Path::new(self.file)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "scenario".into())
            }),
            description: raw.description,
            events_per_day,
            event_rate,
            event_size,
            workers,
            deadline,
            schedule,
            memory_per_worker,
            month,
            stages,
            storage,
            network,
            prices,
            volume_factor: None,
            scaling: self.scaling(raw.scaling.as_ref())?,
            quality: raw.quality.as_ref().map(|q| self.quality(q)).transpose()?,
            streaming: raw
                .streaming
                .as_ref()
                .map(|s| self.streaming(s))
                .transpose()?,
            warehouse: warehouse.clone(),
            queries: self.queries(&raw.queries, &raw.storage)?,
            reliability: raw
                .reliability
                .as_ref()
                .map(|r| self.reliability(r))
                .transpose()?,
            ranged: self.ranged.take(),
            warnings: self.warnings.take(),
            written: Vec::new(),
        })
    }

    fn unique_names<'n>(
        &self,
        names: impl Iterator<Item = &'n Spanned<String>>,
        list: &str,
        what: &str,
    ) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (index, name) in names.enumerate() {
            if !seen.insert(name.value.as_str()) {
                return Err(self.error(
                    &format!("{list}[{index}].name"),
                    &name.referenced,
                    format!("{what} name `{}` is used twice", name.value),
                ));
            }
        }
        Ok(())
    }

    fn data_ref(&self, text: &Spanned<String>, key: &str, stages: &[String]) -> Result<DataRef> {
        let accepted = || {
            stages
                .iter()
                .flat_map(|s| [format!("{s}.input"), format!("{s}.output")])
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (stage, side) = text.value.split_once('.').ok_or_else(|| {
            self.error(
                key,
                &text.referenced,
                format!(
                    "`{}` names no stage's data; use one of {}",
                    text.value,
                    accepted()
                ),
            )
        })?;
        let side = match side {
            "input" => Side::Input,
            "output" => Side::Output,
            _ => {
                return Err(self.error(
                    key,
                    &text.referenced,
                    format!("`{}`: after the dot comes `input` or `output`", text.value),
                ))
            }
        };
        let stage = stages.iter().position(|s| s == stage).ok_or_else(|| {
            self.error(
                key,
                &text.referenced,
                format!("no stage is called `{stage}`; use one of {}", accepted()),
            )
        })?;
        Ok(DataRef { stage, side })
    }

    fn parallel(&self, raw: &Spanned<RawParallel>, key: &str, suffix: &str) -> Result<Parallel> {
        let fields = &raw.value;
        let field_key = |name: &str| format!("{key}.{name}");
        let unexpected = |name: &str, field: &Option<Field>, model: &str| -> Result<()> {
            match field {
                Some(f) => Err(self.error(
                    &field_key(name),
                    &f.referenced,
                    format!("`{name}` does not apply to the {model} model"),
                )),
                None => Ok(()),
            }
        };
        let bounded =
            |field: &Field, name: &str, symbol: &str, upper: Option<f64>| -> Result<Fig<Ratio>> {
                let k = field_key(name);
                let value = self.parsed_into(field, &k, Kind::Fraction, |p| match p {
                    Parsed::Number(v) | Parsed::Percent(v) => Some(v),
                    _ => None,
                })?;
                let in_range = value >= 0.0 && upper.is_none_or(|u| value <= u);
                if !in_range {
                    let range = match upper {
                        Some(u) => format!("from 0 to {u}"),
                        None => "zero or more".into(),
                    };
                    return Err(self.error(
                        &k,
                        &field.referenced,
                        format!("`{}` is out of range; {name} is {range}", field.value.0),
                    ));
                }
                Ok(Fig::input(
                    Ratio(value),
                    format!("{symbol}{suffix}"),
                    self.source(&k, &field.referenced),
                ))
            };
        let required = |field: &Option<Field>, name: &str, model: &str| -> Result<Field> {
            field.clone().ok_or_else(|| {
                self.error(
                    key,
                    &raw.referenced,
                    format!("the {model} model needs `{name}`"),
                )
            })
        };
        Ok(match fields.model {
            ParallelKind::Linear => {
                unexpected("serial_fraction", &fields.serial_fraction, "linear")?;
                unexpected("contention", &fields.contention, "linear")?;
                unexpected("coherency", &fields.coherency, "linear")?;
                Parallel::Linear
            }
            ParallelKind::Amdahl => {
                unexpected("contention", &fields.contention, "Amdahl")?;
                unexpected("coherency", &fields.coherency, "Amdahl")?;
                let field = required(&fields.serial_fraction, "serial_fraction", "Amdahl")?;
                Parallel::Amdahl {
                    serial_fraction: bounded(&field, "serial_fraction", "s", Some(1.0))?,
                }
            }
            ParallelKind::Usl => {
                unexpected("serial_fraction", &fields.serial_fraction, "USL")?;
                let contention = required(&fields.contention, "contention", "USL")?;
                let contention = bounded(&contention, "contention", "σ", Some(1.0))?;
                let coherency = match &fields.coherency {
                    Some(field) => bounded(field, "coherency", "κ", None)?,
                    None => Fig::input(
                        Ratio(0.0),
                        format!("κ{suffix}"),
                        Source::Default("no coherency cost unless given".into()),
                    ),
                };
                Parallel::Usl {
                    contention,
                    coherency,
                }
            }
        })
    }

    fn scaling(&self, raw: Option<&RawScaling>) -> Result<Scaling> {
        let mut scaling = Scaling {
            factors: vec![1.0, 2.0, 10.0],
            workers: Vec::new(),
            compression: None,
            growth: None,
            max_workers: 64,
        };
        let Some(raw) = raw else {
            return Ok(scaling);
        };
        if let Some(factors) = &raw.factors {
            scaling.factors = factors
                .value
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    Ok(self
                        .ratio(f, &format!("scaling.factors[{i}]"), "factor")?
                        .value
                        .0)
                })
                .collect::<Result<_>>()?;
            if scaling.factors.is_empty() {
                return Err(self.error(
                    "scaling.factors",
                    &factors.referenced,
                    "the list of factors is empty",
                ));
            }
        }
        if let Some(workers) = &raw.workers {
            scaling.workers = workers
                .value
                .iter()
                .enumerate()
                .map(|(i, f)| self.whole(f, &format!("scaling.workers[{i}]")))
                .collect::<Result<_>>()?;
        }
        if let Some(field) = &raw.compression {
            let ratio = self
                .ratio(field, "scaling.compression", "compression")?
                .value
                .0;
            if ratio < 1.0 {
                return Err(self.error(
                    "scaling.compression",
                    &field.referenced,
                    format!("`{}` would expand the data; a compression what-if is a ratio of 1 or more (5 stores a fifth)", field.value.0),
                ));
            }
            scaling.compression = Some(ratio);
        }
        if let Some(field) = &raw.growth {
            let per_year = units::parse_growth(&field.value.0)
                .map_err(|e| self.error("scaling.growth", &field.referenced, e))?;
            scaling.growth = Some(Growth {
                per_year,
                text: field.value.0.trim().to_string(),
            });
        }
        if let Some(field) = &raw.max_workers {
            scaling.max_workers = self.whole(field, "scaling.max_workers")?;
        }
        Ok(scaling)
    }

    fn output(&self, output: &Spanned<RawOutput>, name: &str, index: usize) -> Result<Output> {
        let key = |field: &str| format!("stages[{index}].output.{field}");
        let fields = &output.value;
        let row_size = fields
            .row_size
            .as_ref()
            .map(|f| self.size(f, &key("row_size"), &format!("row_size[{name}]")))
            .transpose()?;
        let needs_row_size = |what: &str| {
            self.error(
                &format!("stages[{index}].output"),
                &output.referenced,
                format!("`{what}` needs a `row_size` (e.g. `row_size: 100 B`) to know the output's bytes"),
            )
        };
        let exclusive = |field: &Option<Field>, other: &str, why: &str| -> Result<()> {
            match field {
                Some(f) => Err(self.error(&key(other), &f.referenced, why.to_string())),
                None => Ok(()),
            }
        };
        let only_keys = "applies only to an output of distinct keys (`rows`)";
        match (&fields.keep, &fields.rows, &fields.keys_max) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                let field = fields.rows.as_ref().or(fields.keys_max.as_ref()).expect("matched");
                Err(self.error(
                    &key(if fields.rows.is_some() { "rows" } else { "keys_max" }),
                    &field.referenced,
                    "`keep` and distinct keys both given; a stage keeps a fraction of its rows or puts out one row per distinct key, not both",
                ))
            }
            (_, Some(_), Some(field)) => Err(self.error(
                &key("keys_max"),
                &field.referenced,
                "`rows` and `keys_max` both given; give the keys seen at this volume (`rows`) or the catalogue they are drawn from (`keys_max`), not both",
            )),
            (Some(keep), None, None) => {
                exclusive(&fields.keys_grow, "keys_grow", &format!("`keys_grow` {only_keys}"))?;
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Keep {
                    fraction: self.fraction(keep, &key("keep"), &format!("keep[{name}]"))?,
                    row_size,
                })
            }
            (None, Some(rows), None) => {
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Keys {
                    keys: self.count(rows, &key("rows"), &format!("keys[{name}]"))?,
                    row_size: row_size.ok_or_else(|| needs_row_size("rows"))?,
                    keys_grow: match &fields.keys_grow {
                        None => None,
                        Some(field) => self.keys_growth(field, &key("keys_grow"), name)?,
                    },
                })
            }
            (None, None, Some(max)) => {
                exclusive(
                    &fields.keys_grow,
                    "keys_grow",
                    "`keys_grow` does not apply with `keys_max`: keys drawn from a catalogue grow by how many rows draw them",
                )?;
                let skew = match &fields.key_skew {
                    Some(field) => {
                        let k = key("key_skew");
                        let value = self.parsed_into(field, &k, Kind::Ratio, |p| match p {
                            Parsed::Number(v) => Some(v),
                            _ => None,
                        })?;
                        if !(0.0..=5.0).contains(&value) {
                            return Err(self.error(
                                &k,
                                &field.referenced,
                                format!("`{}` is out of range; a Zipf skew is from 0 (every key equally popular) to 5", field.value.0),
                            ));
                        }
                        Fig::input(Ratio(value), format!("key_skew[{name}]"), self.source(&k, &field.referenced))
                    }
                    None => Fig::input(
                        Ratio(0.0),
                        format!("key_skew[{name}]"),
                        Source::Default("every key equally popular".into()),
                    ),
                };
                let keys_max = self.count(max, &key("keys_max"), &format!("keys_max[{name}]"))?;
                if keys_max.base() > 10_000_000.0 {
                    return Err(self.error(
                        &key("keys_max"),
                        &max.referenced,
                        "a catalogue above 10M keys is not modelled key by key; give the keys seen as `rows` with `keys_grow`",
                    ));
                }
                Ok(Output::Catalogue {
                    keys_max,
                    skew,
                    row_size: row_size.ok_or_else(|| needs_row_size("keys_max"))?,
                })
            }
            (None, None, None) => {
                exclusive(&fields.keys_grow, "keys_grow", &format!("`keys_grow` {only_keys}"))?;
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Same { row_size })
            }
        }
    }

    /// `keys_grow`: `false` (fixed), `true` (linear), or an exponent from 0
    /// to 1 (Heaps' law).
    fn keys_growth<R: Role>(
        &self,
        field: &Input<R>,
        key: &str,
        stage: &str,
    ) -> Result<Option<Fig<Ratio>>> {
        let exponent = match field.value.0.trim() {
            "false" => return Ok(None),
            "true" => 1.0,
            text => match units::parse_any(text) {
                Ok(Parsed::Number(v)) if (0.0..=1.0).contains(&v) => v,
                _ => {
                    return Err(self.error(
                        key,
                        &field.referenced,
                        format!(
                            "`{text}` is not a key growth; write `false` (keys fixed), `true` (keys grow with the volume) or an exponent from 0 to 1 (keys × factor^exponent, Heaps' law)"
                        ),
                    ))
                }
            },
        };
        Ok(Some(Fig::input(
            Ratio(exponent),
            format!("keys_growth[{stage}]"),
            self.source(key, &field.referenced),
        )))
    }

    /// A whole number of workers, at least one and at most [`MAX_WORKERS`].
    fn whole<R: Role>(&self, field: &Input<R>, key: &str) -> Result<u32> {
        let count = self.count(field, key, "workers")?.value.0;
        if count.fract() != 0.0 {
            return Err(self.error(
                key,
                &field.referenced,
                format!("`{}` is not a whole number of workers", field.value.0),
            ));
        }
        if count > f64::from(MAX_WORKERS) {
            return Err(self.error(key, &field.referenced, too_many_workers(count)));
        }
        Ok(count as u32)
    }

    fn stage(
        &self,
        index: usize,
        raw: &RawStage,
        default_parallel: &Parallel,
        has_network: bool,
    ) -> Result<Stage> {
        let name = raw.name.value.clone();
        let key = |field: &str| format!("stages[{index}].{field}");
        let measure = raw.input.value;
        let work = match (&raw.throughput, &raw.duration) {
            (Some(field), None) => {
                let key = key("throughput");
                let symbol = format!("R[{name}]");
                // The most common slip: a data rate on a stage measured in
                // events, or the reverse. Say which key decides it.
                let given = units::parse_any(&field.value.0).ok();
                let mismatch = match (measure, given) {
                    (Measure::Events, Some(Parsed::ByteRate(_))) => Some(("a data rate", "an event rate (e.g. \"20k events/s\")", "bytes")),
                    (Measure::Bytes, Some(Parsed::EventRate(_))) => Some(("an event rate", "a data rate (e.g. \"8.3 MB/s\")", "events")),
                    _ => None,
                };
                if let Some((given, wanted, other)) = mismatch {
                    return Err(self.error(
                        &key,
                        &field.referenced,
                        format!(
                            "`{}` is {given}, but stage `{name}` has `input: {}`, so its throughput is {wanted}; or write `input: {other}`",
                            field.value.0,
                            if other == "bytes" { "events" } else { "bytes" },
                        ),
                    ));
                }
                if raw.bound == Bound::Cpu && field.value.0.trim_end().ends_with("bps") {
                    self.warn(
                        &key,
                        &field.referenced,
                        format!(
                            "`{}` gives a CPU-bound stage's throughput in bits per second, a unit for links; did you mean bytes (`MB/s`)?",
                            field.value.0.trim()
                        ),
                    );
                }
                match measure {
                    Measure::Bytes => Work::ByteThroughput(self.byte_rate(field, &key, &symbol)?),
                    Measure::Events => Work::EventThroughput(self.event_rate(field, &key, &symbol)?),
                }
            }
            (None, Some(field)) => {
                Work::Duration(self.duration(field, &key("duration"), &format!("T_given[{name}]"))?)
            }
            (Some(_), Some(field)) => {
                return Err(self.error(
                    &key("duration"),
                    &field.referenced,
                    format!("stage `{name}` has both a throughput and a duration; give one of them"),
                ))
            }
            (None, None) => {
                return Err(self.error(
                    &format!("stages[{index}]"),
                    &raw.name.referenced,
                    format!(
                        "stage `{name}` has neither a throughput nor a duration; give one, e.g. `throughput: 8.3 MB/s` or `duration: 10 min`"
                    ),
                ))
            }
        };
        let output = match &raw.output {
            None => Output::Same { row_size: None },
            Some(output) => self.output(output, &name, index)?,
        };
        let written = raw.output.as_ref().map(|o| &o.value);
        let fixed_output_size = match written.and_then(|o| o.fixed_size.as_ref()) {
            None => None,
            Some(field) => {
                let at = key("output.fixed_size");
                if written.is_some_and(|o| o.row_size.is_none()) {
                    return Err(self.error(
                        &at,
                        &field.referenced,
                        "`fixed_size` is added to the rows' bytes; give a `row_size` too (e.g. `row_size: 40 B`)",
                    ));
                }
                Some(self.size(field, &at, &format!("fixed_output_size[{name}]"))?)
            }
        };
        let working_set = match &raw.working_set {
            None => WorkingSet::Input,
            Some(field) => match field.value.0.trim() {
                "input" => WorkingSet::Input,
                "output" => WorkingSet::Output,
                _ => WorkingSet::Fixed(
                    self.size(field, &key("working_set"), &format!("working_set[{name}]"))
                        .map_err(|e| e.context("a working set is `input`, `output`, or a size"))?,
                ),
            },
        };
        let working_set = match (&raw.working_set_grows, working_set) {
            (None, working_set) => working_set,
            (Some(field), WorkingSet::Fixed(size)) => {
                let at = key("working_set_grows");
                match units::parse_any(&field.value.0) {
                    Ok(Parsed::Number(exponent)) if (0.0..=1.0).contains(&exponent) => {
                        WorkingSet::Growing {
                            size,
                            exponent: Fig::input(
                                Ratio(exponent),
                                format!("working_set_growth[{name}]"),
                                self.source(&at, &field.referenced),
                            ),
                        }
                    }
                    _ => {
                        return Err(self.error(
                            &at,
                            &field.referenced,
                            format!(
                                "`{}` is not a working-set growth; write an exponent from 0 to 1: each worker holds working_set × volume_factor^exponent (0 stays fixed, 1 grows with the data)",
                                field.value.0.trim()
                            ),
                        ))
                    }
                }
            }
            (Some(field), _) => {
                return Err(self.error(
                    &key("working_set_grows"),
                    &field.referenced,
                    "`working_set_grows` applies to a working set given as a size (e.g. `working_set: 15 MB`); `input` and `output` already grow with the data",
                ))
            }
        };
        let parallel = match &raw.parallel {
            Some(parallel) => self.parallel(parallel, &key("parallel"), &format!("[{name}]"))?,
            None => default_parallel.clone(),
        };
        let shares = match &raw.shares {
            None => None,
            Some(field) if field.value.0.trim() == "network" => {
                if !has_network {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        "`shares: network` needs a `network:` section with the link's bandwidth",
                    ));
                }
                if measure != Measure::Bytes {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        format!("a shared link caps bytes per second, but stage `{name}` has `input: events`; write `input: bytes`"),
                    ));
                }
                Some(Shares::Network)
            }
            Some(field) => {
                if measure != Measure::Bytes {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        format!("a shared resource caps bytes per second, but stage `{name}` has `input: events`; write `input: bytes`"),
                    ));
                }
                Some(Shares::Rate(
                    self.byte_rate(field, &key("shares"), &format!("shared_rate[{name}]"))
                        .map_err(|e| e.context("`shares` is `network` or the shared resource's rate, e.g. `500 MB/s`"))?,
                ))
            }
        };
        let in_warehouse = match &raw.runs_in {
            None => false,
            Some(place) => match place.value {
                Place::Cluster => false,
                Place::Warehouse => true,
                Place::Lake => {
                    return Err(self.error(
                        &key("runs_in"),
                        &place.referenced,
                        "`lake` keeps data and runs nothing; a stage runs in `cluster` (the scenario's workers) or `warehouse`",
                    ))
                }
            },
        };
        Ok(Stage {
            name,
            bound: raw.bound,
            measure,
            work,
            output,
            fixed_output_size,
            working_set,
            parallel,
            shares,
            in_warehouse,
        })
    }

    fn prices(
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
        let storage_price = match &raw.storage_usd_per_gb_month {
            Some(field) => {
                let k = key("storage_usd_per_gb_month");
                let value = self.price(field, &k)?;
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
                let value = self.price(field, &k)?;
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
                let value = self.price(field, &k)?;
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
            storage: storage_price,
            egress,
            ingress,
        })
    }
}
