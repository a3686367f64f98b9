//! The `estimate` report: a summary and one section per model.

use crate::figure::{Fig, Source, Working};
use crate::model::Estimate;
use crate::scenario::{Bound, Scenario, Work};
use crate::uncertainty::{Cases, Drivers, FigureRange, Method, Uncertainty};
use crate::units::{human_bit_rate, human_usd, plural, significant};

use super::conventions;
use crate::report::{Document, Section};

pub fn percent(ratio: f64) -> String {
    format!("{}%", crate::units::significant(ratio * 100.0, 3))
}

fn times(ratio: &Fig<crate::units::Ratio>) -> String {
    format!("{}×", ratio.human())
}

fn bound(bound: Bound) -> &'static str {
    match bound {
        Bound::Io => "io",
        Bound::Cpu => "cpu",
    }
}

/// "met, 15 min to spare" or "missed by 6.5 h".
pub fn deadline_verdict(estimate: &Estimate) -> String {
    let time = &estimate.time;
    match (&time.deadline, &time.slack) {
        (Some(deadline), Some(slack)) if slack.base() >= 0.0 => {
            format!("{}: met, {} to spare", deadline.human(), slack.human())
        }
        (Some(deadline), Some(slack)) => format!(
            "{}: MISSED by {}",
            deadline.human(),
            crate::units::human_duration(-slack.base())
        ),
        _ => "none set".into(),
    }
}

pub fn memory_verdict(estimate: &Estimate) -> String {
    let memory = &estimate.memory;
    let peak = format!("{} in {}", memory.peak.human(), memory.peak_stage_name());
    match (&memory.memory_per_worker, &memory.headroom) {
        (Some(available), Some(headroom)) if headroom.base() >= 0.0 => {
            format!("{peak} (fits {} per worker)", available.human())
        }
        (Some(available), Some(headroom)) => format!(
            "{peak} (does NOT fit {} per worker: {} short)",
            available.human(),
            crate::units::human_bytes(-headroom.base())
        ),
        _ => peak,
    }
}

/// What the command line changed, so a what-if report says so at the top.
fn what_if(scenario: &Scenario) -> Vec<String> {
    let mut lines = Vec::new();
    if let Source::Cli(option) = &scenario.workers.source {
        lines.push(format!(
            "What-if: {} ({option})",
            plural(scenario.workers.base(), "worker")
        ));
    }
    if let Some(factor) = &scenario.volume_factor {
        lines.push(format!(
            "What-if: {} the events per day (--scale); distinct keys stay as they are unless `keys_grow: true`",
            times(factor)
        ));
    }
    lines
}

pub fn document(scenario: &Scenario, estimate: &Estimate, explain: bool) -> Document {
    document_with(scenario, estimate, None, explain)
}

/// The estimate's report, with its ranges when the scenario has some.
pub fn document_with(
    scenario: &Scenario,
    estimate: &Estimate,
    study: Option<&Uncertainty>,
    explain: bool,
) -> Document {
    let mut intro: Vec<String> = scenario.description.iter().cloned().collect();
    intro.extend(what_if(scenario));
    let mut sections = vec![summary(estimate)];
    if let Some(study) = study {
        sections.extend(uncertainty(study));
    }
    if explain {
        let mut inputs = Section::new("Inputs", &["Input", "Value", "From"]);
        for input in scenario.inputs() {
            inputs.row([
                input.symbol.clone(),
                input.result.clone(),
                input.source.clone(),
            ]);
        }
        sections.push(inputs);
    }
    sections.push(flow(estimate));
    let mut time_section = time(scenario, estimate);
    time_section.charts.push(super::charts::timeline(estimate));
    sections.push(time_section);
    sections.push(memory(estimate));
    if !estimate.storage.datasets.is_empty() {
        let mut storage_section = storage(estimate);
        storage_section
            .charts
            .extend(super::charts::storage(estimate));
        sections.push(storage_section);
    }
    if estimate.network.is_some() {
        sections.push(network(estimate));
    }
    if let Some(reliability) = &estimate.reliability {
        sections.push(reliability_section(reliability));
    }
    if let Some(quality) = &estimate.quality {
        sections.push(quality_section(quality));
    }
    if let Some(stream) = &estimate.streaming {
        sections.push(streaming_section(stream));
    }
    let mut cost_section = cost(estimate);
    cost_section
        .charts
        .push(super::charts::cost_shares(estimate));
    sections.push(cost_section);
    Document {
        title: format!("pipecalc estimate: {} ({})", scenario.name, scenario.file),
        intro,
        sections,
        conventions: conventions(estimate.calendar.days_per_month.base()),
    }
}

