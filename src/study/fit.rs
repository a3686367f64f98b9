//! Fitting several measured runs: a stage's time as a fixed cost, a part
//! that grows with the data, and a part that also shrinks with the workers,
//! T = a + b·s + c·s/N (Ernest, NSDI 2016), by non-negative least squares;
//! distinct keys by Heaps' law and by a saturating catalogue, whose
//! predictions bracket the truth; and what the runs cannot decide.
//!
//! Everything here is arithmetic on (size, workers, measurement) points:
//! the points are sorted first, so the answer does not depend on the order
//! the runs were given in.

use schemars::JsonSchema;
use serde::Serialize;

use crate::reference::pipeline::RunReport;
use crate::units::clean;

/// One measured run of a stage: its input size (rows or bytes, as the
/// stage's throughput is measured), its workers, and what was measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub size: f64,
    pub workers: f64,
    pub value: f64,
}

/// Points sorted by size, then workers, then value: the fit's input in one
/// order whatever order the runs came in.
pub fn sorted(points: &[Point]) -> Vec<Point> {
    let mut points = points.to_vec();
    points.sort_by(|a, b| {
        a.size
            .total_cmp(&b.size)
            .then(a.workers.total_cmp(&b.workers))
            .then(a.value.total_cmp(&b.value))
    });
    points
}

/// Least squares with every coefficient ≥ 0, for a handful of columns:
/// each subset of the columns is solved by its normal equations, and the
/// best feasible one wins (exact for so few, where an active-set method
/// would only be faster). `None` when no subset has a solution.
pub fn nnls(rows: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let k = rows.first()?.len();
    if k == 0 || k > 6 || rows.len() != y.len() {
        return None;
    }
    let mut best: Option<(f64, Vec<f64>)> = None;
    for mask in 1u32..(1 << k) {
        let columns: Vec<usize> = (0..k).filter(|j| mask & (1 << j) != 0).collect();
        if columns.len() > rows.len() {
            continue;
        }
        let Some(solution) = least_squares(rows, y, &columns) else {
            continue;
        };
        if solution.iter().any(|v| *v < 0.0 || !v.is_finite()) {
            continue;
        }
        let mut full = vec![0.0; k];
        for (j, v) in columns.iter().zip(&solution) {
            full[*j] = *v;
        }
        let residual: f64 = rows
            .iter()
            .zip(y)
            .map(|(row, y)| {
                let fitted: f64 = row.iter().zip(&full).map(|(x, c)| x * c).sum();
                (fitted - y).powi(2)
            })
            .sum();
        // Ties go to the fewer terms (the simpler model), then the earlier.
        let better = match &best {
            None => true,
            Some((r, b)) => {
                residual < r * (1.0 - 1e-12)
                    || (residual <= r * (1.0 + 1e-12)
                        && full.iter().filter(|v| **v > 0.0).count()
                            < b.iter().filter(|v| **v > 0.0).count())
            }
        };
        if better {
            best = Some((residual, full));
        }
    }
    best.map(|(_, c)| c)
}

/// Ordinary least squares on the chosen columns, by the normal equations
/// and Gaussian elimination with partial pivoting; `None` when singular.
fn least_squares(rows: &[Vec<f64>], y: &[f64], columns: &[usize]) -> Option<Vec<f64>> {
    let m = columns.len();
    let mut a = vec![vec![0.0; m + 1]; m];
    for (row, y) in rows.iter().zip(y) {
        for (i, ci) in columns.iter().enumerate() {
            for (j, cj) in columns.iter().enumerate() {
                a[i][j] += row[*ci] * row[*cj];
            }
            a[i][m] += row[*ci] * y;
        }
    }
    let scale: f64 = a
        .iter()
        .map(|r| r[..m].iter().fold(0.0f64, |s, v| s.max(v.abs())))
        .fold(0.0, f64::max);
    for col in 0..m {
        let pivot = (col..m).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * scale.max(1e-300) {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (index, row) in a.iter_mut().enumerate() {
            if index != col {
                let factor = row[col] / pivot_row[col];
                for (value, pivot) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *value -= factor * pivot;
                }
            }
        }
    }
    Some((0..m).map(|i| a[i][m] / a[i][i]).collect())
}

/// A term of T = a + b·s + c·s/N.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    /// `a`: a fixed cost a run (the stage's `startup`).
    Fixed,
    /// `b·s`: work that grows with the data and no worker shares.
    Serial,
    /// `c·s/N`: work that grows with the data and the workers share.
    Parallel,
}

