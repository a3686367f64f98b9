//! The models: pure functions from a [`Scenario`] to figures. Each file owns
//! one model and computes each of its figures once; later models take
//! earlier ones as inputs rather than recomputing them.

pub mod cluster;
pub mod cost;
pub mod engine;
pub mod flow;
pub mod freshness;
pub mod laws;
pub mod memory;
pub mod network;
pub mod quality;
pub mod reliability;
pub mod storage;
pub mod streaming;
pub mod summary;
pub mod time;

use uom::si::f64::Time;

use crate::figure::{AnyFig, Explain, Fig, Source};
use crate::scenario::Scenario;
use crate::units::{self, Ratio};

/// Everything `estimate` reports for one scenario.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// Batch, stream or hybrid.
    pub mode: crate::scenario::Mode,
    pub calendar: Calendar,
    pub flow: flow::Flow,
    pub time: time::TimeModel,
    pub memory: memory::MemoryModel,
    pub storage: storage::StorageModel,
    pub network: Option<network::NetworkModel>,
    pub cost: cost::CostModel,
    /// With a `reliability:` block: success rate, retries and their cost.
    pub reliability: Option<reliability::ReliabilityModel>,
    /// With a `quality:` block: what each of the data's defects costs.
    pub quality: Option<quality::QualityModel>,
    /// With a `streaming:` block: the always-on fleet and its latency.
    pub streaming: Option<streaming::StreamingModel>,
    /// How old an event is when it becomes available.
    pub freshness: freshness::FreshnessModel,
}

/// How many days a billing month has, from the scenario's `month`.
#[derive(Clone, Debug)]
pub struct Calendar {
    pub day: Fig<Time>,
    pub days_per_month: Fig<Ratio>,
}

impl Calendar {
    pub fn new(scenario: &Scenario) -> Self {
        let day = Fig::input(
            units::seconds(units::SECONDS_PER_DAY),
            "day",
            Source::Default("a day is 86 400 s; every volume is per day".into()),
        );
        let days_per_month = (&scenario.month / &day).named("days_per_month");
        Calendar {
            day,
            days_per_month,
        }
    }
}

impl Explain for Calendar {
    /// A day is a constant of the calendar, not a figure.
    fn figures(&self) -> Vec<&dyn AnyFig> {
        vec![&self.days_per_month]
    }
}

impl Explain for Estimate {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        self.models()
            .into_iter()
            .flat_map(|model| model.figures())
            .collect()
    }
}

impl Estimate {
    /// Each model's result, in the report's order.
    fn models(&self) -> Vec<&dyn Explain> {
        let mut models: Vec<&dyn Explain> = vec![
            &self.calendar,
            &self.flow,
            &self.time,
            &self.freshness,
            &self.memory,
            &self.storage,
        ];
        if let Some(network) = &self.network {
            models.push(network);
        }
        models.push(&self.cost);
        if let Some(reliability) = &self.reliability {
            models.push(reliability);
        }
        if let Some(quality) = &self.quality {
            models.push(quality);
        }
        if let Some(streaming) = &self.streaming {
            models.push(streaming);
        }
        models
    }

