//! How sure an estimate is: every summary figure at the low and high ends
//! of the scenario's ranged inputs, the input that drives each headline
//! figure's spread (a tornado), and, when asked, a seeded Monte Carlo.
//!
//! Every case is the validated scenario with its ranged inputs set to the
//! case's values and its words stripped ([`Scenario::strip_working`]): the
//! YAML is read three times (likely, all low, all high, which also checks
//! every end), never once per case, and a case costs the models'
//! arithmetic only.
//!
//! The method, stated in every report:
//! - **Bounds.** With up to [`CORNER_INPUTS`] ranged inputs, each figure is
//!   computed at every corner of the ranges (each input at its low or its
//!   high end). A batch's figures are monotone in each input on its own
//!   (sums, products, quotients, maxima, ceilings), so their extremes lie at
//!   corners and the low and high are exact. A stream's latency, freshness
//!   and memory fall each time its fleet gains a worker: where the fleet
//!   steps inside the ranges they are split around the step
//!   (`corners_split_at_steps`), so the bounds hold every value the model
//!   takes. With more inputs, each
//!   figure's extreme corners are searched for: each input set to the end
//!   that moves the figure its way (from each input alone at each end), then
//!   single inputs flipped while a flip moves it further. For figures
//!   monotone in each input this finds the same corners; the bounds are
//!   never narrower than any case evaluated.
//! - **Likely.** Each input at its likely value (a range's middle, a
//!   `± PCT` value's centre).
//! - **Drivers.** For a headline figure, each input alone at its low and
//!   its high end, the others likely; its share is its swing over the sum
//!   of all swings.
//! - **Samples** (`--samples N`). Each input uniform between its ends,
//!   drawn from a seeded generator, so the same scenario gives the same
//!   percentiles.

use anyhow::{anyhow, Result};

use crate::model::summary::{summary, Amount, Entry, SUMMARY};
use crate::model::Estimate;
use crate::random::SplitMix64;
use crate::scenario::{parse_with, End, Pick, RangedInput, Scenario};

/// The most ranged inputs the search flips one at a time; past it, each
/// figure's extreme corner is each input at the end that moves it its way.
pub const FLIP_INPUTS: usize = 64;

/// The most ranged inputs whose every corner is evaluated: 2^14 cases take
/// about a quarter of a second.
pub const CORNER_INPUTS: usize = 14;

/// What to study.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--sensitivity`: ± this share on every point input a person estimates.
    pub spread: Option<f64>,
    /// `--samples N`: a Monte Carlo of this many draws.
    pub samples: Option<u32>,
    /// `--percentiles`: the Monte Carlo's percentiles (0 to 100), besides
    /// p5, p50 and p95, which are always computed; empty: those three.
    pub percentiles: Vec<f64>,
    pub seed: u64,
}

/// The percentiles a Monte Carlo always reports.
pub const DEFAULT_PERCENTILES: [f64; 3] = [5.0, 50.0, 95.0];

impl Options {
    /// The percentiles to show: as asked, else p5, p50 and p95.
    pub fn shown_percentiles(&self) -> Vec<f64> {
        if self.percentiles.is_empty() {
            DEFAULT_PERCENTILES.to_vec()
        } else {
            let mut asked = self.percentiles.clone();
            asked.sort_by(f64::total_cmp);
            asked.dedup();
            asked
        }
    }
}

/// How the bounds were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Every corner: exact for figures monotone in each input.
    Corners(usize),
    /// Every corner, and where a stream's fleet gains a whole worker inside
    /// the ranges (a step that makes its latency, freshness and memory
    /// fall), the ranges split around the step until each part holds one
    /// fleet, a part too small to split bounded with each fleet it can
    /// have: this many cases.
    Split(usize),
    /// Too many inputs for every corner: each figure's extreme corners,
    /// searched for; this many cases evaluated.
    Search(usize),
}

/// Whether a yes/no verdict holds across the ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CasesHeld {
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
    pub cases: Option<CasesHeld>,
    /// Names (the bottleneck stage): every one seen, likely first.
    pub names: Vec<String>,
    /// A term the scenario does not ask for (a shuffle, a backlog): seen
    /// in no case, and left out of the tables.
    pub absent: bool,
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
    /// The percentiles shown (`--percentiles`, else 5, 50, 95), each with
    /// its value.
    pub shown: Vec<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub struct Uncertainty {
    pub inputs: Vec<RangedInput>,
    pub method: Method,
    pub figures: Vec<FigureRange>,
    pub drivers: Vec<Drivers>,
    pub samples: Option<(u32, Vec<Percentiles>)>,
    /// Every draw's value of each numeric summary figure, in [`SUMMARY`]'s
    /// order (empty for names and verdicts): what the percentiles are of.
    pub sampled: Vec<Vec<f64>>,
}

