//! JSON for scripts, as typed documents: base units only (bytes, seconds,
//! bytes per second, USD), every key that holds a quantity ending in its
//! unit, integers for counts and bytes, and no float noise. The JSON
//! Schema under `docs/schema/` is generated from these types.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use uom::si::f64::{Information, InformationRate, Time};

use crate::contract::Versions;
use crate::figure::{Fig, Working};
use crate::model::cost::CostModel;
use crate::model::flow::{Flow, StageFlow};
use crate::model::freshness::FreshnessModel;
use crate::model::memory::{MemoryModel, StageMemory};
use crate::model::network::NetworkModel;
use crate::model::quality::QualityModel;
use crate::model::reliability::ReliabilityModel;
use crate::model::storage::StorageModel;
use crate::model::streaming::StreamingModel;
use crate::model::summary::{Metric, Shape, SUMMARY};
use crate::model::time::{StageTime, TimeModel};
use crate::model::Estimate;
use crate::scenario::{Scenario, Stage};
use crate::study::uncertainty::CasesHeld;
use crate::units::{clean, Count, Ratio, Usd, WholeNumber};

/// A count or a byte total: always an integer, exact below 2^53 and
/// rounded to twelve significant digits past it.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(transparent)]
pub struct Whole(WholeNumber);

impl JsonSchema for Whole {
    fn schema_name() -> Cow<'static, str> {
        "Whole".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer" })
    }
}

/// A number in a base unit, to twelve significant digits.
#[derive(Clone, Copy, Debug)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(clean(self.0))
    }
}

impl JsonSchema for Num {
    fn schema_name() -> Cow<'static, str> {
        "Number".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number" })
    }
}

pub fn whole(value: f64) -> Whole {
    Whole(WholeNumber(value))
}
pub fn bytes(fig: &Fig<Information>) -> Whole {
    whole(fig.base())
}
pub fn count(fig: &Fig<Count>) -> Whole {
    whole(fig.base())
}
pub fn seconds(fig: &Fig<Time>) -> Num {
    Num(fig.base())
}
pub fn rate(fig: &Fig<InformationRate>) -> Num {
    Num(fig.base())
}
pub fn usd(fig: &Fig<Usd>) -> Num {
    Num(fig.base())
}
pub fn ratio(fig: &Fig<Ratio>) -> Num {
    Num(fig.base())
}

/// The summary figures under their stable keys (`model::summary::SUMMARY`).
#[derive(Clone, Debug)]
pub struct Summary(pub Vec<Metric>);

impl Summary {
    pub fn of(estimate: &Estimate) -> Summary {
        Summary(crate::model::summary::summary(estimate))
    }
}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for metric in &self.0 {
            map.serialize_entry(metric.key, &metric.amount.json())?;
        }
        map.end()
    }
}

/// The summary as a row that leads with its worker count: every summary
/// figure but `workers`.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct SummaryRow(Summary);

impl SummaryRow {
    pub fn of(estimate: &Estimate) -> SummaryRow {
        let mut summary = Summary::of(estimate);
        summary.0.retain(|metric| metric.key != "workers");
        SummaryRow(summary)
    }
}

impl JsonSchema for SummaryRow {
    fn schema_name() -> Cow<'static, str> {
        "SummaryRow".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        summary_schema(&["workers"])
    }
}

/// The schema of the summary keys but `except`, from the one list that
/// names them.
fn summary_schema(except: &[&str]) -> Schema {
    let entries = || SUMMARY.iter().filter(|e| !except.contains(&e.key));
    let properties: serde_json::Map<String, serde_json::Value> = entries()
        .map(|entry| {
            let kind = match entry.shape {
                Shape::Whole => "integer",
                Shape::Number => "number",
                Shape::Flag => "boolean",
                Shape::Text => "string",
            };
            let schema = if entry.nullable {
                serde_json::json!({ "type": [kind, "null"], "description": entry.label })
            } else {
                serde_json::json!({ "type": kind, "description": entry.label })
            };
            (entry.key.to_string(), schema)
        })
        .collect();
    let required: Vec<&str> = entries().map(|e| e.key).collect();
    json_schema!({
        "type": "object",
        "description": "The figures a script most often wants, under stable names; `scale` and `compare` use the same keys.",
        "properties": properties,
        "required": required,
    })
}

impl JsonSchema for Summary {
    fn schema_name() -> Cow<'static, str> {
        "Summary".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        summary_schema(&[])
    }
}

