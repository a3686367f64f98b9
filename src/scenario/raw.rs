//! The scenario file's own structure: what serde reads from a file a person
//! wrote (every value kept as text beside its line and column, for
//! validation to parse through the one grammar), and what pipecalc writes
//! when it writes a scenario (`calibrate`), so both use one set of keys.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use super::{Bound, Direction, Measure};

/// A YAML scalar kept as text, whether it was written `10M`, `"500 B"` or
/// `0.023`, so units are parsed by one grammar in `units`.

#[derive(Clone, Debug)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a quantity with its unit, such as \"500 B\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                // As short as it was written: `1e308`, not 309 digits.
                let huge_or_tiny = v != 0.0 && !(1e-5..1e16).contains(&v.abs());
                Ok(Scalar(if huge_or_tiny {
                    format!("{v:e}")
                } else {
                    v.to_string()
                }))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// What an input of the scenario is: a figure a person estimates, or a
/// value a person sets. The role is declared once, by the type of the raw
/// field (`Field` or `Policy`), and every consumer reads it from there:
/// validation, `--sensitivity`, the ranges' corners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputRole {
    /// An estimate (a size, a rate, a duration of work, a price): it may be
    /// written as a range, and `--sensitivity` spreads it.
    Estimate,
    /// A target or a policy (a deadline, a retention, attempts, workers):
    /// one value, never a range and never spread.
    Policy,
}

/// The role a raw field's type declares.
pub trait Role {
    const ROLE: InputRole;
}

/// The marker of an estimated input.
#[derive(Debug)]
pub enum Estimated {}

/// The marker of a target or a policy.
#[derive(Debug)]
pub enum Set {}

impl Role for Estimated {
    const ROLE: InputRole = InputRole::Estimate;
}

impl Role for Set {
    const ROLE: InputRole = InputRole::Policy;
}

/// A scalar of the scenario with its place in the file and its role.
#[derive(Deserialize, Serialize)]
#[serde(transparent, bound = "")]
pub struct Input<R> {
    spanned: Spanned<Scalar>,
    #[serde(skip)]
    role: std::marker::PhantomData<R>,
}

impl<R> Clone for Input<R> {
    fn clone(&self) -> Self {
        Input {
            spanned: self.spanned.clone(),
            role: std::marker::PhantomData,
        }
    }
}

impl<R> std::ops::Deref for Input<R> {
    type Target = Spanned<Scalar>;
    fn deref(&self) -> &Spanned<Scalar> {
        &self.spanned
    }
}

impl<R: Role> Input<R> {
    pub fn role(&self) -> InputRole {
        R::ROLE
    }
}

/// In a scenario's schema, an estimate is a quantity or a range, a policy
/// one value; both are YAML scalars parsed by the one grammar in `units`.
impl<R: Role> schemars::JsonSchema for Input<R> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        match R::ROLE {
            InputRole::Estimate => "Estimate",
            InputRole::Policy => "Policy",
        }
        .into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let description = match R::ROLE {
            InputRole::Estimate => "A quantity with its unit (`500 B`, `8.3 MB/s`, `10M`, `80%`), or a range of them (`400 B..600 B`, `500 B ± 20%`)",
            InputRole::Policy => "One value with its unit (`1 h`, `90 days`, `8 GB`), never a range",
        };
        schemars::json_schema!({
            "type": ["string", "number", "boolean"],
            "description": description,
        })
    }
}

/// An estimated input: a value, or a range of them.
pub type Field = Input<Estimated>;

/// A target or a policy: one value.
pub type Policy = Input<Set>;

/// A value as a person would type it (`12 MB/s`, `0.5`), for a scenario
/// written by pipecalc.
pub fn value<R>(text: impl Into<String>) -> Input<R> {
    Input {
        spanned: spanned(Scalar(text.into())),
        role: std::marker::PhantomData,
    }
}

/// Anything, at no place in a file: what pipecalc writes has no lines yet.
pub fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// Numbers are written bare and everything else as text, so `keep: 0.5`
/// does not come out as `keep: "0.5"`.
impl Serialize for Scalar {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Ok(whole) = self.0.parse::<i64>() {
            serializer.serialize_i64(whole)
        } else if let Some(number) = self.0.parse::<f64>().ok().filter(|n| n.is_finite()) {
            serializer.serialize_f64(number)
        } else {
            serializer.serialize_str(&self.0)
        }
    }
}

