//! How sure an estimate is: every summary figure at the low and high ends
//! of the scenario's ranged inputs, the input that drives each headline
//! figure's spread (a tornado), and, when asked, a seeded Monte Carlo.
//!
//! The method, stated in every report:
//! - **Bounds.** Each figure is computed at every corner of the ranges (each
//!   ranged input at its low or its high end; up to [`MAX_CORNERS`]
//!   corners). Every figure pipecalc computes is monotone in each input on
//!   its own (sums, products, quotients, maxima, ceilings), so its extremes
//!   lie at corners and the low and high are exact. With more ranged inputs
//!   than the corners allow, the bounds come from all-low, all-high and each
//!   input alone at each end, and say so.
//! - **Likely.** Each input at its likely value (a range's middle, a
//!   `± PCT` value's centre).
//! - **Drivers.** For a headline figure, each input alone at its low and
//!   its high end, the others likely; its share is its swing over the sum
//!   of all swings.
//! - **Samples** (`--samples N`). Each input uniform between its ends,
//!   drawn from a seeded generator, so the same scenario gives the same
//!   percentiles.

use anyhow::Result;

use crate::model::summary::{summary, Amount, SUMMARY};
use crate::model::Estimate;
use crate::random::SplitMix64;
use crate::scenario::{parse_with, End, Pick, RangedInput, Scenario};

/// The most corners evaluated: 2^12 estimates take well under a second.
pub const MAX_CORNERS: usize = 1 << 12;

/// What to study.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--sensitivity`: ± this share on every point input a person estimates.
    pub spread: Option<f64>,
    /// `--samples N`: a Monte Carlo of this many draws.
    pub samples: Option<u32>,
    pub seed: u64,
}

/// How the bounds were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Every corner: exact for figures monotone in each input.
    Corners(usize),
    /// Too many inputs for every corner: all-low, all-high and each input alone.
    Extremes(usize),
}

/// Whether a yes/no verdict holds across the ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cases {
    All,
    Some,
    None,
}

/// One summary figure across the ranges.
#[derive(Clone, Debug)]
pub struct FigureRange {
    pub key: &'static str,
    pub label: &'static str,
    pub likely: Amount,
    /// Numbers: the least and the most over the corners.
    pub low: Option<Amount>,
    pub high: Option<Amount>,
    /// Flags: in how many cases the verdict holds (`None` when not set).
    pub cases: Option<Cases>,
    /// Names (the bottleneck stage): every one seen, likely first.
    pub names: Vec<String>,
}

/// A headline figure the drivers are ranked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Headline {
    RunTime,
    MonthlyCost,
    PeakMemory,
    DeadlineSlack,
}

impl Headline {
    pub const ALL: [Headline; 4] = [
        Headline::RunTime,
        Headline::MonthlyCost,
        Headline::PeakMemory,
        Headline::DeadlineSlack,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Headline::RunTime => "parallel_s",
            Headline::MonthlyCost => "total_usd_per_month",
            Headline::PeakMemory => "peak_memory_bytes",
            Headline::DeadlineSlack => "slack_s",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Headline::RunTime => "run time",
            Headline::MonthlyCost => "monthly cost",
            Headline::PeakMemory => "peak memory",
            Headline::DeadlineSlack => "deadline slack",
        }
    }

    /// The figure in base units; `None` when the scenario has no deadline.
    pub fn of(self, estimate: &Estimate) -> Option<f64> {
        match self {
            Headline::RunTime => Some(estimate.time.parallel.base()),
            Headline::MonthlyCost => Some(estimate.cost.total_usd_per_month.base()),
            Headline::PeakMemory => Some(estimate.memory.peak.base()),
            Headline::DeadlineSlack => estimate.time.slack.as_ref().map(|s| s.base()),
        }
    }

    /// The same kind of amount, for people.
    pub fn amount(self, value: f64) -> Amount {
        match self {
            Headline::RunTime | Headline::DeadlineSlack => Amount::Seconds(value),
            Headline::MonthlyCost => Amount::Usd(value),
            Headline::PeakMemory => Amount::Bytes(value),
        }
    }
}

/// One input's pull on a headline figure.
#[derive(Clone, Debug)]
pub struct Swing {
    pub input: String,
    /// The figure with this input at its low end, the others likely.
    pub at_low: f64,
    pub at_high: f64,
    /// |at_high − at_low| over the sum of every input's swing.
    pub share: f64,
}

/// The inputs ranked by how much of a headline figure's spread each drives.
#[derive(Clone, Debug)]
pub struct Drivers {
    pub headline: Headline,
    pub likely: f64,
    /// Largest swing first.
    pub swings: Vec<Swing>,
}

