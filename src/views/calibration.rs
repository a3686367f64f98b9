//! The calibrated scenario as the user reads it: the quiet fit as YAML,
//! under a header that says what was measured, what was fitted and how it
//! holds, and what was assumed, all written from the typed
//! [`Calibration`].

use anyhow::Result;

use crate::study::calibrate::{Calibration, Shape, Source, StageOutput, Variant};
use crate::study::run::Repeats;
use crate::units::{grouped, human_bytes, human_duration, significant};

/// The YAML `calibrate` writes.
pub fn yaml(calibration: &Calibration) -> Result<String> {
    calibration.scenario(Variant::QUIET)?;
    crate::scenario::raw::to_yaml(&calibration.raw(Variant::QUIET), &header(calibration))
}

fn signed(value: f64) -> String {
    format!(
        "{}{}%",
        if value > 0.0 { "+" } else { "" },
        significant(value, 3)
    )
}

fn spread(repeats: &Repeats) -> String {
    match repeats.spread_pct() {
        Some(spread) => format!(
            "{} quietest, {} median, {} slowest ({}% apart)",
            human_duration(repeats.quietest),
            human_duration(repeats.median),
            human_duration(repeats.slowest),
            significant(spread, 3)
        ),
        None => format!("{} (one run)", human_duration(repeats.quietest)),
    }
}

fn header(calibration: &Calibration) -> String {
    let mut out = String::new();
    match &calibration.source {
        Source::Sample {
            events,
            workers,
            repeat,
            seed,
            machine,
            date,
            ..
        } => out.push_str(&format!(
            "Calibrated by `pipecalc calibrate` on {machine}, {date}.\nSamples: {} and {} generated events (1 day, seed {seed}), {workers} worker(s), {repeat} run(s) of each.\n",
            grouped(*events),
            grouped(events / 2)
        )),
        Source::Runs => out.push_str(&format!(
            "Calibrated by `pipecalc calibrate --from`, from {} run(s):\n",
            calibration.runs.len()
        )),
    }
    out.push_str("\nThe runs, gathered by size and workers (repeats of one measurement):\n");
    for group in &calibration.groups {
        out.push_str(&format!(
            "  {} events on {} worker(s): {}\n",
            grouped(group.events),
            group.workers,
            spread(&group.whole_s)
        ));
        if matches!(calibration.source, Source::Runs) {
            for run in &group.runs {
                out.push_str(&format!("    {run}\n"));
            }
        }
    }
    out.push_str(
        "\nOn a shared machine other work only adds time, so each size's quietest run\nis the job's own cost: every time below is fitted on those, and the other\nrepeats show how much this machine's load adds (`pipecalc validate` judges\nwith that spread). events_per_day and workers are the largest size's.\n",
    );
    out.push_str(
        "\nEach stage's time is T = a + b·s + c·s/N (a fixed cost a run, work no worker\nshares, work the workers share; s its input, N its workers), by non-negative\nleast squares: a is written as `startup`, 1/(b + c) as the throughput, and\nb/(b + c) as Amdahl's serial fraction.\n",
    );
    for stage in &calibration.stages {
        let time = &stage.time;
        let quiet = &time.quiet;
        out.push_str(&format!(
            "  {}: a = {}, b = {:.4e} s, c = {:.4e} s a unit of {}; {} size(s), {}{}\n",
            stage.name,
            human_duration(quiet.fixed_s),
            quiet.serial_s_per_unit,
            quiet.parallel_s_per_unit,
            match stage.input {
                crate::scenario::Measure::Bytes => "bytes in",
                crate::scenario::Measure::Events => "rows in",
            },
            quiet.runs,
            if quiet.degrees_of_freedom <= 0 {
                "an exact fit".to_string()
            } else {
                format!("{} degree(s) of freedom", quiet.degrees_of_freedom)
            },
            stage.time_spread_pct.map_or_else(String::new, |s| format!(
                "; its repeats spread up to {}%",
                significant(s, 3)
            )),
        ));
    }
    let mut undecided: Vec<&String> = calibration
        .stages
        .iter()
        .map(|s| &s.time)
        .flat_map(|t| &t.quiet.undecided)
        .collect();
    undecided.sort();
    undecided.dedup();
    for line in undecided {
        out.push_str(&format!("  Not decided by these runs: {line}.\n"));
    }
    if let Some(overhead) = &calibration.run_overhead_s {
        out.push_str(&format!(
            "\nrun_overhead is the time outside the stages (start-up, planning, commits),\npaid by every run whatever its data: {} on the quiet runs, {} on the slowest.\n",
            human_duration(overhead.quietest),
            human_duration(overhead.slowest)
        ));
    }
    if let Some(holdout) = &calibration.holdout {
        out.push_str(&format!(
            "\nHeld out: the largest size ({} events, {} worker(s)) predicted from the\nothers alone: {} (up to {} as loaded as the slowest runs) against a median of\n{}: {}; the lecture's linear rule from the next size: {}.\n",
            grouped(holdout.group.events),
            holdout.group.workers,
            human_duration(holdout.predicted_s),
            human_duration(holdout.interval_s[1]),
            human_duration(holdout.group.whole_s.median),
            signed(holdout.error_pct),
            holdout
                .linear_rule_error_pct
                .map_or_else(|| "not measured".into(), signed)
        ));
    }
    if let Some(bend) = &calibration.curvature {
        out.push_str(&match bend.shape {
            Shape::Straight => format!(
                "\nThe whole run costs about the same an event at every size ({} s a million\nbetween the two smallest, {} between the two largest): a straight line holds.\n",
                significant(bend.lower_s_per_million_events, 3),
                significant(bend.upper_s_per_million_events, 3)
            ),
            Shape::Falls => format!(
                "\nThe whole run costs less an event at the larger sizes ({} s a million\nbetween the two smallest, {} between the two largest: tasks fill up), so\nthis straight-line fit is an upper bound past the largest size.\n",
                significant(bend.lower_s_per_million_events, 3),
                significant(bend.upper_s_per_million_events, 3)
            ),
            Shape::Rises => format!(
                "\nThe whole run costs more an event at the larger sizes ({} s a million\nbetween the two smallest, {} between the two largest: spill or memory\npressure), so this straight-line fit is a lower bound past the largest size.\n",
                significant(bend.lower_s_per_million_events, 3),
                significant(bend.upper_s_per_million_events, 3)
            ),
        });
    }
    out.push('\n');
    for note in &calibration.notes {
        out.push_str(&format!("{note}.\n"));
    }
    for stage in &calibration.stages {
        if let (
            StageOutput::Catalogue { .. },
            Source::Sample {
                catalogue,
                keys_seen,
                chao1,
                skew,
                ..
            },
        ) = (&stage.output, &calibration.source)
        {
            out.push_str(&format!(
                "Not measured: {}'s keys_max and key_skew are the data's, the generator's\n{} products with Zipf skew {skew} (for your own data, the products you sell);\nthe sample saw {} keys, and from it alone the Chao1 estimate of the\ncatalogue is at least {}.\n",
                stage.name,
                grouped(*catalogue),
                grouped(*keys_seen),
                grouped(*chao1 as u64)
            ));
        }
        if let Some(fixed) = stage.fixed_size_bytes {
            out.push_str(&format!(
                "{}'s output is fitted as row_size a row plus fixed_size a run ({}: footers, dictionaries).\n",
                stage.name,
                human_bytes(fixed)
            ));
        }
    }
    out.push_str("Memory is each stage's peak per worker (for Spark, the largest task's\nexecution memory, not a process's size); working_set_grows is how it grew\nacross the sizes, as a power of the volume.\nThe compute price is a placeholder: put your own.\n\n  pipecalc estimate calibrated.yaml --scale 10 --workers 8\n");
    out
}

