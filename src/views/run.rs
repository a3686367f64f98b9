//! The reference pipeline's run report as a document: per-stage
//! measurements and data quality. Its JSON is the pipeline's own
//! (`reference::metrics`).

use crate::reference::metrics::{StageRecord, NULL_USER_ALERT};
use crate::reference::pipeline::{RunReport, RunStatus, StageStatus, STAGES};
use crate::report::{Document, Section};
use crate::units::{grouped, human_byte_rate, human_bytes, human_count, human_duration};

use super::percent;

pub fn document(report: &RunReport) -> Document {
    let mut stages = Section::new(
        "Stages",
        &[
            "Stage",
            "Status",
            "Wall",
            "CPU",
            "Rows in",
            "Rows out",
            "Bytes in",
            "Bytes out",
            "Peak memory",
            "Throughput",
            "Rows/s",
        ],
    );
    for stage in &report.stages {
        // The record JSON writes: a count the source did not measure is
        // `null` there and "not measured" here, never 0.
        let record = StageRecord::of(stage);
        let not_measured = || "not measured".to_string();
        let count = |value: Option<u64>| value.map_or_else(not_measured, |v| human_count(v as f64));
        let size = |value: Option<u64>| value.map_or_else(not_measured, |v| human_bytes(v as f64));
        stages.row([
            stage.name.clone(),
            stage.status.to_string(),
            human_duration(stage.wall_s),
            stage.cpu_s.map_or_else(not_measured, human_duration),
            count(record.rows_in),
            count(record.rows_out),
            size(record.bytes_in),
            size(record.bytes_out),
            size(record.peak_memory_bytes),
            record
                .throughput_bytes_per_s
                .map_or_else(not_measured, human_byte_rate),
            record
                .throughput_rows_per_s
                .map_or_else(not_measured, human_count),
        ]);
    }
    if report.status == RunStatus::Failed {
        // What the failure cost: the stage that stopped kept nothing of
        // its partial work, and the stages after it did not run.
        for (index, name) in STAGES.iter().enumerate().skip(report.stages.len()) {
            let status = if index == report.stages.len() {
                "FAILED: partial output discarded"
            } else {
                "not run"
            };
            let mut row = vec![name.to_string(), status.to_string()];
            row.extend(std::iter::repeat_n("—".to_string(), 9));
            stages.row(row);
        }
        if !report.stages.is_empty() {
            stages.note("the stages above the failure are checkpointed; `--resume` continues from the first that did not finish");
        }
    }
    let resumed: Vec<&str> = report
        .stages
        .iter()
        .filter(|s| s.status == StageStatus::Resumed)
        .map(|s| s.name.as_str())
        .collect();
    if !resumed.is_empty() {
        let redone: Vec<&str> = report
            .stages
            .iter()
            .filter(|s| s.status == StageStatus::Ran)
            .map(|s| s.name.as_str())
            .collect();
        stages.note(format!(
            "resumed from checkpoints: {}; redone: {}",
            resumed.join(", "),
            if redone.is_empty() {
                "nothing".to_string()
            } else {
                redone.join(", ")
            }
        ));
    }
    stages.charts.push(super::charts::columns(
        "Wall time per stage",
        crate::report::chart::Axis::Seconds,
        report
            .stages
            .iter()
            .map(|s| (s.name.clone(), s.wall_s))
            .collect(),
    ));
    let wall: f64 = report.stages.iter().map(|s| s.wall_s).sum();
    let bytes_in = report.stages.first().map_or(0, |s| s.bytes_in);
    let events = report.stages.first().map_or(0, |s| s.rows_in);
    stages.note(format!(
        "end to end: {} with {} worker(s); {} of input JSON, {} lines",
        human_duration(wall),
        report.workers,
        human_bytes(bytes_in as f64),
        human_count(events as f64)
    ));
    stages.note("peak memory is the process's resident high-water mark during the stage");

    let q = &report.quality;
    let mut quality = Section::new("Data quality", &["Check", "Count", "Note"]);
    quality.row(["lines read".to_string(), grouped(q.lines), String::new()]);
    quality.row([
        "valid events".to_string(),
        grouped(q.valid_events),
        String::new(),
    ]);
    for (reason, count) in &q.quarantined {
        quality.row([
            format!("quarantined: {reason}"),
            grouped(*count),
            "kept with its reason in raw/_quarantine/".to_string(),
        ]);
    }
    let share = q.null_user_share();
    quality.row([
        "null user_id".to_string(),
        grouped(q.null_user_id),
        if share > NULL_USER_ALERT {
            format!("WARNING: {} of events, above the 1% alert (missing data: use session_id as fallback)", percent(share))
        } else {
            format!("{} of events", percent(share))
        },
    ]);
    quality.row([
        "duplicates removed".to_string(),
        grouped(q.duplicates_removed),
        "same (event_id, timestamp) seen again".to_string(),
    ]);
    quality.row([
        "page views".to_string(),
        grouped(q.page_views),
        "distinct".to_string(),
    ]);
    quality.row([
        "invalid product ids".to_string(),
        grouped(q.invalid_product_ids),
        "dropped in transform".to_string(),
    ]);
    quality.row([
        "non-product page views".to_string(),
        grouped(q.non_product_page_views),
        "no product to count".to_string(),
    ]);
    quality.row([
        "late events".to_string(),
        grouped(q.late_events),
        "more than the allowed lateness behind the latest event already seen in its file; counted on their own date".to_string(),
    ]);
    for (field, count) in &q.unknown_fields {
        quality.row([
            format!("unknown field: {field}"),
            grouped(*count),
            "schema drift; kept in raw's `extra` column".to_string(),
        ]);
    }
    if q.unknown_fields_untracked > 0 {
        quality.row([
            "unknown fields: more".to_string(),
            grouped(q.unknown_fields_untracked),
            format!(
                "times events carried a field beyond the first {} named above; kept in raw's `extra` column",
                crate::reference::metrics::MAX_UNKNOWN_FIELDS
            ),
        ]);
    }
    quality.row([
        "read retries".to_string(),
        grouped(q.read_retries),
        "transient read failures retried".to_string(),
    ]);
    quality.charts.push(super::charts::columns(
        "What the data-quality checks found",
        crate::report::chart::Axis::Count,
        vec![
            ("quarantined".into(), q.quarantined_total() as f64),
            ("null user_id".into(), q.null_user_id as f64),
            ("duplicates".into(), q.duplicates_removed as f64),
            ("invalid product ids".into(), q.invalid_product_ids as f64),
            ("late events".into(), q.late_events as f64),
        ],
    ));

    let mut output = Section::new("Output", &["Figure", "Value"]);
    output.row(["status".to_string(), report.status.to_string()]);
    output.row([
        "rows (date, product_id, view_count)".to_string(),
        grouped(report.output_rows),
    ]);
    output.row(["dates".to_string(), report.output_dates.join(", ")]);
    output.row([
        "folder".to_string(),
        format!("{}/views/date=YYYY-MM-DD/", report.output),
    ]);
    if let Some(failure) = &report.failure {
        output.note(format!("stopped: {failure}"));
    }
    for skipped in &report.skipped_inputs {
        output.note(format!("NOT READ: {skipped}"));
    }
    for cleared in &report.cleared_leftovers {
        output.note(format!("removed what a killed run left: {cleared}"));
    }
    Document {
        title: format!("pipecalc run: {} → {}", report.input, report.output),
        intro: Vec::new(),
        sections: vec![stages, quality, output],
        conventions: Vec::new(),
    }
}
