//! The summary figures under stable keys, with their kind, so one list
//! serves the JSON summary, the `scale` and `growth` columns, and the
//! deltas of `compare`.

use serde_json::{json, Value};

use crate::figure::{Fig, Working};
use crate::model::streaming::StreamingModel;
use crate::model::Estimate;
use crate::scenario::Mode;
use crate::units::{self, clean, Quantity};

#[derive(Clone, Debug, PartialEq)]
pub enum Amount {
    Count(f64),
    Bytes(f64),
    Seconds(f64),
    Usd(f64),
    Ratio(f64),
    /// A multiple, printed "1000×".
    Times(f64),
    /// A fraction, printed as a percentage.
    Share(f64),
    /// A yes/no where yes is good (the deadline is met): "yes" or "NO".
    Flag(Option<bool>),
    /// Nothing: the figure does not apply to this plan (a stream has no
    /// batch run; a batch no fleet). `null` in JSON, left out of tables.
    None,
    /// A yes/no where yes is the warning (the network is the bottleneck):
    /// "YES" or "no".
    Alarm(Option<bool>),
    Text(String),
}

impl Amount {
    pub fn human(&self) -> String {
        match self {
            Amount::Count(v) => units::human_count(*v),
            Amount::Bytes(v) => units::human_bytes(*v),
            Amount::Seconds(v) => units::human_duration(*v),
            Amount::Usd(v) => units::human_usd(*v),
            Amount::Ratio(v) => units::significant(*v, 4),
            Amount::Times(v) => format!("{}×", units::significant(*v, 4)),
            Amount::Share(v) => format!("{}%", share_digits(*v)),
            Amount::Flag(Some(true)) => "yes".into(),
            Amount::Flag(Some(false)) => "NO".into(),
            Amount::Alarm(Some(true)) => "YES".into(),
            Amount::Alarm(Some(false)) => "no".into(),
            Amount::Flag(None) | Amount::Alarm(None) | Amount::None => "—".into(),
            Amount::Text(text) => text.clone(),
        }
    }

    pub fn json(&self) -> Value {
        match self {
            Amount::Count(v) | Amount::Bytes(v) => json!(units::WholeNumber(*v)),
            Amount::Seconds(v)
            | Amount::Usd(v)
            | Amount::Ratio(v)
            | Amount::Times(v)
            | Amount::Share(v) => json!(clean(*v)),
            Amount::Flag(flag) | Amount::Alarm(flag) => json!(flag),
            Amount::None => Value::Null,
            Amount::Text(text) => json!(text),
        }
    }

    /// The yes/no behind it, for flags and alarms.
    pub fn flag(&self) -> Option<bool> {
        match self {
            Amount::Flag(flag) | Amount::Alarm(flag) => *flag,
            _ => None,
        }
    }

    /// Nothing to show: a verdict the scenario gives nothing to judge.
    pub fn is_absent(&self) -> bool {
        matches!(
            self,
            Amount::Flag(None) | Amount::Alarm(None) | Amount::None
        )
    }

    /// The number behind it, for deltas; `None` for flags and text.
    pub fn number(&self) -> Option<f64> {
        match self {
            Amount::Count(v)
            | Amount::Bytes(v)
            | Amount::Seconds(v)
            | Amount::Usd(v)
            | Amount::Ratio(v)
            | Amount::Times(v)
            | Amount::Share(v) => Some(*v),
            Amount::Flag(_) | Amount::Alarm(_) | Amount::Text(_) | Amount::None => None,
        }
    }

    /// The same kind of amount holding `value` (a delta).
    pub fn like(&self, value: f64) -> Amount {
        match self {
            Amount::Count(_) => Amount::Count(value),
            Amount::Bytes(_) => Amount::Bytes(value),
            Amount::Seconds(_) => Amount::Seconds(value),
            Amount::Usd(_) => Amount::Usd(value),
            Amount::Share(_) => Amount::Share(value),
            Amount::Times(_) => Amount::Times(value),
            _ => Amount::Ratio(value),
        }
    }
}

/// A share in percent to three significant digits, or as many more as it
/// takes not to round a share short of all (or of none) to 100% (or 0%):
/// 99.95% of runs succeeding is not 100%.
fn share_digits(share: f64) -> String {
    let percent = share * 100.0;
    let mut digits = 3;
    let mut text = units::significant(percent, digits);
    while digits < 8 {
        let shown: f64 = text.parse().unwrap_or(percent);
        let rounded_to_end = (shown == 100.0 && share != 1.0) || (shown == 0.0 && share != 0.0);
        if !rounded_to_end {
            break;
        }
        digits += 1;
        text = units::significant(percent, digits);
    }
    text
}

