//! Calibration from several measured runs (pipecalc's or Spark's, of
//! different sizes and worker counts): each stage's time fitted as a fixed
//! cost, serial work and shared work ([`super::fit`]), the run's overhead
//! outside its stages, distinct keys by two models that bracket them, and
//! memory growth; written as one scenario, with how well the fit predicts
//! runs it was not fitted on.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use schemars::JsonSchema;
use serde::Serialize;

use super::calibrate::{per_worker_memory, Calibration, CalibrationSource};
use super::fit::{self, Holdout, KeysFit, Point, TimeFit};
use super::run::{read_runs, RunRecord};
use crate::reference::pipeline::RunReport;
use crate::reference::spark::{MeasuredRun, StageMap};
use crate::scenario::Measure;
use crate::units::{clean, significant};

/// One stage's time fit and how it holds.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageTimeFit {
    pub stage: String,
    /// What `s` is: the stage's bytes in (the first stage) or rows in.
    pub size_of: String,
    pub fit: TimeFit,
    pub holdout: Holdout,
}

/// What several runs fitted.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SeveralFit {
    /// The runs, smallest first.
    pub runs: Vec<RunRecord>,
    pub stages: Vec<StageTimeFit>,
    /// The median time outside the stages (an engine's start, planning and
    /// commit), written as `run_overhead`; `null` where no run measured it.
    pub run_overhead_s: Option<f64>,
    /// The whole run (its stages and its overhead), predicted from the
    /// stage fits.
    pub pipeline: Holdout,
    pub keys: Option<KeysFit>,
    /// Each stage's working-set growth exponent, where two sizes show it.
    pub working_set_grows: Vec<(String, Option<f64>)>,
}

/// The size a stage's time is fitted against: bytes in for the first stage,
/// rows in after it (as the calibrated scenario's throughputs are).
fn size(report: &RunReport, index: usize) -> f64 {
    let stage = &report.stages[index];
    if index == 0 {
        stage.bytes_in as f64
    } else {
        stage.rows_in as f64
    }
}

/// A run's whole time: its stages, and its time outside them where measured.
fn whole(record: &RunRecord) -> f64 {
    record.in_stages_s + record.outside_stages_s.unwrap_or(0.0)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        }
    })
}

/// Predicts each run's whole time from the stage fits of the others
/// (`others(i)` lists them), with their median overhead.
fn pipeline_prediction(
    runs: &[(RunRecord, MeasuredRun)],
    stages: usize,
    target: usize,
    others: &[usize],
) -> Option<f64> {
    let mut total = 0.0;
    for index in 0..stages {
        let points: Vec<Point> = others
            .iter()
            .map(|&o| Point {
                size: size(&runs[o].1.report, index),
                workers: runs[o].0.workers.max(1) as f64,
                value: runs[o].1.report.stages[index].wall_s,
            })
            .collect();
        let fitted = fit::fit_time(&points)?;
        total += fitted.predict(
            size(&runs[target].1.report, index),
            runs[target].0.workers.max(1) as f64,
        );
    }
    let overhead = median(
        others
            .iter()
            .filter_map(|&o| runs[o].0.outside_stages_s)
            .collect(),
    );
    Some(total + overhead.unwrap_or(0.0))
}

fn pipeline_holdout(runs: &[(RunRecord, MeasuredRun)], stages: usize) -> Holdout {
    let pct = |predicted: f64, measured: f64| (predicted - measured) / measured * 100.0;
    let largest = (0..runs.len()).max_by(|&a, &b| {
        runs[a]
            .0
            .events
            .cmp(&runs[b].0.events)
            .then(runs[b].0.workers.cmp(&runs[a].0.workers))
    });
    let forward = largest.and_then(|target| {
        let others: Vec<usize> = (0..runs.len())
            .filter(|&o| runs[o].0.events < runs[target].0.events)
            .collect();
        if others.is_empty() {
            return None;
        }
        pipeline_prediction(runs, stages, target, &others).map(|p| pct(p, whole(&runs[target].0)))
    });
    let errors: Vec<f64> = (0..runs.len())
        .filter_map(|target| {
            let others: Vec<usize> = (0..runs.len()).filter(|&o| o != target).collect();
            pipeline_prediction(runs, stages, target, &others)
                .map(|p| pct(p, whole(&runs[target].0)).abs())
        })
        .collect();
    let linear = largest.and_then(|target| {
        let t = &runs[target].0;
        let reference = runs
            .iter()
            .map(|(r, _)| r)
            .filter(|r| r.events < t.events)
            .max_by_key(|r| r.events)?;
        let scaled = whole(reference)
            * (t.events as f64 / reference.events as f64)
            * (reference.workers.max(1) as f64 / t.workers.max(1) as f64);
        Some(pct(scaled, whole(t)))
    });
    let mut noise: Option<f64> = None;
    for (a, _) in runs {
        let same: Vec<f64> = runs
            .iter()
            .filter(|(b, _)| b.events == a.events && b.workers == a.workers)
            .map(|(b, _)| whole(b))
            .collect();
        if same.len() >= 2 {
            let lo = same.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = same.iter().copied().fold(0.0, f64::max);
            let spread = (hi - lo) / ((hi + lo) / 2.0) * 100.0;
            noise = Some(noise.map_or(spread, |n: f64| n.max(spread)));
        }
    }
    Holdout {
        forward_error_pct: forward.map(clean),
        leave_one_out_pct: median(errors).map(clean),
        linear_rule_error_pct: linear.map(clean),
        noise_pct: noise.map(clean),
    }
}

