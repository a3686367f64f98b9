//! The pictures of each report, as chart data: which figures, against
//! what, with which marks. The renderers draw them (SVG in HTML, Mermaid in
//! Markdown); the tables they come from stay beside them.

use crate::model::Estimate;
use crate::report::chart::{Axis, Bar, Chart, Mark, Series};
use crate::study::projection::{GrowthAnswer, Projection, WorkersAnswer};

/// One run: the cluster's start-up and the run's overhead where the plan
/// has them, then the stages one after another with N workers, the
/// bottleneck marked, and the deadline line.
pub fn timeline(estimate: &Estimate) -> Chart {
    let time = &estimate.time;
    let mut bars = Vec::new();
    let mut start = 0.0;
    let mut push = |label: String, length: f64, highlight: bool| {
        bars.push(Bar {
            label,
            start,
            length,
            highlight,
        });
        start += length;
    };
    if let Some(startup) = time.cluster.as_ref().and_then(|c| c.startup.as_ref()) {
        push("cluster start-up".into(), startup.base(), false);
    }
    if let Some(overhead) = &time.overhead {
        push("run overhead".into(), overhead.base(), false);
    }
    for (index, stage) in time.stages.iter().enumerate() {
        push(
            stage.name.clone(),
            stage.parallel_time.base(),
            index == time.bottleneck,
        );
    }
    Chart::Timeline {
        title: format!(
            "One run with {} worker(s): {} in all",
            time.workers.base(),
            time.runs.run.human()
        ),
        bars,
        deadline: time.deadline.as_ref().map(|d| Mark {
            label: format!("deadline {}", d.human()),
            value: d.base(),
        }),
    }
}

/// What a month costs, by the bill's own lines: the same lines the cost
/// table adds up.
pub fn cost_shares(estimate: &Estimate) -> Chart {
    Chart::Shares {
        title: "Cost per month, steady state".into(),
        axis: Axis::Usd,
        parts: estimate
            .cost
            .lines()
            .iter()
            .map(|line| {
                (
                    super::cost_item_word(line.item).to_string(),
                    line.per_month.base(),
                )
            })
            .collect(),
    }
}

