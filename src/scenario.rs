//! The scenario file: its YAML schema, its defaults, and its validation.
//!
//! Loading happens in two steps. Serde reads the file into the `Raw*`
//! structs (structure, unknown keys, duplicate keys, YAML syntax), keeping
//! every value's line. Validation then parses quantities with their units,
//! checks ranges and cross-field rules, and builds a [`Scenario`] whose every
//! value is an input [`Fig`] that remembers its key and line. Any problem
//! stops the load with one error that names the file, the field, the line,
//! what was wrong and what is accepted; nothing partial comes out.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use uom::si::f64::{Frequency, Information, InformationRate, Time};

use crate::figure::{Fig, Source, Working};
use crate::units::{
    self, Count, Kind, Parsed, Quantity, Ratio, UsdPerGb, UsdPerGbMonth, UsdPerHour,
};

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

// ---------------------------------------------------------------------------
// Raw schema, as written by hand.

/// A YAML scalar kept as text, whether it was written `10M`, `"500 B"` or
/// `0.023`, so units are parsed by one grammar in `units`.

#[derive(Clone, Debug)]
struct Scalar(String);

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
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

type Field = Spanned<Scalar>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    volume: RawVolume,
    workers: Option<Field>,
    deadline: Option<Field>,
    memory_per_worker: Option<Field>,
    month: Option<Field>,
    parallel: Option<Spanned<RawParallel>>,
    stages: Spanned<Vec<RawStage>>,
    #[serde(default)]
    storage: Vec<RawDataset>,
    network: Option<RawNetwork>,
    prices: Option<Spanned<RawPrices>>,
    scaling: Option<RawScaling>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParallel {
    model: ParallelKind,
    serial_fraction: Option<Field>,
    contention: Option<Field>,
    coherency: Option<Field>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ParallelKind {
    Linear,
    Amdahl,
    Usl,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScaling {
    factors: Option<Spanned<Vec<Field>>>,
    workers: Option<Spanned<Vec<Field>>>,
    compression: Option<Field>,
    growth: Option<Field>,
    max_workers: Option<Field>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVolume {
    events_per_day: Field,
    event_size: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    name: Spanned<String>,
    bound: Bound,
    input: Spanned<Measure>,
    throughput: Option<Field>,
    duration: Option<Field>,
    output: Option<Spanned<RawOutput>>,
    working_set: Option<Field>,
    parallel: Option<Spanned<RawParallel>>,
    shares: Option<Field>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    keep: Option<Field>,
    rows: Option<Field>,
    row_size: Option<Field>,
    keys_grow: Option<Field>,
    keys_max: Option<Field>,
    key_skew: Option<Field>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    name: Spanned<String>,
    of: Spanned<String>,
    retention: Field,
    compression_ratio: Option<Field>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    bandwidth: Field,
    #[serde(default)]
    transfers: Vec<RawTransfer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransfer {
    name: Spanned<String>,
    of: Spanned<String>,
    direction: Direction,
    window: Option<Field>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPrices {
    compute_usd_per_worker_hour: Option<Field>,
    billing_increment: Option<Field>,
    storage_usd_per_gb_month: Option<Field>,
    egress_usd_per_gb: Option<Field>,
    ingress_usd_per_gb: Option<Field>,
}

// ---------------------------------------------------------------------------
// Validated scenario.

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
#[derive(Clone, Debug)]
pub enum Work {
    /// Bytes per second per worker (`input: bytes`).
    ByteThroughput(Fig<InformationRate>),
    /// Events (rows) per second per worker (`input: events`).
    EventThroughput(Fig<Frequency>),
    /// A duration measured at the scenario's own volume; it scales linearly
    /// with the volume factor, which is the lecture's rule.
    Duration(Fig<Time>),
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
    Fixed(Fig<Information>),
}

/// How a stage speeds up with N workers.
#[derive(Clone, Debug)]
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
    /// Another shared resource with this rate (a disk, a database).
    Rate(Fig<InformationRate>),
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub name: String,
    pub bound: Bound,
    pub measure: Measure,
    pub work: Work,
    pub output: Output,
    pub working_set: WorkingSet,
    pub parallel: Parallel,
    pub shares: Option<Shares>,
}

/// Growth of the data over time, as a multiplier per year.
#[derive(Clone, Debug)]
pub struct Growth {
    pub per_year: f64,
    /// As written: "10x per 5 years".
    pub text: String,
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
}

#[derive(Clone, Debug)]
pub struct Transfer {
    pub name: String,
    pub of: DataRef,
    pub of_text: String,
    pub direction: Direction,
    pub window: Option<Fig<Time>>,
}

#[derive(Clone, Debug)]
pub struct Network {
    pub bandwidth: Fig<InformationRate>,
    pub transfers: Vec<Transfer>,
}

#[derive(Clone, Debug)]
pub struct Prices {
    pub compute: Fig<UsdPerHour>,
    pub billing_increment: Option<Fig<Time>>,
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
    pub events_per_day: Fig<Count>,
    pub event_size: Fig<Information>,
    pub workers: Fig<Count>,
    pub deadline: Option<Fig<Time>>,
    pub memory_per_worker: Option<Fig<Information>>,
    /// Length of a billing month.
    pub month: Fig<Time>,
    pub stages: Vec<Stage>,
    pub storage: Vec<Dataset>,
    pub network: Option<Network>,
    pub prices: Prices,
    /// `--scale`: multiplies events per day; `None` when not scaling.
    pub volume_factor: Option<Fig<Ratio>>,
    pub scaling: Scaling,
}

// ---------------------------------------------------------------------------
// Loading.

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read scenario `{file}`"))?;
    parse(&text, &file).with_context(|| format!("invalid scenario `{file}`"))
}

/// Parses and validates scenario text; `file` names it in errors and reports.
pub fn parse(text: &str, file: &str) -> Result<Scenario> {
    let mut path = String::new();
    let raw = serde_saphyr::with_deserializer_from_str_with_options(
        text,
        serde_saphyr::options! { with_snippet: false },
        |deserializer| {
            serde_path_to_error::deserialize::<_, RawScenario>(deserializer).map_err(|e| {
                path = e.path().to_string();
                e.into_inner()
            })
        },
    );
    let raw = raw.map_err(|e| anyhow!(describe_yaml_error(&e, &path)))?;
    Validator { file }.scenario(raw)
}

fn describe_yaml_error(error: &serde_saphyr::Error, path: &str) -> String {
    let message = error.without_snippet().to_string();
    // The parser appends " at line L, column C"; pipecalc puts the place first.
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    };
    // The parser's hint is for programmers configuring it, not for users.
    let message = message.replace(
        ", set DuplicateKeyPolicy in Options if acceptable",
        "; each key may appear once in a mapping",
    );
    let message = with_suggestion(&message);
    // `Spanned` wrappers add a `.value` segment that is not in the file.
    // `Spanned` wrappers add a `.value` segment that is not in the file, and
    // a key the parser could not name shows as `?`.
    let path = path
        .replace(".value", "")
        .replace(".?", "")
        .replace('?', "");
    let path = path.trim_end_matches('.');
    let place = match error.location() {
        Some(at) => format!("line {}, column {}", at.line(), at.column()),
        None => "somewhere in the file".to_string(),
    };
    if path.is_empty() {
        format!("{place}: {message}")
    } else {
        format!("`{path}` ({place}): {message}")
    }
}

/// Adds "did you mean `keep`?" to serde's unknown-field and unknown-variant
/// messages when one valid name is close to the misspelt one.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return message.to_string();
    };
    let Some((wrong, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let candidates: Vec<&str> = expected
        .trim_start_matches(", expected one of ")
        .trim_start_matches(", expected ")
        .split(", ")
        .map(|c| c.trim_matches('`'))
        .filter(|c| !c.is_empty())
        .collect();
    let best = candidates
        .iter()
        .map(|c| (edit_distance(wrong, c), *c))
        .min();
    match best {
        Some((distance, candidate)) if distance <= wrong.len().max(3) / 2 + 1 => {
            format!("{message}; did you mean `{candidate}`?")
        }
        _ => message.to_string(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

struct Validator<'a> {
    file: &'a str,
}

fn at(location: &Location) -> String {
    format!("line {}, column {}", location.line(), location.column())
}

impl Validator<'_> {
    fn error(&self, key: &str, location: &Location, problem: impl fmt::Display) -> anyhow::Error {
        anyhow!("`{key}` ({}): {problem}", at(location))
    }

    fn source(&self, key: &str, location: &Location) -> Source {
        Source::Scenario {
            key: key.to_string(),
            line: location.line(),
        }
    }

    fn parsed(&self, field: &Field, key: &str, kind: Kind) -> Result<Parsed> {
        units::parse_as(&field.value.0, kind).map_err(|e| self.error(key, &field.referenced, e))
    }

    /// The field parsed as `kind` and taken apart by `extract`; a value of
    /// another kind is an error naming the kind expected.
    fn parsed_into<T>(
        &self,
        field: &Field,
        key: &str,
        kind: Kind,
        extract: impl Fn(Parsed) -> Option<T>,
    ) -> Result<T> {
        extract(self.parsed(field, key, kind)?).ok_or_else(|| {
            self.error(
                key,
                &field.referenced,
                format!("{} is expected", kind.noun()),
            )
        })
    }

    /// A quantity that must be strictly positive.
    fn positive<Q: Quantity>(
        &self,
        field: &Field,
        key: &str,
        symbol: &str,
        kind: Kind,
        extract: impl Fn(Parsed) -> Option<Q>,
    ) -> Result<Fig<Q>> {
        let value = self.parsed_into(field, key, kind, extract)?;
        if value.base() <= 0.0 {
            let what = if value.base() == 0.0 {
                "zero"
            } else {
                "negative"
            };
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is {what}; {} must be greater than zero",
                    field.value.0,
                    kind.noun()
                ),
            ));
        }
        let (least, most, range) = kind.plausible();
        if !(least..=most).contains(&value.base()) {
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is not a plausible value here; {} in a scenario is {range}",
                    field.value.0,
                    kind.noun()
                ),
            ));
        }
        Ok(Fig::input(
            value,
            symbol,
            self.source(key, &field.referenced),
        ))
    }

    fn size(&self, field: &Field, key: &str, symbol: &str) -> Result<Fig<Information>> {
        self.positive(field, key, symbol, Kind::Size, |p| match p {
            Parsed::Size(v) => Some(v),
            _ => None,
        })
    }

    fn duration(&self, field: &Field, key: &str, symbol: &str) -> Result<Fig<Time>> {
        self.positive(field, key, symbol, Kind::Duration, |p| match p {
            Parsed::Duration(v) => Some(v),
            _ => None,
        })
    }

    fn count(&self, field: &Field, key: &str, symbol: &str) -> Result<Fig<Count>> {
        self.positive(field, key, symbol, Kind::Count, |p| match p {
            Parsed::Number(v) => Some(Count(v)),
            _ => None,
        })
    }

    fn ratio(&self, field: &Field, key: &str, symbol: &str) -> Result<Fig<Ratio>> {
        self.positive(field, key, symbol, Kind::Ratio, |p| match p {
            Parsed::Number(v) => Some(Ratio(v)),
            _ => None,
        })
    }

    fn byte_rate(&self, field: &Field, key: &str, symbol: &str) -> Result<Fig<InformationRate>> {
        self.positive(field, key, symbol, Kind::ByteRate, |p| match p {
            Parsed::ByteRate(v) => Some(v),
            _ => None,
        })
    }

    fn event_rate(&self, field: &Field, key: &str, symbol: &str) -> Result<Fig<Frequency>> {
        self.positive(field, key, symbol, Kind::EventRate, |p| match p {
            Parsed::EventRate(v) => Some(v),
            _ => None,
        })
    }

    /// A price may be zero (free ingress) but never negative.
    fn price(&self, field: &Field, key: &str) -> Result<f64> {
        let value = self.parsed_into(field, key, Kind::Money, |p| match p {
            Parsed::Number(v) | Parsed::Money(v) => Some(v),
            _ => None,
        })?;
        if value < 0.0 {
            return Err(self.error(
                key,
                &field.referenced,
                format!("`{}` is negative; prices are zero or more", field.value.0),
            ));
        }
        Ok(value)
    }

    fn fraction(&self, field: &Field, key: &str, symbol: &str) -> Result<Fig<Ratio>> {
        let value = self.parsed_into(field, key, Kind::Fraction, |p| match p {
            Parsed::Number(v) | Parsed::Percent(v) => Some(v),
            _ => None,
        })?;
        if !(value > 0.0 && value <= 1.0) {
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is outside 0..1; a stage keeps more than none and at most all of its rows (0 < keep ≤ 1, e.g. 0.8 or \"80%\")",
                    field.value.0
                ),
            ));
        }
        Ok(Fig::input(
            Ratio(value),
            symbol,
            self.source(key, &field.referenced),
        ))
    }

    fn scenario(&self, raw: RawScenario) -> Result<Scenario> {
        let events_per_day = self.count(
            &raw.volume.events_per_day,
            "volume.events_per_day",
            "events_per_day",
        )?;
        let event_size = self.size(&raw.volume.event_size, "volume.event_size", "event_size")?;
        let workers = match &raw.workers {
            Some(field) => Fig::input(
                Count(f64::from(self.whole(field, "workers")?)),
                "N_workers",
                self.source("workers", &field.referenced),
            ),
            None => Fig::input(
                Count(1.0),
                "N_workers",
                Source::Default("one worker, as in the lecture's sequential plan".into()),
            ),
        };
        let deadline = raw
            .deadline
            .as_ref()
            .map(|f| self.duration(f, "deadline", "deadline"))
            .transpose()?;
        let memory_per_worker = raw
            .memory_per_worker
            .as_ref()
            .map(|f| self.size(f, "memory_per_worker", "memory_per_worker"))
            .transpose()?;
        let month = match &raw.month {
            Some(field) => self.duration(field, "month", "month")?,
            None => Fig::input(
                units::seconds(30.0 * units::SECONDS_PER_DAY),
                "month",
                Source::Default("a month is 30 days".into()),
            ),
        };

        if raw.stages.value.is_empty() {
            return Err(self.error(
                "stages",
                &raw.stages.referenced,
                "the stage list is empty; a pipeline needs at least one stage (name, bound, input, and a throughput or a duration)",
            ));
        }
        let mut names = BTreeSet::new();
        for (index, stage) in raw.stages.value.iter().enumerate() {
            let key = format!("stages[{index}].name");
            let name = stage.name.value.as_str();
            let well_formed = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !well_formed {
                return Err(self.error(
                    &key,
                    &stage.name.referenced,
                    format!("`{name}` is not a stage name; use letters, digits, `_` and `-`"),
                ));
            }
            if !names.insert(name.to_string()) {
                return Err(self.error(
                    &key,
                    &stage.name.referenced,
                    format!("stage name `{name}` is used twice; each stage needs its own name"),
                ));
            }
        }
        let default_parallel = match &raw.parallel {
            Some(parallel) => self.parallel(parallel, "parallel", "")?,
            None => Parallel::Linear,
        };
        let stage_names: Vec<String> = raw
            .stages
            .value
            .iter()
            .map(|s| s.name.value.clone())
            .collect();
        let stages = raw
            .stages
            .value
            .iter()
            .enumerate()
            .map(|(index, stage)| {
                self.stage(index, stage, &default_parallel, raw.network.is_some())
            })
            .collect::<Result<Vec<_>>>()?;

        let storage = raw
            .storage
            .iter()
            .enumerate()
            .map(|(index, dataset)| {
                let key = format!("storage[{index}]");
                let name = dataset.name.value.clone();
                Ok(Dataset {
                    of: self.data_ref(&dataset.of, &format!("{key}.of"), &stage_names)?,
                    of_text: dataset.of.value.clone(),
                    retention: self.duration(
                        &dataset.retention,
                        &format!("{key}.retention"),
                        &format!("retention[{name}]"),
                    )?,
                    compression_ratio: match &dataset.compression_ratio {
                        Some(field) => self.ratio(
                            field,
                            &format!("{key}.compression_ratio"),
                            &format!("compression[{name}]"),
                        )?,
                        None => Fig::input(
                            Ratio(1.0),
                            format!("compression[{name}]"),
                            Source::Default("stored as is, no compression".into()),
                        ),
                    },
                    name,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.unique_names(raw.storage.iter().map(|d| &d.name), "storage", "dataset")?;

        let network = match &raw.network {
            None => None,
            Some(network) => {
                let transfers = network
                    .transfers
                    .iter()
                    .enumerate()
                    .map(|(index, transfer)| {
                        let key = format!("network.transfers[{index}]");
                        Ok(Transfer {
                            name: transfer.name.value.clone(),
                            of: self.data_ref(&transfer.of, &format!("{key}.of"), &stage_names)?,
                            of_text: transfer.of.value.clone(),
                            direction: transfer.direction,
                            window: transfer
                                .window
                                .as_ref()
                                .map(|f| {
                                    self.duration(
                                        f,
                                        &format!("{key}.window"),
                                        &format!("window[{}]", transfer.name.value),
                                    )
                                })
                                .transpose()?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                self.unique_names(
                    network.transfers.iter().map(|t| &t.name),
                    "network.transfers",
                    "transfer",
                )?;
                Some(Network {
                    bandwidth: self.byte_rate(
                        &network.bandwidth,
                        "network.bandwidth",
                        "bandwidth",
                    )?,
                    transfers,
                })
            }
        };

        let prices = self.prices(raw.prices.as_ref(), &storage, network.as_ref())?;

        Ok(Scenario {
            file: self.file.to_string(),
            name: raw.name.unwrap_or_else(|| {
                Path::new(self.file)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "scenario".into())
            }),
            description: raw.description,
            events_per_day,
            event_size,
            workers,
            deadline,
            memory_per_worker,
            month,
            stages,
            storage,
            network,
            prices,
            volume_factor: None,
            scaling: self.scaling(raw.scaling.as_ref())?,
        })
    }

    fn unique_names<'n>(
        &self,
        names: impl Iterator<Item = &'n Spanned<String>>,
        list: &str,
        what: &str,
    ) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (index, name) in names.enumerate() {
            if !seen.insert(name.value.as_str()) {
                return Err(self.error(
                    &format!("{list}[{index}].name"),
                    &name.referenced,
                    format!("{what} name `{}` is used twice", name.value),
                ));
            }
        }
        Ok(())
    }

    fn data_ref(&self, text: &Spanned<String>, key: &str, stages: &[String]) -> Result<DataRef> {
        let accepted = || {
            stages
                .iter()
                .flat_map(|s| [format!("{s}.input"), format!("{s}.output")])
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (stage, side) = text.value.split_once('.').ok_or_else(|| {
            self.error(
                key,
                &text.referenced,
                format!(
                    "`{}` names no stage's data; use one of {}",
                    text.value,
                    accepted()
                ),
            )
        })?;
        let side = match side {
            "input" => Side::Input,
            "output" => Side::Output,
            _ => {
                return Err(self.error(
                    key,
                    &text.referenced,
                    format!("`{}`: after the dot comes `input` or `output`", text.value),
                ))
            }
        };
        let stage = stages.iter().position(|s| s == stage).ok_or_else(|| {
            self.error(
                key,
                &text.referenced,
                format!("no stage is called `{stage}`; use one of {}", accepted()),
            )
        })?;
        Ok(DataRef { stage, side })
    }

    fn parallel(&self, raw: &Spanned<RawParallel>, key: &str, suffix: &str) -> Result<Parallel> {
        let fields = &raw.value;
        let field_key = |name: &str| format!("{key}.{name}");
        let unexpected = |name: &str, field: &Option<Field>, model: &str| -> Result<()> {
            match field {
                Some(f) => Err(self.error(
                    &field_key(name),
                    &f.referenced,
                    format!("`{name}` does not apply to the {model} model"),
                )),
                None => Ok(()),
            }
        };
        let bounded =
            |field: &Field, name: &str, symbol: &str, upper: Option<f64>| -> Result<Fig<Ratio>> {
                let k = field_key(name);
                let value = self.parsed_into(field, &k, Kind::Fraction, |p| match p {
                    Parsed::Number(v) | Parsed::Percent(v) => Some(v),
                    _ => None,
                })?;
                let in_range = value >= 0.0 && upper.is_none_or(|u| value <= u);
                if !in_range {
                    let range = match upper {
                        Some(u) => format!("from 0 to {u}"),
                        None => "zero or more".into(),
                    };
                    return Err(self.error(
                        &k,
                        &field.referenced,
                        format!("`{}` is out of range; {name} is {range}", field.value.0),
                    ));
                }
                Ok(Fig::input(
                    Ratio(value),
                    format!("{symbol}{suffix}"),
                    self.source(&k, &field.referenced),
                ))
            };
        let required = |field: &Option<Field>, name: &str, model: &str| -> Result<Field> {
            field.clone().ok_or_else(|| {
                self.error(
                    key,
                    &raw.referenced,
                    format!("the {model} model needs `{name}`"),
                )
            })
        };
        Ok(match fields.model {
            ParallelKind::Linear => {
                unexpected("serial_fraction", &fields.serial_fraction, "linear")?;
                unexpected("contention", &fields.contention, "linear")?;
                unexpected("coherency", &fields.coherency, "linear")?;
                Parallel::Linear
            }
            ParallelKind::Amdahl => {
                unexpected("contention", &fields.contention, "Amdahl")?;
                unexpected("coherency", &fields.coherency, "Amdahl")?;
                let field = required(&fields.serial_fraction, "serial_fraction", "Amdahl")?;
                Parallel::Amdahl {
                    serial_fraction: bounded(&field, "serial_fraction", "s", Some(1.0))?,
                }
            }
            ParallelKind::Usl => {
                unexpected("serial_fraction", &fields.serial_fraction, "USL")?;
                let contention = required(&fields.contention, "contention", "USL")?;
                let contention = bounded(&contention, "contention", "σ", Some(1.0))?;
                let coherency = match &fields.coherency {
                    Some(field) => bounded(field, "coherency", "κ", None)?,
                    None => Fig::input(
                        Ratio(0.0),
                        format!("κ{suffix}"),
                        Source::Default("no coherency cost unless given".into()),
                    ),
                };
                Parallel::Usl {
                    contention,
                    coherency,
                }
            }
        })
    }

    fn scaling(&self, raw: Option<&RawScaling>) -> Result<Scaling> {
        let mut scaling = Scaling {
            factors: vec![1.0, 2.0, 10.0],
            workers: Vec::new(),
            compression: None,
            growth: None,
            max_workers: 64,
        };
        let Some(raw) = raw else {
            return Ok(scaling);
        };
        if let Some(factors) = &raw.factors {
            scaling.factors = factors
                .value
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    Ok(self
                        .ratio(f, &format!("scaling.factors[{i}]"), "factor")?
                        .value
                        .0)
                })
                .collect::<Result<_>>()?;
            if scaling.factors.is_empty() {
                return Err(self.error(
                    "scaling.factors",
                    &factors.referenced,
                    "the list of factors is empty",
                ));
            }
        }
        if let Some(workers) = &raw.workers {
            scaling.workers = workers
                .value
                .iter()
                .enumerate()
                .map(|(i, f)| self.whole(f, &format!("scaling.workers[{i}]")))
                .collect::<Result<_>>()?;
        }
        if let Some(field) = &raw.compression {
            let ratio = self
                .ratio(field, "scaling.compression", "compression")?
                .value
                .0;
            if ratio < 1.0 {
                return Err(self.error(
                    "scaling.compression",
                    &field.referenced,
                    format!("`{}` would expand the data; a compression what-if is a ratio of 1 or more (5 stores a fifth)", field.value.0),
                ));
            }
            scaling.compression = Some(ratio);
        }
        if let Some(field) = &raw.growth {
            let per_year = units::parse_growth(&field.value.0)
                .map_err(|e| self.error("scaling.growth", &field.referenced, e))?;
            scaling.growth = Some(Growth {
                per_year,
                text: field.value.0.trim().to_string(),
            });
        }
        if let Some(field) = &raw.max_workers {
            scaling.max_workers = self.whole(field, "scaling.max_workers")?;
        }
        Ok(scaling)
    }

    fn output(&self, output: &Spanned<RawOutput>, name: &str, index: usize) -> Result<Output> {
        let key = |field: &str| format!("stages[{index}].output.{field}");
        let fields = &output.value;
        let row_size = fields
            .row_size
            .as_ref()
            .map(|f| self.size(f, &key("row_size"), &format!("row_size[{name}]")))
            .transpose()?;
        let needs_row_size = |what: &str| {
            self.error(
                &format!("stages[{index}].output"),
                &output.referenced,
                format!("`{what}` needs a `row_size` (e.g. `row_size: 100 B`) to know the output's bytes"),
            )
        };
        let exclusive = |field: &Option<Field>, other: &str, why: &str| -> Result<()> {
            match field {
                Some(f) => Err(self.error(&key(other), &f.referenced, why.to_string())),
                None => Ok(()),
            }
        };
        let only_keys = "applies only to an output of distinct keys (`rows`)";
        match (&fields.keep, &fields.rows, &fields.keys_max) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                let field = fields.rows.as_ref().or(fields.keys_max.as_ref()).expect("matched");
                Err(self.error(
                    &key(if fields.rows.is_some() { "rows" } else { "keys_max" }),
                    &field.referenced,
                    "`keep` and distinct keys both given; a stage keeps a fraction of its rows or puts out one row per distinct key, not both",
                ))
            }
            (_, Some(_), Some(field)) => Err(self.error(
                &key("keys_max"),
                &field.referenced,
                "`rows` and `keys_max` both given; give the keys seen at this volume (`rows`) or the catalogue they are drawn from (`keys_max`), not both",
            )),
            (Some(keep), None, None) => {
                exclusive(&fields.keys_grow, "keys_grow", &format!("`keys_grow` {only_keys}"))?;
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Keep {
                    fraction: self.fraction(keep, &key("keep"), &format!("keep[{name}]"))?,
                    row_size,
                })
            }
            (None, Some(rows), None) => {
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Keys {
                    keys: self.count(rows, &key("rows"), &format!("keys[{name}]"))?,
                    row_size: row_size.ok_or_else(|| needs_row_size("rows"))?,
                    keys_grow: match &fields.keys_grow {
                        None => None,
                        Some(field) => self.keys_growth(field, &key("keys_grow"), name)?,
                    },
                })
            }
            (None, None, Some(max)) => {
                exclusive(
                    &fields.keys_grow,
                    "keys_grow",
                    "`keys_grow` does not apply with `keys_max`: keys drawn from a catalogue grow by how many rows draw them",
                )?;
                let skew = match &fields.key_skew {
                    Some(field) => {
                        let k = key("key_skew");
                        let value = self.parsed_into(field, &k, Kind::Ratio, |p| match p {
                            Parsed::Number(v) => Some(v),
                            _ => None,
                        })?;
                        if !(0.0..=5.0).contains(&value) {
                            return Err(self.error(
                                &k,
                                &field.referenced,
                                format!("`{}` is out of range; a Zipf skew is from 0 (every key equally popular) to 5", field.value.0),
                            ));
                        }
                        Fig::input(Ratio(value), format!("key_skew[{name}]"), self.source(&k, &field.referenced))
                    }
                    None => Fig::input(
                        Ratio(0.0),
                        format!("key_skew[{name}]"),
                        Source::Default("every key equally popular".into()),
                    ),
                };
                let keys_max = self.count(max, &key("keys_max"), &format!("keys_max[{name}]"))?;
                if keys_max.base() > 10_000_000.0 {
                    return Err(self.error(
                        &key("keys_max"),
                        &max.referenced,
                        "a catalogue above 10M keys is not modelled key by key; give the keys seen as `rows` with `keys_grow`",
                    ));
                }
                Ok(Output::Catalogue {
                    keys_max,
                    skew,
                    row_size: row_size.ok_or_else(|| needs_row_size("keys_max"))?,
                })
            }
            (None, None, None) => {
                exclusive(&fields.keys_grow, "keys_grow", &format!("`keys_grow` {only_keys}"))?;
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Same { row_size })
            }
        }
    }

    /// `keys_grow`: `false` (fixed), `true` (linear), or an exponent from 0
    /// to 1 (Heaps' law).
    fn keys_growth(&self, field: &Field, key: &str, stage: &str) -> Result<Option<Fig<Ratio>>> {
        let exponent = match field.value.0.trim() {
            "false" => return Ok(None),
            "true" => 1.0,
            text => match units::parse_any(text) {
                Ok(Parsed::Number(v)) if (0.0..=1.0).contains(&v) => v,
                _ => {
                    return Err(self.error(
                        key,
                        &field.referenced,
                        format!(
                            "`{text}` is not a key growth; write `false` (keys fixed), `true` (keys grow with the volume) or an exponent from 0 to 1 (keys × factor^exponent, Heaps' law)"
                        ),
                    ))
                }
            },
        };
        Ok(Some(Fig::input(
            Ratio(exponent),
            format!("keys_growth[{stage}]"),
            self.source(key, &field.referenced),
        )))
    }

    /// A whole number of workers, at least one and at most [`MAX_WORKERS`].
    fn whole(&self, field: &Field, key: &str) -> Result<u32> {
        let count = self.count(field, key, "workers")?.value.0;
        if count.fract() != 0.0 {
            return Err(self.error(
                key,
                &field.referenced,
                format!("`{}` is not a whole number of workers", field.value.0),
            ));
        }
        if count > f64::from(MAX_WORKERS) {
            return Err(self.error(key, &field.referenced, too_many_workers(count)));
        }
        Ok(count as u32)
    }

    fn stage(
        &self,
        index: usize,
        raw: &RawStage,
        default_parallel: &Parallel,
        has_network: bool,
    ) -> Result<Stage> {
        let name = raw.name.value.clone();
        let key = |field: &str| format!("stages[{index}].{field}");
        let measure = raw.input.value;
        let work = match (&raw.throughput, &raw.duration) {
            (Some(field), None) => {
                let key = key("throughput");
                let symbol = format!("R[{name}]");
                // The most common slip: a data rate on a stage measured in
                // events, or the reverse. Say which key decides it.
                let given = units::parse_any(&field.value.0).ok();
                let mismatch = match (measure, given) {
                    (Measure::Events, Some(Parsed::ByteRate(_))) => Some(("a data rate", "an event rate (e.g. \"20k events/s\")", "bytes")),
                    (Measure::Bytes, Some(Parsed::EventRate(_))) => Some(("an event rate", "a data rate (e.g. \"8.3 MB/s\")", "events")),
                    _ => None,
                };
                if let Some((given, wanted, other)) = mismatch {
                    return Err(self.error(
                        &key,
                        &field.referenced,
                        format!(
                            "`{}` is {given}, but stage `{name}` has `input: {}`, so its throughput is {wanted}; or write `input: {other}`",
                            field.value.0,
                            if other == "bytes" { "events" } else { "bytes" },
                        ),
                    ));
                }
                match measure {
                    Measure::Bytes => Work::ByteThroughput(self.byte_rate(field, &key, &symbol)?),
                    Measure::Events => Work::EventThroughput(self.event_rate(field, &key, &symbol)?),
                }
            }
            (None, Some(field)) => {
                Work::Duration(self.duration(field, &key("duration"), &format!("T_given[{name}]"))?)
            }
            (Some(_), Some(field)) => {
                return Err(self.error(
                    &key("duration"),
                    &field.referenced,
                    format!("stage `{name}` has both a throughput and a duration; give one of them"),
                ))
            }
            (None, None) => {
                return Err(self.error(
                    &format!("stages[{index}]"),
                    &raw.name.referenced,
                    format!(
                        "stage `{name}` has neither a throughput nor a duration; give one, e.g. `throughput: 8.3 MB/s` or `duration: 10 min`"
                    ),
                ))
            }
        };
        let output = match &raw.output {
            None => Output::Same { row_size: None },
            Some(output) => self.output(output, &name, index)?,
        };
        let working_set = match &raw.working_set {
            None => WorkingSet::Input,
            Some(field) => match field.value.0.trim() {
                "input" => WorkingSet::Input,
                "output" => WorkingSet::Output,
                _ => WorkingSet::Fixed(
                    self.size(field, &key("working_set"), &format!("working_set[{name}]"))
                        .map_err(|e| e.context("a working set is `input`, `output`, or a size"))?,
                ),
            },
        };
        let parallel = match &raw.parallel {
            Some(parallel) => self.parallel(parallel, &key("parallel"), &format!("[{name}]"))?,
            None => default_parallel.clone(),
        };
        let shares = match &raw.shares {
            None => None,
            Some(field) if field.value.0.trim() == "network" => {
                if !has_network {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        "`shares: network` needs a `network:` section with the link's bandwidth",
                    ));
                }
                if measure != Measure::Bytes {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        format!("a shared link caps bytes per second, but stage `{name}` has `input: events`; write `input: bytes`"),
                    ));
                }
                Some(Shares::Network)
            }
            Some(field) => {
                if measure != Measure::Bytes {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        format!("a shared resource caps bytes per second, but stage `{name}` has `input: events`; write `input: bytes`"),
                    ));
                }
                Some(Shares::Rate(
                    self.byte_rate(field, &key("shares"), &format!("shared_rate[{name}]"))
                        .map_err(|e| e.context("`shares` is `network` or the shared resource's rate, e.g. `500 MB/s`"))?,
                ))
            }
        };
        Ok(Stage {
            name,
            bound: raw.bound,
            measure,
            work,
            output,
            working_set,
            parallel,
            shares,
        })
    }

    fn prices(
        &self,
        raw: Option<&Spanned<RawPrices>>,
        storage: &[Dataset],
        network: Option<&Network>,
    ) -> Result<Prices> {
        let empty = RawPrices::default();
        let prices = raw.map_or(&empty, |r| &r.value);
        // A missing price has no place of its own: name the `prices:`
        // mapping it belongs in, or say the section is missing.
        let missing = |name: &str, why: &str| match raw {
            Some(section) => self.error(
                &format!("prices.{name}"),
                &section.referenced,
                format!("missing from the `prices:` mapping that starts here; {why}"),
            ),
            None => {
                anyhow!("`prices.{name}` is missing: the scenario has no `prices:` section; {why}")
            }
        };
        let raw = prices;
        let key = |name: &str| format!("prices.{name}");
        let compute = match &raw.compute_usd_per_worker_hour {
            Some(field) => {
                let k = key("compute_usd_per_worker_hour");
                let value = self.price(field, &k)?;
                Fig::input(UsdPerHour(value), "price_compute", self.source(&k, &field.referenced))
            }
            None => {
                return Err(missing(
                    "compute_usd_per_worker_hour",
                    "compute cost needs a price per worker-hour, e.g. `compute_usd_per_worker_hour: 0.50`",
                ))
            }
        };
        let billing_increment = raw
            .billing_increment
            .as_ref()
            .map(|f| self.duration(f, &key("billing_increment"), "billing_increment"))
            .transpose()?;
        let storage_price = match &raw.storage_usd_per_gb_month {
            Some(field) => {
                let k = key("storage_usd_per_gb_month");
                let value = self.price(field, &k)?;
                Some(Fig::input(UsdPerGbMonth(value), "price_storage", self.source(&k, &field.referenced)))
            }
            None if !storage.is_empty() => {
                return Err(missing(
                    "storage_usd_per_gb_month",
                    "the scenario stores datasets, so storage cost needs a price, e.g. `storage_usd_per_gb_month: 0.023`",
                ))
            }
            None => None,
        };
        let egress = match &raw.egress_usd_per_gb {
            Some(field) => {
                let k = key("egress_usd_per_gb");
                let value = self.price(field, &k)?;
                Some(Fig::input(UsdPerGb(value), "price_egress", self.source(&k, &field.referenced)))
            }
            None if network.is_some_and(|n| n.transfers.iter().any(|t| t.direction == Direction::Egress)) => {
                return Err(missing(
                    "egress_usd_per_gb",
                    "the scenario has an egress transfer, so it needs a price, e.g. `egress_usd_per_gb: 0.09`",
                ))
            }
            None => None,
        };
        let ingress = match &raw.ingress_usd_per_gb {
            Some(field) => {
                let k = key("ingress_usd_per_gb");
                let value = self.price(field, &k)?;
                Fig::input(
                    UsdPerGb(value),
                    "price_ingress",
                    self.source(&k, &field.referenced),
                )
            }
            None => Fig::input(
                UsdPerGb(0.0),
                "price_ingress",
                Source::Default("ingress is free unless priced".into()),
            ),
        };
        Ok(Prices {
            compute,
            billing_increment,
            storage: storage_price,
            egress,
            ingress,
        })
    }
}

