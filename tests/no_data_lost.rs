//! The reference pipeline loses no data (issue 9): one test per way it
//! used to lose some while exiting 0. Each compares against a clean run or
//! the generator's truth, never against a timing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{contents, read_views, Scratch};
use pipecalc::reference::generator::{generate, GeneratorConfig, Truth};
use pipecalc::reference::pipeline::{run, FailAt, RunConfig, StageStatus, FAILED_RUN_REPORT, LOCK};

fn logs(scratch: &Scratch, events: u64) -> (PathBuf, Truth) {
    let logs = scratch.path("logs");
    let config = GeneratorConfig {
        events,
        days: 1,
        seed: 5,
        ..GeneratorConfig::default()
    };
    let truth = generate(&config, &logs).unwrap();
    (logs, truth)
}

/// The generated hour files, sorted.
fn jsonl_files(logs: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

fn config(input: &Path, out: &Path) -> RunConfig {
    let mut config = RunConfig::new(input, out);
    config.batch_rows = 2048;
    config
}

fn pipecalc(args: &[&str]) -> Command {
    let mut command = common::pipecalc();
    command.args(args);
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Item 1: while one run holds `--out`, another is refused at once, names
/// the folder and the process, and writes nothing.
#[test]
fn a_second_run_into_a_held_folder_is_refused() {
    let scratch = Scratch::new("lock");
    let (logs, _) = logs(&scratch, 2_000);
    let lake = scratch.path("lake");
    std::fs::create_dir_all(&lake).unwrap();
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lake.join(LOCK))
        .unwrap();
    held.try_lock().unwrap();
    std::fs::write(lake.join(LOCK), "process 424242").unwrap();
    let refused = pipecalc(&["run", "--input", path(&logs), "--out", path(&lake)])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let message = text(&refused);
    assert!(
        message.contains("in use by another pipecalc run (process 424242)"),
        "{message}"
    );
    assert!(!lake.join("raw").exists() && !lake.join("run.json").exists());
    drop(held);
    let ran = pipecalc(&["run", "--input", path(&logs), "--out", path(&lake)])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", text(&ran));
}

/// Item 1, as users hit it: two runs started together into one folder.
/// Whichever order they take, no run reports a loss as success, and the
/// lake equals a clean run's.
#[test]
fn two_runs_started_together_lose_nothing() {
    let scratch = Scratch::new("race");
    let (logs, truth) = logs(&scratch, 60_000);
    let lake = scratch.path("lake");
    let args = ["run", "--input", path(&logs), "--out", path(&lake)];
    let start = || {
        pipecalc(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (start(), start());
    let outcomes = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    let succeeded = outcomes.iter().filter(|o| o.status.success()).count();
    assert!(succeeded >= 1);
    for outcome in outcomes.iter().filter(|o| !o.status.success()) {
        assert_eq!(outcome.status.code(), Some(1));
        assert!(
            text(outcome).contains("in use by another pipecalc run"),
            "{}",
            text(outcome)
        );
    }
    assert_eq!(read_views(&lake), truth.views);
    let clean = scratch.path("clean");
    run(&config(&logs, &clean)).unwrap();
    assert_eq!(contents(&lake), contents(&clean));
}

/// Item 2: `x.jsonl`, `x.json` and `x.log` are three inputs, not one.
#[test]
fn files_that_share_a_stem_are_all_read() {
    let scratch = Scratch::new("stems");
    let (logs, truth) = logs(&scratch, 6_000);
    // Split one hour's file into three with the same stem.
    let files = jsonl_files(&logs);
    let busiest = files
        .iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap()
        .clone();
    let text = std::fs::read_to_string(&busiest).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let third = lines.len() / 3;
    let stem = busiest.file_stem().unwrap().to_string_lossy().into_owned();
    std::fs::remove_file(&busiest).unwrap();
    for (index, extension) in ["jsonl", "json", "log"].iter().enumerate() {
        let end = if index == 2 {
            lines.len()
        } else {
            (index + 1) * third
        };
        let part = lines[index * third..end].join("\n") + "\n";
        std::fs::write(logs.join(format!("{stem}.{extension}")), part).unwrap();
    }
    let lake = scratch.path("lake");
    let report = run(&config(&logs, &lake)).unwrap();
    assert_eq!(report.quality.lines, truth.lines);
    assert_eq!(read_views(&lake), truth.views);
}

/// Item 3: a limit past any line length reads every line, not none.
#[test]
fn a_huge_line_limit_does_not_wrap() {
    let scratch = Scratch::new("limit");
    let (logs, truth) = logs(&scratch, 2_000);
    let lake = scratch.path("lake");
    let mut limitless = config(&logs, &lake);
    limitless.max_line_bytes = usize::MAX;
    let report = run(&limitless).unwrap();
    assert_eq!(report.quality.lines, truth.lines);
    assert_eq!(read_views(&lake), truth.views);
}

/// Item 4: an input edited in place (same names, same sizes) is refused
/// with the file named, and the lake is left as it was.
#[test]
fn a_changed_input_with_the_same_sizes_is_refused() {
    let scratch = Scratch::new("changed");
    let (logs, _) = logs(&scratch, 3_000);
    let lake = scratch.path("lake");
    run(&config(&logs, &lake)).unwrap();
    let before = contents(&lake);
    // The same input again is kept, not ingested twice.
    let again = run(&config(&logs, &lake)).unwrap();
    assert_eq!(again.stages[0].status, StageStatus::Kept);
    // One digit changed, the size the same.
    let files = jsonl_files(&logs);
    let edited = &files[0];
    let mut bytes = std::fs::read(edited).unwrap();
    let digit = bytes.iter().position(u8::is_ascii_digit).unwrap();
    bytes[digit] = if bytes[digit] == b'9' {
        b'8'
    } else {
        bytes[digit] + 1
    };
    std::fs::write(edited, &bytes).unwrap();
    let refused = run(&config(&logs, &lake)).unwrap_err();
    let message = format!("{:#}", refused.error);
    let name = edited.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        message.contains("holds raw data from other input"),
        "{message}"
    );
    assert!(message.contains(&format!("{name} changed")), "{message}");
    assert!(message.contains("to start over"), "{message}");
    assert_eq!(contents(&lake), before);
    // A file that is new, and one that is gone, are named the same way.
    std::fs::write(edited, std::fs::read(edited).unwrap()).unwrap();
    let last = files.last().unwrap();
    let moved = scratch.path("moved.jsonl");
    std::fs::rename(last, &moved).unwrap();
    std::fs::write(logs.join("2024-01-16T00.jsonl"), "{}\n").unwrap();
    let refused = run(&config(&logs, &lake)).unwrap_err();
    let message = format!("{:#}", refused.error);
    let gone = last.file_name().unwrap().to_string_lossy().into_owned();
    assert!(message.contains("2024-01-16T00.jsonl is new"), "{message}");
    assert!(message.contains(&format!("{gone} is gone")), "{message}");
    assert_eq!(contents(&lake), before);
}

/// Item 5: a line far past the limit is quarantined by its length and
/// counted in full; the lines around it are read.
#[test]
fn a_line_past_the_limit_is_quarantined_whole() {
    let scratch = Scratch::new("longline");
    let (logs, truth) = logs(&scratch, 2_000);
    let files = jsonl_files(&logs);
    let target = &files[0];
    let mut text = std::fs::read_to_string(target).unwrap();
    let long = format!("{{\"padding\":\"{}\"}}\n", "x".repeat(3 << 20));
    text.insert_str(0, &long);
    std::fs::write(target, &text).unwrap();
    let lake = scratch.path("lake");
    let mut limited = config(&logs, &lake);
    limited.max_line_bytes = 64 << 10;
    let report = run(&limited).unwrap();
    assert_eq!(report.quality.quarantined.get("too_long"), Some(&1));
    assert_eq!(report.quality.lines, truth.lines + 1);
    assert_eq!(report.stages[0].bytes_in, truth.bytes + long.len() as u64);
    assert_eq!(read_views(&lake), truth.views);
}

/// Lines on either side of the limit, with either line ending, at the end
/// of a file without one, and across the reader's 1 MB buffer: each is read
/// or refused by its length alone, and every byte is counted.
#[test]
fn lines_at_the_limit_are_judged_by_their_length_alone() {
    let scratch = Scratch::new("edges");
    let logs = scratch.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let limit = 300;
    // A product page view of exactly `len` bytes, the rest in an unknown field.
    let event = |id: usize, len: usize| {
        let head = format!(
            r#"{{"event_id":"e{id}","page":"/product/p000001","timestamp":"2024-01-15T10:00:00.000Z","action":"page_view","pad":""#
        );
        let line = format!("{head}{}\"}}", "x".repeat(len - head.len() - 2));
        assert_eq!(line.len(), len);
        line
    };
    let mut text = String::new();
    // Enough ordinary lines that later ones straddle the 1 MB buffer.
    let mut id = 0;
    while text.len() < (3 << 20) {
        id += 1;
        text.push_str(&event(id, 200 + id % 97));
        text.push('\n');
    }
    let ordinary = id;
    let at_limit = event(id + 1, limit);
    let past_limit = event(id + 2, limit + 1);
    // The carriage return counts toward the limit, as it always has.
    let crlf_under = event(id + 3, limit - 1);
    let crlf_over = event(id + 4, limit);
    let last_without_newline = event(id + 5, limit);
    for line in [&at_limit, &past_limit] {
        text.push_str(line);
        text.push('\n');
    }
    for line in [&crlf_under, &crlf_over] {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str(&last_without_newline);
    std::fs::write(logs.join("2024-01-15T10.jsonl"), &text).unwrap();
    let lake = scratch.path("lake");
    let mut limited = config(&logs, &lake);
    limited.max_line_bytes = limit;
    let report = run(&limited).unwrap();
    assert_eq!(report.quality.lines, ordinary as u64 + 5);
    assert_eq!(report.quality.quarantined.get("too_long"), Some(&2));
    assert_eq!(report.quality.valid_events, ordinary as u64 + 3);
    assert_eq!(report.stages[0].bytes_in, text.len() as u64);
    assert_eq!(
        read_views(&lake)["2024-01-15"]["p000001"],
        ordinary as u64 + 3
    );
}

/// Item 6: killed at either side of publishing, a reader finds the old
/// complete output or the new one, and the next run finishes the job.
#[test]
fn a_crash_around_publish_leaves_a_complete_output() {
    let scratch = Scratch::new("publish");
    let (logs, truth) = logs(&scratch, 4_000);
    let lake = scratch.path("lake");
    run(&config(&logs, &lake)).unwrap();
    let published = contents(&lake);
    for point in ["before-publish-load", "after-publish-load"] {
        let crashed = pipecalc(&["run", "--input", path(&logs), "--out", path(&lake)])
            .env("PIPECALC_TEST_CRASH", point)
            .output()
            .unwrap();
        assert!(!crashed.status.success(), "{point}: the hook did not fire");
        // What readers see: the views, complete, equal to the truth.
        assert_eq!(read_views(&lake), truth.views, "{point}");
        let rerun = run(&config(&logs, &lake)).unwrap();
        assert!(rerun
            .cleared_leftovers
            .iter()
            .all(|p| p.contains(".staging-")));
        assert_eq!(contents(&lake), published, "{point}");
    }
}

/// Item 7: `--fail-at` at 99 % and 100 % fires, so the run does not exit 0.
#[test]
fn fail_at_the_very_end_fires() {
    let scratch = Scratch::new("failend");
    let (logs, _) = logs(&scratch, 2_000);
    for (index, point) in ["transform:0.99", "transform:1.0", "load:1.0", "ingest:1.0"]
        .iter()
        .enumerate()
    {
        let lake = scratch.path(&format!("lake{index}"));
        let mut failing = config(&logs, &lake);
        failing.fail_at = Some(point.parse::<FailAt>().unwrap());
        let failure = run(&failing).unwrap_err();
        assert!(
            format!("{:#}", failure.error).contains("injected failure"),
            "{point}"
        );
        // And the stage it failed in published nothing.
        let stage: FailAt = point.parse().unwrap();
        let dataset = ["raw", "processed", "aggregated", "views"][stage.stage as usize];
        assert!(!lake.join(dataset).exists(), "{point}");
    }
}

/// Item 8: a report that cannot be written fails the run, and a failed run
/// never replaces the report of the last run that completed.
#[test]
fn the_report_is_written_or_the_run_fails() {
    let scratch = Scratch::new("report");
    let (logs, _) = logs(&scratch, 2_000);
    let lake = scratch.path("lake");
    run(&config(&logs, &lake)).unwrap();
    let completed = std::fs::read(lake.join("run.json")).unwrap();
    let mut failing = config(&logs, &lake);
    failing.fail_at = Some("aggregate:0.5".parse().unwrap());
    failing.resume = false;
    run(&failing).unwrap_err();
    assert_eq!(std::fs::read(lake.join("run.json")).unwrap(), completed);
    assert!(lake.join(FAILED_RUN_REPORT).exists());
    // A completed run clears the failed report.
    run(&config(&logs, &lake)).unwrap();
    assert!(!lake.join(FAILED_RUN_REPORT).exists());

    // A lake of ours whose report's name is taken by a folder.
    let blocked = scratch.path("blocked");
    run(&config(&logs, &blocked)).unwrap();
    std::fs::remove_file(blocked.join("run.json")).unwrap();
    std::fs::create_dir_all(blocked.join("run.json")).unwrap();
    std::fs::write(blocked.join("run.json").join("keep"), "x").unwrap();
    let failure = run(&config(&logs, &blocked)).unwrap_err();
    assert!(
        format!("{:#}", failure.error).contains("run.json"),
        "{:#}",
        failure.error
    );
}

/// Item 9: a killed run's staging folder goes at the next run, resumed or
/// not, and the report says so.
#[test]
fn leftovers_of_a_killed_run_are_cleared() {
    let scratch = Scratch::new("leftovers");
    let (logs, _) = logs(&scratch, 2_000);
    let lake = scratch.path("lake");
    run(&config(&logs, &lake)).unwrap();
    let published = contents(&lake);
    let leftover = lake.join(".staging-transform");
    std::fs::create_dir_all(leftover.join("date=2024-01-15")).unwrap();
    std::fs::write(leftover.join("date=2024-01-15/part-x.parquet"), "half").unwrap();
    let mut resume = config(&logs, &lake);
    resume.resume = true;
    let report = run(&resume).unwrap();
    assert!(!leftover.exists());
    assert_eq!(report.cleared_leftovers.len(), 1);
    assert_eq!(contents(&lake), published);
}

/// Item 10: a link out of the input folder is not read (and is named in
/// the report) unless asked for; a link inside it is read.
#[cfg(unix)]
#[test]
fn links_out_of_the_input_folder_are_not_followed() {
    let scratch = Scratch::new("links");
    let (logs, truth) = logs(&scratch, 2_000);
    let outside = scratch.path("secret.txt");
    std::fs::write(&outside, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    std::os::unix::fs::symlink(&outside, logs.join("x.jsonl")).unwrap();
    let lake = scratch.path("lake");
    let report = run(&config(&logs, &lake)).unwrap();
    assert_eq!(report.quality.lines, truth.lines);
    assert_eq!(report.skipped_inputs.len(), 1);
    assert!(report.skipped_inputs[0].starts_with("x.jsonl: a link out of the input folder"));
    let quarantine = lake.join("raw/_quarantine");
    for entry in std::fs::read_dir(&quarantine).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("root:x"), "the link's target was read");
    }

    let mut following = config(&logs, &scratch.path("lake2"));
    following.follow_symlinks = true;
    let report = run(&following).unwrap();
    assert_eq!(report.quality.lines, truth.lines + 1);
    assert!(report.skipped_inputs.is_empty());
}

// Issue 25: nothing pipecalc does not own is touched. Each of these
// destroyed or replaced something, or accepted what it had not read, and
// exited 0.

/// Runs `pipecalc` and returns its output.
fn ran(args: &[&str]) -> Output {
    pipecalc(args).output().unwrap()
}

/// `-o` names a FIFO: the report goes through it, and it stays a FIFO.
/// Before, the FIFO was renamed over by a regular file.
#[cfg(unix)]
#[test]
fn a_report_to_a_fifo_goes_through_it() {
    use std::os::unix::fs::FileTypeExt;
    let scratch = Scratch::new("fifo");
    let fifo = scratch.path("pipe");
    let name = std::ffi::CString::new(path(&fifo)).unwrap();
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let written = ran(&["estimate", "scenarios/clickstream.yaml", "-o", path(&fifo)]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written));
    let report = reader.join().unwrap();
    assert!(report.contains("clickstream"), "{report}");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

/// `-o` names a character device (`mknod node c 1 3`, /dev/null's
/// numbers): written through, never replaced. Needs root to make the
/// node; elsewhere the FIFO test above covers the same path.
#[cfg(unix)]
#[test]
fn a_report_to_a_device_node_leaves_the_node() {
    use std::os::unix::fs::FileTypeExt;
    let scratch = Scratch::new("node");
    let made_node = scratch.path("node");
    let name = std::ffi::CString::new(path(&made_node)).unwrap();
    let made = unsafe { libc::mknod(name.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    // Not root, no node of its own: the system's null device is one, and
    // writing through it leaves it as it is. Either way the test runs.
    let node = if made == 0 {
        made_node
    } else {
        PathBuf::from("/dev/null")
    };
    for args in [
        vec!["estimate", "scenarios/clickstream.yaml", "-o", path(&node)],
        vec![
            "estimate",
            "scenarios/clickstream.yaml",
            "--export",
            &format!("json={}", path(&node)),
        ],
    ] {
        let written = ran(&args);
        assert_eq!(written.status.code(), Some(0), "{}", text(&written));
        let kind = std::fs::symlink_metadata(&node).unwrap().file_type();
        assert!(kind.is_char_device(), "{args:?} replaced the device node");
    }
}

/// A report is never written over a folder or over the scenario it reads;
/// `calibrate --out` refuses an existing file without `--force`.
#[test]
fn a_report_never_replaces_a_folder_or_an_input() {
    let scratch = Scratch::new("inputs");
    let scenario = scratch.path("plan.yaml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/clickstream.yaml"),
        &scenario,
    )
    .unwrap();
    let original = std::fs::read(&scenario).unwrap();
    let folder = scratch.path("folder");
    std::fs::create_dir_all(&folder).unwrap();
    let export = format!("json={}", path(&scenario));
    for args in [
        vec!["estimate", path(&scenario), "-o", path(&scenario)],
        vec!["estimate", path(&scenario), "--export", &export],
        vec!["scale", path(&scenario), "-o", path(&scenario)],
        vec![
            "compare",
            path(&scenario),
            "scenarios/clickstream.yaml",
            "-o",
            path(&scenario),
        ],
        vec!["estimate", path(&scenario), "-o", path(&folder)],
    ] {
        let refused = ran(&args);
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&refused)
        );
        let said = text(&refused);
        assert!(
            said.contains("which this command reads") || said.contains("is a folder"),
            "{args:?}: {said}"
        );
    }
    assert_eq!(std::fs::read(&scenario).unwrap(), original);
    assert!(folder.is_dir());

    let calibrated = scratch.path("calibrated.yaml");
    std::fs::write(&calibrated, "mine").unwrap();
    let refused = ran(&["calibrate", "--events", "2000", "--out", path(&calibrated)]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    assert_eq!(std::fs::read_to_string(&calibrated).unwrap(), "mine");
}

/// `run --out` touches nothing it did not write. Before, a file dropped
/// into `views/`, a foreign `processed/` and a `.notes.tmp` were deleted,
/// exit 0.
#[test]
fn a_run_refuses_an_output_folder_it_does_not_own() {
    let scratch = Scratch::new("owned");
    let (logs, _) = logs(&scratch, 2_000);
    // Someone else's folder, not a lake: refused with what it holds.
    let theirs = scratch.path("theirs");
    std::fs::create_dir_all(theirs.join("processed")).unwrap();
    std::fs::write(theirs.join("processed/keep.parquet"), "theirs").unwrap();
    std::fs::write(theirs.join(".notes.tmp"), "theirs").unwrap();
    let before = contents(&theirs);
    let refused = run(&config(&logs, &theirs)).unwrap_err();
    let message = format!("{:#}", refused.error);
    assert!(
        message.contains("is not a lake pipecalc wrote"),
        "{message}"
    );
    assert!(message.contains("`processed`"), "{message}");
    assert!(!refused.began);
    assert_eq!(contents(&theirs), before);

    // A lake of ours with a file dropped into a dataset, and one at its top.
    let lake = scratch.path("lake");
    run(&config(&logs, &lake)).unwrap();
    std::fs::write(lake.join("views/notes.txt"), "mine").unwrap();
    let refused = run(&config(&logs, &lake)).unwrap_err();
    let message = format!("{:#}", refused.error);
    assert!(message.contains("`views/notes.txt`"), "{message}");
    assert_eq!(
        std::fs::read_to_string(lake.join("views/notes.txt")).unwrap(),
        "mine"
    );
    std::fs::remove_file(lake.join("views/notes.txt")).unwrap();
    std::fs::write(lake.join(".notes.tmp"), "mine").unwrap();
    let refused = run(&config(&logs, &lake)).unwrap_err();
    assert!(format!("{:#}", refused.error).contains("`.notes.tmp`"));
    assert_eq!(
        std::fs::read_to_string(lake.join(".notes.tmp")).unwrap(),
        "mine"
    );
    // Refused before it began: no report was written.
    assert!(!lake.join(FAILED_RUN_REPORT).exists());
}

/// The lake and its input are never one inside the other.
#[test]
fn a_lake_inside_its_input_or_around_it_is_refused() {
    let scratch = Scratch::new("nested");
    let (logs, _) = logs(&scratch, 2_000);
    for out in [logs.join("lake"), logs.clone(), scratch.0.clone()] {
        let refused = run(&config(&logs, &out)).unwrap_err();
        let message = format!("{:#}", refused.error);
        assert!(
            message.contains("one inside the other"),
            "{}: {message}",
            out.display()
        );
    }
    assert!(!logs.join("lake").exists());
}

/// `generate --out` replaces a link standing at a file's name instead of
/// writing through it. Before, `precious.txt` was overwritten with logs.
#[cfg(unix)]
#[test]
fn generate_does_not_write_through_links() {
    let scratch = Scratch::new("genlink");
    let precious = scratch.path("precious.txt");
    std::fs::write(&precious, "precious").unwrap();
    let out = scratch.path("g");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(&precious, out.join("2024-01-15T00.jsonl")).unwrap();
    std::os::unix::fs::symlink(&precious, out.join("_truth.json")).unwrap();
    let generated = ran(&["generate", "--events", "1000", "--out", path(&out)]);
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated));
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
    let hour = std::fs::symlink_metadata(out.join("2024-01-15T00.jsonl")).unwrap();
    assert!(hour.file_type().is_file());
}