/// What `calibrate --out` prints once the scenario is written.
pub fn summary(calibration: &Calibration, path: &std::path::Path) -> String {
    let mut text = format!(
        "wrote {}: calibrated from {} run(s) of {} size(s), {} events on {} worker(s) written",
        path.display(),
        calibration.runs.len(),
        {
            let mut sizes: Vec<u64> = calibration.groups.iter().map(|g| g.events).collect();
            sizes.dedup();
            sizes.len()
        },
        grouped(calibration.events),
        calibration.workers
    );
    if let Some(holdout) = &calibration.holdout {
        text.push_str(&format!(
            " (the largest size predicted from the others: {})",
            signed(holdout.error_pct)
        ));
    }
    text.push('\n');
    for stage in &calibration.stages {
        let time = Some(&stage.time.quiet);
        text.push_str(&format!(
            "  {:<9} {}\n",
            stage.name,
            match time {
                Some(fit) if fit.serial_s_per_unit + fit.parallel_s_per_unit > 0.0 => format!(
                    "{} a run + {} a million {}",
                    human_duration(fit.fixed_s),
                    human_duration((fit.serial_s_per_unit + fit.parallel_s_per_unit) * 1e6),
                    match stage.input {
                        crate::scenario::Measure::Bytes => "bytes",
                        crate::scenario::Measure::Events => "rows",
                    }
                ),
                Some(fit) => format!("{} a run, whatever the data", human_duration(fit.fixed_s)),
                None => "not timed".into(),
            }
        ));
    }
    text.push_str(&match &calibration.source {
        Source::Sample { .. } => format!(
            "next: pipecalc estimate {} --scale 50   (this machine's 10M-events day)\n",
            path.display()
        ),
        Source::Runs => format!(
            "next: pipecalc estimate {} --scale 10 --workers 8   (10× the data on 8 workers)\n",
            path.display()
        ),
    });
    text
}