/// A stage's time fitted from several runs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TimeFit {
    /// `a`, seconds a run.
    pub fixed_s: f64,
    /// `b`, seconds per unit of input that no worker shares.
    pub serial_s_per_unit: f64,
    /// `c`, seconds per unit of input, shared by the workers.
    pub parallel_s_per_unit: f64,
    /// Runs fitted on.
    pub runs: usize,
    /// Runs minus the terms fitted; 0 is an exact fit.
    pub degrees_of_freedom: i64,
    /// Terms the runs cannot tell apart (one worker count cannot tell
    /// serial from parallel work; one size cannot tell fixed from growing),
    /// with what was assumed instead.
    pub undecided: Vec<String>,
}

impl TimeFit {
    pub fn predict(&self, size: f64, workers: f64) -> f64 {
        self.fixed_s
            + self.serial_s_per_unit * size
            + self.parallel_s_per_unit * size / workers.max(1.0)
    }
}

/// Fits T = a + b·s + c·s/N to the points, with the terms the points can
/// decide: a needs two sizes, b apart from c needs two worker counts.
pub fn fit_time(points: &[Point]) -> Option<TimeFit> {
    let points = sorted(points);
    if points.is_empty() {
        return None;
    }
    let distinct = |of: &dyn Fn(&Point) -> f64| {
        let mut values: Vec<f64> = points.iter().map(of).collect();
        values.sort_by(f64::total_cmp);
        values.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * b.abs().max(1.0));
        values.len()
    };
    let sizes = distinct(&|p| p.size);
    let worker_counts = distinct(&|p| p.workers);
    let mut undecided = Vec::new();
    let fixed = sizes >= 2;
    if !fixed {
        undecided.push("a fixed cost: every run had one size, so none can be told from the work; all of it is taken to grow with the data".to_string());
    }
    let split = worker_counts >= 2;
    if !split {
        undecided.push("serial work: every run had the same workers, so work they share cannot be told from work they do not; all of it is taken as shared (T ÷ N)".to_string());
    }
    let rows: Vec<Vec<f64>> = points
        .iter()
        .map(|p| {
            let mut row = Vec::new();
            if fixed {
                row.push(1.0);
            }
            if split {
                row.push(p.size);
            }
            row.push(p.size / p.workers.max(1.0));
            row
        })
        .collect();
    let y: Vec<f64> = points.iter().map(|p| p.value).collect();
    let solution = nnls(&rows, &y)?;
    let mut values = solution.into_iter();
    let fixed_s = if fixed { values.next()? } else { 0.0 };
    let serial = if split { values.next()? } else { 0.0 };
    let parallel = values.next()?;
    let terms = rows[0].len() as i64;
    Some(TimeFit {
        fixed_s,
        serial_s_per_unit: serial,
        parallel_s_per_unit: parallel,
        runs: points.len(),
        degrees_of_freedom: points.len() as i64 - terms,
        undecided,
    })
}

/// How distinct keys grow with the rows that draw them, from several runs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct KeyFit {
    /// Heaps' law K = k·s^β: keeps growing, so it errs high once a
    /// catalogue saturates.
    pub heaps_coefficient: f64,
    pub heaps_exponent: f64,
    /// A saturating catalogue K = K_max·s ÷ (h + s): levels off sooner
    /// than a long-tailed catalogue does, so it errs low. `None` where the
    /// runs show no saturation to fit.
    pub catalogue: Option<f64>,
    pub half_saturation: Option<f64>,
    pub runs: usize,
}

impl KeyFit {
    pub fn heaps(&self, size: f64) -> f64 {
        self.heaps_coefficient * size.powf(self.heaps_exponent)
    }

    /// The saturating model's keys, or Heaps' where it has none.
    pub fn saturating(&self, size: f64) -> f64 {
        match (self.catalogue, self.half_saturation) {
            (Some(max), Some(h)) => max * size / (h + size),
            _ => self.heaps(size),
        }
    }

    /// (low, high): the two models' keys at `size`, the truth between them
    /// for a catalogue with a long tail.
    pub fn bracket(&self, size: f64) -> (f64, f64) {
        let (a, b) = (self.saturating(size), self.heaps(size));
        (a.min(b), a.max(b))
    }
}