#[derive(Clone, Debug)]
pub struct Metric {
    pub key: &'static str,
    pub label: &'static str,
    pub amount: Amount,
    /// See [`Entry::optional`].
    pub optional: bool,
}

/// How a summary figure is written in JSON, for the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A count or a byte total: an integer below 2^53.
    Whole,
    Number,
    /// `true`, `false`, or `null` when the scenario does not say.
    Flag,
    Text,
}

/// One figure of the summary: its key, its label, how it is written, and
/// where it comes from. The list below is the only place a summary figure
/// is named.
pub struct Entry {
    pub key: &'static str,
    pub label: &'static str,
    pub shape: Shape,
    /// `null` when the scenario does not set what it needs (a deadline).
    pub nullable: bool,
    /// A figure of a term the scenario must ask for (a shuffle, a peak's
    /// backlog): tables side by side leave out its row when no column has
    /// it, so a plan without the term reads as it always did.
    pub optional: bool,
    value: fn(&Estimate) -> Amount,
}

const fn entry(
    key: &'static str,
    label: &'static str,
    shape: Shape,
    value: fn(&Estimate) -> Amount,
) -> Entry {
    Entry {
        key,
        label,
        shape,
        nullable: matches!(shape, Shape::Flag),
        optional: false,
        value,
    }
}

fn base<Q: Quantity>(fig: &Fig<Q>) -> f64 {
    fig.base()
}

/// A figure of a batch run: absent (`null`) for a pure stream, which is
/// judged by its fleet and latency instead.
fn batch(e: &Estimate, amount: impl FnOnce() -> Amount) -> Amount {
    if e.mode == Mode::Stream {
        Amount::None
    } else {
        amount()
    }
}

/// How the cluster lives, in words: what its bill assumes.
fn cluster_life(e: &Estimate) -> String {
    use crate::model::cluster::{Chosen, Life};
    let batch = e.time.cluster.as_ref().map(|c| match (c.life, c.chosen) {
        (Life::None, _) => "none: every stage runs in the warehouse".to_string(),
        (Life::KeptUp, Chosen::Cheaper) => {
            "kept up all day (starting it for each run would bill more)".to_string()
        }
        (Life::KeptUp, _) => "kept up all day".to_string(),
        (Life::PerRun, _) => {
            let each = if e.time.runs.scheduled {
                "each run"
            } else {
                "the day's run"
            };
            match &c.startup {
                Some(startup) => format!("started for {each} ({} to start)", startup.human()),
                None => format!("started for {each} (no start-up time given)"),
            }
        }
    });
    let fleet = e.streaming.as_ref().map(|s| match &s.min_workers {
        Some(minimum) => format!(
            "the stream's fleet autoscales with the rate, never below {}",
            crate::units::plural(minimum.base(), "worker")
        ),
        None => "the stream's fleet is always on, sized for the peak".to_string(),
    });
    match (batch, fleet) {
        (Some(batch), Some(fleet)) => format!("batch: {batch}; {fleet}"),
        (Some(batch), None) => batch,
        (None, Some(fleet)) => fleet,
        (None, None) => String::new(),
    }
}

fn stream(e: &Estimate, amount: impl FnOnce(&StreamingModel) -> Amount) -> Amount {
    e.streaming.as_ref().map_or(Amount::None, amount)
}

fn seconds(fig: Option<&Fig<uom::si::f64::Time>>) -> Amount {
    fig.map_or(Amount::None, |f| Amount::Seconds(f.base()))
}

/// Nullable: `null` where the scenario does not set what it needs.
/// Whether a row of a figure side by side is left out: an optional one
/// that no column has (see [`Entry::optional`]).
pub fn left_out<'a>(optional: bool, mut amounts: impl Iterator<Item = &'a Amount>) -> bool {
    optional && amounts.all(Amount::is_absent)
}

const fn nullable(entry: Entry) -> Entry {
    Entry {
        nullable: true,
        ..entry
    }
}

/// A figure only a scenario that asks for its term has (see
/// [`Entry::optional`]); `null` in JSON otherwise.
const fn optional(entry: Entry) -> Entry {
    Entry {
        nullable: true,
        optional: true,
        ..entry
    }
}

