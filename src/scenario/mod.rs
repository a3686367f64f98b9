//! The scenario file: its YAML schema, its defaults, and its validation.
//!
//! Loading happens in two steps. Serde reads the file into the `Raw*`
//! structs (structure, unknown keys, duplicate keys, YAML syntax), keeping
//! every value's line. Validation then parses quantities with their units,
//! checks ranges and cross-field rules, and builds a [`Scenario`] whose every
//! value is an input [`Fig`] that remembers its key and line. Any problem
//! stops the load with one error that names the file, the field, the line,
//! what was wrong and what is accepted; nothing partial comes out.

mod check;
mod error;
mod load;
pub mod plausible;
pub mod raw;
mod what_if;

use std::fmt;

use serde::Deserialize;

use uom::si::f64::{Frequency, Information, InformationRate, Time};

use crate::figure::{Fig, InputFig, Working};
use crate::units::{self, Count, Ratio, UsdPerGb, UsdPerGbMonth, UsdPerHour};

pub use error::ScenarioError;
pub use load::{from_raw, load, parse, parse_with, read};

/// The most workers a scenario, a what-if or a search may name. The laws
/// here model one cluster; past ten thousand workers their coefficients
/// are not something anyone measured, and a bound keeps every search quick.
pub const MAX_WORKERS: u32 = 10_000;

fn too_many_workers(count: f64) -> String {
    format!(
        "{} workers is more than the {} pipecalc models (one cluster's worth)",
        crate::units::significant(count, 6),
        MAX_WORKERS
    )
}

/// What limits a stage: its reads and writes, or its computation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    Io,
    Cpu,
}

/// What a stage's throughput is measured against.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    Bytes,
    #[serde(alias = "rows")]
    Events,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingress,
    Egress,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        })
    }
}

/// How long a stage takes, per worker.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub enum Work {
    /// Bytes per second per worker (`input: bytes`).
    #[serde(rename = "throughput_bytes_per_s")]
    ByteThroughput(Fig<InformationRate>),
    /// Events (rows) per second per worker (`input: events`).
    #[serde(rename = "throughput_events_per_s")]
    EventThroughput(Fig<Frequency>),
    /// A duration measured at the scenario's own volume; it scales linearly
    /// with the volume factor, which is the lecture's rule.
    #[serde(rename = "given_duration_s")]
    Duration(Fig<Time>),
    /// No work that grows with the data: the stage takes its `startup`
    /// alone (a stage calibrate measured at one time whatever the volume).
    #[serde(rename = "startup_only")]
    StartupOnly,
}

/// What a stage puts out, relative to what it takes in.
#[derive(Clone, Debug)]
pub enum Output {
    /// Every row, same bytes (or `row_size` bytes per row when given).
    Same { row_size: Option<Fig<Information>> },
    /// A fraction of its input rows, such as a filter.
    Keep {
        fraction: Fig<Ratio>,
        row_size: Option<Fig<Information>>,
    },
    /// One row per distinct key, never more than its input rows.
    Keys {
        keys: Fig<Count>,
        row_size: Fig<Information>,
        /// How keys grow with the volume factor k: keys × k^exponent.
        /// 0: fixed (a catalogue); 1: linear; between: Heaps' law, the
        /// sub-linear growth of distinct values in Zipf-like data.
        keys_grow: Option<Fig<Ratio>>,
    },
    /// One row per distinct key, the keys drawn from a catalogue of
    /// `keys_max` with Zipf popularity `skew`: the expected number of
    /// distinct keys among the stage's input rows.
    Catalogue {
        keys_max: Fig<Count>,
        skew: Fig<Ratio>,
        row_size: Fig<Information>,
    },
}