/// `generate --events 1T` is refused with the size it would take, before
/// anything is written. Before, it aborted allocating 2 TB.
#[test]
fn generate_refuses_what_it_cannot_hold() {
    let scratch = Scratch::new("genbig");
    let out = scratch.path("g");
    for (events, days, said) in [
        ("1T", "1", "an hour is built in memory"),
        ("100G", "3660", "free"),
    ] {
        let refused = ran(&[
            "generate",
            "--events",
            events,
            "--days",
            days,
            "--out",
            path(&out),
        ]);
        assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
        assert!(text(&refused).contains(said), "{}", text(&refused));
        assert!(!out.exists());
    }
}

/// `--fail-at` on a stage the run keeps cannot fire: it is an error, not a
/// run that exits 0. Before, it exited 0.
#[test]
fn fail_at_a_kept_stage_is_an_error() {
    let scratch = Scratch::new("failkept");
    let (logs, _) = logs(&scratch, 2_000);
    let lake = scratch.path("lake");
    run(&config(&logs, &lake)).unwrap();
    let mut again = config(&logs, &lake);
    again.fail_at = Some("ingest:0.5".parse().unwrap());
    let failure = run(&again).unwrap_err();
    let message = format!("{:#}", failure.error);
    assert!(message.contains("does not run it"), "{message}");
    let mut resumed = config(&logs, &lake);
    resumed.resume = true;
    resumed.fail_at = Some("load:0.5".parse().unwrap());
    let failure = run(&resumed).unwrap_err();
    assert!(format!("{:#}", failure.error).contains("does not run it"));
}