pub const SUMMARY: &[Entry] = &[
    entry("mode", "How it runs", Shape::Text, |e| {
        Amount::Text(
            match e.mode {
                Mode::Batch if e.time.runs.scheduled => "batch on a schedule",
                Mode::Batch => "daily batch",
                Mode::Stream => "stream",
                Mode::Hybrid => "hybrid: stream and daily batch",
            }
            .into(),
        )
    }),
    entry("events_per_day", "Events per day", Shape::Whole, |e| {
        Amount::Count(base(&e.flow.events_per_day))
    }),
    entry("raw_bytes_per_day", "Raw data per day", Shape::Whole, |e| {
        Amount::Bytes(base(&e.flow.raw_bytes_per_day))
    }),
    entry(
        "output_bytes_per_day",
        "Output per day",
        Shape::Whole,
        |e| Amount::Bytes(base(&e.flow.output_bytes_per_day)),
    ),
    entry(
        "reduction_ratio",
        "Reduction, raw → output",
        Shape::Number,
        |e| Amount::Times(base(&e.flow.reduction_ratio)),
    ),
    entry(
        "sequential_s",
        "Sequential time (a day, one worker)",
        Shape::Number,
        |e| Amount::Seconds(base(&e.time.sequential)),
    ),
    nullable(entry(
        "parallel_s",
        "Parallel time (a day)",
        Shape::Number,
        |e| batch(e, || Amount::Seconds(base(&e.time.parallel))),
    )),
    nullable(entry("workers", "Workers", Shape::Whole, |e| {
        batch(e, || Amount::Count(base(&e.time.workers)))
    })),
    nullable(entry(
        "fleet",
        "Stream's fleet (workers, the day's average)",
        Shape::Number,
        |e| stream(e, |s| Amount::Ratio(s.fleet.base())),
    )),
    nullable(entry(
        "efficiency",
        "Parallel efficiency",
        Shape::Number,
        |e| batch(e, || Amount::Share(base(&e.time.efficiency))),
    )),
    nullable(entry("runs_per_day", "Runs a day", Shape::Number, |e| {
        batch(e, || Amount::Ratio(base(&e.time.runs.runs_per_day)))
    })),
    nullable(entry("run_s", "Time a run", Shape::Number, |e| {
        batch(e, || Amount::Seconds(base(&e.time.runs.run)))
    })),
    entry("bottleneck_stage", "Bottleneck stage", Shape::Text, |e| {
        Amount::Text(e.time.bottleneck_name().to_string())
    }),
    nullable(entry(
        "bottleneck_s",
        "Bottleneck stage's time",
        Shape::Number,
        |e| batch(e, || Amount::Seconds(base(&e.time.bottleneck_time))),
    )),
    nullable(entry(
        "deadline_s",
        "Deadline (a run's)",
        Shape::Number,
        |e| batch(e, || seconds(e.time.deadline.as_ref())),
    )),
    entry("deadline_met", "Deadline met", Shape::Flag, |e| {
        Amount::Flag(e.time.deadline_met)
    }),
    nullable(entry(
        "slack_s",
        "Time to spare (negative: late)",
        Shape::Number,
        |e| seconds(e.time.slack.as_ref()),
    )),
    nullable(entry("latency_s", "Stream's latency", Shape::Number, |e| {
        stream(e, |s| Amount::Seconds(s.latency.base()))
    })),
    entry("latency_met", "Latency target met", Shape::Flag, |e| {
        Amount::Flag(e.streaming.as_ref().and_then(|s| s.latency_met))
    }),
    entry(
        "freshness_worst_s",
        "Freshness: oldest data when available",
        Shape::Number,
        |e| Amount::Seconds(base(&e.freshness.age.worst)),
    ),
    entry(
        "freshness_average_s",
        "Freshness: average age when available",
        Shape::Number,
        |e| Amount::Seconds(base(&e.freshness.age.average)),
    ),
    entry("freshness_met", "Freshness target met", Shape::Flag, |e| {
        Amount::Flag(e.freshness.met)
    }),
    entry(
        "peak_memory_bytes",
        "Peak memory per worker",
        Shape::Whole,
        |e| Amount::Bytes(base(&e.memory.peak)),
    ),
    entry("peak_memory_stage", "Peak memory in", Shape::Text, |e| {
        Amount::Text(e.memory.peak_stage_name().to_string())
    }),
    entry("memory_fits", "Fits a worker's memory", Shape::Flag, |e| {
        Amount::Flag(e.memory.fits())
    }),
    optional(entry(
        "shuffle_bytes_per_run",
        "Shuffled a run",
        Shape::Whole,
        |e| {
            Fig::sum(
                e.time
                    .stages
                    .iter()
                    .filter_map(|s| s.engine.as_ref()?.shuffle.as_ref()),
            )
            .map_or(Amount::None, |total| Amount::Bytes(total.base()))
        },
    )),
    optional(entry("spills", "A task spills to disk", Shape::Flag, |e| {
        Amount::Alarm(e.memory.spills)
    })),
    optional(entry(
        "stream_keeps_up",
        "Stream keeps up with its peak",
        Shape::Flag,
        |e| Amount::Flag(e.streaming.as_ref().and_then(|s| s.keeps_up)),
    )),
    optional(entry(
        "backlog_events",
        "Backlog after the peak (events)",
        Shape::Whole,
        |e| {
            stream(e, |s| {
                s.backlog
                    .as_ref()
                    .map_or(Amount::None, |b| Amount::Count(b.events.base()))
            })
        },
    )),
    optional(entry(
        "drain_s",
        "Time to drain the backlog",
        Shape::Number,
        |e| {
            stream(e, |s| {
                seconds(s.backlog.as_ref().and_then(|b| b.drain.as_ref()))
            })
        },
    )),
    optional(entry(
        "worst_age_s",
        "Oldest data after the peak",
        Shape::Number,
        |e| stream(e, |s| seconds(s.backlog.as_ref().map(|b| &b.worst_age))),
    )),
    optional(entry(
        "replay_s",
        "Replay at spare capacity",
        Shape::Number,
        |e| {
            stream(e, |s| {
                seconds(s.replay.as_ref().and_then(|r| r.time.as_ref()))
            })
        },
    )),
    entry(
        "network_bytes_per_day",
        "Network moved per day",
        Shape::Whole,
        |e| Amount::Bytes(e.network.as_ref().map_or(0.0, |n| n.bytes_per_day.base())),
    ),
    entry(
        "network_bound",
        "Network is a bottleneck",
        Shape::Flag,
        |e| Amount::Alarm(e.network.as_ref().map(|n| n.network_bound)),
    ),
    entry("cluster", "The cluster between runs", Shape::Text, |e| {
        Amount::Text(cluster_life(e))
    }),
    entry(
        "compute_usd_per_day",
        "Compute per day",
        Shape::Number,
        |e| Amount::Usd(base(&e.cost.compute_usd_per_day)),
    ),
    nullable(entry(
        "warehouse_usd_per_day",
        "Warehouse per day",
        Shape::Number,
        |e| {
            e.cost
                .warehouse_usd_per_day
                .as_ref()
                .map_or(Amount::None, |w| Amount::Usd(w.base()))
        },
    )),
    entry(
        "network_usd_per_month",
        "Network per month",
        Shape::Number,
        |e| Amount::Usd(base(&e.cost.network_usd_per_month)),
    ),
    entry(
        "storage_usd_month1",
        "Storage, month 1",
        Shape::Number,
        |e| Amount::Usd(base(&e.cost.storage_usd_month1)),
    ),
    entry(
        "storage_usd_per_month_steady",
        "Storage per month, steady",
        Shape::Number,
        |e| Amount::Usd(base(&e.cost.storage_usd_per_month_steady)),
    ),
    entry(
        "total_usd_per_month",
        "Total per month",
        Shape::Number,
        |e| Amount::Usd(base(&e.cost.total_usd_per_month)),
    ),
];

