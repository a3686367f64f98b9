//! Streaming: the day's events arrive as a stream, and a fleet of
//! always-on workers keeps up with its peak.
//!
//! One worker's capacity follows from the batch model: a day's events take
//! T_sequential of one worker's time, so one worker keeps up with at most
//! events ÷ T_sequential events a second. The fleet is sized for the peak
//! with headroom, ⌈peak × (1 + headroom) ÷ capacity⌉; with autoscaling
//! (`min_workers`) it follows the average rate and never shrinks below the
//! minimum. It runs all day, so compute is the fleet × 24 h.
//!
//! Latency is the window plus the time the fleet takes to process one
//! window of peak traffic; the link must carry the peak's bytes a second.
//!
//! Hybrid (`hybrid: true`, the lecture's "batch for history, stream for
//! recent"): the stream serves the recent data within its latency, and the
//! daily batch still recomputes the day; both are paid, and each part keeps
//! its own latency.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::{Frequency, InformationRate, Time};

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::flow::Flow;
use crate::model::time::TimeModel;
use crate::model::Calendar;
use crate::scenario::Scenario;
use crate::units::{Count, Ratio, Usd};

/// A stream's fleet, cost and latency.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StreamingModel {
    /// The daily batch runs too (hybrid); its compute is paid besides.
    pub hybrid: bool,
    #[serde(rename = "average_events_per_s")]
    pub average_rate: Fig<Frequency>,
    #[serde(rename = "peak_events_per_s")]
    pub peak_rate: Fig<Frequency>,
    /// Events a second one worker keeps up with.
    #[serde(rename = "capacity_events_per_s_per_worker")]
    pub capacity_per_worker: Fig<Frequency>,
    pub workers_for_peak: Fig<Ratio>,
    pub workers_for_average: Fig<Ratio>,
    /// With autoscaling, the fewest workers the fleet shrinks to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_workers: Option<Fig<Count>>,
    /// The fleet's size, averaged over the day: the peak's, or with
    /// autoscaling the average's, never below the minimum.
    pub fleet: Fig<Ratio>,
    /// The fleet at the peak: sized for it, or its floor if that is larger.
    pub fleet_at_peak: Fig<Ratio>,
    pub compute_usd_per_day: Fig<Usd>,
    pub compute_usd_per_month: Fig<Usd>,
    /// The micro-batch or window interval: a stream's run.
    #[serde(rename = "window_s")]
    pub window: Fig<Time>,
    /// One worker's time for a window of peak traffic.
    #[serde(rename = "window_work_s")]
    pub window_work: Fig<Time>,
    /// The fleet at the peak processing one window.
    #[serde(rename = "window_processing_s")]
    pub processing: Fig<Time>,
    #[serde(rename = "latency_s")]
    pub latency: Fig<Time>,
    pub latency_met: Option<bool>,
    /// The scenario's target, for the words of a gate.
    #[serde(skip)]
    pub latency_target: Option<Fig<Time>>,
    pub peak_bytes_per_s: Fig<InformationRate>,
    /// The peak needs more than the link carries.
    pub network_bound: Option<bool>,
    pub state_usd_per_month: Option<Fig<Usd>>,
    /// A stage that runs at most k tasks at once caps the stream: k × its
    /// one-task rate, the least such stage's (`max_parallelism`).
    #[serde(
        rename = "source_capacity_events_per_s",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_capacity: Option<Fig<Frequency>>,
    /// The stage that caps it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_by: Option<String>,
    /// What the fleet at the peak processes a second, capped by its
    /// source: with a cap, a peak duration or a replay.
    #[serde(
        rename = "capacity_events_per_s",
        skip_serializing_if = "Option::is_none"
    )]
    pub capacity: Option<Fig<Frequency>>,
    /// The capacity keeps up with the peak; `null` when not worked out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keeps_up: Option<bool>,
    /// After a peak it cannot keep up with, what is queued, how long until
    /// it is gone, and the oldest data then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backlog: Option<Backlog>,
    /// Replaying `replay` days of data at the spare capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
}

/// The queue a peak leaves: its height over the capacity for its duration.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Backlog {
    #[serde(rename = "peak_duration_s")]
    pub peak_duration: Fig<Time>,
    /// Events queued at the peak's end: (peak − capacity) × its duration.
    pub events: Fig<Count>,
    /// Until the queue is gone: backlog ÷ (capacity − the average rate);
    /// `null` when the capacity is not above the average, and it never is.
    #[serde(rename = "drain_s")]
    pub drain: Option<Fig<Time>>,
    /// The oldest data at the peak's end, first in first out: the latency
    /// plus the backlog ÷ the capacity.
    #[serde(rename = "worst_age_s")]
    pub worst_age: Fig<Time>,
}