/// Fits both key models to (rows in, keys out) points of two sizes or more.
pub fn fit_keys(points: &[Point]) -> Option<KeyFit> {
    let points: Vec<Point> = sorted(points)
        .into_iter()
        .filter(|p| p.size > 0.0 && p.value > 0.0)
        .collect();
    let mut sizes: Vec<f64> = points.iter().map(|p| p.size).collect();
    sizes.dedup();
    if sizes.len() < 2 {
        return None;
    }
    // Heaps: ln K = ln k + β ln s, least squares.
    let logs: Vec<Vec<f64>> = points.iter().map(|p| vec![1.0, p.size.ln()]).collect();
    let ln_k: Vec<f64> = points.iter().map(|p| p.value.ln()).collect();
    let heaps = least_squares(&logs, &ln_k, &[0, 1])?;
    let exponent = heaps[1].clamp(0.0, 1.0);
    // Refit the coefficient under the clamped exponent.
    let coefficient = (points
        .iter()
        .map(|p| p.value.ln() - exponent * p.size.ln())
        .sum::<f64>()
        / points.len() as f64)
        .exp();
    // Saturating: 1/K = 1/K_max + (h/K_max)·(1/s), least squares; only a
    // positive intercept and slope are a catalogue.
    let inverse: Vec<Vec<f64>> = points.iter().map(|p| vec![1.0, 1.0 / p.size]).collect();
    let inverse_k: Vec<f64> = points.iter().map(|p| 1.0 / p.value).collect();
    let (catalogue, half) = match nnls(&inverse, &inverse_k) {
        Some(c) if c[0] > 0.0 && c[1] > 0.0 => (Some(1.0 / c[0]), Some(c[1] / c[0])),
        _ => (None, None),
    };
    Some(KeyFit {
        heaps_coefficient: coefficient,
        heaps_exponent: exponent,
        catalogue,
        half_saturation: half,
        runs: points.len(),
    })
}

/// A power law y = k·s^γ through the points (memory against size), with γ
/// from 0 to 1; `None` with fewer than two sizes.
pub fn fit_growth(points: &[Point]) -> Option<f64> {
    let points = sorted(points);
    let mut sizes: Vec<f64> = points.iter().map(|p| p.size).collect();
    sizes.dedup();
    if sizes.len() < 2 || points.iter().any(|p| p.size <= 0.0 || p.value <= 0.0) {
        return None;
    }
    let logs: Vec<Vec<f64>> = points.iter().map(|p| vec![1.0, p.size.ln()]).collect();
    let y: Vec<f64> = points.iter().map(|p| p.value.ln()).collect();
    least_squares(&logs, &y, &[0, 1]).map(|c| c[1].clamp(0.0, 1.0))
}

/// How well a way of predicting holds on runs it was not fitted on.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Holdout {
    /// The largest run predicted from the others: the headline, as the
    /// question is always a larger run than any measured.
    pub forward_error_pct: Option<f64>,
    /// Each run predicted from all the others, the median of the absolute
    /// errors.
    pub leave_one_out_pct: Option<f64>,
    /// The linear rule (time ∝ size ÷ workers from the next-largest run)
    /// on the same largest run, for comparison.
    pub linear_rule_error_pct: Option<f64>,
    /// How far apart runs of the same size and workers were (the largest
    /// spread, in percent); `None` with no repeats.
    pub noise_pct: Option<f64>,
}

fn pct(predicted: f64, measured: f64) -> Option<f64> {
    (measured > 0.0).then(|| (predicted - measured) / measured * 100.0)
}

/// A model fitted to points: what it predicts at a size and workers.
pub type Predictor = Box<dyn Fn(f64, f64) -> f64>;