/// A run refused for other input writes no `failed-run.json`: it never
/// began. Before, the refusal came from inside the run and left a report.
#[test]
fn a_refused_run_writes_no_report() {
    let scratch = Scratch::new("refusednoreport");
    let (logs, _) = logs(&scratch, 2_000);
    let lake = scratch.path("lake");
    run(&config(&logs, &lake)).unwrap();
    let before = contents(&lake);
    std::fs::write(jsonl_files(&logs)[0].clone(), "{}\n").unwrap();
    let refused = run(&config(&logs, &lake)).unwrap_err();
    assert!(!refused.began);
    assert!(!lake.join(FAILED_RUN_REPORT).exists());
    assert_eq!(contents(&lake), before);
}

/// Unknown log keys are tracked up to a cap, and the rest are counted.
/// Before, every distinct key was kept and listed (400K keys, 720 MB).
#[test]
fn unknown_keys_are_capped_and_the_rest_counted() {
    let scratch = Scratch::new("unknownkeys");
    let logs = scratch.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let lines: String = (0..500)
        .map(|i| format!("{{\"event_id\":\"e{i}\",\"page\":\"/cart\",\"timestamp\":\"2024-01-15T10:00:00Z\",\"k{i:04}\":1}}\n"))
        .collect();
    std::fs::write(logs.join("a.jsonl"), lines).unwrap();
    let lake = scratch.path("lake");
    let report = run(&config(&logs, &lake)).unwrap();
    let limit = pipecalc::reference::metrics::MAX_UNKNOWN_FIELDS;
    assert_eq!(report.quality.unknown_fields.len(), limit);
    assert_eq!(report.quality.unknown_fields_untracked, 500 - limit as u64);
}