/// Days of data replayed at what the fleet has to spare.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Replay {
    #[serde(rename = "days_s")]
    pub span: Fig<Time>,
    pub events: Fig<Count>,
    /// replay events ÷ (capacity − the average rate); `null` when nothing
    /// is spare, and the replay never ends.
    #[serde(rename = "replay_s")]
    pub time: Option<Fig<Time>>,
}

/// The least rate a capped stage allows: k tasks × a task's events a
/// second, a task's rate being the day's events ÷ the stage's work.
fn source_capacity(
    scenario: &Scenario,
    flow: &Flow,
    time: &TimeModel,
) -> Option<(Fig<Frequency>, String)> {
    let capped = scenario
        .stages
        .iter()
        .zip(&time.stages)
        .filter_map(|(stage, timed)| {
            let tasks = stage.max_parallelism.as_ref()?;
            let name = &stage.name;
            let per_task =
                (&flow.events_per_day / &timed.work).named(format_args!("task_rate[{name}]"));
            Some((
                (&per_task * tasks).named(format_args!("stage_capacity[{name}]")),
                name.clone(),
            ))
        })
        .collect::<Vec<_>>();
    let (which, least) = Fig::min_of(capped.iter().map(|(f, _)| f))?;
    Some((least.named("source_capacity"), capped[which].1.clone()))
}

/// A day's work on one worker without the fixed costs, which every run
/// (here, every window) pays again; `None` when nothing is fixed.
fn day_work(time: &TimeModel) -> Option<Fig<Time>> {
    let fixed = time.fixed.as_ref()?;
    Some(
        match &time.sequential_run {
            // A hybrid's scheduled batch: each run's fixed costs, a day's runs.
            Some(run) => &(run - fixed) * &time.runs.runs_per_day,
            None => &time.sequential - fixed,
        }
        .named("T_sequential_work"),
    )
}