#[derive(Clone, Debug)]
pub enum WorkingSet {
    Input,
    Output,
    /// A size each worker holds, whatever the volume.
    Fixed(Fig<Information>),
    /// A size each worker holds at the scenario's volume, growing as
    /// `volume_factor ^ exponent` with `--scale` (buffers that fill with
    /// larger files, a sort that holds more keys).
    Growing {
        size: Fig<Information>,
        exponent: Fig<Ratio>,
    },
}

/// How a stage speeds up with N workers.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum Parallel {
    /// The lecture's rule: N workers, N times faster.
    Linear,
    /// Amdahl's law: a serial fraction s never speeds up.
    /// S(N) = 1 / (s + (1 − s) / N).
    Amdahl { serial_fraction: Fig<Ratio> },
    /// The Universal Scalability Law: contention σ and coherency κ.
    /// S(N) = N / (1 + σ(N − 1) + κN(N − 1)); past a point, more is slower.
    Usl {
        contention: Fig<Ratio>,
        coherency: Fig<Ratio>,
    },
}

impl Parallel {
    /// How reports name the model: "linear", "Amdahl s=0.1", "USL σ=0.05 κ=0.001".
    pub fn label(&self) -> String {
        match self {
            Parallel::Linear => "linear".into(),
            Parallel::Amdahl { serial_fraction } => format!("Amdahl s={}", serial_fraction.human()),
            Parallel::Usl {
                contention,
                coherency,
            } => format!("USL σ={} κ={}", contention.human(), coherency.human()),
        }
    }
}

/// A resource all workers of a stage share, which caps its speed whatever
/// the number of workers.
#[derive(Clone, Debug)]
pub enum Shares {
    /// The scenario's network link.
    Network,
    /// Each worker's own network card (`network.card`): a floor that
    /// falls as workers are added, unlike a shared link's.
    Card,
    /// Another shared resource with this rate (a disk, a database).
    Rate(Fig<InformationRate>),
}

/// A stage as the scenario gives it. Its JSON (the head of each of
/// `estimate`'s `stages`) is what the estimate's figures rest on: its name,
/// what bounds it and how its work is given.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Stage {
    pub name: String,
    pub bound: Bound,
    /// What its throughput is measured against.
    #[serde(rename = "input")]
    pub measure: Measure,
    #[serde(flatten)]
    pub work: Work,
    #[serde(skip)]
    pub output: Output,
    /// Bytes the output costs a day whatever its rows (file footers,
    /// dictionaries, page headers), on top of its rows' `row_size` each.
    #[serde(skip)]
    pub fixed_output_size: Option<Fig<Information>>,
    #[serde(skip)]
    pub working_set: WorkingSet,
    #[serde(skip)]
    pub parallel: Parallel,
    #[serde(skip)]
    pub shares: Option<Shares>,
    /// Where it runs: the cluster's workers, or the warehouse (billed by
    /// the bytes it scans).
    #[serde(skip)]
    pub in_warehouse: bool,
    /// Time every run pays whatever its data and workers (`startup:`).
    #[serde(skip)]
    pub startup: Option<Fig<Time>>,
    /// A wide stage: its input moves across the workers by key.
    #[serde(skip)]
    pub shuffle: Option<Shuffle>,
    /// A second input joined with the stage's own.
    #[serde(skip)]
    pub join: Option<Join>,
    /// The slowest task's time ÷ the median's (`stragglers:`).
    #[serde(skip)]
    pub stragglers: Option<Fig<Ratio>>,
    /// Tasks the stage runs at once, whatever the workers.
    #[serde(skip)]
    pub max_parallelism: Option<Fig<Count>>,
}

/// A wide stage's shuffle: its reduce tasks, how much larger a partition
/// is in memory than on disk, and the keys it is split by.
#[derive(Clone, Debug)]
pub struct Shuffle {
    /// Written as `shuffle:`; a join's defaults are not, and a broadcast
    /// join's stage does not shuffle its own input unless it is.
    pub declared: bool,
    pub partitions: Fig<Count>,
    pub expansion: Fig<Ratio>,
    /// The bytes shuffled over the stage's input bytes (its output's, when
    /// it combines), when not all.
    pub share: Option<Fig<Ratio>>,
    /// Combined by key before the shuffle: what moves is its output's.
    pub combine: bool,
    /// The keys and their Zipf skew, when known: the largest partition.
    pub keys: Option<(Fig<Count>, Fig<Ratio>)>,
}

