//! Time: each stage's duration, the sequential total, the parallel total
//! with N workers, the bottleneck stage, and the deadline check.
//!
//! Parallel time is the lecture's rule, T_parallel = T_sequential ÷ N,
//! unless a stage says otherwise: Amdahl's law (a serial fraction), the
//! Universal Scalability Law (contention and coherency, where more workers
//! can be slower), or a shared resource (a link, a disk) that caps a stage
//! whatever N is.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use uom::si::f64::{InformationRate, Time};

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::flow::Flow;
use crate::scenario::{Bound, Mode, Parallel, Scenario, Shares, Work};
use crate::units::{clean, Count, Ratio};

/// A stage's time with one worker and with N.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageTime {
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub bound: Bound,
    /// With one worker.
    #[serde(rename = "time_s")]
    pub time: Fig<Time>,
    /// The part of it that grows with the data and shrinks with workers:
    /// all of it, unless the stage has a `startup`.
    #[serde(skip)]
    pub work: Fig<Time>,
    /// What every run of the stage pays whatever its data and workers.
    #[serde(rename = "startup_s", skip_serializing_if = "Option::is_none")]
    pub startup: Option<Fig<Time>>,
    /// How the stage speeds up with workers.
    pub parallel: Parallel,
    /// With N workers.
    #[serde(rename = "parallel_s")]
    pub parallel_time: Fig<Time>,
    /// What stops the stage going faster, when a shared resource does.
    pub limited_by: Option<Limit>,
    /// S(N): how many times faster N workers are than one.
    pub speedup: Fig<Ratio>,
    /// The least time the shared resource allows, whatever N is.
    #[serde(rename = "floor_s", skip_serializing_if = "Option::is_none")]
    pub floor: Option<Fig<Time>>,
    /// The resource every worker shares, when the stage has one.
    #[serde(skip)]
    pub shares: Option<Shares>,
    /// The workers its tasks use: N, or fewer when `max_parallelism` is.
    #[serde(rename = "workers_used", skip_serializing_if = "Option::is_none")]
    pub workers_used: Option<Fig<Count>>,
    /// What a real cluster adds: a join, a shuffle, spill, skew.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<super::engine::EngineTerms>,
}

impl StageTime {
    /// The parallel model as reports name it: "linear", "Amdahl s=0.1,
    /// link-capped".
    pub fn model_label(&self) -> String {
        match &self.shares {
            Some(Shares::Network) => format!("{}, link-capped", self.parallel.label()),
            Some(Shares::Rate(_)) => format!("{}, capped", self.parallel.label()),
            Some(Shares::Card) | None => self.parallel.label(),
        }
    }
}

/// A shared resource that holds a stage at its floor, whatever N is.
/// Views word it; the model only says which resource and its rate.
#[derive(Clone, Debug, PartialEq)]
pub enum Limit {
    /// The scenario's network link, at this rate.
    Link(InformationRate),
    /// Another shared resource (`shares: <rate>`), at this rate.
    Shared(InformationRate),
}

/// Which shared resource holds a stage back.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// The scenario's network link, shared by every worker.
    NetworkLink,
    /// A stage's own `shares:` throughput.
    Shared,
}

/// A [`Limit`] as JSON writes it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LimitedBy {
    pub resource: Resource,
    pub bytes_per_s: f64,
}

impl Limit {
    pub fn record(&self) -> LimitedBy {
        let (resource, rate) = match self {
            Limit::Link(rate) => (Resource::NetworkLink, rate),
            Limit::Shared(rate) => (Resource::Shared, rate),
        };
        LimitedBy {
            resource,
            bytes_per_s: clean(rate.value),
        }
    }
}

impl Serialize for Limit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.record().serialize(serializer)
    }
}

impl JsonSchema for Limit {
    fn schema_name() -> Cow<'static, str> {
        LimitedBy::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        LimitedBy::json_schema(generator)
    }
}

