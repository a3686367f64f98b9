//! Network: bytes per transfer and per day, transfer time at the link's
//! bandwidth, the bandwidth a transfer needs to finish in its window,
//! whether the link is the bottleneck, and what moving the data costs.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::{Information, InformationRate, Time};

use crate::figure::{AnyFig, Explain, Fig, Source};
use crate::model::flow::Flow;
use crate::model::streaming::StreamingModel;
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
    /// The link cannot carry this transfer within its window, even alone.
    pub exceeds_link: bool,
    /// What one run moves: the day's bytes ÷ the runs a day.
    #[serde(skip)]
    pub bytes_per_run: Fig<Information>,
    pub usd_per_day: Fig<Usd>,
    pub usd_per_month: Fig<Usd>,
}

/// What must cross the one link within a window: every transfer due in it
/// (its own window no longer than this one) and every stage that shares
/// the link, summed, since they share it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LinkWindow {
    /// A transfer's own window, the deadline, a run's period, or for a
    /// stream one window at its peak.
    #[serde(rename = "window_s")]
    pub window: Fig<Time>,
    /// The transfers and stages that cross the link within it.
    pub carries: Vec<String>,
    pub bytes: Fig<Information>,
    /// Their bytes ÷ the link's bandwidth.
    #[serde(rename = "link_time_s")]
    pub link_time: Fig<Time>,
    pub fits: bool,
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
    /// What crosses the link does not fit some window (the transfers and
    /// the stages that share the link, summed; a stream's at its peak), or
    /// a transfer alone exceeds it. A stage merely held at the link's floor
    /// is reported on the stage (`limited_by`).
    pub network_bound: bool,
    pub transfers: Vec<TransferModel>,
    /// Each window and what must cross the link within it.
    pub link: Vec<LinkWindow>,
    /// Stages whose own time moves a transfer's bytes faster than the link
    /// carries them (a stage checked against the link only with `shares`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub faster_than_link: Vec<FasterThanLink>,
}

/// Something that crosses the link: its name, bytes, and the window it
/// must cross in.
struct Crossing<'a> {
    name: String,
    bytes: Fig<Information>,
    window: &'a Fig<Time>,
}

/// The windows a batch's crossings must fit, each with everything due in
/// it, and a day for a run's transfers as a whole.
/// A link window's name in its figures' symbols (`1 h`, `1 day (a day)`).
struct WindowLabel<'a>(f64, &'a str);

impl std::fmt::Display for WindowLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", crate::units::human_duration(self.0), self.1)
    }
}

fn link_windows(
    crossings: &[Crossing],
    bandwidth: &Fig<InformationRate>,
    suffix: &str,
) -> Vec<LinkWindow> {
    let mut windows: Vec<&Fig<Time>> = crossings.iter().map(|c| c.window).collect();
    windows.sort_by(|a, b| a.base().total_cmp(&b.base()));
    windows.dedup_by(|a, b| a.base() == b.base());
    windows
        .into_iter()
        .map(|window| {
            let due: Vec<&Crossing> = crossings
                .iter()
                .filter(|c| c.window.base() <= window.base())
                .collect();
            // Written only for a figure that keeps its words (not a study's).
            let label = WindowLabel(window.base(), suffix);
            let bytes = Fig::sum(due.iter().map(|c| &c.bytes))
                .expect("a crossing")
                .named(format_args!("link_bytes[{label}]"));
            let link_time = (&bytes / bandwidth).named(format_args!("link_time[{label}]"));
            LinkWindow {
                fits: link_time.base() <= window.base() * (1.0 + 1e-12),
                window: window.clone(),
                carries: due.iter().map(|c| c.name.clone()).collect(),
                bytes,
                link_time,
            }
        })
        .collect()
}

/// Whether stage `index` reads its input over the link itself: it shares
/// the link, and no transfer moves its whole input (which would be the
/// same bytes).
fn reads_over_link(scenario: &Scenario, index: usize) -> bool {
    let shares = matches!(
        scenario.stages[index].shares,
        Some(crate::scenario::Shares::Network)
    );
    let moved_whole = scenario.network.as_ref().is_some_and(|n| {
        n.transfers.iter().any(|t| {
            t.of.stage == index && t.of.side == crate::scenario::Side::Input && t.share.is_none()
        })
    });
    shares && !moved_whole
}

/// A batch's crossings: each run's transfers and the input of the stages
/// that share the link, each due in its window (its own, else the
/// deadline, else the period between runs), and a day's transfers in a day.
fn batch_link(
    scenario: &Scenario,
    flow: &Flow,
    time: &TimeModel,
    transfers: &[TransferModel],
    bandwidth: &Fig<InformationRate>,
) -> Vec<LinkWindow> {
    let run_window = time.deadline.as_ref().unwrap_or(&time.runs.period);
    let mut crossings: Vec<Crossing> = transfers
        .iter()
        .map(|t| Crossing {
            name: t.name.clone(),
            bytes: t.bytes_per_run.clone(),
            window: t.window.as_ref().unwrap_or(&time.runs.period),
        })
        .collect();
    for (index, (stage, data)) in scenario.stages.iter().zip(&flow.stages).enumerate() {
        // A stage whose whole input a transfer already moves is that
        // transfer; a share of it (a sample) moves besides the stage's read.
        if reads_over_link(scenario, index) {
            let bytes = match time.runs.scheduled {
                true => (&data.bytes_in / &time.runs.runs_per_day)
                    .named(format_args!("link_bytes_per_run[{}]", stage.name)),
                false => data.bytes_in.clone(),
            };
            crossings.push(Crossing {
                name: format!("stage {}", stage.name),
                bytes,
                window: run_window,
            });
        }
    }
    if crossings.is_empty() {
        return Vec::new();
    }
    link_windows(&crossings, bandwidth, "")
}

