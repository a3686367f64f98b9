//! What a real cluster does that the lecture's rule leaves out: the
//! `worker:` block (cores, its own disk, the engine's share of memory) and
//! a stage's `shuffle:`, `join:`, `stragglers:` and `max_parallelism:`.
//! Each is off unless written; the defaults are Spark's, and say so.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::figure::{Fig, Source};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self, Count, Kind, Parsed, Ratio};

/// A stage's cluster terms, as validated.
pub(super) struct StageTerms {
    pub shuffle: Option<Shuffle>,
    pub join: Option<Join>,
    pub stragglers: Option<Fig<Ratio>>,
    pub max_parallelism: Option<Fig<Count>>,
}

impl Validator<'_> {
    /// A Zipf exponent of keys' popularity, 0 to 5.
    pub(super) fn zipf_skew<R: Role>(
        &self,
        field: &Input<R>,
        key: &str,
        symbol: String,
    ) -> Result<Fig<Ratio>> {
        let value = self.parsed_into(field, key, Kind::Ratio, |p| match p {
            Parsed::Number(v) => Some(v),
            _ => None,
        })?;
        if !(0.0..=5.0).contains(&value) {
            return Err(self.error(
                key,
                &field.referenced,
                format!(
                    "`{}` is not a Zipf exponent; write one from 0 (every key equally common) to 5 (0.8–1.2 is typical of users and products)",
                    field.value.0.trim()
                ),
            ));
        }
        Ok(Fig::input(
            Ratio(value),
            symbol,
            self.source(key, &field.referenced),
        ))
    }

    /// A stage's tasks need a worker's cores: a stage with a shuffle, a
    /// join or stragglers, in a scenario without them, is refused.
    pub(super) fn needs_cores(&self, index: usize, raw: &RawStage) -> Result<()> {
        let needs = [
            ("shuffle", raw.shuffle.as_ref().map(|s| &s.referenced)),
            ("join", raw.join.as_ref().map(|j| &j.referenced)),
            ("stragglers", raw.stragglers.as_ref().map(|f| &f.referenced)),
        ];
        match needs.into_iter().find_map(|(field, at)| at.map(|at| (field, at))) {
            Some((field, at)) => Err(self.error(
                &format!("stages[{index}].{field}"),
                at,
                format!(
                    "`{field}` is judged task by task, and tasks run `cores` at a time a worker; add `worker: {{ cores: 4 }}` (or a `prices.instance` that has cores)"
                ),
            )),
            None => Ok(()),
        }
    }

    /// `worker:`, and the cores of a catalog instance when it names none.
    pub(super) fn worker(
        &self,
        raw: Option<&Spanned<RawWorker>>,
        instance_cores: Option<(u32, Source)>,
    ) -> Result<Option<Worker>> {
        let key = |name: &str| format!("worker.{name}");
        let written = raw.map(|w| &w.value);
        let cores = match (written.and_then(|w| w.cores.as_ref()), instance_cores) {
            (Some(field), _) => {
                let k = key("cores");
                let cores = self.count(field, &k, "cores")?;
                if cores.base().fract() != 0.0 {
                    return Err(self.error(
                        &k,
                        &field.referenced,
                        format!("`{}` is not a whole number of cores", field.value.0.trim()),
                    ));
                }
                Some(cores)
            }
            (None, Some((cores, source))) => {
                Some(Fig::input(Count(f64::from(cores)), "cores", source))
            }
            (None, None) => None,
        };
        let Some(raw) = raw else {
            // A catalog instance alone says how many cores; nothing else.
            return Ok(cores.map(|cores| Worker {
                cores,
                disk: None,
                memory_fraction: default_memory_fraction(),
            }));
        };
        let Some(cores) = cores else {
            return Err(self.error(
                "worker.cores",
                &raw.referenced,
                "`worker:` needs `cores` (the tasks a worker runs at once, e.g. `cores: 4`), or a `prices.instance` that has them",
            ));
        };
        let disk = raw
            .value
            .disk
            .as_ref()
            .map(|f| self.byte_rate(f, &key("disk"), "worker_disk"))
            .transpose()?;
        let memory_fraction = match &raw.value.memory_fraction {
            Some(field) => self.fraction(field, &key("memory_fraction"), "memory_fraction")?,
            None => default_memory_fraction(),
        };
        Ok(Some(Worker {
            cores,
            disk,
            memory_fraction,
        }))
    }

    /// A stage's `shuffle`, `join`, `stragglers` and `max_parallelism`.
    pub(super) fn stage_terms(
        &self,
        index: usize,
        raw: &RawStage,
        in_warehouse: bool,
    ) -> Result<StageTerms> {
        let name = &raw.name.value;
        let key = |field: &str| format!("stages[{index}].{field}");
        if in_warehouse {
            let written = [
                ("shuffle", raw.shuffle.as_ref().map(|s| &s.referenced)),
                ("join", raw.join.as_ref().map(|j| &j.referenced)),
                ("stragglers", raw.stragglers.as_ref().map(|f| &f.referenced)),
                (
                    "max_parallelism",
                    raw.max_parallelism.as_ref().map(|f| &f.referenced),
                ),
            ];
            if let Some((field, Some(at))) = written.into_iter().find(|(_, at)| at.is_some()) {
                return Err(self.error(
                    &key(field),
                    at,
                    format!("stage `{name}` runs in the warehouse, which plans its own tasks; `{field}` describes the cluster's workers"),
                ));
            }
        }
        // A join shuffles both inputs unless the other is small enough to
        // broadcast, so it has a shuffle's partitions and expansion too.
        let defaults = raw.join.as_ref().map(|_| {
            spanned(RawShuffle {
                share: None,
                combine: None,
                partitions: None,
                expansion: None,
                keys: None,
                key_skew: None,
            })
        });
        let shuffle = raw
            .shuffle
            .as_ref()
            .or(defaults.as_ref())
            .map(|s| self.shuffle(s, &key("shuffle"), name))
            .transpose()?
            .map(|shuffle| Shuffle {
                declared: raw.shuffle.is_some(),
                ..shuffle
            });
        let join = raw
            .join
            .as_ref()
            .map(|j| self.join(j, &key("join"), name))
            .transpose()?;
        let stragglers = raw
            .stragglers
            .as_ref()
            .map(|f| {
                let at = key("stragglers");
                let ratio = self.ratio(f, &at, &format!("stragglers[{name}]"))?;
                if ratio.base() < 1.0 {
                    return Err(self.error(
                        &at,
                        &f.referenced,
                        format!(
                            "`{}` makes the slowest task faster than the median; `stragglers` is the slowest task's time ÷ the median's, 1 or more (Dolly measured up to 8)",
                            f.value.0.trim()
                        ),
                    ));
                }
                Ok(ratio)
            })
            .transpose()?;
        let max_parallelism = raw
            .max_parallelism
            .as_ref()
            .map(|f| {
                let at = key("max_parallelism");
                let tasks = self.count(f, &at, &format!("max_parallelism[{name}]"))?;
                if tasks.base().fract() != 0.0 {
                    return Err(self.error(
                        &at,
                        &f.referenced,
                        format!(
                            "`{}` is not a whole number of tasks; a single-threaded source is 1, a topic's consumers its partitions",
                            f.value.0.trim()
                        ),
                    ));
                }
                Ok(tasks)
            })
            .transpose()?;
        Ok(StageTerms {
            shuffle,
            join,
            stragglers,
            max_parallelism,
        })
    }

    fn shuffle(&self, raw: &Spanned<RawShuffle>, key: &str, name: &str) -> Result<Shuffle> {
        let s = &raw.value;
        let at = |field: &str| format!("{key}.{field}");
        let partitions = match &s.partitions {
            Some(field) => {
                let k = at("partitions");
                let partitions = self.count(field, &k, &format!("partitions[{name}]"))?;
                if partitions.base().fract() != 0.0 {
                    return Err(self.error(
                        &k,
                        &field.referenced,
                        format!(
                            "`{}` is not a whole number of partitions",
                            field.value.0.trim()
                        ),
                    ));
                }
                partitions
            }
            None => Fig::input(
                Count(200.0),
                format!("partitions[{name}]"),
                Source::Default("Spark's spark.sql.shuffle.partitions, 200".into()),
            ),
        };
        let expansion = match &s.expansion {
            Some(field) => {
                let k = at("expansion");
                let ratio = self.ratio(field, &k, &format!("expansion[{name}]"))?;
                if ratio.base() < 1.0 {
                    return Err(self.error(
                        &k,
                        &field.referenced,
                        format!(
                            "`{}` makes a partition smaller in memory than on disk; `expansion` is 1 or more (Spark's tuning guide: Java objects take 2–5× their raw bytes)",
                            field.value.0.trim()
                        ),
                    ));
                }
                ratio
            }
            None => Fig::input(
                Ratio(2.0),
                format!("expansion[{name}]"),
                Source::Default(
                    "2: Spark's tuning guide puts Java objects at 2–5× their raw bytes".into(),
                ),
            ),
        };
        let keys = match (&s.keys, &s.key_skew) {
            (None, None) => None,
            (Some(keys), Some(skew)) => {
                let count = self.count(keys, &at("keys"), &format!("shuffle_keys[{name}]"))?;
                let skew =
                    self.zipf_skew(skew, &at("key_skew"), format!("shuffle_key_skew[{name}]"))?;
                Some((count, skew))
            }
            (Some(field), None) | (None, Some(field)) => {
                let (given, missing) = if s.keys.is_some() {
                    ("keys", "key_skew")
                } else {
                    ("key_skew", "keys")
                };
                return Err(self.error(
                    &at(given),
                    &field.referenced,
                    format!("`{given}` needs `{missing}` beside it: the largest partition follows from how many keys there are and how skewed they are (e.g. `keys: 50K, key_skew: 1`)"),
                ));
            }
        };
        let share = s
            .share
            .as_ref()
            .map(|f| self.ratio(f, &at("share"), &format!("shuffle_share[{name}]")))
            .transpose()?;
        Ok(Shuffle {
            declared: true,
            partitions,
            expansion,
            share,
            combine: s.combine.unwrap_or(false),
            keys,
        })
    }

    fn join(&self, raw: &Spanned<RawJoin>, key: &str, name: &str) -> Result<Join> {
        let j = &raw.value;
        let with = self.size(
            &j.with,
            &format!("{key}.with"),
            &format!("join_with[{name}]"),
        )?;
        let broadcast_below = match &j.broadcast_below {
            Some(field) => self.size(
                field,
                &format!("{key}.broadcast_below"),
                &format!("broadcast_below[{name}]"),
            )?,
            None => Fig::input(
                units::bytes(10_485_760.0),
                format!("broadcast_below[{name}]"),
                Source::Default(
                    "Spark's spark.sql.autoBroadcastJoinThreshold, 10 MiB (10485760 bytes)".into(),
                ),
            ),
        };
        Ok(Join {
            with,
            broadcast_below,
        })
    }
}

fn default_memory_fraction() -> Fig<Ratio> {
    Fig::input(
        Ratio(0.6),
        "memory_fraction",
        Source::Default("Spark's spark.memory.fraction, 0.6".into()),
    )
}
