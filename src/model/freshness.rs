//! Freshness: how old an event is when it becomes available, the figure the
//! lecture's "choose batch vs streaming based on latency" turns on.
//!
//! Events arrive all day, evenly. A batch collects them for a period (a day,
//! or a `schedule:`'s), waits for late data if the scenario has some
//! (`quality.late_by`, the watermark), then runs: the event that arrived
//! first waits the whole period, the average one half of it.
//!
//! - worst = period + watermark + one run's time;
//! - average = period ÷ 2 + watermark + one run's time.
//!
//! A stream collects a window (its micro-batch) instead of a period and
//! processes it with its fleet: worst = window + watermark + processing,
//! average = window ÷ 2 + watermark + processing. A hybrid's freshest data
//! is its stream's; its batch still recomputes history, shown apart.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::Time;

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::streaming::StreamingModel;
use crate::model::time::TimeModel;
use crate::scenario::Scenario;
use crate::units::Ratio;

/// The age of an event when it is available, at worst and on average.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Age {
    #[serde(rename = "worst_s")]
    pub worst: Fig<Time>,
    #[serde(rename = "average_s")]
    pub average: Fig<Time>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FreshnessModel {
    /// The freshest data the plan serves: the stream's in a stream or a
    /// hybrid, else the batch's.
    #[serde(flatten)]
    pub age: Age,
    /// `freshness_target`: the oldest an event may be when it is available.
    #[serde(rename = "target_s")]
    pub target: Option<Fig<Time>>,
    /// The worst age is within the target; `null` without one.
    pub met: Option<bool>,
    /// A hybrid's batch, which recomputes the day for history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<Age>,
}

fn age(collect: &Fig<Time>, after: &Fig<Time>, part: &str) -> Age {
    let half = Fig::constant(Ratio(2.0));
    Age {
        worst: (collect + after).named(format_args!("age_worst{part}")),
        average: (&(collect / &half) + after).named(format_args!("age_average{part}")),
    }
}

pub fn freshness(
    scenario: &Scenario,
    time: &TimeModel,
    stream: Option<&StreamingModel>,
) -> FreshnessModel {
    let watermark = scenario.quality.as_ref().and_then(|q| q.late.as_ref());
    // What comes after collecting: the watermark's wait, then the work.
    let after = |work: &Fig<Time>, name: &str| match watermark {
        Some((_, by)) => (by + work).named(name.to_string()),
        None => work.alias(name.to_string()),
    };
    let batch = || {
        age(
            &time.runs.period,
            &after(&time.runs.run, "T_after_collect"),
            "",
        )
    };
    let (headline, batch_part) = match stream {
        Some(stream) => {
            let mut streamed = age(
                &stream.window,
                &after(&stream.processing, "T_after_window"),
                "",
            );
            // A peak the stream cannot keep up with leaves older data.
            if let Some(backlog) = &stream.backlog {
                let window = streamed.worst.named("age_worst_window");
                streamed.worst = Fig::max_of([&window, &backlog.worst_age])
                    .expect("two")
                    .1
                    .named("age_worst");
            }
            let history = stream.hybrid.then(|| {
                age(
                    &time.runs.period,
                    &after(&time.runs.run, "T_after_collect[batch]"),
                    "[batch]",
                )
            });
            (streamed, history)
        }
        None => (batch(), None),
    };
    let met = scenario
        .freshness_target
        .as_ref()
        .map(|target| headline.worst.base() <= target.base());
    FreshnessModel {
        age: headline,
        target: scenario.freshness_target.clone(),
        met,
        batch: batch_part,
    }
}

impl Explain for FreshnessModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = vec![&self.age.worst, &self.age.average];
        if let Some(batch) = &self.batch {
            figures.extend([&batch.worst as &dyn AnyFig, &batch.average]);
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use crate::model::fixtures::{close, with};

    #[test]
    fn a_daily_batch_serves_data_up_to_a_day_and_a_run_old() {
        let e = crate::estimate(&crate::model::fixtures::lecture());
        // 24 h of collecting plus the 45 min run; on average 12 h + 45 min.
        close(e.freshness.age.worst.base(), 86_400.0 + 2700.0);
        close(e.freshness.age.average.base(), 43_200.0 + 2700.0);
        assert_eq!(e.freshness.met, None);
    }

    #[test]
    fn a_schedule_s_worst_is_its_period_plus_a_run_and_the_watermark() {
        // Every 5 min: 288 runs of 45 min ÷ 288 = 9.375 s; late data 2 h.
        let s = with(
            "deadline: 1 h",
            "schedule: every 5 min\ndeadline: 5 min\nfreshness_target: 5 min",
        );
        let e = crate::estimate(&s);
        close(e.freshness.age.worst.base(), 300.0 + 9.375);
        close(e.freshness.age.average.base(), 150.0 + 9.375);
        // The deadline of each run is met, but data can be older than 5 min.
        assert_eq!(e.time.deadline_met, Some(true));
        assert_eq!(e.freshness.met, Some(false));
        let late = with("prices:", "quality: { late: 1%, late_by: 2 h }\nprices:");
        let late = crate::estimate(&late);
        close(late.freshness.age.worst.base(), 86_400.0 + 7200.0 + 2700.0);
    }
}