pub fn summary(estimate: &Estimate) -> Section {
    let e = estimate;
    let mut section = Section::new("Summary", &["Figure", "Value"]);
    section
        .row(["Events per day", &e.flow.events_per_day.human()])
        .row(["Raw data per day", &e.flow.raw_bytes_per_day.human()])
        .row(["Output per day", &e.flow.output_bytes_per_day.human()])
        .row(["Reduction, raw → output", &times(&e.flow.reduction_ratio)])
        .row(["Sequential time", &e.time.sequential.human()])
        .row([
            format!("Parallel time, {}", plural(e.time.workers.base(), "worker")),
            e.time.parallel.human(),
        ]);
    if let Some(stream) = &e.streaming {
        section.row([
            "Streaming fleet".to_string(),
            format!(
                "{} workers always on ({} for the peak of {} events/s){}",
                significant(stream.fleet.base(), 4),
                significant(stream.workers_for_peak.base(), 4),
                crate::units::human_count(stream.peak_rate.base()),
                if stream.hybrid {
                    "; hybrid: the daily batch runs too"
                } else {
                    ""
                }
            ),
        ]);
        section.row([
            "Streaming latency".to_string(),
            match stream.latency_met {
                Some(true) => format!("{}: within the target", stream.latency.human()),
                Some(false) => format!("{}: MISSES the target", stream.latency.human()),
                None => stream.latency.human(),
            },
        ]);
        if stream.network_bound == Some(true) {
            section.row([
                "Network".to_string(),
                format!(
                    "BOUND: the peak needs {}/s, more than the link",
                    crate::units::human_bytes(stream.peak_bytes_per_s.base())
                ),
            ]);
        }
    }
    if let Some(runs) = &e.time.runs {
        section.row([
            "Schedule".to_string(),
            format!(
                "every {}: {} runs a day of {} each",
                runs.period.human(),
                significant(runs.runs_per_day.base(), 4),
                runs.run.human()
            ),
        ]);
        if runs.piles_up {
            section.row([
                "Runs pile up".to_string(),
                format!(
                    "YES: a run takes {}, longer than the {} between runs; the next starts before it ends",
                    runs.run.human(),
                    runs.period.human()
                ),
            ]);
        }
    }
    section
        .row([
            "Bottleneck stage".to_string(),
            format!(
                "{} ({})",
                e.time.bottleneck_name(),
                e.time.bottleneck_time.human()
            ),
        ])
        .row(["Deadline".to_string(), deadline_verdict(e)])
        .row(["Peak memory per worker".to_string(), memory_verdict(e)]);
    if let Some(network) = &e.network {
        section.row(["Network moved per day", &network.bytes_per_day.human()]);
    }
    section
        .row(["Compute per day", &e.cost.compute_usd_per_day.human()])
        .row(["Storage, month 1", &e.cost.storage_usd_month1.human()])
        .row([
            "Storage per month, steady state",
            &e.cost.storage_usd_per_month_steady.human(),
        ])
        .row(["Network per month", &e.cost.network_usd_per_month.human()])
        .row([
            "Total per month (steady state)",
            &e.cost.total_usd_per_month.human(),
        ]);
    section
}