/// A second input of a stage, read whole by every run.
#[derive(Clone, Debug)]
pub struct Join {
    pub with: Fig<Information>,
    pub broadcast_below: Fig<Information>,
}

/// What each worker has besides its memory (`worker:`).
#[derive(Clone, Debug)]
pub struct Worker {
    /// Tasks a worker runs at once.
    pub cores: Fig<Count>,
    /// Its own disk's bandwidth.
    pub disk: Option<Fig<InformationRate>>,
    /// The share of (memory − 300 MiB) the engine gives its tasks.
    pub memory_fraction: Fig<Ratio>,
}

/// Growth of the data over time, as a multiplier per year.
#[derive(Clone, Debug)]
pub struct Growth {
    pub per_year: f64,
    /// As written: "10x per 5 years".
    pub text: String,
}

/// The failure and retry model: the lecture's "Retry: automatic, 3
/// attempts" and "Checkpoint: save state after each step".
#[derive(Clone, Debug)]
pub struct Reliability {
    /// The chance that one attempt of one stage fails.
    pub failure_per_attempt: Fig<Ratio>,
    /// Attempts a stage (with checkpoints) or the run (without) gets.
    pub attempts: Fig<Count>,
    /// A failed stage reruns alone (true), or the run restarts (false).
    pub checkpoints: bool,
    /// How far through its work a failed attempt got, on average.
    pub failure_point: Fig<Ratio>,
    /// The share of runs that must succeed.
    pub target: Option<Fig<Ratio>>,
}

/// A warehouse: compute billed by the bytes scanned, and its own storage.
#[derive(Clone, Debug)]
pub struct Warehouse {
    /// Per GB scanned (given per TB).
    pub usd_per_gb_scanned: Option<Fig<UsdPerGb>>,
    pub storage: Option<Fig<UsdPerGbMonth>>,
}

/// What one query scans of its dataset.
#[derive(Clone, Debug)]
pub enum Scans {
    /// All of it, as kept at steady state (the default).
    All,
    /// The most recent span of it (`1 day`, or `7 partitions` of a day).
    Span(Fig<Time>),
    /// This many bytes of it.
    Bytes(Fig<Information>),
}

/// Queries a day over a stored dataset.
#[derive(Clone, Debug)]
pub struct Query {
    pub name: String,
    /// Index into `storage`.
    pub over: usize,
    pub per_day: Fig<Count>,
    pub scans: Scans,
    /// The share of the columns it reads (`columns:`); all unless set.
    pub columns: Option<Fig<Ratio>>,
}

/// A streaming pipeline: the day's events arrive as a stream with peaks,
/// and a fleet of always-on workers keeps up with them.
#[derive(Clone, Debug)]
pub struct Streaming {
    /// Hybrid ("batch for history, stream for recent"): the stream serves
    /// the recent data and the daily batch still runs; both are paid.
    pub hybrid: bool,
    /// Peak rate over the average rate (the day's events ÷ a day).
    pub peak_factor: Fig<Ratio>,
    /// Spare capacity kept at the peak.
    pub headroom: Fig<Ratio>,
    /// With autoscaling: the fewest workers the fleet shrinks to.
    pub min_workers: Option<Fig<Count>>,
    /// The micro-batch or window interval.
    pub window: Fig<Time>,
    pub latency_target: Option<Fig<Time>>,
    /// State and checkpoints kept on storage.
    pub state: Option<Fig<Information>>,
    /// How long the peak lasts (`peak_duration:`).
    pub peak_duration: Option<Fig<Time>>,
    /// Days of data to replay at the fleet's spare capacity (`replay:`).
    pub replay: Option<Fig<Time>>,
    /// Set only by a study: the fleet at the peak held at this many
    /// workers, to bound figures that fall each time the fleet gains one.
    pub fleet_at_peak_held: Option<f64>,
}

