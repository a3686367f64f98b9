//! The `inspect` report: a measured run per stage, whether pipecalc's own
//! pipeline wrote it (`run.json`) or Spark's event log recorded it. For a
//! Spark run it adds what only the log knows (tasks, busy time, shuffle,
//! spill, the application's time outside its stages) and leaves out what
//! it does not (data-quality counts: not measured, so not shown as zeros).

use schemars::JsonSchema;
use serde::Serialize;

use crate::contract::Versions;
use crate::reference::metrics::{QualityRecord, RunDocument, StageRecord};
use crate::reference::spark::{BytesSource, MeasuredRun, RunSource, SparkDetails};
use crate::report::{Document, Section};
use crate::units::{grouped, human_bytes, human_duration};

/// `pipecalc inspect --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct InspectDocument {
    #[serde(flatten)]
    pub versions: Versions,
    pub source: RunSource,
    /// The folder or file read.
    pub path: String,
    pub input: String,
    /// `completed`, or `incomplete` for an engine's log that ends before
    /// its application did: its stages may be half done.
    pub status: crate::reference::metrics::RunStatus,
    /// Workers: pipecalc's threads, or Spark's most executor cores alive at once.
    pub workers: usize,
    /// Lines (events) the first stage read.
    pub events: u64,
    pub stages: Vec<StageRecord>,
    pub output_rows: u64,
    /// The pipeline's data-quality counts; `null` for a Spark run, whose
    /// log does not hold them.
    pub quality: Option<QualityRecord>,
    /// What the Spark event log adds; `null` for a pipecalc run.
    pub spark: Option<SparkDetails>,
    pub warnings: Vec<String>,
}

pub fn json(run: &MeasuredRun, path: &str) -> InspectDocument {
    let document = RunDocument::of(&run.report);
    InspectDocument {
        versions: Versions::default(),
        source: run.source(),
        path: path.to_string(),
        input: run.report.input.clone(),
        status: run.report.status,
        workers: run.report.workers,
        events: run.events(),
        stages: document.stages,
        output_rows: run.report.output_rows,
        quality: run.spark.is_none().then_some(document.quality),
        spark: run.spark.clone(),
        warnings: run.warnings.clone(),
    }
}

fn bytes(value: Option<u64>) -> String {
    value.map_or_else(|| "not measured".into(), |b| human_bytes(b as f64))
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "not measured".into(), human_duration)
}

pub fn document(run: &MeasuredRun, path: &str) -> Document {
    let mut document = super::run::document(&run.report);
    let Some(spark) = &run.spark else {
        document.title = format!("pipecalc inspect: {path}");
        return document;
    };
    spark_document(document, spark, run, path)
}

