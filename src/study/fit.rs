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
    /// Runs at two worker counts or more told serial work from shared.
    pub workers_told_apart: bool,
}

impl TimeFit {
    /// A time that does not grow with the data: `seconds` a run.
    pub fn fixed(seconds: f64, runs: usize) -> TimeFit {
        TimeFit {
            fixed_s: seconds,
            serial_s_per_unit: 0.0,
            parallel_s_per_unit: 0.0,
            runs,
            degrees_of_freedom: runs as i64 - 1,
            undecided: vec!["the stage reads nothing, so its time is a fixed cost a run".into()],
            workers_told_apart: true,
        }
    }

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
        workers_told_apart: split,
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

/// A line through points, y = fixed + per_unit·size, both ≥ 0, by least
/// squares: a stage's output bytes as a part per row and a fixed part a
/// run (Parquet footers and dictionaries). `None` with fewer than two sizes,
/// or where the points are not that shape (a fixed part that would be
/// negative: bytes a row that grow with the data).
pub fn fit_line(points: &[Point]) -> Option<(f64, f64)> {
    let points = sorted(points);
    let mut sizes: Vec<f64> = points.iter().map(|p| p.size).collect();
    sizes.dedup();
    if sizes.len() < 2 {
        return None;
    }
    let rows: Vec<Vec<f64>> = points.iter().map(|p| vec![1.0, p.size]).collect();
    let y: Vec<f64> = points.iter().map(|p| p.value).collect();
    let c = least_squares(&rows, &y, &[0, 1])?;
    (c[0] >= 0.0 && c[1] > 0.0).then_some((c[0], c[1]))
}

/// Distinct keys as draws from a catalogue of `keys_max` keys whose
/// popularity is Zipf with exponent `skew`: the scenario's own
/// `keys_max`/`key_skew`, fitted to three sizes or more.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CatalogueFit {
    pub keys_max: f64,
    pub skew: f64,
    /// The largest miss at the sizes fitted, in percent.
    pub worst_miss_pct: f64,
    /// The fit of the other sizes with each size left out in turn: how far
    /// the runs pin the catalogue down.
    pub without_each: Vec<(f64, f64)>,
}

impl CatalogueFit {
    pub fn keys(&self, draws: f64) -> f64 {
        catalogue_keys(draws, self.keys_max, self.skew)
    }

    /// The lowest and highest keys at `draws` of this fit and of each fit
    /// with a size left out.
    pub fn interval(&self, draws: f64) -> (f64, f64) {
        self.without_each
            .iter()
            .map(|&(keys, skew)| catalogue_keys(draws, keys, skew))
            .fold((self.keys(draws), self.keys(draws)), |(lo, hi), k| {
                (lo.min(k), hi.max(k))
            })
    }
}

fn catalogue_keys(draws: f64, keys_max: f64, skew: f64) -> f64 {
    crate::figure::distinct_keys(draws, keys_max.round().max(1.0) as u64, skew)
}

/// The largest catalogue [`fit_catalogue`] tries, as a multiple of the
/// most keys seen: a fit that wants more sees no saturation.
const CATALOGUE_REACH: f64 = 100.0;

/// Fits a catalogue to (rows in, distinct keys) points of three sizes or
/// more, minimising the squared log misses: the skew on a grid of 0.1, then
/// of 0.01 around the best, each with the best catalogue by golden-section
/// search. `None` with fewer than three sizes, or where the best catalogue
/// is at the search's edge (the keys show no saturation to fit).
pub fn fit_catalogue(points: &[Point]) -> Option<CatalogueFit> {
    let points: Vec<Point> = sorted(points)
        .into_iter()
        .filter(|p| p.size > 0.0 && p.value > 0.0)
        .collect();
    let mut sizes: Vec<f64> = points.iter().map(|p| p.size).collect();
    sizes.dedup();
    if sizes.len() < 3 {
        return None;
    }
    let (keys_max, skew, _) = best_catalogue(&points)?;
    let misses: Vec<f64> = points
        .iter()
        .map(|p| (catalogue_keys(p.size, keys_max, skew) / p.value - 1.0).abs() * 100.0)
        .collect();
    let without_each = sizes
        .iter()
        .filter_map(|&left_out| {
            let rest: Vec<Point> = points
                .iter()
                .filter(|p| p.size != left_out)
                .copied()
                .collect();
            best_catalogue(&rest).map(|(k, s, _)| (k, s))
        })
        .collect();
    Some(CatalogueFit {
        keys_max: keys_max.round(),
        skew,
        worst_miss_pct: misses.iter().copied().fold(0.0, f64::max),
        without_each,
    })
}