/// A byte-order mark is not part of the first line; a file of lone CRs is
/// quarantined with the reason, not as malformed JSON; a date past 9999
/// is refused rather than written as `date=10000-01-01`.
#[test]
fn a_bom_a_lone_cr_and_year_ten_thousand() {
    let scratch = Scratch::new("bomcr");
    let logs = scratch.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let line = |id: &str, time: &str| {
        format!("{{\"event_id\":\"{id}\",\"page\":\"/product/p000001\",\"timestamp\":\"{time}\",\"action\":\"page_view\"}}")
    };
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    for i in 0..40 {
        bom.extend(line(&format!("b{i}"), "2024-01-15T10:00:00Z").bytes());
        bom.push(b'\n');
    }
    std::fs::write(logs.join("bom.jsonl"), bom).unwrap();
    let mac = format!(
        "{}\r{}\r",
        line("m1", "2024-01-15T10:00:00Z"),
        line("m2", "2024-01-15T10:00:00Z")
    );
    std::fs::write(logs.join("mac.jsonl"), mac).unwrap();
    std::fs::write(
        logs.join("future.jsonl"),
        format!("{}\n", line("f1", "9999-12-31T23:59:59-12:00")),
    )
    .unwrap();
    let lake = scratch.path("lake");
    let mut allowed = config(&logs, &lake);
    allowed.max_quarantined_share = 0.1;
    let report = run(&allowed).unwrap();
    let q = &report.quality;
    assert_eq!(q.valid_events, 40, "{q:?}");
    assert_eq!(q.quarantined.get("lone_carriage_return"), Some(&1), "{q:?}");
    assert_eq!(
        q.quarantined.get("timestamp_out_of_range"),
        Some(&1),
        "{q:?}"
    );
    assert_eq!(report.output_dates, vec!["2024-01-15".to_string()]);
}