fn flow(estimate: &Estimate) -> Section {
    let flow = &estimate.flow;
    let mut section = Section::new(
        "Flow (per day)",
        &["Stage", "Rows in", "Bytes in", "Rows out", "Bytes out"],
    );
    let mut working: Vec<Working> = flow.volume_factor.iter().map(Fig::working).collect();
    if flow.volume_factor.is_some() {
        working.push(flow.events_per_day.working());
    }
    working.push(flow.raw_bytes_per_day.working());
    for stage in &flow.stages {
        section.row([
            stage.name.clone(),
            stage.rows_in.human(),
            stage.bytes_in.human(),
            stage.rows_out.human(),
            stage.bytes_out.human(),
        ]);
        working.extend(stage.keys_scaled.iter().map(Fig::working));
        working.push(stage.rows_out.working());
        working.push(stage.bytes_out.working());
    }
    working.push(flow.output_bytes_per_day.working());
    working.push(flow.reduction_ratio.working());
    section.note(format!(
        "reduction raw → output: {} ÷ {} = {}",
        flow.raw_bytes_per_day.human(),
        flow.output_bytes_per_day.human(),
        times(&flow.reduction_ratio)
    ));
    section.working = working;
    section
}

fn time(scenario: &Scenario, estimate: &Estimate) -> Section {
    let time = &estimate.time;
    let workers = plural(time.workers.base(), "worker");
    let with_n = format!("With {workers}");
    let mut section = Section::new(
        "Time (one run)",
        &[
            "Stage",
            "Bound",
            "Per worker",
            "1 worker",
            "Share",
            "Parallel model",
            &with_n,
        ],
    );
    let mut working = Vec::new();
    for (stage, timed) in scenario.stages.iter().zip(&time.stages) {
        let per_worker = match &stage.work {
            Work::ByteThroughput(rate) => rate.human(),
            Work::EventThroughput(rate) => rate.human(),
            Work::Duration(given) => format!("given {}", given.human()),
        };
        section.row([
            stage.name.clone(),
            bound(stage.bound).to_string(),
            per_worker,
            timed.time.human(),
            percent(timed.time.base() / time.sequential.base()),
            timed.model_label(),
            timed.parallel_time.human(),
        ]);
        working.extend(timed.floor.iter().map(Fig::working));
        working.push(timed.time.working());
    }
    working.push(time.sequential.working());
    if !time.lecture_rule {
        for timed in &time.stages {
            if timed.speedup.symbol().starts_with("S[") {
                working.push(timed.speedup.working());
            }
            working.push(timed.parallel_time.working());
        }
    }
    working.push(time.parallel.working());
    working.push(time.bottleneck_time.working());
    working.push(time.speedup.working());
    working.push(time.efficiency.working());
    let rule = if time.lecture_rule {
        "T_sequential ÷ N, the lecture's rule".to_string()
    } else {
        "the sum of each stage's time under its parallel model".to_string()
    };
    section
        .note(format!("sequential: {}", time.sequential.human()))
        .note(format!(
            "parallel with {workers}: {} ({rule}); speed-up {}×, efficiency {}",
            time.parallel.human(),
            crate::units::significant(time.speedup.base(), 3),
            percent(time.efficiency.base())
        ))
        .note(format!(
            "bottleneck: {} at {}",
            time.bottleneck_name(),
            time.bottleneck_time.human()
        ));
    for timed in &time.stages {
        if let Some(resource) = &timed.limited_by {
            section.note(format!(
                "{} is held back by {}: at least {} whatever the number of workers",
                timed.name,
                super::limit(resource),
                timed.floor.as_ref().map_or_else(String::new, |f| f.human())
            ));
        }
    }
    section.note(format!("deadline: {}", deadline_verdict(estimate)));
    if let Some(slack) = &time.slack {
        working.push(slack.working());
    }
    section.working = working;
    section
}