/// (catalogue, skew, squared log misses) of the best fit to the points.
fn best_catalogue(points: &[Point]) -> Option<(f64, f64, f64)> {
    let most = points.iter().map(|p| p.value).fold(0.0, f64::max);
    let draws: Vec<f64> = points.iter().map(|p| p.size).collect();
    let misses = |ln_keys: f64, skew: f64| -> f64 {
        let keys = ln_keys.exp().round().max(1.0) as u64;
        crate::figure::distinct_keys_at(&draws, keys, skew)
            .iter()
            .zip(points)
            .map(|(k, p)| (k / p.value).ln().powi(2))
            .sum()
    };
    let (low, high) = (most.ln(), (most * CATALOGUE_REACH).ln());
    // For a skew, the best catalogue by golden-section search on its
    // logarithm: the misses are unimodal in it.
    let best_keys = |skew: f64| -> (f64, f64) {
        let golden = (5f64.sqrt() - 1.0) / 2.0;
        let (mut a, mut b) = (low, high);
        let (mut c, mut d) = (b - golden * (b - a), a + golden * (b - a));
        let (mut fc, mut fd) = (misses(c, skew), misses(d, skew));
        for _ in 0..36 {
            if fc <= fd {
                (b, d, fd) = (d, c, fc);
                c = b - golden * (b - a);
                fc = misses(c, skew);
            } else {
                (a, c, fc) = (c, d, fd);
                d = a + golden * (b - a);
                fd = misses(d, skew);
            }
        }
        let ln_keys = (a + b) / 2.0;
        (ln_keys.exp(), misses(ln_keys, skew))
    };
    let search = |skews: &mut dyn Iterator<Item = f64>| {
        skews
            .map(|skew| {
                let (keys, miss) = best_keys(skew);
                (keys, skew, miss)
            })
            .min_by(|a, b| a.2.total_cmp(&b.2))
    };
    let coarse = search(&mut (0..=8).map(|i| f64::from(i) / 4.0))?;
    let middle = search(
        &mut (-5..=5)
            .map(|i| coarse.1 + f64::from(i) / 20.0)
            .filter(|s| (0.0..=2.0).contains(s)),
    )?;
    let fine = search(
        &mut (-5..=5)
            .map(|i| middle.1 + f64::from(i) / 100.0)
            .filter(|s| (0.0..=2.0).contains(s)),
    )?;
    // At the search's edge the runs show no catalogue.
    (fine.0 < most * CATALOGUE_REACH * 0.99).then_some(fine)
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

/// The speed-up table of one stage (or the whole run): its time at each
/// worker count (one of them 1), and Amdahl's and the USL's fits to it.
pub fn fit_speedups(stage: &str, workers: &[usize], times: &[f64]) -> Option<StageFit> {
    let base = workers.iter().position(|&n| n == 1)?;
    let one = times[base].max(1e-9);
    let speedup: Vec<f64> = times.iter().map(|t| one / t.max(1e-9)).collect();
    let amdahl = fit_amdahl(workers, &speedup);
    let usl = fit_usl(workers, &speedup);
    let predicted = |law: &dyn Fn(usize) -> f64| -> Vec<f64> {
        workers.iter().map(|&n| clean(one / law(n))).collect()
    };
    Some(StageFit {
        stage: stage.to_string(),
        workers: workers.to_vec(),
        measured_s: times.iter().map(|t| clean(*t)).collect(),
        speedup: speedup.iter().map(|s| clean(*s)).collect(),
        amdahl_serial_fraction: amdahl.map(clean),
        amdahl_predicted_s: amdahl
            .map(|s| predicted(&|n| amdahl_speedup(s, n)))
            .unwrap_or_default(),
        usl_contention: usl.map(|u| clean(u.0)),
        usl_coherency: usl.map(|u| clean(u.1)),
        usl_predicted_s: usl
            .map(|(s, k)| predicted(&|n| usl_speedup(s, k, n)))
            .unwrap_or_default(),
    })
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
        // One worker count: serial work cannot be told apart, and says so.
        assert_eq!(forward.serial_s_per_unit, 0.0);
        assert!(forward.undecided[0].contains("serial work"));
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

    /// The catalogue the generator draws products from, 50K keys with
    /// Zipf(1) popularity, comes back from three sizes of its own draws, and
    /// predicts 10× the largest within 1%, where Heaps' law is 57% high.
    #[test]
    fn a_catalogue_comes_back_from_three_sizes_of_its_draws() {
        let keys = |n: f64| crate::figure::distinct_keys(n, 50_000, 1.0);
        let points: Vec<Point> = [10_000.0, 20_000.0, 40_000.0]
            .iter()
            .map(|&n| point(n, 1.0, keys(n)))
            .collect();
        let fit = fit_catalogue(&points).unwrap();
        assert!((fit.keys_max - 50_000.0).abs() < 500.0, "{fit:?}");
        assert!((fit.skew - 1.0).abs() < 0.02, "{fit:?}");
        assert!(fit.worst_miss_pct < 0.1, "{fit:?}");
        let truth = keys(400_000.0);
        assert!((fit.keys(400_000.0) / truth - 1.0).abs() < 0.01);
        let (low, high) = fit.interval(400_000.0);
        assert!(
            low <= truth * 1.001 && truth <= high * 1.001,
            "{low} {truth} {high}"
        );
        assert_eq!(fit.without_each.len(), 3);
        // Keys that never saturate (every row a new key) are no catalogue.
        let growing: Vec<Point> = [1e3, 2e3, 4e3].iter().map(|&n| point(n, 1.0, n)).collect();
        assert!(fit_catalogue(&growing).is_none());
        // Two sizes cannot fit two unknowns and say how sure they are.
        assert!(fit_catalogue(&points[..2]).is_none());
    }

    /// Worked by hand: 180 kB + 41 B a row at 100K and 200K rows.
    #[test]
    fn output_bytes_fit_a_fixed_part_and_a_part_per_row() {
        let bytes = |rows: f64| 180_000.0 + 41.0 * rows;
        let (fixed, per_row) =
            fit_line(&[point(2e5, 1.0, bytes(2e5)), point(1e5, 1.0, bytes(1e5))]).unwrap();
        assert!((per_row - 41.0).abs() < 1e-9 && (fixed - 180_000.0).abs() < 1e-6);
        // Bytes a row that grow with the data would need a negative fixed
        // part: no fit, the caller keeps the plain bytes a row.
        assert_eq!(
            fit_line(&[
                point(24_484.0, 1.0, 169_752.0),
                point(16_283.0, 1.0, 110_860.0)
            ]),
            None
        );
        // One size gives no line.
        assert_eq!(
            fit_line(&[point(1e2, 1.0, 5e3), point(1e2, 1.0, 5e3)]),
            None
        );
    }

    /// The distinct keys of a catalogue summed in runs past its first
    /// 2,000 keys are the exact sum to a part in a million.
    #[test]
    fn the_catalogue_sum_in_runs_is_the_exact_sum() {
        let exact = |n: f64, keys: u64, s: f64| -> f64 {
            let total: f64 = (1..=keys).map(|k| (k as f64).powf(-s)).sum();
            (1..=keys)
                .map(|k| -(n * (-((k as f64).powf(-s) / total)).ln_1p()).exp_m1())
                .sum()
        };
        for (n, keys, s) in [(1e5, 50_000, 1.0), (3e6, 200_000, 0.7), (5e4, 1_000, 1.3)] {
            let ours = crate::figure::distinct_keys(n, keys, s);
            let truth = exact(n, keys, s);
            assert!(
                (ours / truth - 1.0).abs() < 1e-6,
                "{n} {keys} {s}: {ours} {truth}"
            );
        }
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
