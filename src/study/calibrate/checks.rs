//! How a calibration holds up before any target is run: the largest size
//! predicted from the other sizes alone, and whether the cost an event
//! bends across the sizes (a straight line past them is then a bound).

use anyhow::Result;
use schemars::JsonSchema;
use serde::Serialize;

use super::{fit_groups, percent_off, Source, Variant};
use crate::study::run::{Band, Group, GroupRecord, Repeats};
use crate::units::clean;

/// The largest size's runs predicted from the other sizes' alone.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Holdout {
    pub group: GroupRecord,
    /// Its whole run's time from the quiet fit, and the band to the slow fit.
    pub predicted_s: f64,
    pub interval_s: [f64; 2],
    /// The predicted against the held-out group's median, in percent.
    pub error_pct: f64,
    /// The lecture's linear rule, from the next-largest size's median.
    pub linear_rule_error_pct: Option<f64>,
}

/// How the whole run's time per event changes across the sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// About the same cost an event at every size: a straight line.
    Straight,
    /// Less an event at the larger sizes (tasks that fill up, fixed splits):
    /// a straight line from them is an upper bound past them.
    Falls,
    /// More an event at the larger sizes (spill, memory pressure): a lower
    /// bound past them.
    Rises,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Curvature {
    /// Seconds a million events between the two smallest sizes and
    /// between the two largest, on the quiet runs.
    pub lower_s_per_million_events: f64,
    pub upper_s_per_million_events: f64,
    pub shape: Shape,
    /// The largest size's quietest whole run and its events, where the
    /// upper slope extrapolates from.
    #[serde(skip)]
    pub from: (f64, f64),
}

impl Curvature {
    /// The whole run at `events` by the upper slope, from the largest size.
    pub fn extrapolate(&self, events: f64) -> f64 {
        self.from.1 + self.upper_s_per_million_events * (events - self.from.0) / 1e6
    }
}

/// The largest size's groups predicted from the other sizes (three sizes
/// or more): fitted without them, through the same model `estimate` uses.
pub(super) fn holdout(
    groups: &[Group],
    names: &[String],
    source: &Source,
) -> Result<Option<Holdout>> {
    let mut sizes: Vec<u64> = groups.iter().map(|g| g.events).collect();
    sizes.dedup();
    if sizes.len() < 3 {
        return Ok(None);
    }
    let largest = *sizes.last().expect("sizes");
    let (held, others): (Vec<Group>, Vec<Group>) =
        groups.iter().cloned().partition(|g| g.events == largest);
    let target = held.last().expect("a held-out group");
    let fitted = fit_groups(&others, names, source.clone())?;
    let whole = |variant: Variant| -> Result<f64> {
        let estimate = fitted.predict(variant, target.events, target.workers)?;
        Ok(estimate.time.runs.run.base())
    };
    let predicted = whole(Variant::QUIET)?;
    let slow = whole(Variant {
        band: Band::Slowest,
        ..Variant::QUIET
    })?;
    let measured = target.whole();
    let next = others
        .iter()
        .filter(|g| g.workers == target.workers)
        .max_by_key(|g| g.events);
    Ok(Some(Holdout {
        group: target.record(),
        predicted_s: clean(predicted),
        interval_s: [clean(predicted.min(slow)), clean(predicted.max(slow))],
        error_pct: clean(percent_off(predicted, measured.median)),
        linear_rule_error_pct: next.map(|next| {
            let scaled = next.whole().median * target.events as f64 / next.events as f64;
            clean(percent_off(scaled, measured.median))
        }),
    }))
}

/// How the whole run's cost an event changes from the smallest sizes to
/// the largest, at `workers`, on the quiet runs (three sizes or more). A
/// change within the groups' own spread is no change.
pub(super) fn curvature(groups: &[Group], workers: usize) -> Option<Curvature> {
    let at: Vec<(f64, Repeats)> = groups
        .iter()
        .filter(|g| g.workers == workers)
        .map(|g| (g.events as f64, g.whole()))
        .collect();
    if at.len() < 3 {
        return None;
    }
    let slope = |a: &(f64, Repeats), b: &(f64, Repeats)| {
        (b.1.quietest - a.1.quietest) / (b.0 - a.0).max(1.0) * 1e6
    };
    let n = at.len();
    let (lower, upper) = (slope(&at[0], &at[1]), slope(&at[n - 2], &at[n - 1]));
    // What the two slopes disagree on at the largest size, against how far
    // its runs spread: a bend inside the noise is not a bend.
    let bend = (lower - upper) * (at[n - 1].0 - at[n - 2].0) / 1e6;
    let noise = at[n - 2..]
        .iter()
        .map(|(_, r)| r.slowest - r.quietest)
        .fold(0.0, f64::max);
    let shape = if upper < lower * 0.75 && bend > noise {
        Shape::Falls
    } else if upper > lower * 1.25 && -bend > noise {
        Shape::Rises
    } else {
        Shape::Straight
    };
    Some(Curvature {
        lower_s_per_million_events: clean(lower),
        upper_s_per_million_events: clean(upper),
        shape,
        from: (at[n - 1].0, at[n - 1].1.quietest),
    })
}