/// The runs of a batch: one a day, or with `schedule:` a day's work split
/// into runs every period.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Runs {
    #[serde(rename = "period_s")]
    pub period: Fig<Time>,
    /// Runs a day, on average: a period that does not divide the day puts
    /// its runs at other times each day (`every 7 min` is 205.7 runs a day,
    /// 1,440 a week), and each run is billed whole.
    pub runs_per_day: Fig<Ratio>,
    /// One run's time with N workers: its share of the day's data through
    /// every stage, plus what every run pays whatever its data (the
    /// stages' startups, the run's overhead, the cluster's start-up).
    #[serde(rename = "run_s")]
    pub run: Fig<Time>,
    /// A run takes longer than the period: the next starts before it ends.
    pub piles_up: bool,
    /// Set by `schedule:`; otherwise one run a day.
    #[serde(skip)]
    pub scheduled: bool,
}

impl Runs {
    /// One run a day, as without a `schedule:`.
    pub fn is_daily(&self) -> bool {
        !self.scheduled
    }
}

/// Time: the stages', a run's with N workers, the day's, and the deadline.
///
/// One meaning of a run: each stage's times are one run's (a schedule's
/// run holds its share of the day's data; a daily batch's run is the day),
/// the bottleneck is a run's slowest stage, and a day's figures are its
/// runs' together: `parallel = runs a day × run`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TimeModel {
    /// One run's, listed per stage in the document's `stages`.
    #[serde(skip)]
    pub stages: Vec<StageTime>,
    /// With `schedule:`: the period, the runs a day, one run's time, and
    /// whether runs pile up (a run longer than the period). A daily batch
    /// has its one run a day here too, not written to the JSON.
    #[serde(rename = "schedule", skip_serializing_if = "Runs::is_daily")]
    #[schemars(with = "Option<Runs>")]
    pub runs: Runs,
    /// A day's time on one worker: every run's, each with its fixed costs.
    #[serde(rename = "sequential_s")]
    pub sequential: Fig<Time>,
    /// One run's time on one worker, on a schedule (a daily batch's is the
    /// day's, `sequential_s`).
    #[serde(rename = "sequential_run_s", skip_serializing_if = "Option::is_none")]
    pub sequential_run: Option<Fig<Time>>,
    /// What every run pays besides its stages (`run_overhead:`).
    #[serde(rename = "run_overhead_s", skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Fig<Time>>,
    /// Every fixed cost of a run: the stages' startups, the run's overhead
    /// and the cluster's start-up when it is started for each run, paid
    /// again by each run of a schedule or micro-batch.
    #[serde(rename = "fixed_s", skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Fig<Time>>,
    /// The fixed costs' share of a run's time: what more workers cannot
    /// shorten.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_share: Option<Fig<Ratio>>,
    pub workers: Fig<Count>,
    /// A day's time with N workers: the runs a day × one run's time.
    #[serde(rename = "parallel_s")]
    pub parallel: Fig<Time>,
    /// The batch's cluster: started for each run or kept up, and billed so;
    /// `null` for a stream, whose fleet is always on.
    pub cluster: Option<super::cluster::ClusterModel>,
    /// The stage that takes longest in a run with N workers.
    pub bottleneck_stage: String,
    /// The bottleneck stage's time in one run: never more than the run.
    #[serde(rename = "bottleneck_s")]
    pub bottleneck_time: Fig<Time>,
    #[serde(rename = "deadline_s")]
    pub deadline: Option<Fig<Time>>,
    /// The deadline minus one run's time; negative when missed.
    #[serde(rename = "slack_s")]
    pub slack: Option<Fig<Time>>,
    pub deadline_met: Option<bool>,
    /// T_sequential ÷ T_parallel.
    pub speedup: Fig<Ratio>,
    /// Speed-up ÷ N: 100% under the linear rule.
    pub efficiency: Fig<Ratio>,
    /// Index of the bottleneck stage.
    #[serde(skip)]
    pub bottleneck: usize,
    /// Every stage linear and no shared resource binding: the lecture's rule.
    #[serde(skip)]
    pub lecture_rule: bool,
}

impl TimeModel {
    pub fn bottleneck_name(&self) -> &str {
        &self.bottleneck_stage
    }
}

