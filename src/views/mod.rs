//! Views: each command's results turned into a [`crate::report::Document`] for people and
//! into JSON for scripts. They word what the models and studies hand up
//! (a limit, a blocker) and are the only layer that does.

pub mod calibration;
pub mod charts;
pub mod compare;
pub mod estimate;
pub mod inspect;
pub mod json;
pub mod prices;
pub mod run;
pub mod scaling;
pub mod schema;
pub mod uncertainty;
pub mod validate;

/// The conventions every report states, so no assumption is silent.
pub fn conventions(estimate: &crate::model::Estimate) -> Vec<String> {
    let runs = &estimate.time.runs;
    let runs_words = match estimate.mode {
        crate::scenario::Mode::Stream => {
            "a stream: always on, a run is a window (micro-batch)".to_string()
        }
        _ if runs.scheduled => format!(
            "{} runs a day, one every {}: a run's figures are one run's, a day's say \"a day\"",
            crate::units::significant(runs.runs_per_day.base(), 4),
            runs.period.human()
        ),
        _ => "one run a day".to_string(),
    };
    vec![
        "GB = 10^9 bytes, MB = 10^6 (cloud bills often mean GiB = 2^30 bytes, 7% more)".into(),
        format!(
            "a month = {} days (scenario key `month`); costs per month are per day × that",
            crate::units::significant(estimate.calendar.days_per_month.base(), 6)
        ),
        "prices are as given in the scenario, in USD; ingress is free unless priced".into(),
        format!("{runs_words}; parallel time is the lecture's T_sequential ÷ N unless a stage sets `parallel` (Amdahl, USL) or `shares` a link"),
    ]
}

/// A line of the bill as the cost table and its chart name it.
pub fn cost_item(item: crate::model::cost::CostItem) -> &'static str {
    use crate::model::cost::CostItem;
    match item {
        CostItem::Compute => "Compute",
        CostItem::Storage => "Storage (steady state)",
        CostItem::Warehouse => "Warehouse (bytes scanned)",
        CostItem::Network => "Network",
    }
}

/// A ratio as a percentage, to three significant digits (0.1234 → 12.3%).
pub fn percent(ratio: f64) -> String {
    format!("{}%", crate::units::significant(ratio * 100.0, 3))
}

/// A line of the bill in a word, for a chart's narrow margin.
pub fn cost_item_word(item: crate::model::cost::CostItem) -> &'static str {
    use crate::model::cost::CostItem;
    match item {
        CostItem::Compute => "compute",
        CostItem::Storage => "storage",
        CostItem::Warehouse => "warehouse",
        CostItem::Network => "network",
    }
}

/// Words a shared resource that holds a stage back, as every view says it.
pub fn limit(limit: &crate::model::time::Limit) -> String {
    use crate::model::time::Limit;
    match limit {
        Limit::Link(rate) => format!(
            "the network link ({})",
            crate::units::human_bit_rate(rate.value)
        ),
        Limit::Shared(rate) => format!(
            "a shared resource ({})",
            crate::units::Quantity::human(rate)
        ),
    }
}