/// The data's defects: the lecture's "missing data: 5% null user_id, alert
/// if > 1%", duplicates, invalid records and late data.
#[derive(Clone, Debug)]
pub struct Quality {
    /// The share of events with a null key.
    pub null_keys: Option<Fig<Ratio>>,
    /// Above this share of null keys the report raises the alert.
    pub null_alert: Fig<Ratio>,
    /// The share of events written twice (deduplication removes them).
    pub duplicates: Option<Fig<Ratio>>,
    /// The share of events refused as invalid (kept in quarantine).
    pub invalid: Option<Fig<Ratio>>,
    /// How long quarantined events are kept.
    pub quarantine_retention: Fig<Time>,
    /// The share of events that arrive late, and by how much at most.
    pub late: Option<(Fig<Ratio>, Fig<Time>)>,
}

/// Defaults for `scale`, `workers` and `growth`.
#[derive(Clone, Debug)]
pub struct Scaling {
    pub factors: Vec<f64>,
    pub workers: Vec<u32>,
    /// A compression ratio to show as a what-if beside the stored figures.
    pub compression: Option<f64>,
    pub growth: Option<Growth>,
    pub max_workers: u32,
}

/// A stage's input or output, named in the scenario as `stage.input` or
/// `stage.output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataRef {
    pub stage: usize,
    pub side: Side,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Input,
    Output,
}

#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub of: DataRef,
    pub of_text: String,
    pub retention: Fig<Time>,
    pub compression_ratio: Fig<Ratio>,
    /// Kept in the warehouse (its storage price) rather than the lake.
    pub in_warehouse: bool,
    /// Its own price, from a storage class of the catalog (`class:`).
    pub price: Option<Fig<UsdPerGbMonth>>,
    /// Copies kept, each paid (`replication:`).
    pub replication: Option<Fig<Ratio>>,
}

#[derive(Clone, Debug)]
pub struct Transfer {
    pub name: String,
    pub of: DataRef,
    pub of_text: String,
    pub direction: Direction,
    pub window: Option<Fig<Time>>,
    /// The share of the dataset that moves (`share: 1%`); all of it unless set.
    pub share: Option<Fig<Ratio>>,
    /// Compressed on the wire: its bytes ÷ this ratio cross the link.
    pub compression: Option<Fig<Ratio>>,
}

#[derive(Clone, Debug)]
pub struct Network {
    pub bandwidth: Fig<InformationRate>,
    /// Each worker's own card.
    pub card: Option<Fig<InformationRate>>,
    pub transfers: Vec<Transfer>,
}

/// How long a batch's cluster lives between runs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ClusterLife {
    /// Started for each run and stopped after it: each run waits for its
    /// start-up and is billed on its own (a job cluster).
    PerRun,
    /// Kept up all day, whatever runs on it: billed a day.
    KeptUp,
}

/// The batch's cluster: whether it is started for each run or kept up,
/// and what starting it takes (`cluster:`).
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// As written; `None` starts it for each run unless keeping it up all
    /// day bills less, and the report says which.
    pub life: Option<ClusterLife>,
    /// Starting the cluster: waited for and billed by every run it is
    /// started for.
    pub startup: Option<Fig<Time>>,
}