/// S(N) for one stage, written out as the model's formula.
fn speedup(parallel: &Parallel, workers: &Fig<Count>, stage: &str) -> Fig<Ratio> {
    let n = workers.as_ratio();
    let one = Fig::constant(Ratio(1.0));
    match parallel {
        Parallel::Linear => n,
        Parallel::Amdahl { serial_fraction: s } => {
            let parallel_part = &(&one - s) / &n;
            (&one / &(s + &parallel_part)).named(format_args!("S[{stage}]"))
        }
        Parallel::Usl {
            contention,
            coherency,
        } => {
            let others = &n - &one;
            let queueing = contention * &others;
            let crosstalk = &(coherency * &n) * &others;
            let denominator = &(&one + &queueing) + &crosstalk;
            (&n / &denominator).named(format_args!("S[{stage}]"))
        }
    }
}

/// The runs a day: `None` for one run a day, else the schedule's runs and
/// each run's share of the day's data.
struct Schedule {
    period: Fig<Time>,
    runs_per_day: Option<Fig<Ratio>>,
}

impl Schedule {
    fn of(scenario: &Scenario, day: &Fig<Time>) -> Schedule {
        match &scenario.schedule {
            Some(period) => Schedule {
                runs_per_day: Some((day / period).named("runs_per_day")),
                period: period.clone(),
            },
            None => Schedule {
                period: Fig::input(
                    crate::units::seconds(crate::units::SECONDS_PER_DAY),
                    "period",
                    crate::figure::Source::Default("one run a day".into()),
                ),
                runs_per_day: None,
            },
        }
    }

    /// A run's share of a day's `amount`: all of it on a daily batch.
    fn per_run<Q: crate::units::Quantity>(&self, amount: &Fig<Q>, symbol: &str) -> Fig<Q>
    where
        for<'a> &'a Fig<Q>: std::ops::Div<&'a Fig<Ratio>, Output = Fig<Q>>,
    {
        match &self.runs_per_day {
            Some(runs) => (amount / runs).named(symbol.to_string()),
            None => amount.clone(),
        }
    }

    /// A day of `per_run`: itself on a daily batch.
    fn per_day(&self, per_run: &Fig<Time>, symbol: &str) -> Fig<Time> {
        match &self.runs_per_day {
            Some(runs) => (per_run * runs).named(symbol.to_string()),
            None => per_run.clone(),
        }
    }
}