fn purpose_words(purpose: crate::study::plan::Purpose) -> &'static str {
    use crate::study::plan::Purpose;
    match purpose {
        Purpose::Smallest => "1/20 of the target: the smallest, mostly fixed cost",
        Purpose::Middle => "1/10 of the target: where fixed and growing work meet",
        Purpose::Largest => "1/5 of the target: the work that grows with the data",
        Purpose::OtherWorkers => {
            "1/10 of the target on other workers: serial work apart from shared"
        }
    }
}

/// `calibrate --plan`: the runs to make, their cost, and what is left out.
pub fn plan_document(plan: &crate::study::plan::Plan) -> crate::report::Document {
    use crate::study::plan::PlanNote;
    let mut section = crate::report::Section::new(
        format!(
            "Runs to make, to predict {} events on {} worker(s)",
            grouped(plan.target),
            plan.workers
        ),
        &[
            "Events",
            "Workers",
            "Repeats",
            "Pins down",
            "Predicted time a run",
        ],
    );
    for run in &plan.runs {
        section.row([
            grouped(run.events),
            run.workers.to_string(),
            run.repeats.to_string(),
            purpose_words(run.purpose).to_string(),
            run.predicted_s
                .map_or_else(|| "not known yet".into(), human_duration),
        ]);
    }
    if let Some(total) = plan.total_s {
        section.note(format!(
            "in all: {}, every repeat and every fixed cost the runs measured included",
            human_duration(total)
        ));
    }
    for note in &plan.notes {
        section.note(match note {
            PlanNote::OneWorker => "one worker: serial and shared work need not be told apart".to_string(),
            PlanNote::NothingMeasured => "no run measured yet, so no run's time is predicted: make the smallest first, then plan again with --from it".to_string(),
            PlanNote::OneSizeMeasured => "priced from one size, which cannot tell a fixed cost from work that grows: the small runs will take longer than this (their fixed costs are left out of it)".to_string(),
            PlanNote::FewRepeats { repeats } => format!(
                "{repeats} repeat(s) a size: with fewer than {} a verdict cannot see the machine's noise",
                crate::study::plan::FEWEST_REPEATS
            ),
            PlanNote::Dropped { events, workers, purpose } => format!(
                "dropped for the budget: {} events on {workers} worker(s) ({}); what it pinned down is now less certain",
                grouped(*events),
                purpose_words(*purpose)
            ),
            PlanNote::OverBudget => "even the two cheapest sizes exceed the budget: two sizes are the least that tell a fixed cost from growing work".to_string(),
            PlanNote::BudgetUnpriced => "--budget needs a measured run (--from) to price the runs; none were dropped".to_string(),
        });
    }
    section.note("then: pipecalc calibrate --from RUN --from RUN ... (every run's event log or output folder), and validate against the target's runs");
    crate::report::Document {
        title: "pipecalc calibrate --plan".into(),
        sections: vec![section],
        ..crate::report::Document::default()
    }
}

/// The plan as a shell script that makes its runs with the reference
/// pipeline (for Spark, run the job on each size's logs instead).
pub fn plan_script(plan: &crate::study::plan::Plan) -> String {
    let mut script = format!(
        "#!/bin/sh\n# The runs `pipecalc calibrate --plan` proposes, to predict {} events on {} worker(s).\n# Each size's logs are generated once and run its repeats; sizes are interleaved so a\n# spell of load falls on every size, not on one size's repeats.\nset -e\n",
        plan.target, plan.workers
    );
    let mut sizes: Vec<(u64, u64)> = plan.runs.iter().map(|r| (r.events, r.seed)).collect();
    sizes.sort_unstable();
    sizes.dedup();
    for (events, seed) in &sizes {
        script.push_str(&format!(
            "pipecalc generate --events {events} --seed {seed} --out logs-{events}\n"
        ));
    }
    let repeats = plan.runs.iter().map(|r| r.repeats).max().unwrap_or(1);
    let mut lakes = Vec::new();
    for repeat in 1..=repeats {
        for run in plan.runs.iter().filter(|r| r.repeats >= repeat) {
            let lake = format!("lake-{}-{}w-{repeat}", run.events, run.workers);
            script.push_str(&format!(
                "pipecalc run --input logs-{} --out {lake} --workers {}\n",
                run.events, run.workers
            ));
            lakes.push(lake);
        }
    }
    script.push_str("pipecalc calibrate");
    for lake in &lakes {
        script.push_str(&format!(" --from {lake}"));
    }
    script.push_str(" --out calibrated.yaml\n");
    script
}
