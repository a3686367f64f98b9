//! Network: bytes per transfer and per day, transfer time at the link's
//! bandwidth, the bandwidth a transfer needs to finish in its window,
//! whether the link is the bottleneck, and what moving the data costs.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::{Information, InformationRate, Time};

use crate::figure::{AnyFig, Explain, Fig, Source};
use crate::model::flow::Flow;
use crate::model::time::TimeModel;
use crate::model::Calendar;
use crate::scenario::{Direction, Scenario};
use crate::units::{Usd, UsdPerGb};

/// One transfer over the link: its bytes, its time, and its price.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TransferModel {
    pub name: String,
    /// What moves: `STAGE.input` or `STAGE.output`.
    pub of: String,
    pub direction: Direction,
    pub bytes_per_day: Fig<Information>,
    #[serde(rename = "transfer_time_s")]
    pub transfer_time: Fig<Time>,
    /// The window the transfer must fit in: its own, else the deadline.
    #[serde(rename = "window_s")]
    pub window: Option<Fig<Time>>,
    #[serde(rename = "required_bandwidth_bytes_per_s")]
    pub required_bandwidth: Option<Fig<InformationRate>>,
    /// The link cannot carry this transfer within its window.
    pub exceeds_link: bool,
    pub usd_per_day: Fig<Usd>,
    pub usd_per_month: Fig<Usd>,
}

/// The network: the link, what crosses it, and what that costs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct NetworkModel {
    #[serde(rename = "bandwidth_bytes_per_s")]
    pub bandwidth: Fig<InformationRate>,
    pub bytes_per_day: Fig<Information>,
    pub egress_usd_per_day: Fig<Usd>,
    pub egress_usd_per_month: Fig<Usd>,
    pub ingress_usd_per_month: Fig<Usd>,
    pub usd_per_day: Fig<Usd>,
    pub usd_per_month: Fig<Usd>,
    /// Some transfer needs more than the link within its window. A stage
    /// held at the link's floor is not counted here: it is the stage's
    /// `limited_by`.
    pub network_bound: bool,
    pub transfers: Vec<TransferModel>,
}

pub fn network(
    scenario: &Scenario,
    flow: &Flow,
    time: &TimeModel,
    calendar: &Calendar,
) -> Option<NetworkModel> {
    let network = scenario.network.as_ref()?;
    let bandwidth = network.bandwidth.clone();
    let free = Fig::input(
        UsdPerGb(0.0),
        "price_egress",
        Source::Default("no egress price given".into()),
    );
    let transfers: Vec<TransferModel> = network
        .transfers
        .iter()
        .map(|transfer| {
            let name = &transfer.name;
            let (_, bytes) = flow.data(transfer.of);
            let bytes_per_day = bytes.alias(format_args!("bytes[{name}]"));
            // On a schedule each run moves its share of the day, in its window.
            let bytes_per_run = match &time.runs {
                Some(runs) => (&bytes_per_day / &runs.runs_per_day)
                    .named(format_args!("bytes_per_run[{name}]")),
                None => bytes_per_day.clone(),
            };
            let transfer_time =
                (&bytes_per_run / &bandwidth).named(format_args!("transfer_time[{name}]"));
            let window = transfer.window.clone().or_else(|| time.deadline.clone());
            let required_bandwidth = window.as_ref().map(|window| {
                (&bytes_per_run / window).named(format_args!("required_bandwidth[{name}]"))
            });
            let price = match transfer.direction {
                Direction::Egress => scenario.prices.egress.as_ref().unwrap_or(&free),
                Direction::Ingress => &scenario.prices.ingress,
            };
            let usd_per_day =
                (&bytes_per_day * price).named(format_args!("network_usd_per_day[{name}]"));
            let usd_per_month = (&usd_per_day * &calendar.days_per_month)
                .named(format_args!("network_usd_per_month[{name}]"));
            TransferModel {
                name: name.clone(),
                of: transfer.of_text.clone(),
                direction: transfer.direction,
                bytes_per_day,
                transfer_time,
                exceeds_link: required_bandwidth
                    .as_ref()
                    .is_some_and(|needed| needed.base() > bandwidth.base()),
                window,
                required_bandwidth,
                usd_per_day,
                usd_per_month,
            }
        })
        .collect();
    let zero_bytes = Fig::constant(crate::units::bytes(0.0));
    let zero_usd = Fig::constant(Usd(0.0));
    let bytes_per_day = Fig::sum(transfers.iter().map(|t| &t.bytes_per_day))
        .unwrap_or(zero_bytes)
        .named("network_bytes_per_day");
    let by_direction = |direction: Direction, per_day: bool| {
        Fig::sum(
            transfers
                .iter()
                .filter(|t| t.direction == direction)
                .map(|t| {
                    if per_day {
                        &t.usd_per_day
                    } else {
                        &t.usd_per_month
                    }
                }),
        )
        .unwrap_or_else(|| zero_usd.clone())
    };
    let egress_usd_per_day = by_direction(Direction::Egress, true).named("egress_usd_per_day");
    let egress_usd_per_month = by_direction(Direction::Egress, false).named("egress_usd_per_month");
    let ingress_usd_per_month =
        by_direction(Direction::Ingress, false).named("ingress_usd_per_month");
    let usd_per_day = Fig::sum(transfers.iter().map(|t| &t.usd_per_day))
        .unwrap_or_else(|| zero_usd.clone())
        .named("network_usd_per_day");
    let usd_per_month = Fig::sum(transfers.iter().map(|t| &t.usd_per_month))
        .unwrap_or_else(|| zero_usd.clone())
        .named("network_usd_per_month");
    // The lecture's rule: the network is the bottleneck when what must
    // cross it does not fit its window. A stage held at the link's floor
    // is a different finding, reported on the stage (`limited_by`).
    let network_bound = transfers.iter().any(|t| t.exceeds_link);
    Some(NetworkModel {
        bandwidth,
        transfers,
        bytes_per_day,
        egress_usd_per_day,
        egress_usd_per_month,
        ingress_usd_per_month,
        usd_per_day,
        usd_per_month,
        network_bound,
    })
}

