//! The `estimate` report: the summary, then one section per model. Each
//! section's table and notes are words; its working is the model's own list
//! of figures ([`Explain`]), so no figure is explained in one place and
//! forgotten in another.

use crate::figure::{Explain, Fig, Source, Working};
use crate::model::cost::Billing;
use crate::model::summary::SUMMARY;
use crate::model::Estimate;
use crate::scenario::{Bound, Mode, Scenario, Work};
use crate::study::uncertainty::Uncertainty;
use crate::units::{human_bit_rate, plural, significant};

use super::{conventions, percent};
use crate::report::{Document, Section};

fn times(ratio: &Fig<crate::units::Ratio>) -> String {
    format!("{}×", ratio.human())
}

fn bound(bound: Bound) -> &'static str {
    match bound {
        Bound::Io => "io",
        Bound::Cpu => "cpu",
    }
}

/// A stream that cannot keep up with its peak, in words: what caps it, and
/// what the peak leaves behind.
fn stream_backlog(stream: &crate::model::streaming::StreamingModel) -> String {
    if stream.keeps_up != Some(false) {
        return String::new();
    }
    let capacity = stream.capacity.as_ref().map_or_else(String::new, |c| {
        format!("{} events/s", crate::units::human_count(c.base()))
    });
    let cap = match &stream.capped_by {
        Some(stage) => format!("; `{stage}` caps it at {capacity}, below the peak"),
        None => format!("; it keeps up with {capacity}, below the peak"),
    };
    match &stream.backlog {
        Some(backlog) => format!(
            "{cap}: after its {} peak the oldest data is {} old ({})",
            backlog.peak_duration.human(),
            backlog.worst_age.human(),
            backlog.drain.as_ref().map_or_else(
                || "never drained".to_string(),
                |d| format!("drained in {}", d.human())
            )
        ),
        None => format!("{cap}: it falls behind for as long as the peak lasts"),
    }
}