/// Percentiles of a figure over the samples.
#[derive(Clone, Debug)]
pub struct Percentiles {
    pub key: &'static str,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

#[derive(Clone, Debug)]
pub struct Uncertainty {
    pub inputs: Vec<RangedInput>,
    pub method: Method,
    pub figures: Vec<FigureRange>,
    pub drivers: Vec<Drivers>,
    pub samples: Option<(u32, Vec<Percentiles>)>,
    /// Every draw's summary, checked against the bounds in tests.
    pub sampled: Vec<Vec<Amount>>,
}

/// Estimates `text` with each range read as `pick` says, through the
/// command line's what-ifs.
fn estimate_at(
    text: &str,
    file: &str,
    pick: &Pick,
    apply: &dyn Fn(Scenario) -> Result<Scenario>,
) -> Result<Estimate> {
    let scenario = apply(parse_with(text, file, pick)?)?;
    crate::model::checked_estimate(&scenario)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = p * (sorted.len() - 1) as f64;
    let (lower, upper) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower as f64)
}

/// The study, or `None` for a scenario with no ranges (and no
/// `--sensitivity`): its estimate is exact as it stands.
pub fn study(
    text: &str,
    file: &str,
    options: &Options,
    apply: &dyn Fn(Scenario) -> Result<Scenario>,
) -> Result<Option<Uncertainty>> {
    let base_pick = Pick {
        spread_points: options.spread,
        ..Pick::default()
    };
    let base_scenario = apply(parse_with(text, file, &base_pick)?)?;
    let inputs = base_scenario.ranged.clone();
    if inputs.is_empty() {
        return Ok(None);
    }
    let likely = crate::model::checked_estimate(&base_scenario)?;
    let at = |ends: Vec<(&str, End)>, default: End| -> Result<Estimate> {
        let pick = Pick {
            default,
            overrides: ends.into_iter().map(|(k, e)| (k.to_string(), e)).collect(),
            spread_points: options.spread,
        };
        estimate_at(text, file, &pick, apply)
    };

    // Each input alone at each end: the drivers, and part of the bounds.
    let mut alone: Vec<(Estimate, Estimate)> = Vec::with_capacity(inputs.len());
    for input in &inputs {
        alone.push((
            at(vec![(&input.key, End::Low)], End::Likely)?,
            at(vec![(&input.key, End::High)], End::Likely)?,
        ));
    }

    let k = inputs.len();
    let mut corners: Vec<Estimate> = Vec::new();
    let method = if k < 63 && (1usize << k) <= MAX_CORNERS {
        for mask in 0..(1usize << k) {
            let ends = inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    let end = if mask & (1 << i) == 0 {
                        End::Low
                    } else {
                        End::High
                    };
                    (input.key.as_str(), end)
                })
                .collect();
            corners.push(at(ends, End::Likely)?);
        }
        Method::Corners(corners.len())
    } else {
        corners.push(at(Vec::new(), End::Low)?);
        corners.push(at(Vec::new(), End::High)?);
        for (low, high) in &alone {
            corners.push(low.clone());
            corners.push(high.clone());
        }
        Method::Extremes(corners.len())
    };

    let likely_summary = summary(&likely);
    let corner_summaries: Vec<Vec<Amount>> = corners
        .iter()
        .map(|e| summary(e).into_iter().map(|m| m.amount).collect())
        .collect();
    let figures = SUMMARY
        .iter()
        .zip(&likely_summary)
        .enumerate()
        .map(|(index, (entry, metric))| {
            let values: Vec<&Amount> = std::iter::once(&metric.amount)
                .chain(corner_summaries.iter().map(|s| &s[index]))
                .collect();
            let numbers: Vec<f64> = values.iter().filter_map(|a| a.number()).collect();
            let (low, high) = if numbers.len() == values.len() {
                let min = numbers.iter().copied().fold(f64::INFINITY, f64::min);
                let max = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (Some(metric.amount.like(min)), Some(metric.amount.like(max)))
            } else {
                (None, None)
            };
            let flags: Vec<bool> = values
                .iter()
                .filter_map(|a| match a {
                    Amount::Flag(Some(flag)) => Some(*flag),
                    _ => None,
                })
                .collect();
            let cases = (!flags.is_empty() && flags.len() == values.len()).then(|| {
                match (flags.iter().all(|f| *f), flags.iter().any(|f| *f)) {
                    (true, _) => Cases::All,
                    (false, true) => Cases::Some,
                    (false, false) => Cases::None,
                }
            });
            let mut names: Vec<String> = Vec::new();
            for value in &values {
                if let Amount::Text(name) = value {
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
            }
            FigureRange {
                key: entry.key,
                label: entry.label,
                likely: metric.amount.clone(),
                low,
                high,
                cases,
                names,
            }
        })
        .collect();

    let drivers = Headline::ALL
        .iter()
        .filter_map(|headline| {
            let likely_value = headline.of(&likely)?;
            let mut swings: Vec<Swing> = inputs
                .iter()
                .zip(&alone)
                .filter_map(|(input, (low, high))| {
                    Some(Swing {
                        input: input.key.clone(),
                        at_low: headline.of(low)?,
                        at_high: headline.of(high)?,
                        share: 0.0,
                    })
                })
                .collect();
            let total: f64 = swings.iter().map(|s| (s.at_high - s.at_low).abs()).sum();
            for swing in &mut swings {
                swing.share = if total > 0.0 {
                    (swing.at_high - swing.at_low).abs() / total
                } else {
                    0.0
                };
            }
            swings.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.input.cmp(&b.input)));
            Some(Drivers {
                headline: *headline,
                likely: likely_value,
                swings,
            })
        })
        .collect();

    let mut sampled = Vec::new();
    let samples = match options.samples {
        Some(count) if count > 0 => {
            let mut draws = SplitMix64(options.seed);
            let mut values: Vec<Vec<f64>> = vec![Vec::new(); SUMMARY.len()];
            for _ in 0..count {
                let ends = inputs
                    .iter()
                    .map(|input| (input.key.as_str(), End::At(draws.unit())))
                    .collect();
                let estimate = at(ends, End::Likely)?;
                let amounts: Vec<Amount> =
                    summary(&estimate).into_iter().map(|m| m.amount).collect();
                for (index, amount) in amounts.iter().enumerate() {
                    if let Some(number) = amount.number() {
                        values[index].push(number);
                    }
                }
                sampled.push(amounts);
            }
            let percentiles = SUMMARY
                .iter()
                .zip(values)
                .filter(|(_, v)| v.len() == count as usize)
                .map(|(entry, mut v)| {
                    v.sort_by(f64::total_cmp);
                    Percentiles {
                        key: entry.key,
                        p5: percentile(&v, 0.05),
                        p50: percentile(&v, 0.5),
                        p95: percentile(&v, 0.95),
                    }
                })
                .collect();
            Some((count, percentiles))
        }
        _ => None,
    };

    Ok(Some(Uncertainty {
        inputs,
        method,
        figures,
        drivers,
        samples,
        sampled,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "
volume:
  events_per_day: 1M
  event_size: SIZE
workers: 1
deadline: 1 h
stages:
  - name: read
    bound: io
    input: bytes
    throughput: RATE
  - name: work
    bound: cpu
    input: events
    duration: WORK
prices:
  compute_usd_per_worker_hour: 1.0
  billing_increment: 1 h
";

    fn scenario(size: &str, rate: &str, work: &str) -> String {
        BASE.replace("SIZE", size)
            .replace("RATE", rate)
            .replace("WORK", work)
    }

    fn run(text: &str) -> Uncertainty {
        study(text, "t.yaml", &Options::default(), &|s| Ok(s))
            .unwrap()
            .unwrap()
    }

    fn figure<'u>(u: &'u Uncertainty, key: &str) -> &'u FigureRange {
        u.figures.iter().find(|f| f.key == key).unwrap()
    }

    fn ends(f: &FigureRange) -> (f64, f64, f64) {
        (
            f.low.as_ref().unwrap().number().unwrap(),
            f.likely.number().unwrap(),
            f.high.as_ref().unwrap().number().unwrap(),
        )
    }

    #[test]
    fn a_product_and_a_division_by_hand() {
        // Raw bytes = 1M × size: a product. Read time = bytes ÷ rate: the low
        // time uses the low size and the HIGH rate.
        let u = run(&scenario("400 B..600 B", "1 MB/s..2 MB/s", "10 min"));
        assert_eq!(ends(figure(&u, "raw_bytes_per_day")), (4e8, 5e8, 6e8));
        let read = |size: f64, rate: f64| size * 1e6 / rate;
        // The sum of the two stages' times: read + 600 s.
        assert_eq!(
            ends(figure(&u, "sequential_s")),
            (
                read(400.0, 2e6) + 600.0,
                read(500.0, 1.5e6) + 600.0,
                read(600.0, 1e6) + 600.0
            )
        );
        assert_eq!(u.method, Method::Corners(4));
    }

    #[test]
    fn the_bottleneck_can_change_across_the_range() {
        // read takes 200–600 s, work 400 s: either can be the longest.
        let u = run(&scenario("200 B..600 B", "1 MB/s", "400 s"));
        let bottleneck = figure(&u, "bottleneck_stage");
        assert_eq!(bottleneck.names.len(), 2, "{:?}", bottleneck.names);
    }

    #[test]
    fn billing_increments_are_steps() {
        // 50 to 70 minutes billed by the started hour: $1 or $2 a day.
        let u = run(&scenario("500 B", "1 MB/s", "40 min..60 min"));
        let (low, _, high) = ends(figure(&u, "compute_usd_per_day"));
        assert_eq!((low, high), (1.0, 2.0));
        // And the deadline holds in some cases only.
        assert_eq!(figure(&u, "deadline_met").cases, Some(Cases::Some));
    }

    #[test]
    fn the_driver_of_the_run_time_is_named() {
        let u = run(&scenario("500 B ± 50%", "1 MB/s ± 1%", "10 min"));
        let time = u
            .drivers
            .iter()
            .find(|d| d.headline == Headline::RunTime)
            .unwrap();
        assert_eq!(time.swings[0].input, "volume.event_size");
        assert!(time.swings[0].share > 0.9);
        let total: f64 = time.swings.iter().map(|s| s.share).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_point_scenario_has_no_study_unless_asked() {
        let text = scenario("500 B", "1 MB/s", "10 min");
        assert!(study(&text, "t.yaml", &Options::default(), &|s| Ok(s))
            .unwrap()
            .is_none());
        let asked = Options {
            spread: Some(0.2),
            ..Options::default()
        };
        let u = study(&text, "t.yaml", &asked, &|s| Ok(s)).unwrap().unwrap();
        let keys: Vec<&str> = u.inputs.iter().map(|i| i.key.as_str()).collect();
        assert!(keys.contains(&"volume.event_size"), "{keys:?}");
        assert!(
            !keys.contains(&"deadline") && !keys.contains(&"workers"),
            "{keys:?}"
        );
    }

    /// For random ranges on every input of the scenario, every sample lies
    /// within the corner bounds.
    #[test]
    fn every_sample_of_random_scenarios_lies_within_the_bounds() {
        let mut draws = SplitMix64(42);
        for case in 0..25 {
            let mut pick = |low: f64, spread: f64| {
                let a = low * (0.5 + draws.unit());
                let b = a * (1.0 + spread * draws.unit());
                (a, b)
            };
            let (s0, s1) = pick(300.0, 1.0);
            let (r0, r1) = pick(1.0, 3.0);
            let (w0, w1) = pick(5.0, 4.0);
            let text = scenario(
                &format!("{s0:.3} B..{s1:.3} B"),
                &format!("{r0:.4} MB/s..{r1:.4} MB/s"),
                &format!("{w0:.3} min..{w1:.3} min"),
            );
            let options = Options {
                samples: Some(40),
                seed: case,
                ..Options::default()
            };
            let u = study(&text, "t.yaml", &options, &|s| Ok(s))
                .unwrap()
                .unwrap();
            for draw in &u.sampled {
                for (amount, figure) in draw.iter().zip(&u.figures) {
                    if let (Some(v), Some(low), Some(high)) = (
                        amount.number(),
                        figure.low.as_ref().and_then(Amount::number),
                        figure.high.as_ref().and_then(Amount::number),
                    ) {
                        let slack = 1e-9 * high.abs().max(1.0);
                        assert!(
                            v >= low - slack && v <= high + slack,
                            "case {case}: {} {v} not in {low}..{high}",
                            figure.key
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn samples_are_reproducible_and_inside_the_bounds() {
        let text = scenario("400 B..600 B", "1 MB/s..2 MB/s", "5 min..15 min");
        let options = Options {
            samples: Some(200),
            seed: 7,
            ..Options::default()
        };
        let a = study(&text, "t.yaml", &options, &|s| Ok(s))
            .unwrap()
            .unwrap();
        let b = study(&text, "t.yaml", &options, &|s| Ok(s))
            .unwrap()
            .unwrap();
        assert_eq!(a.sampled, b.sampled);
        for draw in &a.sampled {
            for (amount, figure) in draw.iter().zip(&a.figures) {
                if let (Some(v), Some(low), Some(high)) = (
                    amount.number(),
                    figure.low.as_ref().and_then(Amount::number),
                    figure.high.as_ref().and_then(Amount::number),
                ) {
                    assert!(
                        v >= low - 1e-9 * low.abs() && v <= high + 1e-9 * high.abs(),
                        "{}",
                        figure.key
                    );
                }
            }
        }
    }
}