impl Entry {
    /// This figure of `estimate`.
    pub fn value(&self, estimate: &Estimate) -> Amount {
        (self.value)(estimate)
    }
}

pub fn summary(estimate: &Estimate) -> Vec<Metric> {
    SUMMARY
        .iter()
        .map(|entry| Metric {
            key: entry.key,
            label: entry.label,
            amount: entry.value(estimate),
            optional: entry.optional,
        })
        .collect()
}

/// The working behind the summary's main figures, for `--explain` on the
/// commands that show many estimates side by side.
pub fn key_working(estimate: &Estimate) -> Vec<Working> {
    let e = estimate;
    let mut lines: Vec<Working> = e.flow.volume_factor.iter().map(Fig::working).collect();
    if e.flow.volume_factor.is_some() {
        lines.push(e.flow.events_per_day.working());
    }
    lines.push(e.flow.raw_bytes_per_day.working());
    lines.extend(e.time.stages.iter().map(|s| s.time.working()));
    lines.push(e.time.sequential.working());
    for stage in &e.time.stages {
        if !e.time.lecture_rule {
            if !matches!(stage.parallel, crate::scenario::Parallel::Linear) {
                lines.push(stage.speedup.working());
            }
            lines.extend(stage.floor.iter().map(Fig::working));
            lines.push(stage.parallel_time.working());
        }
    }
    lines.push(e.time.parallel.working());
    lines.push(e.memory.peak.working());
    lines.extend(e.storage.datasets.iter().map(|d| d.usd_month1.working()));
    if let Some(network) = &e.network {
        lines.push(network.egress_usd_per_month.working());
    }
    lines.push(e.cost.compute_usd_per_day.working());
    lines.push(e.cost.total_usd_per_month.working());
    lines
}