/// Which scenario a document is about.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ScenarioRef {
    pub name: String,
    pub file: String,
}

impl ScenarioRef {
    pub fn of(scenario: &Scenario) -> ScenarioRef {
        ScenarioRef {
            name: scenario.name.clone(),
            file: scenario.file.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Conventions {
    pub bytes_per_gb: u64,
    pub days_per_month: Num,
    pub parallel_model: &'static str,
    /// A batch's runs a day (1 without a `schedule:`); a run's figures are
    /// one run's, a day's say so in their names.
    pub runs_per_day: Num,
    pub currency: &'static str,
}

impl Conventions {
    pub fn of(estimate: &Estimate) -> Conventions {
        Conventions {
            bytes_per_gb: 1_000_000_000,
            days_per_month: ratio(&estimate.calendar.days_per_month),
            parallel_model: if estimate.time.lecture_rule {
                "linear: T_parallel = T_sequential / N"
            } else {
                "per stage: T_parallel = sum of each stage's T_par (see stages[].parallel)"
            },
            runs_per_day: ratio(&estimate.time.runs.runs_per_day),
            currency: "USD",
        }
    }
}

/// An input given as a range, in base units.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RangedInputFigures {
    pub key: String,
    pub line: usize,
    /// As written (`400 B..600 B`, `500 B ± 20%`).
    pub written: String,
    pub low: Num,
    pub likely: Num,
    pub high: Num,
}

/// A summary figure across the ranges, in the summary's base units.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FigureRangeFigures {
    /// A summary key.
    pub figure: String,
    pub low: Option<Num>,
    pub likely: Option<Num>,
    pub high: Option<Num>,
    /// For a yes/no figure: in how many cases it is yes.
    pub cases: Option<CasesHeld>,
    /// For a name (the bottleneck stage): every one the ranges give.
    pub values: Vec<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SwingFigures {
    pub input: String,
    pub at_low: Num,
    pub at_high: Num,
    /// Its swing over the sum of every input's swing.
    pub share: Num,
}

/// The inputs ranked by how much of a headline figure's spread each drives.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DriverFigures {
    /// `parallel_s`, `total_usd_per_month`, `peak_memory_bytes` or `slack_s`.
    pub figure: String,
    pub likely: Num,
    pub inputs: Vec<SwingFigures>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PercentileFigures {
    pub figure: String,
    pub p5: Num,
    pub p50: Num,
    pub p95: Num,
    /// Every percentile asked for (`--percentiles`, else 5, 50 and 95).
    pub at: Vec<AtPercentile>,
}

/// One percentile of a figure over the samples.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct AtPercentile {
    /// From 0 to 100: 90 is the 90th percentile.
    pub percentile: Num,
    pub value: Num,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SampleFigures {
    pub count: u32,
    pub seed: u64,
    pub percentiles: Vec<PercentileFigures>,
}

/// How sure the estimate is (only when the scenario has ranges, or with
/// `--sensitivity`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct UncertaintyFigures {
    /// `corners` (every corner of the ranges: exact), `corners_split` (and
    /// the ranges split where a stream's fleet gains a worker: bounds that
    /// hold every value) or `search` (each figure's extreme corners searched
    /// for, with more inputs than corners can be evaluated).
    pub method: &'static str,
    pub cases: usize,
    pub inputs: Vec<RangedInputFigures>,
    pub figures: Vec<FigureRangeFigures>,
    pub drivers: Vec<DriverFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<SampleFigures>,
}

impl UncertaintyFigures {
    pub fn of(study: &crate::study::uncertainty::Uncertainty, seed: u64) -> UncertaintyFigures {
        use crate::study::uncertainty::Method;
        let (method, cases) = match study.method {
            Method::Corners(n) => ("corners", n),
            Method::Split(n) => ("corners_split", n),
            Method::Search(n) => ("search", n),
        };
        UncertaintyFigures {
            method,
            cases,
            inputs: study
                .inputs
                .iter()
                .map(|i| RangedInputFigures {
                    key: i.key.clone(),
                    line: i.line,
                    written: i.text.clone(),
                    low: Num(i.low.base()),
                    likely: Num(i.likely.base()),
                    high: Num(i.high.base()),
                })
                .collect(),
            figures: study
                .figures
                .iter()
                .filter(|f| !f.absent)
                .map(|f| FigureRangeFigures {
                    figure: f.key.to_string(),
                    low: f.low.as_ref().and_then(|a| a.number()).map(Num),
                    likely: f.likely.number().map(Num),
                    high: f.high.as_ref().and_then(|a| a.number()).map(Num),
                    cases: f.cases,
                    values: f.names.clone(),
                })
                .collect(),
            drivers: study
                .drivers
                .iter()
                .map(|d| DriverFigures {
                    figure: d.headline.key().to_string(),
                    likely: Num(d.likely),
                    inputs: d
                        .swings
                        .iter()
                        .map(|s| SwingFigures {
                            input: s.input.clone(),
                            at_low: Num(s.at_low),
                            at_high: Num(s.at_high),
                            share: Num(s.share),
                        })
                        .collect(),
                })
                .collect(),
            samples: study
                .samples
                .as_ref()
                .map(|(count, percentiles)| SampleFigures {
                    count: *count,
                    seed,
                    percentiles: percentiles
                        .iter()
                        .map(|p| PercentileFigures {
                            figure: p.key.to_string(),
                            p5: Num(p.p5),
                            p50: Num(p.p50),
                            p95: Num(p.p95),
                            at: p
                                .shown
                                .iter()
                                .map(|(percentile, value)| AtPercentile {
                                    percentile: Num(*percentile),
                                    value: Num(*value),
                                })
                                .collect(),
                        })
                        .collect(),
                }),
        }
    }
}

/// One stage of `estimate`'s `stages`: the stage as the scenario gives it,
/// then each model's figures for it, each serialized by its own type.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageFigures<'a> {
    #[serde(flatten)]
    pub stage: &'a Stage,
    #[serde(flatten)]
    pub flow: &'a StageFlow,
    #[serde(flatten)]
    pub time: &'a StageTime,
    #[serde(flatten)]
    pub memory: &'a StageMemory,
}

