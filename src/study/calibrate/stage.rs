//! One stage's calibration from every group of runs: its time fitted on
//! each band of the repeats, what it writes (a fraction kept, distinct keys
//! from a catalogue or by Heaps' law, more rows than it reads), its output
//! bytes and its memory.

use anyhow::{anyhow, bail, Result};

use super::{
    measured_bound, significant_f, KeysCalibration, Source, StageCalibration, StageOutput,
    StageTime,
};
use crate::reference::metrics::median;
use crate::reference::pipeline::{StageId, StageMetrics};
use crate::scenario::Measure;
use crate::study::fit::{self, Point, TimeFit};
use crate::study::run::{Band, Group};
use crate::units::{clean, grouped, human_duration, significant};

/// One stage's calibration from every group.
pub(super) fn calibrate_stage(
    groups: &[Group],
    index: usize,
    measured_as: &str,
    source: &Source,
    notes: &mut Vec<String>,
    keys: &mut Option<KeysCalibration>,
) -> Result<StageCalibration> {
    let base = groups.last().expect("at least one group");
    let input = if index == 0 {
        Measure::Bytes
    } else {
        Measure::Events
    };
    let size = |group: &Group| match input {
        Measure::Bytes => group.count(index, |s| s.bytes_in),
        Measure::Events => group.count(index, |s| s.rows_in),
    };
    let band_points = |band: Band| -> Vec<Point> {
        groups
            .iter()
            .filter_map(|g| {
                Some(Point {
                    size: size(g)?,
                    workers: g.workers.max(1) as f64,
                    value: g.time(index)?.at(band),
                })
            })
            .collect()
    };
    let time = match (
        fit_stage_time(&band_points(Band::Quiet)),
        fit_stage_time(&band_points(Band::Typical)),
        fit_stage_time(&band_points(Band::Slowest)),
    ) {
        (Some(quiet), Some(typical), Some(slowest)) => StageTime {
            quiet,
            typical,
            slowest,
        },
        _ => bail!(
            "stage `{measured_as}` took no time of its own in any run (kept or resumed from an earlier run in each), so its time cannot be calibrated; give a run where it ran (without --resume)"
        ),
    };
    if time.quiet.serial_s_per_unit + time.quiet.parallel_s_per_unit == 0.0 {
        notes.push(format!(
            "`{measured_as}`: its time does not grow with its input in these runs: {} a run, written as its `startup` alone",
            human_duration(time.quiet.fixed_s)
        ));
    }
    let counts = |of: fn(&StageMetrics) -> u64| -> Vec<(f64, f64)> {
        groups
            .iter()
            .filter_map(|g| Some((g.count(index, |s| s.rows_in)?, g.count(index, of)?)))
            .collect()
    };
    let rows: Vec<(f64, f64)> = counts(|s| s.rows_out);
    let output = stage_output(measured_as, &rows, base, index, source, notes, keys)?;
    let bytes_out: Vec<(f64, f64)> = groups
        .iter()
        .filter_map(|g| {
            Some((
                g.count(index, |s| s.rows_out)?,
                g.count(index, |s| s.bytes_out)?,
            ))
        })
        .collect();
    let line = fit::fit_line(
        &bytes_out
            .iter()
            .map(|&(rows, bytes)| Point {
                size: rows,
                workers: 1.0,
                value: bytes,
            })
            .collect::<Vec<_>>(),
    );
    let base_rows_out = base.count(index, |s| s.rows_out).unwrap_or(0.0);
    let base_bytes_out = base.count(index, |s| s.bytes_out).unwrap_or(0.0);
    let (row_size_bytes, fixed_size_bytes) = match (&output, line) {
        (StageOutput::Same, _) => (None, None),
        (_, Some((fixed, per_row))) => (Some(clean(per_row)), (fixed > 0.0).then(|| clean(fixed))),
        (_, None) => (
            (base_rows_out > 0.0).then(|| clean(base_bytes_out / base_rows_out)),
            None,
        ),
    };
    // Memory grows with the volume at the written workers: what a worker
    // holds at another worker count is another measurement (threads of one
    // process share some of it).
    let memory_points: Vec<Point> = groups
        .iter()
        .filter(|g| g.workers == base.workers)
        .filter_map(|g| {
            Some(Point {
                size: g.events as f64,
                workers: 1.0,
                value: g.memory(index)?.median,
            })
        })
        .collect();
    let working_set_grows = fit::fit_growth(&memory_points).filter(|g| *g >= 0.02);
    let segment = |a: &Point, b: &Point| (b.value / a.value).ln() / (b.size / a.size).ln();
    let working_set_growth_slows = working_set_grows.is_some()
        && memory_points.len() >= 3
        && segment(
            &memory_points[memory_points.len() - 2],
            &memory_points[memory_points.len() - 1],
        ) < 0.75 * segment(&memory_points[0], &memory_points[1]);
    let time_spread_pct = groups
        .iter()
        .filter_map(|g| g.time(index)?.spread_pct())
        .fold(None, |widest: Option<f64>, s| {
            Some(widest.map_or(s, |w| w.max(s)))
        });
    // What a Spark log's tasks read from a shuffle, over the stage's bytes
    // in: every run's, the median.
    let shares: Vec<f64> = groups
        .iter()
        .flat_map(|g| g.runs.iter())
        .filter_map(|run| {
            let spark = run
                .spark
                .as_ref()?
                .stages
                .iter()
                .find(|s| s.stage == measured_as)?;
            let read = spark.shuffle_read_bytes.filter(|&b| b > 0)? as f64;
            let measured = run.report.stages.get(index)?;
            let of = if output.is_keys() {
                measured.bytes_out
            } else {
                measured.bytes_in
            } as f64;
            (of > 0.0).then(|| read / of)
        })
        .collect();
    let shuffle_share = median(&shares).map(|m| clean(significant_f(m, 4)));
    Ok(StageCalibration {
        shuffle_share,
        name: crate::scenario::stage_name_from(measured_as),
        measured_as: measured_as.to_string(),
        bound: measured_bound(index, measured_as),
        input,
        time,
        output,
        row_size_bytes,
        fixed_size_bytes,
        working_set_bytes: base
            .memory(index)
            .map(|m| clean(m.median))
            .filter(|m| *m > 0.0),
        working_set_grows: working_set_grows.map(|g| clean(significant_f(g, 4))),
        working_set_growth_slows,
        time_spread_pct,
    })
}