/// A small `--dedup-memory-keys` spills to a bounded number of files.
/// Before, 20,000 rows in memory of 10 opened 4,096 spill files at once
/// and failed with "Too many open files" under a limit of 128; and 1 row
/// in memory made a run of 200,000 events open 85,007 files for minutes.
/// The floor is now 10,000 rows, and a day of 30,000 spills under 128
/// open files.
#[cfg(unix)]
#[test]
fn a_small_dedup_memory_spills_to_few_files() {
    let scratch = Scratch::new("fanout");
    let (logs, truth) = logs(&scratch, 30_000);
    let lake = scratch.path("lake");
    let binary = env!("CARGO_BIN_EXE_pipecalc");
    let limited = Command::new("sh")
        .args([
            "-c",
            "ulimit -n 128 && exec \"$0\" run --input \"$1\" --out \"$2\" --dedup-memory-keys 10000",
            binary,
            path(&logs),
            path(&lake),
        ])
        .output()
        .unwrap();
    assert_eq!(limited.status.code(), Some(0), "{}", text(&limited));
    assert_eq!(read_views(&lake), truth.views);
    let floor = pipecalc(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&scratch.path("other")),
        "--dedup-memory-keys",
        "1",
    ])
    .output()
    .unwrap();
    assert_eq!(floor.status.code(), Some(2), "{}", text(&floor));
    assert!(text(&floor).contains("from 10000"), "{}", text(&floor));
}

