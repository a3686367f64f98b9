//! Round three (issue 32): what is kept, what is refused, and every
//! message naming the right thing. A stage kept from an earlier run must
//! have been made with this run's settings; a generation never leaves
//! another's logs beside its truth; a killed writer's temporary file is
//! named; each error names the option or file at fault.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::Scratch;

use common::{path, run, text};

fn generate(dir: &Path, events: &str, seed: &str) -> Output {
    run(&[
        "generate",
        "--events",
        events,
        "--seed",
        seed,
        "--out",
        path(dir),
    ])
}

fn views_rows(lake: &Path) -> u64 {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lake.join("run.json")).unwrap()).unwrap();
    report["output_rows"].as_u64().unwrap()
}

#[test]
fn a_kept_stage_was_made_with_this_run_s_settings() {
    let scratch = Scratch::new("honest-resume");
    let logs = scratch.path("logs");
    assert_eq!(generate(&logs, "5K", "4").status.code(), Some(0));
    let fresh = scratch.path("fresh");
    let lake = scratch.path("lake");
    let pattern = "^/product/(p[0-9]{4})";
    // A fresh run with a pattern that keeps the first four characters.
    let ran = run(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&fresh),
        "--product-pattern",
        pattern,
    ]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    let short_ids = views_rows(&fresh);
    // The default pattern first, then --resume under the short pattern:
    // before, it kept the default's stages (5,204 rows where 54 were due).
    let ran = run(&["run", "--input", path(&logs), "--out", path(&lake)]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    let default_ids = views_rows(&lake);
    assert_ne!(short_ids, default_ids);
    let resumed = run(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&lake),
        "--resume",
        "--product-pattern",
        pattern,
    ]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    assert_eq!(views_rows(&lake), short_ids);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lake.join("run.json")).unwrap()).unwrap();
    assert_eq!(report["settings"]["product_pattern"], pattern);
    assert_eq!(report["stages"][1]["status"], "ran");
    // Over the kept raw stage: another lateness, or a bar its quarantine
    // does not pass, is refused, naming what changed.
    let lateness = run(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&lake),
        "--allowed-lateness-ms",
        "1 min",
    ]);
    assert_eq!(lateness.status.code(), Some(1), "{}", text(&lateness));
    assert!(
        text(&lateness).contains("--allowed-lateness-ms"),
        "{}",
        text(&lateness)
    );
    let bar = run(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&lake),
        "--max-quarantined",
        "0%",
    ]);
    assert_eq!(bar.status.code(), Some(1), "{}", text(&bar));
    assert!(text(&bar).contains("--max-quarantined"), "{}", text(&bar));
}

