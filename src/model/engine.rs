//! What a real cluster does to a stage besides its own work, each term off
//! unless the scenario writes it: a join's second input (broadcast or
//! shuffled), a shuffle carried by each worker's network card and written
//! and read on its disk, a task's memory and its spill, the largest
//! partition of skewed keys, and stragglers.
//!
//! The terms follow the notes of Ousterhout et al. (NSDI 2015) and Spark's
//! own defaults: a worker sends and receives (D ÷ N)·(N − 1) ÷ N of a
//! shuffle of D bytes; writes and reads D ÷ N on its disk; a task may use
//! fraction × (memory − 300 MiB) ÷ cores; a task holding more spills; the
//! most popular of K Zipf keys holds 1 ÷ H(K, s) of the rows; a stage of
//! w waves lasts (w − 1 + g) median tasks when its slowest is g times the
//! median. The stage's time is the slowest of its CPU, network and disk,
//! since tasks overlap them.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::{Information, Time};

use crate::figure::{AnyFig, Fig, Source};
use crate::scenario::{Output, Scenario, Shares, Stage, Work};
use crate::units::{self, Count, Ratio};

/// What Spark reserves of a worker's memory before its fraction.
const RESERVED_BYTES: f64 = 300.0 * 1024.0 * 1024.0;
/// Spark's input split (`spark.sql.files.maxPartitionBytes`, 128 MiB): a
/// narrow stage's tasks.
const SPLIT_BYTES: f64 = 128.0 * 1024.0 * 1024.0;

/// How a join's second input reaches the workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinKind {
    /// Below the threshold: every worker receives all of it and holds it.
    Broadcast,
    /// Both inputs move across the workers by key.
    Shuffled,
}

/// Which of the stage's resources sets its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bottleneck {
    /// Its own work (with its slowest task).
    Cpu,
    /// Each worker's network card.
    NetworkCard,
    /// Each worker's disk: the shuffle's and the spill's bytes.
    Disk,
}

/// A join's second input in a run.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct JoinTerm {
    pub kind: JoinKind,
    /// The other input, read whole by every run.
    #[serde(rename = "with_bytes")]
    pub with: Fig<Information>,
    #[serde(rename = "broadcast_below_bytes")]
    pub broadcast_below: Fig<Information>,
}

/// A task's memory against what it holds.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Spill {
    /// What the engine gives one task: fraction × (memory − 300 MiB) ÷ cores.
    #[serde(rename = "task_memory_bytes")]
    pub task_memory: Fig<Information>,
    /// What one reduce task holds: expansion × shuffle bytes ÷ partitions.
    #[serde(rename = "task_holds_bytes")]
    pub task_holds: Fig<Information>,
    pub spills: bool,
    /// Bytes written to disk and read back, when it spills.
    #[serde(rename = "spilled_bytes", skip_serializing_if = "Option::is_none")]
    pub spilled: Option<Fig<Information>>,
    /// The spill's disk time, with each worker's disk given.
    #[serde(rename = "spill_s", skip_serializing_if = "Option::is_none")]
    pub time: Option<Fig<Time>>,
    /// The partitions at which a task fits its memory: Spark's cure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions_to_fit: Option<Fig<Ratio>>,
}

/// A stage's tasks: how many, in how many waves, and the slowest's share.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Tasks {
    /// The shuffle's partitions, or ⌈input ÷ 128 MiB⌉ for a narrow stage.
    pub tasks: Fig<Ratio>,
    /// ⌈tasks ÷ (workers × cores)⌉.
    pub waves: Fig<Ratio>,
    /// The share of the rows the most popular key holds, with keys given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_key_share: Option<Fig<Ratio>>,
    /// The largest partition over the mean: max(1, partitions × top share).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_partition: Option<Fig<Ratio>>,
    /// The stage's time over its even share of work: the largest
    /// partition or the stragglers, whichever is worse.
    pub slowest: Fig<Ratio>,
}

