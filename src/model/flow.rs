//! Flow: rows and bytes into and out of every stage, and the reduction from
//! raw input to final output.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::Information;

use crate::figure::{AnyFig, Explain, Fig};
use crate::scenario::{DataRef, Output, Scenario, Side};
use crate::units::{Count, Ratio};

/// A stage's rows and bytes a day, in and out.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StageFlow {
    #[serde(skip)]
    pub name: String,
    pub rows_in: Fig<Count>,
    pub bytes_in: Fig<Information>,
    pub rows_out: Fig<Count>,
    pub bytes_out: Fig<Information>,
    /// Distinct keys at this volume, when they grow with it (`keys_grow`)
    /// or are drawn from a catalogue (`keys_max`).
    #[serde(rename = "keys", skip_serializing_if = "Option::is_none")]
    pub keys_scaled: Option<Fig<Count>>,
}

/// The day's volume and what each stage makes of it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Flow {
    /// `--scale`: the events a day are multiplied by this.
    pub volume_factor: Option<Fig<Ratio>>,
    pub events_per_day: Fig<Count>,
    pub raw_bytes_per_day: Fig<Information>,
    /// Listed per stage in the document's `stages`.
    #[serde(skip)]
    pub stages: Vec<StageFlow>,
    pub output_bytes_per_day: Fig<Information>,
    /// Raw bytes over output bytes.
    pub reduction_ratio: Fig<Ratio>,
}

impl Flow {
    /// Rows and bytes per day of a stage's input or output.
    pub fn data(&self, at: DataRef) -> (&Fig<Count>, &Fig<Information>) {
        let stage = &self.stages[at.stage];
        match at.side {
            Side::Input => (&stage.rows_in, &stage.bytes_in),
            Side::Output => (&stage.rows_out, &stage.bytes_out),
        }
    }
}

pub fn flow(scenario: &Scenario) -> Flow {
    let factor = scenario.volume_factor.as_ref();
    let events_per_day = match factor {
        Some(factor) => (&scenario.events() * factor).named("events_per_day_scaled"),
        None => scenario.events(),
    };
    let raw_bytes_per_day = (&events_per_day * &scenario.event_size).named("raw_bytes_per_day");

    let mut stages: Vec<StageFlow> = Vec::with_capacity(scenario.stages.len());
    for stage in &scenario.stages {
        let (rows_in, bytes_in) = match stages.last() {
            Some(previous) => (previous.rows_out.clone(), previous.bytes_out.clone()),
            None => (events_per_day.clone(), raw_bytes_per_day.clone()),
        };
        let name = &stage.name;
        let rows_symbol = format_args!("rows_out[{name}]");
        let bytes_symbol = format_args!("bytes_out[{name}]");
        let mut keys_scaled = None;
        let (rows_out, bytes_out) = match &stage.output {
            Output::Same { row_size } => {
                let rows_out = rows_in.alias(rows_symbol);
                let bytes_out = match row_size {
                    Some(row_size) => (&rows_out * row_size).named(bytes_symbol),
                    None => bytes_in.alias(bytes_symbol),
                };
                (rows_out, bytes_out)
            }
            Output::Keep { fraction, row_size } => {
                let rows_out = (&rows_in * fraction).named(rows_symbol);
                let bytes_out = match row_size {
                    Some(row_size) => (&rows_out * row_size).named(bytes_symbol),
                    None => (&bytes_in * fraction).named(bytes_symbol),
                };
                (rows_out, bytes_out)
            }
            Output::Catalogue {
                keys_max,
                skew,
                row_size,
            } => {
                let distinct = Fig::distinct_draws(&rows_in, keys_max, skew)
                    .named(format_args!("keys_seen[{name}]"));
                let (_, fewest) = Fig::min_of([&distinct, &rows_in]).expect("two candidates");
                let rows_out = fewest.named(rows_symbol);
                keys_scaled = Some(distinct);
                let bytes_out = (&rows_out * row_size).named(bytes_symbol);
                (rows_out, bytes_out)
            }
            Output::Keys {
                keys,
                row_size,
                keys_grow,
            } => {
                // Distinct keys do not grow with the data unless the scenario
                // says so: 50K products stay 50K rows at 10x the events.
                let grown = match (keys_grow, factor) {
                    (Some(exponent), Some(factor)) if exponent.base() == 1.0 => Some(keys * factor),
                    (Some(exponent), Some(factor)) => Some(keys * &factor.pow(exponent)),
                    _ => None,
                };
                let keys = match grown {
                    Some(grown) => {
                        let grown = grown.named(format_args!("keys_scaled[{name}]"));
                        keys_scaled = Some(grown.clone());
                        grown
                    }
                    None => keys.clone(),
                };
                let (_, fewest) = Fig::min_of([&keys, &rows_in]).expect("two candidates");
                let rows_out = fewest.named(rows_symbol);
                let bytes_out = (&rows_out * row_size).named(bytes_symbol);
                (rows_out, bytes_out)
            }
        };
        // A fixed cost a day (footers, dictionaries) does not grow with the
        // rows: it is why small samples show more bytes a row than large runs.
        let bytes_out = match &stage.fixed_output_size {
            Some(fixed) => (&bytes_out.named(format_args!("row_bytes_out[{name}]")) + fixed)
                .named(bytes_symbol),
            None => bytes_out,
        };
        stages.push(StageFlow {
            name: name.clone(),
            rows_in,
            bytes_in,
            rows_out,
            bytes_out,
            keys_scaled,
        });
    }
    let last = stages.last().expect("validation guarantees a stage");
    let output_bytes_per_day = last.bytes_out.alias("output_bytes_per_day");
    let reduction_ratio = (&raw_bytes_per_day / &output_bytes_per_day).named("reduction_ratio");
    Flow {
        volume_factor: factor.cloned(),
        events_per_day,
        raw_bytes_per_day,
        stages,
        output_bytes_per_day,
        reduction_ratio,
    }
}