fn memory(estimate: &Estimate) -> Section {
    let memory = &estimate.memory;
    let mut section = Section::new("Memory", &["Stage", "Working set", "Per worker"]);
    let mut working = Vec::new();
    for stage in &memory.stages {
        section.row([
            stage.name.clone(),
            stage.working_set.human(),
            stage.per_worker.human(),
        ]);
        working.push(stage.working_set.working());
        working.push(stage.per_worker.working());
    }
    working.push(memory.peak.working());
    working.extend(memory.headroom.iter().map(Fig::working));
    working.extend(memory.partitions_to_fit.iter().map(Fig::working));
    section.note(format!("peak: {}", memory_verdict(estimate)));
    if let Some(partitions) = &memory.partitions_to_fit {
        section.note(format!(
            "the lecture's 'resource exhaustion': split `{}`'s data into {} partitions (⌈{} ÷ {}⌉) processed one at a time, or spread it over that many times the workers, or give each worker more memory",
            memory.peak_stage_name(),
            significant(partitions.base(), 6),
            memory.peak.human(),
            memory
                .memory_per_worker
                .as_ref()
                .map_or_else(String::new, |m| m.human())
        ));
    }
    section.working = working;
    section
}

fn storage(estimate: &Estimate) -> Section {
    let storage = &estimate.storage;
    let mut section = Section::new(
        "Storage",
        &[
            "Dataset",
            "Of",
            "Per day",
            "Retention",
            "Compression",
            "Stored, month 1",
            "Cost, month 1",
            "Stored, steady",
            "Cost/month, steady",
        ],
    );
    let mut working = Vec::new();
    for dataset in &storage.datasets {
        section.row([
            dataset.name.clone(),
            dataset.of.clone(),
            dataset.bytes_per_day.human(),
            format!("{} days", dataset.retention_days.human()),
            times(&dataset.compression_ratio),
            dataset.stored_month1_compressed.human(),
            dataset.usd_month1.human(),
            dataset.stored_steady_compressed.human(),
            dataset.usd_per_month_steady.human(),
        ]);
        working.push(dataset.retention_days.working());
        working.extend(
            [
                &dataset.bytes_per_day,
                &dataset.stored_month1,
                &dataset.stored_month1_compressed,
                &dataset.stored_steady,
                &dataset.stored_steady_compressed,
            ]
            .map(Fig::working),
        );
        working.push(dataset.usd_month1.working());
        working.push(dataset.usd_per_month_steady.working());
    }
    let cost = &estimate.cost;
    section.row([
        "total".to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        cost.storage_usd_month1.human(),
        String::new(),
        cost.storage_usd_per_month_steady.human(),
    ]);
    working.push(estimate.calendar.days_per_month.working());
    working.push(cost.storage_usd_month1.working());
    working.push(cost.storage_usd_per_month_steady.working());
    section
        .note(format!(
            "month 1: the first {} days of data, the bill for the first month (the lecture's \"5 GB/day × 30 days\")",
            estimate.calendar.days_per_month.human()
        ))
        .note("steady: once retention is full, what every later month costs");
    section.working = working;
    section
}

fn network(estimate: &Estimate) -> Section {
    let network = estimate.network.as_ref().expect("checked by the caller");
    let mut section = Section::new(
        "Network",
        &[
            "Transfer",
            "Of",
            "Direction",
            "Per day",
            "Time at link",
            "Needed in window",
            "Cost/day",
            "Cost/month",
        ],
    );
    let mut working = Vec::new();
    for transfer in &network.transfers {
        let needed = match (&transfer.required_bandwidth, &transfer.window) {
            (Some(rate), Some(window)) => {
                format!("{} in {}", human_bit_rate(rate.base()), window.human())
            }
            _ => "no window".into(),
        };
        section.row([
            transfer.name.clone(),
            transfer.of.clone(),
            transfer.direction.to_string(),
            transfer.bytes_per_day.human(),
            transfer.transfer_time.human(),
            needed,
            transfer.usd_per_day.human(),
            transfer.usd_per_month.human(),
        ]);
        working.push(transfer.bytes_per_day.working());
        working.push(transfer.transfer_time.working());
        working.extend(transfer.required_bandwidth.iter().map(Fig::working));
        working.push(transfer.usd_per_day.working());
        working.push(transfer.usd_per_month.working());
    }
    working.push(network.bytes_per_day.working());
    working.push(network.egress_usd_per_day.working());
    working.push(network.egress_usd_per_month.working());
    working.push(network.ingress_usd_per_month.working());
    working.push(network.usd_per_day.working());
    working.push(network.usd_per_month.working());
    section
        .note(format!(
            "link: {} = {}",
            human_bit_rate(network.bandwidth.base()),
            network.bandwidth.human()
        ))
        .note(format!(
            "moved per day: {}; egress {}/day, {}/month; ingress {}/month",
            network.bytes_per_day.human(),
            network.egress_usd_per_day.human(),
            network.egress_usd_per_month.human(),
            network.ingress_usd_per_month.human()
        ));
    let over: Vec<String> = network
        .transfers
        .iter()
        .filter(|t| t.exceeds_link)
        .map(|t| t.name.clone())
        .collect();
    if over.is_empty() {
        section.note("bottleneck: not the network; every transfer fits its window on this link");
    } else {
        section.note(format!(
            "bottleneck: the NETWORK; {} needs more than the link within its window (parallel transfers or a faster link)",
            over.join(", ")
        ));
    }
    section.working = working;
    section
}