#[derive(Clone, Debug)]
pub struct Prices {
    pub compute: Fig<UsdPerHour>,
    pub billing_increment: Option<Fig<Time>>,
    /// The least a start of the cluster is billed (`60 s` on most clouds).
    pub billing_minimum: Option<Fig<Time>>,
    pub storage: Option<Fig<UsdPerGbMonth>>,
    pub egress: Option<Fig<UsdPerGb>>,
    pub ingress: Fig<UsdPerGb>,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it was read from, as the user named it.
    pub file: String,
    pub name: String,
    pub description: Option<String>,
    /// The events a day: read as a count, or a day of `event_rate`.
    pub events_per_day: Fig<Count>,
    /// `volume.events_per_day` given as a rate (`500k events/s`); the
    /// events a day are then a day of it, computed in the flow.
    pub event_rate: Option<Fig<Frequency>>,
    pub event_size: Fig<Information>,
    pub workers: Fig<Count>,
    pub deadline: Option<Fig<Time>>,
    /// `schedule: every 1 h`: the time between runs; `None` is one run a day.
    pub schedule: Option<Fig<Time>>,
    /// What every run pays besides its stages' work: an engine's start,
    /// planning and commit (`run_overhead:`).
    pub run_overhead: Option<Fig<Time>>,
    /// The batch's cluster: started for each run or kept up (`cluster:`).
    pub cluster: Cluster,
    /// The oldest an event may be when it becomes available, whatever the
    /// plan (a batch's period and run, a stream's window and processing).
    pub freshness_target: Option<Fig<Time>>,
    pub memory_per_worker: Option<Fig<Information>>,
    /// What each worker has besides its memory (`worker:`).
    pub worker: Option<Worker>,
    /// Length of a billing month.
    pub month: Fig<Time>,
    pub stages: Vec<Stage>,
    pub storage: Vec<Dataset>,
    pub network: Option<Network>,
    pub prices: Prices,
    /// `--scale`: multiplies events per day; `None` when not scaling.
    pub volume_factor: Option<Fig<Ratio>>,
    pub scaling: Scaling,
    /// How often an attempt fails and what the pipeline does about it.
    pub reliability: Option<Reliability>,
    /// The data's defects, as the lecture's pitfalls name them.
    pub quality: Option<Quality>,
    /// The pipeline runs as a stream, always on, instead of a batch.
    pub streaming: Option<Streaming>,
    /// A warehouse that stages may run in and datasets be kept in (ELT).
    pub warehouse: Option<Warehouse>,
    /// Queries a day over datasets in the warehouse, billed by what they scan.
    pub queries: Vec<Query>,
    /// Values that are valid but very likely wrong, each with its place.
    pub warnings: Vec<String>,
    /// The inputs given as ranges (`400 B..600 B`), in file order; this
    /// scenario holds the value its [`Pick`] chose for each.
    pub ranged: Vec<RangedInput>,
    /// Every value the file writes, under its key (`raw::written_keys`).
    pub written: Vec<(String, String)>,
}

/// Which end of each ranged input a scenario is read at.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum End {
    Low,
    #[default]
    Likely,
    High,
    /// This far from the low end to the high end (0 to 1), for sampling.
    At(f64),
}

/// How to read a scenario's ranges: one end for every input, with some
/// inputs at another, and optionally a spread around every point value.
#[derive(Clone, Debug, Default)]
pub struct Pick {
    pub default: End,
    pub overrides: std::collections::BTreeMap<String, End>,
    /// `--sensitivity 20%`: every point quantity that is an input a person
    /// estimates (sizes, rates, durations of work, counts, prices) is read
    /// as ±this share. Targets and policies (deadline, memory per worker,
    /// retention, windows, workers, fractions) stay points.
    pub spread_points: Option<f64>,
}

impl Pick {
    /// Every ranged input at `end`.
    pub fn all(end: End) -> Pick {
        Pick {
            default: end,
            ..Pick::default()
        }
    }

    /// The end this input is read at.
    pub fn end(&self, key: &str) -> End {
        self.overrides.get(key).copied().unwrap_or(self.default)
    }
}

/// An input given as a range.
#[derive(Clone, Debug, PartialEq)]
pub struct RangedInput {
    pub key: String,
    pub line: usize,
    /// As written, or `VALUE ± PCT` for a point under `--sensitivity`.
    pub text: String,
    pub low: units::Parsed,
    pub likely: units::Parsed,
    pub high: units::Parsed,
}