fn percent_words(value: Option<f64>) -> String {
    value.map_or_else(
        || "not measured".into(),
        |v| format!("{}{}%", if v > 0.0 { "+" } else { "" }, significant(v, 3)),
    )
}

/// Calibrates from two or more measured runs.
pub fn calibrate_from_runs(
    paths: &[PathBuf],
    map: Option<&StageMap>,
    allow_incomplete: bool,
) -> Result<Calibration> {
    let mut runs = read_runs(paths, map, allow_incomplete)?;
    // One order whatever order they were given in.
    runs.sort_by(|(a, _), (b, _)| {
        a.events
            .cmp(&b.events)
            .then(a.workers.cmp(&b.workers))
            .then(a.path.cmp(&b.path))
    });
    let names: Vec<String> = runs[0]
        .1
        .report
        .stages
        .iter()
        .map(|s| s.name.clone())
        .collect();
    for (record, run) in &runs {
        let theirs: Vec<&String> = run.report.stages.iter().map(|s| &s.name).collect();
        if theirs
            .iter()
            .map(|s| s.as_str())
            .ne(names.iter().map(String::as_str))
        {
            bail!(
                "`{}` has the stages {:?}, `{}` has {:?}; runs calibrated together need the same stages in the same order",
                record.path,
                theirs,
                runs[0].0.path,
                names
            );
        }
        if record.events == 0 || run.report.stages[0].bytes_in == 0 {
            bail!(
                "`{}`: its first stage read no rows or no bytes, so there is no volume to calibrate against",
                record.path
            );
        }
    }
    let (base_record, base) = runs.last().expect("at least two runs");
    let base_report = &base.report;
    let base_workers = base_record.workers.max(1);
    let mut stage_fits = Vec::new();
    let mut stages = Vec::new();
    let mut notes = Vec::new();
    let mut keys: Option<KeysFit> = None;
    let mut growths = Vec::new();
    use crate::scenario::raw::{self, spanned, value};
    for (index, name) in names.iter().enumerate() {
        let points: Vec<Point> = runs
            .iter()
            .map(|(record, run)| Point {
                size: size(&run.report, index),
                workers: record.workers.max(1) as f64,
                value: run.report.stages[index].wall_s,
            })
            .collect();
        let measure = if index == 0 {
            Measure::Bytes
        } else {
            Measure::Events
        };
        let stage = &base_report.stages[index];
        let reads = points.iter().all(|p| p.size > 0.0);
        let fitted = if reads { fit::fit_time(&points) } else { None };
        let (throughput, duration, startup, parallel) = match &fitted {
            Some(f) if f.serial_s_per_unit + f.parallel_s_per_unit > 0.0 => {
                let per_unit = f.serial_s_per_unit + f.parallel_s_per_unit;
                let rate = 1.0 / per_unit;
                let rate = match measure {
                    Measure::Bytes => format!("{} MB/s", significant(rate / 1e6, 7)),
                    Measure::Events => format!("{} events/s", significant(rate, 7)),
                };
                let startup =
                    (f.fixed_s > 0.0).then(|| value(format!("{} s", significant(f.fixed_s, 6))));
                let parallel = (f.serial_s_per_unit > 0.0).then(|| {
                    spanned(raw::RawParallel {
                        model: crate::scenario::raw::ParallelKind::Amdahl,
                        serial_fraction: Some(value(significant(
                            f.serial_s_per_unit / per_unit,
                            6,
                        ))),
                        contention: None,
                        coherency: None,
                    })
                });
                (Some(value(rate)), None, startup, parallel)
            }
            _ => {
                // No input to fit against, or a time that does not grow:
                // the median wall, fixed.
                let wall = median(points.iter().map(|p| p.value).collect()).unwrap_or(0.0);
                notes.push(format!(
                    "`{name}`: its time does not grow with its input in these runs: the median {} is written as a fixed duration",
                    crate::units::human_duration(wall)
                ));
                (
                    None,
                    Some(value(format!("{} s", significant(wall.max(0.001), 6)))),
                    None,
                    None,
                )
            }
        };
        if let Some(f) = &fitted {
            stage_fits.push(StageTimeFit {
                stage: name.clone(),
                size_of: match measure {
                    Measure::Bytes => "bytes in".into(),
                    Measure::Events => "rows in".into(),
                },
                fit: f.clone(),
                holdout: fit::time_holdout(&points),
            });
        }
        // Rows out: a fraction kept, or distinct keys that grow slower.
        let row_size = (stage.rows_out > 0).then(|| {
            value(format!(
                "{} B",
                significant(stage.bytes_out as f64 / stage.rows_out as f64, 7)
            ))
        });
        let shares: Vec<(f64, f64)> = runs
            .iter()
            .map(|(_, run)| {
                let s = &run.report.stages[index];
                (s.rows_in as f64, s.rows_out as f64)
            })
            .filter(|(rows_in, _)| *rows_in > 0.0)
            .collect();
        let keep_of = |(rows_in, rows_out): &(f64, f64)| rows_out / rows_in;
        let smallest = shares.first().map(keep_of);
        let largest = shares.last().map(keep_of);
        let sizes_differ = shares.first().map(|s| s.0) != shares.last().map(|s| s.0);
        // Keys saturate: the share kept falls by more than 3% from the
        // smallest run to the largest.
        let saturating =
            matches!((smallest, largest), (Some(a), Some(b)) if sizes_differ && b < a * 0.97);
        let output = if stage.rows_in == 0 || stage.rows_out == 0 {
            None
        } else if saturating {
            let key_points: Vec<Point> = shares
                .iter()
                .map(|&(rows_in, rows_out)| Point {
                    size: rows_in,
                    workers: 1.0,
                    value: rows_out,
                })
                .collect();
            let fitted = fit::fit_keys(&key_points)
                .ok_or_else(|| anyhow!("the keys of `{name}` cannot be fitted"))?;
            let at_base = fitted.heaps(stage.rows_in as f64);
            notes.push(format!(
                "`{name}`: its rows out are distinct keys that grow slower than its rows in (a share of {} at the smallest run, {} at the largest): written as Heaps' law, keys × k^{}; a saturating catalogue of {} keys is the low end of the bracket validate shows",
                significant(smallest.unwrap_or(0.0), 3),
                significant(largest.unwrap_or(0.0), 3),
                significant(fitted.heaps_exponent, 3),
                fitted.catalogue.map_or_else(|| "(none fitted)".into(), |c| crate::units::grouped(c.round() as u64))
            ));
            keys = Some(KeysFit {
                stage: name.clone(),
                fit: fitted.clone(),
            });
            Some(raw::RawOutput::keys(
                value(format!("{}", at_base.round().max(1.0))),
                row_size.clone(),
                value(significant(fitted.heaps_exponent, 6)),
            ))
        } else if shares.iter().all(|(i, o)| o <= i) {
            let (rows_in, rows_out) = shares
                .iter()
                .fold((0.0, 0.0), |(a, b), (i, o)| (a + i, b + o));
            Some(raw::RawOutput::kept(
                value(significant(rows_out / rows_in, 7)),
                row_size.clone(),
            ))
        } else {
            Some(raw::RawOutput::keys(
                value(stage.rows_out.to_string()),
                row_size.clone(),
                value("1"),
            ))
        };
        // Memory: the largest run's peak, and how it grew with the input.
        let memory_points: Vec<Point> = runs
            .iter()
            .filter_map(|(record, run)| {
                let s = &run.report.stages[index];
                s.peak_memory_bytes.map(|peak| Point {
                    size: s.rows_in.max(1) as f64,
                    workers: 1.0,
                    value: per_worker_memory(
                        peak,
                        run.report.process_base_memory_bytes,
                        record.workers,
                    ),
                })
            })
            .collect();
        let grows = fit::fit_growth(&memory_points);
        growths.push((name.clone(), grows.map(clean)));
        stages.push(raw::RawStage {
            name: spanned(crate::scenario::stage_name_from(name)),
            bound: super::calibrate::measured_bound(index, name),
            input: spanned(measure),
            throughput,
            duration,
            startup,
            output: output.map(spanned),
            working_set: stage.peak_memory_bytes.filter(|&p| p > 0).map(|peak| {
                value(format!(
                    "{} MB",
                    significant(
                        per_worker_memory(
                            peak,
                            base_report.process_base_memory_bytes,
                            base_workers
                        ) / 1e6,
                        6
                    )
                ))
            }),
            working_set_grows: grows.filter(|g| *g > 0.0).map(|g| value(significant(g, 4))),
            parallel,
            shares: None,
            runs_in: None,
        });
    }
    let run_overhead_s = median(
        runs.iter()
            .filter_map(|(r, _)| r.outside_stages_s)
            .collect(),
    );
    let pipeline = pipeline_holdout(&runs, names.len());
    let first = &base_report.stages[0];
    let mut scenario = super::calibrate::calibrated_scenario(
        format!("Calibrated from {} measured runs", runs.len()),
        super::calibrate::measured_volume(first),
        base_workers,
        stages,
    );
    scenario.run_overhead = run_overhead_s.map(|s| value(format!("{} s", significant(s, 6))));
    let mut header = format!(
        "Calibrated by `pipecalc calibrate --from`, from {} runs (volume and workers of the largest):\n",
        runs.len()
    );
    for (record, _) in &runs {
        header.push_str(&format!(
            "  {}: {} events, {} worker(s), stages in {}{}\n",
            record.path,
            record.events,
            record.workers,
            crate::units::human_duration(record.in_stages_s),
            record
                .outside_stages_s
                .map_or_else(String::new, |o| format!(
                    ", {} outside them",
                    crate::units::human_duration(o)
                ))
        ));
    }
    header.push_str(
        "\nEach stage's time is fitted as T = a + b·s + c·s/N (a fixed cost, work no\nworker shares, work the workers share; s its input, N its workers), by\nnon-negative least squares: a is written as `startup`, 1/(b + c) as the\nthroughput, and b/(b + c) as Amdahl's serial fraction.\n",
    );
    for f in &stage_fits {
        header.push_str(&format!(
            "  {}: a = {} s, b = {:.4e} s, c = {:.4e} s a unit of {}; {} run(s), {}; largest run predicted from the others {}, leave-one-out {}, the linear rule {}\n",
            f.stage,
            significant(f.fit.fixed_s, 4),
            f.fit.serial_s_per_unit,
            f.fit.parallel_s_per_unit,
            f.size_of,
            f.fit.runs,
            if f.fit.degrees_of_freedom <= 0 {
                "an exact fit (no degrees of freedom left to judge it)".to_string()
            } else {
                format!("{} degree(s) of freedom", f.fit.degrees_of_freedom)
            },
            percent_words(f.holdout.forward_error_pct),
            percent_words(f.holdout.leave_one_out_pct.map(|v| v.abs())),
            percent_words(f.holdout.linear_rule_error_pct),
        ));
    }
    let mut undecided: Vec<&String> = stage_fits.iter().flat_map(|f| &f.fit.undecided).collect();
    undecided.dedup();
    for line in undecided {
        header.push_str(&format!("  Not decided by these runs: {line}.\n"));
    }
    if let Some(overhead) = run_overhead_s {
        header.push_str(&format!(
            "\nrun_overhead is the median time outside the stages ({}): start-up, planning\nand commit, paid by every run whatever its data.\n",
            crate::units::human_duration(overhead)
        ));
    }
    header.push_str(&format!(
        "\nThe whole run (stages and overhead): the largest run predicted from the\nothers {}, leave-one-out {}, the linear rule {}; the runs' own noise {}.\n",
        percent_words(pipeline.forward_error_pct),
        percent_words(pipeline.leave_one_out_pct),
        percent_words(pipeline.linear_rule_error_pct),
        percent_words(pipeline.noise_pct),
    ));
    for note in &notes {
        header.push_str(&format!("{note}\n"));
    }
    header.push_str("\nThe compute price is a placeholder: put your own.\n\n  pipecalc estimate calibrated.yaml --scale 10 --workers 8\n");
    let (yaml, calibrated) = super::calibrate::written(scenario, &header)?;
    let fit = SeveralFit {
        runs: runs.iter().map(|(r, _)| r.clone()).collect(),
        stages: stage_fits,
        run_overhead_s: run_overhead_s.map(clean),
        pipeline,
        keys,
        working_set_grows: growths,
    };
    let (base_record, base) = runs.pop().expect("at least two runs");
    Ok(Calibration {
        source: CalibrationSource::Measured(base_record),
        report: base.report,
        catalogue: None,
        chao1: None,
        yaml,
        scenario: calibrated,
        spread: None,
        several: Some(fit),
    })
}