/// What a real cluster adds to one stage in a run.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct EngineTerms {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<JoinTerm>,
    /// Bytes moved by key across the workers in a run.
    #[serde(rename = "shuffle_bytes", skip_serializing_if = "Option::is_none")]
    pub shuffle: Option<Fig<Information>>,
    /// Bytes each worker's card carries: its share of what the stage reads
    /// over it, the shuffle's (D ÷ N)·(N − 1) ÷ N, a broadcast input.
    #[serde(
        rename = "card_bytes_per_worker",
        skip_serializing_if = "Option::is_none"
    )]
    pub card_bytes: Option<Fig<Information>>,
    /// Those bytes over the card.
    #[serde(rename = "network_s", skip_serializing_if = "Option::is_none")]
    pub network: Option<Fig<Time>>,
    /// The shuffle written and read on each worker's disk: 2·D ÷ N.
    #[serde(rename = "shuffle_disk_s", skip_serializing_if = "Option::is_none")]
    pub disk: Option<Fig<Time>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spill: Option<Spill>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Tasks>,
    /// The CPU's time with N workers, its slowest task included.
    #[serde(rename = "cpu_s")]
    pub cpu: Fig<Time>,
    /// The shuffle's and the spill's disk time together.
    #[serde(rename = "disk_s", skip_serializing_if = "Option::is_none")]
    pub disk_total: Option<Fig<Time>>,
    /// Which of CPU, network and disk sets the stage's time.
    pub bound_by: Bottleneck,
    /// The slowest of them: the stage's time with N workers, before a
    /// shared link's floor and its startup.
    #[serde(rename = "engine_s")]
    pub time: Fig<Time>,
}

impl EngineTerms {
    pub fn spills(&self) -> bool {
        self.spill.as_ref().is_some_and(|s| s.spills)
    }

    /// The figures, in the order they are worked out; the time they give,
    /// which the stage's own time names unless a floor or a startup is
    /// added to it, is not among them.
    pub fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = Vec::new();
        if let Some(join) = &self.join {
            figures.extend([&join.with as &dyn AnyFig, &join.broadcast_below]);
        }
        figures.extend(self.shuffle.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.card_bytes.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.network.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.disk.iter().map(|f| f as &dyn AnyFig));
        if let Some(spill) = &self.spill {
            figures.extend([&spill.task_memory as &dyn AnyFig, &spill.task_holds]);
            figures.extend(spill.spilled.iter().map(|f| f as &dyn AnyFig));
            figures.extend(spill.time.iter().map(|f| f as &dyn AnyFig));
            figures.extend(spill.partitions_to_fit.iter().map(|f| f as &dyn AnyFig));
        }
        if let Some(tasks) = &self.tasks {
            figures.extend([&tasks.tasks as &dyn AnyFig, &tasks.waves]);
            figures.extend(tasks.top_key_share.iter().map(|f| f as &dyn AnyFig));
            figures.extend(tasks.largest_partition.iter().map(|f| f as &dyn AnyFig));
            figures.push(&tasks.slowest);
        }
        figures.push(&self.cpu);
        figures.extend(self.disk_total.iter().map(|f| f as &dyn AnyFig));
        figures
    }
}

/// Whether the stage has any term of a real cluster: a join, a shuffle,
/// stragglers, or bytes read over each worker's card.
pub fn applies(scenario: &Scenario, stage: &Stage) -> bool {
    let card = scenario.network.as_ref().and_then(|n| n.card.as_ref());
    let reads_card = card.is_some() && stage.shares.is_some();
    stage.join.is_some() || stage.shuffle.is_some() || stage.stragglers.is_some() || reads_card
}

/// The work of a stage with a join: its own input and the other, at the
/// stage's own byte rate. A duration given is what the stage took, join
/// and all, so it is left as it is.
pub fn joined_work(stage: &Stage, own: Fig<Time>, bytes_in: &Fig<Information>) -> Fig<Time> {
    match (&stage.join, &stage.work) {
        (Some(join), Work::ByteThroughput(_) | Work::EventThroughput(_)) => {
            let name = &stage.name;
            let both = (bytes_in + &join.with).named(format_args!("bytes_joined[{name}]"));
            (&own.named(format_args!("T_own[{name}]")) * &(&both / bytes_in))
                .named(format_args!("T_work[{name}]"))
        }
        _ => own,
    }
}