/// A log's refused lines are written to its quarantine as they are met,
/// not held until the file's end. Before, a log of 40 MB of refused lines
/// (allowed by `--max-quarantined 100`) held its 42 MB quarantine whole:
/// the release build's ingest peaked at 58 MB, against 15 MB now.
#[cfg(target_os = "linux")]
#[test]
fn a_file_s_quarantine_is_not_held_in_memory() {
    use std::io::Write;
    let scratch = Scratch::new("quarantine-memory");
    let logs = scratch.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(logs.join("big.jsonl")).unwrap());
    let padding = "x".repeat(1_990);
    for line in 0..21_000 {
        if line % 20 == 0 {
            writeln!(file, r#"{{"event_id":"e{line}","page":"/product/p000001","timestamp":"2024-01-15T00:00:01.000Z","action":"page_view"}}"#).unwrap();
        } else {
            writeln!(file, r#"{{"event_id":"bad{line}","page":"{padding}""#).unwrap();
        }
    }
    file.into_inner().unwrap().sync_all().unwrap();
    let lake = scratch.path("lake");
    let output = pipecalc(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&lake),
        "--max-quarantined",
        "100",
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let quarantine = lake.join("raw/_quarantine/part-00000-big.jsonl.jsonl");
    let kept = std::fs::metadata(&quarantine).unwrap().len();
    assert!(kept > 40_000_000, "{kept} bytes quarantined");
    let lines = std::fs::read_to_string(&quarantine)
        .unwrap()
        .lines()
        .count();
    assert_eq!(lines, 19_950);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lake.join("run.json")).unwrap()).unwrap();
    // Above the process's size before the run (20 MB for a debug build).
    let base = report["process_base_memory_bytes"].as_u64().unwrap();
    let ingest = report["stages"][0]["peak_memory_bytes"].as_u64().unwrap();
    assert!(
        ingest.saturating_sub(base) < kept / 2,
        "ingest peaked {} bytes above the process's {base} with a quarantine of {kept}",
        ingest.saturating_sub(base)
    );
}