/// How a pipeline runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Runs once a day, or on a `schedule:`.
    Batch,
    /// Always on (`streaming:`), judged by its latency.
    Stream,
    /// A stream for recent data and the batch for history, both paid.
    Hybrid,
}

/// A day of events at `rate`.
/// A stage name a scenario accepts (letters, digits, `_` and `-`) made
/// from any text: an engine's job description (`parquet at
/// NativeMethodAccessorImpl.java:0 (SQL 0)`), a tag with spaces. Runs of
/// other characters become one `-`; at most 60 characters.
pub fn stage_name_from(text: &str) -> String {
    let mut name = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name: String = name.trim_matches('-').chars().take(60).collect();
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "stage".to_string()
    } else {
        name.to_string()
    }
}

pub fn events_in_a_day(rate: &Fig<Frequency>) -> Fig<Count> {
    let day = Fig::input(
        units::seconds(units::SECONDS_PER_DAY),
        "day",
        crate::figure::Source::Default("a day is 86 400 s".into()),
    );
    (&day * rate).named("events_per_day")
}

impl Scenario {
    pub fn mode(&self) -> Mode {
        match &self.streaming {
            None => Mode::Batch,
            Some(s) if s.hybrid => Mode::Hybrid,
            Some(_) => Mode::Stream,
        }
    }

    /// The events a day: as given, or a day of the rate given.
    pub fn events(&self) -> Fig<Count> {
        match &self.event_rate {
            Some(rate) => events_in_a_day(rate),
            None => self.events_per_day.clone(),
        }
    }

    /// Visits every input figure the models read, in file order: the one
    /// list of the scenario's inputs. `--explain` lists them, a study sets
    /// them by their key ([`InputFig::key`]) and strips their words.
    pub fn inputs_mut(&mut self, visit: &mut dyn FnMut(&mut dyn InputFig)) {
        visit(&mut self.events_per_day);
        if let Some(rate) = &mut self.event_rate {
            visit(rate);
        }
        visit(&mut self.event_size);
        visit(&mut self.workers);
        for fig in [
            &mut self.deadline,
            &mut self.schedule,
            &mut self.freshness_target,
        ]
        .into_iter()
        .flatten()
        {
            visit(fig);
        }
        if let Some(memory) = &mut self.memory_per_worker {
            visit(memory);
        }
        if let Some(worker) = &mut self.worker {
            visit(&mut worker.cores);
            if let Some(disk) = &mut worker.disk {
                visit(disk);
            }
            visit(&mut worker.memory_fraction);
        }
        visit(&mut self.month);
        if let Some(overhead) = &mut self.run_overhead {
            visit(overhead);
        }
        if let Some(startup) = &mut self.cluster.startup {
            visit(startup);
        }
        if let Some(factor) = &mut self.volume_factor {
            visit(factor);
        }
        for stage in &mut self.stages {
            stage.inputs_mut(visit);
        }
        for dataset in &mut self.storage {
            visit(&mut dataset.retention);
            visit(&mut dataset.compression_ratio);
            for fig in [&mut dataset.price].into_iter().flatten() {
                visit(fig);
            }
            for fig in [&mut dataset.replication].into_iter().flatten() {
                visit(fig);
            }
        }
        if let Some(network) = &mut self.network {
            visit(&mut network.bandwidth);
            if let Some(card) = &mut network.card {
                visit(card);
            }
            for transfer in &mut network.transfers {
                for fig in [&mut transfer.window].into_iter().flatten() {
                    visit(fig);
                }
                for fig in [&mut transfer.share, &mut transfer.compression]
                    .into_iter()
                    .flatten()
                {
                    visit(fig);
                }
            }
        }
        let prices = &mut self.prices;
        visit(&mut prices.compute);
        for billing in [&mut prices.billing_increment, &mut prices.billing_minimum]
            .into_iter()
            .flatten()
        {
            visit(billing);
        }
        for price in [&mut prices.storage].into_iter().flatten() {
            visit(price);
        }
        if let Some(egress) = &mut prices.egress {
            visit(egress);
        }
        visit(&mut prices.ingress);
        if let Some(r) = &mut self.reliability {
            visit(&mut r.failure_per_attempt);
            visit(&mut r.attempts);
            visit(&mut r.failure_point);
            if let Some(target) = &mut r.target {
                visit(target);
            }
        }
        if let Some(q) = &mut self.quality {
            for share in [&mut q.null_keys, &mut q.duplicates, &mut q.invalid]
                .into_iter()
                .flatten()
            {
                visit(share);
            }
            visit(&mut q.null_alert);
            visit(&mut q.quarantine_retention);
            if let Some((share, by)) = &mut q.late {
                visit(share);
                visit(by);
            }
        }
        if let Some(s) = &mut self.streaming {
            visit(&mut s.peak_factor);
            visit(&mut s.headroom);
            if let Some(minimum) = &mut s.min_workers {
                visit(minimum);
            }
            visit(&mut s.window);
            if let Some(target) = &mut s.latency_target {
                visit(target);
            }
            if let Some(state) = &mut s.state {
                visit(state);
            }
            for fig in [&mut s.peak_duration, &mut s.replay].into_iter().flatten() {
                visit(fig);
            }
        }
        if let Some(w) = &mut self.warehouse {
            if let Some(scan) = &mut w.usd_per_gb_scanned {
                visit(scan);
            }
            if let Some(storage) = &mut w.storage {
                visit(storage);
            }
        }
        for query in &mut self.queries {
            visit(&mut query.per_day);
            match &mut query.scans {
                Scans::All => {}
                Scans::Span(span) => visit(span),
                Scans::Bytes(bytes) => visit(bytes),
            }
            if let Some(columns) = &mut query.columns {
                visit(columns);
            }
        }
    }