impl Explain for NetworkModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = vec![&self.bandwidth];
        for t in &self.transfers {
            figures.extend([&t.bytes_per_day as &dyn AnyFig, &t.transfer_time]);
            figures.extend(t.window.iter().map(|f| f as &dyn AnyFig));
            figures.extend(t.required_bandwidth.iter().map(|f| f as &dyn AnyFig));
            figures.extend([&t.usd_per_day as &dyn AnyFig, &t.usd_per_month]);
        }
        figures.extend([
            &self.bytes_per_day as &dyn AnyFig,
            &self.egress_usd_per_day,
            &self.egress_usd_per_month,
            &self.ingress_usd_per_month,
            &self.usd_per_day,
            &self.usd_per_month,
        ]);
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{close, lecture, with};
    use crate::model::flow::flow;
    use crate::model::time::time;

    fn model(s: &Scenario) -> NetworkModel {
        let f = flow(s);
        let t = time(s, &f);
        network(s, &f, &t, &Calendar::new(s)).unwrap()
    }

    #[test]
    fn lecture_network_by_hand() {
        // 5 GB + 5 MB = 5.005 GB a day; 5 GB ÷ 125 MB/s = 40 s;
        // 5 GB × $0.09 = $0.45 a day, × 30 = $13.50 a month; ingress free.
        let n = model(&lecture());
        close(n.bandwidth.base(), 125e6);
        close(n.bytes_per_day.base(), 5.005e9);
        close(n.transfers[0].transfer_time.base(), 40.0);
        close(n.egress_usd_per_day.base(), 0.45);
        close(n.egress_usd_per_month.base(), 13.5);
        close(n.ingress_usd_per_month.base(), 0.0);
        // Within the 1 h deadline 5 GB needs 5 GB ÷ 3600 s ≈ 1.39 MB/s.
        close(
            n.transfers[0].required_bandwidth.as_ref().unwrap().base(),
            5e9 / 3600.0,
        );
        assert!(!n.network_bound);
    }

    #[test]
    fn ten_times_the_data_costs_ten_times_the_egress() {
        let n = model(&lecture().with_scale(10.0, "--scale").unwrap());
        close(n.egress_usd_per_month.base(), 135.0);
    }

    #[test]
    fn a_short_window_makes_the_link_the_bottleneck() {
        // 5 GB in 10 s needs 500 MB/s = 4 Gbps, more than the 1 Gbps link.
        let s = with(
            "{ name: from source, of: ingest.input, direction: egress }",
            "{ name: from source, of: ingest.input, direction: egress, window: 10 s }",
        );
        let n = model(&s);
        close(
            n.transfers[0].required_bandwidth.as_ref().unwrap().base(),
            500e6,
        );
        assert!(n.network_bound);
    }
}