/// The stage's terms in a run of `bytes_in` (giving `bytes_out`), over `workers`, its CPU time
/// with them `cpu`; `None` when it has none.
pub fn terms(
    scenario: &Scenario,
    stage: &Stage,
    bytes_in: &Fig<Information>,
    bytes_out: &Fig<Information>,
    workers: &Fig<Count>,
    cpu: &Fig<Time>,
) -> Option<EngineTerms> {
    if !applies(scenario, stage) {
        return None;
    }
    let name = &stage.name;
    let n = workers.as_ratio();
    let one = Fig::constant(Ratio(1.0));
    let card = scenario.network.as_ref().and_then(|n| n.card.as_ref());
    let worker = scenario.worker.as_ref();
    let disk_rate = worker.and_then(|w| w.disk.as_ref());

    let join = stage.join.as_ref().map(|join| JoinTerm {
        kind: if join.with.base() < join.broadcast_below.base() {
            JoinKind::Broadcast
        } else {
            JoinKind::Shuffled
        },
        with: join.with.clone(),
        broadcast_below: join.broadcast_below.clone(),
    });
    // A shuffled join moves both inputs; a broadcast join's stage moves
    // its own only when it declares a shuffle too.
    let declared = stage.shuffle.as_ref().is_some_and(|sh| sh.declared);
    // A shuffle moves the columns it needs, serialized: a share of the
    // stage's input when the scenario (or a calibration) says so.
    let combine = stage.shuffle.as_ref().is_some_and(|sh| sh.combine);
    // Combined by key first, what moves is the stage's output.
    let moved = if combine { bytes_out } else { bytes_in };
    let own = || match stage.shuffle.as_ref().and_then(|sh| sh.share.as_ref()) {
        Some(share) => (moved * share).named(format_args!("shuffled_own[{name}]")),
        None => moved.clone(),
    };
    let shuffle = match &join {
        Some(j) if j.kind == JoinKind::Shuffled => {
            Some((&own() + &j.with).named(format_args!("shuffle_bytes[{name}]")))
        }
        _ if declared => Some(
            match stage.shuffle.as_ref().and_then(|sh| sh.share.as_ref()) {
                Some(share) => (moved * share).named(format_args!("shuffle_bytes[{name}]")),
                None => moved.alias(format_args!("shuffle_bytes[{name}]")),
            },
        ),
        _ => None,
    };

    // Each worker's card: its share of a stage read over the network, the
    // shuffle's all-to-all, and a broadcast input received whole.
    let mut carried: Vec<Fig<Information>> = Vec::new();
    if stage.shares.is_some() && card.is_some() && !matches!(stage.shares, Some(Shares::Rate(_))) {
        carried.push((bytes_in / &n).named(format_args!("read_bytes_per_worker[{name}]")));
    }
    if let Some(d) = &shuffle {
        let others = (&(&n - &one) / &n).named(format_args!("remote_share[{name}]"));
        carried.push((&(d / &n) * &others).named(format_args!("shuffle_bytes_per_worker[{name}]")));
    }
    if let Some(j) = join.as_ref().filter(|j| j.kind == JoinKind::Broadcast) {
        carried.push(j.with.alias(format_args!("broadcast_bytes[{name}]")));
    }
    let card_bytes = carried
        .into_iter()
        .reduce(|sum, part| &sum + &part)
        .map(|sum| sum.named(format_args!("card_bytes_per_worker[{name}]")));
    let network = card
        .zip(card_bytes.as_ref())
        .map(|(card, bytes)| (bytes / card).named(format_args!("T_net[{name}]")));

    let two = Fig::constant(Ratio(2.0));
    let disk = shuffle.as_ref().zip(disk_rate).map(|(d, rate)| {
        (&(&(d * &two) / &n) / rate).named(format_args!("T_shuffle_disk[{name}]"))
    });

    let spill = match (
        &shuffle,
        &stage.shuffle,
        worker,
        &scenario.memory_per_worker,
    ) {
        (Some(d), Some(sh), Some(w), Some(memory)) => {
            let reserved = Fig::input(
                units::bytes(RESERVED_BYTES),
                "reserved_memory",
                Source::Default("Spark reserves 300 MiB of each executor".into()),
            );
            let task_memory = (&(&(memory - &reserved) * &w.memory_fraction) / &w.cores)
                .named(format_args!("task_memory[{name}]"));
            let task_holds =
                (&(d * &sh.expansion) / &sh.partitions).named(format_args!("task_holds[{name}]"));
            // Validation keeps a worker's memory above what Spark reserves.
            let spills = task_holds.base() > task_memory.base();
            let spilled = spills.then(|| {
                let kept = (&task_memory / &task_holds).named(format_args!("kept_share[{name}]"));
                (d * &(&one - &kept)).named(format_args!("spilled_bytes[{name}]"))
            });
            let time = spilled.as_ref().zip(disk_rate).map(|(bytes, rate)| {
                (&(&(bytes * &two) / &n) / rate).named(format_args!("T_spill[{name}]"))
            });
            let partitions_to_fit = spills.then(|| {
                (&(d * &sh.expansion) / &task_memory)
                    .ceil_to(&one)
                    .named(format_args!("partitions_to_fit[{name}]"))
            });
            Some(Spill {
                task_memory,
                task_holds,
                spills,
                spilled,
                time,
                partitions_to_fit,
            })
        }
        _ => None,
    };

    let judged = shuffle.is_some() || stage.stragglers.is_some();
    let tasks = worker.filter(|_| judged).map(|w| {
        let tasks = match (&shuffle, &stage.shuffle) {
            (Some(_), Some(sh)) => sh
                .partitions
                .as_ratio()
                .named(format_args!("tasks[{name}]")),
            _ => {
                let split = Fig::input(
                    units::bytes(SPLIT_BYTES),
                    "split",
                    Source::Default("Spark's spark.sql.files.maxPartitionBytes, 128 MiB".into()),
                );
                (bytes_in / &split)
                    .ceil_to(&one)
                    .named(format_args!("tasks[{name}]"))
            }
        };
        let slots = (&n * &w.cores.as_ratio()).named(format_args!("task_slots[{name}]"));
        let waves = (&tasks / &slots)
            .ceil_to(&one)
            .named(format_args!("waves[{name}]"));
        let keys = stage
            .shuffle
            .as_ref()
            .and_then(|sh| sh.keys.clone())
            .or_else(|| match &stage.output {
                Output::Catalogue { keys_max, skew, .. } => Some((keys_max.clone(), skew.clone())),
                _ => None,
            })
            .filter(|_| shuffle.is_some());
        let (top_key_share, largest_partition, skewed) = match keys {
            Some((keys, skew)) => {
                let top =
                    Fig::top_key_share(&keys, &skew).named(format_args!("top_key_share[{name}]"));
                let largest = Fig::max_of([&(&tasks * &top), &one])
                    .expect("two")
                    .1
                    .named(format_args!("largest_partition[{name}]"));
                let skewed = Fig::max_of([&(&largest / &waves), &one]).expect("two").1;
                (Some(top), Some(largest), Some(skewed))
            }
            None => (None, None, None),
        };
        let straggling = stage
            .stragglers
            .as_ref()
            .map(|g| &(&(&waves - &one) + g) / &waves);
        let slowest = match (skewed, straggling) {
            (Some(a), Some(b)) => Fig::max_of([&a, &b]).expect("two").1,
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => one.clone(),
        }
        .named(format_args!("slowest[{name}]"));
        Tasks {
            tasks,
            waves,
            top_key_share,
            largest_partition,
            slowest,
        }
    });

    let cpu = match &tasks {
        Some(tasks) if tasks.slowest.base() > 1.0 => {
            (cpu * &tasks.slowest).named(format_args!("T_cpu[{name}]"))
        }
        _ => cpu.alias(format_args!("T_cpu[{name}]")),
    };
    let disk_total = match (&disk, spill.as_ref().and_then(|s| s.time.as_ref())) {
        (Some(d), Some(s)) => Some((d + s).named(format_args!("T_disk[{name}]"))),
        (Some(d), None) => Some(d.alias(format_args!("T_disk[{name}]"))),
        (None, Some(s)) => Some(s.alias(format_args!("T_disk[{name}]"))),
        (None, None) => None,
    };
    let bound_by = {
        let mut bound = (Bottleneck::Cpu, cpu.base());
        for (which, time) in [
            (Bottleneck::NetworkCard, &network),
            (Bottleneck::Disk, &disk_total),
        ] {
            if let Some(time) = time {
                if time.base() > bound.1 {
                    bound = (which, time.base());
                }
            }
        }
        bound.0
    };
    let time = {
        let parts: Vec<&Fig<Time>> = [Some(&cpu), network.as_ref(), disk_total.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        match parts.as_slice() {
            [only] => (*only).clone(),
            _ => Fig::max_of(parts)
                .expect("the CPU at least")
                .1
                .named(format_args!("T_engine[{name}]")),
        }
    };
    Some(EngineTerms {
        time,
        join,
        shuffle,
        card_bytes,
        network,
        disk,
        spill,
        tasks,
        cpu,
        disk_total,
        bound_by,
    })
}
