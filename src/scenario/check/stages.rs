//! A stage: its work, its output, its working set, how it parallelises,
//! what it shares and where it runs.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::figure::{Fig, Source};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self, Kind, Parsed, Ratio};

impl Validator<'_> {
    pub(super) fn parallel(
        &self,
        raw: &Spanned<RawParallel>,
        key: &str,
        suffix: &str,
    ) -> Result<Parallel> {
        let fields = &raw.value;
        let field_key = |name: &str| format!("{key}.{name}");
        let unexpected = |name: &str, field: &Option<Field>, model: &str| -> Result<()> {
            match field {
                Some(f) => Err(self.error(
                    &field_key(name),
                    &f.referenced,
                    format!("`{name}` does not apply to the {model} model"),
                )),
                None => Ok(()),
            }
        };
        let bounded =
            |field: &Field, name: &str, symbol: &str, upper: Option<f64>| -> Result<Fig<Ratio>> {
                let k = field_key(name);
                let value = self.parsed_into(field, &k, Kind::Fraction, |p| match p {
                    Parsed::Number(v) | Parsed::Percent(v) => Some(v),
                    _ => None,
                })?;
                let in_range = value >= 0.0 && upper.is_none_or(|u| value <= u);
                if !in_range {
                    let range = match upper {
                        Some(u) => format!("from 0 to {u}"),
                        None => "zero or more".into(),
                    };
                    return Err(self.error(
                        &k,
                        &field.referenced,
                        format!("`{}` is out of range; {name} is {range}", field.value.0),
                    ));
                }
                Ok(Fig::input(
                    Ratio(value),
                    format!("{symbol}{suffix}"),
                    self.source(&k, &field.referenced),
                ))
            };
        let required = |field: &Option<Field>, name: &str, model: &str| -> Result<Field> {
            field.clone().ok_or_else(|| {
                self.error(
                    key,
                    &raw.referenced,
                    format!("the {model} model needs `{name}`"),
                )
            })
        };
        Ok(match fields.model {
            ParallelKind::Linear => {
                unexpected("serial_fraction", &fields.serial_fraction, "linear")?;
                unexpected("contention", &fields.contention, "linear")?;
                unexpected("coherency", &fields.coherency, "linear")?;
                Parallel::Linear
            }
            ParallelKind::Amdahl => {
                unexpected("contention", &fields.contention, "Amdahl")?;
                unexpected("coherency", &fields.coherency, "Amdahl")?;
                let field = required(&fields.serial_fraction, "serial_fraction", "Amdahl")?;
                Parallel::Amdahl {
                    serial_fraction: bounded(&field, "serial_fraction", "s", Some(1.0))?,
                }
            }
            ParallelKind::Usl => {
                unexpected("serial_fraction", &fields.serial_fraction, "USL")?;
                let contention = required(&fields.contention, "contention", "USL")?;
                let contention = bounded(&contention, "contention", "σ", Some(1.0))?;
                let coherency = match &fields.coherency {
                    // Above 1, a second worker already costs more in
                    // coherency than it adds: no measured system is there.
                    Some(field) => bounded(field, "coherency", "κ", Some(1.0))?,
                    None => Fig::input(
                        Ratio(0.0),
                        format!("κ{suffix}"),
                        Source::Default("no coherency cost unless given".into()),
                    ),
                };
                Parallel::Usl {
                    contention,
                    coherency,
                }
            }
        })
    }

    pub(super) fn output(
        &self,
        output: &Spanned<RawOutput>,
        name: &str,
        index: usize,
    ) -> Result<Output> {
        let key = |field: &str| format!("stages[{index}].output.{field}");
        let fields = &output.value;
        let row_size = fields
            .row_size
            .as_ref()
            .map(|f| self.size(f, &key("row_size"), &format!("row_size[{name}]")))
            .transpose()?;
        let needs_row_size = |what: &str| {
            self.error(
                &format!("stages[{index}].output"),
                &output.referenced,
                format!("`{what}` needs a `row_size` (e.g. `row_size: 100 B`) to know the output's bytes"),
            )
        };
        let exclusive = |field: &Option<Field>, other: &str, why: &str| -> Result<()> {
            match field {
                Some(f) => Err(self.error(&key(other), &f.referenced, why.to_string())),
                None => Ok(()),
            }
        };
        let only_keys = "applies only to an output of distinct keys (`rows`)";
        match (&fields.keep, &fields.rows, &fields.keys_max) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                let field = fields.rows.as_ref().or(fields.keys_max.as_ref()).expect("matched");
                Err(self.error(
                    &key(if fields.rows.is_some() { "rows" } else { "keys_max" }),
                    &field.referenced,
                    "`keep` and distinct keys both given; a stage keeps a fraction of its rows or puts out one row per distinct key, not both",
                ))
            }
            (_, Some(_), Some(field)) => Err(self.error(
                &key("keys_max"),
                &field.referenced,
                "`rows` and `keys_max` both given; give the keys seen at this volume (`rows`) or the catalogue they are drawn from (`keys_max`), not both",
            )),
            (Some(keep), None, None) => {
                exclusive(&fields.keys_grow, "keys_grow", &format!("`keys_grow` {only_keys}"))?;
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Keep {
                    fraction: self.fraction(keep, &key("keep"), &format!("keep[{name}]"))?,
                    row_size,
                })
            }
            (None, Some(rows), None) => {
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Keys {
                    keys: self.count(rows, &key("rows"), &format!("keys[{name}]"))?,
                    row_size: row_size.ok_or_else(|| needs_row_size("rows"))?,
                    keys_grow: match &fields.keys_grow {
                        None => None,
                        Some(field) => self.keys_growth(field, &key("keys_grow"), name)?,
                    },
                })
            }
            (None, None, Some(max)) => {
                exclusive(
                    &fields.keys_grow,
                    "keys_grow",
                    "`keys_grow` does not apply with `keys_max`: keys drawn from a catalogue grow by how many rows draw them",
                )?;
                let skew = match &fields.key_skew {
                    Some(field) => self.zipf_skew(field, &key("key_skew"), format!("key_skew[{name}]"))?,
                    None => Fig::input(
                        Ratio(0.0),
                        format!("key_skew[{name}]"),
                        Source::Default("every key equally popular".into()),
                    ),
                };
                let keys_max = self.count(max, &key("keys_max"), &format!("keys_max[{name}]"))?;
                if keys_max.base() > 10_000_000.0 {
                    return Err(self.error(
                        &key("keys_max"),
                        &max.referenced,
                        "a catalogue above 10M keys is not modelled key by key; give the keys seen as `rows` with `keys_grow`",
                    ));
                }
                Ok(Output::Catalogue {
                    keys_max,
                    skew,
                    row_size: row_size.ok_or_else(|| needs_row_size("keys_max"))?,
                })
            }
            (None, None, None) => {
                exclusive(&fields.keys_grow, "keys_grow", &format!("`keys_grow` {only_keys}"))?;
                exclusive(&fields.key_skew, "key_skew", "`key_skew` applies only with `keys_max`")?;
                Ok(Output::Same { row_size })
            }
        }
    }

    /// `keys_grow`: `false` (fixed), `true` (linear), or an exponent from 0
    /// to 1 (Heaps' law).
    pub(super) fn keys_growth<R: Role>(
        &self,
        field: &Input<R>,
        key: &str,
        stage: &str,
    ) -> Result<Option<Fig<Ratio>>> {
        let exponent = match field.value.0.trim() {
            "false" => return Ok(None),
            "true" => 1.0,
            text => match units::parse_any(text) {
                Ok(Parsed::Number(v)) if (0.0..=1.0).contains(&v) => v,
                _ => {
                    return Err(self.error(
                        key,
                        &field.referenced,
                        format!(
                            "`{text}` is not a key growth; write `false` (keys fixed), `true` (keys grow with the volume) or an exponent from 0 to 1 (keys × factor^exponent, Heaps' law)"
                        ),
                    ))
                }
            },
        };
        Ok(Some(Fig::input(
            Ratio(exponent),
            format!("keys_growth[{stage}]"),
            self.source(key, &field.referenced),
        )))
    }

    /// Warns of a throughput no one machine reaches today, which is most
    /// often a whole cluster's written as one worker's.
    fn plausible_throughput(&self, work: &Work, key: &str, at: &serde_saphyr::Location) {
        match work {
            Work::ByteThroughput(rate) if rate.base() > plausible::BYTES_PER_S => self.warn(
                key,
                at,
                format!(
                    "{} a worker is more than one machine reads today (about 2 GB/s, a fast NVMe disk or a 25 Gbps NIC); a throughput is per worker: is this the whole cluster's?",
                    rate.human()
                ),
            ),
            Work::EventThroughput(rate) if rate.base() > plausible::EVENTS_PER_S => self.warn(
                key,
                at,
                format!(
                    "{} a worker is more than one machine parses today (about 10M small events a second); a throughput is per worker: is this the whole cluster's?",
                    rate.human()
                ),
            ),
            _ => {}
        }
    }

    pub(super) fn stage(
        &self,
        index: usize,
        raw: &RawStage,
        default_parallel: &Parallel,
        network: Option<&RawNetwork>,
    ) -> Result<Stage> {
        let has_network = network.is_some();
        let name = raw.name.value.clone();
        let key = |field: &str| format!("stages[{index}].{field}");
        let measure = raw.input.value;
        let work = match (&raw.throughput, &raw.duration) {
            (Some(field), None) => {
                let key = key("throughput");
                let symbol = format!("R[{name}]");
                // The most common slip: a data rate on a stage measured in
                // events, or the reverse. Say which key decides it.
                let given = units::parse_any(&field.value.0).ok();
                let mismatch = match (measure, given) {
                    (Measure::Events, Some(Parsed::ByteRate(_))) => Some(("a data rate", "an event rate (e.g. \"20k events/s\")", "bytes")),
                    (Measure::Bytes, Some(Parsed::EventRate(_))) => Some(("an event rate", "a data rate (e.g. \"8.3 MB/s\")", "events")),
                    _ => None,
                };
                if let Some((given, wanted, other)) = mismatch {
                    return Err(self.error(
                        &key,
                        &field.referenced,
                        format!(
                            "`{}` is {given}, but stage `{name}` has `input: {}`, so its throughput is {wanted}; or write `input: {other}`",
                            field.value.0,
                            if other == "bytes" { "events" } else { "bytes" },
                        ),
                    ));
                }
                if raw.bound == Bound::Cpu && field.value.0.trim_end().ends_with("bps") {
                    self.warn(
                        &key,
                        &field.referenced,
                        format!(
                            "`{}` gives a CPU-bound stage's throughput in bits per second, a unit for links; did you mean bytes (`MB/s`)?",
                            field.value.0.trim()
                        ),
                    );
                }
                let work = match measure {
                    Measure::Bytes => Work::ByteThroughput(self.byte_rate(field, &key, &symbol)?),
                    Measure::Events => Work::EventThroughput(self.event_rate(field, &key, &symbol)?),
                };
                self.plausible_throughput(&work, &key, &field.referenced);
                work
            }
            (None, Some(field)) => {
                Work::Duration(self.duration(field, &key("duration"), &format!("T_given[{name}]"))?)
            }
            (Some(_), Some(field)) => {
                return Err(self.error(
                    &key("duration"),
                    &field.referenced,
                    format!("stage `{name}` has both a throughput and a duration; give one of them"),
                ))
            }
            // A fixed cost alone: `startup` with neither.
            (None, None) if raw.startup.is_some() => Work::StartupOnly,
            (None, None) => {
                return Err(self.error(
                    &format!("stages[{index}]"),
                    &raw.name.referenced,
                    format!(
                        "stage `{name}` has neither a throughput nor a duration; give one, e.g. `throughput: 8.3 MB/s` or `duration: 10 min` (or a `startup` alone for a stage whose time does not grow with the data)"
                    ),
                ))
            }
        };
        let output = match &raw.output {
            None => Output::Same { row_size: None },
            Some(output) => self.output(output, &name, index)?,
        };
        let written = raw.output.as_ref().map(|o| &o.value);
        let fixed_output_size = match written.and_then(|o| o.fixed_size.as_ref()) {
            None => None,
            Some(field) => {
                let at = key("output.fixed_size");
                if written.is_some_and(|o| o.row_size.is_none()) {
                    return Err(self.error(
                        &at,
                        &field.referenced,
                        "`fixed_size` is added to the rows' bytes; give a `row_size` too (e.g. `row_size: 40 B`)",
                    ));
                }
                Some(self.size(field, &at, &format!("fixed_output_size[{name}]"))?)
            }
        };
        let working_set = match &raw.working_set {
            None => WorkingSet::Input,
            Some(field) => match field.value.0.trim() {
                "input" => WorkingSet::Input,
                "output" => WorkingSet::Output,
                _ => WorkingSet::Fixed(
                    self.size(field, &key("working_set"), &format!("working_set[{name}]"))
                        .map_err(|e| e.context("a working set is `input`, `output`, or a size"))?,
                ),
            },
        };
        let working_set = match (&raw.working_set_grows, working_set) {
            (None, working_set) => working_set,
            (Some(field), WorkingSet::Fixed(size)) => {
                let at = key("working_set_grows");
                match units::parse_any(&field.value.0) {
                    Ok(Parsed::Number(exponent)) if (0.0..=1.0).contains(&exponent) => {
                        WorkingSet::Growing {
                            size,
                            exponent: Fig::input(
                                Ratio(exponent),
                                format!("working_set_growth[{name}]"),
                                self.source(&at, &field.referenced),
                            ),
                        }
                    }
                    _ => {
                        return Err(self.error(
                            &at,
                            &field.referenced,
                            format!(
                                "`{}` is not a working-set growth; write an exponent from 0 to 1: each worker holds working_set × volume_factor^exponent (0 stays fixed, 1 grows with the data)",
                                field.value.0.trim()
                            ),
                        ))
                    }
                }
            }
            (Some(field), _) => {
                return Err(self.error(
                    &key("working_set_grows"),
                    &field.referenced,
                    "`working_set_grows` applies to a working set given as a size (e.g. `working_set: 15 MB`); `input` and `output` already grow with the data",
                ))
            }
        };
        let parallel = match &raw.parallel {
            Some(parallel) => self.parallel(parallel, &key("parallel"), &format!("[{name}]"))?,
            None => default_parallel.clone(),
        };
        let shares = match &raw.shares {
            None => None,
            Some(field) if field.value.0.trim() == "network" => {
                if !has_network {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        "`shares: network` needs a `network:` section with the link's bandwidth",
                    ));
                }
                if measure != Measure::Bytes {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        format!("a shared link caps bytes per second, but stage `{name}` has `input: events`; write `input: bytes`"),
                    ));
                }
                Some(Shares::Network)
            }
            Some(field) if field.value.0.trim() == "card" => {
                if network.is_none_or(|n| n.card.is_none()) {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        "`shares: card` reads over each worker's own network card; give it under `network:` (e.g. `card: 10 Gbps`)",
                    ));
                }
                if measure != Measure::Bytes {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        format!("a network card carries bytes per second, but stage `{name}` has `input: events`; write `input: bytes`"),
                    ));
                }
                Some(Shares::Card)
            }
            Some(field) => {
                if measure != Measure::Bytes {
                    return Err(self.error(
                        &key("shares"),
                        &field.referenced,
                        format!("a shared resource caps bytes per second, but stage `{name}` has `input: events`; write `input: bytes`"),
                    ));
                }
                Some(Shares::Rate(
                    self.byte_rate(field, &key("shares"), &format!("shared_rate[{name}]"))
                        .map_err(|e| e.context("`shares` is `network` (the shared link), `card` (each worker's own card) or a shared resource's rate, e.g. `500 MB/s`"))?,
                ))
            }
        };
        let in_warehouse = match &raw.runs_in {
            None => false,
            Some(place) => match place.value {
                Place::Cluster => false,
                Place::Warehouse => true,
                Place::Lake => {
                    return Err(self.error(
                        &key("runs_in"),
                        &place.referenced,
                        "`lake` keeps data and runs nothing; a stage runs in `cluster` (the scenario's workers) or `warehouse`",
                    ))
                }
            },
        };
        let startup = raw
            .startup
            .as_ref()
            .map(|f| {
                self.duration(
                    f,
                    &format!("stages[{index}].startup"),
                    &format!("T_startup[{name}]"),
                )
            })
            .transpose()?;
        let terms = self.stage_terms(index, raw, in_warehouse)?;
        Ok(Stage {
            shuffle: terms.shuffle,
            join: terms.join,
            stragglers: terms.stragglers,
            max_parallelism: terms.max_parallelism,
            startup,
            name,
            bound: raw.bound,
            measure,
            work,
            output,
            fixed_output_size,
            working_set,
            parallel,
            shares,
            in_warehouse,
        })
    }
}