fn cost(estimate: &Estimate) -> Section {
    let cost = &estimate.cost;
    let network_per_day = estimate
        .network
        .as_ref()
        .map_or_else(|| human_usd(0.0), |n| n.usd_per_day.human());
    let mut section = Section::new("Cost", &["Item", "Per day", "Per month", "Share"]);
    section
        .row([
            "Compute".to_string(),
            cost.compute_usd_per_day.human(),
            cost.compute_usd_per_month.human(),
            percent(cost.compute_share.base()),
        ])
        .row([
            "Storage (steady state)".to_string(),
            String::new(),
            cost.storage_usd_per_month_steady.human(),
            percent(cost.storage_share.base()),
        ])
        .row([
            "Network".to_string(),
            network_per_day,
            cost.network_usd_per_month.human(),
            percent(cost.network_share.base()),
        ])
        .row([
            "Total".to_string(),
            String::new(),
            cost.total_usd_per_month.human(),
            "100%".to_string(),
        ]);
    section
        .note(format!(
            "compute: {} billed per worker × {} = {} of worker time",
            cost.billed_time_per_worker.human(),
            plural(estimate.time.workers.base(), "worker"),
            cost.worker_time.human()
        ))
        .note(format!(
            "storage in month 1 is {}; it grows to the steady figure as retention fills",
            cost.storage_usd_month1.human()
        ))
        .note(match &cost.warehouse_usd_per_day {
            Some(warehouse) => format!(
                "of the compute, {} a day is the warehouse's, billed by the bytes its stages and the queries scan; the rest is the cluster's",
                warehouse.human()
            ),
            None => String::new(),
        });
    section.working = [&cost.billed_time_per_worker, &cost.worker_time]
        .map(Fig::working)
        .into_iter()
        .chain(
            [
                &cost.compute_usd_per_day,
                &cost.compute_usd_per_month,
                &cost.total_usd_per_month,
            ]
            .map(Fig::working),
        )
        .chain(
            [
                &cost.compute_share,
                &cost.storage_share,
                &cost.network_share,
            ]
            .map(Fig::working),
        )
        .collect();
    section
}

fn range_cell(figure: &FigureRange) -> String {
    if let Some(cases) = figure.cases {
        return match cases {
            Cases::All => "yes in every case".into(),
            Cases::None => "no in every case".into(),
            Cases::Some => format!(
                "{} when likely; yes in some cases, no in others",
                figure.likely.human()
            ),
        };
    }
    if !figure.names.is_empty() {
        return figure.names.join(" or ");
    }
    match (&figure.low, &figure.high) {
        (Some(low), Some(high)) if low.number() == high.number() => figure.likely.human(),
        (Some(low), Some(high)) => format!(
            "{} ({} – {})",
            figure.likely.human(),
            low.human(),
            high.human()
        ),
        _ => figure.likely.human(),
    }
}