/// The time fit of one band: T = a + b·s + c·s/N where the stage reads
/// anything; where it reads nothing (a job that lists files), its median
/// time as a fixed cost.
fn fit_stage_time(points: &[Point]) -> Option<TimeFit> {
    if points.is_empty() {
        return None;
    }
    if points.iter().all(|p| p.size > 0.0) {
        return fit::fit_time(points);
    }
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    Some(TimeFit::fixed(median(&values)?, points.len()))
}

/// What a stage writes: its rows (a fraction kept, distinct keys, or more
/// than it reads) as the groups show them, smallest first.
fn stage_output(
    measured_as: &str,
    rows: &[(f64, f64)],
    base: &Group,
    index: usize,
    source: &Source,
    notes: &mut Vec<String>,
    keys: &mut Option<KeysCalibration>,
) -> Result<StageOutput> {
    let reads = rows.iter().filter(|(rows_in, _)| *rows_in > 0.0);
    if rows.is_empty() || rows.iter().all(|(_, out)| *out == 0.0) || reads.clone().count() == 0 {
        return Ok(StageOutput::Same);
    }
    // The generator's catalogue is known: the aggregate's keys are drawn
    // from it.
    if let (
        Source::Sample {
            catalogue, skew, ..
        },
        Some(StageId::Aggregate),
    ) = (source, StageId::named(measured_as))
    {
        return Ok(StageOutput::Catalogue {
            keys_max: *catalogue as f64,
            skew: *skew,
        });
    }
    let shares: Vec<f64> = reads.clone().map(|(i, o)| o / i).collect();
    let sizes_differ = rows.first().map(|r| r.0) != rows.last().map(|r| r.0);
    let saturating = sizes_differ && shares.last() < shares.first().map(|s| s * 0.97).as_ref();
    let base_rows_in = base.count(index, |s| s.rows_in).unwrap_or(0.0);
    let base_rows_out = base.count(index, |s| s.rows_out).unwrap_or(0.0);
    if saturating {
        let points: Vec<Point> = rows
            .iter()
            .map(|&(rows_in, rows_out)| Point {
                size: rows_in,
                workers: 1.0,
                value: rows_out,
            })
            .collect();
        let bracket = fit::fit_keys(&points)
            .ok_or_else(|| anyhow!("the keys of `{measured_as}` cannot be fitted"))?;
        let found = KeysCalibration {
            stage: crate::scenario::stage_name_from(measured_as),
            bracket: bracket.clone(),
            catalogue: fit::fit_catalogue(&points),
        };
        let output = match &found.catalogue {
            Some(catalogue) if found.decided() => {
                notes.push(format!(
                    "`{measured_as}`: its rows out are distinct keys that saturate (a share of {} at the smallest size, {} at the largest): fitted as draws from a catalogue of {} keys with Zipf skew {}, within {}% at every size",
                    significant(shares[0], 3),
                    significant(*shares.last().expect("shares"), 3),
                    grouped(catalogue.keys_max as u64),
                    significant(catalogue.skew, 3),
                    significant(catalogue.worst_miss_pct, 2)
                ));
                StageOutput::Catalogue {
                    keys_max: catalogue.keys_max,
                    skew: catalogue.skew,
                }
            }
            _ => {
                notes.push(format!(
                    "`{measured_as}`: its rows out are distinct keys that grow slower than its rows in (a share of {} at the smallest size, {} at the largest){}: written as Heaps' law, keys × k^{}; a saturating catalogue is the low end of the bracket validate shows",
                    significant(shares[0], 3),
                    significant(*shares.last().expect("shares"), 3),
                    match &found.catalogue {
                        Some(c) => format!(", and no catalogue fits all sizes within 2% (the best misses one by {}%)", significant(c.worst_miss_pct, 2)),
                        None => ", too few sizes (three are needed) to fit their catalogue".to_string(),
                    },
                    significant(bracket.heaps_exponent, 3),
                ));
                StageOutput::Heaps {
                    rows: bracket.heaps(base_rows_in).round().max(1.0),
                    exponent: clean(significant_f(bracket.heaps_exponent, 6)),
                }
            }
        };
        *keys = Some(found);
        return Ok(output);
    }
    if rows.iter().all(|(i, o)| o <= i) {
        let (rows_in, rows_out) = rows
            .iter()
            .fold((0.0, 0.0), |(a, b), (i, o)| (a + i, b + o));
        return Ok(StageOutput::Keep {
            fraction: clean(significant_f(rows_out / rows_in, 7)),
        });
    }
    Ok(StageOutput::Grows {
        rows: base_rows_out,
    })
}
