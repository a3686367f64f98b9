//! CI gates: thresholds a plan must stay within, so a pull request that
//! changes a scenario can fail a build (exit 3) the way a failing test
//! does. `estimate --fail-on deadline,memory,link --max-monthly-usd X`,
//! and `compare --fail-above 10%` (or `--fail-above total_usd_per_month=10%`).

use crate::model::Estimate;
use crate::study::compare::Comparison;
use crate::units::{human_usd, significant};

/// A verdict of the estimate that can fail a build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Gate {
    /// The run misses the scenario's deadline.
    Deadline,
    /// A worker needs more memory than it has.
    Memory,
    /// What crosses the network link does not fit its window (a stream's at
    /// its peak).
    Link,
    /// A stream misses its latency target, or the plan its freshness target.
    Latency,
}

/// A gate the scenario gives nothing to judge is an error that names the
/// key to add: a check that cannot fail is no check.
pub fn judgeable(scenario: &crate::scenario::Scenario, fail_on: &[Gate]) -> anyhow::Result<()> {
    for gate in fail_on {
        let missing = match gate {
            Gate::Deadline if scenario.deadline.is_none() => Some((
                "deadline",
                "`deadline: 1 h` (how long a run may take)",
            )),
            Gate::Memory if scenario.memory_per_worker.is_none() => Some((
                "memory",
                "`memory_per_worker: 8 GB` (what each worker has)",
            )),
            Gate::Link if scenario.network.is_none() => Some((
                "link",
                "a `network:` block with the link's `bandwidth`",
            )),
            Gate::Latency
                if scenario.freshness_target.is_none()
                    && scenario
                        .streaming
                        .as_ref()
                        .is_none_or(|s| s.latency_target.is_none()) =>
            {
                Some((
                    "latency",
                    "`freshness_target: 1 h` (the oldest data may be when available) or, for a stream, `streaming.latency_target`",
                ))
            }
            _ => None,
        };
        if let Some((name, key)) = missing {
            anyhow::bail!(
                "`--fail-on {name}` has nothing to judge in `{}`: add {key}, or leave `{name}` out of --fail-on",
                scenario.file
            );
        }
    }
    Ok(())
}

/// Why an estimate breaches the gates, one line each; empty when it passes.
pub fn estimate_breaches(
    estimate: &Estimate,
    fail_on: &[Gate],
    max_monthly_usd: Option<f64>,
) -> Vec<String> {
    let mut breaches = Vec::new();
    for gate in fail_on {
        match gate {
            Gate::Deadline => {
                if let Some(deadline) = estimate
                    .time
                    .deadline
                    .as_ref()
                    .filter(|_| estimate.time.deadline_met == Some(false))
                {
                    breaches.push(format!(
                        "deadline: a run takes {} against a deadline of {}",
                        estimate.time.runs.run.human(),
                        deadline.human()
                    ));
                }
            }
            Gate::Memory => {
                if estimate.memory.fits() == Some(false) {
                    breaches.push(format!(
                        "memory: a worker needs {} (in `{}`), more than it has",
                        estimate.memory.peak.human(),
                        estimate.memory.peak_stage_name()
                    ));
                }
            }
            Gate::Link => {
                if let Some(network) = estimate.network.as_ref() {
                    for window in network.link.iter().filter(|w| !w.fits) {
                        breaches.push(format!(
                            "link: {} need {} of the {} link within {}",
                            window.carries.join(" + "),
                            window.link_time.human(),
                            crate::units::human_bit_rate(network.bandwidth.base()),
                            window.window.human()
                        ));
                    }
                }
            }
            Gate::Latency => {
                if let Some(stream) = estimate
                    .streaming
                    .as_ref()
                    .filter(|s| s.latency_met == Some(false))
                {
                    let target = stream
                        .latency_target
                        .as_ref()
                        .map_or_else(String::new, |t| format!(" of {}", t.human()));
                    breaches.push(match (&stream.backlog, stream.keeps_up) {
                        (Some(backlog), _) => format!(
                            "latency: after its {} peak the stream's oldest data is {} old ({} events queued, {}), more than its target{target}",
                            backlog.peak_duration.human(),
                            backlog.worst_age.human(),
                            crate::units::human_count(backlog.events.base()),
                            backlog.drain.as_ref().map_or_else(
                                || "never drained".to_string(),
                                |d| format!("drained in {}", d.human())
                            ),
                        ),
                        (None, Some(false)) => format!(
                            "latency: the stream cannot keep up with its peak ({} events/s at most), so its backlog grows while the peak lasts; more than its target{target}",
                            stream.capacity.as_ref().map_or_else(String::new, |c| crate::units::human_count(c.base())),
                        ),
                        _ => format!(
                            "latency: the stream takes {}, more than its target{target}",
                            stream.latency.human()
                        ),
                    });
                }
                let freshness = &estimate.freshness;
                if let (Some(target), Some(false)) = (&freshness.target, freshness.met) {
                    breaches.push(format!(
                        "freshness: data can be {} old when available, more than the {} target",
                        freshness.age.worst.human(),
                        target.human()
                    ));
                }
            }
        }
    }
    if let Some(limit) = max_monthly_usd {
        let total = estimate.cost.total_usd_per_month.base();
        if total > limit {
            breaches.push(format!(
                "cost: {} a month is more than the {} allowed (--max-monthly-usd)",
                human_usd(total),
                human_usd(limit)
            ));
        }
    }
    breaches
}