/// The holdout errors of `fit` (a fitting function of points) on `points`.
pub fn holdout(points: &[Point], fit: &dyn Fn(&[Point]) -> Option<Predictor>) -> Holdout {
    let points = sorted(points);
    // The largest run: the largest size, at its fewest workers.
    let largest = points
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| {
            a.size
                .total_cmp(&b.size)
                .then(b.workers.total_cmp(&a.workers))
        })
        .map(|(i, _)| i);
    let without = |skip: usize| -> Vec<Point> {
        points
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, p)| *p)
            .collect()
    };
    let predicted_from = |others: &[Point], p: &Point| -> Option<f64> {
        // A prediction needs a smaller run than the one predicted.
        if !others.iter().any(|o| o.size < p.size) && others.iter().all(|o| o.size != p.size) {
            return None;
        }
        fit(others).map(|model| model(p.size, p.workers))
    };
    let forward = largest.and_then(|i| {
        let others: Vec<Point> = without(i)
            .into_iter()
            .filter(|o| o.size < points[i].size)
            .collect();
        if others.is_empty() {
            return None;
        }
        fit(&others)
            .and_then(|model| pct(model(points[i].size, points[i].workers), points[i].value))
    });
    let mut errors: Vec<f64> = (0..points.len())
        .filter_map(|i| {
            predicted_from(&without(i), &points[i]).and_then(|v| pct(v, points[i].value))
        })
        .map(f64::abs)
        .collect();
    errors.sort_by(f64::total_cmp);
    let leave_one_out = (!errors.is_empty()).then(|| {
        let n = errors.len();
        if n % 2 == 1 {
            errors[n / 2]
        } else {
            (errors[n / 2 - 1] + errors[n / 2]) / 2.0
        }
    });
    let linear = largest.and_then(|i| {
        let target = points[i];
        let reference = points
            .iter()
            .filter(|p| p.size < target.size)
            .max_by(|a, b| a.size.total_cmp(&b.size))?;
        pct(
            reference.value * (target.size / reference.size) * (reference.workers / target.workers),
            target.value,
        )
    });
    let mut noise: Option<f64> = None;
    for p in &points {
        let same: Vec<f64> = points
            .iter()
            .filter(|q| q.size == p.size && q.workers == p.workers)
            .map(|q| q.value)
            .collect();
        if same.len() >= 2 {
            let (lo, hi) = same.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            });
            let mid = (lo + hi) / 2.0;
            if mid > 0.0 {
                let spread = (hi - lo) / mid * 100.0;
                noise = Some(noise.map_or(spread, |n| n.max(spread)));
            }
        }
    }
    Holdout {
        forward_error_pct: forward,
        leave_one_out_pct: leave_one_out,
        linear_rule_error_pct: linear,
        noise_pct: noise,
    }
}

/// [`holdout`] for the stage-time model.
pub fn time_holdout(points: &[Point]) -> Holdout {
    holdout(points, &|points| {
        let fit = fit_time(points)?;
        Some(Box::new(move |s, n| fit.predict(s, n)))
    })
}

/// The stage whose rows out are distinct keys, and the two fits of them.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct KeysFit {
    pub stage: String,
    pub fit: KeyFit,
}

/// Speed-ups measured for one stage and the laws fitted to them.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageFit {
    pub stage: String,
    pub workers: Vec<usize>,
    pub measured_s: Vec<f64>,
    pub speedup: Vec<f64>,
    pub amdahl_serial_fraction: Option<f64>,
    /// Time each run would have had under the fitted Amdahl law.
    pub amdahl_predicted_s: Vec<f64>,
    pub usl_contention: Option<f64>,
    pub usl_coherency: Option<f64>,
    pub usl_predicted_s: Vec<f64>,
}

/// Amdahl's serial fraction from speed-ups: 1/S − 1/N = s (1 − 1/N), least squares.
pub fn fit_amdahl(workers: &[usize], speedup: &[f64]) -> Option<f64> {
    let (mut xy, mut xx) = (0.0, 0.0);
    for (&n, &s) in workers.iter().zip(speedup) {
        let n = n as f64;
        let x = 1.0 - 1.0 / n;
        xy += x * (1.0 / s - 1.0 / n);
        xx += x * x;
    }
    (xx > 0.0).then(|| (xy / xx).clamp(0.0, 1.0))
}

/// USL coefficients from speed-ups: N/S − 1 = σ(N − 1) + κN(N − 1), least
/// squares; needs three worker counts or more.
pub fn fit_usl(workers: &[usize], speedup: &[f64]) -> Option<(f64, f64)> {
    if workers.len() < 3 {
        return None;
    }
    let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&n, &s) in workers.iter().zip(speedup) {
        let n = n as f64;
        let (x1, x2, y) = (n - 1.0, n * (n - 1.0), n / s - 1.0);
        a11 += x1 * x1;
        a12 += x1 * x2;
        a22 += x2 * x2;
        b1 += x1 * y;
        b2 += x2 * y;
    }
    let determinant = a11 * a22 - a12 * a12;
    if determinant.abs() < 1e-12 {
        return None;
    }
    let sigma = (b1 * a22 - b2 * a12) / determinant;
    let kappa = (a11 * b2 - a12 * b1) / determinant;
    Some((sigma.max(0.0), kappa.max(0.0)))
}

