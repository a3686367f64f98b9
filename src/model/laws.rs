//! The parallel laws as plain numbers, written once: the time model writes
//! the same laws as figures (with their working) for one N, while the
//! worker search and `validate`'s fit need them for many N at once, where
//! building a figure per N would cost more than the answer is worth.

/// Amdahl's law: S(N) = 1 / (s + (1 − s) / N).
pub fn amdahl_speedup(serial_fraction: f64, workers: f64) -> f64 {
    1.0 / (serial_fraction + (1.0 - serial_fraction) / workers)
}

/// The Universal Scalability Law: S(N) = N / (1 + σ(N − 1) + κN(N − 1)).
pub fn usl_speedup(contention: f64, coherency: f64, workers: f64) -> f64 {
    workers / (1.0 + contention * (workers - 1.0) + coherency * workers * (workers - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_speedups() {
        // 1 / (0.1 + 0.9 / 10) = 1 / 0.19.
        assert!((amdahl_speedup(0.1, 10.0) - 1.0 / 0.19).abs() < 1e-12);
        // 10 / (1 + 0.45 + 0.9) = 10 / 2.35.
        assert!((usl_speedup(0.05, 0.01, 10.0) - 10.0 / 2.35).abs() < 1e-12);
        assert_eq!(amdahl_speedup(0.3, 1.0), 1.0);
        assert_eq!(usl_speedup(0.3, 0.2, 1.0), 1.0);
    }
}
