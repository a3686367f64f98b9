//! What-ifs from the command line (`--workers`, `--scale`,
//! `--compression`): the same scenario with one input replaced, each
//! replacement remembered as the option that made it.

use anyhow::{anyhow, Result};

use super::*;
use crate::figure::{Fig, Source};
use crate::units::Ratio;

impl Scenario {
    /// The same scenario with `workers` workers (`--workers`).
    pub fn with_workers(mut self, workers: u32, option: &str) -> Result<Self> {
        if workers == 0 {
            return Err(anyhow!(
                "`{option}` is 0; a pipeline needs at least one worker"
            ));
        }
        if workers > MAX_WORKERS {
            return Err(anyhow!(
                "`{option}` is {workers}; {}",
                too_many_workers(f64::from(workers))
            ));
        }
        self.workers = Fig::input(
            Count(f64::from(workers)),
            "N_workers",
            Source::Cli(option.into()),
        );
        let linear = self
            .stages
            .iter()
            .all(|s| matches!(s.parallel, Parallel::Linear));
        if let Some(warning) =
            super::plausible::linear_workers(f64::from(workers)).filter(|_| linear)
        {
            self.warnings.push(format!("{option}: warning: {warning}"));
        }
        Ok(self)
    }

    /// The same scenario with `factor` times the events per day (`--scale`).
    pub fn with_scale(mut self, factor: f64, option: &str) -> Result<Self> {
        if !(factor > 0.0 && factor.is_finite()) {
            return Err(anyhow!(
                "`{option}` is {factor}; a scale factor must be greater than zero (2 doubles the data, 0.5 halves it)"
            ));
        }
        self.volume_factor = Some(Fig::input(
            Ratio(factor),
            "volume_factor",
            Source::Cli(option.into()),
        ));
        Ok(self)
    }

    /// The same scenario with every dataset compressed `ratio` times (`--compression`).
    /// The same scenario with every stored dataset compressed at least
    /// `ratio` times: a dataset already compressed more keeps its own
    /// ratio, so the what-if never stores more than the scenario does.
    pub fn with_compression(mut self, ratio: f64, option: &str) -> Result<Self> {
        if !(ratio >= 1.0 && ratio.is_finite()) {
            return Err(anyhow!(
                "`{option}` is {ratio}; a compression what-if is a ratio of 1 or more (5 stores a fifth)"
            ));
        }
        for dataset in &mut self.storage {
            if dataset.compression_ratio.base() < ratio {
                dataset.compression_ratio = Fig::input(
                    Ratio(ratio),
                    format!("compression[{}]", dataset.name),
                    Source::Cli(option.into()),
                );
            }
        }
        Ok(self)
    }
}
