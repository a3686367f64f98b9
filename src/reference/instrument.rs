//! Per-stage measurements: wall time, CPU time, peak memory — each where
//! the platform can measure it, and `None` ("not measured") where it
//! cannot, never 0.
//!
//! - Wall time: everywhere (`Instant`).
//! - CPU time: the process's (all worker threads) from `getrusage` on Unix
//!   (Linux, macOS); not measured on Windows.
//! - Peak memory: the process's resident high-water mark (`VmHWM`), reset
//!   before each stage through `/proc/self/clear_refs` so each stage
//!   reports its own peak: Linux only. Memory the previous stage freed is
//!   first handed back to the system (`malloc_trim`, glibc), so a stage's
//!   peak is not inflated by what the allocator kept. macOS keeps a
//!   high-water mark for the whole process and cannot reset it, so a
//!   stage's own peak is not measured there, nor on Windows.
//! - The whole run's peak: because the mark is reset, a tool outside the
//!   process (`/usr/bin/time -v`) sees only the peak since the last reset.
//!   The mark is read before each reset and the largest kept, so
//!   [`process_peak_bytes`] (run.json's `process_peak_memory_bytes`) is the
//!   whole process's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The largest high-water mark read before a reset, in bytes.
static PEAK_BEFORE_RESETS: AtomicU64 = AtomicU64::new(0);

pub struct Probe {
    started: Instant,
    cpu_started: Option<f64>,
    /// Whether the high-water mark was reset, so the peak is this stage's.
    peak_reset: bool,
}

/// Process CPU time (user + system) in seconds.
#[cfg(unix)]
pub fn cpu_seconds() -> Option<f64> {
    // SAFETY: getrusage writes into the zeroed struct we pass and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if status != 0 {
        return None;
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

#[cfg(not(unix))]
pub fn cpu_seconds() -> Option<f64> {
    None
}

/// The resident high-water mark in bytes, from /proc/self/status.
#[cfg(target_os = "linux")]
pub fn peak_rss_bytes() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// The resident size now in bytes, from /proc/self/status, after the
/// allocator has handed back what no one uses (so it is what the process
/// holds, not what earlier work left cached).
#[cfg(target_os = "linux")]
pub fn resident_bytes() -> Option<u64> {
    release_free_memory();
    status_bytes("VmRSS:")
}

#[cfg(not(target_os = "linux"))]
pub fn resident_bytes() -> Option<u64> {
    None
}

/// A `kB` line of /proc/self/status, in bytes.
#[cfg(target_os = "linux")]
fn status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
}

#[cfg(not(target_os = "linux"))]
pub fn peak_rss_bytes() -> Option<u64> {
    None
}

/// Resets the high-water mark to the current resident size; `false` where
/// it cannot be reset, so a later peak would cover earlier stages too.
#[cfg(target_os = "linux")]
fn reset_peak() -> bool {
    // "5" resets the peak RSS (Linux 4.0+).
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(not(target_os = "linux"))]
fn reset_peak() -> bool {
    false
}

/// Hands memory the allocator holds but no one uses back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    // SAFETY: malloc_trim only walks glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// The whole process's resident high-water mark so far, across the
/// per-stage resets; `None` where the platform does not measure it.
pub fn process_peak_bytes() -> Option<u64> {
    let now = peak_rss_bytes()?;
    Some(now.max(PEAK_BEFORE_RESETS.load(Ordering::Relaxed)))
}

impl Probe {
    pub fn start() -> Self {
        if let Some(peak) = peak_rss_bytes() {
            PEAK_BEFORE_RESETS.fetch_max(peak, Ordering::Relaxed);
        }
        release_free_memory();
        let peak_reset = reset_peak();
        Probe {
            started: Instant::now(),
            cpu_started: cpu_seconds(),
            peak_reset,
        }
    }

    /// Wall seconds, CPU seconds and peak resident bytes since `start`;
    /// `None` for what this platform cannot measure.
    pub fn finish(&self) -> (f64, Option<f64>, Option<u64>) {
        let cpu = match (self.cpu_started, cpu_seconds()) {
            (Some(started), Some(now)) => Some((now - started).max(0.0)),
            _ => None,
        };
        let peak = if self.peak_reset {
            peak_rss_bytes()
        } else {
            None
        };
        (self.started.elapsed().as_secs_f64(), cpu, peak)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_measured_is_plausible_and_what_is_not_is_none() {
        let probe = Probe::start();
        let work: Vec<u64> = (0..200_000).collect();
        assert!(work.iter().sum::<u64>() > 0);
        let (wall, cpu, peak) = probe.finish();
        assert!(wall >= 0.0);
        if cfg!(unix) {
            assert!(cpu.is_some_and(|c| c >= 0.0));
        } else {
            assert!(cpu.is_none());
        }
        if cfg!(target_os = "linux") {
            assert!(peak.is_some_and(|p| p > 1_000_000), "{peak:?}");
            // The whole process's peak is never below a stage's.
            assert!(process_peak_bytes() >= peak);
        } else {
            assert!(peak.is_none());
            assert!(process_peak_bytes().is_none());
        }
    }
}
