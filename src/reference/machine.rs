//! The machine around a measured run, from the operating system: how busy
//! it was (the load average, and the cores other processes kept busy while
//! the runs ran), so a validation can tell its own noise from the model's
//! error. Linux's `/proc`; `None` ("not measured") elsewhere.

use schemars::JsonSchema;
use serde::Serialize;

/// How busy the machine was around the measured runs (Linux; `None`
/// elsewhere): the 1-minute load average, and what tells noise from the
/// model best, the cores other processes kept busy while the runs ran.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
pub struct MachineLoad {
    /// 1-minute load average before the measured runs.
    pub load_average_before: Option<f64>,
    /// 1-minute load average after them.
    pub load_average_after: Option<f64>,
    /// Cores other processes kept busy during the measured runs, on
    /// average: the machine's busy CPU time (`/proc/stat`) less this
    /// process's own (`/proc/self/stat`), over the wall time.
    pub other_processes_cores: Option<f64>,
    pub cores: usize,
}

/// CPU time so far, in clock ticks: the machine's busy and total, and this
/// process's own (all its threads, and its finished children).
#[derive(Clone, Copy)]
pub struct CpuSample {
    busy: u64,
    total: u64,
    own: u64,
}

impl CpuSample {
    pub fn now() -> Option<CpuSample> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal …
        let total: u64 = fields.iter().take(8).sum();
        let idle = fields.get(3)? + fields.get(4).unwrap_or(&0);
        let own_stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name (which may hold spaces) start at state.
        let after_name = own_stat.rsplit_once(')')?.1;
        let own_fields: Vec<&str> = after_name.split_whitespace().collect();
        // utime, stime, cutime and cstime are fields 14 to 17 of the whole
        // line, 11 to 14 after the name: the children are the pipeline's
        // runs, each a process of its own, and waited for.
        let own = (11..=14)
            .map(|index| own_fields.get(index)?.parse::<u64>().ok())
            .sum::<Option<u64>>()?;
        Some(CpuSample {
            busy: total.saturating_sub(idle),
            total,
            own,
        })
    }

    /// Cores others kept busy between two samples, on average.
    pub fn others_since(self, before: CpuSample, cores: usize) -> Option<f64> {
        let total = self.total.checked_sub(before.total)?;
        if total == 0 {
            return None;
        }
        let busy = self.busy.saturating_sub(before.busy);
        let own = self.own.saturating_sub(before.own);
        Some(busy.saturating_sub(own) as f64 / total as f64 * cores as f64)
    }
}

pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl MachineLoad {
    /// Busy: other processes kept more than half a core busy on average
    /// while the runs ran.
    pub fn busy(&self) -> bool {
        self.other_processes_cores.is_some_and(|c| c > 0.5)
    }
}

/// This machine as a calibration names it: its host name, CPU and cores.
pub fn description() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "this machine".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{host} ({cpu}, {cores} cores)")
}

/// Today's date (UTC), as a calibration is dated.
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    super::calendar::date_string(seconds.div_euclid(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pipeline's runs are child processes: their CPU is validate's
    /// own, not other processes' load.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_finished_child_s_cpu_counts_as_our_own() {
        let before = CpuSample::now().unwrap();
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let after = CpuSample::now().unwrap();
        // About 0.3 s of the child's CPU, in ticks of 10 ms.
        assert!(
            after.own - before.own >= 10,
            "{} ticks",
            after.own - before.own
        );
    }
}
