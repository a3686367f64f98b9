//! Time: each stage's duration, the sequential total, the parallel total
//! with N workers, the bottleneck stage, and the deadline check.
//!
//! The parallel model is the lecture's: T_parallel = T_sequential ÷ N.

use uom::si::f64::Time;

use crate::figure::Fig;
use crate::model::flow::Flow;
use crate::scenario::{Bound, Measure, Scenario, Work};
use crate::units::Count;

#[derive(Clone, Debug)]
pub struct StageTime {
    pub name: String,
    pub bound: Bound,
    pub time: Fig<Time>,
}

#[derive(Clone, Debug)]
pub struct DeadlineCheck {
    pub deadline: Fig<Time>,
    /// Deadline minus parallel time; negative when missed.
    pub slack: Fig<Time>,
    pub met: bool,
}

#[derive(Clone, Debug)]
pub struct TimeModel {
    pub stages: Vec<StageTime>,
    pub sequential: Fig<Time>,
    pub workers: Fig<Count>,
    pub parallel: Fig<Time>,
    pub bottleneck: usize,
    pub bottleneck_time: Fig<Time>,
    pub deadline: Option<DeadlineCheck>,
}

impl TimeModel {
    pub fn bottleneck_name(&self) -> &str {
        &self.stages[self.bottleneck].name
    }
}

pub fn time(scenario: &Scenario, flow: &Flow) -> TimeModel {
    let stages: Vec<StageTime> = scenario
        .stages
        .iter()
        .zip(&flow.stages)
        .map(|(stage, data)| {
            let symbol = format!("T[{}]", stage.name);
            let time = match (&stage.work, stage.measure) {
                (Work::ByteThroughput(rate), _) => (&data.bytes_in / rate).named(symbol),
                (Work::EventThroughput(rate), _) => (&data.rows_in / rate).named(symbol),
                // A duration is what the stage took at the scenario's own
                // volume; the lecture scales it linearly with the data.
                (Work::Duration(given), Measure::Bytes | Measure::Events) => {
                    match &flow.volume_factor {
                        Some(factor) => (given * factor).named(symbol),
                        None => given.alias(symbol),
                    }
                }
            };
            StageTime {
                name: stage.name.clone(),
                bound: stage.bound,
                time,
            }
        })
        .collect();
    let times: Vec<&Fig<Time>> = stages.iter().map(|s| &s.time).collect();
    let sequential = Fig::sum(times.iter().copied())
        .expect("validation guarantees a stage")
        .named("T_sequential");
    let (bottleneck, bottleneck_time) = Fig::max_of(times.iter().copied()).expect("a stage");
    let bottleneck_time = bottleneck_time.named("T_bottleneck");
    let workers = scenario.workers.clone();
    let parallel = (&sequential / &workers).named("T_parallel");
    let deadline = scenario.deadline.as_ref().map(|deadline| {
        let slack = (deadline - &parallel).named("slack");
        DeadlineCheck {
            deadline: deadline.clone(),
            met: slack.base() >= 0.0,
            slack,
        }
    });
    TimeModel {
        stages,
        sequential,
        workers,
        parallel,
        bottleneck,
        bottleneck_time,
        deadline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{close, lecture, with};
    use crate::model::flow::flow;

    fn model(scenario: &Scenario) -> TimeModel {
        time(scenario, &flow(scenario))
    }

    #[test]
    fn lecture_times_by_hand() {
        // 10 + 20 + 10 + 5 = 45 min; transform (20 min) is the bottleneck;
        // 45 min ≤ 1 h leaves 15 min of slack.
        let t = model(&lecture());
        close(t.sequential.base(), 45.0 * 60.0);
        close(t.parallel.base(), 45.0 * 60.0);
        assert_eq!(t.bottleneck_name(), "transform");
        let deadline = t.deadline.unwrap();
        assert!(deadline.met);
        close(deadline.slack.base(), 15.0 * 60.0);
    }

    #[test]
    fn workers_and_scale_follow_the_linear_rule() {
        let ten = model(&lecture().with_workers(10, "--workers").unwrap());
        close(ten.parallel.base(), 4.5 * 60.0);
        let double = model(&lecture().with_scale(2.0, "--scale").unwrap());
        close(double.sequential.base(), 90.0 * 60.0);
        let tenfold = model(&lecture().with_scale(10.0, "--scale").unwrap());
        close(tenfold.sequential.base(), 7.5 * 3600.0);
        assert!(!tenfold.deadline.unwrap().met);
    }

    #[test]
    fn throughputs_divide_the_stage_input() {
        // 5 GB at 10 MB/s = 500 s; 10M events at 20k events/s = 500 s.
        let s = with(
            "    input: bytes\n    duration: 10 min",
            "    input: bytes\n    throughput: 10 MB/s",
        );
        close(model(&s).stages[0].time.base(), 500.0);
        let s = with(
            "    input: events\n    duration: 20 min",
            "    input: events\n    throughput: 16k events/s",
        );
        // transform takes the 10M events ingest put out: 10M ÷ 16k/s = 625 s.
        close(model(&s).stages[1].time.base(), 625.0);
    }
}