/// `--fail-above`: how much a figure may rise from the baseline, in percent;
/// `figure: None` holds every figure to it.
#[derive(Clone, Debug, PartialEq)]
pub struct RiseLimit {
    pub figure: Option<String>,
    pub percent: f64,
}

/// Parses `10%`, `10` or `total_usd_per_month=10%`.
pub fn rise_limit(text: &str) -> Result<RiseLimit, String> {
    let (figure, amount) = match text.split_once('=') {
        Some((figure, amount)) => {
            let figure = figure.trim();
            if !crate::model::summary::SUMMARY
                .iter()
                .any(|entry| entry.key == figure)
            {
                let keys: Vec<&str> = crate::model::summary::SUMMARY
                    .iter()
                    .map(|e| e.key)
                    .collect();
                return Err(format!(
                    "`{figure}` is not a figure compare shows; figures are {}",
                    keys.join(", ")
                ));
            }
            (Some(figure.to_string()), amount)
        }
        None => (None, text),
    };
    let number = amount.trim().trim_end_matches('%').trim();
    let percent: f64 = number
        .parse()
        .ok()
        .filter(|p: &f64| p.is_finite() && *p >= 0.0)
        .ok_or_else(|| format!("`{amount}` is not a percentage of 0 or more, e.g. 10%"))?;
    Ok(RiseLimit { figure, percent })
}

/// The figures that rose from the baseline by more than their limit.
pub fn compare_breaches(comparison: &Comparison, limits: &[RiseLimit]) -> Vec<String> {
    let mut breaches = Vec::new();
    for delta in &comparison.figures {
        // A figure named on its own takes its own limit over the general one.
        let limit = limits
            .iter()
            .find(|l| l.figure.as_deref() == Some(delta.key))
            .or_else(|| limits.iter().find(|l| l.figure.is_none()));
        let Some(limit) = limit else { continue };
        for (index, percent) in delta.percent.iter().enumerate() {
            if let Some(percent) = percent.filter(|p| *p > limit.percent) {
                breaches.push(format!(
                    "{}: +{}% in `{}` (more than the {}% allowed)",
                    delta.key,
                    significant(percent, 3),
                    comparison.names[index + 1],
                    significant(limit.percent, 3)
                ));
            }
        }
    }
    breaches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rise_limits_parse() {
        assert_eq!(
            rise_limit("10%").unwrap(),
            RiseLimit {
                figure: None,
                percent: 10.0
            }
        );
        assert_eq!(
            rise_limit("total_usd_per_month=2.5")
                .unwrap()
                .figure
                .as_deref(),
            Some("total_usd_per_month")
        );
        assert!(rise_limit("total=10%")
            .unwrap_err()
            .contains("not a figure"));
        assert!(rise_limit("-3%").is_err());
    }
}