/// `pipecalc estimate --format json`: each model's result as it serializes
/// itself, under the document's headings.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct EstimateDocument<'a> {
    #[serde(flatten)]
    pub versions: Versions,
    pub scenario: ScenarioRef,
    pub conventions: Conventions,
    pub summary: Summary,
    pub flow: &'a Flow,
    pub stages: Vec<StageFigures<'a>>,
    pub time: &'a TimeModel,
    /// How old an event is when it becomes available, at worst and on
    /// average, against `freshness_target` when the scenario sets one.
    pub freshness: &'a FreshnessModel,
    pub memory: &'a MemoryModel,
    pub storage: &'a StorageModel,
    pub network: Option<&'a NetworkModel>,
    pub cost: &'a CostModel,
    /// With a `reliability:` block: success rate, retries and their cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reliability: Option<&'a ReliabilityModel>,
    /// With a `quality:` block: what each of the data's defects costs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<&'a QualityModel>,
    /// With a `streaming:` block: the always-on fleet and its latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaming: Option<&'a StreamingModel>,
    /// Values that are valid but very likely wrong, each with its place.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
    /// With ranged inputs (or `--sensitivity`): every figure's low, likely
    /// and high, and what drives them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<UncertaintyFigures>,
    /// With `--explain`: the scenario's inputs, each with its source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<Working>>,
    /// With `--explain`: the working behind every figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<Working>>,
}

pub fn estimate<'a>(
    scenario: &'a Scenario,
    estimate: &'a Estimate,
    explain: bool,
) -> EstimateDocument<'a> {
    let e = estimate;
    let stages = scenario
        .stages
        .iter()
        .zip(&e.flow.stages)
        .zip(&e.time.stages)
        .zip(&e.memory.stages)
        .map(|(((stage, flow), time), memory)| StageFigures {
            stage,
            flow,
            time,
            memory,
        })
        .collect();
    let (inputs, explain) = if explain {
        let document = super::estimate::document(scenario, e, true);
        let working = document
            .sections
            .iter()
            .flat_map(|s| s.working.iter().cloned())
            .collect();
        (Some(scenario.inputs()), Some(working))
    } else {
        (None, None)
    };
    EstimateDocument {
        versions: Versions::default(),
        scenario: ScenarioRef::of(scenario),
        conventions: Conventions::of(e),
        summary: Summary::of(e),
        flow: &e.flow,
        stages,
        time: &e.time,
        freshness: &e.freshness,
        memory: &e.memory,
        storage: &e.storage,
        network: e.network.as_ref(),
        cost: &e.cost,
        reliability: e.reliability.as_ref(),
        quality: e.quality.as_ref(),
        streaming: e.streaming.as_ref(),
        warnings: scenario.warnings.clone(),
        uncertainty: None,
        inputs,
        explain,
    }
}