pub fn amdahl_speedup(s: f64, n: usize) -> f64 {
    crate::model::laws::amdahl_speedup(s, n as f64)
}

pub fn usl_speedup(sigma: f64, kappa: f64, n: usize) -> f64 {
    crate::model::laws::usl_speedup(sigma, kappa, n as f64)
}

pub fn fit_stages(workers: &[usize], runs: &[RunReport], names: &[String]) -> Vec<StageFit> {
    let Some(base) = workers.iter().position(|&n| n == 1) else {
        return Vec::new();
    };
    let wall = |run: &RunReport, name: &str| {
        run.stages
            .iter()
            .find(|s| s.name == name)
            .map_or(0.0, |s| s.wall_s)
    };
    names
        .iter()
        .map(Some)
        .chain(std::iter::once(None))
        .map(|name| {
            let times: Vec<f64> = runs
                .iter()
                .map(|r| match name {
                    Some(name) => wall(r, name),
                    None => r.stages.iter().map(|s| s.wall_s).sum(),
                })
                .collect();
            let one = times[base].max(1e-9);
            let speedup: Vec<f64> = times.iter().map(|t| one / t.max(1e-9)).collect();
            let amdahl = fit_amdahl(workers, &speedup);
            let usl = fit_usl(workers, &speedup);
            StageFit {
                stage: name.cloned().unwrap_or_else(|| "pipeline".into()),
                workers: workers.to_vec(),
                measured_s: times.iter().map(|t| clean(*t)).collect(),
                speedup: speedup.iter().map(|s| clean(*s)).collect(),
                amdahl_serial_fraction: amdahl.map(clean),
                amdahl_predicted_s: amdahl
                    .map(|s| {
                        workers
                            .iter()
                            .map(|&n| clean(one / amdahl_speedup(s, n)))
                            .collect()
                    })
                    .unwrap_or_default(),
                usl_contention: usl.map(|u| clean(u.0)),
                usl_coherency: usl.map(|u| clean(u.1)),
                usl_predicted_s: usl
                    .map(|(s, k)| {
                        workers
                            .iter()
                            .map(|&n| clean(one / usl_speedup(s, k, n)))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(size: f64, workers: f64, value: f64) -> Point {
        Point {
            size,
            workers,
            value,
        }
    }

    /// Worked by hand: runs made from a = 12, b = 0.001, c = 0.004.
    #[test]
    fn the_three_terms_come_back_from_exact_runs() {
        let truth = |s: f64, n: f64| 12.0 + 0.001 * s + 0.004 * s / n;
        let points: Vec<Point> = [(1e4, 1.0), (2e4, 1.0), (4e4, 2.0), (1e4, 2.0)]
            .iter()
            .map(|&(s, n)| point(s, n, truth(s, n)))
            .collect();
        let fit = fit_time(&points).unwrap();
        assert!((fit.fixed_s - 12.0).abs() < 1e-6, "{fit:?}");
        assert!((fit.serial_s_per_unit - 0.001).abs() < 1e-9, "{fit:?}");
        assert!((fit.parallel_s_per_unit - 0.004).abs() < 1e-9, "{fit:?}");
        assert_eq!(fit.degrees_of_freedom, 1);
        assert!(fit.undecided.is_empty());
    }

    /// The order of the runs does not change the answer.
    #[test]
    fn the_fit_does_not_depend_on_the_runs_order() {
        let points = vec![
            point(1e5, 2.0, 30.0),
            point(2e5, 2.0, 41.0),
            point(4e5, 2.0, 70.0),
            point(1e5, 2.0, 29.0),
        ];
        let forward = fit_time(&points).unwrap();
        let mut reversed = points.clone();
        reversed.reverse();
        let backward = fit_time(&reversed).unwrap();
        assert_eq!(forward.fixed_s, backward.fixed_s);
        assert_eq!(forward.parallel_s_per_unit, backward.parallel_s_per_unit);
        let h1 = time_holdout(&points);
        let h2 = time_holdout(&reversed);
        assert_eq!(h1.forward_error_pct, h2.forward_error_pct);
        assert_eq!(h1.leave_one_out_pct, h2.leave_one_out_pct);
        // One worker count: serial work cannot be told apart, and says so.
        assert_eq!(forward.serial_s_per_unit, 0.0);
        assert!(forward.undecided[0].contains("serial work"));
        // The repeats at 100K are 30 and 29 s: 3.4% apart.
        assert!((h1.noise_pct.unwrap() - 100.0 / 29.5).abs() < 1e-9);
    }

    /// A negative term is never fitted: a fixed cost that the data would
    /// make negative is 0, and the rest is refitted.
    #[test]
    fn no_term_is_negative() {
        let points = vec![
            point(1.0, 1.0, 1.0),
            point(2.0, 1.0, 3.0),
            point(3.0, 1.0, 5.0),
        ];
        let fit = fit_time(&points).unwrap();
        assert_eq!(fit.fixed_s, 0.0);
        // The least squares of y = c·s through (1,1), (2,3), (3,5): c = 22/14.
        assert!((fit.parallel_s_per_unit - 22.0 / 14.0).abs() < 1e-12);
    }

    /// A catalogue of 50K keys with Zipf(1) popularity, as the generator's
    /// products: the two models bracket the expected distinct keys at 10×
    /// the largest size fitted (fitted on 10K, 20K, 40K rows: at 400K the
    /// truth is 38,289, Heaps says 60,168 and the catalogue 22,360).
    #[test]
    fn the_key_models_bracket_a_saturating_catalogue() {
        let harmonic: f64 = (1..=50_000).map(|k| 1.0 / f64::from(k)).sum();
        let keys = |s: f64| -> f64 {
            (1..=50_000)
                .map(|k| {
                    let p = 1.0 / f64::from(k) / harmonic;
                    1.0 - (s * (-p).ln_1p()).exp()
                })
                .sum()
        };
        let points: Vec<Point> = [10_000.0, 20_000.0, 40_000.0]
            .iter()
            .map(|&s| point(s, 1.0, keys(s)))
            .collect();
        let fit = fit_keys(&points).unwrap();
        let (low, high) = fit.bracket(400_000.0);
        let truth = keys(400_000.0);
        assert!(low <= truth && truth <= high, "{low} {truth} {high}");
        assert!((fit.heaps_exponent - 0.7386).abs() < 1e-3, "{fit:?}");
        assert!(
            (low - 22_360.0).abs() < 5.0 && (high - 60_168.0).abs() < 5.0,
            "{low} {high}"
        );
    }

    #[test]
    fn the_linear_rule_and_the_fit_on_the_largest_run() {
        // Truth: 20 s fixed, 1e-4 s a row shared by N.
        let truth = |s: f64, n: f64| 20.0 + 1e-4 * s / n;
        let points: Vec<Point> = [1e5, 2e5, 4e5, 2e6]
            .iter()
            .map(|&s| point(s, 2.0, truth(s, 2.0)))
            .collect();
        let h = time_holdout(&points);
        assert!(h.forward_error_pct.unwrap().abs() < 1e-6, "{h:?}");
        // Linear from 400K: (20 + 20) × 5 = 200 s against 120 s: +66.7%.
        assert!((h.linear_rule_error_pct.unwrap() - 200.0 / 120.0 * 100.0 + 100.0).abs() < 1e-6);
        assert_eq!(h.noise_pct, None);
    }

    #[test]
    fn amdahl_fit_recovers_a_known_serial_fraction() {
        // Speed-ups generated from s = 0.1 exactly.
        let workers = [1, 2, 4, 8];
        let speedup: Vec<f64> = workers.iter().map(|&n| amdahl_speedup(0.1, n)).collect();
        let s = fit_amdahl(&workers, &speedup).unwrap();
        assert!((s - 0.1).abs() < 1e-12, "{s}");
        // The lecture's check: s = 0.1 with 10 workers is 5.26×.
        assert!((amdahl_speedup(0.1, 10) - 5.263157894736842).abs() < 1e-12);
        // Perfect scaling fits s = 0.
        assert_eq!(fit_amdahl(&[1, 2], &[1.0, 2.0]), Some(0.0));
    }

    #[test]
    fn usl_fit_recovers_known_coefficients() {
        let workers = [1, 2, 4, 8, 16];
        let speedup: Vec<f64> = workers
            .iter()
            .map(|&n| usl_speedup(0.05, 0.002, n))
            .collect();
        let (sigma, kappa) = fit_usl(&workers, &speedup).unwrap();
        assert!((sigma - 0.05).abs() < 1e-9, "{sigma}");
        assert!((kappa - 0.002).abs() < 1e-9, "{kappa}");
        assert_eq!(
            fit_usl(&[1, 2], &[1.0, 1.9]),
            None,
            "needs three worker counts"
        );
    }
}