impl Explain for Flow {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = Vec::new();
        if let Some(factor) = &self.volume_factor {
            figures.push(factor);
        }
        figures.extend([&self.events_per_day as &dyn AnyFig, &self.raw_bytes_per_day]);
        // A stage's input is the stage before's output (the first's, the
        // day's events): each is listed once, as an output.
        for stage in &self.stages {
            figures.extend([&stage.rows_out as &dyn AnyFig, &stage.bytes_out]);
            if let Some(keys) = &stage.keys_scaled {
                figures.push(keys);
            }
        }
        figures.extend([
            &self.output_bytes_per_day as &dyn AnyFig,
            &self.reduction_ratio,
        ]);
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{close, lecture, with};

    #[test]
    fn lecture_flow_by_hand() {
        // 10M events × 500 B = 5 GB; the filter keeps 80% = 8M rows of 250 B
        // = 2 GB; 50K products × 100 B = 5 MB; 5 GB ÷ 5 MB = 1000.
        let flow = flow(&lecture());
        close(flow.raw_bytes_per_day.base(), 5e9);
        close(flow.stages[1].rows_out.base(), 8e6);
        close(flow.stages[1].bytes_out.base(), 2e9);
        close(flow.stages[2].rows_out.base(), 5e4);
        close(flow.output_bytes_per_day.base(), 5e6);
        close(flow.reduction_ratio.base(), 1000.0);
    }

    #[test]
    fn a_fixed_output_size_is_added_once_a_day_and_does_not_scale() {
        // 8M rows × 250 B = 2 GB, plus 180 kB of footers and dictionaries.
        let fixed = with(
            "output: { keep: 0.8, row_size: 250 B }",
            "output: { keep: 0.8, row_size: 250 B, fixed_size: 180 kB }",
        );
        close(flow(&fixed).stages[1].bytes_out.base(), 2e9 + 180e3);
        // At 10× the data the rows' bytes grow tenfold, the fixed part not.
        let scaled = fixed.clone().with_scale(10.0, "--scale").unwrap();
        close(flow(&scaled).stages[1].bytes_out.base(), 20e9 + 180e3);
        // The next stage reads what this one wrote, fixed part included.
        close(flow(&fixed).stages[2].bytes_in.base(), 2e9 + 180e3);
    }

    #[test]
    fn keys_do_not_grow_with_volume_unless_told() {
        let scaled = lecture().with_scale(10.0, "--scale").unwrap();
        let flow = flow(&scaled);
        close(flow.raw_bytes_per_day.base(), 50e9);
        close(flow.stages[2].rows_out.base(), 5e4);
        close(flow.reduction_ratio.base(), 10_000.0);

        let growing = with("rows: 50K,", "rows: 50K, keys_grow: true,")
            .with_scale(10.0, "--scale")
            .unwrap();
        close(super::flow(&growing).stages[2].rows_out.base(), 5e5);

        // Heaps' law: 50K × 10^0.5 = 158.1K keys.
        let heaps = with("rows: 50K,", "rows: 50K, keys_grow: 0.5,")
            .with_scale(10.0, "--scale")
            .unwrap();
        let aggregate = super::flow(&heaps).stages[2].clone();
        close(aggregate.rows_out.base(), 50_000.0 * 10f64.sqrt());
        let line = aggregate.keys_scaled.unwrap().working().to_string();
        assert!(
            line.contains("keys[aggregate] × volume_factor ^ keys_growth[aggregate]"),
            "{line}"
        );
    }

    #[test]
    fn an_aggregate_never_puts_out_more_rows_than_it_takes_in() {
        let tiny = with("events_per_day: 10M", "events_per_day: 20K");
        let flow = flow(&tiny);
        // 20K events × 0.8 = 16K page views < 50K products.
        close(flow.stages[2].rows_out.base(), 16_000.0);
        let line = flow.stages[2].rows_out.working().to_string();
        assert!(
            line.contains("min(keys[aggregate], rows_out[transform])"),
            "{line}"
        );
    }
}
