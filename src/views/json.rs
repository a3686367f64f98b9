//! JSON for scripts: base units only (bytes, seconds, bytes per second,
//! USD), every key that holds a quantity ending in its unit, integers for
//! counts and bytes, and no float noise.

use serde_json::{json, Map, Value};
use uom::si::f64::{Information, InformationRate, Time};

use crate::figure::Fig;
use crate::model::time::Limit;
use crate::model::Estimate;
use crate::scenario::{Parallel, Scenario, Work};
use crate::units::{clean, Count, Ratio, Usd};

pub fn whole(value: f64) -> Value {
    json!(crate::units::WholeNumber(value))
}
pub fn bytes(fig: &Fig<Information>) -> Value {
    whole(fig.base())
}
pub fn count(fig: &Fig<Count>) -> Value {
    whole(fig.base())
}
pub fn seconds(fig: &Fig<Time>) -> Value {
    json!(clean(fig.base()))
}
pub fn rate(fig: &Fig<InformationRate>) -> Value {
    json!(clean(fig.base()))
}
pub fn usd(fig: &Fig<Usd>) -> Value {
    json!(clean(fig.base()))
}
pub fn ratio(fig: &Fig<Ratio>) -> Value {
    json!(clean(fig.base()))
}

/// The figures a script most often wants, under stable names; `scale` and
/// `compare` use the same list.
pub fn summary(estimate: &Estimate) -> Value {
    Value::Object(crate::model::summary::json(
        &crate::model::summary::summary(estimate),
    ))
}

/// A stage's parallel model, with its coefficients.
fn parallel(model: &Parallel) -> Value {
    match model {
        Parallel::Linear => json!({ "model": "linear" }),
        Parallel::Amdahl { serial_fraction } => {
            json!({ "model": "amdahl", "serial_fraction": ratio(serial_fraction) })
        }
        Parallel::Usl {
            contention,
            coherency,
        } => json!({
            "model": "usl",
            "contention": ratio(contention),
            "coherency": ratio(coherency),
        }),
    }
}

/// The shared resource that holds a stage at its floor.
fn limit(limit: &Limit) -> Value {
    match limit {
        Limit::Link(rate) => {
            json!({ "resource": "network_link", "bytes_per_s": clean(rate.value) })
        }
        Limit::Shared(rate) => json!({ "resource": "shared", "bytes_per_s": clean(rate.value) }),
    }
}

pub fn conventions(estimate: &Estimate) -> Value {
    json!({
        "bytes_per_gb": 1_000_000_000u64,
        "days_per_month": ratio(&estimate.calendar.days_per_month),
        "parallel_model": if estimate.time.lecture_rule {
            "linear: T_parallel = T_sequential / N"
        } else {
            "per stage: T_parallel = sum of each stage's T_par (see stages[].parallel)"
        },
        "runs_per_day": 1,
        "currency": "USD",
    })
}

