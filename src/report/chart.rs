//! Charts as data: what a view wants drawn, with no drawing in it. HTML
//! draws them as SVG, Markdown as Mermaid; the terminal shows the tables
//! they come from.

use crate::units::{human_bytes, human_count, human_duration, human_usd, significant};

/// What the numbers on an axis are, so ticks read in their units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    Seconds,
    Bytes,
    Usd,
    Count,
    /// Workers, a factor: plain numbers.
    Plain,
    Days,
    /// A calendar year, or a year from now: a whole number, ungrouped.
    Year,
}

impl Axis {
    /// A value as a tick label reads it.
    pub fn label(self, value: f64) -> String {
        match self {
            Axis::Seconds => human_duration(value),
            Axis::Bytes => human_bytes(value),
            Axis::Usd => human_usd(value),
            Axis::Count => human_count(value),
            Axis::Plain => significant(value, 4),
            Axis::Days => format!("{} d", significant(value, 4)),
            Axis::Year => format!("{}", value.round()),
        }
    }

    /// The unit for an axis title.
    pub fn unit(self) -> &'static str {
        match self {
            Axis::Seconds => "time",
            Axis::Bytes => "bytes",
            Axis::Usd => "USD",
            Axis::Count => "count",
            Axis::Plain => "",
            Axis::Days => "days",
            Axis::Year => "year",
        }
    }

    /// Round tick values from 0 to at least `max`, about `count` of them,
    /// in steps a person reads (1, 2 or 5 of the axis's natural unit).
    pub fn ticks(self, max: f64, count: usize) -> Vec<f64> {
        if !(max.is_finite() && max > 0.0) {
            return vec![0.0, 1.0];
        }
        // Time ticks fall on whole seconds, minutes, hours or days.
        let unit = match self {
            Axis::Seconds if max >= 2.0 * 86_400.0 => 86_400.0,
            Axis::Seconds if max >= 2.0 * 3600.0 => 3600.0,
            Axis::Seconds if max >= 120.0 => 60.0,
            _ => 1.0,
        };
        let raw = max / unit / count.max(1) as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude)
            * unit;
        let mut ticks = Vec::new();
        let mut tick = 0.0;
        while tick < max + step * 0.999 {
            ticks.push(tick);
            tick += step;
        }
        ticks
    }
}

/// One bar of a timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub start: f64,
    pub length: f64,
    /// The bar the chart is about (the bottleneck).
    pub highlight: bool,
}

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// A reference line (the ideal T ÷ N), drawn dashed.
    pub dashed: bool,
}

/// A labelled value on an axis: the deadline, the optimum.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub label: String,
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// Stages one after another, with an optional deadline line.
    Timeline {
        title: String,
        bars: Vec<Bar>,
        deadline: Option<Mark>,
    },
    /// Parts of a whole (cost shares).
    Shares {
        title: String,
        axis: Axis,
        parts: Vec<(String, f64)>,
    },
    /// Values side by side (a figure per scenario, a time per stage).
    Columns {
        title: String,
        axis: Axis,
        columns: Vec<(String, f64)>,
    },
    /// Curves over an x axis, with marks across either axis.
    Lines {
        title: String,
        x: Axis,
        y: Axis,
        x_title: String,
        y_title: String,
        series: Vec<Series>,
        x_mark: Option<Mark>,
        y_mark: Option<Mark>,
    },
    /// Labelled points, one per plan: freshness against cost.
    Scatter {
        title: String,
        x: Axis,
        y: Axis,
        x_title: String,
        y_title: String,
        points: Vec<(String, f64, f64)>,
    },
}

impl Chart {
    pub fn title(&self) -> &str {
        match self {
            Chart::Timeline { title, .. }
            | Chart::Shares { title, .. }
            | Chart::Columns { title, .. }
            | Chart::Lines { title, .. }
            | Chart::Scatter { title, .. } => title,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_in_the_axis_unit() {
        // 45 min: ticks every 10 minutes.
        assert_eq!(
            Axis::Seconds.ticks(2700.0, 5),
            vec![0.0, 600.0, 1200.0, 1800.0, 2400.0, 3000.0]
        );
        assert_eq!(Axis::Usd.ticks(38.9, 4), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(Axis::Plain.ticks(0.0, 4), vec![0.0, 1.0]);
    }
}