fn parsed_human(value: &crate::units::Parsed) -> String {
    use crate::units::{human_byte_rate, human_bytes, human_duration, human_usd, Parsed};
    match value {
        Parsed::Size(_) => human_bytes(value.base()),
        Parsed::Duration(_) => human_duration(value.base()),
        Parsed::ByteRate(_) => human_byte_rate(value.base()),
        Parsed::EventRate(_) => format!("{} events/s", significant(value.base(), 4)),
        Parsed::Number(_) => crate::units::human_count(value.base()),
        Parsed::Percent(_) => percent(value.base()),
        Parsed::Money(_) => human_usd(value.base()),
    }
}

/// "How sure is this?" and "What drives the answer": each figure as
/// `likely (low – high)`, the ranged inputs, and the tornado.
pub fn uncertainty(study: &Uncertainty) -> Vec<Section> {
    let mut sure = Section::new("How sure is this?", &["Figure", "Likely (low – high)"]);
    for figure in &study.figures {
        sure.row([figure.label.to_string(), range_cell(figure)]);
    }
    sure.note(match study.method {
        Method::Corners(n) => format!(
            "low and high: every figure at all {n} corners of the ranges (each input at its low or high end); exact, since every figure is monotone in each input"
        ),
        Method::Extremes(n) => format!(
            "low and high: {n} cases (all low, all high, each input alone at each end); too many ranges for every corner, so a bound can be loose"
        ),
    });
    for input in &study.inputs {
        sure.note(format!(
            "{} = {} (line {}): {} – {}, likely {}",
            input.key,
            input.text,
            input.line,
            parsed_human(&input.low),
            parsed_human(&input.high),
            parsed_human(&input.likely)
        ));
    }
    let mut sections = vec![sure];

    let headlines: Vec<&Drivers> = study.drivers.iter().collect();
    let mut columns = vec!["Input".to_string(), "Range".to_string()];
    columns.extend(headlines.iter().map(|d| {
        let label = d.headline.label();
        let mut chars = label.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
            .unwrap_or_default()
    }));
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut tornado = Section::new("What drives the answer", &column_refs);
    for input in &study.inputs {
        let mut row = vec![
            input.key.clone(),
            format!(
                "{} – {}",
                parsed_human(&input.low),
                parsed_human(&input.high)
            ),
        ];
        for drivers in &headlines {
            let cell = drivers
                .swings
                .iter()
                .find(|s| s.input == input.key)
                .map(|s| {
                    format!(
                        "{} → {} ({})",
                        drivers.headline.amount(s.at_low).human(),
                        drivers.headline.amount(s.at_high).human(),
                        percent(s.share)
                    )
                })
                .unwrap_or_else(|| "—".into());
            row.push(cell);
        }
        tornado.row(row);
    }
    for drivers in &headlines {
        if let Some(top) = drivers.swings.first().filter(|s| s.share > 0.0) {
            // Inputs that pull exactly as hard are named together.
            let tied: Vec<String> = drivers
                .swings
                .iter()
                .filter(|s| (s.share - top.share).abs() < 1e-9)
                .map(|s| format!("`{}`", s.input))
                .collect();
            let each = if tied.len() > 1 { " each" } else { "" };
            tornado.note(format!(
                "the {} range is driven by {} ({}{each})",
                drivers.headline.label(),
                tied.join(" and "),
                percent(top.share)
            ));
        }
    }
    tornado.note("each cell: the figure with that input at its low end → at its high end, the others likely; in brackets, its share of all the inputs' swings");
    sections.push(tornado);

    if let Some((count, percentiles)) = &study.samples {
        let mut sampled = Section::new(
            format!("Monte Carlo ({count} samples)"),
            &["Figure", "p5", "p50", "p95"],
        );
        for p in percentiles {
            let Some(figure) = study.figures.iter().find(|f| f.key == p.key) else {
                continue;
            };
            if figure.cases.is_some() {
                continue;
            }
            sampled.row([
                figure.label.to_string(),
                figure.likely.like(p.p5).human(),
                figure.likely.like(p.p50).human(),
                figure.likely.like(p.p95).human(),
            ]);
        }
        sampled.note("each ranged input drawn uniformly between its ends, from a seeded generator (--seed): the same scenario gives the same percentiles");
        sections.push(sampled);
    }
    sections
}