/// Stored bytes day by day: each dataset climbs while it fills its
/// retention, then stays (what goes out the back equals what comes in).
pub fn storage(estimate: &Estimate) -> Option<Chart> {
    let datasets = &estimate.storage.datasets;
    let longest = datasets
        .iter()
        .map(|d| d.retention_days.base())
        .fold(0.0, f64::max);
    if datasets.is_empty() || longest <= 0.0 {
        return None;
    }
    // The axis ends a quarter past the longest retention, on a multiple of
    // the days every retention is a multiple of, so a chart sampled on an
    // even grid still has a point where each curve bends.
    let step = datasets
        .iter()
        .map(|d| d.retention_days.base().round() as u64)
        .fold(0, gcd)
        .max(1) as f64;
    let end = ((longest * 1.25) / step).ceil() * step;
    let stored = |d: &crate::model::storage::DatasetStorage, day: f64| {
        d.bytes_per_day.base() * day.min(d.retention_days.base()) / d.compression_ratio.base()
    };
    // The curves bend only where a retention fills.
    let mut days: Vec<f64> = vec![0.0, end];
    days.extend(datasets.iter().map(|d| d.retention_days.base()));
    days.sort_by(f64::total_cmp);
    days.dedup();
    let mut series: Vec<Series> = datasets
        .iter()
        .map(|d| Series {
            name: d.name.clone(),
            points: days.iter().map(|day| (*day, stored(d, *day))).collect(),
            dashed: false,
        })
        .collect();
    if datasets.len() > 1 {
        series.push(Series {
            name: "all datasets".into(),
            points: days
                .iter()
                .map(|day| (*day, datasets.iter().map(|d| stored(d, *day)).sum()))
                .collect(),
            dashed: true,
        });
    }
    Some(Chart::Lines {
        title: "Stored bytes, day by day, until every retention is full".into(),
        x: Axis::Days,
        y: Axis::Bytes,
        x_title: "days since the first run".into(),
        y_title: "stored (compressed)".into(),
        series,
        x_mark: None,
        y_mark: None,
    })
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Run time against workers: the ideal T ÷ N and the scenario's model, the
/// deadline, and the fastest N.
pub fn workers(answer: &WorkersAnswer, deadline: Option<f64>) -> Chart {
    let one = answer.curve.first().map_or(0.0, |p| p.1);
    Chart::Lines {
        title: "Run time against workers".into(),
        x: Axis::Plain,
        y: Axis::Seconds,
        x_title: "workers".into(),
        y_title: "run time".into(),
        series: vec![
            Series {
                name: "this scenario".into(),
                points: answer
                    .curve
                    .iter()
                    .map(|(n, t)| (f64::from(*n), *t))
                    .collect(),
                dashed: false,
            },
            Series {
                name: "ideal: T ÷ N".into(),
                points: answer
                    .curve
                    .iter()
                    .map(|(n, _)| (f64::from(*n), one / f64::from(*n)))
                    .collect(),
                dashed: true,
            },
        ],
        x_mark: Some(Mark {
            label: format!("fastest: {}", answer.fastest),
            value: f64::from(answer.fastest),
        }),
        y_mark: deadline.map(|d| Mark {
            label: format!("deadline {}", crate::units::human_duration(d)),
            value: d,
        }),
    }
}

/// Run time against the data factor, one line per worker count.
pub fn scale(projections: &[Projection]) -> Option<Chart> {
    let mut workers: Vec<u32> = projections.iter().map(|p| p.workers).collect();
    workers.sort_unstable();
    workers.dedup();
    let series: Vec<Series> = workers
        .iter()
        .map(|n| Series {
            name: format!("{n} worker(s)"),
            points: projections
                .iter()
                .filter(|p| p.workers == *n)
                .map(|p| (p.factor, p.estimate.time.runs.run.base()))
                .collect(),
            dashed: false,
        })
        .collect();
    let deadline = projections
        .first()?
        .estimate
        .time
        .deadline
        .as_ref()
        .map(|d| d.base());
    Some(Chart::Lines {
        title: "Run time against the data's volume".into(),
        x: Axis::Plain,
        y: Axis::Seconds,
        x_title: "volume factor (× events per day)".into(),
        y_title: "run time".into(),
        series,
        x_mark: None,
        y_mark: deadline.map(|d| Mark {
            label: format!("deadline {}", crate::units::human_duration(d)),
            value: d,
        }),
    })
}

/// Run time and monthly cost year by year, the deadline across, the first
/// failing year marked.
pub fn growth(answer: &GrowthAnswer) -> Vec<Chart> {
    // Calendar years with `--from`, else years from now.
    let x = |year: u32| f64::from(year) + answer.from.map_or(0.0, f64::from);
    let x_title = if answer.from.is_some() {
        "year"
    } else {
        "years from now"
    };
    let points = |f: &dyn Fn(&Estimate) -> f64| {
        answer
            .years
            .iter()
            .map(|y| (x(y.year), f(&y.estimate)))
            .collect::<Vec<_>>()
    };
    let deadline = answer
        .years
        .first()
        .and_then(|y| y.estimate.time.deadline.as_ref())
        .map(|d| d.base());
    vec![
        Chart::Lines {
            title: "Run time by year, today's workers".into(),
            x: Axis::Year,
            y: Axis::Seconds,
            x_title: x_title.into(),
            y_title: "run time".into(),
            series: vec![Series {
                name: "run time".into(),
                points: points(&|e| e.time.runs.run.base()),
                dashed: false,
            }],
            x_mark: answer.first_failing_year.map(|year| Mark {
                label: format!("deadline first missed: {}", answer.label(year)),
                value: x(year),
            }),
            y_mark: deadline.map(|d| Mark {
                label: format!("deadline {}", crate::units::human_duration(d)),
                value: d,
            }),
        },
        Chart::Lines {
            title: "Cost per month by year".into(),
            x: Axis::Year,
            y: Axis::Usd,
            x_title: x_title.into(),
            y_title: "USD per month".into(),
            series: vec![Series {
                name: "total per month".into(),
                points: points(&|e| e.cost.total_usd_per_month.base()),
                dashed: false,
            }],
            x_mark: None,
            y_mark: None,
        },
    ]
}

/// A figure per scenario, side by side.
pub fn columns(title: &str, axis: Axis, columns: Vec<(String, f64)>) -> Chart {
    Chart::Columns {
        title: title.into(),
        axis,
        columns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lecture's timeline: bars in proportion 10:20:10:5, the deadline
    /// at 60 minutes.
    #[test]
    fn the_lecture_timeline_is_in_proportion() {
        let scenario =
            crate::parse(include_str!("../../scenarios/clickstream.yaml"), "c.yaml").unwrap();
        let Chart::Timeline { bars, deadline, .. } = timeline(&crate::estimate(&scenario)) else {
            panic!("a timeline");
        };
        let minutes: Vec<f64> = bars.iter().map(|b| b.length / 60.0).collect();
        assert_eq!(minutes, vec![10.0, 20.0, 10.0, 5.0]);
        assert_eq!(bars[2].start, 1800.0);
        assert!(bars[1].highlight);
        assert_eq!(deadline.unwrap().value, 3600.0);
    }
}
