//! Views: each command's results turned into a [`crate::report::Document`] for people and
//! into JSON for scripts. They word what the models and studies hand up
//! (a limit, a blocker) and are the only layer that does.

pub mod charts;
pub mod compare;
pub mod estimate;
pub mod inspect;
pub mod json;
pub mod run;
pub mod scaling;
pub mod schema;
pub mod uncertainty;
pub mod validate;

/// The conventions every report states, so no assumption is silent.
pub fn conventions(month_days: f64) -> Vec<String> {
    vec![
        "GB = 10^9 bytes, MB = 10^6 (cloud bills often mean GiB = 2^30 bytes, 7% more)".into(),
        format!(
            "a month = {} days (scenario key `month`); costs per month are per day × that",
            crate::units::significant(month_days, 6)
        ),
        "prices are as given in the scenario, in USD; ingress is free unless priced".into(),
        "one run a day; parallel time is the lecture's T_sequential ÷ N unless a stage sets `parallel` (Amdahl, USL) or `shares` a link".into(),
    ]
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
