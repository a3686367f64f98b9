//! Per-stage measurements: wall time, CPU time, peak memory.
//!
//! CPU time is the process's (all worker threads) from `getrusage`. Peak
//! memory is the process's resident high-water mark (`VmHWM`), reset before
//! each stage through `/proc/self/clear_refs` so each stage reports its own
//! peak. Where Linux's /proc is not there, peak memory is reported as 0.

use std::time::Instant;

pub struct Probe {
    started: Instant,
    cpu_started: f64,
}

/// Process CPU time (user + system) in seconds.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if status != 0 {
        return 0.0;
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The resident high-water mark in bytes, from /proc/self/status.
pub fn peak_rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// Resets the high-water mark to the current resident size.
fn reset_peak() {
    // "5" resets the peak RSS (Linux 4.0+); failure only makes the peak
    // cover earlier stages too, so it is ignored.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

impl Probe {
    pub fn start() -> Self {
        reset_peak();
        Probe {
            started: Instant::now(),
            cpu_started: cpu_seconds(),
        }
    }

    /// Wall seconds, CPU seconds, peak resident bytes since `start`.
    pub fn finish(&self) -> (f64, f64, u64) {
        (
            self.started.elapsed().as_secs_f64(),
            (cpu_seconds() - self.cpu_started).max(0.0),
            peak_rss_bytes(),
        )
    }
}