/// One stage's times in a run: its data is the run's share of the day's.
fn stage_time(
    scenario: &Scenario,
    stage: &crate::scenario::Stage,
    data: &crate::model::flow::StageFlow,
    flow: &Flow,
    schedule: &Schedule,
    workers: &Fig<Count>,
) -> StageTime {
    let name = &stage.name;
    let link = scenario.network.as_ref().map(|n| &n.bandwidth);
    let bytes_in = schedule.per_run(&data.bytes_in, &format!("bytes_in_run[{name}]"));
    // Each worker's own card is not a floor: it is the engine's network
    // term, which falls as workers are added.
    let floor = stage.shares.as_ref().and_then(|shares| {
        let rate = match shares {
            Shares::Network => link.expect("validation requires a network to share"),
            Shares::Rate(rate) => rate,
            Shares::Card => return None,
        };
        Some((&bytes_in / rate).named(format_args!("T_floor[{name}]")))
    });
    let unshared = match &stage.work {
        Work::ByteThroughput(rate) => &bytes_in / rate,
        Work::EventThroughput(rate) => {
            &schedule.per_run(&data.rows_in, &format!("rows_in_run[{name}]")) / rate
        }
        // A duration is what the stage took on the scenario's own day of
        // data; the lecture scales it linearly with the data, and a run
        // takes its share of it.
        Work::StartupOnly => Fig::constant(Time::new::<uom::si::time::second>(0.0))
            .named(format_args!("T_work[{name}]")),
        Work::Duration(given) => {
            let day = match &flow.volume_factor {
                Some(factor) => given * factor,
                None => given.alias(format_args!("T[{name}]")),
            };
            match &schedule.runs_per_day {
                Some(runs) => &day.named(format_args!("T_day[{name}]")) / runs,
                None => day,
            }
        }
    };
    let unshared = super::engine::joined_work(stage, unshared, &bytes_in);
    // Capped by a shared resource, the work's own time has a name of its
    // own, so `T[…] = max(T_work[…], T_floor[…])`.
    let unshared = match &floor {
        Some(_) => unshared.named(format_args!("T_work[{name}]")),
        None => unshared,
    };
    // One worker is capped by a shared resource too. With a startup, this
    // is the stage's variable part, and its time adds the startup.
    let work = match &floor {
        Some(floor) => Fig::max_of([&unshared, floor]).expect("two").1,
        None => unshared,
    };
    let (work, time) = match &stage.startup {
        Some(startup) => {
            let work = work.named(format_args!("T_var[{name}]"));
            let time = (&work + startup).named(format_args!("T[{name}]"));
            (work, time)
        }
        None => {
            let time = work.named(format_args!("T[{name}]"));
            (time.clone(), time)
        }
    };
    // A stage in the warehouse runs at the warehouse's own rate: the
    // cluster's workers do not divide it.
    // A stage that runs at most k tasks at once (a single-threaded
    // source) uses at most k workers, whatever N is.
    let workers_used = stage
        .max_parallelism
        .as_ref()
        .filter(|k| k.base() < workers.base())
        .map(|k| k.alias(format_args!("N_used[{name}]")));
    let used = workers_used.as_ref().unwrap_or(workers);
    let speedup = if stage.in_warehouse {
        Fig::constant(Ratio(1.0)).named(format_args!("S[{name}]"))
    } else {
        speedup(&stage.parallel, used, name)
    };
    let modelled = match (&stage.parallel, stage.in_warehouse) {
        (_, true) => work.clone(),
        (Parallel::Linear, false) => &work / used,
        _ => &work / &speedup,
    };
    let engine = if stage.in_warehouse {
        None
    } else {
        // An aggregation that combines before its shuffle moves its output.
        let bytes_out = match &stage.shuffle {
            Some(shuffle) if shuffle.combine => {
                schedule.per_run(&data.bytes_out, &format!("bytes_out_run[{name}]"))
            }
            _ => bytes_in.clone(),
        };
        super::engine::terms(scenario, stage, &bytes_in, &bytes_out, used, &modelled)
    };
    let modelled = match &engine {
        Some(engine) => engine.time.clone(),
        None => modelled,
    };
    let (parallel, limited_by) = match &floor {
        Some(floor) => {
            let (which, longest) = Fig::max_of([&modelled, floor]).expect("two");
            let held = which == 1 && floor.base() > modelled.base();
            let limited_by = match &stage.shares {
                Some(Shares::Network) => link.map(|link| Limit::Link(link.value)),
                Some(Shares::Rate(rate)) => Some(Limit::Shared(rate.value)),
                Some(Shares::Card) | None => None,
            }
            .filter(|_| held);
            (longest, limited_by)
        }
        None => (modelled, None),
    };
    let parallel = match &stage.startup {
        Some(startup) => &parallel.named(format_args!("T_var_par[{name}]")) + startup,
        None => parallel,
    };
    StageTime {
        name: name.clone(),
        bound: stage.bound,
        time,
        work,
        startup: stage.startup.clone(),
        parallel: stage.parallel.clone(),
        parallel_time: parallel.named(format_args!("T_par[{name}]")),
        limited_by,
        speedup,
        floor,
        shares: stage.shares.clone(),
        workers_used,
        engine,
    }
}