/// Ctrl-C during `validate` removes its scratch folder. Before, the runs
/// it had made (211 MB at the default sizes) stayed in the temp folder.
#[cfg(unix)]
#[test]
fn an_interrupted_validate_leaves_no_scratch() {
    let scratch = Scratch::new("interrupt");
    let temp = scratch.path("tmp");
    std::fs::create_dir_all(&temp).unwrap();
    let mut child = common::pipecalc()
        .env("TMPDIR", &temp)
        .args([
            "validate",
            "scenarios/clickstream.yaml",
            "--sample",
            "400K",
            "--target",
            "2M",
            "--repeat",
            "3",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_scratch(&temp, "validate");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_nothing_left(&temp);

    // A folder of a process killed outright goes at the next start.
    let stale = temp.join("pipecalc-validate-999999999-1");
    std::fs::create_dir_all(stale.join("logs")).unwrap();
    let mut again = common::pipecalc()
        .env("TMPDIR", &temp)
        .args(["validate", "scenarios/clickstream.yaml", "--sample", "400K"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while stale.exists() && started.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    unsafe { libc::kill(again.id() as i32, libc::SIGINT) };
    again.wait().unwrap();
    assert!(!stale.exists());
}

/// SIGTERM (what `kill` and a CI runner's timeout send) during `calibrate`
/// removes its scratch folder as Ctrl-C does during `validate`. Before,
/// only validate under SIGINT was tested, though both were promised.
#[cfg(unix)]
#[test]
fn a_terminated_calibrate_leaves_no_scratch() {
    let scratch = Scratch::new("terminate");
    let temp = scratch.path("tmp");
    std::fs::create_dir_all(&temp).unwrap();
    let mut child = common::pipecalc()
        .env("TMPDIR", &temp)
        .args(["calibrate", "--events", "400K", "--repeat", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_scratch(&temp, "calibrate");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(0), "a terminated calibrate succeeded");
    assert_nothing_left(&temp);
}

/// Waits until a command has a scratch folder under `temp` with something
/// in it, and a little longer, so a signal finds it at work.
fn wait_for_scratch(temp: &Path, command: &str) {
    let started = std::time::Instant::now();
    let busy = || {
        std::fs::read_dir(temp)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("pipecalc-"))
            .any(|e| std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_some()))
    };
    while !busy() {
        assert!(
            started.elapsed().as_secs() < 60,
            "{command} made no scratch folder"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
}

fn assert_nothing_left(temp: &Path) {
    let left: Vec<_> = std::fs::read_dir(temp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