fn reliability_section(r: &crate::model::reliability::ReliabilityModel) -> Section {
    let mut section = Section::new("Reliability (one run a day)", &["Figure", "Value"]);
    // Reliability lives in the last digits: 99.95% is not 100%.
    let share = |f: &Fig<crate::units::Ratio>| format!("{}%", significant(f.base() * 100.0, 6));
    if r.checkpoints {
        section.row([
            "A stage succeeds within its attempts",
            &share(&r.stage_success),
        ]);
    } else {
        section.row([
            "One attempt of the whole run succeeds",
            &share(&r.attempt_success),
        ]);
    }
    section.row(["Runs that succeed", &share(&r.run_success)]);
    if let (Some(target), Some(met)) = (&r.target, r.target_met) {
        section.row([
            "Target".to_string(),
            format!("{}: {}", share(target), if met { "met" } else { "NOT met" }),
        ]);
    }
    section
        .row([
            "Failed attempts a day, on average".to_string(),
            significant(r.failures_per_day.base(), 4),
        ])
        .row([
            "Work redone a day (the expected delay)",
            &r.wasted_time.human(),
        ])
        .row([
            "Cost of the redone work".to_string(),
            format!(
                "{} a day, {} a month",
                r.wasted_usd_per_day.human(),
                r.wasted_usd_per_month.human()
            ),
        ])
        .row([
            "Runs a year that fail after every attempt".to_string(),
            significant(r.failed_runs_per_year.base(), 3),
        ]);
    if let Some(attempts) = r.attempts_for_target {
        section.row(["Fewest attempts for the target", &attempts.to_string()]);
    } else if r.target.is_some() {
        section.row(["Fewest attempts for the target", "more than 10"]);
    }
    if let Some(p_max) = &r.max_failure_for_target {
        section.row([
            "Highest failure rate per attempt for the target",
            &share(p_max),
        ]);
    }
    section.note(format!(
        "{}: {} of runs succeed and {} of work is redone a day; {}: {} and {}",
        if r.checkpoints {
            "with checkpoints (a failed stage reruns alone)"
        } else {
            "without checkpoints (the run restarts)"
        },
        share(&r.run_success),
        r.wasted_time.human(),
        if r.checkpoints {
            "without them"
        } else {
            "with them"
        },
        share(&r.other_run_success),
        r.other_wasted_time.human()
    ));
    section
        .note("the redone work is an expected cost, shown here and not added to the monthly total");
    section.working = vec![
        r.stage_success.working(),
        r.attempt_success.working(),
        r.run_success.working(),
        r.failures_per_day.working(),
        r.wasted_time.working(),
        r.wasted_usd_per_day.working(),
        r.wasted_usd_per_month.working(),
        r.failed_runs_per_year.working(),
    ];
    section
        .working
        .extend(r.max_failure_for_target.iter().map(Fig::working));
    section
}