// ---------------------------------------------------------------------------
// What-if overrides from the command line.

impl Scenario {
    /// The same scenario with `workers` workers (`--workers`).
    pub fn with_workers(mut self, workers: u32, option: &str) -> Result<Self> {
        if workers == 0 {
            return Err(anyhow!(
                "`{option}` is 0; a pipeline needs at least one worker"
            ));
        }
        if workers > MAX_WORKERS {
            return Err(anyhow!(
                "`{option}` is {workers}; {}",
                too_many_workers(f64::from(workers))
            ));
        }
        self.workers = Fig::input(
            Count(f64::from(workers)),
            "N_workers",
            Source::Cli(option.into()),
        );
        Ok(self)
    }

    /// The same scenario with `factor` times the events per day (`--scale`).
    pub fn with_scale(mut self, factor: f64, option: &str) -> Result<Self> {
        if !(factor > 0.0 && factor.is_finite()) {
            return Err(anyhow!(
                "`{option}` is {factor}; a scale factor must be greater than zero (2 doubles the data, 0.5 halves it)"
            ));
        }
        self.volume_factor = Some(Fig::input(
            Ratio(factor),
            "volume_factor",
            Source::Cli(option.into()),
        ));
        Ok(self)
    }

    /// The same scenario with every dataset compressed `ratio` times (`--compression`).
    /// The same scenario with every stored dataset compressed at least
    /// `ratio` times: a dataset already compressed more keeps its own
    /// ratio, so the what-if never stores more than the scenario does.
    pub fn with_compression(mut self, ratio: f64, option: &str) -> Result<Self> {
        if !(ratio >= 1.0 && ratio.is_finite()) {
            return Err(anyhow!(
                "`{option}` is {ratio}; a compression what-if is a ratio of 1 or more (5 stores a fifth)"
            ));
        }
        for dataset in &mut self.storage {
            if dataset.compression_ratio.base() < ratio {
                dataset.compression_ratio = Fig::input(
                    Ratio(ratio),
                    format!("compression[{}]", dataset.name),
                    Source::Cli(option.into()),
                );
            }
        }
        Ok(self)
    }
}