/// A stream's crossings: its transfers at the peak and the stages that
/// read over the link (their input at the peak), in one window; with
/// neither, the events themselves, as they arrive over the link; and the
/// day's transfers in a day.
fn stream_link(
    scenario: &Scenario,
    flow: &Flow,
    stream: &StreamingModel,
    transfers: &[TransferModel],
    bandwidth: &Fig<InformationRate>,
    calendar: &Calendar,
) -> Vec<LinkWindow> {
    let peak_share = (&(&stream.window * &stream.peak_rate)
        / &(&calendar.day * &stream.average_rate))
        .named("peak_window_share");
    let mut at_peak: Vec<Crossing> = transfers
        .iter()
        .map(|t| Crossing {
            name: t.name.clone(),
            bytes: (&t.bytes_per_day * &peak_share)
                .named(format_args!("bytes_per_window[{}]", t.name)),
            window: &stream.window,
        })
        .collect();
    for (index, (stage, data)) in scenario.stages.iter().zip(&flow.stages).enumerate() {
        if reads_over_link(scenario, index) {
            at_peak.push(Crossing {
                name: format!("stage {}", stage.name),
                bytes: (&data.bytes_in * &peak_share)
                    .named(format_args!("link_bytes_per_window[{}]", stage.name)),
                window: &stream.window,
            });
        }
    }
    if at_peak.is_empty() {
        at_peak.push(Crossing {
            name: "the events".into(),
            bytes: (&stream.window * &stream.peak_bytes_per_s).named("event_bytes_per_window"),
            window: &stream.window,
        });
    }
    let mut windows = link_windows(&at_peak, bandwidth, " at the peak");
    if !transfers.is_empty() {
        let day: Vec<Crossing> = transfers
            .iter()
            .map(|t| Crossing {
                name: t.name.clone(),
                bytes: t.bytes_per_day.clone(),
                window: &calendar.day,
            })
            .collect();
        windows.extend(link_windows(&day, bandwidth, " a day"));
    }
    windows
}

/// A stage that moves bytes over the link faster than the link carries
/// them: the bytes of a transfer of its data, in the stage's own time a run.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FasterThanLink {
    pub stage: String,
    pub transfer: String,
    /// The bytes a second the stage's time implies.
    #[serde(rename = "bytes_per_s")]
    pub rate: Fig<InformationRate>,
}

/// Stages whose data a transfer moves, running faster than the link could
/// carry it: one link is checked for a stage only when it `shares` it, so
/// the report says when the stage's own time assumes a faster network.
fn faster_than_link(
    scenario: &Scenario,
    time: &TimeModel,
    transfers: &[TransferModel],
    bandwidth: &Fig<InformationRate>,
) -> Vec<FasterThanLink> {
    let Some(network) = &scenario.network else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (transfer, model) in network.transfers.iter().zip(transfers) {
        let stage = &scenario.stages[transfer.of.stage];
        let timed = &time.stages[transfer.of.stage];
        let on_link = matches!(
            stage.shares,
            Some(crate::scenario::Shares::Network | crate::scenario::Shares::Rate(_))
        );
        if on_link || stage.in_warehouse || timed.parallel_time.base() <= 0.0 {
            continue;
        }
        let rate = (&model.bytes_per_run / &timed.parallel_time)
            .named(format_args!("rate_over_link[{}]", stage.name));
        if rate.base() > bandwidth.base() * (1.0 + 1e-12) {
            found.push(FasterThanLink {
                stage: stage.name.clone(),
                transfer: model.name.clone(),
                rate,
            });
        }
    }
    found
}

pub fn network(
    scenario: &Scenario,
    flow: &Flow,
    time: &TimeModel,
    stream: Option<&StreamingModel>,
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
            let moved = match &transfer.share {
                Some(share) => bytes * share,
                None => bytes.clone(),
            };
            // Compressed on the wire, fewer bytes cross the link and are billed.
            let bytes_per_day = match (&transfer.compression, &transfer.share) {
                (Some(ratio), _) => (&moved / ratio).named(format_args!("bytes[{name}]")),
                (None, Some(_)) => moved.named(format_args!("bytes[{name}]")),
                (None, None) => bytes.alias(format_args!("bytes[{name}]")),
            };
            // On a schedule each run moves its share of the day, in its window.
            let bytes_per_run = match Some(&time.runs).filter(|r| r.scheduled) {
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
                bytes_per_run,
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
    // cross it does not fit its window. Everything that crosses one link
    // shares it, so what is due in a window is summed.
    // A hybrid's stream and its batch both cross the link, each in its
    // own windows.
    let mut link = Vec::new();
    if let Some(stream) = stream {
        link.extend(stream_link(
            scenario, flow, stream, &transfers, &bandwidth, calendar,
        ));
    }
    if stream.is_none_or(|s| s.hybrid) {
        link.extend(batch_link(scenario, flow, time, &transfers, &bandwidth));
    }
    let network_bound = link.iter().any(|w| !w.fits) || transfers.iter().any(|t| t.exceeds_link);
    let faster_than_link = faster_than_link(scenario, time, &transfers, &bandwidth);
    Some(NetworkModel {
        faster_than_link,
        link,
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
        for window in &self.link {
            figures.extend([&window.bytes as &dyn AnyFig, &window.link_time]);
        }
        for faster in &self.faster_than_link {
            figures.push(&faster.rate);
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
        network(s, &f, &t, None, &Calendar::new(s)).unwrap()
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
