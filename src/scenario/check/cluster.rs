//! The `cluster:` block: whether the batch's cluster is started for each
//! run or kept up, and what starting it takes.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::scenario::raw::*;
use crate::scenario::*;

/// A start-up past this is more likely a run's whole time written as the
/// cluster's: managed clusters start in minutes.
const PLAUSIBLE_STARTUP_S: f64 = 3600.0;

impl Validator<'_> {
    /// `stream`: the scenario is a pure stream, whose fleet is always on
    /// and has no batch cluster to start.
    pub(super) fn cluster(
        &self,
        raw: Option<&Spanned<RawCluster>>,
        stream: bool,
        runs_per_day: f64,
        schedule_at: Option<&serde_saphyr::Location>,
    ) -> Result<Cluster> {
        let Some(raw) = raw else {
            // Started for each of many runs a day and never paying for it:
            // a managed cluster takes minutes to start, billed each time.
            if let (Some(at), false) = (schedule_at, stream) {
                if runs_per_day > 1.0 {
                    self.warn(
                        "cluster",
                        at,
                        format!(
                            "the cluster is started for each of {} runs a day with no start-up time: write `cluster: {{ startup: 5 min }}` (what starting it takes; each run waits for it and is billed for it) or `cluster: {{ life: kept_up }}` (billed all day)",
                            crate::units::significant(runs_per_day, 4)
                        ),
                    );
                }
            }
            return Ok(Cluster::default());
        };
        let c = &raw.value;
        if stream {
            return Err(self.error(
                "cluster",
                &raw.referenced,
                "a stream's fleet is always on, so it has no cluster to start for each run; `cluster:` describes a batch's cluster (a hybrid's batch too): remove it, or size the fleet with `streaming:`",
            ));
        }
        let startup = c
            .startup
            .as_ref()
            .map(|field| {
                let startup = self.duration(field, "cluster.startup", "T_cluster_startup")?;
                if startup.base() > PLAUSIBLE_STARTUP_S {
                    self.warn(
                        "cluster.startup",
                        &field.referenced,
                        format!(
                            "{} to start a cluster is unusual (managed Spark clusters start in 2 to 10 minutes); is this a run's whole time?",
                            startup.human()
                        ),
                    );
                }
                Ok::<_, anyhow::Error>(startup)
            })
            .transpose()?;
        let life = c.life.as_ref().map(|life| life.value);
        if let (Some(ClusterLife::KeptUp), Some(field)) = (life, &c.startup) {
            self.warn(
                "cluster.startup",
                &field.referenced,
                "a cluster kept up all day is started once, not for each run: its start-up is not counted in any run",
            );
        }
        Ok(Cluster { life, startup })
    }
}