pub fn time(scenario: &Scenario, flow: &Flow) -> TimeModel {
    let workers = scenario.workers.clone();
    let day = Fig::input(
        crate::units::seconds(crate::units::SECONDS_PER_DAY),
        "day",
        crate::figure::Source::Default("a day is 86 400 s".into()),
    );
    let schedule = Schedule::of(scenario, &day);
    let scheduled = schedule.runs_per_day.is_some();
    let stages: Vec<StageTime> = scenario
        .stages
        .iter()
        .zip(&flow.stages)
        .map(|(stage, data)| stage_time(scenario, stage, data, flow, &schedule, &workers))
        .collect();
    let overhead = scenario.run_overhead.clone();
    let plus_overhead = |total: Fig<Time>| match &overhead {
        Some(overhead) => &total + overhead,
        None => total,
    };
    // The cluster: a stream's fleet is always on and is its own model; a
    // batch's (a hybrid's batch too) is started for each run or kept up.
    let stream = scenario.mode() == Mode::Stream;
    let any_in_warehouse = scenario.stages.iter().any(|s| s.in_warehouse);
    // T ÷ N is the lecture's rule only where every stage is linear on the
    // cluster and nothing is fixed: a startup does not shrink with workers.
    let linear = scenario
        .stages
        .iter()
        .all(|s| matches!(s.parallel, Parallel::Linear))
        && stages
            .iter()
            .all(|s| s.limited_by.is_none() && s.engine.is_none() && s.workers_used.is_none())
        && !any_in_warehouse;
    let stage_total =
        Fig::sum(stages.iter().map(|s| &s.time)).expect("validation guarantees a stage");
    let sequential_stages = plus_overhead(stage_total);
    // A run's stages with N workers, before its fixed costs.
    let lecture_like = linear && overhead.is_none() && stages.iter().all(|s| s.startup.is_none());
    let parallel_stages = if lecture_like {
        (&sequential_stages.clone().named(if scheduled {
            "T_sequential_run"
        } else {
            "T_sequential"
        }) / &workers)
            .named(if scheduled { "T_run" } else { "T_parallel" })
    } else {
        Fig::sum(stages.iter().map(|s| &s.parallel_time)).expect("a stage")
    };
    let cluster = (!stream).then(|| {
        let on_cluster = Fig::sum(
            scenario
                .stages
                .iter()
                .zip(&stages)
                .filter(|(stage, _)| !stage.in_warehouse)
                .map(|(_, s)| &s.parallel_time),
        );
        super::cluster::cluster(scenario, on_cluster, schedule.runs_per_day.as_ref(), &day)
    });
    let cluster_startup = cluster.as_ref().and_then(|c| c.startup.clone());
    let fixed = Fig::sum(
        stages
            .iter()
            .filter_map(|s| s.startup.as_ref())
            .chain(overhead.as_ref())
            .chain(cluster_startup.as_ref()),
    )
    .map(|fixed| fixed.named("T_fixed"));
    let lecture_rule = lecture_like && fixed.is_none();
    // One run: with one worker, then with N.
    let with_startup = |total: Fig<Time>| match &cluster_startup {
        Some(startup) => &total + startup,
        None => total,
    };
    let sequential_run = with_startup(sequential_stages.clone());
    let run = if lecture_rule {
        parallel_stages.clone()
    } else {
        with_startup(plus_overhead(parallel_stages.clone()))
    }
    .named(if scheduled { "T_run" } else { "T_parallel" });
    let (sequential, sequential_run) = match &schedule.runs_per_day {
        Some(runs) => {
            let run_one = sequential_run.named("T_sequential_run");
            ((&run_one * runs).named("T_sequential"), Some(run_one))
        }
        None => (sequential_run.named("T_sequential"), None),
    };
    let parallel = schedule.per_day(&run, "T_parallel");
    // One definition, whatever the models: the bottleneck is the stage
    // that takes longest in one run with the scenario's N workers, so it
    // never exceeds the run. Under the lecture's rule every stage divides
    // by the same N, so it is the lecture's max(T_ingest, …) ÷ N, and with
    // one worker just max(T_ingest, …).
    let (bottleneck, bottleneck_time) = if lecture_rule {
        let (which, longest) = Fig::max_of(stages.iter().map(|s| &s.time)).expect("a stage");
        if workers.base() == 1.0 {
            (which, longest)
        } else {
            (which, &longest / &workers)
        }
    } else {
        Fig::max_of(stages.iter().map(|s| &s.parallel_time)).expect("a stage")
    };
    let speedup = (&sequential / &parallel).named("speedup");
    let efficiency = (&speedup / &workers.as_ratio()).named("efficiency");
    let fixed_share = fixed
        .as_ref()
        .filter(|_| run.base() > 0.0)
        .map(|fixed| (fixed / &run).named("fixed_share"));
    let runs = Runs {
        piles_up: run.base() > schedule.period.base(),
        runs_per_day: schedule.runs_per_day.clone().unwrap_or_else(|| {
            Fig::input(
                Ratio(1.0),
                "runs_per_day",
                crate::figure::Source::Default("one run a day".into()),
            )
        }),
        period: schedule.period,
        run: if scheduled {
            run.clone()
        } else {
            run.alias("T_run")
        },
        scheduled,
    };
    // The deadline is each run's: a day's on a daily batch. A stream has no
    // batch run to hold to it; it is judged by its latency target.
    let slack = scenario
        .deadline
        .as_ref()
        .filter(|_| !stream)
        .map(|deadline| (deadline - &runs.run).named("slack"));
    TimeModel {
        bottleneck_stage: stages[bottleneck].name.clone(),
        stages,
        runs,
        sequential,
        sequential_run,
        overhead,
        fixed,
        fixed_share,
        workers,
        parallel,
        cluster,
        bottleneck_time: bottleneck_time.named("T_bottleneck"),
        deadline: scenario.deadline.clone(),
        deadline_met: slack.as_ref().map(|s| s.base() >= 0.0),
        slack,
        speedup,
        efficiency,
        bottleneck,
        lecture_rule,
    }
}

