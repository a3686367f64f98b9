//! The batch's cluster: started for each run or kept up all day, and what
//! each worker is billed a day for it.
//!
//! A cluster started for each run (a job cluster) waits for its start-up
//! before the run's work, and each start is billed on its own: start-up
//! plus the run's time on the cluster, rounded up to the billing
//! increment, never less than the billing minimum. A cluster kept up is
//! billed the whole day, whatever runs on it, and no run waits for it. A
//! scenario that does not say is started for each run, unless keeping it
//! up bills less (a run every five minutes billed by the started hour),
//! and the report says which.
//!
//! Only stages on the cluster keep it busy: a stage in the warehouse runs
//! at the warehouse's own rate and is billed by the warehouse. A pipeline
//! entirely in the warehouse has no cluster to bill.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::Time;

use crate::figure::{AnyFig, Fig};
use crate::scenario::{ClusterLife, Scenario};
use crate::units::Ratio;

/// How the cluster lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Life {
    /// Started for each run, billed each run.
    PerRun,
    /// Kept up all day, billed a day.
    KeptUp,
    /// No stage runs on a cluster (every stage in the warehouse): nothing
    /// to start or bill.
    None,
}

/// Why the cluster lives as it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Chosen {
    /// `cluster.life` says so.
    Written,
    /// Started for each run, the default.
    Default,
    /// Kept up: starting it for each run would bill more than the day.
    Cheaper,
    /// There is no cluster.
    NoCluster,
}

/// The cluster's life and its billed time.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ClusterModel {
    pub life: Life,
    pub chosen: Chosen,
    /// What starting the cluster takes, waited for and billed by each run;
    /// only when it is started for each run.
    #[serde(rename = "startup_s", skip_serializing_if = "Option::is_none")]
    pub startup: Option<Fig<Time>>,
    /// A run's time on the cluster: its stages there and the run's overhead.
    #[serde(rename = "busy_per_run_s")]
    pub busy_per_run: Fig<Time>,
    /// A day of runs' time on the cluster.
    #[serde(rename = "busy_per_day_s")]
    pub busy_per_day: Fig<Time>,
    /// Started for each run: one start as billed, per worker (start-up and
    /// run, rounded up to the increment, at least the minimum).
    #[serde(rename = "billed_per_start_s", skip_serializing_if = "Option::is_none")]
    pub billed_per_start: Option<Fig<Time>>,
    /// Started for each run: a worker's billed time a day.
    #[serde(
        rename = "per_run_billed_per_day_s",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_run_day: Option<Fig<Time>>,
    /// Kept up: a worker's billed time a day.
    #[serde(
        rename = "kept_up_billed_per_day_s",
        skip_serializing_if = "Option::is_none"
    )]
    pub kept_up_day: Option<Fig<Time>>,
    /// Each worker's billed time a day, as the cluster lives.
    #[serde(rename = "billed_per_day_s")]
    pub billed_per_day: Fig<Time>,
    /// On a schedule: a day's figures are its runs', figures of their own.
    #[serde(skip)]
    pub scheduled: bool,
}

impl ClusterModel {
    pub fn figures(&self) -> Vec<&dyn AnyFig> {
        // A daily batch's day is its run: listed once.
        let mut figures: Vec<&dyn AnyFig> = vec![&self.busy_per_run];
        if self.scheduled {
            figures.push(&self.busy_per_day);
        }
        figures.extend(self.billed_per_start.iter().map(|f| f as &dyn AnyFig));
        if self.scheduled {
            figures.extend(self.per_run_day.iter().map(|f| f as &dyn AnyFig));
        }
        figures.extend(self.kept_up_day.iter().map(|f| f as &dyn AnyFig));
        figures.push(&self.billed_per_day);
        figures
    }

    /// What the life not chosen would bill a worker a day.
    pub fn other_billed_per_day(&self) -> Option<&Fig<Time>> {
        match self.life {
            Life::PerRun => self.kept_up_day.as_ref(),
            Life::KeptUp => self.per_run_day.as_ref(),
            Life::None => None,
        }
    }
}

/// The cluster of a batch whose runs each keep it busy `stages_per_run`
/// (its stages on the cluster, `None` when every stage is in the
/// warehouse), `runs_per_day` times a day on a schedule (`None`: once).
pub fn cluster(
    scenario: &Scenario,
    stages_per_run: Option<Fig<Time>>,
    runs_per_day: Option<&Fig<Ratio>>,
    day: &Fig<Time>,
) -> ClusterModel {
    let Some(stages) = stages_per_run else {
        let nothing = Fig::constant(crate::units::seconds(0.0));
        return ClusterModel {
            life: Life::None,
            chosen: Chosen::NoCluster,
            startup: None,
            busy_per_run: nothing.clone().named("T_cluster_run"),
            busy_per_day: nothing.clone().named("T_cluster_day"),
            billed_per_start: None,
            per_run_day: None,
            kept_up_day: None,
            billed_per_day: nothing.named("T_billed"),
            scheduled: runs_per_day.is_some(),
        };
    };
    let busy_per_run = match &scenario.run_overhead {
        Some(overhead) => &stages + overhead,
        None => stages,
    }
    .named("T_cluster_run");
    let prices = &scenario.prices;
    let startup = scenario.cluster.startup.as_ref();
    // One start: the start-up and the run, rounded up to the increment,
    // and never less than the minimum.
    let started = match startup {
        Some(startup) => (&busy_per_run + startup).named("T_cluster_started"),
        None => busy_per_run.clone(),
    };
    let rounded = match &prices.billing_increment {
        Some(increment) => started.ceil_to(increment),
        None => started,
    };
    let billed_per_run = match &prices.billing_minimum {
        Some(minimum) => Fig::max_of([&rounded, minimum]).expect("two").1,
        None => rounded,
    }
    .named("T_billed_start");
    // A daily batch's day is its one run: the same figure, not another.
    let per_day = |per_run: &Fig<Time>, symbol: &str| match runs_per_day {
        Some(runs) => (per_run * runs).named(symbol.to_string()),
        None => per_run.clone(),
    };
    let per_run_day = per_day(&billed_per_run, "T_billed_runs");
    // Kept up, a worker is billed the day; runs that need more than a day
    // of the cluster's time need more than one cluster, each billed.
    let busy_day = per_day(&busy_per_run, "T_cluster_day");
    let kept_up_day = Fig::max_of([day, &busy_day])
        .expect("two")
        .1
        .named("T_kept_up");
    let (life, chosen) = match scenario.cluster.life {
        Some(ClusterLife::PerRun) => (Life::PerRun, Chosen::Written),
        Some(ClusterLife::KeptUp) => (Life::KeptUp, Chosen::Written),
        // Kept up stands in for starting it each run only while a day's
        // runs fit in a day on one cluster.
        None if per_run_day.base() > kept_up_day.base() && busy_day.base() <= day.base() => {
            (Life::KeptUp, Chosen::Cheaper)
        }
        None => (Life::PerRun, Chosen::Default),
    };
    let billed_per_day = match life {
        Life::KeptUp => kept_up_day.alias("T_billed"),
        _ => per_run_day.alias("T_billed"),
    };
    ClusterModel {
        life,
        chosen,
        startup: startup.filter(|_| life == Life::PerRun).cloned(),
        busy_per_run,
        busy_per_day: busy_day,
        billed_per_start: Some(billed_per_run),
        per_run_day: Some(per_run_day),
        kept_up_day: Some(kept_up_day),
        billed_per_day,
        scheduled: runs_per_day.is_some(),
    }
}
