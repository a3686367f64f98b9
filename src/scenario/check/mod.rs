//! Validation: every raw value parsed with its unit, held to its range and
//! to the rules between fields, into a [`Scenario`] of input figures. This
//! file holds the helpers every block uses and the assembly of the whole
//! scenario; each block's own checks are in a file of its own.

mod cluster;
mod engine;
mod network;

mod prices;
mod quality;
mod reliability;
mod scaling;
mod stages;
mod storage;
mod streaming;
mod warehouse;

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;
use serde_saphyr::{Location, Spanned};
use uom::si::f64::{Frequency, Information, InformationRate, Time};

use super::raw::*;
use super::*;
use crate::figure::{Fig, Source};
use crate::units::{self, Count, Kind, Parsed, Quantity, Ratio};

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
    /// The scenario's month in days: what a duration written in months
    /// (`retention: 3 months`) is counted in.
    pub(super) month_days: f64,
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

/// The highest price a scenario accepts, in USD for the unit its key
/// names (a worker-hour, a GB, a GB-month, a TB scanned): a thousand times
/// the dearest cloud list prices, so only a typo is refused.
pub const MAX_PRICE_USD: f64 = 1e6;

impl Validator<'_> {
    /// A value that is allowed but very likely a mistake: named with its
    /// place, kept for the report and stderr.
    fn warn(&self, key: &str, location: &Location, problem: impl fmt::Display) {
        let warning = format!(
            "{}:{}:{}: warning: {problem} (`{key}`)",
            self.file,
            location.line(),
            location.column()
        );
        // A key read twice (a catalog entry sets both memory and prices)
        // is warned about once.
        let mut warnings = self.warnings.borrow_mut();
        if !warnings.contains(&warning) {
            warnings.push(warning);
        }
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
        // `3 months` is three of the scenario's months.
        let months = key != "month" && field.value.0.contains("month");
        let scale = if months {
            self.month_days / units::MONTH_DAYS
        } else {
            1.0
        };
        self.positive(field, key, symbol, Kind::Duration, |p| match p {
            Parsed::Duration(v) => Some(v * scale),
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
        self.plausible_price(value, field, key)
    }

    /// A price no bill has: negative, or above [`MAX_PRICE_USD`] for the
    /// unit its key names (a typo such as 1e308, on which the estimate's
    /// sums would overflow).
    fn plausible_price<R: Role>(&self, value: f64, field: &Input<R>, key: &str) -> Result<f64> {
        if value < 0.0 {
            return Err(self.error(
                key,
                &field.referenced,
                format!("`{}` is negative; prices are zero or more", field.value.0),
            ));
        }
        if value > MAX_PRICE_USD {
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is out of range; a price is from $0 to ${} for the unit its key names",
                    field.value.0,
                    crate::units::grouped(MAX_PRICE_USD as u64)
                ),
            ));
        }
        Ok(value)
    }

    /// A price per amount of data, in USD per `per` bytes: a plain number
    /// is per the size the key names (`egress_usd_per_gb`: per GB), and a
    /// price may name its own size, as bills do: `$6.25/TiB`.
    fn price_per_size<R: Role>(&self, field: &Input<R>, key: &str, per: f64) -> Result<f64> {
        let value = self.parsed_into(field, key, Kind::Money, |p| match p {
            Parsed::Number(v) | Parsed::Money(v) => Some(v),
            Parsed::MoneyPerSize(per_byte) => Some(per_byte * per),
            _ => None,
        })?;
        self.plausible_price(value, field, key)
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
                    "`{}` is outside 0..1; `{}` is a share of more than none and at most all (above 0, at most 1, e.g. 0.8 or \"80%\")",
                    field.value.0,
                    key.rsplit('.').next().unwrap_or(key)
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
        let run_overhead = raw
            .run_overhead
            .as_ref()
            .map(|f| self.duration(f, "run_overhead", "T_overhead"))
            .transpose()?;
        let freshness_target = raw
            .freshness_target
            .as_ref()
            .map(|f| self.duration(f, "freshness_target", "freshness_target"))
            .transpose()?;
        // An instance from the catalog sets a worker's memory unless the
        // scenario says it.
        let instance = match &raw.prices {
            Some(prices) => self.catalog_entry(&prices.value, crate::catalog::Kind::Instance)?,
            None => None,
        };
        let instance_memory = instance.and_then(|entry| {
            entry.memory_bytes.map(|bytes| {
                Fig::input(
                    units::bytes(bytes),
                    "memory_per_worker",
                    Source::Catalog(entry.provenance()),
                )
            })
        });
        let instance_cores = instance.and_then(|entry| {
            entry
                .vcpu
                .map(|cores| (cores, Source::Catalog(entry.provenance())))
        });
        let worker = self.worker(raw.worker.as_ref(), instance_cores)?;
        let memory_per_worker = raw
            .memory_per_worker
            .as_ref()
            .map(|f| {
                let memory = self.size(f, "memory_per_worker", "memory_per_worker")?;
                if memory.base() > plausible::MEMORY_BYTES {
                    self.warn(
                        "memory_per_worker",
                        &f.referenced,
                        format!("{} a worker is more memory than a machine has today (2 TB is large; the largest cloud machines have 24 TB); is this the whole cluster's?", memory.human()),
                    );
                }
                Ok::<_, anyhow::Error>(memory)
            })
            .transpose()?
            .or(instance_memory);
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
            .map(|(index, stage)| self.stage(index, stage, &default_parallel, raw.network.as_ref()))
            .collect::<Result<Vec<_>>>()?;

        if let Some(field) = &raw.workers {
            let linear = stages
                .iter()
                .all(|s| matches!(s.parallel, Parallel::Linear));
            if let Some(warning) = plausible::linear_workers(workers.base()).filter(|_| linear) {
                self.warn("workers", &field.referenced, warning);
            }
        }
        if worker.is_none() {
            for (index, stage) in raw.stages.value.iter().enumerate() {
                self.needs_cores(index, stage)?;
            }
        }
        // A task's memory is what the engine leaves of a worker's after its
        // 300 MiB: a worker with less has none to give.
        let shuffles = raw
            .stages
            .value
            .iter()
            .any(|s| s.shuffle.is_some() || s.join.is_some());
        if let (Some(memory), Some(field), true) =
            (&memory_per_worker, &raw.memory_per_worker, shuffles)
        {
            if memory.base() <= 300.0 * 1024.0 * 1024.0 {
                return Err(self.error(
                    "memory_per_worker",
                    &field.referenced,
                    format!("{} a worker leaves its tasks nothing once Spark has reserved its 300 MiB; a worker that shuffles needs more (1 GiB at the least, 8 GiB is common)", memory.human()),
                ));
            }
        }
        let storage = self.datasets(&raw.storage, &stage_names, raw.prices.as_ref())?;
        self.unique_names(raw.storage.iter().map(|d| &d.name), "storage", "dataset")?;
        let warehouse = self.warehouse(
            raw.warehouse.as_ref(),
            &raw.stages.value,
            &raw.storage,
            &raw.queries,
        )?;

        let network = raw
            .network
            .as_ref()
            .map(|network| self.network(network, &stage_names))
            .transpose()?;

        let prices = self.prices(raw.prices.as_ref(), &storage, network.as_ref())?;
        let streaming = raw
            .streaming
            .as_ref()
            .map(|s| self.streaming(s))
            .transpose()?;
        if let (Some(stream), Some(field)) = (&streaming, &raw.schedule) {
            if !stream.hybrid && schedule.is_some() {
                return Err(self.error(
                    "schedule",
                    &field.referenced,
                    "a stream runs all the time, not on a schedule; its micro-batch is `streaming.window`. Remove `schedule:`, or make it a hybrid (`streaming: { hybrid: true }`) whose batch runs on the schedule",
                ));
            }
        }
        let runs_per_day = schedule
            .as_ref()
            .map_or(1.0, |period| units::SECONDS_PER_DAY / period.base());
        let cluster = self.cluster(
            raw.cluster.as_ref(),
            streaming.as_ref().is_some_and(|s| !s.hybrid),
            runs_per_day,
            raw.schedule.as_ref().map(|s| &s.referenced),
        )?;
        if let (Some(stream), Some(raw_stream)) = (&streaming, &raw.streaming) {
            // Every micro-batch pays the fixed costs: a window no longer
            // than them leaves no time for the events.
            let fixed: f64 = stages
                .iter()
                .filter_map(|s| s.startup.as_ref())
                .chain(run_overhead.as_ref())
                .map(|f| f.base())
                .sum();
            if fixed > 0.0 && stream.window.base() <= fixed {
                let at = raw_stream
                    .value
                    .window
                    .as_ref()
                    .map_or(&raw_stream.referenced, |w| &w.referenced);
                return Err(self.error(
                    "streaming.window",
                    at,
                    format!(
                        "a window of {} is no longer than the {} every micro-batch pays in fixed costs (run_overhead and the stages' startup), so no fleet keeps up; make the window longer than the fixed costs, or lower them",
                        stream.window.human(),
                        crate::units::human_duration(fixed)
                    ),
                ));
            }
        }

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
            run_overhead,
            cluster,
            freshness_target,
            memory_per_worker,
            worker,
            month,
            stages,
            storage,
            network,
            prices,
            volume_factor: None,
            scaling: self.scaling(raw.scaling.as_ref())?,
            quality: raw.quality.as_ref().map(|q| self.quality(q)).transpose()?,
            streaming,
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
}