impl Explain for TimeModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = Vec::new();
        for stage in &self.stages {
            if stage.startup.is_some() {
                figures.push(&stage.work);
            }
            figures.extend([&stage.time as &dyn AnyFig, &stage.speedup]);
            if let Some(floor) = &stage.floor {
                figures.push(floor);
            }
            figures.extend(stage.workers_used.iter().map(|f| f as &dyn AnyFig));
            if let Some(engine) = &stage.engine {
                figures.extend(engine.figures());
                let apart = stage.floor.is_some() || stage.startup.is_some();
                if apart && (engine.network.is_some() || engine.disk_total.is_some()) {
                    figures.push(&engine.time);
                }
            }
            figures.push(&stage.parallel_time);
        }
        figures.extend(self.fixed.iter().map(|f| f as &dyn AnyFig));
        if self.runs.scheduled {
            figures.push(&self.runs.runs_per_day);
        }
        figures.extend(self.sequential_run.iter().map(|f| f as &dyn AnyFig));
        figures.push(&self.sequential);
        figures.push(&self.workers);
        if self.runs.scheduled {
            figures.push(&self.runs.run);
        }
        figures.extend([
            &self.parallel as &dyn AnyFig,
            &self.speedup,
            &self.efficiency,
            &self.bottleneck_time,
        ]);
        figures.extend(self.fixed_share.iter().map(|f| f as &dyn AnyFig));
        if let Some(cluster) = &self.cluster {
            figures.extend(cluster.figures());
        }
        figures.extend(self.deadline.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.slack.iter().map(|f| f as &dyn AnyFig));
        figures
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
        assert_eq!(t.deadline_met, Some(true));
        close(t.slack.unwrap().base(), 15.0 * 60.0);
        assert!(t.lecture_rule);
    }

    #[test]
    fn workers_and_scale_follow_the_linear_rule() {
        let ten = model(&lecture().with_workers(10, "--workers").unwrap());
        close(ten.parallel.base(), 4.5 * 60.0);
        close(ten.efficiency.base(), 1.0);
        let double = model(&lecture().with_scale(2.0, "--scale").unwrap());
        close(double.sequential.base(), 90.0 * 60.0);
        let tenfold = model(&lecture().with_scale(10.0, "--scale").unwrap());
        close(tenfold.sequential.base(), 7.5 * 3600.0);
        assert_eq!(tenfold.deadline_met, Some(false));
    }

    #[test]
    fn throughputs_divide_the_stage_input() {
        // 5 GB at 10 MB/s = 500 s; 10M events at 16k events/s = 625 s.
        let s = with(
            "    input: bytes\n    duration: 10 min",
            "    input: bytes\n    throughput: 10 MB/s",
        );
        close(model(&s).stages[0].time.base(), 500.0);
        let s = with(
            "    input: events\n    duration: 20 min",
            "    input: events\n    throughput: 16k events/s",
        );
        close(model(&s).stages[1].time.base(), 625.0);
    }

    #[test]
    fn amdahl_serial_fraction_a_tenth_with_ten_workers() {
        // S = 1 / (0.1 + 0.9 / 10) = 1 / 0.19 = 5.263.
        let s = with(
            "    duration: 20 min\n",
            "    duration: 20 min\n    parallel: { model: amdahl, serial_fraction: 0.1 }\n",
        )
        .with_workers(10, "--workers")
        .unwrap();
        let t = model(&s);
        close(t.stages[1].speedup.base(), 1.0 / 0.19);
        close(t.stages[1].parallel_time.base(), 1200.0 * 0.19);
        assert!(!t.lecture_rule);
        // The other stages stay linear: 60 + 228 + 60 + 30 s.
        close(t.parallel.base(), 60.0 + 228.0 + 60.0 + 30.0);
        let line = t.stages[1].speedup.working().to_string();
        assert!(
            line.contains("1 ÷ (s[transform] + (1 − s[transform]) ÷ N_workers)"),
            "{line}"
        );
    }

    #[test]
    fn usl_can_make_more_workers_slower() {
        // σ = 0.05, κ = 0.01: S(10) = 10 / (1 + 0.45 + 0.9) = 4.255;
        // S(40) = 40 / (1 + 1.95 + 15.6) = 2.156, slower than 10 workers.
        let usl = "parallel: { model: usl, contention: 0.05, coherency: 0.01 }\nstages:";
        let s = with("stages:", usl);
        let ten = model(&s.clone().with_workers(10, "--workers").unwrap());
        close(ten.stages[1].speedup.base(), 10.0 / 2.35);
        let forty = model(&s.with_workers(40, "--workers").unwrap());
        close(forty.stages[1].speedup.base(), 40.0 / 18.55);
        assert!(forty.parallel.base() > ten.parallel.base());
    }

    #[test]
    fn a_shared_link_caps_an_io_stage_whatever_n_is() {
        // 50 GB over 1 Gbps (125 MB/s) takes at least 400 s, with any N.
        let s = with(
            "    input: bytes\n    duration: 10 min\n",
            "    input: bytes\n    duration: 10 min\n    shares: network\n",
        )
        .with_scale(10.0, "--scale")
        .unwrap()
        .with_workers(100, "--workers")
        .unwrap();
        let t = model(&s);
        close(t.stages[0].floor.as_ref().unwrap().base(), 400.0);
        close(t.stages[0].parallel_time.base(), 400.0);
        assert_eq!(
            t.stages[0].limited_by,
            Some(Limit::Link(crate::units::bytes_per_second(125e6)))
        );
        assert!(!t.lecture_rule);
        // With 10 workers the link is not what binds: 100 min / 10 = 10 min.
        let s = with(
            "    input: bytes\n    duration: 10 min\n",
            "    input: bytes\n    duration: 10 min\n    shares: network\n",
        )
        .with_scale(10.0, "--scale")
        .unwrap()
        .with_workers(10, "--workers")
        .unwrap();
        let t = model(&s);
        close(t.stages[0].parallel_time.base(), 600.0);
        assert!(t.stages[0].limited_by.is_none());
    }

    #[test]
    fn an_hourly_schedule_by_hand() {
        use crate::model::fixtures::with;
        // 45 min a day in 24 runs: 1.875 min a run, against a 15 min deadline;
        // billed per started hour: 24 h a day at $0.50.
        let scenario = with("deadline: 1 h", "schedule: every 1 h\ndeadline: 15 min");
        let e = crate::estimate(&scenario);
        let runs = &e.time.runs;
        close(runs.runs_per_day.base(), 24.0);
        close(runs.run.base(), 2700.0 / 24.0);
        assert!(!runs.piles_up);
        close(e.time.slack.as_ref().unwrap().base(), 900.0 - 2700.0 / 24.0);
        close(e.cost.compute_usd_per_day.base(), 12.0);
        // 40× the data is 30 h of work a day: whatever the period, a run
        // takes longer than the time between runs, and runs pile up.
        let piling = with("deadline: 1 h", "schedule: every 1 h")
            .with_scale(40.0, "--scale")
            .unwrap();
        let runs = crate::estimate(&piling).time.runs;
        close(runs.run.base(), 40.0 * 2700.0 / 24.0);
        assert!(runs.piles_up);
        // Shorter than a second is refused with its line.
        let text =
            crate::model::fixtures::LECTURE.replace("deadline: 1 h", "schedule: every 100 ms");
        let error = crate::scenario::parse(&text, "t.yaml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("outside 1 s to 1 day"), "{error}");
    }
}
