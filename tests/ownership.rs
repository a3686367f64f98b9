//! Round three of "nothing it does not own" (issue 32): no report lands on
//! or inside what a command reads, whatever flag names it (-o, --export,
//! calibrate --out --force, validate -o); the run's lock is never written
//! through a link; one file is never named twice. Each case is checked by
//! the bytes of what must survive, before and after.

mod common;

use std::path::{Path, PathBuf};

use common::Scratch;

use common::{path, run, text};

/// A small lake of pipecalc's own: logs generated, then run.
fn lake(scratch: &Scratch, name: &str) -> (PathBuf, PathBuf) {
    let logs = scratch.path(&format!("{name}-logs"));
    let lake = scratch.path(name);
    let generated = run(&[
        "generate",
        "--events",
        "2K",
        "--seed",
        "3",
        "--out",
        path(&logs),
    ]);
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated));
    let ran = run(&["run", "--input", path(&logs), "--out", path(&lake)]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    (logs, lake)
}

/// A copy of a committed Spark log folder, to be read and not written.
fn spark_log(scratch: &Scratch) -> (PathBuf, PathBuf) {
    let from = Path::new("tests/fixtures/spark/cluster/25K");
    let to = scratch.path("spark25");
    std::fs::create_dir_all(&to).unwrap();
    let mut log = PathBuf::new();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        std::fs::copy(entry.path(), &target).unwrap();
        if entry.file_name().to_string_lossy().starts_with("events_") {
            log = target;
        }
    }
    (to, log)
}

#[test]
fn no_report_lands_inside_a_lake_the_command_reads() {
    let scratch = Scratch::new("own-lake");
    let (_, lake) = lake(&scratch, "lake");
    let before = common::contents(&lake);
    let manifest = lake.join("raw/_manifest.json");
    let manifest_bytes = std::fs::read(&manifest).unwrap();
    let report = std::fs::read(lake.join("run.json")).unwrap();
    for args in [
        vec![
            "inspect",
            path(&lake),
            "--export",
            &format!("json={}", path(&manifest)),
        ],
        vec![
            "inspect",
            path(&lake),
            "-o",
            &format!("{}/run.json", path(&lake)),
        ],
        vec![
            "inspect",
            path(&lake),
            "-o",
            &format!("{}/new-report.txt", path(&lake)),
        ],
    ] {
        let refused = run(&args);
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&refused)
        );
        assert!(
            text(&refused).contains("which this command reads"),
            "{}",
            text(&refused)
        );
    }
    assert_eq!(std::fs::read(&manifest).unwrap(), manifest_bytes);
    assert_eq!(std::fs::read(lake.join("run.json")).unwrap(), report);
    assert_eq!(common::contents(&lake), before);
    assert!(!lake.join("new-report.txt").exists());
    // The lake is still a lake: inspect reads it.
    assert_eq!(run(&["inspect", path(&lake)]).status.code(), Some(0));
    // calibrate --out --force into the lake it calibrates from.
    let forced = run(&[
        "calibrate",
        "--from",
        path(&lake),
        "--out",
        &format!("{}/run.json", path(&lake)),
        "--force",
    ]);
    assert_eq!(forced.status.code(), Some(1), "{}", text(&forced));
    assert_eq!(std::fs::read(lake.join("run.json")).unwrap(), report);
}

#[test]
fn no_report_replaces_a_spark_log_the_command_reads() {
    let scratch = Scratch::new("own-spark");
    let (folder, log) = spark_log(&scratch);
    let bytes = std::fs::read(&log).unwrap();
    let inspect = run(&["inspect", path(&folder), "-o", path(&log)]);
    assert_eq!(inspect.status.code(), Some(1), "{}", text(&inspect));
    // validate checks its report's file before it calibrates anything.
    let validate = run(&[
        "validate",
        "scenarios/clickstream.yaml",
        "--calibrate-from",
        path(&folder),
        "--against",
        path(&folder),
        "-o",
        path(&log),
    ]);
    assert_eq!(validate.status.code(), Some(1), "{}", text(&validate));
    assert!(
        text(&validate).contains("which this command reads"),
        "{}",
        text(&validate)
    );
    assert_eq!(std::fs::read(&log).unwrap(), bytes);
}

#[test]
fn one_file_named_twice_is_a_usage_error() {
    let scratch = Scratch::new("own-twice");
    let report = scratch.path("x");
    let twice = run(&[
        "estimate",
        "scenarios/clickstream.yaml",
        "-o",
        path(&report),
        "--export",
        &format!("json={}", path(&report)),
    ]);
    assert_eq!(twice.status.code(), Some(2), "{}", text(&twice));
    assert!(!report.exists());
}

#[cfg(unix)]
#[test]
fn a_dangling_link_as_a_report_is_named_and_not_followed() {
    let scratch = Scratch::new("own-dangling");
    let link = scratch.path("report.txt");
    std::os::unix::fs::symlink(scratch.path("nowhere/target.txt"), &link).unwrap();
    let out = run(&["estimate", "scenarios/clickstream.yaml", "-o", path(&link)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("does not exist"), "{}", text(&out));
    assert!(!text(&out).contains("File exists"), "{}", text(&out));
}

#[test]
fn calibrate_writes_through_a_device() {
    let out = run(&[
        "calibrate",
        "--from",
        "tests/fixtures/spark/small-1core",
        "--out",
        "/dev/null",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn the_lock_is_never_written_through_a_link() {
    let scratch = Scratch::new("own-lock");
    let (logs, _) = lake(&scratch, "first");
    let thesis = scratch.path("thesis.txt");
    std::fs::write(&thesis, "three years of work").unwrap();
    let shared = scratch.path("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::os::unix::fs::symlink("../thesis.txt", shared.join(".pipecalc.lock")).unwrap();
    let refused = run(&["run", "--input", path(&logs), "--out", path(&shared)]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("not a lock pipecalc wrote"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        std::fs::read_to_string(&thesis).unwrap(),
        "three years of work"
    );
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 1);
    // A dangling link: no file appears at its target.
    let empty = scratch.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::os::unix::fs::symlink("../made-by-the-lock", empty.join(".pipecalc.lock")).unwrap();
    let refused = run(&["run", "--input", path(&logs), "--out", path(&empty)]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(!scratch.path("made-by-the-lock").exists());
}
