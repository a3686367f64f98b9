//! The run report's serialization: `run.json`, written by the pipeline
//! itself in base units with unit-suffixed keys, so the pipeline never
//! depends on the views that print it.

use serde_json::{json, Value};

use super::pipeline::RunReport;

/// The lecture's alert threshold for missing user ids.
pub const NULL_USER_ALERT: f64 = 0.01;

/// The run report as `run.json` holds it.
pub fn json(report: &RunReport) -> Value {
    let stages: Vec<Value> = report
        .stages
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "status": s.status,
                "wall_s": crate::units::clean(s.wall_s),
                "cpu_s": crate::units::clean(s.cpu_s),
                "rows_in": s.rows_in,
                "rows_out": s.rows_out,
                "bytes_in": s.bytes_in,
                "bytes_out": s.bytes_out,
                "peak_memory_bytes": s.peak_memory_bytes,
                "throughput_bytes_per_s": crate::units::clean(s.bytes_per_s()),
                "throughput_rows_per_s": crate::units::clean(s.rows_per_s()),
            })
        })
        .collect();
    let q = &report.quality;
    json!({
        "status": report.status,
        "failure": report.failure,
        "workers": report.workers,
        "input": report.input,
        "output": report.output,
        "stages": stages,
        "quality": {
            "lines": q.lines,
            "blank_lines": q.blank_lines,
            "valid_events": q.valid_events,
            "quarantined": q.quarantined,
            "quarantined_total": q.quarantined_total(),
            "null_user_id": q.null_user_id,
            "null_user_share": crate::units::clean(q.null_user_share()),
            "null_user_alert": q.null_user_share() > NULL_USER_ALERT,
            "duplicates_removed": q.duplicates_removed,
            "page_views": q.page_views,
            "invalid_product_ids": q.invalid_product_ids,
            "non_product_page_views": q.non_product_page_views,
            "late_events": q.late_events,
            "unknown_fields": q.unknown_fields,
            "read_retries": q.read_retries,
        },
        "output_rows": report.output_rows,
        "output_dates": report.output_dates,
    })
}