#[test]
fn a_generation_never_leaves_another_s_logs_beside_its_truth() {
    let scratch = Scratch::new("honest-generate");
    let logs = scratch.path("logs");
    assert_eq!(generate(&logs, "2K", "1").status.code(), Some(0));
    let again = generate(&logs, "1K", "2");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains("replaced the previous generation"),
        "{}",
        text(&again)
    );
    let lake = scratch.path("lake");
    let ran = run(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&lake),
        "--format",
        "json",
    ]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(logs.join("_truth.json")).unwrap()).unwrap();
    let report: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert_eq!(report["quality"]["lines"], truth["truth"]["lines"]);
    // A folder holding somebody else's file is refused, and kept whole.
    let mine = scratch.path("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "mine").unwrap();
    let refused = generate(&mine, "1K", "1");
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn a_killed_writer_s_temporary_file_is_named_or_removed() {
    let scratch = Scratch::new("honest-tmp");
    let logs = scratch.path("logs");
    assert_eq!(generate(&logs, "1K", "1").status.code(), Some(0));
    // A process id no process has (the kernel's pid_max is at most 2^22).
    let stale = logs.join(".2024-01-15T05.jsonl.99999999.tmp");
    std::fs::write(&stale, "{\"half\": ").unwrap();
    let lake = scratch.path("lake");
    let ran = run(&["run", "--input", path(&logs), "--out", path(&lake)]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    assert!(
        text(&ran).contains(
            ".2024-01-15T05.jsonl.99999999.tmp: the temporary file of `2024-01-15T05.jsonl`"
        ),
        "{}",
        text(&ran)
    );
    let again = generate(&logs, "1K", "1");
    assert!(
        text(&again).contains("removed 1 temporary file"),
        "{}",
        text(&again)
    );
    assert!(!stale.exists());
}

#[test]
fn each_message_names_the_option_or_the_file_at_fault() {
    let scratch = Scratch::new("honest-messages");
    let sample = run(&["validate", "scenarios/clickstream.yaml", "--sample", "1"]);
    assert_eq!(sample.status.code(), Some(2));
    assert!(text(&sample).contains("--sample"), "{}", text(&sample));
    assert!(!text(&sample).contains("--events"), "{}", text(&sample));
    let logs = scratch.path("logs");
    assert_eq!(generate(&logs, "1K", "1").status.code(), Some(0));
    // A dangling link as --out: said so, never "File exists".
    #[cfg(unix)]
    {
        let dangling = scratch.path("dangling");
        std::os::unix::fs::symlink(scratch.path("nowhere"), &dangling).unwrap();
        for out in [
            run(&["run", "--input", path(&logs), "--out", path(&dangling)]),
            generate(&dangling, "1K", "1"),
        ] {
            assert_eq!(out.status.code(), Some(1));
            assert!(
                text(&out).contains("which does not exist"),
                "{}",
                text(&out)
            );
            assert!(!text(&out).contains("File exists"), "{}", text(&out));
        }
    }
    // A --field given twice, a bad pattern: usage errors.
    let twice = run(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&scratch.path("l1")),
        "--field",
        "page=url",
        "--field",
        "page=uri",
    ]);
    assert_eq!(twice.status.code(), Some(2), "{}", text(&twice));
    // Page views, none under the product prefix: a typo fails the run.
    let typo = run(&[
        "run",
        "--input",
        path(&logs),
        "--out",
        path(&scratch.path("l2")),
        "--product-pages",
        "/products/",
    ]);
    assert_eq!(typo.status.code(), Some(1), "{}", text(&typo));
    assert!(
        text(&typo).contains("--product-pages /products/"),
        "{}",
        text(&typo)
    );
    // A lake whose report is gone is named as a lake.
    let lake = scratch.path("lake");
    assert_eq!(
        run(&["run", "--input", path(&logs), "--out", path(&lake)])
            .status
            .code(),
        Some(0)
    );
    std::fs::remove_file(lake.join("run.json")).unwrap();
    let inspect = run(&["inspect", path(&lake)]);
    assert_eq!(inspect.status.code(), Some(1));
    assert!(
        text(&inspect).contains("looks like a pipecalc lake"),
        "{}",
        text(&inspect)
    );
}

#[cfg(unix)]
#[test]
fn an_export_to_a_path_that_is_not_utf_8_is_written() {
    use std::os::unix::ffi::OsStrExt;
    let scratch = Scratch::new("honest-utf8");
    let file: PathBuf = scratch
        .path("report")
        .with_extension(std::ffi::OsStr::from_bytes(b"\xff.json"));
    let mut argument = std::ffi::OsString::from("json=");
    argument.push(&file);
    let out = common::pipecalc()
        .args(["estimate", "scenarios/clickstream.yaml", "--export"])
        .arg(&argument)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(file.exists());
}

/// A figure a person reads is never in e-notation: a price a byte, a
/// duration of nanoseconds.
#[test]
fn tiny_figures_are_written_out() {
    let json = common::estimated_json(
        "volume: { events_per_day: 1, event_size: 1 B }\nstages:\n  - { name: a, bound: cpu, input: events, throughput: 1G events/s }\nprices: { compute_usd_per_worker_hour: 0.0001 }\n",
    );
    assert!(json["summary"]["sequential_s"].as_f64().unwrap() < 1e-6);
    let scratch = Scratch::new("honest-tiny");
    let plan = scratch.path("tiny.yaml");
    std::fs::write(
        &plan,
        "volume: { events_per_day: 1, event_size: 1 B }\nstages:\n  - { name: a, bound: cpu, input: events, throughput: 1G events/s }\nprices: { compute_usd_per_worker_hour: 0.0001 }\n",
    )
    .unwrap();
    let table = run(&["estimate", path(&plan)]);
    let shown = String::from_utf8_lossy(&table.stdout);
    assert!(shown.contains("1 ns"), "{shown}");
    assert!(!shown.contains("e-"), "{shown}");
}