/// One ranged input, in base units at its ends, and where it is set.
#[derive(Clone, Debug)]
struct Slot {
    key: String,
    low: f64,
    high: f64,
}

impl Slot {
    fn at(&self, end: f64) -> f64 {
        self.low + end * (self.high - self.low)
    }
}

/// The validated scenario, words stripped, ready to be estimated with its
/// ranged inputs set anywhere between their ends.
struct Cases {
    scenario: Scenario,
    slots: Vec<Slot>,
    /// The likely value of each slot (a `± PCT` centre need not be the middle).
    likely: Vec<f64>,
    /// For each input figure in the order [`Scenario::inputs_mut`] visits
    /// them, the slot that sets it: found by key once, not once a case.
    setters: Vec<Option<usize>>,
    evaluated: usize,
}

impl Cases {
    fn new(mut scenario: Scenario, slots: Vec<Slot>, likely: Vec<f64>) -> Cases {
        scenario.strip_working();
        let mut setters = Vec::new();
        scenario.inputs_mut(&mut |fig| {
            setters.push(
                fig.key()
                    .and_then(|key| slots.iter().position(|s| s.key == key)),
            );
        });
        Cases {
            scenario,
            slots,
            likely,
            setters,
            evaluated: 0,
        }
    }

    /// The summary with each slot at `values[i]`, in base units.
    fn summary(&mut self, values: &[f64]) -> Result<Vec<Amount>> {
        self.case(values, None).map(|(amounts, _)| amounts)
    }

    /// The summary with each slot at `values[i]` and, with `held`, a
    /// stream's fleet at the peak held at that many workers; and the fleet
    /// at the peak it had, for a stream.
    fn case(&mut self, values: &[f64], held: Option<f64>) -> Result<(Vec<Amount>, Option<f64>)> {
        let setters = &self.setters;
        let mut visited = 0;
        self.scenario.inputs_mut(&mut |fig| {
            if let Some(index) = setters[visited] {
                fig.set_base(values[index]);
            }
            visited += 1;
        });
        if let Some(stream) = &mut self.scenario.streaming {
            stream.fleet_at_peak_held = held;
        }
        self.evaluated += 1;
        let estimate = crate::model::checked_estimate(&self.scenario)?;
        let fleet = estimate.streaming.as_ref().map(|s| s.fleet_at_peak.base());
        Ok((
            summary(&estimate).into_iter().map(|m| m.amount).collect(),
            fleet,
        ))
    }

    fn values_at(&self, ends: &[f64]) -> Vec<f64> {
        self.slots.iter().zip(ends).map(|(s, e)| s.at(*e)).collect()
    }

    fn at_ends(&mut self, ends: &[f64]) -> Result<Vec<Amount>> {
        let values: Vec<f64> = self.slots.iter().zip(ends).map(|(s, e)| s.at(*e)).collect();
        self.summary(&values)
    }

    /// Each slot likely but `index`, at `end`.
    fn alone(&mut self, index: usize, end: f64) -> Result<Vec<Amount>> {
        let mut values = self.likely.clone();
        values[index] = self.slots[index].at(end);
        self.summary(&values)
    }
}

