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
use crate::model::summary::{Metric, Shape, SUMMARY};
use crate::model::time::Limit;
use crate::model::Estimate;
use crate::scenario::{Bound, Direction, Measure, Parallel, Scenario, Work};
use crate::units::{clean, Count, Ratio, Usd, WholeNumber};

/// A count or a byte total: an integer while it is exact (below 2^53), a
/// number past that.
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
        json_schema!({ "type": "number" })
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
                Shape::Whole | Shape::Number => "number",
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

/// A stage's parallel model, with its coefficients.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum ParallelModel {
    Linear,
    Amdahl { serial_fraction: Num },
    Usl { contention: Num, coherency: Num },
}

impl ParallelModel {
    fn of(model: &Parallel) -> ParallelModel {
        match model {
            Parallel::Linear => ParallelModel::Linear,
            Parallel::Amdahl { serial_fraction } => ParallelModel::Amdahl {
                serial_fraction: ratio(serial_fraction),
            },
            Parallel::Usl {
                contention,
                coherency,
            } => ParallelModel::Usl {
                contention: ratio(contention),
                coherency: ratio(coherency),
            },
        }
    }
}

/// The shared resource that holds a stage at its floor.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// The scenario's network link, shared by every worker.
    NetworkLink,
    /// A stage's own `shares:` throughput.
    Shared,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LimitedBy {
    pub resource: Resource,
    pub bytes_per_s: Num,
}

impl LimitedBy {
    pub fn of(limit: &Limit) -> LimitedBy {
        match limit {
            Limit::Link(rate) => LimitedBy {
                resource: Resource::NetworkLink,
                bytes_per_s: Num(rate.value),
            },
            Limit::Shared(rate) => LimitedBy {
                resource: Resource::Shared,
                bytes_per_s: Num(rate.value),
            },
        }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Conventions {
    pub bytes_per_gb: u64,
    pub days_per_month: Num,
    pub parallel_model: &'static str,
    pub runs_per_day: u32,
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
            runs_per_day: 1,
            currency: "USD",
        }
    }
}