pub fn estimate(scenario: &Scenario, estimate: &Estimate, explain: bool) -> Value {
    let e = estimate;
    let stages: Vec<Value> = scenario
        .stages
        .iter()
        .zip(&e.flow.stages)
        .zip(&e.time.stages)
        .zip(&e.memory.stages)
        .map(|(((stage, flow), time), memory)| {
            let mut object = Map::new();
            object.insert("name".into(), json!(stage.name));
            object.insert("bound".into(), json!(stage.bound));
            object.insert("input".into(), json!(stage.measure));
            match &stage.work {
                Work::ByteThroughput(r) => {
                    object.insert("throughput_bytes_per_s".into(), rate(r));
                }
                Work::EventThroughput(r) => {
                    object.insert("throughput_events_per_s".into(), json!(clean(r.base())));
                }
                Work::Duration(d) => {
                    object.insert("given_duration_s".into(), seconds(d));
                }
            }
            object.insert("rows_in".into(), count(&flow.rows_in));
            object.insert("bytes_in".into(), bytes(&flow.bytes_in));
            object.insert("rows_out".into(), count(&flow.rows_out));
            object.insert("bytes_out".into(), bytes(&flow.bytes_out));
            object.insert("time_s".into(), seconds(&time.time));
            object.insert("parallel".into(), parallel(&stage.parallel));
            object.insert("parallel_s".into(), seconds(&time.parallel));
            object.insert(
                "limited_by".into(),
                time.limited_by.as_ref().map_or(Value::Null, limit),
            );
            object.insert("working_set_bytes".into(), bytes(&memory.working_set));
            object.insert("memory_per_worker_bytes".into(), bytes(&memory.per_worker));
            Value::Object(object)
        })
        .collect();
    let storage: Vec<Value> = e
        .storage
        .datasets
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "of": d.of,
                "bytes_per_day": bytes(&d.bytes_per_day),
                "retention_days": ratio(&d.retention_days),
                "compression_ratio": ratio(&d.compression_ratio),
                "stored_month1_bytes": bytes(&d.stored_month1_compressed),
                "stored_month1_uncompressed_bytes": bytes(&d.stored_month1),
                "stored_steady_bytes": bytes(&d.stored_steady_compressed),
                "stored_steady_uncompressed_bytes": bytes(&d.stored_steady),
                "usd_month1": usd(&d.usd_month1),
                "usd_per_month_steady": usd(&d.usd_per_month_steady),
            })
        })
        .collect();
    let network = e.network.as_ref().map(|n| {
        json!({
            "bandwidth_bytes_per_s": rate(&n.bandwidth),
            "bytes_per_day": bytes(&n.bytes_per_day),
            "egress_usd_per_day": usd(&n.egress_usd_per_day),
            "egress_usd_per_month": usd(&n.egress_usd_per_month),
            "ingress_usd_per_month": usd(&n.ingress_usd_per_month),
            "usd_per_day": usd(&n.usd_per_day),
            "usd_per_month": usd(&n.usd_per_month),
            "network_bound": n.network_bound,
            "transfers": n.transfers.iter().map(|t| json!({
                "name": t.name,
                "of": t.of,
                "direction": t.direction,
                "bytes_per_day": bytes(&t.bytes_per_day),
                "transfer_time_s": seconds(&t.transfer_time),
                "window_s": t.window.as_ref().map(seconds),
                "required_bandwidth_bytes_per_s": t.required_bandwidth.as_ref().map(rate),
                "exceeds_link": t.exceeds_link(&n.bandwidth),
                "usd_per_day": usd(&t.usd_per_day),
                "usd_per_month": usd(&t.usd_per_month),
            })).collect::<Vec<_>>(),
        })
    });
    let c = &e.cost;
    let mut report = json!({
        "scenario": { "name": scenario.name, "file": scenario.file },
        "conventions": conventions(e),
        "summary": summary(e),
        "flow": {
            "volume_factor": e.flow.volume_factor.as_ref().map(ratio),
            "events_per_day": count(&e.flow.events_per_day),
            "raw_bytes_per_day": bytes(&e.flow.raw_bytes_per_day),
            "output_bytes_per_day": bytes(&e.flow.output_bytes_per_day),
            "reduction_ratio": ratio(&e.flow.reduction_ratio),
        },
        "stages": stages,
        "time": {
            "sequential_s": seconds(&e.time.sequential),
            "workers": count(&e.time.workers),
            "parallel_s": seconds(&e.time.parallel),
            "bottleneck_stage": e.time.bottleneck_name(),
            "bottleneck_s": seconds(&e.time.bottleneck_time),
            "deadline_s": e.time.deadline.as_ref().map(|d| seconds(&d.deadline)),
            "slack_s": e.time.deadline.as_ref().map(|d| seconds(&d.slack)),
            "deadline_met": e.time.deadline.as_ref().map(|d| d.met),
        },
        "memory": {
            "peak_bytes": bytes(&e.memory.peak),
            "peak_stage": e.memory.peak_stage_name(),
            "memory_per_worker_bytes": e.memory.memory_per_worker.as_ref().map(bytes),
            "headroom_bytes": e.memory.headroom.as_ref().map(bytes),
            "fits": e.memory.fits(),
        },
        "storage": {
            "datasets": storage,
            "usd_month1": usd(&c.storage_usd_month1),
            "usd_per_month_steady": usd(&c.storage_usd_per_month_steady),
        },
        "network": network,
        "cost": {
            "billed_time_per_worker_s": seconds(&c.billed_time_per_worker),
            "worker_time_s": seconds(&c.worker_time),
            "compute_usd_per_day": usd(&c.compute_usd_per_day),
            "compute_usd_per_month": usd(&c.compute_usd_per_month),
            "storage_usd_month1": usd(&c.storage_usd_month1),
            "storage_usd_per_month_steady": usd(&c.storage_usd_per_month_steady),
            "network_usd_per_month": usd(&c.network_usd_per_month),
            "total_usd_per_month": usd(&c.total_usd_per_month),
            "compute_share": ratio(&c.compute_share),
            "storage_share": ratio(&c.storage_share),
            "network_share": ratio(&c.network_share),
        },
    });
    if explain {
        let document = super::estimate::document(scenario, e, true);
        let working: Vec<Value> = document
            .sections
            .iter()
            .flat_map(|s| s.working.iter())
            .map(|w| json!(w))
            .collect();
        report["inputs"] = json!(scenario.inputs());
        report["explain"] = json!(working);
    }
    report
}