fn quality_section(q: &crate::model::quality::QualityModel) -> Section {
    let mut section = Section::new(
        "Data quality (per day)",
        &["Pitfall", "Rows a day", "What it costs"],
    );
    let mut working = Vec::new();
    if let Some(rows) = &q.null_rows_per_day {
        section.row([
            "null keys".to_string(),
            rows.human(),
            match q.null_alert {
                Some(true) => format!(
                    "ALERT: above the {} threshold (fall back to another key, e.g. session_id)",
                    percent(q.null_alert_threshold.base())
                ),
                _ => format!("below the {} alert", percent(q.null_alert_threshold.base())),
            },
        ]);
        working.push(rows.working());
    }
    if let Some(rows) = &q.duplicate_rows_per_day {
        section.row([
            "duplicates".to_string(),
            rows.human(),
            "removed by deduplication".to_string(),
        ]);
        working.push(rows.working());
    }
    if let Some(rows) = &q.invalid_rows_per_day {
        let kept = match (&q.quarantine_bytes, &q.quarantine_usd_per_month) {
            (Some(bytes), Some(usd)) => format!(
                "quarantined: {} kept, {} a month",
                bytes.human(),
                usd.human()
            ),
            (Some(bytes), None) => {
                format!("quarantined: {} kept (no storage price)", bytes.human())
            }
            _ => "quarantined".to_string(),
        };
        section.row(["invalid events".to_string(), rows.human(), kept]);
        working.push(rows.working());
        working.extend(q.quarantine_bytes.iter().map(Fig::working));
        working.extend(q.quarantine_usd_per_month.iter().map(Fig::working));
    }
    if let (Some(rows), Some(delay), Some(latency), Some(usd)) = (
        &q.late_rows_per_day,
        &q.watermark_delay,
        &q.latency_with_watermark,
        &q.reprocess_usd_per_month,
    ) {
        section.row([
            "late events".to_string(),
            rows.human(),
            format!(
                "a watermark of {}: a day's data is final {} after it ends; re-running the part late events reach costs {} a month",
                delay.human(),
                latency.human(),
                usd.human()
            ),
        ]);
        working.push(rows.working());
        working.push(latency.working());
        working.extend(q.reprocess_time.iter().map(Fig::working));
        working.push(usd.working());
    }
    section.note("counts are the day's events × each defect's share; quarantine and reprocessing are reported here, not added to the monthly total");
    section.working = working;
    section
}

fn streaming_section(s: &crate::model::streaming::StreamingModel) -> Section {
    let mut section = Section::new("Streaming (always on)", &["Figure", "Value"]);
    let rate = |f: &Fig<uom::si::f64::Frequency>| {
        format!("{} events/s", crate::units::human_count(f.base()))
    };
    section
        .row(["Average rate".to_string(), rate(&s.average_rate)])
        .row(["Peak rate".to_string(), rate(&s.peak_rate)])
        .row([
            "One worker keeps up with".to_string(),
            rate(&s.capacity_per_worker),
        ])
        .row([
            "Workers for the peak".to_string(),
            significant(s.workers_for_peak.base(), 6),
        ])
        .row([
            "Workers for the average".to_string(),
            significant(s.workers_for_average.base(), 6),
        ])
        .row([
            "Fleet, on average".to_string(),
            significant(s.fleet.base(), 6),
        ])
        .row([
            "Compute".to_string(),
            format!(
                "{} a day, {} a month",
                s.compute_usd_per_day.human(),
                s.compute_usd_per_month.human()
            ),
        ])
        .row([
            "Latency (window + processing)".to_string(),
            s.latency.human(),
        ])
        .row([
            "Network at the peak".to_string(),
            format!(
                "{}/s{}",
                crate::units::human_bytes(s.peak_bytes_per_s.base()),
                match s.network_bound {
                    Some(true) => ": more than the link carries",
                    Some(false) => ": within the link",
                    None => "",
                }
            ),
        ]);
    if let Some(state) = &s.state_usd_per_month {
        section.row([
            "State and checkpoints".to_string(),
            format!("{} a month", state.human()),
        ]);
    }
    section.note("one worker keeps up with the day's events ÷ the day's one-worker time; the fleet is sized for the peak with headroom, or follows the average above `min_workers`; it runs all day, and the Cost section bills it");
    if s.hybrid {
        section.note("hybrid (batch for history, stream for recent): the stream serves recent data within its latency, the daily batch recomputes the day within the deadline, and the Cost section pays both");
    }
    section.working = vec![
        s.average_rate.working(),
        s.peak_rate.working(),
        s.capacity_per_worker.working(),
        s.workers_for_peak.working(),
        s.workers_for_average.working(),
        s.fleet.working(),
        s.compute_usd_per_day.working(),
        s.latency.working(),
        s.peak_bytes_per_s.working(),
    ];
    section
}