/// What a stage's work is given as: one of three keys.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub enum StageWork {
    #[serde(rename = "throughput_bytes_per_s")]
    Bytes(Num),
    #[serde(rename = "throughput_events_per_s")]
    Events(Num),
    #[serde(rename = "given_duration_s")]
    Duration(Num),
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageFigures {
    pub name: String,
    pub bound: Bound,
    pub input: Measure,
    #[serde(flatten)]
    pub work: StageWork,
    pub rows_in: Whole,
    pub bytes_in: Whole,
    pub rows_out: Whole,
    pub bytes_out: Whole,
    pub time_s: Num,
    pub parallel: ParallelModel,
    pub parallel_s: Num,
    pub limited_by: Option<LimitedBy>,
    pub working_set_bytes: Whole,
    pub memory_per_worker_bytes: Whole,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DatasetFigures {
    pub name: String,
    pub of: String,
    pub bytes_per_day: Whole,
    /// The one key not in a base unit: retention is set and read in days.
    pub retention_days: Num,
    pub compression_ratio: Num,
    pub stored_month1_bytes: Whole,
    pub stored_month1_uncompressed_bytes: Whole,
    pub stored_steady_bytes: Whole,
    pub stored_steady_uncompressed_bytes: Whole,
    pub usd_month1: Num,
    pub usd_per_month_steady: Num,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TransferFigures {
    pub name: String,
    pub of: String,
    pub direction: Direction,
    pub bytes_per_day: Whole,
    pub transfer_time_s: Num,
    pub window_s: Option<Num>,
    pub required_bandwidth_bytes_per_s: Option<Num>,
    pub exceeds_link: bool,
    pub usd_per_day: Num,
    pub usd_per_month: Num,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct NetworkFigures {
    pub bandwidth_bytes_per_s: Num,
    pub bytes_per_day: Whole,
    pub egress_usd_per_day: Num,
    pub egress_usd_per_month: Num,
    pub ingress_usd_per_month: Num,
    pub usd_per_day: Num,
    pub usd_per_month: Num,
    pub network_bound: bool,
    pub transfers: Vec<TransferFigures>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FlowFigures {
    pub volume_factor: Option<Num>,
    pub events_per_day: Whole,
    pub raw_bytes_per_day: Whole,
    pub output_bytes_per_day: Whole,
    pub reduction_ratio: Num,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TimeFigures {
    /// With `schedule:`: the period, the runs a day, one run's time, and
    /// whether runs pile up (a run longer than the period).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleFigures>,
    pub sequential_s: Num,
    pub workers: Whole,
    pub parallel_s: Num,
    pub bottleneck_stage: String,
    pub bottleneck_s: Num,
    pub deadline_s: Option<Num>,
    pub slack_s: Option<Num>,
    pub deadline_met: Option<bool>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ScheduleFigures {
    pub period_s: Num,
    pub runs_per_day: Num,
    pub run_s: Num,
    pub piles_up: bool,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct MemoryFigures {
    pub peak_bytes: Whole,
    pub peak_stage: String,
    pub memory_per_worker_bytes: Option<Whole>,
    pub headroom_bytes: Option<Whole>,
    pub fits: Option<bool>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StorageFigures {
    pub datasets: Vec<DatasetFigures>,
    pub usd_month1: Num,
    pub usd_per_month_steady: Num,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CostFigures {
    /// ELT: the warehouse's part of the compute, billed by bytes scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_usd_per_day: Option<Num>,
    pub billed_time_per_worker_s: Num,
    pub worker_time_s: Num,
    pub compute_usd_per_day: Num,
    pub compute_usd_per_month: Num,
    pub storage_usd_month1: Num,
    pub storage_usd_per_month_steady: Num,
    pub network_usd_per_month: Num,
    pub total_usd_per_month: Num,
    pub compute_share: Num,
    pub storage_share: Num,
    pub network_share: Num,
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

/// Whether a yes/no verdict holds across the ranges.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CasesHeld {
    All,
    Some,
    None,
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
    /// `corners` (every corner of the ranges: exact) or `extremes`.
    pub method: &'static str,
    pub cases: usize,
    pub inputs: Vec<RangedInputFigures>,
    pub figures: Vec<FigureRangeFigures>,
    pub drivers: Vec<DriverFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<SampleFigures>,
}

impl UncertaintyFigures {
    pub fn of(study: &crate::uncertainty::Uncertainty, seed: u64) -> UncertaintyFigures {
        use crate::uncertainty::{Cases, Method};
        let (method, cases) = match study.method {
            Method::Corners(n) => ("corners", n),
            Method::Extremes(n) => ("extremes", n),
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
                .map(|f| FigureRangeFigures {
                    figure: f.key.to_string(),
                    low: f.low.as_ref().and_then(|a| a.number()).map(Num),
                    likely: f.likely.number().map(Num),
                    high: f.high.as_ref().and_then(|a| a.number()).map(Num),
                    cases: f.cases.map(|c| match c {
                        Cases::All => CasesHeld::All,
                        Cases::Some => CasesHeld::Some,
                        Cases::None => CasesHeld::None,
                    }),
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
                        })
                        .collect(),
                }),
        }
    }
}

/// The failure and retry model's figures (with a `reliability:` block).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ReliabilityFigures {
    pub checkpoints: bool,
    pub stage_success: Num,
    pub attempt_success: Num,
    pub run_success: Num,
    pub target: Option<Num>,
    pub target_met: Option<bool>,
    pub failures_per_day: Num,
    pub wasted_s_per_day: Num,
    pub wasted_usd_per_day: Num,
    pub wasted_usd_per_month: Num,
    pub failed_runs_per_year: Num,
    /// The other choice of checkpoints, for comparison.
    pub other_run_success: Num,
    pub other_wasted_s_per_day: Num,
    pub attempts_for_target: Option<u32>,
    pub max_failure_for_target: Option<Num>,
}

/// What the data's defects cost (with a `quality:` block).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct QualityFigures {
    pub null_rows_per_day: Option<Whole>,
    pub null_alert: Option<bool>,
    pub null_alert_threshold: Num,
    pub duplicate_rows_per_day: Option<Whole>,
    pub invalid_rows_per_day: Option<Whole>,
    pub quarantine_bytes: Option<Whole>,
    pub quarantine_usd_per_month: Option<Num>,
    pub late_rows_per_day: Option<Whole>,
    pub watermark_delay_s: Option<Num>,
    pub latency_with_watermark_s: Option<Num>,
    pub reprocess_s_per_day: Option<Num>,
    pub reprocess_usd_per_month: Option<Num>,
}

/// A streaming pipeline's fleet, cost and latency (with `streaming:`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StreamingFigures {
    /// The daily batch runs too, and is paid besides the stream.
    pub hybrid: bool,
    pub average_events_per_s: Num,
    pub peak_events_per_s: Num,
    pub capacity_events_per_s_per_worker: Num,
    pub workers_for_peak: Num,
    pub workers_for_average: Num,
    pub fleet: Num,
    pub compute_usd_per_day: Num,
    pub compute_usd_per_month: Num,
    pub latency_s: Num,
    pub latency_met: Option<bool>,
    pub peak_bytes_per_s: Num,
    pub network_bound: Option<bool>,
    pub state_usd_per_month: Option<Num>,
}

/// `pipecalc estimate --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct EstimateDocument {
    #[serde(flatten)]
    pub versions: Versions,
    pub scenario: ScenarioRef,
    pub conventions: Conventions,
    pub summary: Summary,
    pub flow: FlowFigures,
    pub stages: Vec<StageFigures>,
    pub time: TimeFigures,
    pub memory: MemoryFigures,
    pub storage: StorageFigures,
    pub network: Option<NetworkFigures>,
    pub cost: CostFigures,
    /// With a `reliability:` block: success rate, retries and their cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reliability: Option<ReliabilityFigures>,
    /// With a `quality:` block: what each of the data's defects costs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualityFigures>,
    /// With a `streaming:` block: the always-on fleet and its latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaming: Option<StreamingFigures>,
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

pub fn estimate(scenario: &Scenario, estimate: &Estimate, explain: bool) -> EstimateDocument {
    let e = estimate;
    let stages = scenario
        .stages
        .iter()
        .zip(&e.flow.stages)
        .zip(&e.time.stages)
        .zip(&e.memory.stages)
        .map(|(((stage, flow), time), memory)| StageFigures {
            name: stage.name.clone(),
            bound: stage.bound,
            input: stage.measure,
            work: match &stage.work {
                Work::ByteThroughput(r) => StageWork::Bytes(rate(r)),
                Work::EventThroughput(r) => StageWork::Events(Num(r.base())),
                Work::Duration(d) => StageWork::Duration(seconds(d)),
            },
            rows_in: count(&flow.rows_in),
            bytes_in: bytes(&flow.bytes_in),
            rows_out: count(&flow.rows_out),
            bytes_out: bytes(&flow.bytes_out),
            time_s: seconds(&time.time),
            parallel: ParallelModel::of(&stage.parallel),
            parallel_s: seconds(&time.parallel),
            limited_by: time.limited_by.as_ref().map(LimitedBy::of),
            working_set_bytes: bytes(&memory.working_set),
            memory_per_worker_bytes: bytes(&memory.per_worker),
        })
        .collect();
    let datasets = e
        .storage
        .datasets
        .iter()
        .map(|d| DatasetFigures {
            name: d.name.clone(),
            of: d.of.clone(),
            bytes_per_day: bytes(&d.bytes_per_day),
            retention_days: ratio(&d.retention_days),
            compression_ratio: ratio(&d.compression_ratio),
            stored_month1_bytes: bytes(&d.stored_month1_compressed),
            stored_month1_uncompressed_bytes: bytes(&d.stored_month1),
            stored_steady_bytes: bytes(&d.stored_steady_compressed),
            stored_steady_uncompressed_bytes: bytes(&d.stored_steady),
            usd_month1: usd(&d.usd_month1),
            usd_per_month_steady: usd(&d.usd_per_month_steady),
        })
        .collect();
    let network = e.network.as_ref().map(|n| NetworkFigures {
        bandwidth_bytes_per_s: rate(&n.bandwidth),
        bytes_per_day: bytes(&n.bytes_per_day),
        egress_usd_per_day: usd(&n.egress_usd_per_day),
        egress_usd_per_month: usd(&n.egress_usd_per_month),
        ingress_usd_per_month: usd(&n.ingress_usd_per_month),
        usd_per_day: usd(&n.usd_per_day),
        usd_per_month: usd(&n.usd_per_month),
        network_bound: n.network_bound,
        transfers: n
            .transfers
            .iter()
            .map(|t| TransferFigures {
                name: t.name.clone(),
                of: t.of.clone(),
                direction: t.direction,
                bytes_per_day: bytes(&t.bytes_per_day),
                transfer_time_s: seconds(&t.transfer_time),
                window_s: t.window.as_ref().map(seconds),
                required_bandwidth_bytes_per_s: t.required_bandwidth.as_ref().map(rate),
                exceeds_link: t.exceeds_link(&n.bandwidth),
                usd_per_day: usd(&t.usd_per_day),
                usd_per_month: usd(&t.usd_per_month),
            })
            .collect(),
    });
    let c = &e.cost;
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
        flow: FlowFigures {
            volume_factor: e.flow.volume_factor.as_ref().map(ratio),
            events_per_day: count(&e.flow.events_per_day),
            raw_bytes_per_day: bytes(&e.flow.raw_bytes_per_day),
            output_bytes_per_day: bytes(&e.flow.output_bytes_per_day),
            reduction_ratio: ratio(&e.flow.reduction_ratio),
        },
        stages,
        time: TimeFigures {
            schedule: e.time.runs.as_ref().map(|r| ScheduleFigures {
                period_s: seconds(&r.period),
                runs_per_day: ratio(&r.runs_per_day),
                run_s: seconds(&r.run),
                piles_up: r.piles_up,
            }),
            sequential_s: seconds(&e.time.sequential),
            workers: count(&e.time.workers),
            parallel_s: seconds(&e.time.parallel),
            bottleneck_stage: e.time.bottleneck_name().to_string(),
            bottleneck_s: seconds(&e.time.bottleneck_time),
            deadline_s: e.time.deadline.as_ref().map(|d| seconds(&d.deadline)),
            slack_s: e.time.deadline.as_ref().map(|d| seconds(&d.slack)),
            deadline_met: e.time.deadline.as_ref().map(|d| d.met),
        },
        memory: MemoryFigures {
            peak_bytes: bytes(&e.memory.peak),
            peak_stage: e.memory.peak_stage_name().to_string(),
            memory_per_worker_bytes: e.memory.memory_per_worker.as_ref().map(bytes),
            headroom_bytes: e.memory.headroom.as_ref().map(bytes),
            fits: e.memory.fits(),
        },
        storage: StorageFigures {
            datasets,
            usd_month1: usd(&c.storage_usd_month1),
            usd_per_month_steady: usd(&c.storage_usd_per_month_steady),
        },
        network,
        cost: CostFigures {
            warehouse_usd_per_day: c.warehouse_usd_per_day.as_ref().map(usd),
            billed_time_per_worker_s: seconds(&c.billed_time_per_worker),
            worker_time_s: seconds(&c.worker_time),
            compute_usd_per_day: usd(&c.compute_usd_per_day),
            compute_usd_per_month: usd(&c.compute_usd_per_month),
            storage_usd_month1: usd(&c.storage_usd_month1),
            storage_usd_per_month_steady: usd(&c.storage_usd_per_month_steady),
            network_usd_per_month: usd(&c.network_usd_per_month),
            total_usd_per_month: usd(&c.total_usd_per_month),
            compute_share: ratio(&c.compute_share),
            storage_share: ratio(&c.storage_share),
            network_share: ratio(&c.network_share),
        },
        reliability: e.reliability.as_ref().map(|r| ReliabilityFigures {
            checkpoints: r.checkpoints,
            stage_success: ratio(&r.stage_success),
            attempt_success: ratio(&r.attempt_success),
            run_success: ratio(&r.run_success),
            target: r.target.as_ref().map(ratio),
            target_met: r.target_met,
            failures_per_day: ratio(&r.failures_per_day),
            wasted_s_per_day: seconds(&r.wasted_time),
            wasted_usd_per_day: usd(&r.wasted_usd_per_day),
            wasted_usd_per_month: usd(&r.wasted_usd_per_month),
            failed_runs_per_year: ratio(&r.failed_runs_per_year),
            other_run_success: ratio(&r.other_run_success),
            other_wasted_s_per_day: seconds(&r.other_wasted_time),
            attempts_for_target: r.attempts_for_target,
            max_failure_for_target: r.max_failure_for_target.as_ref().map(ratio),
        }),
        quality: e.quality.as_ref().map(|q| QualityFigures {
            null_rows_per_day: q.null_rows_per_day.as_ref().map(count),
            null_alert: q.null_alert,
            null_alert_threshold: ratio(&q.null_alert_threshold),
            duplicate_rows_per_day: q.duplicate_rows_per_day.as_ref().map(count),
            invalid_rows_per_day: q.invalid_rows_per_day.as_ref().map(count),
            quarantine_bytes: q.quarantine_bytes.as_ref().map(bytes),
            quarantine_usd_per_month: q.quarantine_usd_per_month.as_ref().map(usd),
            late_rows_per_day: q.late_rows_per_day.as_ref().map(count),
            watermark_delay_s: q.watermark_delay.as_ref().map(seconds),
            latency_with_watermark_s: q.latency_with_watermark.as_ref().map(seconds),
            reprocess_s_per_day: q.reprocess_time.as_ref().map(seconds),
            reprocess_usd_per_month: q.reprocess_usd_per_month.as_ref().map(usd),
        }),
        streaming: e.streaming.as_ref().map(|s| StreamingFigures {
            hybrid: s.hybrid,
            average_events_per_s: Num(s.average_rate.base()),
            peak_events_per_s: Num(s.peak_rate.base()),
            capacity_events_per_s_per_worker: Num(s.capacity_per_worker.base()),
            workers_for_peak: ratio(&s.workers_for_peak),
            workers_for_average: ratio(&s.workers_for_average),
            fleet: ratio(&s.fleet),
            compute_usd_per_day: usd(&s.compute_usd_per_day),
            compute_usd_per_month: usd(&s.compute_usd_per_month),
            latency_s: seconds(&s.latency),
            latency_met: s.latency_met,
            peak_bytes_per_s: rate(&s.peak_bytes_per_s),
            network_bound: s.network_bound,
            state_usd_per_month: s.state_usd_per_month.as_ref().map(usd),
        }),
        warnings: scenario.warnings.clone(),
        uncertainty: None,
        inputs,
        explain,
    }
}