impl Scenario {
    /// Every input figure, in file order, with where it came from; what
    /// `--explain` lists before the working.
    pub fn inputs(&self) -> Vec<Working> {
        let mut inputs = vec![
            self.events_per_day.working(),
            self.event_size.working(),
            self.workers.working(),
        ];
        inputs.extend(self.deadline.iter().map(Fig::working));
        inputs.extend(self.memory_per_worker.iter().map(Fig::working));
        inputs.push(self.month.working());
        inputs.extend(self.volume_factor.iter().map(Fig::working));
        for stage in &self.stages {
            inputs.push(match &stage.work {
                Work::ByteThroughput(rate) => rate.working(),
                Work::EventThroughput(rate) => rate.working(),
                Work::Duration(duration) => duration.working(),
            });
            match &stage.output {
                Output::Same { row_size } => inputs.extend(row_size.iter().map(Fig::working)),
                Output::Keep { fraction, row_size } => {
                    inputs.push(fraction.working());
                    inputs.extend(row_size.iter().map(Fig::working));
                }
                Output::Keys {
                    keys,
                    row_size,
                    keys_grow,
                } => {
                    inputs.push(keys.working());
                    inputs.push(row_size.working());
                    inputs.extend(keys_grow.iter().map(Fig::working));
                }
                Output::Catalogue {
                    keys_max,
                    skew,
                    row_size,
                } => {
                    inputs.push(keys_max.working());
                    inputs.push(skew.working());
                    inputs.push(row_size.working());
                }
            }
            if let WorkingSet::Fixed(size) = &stage.working_set {
                inputs.push(size.working());
            }
        }
        for dataset in &self.storage {
            inputs.push(dataset.retention.working());
            inputs.push(dataset.compression_ratio.working());
        }
        if let Some(network) = &self.network {
            inputs.push(network.bandwidth.working());
            for transfer in &network.transfers {
                inputs.extend(transfer.window.iter().map(Fig::working));
            }
        }
        let prices = &self.prices;
        inputs.push(prices.compute.working());
        inputs.extend(prices.billing_increment.iter().map(Fig::working));
        inputs.extend(prices.storage.iter().map(Fig::working));
        inputs.extend(prices.egress.iter().map(Fig::working));
        inputs.push(prices.ingress.working());
        inputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            message.contains("`stages[0].inptu` (line 8, column 5)"),
            "{message}"
        );
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