pub fn streaming(
    scenario: &Scenario,
    flow: &Flow,
    time: &TimeModel,
    calendar: &Calendar,
) -> Option<StreamingModel> {
    let s = scenario.streaming.as_ref()?;
    let one = Fig::constant(Ratio(1.0));
    let average_rate = (&flow.events_per_day / &calendar.day).named("rate_average");
    let peak_rate = (&average_rate * &s.peak_factor).named("rate_peak");
    // A day's events take T_sequential of one worker's time; with fixed
    // costs, only its work grows with the events, and every window (a
    // micro-batch) pays the fixed costs again out of the worker's time.
    let day_work = day_work(time);
    let capacity_per_worker = match (&time.fixed, &day_work) {
        (Some(fixed), Some(work)) => {
            let busy = (fixed / &s.window).named("fixed_share");
            let free = &Fig::constant(Ratio(1.0)) - &busy;
            (&(&flow.events_per_day / work) * &free).named("capacity_per_worker")
        }
        _ => (&flow.events_per_day / &time.sequential).named("capacity_per_worker"),
    };
    let sized = |rate: &Fig<Frequency>, name: &str| {
        let needed = (&(rate * &(&one + &s.headroom)) / &capacity_per_worker)
            .named(format_args!("{name}_exact"));
        needed.ceil_to(&one).named(name.to_string())
    };
    let workers_for_peak = sized(&peak_rate, "workers_peak");
    let workers_for_average = sized(&average_rate, "workers_average");
    let fleet = match &s.min_workers {
        Some(minimum) => Fig::max_of([&workers_for_average, &minimum.as_ratio()])
            .map(|(_, f)| f)
            .unwrap_or_else(|| workers_for_average.clone())
            .named("fleet"),
        None => workers_for_peak.alias("fleet"),
    };
    let fleet_time = (&calendar.day * &fleet).named("fleet_time_per_day");
    let compute_usd_per_day =
        (&fleet_time * &scenario.prices.compute).named("stream_compute_usd_per_day");
    let compute_usd_per_month =
        (&compute_usd_per_day * &calendar.days_per_month).named("stream_compute_usd_per_month");
    // At the peak the fleet is what it is sized for, or its floor when the
    // floor is larger: one window of peak traffic, processed by that fleet.
    let fleet_at_peak = match (&s.min_workers, s.fleet_at_peak_held) {
        // A study holding the fleet at a count, to bound what it divides.
        (_, Some(held)) => Fig::constant(Ratio(held)).named("fleet_at_peak"),
        (Some(minimum), None) => Fig::max_of([&workers_for_peak, &minimum.as_ratio()])
            .expect("two")
            .1
            .named("fleet_at_peak"),
        (None, None) => workers_for_peak.alias("fleet_at_peak"),
    };
    let window_events: Fig<Count> = (&peak_rate * &s.window).named("events_per_window");
    let day_work = day_work.unwrap_or_else(|| time.sequential.clone());
    let window_work = (&(&window_events / &flow.events_per_day) * &day_work).named("T_window_work");
    let source = source_capacity(scenario, flow, time);
    let by_fleet = &window_work / &fleet_at_peak;
    // A capped source takes a window's events at its own rate, however
    // large the fleet.
    let by_fleet = match &source {
        Some((cap, _)) => {
            let by_source = (&window_events / cap).named("T_window_source");
            Fig::max_of([&by_fleet.named("T_window_fleet"), &by_source])
                .expect("two")
                .1
        }
        None => by_fleet,
    };
    let processing = match &time.fixed {
        Some(fixed) => &by_fleet + fixed,
        None => by_fleet,
    }
    .named("T_window");
    let latency = (&s.window + &processing).named("latency");
    let worked_out = source.is_some() || s.peak_duration.is_some() || s.replay.is_some();
    let capacity = worked_out.then(|| {
        let fleet = (&capacity_per_worker * &fleet_at_peak).named("fleet_capacity");
        match &source {
            Some((cap, _)) => Fig::min_of([&fleet, cap]).expect("two").1.named("capacity"),
            None => fleet.alias("capacity"),
        }
    });
    let keeps_up = capacity.as_ref().map(|c| c.base() >= peak_rate.base());
    let backlog = match (&capacity, &s.peak_duration) {
        (Some(capacity), Some(duration)) if capacity.base() < peak_rate.base() => {
            let short = (&peak_rate - capacity).named("peak_shortfall");
            let events = (duration * &short).named("backlog");
            let spare = &(capacity - &average_rate);
            let drain = (spare.base() > 0.0)
                .then(|| (&events / &spare.clone().named("spare_capacity")).named("T_drain"));
            let worst_age = (&latency + &(&events / capacity)).named("worst_age");
            Some(Backlog {
                peak_duration: duration.clone(),
                events,
                drain,
                worst_age,
            })
        }
        _ => None,
    };
    let replay = match (&capacity, &s.replay) {
        (Some(capacity), Some(span)) => {
            let events = (span * &average_rate).named("replay_events");
            let spare = capacity - &average_rate;
            let time = (spare.base() > 0.0)
                .then(|| (&events / &spare.named("spare_capacity")).named("T_replay"));
            Some(Replay {
                span: span.clone(),
                events,
                time,
            })
        }
        _ => None,
    };
    // A peak the stream cannot keep up with is judged by the oldest data
    // it leaves, or, with no end to the peak given, fails the target.
    let latency_met = s
        .latency_target
        .as_ref()
        .map(|t| match (&backlog, keeps_up) {
            (Some(backlog), _) => backlog.worst_age.base() <= t.base(),
            (None, Some(false)) => false,
            _ => latency.base() <= t.base(),
        });
    let peak_bytes_per_s = (&peak_rate * &scenario.event_size).named("peak_bytes_per_s");
    let network_bound = scenario
        .network
        .as_ref()
        .map(|n| peak_bytes_per_s.base() > n.bandwidth.base());
    let state_usd_per_month = match (&s.state, &scenario.prices.storage) {
        (Some(state), Some(price)) => Some((state * price).named("state_usd_per_month")),
        _ => None,
    };
    Some(StreamingModel {
        hybrid: s.hybrid,
        average_rate,
        peak_rate,
        capacity_per_worker,
        workers_for_peak,
        workers_for_average,
        min_workers: s.min_workers.clone(),
        fleet,
        fleet_at_peak,
        compute_usd_per_day,
        compute_usd_per_month,
        window: s.window.clone(),
        window_work,
        processing,
        latency,
        latency_met,
        peak_bytes_per_s,
        network_bound,
        state_usd_per_month,
        latency_target: s.latency_target.clone(),
        capped_by: source.as_ref().map(|(_, name)| name.clone()),
        source_capacity: source.map(|(cap, _)| cap),
        capacity,
        keeps_up,
        backlog,
        replay,
    })
}