fn spark_document(
    mut document: Document,
    spark: &SparkDetails,
    run: &MeasuredRun,
    path: &str,
) -> Document {
    let app = &spark.application;
    document.title = format!(
        "pipecalc inspect: {} (Spark {}{})",
        app.name,
        app.spark_version
            .as_deref()
            .unwrap_or("version not recorded"),
        app.id
            .as_deref()
            .map_or_else(String::new, |id| format!(", {id}"))
    );
    let master = match app.master.as_deref() {
        Some(master) if master.starts_with("local") => {
            format!("{master} (one process on one machine)")
        }
        Some(master) => format!("{master} (a cluster)"),
        None => "not recorded".into(),
    };
    document.intro = vec![
        format!("read from: {path}"),
        format!("master: {master}"),
        format!("mapped: {}", app.mapping.label()),
    ];
    if !app.complete {
        document.intro.insert(
            0,
            "INCOMPLETE: the log ends before the application did; stages marked unfinished are half done".into(),
        );
    }
    // Spark's log holds no data-quality counts and names no output
    // folder: not measured, so not shown.
    document
        .sections
        .retain(|s| s.title != "Data quality" && s.title != "Output");
    for section in &mut document.sections {
        for note in &mut section.notes {
            if note.starts_with("peak memory is") {
                *note = "peak memory is the largest task's execution memory (Spark's `Peak Execution Memory`), not a process's resident size".into();
            } else if note.starts_with("end to end:") {
                *note = format!(
                    "in stages: {} with {} core(s); the application's own start-up, driver work and shutdown are apart, below",
                    human_duration(app.in_stages_s),
                    app.cores
                );
            }
        }
    }
    if let Some(stages) = document.sections.first_mut() {
        let sources: Vec<String> = spark
            .stages
            .iter()
            .map(|s| {
                format!(
                    "{} from {}",
                    s.stage,
                    match s.bytes_in_source {
                        BytesSource::SqlFilesRead => "the scan's `size of files read`",
                        BytesSource::TaskInput => "the tasks' input metrics",
                        BytesSource::Shuffle => "its shuffle reads",
                    }
                )
            })
            .collect();
        stages.note(format!("bytes in: {}", sources.join("; ")));
        stages.note("rows and bytes are what a stage reads from and writes to files, or its shuffles where it has no files");
    }

    let mut tasks = Section::new(
        "Spark per stage",
        &[
            "Stage",
            "Spark stages",
            "Tasks",
            "Failed",
            "Busy",
            "Longest task",
            "Shuffle read",
            "Shuffle written",
            "Spilled (memory)",
            "Spilled (disk)",
        ],
    );
    for stage in &spark.stages {
        tasks.row([
            stage.stage.clone(),
            stage
                .spark_stages
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            grouped(stage.tasks),
            grouped(stage.failed_tasks),
            seconds(stage.busy_s),
            seconds(stage.longest_task_s),
            bytes(stage.shuffle_read_bytes),
            bytes(stage.shuffle_write_bytes),
            bytes(stage.memory_spilled_bytes),
            bytes(stage.disk_spilled_bytes),
        ]);
    }
    tasks.note("busy is Σ of the tasks' `Executor Run Time` across all cores; wall ÷ busy shows how well the cores were used");

    let mut skew = Section::new(
        "Spark shuffle and skew per stage",
        &[
            "Stage",
            "Median task",
            "Longest ÷ median",
            "Shuffle read, remote",
            "Shuffle read, local",
            "Fetch wait",
            "GC",
        ],
    );
    for stage in &spark.stages {
        skew.row([
            stage.stage.clone(),
            seconds(stage.median_task_s),
            stage.task_skew().map_or_else(
                || "not measured".to_string(),
                |x| format!("{}×", crate::units::significant(x, 3)),
            ),
            bytes(stage.shuffle_remote_bytes),
            bytes(stage.shuffle_local_bytes),
            seconds(stage.fetch_wait_s),
            seconds(stage.gc_s),
        ]);
    }
    skew.note("remote is what came over the network from other executors, local what each read from its own: on a cluster of N executors about (N − 1) ÷ N is remote, in local mode none; fetch wait and GC are Σ over the tasks; Spark's AQE splits a partition past 5× the median");

    let mut application = Section::new("Application", &["Figure", "Value"]);
    application.row(["wall (start to end)".to_string(), seconds(app.wall_s)]);
    application.row([
        "in the stages above".to_string(),
        human_duration(app.in_stages_s),
    ]);
    application.row([
        "outside them (start-up, driver, shutdown)".to_string(),
        seconds(app.outside_stages_s),
    ]);
    application.row(["master".to_string(), master]);
    application.row([
        "log".to_string(),
        if app.complete {
            "complete".to_string()
        } else {
            "incomplete (no application end, or still being written)".to_string()
        },
    ]);
    application.row(["executors".to_string(), grouped(app.executors as u64)]);
    for change in &app.executor_changes {
        let at = change.at_s.map_or_else(
            || "at a time not recorded".into(),
            |s| format!("at {}", human_duration(s)),
        );
        application.row([
            format!("executor {}", change.executor),
            if change.cores >= 0 {
                format!(
                    "joined {at} with {} core(s){}",
                    change.cores,
                    change
                        .host
                        .as_deref()
                        .map_or_else(String::new, |h| format!(" on {h}"))
                )
            } else {
                format!(
                    "left {at}, taking {} core(s){}",
                    -change.cores,
                    change
                        .reason
                        .as_deref()
                        .map_or_else(String::new, |r| format!(": {r}"))
                )
            },
        ]);
    }
    application.row([
        "cores (most alive at once: the workers)".to_string(),
        grouped(app.cores as u64),
    ]);
    application.row([
        "rows out of the last stage".to_string(),
        grouped(run.report.output_rows),
    ]);
    application.note("the time outside the stages does not grow with the data: a fixed cost the lecture's T ÷ N leaves out");
    document.sections.push(tasks);
    document.sections.push(skew);
    document.sections.push(application);
    document
}