/// The base value of every input figure of `scenario` read from `key`.
fn input_value(scenario: &mut Scenario, key: &str) -> Option<f64> {
    let mut found = None;
    scenario.inputs_mut(&mut |fig| {
        if found.is_none() && fig.key() == Some(key) {
            found = Some(fig.base());
        }
    });
    found
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
    let read = |end: End| -> Result<Scenario> {
        let pick = Pick {
            default: end,
            spread_points: options.spread,
            ..Pick::default()
        };
        apply(parse_with(text, file, &pick)?)
    };
    let mut likely_scenario = read(End::Likely)?;
    let inputs = likely_scenario.ranged.clone();
    if inputs.is_empty() {
        return Ok(None);
    }
    let likely = crate::model::checked_estimate(&likely_scenario)?;
    let (mut lows, mut highs) = (read(End::Low)?, read(End::High)?);
    let mut slots = Vec::with_capacity(inputs.len());
    let mut likely_values = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let value = |s: &mut Scenario| {
            input_value(s, &input.key).ok_or_else(|| {
                anyhow!(
                    "the ranged input `{}` sets no figure the models read",
                    input.key
                )
            })
        };
        likely_values.push(value(&mut likely_scenario)?);
        slots.push(Slot {
            key: input.key.clone(),
            low: value(&mut lows)?,
            high: value(&mut highs)?,
        });
    }
    let mut cases = Cases::new(likely_scenario, slots, likely_values);

    // Each input alone at each end: the drivers, and the directions the
    // corner search follows.
    let mut alone: Vec<(Vec<Amount>, Vec<Amount>)> = Vec::with_capacity(inputs.len());
    for index in 0..inputs.len() {
        alone.push((cases.alone(index, 0.0)?, cases.alone(index, 1.0)?));
    }

    let k = inputs.len();
    let mut seen: Vec<Vec<Amount>> = Vec::new();
    let method = if k <= CORNER_INPUTS {
        corners_split_at_steps(&mut cases, &mut seen)?
    } else {
        for (index, _) in SUMMARY.iter().enumerate() {
            if alone.iter().all(|(l, _)| l[index].number().is_none()) {
                continue;
            }
            for wanted in [1.0, -1.0] {
                seen.extend(search_extreme(&mut cases, &alone, index, wanted)?);
            }
        }
        Method::Search(cases.evaluated)
    };
    for (low, high) in &alone {
        seen.push(low.clone());
        seen.push(high.clone());
    }

    let likely_summary = summary(&likely);
    let figures = SUMMARY
        .iter()
        .zip(&likely_summary)
        .enumerate()
        .map(|(index, (entry, metric))| {
            let values: Vec<&Amount> = std::iter::once(&metric.amount)
                .chain(seen.iter().map(|s| &s[index]))
                .collect();
            range_of(entry, &metric.amount, &values)
        })
        .collect();

    let drivers = Headline::ALL
        .iter()
        .filter_map(|headline| {
            let likely_value = headline.of(&likely)?;
            let position = SUMMARY.iter().position(|e| e.key == headline.key());
            let mut swings: Vec<Swing> = inputs
                .iter()
                .zip(&alone)
                .filter_map(|(input, (low, high))| {
                    Some(Swing {
                        input: input.key.clone(),
                        at_low: low[position?].number()?,
                        at_high: high[position?].number()?,
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

    let draws_asked = options.samples.unwrap_or(0) as usize;
    let mut sampled: Vec<Vec<f64>> = vec![Vec::with_capacity(draws_asked); SUMMARY.len()];
    let samples = match options.samples {
        Some(count) if count > 0 => {
            let mut draws = SplitMix64(options.seed);
            let mut ends = vec![0.0; k];
            for _ in 0..count {
                ends.iter_mut().for_each(|end| *end = draws.unit());
                let amounts = cases.at_ends(&ends)?;
                for (index, amount) in amounts.iter().enumerate() {
                    if let Some(number) = amount.number() {
                        sampled[index].push(number);
                    }
                }
            }
            let percentiles = SUMMARY
                .iter()
                .zip(&sampled)
                .filter(|(_, v)| v.len() == count as usize)
                .map(|(entry, v)| {
                    let mut v = v.clone();
                    v.sort_by(f64::total_cmp);
                    Percentiles {
                        key: entry.key,
                        p5: percentile(&v, 0.05),
                        p50: percentile(&v, 0.5),
                        p95: percentile(&v, 0.95),
                        shown: options
                            .shown_percentiles()
                            .into_iter()
                            .map(|p| (p, percentile(&v, p / 100.0)))
                            .collect(),
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

/// The most cases the split around a stream's fleet steps evaluates
/// before it bounds what is left with each fleet it can have.
const SPLIT_CASES: usize = 10_000;

/// A box of the ranges: each input from one end (0 to 1) to another.
type Part = Vec<(f64, f64)>;

/// Every corner of the ranges, each figure's value there kept in `seen`.
/// Every figure is monotone in each input while a stream's fleet holds the
/// same number of workers; where the fleet gains a worker inside the
/// ranges its latency, freshness and memory fall, so the ranges are split
/// around the step until each part has one fleet at all its corners (and
/// so throughout, the fleet being monotone in each input). A part too small
/// to split, or once [`SPLIT_CASES`] are spent, is bounded at its corners
/// with the fleet held at each count it can have there: wider, never
/// narrower, than what the model can take.
fn corners_split_at_steps(cases: &mut Cases, seen: &mut Vec<Vec<Amount>>) -> Result<Method> {
    let k = cases.slots.len();
    let corner = |part: &Part, mask: usize| -> Vec<f64> {
        (0..k)
            .map(|i| {
                if (mask >> i) & 1 == 1 {
                    part[i].1
                } else {
                    part[i].0
                }
            })
            .collect()
    };
    // Breadth first: when the cases run out, what is left is many small
    // parts, each bounded tightly, not one large one bounded loosely.
    let mut parts: std::collections::VecDeque<Part> = [vec![(0.0, 1.0); k]].into();
    let mut split = false;
    while let Some(part) = parts.pop_front() {
        let mut fleets: Vec<Option<f64>> = Vec::with_capacity(1 << k);
        for mask in 0..(1usize << k) {
            let values = cases.values_at(&corner(&part, mask));
            let (amounts, fleet) = cases.case(&values, None)?;
            seen.push(amounts);
            fleets.push(fleet);
        }
        let known: Vec<f64> = fleets.iter().flatten().copied().collect();
        let (least, most) = known
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), f| {
                (lo.min(*f), hi.max(*f))
            });
        if known.is_empty() || least == most {
            continue;
        }
        split = true;
        // The input whose ends change the fleet most, the widest on a tie.
        let moves = |i: usize| {
            (0..(1usize << k))
                .filter(|mask| (mask >> i) & 1 == 0)
                .map(|mask| match (fleets[mask], fleets[mask | (1 << i)]) {
                    (Some(a), Some(b)) => (a - b).abs(),
                    _ => 0.0,
                })
                .fold(0.0, f64::max)
        };
        let widest = (0..k)
            .max_by(|a, b| {
                moves(*a)
                    .total_cmp(&moves(*b))
                    .then((part[*a].1 - part[*a].0).total_cmp(&(part[*b].1 - part[*b].0)))
            })
            .expect("a ranged input");
        let (low, high) = part[widest];
        let spent = cases.evaluated + (2usize << k) > SPLIT_CASES;
        if spent || high - low < 1e-9 {
            // Bounded with each fleet the part can have, held.
            let mut fleet = least;
            while fleet <= most {
                for mask in 0..(1usize << k) {
                    let values = cases.values_at(&corner(&part, mask));
                    seen.push(cases.case(&values, Some(fleet))?.0);
                }
                fleet += 1.0;
            }
            continue;
        }
        let middle = (low + high) / 2.0;
        let mut lower = part.clone();
        lower[widest].1 = middle;
        let mut upper = part;
        upper[widest].0 = middle;
        parts.push_back(lower);
        parts.push_back(upper);
    }
    Ok(if split {
        Method::Split(seen.len())
    } else {
        Method::Corners(seen.len())
    })
}

/// The corner where summary figure `index` is largest (`wanted` 1) or
/// smallest (-1): each input at the end that moved the figure that way on
/// its own, then single inputs flipped while a flip moves it further. Every
/// case it evaluates is returned, for the bounds.
fn search_extreme(
    cases: &mut Cases,
    alone: &[(Vec<Amount>, Vec<Amount>)],
    index: usize,
    wanted: f64,
) -> Result<Vec<Vec<Amount>>> {
    let score = |amounts: &[Amount]| amounts[index].number().map(|v| v * wanted);
    let mut ends: Vec<f64> = alone
        .iter()
        .map(|(low, high)| match (score(low), score(high)) {
            (Some(l), Some(h)) if l > h => 0.0,
            _ => 1.0,
        })
        .collect();
    let mut evaluated = vec![cases.at_ends(&ends)?];
    let mut best = score(&evaluated[0]);
    // Each pass flips every input once; a figure monotone in each input
    // settles in the first, so two passes are made at most, and none past
    // [`FLIP_INPUTS`] inputs: a thousand ranged stages would otherwise take
    // minutes (each flip is an estimate of every stage), and each input's
    // own direction is already the extreme corner of a monotone figure.
    let passes = if ends.len() <= FLIP_INPUTS { 2 } else { 0 };
    for _ in 0..passes {
        let mut moved = false;
        for i in 0..ends.len() {
            ends[i] = 1.0 - ends[i];
            let amounts = cases.at_ends(&ends)?;
            let value = score(&amounts);
            if value > best {
                best = value;
                moved = true;
            } else {
                ends[i] = 1.0 - ends[i];
            }
            evaluated.push(amounts);
        }
        if !moved {
            break;
        }
    }
    Ok(evaluated)
}

/// A summary figure over every case: its least and most, or in how many
/// cases a verdict holds, or every name it takes.
fn range_of(entry: &Entry, likely: &Amount, values: &[&Amount]) -> FigureRange {
    let (key, label) = (entry.key, entry.label);
    let numbers: Vec<f64> = values.iter().filter_map(|a| a.number()).collect();
    let (low, high) = if numbers.len() == values.len() {
        let min = numbers.iter().copied().fold(f64::INFINITY, f64::min);
        let max = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (Some(likely.like(min)), Some(likely.like(max)))
    } else {
        (None, None)
    };
    let flags: Vec<bool> = values.iter().filter_map(|a| a.flag()).collect();
    let cases = (!flags.is_empty() && flags.len() == values.len()).then(|| {
        match (flags.iter().all(|f| *f), flags.iter().any(|f| *f)) {
            (true, _) => CasesHeld::All,
            (false, true) => CasesHeld::Some,
            (false, false) => CasesHeld::None,
        }
    });
    let mut names: Vec<String> = Vec::new();
    for value in values {
        if let Amount::Text(name) = value {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    FigureRange {
        key,
        label,
        likely: likely.clone(),
        low,
        high,
        cases,
        names,
        absent: crate::model::summary::left_out(entry.optional, values.iter().copied()),
    }
}

#[cfg(test)]
mod tests;