/// "data up to 24.75 h old (12.75 h on average)", against its target.
pub fn freshness_verdict(estimate: &Estimate) -> String {
    let f = &estimate.freshness;
    let age = format!(
        "data up to {} old when available ({} on average)",
        f.age.worst.human(),
        f.age.average.human()
    );
    match (&f.target, f.met) {
        (Some(target), Some(true)) => format!("{age}: within the {} target", target.human()),
        (Some(target), _) => format!("{age}: NOT within the {} target", target.human()),
        _ => age,
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
    // A node's memory is not a task's: a shuffle's task spills long
    // before the node's memory is full.
    let spilling = memory.spilling_stage.as_ref().and_then(|stage| {
        let timed = estimate.time.stages.iter().find(|s| &s.name == stage)?;
        let spill = timed.engine.as_ref()?.spill.as_ref()?;
        Some(format!(
            "but a task of `{stage}` holds {} against the {} the engine gives it: it SPILLS",
            spill.task_holds.human(),
            spill.task_memory.human()
        ))
    });
    match (&memory.memory_per_worker, &memory.headroom) {
        (Some(available), Some(headroom)) if headroom.base() >= 0.0 => match spilling {
            Some(spilling) => format!("{peak} (fits {} per worker, {spilling})", available.human()),
            None => format!("{peak} (fits {} per worker)", available.human()),
        },
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
    let e = estimate;
    let mut intro: Vec<String> = scenario.description.iter().cloned().collect();
    intro.extend(what_if(scenario));
    let mut sections = vec![summary(e)];
    if let Some(study) = study {
        sections.extend(super::uncertainty::sections(study));
    }
    if explain {
        sections.push(inputs(scenario));
    }
    sections.push(flow(e));
    sections.push(time(scenario, e));
    if e.time
        .stages
        .iter()
        .any(|s| s.engine.is_some() || s.workers_used.is_some())
    {
        sections.push(cluster_terms(e));
    }
    sections.push(freshness(e));
    sections.push(memory(e));
    if !e.storage.datasets.is_empty() {
        sections.push(storage(e));
    }
    if e.network.is_some() {
        sections.push(network(e));
    }
    sections.extend(e.reliability.as_ref().map(reliability));
    sections.extend(e.quality.as_ref().map(quality));
    sections.extend(e.streaming.as_ref().map(streaming));
    sections.push(cost(e));
    Document {
        title: format!("pipecalc estimate: {} ({})", scenario.name, scenario.file),
        intro,
        sections,
        conventions: conventions(e),
    }
}

/// The summary's figures, from the one list every command shows
/// ([`SUMMARY`]), and the verdicts in words.
pub fn summary(estimate: &Estimate) -> Section {
    let e = estimate;
    let mut section = Section::new("Summary", &["Figure", "Value"]);
    for entry in SUMMARY {
        let amount = entry.value(e);
        if !amount.is_absent() {
            section.row([entry.label.to_string(), amount.human()]);
        }
    }
    section.note(format!("freshness: {}", freshness_verdict(e)));
    if e.mode != Mode::Stream {
        section.note(format!("deadline: {}", deadline_verdict(e)));
        let runs = &e.time.runs;
        if runs.scheduled {
            section.note(format!(
                "schedule: every {}, {} runs a day of {} each",
                runs.period.human(),
                significant(runs.runs_per_day.base(), 4),
                runs.run.human(),
            ));
        }
        if runs.piles_up {
            section.note(format!(
                "runs PILE UP: a run takes {}, longer than the {} between runs; the next starts before it ends",
                runs.run.human(),
                runs.period.human()
            ));
        }
    }
    section.note(format!("peak memory per worker: {}", memory_verdict(e)));
    if let Some(stream) = &e.streaming {
        section.note(format!(
            "stream: {} always on ({} for the peak of {} events/s), latency {}{}{}{}",
            plural(stream.fleet.base(), "worker"),
            significant(stream.workers_for_peak.base(), 4),
            crate::units::human_count(stream.peak_rate.base()),
            stream.latency.human(),
            stream_backlog(stream),
            match stream.latency_met {
                Some(true) => ", within the target",
                Some(false) => ", MISSING the target",
                None => "",
            },
            if stream.hybrid {
                "; hybrid: the daily batch runs too"
            } else {
                ""
            }
        ));
    }
    section
}

/// `estimate --format csv`: one row per figure, the scenario's inputs first
/// and then every figure the models compute, each with its value in base
/// units (as the JSON writes it), its unit, and its working.
pub fn csv(scenario: &Scenario, estimate: &Estimate) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut listed: Vec<String> = Vec::new();
    let mut row = |kind: &str, value: String, unit: &str, working: Working| {
        if listed.contains(&working.symbol) {
            return;
        }
        listed.push(working.symbol.clone());
        rows.push(vec![
            kind.to_string(),
            working.symbol,
            value,
            unit.to_string(),
            working.result,
            working.formula.unwrap_or_default(),
            working.working.unwrap_or_default(),
            working.source,
        ]);
    };
    scenario
        .clone()
        .inputs_mut(&mut |fig| row("input", fig.json(), fig.unit(), fig.working()));
    for fig in estimate.figures() {
        let kind = if fig.is_input() { "input" } else { "figure" };
        row(kind, fig.json(), fig.unit(), fig.working());
    }
    crate::report::csv::table(
        &[
            "kind", "figure", "value", "unit", "result", "formula", "working", "source",
        ],
        &rows,
    )
}

/// The scenario's inputs, each with where it came from (`--explain`).
fn inputs(scenario: &Scenario) -> Section {
    let mut section = Section::new("Inputs", &["Input", "Value", "From"]);
    for input in scenario.inputs() {
        section.row([input.symbol, input.result, input.source]);
    }
    section
}

fn flow(estimate: &Estimate) -> Section {
    let flow = &estimate.flow;
    let mut section = Section::new(
        "Flow (per day)",
        &["Stage", "Rows in", "Bytes in", "Rows out", "Bytes out"],
    );
    for stage in &flow.stages {
        section.row([
            stage.name.clone(),
            stage.rows_in.human(),
            stage.bytes_in.human(),
            stage.rows_out.human(),
            stage.bytes_out.human(),
        ]);
    }
    section.note(format!(
        "reduction raw → output: {} ÷ {} = {}",
        flow.raw_bytes_per_day.human(),
        flow.output_bytes_per_day.human(),
        times(&flow.reduction_ratio)
    ));
    section.working = flow.workings();
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
    let scheduled = time.runs.scheduled;
    let sequential_run = time.sequential_run.as_ref().unwrap_or(&time.sequential);
    for (stage, timed) in scenario.stages.iter().zip(&time.stages) {
        let per_worker = match &stage.work {
            Work::ByteThroughput(rate) => rate.human(),
            Work::EventThroughput(rate) => rate.human(),
            Work::Duration(given) if scheduled => format!("given {} a day", given.human()),
            Work::Duration(given) => format!("given {}", given.human()),
            Work::StartupOnly => "start-up only".to_string(),
        };
        let model = if stage.in_warehouse {
            "the warehouse's own rate".to_string()
        } else {
            timed.model_label()
        };
        section.row([
            stage.name.clone(),
            bound(stage.bound).to_string(),
            per_worker,
            timed.time.human(),
            percent(timed.time.base() / sequential_run.base()),
            model,
            timed.parallel_time.human(),
        ]);
    }
    if scheduled {
        section.note(format!(
            "each run takes its share of the day's data: 1 of {} runs a day",
            significant(time.runs.runs_per_day.base(), 4)
        ));
    }
    let rule = if time.lecture_rule {
        "T_sequential ÷ N, the lecture's rule"
    } else if time.fixed.is_some() {
        "the sum of each stage's time under its parallel model, plus the fixed costs, which no worker shortens"
    } else {
        "the sum of each stage's time under its parallel model"
    };
    if let Some(fixed) = &time.fixed {
        let mut parts: Vec<String> = Vec::new();
        if let Some(startup) = time.cluster.as_ref().and_then(|c| c.startup.as_ref()) {
            parts.push(format!("cluster start-up {}", startup.human()));
        }
        if let Some(overhead) = &time.overhead {
            parts.push(format!("run overhead {}", overhead.human()));
        }
        let startups: Vec<String> = time
            .stages
            .iter()
            .filter_map(|s| {
                s.startup
                    .as_ref()
                    .map(|f| format!("{} {}", s.name, f.human()))
            })
            .collect();
        if !startups.is_empty() {
            parts.push(format!("startup: {}", startups.join(", ")));
        }
        section.note(format!(
            "fixed costs: {} a run ({}), whatever the data or the workers; every run of a schedule or micro-batch pays them again{}",
            fixed.human(),
            parts.join("; "),
            time.fixed_share.as_ref().map_or_else(String::new, |share| format!(
                "; they are {} of a run's time",
                percent(share.base())
            ))
        ));
    }
    if scheduled {
        section.note(format!(
            "sequential: {} a run, {} a day",
            sequential_run.human(),
            time.sequential.human()
        ));
        section.note(format!(
            "a run with {workers}: {} ({rule}); a day: {} runs × {} = {}; speed-up {}×, efficiency {}",
            time.runs.run.human(),
            significant(time.runs.runs_per_day.base(), 4),
            time.runs.run.human(),
            time.parallel.human(),
            crate::units::significant(time.speedup.base(), 3),
            percent(time.efficiency.base())
        ));
    } else {
        section
            .note(format!("sequential: {}", time.sequential.human()))
            .note(format!(
                "parallel with {workers}: {} ({rule}); speed-up {}×, efficiency {}",
                time.parallel.human(),
                crate::units::significant(time.speedup.base(), 3),
                percent(time.efficiency.base())
            ));
    }
    section.note(format!(
        "bottleneck: {} at {}{}",
        time.bottleneck_name(),
        time.bottleneck_time.human(),
        if scheduled { " a run" } else { "" }
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
    section.working = time.workings();
    section.charts.push(super::charts::timeline(estimate));
    section
}

/// What a real cluster adds to each stage it applies to: the bytes it
/// shuffles, each worker's network and disk time, its tasks' memory and
/// spill, its slowest task, and which of CPU, network and disk sets it.
fn cluster_terms(estimate: &Estimate) -> Section {
    use crate::model::engine::{Bottleneck, JoinKind};
    let mut section = Section::new(
        "The cluster (one run)",
        &[
            "Stage",
            "Shuffled",
            "Network (card)",
            "Disk",
            "Task memory",
            "Slowest task",
            "CPU",
            "Set by",
        ],
    );
    let or_dash = |f: Option<String>| f.unwrap_or_else(|| "—".to_string());
    for timed in &estimate.time.stages {
        let name = &timed.name;
        if let Some(used) = &timed.workers_used {
            section.note(format!(
                "{name} runs at most {} at once, whatever the workers: it uses {}",
                plural(used.base(), "task"),
                plural(used.base(), "worker")
            ));
        }
        let Some(engine) = &timed.engine else {
            continue;
        };
        let memory = engine.spill.as_ref().map(|spill| {
            if spill.spills {
                format!(
                    "holds {}, given {}: SPILLS {}",
                    spill.task_holds.human(),
                    spill.task_memory.human(),
                    spill
                        .spilled
                        .as_ref()
                        .map_or_else(String::new, |b| b.human())
                )
            } else {
                format!(
                    "holds {}, given {}: fits",
                    spill.task_holds.human(),
                    spill.task_memory.human()
                )
            }
        });
        let slowest = engine.tasks.as_ref().map(|tasks| {
            format!(
                "{}× ({} tasks, {} waves)",
                significant(tasks.slowest.base(), 3),
                significant(tasks.tasks.base(), 6),
                significant(tasks.waves.base(), 6)
            )
        });
        section.row([
            name.clone(),
            or_dash(engine.shuffle.as_ref().map(|f| f.human())),
            or_dash(engine.network.as_ref().map(|f| f.human()).or_else(|| {
                engine
                    .card_bytes
                    .as_ref()
                    .map(|b| format!("{} (no card given)", b.human()))
            })),
            or_dash(engine.disk_total.as_ref().map(|f| f.human())),
            or_dash(memory),
            or_dash(slowest),
            engine.cpu.human(),
            match engine.bound_by {
                Bottleneck::Cpu => "CPU",
                Bottleneck::NetworkCard => "network card",
                Bottleneck::Disk => "disk",
            }
            .to_string(),
        ]);
        if let Some(join) = &engine.join {
            section.note(match join.kind {
                JoinKind::Broadcast => format!(
                    "{name} joins {}: below {}, broadcast: every worker receives it and holds it",
                    join.with.human(),
                    join.broadcast_below.human()
                ),
                JoinKind::Shuffled => format!(
                    "{name} joins {}: not below {}, so both inputs are shuffled by key",
                    join.with.human(),
                    join.broadcast_below.human()
                ),
            });
        }
        if let Some(spill) = engine.spill.as_ref().filter(|s| s.spills) {
            let cure = spill
                .partitions_to_fit
                .as_ref()
                .map_or_else(String::new, |p| {
                    format!(
                        "; with {} partitions (or more memory a task) it would not",
                        significant(p.base(), 6)
                    )
                });
            let time = if spill.time.is_some() {
                "its bytes are written and read back on each worker's disk"
            } else {
                "its disk time is not counted: give `worker.disk`"
            };
            section.note(format!("{name}'s tasks spill: {time}{cure}"));
        }
        if engine.shuffle.is_some() && engine.disk.is_none() {
            section.note(format!(
                "{name}'s shuffle on disk is not counted: give `worker.disk`"
            ));
        }
        if engine.card_bytes.is_some() && engine.network.is_none() {
            section.note(format!(
                "{name}'s bytes over each worker's card are not timed: give `network.card`"
            ));
        }
    }
    section.note("a stage's time with N workers is the slowest of its CPU (its slowest task included), each worker's network card and each worker's disk, since tasks overlap them");
    section
}

fn freshness(estimate: &Estimate) -> Section {
    let f = &estimate.freshness;
    let mut section = Section::new(
        "Freshness (how old data is when available)",
        &["Part", "Oldest", "On average"],
    );
    let part = match estimate.mode {
        Mode::Batch if estimate.time.runs.scheduled => "each run",
        Mode::Batch => "the daily run",
        Mode::Stream | Mode::Hybrid => "the stream",
    };
    section.row([part.to_string(), f.age.worst.human(), f.age.average.human()]);
    if let Some(batch) = &f.batch {
        section.row([
            "the daily batch (history)".to_string(),
            batch.worst.human(),
            batch.average.human(),
        ]);
    }
    section.note(match estimate.mode {
        Mode::Batch => "a batch collects events for its period, waits for late data (the watermark), then runs: the oldest event waits the whole period, the average one half",
        _ => "a stream collects a window, waits for late data (the watermark), then its fleet processes it",
    });
    section.note(format!("freshness: {}", freshness_verdict(estimate)));
    section.working = f.workings();
    section
}

fn memory(estimate: &Estimate) -> Section {
    let memory = &estimate.memory;
    let mut section = Section::new("Memory", &["Stage", "Working set", "Per worker"]);
    for stage in &memory.stages {
        section.row([
            stage.name.clone(),
            stage.working_set.human(),
            stage.per_worker.human(),
        ]);
    }
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
    section.working = memory.workings();
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
    }
    let mut total = vec![String::new(); 9];
    total[0] = "total".into();
    total[6] = storage.usd_month1.human();
    total[8] = storage.usd_per_month_steady.human();
    section.row(total);
    section
        .note(format!(
            "month 1: the first {} days of data, the bill for the first month (the lecture's \"5 GB/day × 30 days\")",
            estimate.calendar.days_per_month.human()
        ))
        .note("steady: once retention is full, what every later month costs");
    // The month's length is what turns a day's bytes into a month's.
    section.working = estimate.calendar.workings();
    section.working.extend(storage.workings());
    section.charts.extend(super::charts::storage(estimate));
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
    }
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
    // Everything that crosses the one link shares it: each window with
    // what is due in it, summed.
    for window in &network.link {
        section.note(format!(
            "within {}: {} ({}) take {} of the link: {}",
            window.window.human(),
            window.carries.join(" + "),
            window.bytes.human(),
            window.link_time.human(),
            if window.fits { "fits" } else { "does NOT fit" }
        ));
    }
    for faster in &network.faster_than_link {
        section.note(format!(
            "stage {} moves `{}` at {} in its own time, faster than the {} link carries it: give it `shares: network` so the link caps it",
            faster.stage,
            faster.transfer,
            human_bit_rate(faster.rate.base()),
            human_bit_rate(network.bandwidth.base())
        ));
    }
    section.note(if network.network_bound {
        "bottleneck: the NETWORK; what must cross the link does not fit its window (spread the transfers out, or a faster link)".to_string()
    } else {
        "bottleneck: not the network; what crosses the link fits every window".to_string()
    });
    section.working = network.workings();
    section
}

fn cost(estimate: &Estimate) -> Section {
    let cost = &estimate.cost;
    let mut section = Section::new("Cost", &["Item", "Per day", "Per month", "Share"]);
    for line in cost.lines() {
        section.row([
            super::cost_item(line.item).to_string(),
            line.per_day.map_or_else(String::new, |day| day.human()),
            line.per_month.human(),
            percent(line.share.base()),
        ]);
    }
    section.row([
        "Total".to_string(),
        String::new(),
        cost.total_usd_per_month.human(),
        "100%".to_string(),
    ]);
    let billing = match (cost.billing, estimate.time.cluster.as_ref()) {
        (Billing::Fleet, _) => "a stream's fleet, billed all day".to_string(),
        (_, Some(cluster)) => cluster_billing(estimate, cluster),
        (_, None) => String::new(),
    };
    let workers = match (&estimate.streaming, cost.billing) {
        (Some(stream), Billing::Fleet) => {
            plural(stream.fleet.base(), "worker") + " (the stream's fleet)"
        }
        (Some(stream), _) => format!(
            "{} (the batch's), plus the stream's fleet of {} all day",
            plural(estimate.time.workers.base(), "worker"),
            significant(stream.fleet.base(), 4)
        ),
        (None, _) => plural(cost.workers_billed.base(), "worker"),
    };
    section
        .note(format!(
            "compute: {} billed per worker × {workers} = {} of worker time ({billing})",
            cost.billed_time_per_worker.human(),
            cost.worker_time.human()
        ))
        .note(format!(
            "storage in month 1 is {}; it grows to the steady figure as retention fills",
            cost.storage_usd_month1.human()
        ));
    if let Some(state) = &cost.state_usd_per_month {
        section.note(format!(
            "storage includes the stream's state and checkpoints, {} a month",
            state.human()
        ));
    }
    section.working = cost.workings();
    section.charts.push(super::charts::cost_shares(estimate));
    section
}

/// How the batch's cluster is billed, and what the other choice would bill.
fn cluster_billing(estimate: &Estimate, cluster: &crate::model::cluster::ClusterModel) -> String {
    use crate::model::cluster::{Chosen, Life};
    let runs = &estimate.time.runs;
    let other = cluster
        .other_billed_per_day()
        .map(|other| other.human())
        .unwrap_or_default();
    match (cluster.life, cluster.chosen) {
        (Life::None, _) => "no cluster: every stage runs in the warehouse, which bills the bytes it scans".to_string(),
        (Life::KeptUp, Chosen::Cheaper) => format!(
            "kept up all day: started for each of {} runs a day, each start rounded up to its billing increment, it would bill {other} a worker",
            significant(runs.runs_per_day.base(), 4)
        ),
        (Life::KeptUp, _) => format!(
            "kept up all day (`cluster.life: kept_up`); started for each run it would bill {other} a worker"
        ),
        (Life::PerRun, chosen) => {
            let start = cluster.startup.as_ref().map_or_else(
                || "no start-up time given (`cluster.startup`)".to_string(),
                |startup| format!("{} to start", startup.human()),
            );
            let each = cluster
                .billed_per_start
                .as_ref()
                .map_or_else(String::new, |billed| format!(", each start billed {}", billed.human()));
            let which = if chosen == Chosen::Written {
                " (`cluster.life: per_run`)"
            } else {
                ""
            };
            if runs.scheduled {
                format!(
                    "started for each run{which}: {start}{each}; kept up all day it would bill {other} a worker"
                )
            } else {
                format!("started for the day's run{which}: {start}{each}")
            }
        }
    }
}

fn reliability(r: &crate::model::reliability::ReliabilityModel) -> Section {
    let runs = significant(r.runs_per_day.base(), 4);
    let title = match (r.micro_batches, r.runs_per_day.base() == 1.0) {
        (true, _) => format!("Reliability ({runs} micro-batches a day)"),
        (false, true) => "Reliability (one run a day)".to_string(),
        (false, false) => format!("Reliability ({runs} runs a day)"),
    };
    let mut section = Section::new(title, &["Figure", "Value"]);
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
            if r.micro_batches {
                "Micro-batches a year that fail after every attempt".to_string()
            } else {
                "Runs a year that fail after every attempt".to_string()
            },
            significant(r.failed_runs_per_year.base(), 3),
        ]);
    if let Some(attempts) = r.attempts_for_target {
        section.row(["Fewest attempts for the target", &attempts.to_string()]);
    } else if r.target.is_some() {
        section.row(["Fewest attempts for the target", "more than 100"]);
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
    section.working = r.workings();
    section
}