    /// Every input figure, in file order, with where it came from; what
    /// `--explain` lists before the working. A value shared by several
    /// figures (the scenario's `parallel`, copied to each stage) is listed
    /// once.
    pub fn inputs(&self) -> Vec<Working> {
        let mut copy = self.clone();
        let mut inputs: Vec<Working> = Vec::new();
        copy.inputs_mut(&mut |fig| {
            let working = fig.working();
            if !inputs.contains(&working) {
                inputs.push(working);
            }
        });
        inputs
    }

    /// Drops the words of every input, so the estimates a study makes of
    /// this scenario compute values only (see [`Fig::strip_working`]).
    pub fn strip_working(&mut self) {
        self.inputs_mut(&mut |fig| fig.strip_working());
    }
}

impl Stage {
    fn inputs_mut(&mut self, visit: &mut dyn FnMut(&mut dyn InputFig)) {
        match &mut self.work {
            Work::ByteThroughput(rate) => visit(rate),
            Work::EventThroughput(rate) => visit(rate),
            Work::Duration(duration) => visit(duration),
            Work::StartupOnly => {}
        }
        if let Some(startup) = &mut self.startup {
            visit(startup);
        }
        match &mut self.output {
            Output::Same { row_size } => {
                if let Some(size) = row_size {
                    visit(size);
                }
            }
            Output::Keep { fraction, row_size } => {
                visit(fraction);
                if let Some(size) = row_size {
                    visit(size);
                }
            }
            Output::Keys {
                keys,
                row_size,
                keys_grow,
            } => {
                visit(keys);
                visit(row_size);
                if let Some(exponent) = keys_grow {
                    visit(exponent);
                }
            }
            Output::Catalogue {
                keys_max,
                skew,
                row_size,
            } => {
                visit(keys_max);
                visit(skew);
                visit(row_size);
            }
        }
        if let Some(fixed) = &mut self.fixed_output_size {
            visit(fixed);
        }
        match &mut self.working_set {
            WorkingSet::Fixed(size) => visit(size),
            WorkingSet::Growing { size, exponent } => {
                visit(size);
                visit(exponent);
            }
            WorkingSet::Input | WorkingSet::Output => {}
        }
        match &mut self.parallel {
            Parallel::Linear => {}
            Parallel::Amdahl { serial_fraction } => visit(serial_fraction),
            Parallel::Usl {
                contention,
                coherency,
            } => {
                visit(contention);
                visit(coherency);
            }
        }
        if let Some(Shares::Rate(rate)) = &mut self.shares {
            visit(rate);
        }
        if let Some(shuffle) = &mut self.shuffle {
            visit(&mut shuffle.partitions);
            visit(&mut shuffle.expansion);
            if let Some(share) = &mut shuffle.share {
                visit(share);
            }
            if let Some((keys, skew)) = &mut shuffle.keys {
                visit(keys);
                visit(skew);
            }
        }
        if let Some(join) = &mut self.join {
            visit(&mut join.with);
            visit(&mut join.broadcast_below);
        }
        if let Some(stragglers) = &mut self.stragglers {
            visit(stragglers);
        }
        if let Some(tasks) = &mut self.max_parallelism {
            visit(tasks);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn any_text_becomes_a_stage_name() {
        use super::stage_name_from;
        assert_eq!(
            stage_name_from("parquet at NativeMethodAccessorImpl.java:0 (SQL 0)"),
            "parquet-at-NativeMethodAccessorImpl-java-0-SQL-0"
        );
        assert_eq!(stage_name_from("ingest"), "ingest");
        assert_eq!(stage_name_from("  ::  "), "stage");
        assert_eq!(stage_name_from(&"x ".repeat(100)).len(), 59);
    }

    use super::*;
    use crate::figure::Source;

    const MINIMAL: &str = "
volume:
  events_per_day: 1M
  event_size: 1 kB
stages:
  - name: only
    bound: cpu
    input: events
    throughput: 1k events/s
prices:
  compute_usd_per_worker_hour: 1
";

    #[test]
    fn a_minimal_scenario_loads_with_documented_defaults() {
        let scenario = parse(MINIMAL, "minimal.yaml").unwrap();
        assert_eq!(scenario.name, "minimal");
        assert_eq!(scenario.workers.value, Count(1.0));
        assert_eq!(scenario.month.base(), 30.0 * 86400.0);
        assert!(matches!(scenario.stages[0].work, Work::EventThroughput(_)));
        assert_eq!(scenario.prices.ingress.value, UsdPerGb(0.0));
        assert!(matches!(
            scenario.events_per_day.source,
            Source::Scenario { line: 3, .. }
        ));
    }

    fn error_of(text: &str) -> String {
        format!("{:#}", parse(text, "t.yaml").unwrap_err())
    }

    #[test]
    fn unknown_keys_suggest_the_nearest_valid_one() {
        let text = MINIMAL.replace("    input: events", "    inptu: events");
        let message = error_of(&text);
        assert!(
            message.starts_with("t.yaml:8:5: error: unknown field `inptu`"),
            "{message}"
        );
        assert!(message.contains("key: stages[0].inptu"), "{message}");
        assert!(message.contains("did you mean `input`?"), "{message}");
    }

    #[test]
    fn throughput_must_match_the_measure() {
        let text = MINIMAL.replace("1k events/s", "5 MB/s");
        let message = error_of(&text);
        assert!(
            message.contains("`5 MB/s` is a data rate, but stage `only` has `input: events`"),
            "{message}"
        );
    }

    #[test]
    fn zero_rates_are_refused() {
        let text = MINIMAL.replace("1k events/s", "0 events/s");
        assert!(error_of(&text).contains("is zero"));
    }
}