/// Every value the scenario writes, under its key, in file order: what
/// `compare` lists when it differs. An item of a list of named things (a
/// stage, a dataset, a transfer, a query) is keyed by its name, so
/// `stages[transform].output.keep` names the same stage in two files even
/// when their stages are listed differently; an empty mapping (`streaming:
/// {}`) is a value of its own. The scenario's own `name` and `description`
/// and each item's `name` are its identity, not values, and are left out.
pub fn written_keys(scenario: &RawScenario) -> Vec<(String, String)> {
    fn walk(value: &serde_json::Value, key: &str, out: &mut Vec<(String, String)>) {
        use serde_json::Value;
        match value {
            Value::Object(map) if map.is_empty() => out.push((key.into(), "{}".into())),
            Value::Object(map) => {
                for (child, value) in map {
                    let identity = if key.is_empty() {
                        child == "name" || child == "description"
                    } else {
                        child == "name" && key.ends_with(']')
                    };
                    if identity {
                        continue;
                    }
                    let key = if key.is_empty() {
                        child.clone()
                    } else {
                        format!("{key}.{child}")
                    };
                    walk(value, &key, out);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let name = item.get("name").and_then(Value::as_str);
                    let key = match name {
                        Some(name) => format!("{key}[{name}]"),
                        None => format!("{key}[{index}]"),
                    };
                    walk(item, &key, out);
                }
            }
            Value::String(text) => out.push((key.into(), text.clone())),
            Value::Null => {}
            other => out.push((key.into(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(scenario) {
        walk(&value, "", &mut out);
    }
    out
}

/// The scenario as YAML, with `header` as a comment block above it.
pub fn to_yaml(scenario: &RawScenario, header: &str) -> anyhow::Result<String> {
    let body = serde_saphyr::to_string(scenario)
        .map_err(|e| anyhow::anyhow!("cannot write the scenario as YAML: {e}"))?;
    // A control character in what the header quotes (a path with a
    // carriage return) would end the comment and start a YAML key.
    let header = crate::text::printable_lines(header);
    let comments: String = header
        .lines()
        .map(|line| {
            if line.is_empty() {
                "#\n".to_string()
            } else {
                format!("# {line}\n")
            }
        })
        .collect();
    Ok(format!("{comments}{body}"))
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub volume: RawVolume,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Policy>,
    /// What every run pays whatever its data and workers: an engine's
    /// start, planning and commit (Spark's time outside its stages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_overhead: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness_target: Option<Policy>,
    /// Whether the batch's cluster is started for each run or kept up.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawCluster>")]
    pub cluster: Option<Spanned<RawCluster>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_per_worker: Option<Policy>,
    /// What each worker has besides its memory: cores, its own disk, and
    /// the share of its memory the engine gives tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawWorker>")]
    pub worker: Option<Spanned<RawWorker>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawParallel>")]
    pub parallel: Option<Spanned<RawParallel>>,
    #[schemars(with = "Vec<RawStage>")]
    pub stages: Spanned<Vec<RawStage>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage: Vec<RawDataset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<RawNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawPrices>")]
    pub prices: Option<Spanned<RawPrices>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling: Option<RawScaling>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawReliability>")]
    pub reliability: Option<Spanned<RawReliability>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawQuality>")]
    pub quality: Option<Spanned<RawQuality>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawStreaming>")]
    pub streaming: Option<Spanned<RawStreaming>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawWarehouse>")]
    pub warehouse: Option<Spanned<RawWarehouse>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<RawQuery>,
}

impl RawScenario {
    /// A scenario of these volume and stages and nothing else written: what
    /// pipecalc builds (a calibration) starts here, so a new block is added
    /// where the file's structure is, not in every builder.
    pub fn of(volume: RawVolume, stages: Vec<RawStage>) -> RawScenario {
        RawScenario {
            name: None,
            description: None,
            volume,
            workers: None,
            deadline: None,
            schedule: None,
            run_overhead: None,
            freshness_target: None,
            cluster: None,
            memory_per_worker: None,
            worker: None,
            month: None,
            parallel: None,
            stages: spanned(stages),
            storage: Vec::new(),
            network: None,
            prices: None,
            scaling: None,
            reliability: None,
            quality: None,
            streaming: None,
            warehouse: None,
            queries: Vec::new(),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct RawWorker {
    /// Tasks a worker runs at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cores: Option<Policy>,
    /// Its own disk's bandwidth, which a shuffle and a spill write and read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<Field>,
    /// The share of (memory − 300 MiB) the engine gives its tasks (Spark's
    /// `spark.memory.fraction`, 0.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_fraction: Option<Policy>,
}

/// `worker:` is a mapping; a number there is almost always the count of
/// workers, which is `workers:`, so that is what the error says.
impl<'de> Deserialize<'de> for RawWorker {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Fields {
            cores: Option<Policy>,
            disk: Option<Field>,
            memory_fraction: Option<Policy>,
        }
        struct WorkerVisitor;
        impl<'de> Visitor<'de> for WorkerVisitor {
            type Value = RawWorker;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a mapping of what each worker has (`cores`, `disk`, `memory_fraction`)",
                )
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawWorker, A::Error> {
                let fields = Fields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawWorker {
                    cores: fields.cores,
                    disk: fields.disk,
                    memory_fraction: fields.memory_fraction,
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawWorker, E> {
                Err(E::custom(format!(
                    "`worker:` describes each worker (`cores`, `disk`, `memory_fraction`); for the number of workers write `workers: {v}`"
                )))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawWorker, E> {
                self.visit_u64(v.unsigned_abs())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawWorker, E> {
                Err(E::custom(format!(
                    "`worker:` describes each worker as a mapping (e.g. `worker: {{ cores: 4, disk: 125 MiB/s }}`), not `{v}`; for the number of workers write `workers:`"
                )))
            }
        }
        deserializer.deserialize_any(WorkerVisitor)
    }
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<super::ClusterLife>")]
    pub life: Option<Spanned<super::ClusterLife>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup: Option<Field>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawParallel {
    pub model: ParallelKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_fraction: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contention: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coherency: Option<Field>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParallelKind {
    Linear,
    Amdahl,
    Usl,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScaling {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<Policy>>")]
    pub factors: Option<Spanned<Vec<Policy>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<Policy>>")]
    pub workers: Option<Spanned<Vec<Policy>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_workers: Option<Policy>,
}

/// Where a stage runs or a dataset is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Place {
    /// The scenario's own workers and storage (`prices:`).
    Cluster,
    /// The same as `cluster`, for datasets: the data lake.
    Lake,
    /// A warehouse that bills by the bytes a query scans (`warehouse:`).
    Warehouse,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWarehouse {
    /// A catalog entry that prices the scan (`gcp/us/bigquery/on-demand`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub entry: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd_per_tb_scanned: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_usd_per_gb_month: Option<Field>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuery {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "String")]
    pub over: Spanned<String>,
    pub per_day: Policy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scans: Option<Policy>,
    /// The share of the dataset's columns a query reads (a column store
    /// scans only those).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Field>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStreaming {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hybrid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_factor: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headroom: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_workers: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_target: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Field>,
    /// How long the peak lasts: with it, a stream that cannot keep up
    /// with its peak has a backlog, a time to drain it and a worst age.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_duration: Option<Policy>,
    /// Days of data to replay at the fleet's spare capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<Policy>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuality {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_keys: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_alert: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine_retention: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_by: Option<Field>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReliability {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_per_attempt: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoints: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_point: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Policy>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVolume {
    pub events_per_day: Field,
    pub event_size: Field,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    pub bound: Bound,
    #[schemars(with = "Measure")]
    pub input: Spanned<Measure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<Field>,
    /// A time the stage takes every run that neither grows with the data
    /// nor shrinks with workers (scheduling its tasks, opening its files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawOutput>")]
    pub output: Option<Spanned<RawOutput>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_set: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_set_grows: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawParallel>")]
    pub parallel: Option<Spanned<RawParallel>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Place>")]
    pub runs_in: Option<Spanned<Place>>,
    /// A wide stage: its input (and a shuffled join's other input) moves
    /// across the workers by key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawShuffle>")]
    pub shuffle: Option<Spanned<RawShuffle>>,
    /// A second input the stage joins with its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RawJoin>")]
    pub join: Option<Spanned<RawJoin>>,
    /// The slowest task's time ÷ the median task's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stragglers: Option<Field>,
    /// Tasks the stage runs at once whatever the workers (a single-threaded
    /// source is 1; a topic's partitions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_parallelism: Option<Policy>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawShuffle {
    /// Reduce tasks (Spark's `spark.sql.shuffle.partitions`, 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<Policy>,
    /// A partition's size in memory ÷ its size on disk (Java objects take
    /// 2–5× their raw bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expansion: Option<Field>,
    /// The bytes shuffled over the stage's input bytes (1 unless set): a
    /// shuffle moves the columns it needs, serialized and compressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<Field>,
    /// An aggregation combines its rows by key before the shuffle (Spark's
    /// map-side combine): what moves grows with its output, the keys, not
    /// its input; `share` is then of its output's bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combine: Option<bool>,
    /// The keys shuffled on: how many, and their Zipf skew; without them
    /// a stage's own `keys_max` and `key_skew`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_skew: Option<Field>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawJoin {
    /// The other input's size, read whole by every run.
    pub with: Field,
    /// Below this size the other input is broadcast to every worker
    /// (Spark's `autoBroadcastJoinThreshold`, 10 MB); above it both are
    /// shuffled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broadcast_below: Option<Policy>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_size: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_size: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_grow: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_max: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_skew: Option<Field>,
}

impl RawOutput {
    /// A stage that keeps a `fraction` of its rows, each `row_size`.
    pub fn kept(fraction: Field, row_size: Option<Field>) -> RawOutput {
        RawOutput {
            keep: Some(fraction),
            rows: None,
            row_size,
            fixed_size: None,
            keys_grow: None,
            keys_max: None,
            key_skew: None,
        }
    }

    /// A stage whose rows out are `rows` distinct keys, grown by `grow`.
    pub fn keys(rows: Field, row_size: Option<Field>, grow: Field) -> RawOutput {
        RawOutput {
            keep: None,
            rows: Some(rows),
            row_size,
            fixed_size: None,
            keys_grow: Some(grow),
            keys_max: None,
            key_skew: None,
        }
    }
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "String")]
    pub of: Spanned<String>,
    pub retention: Policy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression_ratio: Option<Field>,
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Place>")]
    pub place: Option<Spanned<Place>>,
    /// A storage class of the catalog (`prices.provider` and `region`):
    /// this dataset's price.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub class: Option<Spanned<String>>,
    /// Copies kept (HDFS keeps 3); each is paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication: Option<Policy>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub bandwidth: Field,
    /// Each worker's own network card: a shuffle's bytes and a stage that
    /// reads over it (`shares: card`) are carried by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Field>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transfers: Vec<RawTransfer>,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTransfer {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "String")]
    pub of: Spanned<String>,
    pub direction: Direction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<Field>,
    /// Compressed on the wire: the bytes ÷ this ratio cross the link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<Field>,
}

#[derive(Deserialize, Serialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPrices {
    /// With `region`, prices come from the catalog (`aws`, `gcp`, `azure`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub provider: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub region: Option<Spanned<String>>,
    /// An instance type: its price, billing, memory and cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub instance: Option<Spanned<String>>,
    /// A storage class: the stored datasets' price.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub storage_class: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_usd_per_worker_hour: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_increment: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_minimum: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_usd_per_gb_month: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress_usd_per_gb: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress_usd_per_gb: Option<Field>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What pipecalc writes reads back as the same scenario: every bundled
    /// scenario, read into the raw structure and written out again, gives
    /// the same estimate.
    #[test]
    fn a_written_scenario_reads_back_the_same() {
        for (file, text) in [
            (
                "clickstream.yaml",
                include_str!("../../scenarios/clickstream.yaml"),
            ),
            (
                "sessionize.yaml",
                include_str!("../../scenarios/sessionize.yaml"),
            ),
            (
                "telemetry-wan.yaml",
                include_str!("../../scenarios/telemetry-wan.yaml"),
            ),
        ] {
            let raw: RawScenario = serde_saphyr::from_str(text).unwrap();
            let written = to_yaml(&raw, "written back\n\nby a test").unwrap();
            assert!(written.starts_with("# written back\n#\n# by a test\n"));
            let summary = |text: &str| {
                let scenario = crate::scenario::parse(text, file).unwrap();
                let estimate = crate::model::estimate(&scenario);
                crate::model::summary::summary(&estimate)
                    .into_iter()
                    .map(|m| (m.key, m.amount))
                    .collect::<Vec<_>>()
            };
            assert_eq!(summary(text), summary(&written), "{file}:\n{written}");
        }
    }
}