fn quality(q: &crate::model::quality::QualityModel) -> Section {
    let mut section = Section::new(
        "Data quality (per day)",
        &["Pitfall", "Rows a day", "What it costs"],
    );
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
    }
    if let Some(rows) = &q.duplicate_rows_per_day {
        section.row([
            "duplicates".to_string(),
            rows.human(),
            "removed by deduplication".to_string(),
        ]);
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
    }
    section.note("counts are the day's events × each defect's share; quarantine and reprocessing are reported here, not added to the monthly total");
    section.working = q.workings();
    section
}

fn streaming(s: &crate::model::streaming::StreamingModel) -> Section {
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
    if let (Some(cap), Some(stage)) = (&s.source_capacity, &s.capped_by) {
        section.row([
            format!("Capped by `{stage}`"),
            format!("{} at most", rate(cap)),
        ]);
        if cap.base() < s.peak_rate.base() {
            section.note(format!(
                "`{stage}` runs at most its `max_parallelism` tasks at once: workers added for the peak past what it passes on wait for it"
            ));
        }
    }
    if let Some(capacity) = &s.capacity {
        section.row([
            "Capacity at the peak".to_string(),
            format!(
                "{}{}",
                rate(capacity),
                match s.keeps_up {
                    Some(false) => ": BELOW the peak",
                    _ => ": keeps up",
                }
            ),
        ]);
    }
    if let Some(backlog) = &s.backlog {
        section
            .row([
                format!("Backlog after a {} peak", backlog.peak_duration.human()),
                format!(
                    "{} events",
                    crate::units::human_count(backlog.events.base())
                ),
            ])
            .row([
                "Time to drain it".to_string(),
                backlog.drain.as_ref().map_or_else(
                    || "never: the capacity is not above the average rate".to_string(),
                    |d| d.human(),
                ),
            ])
            .row([
                "Oldest data, at the peak's end".to_string(),
                backlog.worst_age.human(),
            ]);
        if let Some(drain) = &backlog.drain {
            if drain.base() + backlog.peak_duration.base() > crate::units::SECONDS_PER_DAY {
                section.note(format!(
                    "the backlog takes {} to drain, longer than the day until the next peak: the stream never catches up",
                    drain.human()
                ));
            }
        }
    } else if s.keeps_up == Some(false) {
        section.note("the stream falls behind at its peak and the backlog grows while it lasts; give `peak_duration` for the backlog, the time to drain it and the oldest data");
    }
    if let Some(replay) = &s.replay {
        section.row([
            format!("Replay of {}", replay.span.human()),
            replay.time.as_ref().map_or_else(
                || "never: nothing to spare above the average rate".to_string(),
                |t| t.human(),
            ),
        ]);
    }
    section.note("one worker keeps up with the day's events ÷ the day's one-worker time; the fleet is sized for the peak with headroom, or follows the average above `min_workers`; it runs all day, and the Cost section bills it");
    if s.hybrid {
        section.note("hybrid (batch for history, stream for recent): the stream serves recent data within its latency, the daily batch recomputes the day within the deadline, and the Cost section pays both");
    }
    section.working = s.workings();
    section
}