    /// Every figure is a finite number, and every count or byte total at
    /// most [`units::MAX_WHOLE`], or an error that names the first one that
    /// is not and the formula (so the inputs) behind it.
    pub fn check_finite(&self) -> anyhow::Result<()> {
        let out_of_bounds = |f: &&dyn AnyFig| {
            !f.base().is_finite() || (f.whole() && f.base().abs() > units::MAX_WHOLE)
        };
        // Model by model: a study checks every draw, and one list of every
        // figure, grown a draw at a time, cost a tenth of its time.
        let first = self
            .models()
            .into_iter()
            .find_map(|model| model.figures().into_iter().find(out_of_bounds));
        match first {
            None => Ok(()),
            Some(figure) => {
                // The formula and the values put in name the inputs; the
                // result itself is never printed.
                let working = figure.working();
                let steps: Vec<&str> = [working.formula.as_deref(), working.working.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                let what = if figure.base().is_finite() {
                    "would be more than 18 quintillion (1.8e19), past any count or size an estimate means"
                } else {
                    "would not be a finite number"
                };
                Err(anyhow::anyhow!(
                    "`{}` {what}: {} = {}; the inputs behind it are too large or too small for an estimate",
                    working.symbol,
                    working.symbol,
                    steps.join(" = ")
                ))
            }
        }
    }
}

/// [`estimate`], refused when some figure would not be a finite number:
/// what every command and study calls, so no output holds inf or NaN.
pub fn checked_estimate(scenario: &Scenario) -> anyhow::Result<Estimate> {
    let estimate = estimate(scenario);
    estimate.check_finite()?;
    Ok(estimate)
}

pub fn estimate(scenario: &Scenario) -> Estimate {
    let calendar = Calendar::new(scenario);
    let flow = flow::flow(scenario);
    let time = time::time(scenario, &flow);
    let streaming = streaming::streaming(scenario, &flow, &time, &calendar);
    let memory = memory::memory(scenario, &flow, &time, streaming.as_ref());
    let storage = storage::storage(scenario, &flow, &calendar);
    let network = network::network(scenario, &flow, &time, streaming.as_ref(), &calendar);
    let cost = cost::cost(
        scenario,
        &time,
        &storage,
        network.as_ref(),
        streaming.as_ref(),
        &flow,
        &calendar,
    );
    let reliability = reliability::reliability(scenario, &time, streaming.as_ref(), &calendar);
    let quality = quality::quality(scenario, &flow, &time, streaming.as_ref(), &calendar);
    let freshness = freshness::freshness(scenario, &time, streaming.as_ref());
    Estimate {
        mode: scenario.mode(),
        freshness,
        calendar,
        flow,
        time,
        memory,
        storage,
        network,
        cost,
        reliability,
        quality,
        streaming,
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::lecture;

    #[test]
    fn a_count_or_size_past_what_json_holds_as_an_integer_is_refused_by_name() {
        // 10^7 × the lecture: 50 PB of raw data a day, 4.5 EB kept.
        let big = lecture().with_scale(1e7, "--scale").unwrap();
        assert!(super::checked_estimate(&big).is_ok());
        // 10^10 ×: 50 EB a day, past 1.8e19 bytes.
        let bigger = lecture().with_scale(1e10, "--scale").unwrap();
        let error = super::checked_estimate(&bigger).unwrap_err().to_string();
        assert!(
            error.starts_with("`raw_bytes_per_day` would be more than"),
            "{error}"
        );
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use crate::scenario::{parse, Scenario};

    /// The lecture's running example, written out in the test so the
    /// models' unit tests do not depend on the bundled file.
    pub const LECTURE: &str = "
name: lecture
volume:
  events_per_day: 10M
  event_size: 500 B
workers: 1
deadline: 1 h
memory_per_worker: 8 GB
stages:
  - name: ingest
    bound: io
    input: bytes
    duration: 10 min
  - name: transform
    bound: cpu
    input: events
    duration: 20 min
    output: { keep: 0.8, row_size: 250 B }
    working_set: output
  - name: aggregate
    bound: cpu
    input: events
    duration: 10 min
    output: { rows: 50K, row_size: 100 B }
    working_set: output
  - name: load
    bound: io
    input: bytes
    duration: 5 min
storage:
  - { name: raw, of: ingest.output, retention: 90 days }
  - { name: processed, of: load.output, retention: 365 days }
network:
  bandwidth: 1 Gbps
  transfers:
    - { name: from source, of: ingest.input, direction: egress }
    - { name: to warehouse, of: load.output, direction: ingress }
prices:
  compute_usd_per_worker_hour: 0.50
  billing_increment: 1 h
  storage_usd_per_gb_month: 0.023
  egress_usd_per_gb: 0.09
";

    pub fn lecture() -> Scenario {
        parse(LECTURE, "lecture.yaml").expect("the lecture fixture is valid")
    }

    pub fn with(replace: &str, by: &str) -> Scenario {
        assert!(LECTURE.contains(replace), "fixture has no `{replace}`");
        parse(&LECTURE.replace(replace, by), "lecture.yaml").expect("valid variant")
    }

    /// Asserts `actual` is `expected` to nine significant digits.
    pub fn close(actual: f64, expected: f64) {
        let tolerance = expected.abs().max(1e-12) * 1e-9;
        assert!(
            (actual - expected).abs() <= tolerance,
            "expected {expected}, got {actual}"
        );
    }
}
