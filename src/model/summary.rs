//! The summary figures under stable keys, with their kind, so one list
//! serves the JSON summary, the `scale` and `growth` columns, and the
//! deltas of `compare`.

use serde_json::{json, Value};

use crate::figure::{Fig, Working};
use crate::model::Estimate;
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
            Amount::Share(v) => format!("{}%", units::significant(v * 100.0, 3)),
            Amount::Flag(Some(true)) => "yes".into(),
            Amount::Flag(Some(false)) => "NO".into(),
            Amount::Alarm(Some(true)) => "YES".into(),
            Amount::Alarm(Some(false)) => "no".into(),
            Amount::Flag(None) | Amount::Alarm(None) => "—".into(),
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
        matches!(self, Amount::Flag(None) | Amount::Alarm(None))
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
            Amount::Flag(_) | Amount::Alarm(_) | Amount::Text(_) => None,
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

#[derive(Clone, Debug)]
pub struct Metric {
    pub key: &'static str,
    pub label: &'static str,
    pub amount: Amount,
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
        value,
    }
}

fn base<Q: Quantity>(fig: &Fig<Q>) -> f64 {
    fig.base()
}

pub const SUMMARY: &[Entry] = &[
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
    entry("sequential_s", "Sequential time", Shape::Number, |e| {
        Amount::Seconds(base(&e.time.sequential))
    }),
    entry("parallel_s", "Parallel time", Shape::Number, |e| {
        Amount::Seconds(base(&e.time.parallel))
    }),
    entry("workers", "Workers", Shape::Whole, |e| {
        Amount::Count(base(&e.time.workers))
    }),
    entry("efficiency", "Parallel efficiency", Shape::Number, |e| {
        Amount::Share(base(&e.time.efficiency))
    }),
    entry("bottleneck_stage", "Bottleneck stage", Shape::Text, |e| {
        Amount::Text(e.time.bottleneck_name().to_string())
    }),
    entry(
        "bottleneck_s",
        "Bottleneck stage's time",
        Shape::Number,
        |e| Amount::Seconds(base(&e.time.bottleneck_time)),
    ),
    Entry {
        nullable: true,
        ..entry("deadline_s", "Deadline", Shape::Number, |e| {
            match &e.time.deadline {
                Some(d) => Amount::Seconds(d.base()),
                None => Amount::Flag(None),
            }
        })
    },
    entry("deadline_met", "Deadline met", Shape::Flag, |e| {
        Amount::Flag(e.time.deadline_met)
    }),
    Entry {
        nullable: true,
        ..entry(
            "slack_s",
            "Time to spare (negative: late)",
            Shape::Number,
            |e| match &e.time.slack {
                Some(slack) => Amount::Seconds(slack.base()),
                None => Amount::Flag(None),
            },
        )
    },
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
    entry(
        "compute_usd_per_day",
        "Compute per day",
        Shape::Number,
        |e| Amount::Usd(base(&e.cost.compute_usd_per_day)),
    ),
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
