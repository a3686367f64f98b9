//! What every stage shares: its staging folder, its measurements, its
//! progress bar, its `--fail-at` tripwire, and how it finishes (manifest
//! written, output published).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};

use super::{Manifest, RunConfig, StageId, StageMetrics, StageOutcome, StageStatus};
use crate::reference::instrument::Probe;
use crate::reference::storage::{
    fresh_staging, parquet_files, publish, total_size, write_json, Syncer, MANIFEST,
};

/// One stage's run: started by the pipeline, handed to the stage, finished
/// by the pipeline.
pub(super) struct StageContext<'a> {
    pub config: &'a RunConfig,
    pub stage: StageId,
    /// Where the stage writes; published as `--out/<dataset>` when it finishes.
    pub staging: PathBuf,
    /// Rows the stage before put out, to place `--fail-at`.
    pub upstream_rows: u64,
    /// Flushes the stage's files to disk while it works; waited for
    /// before it publishes.
    pub syncer: Syncer,
    fingerprint: String,
    probe: Probe,
}

impl<'a> StageContext<'a> {
    pub fn start(
        config: &'a RunConfig,
        stage: StageId,
        fingerprint: String,
        upstream_rows: u64,
    ) -> Result<Self> {
        let probe = Probe::start();
        let staging = fresh_staging(&config.out, stage.name())?;
        Ok(StageContext {
            config,
            stage,
            staging,
            upstream_rows,
            syncer: Syncer::start()?,
            fingerprint,
            probe,
        })
    }

    /// A dataset another stage published, under `--out`.
    pub fn published(&self, dataset: &str) -> PathBuf {
        self.config.out.join(dataset)
    }

    /// Empty measurements under the stage's name.
    pub fn metrics(&self) -> StageMetrics {
        StageMetrics {
            name: self.stage.name().into(),
            ..StageMetrics::default()
        }
    }

    /// The `--fail-at` tripwire for `total` units of work.
    pub fn tripwire(&self, total: u64) -> Tripwire {
        Tripwire::new(self.config, self.stage, total.max(1))
    }

    /// A progress bar on a terminal with `--progress`, hidden otherwise.
    pub fn progress(&self, length: u64, unit: &str) -> ProgressBar {
        progress_bar(self.config, self.stage.name(), length, unit)
    }

    /// Measures the stage, writes its manifest and publishes its output.
    pub fn finish(self, ran: StageOutcome) -> Result<Manifest> {
        // A `--fail-at` point past the last unit of work (STAGE:1.0, or a
        // fraction of an estimated total) fires here, before publishing.
        if let Some(fail) = self.config.fail_at.filter(|f| f.stage == self.stage) {
            bail!(
                "injected failure in {} at {}% (--fail-at), after its last batch and before it published",
                self.stage.name(),
                crate::units::significant(fail.fraction * 100.0, 3)
            );
        }
        let StageOutcome {
            mut metrics,
            quality,
            input_fingerprint,
            inputs,
        } = ran;
        let synced = self.syncer.finish()?;
        let files = parquet_files(&self.staging)?;
        metrics.bytes_out = total_size(&files);
        let (wall, cpu, peak) = self.probe.finish();
        metrics.wall_s = wall;
        metrics.cpu_s = cpu;
        metrics.peak_memory_bytes = peak;
        metrics.status = StageStatus::Ran;
        let manifest = Manifest {
            stage: self.stage.name().into(),
            input_fingerprint: input_fingerprint.unwrap_or(self.fingerprint),
            metrics,
            quality,
            files: relative_files(&self.staging, &files),
            inputs,
            settings: super::stage_settings(self.config, self.stage),
        };
        write_json(&self.staging.join(MANIFEST), &manifest)?;
        publish(
            &self.config.out,
            self.stage.name(),
            self.stage.dataset(),
            &synced,
        )?;
        Ok(manifest)
    }
}

fn relative_files(dir: &Path, files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.strip_prefix(dir).unwrap_or(f).display().to_string())
        .collect()
}

fn progress_bar(config: &RunConfig, stage: &str, length: u64, unit: &str) -> ProgressBar {
    if !config.progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length);
    let template = format!("{{prefix:>9}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{elapsed}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(stage.to_string());
    bar
}

/// Counts work done and stops the stage on purpose at `--fail-at`.
pub(super) struct Tripwire {
    threshold: Option<u64>,
    done: AtomicU64,
    stage: &'static str,
    fraction: f64,
}

impl Tripwire {
    fn new(config: &RunConfig, stage: StageId, total: u64) -> Self {
        let fail = config.fail_at.filter(|f| f.stage == stage);
        Tripwire {
            threshold: fail.map(|f| (f.fraction * total as f64).floor() as u64),
            done: AtomicU64::new(0),
            stage: stage.name(),
            fraction: fail.map_or(0.0, |f| f.fraction),
        }
    }
    fn check(&self) -> Result<()> {
        if let Some(threshold) = self.threshold {
            if self.done.load(Ordering::SeqCst) >= threshold {
                bail!(
                    "injected failure in {} at {}% (--fail-at)",
                    self.stage,
                    crate::units::significant(self.fraction * 100.0, 3)
                );
            }
        }
        Ok(())
    }
    pub(super) fn advance(&self, units: u64) -> Result<()> {
        self.check()?;
        self.done.fetch_add(units, Ordering::SeqCst);
        Ok(())
    }
}