impl Explain for StreamingModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = vec![
            &self.average_rate,
            &self.peak_rate,
            &self.capacity_per_worker,
            &self.workers_for_peak,
            &self.workers_for_average,
            &self.fleet,
            &self.fleet_at_peak,
            &self.compute_usd_per_day,
            &self.compute_usd_per_month,
            &self.window_work,
            &self.processing,
            &self.latency,
            &self.peak_bytes_per_s,
        ];
        figures.extend(self.state_usd_per_month.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.source_capacity.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.capacity.iter().map(|f| f as &dyn AnyFig));
        if let Some(backlog) = &self.backlog {
            figures.extend([&backlog.peak_duration as &dyn AnyFig, &backlog.events]);
            figures.extend(backlog.drain.iter().map(|f| f as &dyn AnyFig));
            figures.push(&backlog.worst_age);
        }
        if let Some(replay) = &self.replay {
            figures.extend([&replay.span as &dyn AnyFig, &replay.events]);
            figures.extend(replay.time.iter().map(|f| f as &dyn AnyFig));
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use crate::model::fixtures::close;

    const STREAM: &str = "
volume:
  events_per_day: 8.64M
  event_size: 500 B
stages:
  - { name: parse, bound: cpu, input: events, throughput: 100 events/s }
streaming:
  peak_factor: 3
  headroom: 20%
  window: 10 s
  latency_target: 30 s
  state: 100 GB
network:
  bandwidth: 1 Gbps
prices:
  compute_usd_per_worker_hour: 0.10
  storage_usd_per_gb_month: 0.02
";

    #[test]
    fn a_stream_by_hand() {
        let scenario = crate::scenario::parse(STREAM, "s.yaml").unwrap();
        let s = crate::estimate(&scenario).streaming.unwrap();
        // 8.64M a day is 100 events/s on average, 300 at the peak; a worker
        // keeps up with 100 a second, so ⌈300 × 1.2 ÷ 100⌉ = 4 workers.
        close(s.average_rate.base(), 100.0);
        close(s.peak_rate.base(), 300.0);
        close(s.capacity_per_worker.base(), 100.0);
        close(s.workers_for_peak.base(), 4.0);
        close(s.workers_for_average.base(), 2.0);
        // Always on: 4 workers × 24 h × $0.10.
        close(s.compute_usd_per_day.base(), 9.6);
        // A 10 s window of peak traffic is 3000 events: 30 worker-seconds
        // on 4 workers, 7.5 s, so 17.5 s in all, within 30 s.
        close(s.latency.base(), 17.5);
        assert_eq!(s.latency_met, Some(true));
        // 300 events/s × 500 B = 150 kB/s, far below 1 Gbps.
        close(s.peak_bytes_per_s.base(), 150_000.0);
        assert_eq!(s.network_bound, Some(false));
        close(s.state_usd_per_month.unwrap().base(), 2.0);
    }

    #[test]
    fn autoscaling_follows_the_average_above_the_minimum() {
        let text = STREAM.replace("  headroom: 20%", "  headroom: 20%\n  min_workers: 3");
        let scenario = crate::scenario::parse(&text, "s.yaml").unwrap();
        let s = crate::estimate(&scenario).streaming.unwrap();
        close(s.fleet.base(), 3.0);
    }

    #[test]
    fn a_peak_below_the_average_is_refused() {
        let text = STREAM.replace("peak_factor: 3", "peak_factor: 0.5");
        let error = crate::scenario::parse(&text, "s.yaml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("puts the peak below the average"), "{error}");
        assert!(error.starts_with("s.yaml:"), "{error}");
    }

    #[test]
    fn hybrid_pays_the_stream_and_the_batch() {
        // The stream's 4 workers all day ($9.60) and the batch: 8.64M events
        // at 100/s is 24 h of one worker, billed exactly at $0.10: $2.40.
        let text = STREAM.replace("  peak_factor: 3", "  hybrid: true\n  peak_factor: 3");
        let scenario = crate::scenario::parse(&text, "s.yaml").unwrap();
        let e = crate::estimate(&scenario);
        assert!(e.streaming.as_ref().unwrap().hybrid);
        close(e.cost.compute_usd_per_day.base(), 9.6 + 2.4);
    }
}
